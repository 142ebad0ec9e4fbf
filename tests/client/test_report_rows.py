"""Every report dataset's rows survive a report file, XML or CSV, unchanged.

The simulator writes report files with :mod:`mms_client.reports` and the client reads them with
:meth:`~mms_client.files.DownloadedFile.rows`; for random valid rows of each of the sixteen
datasets, what is read back is what was written, in both forms.
"""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path
from typing import get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mms_client import reports
from mms_client.errors import PayloadError
from mms_client.files import DownloadedFile
from mms_client.reports import DatasetName
from mms_client.schema.binding import XmlModel
from schema.strategies import model_strategy


@pytest.mark.parametrize("dataset", list(DatasetName), ids=lambda d: d.value)
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_rows_read_back_from_xml_and_csv_as_written(
    dataset: DatasetName, data: st.DataObject
) -> None:
    model = reports.row_model(dataset)
    rows = data.draw(st.lists(model_strategy(model), min_size=1, max_size=3))
    xml = reports.write_xml(dataset, rows)
    csv = reports.write_csv(dataset, rows)

    from_xml = DownloadedFile(f"{dataset.value}_1.xml", "XML", len(xml), content=xml)
    from_csv = DownloadedFile(f"{dataset.value}_20240315_TX1.csv", "CSV", len(csv), content=csv)
    assert from_xml.rows() == rows
    assert from_csv.rows() == [absent_if_empty(row) for row in rows]
    assert reports.read_xml(xml) == (dataset, rows)
    assert list(reports.iter_xml(io.BytesIO(xml))) == rows


def test_a_type_checker_knows_the_row_model_of_every_dataset() -> None:
    """The row models a type checker takes for naming a dataset (the union the generator
    writes from the catalog's datasets) are those of every dataset, and only those (the
    schema's list of datasets is what the reading follows)."""
    assert set(get_args(reports.ReportRow.__bound__)) == {
        reports.row_model(dataset) for dataset in DatasetName
    }


def absent_if_empty(row: XmlModel) -> XmlModel:
    """``row`` as a CSV gives it back: an optional attribute holding the empty string is an
    empty cell, which reads as absent."""
    fields = type(row).model_fields
    emptied = {
        n: None for n, info in fields.items() if not info.is_required() and getattr(row, n) == ""
    }
    return row.model_copy(update=emptied)


def test_a_csv_that_is_not_utf8_is_refused_with_its_offset_and_line() -> None:
    header = ",".join(reports.columns(DatasetName.BSP_RESOURCELIST)).encode()
    shift_jis = header + b"\r\n" + "1,F100,偽会社".encode("cp932") + b"\r\n"
    on_disk = DownloadedFile("BSP_ResourceList_1.csv", "CSV", len(shift_jis), content=shift_jis)
    offset = len(header) + len(b"\r\n1,F100,")
    for read, named in [
        (lambda: reports.read_csv(DatasetName.BSP_RESOURCELIST, shift_jis), ""),
        (on_disk.rows, "BSP_ResourceList_1.csv (read as BSP_ResourceList): "),
    ]:
        with pytest.raises(PayloadError) as caught:
            read()
        assert caught.value.summary == (
            f"{named}the CSV is not utf-8 text: byte 0x8b at offset {offset} (line 2) is not utf-8"
        )
        [problem] = caught.value.errors
        assert (problem.path, problem.value) == ("line 2", b"\x8b")  # 偽 begins 8B 55
        assert "pass encoding=" in problem.rule


def test_a_csv_in_another_encoding_reads_in_the_encoding_given() -> None:
    """The MMS's interface documents do not say which encoding its CSV reports are in, and
    Japanese systems often write Shift_JIS (Windows' cp932): ``encoding=`` reads such a file,
    its header names and Japanese values intact, as a UTF-8 one starting with a byte order
    mark is read by default."""
    text = f"{H}\r\n{R1.replace('FAKECO', '髙橋電力')}\r\n"
    for data, encoding in [(text.encode("cp932"), "cp932"), (text.encode("utf-8-sig"), "utf-8")]:
        on_disk = DownloadedFile("BSP_ResourceList_1.csv", "CSV", len(data), content=data)
        for rows in (
            reports.read_csv(DatasetName.BSP_RESOURCELIST, data, encoding=encoding),
            on_disk.rows(encoding=encoding),
            list(on_disk.iter_rows(encoding=encoding)),
        ):
            [row] = rows
            assert (row.company_short_name, row.resource_name) == ("髙橋電力", "FAKE_RESO")


def test_a_csv_encoding_that_cannot_be_read_line_by_line_is_refused_naming_it() -> None:
    data = f"{H}\r\n{R1}\r\n".encode("utf-16")
    for encoding in ("utf-16", "no-such-encoding"):
        with pytest.raises(PayloadError, match="cannot be read in that encoding") as caught:
            reports.read_csv(DatasetName.BSP_RESOURCELIST, data, encoding=encoding)
        [problem] = caught.value.errors
        assert (problem.path, problem.value) == ("encoding", encoding)


def test_a_csv_field_the_csv_module_cannot_read_is_refused_with_its_line() -> None:
    header = ",".join(reports.columns(DatasetName.BSP_RESOURCELIST)).encode()
    huge = header + b"\r\n" + b"a" * 200_000 + b"\r\n"
    on_disk = DownloadedFile("BSP_ResourceList_1.csv", "CSV", len(huge), content=huge)
    for read in (lambda: reports.read_csv(DatasetName.BSP_RESOURCELIST, huge), on_disk.rows):
        with pytest.raises(
            PayloadError, match="BSP_ResourceList CSV line 2 cannot be read"
        ) as caught:
            read()
        [problem] = caught.value.errors
        assert problem.path == "line 2"
        assert "field larger than field limit" in problem.rule


def test_a_header_of_many_unknown_columns_lists_a_few_and_keeps_them_all() -> None:
    header = b"ROW," + b",".join(b"NoSuchColumn%d" % n for n in range(100_000)) + b"\r\n"
    with pytest.raises(PayloadError, match="not of the dataset BSP_ResourceList") as caught:
        reports.read_csv(DatasetName.BSP_RESOURCELIST, header)
    error = caught.value
    assert len(error.errors) == 100_000
    assert error.errors[-1].path == "line 1/NoSuchColumn99999"
    assert str(error).count("\n  - line 1/NoSuchColumn") == 20
    assert str(error).endswith("\n  ... and 99980 more (see .errors)")


H = ",".join(reports.columns(DatasetName.BSP_RESOURCELIST))
R1 = "1,F100,FAKECO,2024-03-15,,FAKE,FAKE_RESO,FSYS1,01,true,,,,,1,,,,,1,0,0,0,0,0"


def refusal(data: bytes) -> PayloadError:
    """The error reading ``data`` as a BSP_ResourceList CSV raises."""
    with pytest.raises(PayloadError) as caught:
        reports.read_csv(DatasetName.BSP_RESOURCELIST, data)
    return caught.value


def test_a_valid_row_reads() -> None:
    [row] = reports.read_csv(DatasetName.BSP_RESOURCELIST, f"{H}\r\n{R1}\r\n".encode())
    assert (row.resource_name, row.area.value) == ("FAKE_RESO", "01")


def test_a_repeated_column_is_refused_naming_it() -> None:
    error = refusal(f"{H},Area\r\n{R1},03\r\n".encode())
    assert str(error).startswith("the CSV is not of the dataset BSP_ResourceList")
    [problem] = error.errors
    assert (problem.path, problem.value, problem.rule) == (
        "line 1/Area",
        "Area",
        "one column of that name",
    )


def test_errors_name_the_line_a_row_starts_on() -> None:
    spanning = R1.replace("FAKECO", '"A\r\nB\r\nC"')  # a value over three lines
    bad = R1.replace(",01,", ",99,")
    error = refusal(f"{H}\r\n{spanning}\r\n{bad}\r\n".encode())
    assert [p.path for p in error.errors] == ["line 5/@Area"]
    malformed = refusal(f"{H}\r\n{spanning}\r\n\r\n1,2\r\n".encode())
    assert str(malformed).startswith("BSP_ResourceList CSV line 6 is malformed")


def test_a_byte_order_mark_goes_before_a_quoted_header() -> None:
    quoted = ",".join(f'"{c}"' for c in reports.columns(DatasetName.BSP_RESOURCELIST))
    data = f"\ufeff{quoted}\r\n{R1}\r\n".encode()
    assert [r.resource_name for r in reports.read_csv(DatasetName.BSP_RESOURCELIST, data)] == [
        "FAKE_RESO"
    ]
    for empty in (b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n", "\ufeff", "\ufeff\r\n", b"", b"\r\n"):
        assert reports.read_csv(DatasetName.BSP_RESOURCELIST, empty) == []


def test_malformed_lines_say_what_is_wrong_and_where() -> None:
    blank_first = refusal(f"\r\n{H}\r\n{R1}\r\n".encode())
    assert str(blank_first).startswith("BSP_ResourceList CSV line 1 is empty")
    assert blank_first.errors[0].rule == "the header (found on line 2) as the first line"

    blanks = refusal(f"{H}\r\n{R1}\r\n   \r\n".encode())
    assert str(blanks).startswith("BSP_ResourceList CSV line 3 holds only white space")
    assert reports.read_csv(DatasetName.BSP_RESOURCELIST, f"{H}\r\n{R1}\r\n\r\n".encode())

    open_quote = refusal(
        f"{H}\r\n{R1}\r\n{R1.replace('FAKECO', chr(34) + 'FAKECO')}\r\n{R1}\r\n".encode()
    )
    assert str(open_quote).startswith(
        "BSP_ResourceList CSV line 3 has a quote that is never closed"
    )
    assert open_quote.errors[0].path == "line 3"

    bare_cr = refusal(f"{H}\r{R1}\r".encode())
    assert str(bare_cr).startswith("BSP_ResourceList CSV line 1 cannot be read")
    assert bare_cr.errors[0].rule.startswith("a carriage return (CR) not followed by a line feed")
    assert "universal-newline" not in str(bare_cr)

    after_quote = refusal(
        f"{H}\r\n{R1.replace('FAKECO', chr(34) + 'FAKE' + chr(34) + 'CO')}\r\n".encode()
    )
    assert str(after_quote).startswith("BSP_ResourceList CSV line 2 cannot be read")
    assert after_quote.errors[0].rule.startswith("a comma or the line's end after a quoted value")


def test_errors_reading_a_downloaded_file_name_it_and_its_dataset() -> None:
    data = f"{H}\r\n{R1}\r\n{R1.replace(',01,', ',99,')}\r\n".encode()
    named = DownloadedFile("BSP_ResourceList_F100_20240315_TX1.csv", "CSV", len(data), content=data)
    chosen = DownloadedFile("resources.csv", "CSV", len(data), content=data)
    for file, read in (
        (named, named.rows),
        (chosen, lambda: chosen.rows(DatasetName.BSP_RESOURCELIST)),
    ):
        with pytest.raises(PayloadError) as caught:
            read()
        assert str(caught.value).startswith(f"{file.name} (read as BSP_ResourceList): ")
        assert caught.value.errors[0].path == "line 3/@Area"

    xml = reports.write_xml(DatasetName.BSP_RESOURCELIST, []).replace(b"><", b"><Nope/><")
    broken = DownloadedFile("BSP_ResourceList_F100_20240315_TX2.xml", "XML", len(xml), content=xml)
    with pytest.raises(
        PayloadError, match=r"^BSP_ResourceList_F100_20240315_TX2\.xml: not a report row"
    ):
        broken.rows()


def test_a_line_too_long_is_refused_after_reading_no_more_than_the_bound(tmp_path: Path) -> None:
    """A file without line ends is not read into memory whole before it is refused."""
    path = tmp_path / "BSP_ResourceList_F100_20240315_TX1.csv"
    with path.open("wb") as out:
        out.write(f"{H}\r\n".encode())
        for _ in range(8):
            out.write(b"x" * reports.MAX_LINE_BYTES)
    on_disk = DownloadedFile(path.name, "CSV", path.stat().st_size, path=path)
    tracemalloc.start()
    try:
        with pytest.raises(PayloadError) as caught:
            on_disk.rows()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * reports.MAX_LINE_BYTES  # the file holds eight times as much
    assert str(caught.value).startswith(f"{path.name} (read as BSP_ResourceList): the CSV line 2")
    [problem] = caught.value.errors
    assert problem.path == "line 2"
    assert problem.rule.startswith(f"at most {reports.MAX_LINE_BYTES:,} bytes")


def test_a_line_of_the_bound_is_read_and_one_more_byte_is_refused() -> None:
    """The bound counts the line's end; a long line is refused in bytes and in text alike.
    (A line of the bound gets as far as the csv module, whose field limit it exceeds.)"""
    padding = reports.MAX_LINE_BYTES - len(R1) - len("\r\n")
    longest = f"{H}\r\n{R1}{' ' * padding}\r\n"
    with pytest.raises(PayloadError, match="line 2 cannot be read") as caught:
        reports.read_csv(DatasetName.BSP_RESOURCELIST, longest)
    assert "field larger than field limit" in caught.value.errors[0].rule
    too_long = f"{longest[:-2]} \r\n"
    for data in (too_long, too_long.encode()):
        with pytest.raises(PayloadError, match="the CSV line 2 is too long"):
            reports.read_csv(DatasetName.BSP_RESOURCELIST, data)


@pytest.mark.parametrize(
    "text",
    [
        f"{H}\r\n{R1}\r\n",
        f"{H}\n{R1}\n",
        f"{H}\r{R1}\r",
        f"{H}\r\n{R1}\r{R1}\r\n",
        f"{H}\r\n" + R1.replace("FAKECO", "FAKE\rCO") + "\r\n",
        f"{H}\r\n" + R1.replace("FAKECO", '"FAKE\rCO"') + "\r\n",
        f"{H}\r\n" + R1.replace("FAKECO", '"FAKE\r\nCO"') + f"\r\n{R1}\r\n",
        f"{H}\r\n\r\n" + R1.replace(",01,", ",99,") + "\r\n",
        f"{H}\r\n" + R1.replace("FAKECO", "\ud800") + "\r\n",
    ],
    ids=[
        "crlf",
        "lf",
        "bare-cr-line-ends",
        "bare-cr-between-rows",
        "bare-cr-in-a-value",
        "cr-in-a-quoted-value",
        "crlf-in-a-quoted-value",
        "an-error-after-an-empty-line",
        "a-lone-surrogate",
    ],
)
def test_text_reads_as_its_utf8_bytes_do(text: str) -> None:
    """The same rows, or the same error at the same line, whether a CSV is str or bytes."""

    def outcome(data: str | bytes) -> object:
        try:
            return reports.read_csv(DatasetName.BSP_RESOURCELIST, data)
        except PayloadError as exc:
            return str(exc), exc.errors

    assert outcome(text) == outcome(text.encode("utf-8", "surrogatepass"))
