"""The simulator's SQLite state: seeded once, kept across restarts, atomic per request."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from mms_client.endpoints import ClientType
from mms_client.sim import seed
from mms_client.sim.store import NewOffer, Store


def _offer(resource: str = "FAKE_RESO", start: str = "2024-03-15T12:00:00") -> NewOffer:
    return NewOffer(
        participant="F100",
        resource=resource,
        market_type="DAM",
        start_time=start,
        end_time="2024-03-15T21:00:00",
        submitted_by="FAKEUSER",
        submission_time="2024-03-14T10:00:00",
        document=json.dumps({"ResourceName": resource}),
    )


def test_a_new_store_holds_the_seed(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.sqlite3")
    assert [r.name for r in store.resources()] == sorted(r.name for r in seed.RESOURCES)
    user = store.user("T100", "TSOUSER")
    assert user is not None and user.client_type is ClientType.TSO
    resource = store.resource("FAKE_RESO")
    assert resource is not None and resource.participant == "F100"
    assert store.participant("F100") is not None
    assert store.user("F100", "NOBODY") is None and store.resource("NOPE") is None


def test_offers_and_sequences_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    store = Store(path)
    key = store.put_offer(_offer(), {1: "OFR1"})
    assert store.next_value("offer_id") == 1
    store.close()

    reopened = Store(path)
    live = reopened.active_offer("FAKE_RESO", "DAM", "2024-03-15T12:00:00", "2024-03-15T21:00:00")
    assert live is not None and live.id == key
    assert reopened.stack_offer_ids(key) == {1: "OFR1"}
    assert reopened.next_value("offer_id") == 2
    assert len(reopened.resources()) == len(seed.RESOURCES)  # not seeded twice


def test_a_resubmission_replaces_the_live_offer_and_a_cancelled_one_disappears(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "state.sqlite3")
    store.put_offer(_offer(), {1: "OFR1"})
    newer = store.put_offer(_offer(), {1: "OFR1", 2: "OFR2"})
    window = dict(
        market_type="DAM", period_start="2024-03-15T00:00:00", period_end="2024-03-16T00:00:00"
    )
    assert [o.id for o in store.offers(**window)] == [newer]

    store.cancel_offer(newer, "2024-03-14T11:00:00")
    assert store.offers(**window) == []
    assert [o.cancelled for o in store.offers(**window, include_cancelled=True)] == [True]


def test_a_failed_request_leaves_nothing_behind(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.sqlite3")
    with pytest.raises(RuntimeError), store.transaction():
        store.put_offer(_offer(), {1: "OFR1"})
        store.next_value("offer_id")
        raise RuntimeError("the handler failed halfway")
    assert (
        store.active_offer("FAKE_RESO", "DAM", "2024-03-15T12:00:00", "2024-03-15T21:00:00") is None
    )
    assert store.next_value("offer_id") == 1


def test_offer_ids_are_unique(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.sqlite3")
    store.put_offer(_offer(), {1: "OFR1"})
    with pytest.raises(sqlite3.IntegrityError):
        store.put_offer(_offer("FAKE_RESO2"), {1: "OFR1"})


def test_the_schema_version_is_recorded(tmp_path: Path) -> None:
    Store(tmp_path / "state.sqlite3").close()
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] >= 1
