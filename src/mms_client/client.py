"""``MmsClient`` and ``AsyncMmsClient``: typed access to every MMS operation.

Both clients are the same object model over the same pure core (:mod:`mms_client.exchange`)
and the same transport policy; they differ only in whether the transport is awaited, and in
that the async one prepares a large request and reads a large reply in a worker thread, so
that its event loop runs on. The
per-operation methods (``put_offer``, ``query_awards``, ``download_report``... one per registry
operation) are generated declarations in :mod:`mms_client.methods`, each serving both clients
(see :mod:`mms_client.calls`). Any operation is also reachable through :meth:`MmsClient.call`
by its registry name.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from types import TracebackType, UnionType
from typing import Any, Self, TypedDict, TypeVar

from mms_client.calls import Call, attachments_of
from mms_client.downloads import Destination
from mms_client.endpoints import ClientType, Endpoints, Interface, resolve_endpoints
from mms_client.errors import ConfigurationError, one_of, shown_setting
from mms_client.exchange import Caller, PreparedRequest, Response, prepare, resolve_operation
from mms_client.files import DownloadedFile
from mms_client.methods import OperationMethods
from mms_client.operations import Operation
from mms_client.plugins import HOOKS, Plugin
from mms_client.security.certs import Certificate, VerifySetting
from mms_client.transport import (
    DEFAULT_MAX_DOWNLOAD_BYTES,
    DEFAULT_MAX_RESPONSE_BYTES,
    AsyncTransport,
    HttpReply,
    RetryPolicy,
    SyncTransport,
    TransportSettings,
    stopped_after_sending,
    warn_on,
)
from mms_client.wire.soap import Attachment

R = TypeVar("R")

# Characters a domain may use: it ends up in MIME Content-IDs, so nothing that could break
# a header or an angle-bracketed id.
_DOMAIN = re.compile(r"[A-Za-z0-9.\-_]{1,253}")


def _checked_plugins(plugins: Iterable[Plugin] | None) -> tuple[Plugin, ...]:
    """``plugins``, each a :class:`Plugin` with plain hooks: their hooks are called in the
    middle of a request, where anything else would fail only once the request has gone out.

    A hook written ``async def`` would be called and never awaited, so that the audit it
    keeps would record nothing, with only a warning that a coroutine was never awaited."""
    if plugins is None:
        return ()
    expected = f"{Plugin.__module__}.{Plugin.__name__}"
    try:
        # a str is iterable too, but its characters are no plugins
        given = None if isinstance(plugins, str | bytes) else tuple(plugins)
    except TypeError:
        given = None
    if given is None:
        raise ConfigurationError(
            f"plugins must be a list of {expected}, not {type(plugins).__name__}"
        )
    for plugin in given:
        if isinstance(plugin, type) and issubclass(plugin, Plugin):
            name = plugin.__name__
            raise ConfigurationError(
                f"plugins must be {expected} objects, not the class {name}: "
                f"pass an instance: {name}(), not {name}"
            )
        if not isinstance(plugin, Plugin):
            raise ConfigurationError(
                f"plugins must be {expected} objects, not {type(plugin).__name__}"
            )
        for hook in HOOKS:
            _check_hook(plugin, hook)
    return given


def _check_hook(plugin: Plugin, hook: str) -> None:
    """Refuse a hook of ``plugin`` that cannot be called as the client calls hooks: not
    callable (None), failing to be looked up, or a coroutine function (also as an object's
    ``async def __call__``)."""
    where = f"plugins: {type(plugin).__name__}.{hook}"
    try:
        found = getattr(plugin, hook)
    except Exception as exc:  # a property of the plugin's own may raise anything
        raise ConfigurationError(f"{where} cannot be read: {type(exc).__name__}") from None
    if not callable(found):
        raise ConfigurationError(f"{where} must be a method, not {type(found).__name__}")
    if inspect.iscoroutinefunction(found) or inspect.iscoroutinefunction(
        getattr(found, "__call__", None)  # noqa: B004 - an object's __call__ is what is called
    ):
        raise ConfigurationError(
            f"{where} is a coroutine function (async def), but plugin hooks are called "
            "synchronously, by AsyncMmsClient too: make it a plain def"
        )


_KINDS: dict[str, tuple[type | UnionType, str]] = {
    "is_admin": (bool, "True or False"),
    "test": (bool, "True or False"),
    "keep_alive": (bool, "True or False"),
    "base_url": (str | None, "a URL (a str) or None"),
    "backup_url": (str | None, "a URL (a str) or None"),
    "retry": (RetryPolicy | None, "a mms_client.transport.RetryPolicy or None"),
}
"""The arguments whose type alone decides whether they can be used, with the types each
takes, in code and in words."""


def _check_kinds(arguments: Mapping[str, object]) -> None:
    """Refuse an argument of :data:`_KINDS` of another type. Each would otherwise be
    misread (``is_admin="no"`` is true, and sends admin requests; ``retry=0`` is false, and
    leaves the default policy in place) or fail later in words naming no argument (a
    ``base_url`` of 5 in the URL parser, ``retry=5`` at the first request)."""
    for name, (kinds, expected) in _KINDS.items():
        value = arguments[name]
        if not isinstance(value, kinds):
            raise ConfigurationError(f"{name} must be {expected}, not {shown_setting(value)}")


class ClientOptions(TypedDict, total=False):
    """The arguments of a client other than whom it acts as, for code that makes clients on a
    caller's behalf (``Simulator.client(**options)``): typed as the constructor types them,
    so that a misspelt or mistyped one is a type checker's error rather than a run time's.
    A test keeps it in step with the constructor."""

    domain: str
    cert: Certificate
    plugins: Sequence[Plugin] | None
    is_admin: bool
    test: bool
    base_url: str | None
    backup_url: str | None
    verify: VerifySetting
    timeout: float
    keep_alive: bool
    retry: RetryPolicy | None
    max_response_bytes: int
    max_download_bytes: int
    download_timeout: float


class _ClientCore(OperationMethods, ABC):
    """Configuration and the pure steps shared by both clients."""

    def __init__(
        self,
        domain: str,
        participant: str,
        user: str,
        client_type: ClientType | str,
        cert: Certificate,
        plugins: Sequence[Plugin] | None = None,
        is_admin: bool = False,
        test: bool = False,
        *,
        base_url: str | None = None,
        backup_url: str | None = None,
        verify: VerifySetting = True,
        timeout: float = 60.0,
        keep_alive: bool = False,
        retry: RetryPolicy | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
        download_timeout: float = 3600.0,
    ) -> None:
        if not isinstance(domain, str) or not _DOMAIN.fullmatch(domain):
            raise ConfigurationError(
                f"domain must be a host-like name (letters, digits, '.', '-', '_'); got {domain!r}"
            )
        kind = one_of(ClientType, client_type, "client_type")
        if not isinstance(cert, Certificate):
            raise ConfigurationError(
                f"cert must be a mms_client.security.certs.Certificate, not {type(cert).__name__}"
            )
        _check_kinds(
            {
                "is_admin": is_admin,
                "test": test,
                "keep_alive": keep_alive,
                "base_url": base_url,
                "backup_url": backup_url,
                "retry": retry,
            }
        )
        self._caller = Caller(participant, user, kind, cert, is_admin, domain)
        self._endpoints = {
            interface: resolve_endpoints(
                kind, interface, test=test, base_url=base_url, backup_url=backup_url
            )
            for interface in Interface
        }
        self._plugins = _checked_plugins(plugins)
        self._settings = TransportSettings(
            timeout=timeout,
            keep_alive=keep_alive,
            max_response_bytes=max_response_bytes,
            max_download_bytes=max_download_bytes,
            download_timeout=download_timeout,
            policy=RetryPolicy() if retry is None else retry,
        )
        self._ssl_context = cert.ssl_context(verify)
        self._connect()

    @abstractmethod
    def _connect(self) -> None:
        """Open the transport of this flavour of client (sync or async)."""

    @property
    def participant(self) -> str:
        return self._caller.participant

    @property
    def user(self) -> str:
        return self._caller.user

    @property
    def client_type(self) -> ClientType:
        return self._caller.client_type

    def endpoints(self, interface: Interface = Interface.MI) -> Endpoints:
        """Where requests of ``interface`` go (main, then backup)."""
        return self._endpoints[interface]

    def _prepare(
        self,
        operation: str | Operation,
        payload: Any,
        interface: Interface | str | None,
        attachments: Sequence[Attachment],
        to: str | os.PathLike[str] | None,
        envelope: Mapping[str, Any],
        method: str | None = None,
    ) -> tuple[PreparedRequest, Endpoints, Destination]:
        """Everything up to sending, for :meth:`call` or the client method ``method``: the
        signed request, where it goes, where its reply's content will go (nothing is sent if
        any of it fails)."""
        chosen = resolve_operation(operation, payload, interface)
        prepared = prepare(chosen, self._caller, payload, envelope, attachments, method)
        destination = Destination(chosen, to, self._settings)
        return prepared, self._endpoints[chosen.interface], destination

    def _prepare_call(
        self, operation: Operation, method: str, call: Call[Any]
    ) -> tuple[PreparedRequest, Endpoints, Destination]:
        """:meth:`_prepare` for the client method ``method``, which asked for ``call``."""
        attachments = attachments_of(call.files, operation.interface)
        return self._prepare(
            operation, call.payload, None, attachments, call.to, call.envelope, method
        )

    def __repr__(self) -> str:
        if "_endpoints" not in vars(self):
            # its __init__ failed; a debugger or a traceback's locals show it still
            return f"{type(self).__name__}(not built)"
        return (
            f"{type(self).__name__}(participant={self.participant!r}, user={self.user!r}, "
            f"client_type={self.client_type.value!r}, main={self._endpoints[Interface.MI].main!r})"
        )


def _whole(response: Response) -> Response:
    """The result of the generic ``call``: the answer itself."""
    return response


class MmsClient(_ClientCore):
    """A synchronous MMS client.

    ``MmsClient(domain, participant, user, client_type, cert, plugins=None, is_admin=False,
    test=False)`` talks to the production MMS (``test=True``: the test environment);
    ``base_url=``/``backup_url=`` point it elsewhere, e.g. at the local simulator, and
    ``verify=`` names the CA bundle that verifies the server (``False`` turns verification
    off). ``timeout`` bounds one attempt, ``max_response_bytes`` a reply read into memory;
    ``max_download_bytes`` and ``download_timeout`` do the same for downloads streamed to disk
    (``to=``). Use it as a context manager or call :meth:`close`.
    """

    _transport: SyncTransport

    def _connect(self) -> None:
        self._transport = SyncTransport(
            self._ssl_context, self._settings, self._plugins, certificate=self._caller.certificate
        )

    def call(
        self,
        operation: str | Operation,
        payload: Any,
        *,
        interface: Interface | str | None = None,
        attachments: Sequence[Attachment] = (),
        to: str | os.PathLike[str] | None = None,
        **envelope: Any,
    ) -> Response:
        """Send any registry operation by name, e.g. ``call("MarketQuery_OfferQuery", query,
        days=1)``; ``envelope`` holds envelope attributes by Python name. ``attachments`` go
        with the request; ``to`` saves the files of the reply to disk as they arrive (see
        :mod:`mms_client.downloads`)."""
        prepared, endpoints, destination = self._prepare(
            operation, payload, interface, attachments, to, envelope
        )
        return self._send(prepared, endpoints, destination, _whole)

    def _invoke(self, operation: Operation, method: str, call: Call[R]) -> R:
        prepared, endpoints, destination = self._prepare_call(operation, method, call)
        return self._send(prepared, endpoints, destination, call.result)

    def _send(
        self,
        prepared: PreparedRequest,
        endpoints: Endpoints,
        destination: Destination,
        result: Callable[[Response], R],
    ) -> R:
        """Send the request and take the method's ``result`` of its answer."""
        with destination:
            reply = self._transport.send(
                endpoints,
                prepared.message,
                prepared.interface,
                operation=prepared.operation.name,
                resendable=prepared.resendable,
                spool_dir=destination.folder,
            )
            return destination.finish(prepared, reply, result)

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> Self:
        self._transport.check_open()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class AsyncMmsClient(_ClientCore):
    """The asyncio twin of :class:`MmsClient`: same constructor, same methods, awaited.
    Use it as an async context manager or await :meth:`aclose`."""

    _transport: AsyncTransport

    def _connect(self) -> None:
        self._transport = AsyncTransport(
            self._ssl_context, self._settings, self._plugins, certificate=self._caller.certificate
        )

    async def call(
        self,
        operation: str | Operation,
        payload: Any,
        *,
        interface: Interface | str | None = None,
        attachments: Sequence[Attachment] = (),
        to: str | os.PathLike[str] | None = None,
        **envelope: Any,
    ) -> Response:
        """Send any registry operation by name (see :meth:`MmsClient.call`)."""
        chosen = resolve_operation(operation, payload, interface)
        prepare = functools.partial(self._prepare, chosen, payload, None, attachments, to, envelope)
        prepared, endpoints, destination = await _prepared(prepare, chosen, payload, attachments)
        return await self._send(prepared, endpoints, destination, _whole)

    async def _invoke(self, operation: Operation, method: str, call: Call[R]) -> R:
        prepare = functools.partial(self._prepare_call, operation, method, call)
        prepared, endpoints, destination = await _prepared(
            prepare, operation, call.payload, call.files
        )
        return await self._send(prepared, endpoints, destination, call.result)

    async def _send(
        self,
        prepared: PreparedRequest,
        endpoints: Endpoints,
        destination: Destination,
        result: Callable[[Response], R],
    ) -> R:
        """Send the request and take the method's ``result`` of its answer, where the answer
        is read: a method's result may be work of its own (the typed rows of a report), which
        holds the loop as long as reading a large reply would."""
        with destination:
            reply = await self._transport.send(
                endpoints,
                prepared.message,
                prepared.interface,
                operation=prepared.operation.name,
                resendable=prepared.resendable,
                spool_dir=destination.folder,
            )
            if reply.spool is None and len(reply.body) <= _READ_ON_LOOP_BYTES:
                return destination.finish(prepared, reply, result)
            return await _finish_in_thread(destination, prepared, reply, result)

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def __aenter__(self) -> Self:
        self._transport.check_open()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()


_PREPARE_ON_LOOP_ELEMENTS = 300
"""The most elements of a request (its items and the elements they hold, see
:meth:`Operation.holds_more_elements`) an async client prepares in its event loop: about 2 ms
of validating, writing and signing (50 offers of five stacks; 1000 of them, 6000 elements,
take about 70 ms). A request of more, whether a list of many items or one item holding many
elements (a reserve requirement of a week's half-hour blocks: 337), or one carrying files,
which are read from disk and signed whole (a 20 MB file: about 40 ms), is prepared in a worker
thread, which costs more than it saves for a smaller one."""


async def _prepared(
    prepare: Callable[[], R], operation: Operation, payload: object, files: Sequence[object]
) -> R:
    """``prepare()``, which readies the request of ``operation`` carrying ``payload`` with
    ``files``: in the event loop if it is small, otherwise in a worker thread, with the
    caller's context variables, so that the loop's other tasks run meanwhile. Cancelled
    meanwhile, the call goes on as a cancellation at once: nothing has been sent, and the
    thread's work is dropped when it ends."""
    if not files and not operation.holds_more_elements(payload, _PREPARE_ON_LOOP_ELEMENTS):
        return prepare()
    import asyncio

    return await asyncio.to_thread(prepare)


_READ_ON_LOOP_BYTES = 256 * 1024
"""The largest reply an async client reads in its event loop: a few milliseconds of work,
where handing it to a thread would cost more than a tenth of it. A larger one, or one spooled
to disk (a download with ``to=``), is read in a worker thread: a report of 300 MB takes about
2 seconds to decode into its file, during which no other task of the loop would run."""


async def _finish_in_thread(
    destination: Destination,
    prepared: PreparedRequest,
    reply: HttpReply,
    result: Callable[[Response], R],
) -> R:
    """``destination.finish(prepared, reply, result)`` in a worker thread of the event loop,
    with the caller's context variables (a logging filter may read them).

    Cancelled, the call goes on as a cancellation; for a submit, cancel or approval with a
    note that the MMS may have processed it (it answered, and what it said is not read). A
    reply read into memory leaves nothing to protect: the cancellation goes on at once, and
    the thread's work is dropped when it ends. One whose files are saved (``to=``) gives the
    reading up (:meth:`Destination.abandon`) and waits for the thread to stop, which it does
    at its next write: the temporary files it writes are removed only once it writes no
    more. A thread that has begun to put the files in place, or has done so by the time the
    loop sees the cancellation, ends with them saved; the cancellation then says so, with a
    note and a warning naming them. The wait outlasts any further cancellation (the thread
    keeps running whatever the loop does); the cancellation is raised all the same once it
    is over. The thread's end is awaited as a future of the loop's executor, not as a task,
    which a cancellation of every task of the loop (as ``asyncio.run`` does to those left at
    its end) would cancel too, ending the wait and losing what the thread saved.
    """
    import asyncio

    context = contextvars.copy_context()
    reading = asyncio.get_running_loop().run_in_executor(
        None, functools.partial(context.run, destination.finish, prepared, reply, result)
    )
    # in memory, nothing needs the thread's end: cancelling the wait drops its work
    saves = destination.folder is not None
    try:
        # for files, nothing but the thread's end may end the wait
        return await (asyncio.shield(reading) if saves else reading)
    except asyncio.CancelledError as cancellation:
        if not reply.resendable:  # answered: processed, unless what it said was a refusal
            stopped_after_sending(cancellation, prepared.operation.name, reply.url, reply.attempt)
        if saves:
            destination.abandon()
            while not reading.done():
                with suppress(asyncio.CancelledError):
                    await asyncio.wait([reading])
            reading.exception()  # retrieved, so that asyncio does not log it as never retrieved
            if destination.answer is not None and (saved := destination.answer.files):
                _saved_all_the_same(cancellation, prepared, saved)
        raise


def _saved_all_the_same(
    cancellation: BaseException, prepared: PreparedRequest, files: Sequence[DownloadedFile]
) -> None:
    """Say that the call ending in ``cancellation`` saved ``files`` all the same: in a
    warning, and in a note on ``cancellation`` as it goes on. The caller would otherwise take
    the files it finds there for those that were there before."""
    paths = ", ".join(str(file.path) for file in files)
    warning = (
        f"Cancelled as the answer to {prepared.operation.name} was read; the reply's files "
        f"were saved all the same: {paths}"
    )
    warn_on(cancellation, warning)
