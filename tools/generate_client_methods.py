"""Generate the typed client methods (``src/mms_client/methods.py``) from the operation registry.

    python tools/generate_client_methods.py           # rewrite the module if it is out of date
    python tools/generate_client_methods.py --check   # exit 1 if it is out of date

One declaration per registry operation, named by the registry's ``method``, plus one named by
its ``list_method`` for operations whose request may carry several items. The signature comes
from the registry and the models: the payload class, the envelope attributes a caller sets
(``days``, ``date``, ``market_type``...; participant and user come from the client, fixed values
are filled in), and the result, chosen by the kind of operation and the shape of its answer. The
docstring says who may call the method and what it returns, with how sure the catalog is.

What the registry cannot say lives in the tables below; among them the established client's
names that are not the registry's, so that code written for it runs unchanged (its downloads of
one report dataset are in ``mms_client.calls.DATASET_DOWNLOADS``, which ``mms call`` reads
too).
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import types
import typing
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
TARGET = REPOSITORY / "src" / "mms_client" / "methods.py"

sys.path.insert(0, str(REPOSITORY / "src"))
sys.path.insert(0, str(REPOSITORY / "tools"))

from formatting import ruff_format, update  # noqa: E402
from mms_client.calls import DATASET_DOWNLOADS  # noqa: E402
from mms_client.operations import OPERATIONS, Operation, get_operation  # noqa: E402
from mms_client.schema.binding import VERDICT_ATTRIBUTES, XmlKind, XmlModel, xml_plan  # noqa: E402

SENDS_FILES = frozenset(
    {
        ("MI", "MarketSubmit_SettlementResults"),
        ("MI", "MarketSubmit_BaselineLoad"),
        ("OMI", "MarketSubmit_BaselineLoad"),
        ("MI", "RegistrationSubmit_ResourceEvaluation"),
        ("MI", "RegistrationSubmit_DrPattern"),
    }
)
"""Operations whose payload names files (``File/@Name``, ``Attachment/@FileName``...) that
travel with the request as attachments; their methods take ``files=``."""

SECOND_NAMES = {"get_settlement_results": "query_settlement_results"}
"""Methods the established client names otherwise: its name -> ours. Each is the same
method under a second name."""

CALLER_FIELDS = frozenset({"participant_name", "user_name"})
"""Envelope attributes a caller never sets: the client's identity (the MMS's verdict, set in
its reply, is not a request's either: see ``VERDICT_ATTRIBUTES``)."""

SOURCES = {
    "anchor": "confirmed by the established client",
    "schema": "defined by the schema",
    "schema-comment": "named in the schema's comments",
}


def _source(source: str) -> str:
    """How sure the catalog is, in words (``inferred (low)`` -> inferred, low confidence)."""
    if source in SOURCES:
        return SOURCES[source]
    if source.startswith("inferred"):
        confidence = source.partition("(")[2].partition(")")[0] or "unknown"
        return f"inferred by the operation catalog with {confidence} confidence"
    return source


@dataclass(frozen=True)
class Parameter:
    name: str
    annotation: str
    default: str | None  # None: required


def _module_alias(model: type[XmlModel]) -> str:
    return model.__module__.rpartition(".")[2]


def _qualified(model: type) -> str:
    return f"{_module_alias(model)}.{model.__name__}"


def _optional_member(annotation: object) -> object:
    """The annotation without ``| None`` (and without ``Annotated``)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        else:
            return annotation


def _envelope_parameters(operation: Operation) -> tuple[list[Parameter], list[Parameter]]:
    """The envelope attributes a caller sets, and the elements that may travel with the
    items (``StandingData`` beside BUPs): (positional, keyword-only) parameters."""
    positional: dict[str, Parameter] = {}
    keywords: list[Parameter] = []
    model = operation.envelope_model
    for name, info in model.model_fields.items():
        binding = next(m for m in info.metadata if hasattr(m, "kind"))
        if (
            binding.kind is not XmlKind.ATTRIBUTE
            or name in CALLER_FIELDS
            or binding.name in VERDICT_ATTRIBUTES
        ):
            continue
        kind = _optional_member(info.annotation)
        fixed = isinstance(kind, type) and issubclass(kind, Enum) and len(kind) == 1
        if fixed and info.is_required():
            continue  # one possible value (ApplicationType), filled in by the registry
        if name == "days":
            positional[name] = Parameter("days", "int", "1")
        elif name == "date":
            positional[name] = Parameter("date", "dt.date | None", "None")
        elif name == "market_type" and operation.needs_market_type:
            positional[name] = Parameter(name, _qualified(_enum(kind, operation, name)), None)
        else:
            annotation = f"{_qualified(_enum(kind, operation, name))} | None"
            keywords.append(Parameter(name, annotation, "None"))
    for tag in operation.companions:  # elements that may travel with the items
        companion = xml_plan(model).elements_by_tag[tag]
        assert companion.model is not None and not companion.is_list
        annotation = f"{_qualified(companion.model)} | None"
        keywords.append(Parameter(companion.field_name, annotation, "None"))
    order = [positional[n] for n in ("market_type", "days", "date") if n in positional]
    return order, keywords


def _enum(kind: object, operation: Operation, name: str) -> type[Enum]:
    if not (isinstance(kind, type) and issubclass(kind, Enum)):
        raise SystemExit(f"{operation.name}: no parameter rule for envelope attribute {name}")
    return kind


@dataclass(frozen=True)
class Method:
    """One declaration to write."""

    name: str
    operation: Operation
    many: bool  # the list variant
    dataset: str | None = None
    """The report dataset a download method answers with the rows of (see DATASET_DOWNLOADS)."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.operation.interface.value, self.operation.name)

    def result(self) -> tuple[str, str, str]:
        """(result function, return annotation, what the docstring says comes back)."""
        operation = self.operation
        shape = operation.response
        if operation.name == "ReportCreateRequest":
            return (
                "created_report",
                "CreatedReport",
                "a :class:`~mms_client.calls.CreatedReport`: the new report's ``transaction_id``,"
                " with which ``download_report`` fetches it once the report list shows it",
            )
        if self.dataset is not None:
            from mms_client.reports import row_model

            return (
                f"dataset_rows({self.dataset!r})",
                f"list[{_qualified(row_model(self.dataset))}]",
                f"the rows of the report, typed ``{self.dataset}`` (a report of another dataset "
                "is refused with an ``MMSClientError``)",
            )
        if shape.element is None:
            return (
                "report_file",
                "DownloadedFile",
                "the report, a :class:`~mms_client.files.DownloadedFile` (streamed into the file"
                " ``to`` when given) whose ``rows()`` are its typed dataset rows",
            )
        if shape.files:
            return (
                "attached_files",
                "list[DownloadedFile]",
                "the files the MMS attached, as :class:`~mms_client.files.DownloadedFile`"
                " (streamed into the folder ``to`` when given)",
            )
        model = _qualified(operation.response_model)
        name = operation.response_model.__name__
        if operation.kind not in ("query", "report"):
            if self.many:
                return "all_items", f"list[{model}]", "the items as the MMS took them, in order"
            return (
                "one_item",
                model,
                "the item as the MMS took it, with its Validation, Success and messages",
            )
        if shape.child is not None:
            holder = xml_plan(_response_parent(operation)).elements_by_tag[shape.child]
            if not holder.is_list:
                return (
                    "results",
                    model,
                    f"the ``{name}`` of the answer (an empty one when nothing matched)",
                )
        return "all_items", f"list[{model}]", f"every ``{name}`` found (an empty list if none)"

    def render(self) -> str:
        operation = self.operation
        payload = _qualified(operation.payload_model)
        positional, keywords = _envelope_parameters(operation)
        function, returns, returned = self.result()
        if self.many:
            parameters = [Parameter("requests", f"Sequence[{payload}]", None)]
            payload_expression = "requests"
        else:
            parameters = [Parameter("request", payload, None)]
            payload_expression = "request"
        parameters += positional
        extra = list(keywords)
        call_arguments: list[str] = []
        if self.key in SENDS_FILES:
            extra.append(Parameter("files", "Sequence[FileSource]", "()"))
            call_arguments.append("files=files")
        if function in ("report_file", "attached_files"):
            extra.append(Parameter("to", "str | os.PathLike[str] | None", "None"))
            call_arguments.append("to=to")
        lines = [
            f"    @calls({operation.name!r}{self._interface()})",
            f"    def {self.name}(",
            "        self,",
        ]
        lines += [f"        {_parameter(p)}," for p in parameters]
        if extra:
            lines.append("        *,")
            lines += [f"        {_parameter(p)}," for p in extra]
        lines.append(f"    ) -> Call[{returns}]:")
        lines.append(textwrap.indent(self.docstring(returned), "        "))
        envelope = ", ".join(f'"{p.name}": {p.name}' for p in positional + keywords)
        arguments = [payload_expression, "{" + envelope + "}", function, *call_arguments]
        lines.append(f"        return Call({', '.join(arguments)})")
        return "\n".join(lines)

    def _interface(self) -> str:
        shared = sum(o.name == self.operation.name for o in OPERATIONS) > 1
        return f", {self.operation.interface.value!r}" if shared else ""

    def docstring(self, returned: str) -> str:
        operation = self.operation
        element = f"``{operation.element}``"
        several = f"several {element} items in one request"
        summary = {
            "submit": f"Submit {several if self.many else 'one ' + element}",
            "cancel": f"Cancel {several if self.many else 'one ' + element}",
            "approval": f"Approve {several if self.many else 'one ' + element}",
            "query": f"Query with one {element}",
            "report": (
                REPORT_SUMMARIES.get(operation.name)
                if self.dataset is None
                else f"Download a ``{self.dataset}`` report by its transaction id"
            ),
        }[operation.kind]
        audiences = ", ".join(sorted(a.value for a in operation.audiences))
        paragraphs = [
            f"{summary} (``{operation.name}`` on {operation.interface.value}).",
            f"Who may call it: {audiences}; {_source(operation.audience_source)}.",
            f"Returns {returned}. The answer's shape is {_source(operation.response.source)}.",
        ]
        body = "\n\n".join(textwrap.fill(text, 88) for text in paragraphs)
        return f'"""{body}\n"""'


REPORT_SUMMARIES = {
    "ReportCreateRequest": "Ask the MMS to create a report",
    "ReportListRequest": "List the report files the MMS holds",
    "ReportDownloadRequestTrnID": "Download a report file by its transaction id",
    "ReportDownloadRequest": "Download a report file by its name",
}


def _response_parent(operation: Operation) -> type[XmlModel]:
    """The class of the element that holds an operation's results child."""
    from mms_client.schema import root_model

    shape = operation.response
    current = root_model(shape.schema)
    for tag in (shape.envelope, shape.element):
        if tag is not None and tag != current.__xml_tag__:
            model = xml_plan(current).elements_by_tag[tag].model
            assert model is not None
            current = model
    return current


def _parameter(parameter: Parameter) -> str:
    text = f"{parameter.name}: {parameter.annotation}"
    return text if parameter.default is None else f"{text} = {parameter.default}"


def methods() -> list[Method]:
    declared: list[Method] = []
    for operation in OPERATIONS:
        declared.append(Method(operation.method, operation, many=False))
        if operation.list_method is not None:
            declared.append(Method(operation.list_method, operation, many=True))
    download = get_operation("ReportDownloadRequestTrnID")
    for name, dataset in DATASET_DOWNLOADS.items():
        declared.append(Method(name, download, many=False, dataset=dataset))
    names = [m.name for m in declared] + list(SECOND_NAMES)
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SystemExit(f"method names used twice: {', '.join(duplicates)}")
    return declared


HEADER = '''"""Generated by tools/generate_client_methods.py from the registry; do not edit.

The typed methods of :class:`~mms_client.client.MmsClient` and
:class:`~mms_client.client.AsyncMmsClient`: one per MMS operation, named as the registry says
(the established client's names where it has them), plus a variant taking a list for operations
whose request may carry several items, and the rest of the established client's names: its
download of the resource list as typed rows, and second names for methods named otherwise here.
Each is a declaration (:func:`~mms_client.calls.calls`) that both clients share.

Arguments: the request (a payload model, or a dict of XML or Python names), then the envelope
attributes the MMS reads: ``days`` (NumOfDays), ``date`` (defaults to today in Japan where the
envelope requires one), ``market_type`` and the like. Participant and user come from the client.
``files=`` sends files with the request; ``to=`` saves the files of the reply to disk as they
arrive.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from mms_client.calls import (
    Call,
    CreatedReport,
    FileSource,
    all_items,
    attached_files,
    calls,
    created_report,
    dataset_rows,
    one_item,
    report_file,
    results,
)

if TYPE_CHECKING:
    from mms_client.files import DownloadedFile
    from mms_client.schema.generated import mi_market, mi_outbnd_reports, mi_report, mpr, omi


class OperationMethods:
    """Every typed MMS operation method (see the module docstring)."""

'''


def render() -> str:
    body = "\n\n".join(method.render() for method in methods())
    seconds = "".join(f"    {name} = {ours}\n" for name, ours in SECOND_NAMES.items())
    body += "\n\n    # the established client's names for methods named otherwise here\n" + seconds
    return ruff_format(HEADER + body, TARGET)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether it is stale")
    args = parser.parse_args(argv)
    return update({TARGET: render()}, check=args.check)


if __name__ == "__main__":
    sys.exit(main())
