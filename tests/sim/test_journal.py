"""What the journal keeps of the requests the simulator received."""

from __future__ import annotations

from mms_client.sim.faults import Endpoint
from mms_client.sim.journal import Journal, RecordedRequest

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
