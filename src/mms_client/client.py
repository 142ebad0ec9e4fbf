"""``MmsClient`` and ``AsyncMmsClient``: typed access to every MMS operation.

Both clients are the same object model over the same pure core (:mod:`mms_client.exchange`)
and the same transport policy; they differ only in whether the transport is awaited. The
per-operation methods (``put_offer``, ``query_offers``...) are declared once, in
:class:`OperationMethods`, as thin typed templates that say which registry operation they
call and how their arguments map onto payload and envelope; the declaration serves both
clients (a sync method on :class:`MmsClient`, a coroutine method on :class:`AsyncMmsClient`).
Every other operation is reachable through :meth:`MmsClient.call` by its registry name.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import re
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, Self, TypeVar, overload

from mms_client.endpoints import ClientType, Endpoints, Interface, resolve_endpoints
from mms_client.errors import ConfigurationError, MalformedResponseError
from mms_client.exchange import (
    Caller,
    PreparedRequest,
    Response,
    interpret,
    prepare,
    resolve_operation,
)
from mms_client.operations import Operation, get_operation
from mms_client.plugins import Plugin
from mms_client.security.certs import Certificate, VerifySetting
from mms_client.transport import (
    DEFAULT_MAX_RESPONSE_BYTES,
    AsyncTransport,
    RetryPolicy,
    SyncTransport,
    TransportSettings,
)
from mms_client.wire.soap import Attachment

if TYPE_CHECKING:
    from mms_client.schema.generated.mi_market import (
        MarketType,
        OfferCancel,
        OfferData,
        OfferQuery,
    )

P = ParamSpec("P")
R = TypeVar("R")

# Characters a domain may use: it ends up in MIME Content-IDs, so nothing that could break
# a header or an angle-bracketed id.
_DOMAIN = re.compile(r"[A-Za-z0-9.\-_]{1,253}")


@dataclass(frozen=True)
class Call(Generic[R]):
    """What one client method asks for: the payload, the envelope attributes, and how the
    method's result is taken from the :class:`~mms_client.exchange.Response`."""

    payload: Any
    envelope: Mapping[str, Any]
    result: Callable[[Response], R]


def single_item(response: Response) -> Any:
    """The one item a single-item request gets back."""
    if len(response.items) != 1:
        raise MalformedResponseError(
            f"{response.operation.name}: expected one {response.operation.element} in the "
            f"reply, found {len(response.items)}"
        )
    return response.items[0]


def all_items(response: Response) -> list[Any]:
    return list(response.items)


class OperationMethod(Generic[P, R]):
    """A client method bound to one registry operation (see :func:`calls`)."""

    def __init__(self, operation: str, template: Callable[Concatenate[Any, P], Call[R]]) -> None:
        self.operation = operation
        self.template = template
        self.__doc__ = template.__doc__
        # What help() and IDEs should show for the bound method: the template's parameters
        # without ``self``, and not its ``Call`` return type.
        signature = inspect.signature(template)
        self.signature = signature.replace(
            parameters=tuple(signature.parameters.values())[1:],
            return_annotation=inspect.Signature.empty,
        )

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, instance: MmsClient, owner: type[Any]) -> Callable[P, R]: ...
    @overload
    def __get__(self, instance: AsyncMmsClient, owner: type[Any]) -> Callable[P, Awaitable[R]]: ...
    def __get__(self, instance: Any, owner: type[Any]) -> Any:
        if instance is None:
            return self
        operation, template = self.operation, self.template

        @functools.wraps(template)
        def method(*args: Any, **kwargs: Any) -> Any:
            return instance._invoke(operation, template(instance, *args, **kwargs))

        method.__signature__ = self.signature  # type: ignore[attr-defined]
        return method


def calls(
    name: str,
) -> Callable[[Callable[Concatenate[Any, P], Call[R]]], OperationMethod[P, R]]:
    """Declare a client method for the registry operation ``name``; the decorated template
    maps the method's arguments onto a :class:`Call`."""

    def declare(template: Callable[Concatenate[Any, P], Call[R]]) -> OperationMethod[P, R]:
        get_operation(name)  # a typo in a declaration fails at import, not at call time
        return OperationMethod(name, template)

    return declare


class OperationMethods:
    """The typed per-operation methods, shared by :class:`MmsClient` and
    :class:`AsyncMmsClient`. ``date`` defaults to today in Japan; participant and user come
    from the client."""

    @calls("MarketSubmit_OfferData")
    def put_offer(
        self,
        request: OfferData,
        market_type: MarketType,
        days: int = 1,
        date: dt.date | None = None,
    ) -> Call[OfferData]:
        """Submit one offer; returns it as the MMS accepted it (with offer ids)."""
        envelope = {"market_type": market_type, "days": days, "date": date}
        return Call(request, envelope, single_item)

    @calls("MarketSubmit_OfferData")
    def put_offers(
        self,
        requests: Sequence[OfferData],
        market_type: MarketType,
        days: int = 1,
        date: dt.date | None = None,
    ) -> Call[list[OfferData]]:
        """Submit several offers in one request; returns them as the MMS accepted them."""
        envelope = {"market_type": market_type, "days": days, "date": date}
        return Call(list(requests), envelope, all_items)

    @calls("MarketQuery_OfferQuery")
    def query_offers(
        self, request: OfferQuery, days: int = 1, date: dt.date | None = None
    ) -> Call[list[OfferData]]:
        """The offers matching ``request`` (an empty list when none match)."""
        return Call(request, {"days": days, "date": date}, all_items)

    @calls("MarketCancel_OfferCancel")
    def cancel_offer(
        self,
        request: OfferCancel,
        market_type: MarketType,
        days: int = 1,
        date: dt.date | None = None,
    ) -> Call[OfferCancel]:
        """Cancel the offer ``request`` names; returns the cancellation as the MMS took it."""
        envelope = {"market_type": market_type, "days": days, "date": date}
        return Call(request, envelope, single_item)


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
    ) -> None:
        if not isinstance(domain, str) or not _DOMAIN.fullmatch(domain):
            raise ConfigurationError(
                f"domain must be a host-like name (letters, digits, '.', '-', '_'); got {domain!r}"
            )
        try:
            kind = ClientType(client_type)
        except ValueError:
            choices = ", ".join(c.value for c in ClientType)
            raise ConfigurationError(
                f"client_type must be one of {choices}; got {client_type!r}"
            ) from None
        if not isinstance(cert, Certificate):
            raise ConfigurationError(
                f"cert must be a mms_client.security.certs.Certificate, not {type(cert).__name__}"
            )
        self._caller = Caller(participant, user, kind, cert, is_admin, domain)
        self._endpoints = {
            interface: resolve_endpoints(
                kind, interface, test=test, base_url=base_url, backup_url=backup_url
            )
            for interface in Interface
        }
        self._plugins = tuple(plugins or ())
        self._settings = TransportSettings(
            timeout=timeout,
            keep_alive=keep_alive,
            max_response_bytes=max_response_bytes,
            policy=retry or RetryPolicy(),
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
        envelope: Mapping[str, Any],
    ) -> tuple[PreparedRequest, Endpoints]:
        chosen = resolve_operation(operation, payload, interface)
        prepared = prepare(chosen, self._caller, payload, envelope, attachments)
        return prepared, self._endpoints[chosen.interface]

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(participant={self.participant!r}, user={self.user!r}, "
            f"client_type={self.client_type.value!r}, main={self._endpoints[Interface.MI].main!r})"
        )


class MmsClient(_ClientCore):
    """A synchronous MMS client.

    ``MmsClient(domain, participant, user, client_type, cert, plugins=None, is_admin=False,
    test=False)`` talks to the production MMS (``test=True``: the test environment);
    ``base_url=``/``backup_url=`` point it elsewhere, e.g. at the local simulator, and
    ``verify=`` names the CA bundle that verifies the server (``False`` turns verification
    off). Use it as a context manager or call :meth:`close`.
    """

    _transport: SyncTransport

    def _connect(self) -> None:
        self._transport = SyncTransport(self._ssl_context, self._settings, self._plugins)

    def call(
        self,
        operation: str | Operation,
        payload: Any,
        *,
        interface: Interface | str | None = None,
        attachments: Sequence[Attachment] = (),
        **envelope: Any,
    ) -> Response:
        """Send any registry operation by name, e.g. ``call("MarketQuery_OfferQuery", query,
        days=1)``; ``envelope`` holds envelope attributes by Python name."""
        prepared, endpoints = self._prepare(operation, payload, interface, attachments, envelope)
        reply = self._transport.send(
            endpoints, prepared.message, prepared.interface, resendable=prepared.resendable
        )
        return interpret(prepared, reply.headers, reply.body)

    def _invoke(self, operation: str, call: Call[R]) -> R:
        return call.result(self.call(operation, call.payload, **call.envelope))

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> Self:
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
        self._transport = AsyncTransport(self._ssl_context, self._settings, self._plugins)

    async def call(
        self,
        operation: str | Operation,
        payload: Any,
        *,
        interface: Interface | str | None = None,
        attachments: Sequence[Attachment] = (),
        **envelope: Any,
    ) -> Response:
        """Send any registry operation by name (see :meth:`MmsClient.call`)."""
        prepared, endpoints = self._prepare(operation, payload, interface, attachments, envelope)
        reply = await self._transport.send(
            endpoints, prepared.message, prepared.interface, resendable=prepared.resendable
        )
        return interpret(prepared, reply.headers, reply.body)

    async def _invoke(self, operation: str, call: Call[R]) -> R:
        return call.result(await self.call(operation, call.payload, **call.envelope))

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
