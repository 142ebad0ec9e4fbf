"""The simulator's state: one SQLite file that survives restarts.

The schema grows by appending migrations to ``_MIGRATIONS``; ``PRAGMA user_version`` records
how many have run, so a state folder made by an older simulator is upgraded in place.
Master data (participants, users, resources) has its own tables; market data that the MMS
keeps per item (offers and their stacks) gets a table per kind, with the columns the business
rules look things up by and the full item as JSON, so that a query returns exactly what was
stored, including every generated field.

Times are stored as JST wall-clock ISO strings (``2024-03-15T12:00:00``), which the MMS
speaks and which sort and compare correctly as text.

One connection serves the whole simulator; a lock serialises access because the server
thread and test code (counting offers, say) may use it at the same time.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mms_client.endpoints import ClientType
from mms_client.sim import seed

_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE participants (
        name TEXT PRIMARY KEY,
        company_short_name TEXT NOT NULL,
        operator_code TEXT NOT NULL
    );
    CREATE TABLE users (
        participant TEXT NOT NULL REFERENCES participants(name),
        name TEXT NOT NULL,
        client_type TEXT NOT NULL CHECK (client_type IN ('BSP', 'MO', 'TSO')),
        PRIMARY KEY (participant, name)
    );
    CREATE TABLE resources (
        name TEXT PRIMARY KEY,
        participant TEXT NOT NULL REFERENCES participants(name),
        short_name TEXT NOT NULL,
        area TEXT NOT NULL,
        system_code TEXT NOT NULL
    );
    CREATE TABLE sequences (
        name TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    );
    CREATE TABLE offers (
        id INTEGER PRIMARY KEY,
        participant TEXT NOT NULL REFERENCES participants(name),
        resource TEXT NOT NULL REFERENCES resources(name),
        market_type TEXT NOT NULL,
        start_time TEXT NOT NULL,
        end_time TEXT NOT NULL,
        submitted_by TEXT NOT NULL,
        submission_time TEXT NOT NULL,
        cancelled INTEGER NOT NULL DEFAULT 0,
        cancelled_at TEXT,
        document TEXT NOT NULL
    );
    CREATE UNIQUE INDEX offers_active_period
        ON offers (resource, market_type, start_time, end_time) WHERE cancelled = 0;
    CREATE INDEX offers_by_participant ON offers (participant, market_type, start_time);
    CREATE TABLE offer_stacks (
        offer INTEGER NOT NULL REFERENCES offers(id) ON DELETE CASCADE,
        stack_number INTEGER NOT NULL,
        offer_id TEXT NOT NULL UNIQUE,
        PRIMARY KEY (offer, stack_number)
    );
    """,
)


@dataclass(frozen=True)
class ParticipantRecord:
    name: str
    company_short_name: str
    operator_code: str


@dataclass(frozen=True)
class UserRecord:
    participant: str
    name: str
    client_type: ClientType


@dataclass(frozen=True)
class ResourceRecord:
    name: str
    participant: str
    short_name: str
    area: str
    system_code: str


@dataclass(frozen=True)
class OfferRecord:
    """One offer: what the business rules look it up by, and the stored item as JSON."""

    id: int
    participant: str
    resource: str
    market_type: str
    start_time: str
    end_time: str
    submitted_by: str
    submission_time: str
    cancelled: bool
    document: str


@dataclass(frozen=True)
class NewOffer:
    """An offer to store; ``document`` is the item as JSON, generated fields included."""

    participant: str
    resource: str
    market_type: str
    start_time: str
    end_time: str
    submitted_by: str
    submission_time: str
    document: str


_OFFER_COLUMNS = (
    "id, participant, resource, market_type, start_time, end_time, submitted_by, "
    "submission_time, cancelled, document"
)


def _offer(row: sqlite3.Row) -> OfferRecord:
    return OfferRecord(
        id=row["id"],
        participant=row["participant"],
        resource=row["resource"],
        market_type=row["market_type"],
        start_time=row["start_time"],
        end_time=row["end_time"],
        submitted_by=row["submitted_by"],
        submission_time=row["submission_time"],
        cancelled=bool(row["cancelled"]),
        document=row["document"],
    )


class Store:
    """The SQLite state of one simulator."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._depth = 0
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.execute("PRAGMA journal_mode = WAL")
        with self.transaction():
            fresh = self._migrate()
            if fresh:
                self._seed()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All writes of one request happen in one transaction, so a request that fails
        halfway leaves nothing behind.  Nested use joins the outer transaction."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._db
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._depth = 0

    def _migrate(self) -> bool:
        """Runs the migrations not yet applied; True when the database was empty."""
        version: int = self._db.execute("PRAGMA user_version").fetchone()[0]
        for script in _MIGRATIONS[version:]:
            for statement in script.split(";"):
                if statement.strip():
                    self._db.execute(statement)
        self._db.execute(f"PRAGMA user_version = {len(_MIGRATIONS)}")
        return version == 0

    def _seed(self) -> None:
        self._db.executemany(
            "INSERT INTO participants VALUES (?, ?, ?)",
            [(p.name, p.company_short_name, p.operator_code) for p in seed.PARTICIPANTS],
        )
        self._db.executemany(
            "INSERT INTO users VALUES (?, ?, ?)",
            [(u.participant, u.user, u.client_type.value) for u in seed.USERS],
        )
        self._db.executemany(
            "INSERT INTO resources VALUES (?, ?, ?, ?, ?)",
            [(r.name, r.participant, r.short_name, r.area, r.system_code) for r in seed.RESOURCES],
        )

    # --- master data -------------------------------------------------------------------

    def participant(self, name: str) -> ParticipantRecord | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM participants WHERE name = ?", (name,)).fetchone()
        return None if row is None else ParticipantRecord(**dict(row))

    def user(self, participant: str, name: str) -> UserRecord | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM users WHERE participant = ? AND name = ?", (participant, name)
            ).fetchone()
        if row is None:
            return None
        return UserRecord(row["participant"], row["name"], ClientType(row["client_type"]))

    def resource(self, name: str) -> ResourceRecord | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM resources WHERE name = ?", (name,)).fetchone()
        return None if row is None else ResourceRecord(**dict(row))

    def resources(self) -> list[ResourceRecord]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM resources ORDER BY name").fetchall()
        return [ResourceRecord(**dict(row)) for row in rows]

    # --- sequences ---------------------------------------------------------------------

    def next_value(self, sequence: str) -> int:
        """The next number of a named sequence (1, 2, ...), kept across restarts."""
        with self.transaction():
            row = self._db.execute(
                "INSERT INTO sequences VALUES (?, 1) "
                "ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
                (sequence,),
            ).fetchone()
        value: int = row[0]
        return value

    # --- offers ------------------------------------------------------------------------

    def active_offer(
        self, resource: str, market_type: str, start_time: str, end_time: str
    ) -> OfferRecord | None:
        """The live (not cancelled) offer on a resource for exactly this period."""
        with self._lock:
            row = self._db.execute(
                f"SELECT {_OFFER_COLUMNS} FROM offers WHERE resource = ? AND market_type = ? "
                "AND start_time = ? AND end_time = ? AND cancelled = 0",
                (resource, market_type, start_time, end_time),
            ).fetchone()
        return None if row is None else _offer(row)

    def stack_offer_ids(self, offer: int) -> dict[int, str]:
        """Stack number -> OfferId of a stored offer."""
        with self._lock:
            rows = self._db.execute(
                "SELECT stack_number, offer_id FROM offer_stacks WHERE offer = ?", (offer,)
            ).fetchall()
        return {row["stack_number"]: row["offer_id"] for row in rows}

    def put_offer(self, offer: NewOffer, offer_ids: dict[int, str]) -> int:
        """Stores an offer, replacing the live one for the same resource and period (that is
        how the MMS treats a resubmission), with the OfferId of each stack."""
        with self.transaction() as db:
            db.execute(
                "DELETE FROM offers WHERE resource = ? AND market_type = ? AND start_time = ? "
                "AND end_time = ? AND cancelled = 0",
                (offer.resource, offer.market_type, offer.start_time, offer.end_time),
            )
            cursor = db.execute(
                "INSERT INTO offers (participant, resource, market_type, start_time, end_time, "
                "submitted_by, submission_time, document) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    offer.participant,
                    offer.resource,
                    offer.market_type,
                    offer.start_time,
                    offer.end_time,
                    offer.submitted_by,
                    offer.submission_time,
                    offer.document,
                ),
            )
            key = cursor.lastrowid
            assert key is not None
            db.executemany(
                "INSERT INTO offer_stacks VALUES (?, ?, ?)",
                [(key, number, offer_id) for number, offer_id in offer_ids.items()],
            )
        return key

    def cancel_offer(self, offer: int, cancelled_at: str) -> None:
        with self.transaction():
            self._db.execute(
                "UPDATE offers SET cancelled = 1, cancelled_at = ? WHERE id = ?",
                (cancelled_at, offer),
            )

    def offers(
        self,
        *,
        market_type: str,
        period_start: str,
        period_end: str,
        participant: str | None = None,
        resource: str | None = None,
        area: str | None = None,
        include_cancelled: bool = False,
    ) -> list[OfferRecord]:
        """Offers whose delivery period overlaps [period_start, period_end), oldest first.

        ``participant`` None means every participant's (what an MO or TSO sees).
        """
        sql = (
            f"SELECT {', '.join('o.' + c for c in _OFFER_COLUMNS.split(', '))} "
            "FROM offers o JOIN resources r ON r.name = o.resource "
            "WHERE o.market_type = ? AND o.start_time < ? AND o.end_time > ?"
        )
        parameters: list[str] = [market_type, period_end, period_start]
        for column, value in (
            ("o.participant", participant),
            ("o.resource", resource),
            ("r.area", area),
        ):
            if value is not None:
                sql += f" AND {column} = ?"
                parameters.append(value)
        if not include_cancelled:
            sql += " AND o.cancelled = 0"
        sql += " ORDER BY o.start_time, o.resource, o.id"
        with self._lock:
            rows = self._db.execute(sql, parameters).fetchall()
        return [_offer(row) for row in rows]
