"""``mms sim serve`` as a user runs it: a process that serves until told to stop."""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from cryptography import x509

import mms_client
from mms_client.cli import main
from mms_client.client import MmsClient
from mms_client.endpoints import SERVICE_PATHS, Interface
from mms_client.jst import JST
from mms_client.schema.files import schema_dir
from mms_client.security.certs import Certificate
from mms_client.sim import ServerLimits
from mms_client.sim.manifest import Manifest
from mms_client.types.market import MarketType
from mms_client.types.offer import Direction, OfferData, OfferQuery, OfferStack

from .serving import schema_folder, serving, start

DAY = dt.date(2024, 3, 15)


def _serve(state: Path) -> subprocess.CompletedProcess[str]:
    """``mms sim serve`` on ``state``, for a start that is to fail."""
    return subprocess.run(
        [sys.executable, "-m", "mms_client.cli", "sim", "serve", "--port", "0", "--state",
         str(state)],
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip


def _mms(*arguments: str, **options: Any) -> subprocess.CompletedProcess[str]:
    """``mms`` with ``arguments``, for a command that is to end at once; ``options``:
    subprocess.run's (``cwd``, ``env``)."""
    return subprocess.run(
        [sys.executable, "-m", "mms_client.cli", *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        **options,
    )


def _client(manifest: Manifest, **options: str) -> MmsClient:
    arguments = {"domain": "tests.local", "backup_url": None, **options}
    return MmsClient(**manifest.client_arguments("BSP", **arguments))


def _outgoing_address(family: socket.AddressFamily) -> str | None:
    """The address of this machine that packets to other machines leave from, if any."""
    elsewhere = "192.0.2.1" if family == socket.AF_INET else "2001:db8::1"
    with contextlib.suppress(OSError), socket.socket(family, socket.SOCK_DGRAM) as probe:
        probe.connect((elsewhere, 9))
        return str(probe.getsockname()[0])
    return None


def test_serve_prints_how_to_connect_and_keeps_state_across_restarts(
    tmp_path: Path, mms_simulator_pki: Path
) -> None:
    state = tmp_path / "state"
    shutil.copytree(mms_simulator_pki, state / "pki")  # spares generating keys
    offer = OfferData(
        stack=[OfferStack(number=1, unit_price=100, minimum_quantity_kw=100)],
        resource="FAKE_RESO",
        start=dt.datetime(2024, 3, 15, 12),
        end=dt.datetime(2024, 3, 15, 21),
        direction=Direction.SELL,
    )
    with serving(state) as (manifest, printed):
        assert manifest.base_url in printed and str(manifest.ca) in printed
        assert "FAKEUSER" in printed and "base_url=" in printed
        assert manifest.backup_url is not None
        with _client(manifest) as client:
            stored = client.put_offer(offer, market_type=MarketType.DAY_AHEAD, date=DAY)
        ca = manifest.ca.read_bytes()

    with serving(state) as (manifest, _), _client(manifest) as client:
        assert manifest.ca.read_bytes() == ca
        found = client.query_offers(OfferQuery(market_type=MarketType.DAY_AHEAD), date=DAY)
        assert [o.stack[0].id for o in found] == [stored.stack[0].id]


def test_what_serve_prints_survives_a_narrow_console_whole(
    tmp_path: Path, mms_simulator_pki: Path
) -> None:
    """Each value is printed to be copied whole (on one line with what it goes with),
    however narrow the console, and log lines are not broken either; the snippet is Python
    that makes a working client of the manifest's addresses, main and backup, whatever the
    path of the state folder holds (a Windows path has backslashes)."""
    state = tmp_path / 'a state folder with a name long enough to need more than a line \\U "'
    shutil.copytree(mms_simulator_pki, state / "pki")
    with serving(state, 40, "--log-level", "info") as (manifest, printed):
        lines = printed.splitlines()
        assert re.search(r"^ +participant +user +type +PKCS#12 +passphrase$", printed, re.M)
        for user in manifest.users:
            values = (user.participant, user.user, user.p12.name, user.passphrase)
            assert any(all(value in line for value in values) for line in lines)
        for resource in manifest.resources:
            values = (resource.name, resource.participant, resource.short_name)
            assert any(all(value in line for value in values) for line in lines)
        assert f"PKCS#12 files: {manifest.users[0].p12.parent}\n" in printed
        assert re.search(r"^\S.* INFO +Started server process \[\d+\]$", printed, re.M)
        snippet = printed.partition("Point a client at it:\n")[2].partition("Press Ctrl+C")[0]
        pasted: dict[str, Any] = {}
        exec(textwrap.dedent(snippet), pasted)
        with pasted["client"] as client:
            endpoints = client.endpoints()
            assert endpoints.main.startswith(f"{manifest.base_url}/")
            assert manifest.backup_url and endpoints.backup
            assert endpoints.backup.startswith(f"{manifest.backup_url}/")
            client.query_offers(OfferQuery(market_type=MarketType.DAY_AHEAD), date=DAY)


def test_serve_on_every_ipv6_interface_is_verified_at_every_address_it_names_or_has(
    tmp_path: Path, mms_simulator_pki: Path
) -> None:
    """``--host ::``: clients verify the server at the address the manifest and the banner
    give (``[::1]``), and at the machine's addresses of both families (``::`` serves IPv4
    too); the certificate names no wildcard address, which no client connects to."""
    try:
        with socket.socket(socket.AF_INET6) as loopback:
            loopback.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    state = tmp_path / "state"
    shutil.copytree(mms_simulator_pki, state / "pki")
    with serving(state, 200, "--host", "::") as (manifest, printed):
        assert manifest.base_url.startswith("https://[::1]:") and manifest.base_url in printed
        arguments = ["call", "query_offers", "--example", "--sim-state", str(state), "--json"]
        called = CliRunner().invoke(main, arguments)
        assert called.exit_code == 0, called.output
        port = manifest.base_url.rsplit(":", 1)[1]
        elsewhere = [_outgoing_address(socket.AF_INET6), _outgoing_address(socket.AF_INET)]
        for address in ["127.0.0.1", *filter(None, elsewhere)]:
            host = f"[{address}]" if ":" in address else address
            with _client(manifest, base_url=f"https://{host}:{port}") as client:
                client.query_offers(OfferQuery(market_type=MarketType.DAY_AHEAD), date=DAY)
    certificate = x509.load_pem_x509_certificate((state / "pki" / "server.pem").read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    ips = names.get_values_for_type(x509.IPAddress)
    assert ipaddress.ip_address("::1") in ips
    assert not [ip for ip in ips if ip.is_unspecified]


@pytest.mark.parametrize("option", ["--port", "--backup-port"])
def test_serve_explains_a_port_it_cannot_use(tmp_path: Path, option: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        free = ["--port", "0"] if option == "--backup-port" else []
        result = subprocess.run(
            [sys.executable, "-m", "mms_client.cli", "sim", "serve", *free, option, str(port),
             "--state", str(tmp_path / "s")],
            capture_output=True,
            text=True,
            timeout=60,
        )  # fmt: skip
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr
    assert not (tmp_path / "s").exists()


def test_an_empty_state_folder_is_refused_not_taken_for_the_current_one(tmp_path: Path) -> None:
    """``--state "$DIR"`` with DIR unset: serve would fill the current folder with its PKI
    and state, and call would look for a simulator there."""
    for command, option in [(("sim", "serve", "--port", "0"), "--state"),
                            (("call", "query_offers", "--example"), "--sim-state")]:  # fmt: skip
        result = _mms(*command, option, "", cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert (
            f"Error: Invalid value for '{option}': is empty; name the simulator's state folder"
        ) in result.stderr
        assert not list(tmp_path.iterdir())


def test_an_empty_state_variable_is_refused_not_taken_for_an_unset_one(tmp_path: Path) -> None:
    """``MMS_SIM_STATE="$DIR"`` with DIR unset: click took the empty variable for one not
    set, so serve started a simulator on the user's data folder and call looked for one
    there, neither where the user meant. Beside --cert, where the variable goes unused, it
    stands in the way no more than a folder it names."""
    home = tmp_path / "home"
    home.mkdir()
    environment = {**os.environ, "HOME": str(home), "MMS_SIM_STATE": ""}
    environment.pop("XDG_DATA_HOME", None)
    for command in (("sim", "serve", "--port", "0"), ("call", "query_offers", "--example")):
        result = _mms(*command, env=environment)
        assert result.returncode == 2, result.stderr
        assert (
            "Error: Invalid value for MMS_SIM_STATE: is set but empty; name the simulator's "
            "state folder in it, or unset it"
        ) in result.stderr
        assert not list(home.iterdir())
    cert = tmp_path / "user.p12"
    cert.write_bytes(b"not PKCS#12")
    unused = _mms(
        "call", "query_offers", "--example", "--cert", str(cert), "--participant", "F100",
        "--user", "FAKEUSER", "--client-type", "BSP",
        env={**environment, "MMS_CERT_PASSPHRASE": "x"},
    )  # fmt: skip
    assert unused.returncode == 2 and f"{cert} is not PKCS#12 data" in unused.stderr


def test_serve_refuses_a_state_folder_another_serve_uses(
    tmp_path: Path, mms_simulator_pki: Path
) -> None:
    state = tmp_path / "state"
    shutil.copytree(mms_simulator_pki, state / "pki")
    with serving(state) as (manifest, _):
        second = _serve(state)
        assert second.returncode == 2
        assert second.stderr.startswith(f"Error: the state folder {state} is in use by another ")
        assert manifest.base_url in second.stderr and "Traceback" not in second.stderr
        # clients are still sent to the first one, on both its addresses
        assert Manifest.load(state) == manifest and manifest.backup_url is not None
        with _client(manifest) as client:
            client.query_offers(OfferQuery(market_type=MarketType.DAY_AHEAD), date=DAY)


def test_serve_outlives_a_reader_that_stops_at_its_first_line(
    tmp_path: Path, mms_simulator_pki: Path
) -> None:
    """``mms sim serve | grep -m1 listening``: the way a script waits for it to start."""
    state = tmp_path / "state"
    shutil.copytree(mms_simulator_pki, state / "pki")
    process = subprocess.Popen(
        [sys.executable, "-m", "mms_client.cli", "sim", "serve", "--port", "0",
         "--backup-port", "0", "--state", str(state), "--log-level", "info"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        while "listening" not in process.stdout.readline():
            pass
        process.stdout.close()  # the reader has gone; what is printed next meets a closed pipe
        with _client(Manifest.load(state)) as client:
            client.query_offers(OfferQuery(market_type=MarketType.DAY_AHEAD), date=DAY)
        assert process.poll() is None
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=30)
    assert process.returncode == 0, errors


def test_serve_refuses_the_same_port_twice(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mms_client.cli", "sim", "serve", "--port", "18443",
         "--backup-port", "18443", "--state", str(tmp_path / "state")],
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "Error: the backup port must differ from the main port (18443)" in result.stderr
    assert not (tmp_path / "state").exists()


def test_serve_starts_on_a_folder_whose_simulator_was_killed(
    tmp_path: Path, mms_simulator_pki: Path
) -> None:
    state = tmp_path / "state"
    shutil.copytree(mms_simulator_pki, state / "pki")
    process, _ = start(state)
    process.kill()  # no chance to clean up: its lock file stays behind
    process.communicate()
    assert (state / "simulator.lock").exists()
    with serving(state) as (manifest, _), _client(manifest) as client:
        client.query_offers(OfferQuery(market_type=MarketType.DAY_AHEAD), date=DAY)


def test_serve_explains_state_it_cannot_use(tmp_path: Path, mms_simulator_pki: Path) -> None:
    """Each kind of damage has its test with the Python API; here, how the command shows it."""
    state = tmp_path / "state"
    shutil.copytree(mms_simulator_pki, state / "pki")
    (state / "state.sqlite3").write_text("this is not a database\n")
    result = _serve(state)
    assert result.returncode == 2
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.stderr
    assert str(state / "state.sqlite3") in result.stderr
    assert "file is not a database" in result.stderr
    assert "another state folder" in result.stderr


def test_serve_says_which_official_xsds_check_the_payloads(
    tmp_path: Path, mms_simulator_pki: Path
) -> None:
    schemas = schema_dir()
    if schemas is None:
        pytest.skip("the official MMS schema files are not available (set MMS_SCHEMA_DIR)")
    state = tmp_path / "state"
    shutil.copytree(mms_simulator_pki, state / "pki")
    with serving(state, 200, "--log-level", "info") as (_, printed):
        assert f"payloads are checked against the official XSDs in {schemas / 'xsd'}\n" in printed


def test_an_installed_serve_says_it_checks_no_official_xsd_and_how_to_have_it_check(
    tmp_path: Path, mms_simulator_pki: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Installed, the package is in no checkout with the schema files beside it: only
    MMS_SCHEMA_DIR names them, and without it the simulator checks with the models alone."""
    site = tmp_path / "site"
    shutil.copytree(Path(mms_client.__file__).parent, site / "mms_client")
    monkeypatch.setenv("PYTHONPATH", str(site))
    monkeypatch.delenv("MMS_SCHEMA_DIR", raising=False)
    state = tmp_path / "state"
    shutil.copytree(mms_simulator_pki, state / "pki")
    with serving(state, 200, "--log-level", "info") as (_, printed):
        assert (
            "payloads are checked against the payload models only, not the official XSDs: set "
            "MMS_SCHEMA_DIR to the folder of EPRX's schema files (with xsd/) to check them too\n"
        ) in printed


@pytest.mark.parametrize("folder", ["missing", "a file", "without xsd", "incomplete", "broken XSD"])
def test_serve_refuses_schema_files_it_cannot_check_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder: str
) -> None:
    """MMS_SCHEMA_DIR asks for the check: a folder it cannot be made with is no quiet
    "off", and an XSD that cannot be read is no error on every request."""
    schemas = tmp_path / "schemas"
    if folder == "without xsd":
        schemas.mkdir()
    elif folder == "a file":
        schemas.write_text("")
    elif folder == "incomplete":
        (schemas / "xsd").mkdir(parents=True)
        (schemas / "xsd" / "mi-market.xsd").write_text("<schema/>")
    elif folder == "broken XSD":
        schema_folder(schemas, broken="omi.xsd")
    monkeypatch.setenv("MMS_SCHEMA_DIR", str(schemas))
    result = _serve(tmp_path / "state")
    expected = {
        "missing": f"no schema folder: {schemas} does not exist; set MMS_SCHEMA_DIR to the "
        "folder of EPRX's schema files (with xsd/), or unset it\n",
        "a file": f"no schema folder: {schemas} is not a folder; set MMS_SCHEMA_DIR to the "
        "folder of EPRX's schema files (with xsd/), or unset it\n",
        "without xsd": f"no schema folder: {schemas} has no xsd/ folder; set MMS_SCHEMA_DIR to "
        "the folder of EPRX's schema files (with xsd/), or unset it\n",
        "incomplete": f"incomplete schema folder: {schemas} has no xsd/omi.xsd, xsd/mpr.xsd, "
        "xsd/mi-report.xsd, xsd/mi-outbnd-reports.xsd; set MMS_SCHEMA_DIR to the folder of "
        "EPRX's schema files (with xsd/), or unset it\n",
        "broken XSD": f"{schemas / 'xsd' / 'omi.xsd'} cannot be read as an XSD: ",
    }[folder]
    assert result.returncode == 2  # it cannot start as asked
    assert result.stderr.startswith("Error: " + expected), result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "state").exists()


def test_serve_answers_connections_over_max_connections_with_503(
    tmp_path: Path, mms_simulator_pki: Path
) -> None:
    state = tmp_path / "state"
    shutil.copytree(mms_simulator_pki, state / "pki")
    with serving(state, 200, "--max-connections", "1") as (manifest, _):
        user = manifest.user("BSP")
        context = Certificate(user.p12, user.passphrase).ssl_context(verify=manifest.ca)
        url = httpx.URL(manifest.base_url)
        assert url.port is not None

        def connect() -> socket.socket:
            raw = socket.create_connection((url.host, url.port), timeout=20)
            return context.wrap_socket(raw, server_hostname=url.host)

        with connect(), connect() as second:
            second.sendall(
                f"POST {SERVICE_PATHS[Interface.MI]} HTTP/1.1\r\nHost: localhost\r\n"
                "Content-Length: 0\r\n\r\n".encode()
            )
            assert second.recv(4096).startswith(b"HTTP/1.1 503 ")


def test_serve_with_a_clock_set_stamps_what_it_takes_with_that_time(
    tmp_path: Path, mms_simulator_pki: Path
) -> None:
    """``--clock`` serves from the time it names (Japan time), which runs on, and the banner
    says so: an answer is stamped with that time."""
    state = tmp_path / "state"
    shutil.copytree(mms_simulator_pki, state / "pki")
    set_at = dt.datetime(2024, 3, 14, 9, tzinfo=JST)
    with (
        serving(state, 200, "--clock", "2024-03-14T09:00") as (manifest, printed),
        _client(manifest) as client,
    ):
        answer = client.call("RegistrationQuery_Participant", {"ParticipantName": "F100"})
    assert "Clock:        set to 2024-03-14T09:00:00+09:00, running on from there" in printed
    assert answer.statistics is not None and answer.statistics.xml_timestamp is not None
    assert set_at <= answer.statistics.xml_timestamp < set_at + dt.timedelta(hours=1)


def test_serve_with_a_frozen_clock_stamps_every_answer_with_the_time_set(
    tmp_path: Path, mms_simulator_pki: Path
) -> None:
    """``--frozen-clock`` keeps the clock at ``--clock``'s time: answers are stamped with it
    exactly, and the banner says the clock stands still."""
    state = tmp_path / "state"
    shutil.copytree(mms_simulator_pki, state / "pki")
    set_at = dt.datetime(2024, 3, 14, 9, tzinfo=JST)
    with (
        serving(state, 200, "--clock", "2024-03-14T09:00", "--frozen-clock") as (
            manifest,
            printed,
        ),
        _client(manifest) as client,
    ):
        answers = [
            client.call("RegistrationQuery_Participant", {"ParticipantName": "F100"})
            for _ in range(2)
        ]
    assert "Clock:        set to 2024-03-14T09:00:00+09:00, standing still" in printed
    for answer in answers:
        assert answer.statistics is not None and answer.statistics.xml_timestamp == set_at


def test_serve_refuses_a_frozen_clock_without_its_time() -> None:
    refused = CliRunner().invoke(main, ["sim", "serve", "--frozen-clock"])
    assert refused.exit_code == 2
    assert "--frozen-clock needs --clock, the time the clock stands at" in refused.stderr


@pytest.mark.parametrize(
    ("given", "refusal"),
    [
        ("14/03/2024", "'14/03/2024' is no ISO date and time; give one as 2024-04-01T09:00"),
        ("1899-12-31", "takes a time from 1900-01-01 to 9998-12-31 (Japan time); got 1899-"),
    ],
)
def test_serve_refuses_a_clock_it_cannot_take_saying_what_it_takes(
    given: str, refusal: str
) -> None:
    refused = CliRunner().invoke(main, ["sim", "serve", "--clock", given])
    assert refused.exit_code == 2
    assert "Error: Invalid value for '--clock': " in refused.stderr
    assert refusal in refused.stderr


def test_serve_shows_and_checks_its_limits() -> None:
    """--help gives the defaults the simulator has; a limit of nothing is refused."""
    shown = " ".join(CliRunner().invoke(main, ["sim", "serve", "--help"]).output.split())
    defaults = ServerLimits()
    for option, default in [
        ("--max-connections", defaults.max_connections),
        ("--handshake-timeout", defaults.handshake_timeout),
        ("--head-timeout", defaults.request_timeout),
    ]:
        assert re.search(rf"{option} [^[]*\[default: {default:g}\]", shown)
        refused = CliRunner().invoke(main, ["sim", "serve", option, "0"])
        assert refused.exit_code == 2 and f"Invalid value for '{option}'" in refused.output
    # NaN passes a range of click's, and would have reached uvicorn; the simulator refuses
    # it and infinity by the name of its limit (request_timeout), which no option has
    for option in ("--handshake-timeout", "--head-timeout"):
        for given in ("nan", "inf"):
            refused = CliRunner().invoke(main, ["sim", "serve", option, given])
            assert refused.exit_code == 2
            assert refused.stderr.endswith(
                f"Error: Invalid value for '{option}': must be a positive finite number, "
                f"not {given}\n"
            )


def test_serve_on_two_addresses_logs_its_process_starting_and_stopping_once(
    tmp_path: Path, mms_simulator_pki: Path
) -> None:
    state = tmp_path / "state"
    shutil.copytree(mms_simulator_pki, state / "pki")
    process, printed = start(state, 200, "--log-level", "info")
    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=30)

    assert process.returncode == 0, printed + rest
    log = printed + rest
    assert "(backup: https://" in log
    assert len(re.findall(r"Started server process \[\d+\]", log)) == 1, log
    assert len(re.findall(r"Finished server process \[\d+\]", log)) == 1, log
    assert log.count("Shutting down") == 1, log


_TERMINATED_WHERE_NOTHING_IS_RAISED = """
import os, signal, sys
from mms_client.cli import main
from mms_client.sim.simulator import Simulator

class TerminatedWhenCollected:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGTERM)
        sum(range(1000))  # the handler runs here, where what it raises is only reported

started = Simulator.start

def start(self):
    TerminatedWhenCollected()  # collected at once
    return started(self)

Simulator.start = start
main(["sim", "serve", "--port", "0", "--state", sys.argv[1]])
"""


def test_a_sigterm_while_it_starts_stops_it_even_where_the_start_cannot_be_ended(
    tmp_path: Path, mms_simulator_pki: Path
) -> None:
    """A SIGTERM that arrives while the start runs code that only reports what is raised (a
    finaliser here; a callback of pydantic-core when the models are first built) still stops
    the simulator, once it has started; before, the signal was lost and it served on."""
    state = tmp_path / "state"
    shutil.copytree(mms_simulator_pki, state / "pki")
    try:
        result = subprocess.run(
            [sys.executable, "-c", _TERMINATED_WHERE_NOTHING_IS_RAISED, str(state)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError("the simulator served on after a SIGTERM") from exc
    assert result.returncode == 0, result.stderr
    assert "state kept in" in result.stdout
    assert "Press Ctrl+C" not in result.stdout
