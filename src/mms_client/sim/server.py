"""Serving the simulator's ASGI apps over HTTPS with mutual TLS, using uvicorn.

uvicorn checks the client certificate against the CA during the handshake
(``CERT_REQUIRED``), but does not tell the application *which* certificate the client
presented, and the MMS needs that to match the certificate to the payload's ParticipantName
and UserName.  The ASGI specification has a standard place for it, the ``tls`` scope
extension (``client_cert_chain``: PEM strings, the client's own certificate first).  The one
hook here is a subclass of uvicorn's HTTP/1.1 protocol that, once the TLS handshake of a
connection is done, wraps the application so every request on that connection carries this
extension.  The same wrapper offers the application a way to abort the connection
(``mms_client.sim.connection``), which fault injection needs to drop a connection without
answering.

The protocol is uvicorn's httptools one, whose parser is written in C: with its pure-Python h11
protocol, reading and writing HTTP cost the simulator about 1 ms more CPU per request.

The server speaks TLS 1.2 only, like the MMS: a client certificate that the CA did not issue
then fails the handshake itself, before the client has sent anything.

One caller must not be able to exhaust the server, so :class:`ServerLimits` bounds what a
connection may take: uvicorn bounds the number of connections (``limit_concurrency``) but
neither the size of a request head nor the time a client takes to send it or its body (the
same protocol subclass does), and leaves the TLS handshake to asyncio's default of a minute
(the server passes its own bound to the listening sockets).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import math
import socket
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, cast

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from mms_client.errors import (
    ConfigurationError,
    SimulatorRunError,
    is_number_within,
    shown_setting,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

CONNECTION_EXTENSION = "mms_client.sim.connection"
"""Scope extension holding ``{"abort": callable}``: drops the connection at once."""

logger = logging.getLogger("mms_client.sim")

_TLS_VERSIONS = {"TLSv1.2": 0x0303, "TLSv1.3": 0x0304}
_START_TIMEOUT = 10.0
# How long a stopping server waits for requests in flight (a delayed answer, say).
_GRACEFUL_SHUTDOWN = 2


@dataclass(frozen=True)
class ServerLimits:
    """What one client may take of each address of the simulator.

    ``max_connections`` connections are served at once (more get HTTP 503); the TLS handshake
    must be done within ``handshake_timeout`` seconds of connecting, and the head of each
    request (request line and headers, at most ``max_header_bytes``, or HTTP 431) must arrive
    within ``request_timeout`` seconds of the connection or the request starting; a client
    that does neither is disconnected.  The body must then arrive within ``body_timeout``
    seconds of the head, or HTTP 408 and the connection is closed: a body sent slowly would
    otherwise hold its connection for ever.  The defaults are far from what an MMS client
    needs (a few connections, headers of a kilobyte sent at once, a body of 64 MiB, the
    largest served, in 300 s is under 2 Mbit/s) and well within a process's 1024 file
    descriptors.
    """

    max_connections: int = 256
    max_header_bytes: int = 64 * 1024
    handshake_timeout: float = 10.0
    request_timeout: float = 30.0
    body_timeout: float = 300.0

    def __post_init__(self) -> None:
        for limit in fields(self):
            value = getattr(self, limit.name)
            if not self.allows(limit.name, value):
                raise ConfigurationError(f"{limit.name} {LIMIT_RULE}, not {shown_setting(value)}")

    @classmethod
    def allows(cls, name: str, value: object) -> bool:
        """Whether ``value`` can be the limit ``name``: the one rule for the limits given in
        code and for the ``mms sim serve`` options that set them, whose errors name the
        option rather than the limit."""
        # the transport's rule for a setting's number: NaN or infinity would reach uvicorn
        [limit] = [limit for limit in fields(cls) if limit.name == name]
        kinds = int if limit.type == "int" else int | float
        return is_number_within(value, kinds, 0, math.inf) and 0 < cast(float, value) < math.inf


LIMIT_RULE = "must be a positive finite number"
"""What every :class:`ServerLimits` limit must be, in words."""


DEFAULT_LIMITS = ServerLimits()


def server_ssl_context(cert: str, key: str, key_passphrase: str, ca: str) -> ssl.SSLContext:
    """The server side of the MMS's mutual TLS: TLS 1.2, client certificate required."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cafile=ca)
    context.load_cert_chain(cert, key, password=key_passphrase)
    return context


def _with_tls_scope(app: App, transport: asyncio.BaseTransport) -> App:
    """``app`` with the ``tls`` and connection extensions of this connection in every scope."""
    ssl_object = transport.get_extra_info("ssl_object")
    chain: list[str] = []
    version: int | None = None
    if isinstance(ssl_object, ssl.SSLObject):
        der = ssl_object.getpeercert(binary_form=True)
        if der:
            chain.append(ssl.DER_cert_to_PEM_cert(der))
        version = _TLS_VERSIONS.get(ssl_object.version() or "")
    tls = {
        "server_cert": None,
        "client_cert_chain": chain,
        "client_cert_name": None,
        "client_cert_error": None,
        "tls_version": version,
        "cipher_suite": None,
    }
    connection = {"abort": cast(asyncio.Transport, transport).abort}

    async def app_with_tls(scope: Scope, receive: Receive, send: Send) -> None:
        extensions = dict(scope.get("extensions") or {})
        extensions["tls"] = tls
        extensions[CONNECTION_EXTENSION] = connection
        scope["extensions"] = extensions
        await app(scope, receive, send)

    return app_with_tls


class _HeadTooLargeError(Exception):
    """Stops the HTTP parser at a request head over the limit."""


class TlsScopeProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol, publishing the peer certificate as the ASGI ``tls``
    extension, and bounding the size of request heads and the time to send them and their
    bodies."""

    limits = DEFAULT_LIMITS

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.app = cast(Any, _with_tls_scope(cast(App, self.config.loaded_app), transport))
        self._head_bytes: int | None = 0  # what the parser has read of the current head
        self._head_arrived = 0  # what has arrived since the current head started
        self._head_too_large = False
        self._head_deadline: asyncio.TimerHandle | None = None
        self._body_deadline: asyncio.TimerHandle | None = None
        self._await_head()

    def shutdown(self) -> None:
        """At the server's stop, drop a connection between requests rather than close it: a
        TLS close waits for the client's goodbye, which a client keeping the connection alive
        (waiting for nothing) never sends, and the stop would wait out its grace period."""
        if self.cycle is None or self.cycle.response_complete:
            self.transport.abort()
        else:
            super().shutdown()

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_received()
        self._body_received()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # httptools gathers a header until it is complete, however long: while the head is
        # incomplete, what has arrived of it counts
        if self._head_bytes is not None and not self.transport.is_closing():
            self._head_arrived += len(data)
            if self._head_arrived > self.limits.max_header_bytes:
                self._refuse_head()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = self._head_arrived = 0
        self._await_head()

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        self._count_head(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        self._count_head(len(name) + len(value) + 4)  # ": " and CRLF

    def on_headers_complete(self) -> None:
        self._head_received()
        super().on_headers_complete()
        # a request without a body completes at once, in the same call of the parser
        self._body_deadline = self.loop.call_later(self.limits.body_timeout, self._refuse_body)

    def on_message_complete(self) -> None:
        self._body_received()
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request it cannot parse; a head over the limit stops the
        parser (``_count_head``) and gets its own answer."""
        if self._head_too_large:
            self._refuse_head()
        else:
            super().send_400_response(msg)

    def _refuse_head(self) -> None:
        self._head_received()
        self._refuse(
            b"431 Request Header Fields Too Large",
            f"request heads are limited to {self.limits.max_header_bytes} bytes",
        )

    def _refuse_body(self) -> None:
        """Ends a request whose body is late: the application waiting for the rest of it is
        told the client has gone (``connection_lost``), so a partial body is never served."""
        self._body_deadline = None
        if self.transport.is_closing() or (self.cycle is not None and self.cycle.response_started):
            self.transport.close()  # the application answered already (413, say)
            return
        self._refuse(
            b"408 Request Timeout",
            f"a request body must arrive within {self.limits.body_timeout:g} s of its head",
        )

    def _refuse(self, status: bytes, text: str) -> None:
        """Answers ``status`` with ``text`` outside the application, and closes."""
        body = text.encode()
        self.transport.write(
            b"HTTP/1.1 %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (status, len(body), body)
        )
        self.transport.close()

    def _count_head(self, size: int) -> None:
        """Counts what the parser has read of a head that arrived whole (``data_received``
        counts a head still arriving), stopping it past the limit."""
        if self._head_bytes is None:
            return
        self._head_bytes += size
        if self._head_bytes > self.limits.max_header_bytes:
            self._head_too_large = True
            raise _HeadTooLargeError

    def _await_head(self) -> None:
        """Starts the time the next request head has to arrive in, unless it runs already
        (from the connection's start, for its first request)."""
        if self._head_deadline is None:
            self._head_deadline = self.loop.call_later(
                self.limits.request_timeout, self.transport.close
            )

    def _head_received(self) -> None:
        self._head_bytes = None
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _body_received(self) -> None:
        if self._body_deadline is not None:
            self._body_deadline.cancel()
            self._body_deadline = None


def _protocol_with(limits: ServerLimits) -> type[TlsScopeProtocol]:
    """The protocol class serving with ``limits`` (uvicorn makes one instance a connection
    from the class it is given)."""
    return cast(
        type[TlsScopeProtocol],
        type("LimitedTlsScopeProtocol", (TlsScopeProtocol,), {"limits": limits}),
    )


class _LimitedServer(uvicorn.Server):
    """uvicorn's server, listening with a bound on the TLS handshake: uvicorn has no setting
    for it, and asyncio's default lets a client that never completes one hold its
    connection for a minute."""

    def __init__(self, config: uvicorn.Config, limits: ServerLimits) -> None:
        super().__init__(config)
        self._limits = limits

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        assert sockets is not None  # the simulator binds its sockets itself
        config = self.config
        loop = asyncio.get_running_loop()

        def create_protocol() -> asyncio.Protocol:
            return config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=self.server_state, app_state=self.lifespan.state
            )

        self.servers = [
            await loop.create_server(
                create_protocol,
                sock=sock,
                ssl=config.ssl,
                backlog=config.backlog,
                ssl_handshake_timeout=self._limits.handshake_timeout,
                ssl_shutdown_timeout=self._limits.handshake_timeout,
            )
            for sock in sockets
        ]
        self.started = True


class _AcceptErrorReport:
    """The event loop's exception handler, reporting a failing ``accept`` (out of file
    descriptors, most likely) in one line a minute: asyncio logs each failure with its
    traceback, and retries every second on every listener."""

    _OUT_OF_RESOURCES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
    _INTERVAL = 60.0

    def __init__(self) -> None:
        self._next: float | None = None

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if not (isinstance(exc, OSError) and exc.errno in self._OUT_OF_RESOURCES):
            loop.default_exception_handler(context)
            return
        now = loop.time()
        if self._next is None or now >= self._next:
            self._next = now + self._INTERVAL
            logger.warning(
                "cannot accept connections: %s; new connections wait until some close",
                exc.strerror,
            )


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 picks a free port, read back with ``getsockname``.

    The socket is created with an explicit ``IPPROTO_TCP`` and ``TCP_NODELAY``: asyncio only
    disables Nagle's algorithm on connections of sockets that say they are TCP, and without
    that every answer (headers and body are separate writes) waits for a delayed ACK.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        # ``::`` serves IPv4 clients too, as it does by default on Linux and macOS but not on
        # Windows (a system that cannot, such as OpenBSD, serves IPv6 alone)
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        # the simulator listens on two ports: say which one failed
        raise OSError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.set_inheritable(True)
    return sock


@dataclass(frozen=True)
class Listener:
    """One address served by one app."""

    sock: socket.socket
    app: App

    @property
    def port(self) -> int:
        port: int = self.sock.getsockname()[1]
        return port


class _ProcessLinesOnce(logging.Filter):
    """Lets uvicorn's lines about the whole process ("Started server process", "Shutting
    down", "Finished server process") through once for the thread serving every address:
    uvicorn writes them for each of its servers, and the simulator runs one per address in one
    process, so they would say the same twice."""

    _LINES = frozenset(
        {"Started server process [%d]", "Shutting down", "Finished server process [%d]"}
    )

    def __init__(self, thread: int) -> None:
        super().__init__()
        self._thread = thread
        self._seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.thread != self._thread or record.msg not in self._LINES:
            return True
        first = record.msg not in self._seen
        self._seen.add(str(record.msg))
        return first


class ServerThread:
    """Serves several listeners from one event loop in a background thread."""

    def __init__(
        self,
        listeners: Sequence[Listener],
        context: ssl.SSLContext,
        *,
        log_level: str = "warning",
        limits: ServerLimits = DEFAULT_LIMITS,
    ) -> None:
        self._listeners = tuple(listeners)
        self._servers = [
            _LimitedServer(
                uvicorn.Config(
                    listener.app,
                    http=_protocol_with(limits),
                    ssl_context_factory=lambda _config, _default: context,
                    lifespan="off",
                    log_config=None,
                    log_level=log_level,
                    access_log=False,
                    timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN,
                    # One request per connection is what MMS clients do; keep-alive is still
                    # served for clients that opt in to connection reuse.
                    timeout_keep_alive=5,
                    # uvicorn counts the connection being served among those it compares
                    # with its limit: one more lets max_connections be served at once
                    limit_concurrency=limits.max_connections + 1,
                ),
                limits,
            )
            for listener in self._listeners
        ]
        self._thread = threading.Thread(target=self._run, name="mms-simulator", daemon=True)
        self._error: BaseException | None = None

    def _run(self) -> None:
        uvicorn_log = logging.getLogger("uvicorn.error")
        once = _ProcessLinesOnce(threading.get_ident())
        uvicorn_log.addFilter(once)
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
        finally:
            uvicorn_log.removeFilter(once)

    async def _serve(self) -> None:
        asyncio.get_running_loop().set_exception_handler(_AcceptErrorReport())
        await asyncio.gather(
            *(
                server.serve(sockets=[listener.sock])
                for server, listener in zip(self._servers, self._listeners, strict=True)
            )
        )

    def start(self) -> None:
        """Starts serving and returns once every listener accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not all(server.started for server in self._servers):
            if not self._thread.is_alive() or time.monotonic() > deadline:
                # before stopping it: a server still starting is one that took too long
                late = self._thread.is_alive()
                self.stop()
                why = _why_not_started(self._error, late)
                raise SimulatorRunError(
                    f"the simulator's HTTPS server did not start{why}"
                ) from self._error
            time.sleep(0.005)

    def stop(self) -> None:
        """Stops serving, waiting briefly for requests in flight; closes the sockets."""
        for server in self._servers:
            server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(_GRACEFUL_SHUTDOWN + 5)
        for listener in self._listeners:
            with contextlib.suppress(OSError):
                listener.sock.close()

    @property
    def alive(self) -> bool:
        """False once the server has stopped, by ``stop`` or by an error."""
        return self._thread.is_alive()


def _why_not_started(error: BaseException | None, late: bool) -> str:
    """What a message adds to "the HTTPS server did not start": the error its thread ended
    with, or that it was still starting when the wait for it ended."""
    if error is not None:
        return f": {type(error).__name__}: {error}"
    if late:
        return f" within {_START_TIMEOUT:g} s; the machine may be too busy: try again"
    return ""
