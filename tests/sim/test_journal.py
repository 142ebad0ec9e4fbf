"""What the journal keeps of the requests the simulator received."""

from __future__ import annotations

import logging

import pytest

from mms_client.endpoints import Interface
from mms_client.examples import Example, examples
from mms_client.schema.generated.mi_market import MarketType
from mms_client.sim.faults import Endpoint
from mms_client.sim.journal import Journal, RecordedRequest
from mms_client.wire.soap import RequestAttInfo, build_request

from .conftest import OfferFactory, Wire

PAYLOAD_BUDGET = 64 * 1024 * 1024  # the payload bytes the journal keeps, as documented


def _request(payload: bytes) -> RecordedRequest:
    return RecordedRequest(
        endpoint=Endpoint.MAIN,
        operation="MarketSubmit_OfferData",
        participant="F100",
        user="FAKEUSER",
        payload=payload,
        processed=True,
    )


def test_the_journal_keeps_payloads_up_to_its_budget_dropping_the_oldest_first() -> None:
    journal = Journal()
    size = PAYLOAD_BUDGET // 3 + 1  # three of them are more than the budget
    for n in range(5):
        journal.record(_request(bytes([n]) * size))

    recent = journal.recent
    # every request is still there, with what it was; only the oldest payloads are gone
    assert len(recent) == 5 and journal.count() == 5
    assert all(r.operation == "MarketSubmit_OfferData" and r.participant for r in recent)
    assert [r.payload is not None for r in recent] == [False, False, False, True, True]
    assert recent[-1].payload == bytes([4]) * size
    assert sum(len(r.payload or b"") for r in recent) <= PAYLOAD_BUDGET


def test_the_journal_keeps_the_latest_payload_and_its_budget_starts_again_on_clear() -> None:
    journal = Journal()
    journal.record(_request(b"x" * PAYLOAD_BUDGET))
    journal.clear()
    journal.record(_request(b"small"))
    journal.record(_request(b"y" * PAYLOAD_BUDGET))

    assert [r.payload for r in journal.recent] == [None, b"y" * PAYLOAD_BUDGET]


def test_an_unsigned_request_is_journalled_without_its_payload(
    fresh_wire: Wire, offer: OfferFactory
) -> None:
    payload = fresh_wire.payload(
        "MarketSubmit_OfferData", offer(), market_type=MarketType.DAY_AHEAD
    )
    info = RequestAttInfo(request_type="mp.market", request_signature=None)
    message = build_request(Interface.MI, info, payload, domain="tests.local")

    answer = fresh_wire.post(message.headers, message.body)

    assert "requestSignature does not verify" in answer.text
    (refused,) = fresh_wire.simulator.requests
    assert (refused.endpoint, refused.payload) == ("main", None)


@pytest.mark.parametrize(
    "example", examples(), ids=lambda e: f"{e.operation.interface}-{e.operation.name}"
)
def test_the_journal_and_the_log_name_who_sent_each_operation(
    seeded_wire: Wire, example: Example, caplog: pytest.LogCaptureFixture
) -> None:
    """Whether or not the payload names its sender (registration payloads name none, report
    payloads no user), the certificate that signed it does."""
    user = seeded_wire.user(example.client_type, example.participant)
    with caplog.at_level(logging.INFO, logger="mms_client.sim"):
        seeded_wire.example(example.operation.name, example.operation.interface)

    sent = seeded_wire.simulator.requests[-1]
    assert sent.operation == example.operation.name
    assert (sent.participant, sent.user) == (user.participant, user.user)
    logged = [r.getMessage() for r in caplog.records if r.name == "mms_client.sim"]
    assert f"main: {example.operation.name} from {user.participant}/{user.user}" in logged
