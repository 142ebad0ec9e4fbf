"""Who holds a resource when: the one answer every rule, query, report and award that
depends on it uses.

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
- queries and reports of resources show each resource to, and name as its participant, the
  one that holds it on their Date;
- at a transfer, the live offers of the previous holder on the resource for periods it no
  longer holds it are withdrawn, and the transfer's answer says which
  (``W_OFFER_WITHDRAWN``).  So the live offers of a resource are always its holder's: an
  offer of the new holder never replaces one of the previous holder's, and clearing awards
  what the holder offered.
"""

from __future__ import annotations

from mms_client.sim.calls import Code, Issue, XmlDict
from mms_client.sim.records import Check, Context, first, item_end, item_start, period_text
from mms_client.sim.store import ResourceRecord, Store

_OPEN_END = "9999-12-31T00:00:00"
"""A JST wall-clock time after every period, for "from then on"."""


def holding_issues(
    store: Store, name: str, participant: str, start: str, end: str | None
) -> list[Issue]:
    """Why ``participant`` does not hold resource ``name`` throughout [start, end) (at
    ``start`` when ``end`` is None): who holds it instead, and since when."""
    other = next(
        (h for h in store.holdings(name, start, end) if h.participant != participant), None
    )
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


def resource_held(attribute: str = "ResourceName", *, approved: bool = True) -> Check:
    """The item's resource is registered (and approved, unless ``approved`` is false) and
    held by the caller for the whole of the item's period.  An item without the attribute
    passes."""

    def check(context: Context, item: XmlDict) -> list[Issue]:
        name = first(item, attribute)
        if name is None:
            return []
        issues = _registration_issues(context.store.resource(name), name, approved=approved)
        if issues:
            return issues
        start, end = item_start(context, item), item_end(item)
        return holding_issues(context.store, name, context.participant, start, end)

    return check


def resource_registered(attribute: str = "ResourceName") -> Check:
    """The item's resource is registered, to anyone, and approved (what a TSO's off-market
    contract needs)."""

    def check(context: Context, item: XmlDict) -> list[Issue]:
        name = first(item, attribute)
        if name is None:
            return []
        return _registration_issues(context.store.resource(name), name, approved=True)

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


def holder(store: Store, record: ResourceRecord, on: str) -> str:
    """Who holds the registered resource ``record`` on the JST time ``on``."""
    return store.owner(record.name, on) or record.participant


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
    return [
        Issue(
            Code.OFFER_WITHDRAWN,
            f"participant {participant} no longer holds resource {resource} from {since[:10]}: "
            f"its live offers on it from then on are withdrawn (OfferId"
            f"{'s' * (len(ids) > 1)} {', '.join(ids)})",
        )
        for participant, ids in withdrawn.items()
    ]
