"""Showing MMS answers as tables, whose values print whole on a terminal or in a file (see
:mod:`mms_client.cli.tables`), or as JSON for scripts.

Items are shown by their XML names, the way the MMS documentation and the payloads spell
them, with their JSON values; JSON output uses the same names, so an item printed by one
``mms call`` can be fed back to another with ``--payload``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mms_client.cli.tables import print_table, visible, visible_json
from mms_client.schema.binding import TEXT_KEY

if TYPE_CHECKING:
    from rich.console import Console

    from mms_client.errors import MMSValidationError
    from mms_client.exchange import Response
    from mms_client.judgement import Message
    from mms_client.operations import Operation
    from mms_client.schema.binding import XmlModel

_WIDE = 8
"""Items with more columns than this are shown one per table, as field/value pairs."""


def as_json(response: Response, encoding: str) -> str:
    """The answer as a JSON document, to be written in ``encoding``: items, files, messages
    and the transaction id."""
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
    return json_text(document, encoding)


def refusal_as_json(operation: Operation, refusal: MMSValidationError, encoding: str) -> str:
    """A refused request as a JSON document, to be written in ``encoding``: why, the items of
    the answer (of a submit the MMS accepted in part, the ones it stored), the messages and
    the transaction id."""
    document = {
        **_answer(operation, refusal.items, refusal.messages),
        "transaction_id": refusal.transaction_id,
        "refused": f"{refusal.operation}: {refusal.summary}",
    }
    return json_text(document, encoding)


def show_refusal(console: Console, refusal: MMSValidationError) -> None:
    """Print a refused request as tables: the items of the answer, the messages and the
    transaction id."""
    show_items(console, refusal.items)
    show_messages(console, "The MMS refused the request", refusal.messages)
    _show_transaction_id(console, refusal.transaction_id)


def json_text(document: object, encoding: str) -> str:
    """``document`` as JSON text, the one form every JSON output of the commands takes: its
    characters as they are when ``encoding`` can carry them all, else every character beyond
    ASCII as an escape (``\\u525d``), since an output in another encoding than UTF-8
    (Windows' cp932) carries no 剝, a kanji of company names, and the document must stay
    valid JSON there too; and in either, what would act on the terminal as an escape
    (:func:`~mms_client.cli.tables.visible_json`), since a server's text may hold it."""
    text = json.dumps(document, ensure_ascii=False, indent=2)
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        text = json.dumps(document, indent=2)
    return visible_json(text)


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
        _show_files(console, response)
    if response.messages:
        show_messages(console, "Messages", response.messages)
    statistics = response.statistics
    _show_transaction_id(console, None if statistics is None else statistics.transaction_id)


def _show_transaction_id(console: Console, transaction_id: str | None) -> None:
    if transaction_id:  # the one value of the answer printed outside a table
        console.print(f"TransactionId: {visible(transaction_id)}", highlight=False, markup=False)


def show_items(console: Console, items: Sequence[XmlModel]) -> bool:
    """Print the items of an answer as tables, titled by their kind (the operation's answer
    element, or the dataset of report rows); whether there were any."""
    if not items:
        return False
    title, rows = _unwrapped(type(items[0]).__name__, items)
    if rows:
        _show_item_tables(console, title, rows)
    return bool(rows)


def _show_item_tables(console: Console, title: str, items: Sequence[XmlModel]) -> None:
    """One table of all items, or one field/value table per item when they are wide. A value
    is broken between words only: an id, a name or a time stays whole."""
    rows = [_cells(item) for item in items]
    columns = [name for name in _column_order(items) if any(name in row for row in rows)]
    if len(columns) <= _WIDE:
        cells = [[row.get(column, "") for column in columns] for row in rows]
        print_table(console, f"{title} ({len(items)})", columns, cells, wrap=columns)
        return
    for number, row in enumerate(rows, start=1):
        fields = [(column, row[column]) for column in columns if column in row]
        print_table(
            console, f"{title} {number}/{len(items)}", ("field", "value"), fields, wrap={"value"}
        )


def _show_files(console: Console, response: Response) -> None:
    rows = [
        (
            file.name,
            file.data_type,
            str(file.size),
            "(in memory; use --out to save)" if file.path is None else str(file.path),
        )
        for file in response.files
    ]
    print_table(console, "Files", ("name", "type", "bytes", "saved as"), rows)


def show_messages(console: Console, title: str, messages: Sequence[Message]) -> None:
    """Print the MMS's messages: their text may be broken between words, their code and the
    path of the item they are about never."""
    rows = [(m.severity, m.code or "", m.text, m.path) for m in messages]
    print_table(console, title, ("severity", "code", "text", "where"), rows, wrap={"text"})


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
