"""Transport behaviour the simulator cannot provoke, against a scripted stand-in for the MMS
(plain HTTP on localhost): replies that trickle in, SOAP faults with HTTP 500, bodies that
announce too much."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from mms_client.client import AsyncMmsClient, MmsClient
from mms_client.errors import (
    HTTPStatusError,
    MalformedResponseError,
    MMSServerError,
    RequestTimeout,
)
from mms_client.security.certs import Certificate
from mms_client.transport import RetryPolicy
from mms_client.types.market import MarketType
from mms_client.types.offer import OfferQuery
from mms_client.wire.soap import SoapFault, build_fault

from .conftest import NO_WAIT, PASSPHRASE, MakeP12

Reply = Callable[[BaseHTTPRequestHandler], None]
QUERY = OfferQuery(market_type=MarketType.DAY_AHEAD)
DAY = dt.date(2024, 3, 15)


class ScriptedMms:
    """Answers every POST with ``reply`` and counts the requests."""

    def __init__(self, reply: Reply) -> None:
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
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

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


def boasting(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/xml")
    handler.send_header("Content-Length", str(10**12))
    handler.end_headers()


@pytest.fixture
def certificate(make_p12: MakeP12) -> Certificate:
    return Certificate(make_p12(), PASSPHRASE)


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


def test_announced_oversize_is_refused_before_reading(connect: Callable[..., MmsClient]) -> None:
    with ScriptedMms(boasting) as main:
        client = connect(main.url, max_response_bytes=1000)
        with pytest.raises(MalformedResponseError, match="exceeds 1000 bytes"):
            client.query_offers(QUERY, date=DAY)
    assert main.requests == 1  # not a reason to resend


async def test_async_driver_follows_the_same_rules(certificate: Certificate) -> None:
    with ScriptedMms(gateway_error) as main, ScriptedMms(fault_500) as backup:
        client = AsyncMmsClient(
            "example.com",
            "F100",
            "FAKEUSER",
            "BSP",
            certificate,
            base_url=main.url,
            backup_url=backup.url,
            retry=NO_WAIT,
        )
        async with client:
            with pytest.raises(MMSServerError, match="Axis2 is unhappy"):
                await client.query_offers(QUERY, date=DAY)
    assert (main.requests, backup.requests) == (1, 1)
