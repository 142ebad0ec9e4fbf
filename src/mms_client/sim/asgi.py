"""The ASGI edge of the simulator: HTTP in, the MMS service, HTTP out, with faults.

Everything the MMS decides happens in :mod:`mms_client.sim.service` on bytes; this module only
moves bytes between the server and the service, and commits the injected faults at the moment
each kind is defined to happen (see :mod:`mms_client.sim.faults`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from functools import partial

from mms_client.endpoints import SERVICE_PATHS
from mms_client.sim.faults import MALFORMED_BODY, Endpoint, Fault, FaultKind, FaultPlan
from mms_client.sim.journal import Journal, RecordedRequest
from mms_client.sim.server import CONNECTION_EXTENSION, Receive, Scope, Send
from mms_client.sim.service import Incoming, MmsService, Reply

logger = logging.getLogger("mms_client.sim")

MAX_REQUEST_BYTES = 64 * 1024 * 1024
"""Larger request bodies are refused with HTTP 413; what arrives past the limit is dropped."""

REFUSED_BODY_SECONDS = 30.0
"""How long the rest of a body over :data:`MAX_REQUEST_BYTES` is read and dropped before the
413 goes out. A client sends its whole request before it reads the answer (httpx does), and a
server that answers and closes while the request still arrives resets the connection: the
client sees it broken, its answer lost, and cannot tell that the request was refused unread."""

INLINE_REQUEST_BYTES = 32 * 1024
"""Requests up to this size (a query, a submission of two dozen offers or so) are handled on the
event loop; larger ones in a worker thread, so that a bulk submission or an upload does not hold
up the other connections while it is checked.

Handing a small request to a thread costs more CPU than handling it (most likely the loop and
the worker handing the GIL to each other): 2.8 ms of the simulator's against 1.7 ms for a
put_offer, with eight clients reusing their connections. A request of this size takes about
15 ms to handle (half a millisecond per offer of five stacks)."""

_PATHS = frozenset(SERVICE_PATHS.values())
_SERVICES = " and ".join(SERVICE_PATHS.values())


class _ClientGoneError(Exception):
    """The connection ended before the request body did (the client left, or the server cut
    off a late body): there is nobody to answer, and half a request is not served."""


def _plain(status: int, text: str, *extra: tuple[str, str]) -> Reply:
    return Reply(status, (("content-type", "text/plain; charset=utf-8"), *extra), text.encode())


class SimulatorApp:
    """The ASGI application serving one endpoint (main or backup) of the simulator."""

    def __init__(
        self, service: MmsService, endpoint: Endpoint, faults: FaultPlan, journal: Journal
    ) -> None:
        self._service = service
        self._endpoint = endpoint
        self._faults = faults
        self._journal = journal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] not in _PATHS:
            # plain HTTP, as the web server in front of a SOAP service answers a path that is
            # none of its services; the text names the paths a mistaken base URL missed
            no_service = f"no MMS service at {scope['path']}; the services are at {_SERVICES}"
            await _send(send, _plain(404, no_service))
            return
        if scope["method"] != "POST":
            await _send(send, _plain(405, "the MMS services accept POST only", ("allow", "POST")))
            return
        try:
            body = await _read_body(receive)
        except _ClientGoneError:
            return
        if body is None:
            await _send(send, _plain(413, f"requests are limited to {MAX_REQUEST_BYTES} bytes"))
            return
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        chain = (scope.get("extensions") or {}).get("tls", {}).get("client_cert_chain") or []
        handle = partial(self._handle, scope["path"], headers, body, chain[0] if chain else None)
        if len(body) <= INLINE_REQUEST_BYTES:
            fault, reply = handle()
        else:
            fault, reply = await asyncio.to_thread(handle)
        abort = scope["extensions"][CONNECTION_EXTENSION]["abort"]
        if fault is None:
            assert reply is not None
            await _send(send, reply)
        elif fault.kind is FaultKind.HTTP_ERROR:
            await _send(send, _plain(fault.status, f"injected fault: HTTP {fault.status}"))
        elif fault.kind in (FaultKind.DROP_BEFORE, FaultKind.DROP_AFTER):
            await _drop(abort, receive)
        elif fault.kind is FaultKind.MALFORMED:
            await _send(
                send, Reply(200, (("content-type", "text/xml; charset=utf-8"),), MALFORMED_BODY)
            )
        elif await _wait_unless_disconnected(fault.seconds, receive):
            assert reply is not None
            await _send(send, reply)

    def _handle(
        self, path: str, headers: list[tuple[str, str]], body: bytes, certificate: str | None
    ) -> tuple[Fault | None, Reply | None]:
        """Receives the request, picks the fault that meets it and, unless the fault comes
        before processing, processes it: the reply, and the fault still to commit."""
        incoming = self._service.receive(path, headers, body, certificate)
        fault = self._faults.take(incoming.operation, self._endpoint)
        if fault is not None and fault.kind in (FaultKind.HTTP_ERROR, FaultKind.DROP_BEFORE):
            self._record(incoming, processed=False, fault=fault)
            return fault, None
        reply = self._service.process(incoming)
        self._record(incoming, processed=True, fault=fault)
        return fault, reply

    def _record(self, incoming: Incoming, *, processed: bool, fault: Fault | None) -> None:
        self._journal.record(
            RecordedRequest(
                endpoint=self._endpoint,
                operation=incoming.operation,
                participant=incoming.participant,
                user=incoming.user,
                payload=incoming.payload,
                processed=processed,
                fault=None if fault is None else fault.kind,
            )
        )
        logger.info(
            "%s: %s from %s/%s%s%s",
            self._endpoint.value,
            incoming.operation or "unreadable request",
            incoming.participant or "?",
            incoming.user or "?",
            "" if processed else " (not processed)",
            "" if fault is None else f" [injected fault: {fault.kind.value}]",
        )


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None if it exceeds the limit, once the rest of it has been
    read and dropped (see :data:`REFUSED_BODY_SECONDS`); ``_ClientGoneError`` if the
    connection ends first."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        chunk, more = await _next_chunk(receive)
        size += len(chunk)
        if size > MAX_REQUEST_BYTES:
            with suppress(TimeoutError):  # a client still sending then is answered all the same
                async with asyncio.timeout(REFUSED_BODY_SECONDS):
                    while more:
                        _, more = await _next_chunk(receive)
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _next_chunk(receive: Receive) -> tuple[bytes, bool]:
    """The next piece of the request body, and whether more follows; ``_ClientGoneError`` if
    the connection ends first."""
    message = await receive()
    if message["type"] != "http.request":
        raise _ClientGoneError
    return message.get("body", b""), message.get("more_body", False)


async def _send(send: Send, reply: Reply) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers]
    headers.append((b"content-length", str(len(reply.body)).encode()))
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body, "more_body": False})


async def _drop(abort: Callable[[], None], receive: Receive) -> None:
    """Closes the connection without an answer, then waits until the server has noticed, so
    it does not try to answer on its own."""
    abort()
    await _disconnected_within(5.0, receive)


async def _wait_unless_disconnected(seconds: float, receive: Receive) -> bool:
    """Waits ``seconds``; False if the client hung up meanwhile (nobody left to answer)."""
    return not await _disconnected_within(seconds, receive)


async def _disconnected_within(seconds: float, receive: Receive) -> bool:
    """Whether the client disconnects within ``seconds`` (the request body is read already,
    so the next message the server has for the app is the disconnect)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (remaining := deadline - loop.time()) > 0:
        try:
            message = await asyncio.wait_for(receive(), timeout=remaining)
        except TimeoutError:
            return False
        if message["type"] == "http.disconnect":
            return True
    return False
