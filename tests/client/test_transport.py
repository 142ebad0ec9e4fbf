"""Transport behaviour the simulator cannot provoke, against a scripted stand-in for the MMS
(plain HTTP on localhost, or HTTPS where the client's TLS sockets matter): replies that trickle
in, SOAP faults with HTTP 500, bodies that announce too much or arrive compressed, server
certificates for another host or out of date."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import pickle
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from lxml import etree

from mms_client.client import AsyncMmsClient, MmsClient
from mms_client.endpoints import Interface
from mms_client.errors import (
    ConfigurationError,
    ConnectionLostError,
    HTTPStatusError,
    MalformedResponseError,
    MMSServerError,
    RequestTimeout,
    ServerCertificateError,
)
from mms_client.examples import example_request
from mms_client.security.certs import Certificate
from mms_client.sim.pki import ServerCredential
from mms_client.transport import RetryPolicy
from mms_client.types.market import MarketType
from mms_client.types.offer import OfferQuery
from mms_client.wire.soap import (
    HttpMessage,
    ResponseAttInfo,
    SoapFault,
    build_fault,
    build_response,
)

from .conftest import NO_WAIT, PASSPHRASE, MakeP12, Recorder, example

Reply = Callable[[BaseHTTPRequestHandler], None]
QUERY = OfferQuery(market_type=MarketType.DAY_AHEAD)
DAY = dt.date(2024, 3, 15)


class StandInCa:
    """The CA of the HTTPS stand-ins: it issues certificates for one host, valid or expired
    (the simulator's own are valid and always cover localhost and 127.0.0.1)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stand-in CA")])
        now = dt.datetime.now(dt.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(self._name)
            .issuer_name(self._name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=2))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(self._key, hashes.SHA256())
        )
        self.bundle = folder / "ca.pem"
        self.bundle.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))

    def issue(self, host: str, *, expired: bool = False) -> ServerCredential:
        """A server certificate naming ``host`` alone; with ``expired``, it expired
        yesterday."""
        key = ec.generate_private_key(ec.SECP256R1())
        try:
            name: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
        except ValueError:
            name = x509.DNSName(host)
        now = dt.datetime.now(dt.UTC)
        start = now - dt.timedelta(days=2 if expired else 1)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
            .issuer_name(self._name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=1 if expired else 2))
            .add_extension(x509.SubjectAlternativeName([name]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .sign(self._key, hashes.SHA256())
        )
        stem = self.folder / f"{host}{'-expired' if expired else ''}"
        cert, key_file = stem.with_suffix(".pem"), stem.with_suffix(".key")
        cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(PASSPHRASE.encode()),
            )
        )
        return ServerCredential(cert, key_file, PASSPHRASE)


class ScriptedMms:
    """Answers every POST with ``reply`` and counts the requests; over HTTPS with the server
    certificate ``tls``."""

    def __init__(self, reply: Reply, tls: ServerCredential | None = None) -> None:
        self.requests = 0
        self.accepted_encodings: list[str | None] = []
        script = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                script.requests += 1
                script.accepted_encodings.append(self.headers["Accept-Encoding"])
                reply(self)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls.cert, tls.key, tls.passphrase)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> ScriptedMms:
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def send(handler: BaseHTTPRequestHandler, status: int, message: HttpMessage) -> None:
    handler.send_response(status)
    for name, value in message.headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(message.body)))
    handler.end_headers()
    handler.wfile.write(message.body)


def fault_500(handler: BaseHTTPRequestHandler) -> None:
    send(handler, 500, build_fault(SoapFault("soapenv:Server", "Axis2 is unhappy")))


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


def gzip(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: the gzip format
    return compressor.compress(data) + compressor.flush()


BOMB = gzip(gzip(bytes(64 * 1024 * 1024)))
"""64 MiB of zeros gzipped twice: a few hundred bytes."""


def stacked_gzip(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/xml")
    handler.send_header("Content-Encoding", "gzip, gzip")
    handler.send_header("Content-Length", str(len(BOMB)))
    handler.end_headers()
    handler.wfile.write(BOMB)


TLS_ALERT = b"\x15\x03\x01\x00\x02\x02\x0a"
"""A fatal TLS alert (unexpected message): what some servers that speak HTTPS only answer to
a plain-HTTP request."""


def tls_alert(handler: BaseHTTPRequestHandler) -> None:
    handler.wfile.write(TLS_ALERT)


@pytest.fixture
def certificate(make_p12: MakeP12) -> Certificate:
    return Certificate(make_p12(), PASSPHRASE)


@pytest.fixture
def ca(tmp_path: Path) -> StandInCa:
    return StandInCa(tmp_path)


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


def answer_without_offers(handler: BaseHTTPRequestHandler) -> None:
    """The MMS's answer to an offer submit, with no offer in it."""
    root = etree.fromstring(example("put_offer_response.xml"))
    for answered in list(root.iter("OfferData")):
        answered.getparent().remove(answered)  # type: ignore[union-attr]  # it has a parent
    data = etree.tostring(root)
    send(
        handler, 200, build_response(Interface.MI, ResponseAttInfo(True, "XML", response_data=data))
    )


async def test_an_answer_without_the_item_asked_for_names_the_attempt_that_brought_it(
    connect: Callable[..., MmsClient], certificate: Certificate
) -> None:
    """As any reply that cannot be read as the answer: its URL and attempt, and that the MMS
    may have processed the submit, by both clients."""
    submit = example_request("MarketSubmit_OfferData")
    offer = submit.payload[0]
    with ScriptedMms(answer_without_offers) as main:
        with pytest.raises(MalformedResponseError) as caught:
            connect(main.url).put_offer(offer, **submit.envelope)
        async with async_client(certificate, main.url, retry=NO_WAIT) as other:
            with pytest.raises(MalformedResponseError) as awaited:
                await other.put_offer(offer, **submit.envelope)
    url = f"{main.url}/axis2/services/MiWebService"
    for error in (caught.value, awaited.value):
        assert (error.url, error.attempt) == (url, 1)
        assert (error.operation, error.may_have_processed) == ("MarketSubmit_OfferData", True)
        assert str(error) == (
            "MarketSubmit_OfferData: expected one OfferData in the reply, found 0; the MMS may "
            f"have processed the request: query before sending it again: {url} (attempt 1)"
        )


def test_a_trickling_reply_times_out(connect: Callable[..., MmsClient]) -> None:
    with ScriptedMms(trickle) as main:
        client = connect(main.url, timeout=0.5, retry=RetryPolicy(attempts=1))
        with pytest.raises(RequestTimeout, match=r"took longer than 0\.5 seconds"):
            client.query_offers(QUERY, date=DAY)


def test_a_submit_whose_answer_head_trickles_in_times_out_once(
    connect: Callable[..., MmsClient], ca: StandInCa
) -> None:
    submit = example_request("MarketSubmit_OfferData")
    with ScriptedMms(trickling_head, ca.issue("127.0.0.1")) as main:
        client = connect(main.url, verify=ca.bundle, timeout=0.5)
        with pytest.raises(RequestTimeout) as caught:
            client.call(submit.operation, submit.payload, **submit.envelope)
    assert "took longer than 0.5 seconds" in str(caught.value)
    assert "may have processed the request: query before sending it again" in str(caught.value)
    assert main.requests == 1


async def test_an_async_answer_whose_head_trickles_in_times_out(
    certificate: Certificate, ca: StandInCa
) -> None:
    with ScriptedMms(trickling_head, ca.issue("127.0.0.1")) as main:
        client = async_client(
            certificate, main.url, verify=ca.bundle, timeout=0.5, retry=RetryPolicy(attempts=1)
        )
        async with client:
            with pytest.raises(RequestTimeout) as caught:
                await client.query_offers(QUERY, date=DAY)
    # a query may be sent again, so nothing is said about having been processed
    assert str(caught.value).startswith("the answer took longer than 0.5 seconds: https://")


async def test_plain_http_answered_with_a_tls_record_is_one_attempt_saying_to_use_https(
    connect: Callable[..., MmsClient], certificate: Certificate
) -> None:
    """Sending the same plain HTTP to a server that answers in TLS cannot succeed, so a query
    is not sent again, and the error says what to change."""
    with ScriptedMms(tls_alert) as main:
        address = main.url.removeprefix("http://")
        expected = (
            rf"^{main.url}/axis2/services/MiWebService did not answer in HTTP: its reply starts "
            r"with a byte that no HTTP answer starts with, as a TLS record does; the server may "
            rf"speak HTTPS only: use https://{address}$"
        )
        with pytest.raises(ConfigurationError, match=expected):
            connect(main.url).query_offers(QUERY, date=DAY)
        assert main.requests == 1
        async with async_client(certificate, main.url, retry=NO_WAIT) as client:
            with pytest.raises(ConfigurationError, match=expected):
                await client.query_offers(QUERY, date=DAY)
        assert main.requests == 2


def raw(reply: bytes) -> Reply:
    """A stand-in's reply of these bytes, HTTP or not, after which it hangs up."""

    def send(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(reply)

    return send


SUBMIT = example_request("MarketSubmit_OfferData")
OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (b"HTTP/1.1 two hundred OK\r\n\r\n", "the reply is not valid HTTP (illegal status line"),
        (
            OK + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
            "the reply is not valid HTTP (illegal chunk header",
        ),
        (
            OK + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
            "the reply is not valid HTTP (conflicting Content-Length headers)",
        ),
        (
            OK + b"X-Endless: " + b"a" * 200_000,
            "the reply is not valid HTTP (Receive buffer too long)",
        ),
    ],
    ids=["status-line", "chunk-header", "content-lengths", "endless-header"],
)
async def test_a_reply_that_is_not_valid_http_is_a_malformed_response(
    connect: Callable[..., MmsClient], certificate: Certificate, reply: bytes, reason: str
) -> None:
    """The server answered, if not in HTTP: the submit may have been processed, so it is not
    sent again, and the error says so (a broken connection is another matter)."""
    with ScriptedMms(raw(reply)) as main:
        url = f"{main.url}/axis2/services/MiWebService"
        with pytest.raises(MalformedResponseError) as synchronous:
            connect(main.url).call(SUBMIT.operation, SUBMIT.payload, **SUBMIT.envelope)
        async with async_client(certificate, main.url, retry=NO_WAIT) as client:
            with pytest.raises(MalformedResponseError) as asynchronous:
                await client.call(SUBMIT.operation, SUBMIT.payload, **SUBMIT.envelope)
        assert main.requests == 2  # one each
    for caught in (synchronous, asynchronous):
        assert str(caught.value).startswith(reason)
        assert str(caught.value).endswith(
            f"; the MMS may have processed the request: query before sending it again: "
            f"{url} (attempt 1)"
        )
        assert (caught.value.url, caught.value.attempt) == (url, 1)


async def test_a_huge_http_reason_phrase_is_cut_in_the_message_and_the_log(
    connect: Callable[..., MmsClient],
    certificate: Certificate,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A stand-in that puts a whole page in its status line: the message, the repr and the
    warning logged before each new attempt of a query show its first 2000 characters, as of
    any text a server sends; the error keeps it whole."""
    phrase = "R" * 95_000
    reply = raw(f"HTTP/1.1 502 {phrase}\r\nContent-Length: 0\r\n\r\n".encode())
    caplog.set_level(logging.WARNING, logger="mms_client")
    with ScriptedMms(reply) as main:
        with pytest.raises(HTTPStatusError) as synchronous:
            connect(main.url).query_offers(QUERY, date=DAY)
        async with async_client(certificate, main.url, retry=NO_WAIT) as client:
            with pytest.raises(HTTPStatusError) as asynchronous:
                await client.query_offers(QUERY, date=DAY)
    shown = f"HTTP 502 {'R' * 2000}... (93000 more characters, see .reason) instead of"
    for caught in (synchronous, asynchronous):
        assert (caught.value.status, caught.value.reason) == (502, phrase)
        assert str(caught.value).startswith(shown)
        assert len(str(caught.value)) < 2200 and len(repr(caught.value)) < 2300
        restored = pickle.loads(pickle.dumps(caught.value))
        assert (restored.reason, str(restored)) == (phrase, str(caught.value))
    retries = [record.getMessage() for record in caplog.records]
    assert len(retries) == 2 * (NO_WAIT.attempts - 1)
    assert all(shown in message and len(message) < 2300 for message in retries)


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (b"", "Server disconnected without sending a response."),
        (b"HTTP/1.1 200 OK\r\nContent-", "Server disconnected without sending a response."),
        (
            OK + b"Content-Length: 10\r\n\r\nshort",
            "peer closed connection without sending complete message body",
        ),
    ],
    ids=["before-the-answer", "in-the-head", "in-the-body"],
)
async def test_a_connection_that_closes_early_is_a_lost_connection(
    connect: Callable[..., MmsClient], certificate: Certificate, reply: bytes, reason: str
) -> None:
    """Whatever had arrived was valid so far: the answer was cut short, so a query is sent
    again."""
    with ScriptedMms(raw(reply)) as main:
        with pytest.raises(ConnectionLostError) as synchronous:
            connect(main.url).query_offers(QUERY, date=DAY)
        async with async_client(certificate, main.url, retry=NO_WAIT) as client:
            with pytest.raises(ConnectionLostError) as asynchronous:
                await client.query_offers(QUERY, date=DAY)
        assert main.requests == 2 * NO_WAIT.attempts
    for caught in (synchronous, asynchronous):
        assert str(caught.value).startswith(f"the connection broke ({reason}")
        assert caught.value.attempt == NO_WAIT.attempts


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


async def test_an_encoded_reply_is_refused_before_it_is_decoded(
    connect: Callable[..., MmsClient], certificate: Certificate
) -> None:
    """The size limit counts the bytes that arrive: a reply that decodes to many times the
    limit must be refused as it is, not decoded first."""
    refused = pytest.raises(
        MalformedResponseError, match="the reply has Content-Encoding 'gzip, gzip'"
    )
    with ScriptedMms(stacked_gzip) as main:
        with refused:
            connect(main.url, max_response_bytes=1_000_000).query_offers(QUERY, date=DAY)
        async with async_client(
            certificate, main.url, max_response_bytes=1_000_000, retry=NO_WAIT
        ) as client:
            with refused:
                await client.query_offers(QUERY, date=DAY)
    assert main.requests == 2  # not a reason to resend
    assert main.accepted_encodings == ["identity", "identity"]


async def test_async_driver_follows_the_same_rules(certificate: Certificate) -> None:
    with ScriptedMms(gateway_error) as main, ScriptedMms(fault_500) as backup:
        client = async_client(certificate, main.url, backup_url=backup.url, retry=NO_WAIT)
        async with client:
            with pytest.raises(MMSServerError, match="Axis2 is unhappy"):
                await client.query_offers(QUERY, date=DAY)
    assert (main.requests, backup.requests) == (1, 1)


@pytest.mark.parametrize(
    ("named", "reached_as", "expired", "reason", "advice"),
    [
        (
            "mms.example",
            "localhost",
            False,
            "Hostname mismatch, certificate is not valid for 'localhost'",
            "use a host name the certificate names",
        ),
        (
            "mms.example",
            "127.0.0.1",
            False,
            "IP address mismatch, certificate is not valid for '127.0.0.1'",
            "use an address the certificate names",
        ),
        (
            "127.0.0.1",
            "127.0.0.1",
            True,
            "certificate has expired",
            "the server must renew it, unless this machine's clock is wrong",
        ),
    ],
    ids=["host-name", "address", "expired"],
)
def test_a_certificate_that_fails_verification_is_one_attempt_saying_why(
    connect: Callable[..., MmsClient],
    ca: StandInCa,
    named: str,
    reached_as: str,
    expired: bool,
    reason: str,
    advice: str,
) -> None:
    """A trusted CA, but a certificate naming another host, or expired: OpenSSL's reason,
    what to do about it, and no second attempt."""
    recorder = Recorder()
    with ScriptedMms(gateway_error, ca.issue(named, expired=expired)) as main:
        url = main.url.replace("127.0.0.1", reached_as)
        client = connect(url, verify=ca.bundle, plugins=[recorder])
        with pytest.raises(ServerCertificateError) as caught:
            client.query_offers(QUERY, date=DAY)
    assert str(caught.value) == (
        f"the server's certificate could not be verified ({reason}); {advice}: "
        f"{url}/axis2/services/MiWebService (attempt 1)"
    )
    assert len(recorder.requests) == 1 and main.requests == 0


def test_failover_never_returns_to_a_host_whose_certificate_failed(
    connect: Callable[..., MmsClient], ca: StandInCa
) -> None:
    """Main's certificate names another host. The backup answers HTTP 502, after which a
    query would fail over back to main: it is retried at the backup instead."""
    recorder = Recorder()
    with (
        ScriptedMms(gateway_error, ca.issue("mms.example")) as main,
        ScriptedMms(gateway_error, ca.issue("127.0.0.1")) as backup,
    ):
        client = connect(main.url, backup_url=backup.url, verify=ca.bundle, plugins=[recorder])
        with pytest.raises(HTTPStatusError) as caught:
            client.query_offers(QUERY, date=DAY)
    assert (caught.value.status, caught.value.attempt) == (502, 3)
    assert caught.value.url.startswith(backup.url)
    assert (len(recorder.requests), backup.requests) == (3, 2)  # main: the first attempt only
