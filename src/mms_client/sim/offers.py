"""The offer operations: submit (``MarketSubmit_OfferData``), query (``MarketQuery_OfferQuery``)
and cancel (``MarketCancel_OfferCancel``).

The rules are the ones a BSP meets at the MMS: an offer names a resource registered to the
submitting participant; its period ends after it starts and runs on 30-minute boundaries;
stack numbers are unique within the offer.  A new offer for a resource, market and period
that already has a live offer replaces it (the stacks keep their OfferIds by stack number)
and says so in a warning.  Each item is judged on its own, so one request may be partly
accepted.  The MMS adds the participant's and resource's master data (company short name,
operator code, area, resource short name, system code), the submission time and an OfferId
per stack.

A query returns the stored offers whose period overlaps the envelope's Date and NumOfDays,
filtered by market type and, optionally, resource and area: a BSP sees its own offers, the
market operator and TSOs see everyone's.  A cancel names the resource, market type and exact
period of a live offer.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import cast

from mms_client.endpoints import ClientType
from mms_client.jst import format_jst
from mms_client.schema.generated.mi_market import (
    MarketQuery,
    MarketSubmit,
    OfferCancel,
    OfferData,
    OfferQuery,
)
from mms_client.sim.calls import Call, Code, Issue, ItemResult, Outcome, as_xml_dict
from mms_client.sim.store import NewOffer, ResourceRecord, Store

OFFER_ID_SEQUENCE = "offer_id"


def _offer_id(number: int) -> str:
    return f"OFR{number:010d}"


def _resource_issues(record: ResourceRecord | None, name: str, participant: str) -> list[Issue]:
    if record is None:
        return [Issue(Code.RESOURCE_UNKNOWN, f"resource {name} is not registered")]
    if record.participant != participant:
        return [
            Issue(
                Code.RESOURCE_NOT_OWNED,
                f"resource {name} is not registered to participant {participant}",
            )
        ]
    return []


def _period_issues(start: datetime, end: datetime) -> list[Issue]:
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


def _day_start(day: date) -> str:
    return f"{day.isoformat()}T00:00:00"


def put_offers(call: Call, store: Store) -> Outcome:
    envelope = cast(MarketSubmit, call.envelope)
    market_type = None if envelope.market_type is None else envelope.market_type.value
    participant = store.participant(call.caller.participant)
    assert participant is not None  # the service only lets known participants through
    submitted_at = format_jst(call.now.replace(microsecond=0))
    results = []
    for offer in cast(list[OfferData], call.items):
        item = as_xml_dict(offer)
        resource = store.resource(offer.resource)
        errors = _resource_issues(resource, offer.resource, participant.name)
        errors += _period_issues(offer.start, offer.end)
        numbers = [stack.number for stack in offer.stack]
        duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
        if duplicates:
            errors.append(Issue(Code.STACK_DUPLICATE, f"StackNumber {duplicates[0]} is used twice"))
        if market_type is None:
            errors.append(
                Issue(Code.MARKET_TYPE_MISSING, "an offer submit needs MarketType on MarketSubmit")
            )
        if errors or resource is None or market_type is None:
            results.append(ItemResult(item, errors=errors))
            continue

        start, end = format_jst(offer.start), format_jst(offer.end)
        replaced = store.active_offer(resource.name, market_type, start, end)
        known_ids = {} if replaced is None else store.stack_offer_ids(replaced.id)
        offer_ids = {
            number: known_ids.get(number) or _offer_id(store.next_value(OFFER_ID_SEQUENCE))
            for number in numbers
        }
        item.update(
            BspParticipantName=participant.name,
            CompanyShortName=participant.company_short_name,
            OperatorCode=participant.operator_code,
            Area=resource.area,
            ResourceShortName=resource.short_name,
            SystemCode=resource.system_code,
            SubmissionTime=submitted_at,
        )
        for stack in item["OfferStack"]:
            stack["OfferId"] = offer_ids[stack["StackNumber"]]
        store.put_offer(
            NewOffer(
                participant=participant.name,
                resource=resource.name,
                market_type=market_type,
                start_time=start,
                end_time=end,
                submitted_by=call.caller.user,
                submission_time=submitted_at,
                document=json.dumps(item, ensure_ascii=False),
            ),
            offer_ids,
        )
        warnings = []
        if replaced is not None:
            warnings.append(
                Issue(
                    Code.OFFER_REPLACED,
                    f"replaces the offer on {resource.name} for {start}-{end} submitted at "
                    f"{replaced.submission_time}",
                )
            )
        results.append(ItemResult(item, warnings=warnings))
    return Outcome(results, echo=True)


def query_offers(call: Call, store: Store) -> Outcome:
    envelope = cast(MarketQuery, call.envelope)
    query = cast(OfferQuery, call.items[0])
    first_day: date = envelope.date
    days: int = envelope.days or 1
    everyone = call.caller.client_type in (ClientType.MO, ClientType.TSO)
    records = store.offers(
        market_type=query.market_type.value,
        period_start=_day_start(first_day),
        period_end=_day_start(first_day + timedelta(days=days)),
        participant=None if everyone else call.caller.participant,
        resource=query.resource,
        area=None if query.area is None else query.area.value,
    )
    return Outcome([ItemResult(json.loads(record.document)) for record in records], echo=False)


def cancel_offers(call: Call, store: Store) -> Outcome:
    cancelled_at = format_jst(call.now.replace(microsecond=0))
    results = []
    for cancel in cast(list[OfferCancel], call.items):
        item = as_xml_dict(cancel)
        resource = store.resource(cancel.resource)
        errors = _resource_issues(resource, cancel.resource, call.caller.participant)
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
                store.cancel_offer(live.id, cancelled_at)
        results.append(ItemResult(item, errors=errors))
    return Outcome(results, echo=True)
