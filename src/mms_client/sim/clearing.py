"""Clearing: awards made from the stored offers against the reserve requirements, what is
derived from them and from the TSO data, and the switching of awarded contracts.

How the simulator clears (a model of the real market, simple enough to predict in a test):

- every ``Requirement`` block a TSO submitted (market type, area, direction, start, end) is
  cleared on its own, per commodity (primary, secondary 1 and 2, tertiary 1 and 2); the
  blocks of an area never overlap (:class:`~mms_client.sim.tso_data.RequirementBlocks`), so
  no stack is awarded twice for the same time;
- the candidates are the live offers of that market type on resources of that area whose
  period covers the block, one per offer stack, in merit order: by unit price, then
  submission time, then OfferId.  Stacks of a resource (or DR pattern) suspended for the
  commodity on that day take no part, nor do offers on a resource that may not be traded
  for the block (outside its registration, or it or its holder DEREGISTERED: see
  :mod:`~mms_client.sim.holding`), though they were accepted before that was registered;
- each candidate is awarded ``min(offered, still required)`` of the commodity, unless that is
  less than the stack's minimum quantity (then it is skipped), until the requirement is met;
- awards are pay-as-bid (ContractPrice = OfferPrice); the performance evaluation coefficient
  is the resource's registered coefficient (1.00 when none) and CorrectedUnitPrice is
  OfferPrice divided by it; OfferAwardedLevel is 1 when every commodity was awarded in full,
  2 when one was cut.

Awards are computed when asked for, so they always reflect the current offers and
requirements; their identifiers are derived from the offer stack and the block (an award's
JbmsId is the OfferId's number times 10^8 plus the block start as MMDDhhmm; its ContractId
is ``C`` and the JbmsId in 18 digits), so they stay the same as long as the offer does.

Derived answers: the merit order list (all candidates of a block across areas, ranked, with
cumulative quantities), award summaries (requirement, awarded and shortage per area and
block), tie-line data and allocated capacity (from the TSOs' upper limits less fringe), and
offline frame usage (primary and secondary-1 awards of offline-commanded resources within
each offline frame).

A switch moves (part of) an awarded contract the caller holds to another of its resources,
to the TSO or to a tentative destination, for a period within the contract
(``E_CONTRACT_UNKNOWN``, ``E_CONTRACT_NOT_OWNED``, ``E_PERIOD_INVALID``,
``E_QUANTITY_EXCEEDED``); each destination becomes a contract of its own (SwitchQuery), and a
switch to the TSO is also a TSO request (TsoRequestQuery).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from mms_client.endpoints import ClientType, Interface
from mms_client.jst import format_jst
from mms_client.schema.generated.mi_market import (
    AllocatedTielineCapacityData,
    AwardResultsData,
    AwardResultsSummaryData,
    MeritOrderListData,
    SwitchQueryResults,
    TielineData,
    TsoRequestQueryResults,
)
from mms_client.sim.calls import Call, Code, Issue, ItemResult, Outcome, XmlDict, as_xml_dict
from mms_client.sim.holding import participant_validities, resource_held, trading_issues
from mms_client.sim.records import (
    Collection,
    Context,
    Handler,
    Owner,
    Row,
    Source,
    dr_pattern_registered,
    known,
    market_type,
    period_issues,
    period_text,
    query,
    store_units,
    stored,
    wall_time,
    within,
)
from mms_client.sim.registration import (
    DR_PATTERN_SUSPENSIONS,
    DR_PATTERNS,
    RESOURCE_COEFFICIENTS,
    RESOURCE_SUSPENSIONS,
)
from mms_client.sim.store import ParticipantRecord, ResourceRecord, Store
from mms_client.sim.tso_data import FRINGES, OFFLINE_FRAMES, RESERVE_REQUIREMENTS, UPPER_LIMITS

MI = Interface.MI
SWITCH_SEQUENCE = "switch"
_SWITCH_IDS = 9 * 10**17
"""Contracts made by switching are numbered from here, apart from award JbmsIds."""
_CENTS = Decimal("0.01")
_MILLIS = Decimal("0.001")
_ONE = Decimal("1.00")
_ZERO = Decimal("0.00")

Period = tuple[str | None, str | None]


@dataclass(frozen=True)
class Commodity:
    """A balancing product, by the names the schemas give it."""

    name: str
    """The prefix of quantity attributes (``Tertiary2OfferQuantityInKw``)."""
    category: str
    """The CommodityCategory code (``3200``)."""
    registration: str
    """The prefix of a resource registration's attributes on it (``Ter2``,
    ``Ter2MaximumSupplyQuantity``)."""

    @property
    def offer_attribute(self) -> str:
        """The offer stack attribute of its quantity (``Tertiary2OfferQuantityInKw``)."""
        return f"{self.name}OfferQuantityInKw"


COMMODITIES = (
    Commodity("Primary", "1000", "Pri"),
    Commodity("Secondary1", "2100", "Sec1"),
    Commodity("Secondary2", "2200", "Sec2"),
    Commodity("Tertiary1", "3100", "Ter1"),
    Commodity("Tertiary2", "3200", "Ter2"),
)

SWITCHES = Collection("Switch", MI, ("JbmsId",), Owner.CALLER)
TSO_REQUESTS = Collection("TsoRequest", MI, ("JbmsId",), Owner.CALLER)


def _amount(value: Any) -> int:
    return 0 if value is None else int(value)


def money(value: Decimal | str) -> str:
    """A price or coefficient as the simulator writes it wherever it writes one of its own
    making (awards, merit order, switches, refund targets, reports): with two fraction
    digits, the fractionDigits of every schema type of them (``PriceValue6.2RoundedType``,
    ``PriceValue7.2RoundedType``, ``PosValue4.2RoundedType``...).  A value taken from what was
    submitted goes through here too, so that ``7.5`` is written ``7.50``, as beside it a price
    worked out is; submits echo, and queries return, items as they were sent."""
    return str(Decimal(str(value)).quantize(_CENTS, rounding=ROUND_HALF_UP))


def stack_price(stack: XmlDict, attribute: str) -> str:
    """An offer stack's ``RampDownUnitPrice`` or ``StartUpUnitPrice`` (:func:`money`), 0.00
    where the offer states none: the answers that carry them require both."""
    return money(stack.get(attribute, _ZERO))


def _megawatts(value: Decimal) -> str:
    return str(value.quantize(_MILLIS, rounding=ROUND_HALF_UP))


def _day(wall: str) -> str:
    return wall[:10] + "T00:00:00"


def _hours(start: str, end: str) -> Decimal:
    seconds = (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
    return Decimal(int(seconds)) / 3600


# --- the market ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """One requirement a TSO submitted: what must be procured in an area for a period."""

    market_type: str
    area: str
    start: str
    end: str
    direction: str
    required: dict[str, int]
    """Commodity name -> kW."""


@dataclass(frozen=True)
class Candidate:
    """One offer stack competing for a block."""

    market_type: str
    offer: XmlDict
    stack: XmlDict
    resource: ResourceRecord
    coefficient: Decimal
    excluded: frozenset[str]
    """Commodities the resource (or DR pattern) is suspended for on the day."""

    @property
    def offer_id(self) -> str:
        return str(self.stack["OfferId"])

    @property
    def price(self) -> Decimal:
        return Decimal(str(self.stack["OfferUnitPrice"]))

    @property
    def corrected_price(self) -> Decimal:
        return self.price / self.coefficient

    @property
    def participant(self) -> str:
        return str(self.offer["BspParticipantName"])

    @property
    def merit(self) -> tuple[Decimal, str, str]:
        return self.price, str(self.offer["SubmissionTime"]), self.offer_id

    def offered(self, commodity: Commodity) -> int:
        if commodity.name in self.excluded:
            return 0
        return _amount(self.stack.get(commodity.offer_attribute))


@dataclass(frozen=True)
class Award:
    """What one offer stack was awarded in one block."""

    block: Block
    candidate: Candidate
    awarded: dict[str, int]
    """Commodity name -> kW, for the commodities awarded."""

    @property
    def jbms_id(self) -> int:
        return award_jbms_id(self.candidate.offer_id, self.block.start)

    @property
    def contract_id(self) -> str:
        return contract_id(self.jbms_id)

    @property
    def participant(self) -> str:
        return self.candidate.participant

    @property
    def full(self) -> bool:
        return all(
            self.awarded[c.name] == self.candidate.offered(c)
            for c in COMMODITIES
            if c.name in self.awarded
        )


def award_jbms_id(offer_id: str, block_start: str) -> int:
    """The JbmsId of the award of an offer stack in the block starting at ``block_start``
    (a JST wall-clock time ``2024-04-01T09:00:00``)."""
    stamp = block_start[5:7] + block_start[8:10] + block_start[11:13] + block_start[14:16]
    return int(offer_id.removeprefix("OFR")) * 10**8 + int(stamp)


def contract_id(jbms_id: int) -> str:
    return f"C{jbms_id:018d}"


def blocks(store: Store, market: str | None, period: Period) -> list[Block]:
    """The requirement blocks of ``market`` (None: both) overlapping ``period``."""
    found = []
    for record in store.items(RESERVE_REQUIREMENTS.kind, MI.value, period=period):
        kind = str(record.tags["MarketType"])
        if market is not None and kind != market:
            continue
        (requirement,) = record.document["Requirement"]
        found.append(
            Block(
                market_type=kind,
                area=str(record.document["Area"]),
                start=str(record.start_time),
                end=str(record.end_time),
                direction=str(requirement["Direction"]),
                required={
                    c.name: _amount(requirement.get(f"{c.name}ReserveQuantityInKw"))
                    for c in COMMODITIES
                },
            )
        )
    return found


def _valid_on(store: Store, kind: str, resource: str, day: str) -> list[XmlDict]:
    return [
        record.document
        for record in store.items(
            kind, MI.value, resource=resource, period=(day, day[:11] + "23:59:59")
        )
    ]


def coefficient(store: Store, resource: str, day: str) -> Decimal:
    """The resource's registered performance evaluation coefficient on ``day`` (1.00)."""
    for document in _valid_on(store, RESOURCE_COEFFICIENTS.kind, resource, day):
        value = Decimal(str(document["Coefficient"]))
        if value > 0:
            return value
    return _ONE


def _suspended(store: Store, resource: str, pattern: Any, day: str) -> frozenset[str]:
    categories = {
        str(document["CommodityCategory"])
        for document in _valid_on(store, RESOURCE_SUSPENSIONS.kind, resource, day)
        if document["Suspend"]
    }
    if pattern is not None:
        categories |= {
            str(document["CommodityCategory"])
            for document in _valid_on(store, DR_PATTERN_SUSPENSIONS.kind, resource, day)
            if document["Suspend"] and document["PatternNumber"] == pattern
        }
    return frozenset(c.name for c in COMMODITIES if c.category in categories)


def candidates(
    store: Store, market: str, start: str, end: str, area: str | None = None
) -> list[Candidate]:
    """The offer stacks competing for [start, end), in merit order: those of the live
    offers covering it on resources that may be traded then by the offer's participant."""
    day = _day(start)
    found: list[Candidate] = []
    validities = participant_validities(store, start, end)
    for offer in store.offers(market_type=market, period_start=start, period_end=end, area=area):
        if offer.start_time > start or offer.end_time < end:
            continue
        resource = store.resource(offer.resource)
        if resource is None or trading_issues(
            store, resource, offer.participant, start, end, validities
        ):
            continue
        document: XmlDict = json.loads(offer.document)
        rate = coefficient(store, resource.name, day)
        excluded = _suspended(store, resource.name, document.get("DrPatternNumber"), day)
        found.extend(
            Candidate(market, document, stack, resource, rate, excluded)
            for stack in document["OfferStack"]
        )
    return sorted(found, key=lambda candidate: candidate.merit)


def clear(store: Store, block: Block) -> list[Award]:
    """The awards of one block (see the module docstring)."""
    ranked = candidates(store, block.market_type, block.start, block.end, block.area)
    awarded: dict[str, dict[str, int]] = {}
    for commodity in COMMODITIES:
        remaining = block.required[commodity.name]
        for candidate in ranked:
            if remaining <= 0:
                break
            offered = candidate.offered(commodity)
            take = min(offered, remaining)
            if take <= 0 or take < _amount(candidate.stack.get("MinimumQuantityInKw")):
                continue
            awarded.setdefault(candidate.offer_id, {})[commodity.name] = take
            remaining -= take
    return [
        Award(block, candidate, awarded[candidate.offer_id])
        for candidate in ranked
        if candidate.offer_id in awarded
    ]


def awards(store: Store, market: str | None, period: Period) -> list[Award]:
    """Every award of the blocks of ``market`` (None: both) overlapping ``period``."""
    return [award for block in blocks(store, market, period) for award in clear(store, block)]


def find_award(store: Store, jbms_id: int) -> Award | None:
    """The award a JbmsId names, if the offer and requirement behind it still stand."""
    number, stamp = divmod(jbms_id, 10**8)
    offer = store.offer_with_stack(f"OFR{number:010d}")
    if offer is None:
        return None
    text = f"{stamp:08d}"
    year = int(offer.start_time[:4])
    start = f"{year}-{text[:2]}-{text[2:4]}T{text[4:6]}:{text[6:]}:00"
    if start < offer.start_time[:10]:
        start = f"{year + 1}{start[4:]}"
    try:
        moment = datetime.fromisoformat(start)
    except ValueError:
        return None
    period = (start, format_jst(moment + timedelta(minutes=30)))
    return next((a for a in awards(store, offer.market_type, period) if a.jbms_id == jbms_id), None)


# --- documents of awards -----------------------------------------------------------------------


def _dr_pattern_name(store: Store, resource: str, pattern: Any) -> str | None:
    if pattern is None:
        return None
    record = store.item(DR_PATTERNS.kind, MI.value, (resource, pattern))
    return None if record is None else str(record.document["PatternName"])


def award_data(store: Store, award: Award) -> XmlDict:
    """The ``AwardResultsData`` of an award."""
    candidate, block = award.candidate, award.block
    offer, stack, resource = candidate.offer, candidate.stack, candidate.resource
    data: XmlDict = {
        "ContractId": award.contract_id,
        "JbmsId": award.jbms_id,
        "Area": block.area,
        "LinkedArea": block.area,
        "ResourceName": resource.name,
        "ResourceShortName": resource.short_name,
        "SystemCode": resource.system_code,
        "ResourceType": resource.document.get("ResourceType", "01"),
        "DrPatternNumber": offer.get("DrPatternNumber"),
        "DrPatternName": _dr_pattern_name(store, resource.name, offer.get("DrPatternNumber")),
        "BspParticipantName": candidate.participant,
        "CompanyShortName": offer["CompanyShortName"],
        "OperatorCode": offer["OperatorCode"],
        "CommandOperationMethodPriSec1": resource.document.get("PriSec1CommandOperationMethod"),
        "CommandOperationMethodSec2Ter1Ter2": resource.document.get(
            "Sec2Ter1Ter2CommandOperationMethod"
        ),
        "OfferPrice": money(candidate.price),
        "ContractPrice": money(candidate.price),
        "RampDownUnitPrice": stack_price(stack, "RampDownUnitPrice"),
        "StartUpUnitPrice": stack_price(stack, "StartUpUnitPrice"),
        "PerfEvalCoeff": money(candidate.coefficient),
        "CorrectedUnitPrice": money(candidate.corrected_price),
        "SubmissionTime": offer["SubmissionTime"],
        "OfferAwardedLevel": "1" if award.full else "2",
        "OfferId": candidate.offer_id,
        "ContractSource": "1",
    }
    for commodity in COMMODITIES:
        if commodity.name in award.awarded:
            quantity = award.awarded[commodity.name]
            data[commodity.offer_attribute] = candidate.offered(commodity)
            for kind in ("Award", "Contract", "Valid"):
                data[f"{commodity.name}{kind}QuantityInKw"] = quantity
    return known(AwardResultsData, data)


def _award_rows(context: Context, period: Period) -> list[Row]:
    return [
        Row(
            {
                "StartTime": award.block.start,
                "EndTime": award.block.end,
                "Direction": award.block.direction,
                "AwardResultsData": [award_data(context.store, award)],
            },
            award.participant,
            award.block.start,
            award.block.end,
            {"MarketType": award.block.market_type},
        )
        for award in awards(context.store, market_type(context), period)
    ]


def merit_order_rows(context: Context, period: Period) -> list[Row]:
    """One row per candidate of every block, ranked across areas (the procurement area is
    the whole country)."""
    store = context.store
    seen: set[tuple[str, str, str, str]] = set()
    rows = []
    for block in blocks(store, None, period):
        signature = (block.market_type, block.start, block.end, block.direction)
        if signature in seen:
            continue
        seen.add(signature)
        cumulative = dict.fromkeys((c.name for c in COMMODITIES), 0)
        ranked = candidates(store, block.market_type, block.start, block.end)
        for rank, candidate in enumerate(ranked, start=1):
            data: XmlDict = {
                "Rank": rank,
                "OfferId": candidate.offer_id,
                "ResourceName": candidate.resource.name,
                "ResourceShortName": candidate.resource.short_name,
                "SystemCode": candidate.resource.system_code,
                "BspParticipantName": candidate.participant,
                "CompanyShortName": candidate.offer["CompanyShortName"],
                "Area": candidate.resource.area,
                "OfferPrice": money(candidate.price),
                "PerfEvalCoeff": money(candidate.coefficient),
                "CorrectedUnitPrice": money(candidate.corrected_price),
                "SubmissionTime": candidate.offer["SubmissionTime"],
            }
            for commodity in COMMODITIES:
                offered = candidate.offered(commodity)
                if offered:
                    cumulative[commodity.name] += offered
                    data[commodity.offer_attribute] = offered
                    data[f"{commodity.name}CumulativeAmountInKw"] = cumulative[commodity.name]
            rows.append(
                Row(
                    {
                        "StartTime": block.start,
                        "EndTime": block.end,
                        "Direction": block.direction,
                        "ProcurementArea": "01",
                        "MeritOrderListData": [known(MeritOrderListData, data)],
                    },
                    None,
                    block.start,
                    block.end,
                    {"MarketType": block.market_type},
                )
            )
    return rows


def _summary_rows(context: Context, period: Period) -> list[Row]:
    rows = []
    for block in blocks(context.store, market_type(context), period):
        cleared = clear(context.store, block)
        hours = _hours(block.start, block.end)
        data: XmlDict = {
            "StartTime": block.start,
            "EndTime": block.end,
            "Direction": block.direction,
        }
        cost = Decimal(0)
        for commodity in COMMODITIES:
            total = sum(award.awarded.get(commodity.name, 0) for award in cleared)
            cost += sum(
                award.awarded.get(commodity.name, 0) * award.candidate.price * hours
                for award in cleared
            )
            required = block.required[commodity.name]
            data[f"{commodity.name}ReserveRequirement"] = required
            data[f"{commodity.name}ReserveShortage"] = max(required - total, 0)
            data[f"{commodity.name}TotalValidContractQuantity"] = total
            data[f"{commodity.name}TotalContractQuantity"] = total
            data[f"{commodity.name}InAreaQuantity"] = total
            data[f"{commodity.name}OutOfAreaQuantity"] = 0
        data["TotalContractCost"] = money(cost)
        rows.append(
            Row(
                {
                    "Area": block.area,
                    "AwardResultsSummaryData": [known(AwardResultsSummaryData, data)],
                },
                None,
                block.start,
                block.end,
                {"MarketType": block.market_type},
            )
        )
    return rows


# --- tie-lines and offline frames --------------------------------------------------------------


def _fringe(store: Store, intercon: str, start: str, end: str) -> dict[str, Decimal]:
    """The largest fringe a TSO declared on the interconnection during [start, end), per
    direction ("0" forward, "1" backward)."""
    found = {"0": Decimal(0), "1": Decimal(0)}
    for record in store.items(FRINGES.kind, MI.value, period=(start, end)):
        if record.document["InterconEquipment"] != intercon:
            continue
        (fringe,) = record.document["Fringe"]
        direction = str(fringe["Direction"])
        found[direction] = max(found[direction], abs(Decimal(str(fringe["FringeQuantityInMW"]))))
    return found


def _limits(
    context: Context, period: Period
) -> Iterable[tuple[Row, dict[str, dict[str, XmlDict]]]]:
    """The upper limits of each interconnection and block (of the envelope's market type, if
    it names one), by commodity category and direction."""
    wanted = market_type(context)
    for record in context.store.items(UPPER_LIMITS.kind, MI.value, period=period):
        if wanted is not None and record.tags.get("MarketType") != wanted:
            continue
        (limit,) = record.document["UpperLimit"]
        by_category: dict[str, dict[str, XmlDict]] = {}
        for data in limit["UpperLimitData"]:
            by_category.setdefault(str(data["CommodityCategory"]), {})[str(data["Direction"])] = (
                data
            )
        row = Row(
            {
                "InterconEquipment": record.document["InterconEquipment"],
                "StartTime": limit["StartTime"],
                "EndTime": limit["EndTime"],
            },
            None,
            record.start_time,
            record.end_time,
            dict(record.tags),
        )
        yield row, by_category


def _limit(directions: dict[str, XmlDict], direction: str, attribute: str) -> Decimal | None:
    data = directions.get(direction)
    value = None if data is None else data.get(attribute)
    return None if value is None else abs(Decimal(str(value)))


_FENCES = (1, 2, 3, 4)


def _tieline_rows(context: Context, period: Period) -> list[Row]:
    rows = []
    for row, by_category in _limits(context, period):
        tieline_data = []
        for category, directions in by_category.items():
            data: XmlDict = {"CommodityCategory": category}
            for prefix, attribute in (
                ("Atc", "UpperLimitAtcInMw"),
                *((f"FenceAtc{n}", f"UpperLimitFenceAtc{n}InMw") for n in _FENCES),
            ):
                forward = _limit(directions, "0", attribute)
                backward = _limit(directions, "1", attribute)
                if forward is not None:
                    data[f"{prefix}Forward"] = _megawatts(forward)
                if backward is not None:
                    data[f"{prefix}Backward"] = _megawatts(-backward)
            tieline_data.append(known(TielineData, data))
        rows.append(Row({**row.document, "TielineData": tieline_data}, None, row.start, row.end))
    return rows


def _allocated_rows(context: Context, period: Period) -> list[Row]:
    rows = []
    for row, by_category in _limits(context, period):
        document = row.document
        fringe = _fringe(
            context.store,
            str(document["InterconEquipment"]),
            str(row.start),
            str(row.end),
        )
        allocated = []
        for category, directions in by_category.items():
            data: XmlDict = {"CommodityCategory": category}
            forward = _limit(directions, "0", "UpperLimitAtcInMw")
            backward = _limit(directions, "1", "UpperLimitAtcInMw")
            if forward is not None:
                data["AllocCapacityForward"] = _megawatts(forward)
                data["DkwForwardMargin"] = _megawatts(forward - fringe["0"])
                data["NetAtcForward"] = _megawatts(max(forward - fringe["0"], Decimal(0)))
            if backward is not None:
                data["AllocCapacityBackward"] = _megawatts(-backward)
                data["DkwBackwardMargin"] = _megawatts(fringe["1"] - backward)
                data["NetAtcBackward"] = _megawatts(-max(backward - fringe["1"], Decimal(0)))
            for n in _FENCES:
                attribute = f"UpperLimitFenceAtc{n}InMw"
                fence_forward = _limit(directions, "0", attribute)
                fence_backward = _limit(directions, "1", attribute)
                if fence_forward is not None:
                    data[f"AllocFence{n}Forward"] = _megawatts(fence_forward)
                    data[f"NetFenceAtc{n}Forward"] = _megawatts(fence_forward)
                if fence_backward is not None:
                    data[f"AllocFence{n}Backward"] = _megawatts(-fence_backward)
                    data[f"NetFenceAtc{n}Backward"] = _megawatts(-fence_backward)
            allocated.append(known(AllocatedTielineCapacityData, data))
        rows.append(
            Row(
                {**document, "AllocatedTielineCapacityData": allocated},
                None,
                row.start,
                row.end,
            )
        )
    return rows


def _offline_frame_rows(context: Context, period: Period) -> list[Row]:
    store = context.store
    rows = []
    for record in store.items(OFFLINE_FRAMES.kind, MI.value, period=period):
        area = str(record.document["Area"])
        (frame,) = record.document["OfflineFrame"]
        start, end = str(record.start_time), str(record.end_time)
        used = sum(
            award.awarded.get("Primary", 0) + award.awarded.get("Secondary1", 0)
            for award in awards(store, None, (start, end))
            if award.block.area == area
            and award.candidate.resource.document.get("PriSec1CommandOperationMethod") == "3"
        )
        frame_quantity = _amount(frame["OfflineFrameQuantityInKw"])
        rows.append(
            Row(
                {
                    "StartTime": frame["StartTime"],
                    "EndTime": frame["EndTime"],
                    "Direction": frame["Direction"],
                    "OfflineFrameUsageData": [
                        {
                            "Area": area,
                            "OfflineFrameQuantityInKw": frame_quantity,
                            "OfflineFrameUsageQuantityInKw": min(used, frame_quantity),
                        }
                    ],
                },
                None,
                start,
                end,
            )
        )
    return rows


# --- switching -------------------------------------------------------------------------------

_DESTINATION_STATUS = {"Resource": "ACTIVE", "TSO": "TSO", "Tentative": "TENTATIVE"}


def _switched(store: Store, source: int, start: str, end: str) -> dict[str, int]:
    """What earlier switches already moved out of contract ``source`` during [start, end)."""
    moved = dict.fromkeys((c.name for c in COMMODITIES), 0)
    for record in store.items(SWITCHES.kind, MI.value, period=(start, end)):
        if record.document.get("SourceJbmsId") == source:
            for commodity in COMMODITIES:
                moved[commodity.name] += _amount(record.document.get(f"{commodity.name}Quantity"))
    return moved


def outside_contract(
    jbms: object, runs: tuple[str, str], what: str, start: str, end: str | None
) -> list[Issue]:
    """A ``what`` (a switch, a refund) for [start, end) refused for reaching outside the
    period its contract ``jbms`` runs: a contract answers for its own period alone.  One
    without an end (a refund may leave out its EndTime) is judged by its start, as other
    items without an end are."""
    if not within(runs, start, end):
        message = (
            f"contract {jbms} runs {runs[0]}-{runs[1]}; the {what} "
            f"{period_text(start, end)} is outside it"
        )
        return [Issue(Code.PERIOD_INVALID, message)]
    return []


def _source_issues(
    context: Context, source: XmlDict, start: str, end: str
) -> tuple[Award | None, list[Issue]]:
    jbms = source.get("JbmsId")
    if jbms is None:
        return None, [Issue(Code.CONTRACT_UNKNOWN, "a switch source must name its JbmsId")]
    award = find_award(context.store, int(jbms))
    if award is None:
        return None, [Issue(Code.CONTRACT_UNKNOWN, f"there is no awarded contract {jbms}")]
    if award.participant != context.participant:
        return None, [Issue(Code.CONTRACT_NOT_OWNED, f"contract {jbms} is not yours")]
    issues = outside_contract(jbms, (award.block.start, award.block.end), "switch", start, end)
    destinations = source["Destination"]
    for destination in destinations:
        if destination["DestinationType"] == "Resource":
            if "ResourceName" not in destination:
                issues.append(
                    Issue(Code.RESOURCE_UNKNOWN, "a switch to a resource must name the resource")
                )
            else:
                held = {**destination, "StartTime": start, "EndTime": end}
                issues.extend(resource_held()(context, held))
                issues.extend(dr_pattern_registered()(context, held))
    available = _switched(context.store, int(jbms), start, end)
    for commodity in COMMODITIES:
        asked = sum(_amount(d.get(f"{commodity.name}QuantityInKw")) for d in destinations)
        left = award.awarded.get(commodity.name, 0) - available[commodity.name]
        if asked > left:
            issues.append(
                Issue(
                    Code.QUANTITY_EXCEEDED,
                    f"contract {jbms} has {left} kW of {commodity.name} left to switch, not "
                    f"{asked}",
                )
            )
    return award, issues


def _switch_contract(
    context: Context, award: Award, destination: XmlDict, start: str, end: str
) -> XmlDict:
    """The contract a destination of a switch becomes (``SwitchQueryResults``)."""
    store = context.store
    source = award.candidate.resource
    kind = str(destination["DestinationType"])
    target = store.resource(destination["ResourceName"]) if kind == "Resource" else None
    resource = target or source
    jbms = _SWITCH_IDS + store.next_value(SWITCH_SEQUENCE)
    data: XmlDict = {
        "ContractId": contract_id(jbms),
        "JbmsId": jbms,
        "StartTime": start,
        "EndTime": end,
        "ModifiedTime": context.now,
        "Price": money(destination.get("Price", award.candidate.price)),
        **{
            name: money(destination[name])
            if name in destination
            else stack_price(award.candidate.stack, name)
            for name in ("RampDownUnitPrice", "StartUpUnitPrice")
        },
        "PerfEvalCoefficient": money(award.candidate.coefficient),
        "LinkedArea": award.block.area,
        "Direction": award.block.direction,
        "ParticipantName": award.participant,
        "CompanyShortName": award.candidate.offer["CompanyShortName"],
        "ResourceName": resource.name,
        "ResourceShortName": resource.short_name,
        "SystemCode": resource.system_code,
        "Area": resource.area,
        "ResourceType": resource.document.get("ResourceType", "01"),
        "DrPattern": destination.get("DrPatternNumber"),
        "Status": _DESTINATION_STATUS[kind],
        "RequestStatus": "Requested" if kind == "TSO" else None,
        "SourceJbmsId": award.jbms_id,
        "SourceParticipantName": award.participant,
        "SourceCompanyShortName": award.candidate.offer["CompanyShortName"],
        "SourceResourceName": source.name,
        "SourceResourceShortName": source.short_name,
        "SourceSystemCode": source.system_code,
        "SourceArea": source.area,
        "SourceResourceType": source.document.get("ResourceType", "01"),
        "SourcePrice": money(award.candidate.price),
        "SourcePerfEvalCoefficient": money(award.candidate.coefficient),
        "SourceDrPattern": award.candidate.offer.get("DrPatternNumber"),
    }
    for commodity in COMMODITIES:
        moved = destination.get(f"{commodity.name}QuantityInKw")
        if moved is not None:
            data[f"{commodity.name}Quantity"] = moved
        if commodity.name in award.awarded:
            data[f"Source{commodity.name}Quantity"] = award.awarded[commodity.name]
    return known(SwitchQueryResults, data)


def _area_tso(store: Store, area: str) -> ParticipantRecord | None:
    """The TSO serving ``area``: the one registered for it, else one registered for no area
    in particular (the seed's, of every area)."""
    tsos = [p for p in store.participants() if p.participant_type is ClientType.TSO]
    for serves in (area, None):
        for tso in tsos:
            if tso.document.get("Area") == serves:
                return tso
    return None


def _tso_request(context: Context, award: Award, contract: XmlDict) -> XmlDict:
    """The TSO request a switch to the TSO makes (``TsoRequestQueryResults``)."""
    tso = _area_tso(context.store, award.block.area)
    source = award.candidate.resource
    data: XmlDict = {
        "JbmsId": contract["JbmsId"],
        "RequestTime": context.now,
        "ParticipantName": award.participant,
        "CompanyShortName": award.candidate.offer["CompanyShortName"],
        "ResourceName": source.name,
        "ResourceShortName": source.short_name,
        "SystemCode": source.system_code,
        "ContractId": award.contract_id,
        "StartTime": contract["StartTime"],
        "EndTime": contract["EndTime"],
        "Price": money(award.candidate.price),
        "RampDownUnitPrice": contract["RampDownUnitPrice"],
        "StartUpUnitPrice": contract["StartUpUnitPrice"],
        "TsoName": None if tso is None else tso.name,
        "TsoShortName": None if tso is None else tso.company_short_name,
        "Area": award.block.area,
    }
    for commodity in COMMODITIES:
        if commodity.name in award.awarded:
            data[f"{commodity.name}ContractQuantity"] = award.awarded[commodity.name]
        if f"{commodity.name}Quantity" in contract:
            data[f"{commodity.name}RequestedQuantity"] = contract[f"{commodity.name}Quantity"]
    return known(TsoRequestQueryResults, data)


def award_stands(store: Store, names_award: object) -> bool:
    """Whether the award that a switch's record names still stands (its offer neither
    cancelled nor replaced without the stack): a switch moves part of an award, so its
    contracts, TSO requests and their report rows end with it. ``names_award`` is the
    record's JbmsId of the award, or its ContractId (``C`` and the JbmsId)."""
    return find_award(store, int(str(names_award).lstrip("C"))) is not None


def _of_standing_award(source: Source, names_award: str) -> Source:
    """``source`` without the rows made from an award that no longer stands
    (:func:`award_stands`); ``names_award`` is the attribute naming the award."""

    def rows(context: Context, period: tuple[str | None, str | None]) -> list[Row]:
        return [
            row
            for row in source(context, period)
            if award_stands(context.store, row.document[names_award])
        ]

    return rows


def put_switch(call: Call, store: Store) -> Outcome:
    """``MarketSubmit_Switch`` (see the module docstring)."""
    context = Context(call, store)
    results = []
    for model in call.items:
        item = as_xml_dict(model)
        start, end = str(wall_time(item["StartTime"])), str(wall_time(item["EndTime"]))
        errors = period_issues(datetime.fromisoformat(start), datetime.fromisoformat(end))
        checked = []
        for source in item["Source"]:
            award, issues = _source_issues(context, source, start, end)
            errors.extend(issues)
            checked.append((award, source))
        if not errors:
            for award, source in checked:
                assert award is not None
                tags = {"MarketType": award.block.market_type}
                for destination in source["Destination"]:
                    contract = _switch_contract(context, award, destination, start, end)
                    store_units(context, SWITCHES, contract, tags)
                    if destination["DestinationType"] == "TSO":
                        request = _tso_request(context, award, contract)
                        store_units(context, TSO_REQUESTS, request, tags)
        results.append(ItemResult(item, errors=errors))
    return Outcome(results, echo=True)


HANDLERS: dict[tuple[Interface, str], Handler] = {
    (MI, "MarketQuery_AwardResultsQuery"): query(_award_rows, "AwardResultsData"),
    (MI, "MarketQuery_MeritOrderListQuery"): query(merit_order_rows, "MeritOrderListData"),
    (MI, "MarketQuery_AwardResultsSummaryQuery"): query(_summary_rows, "AwardResultsSummaryData"),
    (MI, "MarketQuery_TielineQuery"): query(_tieline_rows),
    (MI, "MarketQuery_AllocatedTielineCapacityQuery"): query(_allocated_rows),
    (MI, "MarketQuery_OfflineFrameUsageQuery"): query(_offline_frame_rows, "OfflineFrameUsageData"),
    (MI, "MarketSubmit_Switch"): put_switch,
    (MI, "MarketQuery_SwitchQuery"): query(
        _of_standing_award(stored(SWITCHES), "SourceJbmsId"), SWITCHES.children
    ),
    (MI, "MarketQuery_TsoRequestQuery"): query(
        _of_standing_award(stored(TSO_REQUESTS), "ContractId"), TSO_REQUESTS.children
    ),
}
"""The clearing and switching operations, by interface and name."""
