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
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

CONNECTION_EXTENSION = "mms_client.sim.connection"
"""Scope extension holding ``{"abort": callable}``: drops the connection at once."""

_TLS_VERSIONS = {"TLSv1.2": 0x0303, "TLSv1.3": 0x0304}
_START_TIMEOUT = 10.0
# How long a stopping server waits for requests in flight (a delayed answer, say).
_GRACEFUL_SHUTDOWN = 2


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


class TlsScopeProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol, publishing the peer certificate as the ASGI ``tls``
    extension."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.app = cast(Any, _with_tls_scope(cast(App, self.config.loaded_app), transport))


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


class ServerThread:
    """Serves several listeners from one event loop in a background thread."""

    def __init__(
        self, listeners: Sequence[Listener], context: ssl.SSLContext, *, log_level: str = "warning"
    ) -> None:
        self._listeners = tuple(listeners)
        self._servers = [
            uvicorn.Server(
                uvicorn.Config(
                    listener.app,
                    http=TlsScopeProtocol,
                    ssl_context_factory=lambda _config, _default: context,
                    lifespan="off",
                    log_config=None,
                    log_level=log_level,
                    access_log=False,
                    timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN,
                    # One request per connection is what MMS clients do; keep-alive is still
                    # served for clients that opt in to connection reuse.
                    timeout_keep_alive=5,
                )
            )
            for listener in self._listeners
        ]
        self._thread = threading.Thread(target=self._run, name="mms-simulator", daemon=True)
        self._error: BaseException | None = None

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to the starting thread
            self._error = exc

    async def _serve(self) -> None:
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
                self.stop()
                raise RuntimeError("the simulator's HTTPS server did not start") from self._error
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
