"""Stored items: the generic submit and query handlers most operations are made of.

Most MMS submits are "check each item, add the fields the MMS generates, store it, echo it",
and most queries are "select the stored items the caller may see, keep those matching the
query, return them".  A :class:`Collection` says how the items of one kind are kept: what
identifies one (a resubmission with the same key replaces it), whose it is, which attributes
give its period, and whether it is stored as a whole or one row per child element (the TSO
data series: a ``ReserveRequirement`` per area holds one ``Requirement`` per time block, and a
later submission for some blocks must not erase the others).  :func:`submit` and
:func:`query` turn a collection plus the per-operation business rules (:data:`Check` and
:data:`Fill` functions) into handlers; :func:`download` hands out the files a collection
keeps.

How a query matches (the same for every query, so nothing is written per operation):

- a BSP sees its own items and everyone's (TSO data); the market operator and TSOs see all;
- every attribute the query item carries filters: a stored item matches when it carries the
  same attribute (at any depth, or as a tag such as the envelope's MarketType) with the same
  value; ``StartTime``/``EndTime`` of the query instead give a period, and items match when
  their period overlaps it;
- without StartTime/EndTime, the envelope's ``Date`` (and ``NumOfDays``) give the period.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any, Protocol

from mms_client.endpoints import ClientType, Interface
from mms_client.jst import format_jst
from mms_client.schema.binding import XmlModel, xml_plan
from mms_client.sim.calls import (
    Call,
    Code,
    Issue,
    ItemResult,
    Outcome,
    XmlDict,
    as_xml_dict,
)
from mms_client.sim.store import NewItem, Store
from mms_client.wire.soap import Attachment

REGISTRATION_SEQUENCE = "registration"
"""The sequence TransactionIds of registration records are numbered from."""
DR_PATTERN_KIND = "DrPattern"
"""The kind DR pattern registrations are stored as (MI items keyed by ResourceName and
PatternNumber, their registration status as the item's status)."""


@dataclass(frozen=True)
class Context:
    """One request being handled: the call and the state."""

    call: Call
    store: Store
    query: XmlDict = field(default_factory=dict)
    """The query item being answered (empty outside queries): a source may read only what
    its filters can match, where reading everything would grow with the state."""

    @property
    def participant(self) -> str:
        return self.call.caller.participant

    @property
    def sees_everything(self) -> bool:
        """The market operator and TSOs see every participant's data."""
        return self.call.caller.client_type in (ClientType.MO, ClientType.TSO)

    @property
    def visible_to(self) -> str | None:
        """Whose data the caller sees besides everyone's (None: every participant's)."""
        return None if self.sees_everything else self.participant

    def may_see(self, owner: str | None) -> bool:
        """Whether the caller may see data kept for ``owner`` (None: everyone's)."""
        return self.sees_everything or owner in (None, self.participant)

    @property
    def is_bsp(self) -> bool:
        return self.call.caller.client_type is ClientType.BSP

    @property
    def now(self) -> str:
        """The time of the request as the MMS writes it."""
        return format_jst(self.call.now.replace(microsecond=0))


Handler = Callable[[Call, Store], Outcome]
"""Runs one checked request against the state (inside one transaction)."""
Check = Callable[[Context, XmlDict], list[Issue]]
"""A business rule: the problems of one item (empty when it is acceptable)."""
Fill = Callable[[Context, XmlDict], None]
"""Adds what the MMS generates to an accepted item (master data, times, ids)."""


class Owner(Enum):
    """Whose a stored item is, which decides who sees it."""

    CALLER = "caller"
    """The participant that submitted it."""
    RESOURCE = "resource"
    """Whoever holds the item's resource (the caller when the item names none)."""
    PARTICIPANT = "participant"
    """The participant the item names in ParticipantName (everyone's when it names none)."""
    EVERYONE = "everyone"
    """Public data such as reserve requirements."""


@dataclass(frozen=True)
class Collection:
    """How the items of one kind are stored (see the module docstring).

    ``key`` names the attributes (of the item, or of its child) that identify a stored unit;
    ``period`` the attributes of its start and end (times, or dates whose end is inclusive);
    ``children`` the child element stored one per row (business rules then judge each
    child); ``market_typed`` that the envelope's MarketType is required and part of the
    identity; ``content`` the attribute naming the attachment that holds the unit's file;
    ``tags`` further values a query may filter by, taken from the request (a standing flag
    from the envelope).  A unit that states a registration status (``RecordStatus``) is
    stored with it as its status.
    """

    kind: str
    interface: Interface
    key: tuple[str, ...]
    owner: Owner = Owner.CALLER
    period: tuple[str, str] | None = ("StartTime", "EndTime")
    children: str | None = None
    market_typed: bool = False
    content: str | None = None
    tags: Callable[[Context], XmlDict] | None = None

    def targets(self, item: XmlDict) -> list[XmlDict]:
        """What business rules judge and complete: the item, or each of its children."""
        return item[self.children] if self.children is not None else [item]

    def issues(self, context: Context, item: XmlDict) -> list[Issue]:
        return standard_issues(context, self, item)

    def keep(self, context: Context, item: XmlDict) -> list[Issue]:
        store_units(context, self, item)
        return []


class Keeper(Protocol):
    """Where a submit's accepted items go: a :class:`Collection`, or master data kept in
    tables of its own (participants, users, resources).  ``key`` names the attributes that
    identify what an item is kept as; ``keep`` stores an item and answers with warnings
    about what storing it changed besides (offers a transfer withdrew), usually none."""

    @property
    def key(self) -> tuple[str, ...]: ...

    def targets(self, item: XmlDict) -> list[XmlDict]: ...

    def issues(self, context: Context, item: XmlDict) -> list[Issue]: ...

    def keep(self, context: Context, item: XmlDict) -> list[Issue]: ...


# --- values -------------------------------------------------------------------------------


_WALL_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
"""A whole-second time as the MMS writes it, and as every time of an item's dict is written
(see :func:`~mms_client.sim.calls.as_xml_dict`): the stored form already."""


def wall_time(value: Any, *, end: bool = False) -> str | None:
    """A stored JST wall-clock string for an attribute value: times as they are, dates as
    the start of their day (an end date as the start of the next: end dates are
    inclusive). The end of the calendar's last day, the usual end date of what has none
    (``9999-12-31``), is no end at all: None, as an absent end."""
    if value is None:
        return None
    text = str(value)
    if len(text) == 10:
        day = _day_after(date.fromisoformat(text), 1 if end else 0)
        return None if day is None else f"{day.isoformat()}T00:00:00"
    if _WALL_TIME.fullmatch(text):
        return text
    return format_jst(datetime.fromisoformat(text))


def _day_after(day: date, days: int) -> date | None:
    """The day ``days`` after ``day``, None past the calendar's last day."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return None


_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def lexical(value: Any) -> str:
    """The XML form of a JSON value, for comparing attribute values of any origin."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and _DATE_TIME.match(value):
        return wall_time(value) or value
    return str(value)


def find(document: Any, name: str) -> Iterable[Any]:
    """Every value of the attribute ``name`` in a stored element, at any depth."""
    if isinstance(document, dict):
        for key, value in document.items():
            if key == name and not isinstance(value, dict | list):
                yield value
            else:
                yield from find(value, name)
    elif isinstance(document, list):
        for value in document:
            yield from find(value, name)


def first(document: XmlDict, name: str) -> Any:
    """The first value of the attribute ``name`` in a stored element, None if it has none."""
    return next(iter(find(document, name)), None)


def item_start(context: Context, item: XmlDict) -> str:
    """When an item takes effect (its StartTime or StartDate, else now): who holds a
    resource is decided as of then."""
    return wall_time(first(item, "StartTime") or first(item, "StartDate")) or context.now


def item_end(item: XmlDict) -> str | None:
    """When an item ends (its EndTime, or the end of its EndDate); None when it names no
    end."""
    return wall_time(first(item, "EndTime") or first(item, "EndDate"), end=True)


def period_text(start: str, end: str | None) -> str:
    """A period as messages name it (its start alone when it has no end)."""
    return start if end is None else f"{start}-{end}"


def offer_ids_text(ids: list[str]) -> str:
    """OfferIds as messages name them: ``OfferId X`` or ``OfferIds X, Y``."""
    return f"OfferId{'s' * (len(ids) > 1)} {', '.join(ids)}"


def validity_period(document: XmlDict) -> tuple[str | None, str | None]:
    """The days a registration record is valid, as a period of JST wall-clock times: from
    the start of its StartDate to the end of its EndDate (open where it names none)."""
    return wall_time(document.get("StartDate")), wall_time(document.get("EndDate"), end=True)


def validity_text(document: XmlDict) -> str:
    """The days a registration record is valid, as messages name them: from its StartDate
    (to its EndDate)."""
    text = f"from {document['StartDate']}"
    return text + f" to {document['EndDate']}" if "EndDate" in document else text


def period_issues(start: datetime, end: datetime) -> list[Issue]:
    """Problems of a delivery period: it must end after it starts, on 30-minute boundaries."""
    issues = []
    if end <= start:
        issues.append(
            Issue(
                Code.PERIOD_INVALID,
                f"EndTime {format_jst(end)} is not after StartTime {format_jst(start)}",
            )
        )
    for name, moment in (("StartTime", start), ("EndTime", end)):
        if moment.minute % 30 or moment.second or moment.microsecond:
            issues.append(
                Issue(
                    Code.PERIOD_INVALID,
                    f"{name} {format_jst(moment)} is not on a 30-minute boundary",
                )
            )
    return issues


def unit_period_issues(period: tuple[str, str], unit: XmlDict) -> list[Issue]:
    """Problems of the period a stored unit names in its ``period`` attributes: times as
    :func:`period_issues` says, dates ending no earlier than they start (the end day is
    inclusive).  A unit naming no end has no period to judge."""
    start, end = (first(unit, name) for name in period)
    if start is None or end is None:
        return []
    if len(str(start)) == 10:  # dates: the end day may be the start day
        if str(end) < str(start):
            return [Issue(Code.PERIOD_INVALID, f"{period[1]} {end} is before {period[0]} {start}")]
        return []
    return period_issues(datetime.fromisoformat(str(start)), datetime.fromisoformat(str(end)))


# --- the rules most submits share -------------------------------------------------------------


def dr_pattern_registered(attribute: str = "DrPatternNumber", *, approved: bool = True) -> Check:
    """The DR pattern the item names (in ``attribute``) is registered for the item's resource
    (and approved, unless ``approved`` is false), and valid for the item's period: a pattern
    is registered for the days from its StartDate to its EndDate.  An item without a pattern
    number passes, and so does one whose resource is not registered: the resource checks
    report that."""

    def check(context: Context, item: XmlDict) -> list[Issue]:
        name, number = first(item, "ResourceName"), first(item, attribute)
        if name is None or number is None or context.store.resource(name) is None:
            return []
        record = context.store.item(DR_PATTERN_KIND, Interface.MI.value, (name, number))
        if record is None:
            return [Issue(Code.DR_PATTERN_UNKNOWN, f"resource {name} has no DR pattern {number}")]
        if approved and record.status != "APPROVED":
            text = f"DR pattern {number} of resource {name} is {record.status}, not APPROVED"
            if record.status == "SUBMITTED":
                text += f" (registration {record.transaction_id} awaits approval)"
            return [Issue(Code.DR_PATTERN_NOT_APPROVED, text)]
        start, end = item_start(context, item), item_end(item)
        if within((record.start_time, record.end_time), start, end):
            return []
        return [
            Issue(
                Code.DR_PATTERN_NOT_VALID,
                f"DR pattern {number} of resource {name} is valid "
                f"{validity_text(record.document)}, not for {period_text(start, end)}",
            )
        ]

    return check


def within(validity: tuple[str | None, str | None], start: str, end: str | None) -> bool:
    """Whether a period lies within a validity [from, until) (either bound may be open); a
    period without an end (an open-ended suspension) is judged by its start."""
    valid_from, valid_until = validity
    if valid_from is not None and start < valid_from:
        return False
    if valid_until is None:
        return True
    return start < valid_until if end is None else end <= valid_until


def distinct(children: str, attribute: str, code: Code) -> Check:
    """The item's ``children`` elements each carry a different ``attribute`` (stack numbers
    of an offer, pattern numbers of a BUP)."""

    def check(context: Context, item: XmlDict) -> list[Issue]:
        numbers = [child[attribute] for child in item[children]]
        repeated = sorted({n for n in numbers if numbers.count(n) > 1})
        if repeated:
            return [Issue(code, f"{attribute} {repeated[0]} is used twice")]
        return []

    return check


def participant_known(attribute: str = "ParticipantName") -> Check:
    """The participant the item names (in ``attribute``) is registered."""

    def check(context: Context, item: XmlDict) -> list[Issue]:
        name = item.get(attribute)
        if name is None or context.store.participant(name) is not None:
            return []
        return [Issue(Code.PARTICIPANT_UNKNOWN, f"participant {name} is not registered")]

    return check


def own_participant(context: Context, item: XmlDict) -> list[Issue]:
    """A BSP may only speak for its own participant."""
    named = item.get("ParticipantName")
    if context.is_bsp and named is not None and named != context.participant:
        return [
            Issue(
                Code.PARTICIPANT_MISMATCH,
                f"participant {context.participant} cannot submit for participant {named}",
            )
        ]
    return []


def resource_master(**names: str) -> Fill:
    """Copies the master data of the item's resource into the item, under the XML names
    given for: ``participant``, ``company``, ``operator``, ``area``, ``short_name``,
    ``system_code``, ``resource_type``."""

    def fill(context: Context, item: XmlDict) -> None:
        name = item.get("ResourceName")
        record = None if name is None else context.store.resource(name)
        if record is None:
            return
        holder = context.store.holder(record, item_start(context, item))
        participant = context.store.participant(holder)
        values = {
            "participant": holder,
            "company": None if participant is None else participant.company_short_name,
            "operator": None if participant is None else participant.operator_code,
            "area": record.area,
            "short_name": record.short_name,
            "system_code": record.system_code,
            "resource_type": record.document.get("ResourceType"),
        }
        for source, target in names.items():
            if values[source] is not None:
                item[target] = values[source]

    return fill


def submission_time(attribute: str = "SubmissionTime") -> Fill:
    def fill(context: Context, item: XmlDict) -> None:
        item[attribute] = context.now

    return fill


def registration_id(context: Context) -> str:
    """A new TransactionId for a registration record (8 letters and digits)."""
    return f"R{context.store.next_value(REGISTRATION_SEQUENCE):07d}"


def new_registration_id(context: Context, item: XmlDict) -> None:
    """Fill: the registration record gets its TransactionId."""
    item["TransactionId"] = registration_id(context)


# --- submits -------------------------------------------------------------------------------


def _units(collection: Collection, item: XmlDict) -> list[XmlDict]:
    """What one item is stored as: itself, or one unit per child (with the parent's
    attributes)."""
    if collection.children is None:
        return [item]
    parent = {k: v for k, v in item.items() if k != collection.children}
    return [{**parent, collection.children: [child]} for child in item[collection.children]]


def attachment_issues(context: Context, names: Iterable[Any]) -> list[Issue]:
    """Every file named must have come as an attachment of that name."""
    return [
        Issue(Code.ATTACHMENT_MISSING, f"no attachment named {name} came with the request")
        for name in names
        if context.call.attachment(str(name)) is None
    ]


def standard_issues(context: Context, collection: Collection, item: XmlDict) -> list[Issue]:
    """What the collection itself demands of an item: a market type where it is part of the
    identity, valid periods, and the attachment of every announced file."""
    issues = []
    if collection.market_typed and getattr(context.call.envelope, "market_type", None) is None:
        issues.append(
            Issue(
                Code.MARKET_TYPE_MISSING,
                f"a {collection.kind} submit needs MarketType on its envelope",
            )
        )
    for unit in _units(collection, item):
        if collection.period is not None:
            issues.extend(unit_period_issues(collection.period, unit))
        if collection.content is not None:
            issues.extend(attachment_issues(context, find(unit, collection.content)))
    return issues


def _owner(
    context: Context, collection: Collection, unit: XmlDict, start: str | None
) -> str | None:
    if collection.owner is Owner.CALLER:
        return context.participant
    if collection.owner is Owner.PARTICIPANT:
        named = first(unit, "ParticipantName")
        return None if named is None else str(named)
    if collection.owner is Owner.RESOURCE:
        resource = first(unit, "ResourceName")
        if resource is None:
            return context.participant
        return context.store.owner(resource, start or context.now)
    return None


def market_type(context: Context) -> str | None:
    value = getattr(context.call.envelope, "market_type", None)
    return None if value is None else str(value.value)


def store_units(
    context: Context,
    collection: Collection,
    item: XmlDict,
    tags: XmlDict | None = None,
    content: bytes | None = None,
) -> None:
    """Stores an accepted item (one row, or one per child).  Its file is the attachment
    the collection's ``content`` attribute names, or ``content`` when the simulator made
    the file itself (a report)."""
    extra = dict(tags or {})
    if collection.tags is not None:
        extra.update(collection.tags(context))
    if collection.market_typed:
        extra["MarketType"] = market_type(context)
    for unit in _units(collection, item):
        start = end = None
        if collection.period is not None:
            start = wall_time(first(unit, collection.period[0]))
            end = wall_time(first(unit, collection.period[1]), end=True)
        if collection.content is not None:
            attachment = context.call.attachment(str(first(unit, collection.content)))
            content = None if attachment is None else attachment.data
        key = tuple(extra.get(name, first(unit, name)) for name in collection.key)
        resource = first(unit, "ResourceName")
        context.store.put_item(
            NewItem(
                kind=collection.kind,
                interface=collection.interface.value,
                key=(extra.get("MarketType"), *key) if collection.market_typed else key,
                document=unit,
                submission_time=context.now,
                participant=_owner(context, collection, unit, start),
                resource=None if resource is None else str(resource),
                start_time=start,
                end_time=end,
                status=unit.get("RecordStatus"),
                transaction_id=unit.get("TransactionId"),
                submitted_by=context.call.caller.user,
                tags=extra,
                content=content,
            )
        )


def companions(call: Call) -> XmlDict:
    """The envelope children that travel with the operation's items (StandingData beside
    BUPs), echoed as they came."""
    echoed: XmlDict = {}
    plan = xml_plan(type(call.envelope))
    for tag in call.operation.companions:
        value = getattr(call.envelope, plan.elements_by_tag[tag].field_name)
        if value is not None:
            echoed[tag] = as_xml_dict(value)
    return echoed


def submit(
    keeper: Keeper,
    checks: Sequence[Check] = (),
    fills: Sequence[Fill] = (),
    *,
    distinct: bool = False,
) -> Handler:
    """The handler of a submit whose items ``keeper`` stores: each item is judged on its
    own (what the keeper demands, and ``checks`` on the item or on each child it is stored
    by), completed by ``fills`` (likewise), stored and echoed.

    With ``distinct``, an item naming the same record (the keeper's ``key``) as an earlier
    item of the request is refused: stored, it would replace the earlier one, whose answer
    (its TransactionId) would then name nothing.  An item that leaves part of its key to
    the MMS (a participant without a name) names no record yet."""

    def handle(call: Call, store: Store) -> Outcome:
        context = Context(call, store)
        results = []
        named: dict[tuple[Any, ...], int] = {}
        for position, model in enumerate(call.items, start=1):
            item = as_xml_dict(model)
            errors = keeper.issues(context, item)
            for target in keeper.targets(item):
                for check in checks:
                    errors.extend(check(context, target))
            if distinct:
                errors.extend(_repeats(keeper.key, item, position, named))
            if errors:
                results.append(ItemResult(item, errors=errors))
                continue
            for target in keeper.targets(item):
                for fill in fills:
                    fill(context, target)
            results.append(ItemResult(item, warnings=keeper.keep(context, item)))
        return Outcome(results, echo=True, companions=companions(call))

    return handle


def _repeats(
    key: tuple[str, ...], item: XmlDict, position: int, named: dict[tuple[Any, ...], int]
) -> list[Issue]:
    """The problem of an item that names the record of an earlier item of the request.
    ``named`` maps each record named so far to the position of the first item naming it;
    the item's record joins it."""
    record = tuple(first(item, name) for name in key)
    if None in record:
        return []
    earlier = named.setdefault(record, position)
    if earlier == position:
        return []
    names = ", ".join(f"{name} {value}" for name, value in zip(key, record, strict=True))
    return [
        Issue(
            Code.RECORD_DUPLICATE,
            f"item {earlier} of this request already names {names}; send each record once",
        )
    ]


# --- queries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One candidate answer of a query: the element as returned, whose it is, its period
    and the tags it may be filtered by."""

    document: XmlDict
    participant: str | None = None
    start: str | None = None
    end: str | None = None
    tags: XmlDict = field(default_factory=dict)


Source = Callable[[Context, tuple[str | None, str | None]], list[Row]]
"""Where a query's candidates come from, given the query's period."""

_PERIOD_ATTRIBUTES = frozenset({"StartTime", "EndTime"})


def query_period(context: Context, query: XmlDict) -> tuple[str | None, str | None]:
    """The period a query asks about: its StartTime/EndTime, else the envelope's Date and
    NumOfDays (unbounded when neither is given)."""
    if "StartTime" in query or "EndTime" in query:
        return wall_time(query.get("StartTime")), wall_time(query.get("EndTime"))
    day = getattr(context.call.envelope, "date", None)
    if day is None:
        return None, None
    days = getattr(context.call.envelope, "days", None) or 1
    end = _day_after(day, days)  # the days after the calendar's last are none: no end
    return wall_time(day.isoformat()), None if end is None else wall_time(end.isoformat())


def filters(query: XmlDict) -> XmlDict:
    """The attributes of a query item that select stored items."""
    return {
        name: value
        for name, value in query.items()
        if name not in _PERIOD_ATTRIBUTES and not isinstance(value, dict | list)
    }


def matches(row: Row, wanted: XmlDict) -> bool:
    for name, value in wanted.items():
        expected = lexical(value)
        if name in row.tags:
            if lexical(row.tags[name]) != expected:
                return False
        elif expected not in {lexical(found) for found in find(row.document, name)}:
            return False
    return True


def overlaps(one: tuple[str | None, str | None], other: tuple[str | None, str | None]) -> bool:
    """Whether two periods (either bound may be open) share a moment."""
    (start, end), (other_start, other_end) = one, other
    return (other_end is None or start is None or start < other_end) and (
        other_start is None or end is None or end > other_start
    )


def select(context: Context, source: Source, query: XmlDict) -> list[Row]:
    """The rows of ``source`` the caller may see that match ``query``."""
    period = query_period(context, query)
    wanted = filters(query)
    return [
        row
        for row in source(replace(context, query=query), period)
        if context.may_see(row.participant)
        and overlaps((row.start, row.end), period)
        and matches(row, wanted)
    ]


def stored(collection: Collection, *, own: bool = False) -> Source:
    """The rows of a collection (a BSP's own and the public ones, unless it sees all; with
    ``own``, the caller's own and the public ones whatever its role)."""

    def rows(context: Context, period: tuple[str | None, str | None]) -> list[Row]:
        records = context.store.items(
            collection.kind,
            collection.interface.value,
            visible_to=context.participant if own else context.visible_to,
            period=period,
        )
        return [
            Row(
                record.document, record.participant, record.start_time, record.end_time, record.tags
            )
            for record in records
        ]

    return rows


def grouped(documents: Iterable[XmlDict], children: str) -> list[XmlDict]:
    """Rows stored one per child, put back together per parent (in first-seen order)."""
    groups: dict[str, XmlDict] = {}
    for document in documents:
        parent = {k: v for k, v in document.items() if k != children}
        signature = json.dumps(parent, sort_keys=True, ensure_ascii=False)
        group = groups.setdefault(signature, {**parent, children: []})
        group[children].extend(document[children])
    return list(groups.values())


def answer(context: Context, query: XmlDict, documents: list[XmlDict]) -> Outcome:
    """A query's answer: the documents themselves, or, where the answer sits inside the
    query element, the query echoed around them: directly (``SwitchQuery/
    SwitchQueryResults``) or inside the response element
    (``AwardResultsQuery/AwardResultsQueryResponse/AwardResults``)."""
    operation = context.call.operation
    child = operation.response.child
    if child is None:
        return Outcome([ItemResult(document) for document in documents], echo=False)
    echoed = {k: v for k, v in query.items() if not isinstance(v, dict | list)}
    binding = xml_plan(operation.payload_model).elements_by_tag[child]
    if binding.is_list or binding.model is None:
        return Outcome([ItemResult({**echoed, child: documents})], echo=False)
    inner = next(e for e in xml_plan(binding.model).elements if e.is_list and e.tag != "Messages")
    return Outcome([ItemResult({**echoed, child: {inner.tag: documents}})], echo=False)


def query(source: Source, children: str | None = None) -> Handler:
    """The handler of a query answered from ``source`` (see the module docstring); rows
    stored one per child are put back together under ``children``.  Several query items
    (registration queries take a list) answer with the union of their matches."""

    def handle(call: Call, store: Store) -> Outcome:
        context = Context(call, store)
        seen: set[str] = set()
        documents: list[XmlDict] = []
        query_item: XmlDict = {}
        for model in call.items:
            query_item = as_xml_dict(model)
            for row in select(context, source, query_item):
                signature = json.dumps(row.document, sort_keys=True, ensure_ascii=False)
                if signature not in seen:
                    seen.add(signature)
                    documents.append(row.document)
        if children is not None:
            documents = grouped(documents, children)
        return answer(context, query_item, documents)

    return handle


def stored_query(collection: Collection) -> Handler:
    """The query of what ``collection`` holds."""
    return query(stored(collection), collection.children)


def download(collection: Collection) -> Handler:
    """A file download query: each ``File`` it names (by ``Name``) comes back with its
    stored metadata, and its bytes as an attachment of the same name; a file the caller may
    not see does not exist for it."""

    def handle(call: Call, store: Store) -> Outcome:
        context = Context(call, store)
        results = []
        attachments = []
        for model in call.items:
            item = as_xml_dict(model)
            errors = []
            files = []
            for wanted in item["File"]:
                record = store.item(collection.kind, collection.interface.value, (wanted["Name"],))
                if record is None or not context.may_see(record.participant):
                    errors.append(
                        Issue(Code.FILE_NOT_FOUND, f"there is no file {wanted['Name']} for you")
                    )
                    files.append(wanted)
                    continue
                (kept,) = record.document[str(collection.children)]
                files.append(kept)
                attachments.append(Attachment(kept["Name"], store.item_content(record.id)))
            item["File"] = files
            results.append(ItemResult(item, errors=errors))
        found = () if any(not r.ok for r in results) else tuple(attachments)
        return Outcome(results, echo=True, attachments=found)

    return handle


def known(model: type[XmlModel], data: XmlDict) -> XmlDict:
    """``data`` without the entries ``model`` has no attribute or child element for (derived
    data is built as a superset and cut to the element it fills)."""
    plan = xml_plan(model)
    return {
        name: value
        for name, value in data.items()
        if value is not None and (name in plan.attribute_names or name in plan.elements_by_tag)
    }
