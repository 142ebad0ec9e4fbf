"""Getting one request to the MMS and its answer back: HTTPS with mutual TLS, failover from
the main to the backup host, and retries only where a resend cannot do harm.

The decisions live in :class:`RetryPolicy`, which is pure: given what went wrong, may the
request be sent again, and to which URL? The rule that matters most: a submit, cancel or
approval is sent again only when it provably never reached the server (the connection or the
TLS handshake failed, or did not finish in time, before any byte of the request went out).
After a timeout, a dropped connection or an HTTP 5xx it may have been processed, so the error
goes to the caller instead of a silent second submit. Queries are always safe to resend. A host
whose certificate could not be verified is not tried again for that request: sending there
again cannot succeed, so the request fails over to the other host if there is one, and
otherwise fails at once. Nor is a plain-HTTP URL whose server answers in TLS: that is a setting
to change, not an outage.

The two drivers, :class:`SyncTransport` and :class:`AsyncTransport`, share the attempt
bookkeeping, error translation, body limits and plugin calls. They differ in awaiting httpx,
in how an attempt's deadline is kept (below), in the async one keeping an httpx client per
event loop, and in what a cancelled async call must say.

Each attempt has a deadline (``timeout``): httpx only limits each wait for data, so a server
sending its answer a byte at a time could otherwise hold the caller for ever. The async driver
runs the attempt under :func:`asyncio.timeout`; the sync one has every wait of its TLS sockets
end by the deadline (:class:`_SyncSocket`).

A transport may be shared by threads, and an async one by event loops in several threads at
once; a process forked from one starts with connections of its own (see :class:`_Driver`).

A reply is normally collected in memory. For a download (``spool_dir``) it is written chunk by
chunk to an anonymous temporary file in that folder instead, so a report of hundreds of
megabytes costs a chunk of memory, not its size; its own size limit and deadline apply.
"""

from __future__ import annotations

import io
import logging
import math
import os
import socket
import ssl
import tempfile
import threading
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Callable,
    Iterator,
    Mapping,
    Sequence,
    Set,
)
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType, UnionType
from typing import TYPE_CHECKING, Any, BinaryIO, Self
from urllib.parse import urlsplit

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from mms_client.endpoints import Endpoints, Interface
from mms_client.errors import (
    MAY_HAVE_PROCESSED,
    ConfigurationError,
    ConnectError,
    ConnectionLostError,
    HTTPStatusError,
    MalformedResponseError,
    RequestTimeout,
    ServerCertificateError,
    TransportError,
    is_number_within,
    shown_setting,
)
from mms_client.lean_httpx import httpx
from mms_client.plugins import Plugin, call_hook
from mms_client.wire.blobs import writing
from mms_client.wire.soap import HttpMessage, is_fault

if TYPE_CHECKING:
    import asyncio

    from mms_client.security.certs import Certificate

logger = logging.getLogger("mms_client.transport")

#: Default limit on a response body; bigger replies are refused while being read.
DEFAULT_MAX_RESPONSE_BYTES = 96 * 1024 * 1024
#: Default limit on a download streamed to a file (:attr:`TransportSettings.max_download_bytes`).
DEFAULT_MAX_DOWNLOAD_BYTES = 8 * 1024**3


@dataclass(frozen=True)
class HttpReply:
    """An answer of the MMS: a 2xx response, or an error status whose body is a SOAP fault.

    ``operation`` is the registry name of its request, ``url`` and ``attempt`` say which
    attempt brought it, ``resendable`` whether its request may be processed twice. The body
    is ``body``, or for a download the temporary file ``spool`` (``body`` is then empty);
    :meth:`source` reads either, :meth:`close` releases the file.
    """

    operation: str
    url: str
    attempt: int
    resendable: bool
    status: int
    headers: Mapping[str, str]
    body: bytes = field(repr=False)
    spool: BinaryIO | None = field(default=None, repr=False)

    def source(self) -> BinaryIO:
        """The body as a seekable binary file, positioned at its start."""
        if self.spool is None:
            return io.BytesIO(self.body)
        self.spool.seek(0)
        return self.spool

    def close(self) -> None:
        if self.spool is not None:
            self.spool.close()

    def unreadable(self, error: MalformedResponseError) -> MalformedResponseError:
        """``error``, found while reading this reply, as the caller must see it: naming the
        attempt and, for a request that must not be processed twice, warning that the MMS
        may have processed it."""
        return _unreadable(str(error), self.url, self.attempt, self.operation, self.resendable)


MAX_SECONDS = 7 * 24 * 3600
"""The longest time limit of the transport: a week. No answer is worth waiting longer for, and
every wait of a request works up to it on every platform, while a longer one does not
everywhere: a socket's wait ends at about 292 years, a thread's on Windows at about 49 days.
Beyond such a bound a call would fail at its first wait, with an ``OverflowError`` naming no
setting, rather than the client when it is built."""


@dataclass(frozen=True)
class RetryPolicy:
    """When to send a request again, where to, and how long to wait first.

    ``attempts`` counts every try including the first. The wait before a retry grows
    exponentially from ``backoff_initial`` seconds up to ``backoff_max``, plus up to
    ``backoff_jitter`` seconds of random jitter (at the cap too) so that many clients do not
    retry in step.
    """

    attempts: int = 3
    backoff_initial: float = 0.5
    backoff_max: float = 8.0
    backoff_jitter: float = 0.5

    def __post_init__(self) -> None:
        if not is_number_within(self.attempts, int, 1, math.inf):
            given = shown_setting(self.attempts)
            raise ConfigurationError(
                f"RetryPolicy.attempts must be a whole number, at least 1, not {given}"
            )
        backoff = (self.backoff_initial, self.backoff_max, self.backoff_jitter)
        if not all(is_number_within(seconds, int | float, 0, MAX_SECONDS) for seconds in backoff):
            raise ConfigurationError(
                f"RetryPolicy back-off times must be from 0 to {MAX_SECONDS} seconds (a week), "
                f"not {', '.join(map(shown_setting, backoff))}"
            )

    @staticmethod
    def may_resend(error: BaseException, *, resendable: bool) -> bool:
        """Whether a request that failed with ``error`` may be sent again.

        ``resendable`` says whether processing the request twice is harmless (queries).
        Anything else is resent only after a :class:`ConnectError`, which guarantees that the
        server never saw it.
        """
        if isinstance(error, ConnectError):
            return True
        if not resendable:
            return False
        if isinstance(error, HTTPStatusError):
            return error.status is not None and error.status >= 500
        return isinstance(error, RequestTimeout | ConnectionLostError)

    @staticmethod
    def fails_over(error: BaseException) -> bool:
        """Whether the next attempt should go to the other host: the current one is down
        (connection failed) or broken (HTTP 5xx)."""
        if isinstance(error, HTTPStatusError):
            return error.status is not None and error.status >= 500
        return isinstance(error, ConnectError)

    def next_url(
        self,
        endpoints: Endpoints,
        current: str,
        error: BaseException,
        unverified: Set[str] = frozenset(),
    ) -> str | None:
        """The URL of the attempt after one at ``current`` that failed with ``error``:
        alternate between main and backup on failover, otherwise stay.

        ``unverified`` holds the URLs whose server certificate could not be verified during
        this request; they are not tried again, since that cannot succeed, so the request
        stays at (or fails over to) the other host, and there is no next URL (None) when
        none is left.
        """
        candidates = [current]
        if endpoints.backup is not None and self.fails_over(error):
            other = endpoints.backup if current == endpoints.main else endpoints.main
            candidates.insert(0, other)
        return next((url for url in candidates if url not in unverified), None)

    def tenacity_arguments(
        self,
        resends: Callable[[BaseException], bool],
        before_retry: Callable[[RetryCallState], None],
    ) -> dict[str, Any]:
        """The shared configuration of :class:`tenacity.Retrying` and
        :class:`tenacity.AsyncRetrying`: ``resends`` says whether a failure is followed by
        another attempt, ``before_retry`` sees each failure that is."""
        return {
            "retry": retry_if_exception(resends),
            "stop": stop_after_attempt(self.attempts),
            # the jitter goes on top of the grown wait, capped or not: tenacity's
            # wait_exponential_jitter caps the sum, so that waits at the cap would have none
            "wait": wait_exponential(multiplier=self.backoff_initial, max=self.backoff_max)
            + wait_random(0, self.backoff_jitter),
            "before_sleep": before_retry,
            "reraise": True,
        }


_LIMITS: tuple[tuple[str, str, type | UnionType, int | None], ...] = (
    ("timeout", "seconds", int | float, MAX_SECONDS),
    ("download_timeout", "seconds", int | float, MAX_SECONDS),
    ("max_response_bytes", "bytes", int, None),
    ("max_download_bytes", "bytes", int, None),
)
"""The settings of :class:`TransportSettings` that bound a request, their unit, the types
they take and the most they may be (None: no more than memory or the disk holds)."""


@dataclass(frozen=True)
class TransportSettings:
    """How requests are sent; shared by both drivers."""

    timeout: float = 60.0
    """Seconds one attempt may take from sending to the end of the answer (connecting is
    limited to at most 10 of them). Over plain HTTP, which only a stand-in for the MMS speaks,
    the sync client bounds the head of the answer by each wait for data alone."""
    keep_alive: bool = False
    """Reuse connections. Off by default: the MMS has failed authentication on reused ones."""
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    """Largest reply read into memory."""
    policy: RetryPolicy = RetryPolicy()
    max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES
    """Largest reply streamed to a file (a download with ``to=``)."""
    download_timeout: float = 3600.0
    """Seconds one attempt of a download may take in all; each wait for data is still
    limited by ``timeout``."""

    def __post_init__(self) -> None:
        for name, unit, kinds, most in _LIMITS:
            value = getattr(self, name)
            highest = math.inf if most is None else most
            if not (is_number_within(value, kinds, 0, highest) and value):
                bound = "" if most is None else f" up to {most} (a week)"
                raise ConfigurationError(
                    f"{name} must be a positive number of {unit}{bound}, not {shown_setting(value)}"
                )

    @property
    def connect_timeout(self) -> float:
        """Seconds that making the connection, and then its TLS handshake, may take each."""
        return min(self.timeout, 10.0)

    def client_arguments(self) -> dict[str, Any]:
        """Keyword arguments for :class:`httpx.Client` and :class:`httpx.AsyncClient`."""
        # the MMS has no reason to compress (its payloads say whether they are compressed,
        # and ours ask for none); see _Exchange.begin for what a compressed reply would cost
        headers = {"Accept-Encoding": "identity"}
        if not self.keep_alive:
            headers["Connection"] = "close"
        return {
            "timeout": httpx.Timeout(self.timeout, connect=self.connect_timeout),
            "limits": httpx.Limits(max_keepalive_connections=5 if self.keep_alive else 0),
            "headers": headers,
            "follow_redirects": False,
        }


class _Attempts:
    """The attempts of one request: what every attempt sends, which URL each goes to, and
    the plugins' view of them."""

    def __init__(
        self,
        driver: _Driver,
        endpoints: Endpoints,
        message: HttpMessage,
        interface: Interface,
        operation: str,
        resendable: bool,
        spool_dir: Path | None,
    ) -> None:
        self.driver = driver
        """The transport sending them, which may be closed while one is under way: nothing
        is sent again then."""
        self.endpoints = endpoints
        self.message = message
        self.interface = interface
        self.operation = operation
        """The name of the request, for the records that speak of it."""
        self.settings = driver._settings
        self.plugins = driver._plugins
        self.spool_dir = spool_dir
        self.resendable = resendable
        self.url = endpoints.main
        self.number = 0
        self.unverified: set[str] = set()
        self.failures: dict[str, TransportError] = {}
        """The last failure at each URL tried."""
        self.last_failure: BaseException | None = None
        """How the attempt before the next one failed."""

    def tenacity_arguments(self) -> dict[str, Any]:
        return {
            **self.settings.policy.tenacity_arguments(self._resends, self._failed),
            "sleep": self.driver.pause,
        }

    def _resends(self, error: BaseException) -> bool:
        """Whether another attempt follows the one that failed with ``error``, and where
        (``url`` becomes its URL). The two are decided together because a host whose
        certificate could not be verified is not tried again, which may leave nowhere to go."""
        policy = self.settings.policy
        self.last_failure = error
        if isinstance(error, TransportError):
            self.failures[self.url] = error
        if isinstance(error, ServerCertificateError):
            self.unverified.add(self.url)
        if self.driver.closed:
            # the next attempt would be refused for the closed client: the call fails with
            # this attempt's failure (the close's, if the close broke it), not resent
            return False
        upcoming = policy.next_url(self.endpoints, self.url, error, self.unverified)
        if upcoming is None or not policy.may_resend(error, resendable=self.resendable):
            return False
        self.url = upcoming
        return True

    def given_up(self, error: TransportError) -> TransportError:
        """The error the request fails with, after its last attempt failed with ``error``:
        naming, when the other hosts were tried too, how each of them failed, since a
        caller who reads only the last host would not know the others are down as well."""
        others = [failure for url, failure in self.failures.items() if url != error.url]
        return error.failed_elsewhere(others) if others else error

    def _failed(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        logger.warning("attempt %d failed (%s); trying again at %s", self.number, error, self.url)

    def next(self, client: httpx.Client | httpx.AsyncClient) -> _Exchange:
        """The next attempt, which ``client`` sends. A transport closed meanwhile sends
        nothing: a request closed while it waited to be sent again fails as its last attempt
        did, which says what became of it, and one not sent yet as closed."""
        if self.driver.closed and self.last_failure is not None:
            raise self.last_failure
        # closed by another thread or task, or in another event loop, whose aclose left this
        # loop's client open
        self.driver.check_open()
        self.number += 1
        return _Exchange(self, client)


_under_way: ContextVar[_Exchange | None] = ContextVar("mms_client_attempt", default=None)
"""The sync attempt under way, whose deadline its TLS sockets keep (:class:`_SyncSocket`)."""


class _UnsentError(TimeoutError):
    """The attempt's deadline passed before a byte of its request was sent: connecting and the
    TLS handshake, each within the connect timeout, took the whole attempt."""


class _SyncSocket(ssl.SSLSocket):
    """A TLS socket of the sync driver: every wait for the server ends by the deadline of the
    attempt it serves, and closing it wakes a thread waiting on it (see :meth:`close`).

    httpx gives each wait for data its own timeout, and its sync driver offers no way to limit
    the whole answer: the body is checked as it arrives, but a server sending its status line
    and headers a byte at a time would hold the caller for as long as it liked. httpx's sync
    driver sets a socket's timeout and then reads or writes, so shortening that timeout here
    bounds every wait. The async driver has :func:`asyncio.timeout` instead.
    """

    def _bound(self, sending: bool) -> _Exchange | None:
        """Shorten the wait to come to the time the attempt under way has left, if any."""
        exchange = _under_way.get()
        if exchange is None:
            return None
        left = exchange.left()
        if left <= 0:
            if sending and not exchange.wrote:
                raise _UnsentError("the attempt ran out of time before its request was sent")
            raise TimeoutError("the attempt is out of time")
        timeout = self.gettimeout()
        if timeout is None or timeout > left:
            self.settimeout(left)
        return exchange

    _guard = threading.Lock()
    """Guards every socket's count of the threads in it and its deferred close."""
    _users = 0
    """How many threads are reading or writing the socket (see :meth:`close`)."""
    _close_deferred = False

    def _enter(self) -> None:
        with self._guard:
            self._users += 1

    def _leave(self) -> None:
        with self._guard:
            self._users -= 1
            close = self._close_deferred and not self._users
        if close:
            super().close()

    def do_handshake(self, block: bool = False) -> None:
        exchange = _under_way.get()
        if exchange is None or not isinstance(exchange.driver, SyncTransport):
            super().do_handshake(block)
            return
        with exchange.driver.opening(self):
            super().do_handshake(block)

    def wake(self) -> None:
        """Make a thread waiting on this connection stop waiting, at once, with an error."""
        with suppress(OSError):  # not connected, or shut down already
            socket.socket.shutdown(self, socket.SHUT_RDWR)

    def recv(self, buflen: int = 1024, flags: int = 0) -> bytes:
        self._bound(sending=False)
        self._enter()
        try:
            return super().recv(buflen, flags)
        finally:
            self._leave()

    def send(self, data: Any, flags: int = 0) -> int:
        exchange = self._bound(sending=True)
        self._enter()
        try:
            sent = super().send(data, flags)
        finally:
            self._leave()
        if exchange is not None:
            exchange.wrote = True
        return sent

    def close(self) -> None:
        """Shut the connection down before closing it: closing alone does not wake a thread
        blocked reading the socket, so a client closed while another thread waited for an
        answer would leave that thread waiting for the answer (or its timeout), only to throw
        it away. Shut down, the read ends at once and the call fails saying the client was
        closed. This is the plain socket's shutdown: ``SSLSocket.shutdown`` would also drop
        the TLS state from under the thread still reading.

        The file descriptor is closed by the last thread to leave the socket: OpenSSL reads
        and writes it by its number, so closed under a thread still reading or writing, the
        number could be given to a file or connection opened meanwhile (a handshake under
        way in another thread), which that thread would then read from or write TLS records
        into."""
        self.wake()
        with self._guard:
            if self._users:
                self._close_deferred = True
                return
        super().close()


class _Exchange:
    """The bookkeeping of one attempt that does not depend on sync or async I/O.

    Used as a context manager around the I/O of the attempt: it holds the attempt's deadline
    for the sync driver's sockets, and on the way out of a failed attempt its spool file is
    released and an httpx failure becomes the library's error.
    """

    def __init__(self, attempts: _Attempts, client: httpx.Client | httpx.AsyncClient) -> None:
        settings, message, spool_dir = attempts.settings, attempts.message, attempts.spool_dir
        self.message = message
        self.interface = attempts.interface
        self.operation = attempts.operation
        self.url = attempts.url
        self.attempt = attempts.number
        self._resendable = attempts.resendable
        self._client = client
        """The httpx client sending the attempt. Only its closing breaks the attempt: an async
        transport closed in another event loop leaves this loop's client open."""
        self._settings = settings
        self._plugins = attempts.plugins
        self.driver = attempts.driver
        """The transport sending it, whose close must reach a connection still being opened
        (:meth:`SyncTransport.opening`)."""
        self._spool_dir = spool_dir
        self._chunks: list[bytes] = []
        self._spool: BinaryIO | None = None
        self._size = 0
        self._sending = False
        """Whether the request has begun to go out (the connection and its TLS handshake are
        done): until then, no byte of it can have reached the server."""
        self.wrote = False
        """Whether a byte of the request has gone out, as the sync driver's TLS sockets note:
        its deadline may pass between the handshake and the first byte."""
        self._answered = False
        """Whether the head of an answer (status line and headers) has arrived."""
        self.opening: Any = None
        """The connection of this attempt whose TLS handshake is under way, as httpcore
        gives it (:meth:`close_unopened`)."""
        for plugin in self._plugins:  # before the spool file is made: a plugin may raise
            call_hook(plugin, "audit_request", message.body)
        if spool_dir is None:
            self._limit, self._timeout = settings.max_response_bytes, settings.timeout
        else:
            self._limit, self._timeout = settings.max_download_bytes, settings.download_timeout
            with self._spooling():
                self._spool = tempfile.TemporaryFile(dir=spool_dir)  # noqa: SIM115 - see finish()
        logger.debug("POST %s (attempt %d, %d bytes)", self.url, self.attempt, len(message.body))
        # httpx limits each wait for data, not the whole answer; a server trickling bytes
        # must not hold the caller forever, so the whole attempt has a deadline too.
        self._deadline = time.monotonic() + self._timeout

    def left(self) -> float:
        """Seconds until the attempt's deadline."""
        return self._deadline - time.monotonic()

    def __enter__(self) -> Self:
        self._token = _under_way.set(self)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        _under_way.reset(self._token)
        if error is None:
            return
        self.discard()
        if not isinstance(error, Exception):  # cancelled (async), interrupted (Ctrl+C, exit)
            self.stopped(error)
            return
        if isinstance(error, httpx.HTTPError):
            raise self._translate(error) from error
        if isinstance(error, TimeoutError):  # asyncio.timeout: the deadline passed, or a close
            if self._client.is_closed:  # brought it forward (AsyncTransport.aclose)
                raise self._closed_under_way() from None
            raise (self._late() if self._sending else self._unconnected(self._timeout)) from None

    def post(self) -> dict[str, Any]:
        """The arguments of its client's ``stream`` that POST this attempt's request, traced
        by the hook (:meth:`trace`) of the client's kind."""
        trace = self.atrace if isinstance(self._client, httpx.AsyncClient) else self.trace
        return {
            "method": "POST",
            "url": self.url,
            "headers": self.message.headers,
            "content": self.message.body,
            "extensions": {"trace": trace},
        }

    def trace(self, event: str, info: Mapping[str, Any]) -> None:
        """httpcore's ``trace`` hook: notes when the request begins to go out, so that a
        deadline passing before then is known to have left the server untouched, and which
        connection is being opened until its TLS handshake is done (:meth:`close_unopened`).

        A client closed while the connection was being opened sends nothing on it: closing
        closes the pool's connections but leaves alone one still being opened, on which the
        request would go out once it is, although the close found it unsent."""
        if event.endswith(".connect_tcp.complete"):
            self.opening = info["return_value"]
        elif event.endswith(".start_tls.complete"):
            self.opening = None  # the connection's own now, which its pool closes
        elif event.endswith(".send_request_headers.started"):
            self.opening = None
            if self._client.is_closed:
                raise ConfigurationError(_CLOSED_CLIENT)
            self._sending = True

    async def atrace(self, event: str, info: Mapping[str, Any]) -> None:
        """:meth:`trace` for the async driver, whose httpcore awaits the hook."""
        self.trace(event, info)

    async def close_unopened(self) -> None:
        """Close the connection of an async attempt that ended during its TLS handshake.
        httpcore closes it when the handshake fails, but drops it unclosed when the attempt is
        cancelled meanwhile (by the caller, its deadline, or a close of the client), leaving
        it to the garbage collector: a socket held for as long as the collector lets it be,
        for each call cancelled at a host that hangs."""
        if self.opening is not None:
            with suppress(Exception):  # closed already; nothing to be done about it
                await self.opening.aclose()
            self.opening = None

    def stopped(self, stop: BaseException) -> None:
        """The call was stopped during this attempt, by ``stop`` (an async call's cancellation,
        a sync one's ``KeyboardInterrupt`` or ``SystemExit``): say so if the request may have
        reached the MMS and must not be processed twice (:func:`stopped_after_sending`). A
        deadline passing is no stop: the async driver's is a ``TimeoutError`` by now."""
        if self._sending and not self._resendable:
            stopped_after_sending(stop, self.operation, self.url, self.attempt)

    def begin(self, response: httpx.Response) -> None:
        """Refuse a reply that cannot be read within the limit, from its head alone.

        A reply with a ``Content-Encoding`` is refused whatever its size: the request asked
        for none, and the size limit counts the bytes that arrive, so a few kilobytes of
        stacked gzip would decode to gigabytes before they were counted. The body is read
        raw (:meth:`add`), never decoded.
        """
        self._answered = True
        encoding = response.headers.get("Content-Encoding", "")
        if any(coding.strip().lower() not in ("", "identity") for coding in encoding.split(",")):
            raise self._malformed(
                f"the reply has Content-Encoding {encoding[:80]!r}, which the request did not "
                "accept (Accept-Encoding: identity); the MMS sends its replies unencoded"
            )
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self._limit:
            raise self._too_big(int(declared))

    def add(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._size > self._limit:
            raise self._too_big(self._size)
        if time.monotonic() > self._deadline:
            raise self._late()
        if self._spool is None:
            self._chunks.append(chunk)
        else:
            with self._spooling():
                self._spool.write(chunk)

    def _spooling(self) -> AbstractContextManager[None]:
        """Disk errors of the spool file (an anonymous file: its folder is named)."""
        assert self._spool_dir is not None
        return writing(self._spool_dir, f"a temporary file in {self._spool_dir}")

    def _unconnected(self, seconds: float) -> ConnectError:
        return ConnectError(
            "could not connect: the connection and its TLS handshake were not done within "
            + _seconds(seconds),
            url=self.url,
            attempt=self.attempt,
            operation=self.operation,
        )

    def _closed_under_way(self) -> Exception:
        """The error of an attempt that the close of its client broke: a request not sent
        yet fails as any call of a closed client does, one that had begun to go out as
        lost, since the MMS may have it."""
        if not self._sending:
            return ConfigurationError(_CLOSED_CLIENT)
        return ConnectionLostError(
            "the client was closed while the request was under way",
            url=self.url,
            attempt=self.attempt,
            operation=self.operation,
            may_have_processed=not self._resendable,
        )

    def _late(self) -> RequestTimeout:
        return RequestTimeout(
            f"the answer took longer than {_seconds(self._timeout)}",
            url=self.url,
            attempt=self.attempt,
            operation=self.operation,
            may_have_processed=not self._resendable,
        )

    def _too_big(self, size: int) -> MalformedResponseError:
        setting = "max_response_bytes" if self._spool is None else "max_download_bytes"
        return self._malformed(
            f"the reply exceeds {self._limit} bytes ({size} so far); "
            f"raise {setting} if such replies are expected"
        )

    def finish(self, response: httpx.Response) -> HttpReply:
        """The reply, after plugins have seen it; an HTTP error that is not a SOAP fault
        becomes :class:`HTTPStatusError`. The spool file goes to the reply, or is released
        when this fails, whatever fails (a plugin too)."""
        spool = self._spool
        try:
            if spool is None:
                body = b"".join(self._chunks)
            else:
                body = b""
                with self._spooling():  # the end of the body leaves the buffer now
                    spool.flush()
            self._audit(body, spool)
            reply = HttpReply(
                operation=self.operation,
                url=self.url,
                attempt=self.attempt,
                resendable=self._resendable,
                status=response.status_code,
                headers=response.headers,
                body=body,
                spool=spool,
            )
            if 200 <= reply.status < 300 or self._is_fault(reply):
                return reply
            raise HTTPStatusError(
                response.reason_phrase,
                url=self.url,
                attempt=self.attempt,
                status=reply.status,
                operation=self.operation,
                may_have_processed=not self._resendable and reply.status >= 500,
            )
        except BaseException:
            self.discard()
            raise

    def _audit(self, body: bytes, spool: BinaryIO | None) -> None:
        """Show the plugins the reply: ``body``, or the file ``spool`` for a download.

        A plugin that raises stops the call with its exception as it is. For a request that
        must not be processed twice the exception also gets a note, and a warning is logged,
        saying that the MMS answered and may have processed it: the caller would otherwise
        take an exception that is not the library's for one raised before sending, and
        send the request again."""
        for plugin in self._plugins:
            try:
                if spool is None:
                    call_hook(plugin, "audit_response", body)
                else:
                    spool.seek(0)
                    call_hook(plugin, "audit_response_file", spool)
            except Exception as error:
                if not self._resendable:
                    hook = "audit_response" if spool is None else "audit_response_file"
                    _processed_perhaps(
                        error,
                        f"{type(plugin).__name__}.{hook} raised after the MMS answered "
                        f"{self.operation}",
                        self.url,
                        self.attempt,
                    )
                raise

    def _is_fault(self, reply: HttpReply) -> bool:
        if reply.spool is not None and self._size > self._settings.max_response_bytes:
            return False  # faults are small; this is some other server's error page
        return is_fault(reply.headers, reply.source().read(), self.interface)

    def discard(self) -> None:
        """Release the spool file of an attempt that failed."""
        if self._spool is not None:
            # closing writes what is still buffered, which fails again on a full disk; the
            # file is closed all the same, and its content is not wanted any more
            with suppress(OSError):
                self._spool.close()

    def _translate(self, error: httpx.HTTPError) -> Exception:
        """The library error for an httpx failure of this attempt."""
        if self._client.is_closed:
            # closing closes the connections of calls under way, which then fail in the words
            # of whatever broke deep down (an anyio stream's "pop from an empty deque", an
            # end of the answer the server never sent, a TLS handshake cut short): the cause
            # is the close
            return self._closed_under_way()
        detail = _detail(error)
        if isinstance(error, httpx.UnsupportedProtocol):
            return ConfigurationError(f"{self.url} cannot be requested: {detail}")
        if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
            refusal = next(
                (c for c in _chain(error) if isinstance(c, ssl.SSLCertVerificationError)), None
            )
            if refusal is not None:
                return self._unverified(refusal)
            hint = ""
            if any(isinstance(cause, ssl.SSLEOFError) for cause in _chain(error)):
                hint = (
                    "; the server closed the connection during the TLS handshake, as servers "
                    "do when they refuse the client certificate"
                )
                certificate = self.driver.certificate
                refused = certificate.out_of_force() if certificate is not None else None
                if refused is not None:
                    hint += f"; the client {refused}"
            if isinstance(error, httpx.ConnectTimeout):
                # in the words of neither driver: the sync one names a line of OpenSSL's C
                # source, the async one a cancel scope of anyio's
                return self._unconnected(self._settings.connect_timeout)
            return ConnectError(
                f"could not connect ({_system_reason(error) or detail}){hint}",
                url=self.url,
                attempt=self.attempt,
                operation=self.operation,
            )
        if isinstance(error, httpx.ProxyError):
            return ConnectError(
                f"the proxy refused the connection ({detail})",
                url=self.url,
                attempt=self.attempt,
                operation=self.operation,
            )
        if isinstance(error, httpx.TimeoutException):
            if any(isinstance(cause, _UnsentError) for cause in _chain(error)):
                return self._unconnected(self._timeout)
            if self.left() <= 0:
                return self._late()
            stalled = (
                "the server took none of the request"
                if isinstance(error, httpx.WriteTimeout)
                else "nothing arrived"
            )
            return RequestTimeout(
                f"{stalled} for {_seconds(self._settings.timeout)}",
                url=self.url,
                attempt=self.attempt,
                operation=self.operation,
                may_have_processed=not self._resendable,
            )
        plain = urlsplit(self.url)
        unanswered_plain = plain.scheme == "http" and not self._answered
        if isinstance(error, httpx.RemoteProtocolError) and not detail.startswith(_CLOSED):
            if unanswered_plain and detail == _NOT_HTTP:
                return ConfigurationError(
                    f"{self.url} did not answer in HTTP: its reply starts with a byte that no "
                    "HTTP answer starts with, as a TLS record does; the server may speak HTTPS "
                    f"only: use https://{plain.netloc}"
                )
            return self._malformed(f"the reply is not valid HTTP ({detail})")
        hint = ""
        if unanswered_plain:
            # a server that speaks HTTPS only may also hang up at once, but so may a stand-in
            # that took the request and fell over: nothing tells the two apart
            hint = (
                "; a server that speaks HTTPS only hangs up on plain HTTP like this: if this "
                f"one does, use https://{plain.netloc}"
            )
        return ConnectionLostError(
            f"the connection broke ({detail}){hint}",
            url=self.url,
            attempt=self.attempt,
            operation=self.operation,
            may_have_processed=not self._resendable,
        )

    def _malformed(self, reason: str) -> MalformedResponseError:
        """The error for this attempt's reply that cannot be read: an answer all the same, so
        the MMS may have processed the request."""
        return _unreadable(reason, self.url, self.attempt, self.operation, self._resendable)

    def _unverified(self, error: ssl.SSLCertVerificationError) -> ServerCertificateError:
        return ServerCertificateError(
            (error.verify_message or _detail(error)).rstrip("."),
            url=self.url,
            attempt=self.attempt,
            remedy=_VERIFY_ADVICE.get(error.verify_code),
            operation=self.operation,
        )


def _unreadable(
    reason: str, url: str, attempt: int, operation: str, resendable: bool
) -> MalformedResponseError:
    """The error for a reply from ``url`` (``attempt``) that cannot be read: an answer all the
    same, so a request that must not be processed twice may have been processed."""
    return MalformedResponseError(
        reason, url=url, attempt=attempt, operation=operation, may_have_processed=not resendable
    )


def _processed_perhaps(error: BaseException, event: str, url: str, attempt: int) -> None:
    """Warn that a request which must not be processed twice may have been processed by the
    MMS at ``url`` (``attempt``), though the call ends with ``error``, which says nothing of
    it: in a record, and in a note on ``error`` as it goes on. ``event`` says what happened,
    naming the request."""
    warn_on(error, f"{event}; {MAY_HAVE_PROCESSED}: {url} (attempt {attempt})")


def _seconds(seconds: float) -> str:
    """A timeout as its messages give it, whether it was given as an int or a float: ``1
    second``, ``0.5 seconds``, ``60 seconds``."""
    return f"{seconds:g} second{'' if seconds == 1 else 's'}"


def warn_on(error: BaseException, warning: str) -> None:
    """Log ``warning`` and add it as a note to ``error`` as it goes on: for what a caller
    must know of a call that ends in an error saying nothing of it."""
    logger.warning("%s", warning)
    error.add_note(warning)


def stopped_after_sending(stop: BaseException, operation: str, url: str, attempt: int) -> None:
    """Warn that the request ``operation``, which must not be processed twice, was stopped
    by ``stop`` after it was sent to ``url`` (``attempt``) (:func:`_processed_perhaps`):
    interrupted (``KeyboardInterrupt``, ``SystemExit``) or cancelled (an async call).
    Whoever stopped it would otherwise take it for one never sent. Under ``asyncio.timeout``
    (or ``asyncio.wait_for``) the caller catches a ``TimeoutError``: the note is on the
    ``CancelledError`` that is its ``__context__``."""
    how = "Interrupted" if isinstance(stop, KeyboardInterrupt | SystemExit) else "Cancelled"
    _processed_perhaps(stop, f"{how} after sending {operation}", url, attempt)


#: What h11 says when the first byte of an answer is one that no HTTP answer starts with (a
#: control character or a space), as the first byte of a TLS record is: what a plain-HTTP
#: request gets from a server that speaks HTTPS only and answers with a TLS alert.
_NOT_HTTP = "illegal request line"

#: How httpcore and h11 begin what they say when the connection closed before the answer was
#: whole; their other protocol errors are about an answer that is not valid HTTP.
_CLOSED = ("Server disconnected", "peer unexpectedly closed connection", "peer closed connection")

#: What to do about a certificate that failed verification, by OpenSSL's X509_V_ERR code, for
#: the failures another CA bundle does not cure; for the others (an unknown issuer, a
#: self-signed chain) it is to pass the bundle that issued it, which each surface words
#: its own way (:meth:`~mms_client.errors.TransportError.describe`).
_VERIFY_ADVICE = {
    9: "check this machine's clock",  # X509_V_ERR_CERT_NOT_YET_VALID
    10: "the server must renew it, unless this machine's clock is wrong",  # ..._HAS_EXPIRED
    62: "use a host name the certificate names",  # X509_V_ERR_HOSTNAME_MISMATCH
    64: "use an address the certificate names",  # X509_V_ERR_IP_ADDRESS_MISMATCH
}


def _chain(error: BaseException) -> Iterator[BaseException]:
    """``error`` and the errors it was raised from, outermost first."""
    cause: BaseException | None = error
    while cause is not None:
        yield cause
        cause = cause.__cause__ or cause.__context__


def _detail(error: BaseException) -> str:
    """What went wrong, in the words of the first error of ``error``'s chain that has any
    (httpx's async errors often have none of their own)."""
    return next((str(cause) for cause in _chain(error) if str(cause)), type(error).__name__)


def _system_reason(error: BaseException) -> str | None:
    """The operating system's reason for a failure in ``error``'s chain, in its words
    (``[Errno 111] Connection refused``); None when no error of the chain has one.

    Both drivers must say the same: the sync one gives the system's error as it is, while the
    async one (anyio) wraps it in words of its own (``All connection attempts failed``) and
    words it itself (``Connect call failed ('127.0.0.1', 443)``), keeping only its number. A
    TLS failure is left to say its own reason, which both drivers give as it is."""
    for cause in _chain(error):
        if isinstance(cause, OSError) and not isinstance(cause, ssl.SSLError):
            number = cause.errno
            if isinstance(number, int) and number > 0:
                return f"[Errno {number}] {os.strerror(number)}"
            if number is not None:  # a failed name lookup (socket.gaierror), said as it is
                return str(cause)
    return None


_CLOSED_CLIENT = "this client is closed; make a new one"


class _Driver(ABC):
    """What the sync and async drivers share: the settings, the plugins, the closed state,
    and the attempts of each request.

    Connections kept alive must never serve two processes: a request of a forked child on
    its parent's TLS connection breaks the parent's next request on it, and the parent's error
    would then warn that a request the MMS never took may have been processed. So in a child
    every transport forgets its parent's connections, closing none of them (that would send
    on sockets the parent still uses), and opens its own (:meth:`_forked`).
    """

    def __init__(
        self,
        settings: TransportSettings,
        plugins: Sequence[Plugin],
        certificate: Certificate | None,
    ) -> None:
        self._settings = settings
        self._plugins = tuple(plugins)
        self.certificate = certificate
        """The client certificate the TLS context presents, when known: a handshake the
        server breaks off names what makes it out of force, if anything does."""
        _live.add(self)

    @property
    @abstractmethod
    def closed(self) -> bool:
        """Whether the transport was closed: it sends nothing any more."""

    @abstractmethod
    def _forked(self) -> None:
        """In a child process just forked: drop the parent's connections unclosed."""

    @abstractmethod
    def pause(self, seconds: float) -> Any:
        """The back-off before a request is sent again, cut short by a close: a closed
        transport sends nothing more, so the request fails at once instead of after it."""

    def check_open(self) -> None:
        """Refuse to work once closed, in the library's terms rather than httpx's."""
        if self.closed:
            raise ConfigurationError(_CLOSED_CLIENT)

    @contextmanager
    def _ended(self, attempts: _Attempts) -> Iterator[None]:
        """How a request that fails for good ends.

        A request that failed at every host it was sent to fails naming each host's failure
        (:meth:`_Attempts.given_up`). And :meth:`check_open` is made good for a request under
        way: a client closed by another thread or task just after an attempt passed that check
        (:meth:`_Attempts.next`) makes httpx refuse it with a bare RuntimeError, before
        anything is sent."""
        try:
            yield
        except TransportError as error:
            raise attempts.given_up(error) from error.__cause__
        except RuntimeError:
            if not self.closed:
                raise
            raise ConfigurationError(_CLOSED_CLIENT) from None

    def _attempts(
        self,
        endpoints: Endpoints,
        message: HttpMessage,
        interface: Interface,
        operation: str,
        resendable: bool,
        spool_dir: Path | None,
    ) -> _Attempts:
        self.check_open()
        return _Attempts(self, endpoints, message, interface, operation, resendable, spool_dir)


_live: weakref.WeakSet[_Driver] = weakref.WeakSet()
"""Every transport of the process, for :func:`_start_afresh`."""


def _start_afresh() -> None:
    """In a child process just forked, give every transport connections of its own."""
    for driver in list(_live):
        driver._forked()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_start_afresh)


class SyncTransport(_Driver):
    """Sends requests with :class:`httpx.Client`."""

    def __init__(
        self,
        ssl_context: ssl.SSLContext,
        settings: TransportSettings,
        plugins: Sequence[Plugin] = (),
        *,
        certificate: Certificate | None = None,
    ) -> None:
        super().__init__(settings, plugins, certificate)
        # the context is this client's own (Certificate.ssl_context makes one per client), so
        # its sockets may be ours without reaching another client's
        ssl_context.sslsocket_class = _SyncSocket
        self._ssl_context = ssl_context
        self._client = self._new_client()
        self._closing = threading.Event()
        """Set by :meth:`close`, for a thread waiting in :meth:`pause`."""
        self._opening: set[_SyncSocket] = set()
        """The connections whose TLS handshake is under way (:meth:`opening`)."""
        self._opening_guard = threading.Lock()

    def _new_client(self) -> httpx.Client:
        return httpx.Client(verify=self._ssl_context, **self._settings.client_arguments())

    @property
    def closed(self) -> bool:
        return self._client.is_closed

    def _forked(self) -> None:
        # the parent's client is dropped, not closed: its pool's lock, and the guard of the
        # handshakes under way, may be held by a thread of the parent that the child does not
        # have; those handshakes are the parent's
        self._opening, self._opening_guard = set(), threading.Lock()
        if not self.closed:
            self._client = self._new_client()

    def send(
        self,
        endpoints: Endpoints,
        message: HttpMessage,
        interface: Interface,
        *,
        operation: str,
        resendable: bool,
        spool_dir: Path | None = None,
    ) -> HttpReply:
        """POST ``message``, the request ``operation``, to ``endpoints``; retried and failed
        over as the policy says. With ``spool_dir`` the reply is streamed to a temporary file
        there (close the reply)."""
        attempts = self._attempts(endpoints, message, interface, operation, resendable, spool_dir)
        with self._ended(attempts):
            return Retrying(**attempts.tenacity_arguments())(self._attempt, attempts)

    def _attempt(self, attempts: _Attempts) -> HttpReply:
        client = self._client  # a fork may put another in its place meanwhile
        exchange = attempts.next(client)
        with exchange, client.stream(**exchange.post()) as response:
            exchange.begin(response)
            for chunk in response.iter_raw():
                exchange.add(chunk)
        return exchange.finish(response)

    def pause(self, seconds: float) -> None:
        self._closing.wait(seconds)

    @contextmanager
    def opening(self, connection: _SyncSocket) -> Iterator[None]:
        """Around the TLS handshake of ``connection``, which :meth:`close` then ends at once.
        Closing the httpx client closes the connections of its pool, but not one still being
        opened: a call whose handshake hangs would otherwise run on until its connect
        timeout, and then fail as a host that could not be reached."""
        with self._opening_guard:
            self._opening.add(connection)
            if self.closed:  # before the close could see it
                connection.wake()
        try:
            yield
        finally:
            with self._opening_guard:
                self._opening.discard(connection)

    def close(self) -> None:
        self._client.close()
        self._closing.set()
        with self._opening_guard:
            for connection in self._opening:
                connection.wake()


class AsyncTransport(_Driver):
    """Sends requests with :class:`httpx.AsyncClient`.

    Connections kept alive belong to the event loop they were opened in: once that loop is
    closed (one ``asyncio.run`` over, the next begun) httpx would fail on them with "Event
    loop is closed", and nothing could close them any more, since closing a connection needs
    its loop. So each event loop gets an httpx client of its own, looked up by the running
    loop, so that loops in several threads can share the transport at once; each is closed
    while its loop can still do it: when the loop finishes, as ``asyncio.run`` and
    :class:`asyncio.Runner` finish theirs (see :meth:`_close_with_loop`), or at
    :meth:`aclose` in that loop. A loop closed without ``loop.shutdown_asyncgens()`` leaves
    its connections to the garbage collector.
    """

    def __init__(
        self,
        ssl_context: ssl.SSLContext,
        settings: TransportSettings,
        plugins: Sequence[Plugin] = (),
        *,
        certificate: Certificate | None = None,
    ) -> None:
        super().__init__(settings, plugins, certificate)
        self._ssl_context = ssl_context
        self._loops: dict[asyncio.AbstractEventLoop, _LoopClient] = {}
        """The httpx client of each event loop that made requests and has not finished."""
        self._lock = threading.Lock()
        """Guards ``_loops``, which the threads of the loops share."""
        self._closed = False

    @property
    def closed(self) -> bool:
        # the httpx client of a finished event loop is closed, this transport is not
        return self._closed

    def _forked(self) -> None:
        # the lock may have been held by a thread of the parent that the child does not have;
        # the parent's clients, and the closers that would close them, are dropped unused
        self._lock = threading.Lock()
        self._loops = {}

    async def _client(self) -> _LoopClient:
        """The running event loop's own httpx client (see the class docstring)."""
        import asyncio  # loaded already where there is an event loop; sync users never pay it

        loop = asyncio.get_running_loop()
        with self._lock:
            own = self._loops.get(loop)
            if own is not None:
                return own
            # loops closed without finalizing their closers cannot close their clients
            for closed in [other for other in self._loops if other.is_closed()]:
                del self._loops[closed]
            client = httpx.AsyncClient(
                verify=self._ssl_context, **self._settings.client_arguments()
            )
            closer = self._close_with_loop(loop, client)
            own = self._loops[loop] = _LoopClient(client, closer)
        # started in the loop it waits for; no other task of the loop runs before it yields
        await anext(closer)
        return own

    async def _close_with_loop(
        self, loop: asyncio.AbstractEventLoop, client: httpx.AsyncClient
    ) -> AsyncGenerator[None, None]:
        """Once started, waits for the end of the event loop ``loop`` it was started in, then
        closes ``client`` there and forgets it.

        An event loop finalizes the asynchronous generators still suspended in it before it
        closes (``asyncio.run`` and :class:`asyncio.Runner` call
        ``loop.shutdown_asyncgens()``), while it can still run the close of connections
        opened in it; and one dropped while its loop still runs is finalized in that loop too.
        Nothing else learns that a loop ends. In a forked child, which dropped it, the client
        is the parent's and is left alone.
        """
        process = os.getpid()
        try:
            yield
        finally:
            if os.getpid() == process:
                with self._lock:
                    if (own := self._loops.get(loop)) is not None and own.client is client:
                        del self._loops[loop]
                await client.aclose()

    async def send(
        self,
        endpoints: Endpoints,
        message: HttpMessage,
        interface: Interface,
        *,
        operation: str,
        resendable: bool,
        spool_dir: Path | None = None,
    ) -> HttpReply:
        """POST ``message``, the request ``operation``, to ``endpoints``; retried and failed
        over as the policy says. With ``spool_dir`` the reply is streamed to a temporary file
        there (close the reply)."""
        attempts = self._attempts(endpoints, message, interface, operation, resendable, spool_dir)
        own = await self._client()
        with self._ended(attempts):
            return await AsyncRetrying(**attempts.tenacity_arguments())(
                self._attempt, own, attempts
            )

    async def pause(self, seconds: float) -> None:
        import asyncio

        # a close may come from any event loop or thread, and none of them can wake a task of
        # another loop: the wait looks at the closed state often enough to end at once. It
        # yields at least once, as a pause of 0 seconds gives the loop's other tasks their turn
        deadline = time.monotonic() + seconds
        while True:
            await asyncio.sleep(max(0.0, min(deadline - time.monotonic(), _CLOSE_CHECK_SECONDS)))
            if self._closed or time.monotonic() >= deadline:
                return

    async def _attempt(self, own: _LoopClient, attempts: _Attempts) -> HttpReply:
        client = own.client
        exchange = attempts.next(client)
        # the caller's cancellation reaches the exchange as it is (see _Exchange.stopped),
        # the deadline's as a TimeoutError
        with exchange:
            try:
                async with (
                    own.deadline(exchange.left()),
                    client.stream(**exchange.post()) as response,
                ):
                    exchange.begin(response)
                    async for chunk in response.aiter_raw():
                        exchange.add(chunk)
            finally:
                await exchange.close_unopened()
        return exchange.finish(response)

    async def aclose(self) -> None:
        import asyncio

        self._closed = True
        with self._lock:
            own = self._loops.get(asyncio.get_running_loop())
        if own is not None:
            # the deadlines fire once this yields, when the client is closed already
            own.end_attempts()
            await own.client.aclose()
        # the clients of other loops are closed as those loops finish


_CLOSE_CHECK_SECONDS = 0.05
"""How often an async request waiting to be sent again looks whether its client was closed."""


@dataclass(frozen=True)
class _LoopClient:
    """The httpx client of one event loop, and the generator that closes it when the loop
    finishes (kept here: dropped, it would close the client at once)."""

    client: httpx.AsyncClient
    closer: AsyncGenerator[None, None]
    deadlines: set[asyncio.Timeout] = field(default_factory=set)
    """The deadlines of the attempts under way in the loop (:meth:`end_attempts`)."""

    @asynccontextmanager
    async def deadline(self, seconds: float) -> AsyncIterator[None]:
        """:func:`asyncio.timeout` of ``seconds`` around an attempt, which a close of the
        client may bring forward."""
        import asyncio

        async with asyncio.timeout(seconds) as deadline:
            self.deadlines.add(deadline)
            try:
                yield
            finally:
                self.deadlines.discard(deadline)

    def end_attempts(self) -> None:
        """Make every attempt under way end at the loop's next turn, as its deadline
        passing ends it (the attempt then sees that its client was closed). Closing the
        client closes the connections of its pool, but not one still being opened: an
        attempt whose TLS handshake hangs would otherwise run on until its connect timeout,
        and then fail as a host that could not be reached."""
        import asyncio

        now = asyncio.get_running_loop().time()
        for deadline in self.deadlines:
            deadline.reschedule(now)
