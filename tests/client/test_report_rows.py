"""Every report dataset's rows survive a report file, XML or CSV, unchanged.

The simulator writes report files with :mod:`mms_client.reports` and the client reads them with
:meth:`~mms_client.files.DownloadedFile.rows`; for random valid rows of each of the sixteen
datasets, what is read back is what was written, in both forms.
"""

from __future__ import annotations

import io

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


def absent_if_empty(row: XmlModel) -> XmlModel:
    """``row`` as a CSV gives it back: an optional attribute holding the empty string is an
    empty cell, which reads as absent."""
    fields = type(row).model_fields
    emptied = {
        n: None for n, info in fields.items() if not info.is_required() and getattr(row, n) == ""
    }
    return row.model_copy(update=emptied)


def test_a_csv_that_is_not_utf8_is_refused_with_its_line() -> None:
    header = ",".join(reports.columns(DatasetName.BSP_RESOURCELIST)).encode()
    shift_jis = header + b"\r\n" + "1,F100,偽会社".encode("cp932") + b"\r\n"
    on_disk = DownloadedFile("BSP_ResourceList_1.csv", "CSV", len(shift_jis), content=shift_jis)
    for read in (lambda: reports.read_csv(DatasetName.BSP_RESOURCELIST, shift_jis), on_disk.rows):
        with pytest.raises(PayloadError, match="the CSV is not UTF-8 text") as caught:
            read()
        [problem] = caught.value.errors
        assert (problem.path, problem.value) == ("line 2", b"\x8b")  # 偽 begins 8B 55


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
    with pytest.raises(PayloadError, match="not a BSP_ResourceList dataset") as caught:
        reports.read_csv(DatasetName.BSP_RESOURCELIST, header)
    error = caught.value
    assert len(error.errors) == 100_000
    assert error.errors[-1].path == "line 1/NoSuchColumn99999"
    assert str(error).count("\n  - line 1/NoSuchColumn") == 20
    assert str(error).endswith("\n  ... and 99980 more (see .errors)")
