"""The simulator's SQLite state: seeded once, kept across restarts, atomic per request,
upgraded in place, and reset on demand."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from mms_client.endpoints import ClientType
from mms_client.sim import seed
from mms_client.sim.store import AccessEntry, NewItem, NewOffer, OfferRecord, Store


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


def _item(key: str, participant: str | None, start: str, end: str) -> NewItem:
    return NewItem(
        kind="Test",
        interface="MI",
        key=(key,),
        document={"Name": key},
        submission_time="2024-03-14T10:00:00",
        participant=participant,
        start_time=start,
        end_time=end,
    )


def test_a_new_store_holds_the_seed(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.sqlite3")
    approved = [r.name for r in store.resources(status="APPROVED")]
    assert approved == sorted(r.name for r in seed.RESOURCES)
    pending = store.resource(seed.PENDING_RESOURCE)
    assert pending is not None and pending.status == "SUBMITTED"
    assert pending.transaction_id == seed.PENDING_RESOURCE_TRANSACTION
    user = store.user("T100", "TSOUSER")
    assert user is not None and user.client_type is ClientType.TSO
    resource = store.resource("FAKE_RESO")
    assert resource is not None and resource.participant == "F100"
    assert resource.document["ResourceLongName"] == "偽電力火力発電所"
    participant = store.participant("M100")
    assert participant is not None and participant.participant_type is ClientType.MO
    assert store.user("F100", "NOBODY") is None and store.resource("NOPE") is None
    assert [r.transaction_id for r in store.items("Report", "MI")] == [seed.REPORT_TRANSACTION]


def test_the_access_log_keeps_the_newest_requests_up_to_its_bound(tmp_path: Path) -> None:
    """A simulator kept running for a team logs every request: the oldest go, so the state
    does not grow for good."""
    store = Store(tmp_path / "state.sqlite3", access_log_rows=2000)
    query = AccessEntry("F100", "FAKEUSER", "QUERY", "MarketQuery_OfferQuery", "2024-04-01")
    for number in range(5000):
        store.log_access(replace(query, transaction_id=f"T{number}"))
    kept = [entry.transaction_id for entry in store.access_log()]
    assert 2000 <= len(kept) <= 2002  # trimmed two rows at a time
    assert kept[-2000:] == [f"T{number}" for number in range(3000, 5000)]


def test_offers_and_sequences_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    store = Store(path)
    key = store.put_offer(_offer(), {1: "OFR1"})
    before = store.next_value("offer_id")
    store.close()

    reopened = Store(path)
    live = reopened.active_offer("FAKE_RESO", "DAM", "2024-03-15T12:00:00", "2024-03-15T21:00:00")
    assert live is not None and live.id == key
    assert reopened.stack_offer_ids(key) == {1: "OFR1"}
    assert reopened.next_value("offer_id") == before + 1
    assert len(reopened.resources(status="APPROVED")) == len(seed.RESOURCES)  # seeded once


def test_a_resubmission_replaces_the_live_offer_and_a_cancelled_one_disappears(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "state.sqlite3")
    store.put_offer(_offer(), {1: "OFR1"})
    newer = store.put_offer(_offer(), {1: "OFR1", 2: "OFR2"})

    def day(*, include_cancelled: bool = False) -> list[OfferRecord]:
        return store.offers(
            market_type="DAM",
            period_start="2024-03-15T00:00:00",
            period_end="2024-03-16T00:00:00",
            include_cancelled=include_cancelled,
        )

    assert [o.id for o in day()] == [newer]

    store.cancel_offer(newer, "2024-03-14T11:00:00")
    assert day() == []
    assert [o.cancelled for o in day(include_cancelled=True)] == [True]


def test_the_offers_of_a_period_are_found_by_their_start_without_reading_every_offer(
    tmp_path: Path,
) -> None:
    # Clearing each block, the merit order list and an operator's offer query ask for the
    # offers of a period whoever made them: in a state holding a year of offers, reading
    # every one of them for each block would make each answer slower as the state grows.
    store = Store(tmp_path / "state.sqlite3")
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)  # the statements with their values
    store.offers(
        market_type="DAM", period_start="2024-03-15T00:00:00", period_end="2024-03-16T00:00:00"
    )
    store._db.set_trace_callback(None)
    (query,) = (s for s in statements if s.startswith("SELECT"))
    plan = [row[3] for row in store._db.execute(f"EXPLAIN QUERY PLAN {query}")]
    assert any(step.startswith("SEARCH o USING INDEX") for step in plan), plan


def test_a_failed_request_leaves_nothing_behind(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.sqlite3")
    before = store.next_value("a_sequence")
    with pytest.raises(RuntimeError), store.transaction():
        store.put_offer(_offer(), {1: "OFR1"})
        store.next_value("a_sequence")
        raise RuntimeError("the handler failed halfway")
    assert (
        store.active_offer("FAKE_RESO", "DAM", "2024-03-15T12:00:00", "2024-03-15T21:00:00") is None
    )
    assert store.next_value("a_sequence") == before + 1


def test_offer_ids_are_unique(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.sqlite3")
    store.put_offer(_offer(), {1: "OFR1"})
    with pytest.raises(sqlite3.IntegrityError):
        store.put_offer(_offer("FAKE_RESO2"), {1: "OFR1"})


def test_items_are_replaced_by_key_and_selected_by_owner_and_period(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.sqlite3")
    store.put_item(_item("a", "F100", "2024-04-01T09:00:00", "2024-04-01T12:00:00"))
    store.put_item(_item("b", "F200", "2024-04-01T09:00:00", "2024-04-01T12:00:00"))
    store.put_item(_item("c", None, "2024-04-02T09:00:00", "2024-04-02T12:00:00"))
    store.put_item(_item("a", "F100", "2024-04-01T12:00:00", "2024-04-01T15:00:00"))

    assert [r.key for r in store.items("Test", "MI")] == [("b",), ("a",), ("c",)]
    assert [r.key for r in store.items("Test", "MI", visible_to="F100")] == [("a",), ("c",)]
    morning = ("2024-04-01T00:00:00", "2024-04-01T12:00:00")
    assert [r.key for r in store.items("Test", "MI", period=morning)] == [("b",)]
    assert store.items("Test", "OMI") == []


def test_reset_brings_back_the_seed(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.sqlite3")
    seeded = store.items("Report", "MI")
    store.put_offer(_offer(start="2024-03-15T15:00:00"), {1: "OFR_EXTRA"})
    store.put_item(_item("x", "F100", "2024-04-01T09:00:00", "2024-04-01T12:00:00"))

    store.reset()

    assert store.items("Test", "MI") == []
    assert store.offer_with_stack("OFR_EXTRA") is None
    assert [r.document for r in store.items("Report", "MI")] == [r.document for r in seeded]
    pending = store.resource(seed.PENDING_RESOURCE)
    assert pending is not None and pending.transaction_id == seed.PENDING_RESOURCE_TRANSACTION


def test_a_state_made_by_the_first_simulator_version_is_upgraded(tmp_path: Path) -> None:
    from mms_client.sim.store import _MIGRATIONS

    path = tmp_path / "state.sqlite3"
    with sqlite3.connect(path) as db:
        first = _MIGRATIONS[0]
        assert isinstance(first, str)
        db.executescript(first)
        db.execute("INSERT INTO participants VALUES ('F300', '古い会社', 'OLDC')")
        db.execute("INSERT INTO users VALUES ('F300', 'OLDUSER', 'BSP')")
        db.execute("INSERT INTO resources VALUES ('OLD_RESO', 'F300', '古い電源', '05', 'OLD00')")
        db.execute("PRAGMA user_version = 1")

    store = Store(path)

    participant = store.participant("F300")
    assert participant is not None and participant.participant_type is ClientType.BSP
    assert participant.document["CompanyShortName"] == "古い会社"
    resource = store.resource("OLD_RESO")
    assert resource is not None and resource.status == "APPROVED"
    assert resource.document["ResourceShortName"] == "古い電源"
    user = store.user("F300", "OLDUSER")
    assert user is not None and user.document["UserName"] == "OLDUSER"
    assert store.resource("FAKE_RESO") is None  # an existing state is not seeded again


def test_a_state_made_by_a_newer_simulator_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    """An older simulator cannot know the tables a newer one added: run on its state, it
    would serve from part of it and write its own, lower, schema version back, after which
    the newer simulator would run its migrations again over tables that have them."""
    from mms_client.errors import SimulatorStateError
    from mms_client.sim.store import _MIGRATIONS

    path = tmp_path / "state.sqlite3"
    Store(path).close()
    newer = len(_MIGRATIONS) + 1
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {newer}")
    before = path.read_bytes()

    with pytest.raises(SimulatorStateError) as refused:
        Store(path)

    assert str(refused.value) == (
        f"the simulator's state {path} was made by a newer version of mms_client (its schema "
        f"version is {newer}, this version knows {len(_MIGRATIONS)}): serve it with that "
        "version, or use another state folder"
    )
    assert path.read_bytes() == before
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == newer


def test_the_schema_version_is_recorded(tmp_path: Path) -> None:
    Store(tmp_path / "state.sqlite3").close()
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] >= 3
