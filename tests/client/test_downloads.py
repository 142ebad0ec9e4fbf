"""Files in replies: report downloads, attachments, saving to disk, typed rows of reports."""

from __future__ import annotations

import datetime as dt
import errno
import io
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import ReadEveryWay
from mms_client.downloads import Destination, safe_file_name
from mms_client.endpoints import ClientType, Interface
from mms_client.errors import ConfigurationError, MMSValidationError, PayloadError
from mms_client.exchange import Caller, PreparedRequest, interpret, prepare
from mms_client.files import DownloadedFile
from mms_client.operations import get_operation
from mms_client.reports import dataset_of, iter_xml, outbound_errors, root_element, write_csv
from mms_client.schema.generated.mi_market import SettlementFile, SettlementResultsFileDownloadQuery
from mms_client.schema.generated.mi_outbnd_reports import AccessLog
from mms_client.schema.generated.mi_report import ReportDownloadRequestTrnID
from mms_client.security.certs import Certificate
from mms_client.transport import HttpReply, TransportSettings
from mms_client.wire.blobs import Blob
from mms_client.wire.soap import Attachment, ResponseAttInfo, build_response

from .conftest import PASSPHRASE, MakeP12, run_with_a_file_size_limit

DOWNLOAD = get_operation("ReportDownloadRequestTrnID")
FILES = get_operation("MarketQuery_SettlementResultsFileDownloadQuery")
ROW = {
    "ROW": "1",
    "Name": "F100",
    "UserName": "FAKEUSER",
    "ActionPerformed": "QUERY",
    "ApplicationName": "MMS",
    "StartTime": "2024-03-15T09:00:00",
}
REPORT_XML = (
    b'<OutboundData DatasetName="AccessLog" Date="2024-03-15">'
    + b"".join(
        b'<AccessLog ActionPerformed="QUERY" ApplicationName="MMS" Name="F100" '
        b'ROW="%d" StartTime="2024-03-15T09:00:00" UserName="FAKEUSER"></AccessLog>' % n
        for n in range(1, 4)
    )
    + b"</OutboundData>"
)

SETTLED = SettlementFile(name="T100_F100_202403_SETTLE.csv")
SETTLED_XML = (
    b'<MarketData><MarketQuery Date="2024-03-15" ParticipantName="F100" UserName="FAKEUSER" '
    b'Success="true" Validation="PASSED"><SettlementResultsFileDownloadQuery Success="true" '
    b'Validation="PASSED"><File Name="T100_F100_202403_SETTLE.csv"></File>'
    b"</SettlementResultsFileDownloadQuery></MarketQuery></MarketData>"
)
"""The answer to a download of the settlement file ``SETTLED``, whose file comes attached."""


@pytest.fixture
def bsp(make_p12: MakeP12) -> Caller:
    return Caller("F100", "FAKEUSER", ClientType.BSP, Certificate(make_p12(), PASSPHRASE))


def download(caller: Caller) -> PreparedRequest:
    return prepare(DOWNLOAD, caller, ReportDownloadRequestTrnID(transaction_id="TX000001"), {})


def reply(info: ResponseAttInfo, mtom: bool = False) -> tuple[dict[str, str], bytes]:
    message = build_response(Interface.MI, info, mtom=mtom)
    return message.headers, message.body


@pytest.mark.parametrize("mtom", [False, True])
def test_a_report_download_answers_with_the_file(bsp: Caller, mtom: bool) -> None:
    info = ResponseAttInfo(
        True,
        "XML",
        response_binary=True,
        response_filename="AccessLog_1.xml",
        response_data=REPORT_XML,
    )
    response = interpret(download(bsp), *reply(info, mtom))
    [report] = response.files
    assert (report.name, report.data_type, report.size) == (
        "AccessLog_1.xml",
        "XML",
        len(REPORT_XML),
    )
    assert report.read_bytes() == REPORT_XML and report.path is None
    assert [row.row for row in report.rows()] == [1, 2, 3]
    assert all(isinstance(row, AccessLog) for row in report.rows())


def test_a_csv_report_gives_typed_rows_named_by_its_file(bsp: Caller) -> None:
    csv = write_csv("AccessLog", [ROW, {**ROW, "ROW": "2"}])
    info = ResponseAttInfo(
        True, "CSV", response_filename="AccessLog_20240315.csv", response_data=csv
    )
    [report] = interpret(download(bsp), *reply(info)).files
    assert report.data_type == "CSV"
    rows = report.rows()
    assert [(r.row, r.start_time) for r in rows] == [
        (1, dt.datetime.fromisoformat("2024-03-15T09:00:00+09:00")),
        (2, dt.datetime.fromisoformat("2024-03-15T09:00:00+09:00")),
    ]
    unnamed = DownloadedFile("report.csv", "CSV", len(csv), content=csv)
    with pytest.raises(PayloadError, match="pass dataset="):
        unnamed.rows()
    assert len(unnamed.rows(dataset="AccessLog")) == 2


def test_an_error_in_the_report_or_a_refusing_status_document_raises(bsp: Caller) -> None:
    failed = (
        b"<OutboundData><MESSAGES><ERROR>E_REPORT_NOT_FOUND: no such report</ERROR></MESSAGES>"
        b"</OutboundData>"
    )
    with pytest.raises(MMSValidationError, match="ERROR") as caught:
        interpret(download(bsp), *reply(ResponseAttInfo(True, "XML", response_data=failed)))
    assert [m.text for m in caught.value.messages] == ["E_REPORT_NOT_FOUND: no such report"]

    status = (
        b'<MarketReport ApplicationType="MARKET_REPORT" ParticipantName="F100">'
        b"<Messages><Error>no report TX000001</Error></Messages>"
        b'<ReportDownloadRequestTrnID TransactionId="TX000001" ValidationStatus="FAILED">'
        b"</ReportDownloadRequestTrnID></MarketReport>"
    )
    with pytest.raises(MMSValidationError, match="Validation FAILED") as refused:
        interpret(download(bsp), *reply(ResponseAttInfo(False, "XML", response_data=status)))
    assert [m.text for m in refused.value.messages] == ["no report TX000001"]


def test_attachments_are_the_files_of_a_file_download(bsp: Caller) -> None:
    query = SettlementResultsFileDownloadQuery(file=[SETTLED])
    prepared = prepare(FILES, bsp, query, {"date": dt.date(2024, 3, 15)})
    info = ResponseAttInfo(
        True,
        "XML",
        response_data=SETTLED_XML,
        attachments=(Attachment("T100_F100_202403_SETTLE.csv", b"a,b\r\n", "c2ln"),),
    )
    response = interpret(prepared, *reply(info, mtom=True))
    [file] = response.files
    assert (file.name, file.data_type, file.read_bytes(), file.signature) == (
        "T100_F100_202403_SETTLE.csv",
        "CSV",
        b"a,b\r\n",
        "c2ln",
    )
    assert response.items[0].file[0].name == "T100_F100_202403_SETTLE.csv"


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("report.csv", "report.csv"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\evil.exe", "evil.exe"),
        ("..", "download"),
        ("", "download"),
        ("a\x00b\nc.xml", "abc.xml"),
        ("report.csv. .", "report.csv"),
        ("...", "download"),
        ("CON", "_CON"),
        ("nul.csv", "_nul.csv"),
        ("Com1.tar.gz", "_Com1.tar.gz"),
        ("COM10.csv", "COM10.csv"),
        ("CONSOLE.csv", "CONSOLE.csv"),
        ("CONIN$", "_CONIN$"),
        ("conout$.csv", "_conout$.csv"),
        ("report.csv:hidden", "report.csv_hidden"),  # not a stream of report.csv on Windows
        ('a<b>"c"|d?*.csv', "a_b__c__d__.csv"),
    ],
)
def test_file_names_from_the_server_cannot_leave_the_folder(name: str, safe: str) -> None:
    assert safe_file_name(name) == safe


def saved_into(folder: Path, caller: Caller, names: list[str]) -> list[DownloadedFile]:
    """The files of a settlement file download whose reply names its files ``names``, saved
    into ``folder``."""
    prepared = prepare(FILES, caller, SettlementResultsFileDownloadQuery(file=[SETTLED]), {})
    attachments = tuple(Attachment(name, b"file %d" % n) for n, name in enumerate(names))
    message = build_response(
        Interface.MI,
        ResponseAttInfo(True, "XML", response_data=SETTLED_XML, attachments=attachments),
        mtom=True,
    )
    with Destination(FILES, folder, TransportSettings()) as destination:
        answer = HttpReply(
            FILES.name, "https://mms.test", 1, True, 200, message.headers, message.body
        )
        return list(destination.finish(prepared, answer, lambda response: response).files)


def test_a_file_named_longer_than_a_file_system_takes_is_saved_under_a_shorter_name(
    bsp: Caller, tmp_path: Path
) -> None:
    """A name of the server's over 255 bytes would keep the file from being created: its
    stem is cut short, its extension kept, and a name that comes twice still gives two."""
    long_name = "仮" * 100 + ".csv"  # 304 bytes of UTF-8
    first, second = saved_into(tmp_path, bsp, [long_name, long_name])
    assert first.path is not None and second.path is not None
    assert first.path.name == "仮" * 83 + ".csv"  # 253 bytes
    assert second.path.name == "仮" * 83 + "-2.csv"  # 255 bytes
    assert (first.path.read_bytes(), second.path.read_bytes()) == (b"file 0", b"file 1")
    assert (first.name, second.name) == (long_name, long_name)  # as the server named them


def test_files_of_one_reply_never_take_one_file_where_names_differ_in_case_or_end_dot(
    bsp: Caller, tmp_path: Path
) -> None:
    """macOS and Windows take ``R.csv`` and ``r.csv`` for one file, Windows ``x.csv.`` for
    ``x.csv``, and macOS a name of composed kana (``が``) for the same in decomposed kana:
    the later of such names is numbered, so no file of the reply replaces another on any of
    them."""
    composed, decomposed = "が.csv", unicodedata.normalize("NFD", "が.csv")
    names = ["R.csv", "r.csv", "x.csv.", "x.csv", composed, decomposed]
    saved = saved_into(tmp_path, bsp, names)
    paths = [file.path for file in saved if file.path is not None]
    assert [path.name for path in paths] == [
        "R.csv", "r-2.csv", "x.csv", "x-2.csv", composed, unicodedata.normalize("NFD", "が-2.csv")
    ]  # fmt: skip
    assert [path.read_bytes() for path in paths] == [b"file %d" % n for n in range(6)]


def test_destinations_are_checked_before_anything_is_sent(tmp_path: Path) -> None:
    settings = TransportSettings()
    with pytest.raises(ConfigurationError, match="is a folder"):
        Destination(DOWNLOAD, tmp_path, settings)
    with pytest.raises(ConfigurationError, match="there is no folder"):
        Destination(DOWNLOAD, tmp_path / "missing" / "r.csv", settings)
    (tmp_path / "blocker").write_text("a file, not a folder")
    with pytest.raises(ConfigurationError, match=r"cannot be made: .*blocker is a regular file"):
        Destination(FILES, tmp_path / "blocker" / "files", settings)
    assert Destination(FILES, tmp_path / "new" / "folder", settings).folder == (
        tmp_path / "new" / "folder"
    )


@pytest.fixture
def unwritable_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder where no file can be created: a read-only one, or, for a user whom
    permissions do not stop, /proc."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        for candidate in (folder, Path("/proc")):
            try:
                (candidate / "probe").touch()
            except OSError:
                yield candidate
                return
            (candidate / "probe").unlink()
        pytest.skip("no folder here refuses new files to this user")
    finally:
        folder.chmod(0o700)


def test_a_folder_that_takes_no_files_is_refused_before_anything_is_sent(
    unwritable_folder: Path,
) -> None:
    settings = TransportSettings()
    with pytest.raises(ConfigurationError, match=r"report\.csv' cannot be written: no file can"):
        Destination(DOWNLOAD, unwritable_folder / "report.csv", settings)
    with pytest.raises(ConfigurationError, match="cannot be written: no file can be created"):
        Destination(FILES, unwritable_folder, settings)


def test_report_rows_stream_and_hostile_reports_are_refused() -> None:
    rows = iter_xml(io.BytesIO(REPORT_XML))
    assert next(rows).row == 1  # rows come one at a time
    assert outbound_errors(io.BytesIO(REPORT_XML)) == []
    assert root_element(io.BytesIO(REPORT_XML)) == "OutboundData"
    hostile = b'<!DOCTYPE d [<!ENTITY a "aaaa">]><OutboundData>&a;</OutboundData>'
    with pytest.raises(PayloadError, match="no DTD or entities"):
        list(iter_xml(io.BytesIO(hostile)))
    with pytest.raises(PayloadError, match="root element should be OutboundData"):
        list(iter_xml(io.BytesIO(b"<MarketData/>")))
    bad_row = REPORT_XML.replace(b'ROW="2"', b'ROW="two"')
    with pytest.raises(PayloadError, match=r"OutboundData/AccessLog\[2\]/@ROW"):
        list(iter_xml(io.BytesIO(bad_row)))


_REPORTS_READ_EITHER_WAY = {
    "rows": REPORT_XML,
    "a bad value": REPORT_XML.replace(b'ROW="2"', b'ROW="two"'),
    "a row of no dataset": REPORT_XML.replace(b"</OutboundData>", b"<Surprise/></OutboundData>"),
    "a row with a child": REPORT_XML.replace(b"></AccessLog>", b"><x/></AccessLog>", 1),
    "messages only": b"<OutboundData><MESSAGES><ERROR>none</ERROR></MESSAGES></OutboundData>",
    "cut short after rows": REPORT_XML[:-20],
    "a DOCTYPE": b'<!DOCTYPE d [<!ENTITY a "aaaa">]><OutboundData>&a;</OutboundData>',
    "another root": b"<MarketData/>",
    "empty": b"",
}


@pytest.mark.parametrize("name", list(_REPORTS_READ_EITHER_WAY))
def test_report_rows_read_the_same_whether_other_threads_run_or_not(
    name: str, read_every_way: ReadEveryWay
) -> None:
    """Alone in its process a report is fed to the parser as it is read; beside other threads
    one small enough for a tree is parsed whole and replayed a row at a time (see
    ``xmlparse.feed_events``). The rows, or the refusal with its paths, values and rules, are
    the same every way."""
    rows = read_every_way(lambda: list(iter_xml(io.BytesIO(_REPORTS_READ_EITHER_WAY[name]))))
    if name == "rows":
        assert [row.row for row in rows] == [1, 2, 3]  # type: ignore[attr-defined]


def _rows_before_a_refusal(data: bytes) -> int:
    """How many rows ``iter_xml`` hands out before it refuses ``data``."""
    handed_out = 0
    with pytest.raises(PayloadError):
        for _ in iter_xml(io.BytesIO(data)):
            handed_out += 1
    return handed_out


def test_a_report_streamed_beside_other_threads_hands_out_its_rows_as_they_are_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Beside other threads a report is read ahead as far as a tree may go; one larger than
    that is streamed, and what was read ahead goes to the parser a chunk at a time as the rest
    does. Its rows come out as they are read, as in a program with one thread: they are not
    all made before the first is handed out (8 MB of rows took 60 MiB more), and a broken part
    further on is found after the rows before it, not before any of them."""
    from mms_client import reports, xmlparse

    monkeypatch.setattr(reports, "CHUNK_SIZE", 1024)
    monkeypatch.setattr(xmlparse, "STREAM_READ_AHEAD_BYTES", 64 * 1024)
    rows = REPORT_XML[REPORT_XML.index(b"<AccessLog ") : REPORT_XML.index(b"</OutboundData>")]
    head = REPORT_XML[: REPORT_XML.index(b"<AccessLog ")]
    broken = b"<AccessLog ROW=></AccessLog>"
    data = head + rows * 50 + broken + rows * 300 + b"</OutboundData>"
    assert len(head + rows * 50) < xmlparse.STREAM_READ_AHEAD_BYTES < len(data)

    alone = _rows_before_a_refusal(data)
    assert 0 < alone <= 50 * 3
    monkeypatch.setattr(xmlparse.threading, "active_count", lambda: 2)
    assert _rows_before_a_refusal(data) == alone


def test_the_dataset_of_a_file_name_is_its_longest_prefix() -> None:
    assert dataset_of("BSP_ResourceList_F100_20240315_TX1.csv") == "BSP_ResourceList"
    assert dataset_of("ResourceList_20240315.csv") == "ResourceList"
    assert dataset_of("report.csv") is None


def test_a_file_saved_to_disk_reads_from_there(tmp_path: Path) -> None:
    path = tmp_path / "AccessLog.xml"
    path.write_bytes(REPORT_XML)
    file = DownloadedFile.received("AccessLog.xml", Blob(len(REPORT_XML), path=path))
    assert file.data_type == "XML" and file.content is None
    assert len(file.rows()) == 3 and file.read_bytes() == REPORT_XML


_STORE = """
import json, sys
from pathlib import Path
from mms_client.errors import DownloadWriteError
from mms_client.wire.blobs import FolderStore

failures = []
with FolderStore(Path(sys.argv[1])) as store:
    limit_file_size(1000)
    # written at once, and kept in the file's buffer until the field is complete
    for pieces in ([b"x" * 100_000], [b"x" * 600, b"x" * 600]):
        writer = store.open()
        try:
            for piece in pieces:
                writer.write(piece)
            writer.finish()
        except DownloadWriteError as error:
            failures.append({"message": str(error), "errno": error.errno, "file": error.filename})
print(json.dumps(failures))
"""


def test_a_decoded_file_that_cannot_be_written_names_it(tmp_path: Path) -> None:
    """The file a report or attachment is decoded into, when the disk is full (here: the
    file passes the process's size limit), is named with the system's reason, whether the
    write fails at once or when the last of it leaves the buffer; it is then removed."""
    failures = run_with_a_file_size_limit(_STORE, str(tmp_path))
    assert len(failures) == 2
    for failure in failures:
        part = Path(failure["file"])
        assert part.parent == tmp_path and part.name.startswith(".mms-download-")
        assert failure["errno"] == errno.EFBIG
        assert failure["message"].startswith(
            f"the download could not be written to {part}: File too large; "
        )
    assert list(tmp_path.iterdir()) == []
