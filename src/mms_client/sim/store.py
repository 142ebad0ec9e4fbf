"""The simulator's state: one SQLite file that survives restarts.

The schema grows by appending migrations to ``_MIGRATIONS`` (SQL scripts, or functions for
steps SQL cannot express); ``PRAGMA user_version`` records how many have run, so a state
folder made by an older simulator is upgraded in place.

Master data (participants, users, resources) has its own tables, because every request is
checked against it; each row also keeps the registration document it came from, which is
what a registration query returns.  Offers, which the offer rules look up in several ways,
have tables of their own.  Every other kind of data the MMS keeps (registration records,
TSO data, BUPs, files, reports...) is an *item*: one row per stored unit with the columns
queries select by (kind, owner, resource, period, status, TransactionId), the stored element
as JSON exactly as it is returned, and the bytes of a file where the item is one.

Times are stored as JST wall-clock ISO strings (``2024-03-15T12:00:00``), which the MMS
speaks and which sort and compare correctly as text; dates as the start of their day.

One connection serves the whole simulator; a lock serialises access because the server
thread and test code (counting offers, say) may use it at the same time.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mms_client.endpoints import ClientType
from mms_client.errors import SimulatorStateError
from mms_client.sim import seed
from mms_client.sim.clock import SimulatorClock

XmlDict = dict[str, Any]
Migration = str | Callable[[sqlite3.Connection], None]


def _backfill_documents(db: sqlite3.Connection) -> None:
    """Gives master data made before registration documents existed its documents."""
    db.execute(
        "UPDATE participants SET participant_type = COALESCE((SELECT client_type FROM users "
        "WHERE users.participant = participants.name ORDER BY name LIMIT 1), 'BSP')"
    )
    for row in db.execute("SELECT * FROM participants WHERE document IS NULL").fetchall():
        document = seed.participant_document(
            seed.SeedParticipant(
                row["name"],
                row["company_short_name"],
                row["operator_code"],
                ClientType(row["participant_type"]),
            )
        )
        db.execute(
            "UPDATE participants SET document = ? WHERE name = ?", (_dump(document), row["name"])
        )
    for row in db.execute("SELECT * FROM users WHERE document IS NULL").fetchall():
        user = seed.SeedUser(row["participant"], row["name"], ClientType(row["client_type"]))
        db.execute(
            "UPDATE users SET document = ? WHERE participant = ? AND name = ?",
            (_dump(seed.user_document(user)), row["participant"], row["name"]),
        )
    for row in db.execute("SELECT * FROM resources WHERE document IS NULL").fetchall():
        resource = seed.SeedResource(
            row["name"], row["participant"], row["short_name"], row["area"], row["system_code"]
        )
        db.execute(
            "UPDATE resources SET document = ? WHERE name = ?",
            (_dump(seed.resource_document(resource)), row["name"]),
        )


_MIGRATIONS: tuple[Migration, ...] = (
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
    """
    ALTER TABLE participants ADD COLUMN participant_type TEXT NOT NULL DEFAULT 'BSP';
    ALTER TABLE participants ADD COLUMN document TEXT;
    ALTER TABLE users ADD COLUMN document TEXT;
    ALTER TABLE resources ADD COLUMN status TEXT NOT NULL DEFAULT 'APPROVED';
    ALTER TABLE resources ADD COLUMN transaction_id TEXT;
    ALTER TABLE resources ADD COLUMN document TEXT;
    CREATE TABLE items (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        interface TEXT NOT NULL,
        key TEXT NOT NULL,
        participant TEXT,
        resource TEXT,
        start_time TEXT,
        end_time TEXT,
        status TEXT,
        transaction_id TEXT,
        submitted_by TEXT,
        submission_time TEXT NOT NULL,
        tags TEXT NOT NULL DEFAULT '{}',
        document TEXT NOT NULL,
        content BLOB,
        UNIQUE (kind, interface, key)
    );
    CREATE INDEX items_by_kind ON items (kind, interface, participant, start_time);
    CREATE INDEX items_by_resource ON items (resource, kind);
    CREATE INDEX items_by_transaction ON items (transaction_id);
    CREATE TABLE access_log (
        id INTEGER PRIMARY KEY,
        participant TEXT NOT NULL,
        user_name TEXT NOT NULL,
        transaction_id TEXT,
        action TEXT NOT NULL,
        application TEXT NOT NULL,
        start_time TEXT NOT NULL,
        end_time TEXT,
        file_name TEXT
    );
    CREATE INDEX access_log_by_participant ON access_log (participant, start_time);
    """,
    _backfill_documents,
    # The longest offer bounds how long before a period an offer overlapping it can start
    # (see Store.offers); with this index SQLite reads that length without a scan.
    "CREATE INDEX offers_by_length ON offers ((julianday(end_time) - julianday(start_time)))",
    # The offers of a period whoever made them (clearing a block, the merit order list, an
    # operator's query) are found by their start, where every offer stored was read.
    "CREATE INDEX offers_by_start ON offers (start_time)",
    # A participant's offers of a period (a BSP's offer query, its offer report) are found
    # by their start among its own, where every offer it had ever made was read: the first
    # index, which puts the market type before the start, serves no query that names no
    # market type.
    "DROP INDEX offers_by_participant; "
    "CREATE INDEX offers_by_participant ON offers (participant, start_time)",
)

# Every table, children before parents (the order rows are removed in on a reset).
_TABLES = (
    "access_log",
    "items",
    "offer_stacks",
    "offers",
    "resources",
    "users",
    "participants",
    "sequences",
)


def _dump(document: XmlDict) -> str:
    return json.dumps(document, ensure_ascii=False)


@dataclass(frozen=True)
class ParticipantRecord:
    name: str
    company_short_name: str
    operator_code: str
    participant_type: ClientType
    document: XmlDict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class UserRecord:
    participant: str
    name: str
    client_type: ClientType
    document: XmlDict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class ResourceRecord:
    """A registered resource: who registered it, its master data, where its registration
    stands (``status``: SUBMITTED, APPROVED, DECLINED) and its registration document."""

    name: str
    participant: str
    short_name: str
    area: str
    system_code: str
    status: str = "APPROVED"
    transaction_id: str | None = None
    document: XmlDict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Holding:
    """A participant holding a resource ``since`` the JST time a transfer handed it over
    (None: since the resource was registered)."""

    participant: str
    since: str | None


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


@dataclass(frozen=True)
class NewItem:
    """A unit of stored data (see the module docstring).

    ``key`` identifies it within its ``kind`` and ``interface``: storing an item with the
    key of an existing one replaces it.  ``participant`` is whose it is (None: everyone's);
    ``tags`` are attributes a query may filter by that the document itself does not carry
    (the market type of the envelope, a standing flag).
    """

    kind: str
    interface: str
    key: tuple[Any, ...]
    document: XmlDict
    submission_time: str
    participant: str | None = None
    resource: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    status: str | None = None
    transaction_id: str | None = None
    submitted_by: str | None = None
    tags: XmlDict = field(default_factory=dict)
    content: bytes | None = None


@dataclass(frozen=True)
class ItemRecord:
    """A stored item (its file content, if any, is read with :meth:`Store.item_content`)."""

    id: int
    kind: str
    interface: str
    key: tuple[Any, ...]
    participant: str | None
    resource: str | None
    start_time: str | None
    end_time: str | None
    status: str | None
    transaction_id: str | None
    submitted_by: str | None
    submission_time: str
    tags: XmlDict
    document: XmlDict


@dataclass(frozen=True)
class AccessEntry:
    """One line of the user access log (what the ``AccessLog`` report lists)."""

    participant: str
    user: str
    action: str
    """SUBMIT, QUERY or DOWNLOAD."""
    application: str
    """The operation that was called."""
    start_time: str
    end_time: str | None = None
    transaction_id: str | None = None
    file_name: str | None = None


_OFFER_COLUMNS = (
    "id, participant, resource, market_type, start_time, end_time, submitted_by, "
    "submission_time, cancelled, document"
)
# The same columns of an offers table aliased ``o`` (in queries that join another table).
_JOINED_OFFER_COLUMNS = ", ".join("o." + column for column in _OFFER_COLUMNS.split(", "))
_EARLIEST_START = (
    "COALESCE(strftime('%Y-%m-%dT%H:%M:%S', julianday(?) - 1.0 / 86400 - "
    "(SELECT MAX(julianday(end_time) - julianday(start_time)) FROM offers)), '')"
)
"""The earliest start an offer overlapping a period beginning at the parameter can have: the
longest offer's length before it (a second earlier still, against rounding; '' when it cannot
be told).  The condition ``start_time < end`` alone makes SQLite read every offer of the
resource that starts before the period, that is, every earlier one: each overlap check of a
bulk submit then reads all the offers stored before it, a time quadratic in the offers.
This bound, implied by ``end_time > start``, keeps the index scan to the offers near the
period and changes nothing of what is found."""
_ITEM_COLUMNS = (
    "id, kind, interface, key, participant, resource, start_time, end_time, status, "
    "transaction_id, submitted_by, submission_time, tags, document"
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


def _item(row: sqlite3.Row) -> ItemRecord:
    return ItemRecord(
        id=row["id"],
        kind=row["kind"],
        interface=row["interface"],
        key=tuple(json.loads(row["key"])),
        participant=row["participant"],
        resource=row["resource"],
        start_time=row["start_time"],
        end_time=row["end_time"],
        status=row["status"],
        transaction_id=row["transaction_id"],
        submitted_by=row["submitted_by"],
        submission_time=row["submission_time"],
        tags=json.loads(row["tags"]),
        document=json.loads(row["document"]),
    )


def _participant(row: sqlite3.Row) -> ParticipantRecord:
    return ParticipantRecord(
        name=row["name"],
        company_short_name=row["company_short_name"],
        operator_code=row["operator_code"],
        participant_type=ClientType(row["participant_type"]),
        document=json.loads(row["document"] or "{}"),
    )


def _user(row: sqlite3.Row) -> UserRecord:
    return UserRecord(
        participant=row["participant"],
        name=row["name"],
        client_type=ClientType(row["client_type"]),
        document=json.loads(row["document"] or "{}"),
    )


def _resource(row: sqlite3.Row) -> ResourceRecord:
    return ResourceRecord(
        name=row["name"],
        participant=row["participant"],
        short_name=row["short_name"],
        area=row["area"],
        system_code=row["system_code"],
        status=row["status"],
        transaction_id=row["transaction_id"],
        document=json.loads(row["document"] or "{}"),
    )


def _unusable(path: Path, exc: OSError | sqlite3.Error) -> SimulatorStateError:
    """The error for a state file that cannot be opened or SQLite cannot upgrade; it is never
    replaced silently, since it holds everything submitted."""
    return SimulatorStateError(
        f"the simulator's state {path} cannot be used ({exc}); if it is damaged, remove it "
        "to start again from the seed (what was submitted is lost), or use another state "
        "folder",
        path,
    )


ACCESS_LOG_ROWS = 100_000
"""How many requests the access log keeps, the newest: a shared simulator answering a
hundred thousand requests a day would otherwise grow its state by about 15 MB a day for good.
"""


class Store:
    """The SQLite state of one simulator; a new one holds the seed (:mod:`~.seed`)."""

    def __init__(
        self,
        path: Path,
        *,
        clock: SimulatorClock | None = None,
        access_log_rows: int = ACCESS_LOG_ROWS,
    ) -> None:
        """``clock`` is the time the seed is planted at (the real time without one)."""
        self.path = path
        self._clock = clock or SimulatorClock()
        self._access_log_rows = access_log_rows
        self._lock = threading.RLock()
        self._depth = 0
        try:
            # made readable by its owner only before SQLite makes it with the default mode;
            # SQLite gives its write-ahead log and index the database file's mode
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise _unusable(path, exc) from exc
        try:
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA journal_mode = WAL")
            # A commit reaches the write-ahead log without waiting for the disk: the state
            # survives the simulator stopping or crashing, not the machine losing power, and
            # requests are not held up behind one another's disk flush (with 8 clients, a
            # third of the time).
            self._db.execute("PRAGMA synchronous = NORMAL")
            with self.transaction():
                fresh = self._migrate()
                if fresh:
                    self._seed()
        except BaseException as exc:
            self._db.close()  # a store that cannot be used holds nothing open
            if isinstance(exc, sqlite3.Error):
                raise _unusable(path, exc) from exc
            raise

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
        """Runs the migrations not yet applied; True when the database was empty. A state
        of more migrations than these, made by a newer simulator, is refused before anything is
        written: this one would serve from part of it and record its own, lower, version."""
        version: int = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(_MIGRATIONS):
            raise SimulatorStateError(
                f"the simulator's state {self.path} was made by a newer version of mms_client "
                f"(its schema version is {version}, this version knows {len(_MIGRATIONS)}): "
                "serve it with that version, or use another state folder",
                self.path,
            )
        for migration in _MIGRATIONS[version:]:
            if callable(migration):
                migration(self._db)
                continue
            for statement in migration.split(";"):
                if statement.strip():
                    self._db.execute(statement)
        self._db.execute(f"PRAGMA user_version = {len(_MIGRATIONS)}")
        return version == 0

    def _seed(self) -> None:
        from mms_client.sim.seeding import plant

        plant(self, self._clock.now())

    def reset(self) -> None:
        """Back to the freshly seeded state, without closing the database (a running
        simulator can be reset between tests)."""
        with self.transaction():
            for table in _TABLES:
                self._db.execute(f"DELETE FROM {table}")
            self._seed()

    # --- master data -------------------------------------------------------------------

    def participant(self, name: str) -> ParticipantRecord | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM participants WHERE name = ?", (name,)).fetchone()
        return None if row is None else _participant(row)

    def participants(self) -> list[ParticipantRecord]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM participants ORDER BY name").fetchall()
        return [_participant(row) for row in rows]

    def put_participant(self, record: ParticipantRecord) -> None:
        """Registers a participant, or replaces the registration of an existing one."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO participants (name, company_short_name, operator_code, "
                "participant_type, document) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE "
                "SET company_short_name = excluded.company_short_name, "
                "participant_type = excluded.participant_type, document = excluded.document",
                (
                    record.name,
                    record.company_short_name,
                    record.operator_code,
                    record.participant_type.value,
                    _dump(record.document),
                ),
            )

    def user(self, participant: str, name: str) -> UserRecord | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM users WHERE participant = ? AND name = ?", (participant, name)
            ).fetchone()
        return None if row is None else _user(row)

    def users(self) -> list[UserRecord]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM users ORDER BY participant, name").fetchall()
        return [_user(row) for row in rows]

    def put_user(self, record: UserRecord) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO users (participant, name, client_type, document) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (participant, name) DO UPDATE SET document = excluded.document",
                (record.participant, record.name, record.client_type.value, _dump(record.document)),
            )

    def resource(self, name: str) -> ResourceRecord | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM resources WHERE name = ?", (name,)).fetchone()
        return None if row is None else _resource(row)

    def resources(self, status: str | None = None) -> list[ResourceRecord]:
        """Every registered resource (of one registration status, if given), by name."""
        sql = "SELECT * FROM resources"
        parameters: tuple[str, ...] = ()
        if status is not None:
            sql += " WHERE status = ?"
            parameters = (status,)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY name", parameters).fetchall()
        return [_resource(row) for row in rows]

    def put_resource(self, record: ResourceRecord) -> None:
        """Registers a resource, or replaces the registration of an existing one."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO resources (name, participant, short_name, area, system_code, status, "
                "transaction_id, document) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET participant = excluded.participant, "
                "short_name = excluded.short_name, area = excluded.area, "
                "system_code = excluded.system_code, status = excluded.status, "
                "transaction_id = excluded.transaction_id, document = excluded.document",
                (
                    record.name,
                    record.participant,
                    record.short_name,
                    record.area,
                    record.system_code,
                    record.status,
                    record.transaction_id,
                    _dump(record.document),
                ),
            )

    def holdings(self, resource: str, start: str, end: str | None = None) -> list[Holding]:
        """Who holds ``resource`` from the JST time ``start`` until ``end`` (at ``start``
        alone when None), in turn: the receiver of the latest transfer that took effect by
        ``start``, or before any did, the previous participant of the first transfer (the
        registering participant when there is none); then the receiver of each transfer that
        takes effect before ``end``.  Empty when the resource is not registered.

        Before its first transfer a resource is that transfer's previous participant's even
        once the receiver has registered it again in its own name."""
        with self._lock:
            transfers = self._db.execute(
                "SELECT participant, start_time, document FROM items "
                "WHERE kind = 'ResourceTransfer' AND resource = ? ORDER BY start_time, id",
                (resource,),
            ).fetchall()
            if not transfers:
                row = self._db.execute(
                    "SELECT participant FROM resources WHERE name = ?", (resource,)
                ).fetchone()
                return [] if row is None else [Holding(str(row["participant"]), None)]
        in_force = [t for t in transfers if t["start_time"] <= start]
        first = (
            Holding(str(in_force[-1]["participant"]), in_force[-1]["start_time"])
            if in_force
            else Holding(json.loads(transfers[0]["document"])["PreviousParticipantName"], None)
        )
        later = [
            Holding(str(t["participant"]), t["start_time"])
            for t in transfers
            if end is not None and start < t["start_time"] < end
        ]
        return [first, *later]

    def owner(self, resource: str, on: str) -> str | None:
        """Who holds ``resource`` on the JST time ``on`` (see :meth:`holdings`); None when it
        is not registered."""
        held = self.holdings(resource, on)
        return held[0].participant if held else None

    def holder(self, record: ResourceRecord, on: str) -> str:
        """Who holds the registered resource ``record`` on the JST time ``on``: :meth:`owner`,
        which for a registered resource is always someone, its registrant to begin with."""
        return self.owner(record.name, on) or record.participant

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

    # --- items ---------------------------------------------------------------------------

    def put_item(self, item: NewItem) -> int:
        """Stores an item, replacing the one with the same kind, interface and key."""
        with self.transaction() as db:
            row = db.execute(
                "INSERT INTO items (kind, interface, key, participant, resource, start_time, "
                "end_time, status, transaction_id, submitted_by, submission_time, tags, document, "
                "content) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (kind, interface, key) DO UPDATE SET "
                "participant = excluded.participant, resource = excluded.resource, "
                "start_time = excluded.start_time, end_time = excluded.end_time, "
                "status = excluded.status, transaction_id = excluded.transaction_id, "
                "submitted_by = excluded.submitted_by, "
                "submission_time = excluded.submission_time, tags = excluded.tags, "
                "document = excluded.document, content = excluded.content RETURNING id",
                (
                    item.kind,
                    item.interface,
                    json.dumps(list(item.key), ensure_ascii=False),
                    item.participant,
                    item.resource,
                    item.start_time,
                    item.end_time,
                    item.status,
                    item.transaction_id,
                    item.submitted_by,
                    item.submission_time,
                    _dump(item.tags),
                    _dump(item.document),
                    item.content,
                ),
            ).fetchone()
        key: int = row[0]
        return key

    def items(
        self,
        kind: str,
        interface: str,
        *,
        visible_to: str | None = None,
        resource: str | None = None,
        status: str | None = None,
        transaction_id: str | None = None,
        period: tuple[str | None, str | None] = (None, None),
    ) -> list[ItemRecord]:
        """Stored items of a kind, ordered by period start, key and age.

        ``visible_to`` keeps the items of that participant and everyone's (None: all);
        ``period`` keeps the items whose period overlaps [start, end) (either bound may be
        open; items without a period always overlap).
        """
        sql = f"SELECT {_ITEM_COLUMNS} FROM items WHERE kind = ? AND interface = ?"
        parameters: list[Any] = [kind, interface]
        if visible_to is not None:
            sql += " AND (participant = ? OR participant IS NULL)"
            parameters.append(visible_to)
        for column, value in (
            ("resource", resource),
            ("status", status),
            ("transaction_id", transaction_id),
        ):
            if value is not None:
                sql += f" AND {column} = ?"
                parameters.append(value)
        start, end = period
        if end is not None:
            sql += " AND (start_time IS NULL OR start_time < ?)"
            parameters.append(end)
        if start is not None:
            sql += " AND (end_time IS NULL OR end_time > ?)"
            parameters.append(start)
        sql += " ORDER BY start_time, key, id"
        with self._lock:
            rows = self._db.execute(sql, parameters).fetchall()
        return [_item(row) for row in rows]

    def item(self, kind: str, interface: str, key: tuple[Any, ...]) -> ItemRecord | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_ITEM_COLUMNS} FROM items WHERE kind = ? AND interface = ? AND key = ?",
                (kind, interface, json.dumps(list(key), ensure_ascii=False)),
            ).fetchone()
        return None if row is None else _item(row)

    def item_content(self, item: int) -> bytes:
        """The file an item holds (empty if it holds none)."""
        with self._lock:
            row = self._db.execute("SELECT content FROM items WHERE id = ?", (item,)).fetchone()
        return b"" if row is None or row[0] is None else bytes(row[0])

    def update_item(self, item: int, *, status: str, document: XmlDict) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE items SET status = ?, document = ? WHERE id = ?",
                (status, _dump(document), item),
            )

    def move_item(
        self, item: int, *, participant: str | None, resource: str | None, document: XmlDict
    ) -> None:
        """Gives an item to another participant and resource, keeping its identity and
        history (a refund whose contract was moved to another participant's resource)."""
        with self.transaction() as db:
            db.execute(
                "UPDATE items SET participant = ?, resource = ?, document = ? WHERE id = ?",
                (participant, resource, _dump(document), item),
            )

    def delete_item(self, item: int) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM items WHERE id = ?", (item,))

    def delete_lapsed(self, kind: str, interface: str, attribute: str, today: str) -> None:
        """Removes the items of a kind whose document's date ``attribute`` is before the ISO
        date ``today``: gone for good, they are neither kept, files and all, nor read again
        by every request that looks for what is left."""
        with self.transaction() as db:
            db.execute(
                "DELETE FROM items WHERE kind = ? AND interface = ? "
                "AND json_extract(document, ?) < ?",
                (kind, interface, f"$.{attribute}", today),
            )

    # --- access log ----------------------------------------------------------------------

    def log_access(self, entry: AccessEntry) -> None:
        """Log a request; the oldest entries beyond the newest ``access_log_rows`` go, a
        thousandth of the bound at a time (a row is about 150 bytes)."""
        with self.transaction() as db:
            row = db.execute(
                "INSERT INTO access_log (participant, user_name, transaction_id, action, "
                "application, start_time, end_time, file_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    entry.participant,
                    entry.user,
                    entry.transaction_id,
                    entry.action,
                    entry.application,
                    entry.start_time,
                    entry.end_time,
                    entry.file_name,
                ),
            ).lastrowid
            bound = self._access_log_rows
            if row is not None and row % max(1, bound // 1000) == 0:
                db.execute("DELETE FROM access_log WHERE id <= ?", (row - bound,))

    def access_log(
        self, *, participant: str | None = None, period: tuple[str, str] | None = None
    ) -> list[AccessEntry]:
        """Logged requests, oldest first (of one participant, within [start, end))."""
        sql = "SELECT * FROM access_log WHERE 1 = 1"
        parameters: list[str] = []
        if participant is not None:
            sql += " AND participant = ?"
            parameters.append(participant)
        if period is not None:
            sql += " AND start_time >= ? AND start_time < ?"
            parameters.extend(period)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY id", parameters).fetchall()
        return [
            AccessEntry(
                participant=row["participant"],
                user=row["user_name"],
                action=row["action"],
                application=row["application"],
                start_time=row["start_time"],
                end_time=row["end_time"],
                transaction_id=row["transaction_id"],
                file_name=row["file_name"],
            )
            for row in rows
        ]

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

    def offer_with_stack(self, offer_id: str) -> OfferRecord | None:
        """The live offer one of whose stacks has this OfferId."""
        with self._lock:
            row = self._db.execute(
                f"SELECT {_JOINED_OFFER_COLUMNS} "
                "FROM offers o JOIN offer_stacks s ON s.offer = o.id "
                "WHERE s.offer_id = ? AND o.cancelled = 0",
                (offer_id,),
            ).fetchone()
        return None if row is None else _offer(row)

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
        market_type: str | None,
        period_start: str,
        period_end: str,
        participant: str | None = None,
        resource: str | None = None,
        area: str | None = None,
        include_cancelled: bool = False,
    ) -> list[OfferRecord]:
        """Offers whose delivery period overlaps [period_start, period_end), oldest first.

        ``participant`` None means every participant's (what an MO or TSO sees);
        ``market_type`` None means both markets.
        """
        sql = (
            f"SELECT {_JOINED_OFFER_COLUMNS} "
            "FROM offers o JOIN resources r ON r.name = o.resource "
            f"WHERE o.start_time < ? AND o.end_time > ? AND o.start_time >= {_EARLIEST_START}"
        )
        parameters: list[str] = [period_end, period_start, period_start]
        for column, value in (
            ("o.market_type", market_type),
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
