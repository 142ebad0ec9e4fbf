"""Errors that cross a process boundary: every error of the library pickles and copies whole.

A worker of a ``ProcessPoolExecutor`` or a ``multiprocessing`` pool hands its exception back
pickled; an error that cannot be rebuilt from its pickle breaks the pool, or leaves the parent
waiting forever. Each error here is provoked as the library raises it (against the simulator
over real HTTPS, where an MMS is involved) and must come back the same: its class, its message
and every attribute a caller reads.
"""

from __future__ import annotations

import copy
import datetime as dt
import errno
import multiprocessing
import os
import pickle
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mms_client.client import MmsClient
from mms_client.errors import (
    AudienceError,
    CertificateError,
    ConfigurationError,
    ConnectError,
    ConnectionLostError,
    DestinationError,
    DownloadWriteError,
    FieldError,
    HTTPStatusError,
    MalformedRequestError,
    MalformedResponseError,
    MMSClientError,
    MMSError,
    MMSServerError,
    MMSValidationError,
    PayloadError,
    RequestTimeout,
    SchemaFilesError,
    ServerCertificateError,
    SimulatorRunError,
    SimulatorStateError,
    StateFolderInUseError,
    TransportError,
)
from mms_client.security.certs import Certificate
from mms_client.sim.manifest import MANIFEST_NAME, Manifest
from mms_client.types.market import MarketType
from mms_client.types.offer import Direction, OfferData, OfferQuery, OfferStack
from mms_client.wire.blobs import writing
from mms_client.wire.soap import parse_request

from .conftest import NO_WAIT, free_port

if TYPE_CHECKING:
    from mms_client.sim.simulator import Simulator

PUT = "MarketSubmit_OfferData"
QUERY = "MarketQuery_OfferQuery"
ANY_OFFERS = OfferQuery(market_type=MarketType.DAY_AHEAD)


DAY = dt.date(2039, 1, 1)
"""A trading day no other test uses (the session's simulator keeps state)."""


def an_offer(resource: str = "FAKE_RESO") -> OfferData:
    start = dt.datetime.combine(DAY, dt.time(12))
    return OfferData(
        stack=[OfferStack(number=1, unit_price=100, minimum_quantity_kw=100)],
        resource=resource,
        start=start,
        end=start + dt.timedelta(hours=3),
        direction=Direction.SELL,
    )


def query_a_closed_port(state_dir: str, port: int) -> None:
    """Run in a worker process: a query to a loopback port nothing listens on, as the
    simulator's BSP user."""
    dead = f"https://127.0.0.1:{port}"
    arguments = Manifest.load(state_dir).client_arguments(
        "BSP", base_url=dead, backup_url=None, retry=NO_WAIT
    )
    with MmsClient(**arguments) as bsp:
        bsp.query_offers(ANY_OFFERS)


Provoke = Callable[["Simulator", Path], object]


def connect_error(sim: Simulator, tmp_path: Path) -> object:
    dead = f"https://127.0.0.1:{free_port()}"
    with sim.client(base_url=dead, backup_url=None, retry=NO_WAIT) as bsp:
        return bsp.query_offers(ANY_OFFERS)


def server_certificate_error(sim: Simulator, tmp_path: Path) -> object:
    with sim.client(verify=True, backup_url=None, retry=NO_WAIT) as bsp:
        return bsp.query_offers(ANY_OFFERS)


def request_timeout(sim: Simulator, tmp_path: Path) -> object:
    sim.inject("delay", operation=PUT, seconds=5)
    with sim.client(timeout=0.5, retry=NO_WAIT) as bsp:
        return bsp.put_offer(an_offer(), MarketType.DAY_AHEAD, date=DAY)


def connection_lost_error(sim: Simulator, tmp_path: Path) -> object:
    sim.inject("drop_after", operation=PUT)
    with sim.client(retry=NO_WAIT) as bsp:
        return bsp.put_offer(an_offer(), MarketType.DAY_AHEAD, date=DAY)


def http_status_error(sim: Simulator, tmp_path: Path) -> object:
    sim.inject("http_error", operation=PUT, endpoint="main", status=503)
    with sim.client(retry=NO_WAIT) as bsp:
        return bsp.put_offer(an_offer(), MarketType.DAY_AHEAD, date=DAY)


def malformed_response_error(sim: Simulator, tmp_path: Path) -> object:
    sim.inject("malformed", operation=QUERY)
    with sim.client(retry=NO_WAIT) as bsp:
        return bsp.query_offers(ANY_OFFERS)


def mms_validation_error(sim: Simulator, tmp_path: Path) -> object:
    """A submit the MMS refuses: the error holds its messages, the parsed reply and its
    items."""
    with sim.client(retry=NO_WAIT) as bsp:
        return bsp.put_offer(an_offer("OTHER_RESO"), MarketType.DAY_AHEAD, date=DAY)


def mms_server_error(sim: Simulator, tmp_path: Path) -> object:
    """F100's certificate speaking for F200: a plain-text refusal."""
    f100 = sim.user("BSP", "F100").certificate()
    with sim.client(participant="F200", cert=f100, retry=NO_WAIT) as impostor:
        return impostor.query_offers(ANY_OFFERS)


def audience_error(sim: Simulator, tmp_path: Path) -> object:
    with sim.client("TSO", retry=NO_WAIT) as tso:
        return tso.put_offer(an_offer(), MarketType.DAY_AHEAD, date=DAY)


def payload_error(sim: Simulator, tmp_path: Path) -> object:
    bad = {**an_offer().model_dump(), "resource": "not valid!", "direction": "sideways"}
    with sim.client(retry=NO_WAIT) as bsp:
        return bsp.call(PUT, bad, market_type=MarketType.DAY_AHEAD)


def configuration_error(sim: Simulator, tmp_path: Path) -> object:
    return sim.client(base_url="http://mms.example.com")


def destination_error(sim: Simulator, tmp_path: Path) -> object:
    with sim.client(retry=NO_WAIT) as bsp:
        return bsp.call(QUERY, ANY_OFFERS, to=tmp_path / "offers.xml")


def certificate_error(sim: Simulator, tmp_path: Path) -> object:
    return Certificate(sim.user("BSP").p12, "not the passphrase")


def download_write_error(sim: Simulator, tmp_path: Path) -> object:
    """A full disk, as a download meets it while writing a file."""
    with writing(tmp_path / "report.xml"):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def malformed_request_error(sim: Simulator, tmp_path: Path) -> object:
    return parse_request({"Content-Type": "text/xml"}, b"<not-soap/>")


def simulator_state_error(sim: Simulator, tmp_path: Path) -> object:
    (tmp_path / MANIFEST_NAME).write_text("{")
    return Manifest.load(tmp_path)


def simulator_run_error(sim: Simulator, tmp_path: Path) -> object:
    return sim.start()  # the shared simulator runs already


def schema_files_error(sim: Simulator, tmp_path: Path) -> object:
    from mms_client.schema.files import schema_dir

    return schema_dir(tmp_path / "nowhere")


def state_folder_in_use_error(sim: Simulator, tmp_path: Path) -> object:
    from mms_client.sim.simulator import Simulator

    return Simulator(sim.state_dir).start()


def transport_error(sim: Simulator, tmp_path: Path) -> object:
    """Never raised as such, but the constructor its subclasses share."""
    raise TransportError("no answer", url=sim.base_url, attempt=2, status=None)


PROVOKED: dict[type[MMSError], Provoke] = {
    ConnectError: connect_error,
    ServerCertificateError: server_certificate_error,
    RequestTimeout: request_timeout,
    ConnectionLostError: connection_lost_error,
    HTTPStatusError: http_status_error,
    TransportError: transport_error,
    MalformedResponseError: malformed_response_error,
    MMSValidationError: mms_validation_error,
    MMSServerError: mms_server_error,
    AudienceError: audience_error,
    PayloadError: payload_error,
    ConfigurationError: configuration_error,
    DestinationError: destination_error,
    CertificateError: certificate_error,
    DownloadWriteError: download_write_error,
    MalformedRequestError: malformed_request_error,
    SimulatorStateError: simulator_state_error,
    SimulatorRunError: simulator_run_error,
    SchemaFilesError: schema_files_error,
    StateFolderInUseError: state_folder_in_use_error,
}
"""How each error is met, by its class."""


def tree(kind: type[MMSError]) -> set[type[MMSError]]:
    return {kind}.union(*(tree(sub) for sub in kind.__subclasses__()))


EVERY_ERROR = sorted(tree(MMSError) - {MMSError, MMSClientError}, key=lambda kind: kind.__name__)
"""Every error class but the two bases that are only ever raised as one of their subclasses:
one without a case in :data:`PROVOKED` fails the test."""


def provoked(kind: type[MMSError], sim: Simulator, tmp_path: Path) -> MMSError:
    with pytest.raises(kind) as caught:
        PROVOKED[kind](sim, tmp_path)
    assert type(caught.value) is kind
    return caught.value


def assert_same(restored: MMSError, original: MMSError) -> None:
    assert type(restored) is type(original)
    assert str(restored) == str(original) and restored.args == original.args
    assert vars(restored) == vars(original)
    if isinstance(original, OSError):
        assert isinstance(restored, OSError)
        assert (restored.errno, restored.strerror, restored.filename) == (
            original.errno,
            original.strerror,
            original.filename,
        )


@pytest.mark.parametrize("kind", EVERY_ERROR, ids=lambda kind: kind.__name__)
def test_an_error_pickles_and_copies_with_its_message_and_attributes(
    mms_simulator: Simulator, tmp_path: Path, kind: type[MMSError]
) -> None:
    error = provoked(kind, mms_simulator, tmp_path)
    error.add_note("a note a caller added")
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert_same(pickle.loads(pickle.dumps(error, protocol)), error)
    assert_same(copy.copy(error), error)
    assert_same(copy.deepcopy(error), error)


def test_what_callers_read_of_the_errors_survives_pickling(
    mms_simulator: Simulator, tmp_path: Path
) -> None:
    """The attributes the documentation promises, read back from the pickled errors."""

    def round_trip(kind: type[MMSError]) -> MMSError:
        error = provoked(kind, mms_simulator, tmp_path)
        restored = pickle.loads(pickle.dumps(error))
        assert isinstance(restored, kind)
        return restored

    refused = round_trip(MMSValidationError)
    assert isinstance(refused, MMSValidationError)
    assert refused.operation == PUT
    assert [m.code for m in refused.messages if m.severity == "Error"] == ["E_RESOURCE_NOT_OWNED"]
    assert refused.response is not None and refused.items[0].resource == "OTHER_RESO"

    late = round_trip(HTTPStatusError)
    assert isinstance(late, HTTPStatusError)
    assert (late.status, late.attempt) == (503, 1)
    assert late.url.startswith(mms_simulator.base_url)
    assert (late.operation, late.may_have_processed) == (PUT, True)

    unreadable = round_trip(MalformedResponseError)
    assert isinstance(unreadable, MalformedResponseError)
    assert (unreadable.operation, unreadable.may_have_processed) == (QUERY, False)
    assert unreadable.url is not None and unreadable.url.startswith(mms_simulator.base_url)

    unsent = round_trip(ConnectError)
    assert isinstance(unsent, ConnectError)
    assert (unsent.operation, unsent.may_have_processed) == (QUERY, False)

    invalid = round_trip(PayloadError)
    assert isinstance(invalid, PayloadError)
    assert {e.path.rsplit("/", 1)[-1] for e in invalid.errors} == {"@ResourceName", "@Direction"}

    full = round_trip(DownloadWriteError)
    assert isinstance(full, DownloadWriteError) and isinstance(full, OSError)
    assert (full.errno, full.filename) == (errno.ENOSPC, str(tmp_path / "report.xml"))

    in_use = round_trip(StateFolderInUseError)
    assert isinstance(in_use, StateFolderInUseError)
    assert (in_use.path, in_use.pid) == (mms_simulator.state_dir, os.getpid())
    assert str(in_use).count("is in use by another simulator") == 1


def test_a_field_error_with_a_value_that_cannot_be_pickled_travels_as_its_repr() -> None:
    """What a caller gave may be anything; its error still reaches another process."""
    unpicklable = lambda: None  # noqa: E731 - a local function pickle cannot name
    error = PayloadError(
        "OfferData does not match the schema",
        [FieldError("OfferData/@ResourceName", unpicklable, "should be a string")],
    )
    restored = pickle.loads(pickle.dumps(error))
    assert str(restored) == str(error)
    assert restored.errors == (
        FieldError("OfferData/@ResourceName", repr(unpicklable), "should be a string"),
    )


def test_a_connect_error_in_a_worker_process_reaches_the_parent_as_a_connect_error(
    mms_simulator: Simulator,
) -> None:
    """The pool survives the error, and the parent reads where and when it happened."""
    port = free_port()
    spawn = multiprocessing.get_context("spawn")  # a fork would copy the simulator's threads
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        failed = pool.submit(query_a_closed_port, str(mms_simulator.state_dir), port)
        with pytest.raises(ConnectError) as caught:
            failed.result(timeout=60)
        assert caught.value.url.startswith(f"https://127.0.0.1:{port}/")
        assert caught.value.attempt == NO_WAIT.attempts
        assert "could not connect" in str(caught.value)
        # the pool still works
        assert pool.submit(os.getpid).result(timeout=60) != os.getpid()
