"""Transport behaviour the simulator cannot provoke, against a scripted stand-in for the MMS
(plain HTTP on localhost, or HTTPS where the client's TLS sockets matter): replies that trickle
in, SOAP faults with HTTP 500, bodies that announce too much."""

from __future__ import annotations

import datetime as dt
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from mms_client.client import AsyncMmsClient, MmsClient
from mms_client.errors import (
    ConfigurationError,
    HTTPStatusError,
    MalformedResponseError,
    MMSServerError,
    RequestTimeout,
)
from mms_client.examples import example_request
from mms_client.security.certs import Certificate
from mms_client.sim.pki import Pki
from mms_client.transport import RetryPolicy
from mms_client.types.market import MarketType
from mms_client.types.offer import OfferQuery
from mms_client.wire.soap import SoapFault, build_fault

from .conftest import NO_WAIT, PASSPHRASE, MakeP12

Reply = Callable[[BaseHTTPRequestHandler], None]
QUERY = OfferQuery(market_type=MarketType.DAY_AHEAD)
DAY = dt.date(2024, 3, 15)


class ScriptedMms:
    """Answers every POST with ``reply`` and counts the requests; over HTTPS with a server
    certificate of ``pki``."""

    def __init__(self, reply: Reply, pki: Pki | None = None) -> None:
        self.requests = 0
        script = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                script.requests += 1
                reply(self)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        scheme = "http"
        if pki is not None:
            server = pki.ensure_server(["127.0.0.1"])
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(server.cert, server.key, server.passphrase)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> ScriptedMms:
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def fault_500(handler: BaseHTTPRequestHandler) -> None:
    message = build_fault(SoapFault("soapenv:Server", "Axis2 is unhappy"))
    handler.send_response(500)
    for name, value in message.headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(message.body)))
    handler.end_headers()
    handler.wfile.write(message.body)


def gateway_error(handler: BaseHTTPRequestHandler) -> None:
    body = b"<html><body>502 Bad Gateway</body></html>"
    handler.send_response(502)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def trickle(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/xml")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    try:
        for _ in range(200):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(0.05)
    except OSError:
        pass  # the client gave up, as it should


def trickling_head(handler: BaseHTTPRequestHandler) -> None:
    """A status line and headers a byte at a time: 15 s in all, each byte well within any
    client's wait for data."""
    try:
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 300:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(0.05)
        handler.wfile.write(b"\r\nContent-Length: 0\r\n\r\n")
    except OSError:
        pass  # the client gave up, as it should


def boasting(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/xml")
    handler.send_header("Content-Length", str(10**12))
    handler.end_headers()


@pytest.fixture
def certificate(make_p12: MakeP12) -> Certificate:
    return Certificate(make_p12(), PASSPHRASE)


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return Pki.load_or_create(tmp_path / "pki", users=())


def async_client(certificate: Certificate, base_url: str, **options: Any) -> AsyncMmsClient:
    return AsyncMmsClient(
        "example.com", "F100", "FAKEUSER", "BSP", certificate, base_url=base_url, **options
    )


@pytest.fixture
def connect(certificate: Certificate) -> Iterator[Callable[..., MmsClient]]:
    opened: list[MmsClient] = []

    def connect(base_url: str, **options: Any) -> MmsClient:
        arguments: dict[str, Any] = {
            "retry": NO_WAIT,
            **options,
        }
        client = MmsClient(
            "example.com", "F100", "FAKEUSER", "BSP", certificate, base_url=base_url, **arguments
        )
        opened.append(client)
        return client

    yield connect
    for client in opened:
        client.close()


def test_soap_fault_with_http_500_is_an_answer_not_an_outage(
    connect: Callable[..., MmsClient],
) -> None:
    with ScriptedMms(fault_500) as main, ScriptedMms(fault_500) as backup:
        client = connect(main.url, backup_url=backup.url)
        with pytest.raises(MMSServerError, match="SOAP fault soapenv:Server: Axis2 is unhappy"):
            client.query_offers(QUERY, date=DAY)
    assert (main.requests, backup.requests) == (1, 0)


def test_gateway_error_fails_over_for_queries(connect: Callable[..., MmsClient]) -> None:
    with ScriptedMms(gateway_error) as main, ScriptedMms(gateway_error) as backup:
        client = connect(main.url, backup_url=backup.url)
        with pytest.raises(HTTPStatusError) as caught:
            client.query_offers(QUERY, date=DAY)
    assert (caught.value.status, caught.value.attempt) == (502, 3)
    assert caught.value.url.startswith(main.url)  # main, backup, main
    assert (main.requests, backup.requests) == (2, 1)


def test_a_trickling_reply_times_out(connect: Callable[..., MmsClient]) -> None:
    with ScriptedMms(trickle) as main:
        client = connect(main.url, timeout=0.5, retry=RetryPolicy(attempts=1))
        with pytest.raises(RequestTimeout, match=r"took longer than 0\.5 seconds"):
            client.query_offers(QUERY, date=DAY)


def test_a_submit_whose_answer_head_trickles_in_times_out_once(
    connect: Callable[..., MmsClient], pki: Pki
) -> None:
    submit = example_request("MarketSubmit_OfferData")
    with ScriptedMms(trickling_head, pki) as main:
        client = connect(main.url, verify=pki.ca_path, timeout=0.5)
        with pytest.raises(RequestTimeout) as caught:
            client.call(submit.operation, submit.payload, **submit.envelope)
    assert "took longer than 0.5 seconds" in str(caught.value)
    assert "may have processed the request: query before sending it again" in str(caught.value)
    assert main.requests == 1


async def test_an_async_answer_whose_head_trickles_in_times_out(
    certificate: Certificate, pki: Pki
) -> None:
    with ScriptedMms(trickling_head, pki) as main:
        client = async_client(
            certificate, main.url, verify=pki.ca_path, timeout=0.5, retry=RetryPolicy(attempts=1)
        )
        async with client:
            with pytest.raises(RequestTimeout) as caught:
                await client.query_offers(QUERY, date=DAY)
    # a query may be sent again, so nothing is said about having been processed
    assert str(caught.value).startswith("the answer took longer than 0.5 seconds: https://")


def test_a_closed_client_says_so_and_sends_nothing(connect: Callable[..., MmsClient]) -> None:
    with ScriptedMms(gateway_error) as main:
        client = connect(main.url)
        client.close()
        with pytest.raises(ConfigurationError, match="this client is closed"):
            client.query_offers(QUERY, date=DAY)
        with pytest.raises(ConfigurationError, match="this client is closed"), client:
            pass
    assert main.requests == 0


async def test_a_closed_async_client_says_so(certificate: Certificate) -> None:
    client = async_client(certificate, "https://127.0.0.1:9")
    await client.aclose()
    with pytest.raises(ConfigurationError, match="this client is closed"):
        await client.query_offers(QUERY, date=DAY)
    with pytest.raises(ConfigurationError, match="this client is closed"):
        async with client:
            pass


def test_announced_oversize_is_refused_before_reading(connect: Callable[..., MmsClient]) -> None:
    with ScriptedMms(boasting) as main:
        client = connect(main.url, max_response_bytes=1000)
        with pytest.raises(MalformedResponseError, match="exceeds 1000 bytes"):
            client.query_offers(QUERY, date=DAY)
    assert main.requests == 1  # not a reason to resend


async def test_async_driver_follows_the_same_rules(certificate: Certificate) -> None:
    with ScriptedMms(gateway_error) as main, ScriptedMms(fault_500) as backup:
        client = async_client(certificate, main.url, backup_url=backup.url, retry=NO_WAIT)
        async with client:
            with pytest.raises(MMSServerError, match="Axis2 is unhappy"):
                await client.query_offers(QUERY, date=DAY)
    assert (main.requests, backup.requests) == (1, 1)
