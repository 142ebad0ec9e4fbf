"""Files both ways over real HTTPS: attachments sent with requests, reports and settlement
files downloaded into memory or streamed to disk, typed rows of XML and CSV reports."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import errno
import hashlib
import io
import json
import logging
import os
import re
import stat
import subprocess
import sys
import threading
import unicodedata
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from benchmarks.sim_host import report_rows
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from mms_client import reports
from mms_client.client import AsyncMmsClient, MmsClient
from mms_client.errors import (
    AudienceError,
    ConfigurationError,
    DestinationError,
    DownloadWriteError,
    FieldError,
    MalformedResponseError,
    MMSClientError,
    MMSValidationError,
    PayloadError,
)
from mms_client.examples import example_request
from mms_client.files import DownloadedFile
from mms_client.plugins import Plugin
from mms_client.schema.generated import mi_market, mi_outbnd_reports, mi_report, mpr, omi
from mms_client.schema.generated.mi_outbnd_reports import (
    BSP_Offers,
    BSP_ResourceList,
    DatasetName,
)
from mms_client.security.certs import Certificate
from mms_client.sim.simulator import Simulator
from mms_client.types.market import MarketType
from mms_client.types.offer import Direction, OfferData, OfferStack
from mms_client.wire.soap import Attachment

from .conftest import NO_WAIT, Recorder, run_with_a_file_size_limit

DAY = dt.date(2024, 3, 15)
SETTLEMENT_FILE = "T100_F100_202403_MONTHLY.csv"


@pytest.fixture(scope="module")
def simulator(
    mms_simulator_pki: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Simulator]:
    """One simulator for this module: the tests below add to its state, never depend on it
    being empty."""
    with Simulator(tmp_path_factory.mktemp("files"), pki_source=mms_simulator_pki) as started:
        yield started


def client(simulator: Simulator, client_type: str = "BSP") -> MmsClient:
    return simulator.client(client_type, retry=NO_WAIT)


def resource_list(**changes: object) -> mi_report.ReportCreateRequest:
    request = mi_report.ReportCreateRequest(
        report_name="BSP_ResourceList",
        report_type=mi_report.ReportType.REGISTRATION,
        report_sub_type=mi_report.ReportSubType.RESOURCE,
        periodicity=mi_report.Periodicity.ON_DEMAND,
        date=DAY,
    )
    return request.model_copy(update=changes)


def by_transaction(created: object) -> mi_report.ReportDownloadRequestTrnID:
    transaction_id = getattr(created, "transaction_id")  # noqa: B009 - typed by the caller
    return mi_report.ReportDownloadRequestTrnID(transaction_id=transaction_id)


def test_a_report_is_created_listed_and_downloaded(simulator: Simulator, tmp_path: Path) -> None:
    with client(simulator) as bsp:
        created = bsp.create_report(resource_list())
        assert created.request.validation_status == mi_report.ValidationStatus.PASSED
        listing = bsp.list_reports(
            mi_report.ReportListRequest(
                report_type="REGISTRATION",
                report_sub_type="RESOURCE",
                periodicity="ON_DEMAND",
                date=DAY,
            )
        )
        [item] = [i for i in listing.report_item if i.transaction_id == created.transaction_id]
        assert item.report_name == "BSP_ResourceList" and item.file_type == mi_report.FileType.XML

        in_memory = bsp.download_report(by_transaction(created))
        assert (in_memory.name, in_memory.data_type, in_memory.path) == (
            item.file_name,
            "XML",
            None,
        )
        rows = in_memory.rows()
        assert rows and all(isinstance(row, BSP_ResourceList) for row in rows)
        assert {row.participant_name for row in rows} == {"F100"}  # a BSP sees its own

        saved = bsp.download_report(by_transaction(created), to=tmp_path / "resources.xml")
    assert saved.path == tmp_path / "resources.xml" and saved.content is None
    assert saved.path.read_bytes() == in_memory.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["resources.xml"]  # no temporary left over
    assert [r.resource_name for r in saved.rows()] == [r.resource_name for r in rows]


def resource_lists(simulator: Simulator) -> tuple[DownloadedFile, DownloadedFile]:
    """F100's resource list, downloaded as an XML report and as a CSV one."""
    with client(simulator) as bsp:
        xml = bsp.download_report(by_transaction(bsp.create_report(resource_list())))
        csv = bsp.download_report(
            by_transaction(
                bsp.create_report(
                    resource_list(param=[mi_report.Param(name="FILE_TYPE", value="CSV")])
                )
            )
        )
    return xml, csv


def test_a_csv_report_has_the_same_typed_rows(simulator: Simulator) -> None:
    xml, csv = resource_lists(simulator)
    assert csv.data_type == "CSV" and csv.name.endswith(".csv")
    assert csv.read_bytes().startswith(b"ROW,")
    assert csv.rows() == xml.rows()
    assert csv.dataset() == xml.dataset() == DatasetName.BSP_RESOURCELIST


def test_rows_read_with_their_row_model_are_the_rows_of_that_model(simulator: Simulator) -> None:
    """Given the dataset's row model, rows come typed (for a type checker) and are the rows
    read without it, from an XML or a CSV report, a downloaded file or its bytes."""
    xml, csv = resource_lists(simulator)
    rows = xml.rows()
    assert rows and all(isinstance(row, BSP_ResourceList) for row in rows)
    assert xml.rows(BSP_ResourceList) == list(xml.iter_rows(BSP_ResourceList)) == rows
    assert csv.rows(BSP_ResourceList) == list(csv.iter_rows(BSP_ResourceList)) == rows
    assert reports.read_csv(BSP_ResourceList, csv.read_bytes()) == rows
    with xml.open() as source:
        assert list(reports.iter_xml(source, BSP_ResourceList)) == rows


def test_an_xml_report_read_whole_takes_the_row_model_as_one_read_row_by_row(
    simulator: Simulator,
) -> None:
    """``reports.read_xml`` reads a downloaded report's bytes as ``iter_xml`` reads its file:
    given the dataset's row model or name, its rows come typed so, and a report of another
    dataset is refused naming both."""
    xml, _ = resource_lists(simulator)
    data, rows = xml.read_bytes(), xml.rows()
    for dataset in (BSP_ResourceList, "BSP_ResourceList", None):
        assert reports.read_xml(data, dataset) == (DatasetName.BSP_RESOURCELIST, rows)
    for other in (BSP_Offers, "BSP_Offers"):
        with pytest.raises(PayloadError) as caught:
            reports.read_xml(data, other)
        assert caught.value.summary == (
            "the report holds the BSP_ResourceList dataset, not BSP_Offers"
        )


def test_rows_read_with_the_model_of_another_dataset_are_refused_naming_both(
    simulator: Simulator,
) -> None:
    """A report holds one dataset; asked for the rows of another, by its model or its name,
    it is refused before any row, naming the file, the dataset it holds and the one asked
    for. A model of no dataset is refused as such."""
    with client(simulator) as bsp:
        report = bsp.download_report(by_transaction(bsp.create_report(resource_list())))
    for dataset in (BSP_Offers, "BSP_Offers"):
        rows = report.iter_rows(dataset)
        with pytest.raises(PayloadError) as caught:
            next(rows)
        assert caught.value.summary == (
            f"{report.name}: the report holds the BSP_ResourceList dataset, not BSP_Offers"
        )
        assert caught.value.errors == (
            FieldError(
                "OutboundData/@DatasetName",
                "BSP_ResourceList",
                "BSP_Offers, the dataset asked for",
            ),
        )
    with pytest.raises(PayloadError) as caught:
        report.rows(mi_outbnd_reports.OutboundData)  # type: ignore[type-var]
    assert caught.value.summary == f"{report.name}: not a report row model"
    assert caught.value.errors[0].value == "OutboundData"


def test_report_files_are_named_as_documented(simulator: Simulator) -> None:
    """``<ReportName>_<participant>_<YYYYMMDD>_<TransactionId>``, as the reports module and
    the docs show them, so that the dataset of a CSV report is read from its name."""
    with client(simulator) as bsp:
        created = bsp.create_report(
            resource_list(param=[mi_report.Param(name="FILE_TYPE", value="CSV")])
        )
        report = bsp.download_report(by_transaction(created))
    assert report.name == f"BSP_ResourceList_F100_20240315_{created.transaction_id}.csv"
    assert "``<ReportName>_<participant>_<YYYYMMDD>_<TransactionId>.csv``" in (
        reports.__doc__ or ""
    )
    shown = re.findall(r"``(\w+_\d{8}_\w+\.csv)``", reports.__doc__ or "")
    assert shown == ["BSP_ResourceList_F100_20240315_TX12345678.csv"]
    assert report.rows()


def test_to_takes_a_path_not_a_file_object(simulator: Simulator, tmp_path: Path) -> None:
    with client(simulator) as bsp:
        request = by_transaction(bsp.create_report(resource_list()))
        before = simulator.count(processed=False)
        with (tmp_path / "r.xml").open("wb") as opened:
            for wrong, kind in [(opened, "BufferedWriter"), (io.BytesIO(), "BytesIO")]:
                with pytest.raises(ConfigurationError, match=r"^to= takes a path") as caught:
                    bsp.download_report(request, to=wrong)  # type: ignore[arg-type]
                assert f"not {kind};" in str(caught.value)
        assert simulator.count(processed=False) == before  # nothing was sent
    assert (tmp_path / "r.xml").read_bytes() == b""


def test_to_that_names_no_path_is_refused_in_its_own_words(
    simulator: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An empty ``to`` is not the current folder (``to='.' is a folder``, of a '.' the caller
    never wrote), and a NUL in it is not the operating system's ValueError."""
    monkeypatch.chdir(tmp_path)
    with client(simulator) as bsp:
        request = by_transaction(bsp.create_report(resource_list()))
        before = simulator.count(processed=False)
        for wrong, problem in [
            ("", r"^to= is empty; it takes a path"),
            ("a\x00.xml", r"^to= must not contain a NUL character; got 'a\\x00.xml'"),
        ]:
            with pytest.raises(ConfigurationError, match=problem):
                bsp.download_report(request, to=wrong)
        assert simulator.count(processed=False) == before  # nothing was sent
    assert list(tmp_path.iterdir()) == []


def test_a_report_to_a_path_written_as_a_folder_is_refused(
    simulator: Simulator, tmp_path: Path
) -> None:
    """``reports/`` names a folder, whether one is there or not: the report is not saved as
    a file called ``reports``, nor over a file of that name, which a path ending in a
    separator never names."""
    (tmp_path / "old.xml").write_text("an older report")
    with client(simulator) as bsp:
        request = by_transaction(bsp.create_report(resource_list()))
        before = simulator.count(processed=False)
        for written in (f"{tmp_path / 'reports'}{os.sep}", f"{tmp_path / 'old.xml'}{os.sep}"):
            with pytest.raises(DestinationError, match="is written as a folder") as caught:
                bsp.download_report(request, to=written)
            assert written in caught.value.problem and "name the file" in caught.value.problem
        assert simulator.count(processed=False) == before  # nothing was sent
    assert [p.name for p in tmp_path.iterdir()] == ["old.xml"]
    assert (tmp_path / "old.xml").read_text() == "an older report"


def test_a_saved_file_keeps_the_mode_it_replaces_or_gets_the_umasks(
    simulator: Simulator, tmp_path: Path
) -> None:
    """Not the owner-only mode of the temporary file it was written to."""
    (tmp_path / "shared.xml").write_text("an older report")
    (tmp_path / "shared.xml").chmod(0o664)
    previous = os.umask(0o027)
    try:
        with client(simulator) as bsp:
            request = by_transaction(bsp.create_report(resource_list()))
            bsp.download_report(request, to=tmp_path / "shared.xml")
            bsp.download_report(request, to=tmp_path / "new.xml")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "shared.xml").stat().st_mode) == 0o664
    assert stat.S_IMODE((tmp_path / "new.xml").stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.xml", "shared.xml"]


def test_the_resource_list_downloads_as_typed_rows_by_the_established_name(
    simulator: Simulator,
) -> None:
    offers = resource_list(
        report_name="BSP_Offers",
        report_type=mi_report.ReportType.INTERFACE,
        report_sub_type=mi_report.ReportSubType.OFFERS,
        param=[
            mi_report.Param(name="START_TIME", value="2024-03-15"),
            mi_report.Param(name="END_TIME", value="2024-03-16"),
        ],
    )
    with client(simulator) as bsp:
        created = bsp.create_report(resource_list())
        rows = bsp.list_bsp_resources(by_transaction(created))
        assert rows == bsp.download_report(by_transaction(created)).rows()
        assert rows and all(isinstance(row, BSP_ResourceList) for row in rows)

        other = bsp.create_report(offers)
        with pytest.raises(MMSClientError) as caught:
            bsp.list_bsp_resources(by_transaction(other))
    # the MMS answered: the request was sent, and sent again would get the same answer
    assert type(caught.value) is MMSClientError
    assert caught.value.operation == "ReportDownloadRequestTrnID"
    assert str(caught.value) == (
        "ReportDownloadRequestTrnID: the report of that TransactionId holds the BSP_Offers "
        "dataset, not the BSP_ResourceList dataset: the TransactionId is of another report"
    )


def test_an_unknown_report_is_refused_with_the_mms_message(simulator: Simulator) -> None:
    with client(simulator) as bsp, pytest.raises(MMSValidationError) as caught:
        bsp.download_report(mi_report.ReportDownloadRequestTrnID(transaction_id="NOSUCH01"))
    assert any("E_REPORT_NOT_FOUND" in m.text for m in caught.value.messages)


async def test_the_async_client_downloads_to_disk_too(simulator: Simulator, tmp_path: Path) -> None:
    bsp: AsyncMmsClient = simulator.async_client("BSP", retry=NO_WAIT)
    async with bsp:
        created = await bsp.create_report(resource_list())
        saved = await bsp.download_report(by_transaction(created), to=tmp_path / "r.xml")
    assert saved.path is not None and saved.path.stat().st_size == saved.size > 0
    assert saved.rows()


def test_settlement_files_travel_as_attachments_both_ways(
    simulator: Simulator, tmp_path: Path
) -> None:
    content = "精算,kWh\r\nFAKE_RESO,1200\r\n".encode()
    upload = tmp_path / SETTLEMENT_FILE
    upload.write_bytes(content)
    announced = mi_market.SettlementResultsSubmit(
        file=[mi_market.SettlementFile(name=SETTLEMENT_FILE, participant_name="F100")]
    )
    with client(simulator, "TSO") as tso:
        accepted = tso.put_settlement_results(announced, files=[upload])
    assert accepted.success and accepted.file[0].file_size == len(content)

    wanted = mi_market.SettlementResultsFileDownloadQuery(
        file=[mi_market.SettlementFile(name=SETTLEMENT_FILE)]
    )
    with client(simulator) as bsp:
        listed = bsp.query_settlement_results(mi_market.SettlementResultsFileListQuery())
        assert SETTLEMENT_FILE in {f.name for result in listed for f in result.file}
        # the established client's name for the same query
        assert bsp.get_settlement_results(mi_market.SettlementResultsFileListQuery()) == listed
        [in_memory] = bsp.query_settlement_result_files(wanted)
        [saved] = bsp.query_settlement_result_files(wanted, to=tmp_path / "downloads")
    assert (in_memory.name, in_memory.data_type, in_memory.read_bytes()) == (
        SETTLEMENT_FILE,
        "CSV",
        content,
    )
    assert saved.path == tmp_path / "downloads" / SETTLEMENT_FILE
    assert saved.path.read_bytes() == content
    (tmp_path / "made-here").touch()  # what the umask gives a new file
    assert saved.path.stat().st_mode == (tmp_path / "made-here").stat().st_mode  # not 0o600
    for file in (in_memory, saved):  # no dataset fits, whatever the file is named
        with pytest.raises(PayloadError, match=f"^{SETTLEMENT_FILE} is not a report dataset"):
            file.rows()


def test_the_settlement_file_list_selects_files_by_their_settlement_date(
    simulator: Simulator, tmp_path: Path
) -> None:
    """Without StartTime/EndTime a query selects by the envelope's Date and NumOfDays; a
    settlement file's date is its SttlDate (a file without one is listed on any Date)."""
    names = {
        dt.date(2026, 10, 31): "T100_F100_202610_DAILY.csv",
        dt.date(2026, 11, 2): "T100_F100_202611_DAILY.csv",
    }
    for name in names.values():
        (tmp_path / name).write_bytes(b"ParticipantName\r\nF100\r\n")
    announced = mi_market.SettlementResultsSubmit(
        file=[
            mi_market.SettlementFile(name=name, participant_name="F100", sttl_date=day)
            for day, name in names.items()
        ]
    )
    with client(simulator, "TSO") as tso:
        tso.put_settlement_results(announced, files=[tmp_path / name for name in names.values()])

    def listed(day: dt.date, days: int = 1) -> set[str]:
        with client(simulator) as bsp:
            found = bsp.query_settlement_results(
                mi_market.SettlementResultsFileListQuery(), days=days, date=day
            )
        return {f.name for result in found for f in result.file} & set(names.values())

    assert listed(dt.date(2020, 1, 1)) == set()
    assert listed(dt.date(2026, 10, 31)) == {names[dt.date(2026, 10, 31)]}
    assert listed(dt.date(2026, 11, 1)) == set()
    assert listed(dt.date(2026, 10, 31), days=3) == set(names.values())
    assert listed(dt.date(2030, 1, 1)) == set()


def test_a_file_name_xml_cannot_carry_is_never_sent(simulator: Simulator) -> None:
    announced = mi_market.SettlementResultsSubmit(
        file=[mi_market.SettlementFile(name=SETTLEMENT_FILE, participant_name="F100")]
    )
    before = simulator.count(processed=False)
    with client(simulator, "TSO") as tso, pytest.raises(PayloadError, match=r"\[2\]/name"):
        tso.put_settlement_results(
            announced, files=[Attachment(SETTLEMENT_FILE, b"x"), Attachment("a\x0b.csv", b"y")]
        )
    assert simulator.count(processed=False) == before


def test_a_file_the_payload_names_must_come_along(simulator: Simulator) -> None:
    """The MMS would refuse it (E_ATTACHMENT_MISSING); it is refused before it is sent."""
    announced = mi_market.SettlementResultsSubmit(
        file=[
            mi_market.SettlementFile(name=SETTLEMENT_FILE, participant_name="F100"),
            mi_market.SettlementFile(name="T100_F100_202404_MONTHLY.csv", participant_name="F100"),
        ]
    )
    before = simulator.count(processed=False)
    with client(simulator, "TSO") as tso, pytest.raises(PayloadError) as caught:
        tso.put_settlement_results(announced, files=[Attachment(SETTLEMENT_FILE, b"x")])
    assert caught.value.errors == (
        FieldError(
            "MarketData/MarketSubmit/SettlementResults/File[2]/@Name",
            "T100_F100_202404_MONTHLY.csv",
            "names a file that does not come with the request",
        ),
    )
    assert simulator.count(processed=False) == before


def test_a_file_named_in_decomposed_kana_is_told_apart_from_the_name_it_spells(
    simulator: Simulator,
) -> None:
    """ガ is one character, or カ and a combining voiced mark (U+3099), as macOS writes file
    names: a file from there spells the payload's 審査ガイド.pdf otherwise, and the two names,
    which look alike, must be told apart for the user to see what differs."""
    composed = "審査ガイド.pdf"
    decomposed = unicodedata.normalize("NFD", composed)
    [evaluation] = example_request("RegistrationSubmit_ResourceEvaluation").items
    assert isinstance(evaluation, mpr.ResourceEvaluationSubmit) and evaluation.attachment
    named = evaluation.model_copy(
        update={"attachment": evaluation.attachment.model_copy(update={"file_name": composed})}
    )
    before = simulator.count(processed=False)
    with client(simulator, "MO") as mo, pytest.raises(PayloadError) as caught:
        mo.put_resource_evaluation(named, files=[Attachment(decomposed, b"%PDF-1.4")])
    rules = [error.rule for error in caught.value.errors]
    assert rules == [
        "names a file that does not come with the request; one comes named "
        f"{decomposed!a}, the same name in other Unicode characters (a letter and a "
        "combining mark, as macOS writes file names): give it in one form in both",
        "sent with the request but named nowhere in the payload; the payload names "
        f"{composed!a}, the same name in other Unicode characters (a letter and a "
        "combining mark, as macOS writes file names): give it in one form in both",
    ]
    assert simulator.count(processed=False) == before


def test_a_file_the_payload_does_not_name_is_not_sent(simulator: Simulator) -> None:
    """The MMS would take the request and ignore the file: the sender would believe it
    delivered."""
    announced = mi_market.SettlementResultsSubmit(
        file=[mi_market.SettlementFile(name=SETTLEMENT_FILE, participant_name="F100")]
    )
    files = [Attachment(SETTLEMENT_FILE, b"x"), Attachment("T100_F100_202403_MONTHLY.pdf", b"y")]
    before = simulator.count(processed=False)
    with client(simulator, "TSO") as tso, pytest.raises(PayloadError) as caught:
        tso.put_settlement_results(announced, files=files)
    assert caught.value.errors == (
        FieldError(
            "attachmentData[2]/name",
            "T100_F100_202403_MONTHLY.pdf",
            "sent with the request but named nowhere in the payload",
        ),
    )
    with client(simulator) as bsp, pytest.raises(PayloadError, match="which names no file"):
        bsp.call(
            "MarketSubmit_OfferData",
            OfferData(
                stack=[OfferStack(number=1, unit_price=100, minimum_quantity_kw=100)],
                resource="FAKE_RESO",
                start=dt.datetime(2024, 3, 15, 12),
                end=dt.datetime(2024, 3, 15, 15),
                direction=Direction.SELL,
            ),
            market_type=MarketType.DAY_AHEAD,
            date=DAY,
            attachments=[Attachment("offer.csv", b"z")],
        )
    assert simulator.count(processed=False) == before


def test_a_registration_document_kept_as_it_is_needs_no_file(simulator: Simulator) -> None:
    """Action NONE keeps the document the MMS holds: its FileName names no file to send,
    while the DR pattern's other document, NEW, does."""
    example = example_request("RegistrationSubmit_DrPattern")
    pattern = example.items[0].model_dump(by_alias=True, exclude_none=True)
    kept = {**pattern["CustomerListAttachment"], "Action": "NONE"}
    new = {"FileName": "DR_evaluation_FAKE_RESO2_2024-06.pdf", "Action": "NEW"}
    with client(simulator) as bsp, pytest.raises(PayloadError) as caught:
        bsp.call(
            "RegistrationSubmit_DrPattern",
            {**pattern, "CustomerListAttachment": kept, "EvaluationAttachment": new},
        )
    assert [(e.path, e.value) for e in caught.value.errors] == [
        (
            "RegistrationData/RegistrationSubmit/DrPattern[1]/EvaluationAttachment/@FileName",
            "DR_evaluation_FAKE_RESO2_2024-06.pdf",
        )
    ]


@pytest.mark.parametrize(
    ("method", "payload", "limit"),
    [
        (
            "put_settlement_results",
            mi_market.SettlementResultsSubmit(
                file=[mi_market.SettlementFile(name=SETTLEMENT_FILE)]
            ),
            40,
        ),
        ("put_omi_baseline_load", omi.BaselineLoadSubmit(), 20),
    ],
)
@pytest.mark.parametrize("given", ["attachments", "paths"])
def test_too_many_attachments_are_refused_before_sending(
    simulator: Simulator, method: str, payload: object, limit: int, given: str, tmp_path: Path
) -> None:
    """... and before a file is read: paths that lead nowhere are refused for their number,
    as a list of large files would be, unread."""
    before = simulator.count(processed=False)
    files = [
        Attachment(f"f{n}.csv", b"x") if given == "attachments" else tmp_path / f"f{n}.csv"
        for n in range(limit + 1)
    ]
    caller = "TSO" if method == "put_settlement_results" else "BSP"
    with client(simulator, caller) as sender, pytest.raises(PayloadError, match=f"at most {limit}"):
        getattr(sender, method)(payload, files=files)
    assert simulator.count(processed=False) == before


def test_two_attachments_of_one_name_are_refused_before_sending(simulator: Simulator) -> None:
    """The MMS knows a file by its name alone: which of the two it would take is unknown."""
    announced = mi_market.SettlementResultsSubmit(
        file=[mi_market.SettlementFile(name=SETTLEMENT_FILE, participant_name="F100")]
    )
    twice = [Attachment(SETTLEMENT_FILE, b"x"), Attachment(SETTLEMENT_FILE, b"y")]
    expected = (
        FieldError(
            "attachmentData[2]/name",
            SETTLEMENT_FILE,
            "a name no other attachment has (attachmentData[1] has it too)",
        ),
    )
    before = simulator.count(processed=False)
    with client(simulator, "TSO") as tso:
        for send in (
            lambda: tso.put_settlement_results(announced, files=twice),
            lambda: tso.call("MarketSubmit_SettlementResults", announced, attachments=twice),
        ):
            with pytest.raises(PayloadError, match="two attachments of the same name") as caught:
                send()
            assert caught.value.errors == expected
    assert simulator.count(processed=False) == before


@pytest.mark.parametrize(
    "files",
    [
        SETTLEMENT_FILE,
        None,
        Attachment(SETTLEMENT_FILE, b"x"),
        b"x",
        bytearray(b"x"),
        {SETTLEMENT_FILE: b"x"},
    ],
    ids=["a-path-as-str", "none", "a-lone-attachment", "bytes", "bytearray", "a-mapping"],
)
def test_files_and_attachments_take_a_list_and_say_so(simulator: Simulator, files: object) -> None:
    """A lone path would otherwise be taken for a list of one-letter paths."""
    announced = mi_market.SettlementResultsSubmit(
        file=[mi_market.SettlementFile(name=SETTLEMENT_FILE, participant_name="F100")]
    )
    before = simulator.count(processed=False)
    with client(simulator, "TSO") as tso:
        with pytest.raises(PayloadError, match="files= takes a list of files") as caught:
            tso.put_settlement_results(announced, files=files)  # type: ignore[arg-type]
        assert caught.value.errors == (FieldError("files", files, "a list, such as files=[...]"),)
        with pytest.raises(PayloadError, match="attachments= takes a list") as caught:
            tso.call(
                "MarketSubmit_SettlementResults",
                announced,
                attachments=files,  # type: ignore[arg-type]
            )
        assert [e.path for e in caught.value.errors] == ["attachments"]
    assert simulator.count(processed=False) == before


def test_files_and_attachments_name_an_item_that_is_no_file(simulator: Simulator) -> None:
    announced = mi_market.SettlementResultsSubmit(
        file=[mi_market.SettlementFile(name=SETTLEMENT_FILE, participant_name="F100")]
    )
    before = simulator.count(processed=False)
    with client(simulator, "TSO") as tso:
        with pytest.raises(
            PayloadError, match="files= holds something that is not a file"
        ) as caught:
            tso.put_settlement_results(announced, files=[Attachment(SETTLEMENT_FILE, b"x"), 5])  # type: ignore[list-item]
        assert caught.value.errors == (
            FieldError("files[1]", 5, "a path (str or os.PathLike) or an Attachment"),
        )
        with pytest.raises(PayloadError, match="attachments= holds something that is no") as caught:
            tso.call("MarketSubmit_SettlementResults", announced, attachments=[SETTLEMENT_FILE])  # type: ignore[list-item]
        assert caught.value.errors == (
            FieldError("attachments[0]", SETTLEMENT_FILE, "an Attachment(name, data)"),
        )
    assert simulator.count(processed=False) == before


def test_a_file_that_cannot_be_read_is_named_and_nothing_is_sent(
    simulator: Simulator, tmp_path: Path
) -> None:
    announced = mi_market.SettlementResultsSubmit(
        file=[mi_market.SettlementFile(name=SETTLEMENT_FILE, participant_name="F100")]
    )
    missing = tmp_path / SETTLEMENT_FILE
    before = simulator.count(processed=False)
    with client(simulator, "TSO") as tso:
        for given, reason in ((missing, "No such file or directory"), (tmp_path, "Is a directory")):
            with pytest.raises(
                PayloadError, match=f"files\\[0\\] cannot be read: {reason}"
            ) as caught:
                tso.put_settlement_results(announced, files=[given])
            assert caught.value.errors == (
                FieldError("files[0]", str(given), f"a file that can be read ({reason})"),
            )
    assert simulator.count(processed=False) == before


def test_a_model_changed_without_validation_is_never_sent(simulator: Simulator) -> None:
    before = simulator.count(processed=False)
    offer = OfferData(
        stack=[OfferStack(number=1, unit_price=100, minimum_quantity_kw=100)],
        resource="FAKE_RESO",
        start=dt.datetime(2024, 3, 15, 12),
        end=dt.datetime(2024, 3, 15, 15),
        direction=Direction.SELL,
    )
    broken = offer.model_copy(update={"resource": "not a name!"})
    with client(simulator) as bsp, pytest.raises(PayloadError, match="ResourceName"):
        bsp.put_offer(broken, MarketType.DAY_AHEAD, date=DAY)
    assert simulator.count(processed=False) == before


def test_a_typed_method_refuses_a_client_type_it_is_not_for(simulator: Simulator) -> None:
    before = simulator.count(processed=False)
    with client(simulator) as bsp, pytest.raises(AudienceError, match="may be called by TSO"):
        bsp.put_reserve_requirements([], days=1)
    assert simulator.count(processed=False) == before


def test_a_query_answering_with_a_results_element_gives_an_empty_one(simulator: Simulator) -> None:
    start = dt.datetime(2031, 1, 1)
    query = mi_market.AwardResultsQuery(
        market_type=MarketType.DAY_AHEAD, start_time=start, end_time=start + dt.timedelta(days=1)
    )
    with client(simulator) as bsp:
        awards = bsp.query_awards(query, date=start.date())
    assert isinstance(awards, mi_market.AwardResultsQueryResponse)
    assert awards.award_results == []


def test_plugins_see_the_exact_bytes_of_a_streamed_download(
    simulator: Simulator, tmp_path: Path
) -> None:
    recorder = Recorder()
    with simulator.client("BSP", retry=NO_WAIT, plugins=[recorder]) as bsp:
        created = bsp.create_report(resource_list())
        saved = bsp.download_report(by_transaction(created), to=tmp_path / "r.xml")
    assert saved.path is not None
    report, reply = saved.path.read_bytes(), recorder.responses[-1]
    assert report in reply or base64.b64encode(report) in reply  # an MTOM part, or inline


def test_a_refused_or_oversized_download_leaves_nothing_behind(
    simulator: Simulator, tmp_path: Path
) -> None:
    with client(simulator) as bsp, pytest.raises(MMSValidationError):
        bsp.download_report(
            mi_report.ReportDownloadRequestTrnID(transaction_id="NOSUCH02"), to=tmp_path / "r.xml"
        )
    assert list(tmp_path.iterdir()) == []
    small = simulator.client("BSP", retry=NO_WAIT, max_download_bytes=200)
    with small as bsp:
        created = bsp.create_report(resource_list())
        with pytest.raises(MalformedResponseError, match="raise max_download_bytes"):
            bsp.download_report(by_transaction(created), to=tmp_path / "r.xml")
    assert list(tmp_path.iterdir()) == []
    # nor the folders made to save files in
    missing = mi_market.SettlementResultsFileDownloadQuery(
        file=[mi_market.SettlementFile(name="T100_F100_202403_NOSUCH.csv")]
    )
    (tmp_path / "kept").mkdir()
    with client(simulator) as bsp, pytest.raises(MMSValidationError):
        bsp.query_settlement_result_files(missing, to=tmp_path / "kept" / "new" / "files")
    assert [p.name for p in tmp_path.rglob("*")] == ["kept"]


def test_a_report_is_written_over_a_regular_file_only(simulator: Simulator, tmp_path: Path) -> None:
    """A FIFO, a link to one and a folder are refused before anything is sent, and stay as
    they were; a regular file is replaced, and a link is followed to the file it names."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    (tmp_path / "to-fifo").symlink_to(fifo)
    (tmp_path / "folder").mkdir()
    (tmp_path / "old.xml").write_text("an older report")
    (tmp_path / "latest.xml").symlink_to("old.xml")
    (tmp_path / "loose.xml").symlink_to("new.xml")  # leads to no file yet
    with client(simulator) as bsp:
        request = by_transaction(bsp.create_report(resource_list()))
        before = simulator.count(processed=False)
        for refused, kind in [
            ("fifo", "a FIFO"),
            ("to-fifo", "a FIFO"),
            ("folder", "a folder"),
        ]:
            with pytest.raises(DestinationError, match=f"{refused}' is {kind}") as caught:
                bsp.download_report(request, to=tmp_path / refused)
            assert caught.value.path == tmp_path / refused
        assert simulator.count(processed=False) == before  # nothing was sent
        assert stat.S_ISFIFO(fifo.stat().st_mode) and (tmp_path / "to-fifo").is_symlink()

        report = bsp.download_report(request).read_bytes()
        replaced = bsp.download_report(request, to=tmp_path / "old.xml")
        followed = bsp.download_report(request, to=tmp_path / "latest.xml")
        made = bsp.download_report(request, to=tmp_path / "loose.xml")
    assert replaced.path == tmp_path / "old.xml" and replaced.path.read_bytes() == report
    assert followed.path == tmp_path / "old.xml"
    assert (tmp_path / "latest.xml").readlink() == Path("old.xml")
    assert made.path == tmp_path / "new.xml" and made.path.read_bytes() == report
    assert (tmp_path / "loose.xml").is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "fifo", "folder", "latest.xml", "loose.xml", "new.xml", "old.xml", "to-fifo",
    ]  # fmt: skip


def test_files_are_saved_into_a_folder_over_regular_files_only(
    simulator: Simulator, tmp_path: Path
) -> None:
    """A file download names a folder: a file there is refused before anything is sent. The
    names of the files are the MMS's: one taken by a FIFO in the folder is refused when the
    reply has arrived, and nothing is saved; one taken by a link is written through it."""
    name = "T100_F100_202405_MONTHLY.csv"
    content = b"FAKE_RESO,1500\r\n"
    announced = mi_market.SettlementResultsSubmit(
        file=[mi_market.SettlementFile(name=name, participant_name="F100")]
    )
    with client(simulator, "TSO") as tso:
        tso.put_settlement_results(announced, files=[Attachment(name, content)])
    wanted = mi_market.SettlementResultsFileDownloadQuery(
        file=[mi_market.SettlementFile(name=name)]
    )
    not_a_folder = tmp_path / "files.csv"
    not_a_folder.write_text("kept")
    (tmp_path / "pipes").mkdir()
    os.mkfifo(tmp_path / "pipes" / name)
    (tmp_path / "links").mkdir()
    (tmp_path / "links" / name).symlink_to(tmp_path / "elsewhere.csv")
    with client(simulator) as bsp:
        before = simulator.count(processed=False)
        with pytest.raises(DestinationError, match=r"is a regular file; .* so name a folder"):
            bsp.query_settlement_result_files(wanted, to=not_a_folder)
        assert simulator.count(processed=False) == before
        with pytest.raises(DestinationError, match=re.escape(f"holds {name}, which is a FIFO")):
            bsp.query_settlement_result_files(wanted, to=tmp_path / "pipes")
        [linked] = bsp.query_settlement_result_files(wanted, to=tmp_path / "links")
    assert not_a_folder.read_text() == "kept"
    assert [p.name for p in (tmp_path / "pipes").iterdir()] == [name]  # no temporary left over
    assert stat.S_ISFIFO((tmp_path / "pipes" / name).stat().st_mode)
    assert linked.path == tmp_path / "elsewhere.csv" and linked.path.read_bytes() == content
    assert (tmp_path / "links" / name).is_symlink()


def test_to_is_refused_for_an_answer_that_has_no_files(
    simulator: Simulator, tmp_path: Path
) -> None:
    query = mi_market.OfferQuery(market_type=MarketType.DAY_AHEAD)
    before = simulator.count(processed=False)
    with client(simulator) as bsp, pytest.raises(DestinationError, match="answers with no files"):
        bsp.call("MarketQuery_OfferQuery", query, to=tmp_path / "offers.xml", date=DAY)
    assert simulator.count(processed=False) == before
    assert list(tmp_path.iterdir()) == []


class AuditError(Exception):
    pass


class FailingAudit(Plugin):
    """An audit plugin whose record cannot be written, when the request goes out or when the
    reply has come back."""

    def __init__(self, failing: str) -> None:
        self.failing = failing

    def audit_request(self, mms_request: bytes) -> None:
        if self.failing == "request":
            raise AuditError("the audit log cannot be written")

    def audit_response_file(self, mms_response: BinaryIO) -> None:
        if self.failing == "response":
            raise AuditError("the audit log cannot be written")


def files_open_in(folder: Path) -> list[str]:
    """The files this process has open in ``folder``, deleted and anonymous ones included."""
    descriptors = Path("/proc/self/fd")
    opened = []
    for descriptor in descriptors.iterdir():
        with suppress(OSError):  # closed meanwhile (the one iterdir itself used)
            opened.append(os.readlink(descriptor))
    return [name for name in opened if name.startswith(f"{folder}{os.sep}")]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc/self/fd")
@pytest.mark.parametrize("failing", ["request", "response"])
def test_a_plugin_that_fails_during_a_download_leaves_no_file_open(
    simulator: Simulator, tmp_path: Path, failing: str
) -> None:
    """The plugin's error reaches the caller as it is, and the temporary file the reply was
    streamed to is closed at once, not when the garbage collector gets to it (the error's
    traceback keeps the attempt alive as long as the caller holds the error)."""
    with client(simulator) as bsp:
        created = bsp.create_report(resource_list())
    audited = simulator.client("BSP", retry=NO_WAIT, plugins=[FailingAudit(failing)])
    with audited as bsp, pytest.raises(AuditError) as caught:
        bsp.download_report(by_transaction(created), to=tmp_path / "r.xml")
    assert files_open_in(tmp_path) == []
    assert list(tmp_path.iterdir()) == []
    assert caught.value.args == ("the audit log cannot be written",)


_DOWNLOAD = """
import json, sys
from mms_client.client import MmsClient
from mms_client.errors import DownloadWriteError
from mms_client.schema.generated.mi_report import ReportDownloadRequestTrnID
from mms_client.sim.manifest import Manifest

state, transaction, target, size = sys.argv[1:]
request = ReportDownloadRequestTrnID(transaction_id=transaction)
with MmsClient(**Manifest.load(state).client_arguments("BSP")) as bsp:
    bsp.download_report(request)  # in memory, so that nothing is left to import under the limit
    limit_file_size(int(size))
    try:
        bsp.download_report(request, to=target)
    except DownloadWriteError as error:
        print(json.dumps({
            "message": str(error), "errno": error.errno, "filename": error.filename,
            "is_os_error": isinstance(error, OSError),
        }))
"""


def test_a_download_that_cannot_be_written_says_where_and_why(
    simulator: Simulator, tmp_path: Path
) -> None:
    """A full disk (here: a file past the process's size limit, which fails the same way)
    while a reply is streamed to disk is an error of the library naming the folder and the
    system's reason, still an OSError, and leaves nothing behind."""
    with client(simulator) as bsp:
        created = bsp.create_report(resource_list())
        size = bsp.download_report(by_transaction(created)).size
    target = tmp_path / "resources.xml"
    failure = run_with_a_file_size_limit(
        _DOWNLOAD, str(simulator.state_dir), created.transaction_id, str(target), str(size // 2)
    )
    assert failure == {
        "message": f"the download could not be written to a temporary file in {tmp_path}: "
        "File too large; the file would be larger than this process may write (ulimit -f) "
        "or the file system can hold",
        "errno": errno.EFBIG,
        "filename": str(tmp_path),
        "is_os_error": True,
    }
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def small_file_system(tmp_path: Path) -> Iterator[Path]:
    """A folder on a file system of its own that holds 64 KiB: a disk that fills up, which
    only a user who may mount one (root, with the right capability) can have."""
    folder = tmp_path / "small"
    folder.mkdir()
    mounting = ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)]
    try:
        mounted = subprocess.run(mounting, capture_output=True, check=False).returncode == 0
    except OSError:  # no mount command
        mounted = False
    if not mounted:
        pytest.skip("no file system can be mounted here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_file_saved_through_a_link_to_a_full_disk_leaves_the_file_it_replaces(
    simulator: Simulator, tmp_path: Path, small_file_system: Path
) -> None:
    """A link in the folder of a file download may lead to another file system, where the
    file is copied rather than renamed: when that disk fills up, the file the link leads to
    is as it was, not cut off, and no copy is left beside it."""
    name = "T100_F100_202406_MONTHLY.csv"
    with client(simulator, "TSO") as tso:
        tso.put_settlement_results(
            mi_market.SettlementResultsSubmit(
                file=[mi_market.SettlementFile(name=name, participant_name="F100")]
            ),
            files=[Attachment(name, b"FAKE_RESO,1500\r\n" * 10_000)],  # 160 kB
        )
    kept = small_file_system / "settlement.csv"
    kept.write_bytes(b"FAKE_RESO,1200\r\n")
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / name).symlink_to(kept)
    wanted = mi_market.SettlementResultsFileDownloadQuery(
        file=[mi_market.SettlementFile(name=name)]
    )
    with client(simulator) as bsp, pytest.raises(DownloadWriteError, match="No space left"):
        bsp.query_settlement_result_files(wanted, to=tmp_path / "files")
    assert kept.read_bytes() == b"FAKE_RESO,1200\r\n"
    assert [p.name for p in small_file_system.iterdir()] == ["settlement.csv"]
    assert [p.name for p in (tmp_path / "files").iterdir()] == [name]


BIG_REPORT = 48 * 1024 * 1024
"""The size of the report :func:`report_server` sends: a few hundred milliseconds of
decoding."""


@pytest.fixture(scope="module")
def report_server(simulator: Simulator) -> Iterator[str]:
    """The URL of a server in a process of its own that answers every request with an MTOM
    report of :data:`BIG_REPORT` bytes (the benchmarks' report server), certified by the
    simulator's CA: the simulator's clients can download from it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.sim_host", "report", str(simulator.state_dir),
         str(BIG_REPORT)],
        cwd=Path(__file__).resolve().parents[2],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert process.stdin is not None and process.stdout is not None
    try:
        yield json.loads(process.stdout.readline())["base_url"]
    finally:
        process.stdin.close()  # it stops at the end of its input
        process.wait(60)


def report_client(simulator: Simulator, report_server: str) -> AsyncMmsClient:
    return simulator.async_client("BSP", base_url=report_server, backup_url=None, retry=NO_WAIT)


ANY_REPORT = mi_report.ReportDownloadRequestTrnID(transaction_id="TX00000001")


def being_written(folder: Path) -> bool:
    """Whether a download is decoding its file into ``folder`` now: a hidden part file has
    content."""
    for part in folder.glob(".mms-download-*.part"):
        with suppress(FileNotFoundError):  # renamed into place, or removed, meanwhile
            if part.stat().st_size:
                return True
    return False


async def test_a_report_is_decoded_into_its_file_while_the_event_loop_runs_on(
    simulator: Simulator, report_server: str, tmp_path: Path
) -> None:
    """Decoding a large report into its file takes a while; the other tasks of the loop run
    meanwhile: one of them sees the file being written."""
    seen_writing = 0

    async def watch() -> None:
        nonlocal seen_writing
        while True:
            seen_writing += being_written(tmp_path)
            await asyncio.sleep(0)

    watcher = asyncio.create_task(watch())
    async with report_client(simulator, report_server) as bsp:
        saved = await bsp.download_report(ANY_REPORT, to=tmp_path / "report.csv")
    watcher.cancel()
    assert seen_writing
    expected = hashlib.sha256()
    for piece in report_rows(BIG_REPORT):
        expected.update(piece)
    assert saved.path is not None and saved.size == BIG_REPORT
    assert hashlib.sha256(saved.path.read_bytes()).digest() == expected.digest()
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]


async def test_a_large_reply_read_into_memory_is_read_while_the_event_loop_runs_on(
    simulator: Simulator, report_server: str
) -> None:
    """Between the arrival of a large answer and the end of the call, the loop's other tasks
    run."""
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    class Arrival(Plugin):
        ticks_then = -1

        def audit_response(self, mms_response: bytes) -> None:
            self.ticks_then = ticks  # the whole answer has arrived; reading it begins

    arrival = Arrival()
    ticker = asyncio.create_task(tick())
    bsp = simulator.async_client(
        "BSP", base_url=report_server, backup_url=None, retry=NO_WAIT, plugins=[arrival]
    )
    async with bsp:
        report = await bsp.download_report(ANY_REPORT)
    ticker.cancel()
    assert report.size == BIG_REPORT
    assert ticks > arrival.ticks_then >= 0


class ThreadNoting(Certificate):
    """A certificate that notes the threads its key is taken in to sign requests."""

    def __init__(self, p12: Path, passphrase: str) -> None:
        super().__init__(p12, passphrase)
        self.threads: set[int] = set()

    @property
    def private_key(self) -> RSAPrivateKey:
        self.threads.add(threading.get_ident())
        return super().private_key


def thread_noting_client(simulator: Simulator, client_type: str) -> AsyncMmsClient:
    user = simulator.user(client_type)
    certificate = ThreadNoting(user.p12, user.passphrase)
    return simulator.async_client(client_type, cert=certificate, retry=NO_WAIT)


def signed_in(client: AsyncMmsClient) -> set[int]:
    certificate = client._caller.certificate
    assert isinstance(certificate, ThreadNoting)
    return certificate.threads


def offers(count: int, stacks: int) -> list[OfferData]:
    """``count`` offers of ``stacks`` stacks each, one per half hour from 1 February 2025."""
    first = dt.datetime(2025, 2, 1)
    return [
        OfferData(
            stack=[
                OfferStack(
                    number=number, unit_price=100, minimum_quantity_kw=100, tertiary_2_qty_kw=500
                )
                for number in range(1, stacks + 1)
            ],
            resource="FAKE_RESO",
            start=first + dt.timedelta(minutes=30 * n),
            end=first + dt.timedelta(minutes=30 * (n + 1)),
            direction=Direction.SELL,
        )
        for n in range(count)
    ]


async def test_a_request_of_many_offers_is_prepared_while_the_event_loop_runs_on(
    simulator: Simulator,
) -> None:
    """Validating, writing and signing hundreds of offers takes a while (a thousand of five
    stacks: about 70 ms): a request of more than 300 elements (60 offers of five stacks are
    360) is prepared in a worker thread, not in the event loop, whose other tasks run
    meanwhile."""
    async with thread_noting_client(simulator, "BSP") as bsp:
        accepted = await bsp.put_offers(
            offers(60, 5), MarketType.DAY_AHEAD, days=2, date=dt.date(2025, 2, 1)
        )
    assert len(accepted) == 60
    assert signed_in(bsp)
    assert threading.get_ident() not in signed_in(bsp)


def week_of_requirements() -> dict[str, Any]:
    """One reserve requirement, in XML names, holding the 336 half-hour blocks of a week from
    1 February 2025."""
    first = dt.datetime(2025, 2, 1)
    return {
        "Area": "04",
        "Requirement": [
            {
                "StartTime": (first + dt.timedelta(minutes=30 * n)).isoformat(),
                "EndTime": (first + dt.timedelta(minutes=30 * (n + 1))).isoformat(),
                "Direction": "1",
                "Tertiary2ReserveQuantityInKw": 1000,
            }
            for n in range(7 * 48)
        ],
    }


@pytest.mark.parametrize("by_call", [False, True], ids=["method", "call"])
@pytest.mark.parametrize("given_as", ["model", "mapping"])
async def test_one_item_holding_many_elements_is_prepared_while_the_event_loop_runs_on(
    simulator: Simulator, given_as: str, by_call: bool
) -> None:
    """What takes a while to prepare is the elements of a request, which one item may hold
    by the hundred (a week's blocks of a reserve requirement), as a model or as a mapping
    of XML names: such a request is prepared in a worker thread too, as one of many items
    is, whether sent by its method or by ``call``."""
    requirement = week_of_requirements()
    payload: Any = (
        requirement
        if given_as == "mapping"
        else mi_market.ReserveRequirementSubmit.model_validate(requirement)
    )
    envelope: dict[str, Any] = {
        "days": 7,
        "date": dt.date(2025, 2, 1),
        "market_type": MarketType.DAY_AHEAD,
    }
    async with thread_noting_client(simulator, "TSO") as tso:
        if by_call:
            answer = await tso.call("MarketSubmit_ReserveRequirement", payload, **envelope)
            (accepted,) = answer.items
        else:
            accepted = await tso.put_reserve_requirement(payload, **envelope)
    assert len(accepted.requirement) == 7 * 48
    assert signed_in(tso)
    assert threading.get_ident() not in signed_in(tso)


@pytest.mark.parametrize(("count", "stacks"), [(60, 1), (50, 5)])
async def test_a_small_request_is_prepared_in_the_event_loop(
    simulator: Simulator, count: int, stacks: int
) -> None:
    """Handing a request to a thread costs more than preparing a small one, however many
    items it counts: 60 offers of one stack (120 elements, about 1 ms), or 50 of five (300
    elements, about 2 ms), are prepared in the event loop."""
    async with thread_noting_client(simulator, "BSP") as bsp:
        accepted = await bsp.put_offers(
            offers(count, stacks), MarketType.DAY_AHEAD, days=2, date=dt.date(2025, 2, 1)
        )
    assert len(accepted) == count
    assert signed_in(bsp) == {threading.get_ident()}


async def test_files_sent_with_a_request_are_read_while_the_event_loop_runs_on(
    simulator: Simulator, tmp_path: Path
) -> None:
    """Files are read from disk and signed whole as the request is prepared, which takes a
    while for large ones: in a worker thread, not in the event loop."""
    upload = tmp_path / SETTLEMENT_FILE
    upload.write_bytes(b"FAKE_RESO,1200\r\n")
    announced = mi_market.SettlementResultsSubmit(
        file=[mi_market.SettlementFile(name=SETTLEMENT_FILE, participant_name="F100")]
    )
    async with thread_noting_client(simulator, "TSO") as tso:
        accepted = await tso.put_settlement_results(announced, files=[upload])
    assert accepted.success
    assert signed_in(tso)
    assert threading.get_ident() not in signed_in(tso)


async def test_the_rows_of_a_large_resource_list_are_typed_while_the_event_loop_runs_on(
    simulator: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A market-wide resource list holds thousands of rows, each validated into its model (a
    thousand: about 14 ms): a reply large enough to be read in a worker thread has its rows
    typed there too, not in the event loop once the thread is done. The simulator's list is
    a few rows, so every reply counts as large here."""
    typed_in: set[int] = set()
    rows_of = DownloadedFile.rows

    def noting_rows(self: DownloadedFile, dataset: DatasetName | str | None = None) -> list[Any]:
        typed_in.add(threading.get_ident())
        return rows_of(self, dataset)

    async with simulator.async_client("BSP", retry=NO_WAIT) as bsp:
        created = await bsp.create_report(resource_list())
        monkeypatch.setattr("mms_client.client._READ_ON_LOOP_BYTES", 0)
        monkeypatch.setattr(DownloadedFile, "rows", noting_rows)
        rows = await bsp.list_bsp_resources(by_transaction(created))
    assert rows and all(isinstance(row, BSP_ResourceList) for row in rows)
    assert typed_in and threading.get_ident() not in typed_in


async def download_being_written(bsp: AsyncMmsClient, target: Path) -> asyncio.Task[Any]:
    """The big report's download to ``target``, once its file is being written beside it."""
    download = asyncio.create_task(bsp.download_report(ANY_REPORT, to=target))
    while not being_written(target.parent):
        assert not download.done(), "the file was never seen being written"
        await asyncio.sleep(0)
    return download


async def test_a_download_cancelled_while_decoded_leaves_the_file_it_would_replace(
    simulator: Simulator, report_server: str, tmp_path: Path
) -> None:
    """Cancelled while its file is being written, the call leaves nothing of the download,
    and the report it was to replace as it was, also once the thread that was writing the
    file is over."""
    executor = ThreadPoolExecutor()
    asyncio.get_running_loop().set_default_executor(executor)
    target = tmp_path / "report.csv"
    target.write_bytes(b"yesterday's report\n")
    async with report_client(simulator, report_server) as bsp:
        download = await download_being_written(bsp, target)
        download.cancel()
        with pytest.raises(asyncio.CancelledError):
            await download
        assert list(tmp_path.iterdir()) == [target]
    executor.shutdown(wait=True)  # any thread left reading the reply has ended now
    assert list(tmp_path.iterdir()) == [target]
    assert target.read_bytes() == b"yesterday's report\n"


@pytest.mark.parametrize("cancelled", ["the download", "every task"])
async def test_a_download_cancelled_once_its_file_is_in_place_says_it_was_saved(
    simulator: Simulator,
    report_server: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    cancelled: str,
) -> None:
    """The event loop is held from when the report is being written until it is in place, so
    the cancellation comes once the thread has saved it: the cancellation goes on, with a note,
    and a warning is logged, both naming the file saved all the same. So too when every task
    of the loop but this one is cancelled at once, as ``asyncio.run`` cancels those left at
    its end."""
    caplog.set_level(logging.WARNING, logger="mms_client")
    target = tmp_path / "report.csv"
    target.write_bytes(b"yesterday's report\n")
    async with report_client(simulator, report_server) as bsp:
        download = await download_being_written(bsp, target)
        waits = 0
        while target.stat().st_size != BIG_REPORT:  # the loop runs nothing meanwhile
            waits += 1
            assert waits < 6000, "the report was never put in place"
            threading.Event().wait(0.01)
        if cancelled == "the download":
            download.cancel()
        else:
            for task in asyncio.all_tasks() - {asyncio.current_task()}:
                task.cancel()
        with pytest.raises(asyncio.CancelledError) as cancellation:
            await download
    warning = (
        "Cancelled as the answer to ReportDownloadRequestTrnID was read; the reply's files "
        f"were saved all the same: {target}"
    )
    assert cancellation.value.__notes__ == [warning]
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [warning]
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]


async def test_a_large_reply_read_into_memory_is_cancelled_without_waiting_for_the_reading(
    simulator: Simulator, report_server: str
) -> None:
    """A call without ``to=`` has nothing on disk to protect: cancelled as its large answer
    has arrived, it goes on as a cancellation at once, not once the worker thread has read
    the answer. (The loop's only worker thread is kept busy until the call has ended, so the
    reading cannot even begin before.)"""
    executor = ThreadPoolExecutor(1)
    asyncio.get_running_loop().set_default_executor(executor)
    release = threading.Event()

    class HoldTheWorkerAndCancel(Plugin):
        held: Future[bool] | None = None

        def audit_response(self, mms_response: bytes) -> None:
            self.held = executor.submit(release.wait, 30)
            current = asyncio.current_task()
            assert current is not None
            current.cancel()

    arrival = HoldTheWorkerAndCancel()
    bsp = simulator.async_client(
        "BSP", base_url=report_server, backup_url=None, retry=NO_WAIT, plugins=[arrival]
    )
    async with bsp:
        with pytest.raises(asyncio.CancelledError):
            await bsp.download_report(ANY_REPORT)
    assert arrival.held is not None and not arrival.held.done()
    release.set()
    executor.shutdown(wait=True)


async def test_a_submit_cancelled_while_its_large_answer_is_read_says_it_was_processed(
    simulator: Simulator, report_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The call is cancelled as its answer, too large to be read in the event loop, has
    arrived: the cancellation goes on with a note, and a warning is logged, saying that the
    MMS may have processed the submit. (Any answer will do: the report server's.)"""
    caplog.set_level(logging.WARNING, logger="mms_client")

    class CancelOnArrival(Plugin):
        def audit_response(self, mms_response: bytes) -> None:
            current = asyncio.current_task()
            assert current is not None
            current.cancel()

    bsp = simulator.async_client(
        "BSP", base_url=report_server, backup_url=None, retry=NO_WAIT, plugins=[CancelOnArrival()]
    )
    put = "MarketSubmit_OfferData"
    warning = (
        f"Cancelled after sending {put}; the MMS may have processed the request: query before "
        f"sending it again: {report_server}/axis2/services/MiWebService (attempt 1)"
    )
    sample = example_request(put)
    async with bsp:
        with pytest.raises(asyncio.CancelledError) as cancelled:
            await bsp.call(put, sample.payload, **sample.envelope)
    assert cancelled.value.__notes__ == [warning]
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [warning]


class RequestAudit(Plugin):
    """Keeps the requests only, as an audit of what was sent does."""

    def __init__(self) -> None:
        self.requests: list[bytes] = []

    def audit_request(self, mms_request: bytes) -> None:
        self.requests.append(mms_request)


class ResponseAudit(RequestAudit):
    def __init__(self) -> None:
        super().__init__()
        self.responses: list[bytes] = []

    def audit_response(self, mms_response: bytes) -> None:
        self.responses.append(mms_response)


def test_a_plugin_reads_a_downloaded_reply_only_if_it_audits_replies(
    simulator: Simulator, tmp_path: Path
) -> None:
    """The reply streamed to disk is read into memory for a plugin's ``audit_response``
    alone: one that audits requests only (as ``mms call`` uses one) must not hold a report of
    hundreds of megabytes in memory for nothing."""
    with client(simulator) as bsp:
        created = bsp.create_report(resource_list())
    reply = io.BytesIO(b"the reply as it was streamed to disk")
    RequestAudit().audit_response_file(reply)
    assert reply.tell() == 0  # nothing read
    given: list[bytes] = []
    on_the_instance = RequestAudit()
    on_the_instance.audit_response = given.append  # type: ignore[method-assign]
    on_the_instance.audit_response_file(reply)
    assert given == [b"the reply as it was streamed to disk"]
    audits = ResponseAudit()
    with simulator.client("BSP", plugins=[RequestAudit(), audits]) as bsp:
        saved = bsp.download_report(by_transaction(created), to=tmp_path / "r.xml")
    (response,) = audits.responses
    assert saved.path is not None  # the report, carried in the reply as base64
    assert base64.b64encode(saved.path.read_bytes()) in response
