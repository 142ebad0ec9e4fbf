"""What one client may take of the simulator's HTTPS server, tried with raw sockets."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mms_client.endpoints import SERVICE_PATHS, Interface
from mms_client.sim import ServerLimits, Simulator

from .conftest import Wire

# a bound on how long a test waits for the server, not an expectation of its speed
_PATIENCE = 20.0


@pytest.fixture(scope="module")
def impatient(mms_simulator_pki: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wire]:
    """A simulator that gives clients half a second for the handshake and each request head,
    and serves one connection at a time."""
    limits = ServerLimits(max_connections=1, handshake_timeout=0.5, request_timeout=0.5)
    with Simulator(
        tmp_path_factory.mktemp("sim"), pki_source=mms_simulator_pki, limits=limits
    ) as simulator:
        yield Wire(simulator)


@pytest.fixture(scope="module")
def slow_body(mms_simulator_pki: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wire]:
    """A simulator that gives each request body half a second after its head."""
    with Simulator(
        tmp_path_factory.mktemp("sim"),
        pki_source=mms_simulator_pki,
        limits=ServerLimits(body_timeout=0.5),
    ) as simulator:
        yield Wire(simulator)


def _address(wire: Wire) -> tuple[str, int]:
    url = httpx.URL(wire.simulator.base_url)
    assert url.port is not None
    return url.host, url.port


def _tls(wire: Wire) -> ssl.SSLSocket:
    context = wire.tls(wire.simulator.user("BSP"))
    host, port = _address(wire)
    raw = socket.create_connection((host, port), timeout=_PATIENCE)
    return context.wrap_socket(raw, server_hostname=host)


def _closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closes the connection (rather than leaving it open)."""
    try:
        return sock.recv(1024) == b""
    except (ssl.SSLEOFError, ConnectionResetError):
        return True
    except TimeoutError:
        return False


def _head(extra_header_bytes: int, content_length: int = 0) -> bytes:
    return (
        f"POST {SERVICE_PATHS[Interface.MI]} HTTP/1.1\r\nHost: localhost\r\n"
        f"X-Padding: {'a' * extra_header_bytes}\r\nContent-Length: {content_length}\r\n\r\n"
    ).encode()


def test_a_request_head_over_64_kib_is_refused_with_431(wire: Wire) -> None:
    with _tls(wire) as sock:
        sock.sendall(_head(70 * 1024))
        answer = sock.recv(4096)

    assert answer.startswith(b"HTTP/1.1 431 ")
    assert b"request heads are limited to 65536 bytes" in answer


def test_a_request_head_within_the_limit_is_read(wire: Wire) -> None:
    with _tls(wire) as sock:
        sock.sendall(_head(60 * 1024))
        answer = sock.recv(4096)

    # read and passed to the service, which finds no SOAP request in an empty body
    assert answer.startswith(b"HTTP/1.1 500 ")


def test_a_connection_that_never_starts_tls_is_closed_by_the_server(impatient: Wire) -> None:
    with socket.create_connection(_address(impatient), timeout=_PATIENCE) as sock:
        assert _closed_by_server(sock)


def test_a_request_head_that_never_ends_is_cut_off(impatient: Wire) -> None:
    with _tls(impatient) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\n")
        assert _closed_by_server(sock)


def test_an_idle_connection_after_the_handshake_is_closed(impatient: Wire) -> None:
    with _tls(impatient) as sock:
        assert _closed_by_server(sock)


def test_a_request_body_that_stops_arriving_is_answered_408_and_not_served(
    slow_body: Wire,
) -> None:
    recorded = len(slow_body.simulator.requests)
    with _tls(slow_body) as sock:
        sock.sendall(_head(0, content_length=1000) + b"<soap" * 10)
        answer = sock.recv(4096)
        assert _closed_by_server(sock)

    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"a request body must arrive within 0.5 s of its head" in answer
    # a complete request afterwards is served and recorded; the cut-off one is not
    with _tls(slow_body) as sock:
        sock.sendall(_head(0))
        assert sock.recv(4096).startswith(b"HTTP/1.1 500 ")
    assert len(slow_body.simulator.requests) == recorded + 1


def test_connections_over_the_limit_are_answered_503(
    mms_simulator_pki: Path, tmp_path: Path
) -> None:
    with Simulator(
        tmp_path, pki_source=mms_simulator_pki, limits=ServerLimits(max_connections=1)
    ) as simulator:
        wire = Wire(simulator)
        with _tls(wire), _tls(wire) as second:
            second.sendall(_head(0))
            assert second.recv(4096).startswith(b"HTTP/1.1 503 ")
        # the limit is how many are served: one connection alone is answered
        assert wire.example("MarketQuery_OfferQuery").info.success
