"""``mms ops`` and ``mms call``: the registry's operations from the command line."""

from __future__ import annotations

import codecs
import datetime as dt
import json
import os
import pty
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mms_client.cli import main
from mms_client.examples import EXAMPLE_DAY, example_request
from mms_client.operations import OPERATIONS
from mms_client.schema import codec
from mms_client.sim.simulator import Simulator

from .serving import interruptible, serving, start

FOREIGN_OFFER = {
    "ResourceName": "OTHER_RESO",
    "StartTime": f"{EXAMPLE_DAY}T09:00:00",
    "EndTime": f"{EXAMPLE_DAY}T12:00:00",
    "Direction": "1",
    "OfferStack": [{"StackNumber": 1, "OfferUnitPrice": "10", "MinimumQuantityInKw": 100}],
}
"""An offer on a resource of another participant, which the MMS refuses."""


def mms(*arguments: str) -> Result:
    return CliRunner().invoke(main, list(arguments), catch_exceptions=False)


def submitting(
    state: str, payload_file: Path, payload: object, method: str = "put_offer"
) -> list[str]:
    """The arguments of ``mms`` that submit ``payload`` (written to ``payload_file``) to the
    simulator of ``state`` for the day-ahead market of the example day."""
    payload_file.write_text(json.dumps(payload))
    return ["call", method, "--sim-state", state, "--payload", str(payload_file),
            "--market-type", "DAM", "--date", EXAMPLE_DAY.isoformat()]  # fmt: skip


def started_mid_request(
    simulator: Simulator, operation: str, *options: str
) -> subprocess.Popen[str]:
    """``mms call operation`` with ``options``, run as a user runs it, once the simulator has
    processed its request and is holding the answer back (a delay fault): whatever stops the
    command now lands in the middle of the request."""
    simulator.inject("delay", operation=operation, seconds=120)
    before = simulator.count(operation)
    process = subprocess.Popen(
        [sys.executable, "-m", "mms_client.cli", "call", operation, *options,
         "--sim-state", str(simulator.state_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=interruptible,
    )  # fmt: skip
    while simulator.count(operation) == before:
        if process.poll() is not None:
            _, errors = process.communicate()
            raise AssertionError(f"mms call ended before its request was processed:\n{errors}")
        time.sleep(0.05)
    return process


def test_ops_lists_every_operation_with_who_may_call_it() -> None:
    listed = json.loads(mms("ops", "--json").stdout)
    assert [(o["name"], o["interface"]) for o in listed] == [
        (o.name, o.interface.value) for o in OPERATIONS
    ]
    offers = next(o for o in listed if o["name"] == "MarketSubmit_OfferData")
    assert (offers["method"], offers["list_method"], offers["audiences"]) == (
        "put_offer",
        "put_offers",
        ["BSP"],
    )
    table = mms("ops", "--interface", "OMI").stdout
    assert "MarketSubmit_RemainingReserveData" in table and "put_surplus_capacity" in table
    assert "MarketSubmit_OfferData" not in table


def test_ops_says_which_operations_only_read() -> None:
    """Whether an operation only reads decides whether the client sends it again after a
    failure that may have reached the MMS; among the four of kind report, the request that
    makes a report does not only read."""
    table = mms("ops", "--interface", "MI").stdout
    kinds = {line.split()[0]: line.split()[2:4] for line in table.splitlines() if "Request" in line}
    assert kinds["ReportCreateRequest"] == ["report", "no"]
    assert kinds["ReportListRequest"] == kinds["ReportDownloadRequest"] == ["report", "yes"]
    rows = [line.split() for line in table.splitlines()]
    assert ["MarketSubmit_OfferData", "MI", "submit", "no"] in [row[:4] for row in rows]


def test_ops_says_how_sure_each_response_shape_is() -> None:
    """Most response shapes are the catalog's inferences: the listing says which, with the
    confidence, as it does for who may call an operation."""
    listed = json.loads(mms("ops", "--json").stdout)
    assert [o["response_source"] for o in listed] == [o.response.source for o in OPERATIONS]
    sources = {o["name"]: o["response_source"] for o in listed if o["interface"] == "OMI"}
    assert sources["MarketSubmit_RemainingReserveData"] == "anchor"
    assert sources["MarketQuery_BaselineLoadFileDownloadQuery"] == "inferred (low)"
    table = mms("ops", "--interface", "OMI").stdout
    row = next(line for line in table.splitlines() if "MarketQuery_OffMarketContractQuery" in line)
    assert row.split()[-2:] == ["inferred", "(medium)"]


def test_a_command_runs_from_a_thread_other_than_the_main_one() -> None:
    """A program may run ``mms`` commands from a worker thread, where no signal handler can
    be set (SIGTERM is its program's to handle there)."""
    results: list[Result] = []
    worker = threading.Thread(target=lambda: results.append(mms("ops", "--json")))
    worker.start()
    worker.join()
    (result,) = results
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)) == len(OPERATIONS)


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        (["call", "NoSuchOperation", "--example"], "no MMS operation is called 'NoSuchOperation'"),
        (
            ["call", "MarketSubmit_BaselineLoad", "--example"],
            "exists on MI and OMI; pass --interface to choose",
        ),
        (
            ["call", "query_offers", "--example", "--client-type", "BSP"],
            "without --cert there is no use for --client-type",
        ),
        (
            ["call", "query_offers", "--example", "--base-url", "ftp://mms.example"],
            "--base-url must look like https://host[:port][/prefix]",
        ),
        (["call", "query_offers"], "give exactly one of --payload FILE and --example"),
        (
            ["call", "download_report", "--example", "--out", "-"],
            "Invalid value for --out: '-' is not standard output here",
        ),
        (
            ["call", "query_settlement_result_files", "--example", "--out", ""],
            "Invalid value for --out: is empty; name the file or folder to save to",
        ),
        (["call", "query_offers", "--example", "-e", "date"], "'date' is not NAME=VALUE"),
        (["call", "query_offers", "--example", "--as", "XYZ"], "'XYZ' is not one of"),
        (["call", "query_offers", "--payload", "missing.json"], "'missing.json' does not exist"),
        (["call", "query_offers", "--example", "--interface", "OMI"], "on the MI interface"),
        *(
            (
                ["call", "query_offers", "--example", "--timeout", given],
                "Invalid value for --timeout: timeout must be a positive number of seconds up to "
                f"604800 (a week), not {shown}",
            )
            # NaN passed the option's range and failed when the client was built, with 1;
            # a time no wait can take failed mid-call with an OverflowError
            for given, shown in [
                ("0", "0.0"),
                ("nan", "nan"),
                ("inf", "inf"),
                ("1e10", "10000000000.0"),
            ]
        ),
        (
            ["call", "query_offers", "--example", "-e", "Nope=1"],
            "MarketQuery has no attribute 'Nope' (a request gives Date, MarketType, NumOfDays, "
            "ParticipantName, UserName)",
        ),
        # the MMS's verdict, which its reply carries: a request sent it as given
        *(
            (
                ["call", "query_offers", "--example", "-e", given],
                f"Invalid value for --envelope: MarketQuery's {name} is the MMS's verdict, "
                "which its reply carries; a request gives Date, MarketType, NumOfDays, "
                "ParticipantName, UserName",
            )
            for given, name in [("Validation=PASSED", "Validation"), ("success=true", "Success")]
        ),
        # an option for an attribute the operation's envelope has not, which the schema
        # refused naming the attribute in Python's words (datetime.date(2024, 4, 1)); it is
        # named as the schema names it, beside those the envelope has
        (
            ["call", "create_report", "--example", "--date", "2024-04-01"],
            "Invalid value for --date: create_report does not take it: MarketReport has no "
            "attribute 'Date' (a request gives ApplicationType, ParticipantName)",
        ),
        (
            ["call", "query_resources", "--example", "--days", "2"],
            "Invalid value for --days: query_resources does not take it: RegistrationQuery has "
            "no attribute 'NumOfDays' (a request gives Action, Date, DateType)",
        ),
        (
            ["call", "RegistrationQuery_Resource", "--example", "--market-type", "DAM"],
            "Invalid value for --market-type: RegistrationQuery_Resource does not take it: "
            "RegistrationQuery has no attribute 'MarketType' (a request gives Action, Date, "
            "DateType)",
        ),
        # an envelope that has no attribute a request gives says so, not "(it has )"
        (
            ["call", "RegistrationSubmit_Participant", "--example", "-e", "Date=2024-04-01"],
            "RegistrationSubmit has no attribute 'Date' (a request gives none)",
        ),
        (
            ["call", "RegistrationSubmit_Participant", "--example", "-e", "Success=true"],
            "Invalid value for --envelope: RegistrationSubmit's Success is the MMS's verdict, "
            "which its reply carries; a request gives none\n",
        ),
        (
            ["call", "query_offers", "--example", "-e", "date=2024-04-01", "--date", "2024-04-02"],
            "--date and --envelope both give Date",
        ),
        (
            ["call", "query_offers", "--example", "-e", "Date=2024-04-01", "-e", "date=2024-04-02"],
            "--envelope gives Date twice",
        ),
    ],
)
def test_call_explains_what_is_wrong_with_its_arguments(arguments: list[str], problem: str) -> None:
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 2
    assert problem in result.output


def test_call_help_shows_examples_that_run_as_written(fresh_mms_simulator: Simulator) -> None:
    """Each example of ``mms call --help``, run by a shell as it is written, against a
    simulator found as the help says: by MMS_SIM_STATE, as --sim-state's help says too."""
    help_text = mms("call", "--help").stdout
    assert "also MMS_SIM_STATE" in help_text
    block = help_text.split("Examples, with `mms sim serve` running:\n\n")[1].split("\n\n")[0]
    examples = [line.strip() for line in block.splitlines()]
    assert len(examples) >= 2, help_text
    command = f"{shlex.quote(sys.executable)} -m mms_client.cli call "
    environment = {**os.environ, "MMS_SIM_STATE": str(fresh_mms_simulator.state_dir)}
    for example in examples:
        ran = subprocess.run(
            example.replace("mms call ", command),
            shell=True,
            capture_output=True,
            text=True,
            timeout=120,
            env=environment,
        )
        assert ran.returncode == 0, (example, ran.stderr)


def test_call_help_says_which_date_and_days_go_out_without_their_options() -> None:
    """Without --date a query asks about today, without --days about one day: a user who
    reads only the help must know which day an empty answer was about."""
    help_text = " ".join(mms("call", "--help").stdout.split())
    assert "midnight in Japan. [default: (the example's, else today in Japan)]" in help_text
    assert "7 for queries). [default: (the example's, else 1); 1<=x<=31]" in help_text


def test_call_refuses_options_that_would_go_unused(tmp_path: Path) -> None:
    cert = tmp_path / "user.p12"
    cert.write_bytes(b"never read: the options do not add up")
    arguments = ["call", "query_offers", "--example", "--cert", str(cert), "--participant",
                 "F100", "--user", "FAKEUSER", "--client-type", "BSP"]  # fmt: skip
    for extra, problem in [
        (["--backup-url", "https://backup.example"], "--backup-url needs --base-url"),
        (["--as", "MO"], "--as picks a user of a simulator"),
        (["--test", "--base-url", "https://mms.example"], "--test and --base-url both say"),
        (["--sim-state", str(tmp_path)], "--sim-state names a simulator to talk to; with --cert"),
    ]:
        result = CliRunner().invoke(main, [*arguments, *extra], env={"MMS_CERT_PASSPHRASE": "x"})
        assert result.exit_code == 2, result.output
        assert problem in result.output
        assert "backup_url" not in result.output and "base_url" not in result.output
    # MMS_SIM_STATE is where a simulator is, when one is talked to: it does not stand in the
    # way of --cert (which here goes on to read the certificate, and finds it damaged)
    environment = {"MMS_CERT_PASSPHRASE": "x", "MMS_SIM_STATE": str(tmp_path)}
    unused = CliRunner().invoke(main, arguments, env=environment)
    assert unused.exit_code == 2 and "--sim-state" not in unused.output
    assert f"{cert} is not PKCS#12 data" in unused.output


def test_call_does_not_repeat_a_passphrase_given_as_the_certificate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--cert "$MMS_CERT_PASSPHRASE"``, the variable given in the file's place: click
    named the missing "file", printing the passphrase on the terminal and in a job's record.
    It is refused without being repeated; a file that is missing is still named."""
    monkeypatch.chdir(tmp_path)
    secret = "S3cret-Passphrase"
    identity = ["--participant", "F100", "--user", "FAKEUSER", "--client-type", "BSP"]
    for variable, options in [
        ("MMS_CERT_PASSPHRASE", []),
        ("MY_PASSPHRASE", ["--passphrase-env", "MY_PASSPHRASE"]),
    ]:
        result = CliRunner().invoke(
            main,
            ["call", "query_offers", "--example", "--cert", secret, *identity, *options],
            env={variable: secret},
        )
        assert result.exit_code == 2, result.output
        assert f"is the passphrase that {variable} holds (not repeated here)" in result.output
        assert secret not in result.output
    # a file of that name is read by no one: it is the passphrase all the same
    Path(secret).write_bytes(b"never read")
    named = CliRunner().invoke(
        main,
        ["call", "query_offers", "--example", "--cert", secret, *identity],
        env={"MMS_CERT_PASSPHRASE": secret},
    )
    assert named.exit_code == 2 and "are the arguments swapped?" in named.output
    assert secret not in named.output
    missing = CliRunner().invoke(
        main,
        ["call", "query_offers", "--example", "--cert", "F100.p12", *identity],
        env={"MMS_CERT_PASSPHRASE": secret},
    )
    assert missing.exit_code == 2
    assert "Invalid value for --cert: File 'F100.p12' does not exist." in missing.output


def test_call_explains_a_payload_file_it_cannot_read(tmp_path: Path) -> None:
    locked = tmp_path / "locked.json"
    locked.write_text("{}")
    locked.chmod(0o000)
    # a user whom permissions do not stop can still not read a process's memory from its start
    for candidate in (locked, Path("/proc/self/mem")):
        try:
            candidate.read_bytes()
        except OSError:
            break
    else:
        pytest.skip("no file here refuses to be read by this user")
    result = CliRunner().invoke(main, ["call", "query_offers", "--payload", str(candidate)])
    assert result.exit_code == 2
    assert f"cannot read {candidate}" in result.output


def test_call_explains_a_ca_bundle_it_cannot_read(mms_simulator: Simulator) -> None:
    """A bundle click finds readable by its permissions, which fails when it is read (an I/O
    error), is named with the reason, as --payload's is; it was named in the library's words,
    as what ``verify=`` names, an argument the command does not have."""
    unreadable = Path("/proc/self/mem")  # a process's memory cannot be read from its start
    try:
        unreadable.read_bytes()
    except OSError as exc:
        reason = exc.strerror
    else:
        pytest.skip("no file here fails to be read")
    arguments = ["call", "query_offers", "--example", "--sim-state",
                 str(mms_simulator.state_dir), "--ca", str(unreadable)]  # fmt: skip
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 2
    assert f"Invalid value for '--ca': cannot read {unreadable}: {reason}" in result.output
    assert "verify=" not in result.output


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        # JSON is UTF-8 text, and a payload of Japanese names saved by a Windows editor or
        # Excel is often Shift_JIS: the file is JSON, in the wrong encoding, which is what to fix
        (
            '{"CompanyShortName": "偽会社"}'.encode("cp932"),
            "{source} is not UTF-8 text, as JSON is (byte 0x8b at offset 22 is not UTF-8; a "
            "file saved as Shift_JIS must be saved as UTF-8)",
        ),
        # XML may be in Shift_JIS when it says so; one that does not was read as UTF-8 and
        # refused with the parser's "Invalid bytes in character encoding" at a column
        (
            '<Participant CompanyShortName="偽会社"/>'.encode("cp932"),
            "{source} is not UTF-8 text, and its XML declaration names no other encoding (byte "
            "0x8b at offset 31 is not UTF-8; declare the one it is saved in, as <?xml "
            'version="1.0" encoding="Shift_JIS"?>, or save it as UTF-8)',
        ),
        (
            '<?xml version="1.0"?><Participant CompanyShortName="偽会社"/>'.encode("cp932"),
            "{source} is not UTF-8 text, and its XML declaration names no other encoding (byte "
            "0x8b at offset 52 is not UTF-8; declare the one it is saved in, as <?xml "
            'version="1.0" encoding="Shift_JIS"?>, or save it as UTF-8)',
        ),
        # a file left empty (a redirection that wrote nothing, a new file from an editor) is
        # empty, not a JSON syntax error at line 1 column 1
        (b"", "is empty; it should hold the request's item(s) as JSON or XML"),
        (b"  \n", "is empty; it should hold the request's item(s) as JSON or XML"),
        (b"\xef\xbb\xbf\r\n", "is empty; it should hold the request's item(s) as JSON or XML"),
    ],
    ids=[
        "shift_jis",
        "xml_shift_jis",
        "xml_shift_jis_declared_without_encoding",
        "empty",
        "blank",
        "bom",
    ],
)
def test_call_says_what_is_wrong_with_a_payload_it_cannot_read(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    payload = tmp_path / "payload.json"
    payload.write_bytes(content)
    for path, given, source in [(str(payload), None, payload), ("-", content, "standard input")]:
        arguments = ["call", "put_participant", "--payload", path]
        result = CliRunner().invoke(main, arguments, input=given)
        assert result.exit_code == 2
        expected = problem.format(source=source)
        assert result.stderr.endswith(f"Error: Invalid value for --payload: {expected}\n"), (
            result.stderr
        )


def test_call_reads_a_payload_in_the_encodings_windows_software_saves(
    fresh_mms_simulator: Simulator, tmp_path: Path
) -> None:
    """Windows software saves text as UTF-8 with a byte order mark (Notepad) or as UTF-16
    with one ("Unicode", and Windows PowerShell's ``>``); XML also says its encoding itself
    (Shift_JIS). Each is read as the document it holds, Japanese names intact; a UTF-16 XML
    document was taken for JSON, as it does not start with the byte ``<``, and refused as
    neither."""
    state = str(fresh_mms_simulator.state_dir)
    company = "東電力"
    [example] = example_request("RegistrationSubmit_Participant").items
    participant = example.model_copy(update={"company_short_name": company})
    xml = codec.write(participant, "Participant", request=True).decode()
    as_json = json.dumps(participant.model_dump(mode="json", by_alias=True), ensure_ascii=False)
    declared = '<?xml version="1.0" encoding="{}"?>\n' + xml
    for name, content in [
        ("bom.json", codecs.BOM_UTF8 + as_json.encode()),
        ("utf16.json", as_json.encode("utf-16")),
        ("bom.xml", codecs.BOM_UTF8 + xml.encode()),
        ("utf16.xml", xml.encode("utf-16")),
        ("utf16-declared.xml", declared.format("UTF-16").encode("utf-16")),
        ("shift_jis.xml", declared.format("Shift_JIS").encode("shift_jis")),
    ]:
        payload = tmp_path / name
        payload.write_bytes(content)
        for source, given in [(str(payload), None), ("-", content)]:
            arguments = ["call", "RegistrationSubmit_Participant", "--sim-state", state,
                         "--as", "MO", "--payload", source, "--json"]  # fmt: skip
            result = CliRunner().invoke(main, arguments, input=given)
            assert result.exit_code == 0, (name, source, result.output)
            [item] = json.loads(result.stdout)["items"]
            assert item["CompanyShortName"] == company, (name, source)


def test_call_refuses_a_payload_it_cannot_read_whole_before_sending(
    mms_simulator: Simulator, tmp_path: Path
) -> None:
    """JSON nested deeper than Python's parser recurses, and a payload larger than the bound
    (a device such as /dev/zero would be read until memory ran out), are usage errors naming
    --payload, not a traceback; nothing is sent."""
    from mms_client.cli.call import PAYLOAD_MAX_BYTES

    state = str(mms_simulator.state_dir)
    deep = tmp_path / "deep.json"
    deep.write_text('{"MarketType": "DAM", "x": ' + "[" * 3000 + "]" * 3000 + "}")
    # valid JSON, and a query the simulator would answer, but for its size
    padded = b'{"MarketType": "DAM"}' + b" " * PAYLOAD_MAX_BYTES
    large = tmp_path / "large.json"
    large.write_bytes(padded)
    before = mms_simulator.count(processed=False)
    for source, given, problem in [
        (str(deep), None, "is JSON nested too deeply to be read"),
        (str(large), None, f"{large} holds more than 16 MiB, the most a payload may be"),
        ("-", padded, "standard input holds more than 16 MiB, the most a payload may be"),
    ]:
        arguments = ["call", "query_offers", "--payload", source, "--sim-state", state]
        result = CliRunner().invoke(main, arguments, input=given)
        assert result.exit_code == 2, result.output
        assert f"Error: Invalid value for --payload: {problem}" in result.stderr
        assert "Traceback" not in result.output
    assert mms_simulator.count(processed=False) == before


def test_call_refuses_a_payload_field_given_twice_before_sending(
    mms_simulator: Simulator, tmp_path: Path
) -> None:
    """One value of a field given twice would be dropped unseen: the same name twice in one
    JSON object (which Python's parser takes as the last), or the XML name beside the Python
    name (refused as the library refuses an envelope attribute given by both)."""
    state = str(mms_simulator.state_dir)
    before = mms_simulator.count(processed=False)
    for payload, problem in [
        (
            '{"MarketType": "DAM", "MarketType": "DCM"}',
            "Error: Invalid value for --payload: gives MarketType twice in one JSON object\n",
        ),
        (
            '{"MarketType": "DAM", "market_type": "DCM"}',
            "  - MarketData/MarketQuery/OfferQuery/@MarketType: given by its XML name and by "
            "its Python name (got 'DCM')\n",
        ),
    ]:
        result = CliRunner().invoke(
            main,
            ["call", "query_offers", "--payload", "-", "--sim-state", state,
             "--date", EXAMPLE_DAY.isoformat()],
            input=payload,
        )  # fmt: skip
        assert result.exit_code == 2, result.output
        assert result.stderr.endswith(problem)
    assert mms_simulator.count(processed=False) == before


NOT_A_NAME = "the value given is not the name of an environment variable"
NO_SUCH_VARIABLE = "no environment variable of the name given is set"


def test_call_says_where_the_passphrase_should_come_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MMS_CERT_PASSPHRASE", raising=False)
    monkeypatch.delenv("NOT_SET_HERE", raising=False)
    cert = tmp_path / "user.p12"
    cert.write_bytes(b"never read: the passphrase is missing")
    arguments = ["call", "query_offers", "--example", "--cert", str(cert), "--participant",
                 "F100", "--user", "FAKEUSER", "--client-type", "BSP"]  # fmt: skip
    named = CliRunner().invoke(main, [*arguments, "--passphrase-env", "NOT_SET_HERE"])
    assert named.exit_code == 2
    assert NO_SUCH_VARIABLE in named.output
    # no terminal to ask on (a job, a pipe): nothing is read from standard input
    unattended = CliRunner().invoke(main, arguments, input="not a passphrase\n")
    assert unattended.exit_code == 2 and "set MMS_CERT_PASSPHRASE" in unattended.output


@pytest.mark.parametrize(
    ("option", "value", "rule"),
    [
        ("--participant", "f100", "a capital letter and three digits, not 000, such as F100"),
        ("--user", "fake user!", "1 to 12 capital letters or digits, such as FAKEUSER"),
    ],
)
def test_call_refuses_a_name_no_envelope_can_carry_before_asking_for_the_passphrase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, option: str, value: str, rule: str
) -> None:
    """The option is named, not the client's argument; and it is refused before the
    passphrase is asked for (here, with no terminal, it could not be)."""
    monkeypatch.delenv("MMS_CERT_PASSPHRASE", raising=False)
    cert = tmp_path / "user.p12"
    cert.write_bytes(b"never read: a name is malformed")
    names = {"--participant": "F100", "--user": "FAKEUSER", option: value}
    result = CliRunner().invoke(
        main,
        ["call", "query_offers", "--example", "--cert", str(cert), "--client-type", "BSP",
         *(part for pair in names.items() for part in pair)],
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.endswith(
        f"Error: Invalid value for {option}: {value!r} must be {rule}, as the MMS schemas take it\n"
    )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("S3cret-Passphrase", NOT_A_NAME),
        ("correct horse battery", NOT_A_NAME),
        ("2FA_SECRET", NOT_A_NAME),
        # most passphrases the simulator makes are letters, digits and _ alone, as a name is
        ("LIwBYBW7wdRxengby2cDa6g4", NO_SUCH_VARIABLE),
    ],
)
def test_call_does_not_repeat_a_passphrase_given_as_its_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, problem: str
) -> None:
    """--passphrase-env takes the name of a variable; a value given there may be the
    passphrase itself, which the error must not print, whether it cannot be a name or names
    no variable that is set."""
    monkeypatch.delenv(value, raising=False)
    cert = tmp_path / "user.p12"
    cert.write_bytes(b"never read: no variable is named")
    result = CliRunner().invoke(
        main,
        ["call", "query_offers", "--example", "--cert", str(cert), "--participant", "F100",
         "--user", "FAKEUSER", "--client-type", "BSP", "--passphrase-env", value],
    )  # fmt: skip
    assert result.exit_code == 2
    assert f"Invalid value for --passphrase-env: {problem}" in result.output
    assert value not in result.output


@pytest.mark.parametrize(
    ("manifest", "problem"),
    [("nope", "Expecting value"), ('{"base_url": 5}', "'base_url' is 5, not a string")],
)
def test_call_explains_a_damaged_simulator_manifest(
    tmp_path: Path, manifest: str, problem: str
) -> None:
    (tmp_path / "simulator.json").write_text(manifest)
    result = CliRunner().invoke(
        main, ["call", "query_offers", "--example"], env={"MMS_SIM_STATE": str(tmp_path)}
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: the simulator manifest {tmp_path / 'simulator.json'}")
    assert problem in result.stderr and "mms sim serve --state" in result.stderr


def test_call_on_a_folder_without_a_manifest_says_how_to_start_a_simulator_there(
    tmp_path: Path,
) -> None:
    """A folder named by --sim-state is where the simulator must be started: a bare
    `mms sim serve` would start one on the user's data folder, which the call does not read."""
    state = tmp_path / "my state"
    state.mkdir()
    result = mms("call", "query_offers", "--example", "--sim-state", str(state))
    assert result.exit_code == 2
    assert f"no simulator manifest in {state}; start one there with " in result.stderr
    assert f"`mms sim serve --state '{state}'`" in result.stderr


@pytest.mark.parametrize("ending", ["stopped", "killed"])
def test_call_says_that_no_simulator_serves_the_state_folder_instead_of_connecting(
    tmp_path: Path, mms_simulator_pki: Path, mms_simulator: Simulator, ending: str
) -> None:
    """The lock of the state folder says whether its simulator runs, whether it stopped
    (Ctrl+C) or was killed (its lock file left behind); nothing is tried in vain. Another
    address given for it (a simulator of the same test PKI) is used as asked."""
    state = tmp_path / "state"
    shutil.copytree(mms_simulator_pki, state / "pki")
    if ending == "stopped":
        with serving(state):
            pass
    else:
        process, _ = start(state)
        process.kill()
        process.communicate()
    arguments = ["call", "query_offers", "--example", "--sim-state", str(state)]
    refused = CliRunner().invoke(main, arguments)
    assert refused.exit_code == 3  # the MMS could not be reached: a job may try again later
    assert refused.stderr == (
        f"Error: no simulator is serving the state folder {state} now; start it with "
        f"`mms sim serve --state {state}`\n"
    )
    elsewhere = CliRunner().invoke(main, [*arguments, "--base-url", mms_simulator.base_url])
    assert elsewhere.exit_code == 0, elsewhere.output
    with serving(state):  # once it serves again, the same call goes through
        served = CliRunner().invoke(main, arguments)
        assert served.exit_code == 0, served.output


def test_call_given_an_address_for_a_simulator_talks_there_alone(
    mms_simulator: Simulator,
) -> None:
    """--base-url says where the simulator is: a request that fails there does not go on to
    the backup address of the folder's manifest, a server not named; --backup-url names one."""
    state = str(mms_simulator.state_dir)
    with socket.socket() as nobody:
        nobody.bind(("127.0.0.1", 0))  # bound but not listening: connections are refused
        address = f"https://127.0.0.1:{nobody.getsockname()[1]}"
        before = mms_simulator.count("MarketQuery_OfferQuery")
        arguments = ["call", "query_offers", "--example", "--sim-state", state]
        alone = mms(*arguments, "--base-url", address)
        assert alone.exit_code == 3, alone.output
        assert mms_simulator.count("MarketQuery_OfferQuery") == before
        assert mms_simulator.backup_url not in alone.output
        backed = mms(*arguments, "--base-url", address, "--backup-url", mms_simulator.backup_url)
    assert backed.exit_code == 0, backed.output
    assert mms_simulator.requests[-1].endpoint == "backup"


def test_call_given_a_backup_address_alone_for_a_simulator_fails_over_there(
    mms_simulator: Simulator,
) -> None:
    """--backup-url without --base-url takes the place of the manifest's backup, beside its
    main address, as the help says."""
    state = str(mms_simulator.state_dir)
    arguments = ["call", "query_offers", "--example", "--sim-state", state]
    with socket.socket() as nobody:
        nobody.bind(("127.0.0.1", 0))  # bound but not listening: connections are refused
        address = f"https://127.0.0.1:{nobody.getsockname()[1]}"
        before = len(mms_simulator.requests)
        mms_simulator.inject(
            "http_error", operation="MarketQuery_OfferQuery", endpoint="main", times=10
        )
        failed = mms(*arguments, "--backup-url", address)
    assert failed.exit_code == 3, failed.output
    assert address in failed.output
    # the main address was tried, the manifest's backup never
    endpoints = {r.endpoint for r in mms_simulator.requests[before:]}
    assert endpoints == {"main"}


def test_call_base_url_takes_the_prefix_its_help_names(mms_simulator: Simulator) -> None:
    """A proxy's prefix is part of the address (the service path follows it), as the help
    says: the request goes to the prefix, where the simulator answers no path."""
    shown = " ".join(mms("call", "--help").output.split())
    assert "--base-url TEXT https://host[:port][/prefix] of the MMS" in shown
    state = str(mms_simulator.state_dir)
    arguments = ["call", "query_offers", "--example", "--sim-state", state]
    result = mms(*arguments, "--base-url", f"{mms_simulator.base_url}/proxy")
    assert result.exit_code == 3, result.output
    assert f"{mms_simulator.base_url}/proxy/axis2/services/MiWebService" in result.output


def test_call_refuses_a_participant_the_simulator_has_no_user_of(
    fresh_mms_simulator: Simulator,
) -> None:
    """An empty name too (``--participant "$WHO"`` with WHO unset), which an example would
    otherwise replace with its own participant's, sending as a user the command did not
    name; nothing is sent."""
    state = str(fresh_mms_simulator.state_dir)
    before = fresh_mms_simulator.count(processed=False)
    for participant in ("F999", ""):
        arguments = ["call", "query_offers", "--example", "--sim-state", state]
        result = CliRunner().invoke(main, [*arguments, "--participant", participant])
        assert result.exit_code == 2, result.output
        assert f"the simulator has no BSP user of participant {participant!r}" in result.output
    assert fresh_mms_simulator.count(processed=False) == before


def test_call_picks_a_simulator_user_by_name(fresh_mms_simulator: Simulator) -> None:
    """A participant's second user is reached by naming it (the first is the default)."""
    state = str(fresh_mms_simulator.state_dir)
    arguments = ["call", "query_offers", "--example", "--sim-state", state, "--participant", "F100"]
    named = CliRunner().invoke(main, [*arguments, "--user", "FAKEUSER"])
    assert named.exit_code == 0, named.output
    assert fresh_mms_simulator.requests[-1].user == "FAKEUSER"
    missing = CliRunner().invoke(main, [*arguments, "--user", "NOBODY"])
    assert missing.exit_code == 2
    assert "the simulator has no BSP user 'NOBODY' of participant 'F100'" in missing.output
    blank = CliRunner().invoke(main, [*arguments, "--user", ""])  # an unset variable
    assert "the simulator has no BSP user '' of participant 'F100'" in blank.output


def test_call_shows_an_unverifiable_server_certificate_in_one_line(
    mms_simulator: Simulator,
) -> None:
    """A CA bundle that did not issue the simulator's certificate (certifi's): main and
    backup are tried once each, and the error is one line that says what to do with the
    command's own option, for each host; so is the warning of the failover, however long, in
    output that is no terminal."""
    import certifi

    state = str(mms_simulator.state_dir)
    result = mms("call", "query_offers", "--example", "--sim-state", state, "--ca", certifi.where())
    assert result.exit_code == 2  # no attempt can succeed until --ca names the right bundle
    (warning,) = [line for line in result.stderr.splitlines() if "attempt 1 failed" in line]
    assert warning.endswith(
        f"; trying again at {mms_simulator.backup_url}/axis2/services/MiWebService"
    )
    unverified = (
        r"the server's certificate could not be verified \(self.signed certificate in "
        r"certificate chain\); pass the CA bundle that issued it with --ca"
    )
    assert re.fullmatch(
        rf"Error: {unverified}: "
        + re.escape(f"{mms_simulator.backup_url}/axis2/services/MiWebService (attempt 2); ")
        + re.escape(f"every host was tried and failed, also {mms_simulator.base_url}")
        + rf"/axis2/services/MiWebService \(attempt 1: {unverified}\)",
        result.stderr.splitlines()[-1],
    )
    assert "verify=" not in result.stderr
    assert "Traceback" not in result.output


def test_call_refuses_an_attached_file_the_payload_does_not_name(
    mms_simulator: Simulator, tmp_path: Path
) -> None:
    """The MMS would take the request and ignore the file; nothing is sent."""
    stray = tmp_path / "offers.csv"
    stray.write_text("FAKE_RESO,100\n")
    before = mms_simulator.count(processed=False)
    state = str(mms_simulator.state_dir)
    result = mms("call", "query_offers", "--example", "--sim-state", state, "--attach", str(stray))
    assert result.exit_code == 2
    assert (
        "attachmentData[1]/name: sent with the request but named nowhere in the payload, "
        "which names no file (got 'offers.csv')"
    ) in result.stderr
    assert mms_simulator.count(processed=False) == before


def test_call_attach_takes_the_place_of_the_examples_file_of_that_name(
    fresh_mms_simulator: Simulator, tmp_path: Path
) -> None:
    """The example of a DR pattern sends its own W9 file; --attach of a file of that name
    sends the user's instead of both, which would be two files of one name."""
    (sample,) = example_request("RegistrationSubmit_DrPattern").attachments
    mine = tmp_path / sample.name
    mine.write_bytes(b"<customers/>")
    state = str(fresh_mms_simulator.state_dir)
    result = mms("call", "put_dr_pattern", "--example", "--sim-state", state, "--attach", str(mine))
    assert result.exit_code == 0, result.output
    assert fresh_mms_simulator.requests[-1].operation == "RegistrationSubmit_DrPattern"


def test_call_refuses_an_attached_file_it_cannot_read_whole_before_sending(
    mms_simulator: Simulator, tmp_path: Path
) -> None:
    """A file larger than the bound (a device such as /dev/zero would be read until memory
    ran out) and one that cannot be read are usage errors naming --attach, not a traceback;
    nothing is sent."""
    from mms_client.cli.call import ATTACHMENT_MAX_BYTES

    (sample,) = example_request("RegistrationSubmit_DrPattern").attachments
    large = tmp_path / sample.name  # the file the example's payload names, but for its size
    with large.open("wb") as file:
        file.truncate(ATTACHMENT_MAX_BYTES + 1)
    state = str(mms_simulator.state_dir)
    before = mms_simulator.count(processed=False)
    for attached, problem in [
        (large, f"{large} holds more than 64 MiB, the most an attached file may be"),
        (Path("/proc/self/mem"), "cannot read /proc/self/mem: Input/output error"),
    ]:
        if not attached.exists():
            continue
        arguments = ["call", "put_dr_pattern", "--example", "--sim-state", state]
        result = CliRunner().invoke(main, [*arguments, "--attach", str(attached)])
        assert result.exit_code == 2, result.output
        assert f"Error: Invalid value for --attach: {problem}" in result.stderr
        assert "Traceback" not in result.output
    assert mms_simulator.count(processed=False) == before


def test_call_sends_a_payload_file_and_prints_json(
    fresh_mms_simulator: Simulator, tmp_path: Path
) -> None:
    state = str(fresh_mms_simulator.state_dir)
    query = tmp_path / "query.json"
    query.write_text(json.dumps({"MarketType": "DAM", "ResourceName": "FAKE_RESO"}))
    result = mms(
        "call", "query_offers", "--sim-state", state, "--payload", str(query),
        "--date", EXAMPLE_DAY.isoformat(), "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["operation"] == "MarketQuery_OfferQuery"
    assert answer["items"] and {i["ResourceName"] for i in answer["items"]} == {"FAKE_RESO"}
    assert answer["transaction_id"]

    from_stdin = CliRunner().invoke(
        main,
        ["call", "MarketQuery_OfferQuery", "--sim-state", state, "--payload", "-", "--json",
         "--date", EXAMPLE_DAY.isoformat()],
        input='<OfferQuery MarketType="DAM" ResourceName="FAKE_RESO"></OfferQuery>',
    )  # fmt: skip
    assert from_stdin.exit_code == 0, from_stdin.output
    assert json.loads(from_stdin.stdout)["items"] == answer["items"]
    # as a Windows editor saves it, with a byte order mark
    marked = tmp_path / "query.xml"
    marked.write_text('<OfferQuery MarketType="DAM" ResourceName="FAKE_RESO"/>', "utf-8-sig")
    from_file = mms(
        "call", "query_offers", "--sim-state", state, "--payload", str(marked), "--json",
        "-e", f"Date={EXAMPLE_DAY}",  # an envelope attribute by its XML name
    )  # fmt: skip
    assert from_file.exit_code == 0, from_file.output
    assert json.loads(from_file.stdout)["items"] == answer["items"]
    broken = CliRunner().invoke(
        main,
        ["call", "query_offers", "--sim-state", state, "--payload", "-"],
        input='<OfferQuery MarketType="DAX"/>',
    )
    assert broken.exit_code == 2 and "OfferQuery/@MarketType" in broken.output


def test_call_sends_the_example_as_its_user_and_saves_files(
    fresh_mms_simulator: Simulator, tmp_path: Path
) -> None:
    state = str(fresh_mms_simulator.state_dir)
    created = mms("call", "ReportCreateRequest", "--example", "--sim-state", state)
    assert created.exit_code == 0, created.output
    assert "TransactionId:" in created.stdout and "ReportCreateRequest" in created.stdout

    saved = tmp_path / "report.xml"
    downloaded = mms(
        "call", "download_report", "--example", "--sim-state", state, "--out", str(saved)
    )
    assert downloaded.exit_code == 0, downloaded.output
    assert saved.read_bytes().startswith(b"<OutboundData")
    assert "saved as" in downloaded.stdout and "report.xml" in downloaded.stdout

    files = mms(
        "call", "MarketQuery_SettlementResultsFileDownloadQuery", "--example",
        "--sim-state", state, "--out", str(tmp_path / "settlement"), "--json",
    )  # fmt: skip
    assert files.exit_code == 0, files.output
    [file] = json.loads(files.stdout)["files"]
    assert Path(file["path"]).read_bytes() and Path(file["path"]).parent == tmp_path / "settlement"


def test_call_prints_what_its_output_encoding_cannot_carry_as_escapes(
    fresh_mms_simulator: Simulator, tmp_path: Path
) -> None:
    """Standard output in an encoding other than UTF-8 (Windows' cp932, where output goes to
    a file or a pipe) cannot carry every character of an answer, as it carries no 剝, a kanji
    of company names the schemas allow: the answer is printed all the same, such characters
    written as escapes, valid JSON in JSON, rather than the command failing with a traceback
    once the MMS has processed the request."""
    state = str(fresh_mms_simulator.state_dir)
    company = "剝離電力"
    [example] = example_request("RegistrationSubmit_Participant").items
    participant = {**example.model_dump(mode="json", by_alias=True), "CompanyShortName": company}
    payload = tmp_path / "participant.json"
    payload.write_text(json.dumps(participant))
    register = ["call", "RegistrationSubmit_Participant", "--sim-state", state, "--as", "MO",
                "--payload", str(payload)]  # fmt: skip
    cp932 = CliRunner(charset="cp932")

    as_json = cp932.invoke(main, [*register, "--json"], catch_exceptions=False)
    assert as_json.exit_code == 0, as_json.output
    [item] = json.loads(as_json.stdout)["items"]
    assert item["CompanyShortName"] == company

    as_table = cp932.invoke(main, register, catch_exceptions=False)
    assert as_table.exit_code == 0, as_table.output
    assert re.search(r"^ +CompanyShortName +\\u525d離電力$", as_table.stdout, re.MULTILINE)


def test_call_prints_a_value_ending_in_an_ideographic_space_whole(
    fresh_mms_simulator: Simulator, tmp_path: Path
) -> None:
    """The full-width space (U+3000) is a character of JapaneseStringType like any other, so
    a name may end with one; the plain lines of a table keep it, as they keep every value
    whole, and drop only the padding after the last column."""
    long_name = "偽電力揚水発電所\u3000"
    [example] = example_request("RegistrationSubmit_Resource").items
    resource = {**example.model_dump(mode="json", by_alias=True), "ResourceLongName": long_name}
    payload = tmp_path / "resource.json"
    payload.write_text(json.dumps(resource))
    state = str(fresh_mms_simulator.state_dir)
    shown = mms("call", "put_resource", "--sim-state", state, "--payload", str(payload))
    assert shown.exit_code == 0, shown.output
    assert re.search(f"^ +ResourceLongName +{long_name}$", shown.stdout, re.MULTILINE), shown.stdout


@pytest.mark.parametrize("columns", [None, 250])
def test_call_shows_what_in_an_answer_would_act_on_the_terminal_as_escapes(
    fresh_mms_simulator: Simulator, tmp_path: Path, columns: int | None
) -> None:
    """A report parameter's name is any text (ParamNameType), which the MMS's answer echoes
    with a refusal: a line break in it (&#10;) made up a row of the table, in the plain lines
    of a pipe as in a terminal's table, and a bidi override or a C1 control (CSI) reached the
    terminal, to reorder or rewrite what the user sees. They are shown as escapes, in their
    row; Japanese and its full-width space as they are; JSON carries the name exactly, what
    would act on the terminal written as JSON escapes."""
    name = "X\nFORGED ROW\u202eZ\x9b2J\t偽\u3000電力"  # at most 32 characters
    escaped = "X\\nFORGED ROW\\u202eZ\\x9b2J\\t偽\u3000電力"
    [example] = example_request("ReportCreateRequest").items
    report = {
        **example.model_dump(mode="json", by_alias=True),
        "Param": [{"Name": name, "Value": "1"}],
    }
    payload = tmp_path / "report.json"
    payload.write_text(json.dumps(report))
    create = ["call", "ReportCreateRequest", "--sim-state", str(fresh_mms_simulator.state_dir),
              "--as", "BSP", "--payload", str(payload)]  # fmt: skip

    refused = shown(columns, *create)
    row = f"^  BSP_ResourceList .*Name={re.escape(escaped)}( |$)"
    assert re.search(row, refused, re.MULTILINE), refused
    assert not re.search("^FORGED", refused, re.MULTILINE), refused
    assert all(character.isprintable() or character in "\n\u3000" for character in refused)

    as_json = mms(*create, "--json")
    assert as_json.exit_code == 1, as_json.output
    [item] = json.loads(as_json.stdout)["items"]
    assert item["Param"] == [{"Name": name, "Value": "1"}]
    assert all(character.isprintable() or character in "\n\u3000" for character in as_json.stdout)
    assert "偽\u3000電力" in as_json.stdout


def test_call_reads_dates_and_times_as_the_library_does(
    fresh_mms_simulator: Simulator, tmp_path: Path
) -> None:
    """--date had a format of its own: it took 2024-4-1, which -e Date= refuses, and refused
    a date and time at midnight, which -e Date= takes. A time with no Japan time was a
    traceback. What the rule refuses in --date is a usage error naming the option."""
    state = str(fresh_mms_simulator.state_dir)
    query = ["call", "query_offers", "--example", "--sim-state", state, "--json"]
    accepted = mms(*query, "--date", f"{EXAMPLE_DAY}T00:00:00")
    assert accepted.exit_code == 0, accepted.output
    payload = fresh_mms_simulator.requests[-1].payload or b""
    assert f'<MarketQuery Date="{EXAMPLE_DAY}" '.encode() in payload
    before = fresh_mms_simulator.count(processed=False)
    refused = mms(*query, "-e", "Date=2024-4-1")
    assert refused.exit_code == 2
    assert "MarketData/MarketQuery/@Date: should be a date: " in refused.output
    for text, rule in (
        ("2024-4-1", "should be an ISO date such as 2024-04-01, or a date and time at midnight"),
        (f"{EXAMPLE_DAY}T00:00:00Z", "a datetime given for a date, or a date with a time zone"),
        (f"{EXAMPLE_DAY}Z", "a datetime given for a date, or a date with a time zone"),
    ):
        usage = mms(*query, "--date", text)
        assert usage.exit_code == 2
        assert f"Invalid value for '--date': '{text}': {rule}" in usage.stderr

    late = {**FOREIGN_OFFER, "StartTime": "9999-12-31T20:00:00Z"}
    overflow = mms(*submitting(state, tmp_path / "offer.json", late))
    assert overflow.exit_code == 2
    assert "OfferData[1]/@StartTime: cannot be moved to Japan time" in overflow.output
    assert fresh_mms_simulator.count(processed=False) == before


def test_call_reads_json_numbers_as_the_decimals_they_spell(
    fresh_mms_simulator: Simulator, tmp_path: Path
) -> None:
    """JSON numbers were read as floats: a price of 100.0000000000000001 became 100, sent
    where the schema refuses it, and 100.50 went out as 100.5."""
    state = str(fresh_mms_simulator.state_dir)
    payload = tmp_path / "offer.json"
    arguments = submitting(state, payload, {**FOREIGN_OFFER, "ResourceName": "FAKE_RESO"})
    written = payload.read_text()

    def sending(price: str, quantity: str) -> Result:
        payload.write_text(
            written.replace('"OfferUnitPrice": "10"', f'"OfferUnitPrice": {price}').replace(
                '"MinimumQuantityInKw": 100', f'"MinimumQuantityInKw": {quantity}'
            )
        )
        return mms(*arguments)

    sent = sending("100.50", "1.0E+2")
    assert sent.exit_code == 0, sent.output
    request = fresh_mms_simulator.requests[-1].payload or b""
    assert b'MinimumQuantityInKw="100" OfferUnitPrice="100.50"' in request
    before = fresh_mms_simulator.count(processed=False)
    refused = sending("100.0000000000000001", "100.0000000000000001")
    assert refused.exit_code == 2
    stack = "MarketData/MarketSubmit/OfferData[1]/OfferStack[1]"
    assert f"{stack}/@OfferUnitPrice: Decimal input should have no more than 2" in refused.output
    assert f"{stack}/@MinimumQuantityInKw: should be a whole number" in refused.output
    assert fresh_mms_simulator.count(processed=False) == before


def test_call_reports_refusals_with_the_mms_messages(
    fresh_mms_simulator: Simulator, tmp_path: Path
) -> None:
    state = str(fresh_mms_simulator.state_dir)
    audience = mms("call", "put_offer", "--example", "--sim-state", state, "--as", "TSO")
    assert audience.exit_code == 2  # nothing was sent
    # as a simulator's user, the way out is another --as, not another certificate
    assert audience.stderr == (
        "Error: MarketSubmit_OfferData may be called by BSP; this client is TSO. Pass --as BSP.\n"
    )

    invalid = mms("call", "put_offer", "--example", "--sim-state", state, "-e", "market_type=")
    assert invalid.exit_code == 2
    assert "MarketData/MarketSubmit/@MarketType" in invalid.output  # nothing was sent

    refused = mms(*submitting(state, tmp_path / "offer.json", FOREIGN_OFFER))
    assert refused.exit_code == 1
    assert "E_RESOURCE_NOT_OWNED" in refused.stderr
    assert "MarketSubmit_OfferData" in refused.stderr

    # accepted in part: what was stored is shown, in JSON for scripts too
    both = [{**FOREIGN_OFFER, "ResourceName": "FAKE_RESO"}, FOREIGN_OFFER]
    submit = submitting(state, tmp_path / "offers.json", both, "put_offers")
    partly = mms(*submit, "--json")
    assert partly.exit_code == 1
    answer = json.loads(partly.stdout)
    assert "has Validation PASSED_PARTIAL" in answer["refused"]
    stored, foreign_offer = answer["items"]
    assert (stored["Validation"], foreign_offer["Validation"]) == ("PASSED", "FAILED")
    assert stored["OfferStack"][0]["OfferId"]
    assert [m["code"] for m in answer["messages"] if m["severity"] == "Error"] == [
        "E_RESOURCE_NOT_OWNED"
    ]
    as_tables = mms(*submit)
    assert as_tables.exit_code == 1 and "E_RESOURCE_NOT_OWNED" in as_tables.stderr
    assert "OfferId=OFR" in as_tables.stderr
    # the reply's TransactionId names the answer to the MMS's operators, refused or not
    assert re.fullmatch(r"[0-9A-F]{8}", answer["transaction_id"])
    assert re.search(r"^TransactionId: [0-9A-F]{8}$", as_tables.stderr, re.MULTILINE)


def test_call_as_a_real_command_against_a_served_simulator(
    tmp_path: Path, mms_simulator_pki: Path
) -> None:
    """``mms sim serve`` in one process, ``mms call`` in others, as a user runs them; the
    certificate variant reads its passphrase from the environment and never prints it."""
    state = tmp_path / "state"
    shutil.copytree(mms_simulator_pki, state / "pki")
    query = tmp_path / "query.json"
    query.write_text(json.dumps({"MarketType": "DAM"}))
    with serving(state) as (manifest, _):
        command = [sys.executable, "-m", "mms_client.cli", "call", "query_offers"]
        options = ["--payload", str(query), "--date", EXAMPLE_DAY.isoformat(), "--json"]
        by_manifest = subprocess.run(
            [*command, *options, "--sim-state", str(state)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert by_manifest.returncode == 0, by_manifest.stderr
        assert json.loads(by_manifest.stdout)["operation"] == "MarketQuery_OfferQuery"

        user = manifest.user("BSP")
        by_certificate = subprocess.run(
            [
                *command, *options, "--cert", str(user.p12), "--participant", user.participant,
                "--user", user.user, "--client-type", "BSP", "--base-url", manifest.base_url,
                "--ca", str(manifest.ca),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**os.environ, "MMS_CERT_PASSPHRASE": user.passphrase},
        )  # fmt: skip
    assert by_certificate.returncode == 0, by_certificate.stderr
    assert json.loads(by_certificate.stdout) == json.loads(by_manifest.stdout) | {
        "transaction_id": json.loads(by_certificate.stdout)["transaction_id"]
    }
    assert user.passphrase not in by_certificate.stdout + by_certificate.stderr


def test_call_warns_of_a_certificate_that_expires_within_30_days(
    mms_simulator: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mms_client.security import certs

    user = mms_simulator.user("BSP")
    expiry = user.certificate().not_valid_after
    monkeypatch.setattr(
        certs, "_now", lambda: expiry - dt.timedelta(days=10, hours=1), raising=False
    )
    monkeypatch.setenv("MMS_CERT_PASSPHRASE", user.passphrase)
    called = mms(
        "call", "query_offers", "--example", "--cert", str(user.p12), "--participant",
        user.participant, "--user", user.user, "--client-type", "BSP", "--base-url",
        mms_simulator.base_url, "--ca", str(mms_simulator.ca),
    )  # fmt: skip
    assert called.exit_code == 0, called.output
    assert (
        f"the certificate {user.certificate().subject} expires on {expiry:%Y-%m-%d %H:%M} UTC, "
        "in 10 days; renew it with EPRX before then"
    ) in " ".join(called.output.split())


def test_call_refuses_an_out_that_cannot_take_the_answer_before_sending(
    fresh_mms_simulator: Simulator, tmp_path: Path
) -> None:
    """--out is checked as a usage error, in the words of the option, and nothing is sent;
    a FIFO, a folder or a file stays as it was."""
    state = str(fresh_mms_simulator.state_dir)
    out = tmp_path / "out"
    out.mkdir()
    fifo = out / "fifo"
    os.mkfifo(fifo)
    (out / "folder").mkdir()
    (out / "report.xml").write_text("kept")
    before = fresh_mms_simulator.count(processed=False)
    for arguments, problem in [
        (["download_report", "--out", str(fifo)], f"{fifo} is a FIFO"),
        (["download_report", "--out", str(out / "folder")], "folder is a folder"),
        (
            [
                "MarketQuery_SettlementResultsFileDownloadQuery",
                "--out",
                str(out / "report.xml"),
            ],
            "report.xml is a regular file",
        ),
        (["query_offers", "--out", str(out / "x.xml")], "answers with no files"),
        # a file named as a folder is not said to be missing
        (
            ["download_report", "--out", str(out / "report.xml" / "x.xml")],
            f"cannot be written: {out / 'report.xml'} is a regular file, not a folder",
        ),
    ]:
        result = CliRunner().invoke(main, ["call", *arguments, "--example", "--sim-state", state])
        assert result.exit_code == 2, result.output
        assert f"Invalid value for --out: {out}" in result.output
        assert problem in result.output and "to=" not in result.output
    assert fresh_mms_simulator.count(processed=False) == before
    assert stat.S_ISFIFO(fifo.stat().st_mode) and (out / "report.xml").read_text() == "kept"
    assert sorted(p.name for p in out.iterdir()) == ["fifo", "folder", "report.xml"]


def test_call_failing_once_the_mms_answered_does_not_say_nothing_was_sent(
    fresh_mms_simulator: Simulator, tmp_path: Path
) -> None:
    """A folder where --out must write a file of the answer, whose name only the answer
    gives, and the transaction id of another report for list_bsp_resources are found once
    the MMS answered: the status is not 2 (nothing was sent), and no usage is shown."""
    state = str(fresh_mms_simulator.state_dir)
    files = ["call", "query_settlement_result_files", "--example", "--sim-state", state]
    saved = mms(*files, "--out", str(tmp_path / "first"), "--json")
    [file] = json.loads(saved.stdout)["files"]
    blocked = tmp_path / "second"
    (blocked / Path(file["path"]).name).mkdir(parents=True)
    unwritten = CliRunner().invoke(main, [*files, "--out", str(blocked)])
    assert unwritten.exit_code == 4, unwritten.output  # the output could not be written
    assert unwritten.stderr.startswith(
        f"Error: the MMS answered, but --out cannot take its files: {blocked} holds "
    )
    assert "Usage:" not in unwritten.output

    offers_report = tmp_path / "offers-report.json"
    offers_report.write_text(
        json.dumps(
            {"ReportName": "BSP_Offers", "ReportType": "INTERFACE", "ReportSubType": "OFFERS",
             "Periodicity": "ON_DEMAND", "Date": EXAMPLE_DAY.isoformat(),
             "Param": [{"Name": "START_TIME", "Value": EXAMPLE_DAY.isoformat()},
                       {"Name": "END_TIME", "Value": f"{EXAMPLE_DAY}T23:00:00"}]}
        )
    )  # fmt: skip
    created = mms("call", "create_report", "--payload", str(offers_report), "--sim-state", state,
                  "--json")  # fmt: skip
    assert created.exit_code == 0, created.output
    download = tmp_path / "download.json"
    download.write_text(json.dumps({"TransactionId": json.loads(created.stdout)["transaction_id"]}))
    other = CliRunner().invoke(
        main, ["call", "list_bsp_resources", "--payload", str(download), "--sim-state", state]
    )
    assert other.exit_code == 1, other.output  # sent again, the same answer: fix the request
    assert other.stderr == (
        "Error: ReportDownloadRequestTrnID: the report of that TransactionId holds the "
        "BSP_Offers dataset, not the BSP_ResourceList dataset: the TransactionId is of another "
        "report\n"
    )
    assert "Usage:" not in other.output


def test_call_terminated_midway_leaves_nothing_behind(
    mms_simulator: Simulator, tmp_path: Path
) -> None:
    """SIGTERM (a terminal closed, a job cancelled) unwinds ``mms call`` as Ctrl+C does: what
    it made for the download goes, here the folders made for --out (a report download's
    hidden partial file goes the same way), and the status is the one of a terminated
    process."""
    operation = "MarketQuery_SettlementResultsFileDownloadQuery"
    out = tmp_path / "downloads" / "settlement"
    process = started_mid_request(mms_simulator, operation, "--example", "--out", str(out))
    assert out.is_dir()  # made before the request was sent
    process.send_signal(signal.SIGTERM)
    _, errors = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, errors
    assert list(tmp_path.iterdir()) == []


STOPPED = pytest.mark.parametrize(
    ("stop", "status", "last_words"),
    [
        (signal.SIGINT, 128 + signal.SIGINT, "\nAborted!\n"),
        (signal.SIGTERM, 128 + signal.SIGTERM, ""),
    ],
)
"""Ctrl+C and SIGTERM, each with the status it ends the command with and the last words it
has the command say."""


@STOPPED
def test_a_submit_interrupted_once_sent_says_the_mms_may_have_processed_it(
    mms_simulator: Simulator, stop: signal.Signals, status: int, last_words: str
) -> None:
    """Stopped (Ctrl+C, SIGTERM) while waiting for the answer to a submit, which the MMS may
    well have processed (the simulator has), the command says so, naming where it was sent,
    as the library's errors do when a submit times out: sent again, it could be processed
    twice."""
    process = started_mid_request(mms_simulator, "MarketSubmit_OfferData", "--example")
    process.send_signal(stop)
    _, errors = process.communicate(timeout=60)
    assert process.returncode == status, errors
    warning = (
        "Interrupted after sending MarketSubmit_OfferData; the MMS may have processed the "
        f"request: query before sending it again: {mms_simulator.base_url}/axis2/services/"
        "MiWebService (attempt 1)"
    )
    assert re.fullmatch(rf"\S+ \S+ WARNING {re.escape(warning)}\n{last_words}", errors), errors


def test_a_query_interrupted_once_sent_is_only_aborted(mms_simulator: Simulator) -> None:
    """A query may be sent again whenever: there is nothing to warn of."""
    process = started_mid_request(mms_simulator, "MarketQuery_OfferQuery", "--example")
    process.send_signal(signal.SIGINT)
    _, errors = process.communicate(timeout=60)
    assert (process.returncode, errors) == (128 + signal.SIGINT, "\nAborted!\n")


@STOPPED
def test_a_submit_interrupted_before_its_request_went_out_is_only_aborted(
    mms_simulator: Simulator, stop: signal.Signals, status: int, last_words: str
) -> None:
    """Stopped while its connection's TLS handshake waits for a silent host, the submit was
    sent nowhere: saying that the MMS may have processed it would have its user query for
    nothing, or doubt a submit that never left."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        process = subprocess.Popen(
            [sys.executable, "-m", "mms_client.cli", "call", "put_offer", "--example",
             "--sim-state", str(mms_simulator.state_dir),
             "--base-url", f"https://127.0.0.1:{silent.getsockname()[1]}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=interruptible,
        )  # fmt: skip
        connection, _ = silent.accept()  # the command waits for the handshake from now on
        with connection:
            process.send_signal(stop)
            _, errors = process.communicate(timeout=60)
    assert (process.returncode, errors) == (status, last_words)


def shown(columns: int | None, *arguments: str) -> str:
    """What ``mms`` prints, standard output and error together: on a terminal ``columns``
    wide, or (None) into a pipe."""
    command = [sys.executable, "-m", "mms_client.cli", *arguments]
    if columns is None:
        piped = subprocess.run(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120
        )
        return piped.stdout
    controller, terminal = pty.openpty()
    environment = {**os.environ, "COLUMNS": str(columns), "NO_COLOR": "1"}
    with subprocess.Popen(
        command, stdin=terminal, stdout=terminal, stderr=terminal, env=environment
    ) as process:
        os.close(terminal)
        chunks = []
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the other end is closed: the command has ended
                break
            if not chunk:
                break
            chunks.append(chunk)
    os.close(controller)
    assert process.returncode is not None
    printed = b"".join(chunks).decode().replace("\r\n", "\n")
    return re.sub(r"\x1b\[[0-9;]*m", "", printed)  # bold headers and the like


@pytest.mark.parametrize("columns", [None, 60, 250])
def test_call_prints_names_paths_and_codes_whole(
    fresh_mms_simulator: Simulator, tmp_path: Path, columns: int | None
) -> None:
    """Every value of a table can be copied whole, on one line with the rest of its row,
    wherever it is printed: on a terminal wide enough, as a table in which only free text is
    wrapped (between words); on a narrower one, or into a pipe or a file, which rich would
    take to be 80 columns wide, as plain lines as long as they need to be."""
    state = str(fresh_mms_simulator.state_dir)
    out = tmp_path / "a-folder-named-at-length-as-folders-of-reports-are" / "resources.xml"
    out.parent.mkdir()
    download = shown(columns, "call", "download_report", "--example", "--sim-state", state,
                     "--out", str(out))  # fmt: skip
    file = rf"^ +BSP_ResourceList_F100_\w+\.xml +XML +\d+ +{re.escape(str(out))} *$"
    assert re.search(file, download, re.MULTILINE), download
    assert ("─" in download) == (columns == 250), download  # the rule under a rich header

    offers = [{**FOREIGN_OFFER, "ResourceName": "FAKE_RESO"}, FOREIGN_OFFER]
    refused = shown(columns, *submitting(state, tmp_path / "offers.json", offers, "put_offers"))
    message = (
        r"^ +Error +E_RESOURCE_NOT_OWNED +resource OTHER_RESO is held by participant F200 since "
        r"its registration, not by F100, for \S+ +MarketData/MarketSubmit/OfferData\[2\] *$"
    )
    assert re.search(message, refused, re.MULTILINE), refused


def test_call_takes_the_established_client_names(fresh_mms_simulator: Simulator) -> None:
    """list_bsp_resources answers with the rows of the resource list, as the method does;
    get_settlement_results is query_settlement_results."""
    state = str(fresh_mms_simulator.state_dir)
    listed = mms("call", "list_bsp_resources", "--example", "--sim-state", state, "--json")
    assert listed.exit_code == 0, listed.output
    answer = json.loads(listed.stdout)
    assert answer["operation"] == "ReportDownloadRequestTrnID" and len(answer["files"]) == 1
    assert {row["ResourceName"] for row in answer["items"]} == {
        "FAKE_RESO", "FAKE_RESO2", "FAKE_BATT",
    }  # fmt: skip
    as_tables = mms("call", "list_bsp_resources", "--example", "--sim-state", state)
    assert as_tables.exit_code == 0 and "BSP_ResourceList 1/3" in as_tables.stdout

    settlement = mms("call", "get_settlement_results", "--example", "--sim-state", state, "--json")
    assert settlement.exit_code == 0, settlement.output
    same = mms("call", "query_settlement_results", "--example", "--sim-state", state, "--json")
    assert json.loads(settlement.stdout)["items"] == json.loads(same.stdout)["items"]
    assert (
        json.loads(settlement.stdout)["operation"] == "MarketQuery_SettlementResultsFileListQuery"
    )


def test_call_of_a_method_taking_one_item_sends_one_item_of_the_example(
    fresh_mms_simulator: Simulator,
) -> None:
    """put_offer sends one offer, as the method does; put_offers and the registry name send
    the operation's whole example."""
    state = str(fresh_mms_simulator.state_dir)
    example = example_request("MarketSubmit_OfferData")
    assert len(example.items) > 1
    sent: dict[str, list[str]] = {}
    for name in ("put_offer", "put_offers", "MarketSubmit_OfferData"):
        result = mms("call", name, "--example", "--sim-state", state, "--json")
        assert result.exit_code == 0, result.output
        sent[name] = [item["ResourceName"] for item in json.loads(result.stdout)["items"]]
    assert sent["put_offer"] == [example.items[0].resource]
    assert (
        sent["put_offers"]
        == sent["MarketSubmit_OfferData"]
        == [item.resource for item in example.items]
    )
    shown = mms("call", "put_offer", "--example", "--sim-state", state)
    assert shown.exit_code == 0 and "OfferData 1/1:" in shown.stdout


def test_call_refuses_what_the_method_could_not_send_before_connecting(
    mms_simulator: Simulator, tmp_path: Path
) -> None:
    """Several items for a method of one, and an offer or cancel without its market type,
    are usage errors: nothing reaches the MMS."""
    state = str(mms_simulator.state_dir)
    two = tmp_path / "two-offers.json"
    two.write_text(json.dumps([FOREIGN_OFFER, {**FOREIGN_OFFER, "ResourceName": "FAKE_RESO"}]))
    one = tmp_path / "offer.json"
    one.write_text(json.dumps(FOREIGN_OFFER))
    cancel = tmp_path / "cancel.json"
    period = {key: FOREIGN_OFFER[key] for key in ("ResourceName", "StartTime", "EndTime")}
    cancel.write_text(json.dumps({**period, "MarketType": "DAM"}))
    before = mms_simulator.count(processed=False)

    several = mms("call", "put_offer", "--payload", str(two), "--market-type", "DAM",
                  "--sim-state", state)  # fmt: skip
    assert several.exit_code == 2
    assert "put_offer takes one OfferData; put_offers takes several" in several.output
    for name, payload in [
        ("put_offer", one),
        ("put_offers", two),
        ("cancel_offer", cancel),
        ("MarketCancel_OfferCancel", cancel),
    ]:
        unmarked = mms("call", name, "--payload", str(payload), "--sim-state", state)
        assert unmarked.exit_code == 2, unmarked.output
        assert f"{name} needs --market-type" in unmarked.output
    assert mms_simulator.count(processed=False) == before

    cancels = mms_simulator.count("MarketCancel_OfferCancel")
    marked = mms("call", "cancel_offer", "--payload", str(cancel), "-e", "MarketType=DAM",
                 "--date", EXAMPLE_DAY.isoformat(), "--sim-state", state)  # fmt: skip
    assert marked.exit_code == 1, marked.output  # the MMS has no such offer to cancel
    assert mms_simulator.count("MarketCancel_OfferCancel") == cancels + 1
