"""Hand-made MMS requests for the simulator tests.

The simulator is tested over real HTTPS with requests built from the project's own wire
functions (payload models, canonical writer, signer, SOAP/MTOM framing), so a test can also
build requests no client would send: unsigned, tampered, for an operation the caller may not
use, or signed with someone else's key.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree

from mms_client.endpoints import SERVICE_PATHS, Interface
from mms_client.examples import example_request
from mms_client.operations import get_operation
from mms_client.schema import codec
from mms_client.security.certs import Certificate
from mms_client.security.signing import sign
from mms_client.sim.pki import SimUser
from mms_client.sim.simulator import Simulator
from mms_client.wire.soap import (
    Attachment,
    HttpMessage,
    RequestAttInfo,
    ResponseAttInfo,
    SoapFault,
    build_request,
    read_response,
)

TRADING_DAY = date(2024, 3, 15)


@dataclass
class Answer:
    """What the simulator answered, read the way a client reads it."""

    status: int
    headers: dict[str, str]
    body: bytes
    reply: ResponseAttInfo | SoapFault

    @property
    def fault(self) -> SoapFault:
        assert isinstance(self.reply, SoapFault), f"not a SOAP fault: {self.body[:300]!r}"
        return self.reply

    @property
    def info(self) -> ResponseAttInfo:
        assert isinstance(self.reply, ResponseAttInfo), f"a SOAP fault: {self.reply}"
        return self.reply

    @property
    def text(self) -> str:
        """The error text of a TXT answer."""
        assert self.info.response_data_type == "TXT", self.info
        assert self.info.response_data is not None
        return self.info.response_data.decode("utf-8")

    @property
    def payload(self) -> bytes:
        assert self.info.response_data_type == "XML", self.info
        assert self.info.response_data is not None
        return self.info.response_data

    @property
    def document(self) -> etree._Element:
        return codec.parse_xml(self.payload)

    def codes(self, severity: str = "Error") -> list[str]:
        """The Code of every message of this severity, anywhere in the payload."""
        return [str(e.get("Code")) for e in self.document.iter(severity)]

    def statistics(self) -> dict[str, str]:
        element = self.document.find("ProcessingStatistics")
        assert element is not None
        return {str(name): str(value) for name, value in element.attrib.items()}


@cache
def _certificate(p12: Path, passphrase: str) -> Certificate:
    return Certificate(p12, passphrase)


class Wire:
    """Builds, signs and posts MMS requests to one simulator."""

    def __init__(self, simulator: Simulator) -> None:
        self.simulator = simulator

    def certificate(self, user: SimUser) -> Certificate:
        return _certificate(user.p12, user.passphrase)

    def tls(self, user: SimUser, certificate: Certificate | None = None) -> ssl.SSLContext:
        return (certificate or self.certificate(user)).ssl_context(verify=self.simulator.ca)

    def payload(
        self,
        operation: str,
        items: Any,
        *,
        user: SimUser | None = None,
        day: date = TRADING_DAY,
        interface: Interface = Interface.MI,
        **envelope: Any,
    ) -> bytes:
        """The canonical payload of ``operation`` for ``user`` (default: the seeded BSP)."""
        user = user or self.simulator.user("BSP")
        chosen = get_operation(operation, interface)
        fields = chosen.envelope_model.model_fields
        sender = {"participant_name": user.participant, "user_name": user.user, "date": day}
        present = {k: v for k, v in sender.items() if k in fields and fields[k].is_required()}
        envelope = {**present, **envelope}
        return codec.write(chosen.request_document(items, **envelope))

    def message(
        self,
        payload: bytes,
        *,
        user: SimUser | None = None,
        request_type: str = "mp.market",
        signature: str | None = None,
        signed_payload: bytes | None = None,
        interface: Interface = Interface.MI,
        attachments: Sequence[Attachment] = (),
    ) -> HttpMessage:
        """A signed MTOM request carrying ``payload`` (and ``attachments``, signed too);
        ``signature`` replaces the signature, ``signed_payload`` makes it sign other bytes
        than those sent."""
        user = user or self.simulator.user("BSP")
        key = self.certificate(user).private_key
        if signature is None:
            signature = sign(payload if signed_payload is None else signed_payload, key)
        info = RequestAttInfo(request_type=request_type, request_signature=signature)
        signed = [Attachment(a.name, a.data, sign(a.data, key)) for a in attachments]
        return build_request(interface, info, payload, signed, domain="tests.local")

    def post(
        self,
        headers: dict[str, str],
        body: bytes,
        *,
        user: SimUser | None = None,
        certificate: Certificate | None = None,
        url: str | None = None,
        interface: Interface = Interface.MI,
        timeout: float = 10.0,
    ) -> Answer:
        user = user or self.simulator.user("BSP")
        target = url or self.simulator.base_url + SERVICE_PATHS[interface]
        with httpx.Client(verify=self.tls(user, certificate), timeout=timeout) as client:
            response = client.post(target, headers=headers, content=body)
        reply = read_response(dict(response.headers), response.content, interface)
        return Answer(response.status_code, dict(response.headers), response.content, reply)

    def call(
        self,
        operation: str,
        items: Any,
        *,
        user: SimUser | None = None,
        interface: Interface = Interface.MI,
        attachments: Sequence[Attachment] = (),
        **envelope: Any,
    ) -> Answer:
        """Posts a correct request of ``operation``, as a client would."""
        chosen = get_operation(operation, interface)
        payload = self.payload(operation, items, user=user, interface=interface, **envelope)
        message = self.message(
            payload,
            user=user,
            request_type=chosen.request_type,
            interface=interface,
            attachments=attachments,
        )
        return self.post(message.headers, message.body, user=user, interface=interface)

    def user(self, client_type: str, participant: str | None = None) -> SimUser:
        return self.simulator.user(client_type, participant)

    def example(
        self,
        operation: str,
        interface: Interface = Interface.MI,
        *,
        items: Any = None,
        user: SimUser | None = None,
        **envelope: Any,
    ) -> Answer:
        """Posts the example request of ``operation`` (:mod:`mms_client.examples`), as its
        seeded user unless ``user`` says otherwise; ``items`` and ``envelope`` replace the
        example's."""
        example = example_request(operation, interface)
        sender = user or self.simulator.user(example.client_type, example.participant)
        return self.call(
            operation,
            example.payload if items is None else items,
            user=sender,
            interface=interface,
            attachments=example.attachments,
            **{**example.envelope, **envelope},
        )


@pytest.fixture
def wire(mms_simulator: Simulator) -> Wire:
    """Requests to the session's simulator."""
    return Wire(mms_simulator)


@pytest.fixture
def fresh_wire(fresh_mms_simulator: Simulator) -> Wire:
    """Requests to a simulator with freshly seeded state."""
    return Wire(fresh_mms_simulator)


@pytest.fixture(scope="module")
def module_simulator(
    mms_simulator_pki: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Simulator]:
    """One simulator for a test module (see ``seeded_wire``)."""
    with Simulator(tmp_path_factory.mktemp("sim"), pki_source=mms_simulator_pki) as simulator:
        yield simulator


@pytest.fixture
def seeded_wire(module_simulator: Simulator) -> Wire:
    """Requests to the module's simulator, reset to its freshly seeded state for the test."""
    module_simulator.reset()
    return Wire(module_simulator)


OfferFactory = Callable[..., Any]


@pytest.fixture
def offer() -> OfferFactory:
    """Builds an OfferData (one stack of tertiary-2 by default, which every seeded resource
    is registered for) for the trading day."""
    from datetime import datetime

    from mms_client.schema.generated.mi_market import Direction, OfferData, OfferStack

    def build(
        resource: str = "FAKE_RESO", start_hour: int = 12, end_hour: int = 21, **fields: Any
    ) -> OfferData:
        day = fields.pop("day", TRADING_DAY)
        values: dict[str, Any] = {
            "stack": [
                OfferStack(number=1, unit_price=100, minimum_quantity_kw=100, tertiary_2_qty_kw=500)
            ],
            "resource": resource,
            "start": datetime(day.year, day.month, day.day, start_hour),
            "end": datetime(day.year, day.month, day.day, end_hour),
            "direction": Direction.SELL,
        }
        values.update(fields)
        return OfferData(**values)

    return build
