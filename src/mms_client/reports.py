"""Outbound report datasets: typed rows, read from and written to XML or CSV.

A report file of the MMS holds one dataset of ``mi-outbnd-reports.xsd`` (``BSP_ResourceList``,
``Offers``, ``MOL``...), either as an ``OutboundData`` XML document whose children are the
rows, or as CSV. Both forms go through this module, so the simulator writes exactly what the
client reads.

The CSV form, column for column the XML one:

- UTF-8 (a leading byte order mark is accepted when reading), RFC 4180 quoting, CRLF line ends;
  the reading functions take ``encoding=`` for a file in another (``cp932``, Windows'
  Shift_JIS), since the MMS's interface documents do not say which encoding its CSV reports are
  in, and refuse a byte that is not of it naming its offset;
- a header line naming the columns by the row's XML attribute names, in schema order
  (``ROW``, ``ParticipantName``, ...); every attribute of the row type has a column;
- one line per row, each value in its XML lexical form (``2024-03-15T12:00:00``, ``100.50``,
  ``true``), an empty cell where the attribute is absent. (An empty cell of a required
  attribute is its empty value; an optional attribute whose value is the empty string reads
  back as absent.)

Reading a CSV accepts the columns in any order and leaves out absent ones, and skips empty
lines; a file of nothing but empty lines (or a byte order mark) has no rows. What does not fit
raises :class:`~mms_client.errors.PayloadError` naming the line (the line a row starts on,
when a quoted value spans lines) and, for a cell, the column: an unknown or repeated column, a
value the row type refuses, a row of the wrong number of cells, an empty first line (the
header comes first), a line of only white space, a quote never closed (naming the line of the
row it opens in), a quoted value going on after its closing quote, a carriage return that does
not end a line with a line feed, a field over the csv module's limit of 131,072 characters, a
line over :data:`MAX_LINE_BYTES` (4 MiB). A CSV given as ``str`` is read as its UTF-8 bytes
would be: the same rows, the same errors at the same lines.

The dataset of a CSV file is not written in it: it is the report's name (``ReportName`` of the
request and of the report list), and report file names start with it
(``<ReportName>_<participant>_<YYYYMMDD>_<TransactionId>.csv``, such as
``BSP_ResourceList_F100_20240315_TX12345678.csv``), which :func:`dataset_of` reads.

Who may create each dataset and the ``ReportType``/``ReportSubType`` a ``ReportCreateRequest``
names it with are :func:`dataset_rules`. They come from the operation catalog, which confirms
the report type of ``BSP_ResourceList`` only and infers the others, and infers the audiences of
the datasets whose schema comment names no reader (``ResourceSttlOTM``, ``ReserveReqs``,
``MOL``, ``SwitchRequest``, ``AccessLog``); each rule says which it is. They are generated into
:mod:`mms_client.reports_data`, and corrected in ``tools/operation_rules.py``
(``DATASET_CORRECTIONS``) once the real MMS has shown otherwise.

Report files can be larger than memory should hold: :func:`iter_csv` and :func:`iter_xml`
yield rows one at a time from an open file, :func:`outbound_errors`, :func:`declared_dataset`
and :func:`root_element` look only at the start of a document. XML is read as a stream of events
by the hardened parser of :mod:`mms_client.xmlparse` (no tree is built, unless the program runs
other threads and the document is small enough for one: see ``xmlparse.feed_events``) and a
DOCTYPE is refused, so neither entity expansion nor external entities can happen.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache, partial
from typing import Any, BinaryIO, TypeVar, overload

from mms_client.endpoints import ClientType
from mms_client.errors import FieldError, PayloadError
from mms_client.reports_data import ROWS, RowModel
from mms_client.schema import codec
from mms_client.schema.binding import XmlModel, xml_plan
from mms_client.schema.datatypes import lexical
from mms_client.schema.generated.mi_outbnd_reports import DatasetName, OutboundData
from mms_client.schema.generated.mi_report import ReportSubType, ReportType
from mms_client.wire.blobs import CHUNK_SIZE
from mms_client.xmlparse import check_attributes, doctype_refused, event_parser, feed_events

__all__ = [
    "MAX_LINE_BYTES",
    "DatasetName",
    "DatasetRules",
    "ReportRow",
    "columns",
    "dataset_of",
    "dataset_rules",
    "declared_dataset",
    "iter_csv",
    "iter_xml",
    "outbound_errors",
    "read_csv",
    "read_xml",
    "root_element",
    "row_model",
    "text_lines",
    "write_csv",
    "write_xml",
]

_BOM = "\ufeff"

MAX_LINE_BYTES = 4 * 1024 * 1024
"""The longest line of a CSV report that is read, its line end included. A row of a real
report is a few hundred bytes; the bound keeps memory bounded while reading a file of any
size, since a line is read whole before the csv module looks at it (a file without line
ends would otherwise be read into memory at once)."""

ReportRow = TypeVar("ReportRow", bound=RowModel)
"""A dataset's row model, given in place of the dataset's name (``rows(BSP_ResourceList)``) so
that a type checker knows the rows' type. Bound to the row models only (``RowModel`` of
:mod:`mms_client.reports_data`, generated with the datasets' rules), so that a model of no
dataset (``OutboundData``) is a type error as well as a refusal at run time."""


@cache
def _row_models() -> dict[DatasetName, type[XmlModel]]:
    """Each dataset's row type: the ``OutboundData`` child element of the same name."""
    by_tag = xml_plan(OutboundData).elements_by_tag
    found: dict[DatasetName, type[XmlModel]] = {}
    for dataset in DatasetName:
        model = by_tag[dataset.value].model
        assert model is not None, f"OutboundData/{dataset.value} has no row type"
        found[dataset] = model
    return found


def _dataset(dataset: DatasetName | str | type[XmlModel]) -> DatasetName:
    """The dataset named by its name or by its row model (:data:`ReportRow`); any other is
    refused with a :class:`PayloadError` listing the datasets."""
    if isinstance(dataset, type):
        found = [name for name, model in _row_models().items() if model is dataset]
        if not found:
            raise PayloadError(
                "not a report row model",
                [FieldError("dataset", dataset.__name__, f"the row model of one of {_known()}")],
            )
        return found[0]
    try:
        return DatasetName(dataset)
    except ValueError:
        raise PayloadError(
            "unknown report dataset",
            [FieldError("DatasetName", dataset, f"one of {_known()}")],
        ) from None


def _known() -> str:
    """The datasets a refusal lists, spelt out only for it: a report's rows are each looked
    up by :func:`_dataset`, and the listing would cost each row more than the look-up."""
    return ", ".join(d.value for d in DatasetName)


def row_model(dataset: DatasetName | str) -> type[XmlModel]:
    """The row type of ``dataset`` (``BSP_ResourceList`` rows are ``BSP_ResourceList``...)."""
    return _row_models()[_dataset(dataset)]


def columns(dataset: DatasetName | str) -> tuple[str, ...]:
    """The CSV columns of ``dataset``: its XML attribute names in schema order."""
    model = row_model(dataset)
    return tuple(str(info.alias) for info in model.model_fields.values())


@dataclass(frozen=True)
class DatasetRules:
    """Who may create a dataset, and the report type and sub-type that name it in a
    ``ReportCreateRequest``. Each carries its source as the operation registry's audiences do
    (``anchor``, ``schema-comment``, ``inferred (low)``...): most are the catalog's inferences,
    so a refusal by the real MMS of what a rule allows may be the rule's mistake."""

    dataset: DatasetName
    audiences: frozenset[ClientType]
    audience_source: str
    report_type: ReportType
    report_sub_type: ReportSubType
    report_type_source: str

    @property
    def audience_inferred(self) -> bool:
        """Whether who may create the dataset is inferred rather than stated anywhere."""
        return self.audience_source.startswith("inferred")

    @property
    def report_type_inferred(self) -> bool:
        """Whether the report type and sub-type are inferred rather than seen in use."""
        return self.report_type_source.startswith("inferred")


@cache
def _rules() -> dict[DatasetName, DatasetRules]:
    return {
        DatasetName(row.name): DatasetRules(
            dataset=DatasetName(row.name),
            audiences=frozenset(ClientType(a) for a in row.audiences),
            audience_source=row.audience_source,
            report_type=ReportType(row.report_type),
            report_sub_type=ReportSubType(row.report_sub_type),
            report_type_source=row.report_type_source,
        )
        for row in ROWS
    }


def dataset_rules(dataset: DatasetName | str) -> DatasetRules:
    """Who may create ``dataset`` and the report type that names it (see :class:`DatasetRules`)."""
    return _rules()[_dataset(dataset)]


def _row(model: type[XmlModel], row: XmlModel | Mapping[str, Any]) -> XmlModel:
    if isinstance(row, XmlModel):
        if not isinstance(row, model):
            raise PayloadError(
                "a row of another dataset",
                [FieldError(model.__name__, type(row).__name__, f"rows must be {model.__name__}")],
            )
        return row
    return codec.validate(model, dict(row))


def write_csv(dataset: DatasetName | str, rows: Iterable[XmlModel | Mapping[str, Any]]) -> bytes:
    """The CSV file of ``rows`` (models, or dicts keyed by XML or Python names)."""
    model = row_model(dataset)
    names = columns(dataset)
    fields = list(model.model_fields)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(names)
    for row in rows:
        values = _row(model, row).__dict__
        writer.writerow(
            ["" if values[field] is None else lexical(values[field]) for field in fields]
        )
    return out.getvalue().encode("utf-8")


def text_lines(source: Iterable[bytes], encoding: str = "utf-8") -> Iterator[str]:
    """The lines of a CSV file read as bytes (a binary file), as text for :func:`iter_csv`.

    Decoded line by line, so that a file that is not in ``encoding`` (a Shift_JIS export read
    as UTF-8) is refused with the offset and line of the first byte that shows it, and the
    bytes that do. Splitting bytes into lines before decoding them holds only for an encoding
    whose line ends are the bytes CR and LF and no part of another character (UTF-8, cp932,
    EUC-JP); another (UTF-16) is refused. A line over :data:`MAX_LINE_BYTES` is refused with
    its number; a file is read no further than that into it (iterating a file would read a
    whole line, however long).
    """
    _check_line_encoding(encoding)
    readline = getattr(source, "readline", None)
    if callable(readline):
        source = iter(partial(readline, MAX_LINE_BYTES + 1), b"")
    offset = 0
    for number, line in enumerate(source, start=1):
        if len(line) > MAX_LINE_BYTES:
            raise PayloadError(
                f"the CSV line {number} is too long",
                [
                    FieldError(
                        f"line {number}",
                        None,
                        f"at most {MAX_LINE_BYTES:,} bytes, its end included (report rows are "
                        "far shorter: lines end with CRLF or LF)",
                    )
                ],
            )
        try:
            yield line.decode(encoding)
        except UnicodeDecodeError as exc:
            raise PayloadError(
                f"the CSV is not {encoding} text: byte 0x{line[exc.start]:02x} at offset "
                f"{offset + exc.start} (line {number}) is not {encoding}",
                [
                    FieldError(
                        f"line {number}",
                        line[exc.start : exc.end],
                        f"{encoding} text (pass encoding= naming the file's: cp932 for "
                        "Windows' Shift_JIS)",
                    )
                ],
            ) from None
        offset += len(line)


def _check_line_encoding(encoding: str) -> None:
    """Refuse an ``encoding`` that :func:`text_lines` cannot read a file in line by line: one
    Python does not know, or one whose line end is not the bytes CR LF (UTF-16 writes them
    with a NUL byte each, which would end up at the start of the next line)."""
    try:
        line_end = "\r\n".encode(encoding)
    except LookupError:
        line_end = None
    if line_end is None or not line_end.endswith(b"\r\n"):
        raise PayloadError(
            "the CSV cannot be read in that encoding",
            [
                FieldError(
                    "encoding",
                    encoding,
                    "an encoding whose line ends are the bytes CR LF (utf-8, cp932, euc_jp...)",
                )
            ],
        )


@overload
def iter_csv(dataset: type[ReportRow], lines: Iterable[str]) -> Iterator[ReportRow]: ...
@overload
def iter_csv(dataset: DatasetName | str, lines: Iterable[str]) -> Iterator[XmlModel]: ...
def iter_csv(
    dataset: DatasetName | str | type[ReportRow], lines: Iterable[str]
) -> Iterator[XmlModel]:
    """The rows of a CSV file given line by line (text, line ends kept or not), one at a
    time, so that a large report is never held in memory as a whole. The dataset is named,
    or given as its row model (:data:`ReportRow`) for rows a type checker knows the type of."""
    dataset = _dataset(dataset)
    model = _row_models()[dataset]
    name = model.__name__
    required = {str(info.alias) for info in model.model_fields.values() if info.is_required()}
    records = _records(name, _without_bom(lines))
    first = next(records, None)
    if first is None:
        return
    _, header = first
    if not header:
        # a file of nothing but empty lines is an empty file; a header further down is not one
        later = next(((n, r) for n, r in records if r), None)
        if later is None:
            return
        raise PayloadError(
            f"{name} CSV line 1 is empty",
            [FieldError("line 1", "", f"the header (found on line {later[0]}) as the first line")],
        )
    _check_header(dataset, name, header)
    for number, values in records:
        if not values:
            continue
        if len(values) == 1 and not values[0].strip() and len(header) > 1:
            raise PayloadError(
                f"{name} CSV line {number} holds only white space",
                [FieldError(f"line {number}", values[0], "a row, or no line at all")],
            )
        if len(values) != len(header):
            raise PayloadError(
                f"{name} CSV line {number} is malformed",
                [FieldError(f"line {number}", len(values), f"{len(header)} cells")],
            )
        data = {
            column: value
            for column, value in zip(header, values, strict=True)
            if value != "" or column in required
        }
        yield codec.validate(model, data, tag=f"line {number}")


def _check_header(dataset: DatasetName | str, name: str, header: list[str]) -> None:
    """Refuse a header naming a column the dataset does not have, or one column twice (the
    later cells would silently take the earlier ones' place)."""
    known = set(columns(dataset))
    seen: set[str] = set()
    problems: list[FieldError] = []
    for column in header:
        if column not in known:
            problems.append(FieldError(f"line 1/{column}", column, "not a column of the dataset"))
        elif column in seen:
            problems.append(FieldError(f"line 1/{column}", column, "one column of that name"))
        seen.add(column)
    if problems:
        raise PayloadError(f"the CSV is not of the dataset {name}", problems)


def _without_bom(lines: Iterable[str]) -> Iterator[str]:
    """``lines`` without the byte order mark a first line may start with. It goes before the
    CSV is parsed: left in, it would stand before a quoted first column's opening quote."""
    iterator = iter(lines)
    first = next(iterator, None)
    if first is None:
        return
    yield first.removeprefix(_BOM)
    yield from iterator


_CSV_ERRORS = {
    "new-line character seen in unquoted field": (
        "a carriage return (CR) not followed by a line feed (LF): lines end with CRLF or LF, "
        "and a CR within a value must be quoted"
    ),
    "expected after": "a comma or the line's end after a quoted value's closing quote (a quote "
    "within a quoted value is written twice)",
}
"""What the csv module's own words for a malformed line mean in a report file."""


def _records(name: str, lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """The records of a CSV file of ``name`` rows, each with the number of the line it
    starts on (a quoted value may span lines). What the csv module cannot read (a field over
    its size limit, a quote never closed, a bare CR...) is a :class:`PayloadError` naming the
    line where reading stopped, or for a quote never closed the line of the record holding
    it."""
    reader = csv.reader(lines, strict=True)
    while True:
        start = reader.line_num + 1
        try:
            yield start, next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if str(exc) == "unexpected end of data":
                raise PayloadError(
                    f"{name} CSV line {start} has a quote that is never closed",
                    [
                        FieldError(
                            f"line {start}",
                            None,
                            "a closing quote for the quoted value opened in the row starting "
                            "here (the file ends inside it)",
                        )
                    ],
                ) from None
            rule = next((v for k, v in _CSV_ERRORS.items() if k in str(exc)), str(exc))
            raise PayloadError(
                f"{name} CSV line {reader.line_num} cannot be read",
                [FieldError(f"line {reader.line_num}", None, rule)],
            ) from None


@overload
def read_csv(
    dataset: type[ReportRow], data: bytes | str, *, encoding: str = ...
) -> list[ReportRow]: ...
@overload
def read_csv(
    dataset: DatasetName | str, data: bytes | str, *, encoding: str = ...
) -> list[XmlModel]: ...
def read_csv(
    dataset: DatasetName | str | type[ReportRow], data: bytes | str, *, encoding: str = "utf-8"
) -> list[ReportRow] | list[XmlModel]:
    """The rows of a CSV report file (see the module docstring for its shape), of the
    dataset named or given as its row model (see :func:`iter_csv`); bytes are read in
    ``encoding`` (see :func:`text_lines`). Text, already decoded, is read as its UTF-8 bytes,
    so that it splits into lines, and fails, exactly as the file would (a lone surrogate,
    which no UTF-8 file holds, is refused as such a file's bytes are)."""
    if isinstance(data, str):
        data, encoding = data.encode("utf-8", "surrogatepass"), "utf-8"
    return list(iter_csv(dataset, text_lines(io.BytesIO(data), encoding)))


def write_xml(
    dataset: DatasetName | str,
    rows: Iterable[XmlModel | Mapping[str, Any]],
    **attributes: Any,
) -> bytes:
    """The ``OutboundData`` document of ``rows``; ``attributes`` are the document's own
    (``date``, ``publish_time``, ``dataset_type``...), ``DatasetName`` is set from
    ``dataset``."""
    chosen = _dataset(dataset)
    model = row_model(chosen)
    binding = xml_plan(OutboundData).elements_by_tag[chosen.value]
    document = OutboundData.model_validate(
        {
            **attributes,
            "dataset_name": chosen,
            binding.field_name: [_row(model, row) for row in rows],
        }
    )
    return codec.write(document)


@overload
def read_xml(
    data: bytes, dataset: type[ReportRow]
) -> tuple[DatasetName | None, list[ReportRow]]: ...
@overload
def read_xml(
    data: bytes, dataset: DatasetName | str | None = None
) -> tuple[DatasetName | None, list[XmlModel]]: ...
def read_xml(
    data: bytes, dataset: DatasetName | str | type[ReportRow] | None = None
) -> tuple[DatasetName | None, list[ReportRow]] | tuple[DatasetName | None, list[XmlModel]]:
    """The dataset name and the rows of an ``OutboundData`` document, of the dataset named or
    given as its row model, if one is (see :func:`iter_xml`)."""
    target = _expecting(dataset)
    rows = list(_rows(io.BytesIO(data), target))
    return target.dataset, rows


def dataset_of(file_name: str) -> DatasetName | None:
    """The dataset a report file name starts with (the longest match:
    ``BSP_ResourceList_...`` is ``BSP_ResourceList``, not ``ResourceList``), if any."""
    matching = [d for d in DatasetName if file_name.startswith(d.value)]
    return max(matching, key=lambda d: len(d.value), default=None)


class _Stop(Exception):  # noqa: N818 - control flow, never escapes this module
    """Ends a parse early: what was looked for has been seen."""


class _OutboundTarget:
    """An lxml parser target over an ``OutboundData`` document: validates the document's
    attributes and each row (a row is its attributes, complete at its start tag), collects
    ``MESSAGES/ERROR`` texts, and stops early when told to."""

    def __init__(
        self,
        *,
        stop_at_root: bool = False,
        stop_at_rows: bool = False,
        expected: DatasetName | None = None,
    ) -> None:
        self.root: str | None = None
        self.dataset: DatasetName | None = None
        self.errors: list[str] = []
        self.rows: list[XmlModel] = []
        self._stop_at_root = stop_at_root
        self._stop_at_rows = stop_at_rows
        self._expected = expected
        self._depth = 0
        self._counts: dict[str, int] = {}
        self._error: list[str] | None = None

    @property
    def reads_to_the_end(self) -> bool:
        """Whether it reads the whole document, rather than stopping at its first events."""
        return not (self._stop_at_root or self._stop_at_rows)

    def doctype(self, *_declaration: object) -> None:
        raise doctype_refused("DOCTYPE", None)

    def start(self, tag: str, attributes: Mapping[str, str]) -> None:
        check_attributes(tag, attributes)
        self._depth += 1
        if self._depth == 1:
            self.root = tag
            if self._stop_at_root or tag != "OutboundData":
                raise _Stop
            header = codec.validate(OutboundData, dict(attributes), tag="OutboundData")
            self.dataset = header.dataset_name
            if self.dataset is not None:
                self._check_dataset(self.dataset.value, "OutboundData/@DatasetName")
        elif self._depth == 2 and tag != "MESSAGES":
            if self._stop_at_rows:
                raise _Stop
            number = self._counts[tag] = self._counts.get(tag, 0) + 1
            where = f"OutboundData/{tag}[{number}]"
            try:
                model = row_model(tag)
            except PayloadError:
                raise PayloadError(
                    "not a report row", [FieldError(where, None, "not a dataset of the schema")]
                ) from None
            self._check_dataset(tag, where)
            self.rows.append(codec.validate(model, dict(attributes), tag=where))
        elif self._depth == 3 and tag == "ERROR":
            self._error = []
        elif self._depth >= 3 and self._error is None:
            raise PayloadError(
                "not a report row",
                [FieldError(f"OutboundData/.../{tag}", None, "rows have no child elements")],
            )

    def _check_dataset(self, held: str, where: str) -> None:
        """Refuse a document, or a row, of another dataset than the one expected."""
        if self._expected is not None and held != self._expected.value:
            raise PayloadError(
                f"the report holds the {held} dataset, not {self._expected.value}",
                [FieldError(where, held, f"{self._expected.value}, the dataset asked for")],
            )

    def data(self, text: str) -> None:
        if self._error is not None:
            self._error.append(text)

    def end(self, _tag: str) -> None:
        if self._depth == 3 and self._error is not None:
            self.errors.append(" ".join("".join(self._error).split()))
            self._error = None
        self._depth -= 1

    def close(self) -> None:
        return None


def _parse(source: BinaryIO, target: _OutboundTarget) -> Iterator[XmlModel]:
    """Feeds ``source`` to ``target`` a chunk at a time, yielding the rows read so far."""
    parser = event_parser(target)
    try:
        for _ in feed_events(source, parser, CHUNK_SIZE, to_the_end=target.reads_to_the_end):
            yield from target.rows
            target.rows.clear()
    except _Stop:
        return


@overload
def iter_xml(source: BinaryIO, dataset: type[ReportRow]) -> Iterator[ReportRow]: ...
@overload
def iter_xml(source: BinaryIO, dataset: DatasetName | str | None = None) -> Iterator[XmlModel]: ...
def iter_xml(
    source: BinaryIO, dataset: DatasetName | str | type[ReportRow] | None = None
) -> Iterator[XmlModel]:
    """The rows of an ``OutboundData`` document read from ``source``, one at a time.

    A document names its dataset itself; ``dataset``, named or given as its row model (for
    rows a type checker knows the type of), is the one the caller counts on: a document of
    another is refused with a :class:`PayloadError` naming both, before any row (a row of
    another, in a document that names none, where it is met).
    """
    yield from _rows(source, _expecting(dataset))


def _expecting(dataset: DatasetName | str | type[XmlModel] | None) -> _OutboundTarget:
    """A target reading a whole document, refusing one of another dataset than ``dataset``
    (named or given as its row model) when one is given."""
    return _OutboundTarget(expected=None if dataset is None else _dataset(dataset))


def _rows(source: BinaryIO, target: _OutboundTarget) -> Iterator[XmlModel]:
    """The rows of the document in ``source`` as ``target`` reads them; a document that is no
    ``OutboundData`` is refused once read."""
    yield from _parse(source, target)
    if target.root != "OutboundData":
        raise PayloadError(
            "not a report",
            [FieldError(str(target.root), None, "the root element should be OutboundData")],
        )


def root_element(source: BinaryIO) -> str | None:
    """The name of the root element of the XML document in ``source`` (reads only its start)."""
    target = _OutboundTarget(stop_at_root=True)
    for _ in _parse(source, target):
        pass
    return target.root


def outbound_errors(source: BinaryIO) -> list[str]:
    """The ``MESSAGES/ERROR`` texts of an ``OutboundData`` document (they precede the rows,
    so only the start of the document is read); empty for any other document."""
    return _head(source).errors


def declared_dataset(source: BinaryIO) -> DatasetName | None:
    """The dataset an ``OutboundData`` document names (its ``DatasetName``; only the start of
    the document is read); None for any other document."""
    return _head(source).dataset


def _head(source: BinaryIO) -> _OutboundTarget:
    """What the start of a document says, up to its first row."""
    target = _OutboundTarget(stop_at_rows=True)
    for _ in _parse(source, target):
        pass
    return target
