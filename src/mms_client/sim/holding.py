"""Who holds a resource when, and when it may be traded: the one answer every rule,
query, report and award that depends on it uses.

A resource is held by the participant that registered it until a transfer
(``RegistrationSubmit_ResourceTransfer``) hands it to another participant from the transfer's
StartDate; :meth:`~mms_client.sim.store.Store.holdings` says who holds it over a period.
From that:

- data submitted on a resource (offers and their cancels, BUPs, baseline files, remaining
  reserve, DR patterns, switch destinations) must come from the participant that holds it
  for the whole of the item's period (``E_RESOURCE_NOT_OWNED``, naming who holds it and
  since when); an item without an end is judged by its start;
- what the market operator and TSOs record about a resource names the participant that
  holds it when the record starts;
- queries and reports of resources show the resources registered on their Date, each to
  the participant that holds it then, named as its participant (:func:`resources_held`);
- at a transfer, the live offers of the previous holder on the resource for periods it no
  longer holds it are withdrawn, and the transfer's answer says which
  (``W_OFFER_WITHDRAWN``).  So the live offers of a resource are always its holder's: an
  offer of the new holder never replaces one of the previous holder's, and clearing awards
  what the holder offered.  So are its BUPs, baseline load files and remaining reserve
  (``W_DATA_WITHDRAWN``): the previous holder could neither change nor cancel them any
  more, and the new holder's queries would not find them.  The MMS documents no such
  rule; it is this simulator's inference from the rule that data on a resource comes from
  its holder.

A resource may be traded for a period (offered, and the other data submitted on it for a
period; contracted off-market; cleared) when, throughout the period,

- the period is within the resource's registration in force, from the start of its
  StartDate to the end of its EndDate (``E_RESOURCE_NOT_VALID``);
- no validity registration (``RegistrationSubmit_ResourceValidity``) makes the resource
  DEREGISTERED (``E_RESOURCE_NOT_VALID``), and none
  (``RegistrationSubmit_ParticipantValidity``) makes its holder DEREGISTERED
  (``E_PARTICIPANT_NOT_VALID``).

Validity registrations may overlap: on any day, of those covering it, the one with the
latest StartDate is in force; a day none covers is as registered.  Clearing leaves out the
offers of a resource that may not be traded for the block, as it leaves out a suspended
one, so that a deregistration reaches the offers made before it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from mms_client.endpoints import Interface
from mms_client.sim.calls import Code, Issue, XmlDict
from mms_client.sim.records import (
    Check,
    Collection,
    Context,
    Row,
    Source,
    first,
    item_end,
    item_start,
    offer_ids_text,
    overlaps,
    period_text,
    validity_period,
    validity_text,
    within,
)
from mms_client.sim.store import Holding, ItemRecord, ResourceRecord, Store

RESOURCE_VALIDITY_KIND = "ResourceValidity"
"""The kind resource validity registrations are stored as (MI items of the resource)."""
PARTICIPANT_VALIDITY_KIND = "ParticipantValidity"
"""The kind participant validity registrations are stored as (MI items of the
participant)."""
_MI = Interface.MI.value
_OPEN_END = "9999-12-31T00:00:00"
"""A JST wall-clock time after every period, for "from then on"."""


def holding_issues(
    store: Store, name: str, participant: str, start: str, end: str | None
) -> list[Issue]:
    """Why ``participant`` does not hold resource ``name`` throughout [start, end) (at
    ``start`` when ``end`` is None): who holds it instead, and since when."""
    return _not_held(store.holdings(name, start, end), name, participant, start, end)


def _not_held(
    holdings: list[Holding], name: str, participant: str, start: str, end: str | None
) -> list[Issue]:
    """:func:`holding_issues` of the resource's ``holdings`` over the period."""
    other = next((h for h in holdings if h.participant != participant), None)
    if other is None:
        return []
    since = "since its registration" if other.since is None else f"from {other.since[:10]}"
    return [
        Issue(
            Code.RESOURCE_NOT_OWNED,
            f"resource {name} is held by participant {other.participant} {since}, not by "
            f"{participant}, for {period_text(start, end)}",
        )
    ]


def _validity_issues(
    store: Store,
    record: ResourceRecord,
    holdings: list[Holding],
    start: str,
    end: str | None,
    validities: list[ItemRecord] | None,
) -> list[Issue]:
    """Why the resource ``record``, held by ``holdings`` over the period, may not be traded
    for [start, end) (at ``start`` when ``end`` is None) whoever holds it: the period is
    outside its registration, or a validity registration makes it, or its holder then,
    DEREGISTERED (``validities``: :func:`participant_validities` of the period, read here
    when not given)."""
    name, issues = record.name, []
    if not within(validity_period(record.document), start, end):
        issues.append(
            Issue(
                Code.RESOURCE_NOT_VALID,
                f"resource {name} is registered {validity_text(record.document)}, not for "
                f"{period_text(start, end)}",
            )
        )
    its_own = store.items(RESOURCE_VALIDITY_KIND, _MI, resource=name, period=(start, end))
    deregistered = _deregistered(its_own, "ResourceState", start, end)
    if deregistered is not None:
        issues.append(
            Issue(
                Code.RESOURCE_NOT_VALID,
                f"resource {name} is DEREGISTERED {validity_text(deregistered.document)} "
                f"(validity registration {deregistered.transaction_id}), so not for "
                f"{period_text(start, end)}",
            )
        )
    participants = participant_validities(store, start, end) if validities is None else validities
    for participant in dict.fromkeys(h.participant for h in holdings):
        own = [validity for validity in participants if validity.participant == participant]
        deregistered = _deregistered(own, "ParticipantState", start, end)
        if deregistered is not None:
            issues.append(
                Issue(
                    Code.PARTICIPANT_NOT_VALID,
                    f"participant {participant}, holding resource {name}, is DEREGISTERED "
                    f"{validity_text(deregistered.document)} (validity registration "
                    f"{deregistered.transaction_id}), so not for {period_text(start, end)}",
                )
            )
    return issues


def _deregistered(
    validities: list[ItemRecord], state: str, start: str, end: str | None
) -> ItemRecord | None:
    """The validity registration in force at some moment of [start, end) (at ``start``
    when ``end`` is None) that says DEREGISTERED (in its attribute ``state``), if there is
    one.  What is in force changes only where a registration starts or ends, so those
    moments (and ``start``) are the ones to look at; ``validities`` are those overlapping
    the period."""
    moments = {start}
    if end is not None:
        moments |= {
            moment
            for validity in validities
            for moment in (validity.start_time, validity.end_time)
            if moment is not None and start < moment < end
        }
    for moment in sorted(moments):
        covering = [
            validity
            for validity in validities
            if within((validity.start_time, validity.end_time), moment, None)
        ]
        if covering:
            in_force = max(covering, key=lambda validity: (validity.start_time or "", validity.id))
            if in_force.document[state] == "DEREGISTERED":
                return in_force
    return None


def participant_validities(store: Store, start: str, end: str | None) -> list[ItemRecord]:
    """The validity registrations of every participant overlapping [start, end): the same
    for every resource traded then, so read once for all the offers of a block."""
    return store.items(PARTICIPANT_VALIDITY_KIND, _MI, period=(start, end))


def trading_issues(
    store: Store,
    record: ResourceRecord,
    participant: str | None,
    start: str,
    end: str | None,
    validities: list[ItemRecord] | None = None,
) -> list[Issue]:
    """Why the resource ``record`` may not be traded for [start, end) by ``participant``
    (None: by whoever holds it): ``participant`` does not hold it then, or it may not be
    traded then at all (``validities``: :func:`participant_validities` of the period, where
    the caller has read them)."""
    holdings = store.holdings(record.name, start, end)
    if participant is not None:
        issues = _not_held(holdings, record.name, participant, start, end)
        if issues:
            return issues
    return _validity_issues(store, record, holdings, start, end, validities)


def resources_held(
    store: Store, period: tuple[str | None, str | None], now: str, status: str | None = None
) -> list[tuple[ResourceRecord, str]]:
    """The resources (of one registration status, if given) whose registration covers some
    of ``period`` (every one, when the period is open), each with the participant holding it
    at the period's start (at ``now`` when it has none): what the resource query and the
    resource list reports show, and to whom, so that both list the same resources for a
    day."""
    on = period[0] or now
    return [
        (record, store.holder(record, on))
        for record in store.resources(status)
        if overlaps(validity_period(record.document), period)
    ]


def held_on_query_date(collection: Collection) -> Source:
    """The records of ``collection``, registrations made for a resource that stay in force
    across a transfer (DR patterns), each shown to the participant holding the resource on
    the query's Date (today without one) and naming it as its ParticipantName: the rule of
    the resources themselves (:func:`resources_held`), so that a resource and its DR
    patterns are shown to the same participant."""

    def rows(context: Context, period: tuple[str | None, str | None]) -> list[Row]:
        on = period[0] or context.now
        owners: dict[str, str | None] = {}  # a resource's records share its holder: read once
        found = []
        for record in context.store.items(
            collection.kind, collection.interface.value, period=period
        ):
            resource = str(record.resource)
            if resource not in owners:
                owners[resource] = context.store.owner(resource, on)
            holder = owners[resource] or record.participant
            found.append(
                Row(
                    {**record.document, "ParticipantName": holder},
                    holder,
                    record.start_time,
                    record.end_time,
                    record.tags,
                )
            )
        return found

    return rows


def resource_held(attribute: str = "ResourceName", *, approved: bool = True) -> Check:
    """The item's resource is registered and held by the caller for the whole of the item's
    period; unless ``approved`` is false (a cancel), it is also approved and may be traded
    for the period.  An item without the attribute passes."""
    return _resource_check(attribute, approved=approved, held=True)


def resource_registered(attribute: str = "ResourceName") -> Check:
    """The item's resource is registered, to anyone, approved and may be traded for the
    item's period (what a TSO's off-market contract needs)."""
    return _resource_check(attribute, approved=True, held=False)


def _resource_check(attribute: str, *, approved: bool, held: bool) -> Check:
    """The check of :func:`resource_held` (``held``) and :func:`resource_registered`."""

    def check(context: Context, item: XmlDict) -> list[Issue]:
        name = first(item, attribute)
        if name is None:
            return []
        record = context.store.resource(name)
        issues = _registration_issues(record, name, approved=approved)
        if record is None or issues:
            return issues
        start, end = item_start(context, item), item_end(item)
        if not approved:  # a cancel, by whoever holds the resource
            return holding_issues(context.store, name, context.participant, start, end)
        holder = context.participant if held else None
        return trading_issues(context.store, record, holder, start, end)

    return check


def _registration_issues(
    record: ResourceRecord | None, name: str, *, approved: bool
) -> list[Issue]:
    if record is None:
        return [Issue(Code.RESOURCE_UNKNOWN, f"resource {name} is not registered")]
    if approved and record.status != "APPROVED":
        return [
            Issue(
                Code.RESOURCE_NOT_APPROVED,
                f"resource {name} is {record.status}, not APPROVED (registration "
                f"{record.transaction_id} awaits approval)",
            )
        ]
    return []


def resource_of_named_participant(context: Context, item: XmlDict) -> list[Issue]:
    """The resource the item names is held, when the item starts, by the participant the
    item names (what the market operator and TSOs state about a participant's resource)."""
    name, participant = item["ResourceName"], item["ParticipantName"]
    if context.store.resource(name) is None:
        return [Issue(Code.RESOURCE_UNKNOWN, f"resource {name} is not registered")]
    return holding_issues(context.store, name, participant, item_start(context, item), None)


def withdraw_unheld_offers(context: Context, resource: str, since: str) -> list[Issue]:
    """After a transfer of ``resource`` that takes effect at ``since``: withdraws the live
    offers on it from then on whose participant no longer holds it for their whole period,
    and answers with a warning per participant naming the offers withdrawn."""
    store = context.store
    withdrawn: dict[str, list[str]] = {}
    for offer in store.offers(
        market_type=None, period_start=since, period_end=_OPEN_END, resource=resource
    ):
        if holding_issues(store, resource, offer.participant, offer.start_time, offer.end_time):
            store.cancel_offer(offer.id, context.now)
            ids = withdrawn.setdefault(offer.participant, [])
            ids.extend(sorted(store.stack_offer_ids(offer.id).values()))
    return _withdrawal_warnings(
        Code.OFFER_WITHDRAWN, resource, since, "live offers", withdrawn, offer_ids_text
    )


def withdraw_unheld_data(
    context: Context, resource: str, since: str, collections: Iterable[Collection]
) -> list[Issue]:
    """After a transfer of ``resource`` that takes effect at ``since``: withdraws what the
    ``collections`` hold on it from then on for a participant that no longer holds it for
    the item's whole period, which that participant could neither change nor cancel any
    more, and answers with a warning per participant naming what was withdrawn."""
    store = context.store
    withdrawn: dict[str, list[str]] = {}
    for collection in collections:
        for item in store.items(
            collection.kind,
            collection.interface.value,
            resource=resource,
            period=(since, None),
        ):
            if item.participant is None or item.start_time is None:
                continue
            if holding_issues(store, resource, item.participant, item.start_time, item.end_time):
                store.delete_item(item.id)
                withdrawn.setdefault(item.participant, []).append(
                    f"{collection.kind} {period_text(item.start_time, item.end_time)}"
                )
    return _withdrawal_warnings(Code.DATA_WITHDRAWN, resource, since, "data", withdrawn, ", ".join)


def _withdrawal_warnings(
    code: Code,
    resource: str,
    since: str,
    what: str,
    withdrawn: dict[str, list[str]],
    named: Callable[[list[str]], str],
) -> list[Issue]:
    """A warning per participant of ``withdrawn`` (participant: what of theirs was
    withdrawn), naming it as ``named`` writes a list of it."""
    return [
        Issue(
            code,
            f"participant {participant} no longer holds resource {resource} from {since[:10]}: "
            f"its {what} on it from then on are withdrawn ({named(items)})",
        )
        for participant, items in withdrawn.items()
    ]
