"""The offer operations: submit (``MarketSubmit_OfferData``), query (``MarketQuery_OfferQuery``)
and cancel (``MarketCancel_OfferCancel``).

The rules are the ones a BSP meets at the MMS: an offer names an approved resource the
submitting participant holds when the offer starts; its period ends after it starts and runs
on 30-minute boundaries; stack numbers are unique within the offer.  A new offer for a
resource, market and period that already has a live offer replaces it (the stacks keep their
OfferIds by stack number) and says so in a warning.  Each item is judged on its own, so one
request may be partly accepted.  The MMS adds the participant's and resource's master data
(company short name, operator code, area, resource short name, system code), the submission
time and an OfferId per stack.

A query returns the stored offers whose period overlaps the envelope's Date and NumOfDays,
filtered by market type and, optionally, resource and area: a BSP sees its own offers, the
market operator and TSOs see everyone's.  A cancel names the resource, market type and exact
period of a live offer.

Offers keep tables of their own (rather than being generic items) because the rules look
them up by resource, market and exact period, and clearing reads them by market, area and
time.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import cast

from mms_client.endpoints import Interface
from mms_client.jst import format_jst
from mms_client.schema.generated.mi_market import (
    MarketQuery,
    MarketSubmit,
    OfferCancel,
    OfferData,
    OfferQuery,
)
from mms_client.sim.calls import Call, Code, Issue, ItemResult, Outcome, as_xml_dict
from mms_client.sim.records import Context, Handler, period_issues, resource_held, resource_master
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


def _day_start(day: date) -> str:
    return f"{day.isoformat()}T00:00:00"


def put_offers(call: Call, store: Store) -> Outcome:
    context = Context(call, store)
    envelope = cast(MarketSubmit, call.envelope)
    market_type = None if envelope.market_type is None else envelope.market_type.value
    results = []
    for offer in cast(list[OfferData], call.items):
        item = as_xml_dict(offer)
        errors = resource_held()(context, item)
        errors += period_issues(offer.start, offer.end)
        numbers = [stack.number for stack in offer.stack]
        duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
        if duplicates:
            errors.append(Issue(Code.STACK_DUPLICATE, f"StackNumber {duplicates[0]} is used twice"))
        if market_type is None:
            errors.append(
                Issue(Code.MARKET_TYPE_MISSING, "an offer submit needs MarketType on MarketSubmit")
            )
        if errors or market_type is None:
            results.append(ItemResult(item, errors=errors))
            continue

        start, end = format_jst(offer.start), format_jst(offer.end)
        replaced = store.active_offer(offer.resource, market_type, start, end)
        known_ids = {} if replaced is None else store.stack_offer_ids(replaced.id)
        offer_ids = {
            number: known_ids.get(number) or offer_id(store.next_value(OFFER_ID_SEQUENCE))
            for number in numbers
        }
        _MASTER_DATA(context, item)
        item["SubmissionTime"] = context.now
        for stack in item["OfferStack"]:
            stack["OfferId"] = offer_ids[stack["StackNumber"]]
        store.put_offer(
            NewOffer(
                participant=item["BspParticipantName"],
                resource=offer.resource,
                market_type=market_type,
                start_time=start,
                end_time=end,
                submitted_by=call.caller.user,
                submission_time=context.now,
                document=json.dumps(item, ensure_ascii=False),
            ),
            offer_ids,
        )
        warnings = []
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


def query_offers(call: Call, store: Store) -> Outcome:
    context = Context(call, store)
    envelope = cast(MarketQuery, call.envelope)
    query = cast(OfferQuery, call.items[0])
    first_day: date = envelope.date
    days: int = envelope.days or 1
    records = store.offers(
        market_type=query.market_type.value,
        period_start=_day_start(first_day),
        period_end=_day_start(first_day + timedelta(days=days)),
        participant=None if context.sees_everything else context.participant,
        resource=query.resource,
        area=None if query.area is None else query.area.value,
    )
    return Outcome([ItemResult(json.loads(record.document)) for record in records], echo=False)


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
    (Interface.MI, "MarketQuery_OfferQuery"): query_offers,
    (Interface.MI, "MarketCancel_OfferCancel"): cancel_offers,
}
"""The offer operations, by interface and name."""
