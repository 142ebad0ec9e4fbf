"""The simulator as a whole: state folder, manifest, restart."""

from __future__ import annotations

import json
import socket
import ssl
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509

from mms_client.errors import ConfigurationError, MMSError, SchemaFilesError, SimulatorRunError
from mms_client.examples import example_request
from mms_client.schema.generated.mi_market import MarketType, OfferQuery
from mms_client.sim.manifest import MANIFEST_NAME, Manifest
from mms_client.sim.server import Listener, ServerThread, bind
from mms_client.sim.simulator import Simulator

from .conftest import TRADING_DAY, OfferFactory, Wire

DAM = MarketType.DAY_AHEAD


def test_the_manifest_tells_a_client_everything_it_needs(fresh_mms_simulator: Simulator) -> None:
    path = fresh_mms_simulator.state_dir / "simulator.json"
    data = json.loads(path.read_text("utf-8"))

    assert data["base_url"] == fresh_mms_simulator.base_url
    assert data["backup_url"] == fresh_mms_simulator.backup_url
    assert Path(data["ca"]).is_absolute() and Path(data["ca"]).is_file()
    users = {(u["participant"], u["user"], u["client_type"]) for u in data["users"]}
    assert {("F100", "FAKEUSER", "BSP"), ("F200", "OTHERUSER", "BSP")} <= users
    assert {u["client_type"] for u in data["users"]} == {"BSP", "MO", "TSO"}
    assert all(Path(u["p12"]).is_absolute() and u["passphrase"] for u in data["users"])
    owners = {r["name"]: r["participant"] for r in data["resources"]}
    assert owners["FAKE_RESO"] == "F100" and owners["OTHER_RESO"] == "F200"
    assert Manifest.load(fresh_mms_simulator.state_dir) == fresh_mms_simulator.manifest
    # a folder or a file, as a string too
    manifest_file = str(fresh_mms_simulator.state_dir / MANIFEST_NAME)
    assert Manifest.load(manifest_file) == fresh_mms_simulator.manifest
    # it holds the users' passphrases: readable by the owner only
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_state_folder_it_makes_and_its_database_are_its_owners_alone(
    fresh_mms_simulator: Simulator, offer: OfferFactory
) -> None:
    # the offers, registrations and user names it keeps are not for other users of the machine
    Wire(fresh_mms_simulator).call("MarketSubmit_OfferData", offer(), market_type=DAM)
    folder = fresh_mms_simulator.state_dir
    databases = folder.glob("state.sqlite3*")
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in databases}
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert "state.sqlite3-wal" in modes
    assert modes == dict.fromkeys(modes, 0o600)


def test_a_restart_keeps_the_pki_and_the_offers(
    mms_simulator_pki: Path, tmp_path: Path, offer: OfferFactory
) -> None:
    folder = tmp_path / "state"
    with Simulator(folder, pki_source=mms_simulator_pki) as first:
        Wire(first).call("MarketSubmit_OfferData", offer(), market_type=DAM)
        ca = first.ca.read_bytes()
        passphrases = [u.passphrase for u in first.users]

    with Simulator(folder) as second:
        assert second.ca.read_bytes() == ca
        assert [u.passphrase for u in second.users] == passphrases
        answer = Wire(second).call("MarketQuery_OfferQuery", OfferQuery(market_type=DAM))
        assert [o.get("ResourceName") for o in answer.document.iter("OfferData")] == ["FAKE_RESO"]


def test_a_user_the_market_operator_registers_gets_a_certificate_on_the_next_start(
    mms_simulator_pki: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "state"
    participant = example_request("RegistrationSubmit_Participant").items[0]
    user = {"UserName": "QAUSER", "StartDate": "2024-04-01", "Email": "qa@example.com"}
    with Simulator(folder, pki_source=mms_simulator_pki) as first, first.client("MO") as operator:
        (registered,) = operator.call("RegistrationSubmit_Participant", participant).items
        assert registered.participant_name == "F101"
        operator.call("RegistrationSubmit_User", {**user, "ParticipantName": "F101"})

    with Simulator(folder) as second:
        qa = second.user("BSP", "F101")
        assert (qa.user, qa.p12) == ("QAUSER", folder / "pki" / "users" / "F101-QAUSER.p12")
        assert Manifest.load(folder).user("BSP", "F101") == qa
        # the seeded users come first still: clients made without naming one get the same
        assert second.user("BSP").user == "FAKEUSER"
        with second.client("BSP", "F101") as qa_client:
            (found,) = qa_client.call(
                "RegistrationQuery_User", {"ParticipantName": "F101", "UserName": "QAUSER"}
            ).items
        assert found.user_name == "QAUSER"


def test_a_participants_second_user_is_picked_by_its_name(
    mms_simulator_pki: Path, tmp_path: Path
) -> None:
    """The seeded user comes first: a user registered later for the same participant is
    reached by naming it."""
    folder = tmp_path / "state"
    user = {"ParticipantName": "F100", "UserName": "QAUSER2", "StartDate": "2024-04-01"}
    with Simulator(folder, pki_source=mms_simulator_pki) as first, first.client("MO") as operator:
        operator.call("RegistrationSubmit_User", {**user, "Email": "qa@example.com"})

    with Simulator(folder) as second:
        assert second.user("BSP", "F100").user == "FAKEUSER"
        second_user = second.user("BSP", "F100", "QAUSER2")
        assert second_user.p12 == folder / "pki" / "users" / "F100-QAUSER2.p12"
        assert Manifest.load(folder).user("BSP", user="QAUSER2") == second_user
        with second.client("BSP", "F100", "QAUSER2") as client:
            client.call("MarketQuery_OfferQuery", OfferQuery(market_type=DAM))
        assert second.requests[-1].user == "QAUSER2"
        with pytest.raises(LookupError) as caught:
            second.user("BSP", "F100", "QAUSER3")
        assert str(caught.value) == (
            "the simulator has no BSP user 'QAUSER3' of participant 'F100'; "
            "its BSP users are F100/FAKEUSER, F200/OTHERUSER, F100/QAUSER2"
        )


def test_an_unknown_client_type_is_refused_naming_the_choices(
    mms_simulator: Simulator,
) -> None:
    for pick in (
        mms_simulator.client,
        mms_simulator.async_client,
        mms_simulator.user,
        Manifest.load(mms_simulator.state_dir).user,
    ):
        with pytest.raises(
            ConfigurationError,
            match="client_type must be one of 'BSP', 'MO', 'TSO'; got 'OPERATOR'",
        ):
            pick("OPERATOR")


def test_a_fresh_simulator_starts_empty(fresh_wire: Wire) -> None:
    answer = fresh_wire.call("MarketQuery_OfferQuery", OfferQuery(market_type=DAM))
    assert answer.document.findall("MarketSubmit/OfferData") == []
    assert fresh_wire.simulator.count() == 1


def test_a_simulator_can_serve_a_single_address(mms_simulator_pki: Path, tmp_path: Path) -> None:
    with Simulator(tmp_path / "s", pki_source=mms_simulator_pki, backup_port=None) as simulator:
        assert simulator.manifest.backup_url is None
        with pytest.raises(SimulatorRunError, match=r"^Simulator\.backup_url: .* without a backup"):
            _ = simulator.backup_url
    with pytest.raises(SimulatorRunError, match=r"^Simulator\.base_url is there only while"):
        _ = simulator.base_url


_ASKED_OF_A_RUNNING_SIMULATOR: dict[str, Callable[[Simulator], object]] = {
    "manifest": lambda sim: sim.manifest,
    "base_url": lambda sim: sim.base_url,
    "backup_url": lambda sim: sim.backup_url,
    "ca": lambda sim: sim.ca,
    "users": lambda sim: sim.users,
    "user()": lambda sim: sim.user(),
    "client()": lambda sim: sim.client(),
    "async_client()": lambda sim: sim.async_client(),
    "store": lambda sim: sim.store,
    "reset()": lambda sim: sim.reset(),
}


@pytest.mark.parametrize("asked", _ASKED_OF_A_RUNNING_SIMULATOR)
def test_what_only_a_running_simulator_has_is_refused_naming_it(
    asked: str, mms_simulator_pki: Path, tmp_path: Path
) -> None:
    """Asked before its start or after its stop, the simulator raises an error of the
    library's hierarchy, which names what was asked and says how to start it; an
    MMSError, and a RuntimeError still."""
    ask = _ASKED_OF_A_RUNNING_SIMULATOR[asked]
    stopped = Simulator(tmp_path / "stopped", pki_source=mms_simulator_pki)
    with stopped:
        ask(stopped)  # there while it runs
    for simulator in (stopped, Simulator(tmp_path / "never-started")):
        with pytest.raises(SimulatorRunError) as refused:
            ask(simulator)
        assert str(refused.value) == (
            f"Simulator.{asked} is there only while the simulator runs; start() it first, or "
            "use it as a context manager (with Simulator(...) as sim:)"
        )
        assert isinstance(refused.value, MMSError) and isinstance(refused.value, RuntimeError)


def test_starting_a_running_simulator_again_is_refused(fresh_mms_simulator: Simulator) -> None:
    with pytest.raises(SimulatorRunError) as refused:
        fresh_mms_simulator.start()
    assert str(refused.value) == (
        f"Simulator.start(): the simulator is already running at {fresh_mms_simulator.base_url}; "
        "stop() it before starting it again, or use it as it is"
    )
    assert fresh_mms_simulator.running


def test_a_server_that_cannot_serve_its_socket_says_why_it_did_not_start() -> None:
    sock = bind("127.0.0.1", 0)
    sock.close()  # nothing listens on it any more

    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError("no request reaches a server that did not start")

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    thread = ServerThread([Listener(sock, app)], context)
    with pytest.raises(
        SimulatorRunError,
        match=r"^the simulator's HTTPS server did not start: OSError: ",
    ) as refused:
        thread.start()
    assert isinstance(refused.value.__cause__, OSError)
    assert not thread.alive


def test_a_simulator_on_every_interface_can_be_verified_by_the_machines_name(
    mms_simulator_pki: Path, tmp_path: Path
) -> None:
    """Listening on 0.0.0.0 is for clients elsewhere: they reach it by the machine's name.
    The certificate does not name 0.0.0.0, which no client connects to."""
    host = socket.gethostname()
    try:
        socket.getaddrinfo(host, None)
    except OSError:
        pytest.skip(f"this machine's name {host!r} does not resolve here")
    with Simulator(
        tmp_path / "s", "0.0.0.0", pki_source=mms_simulator_pki, backup_port=None
    ) as simulator:
        port = simulator.base_url.rsplit(":", 1)[1]
        by_name = simulator.client(base_url=f"https://{host}:{port}", backup_url=None)
        with by_name as client:
            assert client.query_offers(OfferQuery(market_type=MarketType.DAY_AHEAD)) == []
        server = x509.load_pem_x509_certificate((simulator.ca.parent / "server.pem").read_bytes())
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert not [ip for ip in names.get_values_for_type(x509.IPAddress) if ip.is_unspecified]


def test_fresh_simulators_reuse_the_session_pki(
    mms_simulator: Simulator, fresh_mms_simulator: Simulator
) -> None:
    assert fresh_mms_simulator.ca.read_bytes() == mms_simulator.ca.read_bytes()
    assert fresh_mms_simulator.state_dir != mms_simulator.state_dir


async def test_the_async_client_helper_reaches_the_simulator(
    fresh_mms_simulator: Simulator, offer: OfferFactory
) -> None:
    async with fresh_mms_simulator.async_client() as client:
        stored = await client.put_offer(offer(), market_type=DAM, date=TRADING_DAY)
        found = await client.query_offers(OfferQuery(market_type=DAM), date=TRADING_DAY)
    assert [o.stack[0].id for o in found] == [stored.stack[0].id]
    assert fresh_mms_simulator.count("MarketSubmit_OfferData") == 1


def test_a_reset_brings_back_the_seed_and_forgets_requests_and_faults(
    fresh_mms_simulator: Simulator, offer: OfferFactory
) -> None:
    with fresh_mms_simulator.client() as client:
        client.put_offer(offer(), market_type=DAM, date=TRADING_DAY)
    fresh_mms_simulator.inject("http_error", operation="MarketQuery_OfferQuery")

    fresh_mms_simulator.reset()

    assert fresh_mms_simulator.count() == 0
    with fresh_mms_simulator.client() as client:
        assert client.query_offers(OfferQuery(market_type=DAM), date=TRADING_DAY) == []
    assert fresh_mms_simulator.count("MarketQuery_OfferQuery", processed=False) == 1


def test_a_simulator_refuses_an_xsd_it_cannot_read_before_touching_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "schemas" / "xsd" / "mpr.xsd"
    broken.parent.mkdir(parents=True)
    for name in ("mi-market", "omi", "mi-report", "mi-outbnd-reports"):
        (broken.parent / f"{name}.xsd").write_text(
            '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>'
        )
    broken.write_text('<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element/>')
    monkeypatch.setenv("MMS_SCHEMA_DIR", str(tmp_path / "schemas"))

    with pytest.raises(SchemaFilesError) as caught:
        Simulator(tmp_path / "state").start()

    assert caught.value.path == broken
    assert str(caught.value).startswith(f"{broken} cannot be read as an XSD: ")
    assert not (tmp_path / "state").exists()


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            {"port": 70000},
            "port must be a whole number from 0 \\(a free port\\) to 65535; got 70000",
        ),
        ({"port": -1}, "port must be a whole number from 0 \\(a free port\\) to 65535; got -1"),
        ({"port": "8443"}, "port must be a whole number .*; got a str"),
        ({"backup_port": True}, "backup_port must be a whole number .*; got True"),
        ({"log_level": "verbose"}, "log_level must be one of 'critical', .*; got 'verbose'"),
    ],
)
def test_a_simulator_refuses_a_setting_it_cannot_serve_with_naming_it(
    tmp_path: Path, setting: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Simulator(tmp_path / "state", **setting)  # type: ignore[arg-type]
    assert not (tmp_path / "state").exists()


def test_a_pki_source_that_holds_no_pki_is_refused_before_anything_is_made(
    mms_simulator: Simulator, tmp_path: Path
) -> None:
    """A state folder given in place of its ``pki/`` was copied whole into the new ``pki/``,
    and a new PKI made: not the one asked for."""
    for source in (mms_simulator.state_dir, tmp_path / "nowhere"):
        with pytest.raises(ConfigurationError, match=f"pki_source {source} holds no test PKI"):
            Simulator(tmp_path / "state", pki_source=source).start()
        assert not (tmp_path / "state").exists()
    with Simulator(tmp_path / "state", pki_source=mms_simulator.state_dir / "pki") as simulator:
        assert simulator.ca.read_bytes() == mms_simulator.ca.read_bytes()


def test_an_empty_state_folder_is_refused_rather_than_taken_for_the_current_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigurationError, match="state_dir is empty"):
        Simulator("").start()
    assert list(tmp_path.iterdir()) == []


def test_a_stop_drops_the_idle_connections_clients_keep_alive(
    mms_simulator_pki: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A client with ``keep_alive=True`` still open when its simulator stops (a test that
    leaves closing it to the garbage collector) has only an idle connection there, which the
    stop drops: before, the stop asked it for a TLS goodbye the client, waiting for no answer,
    never read, and waited out its whole grace period, reporting it exceeded."""
    with Simulator(tmp_path / "s", pki_source=mms_simulator_pki) as simulator:
        client = simulator.client(keep_alive=True)
        client.query_offers(OfferQuery(market_type=MarketType.DAY_AHEAD), date=TRADING_DAY)
        caplog.set_level("INFO", logger="uvicorn.error")
    client.close()
    assert "graceful shutdown exceeded" not in caplog.text
    assert "Finished server process" in caplog.text  # the stop was reported as it ended
