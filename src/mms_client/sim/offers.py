"""The offer operations: submit (``MarketSubmit_OfferData``), query (``MarketQuery_OfferQuery``)
and cancel (``MarketCancel_OfferCancel``).

The rules are the ones a BSP meets at the MMS: an offer names an approved resource the
submitting participant holds for the offer's whole period (:mod:`~mms_client.sim.holding`,
which also withdraws the previous holder's offers at a transfer, so that the live offers of
a resource are always its holder's), and a DR pattern it names (DrPatternNumber) is an
approved one of that resource; its period ends after it starts and runs on 30-minute
boundaries; stack numbers are unique within the offer.  A stack's minimum quantity is within
the largest quantity it offers, and the stacks offer only commodities the resource is
registered for, together no more of each than its registered maximum supply quantity; a
stack that offers nothing is accepted with a warning.  A new offer for a
resource, market and period that already has a live offer replaces it (the stacks keep their
OfferIds by stack number) and says so in a warning; one that overlaps a live offer of the
resource and market in any other way is refused, so a resource never has two offers for one
block.  Each item is judged on its own, in order, and stored once accepted, so one request
may be partly accepted and its items meet each other as they meet earlier offers.  The MMS
adds the participant's and resource's master data (company short name, operator code, area,
resource short name, system code), the submission time and an OfferId per stack.

A query (the generic query of :mod:`~mms_client.sim.records`, over the live offers) returns
the stored offers whose period overlaps the envelope's Date and NumOfDays, filtered by market
type and, optionally, resource and area: a BSP sees its own offers, the market operator and
TSOs see everyone's.  A cancel names the resource, market type and exact period of a live
offer.

Offers keep tables of their own (rather than being generic items) because the rules look
them up by resource, market and exact period, and clearing reads them by market, area and
time.
"""

from __future__ import annotations

import json
from typing import Any, cast

from mms_client.endpoints import Interface
from mms_client.jst import format_jst
from mms_client.schema.generated.mi_market import OfferCancel, OfferData
from mms_client.sim.calls import Call, Code, Issue, ItemResult, Outcome, XmlDict, as_xml_dict
from mms_client.sim.clearing import COMMODITIES, Commodity
from mms_client.sim.holding import resource_held
from mms_client.sim.records import (
    Context,
    Handler,
    Row,
    distinct,
    dr_pattern_registered,
    lexical,
    market_type,
    offer_ids_text,
    period_issues,
    query,
    resource_master,
)
from mms_client.sim.store import NewOffer, Store

OFFER_ID_SEQUENCE = "offer_id"

_MASTER_DATA = resource_master(
    participant="BspParticipantName",
    company="CompanyShortName",
    operator="OperatorCode",
    area="Area",
    short_name="ResourceShortName",
    system_code="SystemCode",
)


def offer_id(number: int) -> str:
    """The OfferId of the ``number``-th offer stack the simulator stores."""
    return f"OFR{number:010d}"


_DISTINCT_STACKS = distinct("OfferStack", "StackNumber", Code.STACK_DUPLICATE)


def _offered(stack: XmlDict) -> dict[Commodity, int]:
    """The quantities a stack offers, by commodity: those above 0 (a quantity of 0, or none,
    offers nothing of the commodity)."""
    quantities = {c: int(stack.get(c.offer_attribute, 0)) for c in COMMODITIES}
    return {commodity: kw for commodity, kw in quantities.items() if kw > 0}


Offered = list[tuple[Any, dict[Commodity, int]]]
"""What each stack of an offer offers, with its StackNumber, in the offer's order (see
:func:`_offered`); a list, since two stacks may share a number (which is refused apart)."""


def _stacks(numbers: list[Any]) -> str:
    """``OfferStack 1 offers``, ``OfferStacks 1, 2 offer``: the subject of a message."""
    several = len(numbers) > 1
    return f"OfferStack{'s' * several} {', '.join(map(str, numbers))} offer{'s' * (not several)}"


def _empty_stacks(offered: Offered) -> list[Issue]:
    """A stack that offers nothing can never be awarded.  It is told so, not refused: the
    documented example of the compatible API submits exactly such a stack, and it must keep
    working against the simulator."""
    empty = [number for number, quantities in offered if not quantities]
    if not empty:
        return []
    attributes = ", ".join(c.offer_attribute for c in COMMODITIES)
    return [
        Issue(
            Code.STACK_EMPTY,
            f"{_stacks(empty)} no quantity (none of {attributes} is above 0), so "
            f"{'they' if len(empty) > 1 else 'it'} can never be awarded",
        )
    ]


def _minimum_reachable(item: XmlDict, offered_by: Offered) -> list[Issue]:
    """A stack's MinimumQuantityInKw is at most the largest quantity it offers: clearing
    awards each commodity on its own and skips an award below the minimum, so a stack whose
    minimum is above all it offers could never be awarded anything."""
    issues = []
    for stack, (_, offered) in zip(item["OfferStack"], offered_by, strict=True):
        if not offered:
            continue  # _empty_stacks tells of it
        minimum = int(stack["MinimumQuantityInKw"])
        largest = max(offered, key=offered.__getitem__)
        if minimum > offered[largest]:
            issues.append(
                Issue(
                    Code.MINIMUM_ABOVE_OFFER,
                    f"OfferStack {stack['StackNumber']}: MinimumQuantityInKw {minimum} is more "
                    f"than the largest quantity it offers ({largest.offer_attribute} "
                    f"{offered[largest]}), so no award could reach it",
                )
            )
    return issues


def _within_registration(context: Context, item: XmlDict, offered: Offered) -> list[Issue]:
    """What the stacks offer agrees with the registration of the resource (the record in
    force): no commodity it is registered without (``Pri``... false), and of each commodity
    no more, all stacks together, than its ``...MaximumSupplyQuantity`` (kW, as the offer):
    clearing may award every stack of the offer in the same block.  What the registration
    does not state is not judged."""
    name = item["ResourceName"]
    record = context.store.resource(name)
    if record is None:
        return []
    registered = record.document
    issues = []
    for commodity in COMMODITIES:
        offering = [(n, kw[commodity]) for n, kw in offered if commodity in kw]
        if not offering:
            continue
        stacks = _stacks([number for number, _ in offering])
        total = sum(kw for _, kw in offering)
        maximum = registered.get(f"{commodity.registration}MaximumSupplyQuantity")
        if registered.get(commodity.registration) is False:
            issues.append(
                Issue(
                    Code.COMMODITY_NOT_REGISTERED,
                    f"{stacks} {commodity.offer_attribute}, but resource {name} is registered "
                    f"without it ({commodity.registration} false)",
                )
            )
        elif maximum is not None and total > int(maximum):
            issues.append(
                Issue(
                    Code.CAPACITY_EXCEEDED,
                    f"{stacks} {commodity.offer_attribute} {total} in all, more than resource "
                    f"{name}'s registered {commodity.registration}MaximumSupplyQuantity {maximum}",
                )
            )
    return issues


def _overlapping(store: Store, resource: str, market: str, start: str, end: str) -> list[Issue]:
    """An offer may not overlap another live offer of the same resource and market (one for
    exactly its period it replaces instead): clearing awards every offer covering a block, so
    overlapping offers would sell the same capacity of one resource several times over."""
    issues = []
    for other in store.offers(
        market_type=market, period_start=start, period_end=end, resource=resource
    ):
        if (other.start_time, other.end_time) == (start, end):
            continue
        ids = sorted(store.stack_offer_ids(other.id).values())
        issues.append(
            Issue(
                Code.OFFER_OVERLAP,
                f"the offer for {start}-{end} overlaps the live {market} offer on {resource} "
                f"for {other.start_time}-{other.end_time} ({offer_ids_text(ids)}, "
                f"submitted at {other.submission_time}); cancel that offer "
                "first, or submit exactly its period to replace it",
            )
        )
    return issues


def put_offers(call: Call, store: Store) -> Outcome:
    context = Context(call, store)
    market = market_type(context)
    results = []
    for offer in cast(list[OfferData], call.items):
        item = as_xml_dict(offer)
        start, end = format_jst(offer.start), format_jst(offer.end)
        offered = [(stack["StackNumber"], _offered(stack)) for stack in item["OfferStack"]]
        not_held = resource_held()(context, item)
        errors = not_held + dr_pattern_registered()(context, item)
        errors += period_issues(offer.start, offer.end)
        errors += _DISTINCT_STACKS(context, item)
        errors += _minimum_reachable(item, offered)
        if not not_held:
            # The registration of a resource the caller does not hold is none of its business.
            errors += _within_registration(context, item, offered)
        warnings = _empty_stacks(offered)
        if market is None:
            errors.append(
                Issue(Code.MARKET_TYPE_MISSING, "an offer submit needs MarketType on MarketSubmit")
            )
        elif not errors:
            # Only a valid offer can be weighed against the live ones; the items of one request
            # are stored as they are accepted, so a later item meets the earlier ones here too.
            errors = _overlapping(store, offer.resource, market, start, end)
        if errors or market is None:
            results.append(ItemResult(item, errors=errors, warnings=warnings))
            continue

        replaced = store.active_offer(offer.resource, market, start, end)
        known_ids = {} if replaced is None else store.stack_offer_ids(replaced.id)
        offer_ids = {
            stack.number: known_ids.get(stack.number)
            or offer_id(store.next_value(OFFER_ID_SEQUENCE))
            for stack in offer.stack
        }
        _MASTER_DATA(context, item)
        item["SubmissionTime"] = context.now
        for stack in item["OfferStack"]:
            stack["OfferId"] = offer_ids[stack["StackNumber"]]
        store.put_offer(
            NewOffer(
                participant=item["BspParticipantName"],
                resource=offer.resource,
                market_type=market,
                start_time=start,
                end_time=end,
                submitted_by=call.caller.user,
                submission_time=context.now,
                document=json.dumps(item, ensure_ascii=False),
            ),
            offer_ids,
        )
        if replaced is not None:
            warnings.append(
                Issue(
                    Code.OFFER_REPLACED,
                    f"replaces the offer on {offer.resource} for {start}-{end} submitted at "
                    f"{replaced.submission_time}",
                )
            )
        results.append(ItemResult(item, warnings=warnings))
    return Outcome(results, echo=True)


def _live_offers(context: Context, period: tuple[str | None, str | None]) -> list[Row]:
    """The live offers the caller may see overlapping the period of the query (the
    envelope's Date and NumOfDays, which MarketQuery requires), with their market type; of
    the market type and resource the query names, which the stored offers' own columns
    tell, so that a query on one resource does not read the documents of every offer of
    the participant's resources in the period."""
    start, end = period
    market, resource = (context.query.get(name) for name in ("MarketType", "ResourceName"))
    return [
        Row(
            json.loads(record.document),
            record.participant,
            record.start_time,
            record.end_time,
            {"MarketType": record.market_type},
        )
        for record in context.store.offers(
            market_type=None if market is None else lexical(market),
            period_start=str(start),
            period_end=str(end),
            participant=context.visible_to,
            resource=None if resource is None else lexical(resource),
        )
    ]


def cancel_offers(call: Call, store: Store) -> Outcome:
    context = Context(call, store)
    results = []
    for cancel in cast(list[OfferCancel], call.items):
        item = as_xml_dict(cancel)
        errors = resource_held(approved=False)(context, item)
        if not errors:
            start, end = format_jst(cancel.start), format_jst(cancel.end)
            live = store.active_offer(cancel.resource, cancel.market_type.value, start, end)
            if live is None:
                errors.append(
                    Issue(
                        Code.OFFER_NOT_FOUND,
                        f"no live {cancel.market_type.value} offer on {cancel.resource} "
                        f"for {start}-{end}",
                    )
                )
            else:
                store.cancel_offer(live.id, context.now)
        results.append(ItemResult(item, errors=errors))
    return Outcome(results, echo=True)


HANDLERS: dict[tuple[Interface, str], Handler] = {
    (Interface.MI, "MarketSubmit_OfferData"): put_offers,
    (Interface.MI, "MarketQuery_OfferQuery"): query(_live_offers),
    (Interface.MI, "MarketCancel_OfferCancel"): cancel_offers,
}
"""The offer operations, by interface and name."""
