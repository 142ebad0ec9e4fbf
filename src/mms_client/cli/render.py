"""Showing MMS answers on a terminal (rich tables) or as JSON for scripts.

Items are shown by their XML names, the way the MMS documentation and the payloads spell
them, with their JSON values; JSON output uses the same names, so an item printed by one
``mms call`` can be fed back to another with ``--payload``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mms_client.schema.binding import TEXT_KEY

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    from mms_client.exchange import Response
    from mms_client.judgement import Message
    from mms_client.operations import Operation
    from mms_client.schema.binding import XmlModel

_WIDE = 8
"""Items with more columns than this are shown one per table, as field/value pairs."""


def as_json(response: Response) -> str:
    """The answer as a JSON document: items, files, messages and the transaction id."""
    statistics = response.statistics
    document = {
        **_answer(response.operation, response.items, response.messages),
        "files": [
            {
                "name": file.name,
                "data_type": file.data_type,
                "size": file.size,
                "path": None if file.path is None else str(file.path),
            }
            for file in response.files
        ],
        "transaction_id": None if statistics is None else statistics.transaction_id,
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def refusal_as_json(
    operation: Operation, reason: str, items: Sequence[XmlModel], messages: Sequence[Message]
) -> str:
    """A refused request as a JSON document: why, the items of the answer (of a submit the
    MMS accepted in part, the ones it stored) and the messages."""
    document = {**_answer(operation, items, messages), "refused": reason}
    return json.dumps(document, ensure_ascii=False, indent=2)


def _answer(
    operation: Operation, items: Sequence[XmlModel], messages: Sequence[Message]
) -> dict[str, Any]:
    return {
        "operation": operation.name,
        "interface": operation.interface.value,
        "items": [item.model_dump(mode="json", by_alias=True, exclude_none=True) for item in items],
        "messages": [message._asdict() for message in messages],
    }


def show(console: Console, response: Response) -> None:
    """Print the answer as tables."""
    shown = show_items(console, response.items)
    if not shown and not response.files:
        console.print(f"{response.operation.name}: accepted, nothing to show.")
    if response.files:
        console.print(file_table(response))
    if response.messages:
        console.print(message_table("Messages", response.messages))
    statistics = response.statistics
    if statistics is not None and statistics.transaction_id:
        console.print(f"TransactionId: {statistics.transaction_id}", highlight=False)


def show_items(console: Console, items: Sequence[XmlModel]) -> bool:
    """Print the items of an answer as tables, titled by their kind (the operation's answer
    element, or the dataset of report rows); whether there were any."""
    if not items:
        return False
    title, rows = _unwrapped(type(items[0]).__name__, items)
    for renderable in item_tables(title, rows) if rows else ():
        console.print(renderable)
    return bool(rows)


def item_tables(title: str, items: Sequence[XmlModel]) -> list[RenderableType]:
    """One table of all items, or one field/value table per item when they are wide."""
    from rich import box
    from rich.table import Table

    rows = [_cells(item) for item in items]
    columns = [name for name in _column_order(items) if any(name in row for row in rows)]
    if len(columns) <= _WIDE:
        table = Table(title=f"{title} ({len(items)})", box=box.SIMPLE_HEAD)
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*(row.get(column, "") for column in columns))
        return [table]
    tables: list[RenderableType] = []
    for number, row in enumerate(rows, start=1):
        table = Table(title=f"{title} {number}/{len(items)}", box=box.SIMPLE_HEAD)
        table.add_column("field")
        table.add_column("value", overflow="fold")
        for column in columns:
            if column in row:
                table.add_row(column, row[column])
        tables.append(table)
    return tables


def file_table(response: Response) -> RenderableType:
    from rich import box
    from rich.table import Table

    table = Table(title="Files", box=box.SIMPLE_HEAD)
    for column in ("name", "type", "bytes", "saved as"):
        table.add_column(column, overflow="fold")
    for file in response.files:
        where = "(in memory; use --out to save)" if file.path is None else str(file.path)
        table.add_row(file.name, file.data_type, str(file.size), where)
    return table


def message_table(title: str, messages: Sequence[Message]) -> RenderableType:
    from rich import box
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAD)
    for column in ("severity", "code", "text", "where"):
        table.add_column(column, overflow="fold")  # a code or path cut short is no use
    for message in messages:
        table.add_row(message.severity, message.code or "", message.text, message.path)
    return table


def _unwrapped(title: str, items: Sequence[XmlModel]) -> tuple[str, Sequence[XmlModel]]:
    """The rows worth a table: the results inside a query's results element
    (``AwardResultsQueryResponse`` holds a list of ``AwardResults``), else the items."""
    from mms_client.schema.binding import xml_plan

    if len(items) != 1:
        return title, items
    item = items[0]
    plan = xml_plan(type(item))
    lists = [e for e in plan.elements if e.is_list and e.model is not None]
    holds_only_results = not plan.attributes and len(lists) == 1
    if not holds_only_results:
        return title, items
    return lists[0].tag, getattr(item, lists[0].field_name)


def _column_order(items: Sequence[XmlModel]) -> list[str]:
    """XML names in the order of the schema, over every item type present."""
    seen: dict[str, None] = {}
    for item in items:
        for info in type(item).model_fields.values():
            seen.setdefault(str(info.alias), None)
    return list(seen)


def _cells(item: XmlModel) -> dict[str, str]:
    """The item's present fields by XML name; child elements are written inline."""
    data = item.model_dump(mode="json", by_alias=True, exclude_none=True)
    return {name: _inline(value) for name, value in data.items() if value not in ([], {})}


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        text = value.get(TEXT_KEY)
        fields = [
            f"{key}={_inline(inner)}"
            for key, inner in value.items()
            if key != TEXT_KEY and inner not in ([], {})
        ]
        return " ".join(fields if text is None else [*fields, str(text)])
    if isinstance(value, list):
        return "; ".join(_inline(inner) for inner in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
