"""The OMI interface: baseline load files, remaining reserve (surplus capacity), off-market
contracts, refunds and the contracts refunds may target.

- Baseline load files follow the MI rules (:mod:`~mms_client.sim.market_data`); a file
  that does not name its resource is for the one its name says, and the MMS adds the
  resource's master data and the submission time.  They can be listed (by BaselineType) and
  downloaded (``E_FILE_NOT_FOUND`` for a file the caller may not see).
- Remaining reserve is declared by the BSP holding the resource, per resource, period and DR
  pattern (an approved DR pattern of the resource, as on an offer); the MMS adds the
  resource's master data.
- Off-market contracts are made by TSOs on any approved resource that may be traded for
  the contract's period (:mod:`~mms_client.sim.holding`; and on an approved DR pattern of
  it, if they name one); a new one gets its JbmsId (``OMC`` and 15 digits), a resubmission with a
  JbmsId replaces that contract (``E_CONTRACT_UNKNOWN`` if there is none), its refunds
  following it to its participant and resource.  The holder of the resource sees it.
- Refunds are submitted by TSOs for a contract of the kind their ProcurementType names: an
  award (JbmsId digits, 1) or an off-market contract (2) (``E_CONTRACT_UNKNOWN``), for a
  period within the contract's (``E_PERIOD_INVALID``) and for a CommodityCategory it covers,
  as the refund targets list it (``E_COMMODITY_NOT_CONTRACTED``).  The MMS documents no
  such commodity rule; it is this simulator's inference from the refund targets.  The MMS
  sets who and what the contract is for, whatever the refund states, and the contract's
  participant sees the refund.
- Refund target contract results list the contracts in a period that refunds may target:
  ProcurementType 1 for market awards (an award of several commodities once for each,
  with its CommodityCategory, as the contract results report lists it), 2 for off-market
  contracts.
"""

from __future__ import annotations

from dataclasses import dataclass

from mms_client.endpoints import Interface
from mms_client.sim.calls import Code, Issue, XmlDict
from mms_client.sim.clearing import (
    COMMODITIES,
    Award,
    Commodity,
    awards,
    find_award,
    money,
    outside_contract,
    stack_price,
)
from mms_client.sim.holding import resource_held, resource_registered
from mms_client.sim.market_data import (
    OMI_BASELINE_FILES,
    REMAINING_RESERVES,
    baseline_file_issues,
    baseline_resource,
)
from mms_client.sim.records import (
    Collection,
    Context,
    Handler,
    Owner,
    Row,
    download,
    dr_pattern_registered,
    item_end,
    query,
    resource_master,
    stored_query,
    submission_time,
    submit,
    wall_time,
)
from mms_client.sim.store import ItemRecord, Store

OMI = Interface.OMI
CONTRACT_SEQUENCE = "off_market_contract"
PROCUREMENT_MARKET = "1"
PROCUREMENT_OFF_MARKET = "2"

_KINDS = {PROCUREMENT_MARKET: "a market award", PROCUREMENT_OFF_MARKET: "an off-market contract"}

OFF_MARKET_CONTRACTS = Collection("OffMarketContract", OMI, ("JbmsId",), Owner.RESOURCE)
REFUNDS = Collection(
    "RefundData", OMI, ("JbmsId", "StartTime", "ProcurementType"), Owner.PARTICIPANT
)

_RESOURCE_MASTER = {
    "participant": "ParticipantName",
    "company": "CompanyShortName",
    "area": "Area",
    "short_name": "ResourceShortName",
    "system_code": "SystemCode",
}


def _name_resource(context: Context, file: XmlDict) -> None:
    """Fill: a baseline file names the resource its file name says."""
    resource = baseline_resource(file)
    if resource is not None:
        file["ResourceName"] = resource


def _contract_exists(context: Context, item: XmlDict) -> list[Issue]:
    jbms = item.get("JbmsId")
    if jbms is None or context.store.item(OFF_MARKET_CONTRACTS.kind, OMI.value, (jbms,)):
        return []
    return [Issue(Code.CONTRACT_UNKNOWN, f"there is no off-market contract {jbms}")]


def _number_contract(context: Context, item: XmlDict) -> None:
    """Fill: a new off-market contract gets its JbmsId."""
    if "JbmsId" not in item:
        item["JbmsId"] = f"OMC{context.store.next_value(CONTRACT_SEQUENCE):015d}"


@dataclass(frozen=True)
class Contract:
    """What a refund may refer to, as a ``RefundData`` element of the refund target
    results (with the participant it belongs to)."""

    participant: str
    document: XmlDict
    start: str
    end: str


def _award_contracts(award: Award) -> list[Contract]:
    """An award as refund targets: one per commodity it awards, as the contract results
    report lists it, since a refund names one CommodityCategory."""
    return [_award_contract(award, c) for c in COMMODITIES if c.name in award.awarded]


def _award_contract(award: Award, commodity: Commodity) -> Contract:
    stack = award.candidate.stack
    return Contract(
        award.participant,
        {
            "ProcurementType": PROCUREMENT_MARKET,
            "JbmsId": str(award.jbms_id),
            "ContractId": award.contract_id,
            "StartTime": award.block.start,
            "EndTime": award.block.end,
            "ParticipantName": award.participant,
            "ResourceName": award.candidate.resource.name,
            "SystemCode": award.candidate.resource.system_code,
            "CommodityCategory": commodity.category,
            "ContractPrice": money(award.candidate.price),
            "RampDownUnitPrice": stack_price(stack, "RampDownUnitPrice"),
            "StartUpUnitPrice": stack_price(stack, "StartUpUnitPrice"),
            "RampDownRefundType": "0",
            "StartUpRefundType": "0",
        },
        award.block.start,
        award.block.end,
    )


def _off_market_contract(record: ItemRecord) -> Contract:
    document = record.document
    return Contract(
        str(record.participant),
        {
            "ProcurementType": PROCUREMENT_OFF_MARKET,
            "JbmsId": document["JbmsId"],
            "StartTime": document["StartTime"],
            "EndTime": document["EndTime"],
            "ParticipantName": document.get("ParticipantName"),
            "ResourceName": document["ResourceName"],
            "SystemCode": document.get("SystemCode"),
            "CommodityCategory": document.get("CommodityCategory"),
            **{
                name: money(document[name])
                for name in ("ContractPrice", "RampDownUnitPrice", "StartUpUnitPrice")
                if name in document
            },
            "RampDownRefundType": "0",
            "StartUpRefundType": "0",
        },
        str(record.start_time),
        str(record.end_time),
    )


def contracts(store: Store, jbms_id: str) -> list[Contract]:
    """The refund targets a refund's JbmsId names (none when it names no contract): an award
    (a JbmsId of digits), one per commodity it awards, or an off-market contract."""
    if jbms_id.isdigit():
        award = find_award(store, int(jbms_id))
        return [] if award is None else _award_contracts(award)
    record = store.item(OFF_MARKET_CONTRACTS.kind, OMI.value, (jbms_id,))
    return [] if record is None else [_off_market_contract(record)]


def _uncontracted_commodity(item: XmlDict, targets: list[Contract], kind: str) -> list[Issue]:
    """A refund stating a CommodityCategory is for one its contract covers, as the refund
    targets list it (an off-market contract stating none covers any): another would refund
    what was never contracted.  The MMS documents no such rule; it is inferred from the
    refund targets, which list a contract once per commodity.  ``kind`` is the contract's
    ProcurementType."""
    category = item.get("CommodityCategory")
    covered = [target.document.get("CommodityCategory") for target in targets]
    if category is None or None in covered or category in covered:
        return []
    return [
        Issue(
            Code.COMMODITY_NOT_CONTRACTED,
            f"contract {item['JbmsId']}, {_KINDS[kind]}, covers CommodityCategory "
            f"{' and '.join(map(str, covered))}, not CommodityCategory {category}",
        )
    ]


def _refund_contract(context: Context, item: XmlDict) -> list[Issue]:
    """The refund names a contract, of the kind its ProcurementType says (stored as the other
    kind, it would be found by the queries for that kind), for a commodity the contract
    covers (:func:`_uncontracted_commodity`) and a period it covers, as a switch does.  A
    refund without EndTime (optional in the schema, which says no more) is taken to run from
    its StartTime to its contract's end, and so is judged by its start: an inference."""
    jbms = item["JbmsId"]
    targets = contracts(context.store, str(jbms))
    if not targets:
        return [Issue(Code.CONTRACT_UNKNOWN, f"there is no contract {jbms}")]
    found = targets[0]
    kind = found.document["ProcurementType"]
    if item["ProcurementType"] != kind:
        return [
            Issue(
                Code.CONTRACT_UNKNOWN,
                f"there is no contract {jbms} of ProcurementType {item['ProcurementType']}: "
                f"it is {_KINDS[kind]} (ProcurementType {kind})",
            )
        ]
    return _uncontracted_commodity(item, targets, kind) + outside_contract(
        jbms, (found.start, found.end), "refund", str(wall_time(item["StartTime"])), item_end(item)
    )


def _take_details(refund: XmlDict, contract_document: XmlDict) -> None:
    """Who and what the refunded contract is for, as the contract says, in place of what
    the refund may state: the refund is kept for the contract's participant, so one naming
    another participant would show that participant someone else's contract."""
    for name in ("ParticipantName", "ResourceName", "SystemCode", "ContractId"):
        value = contract_document.get(name)
        if value is not None:
            refund[name] = value


def _refund_details(context: Context, item: XmlDict) -> None:
    """Fill: the refund gets its contract's details (:func:`_take_details`)."""
    found, *_ = contracts(context.store, str(item["JbmsId"]))  # checked by _refund_contract
    _take_details(item, found.document)


def _move_refunds(context: Context, item: XmlDict) -> None:
    """Fill: a resubmitted contract's refunds take its new details, as a new refund for it
    would; kept as they were, a contract moved to another participant's resource would
    leave its refunds shown to the old participant, for the old resource, and never to the
    new one.  Moved once here, rather than looked up on every read, they are right for
    whatever reads the store (each role's queries, its visibility filter)."""
    jbms = item["JbmsId"]  # numbered by _number_contract when new (no refunds name it yet)
    for record in context.store.items(REFUNDS.kind, OMI.value):
        if record.document["JbmsId"] != jbms:
            continue
        refund = dict(record.document)
        _take_details(refund, item)
        participant, resource = refund.get("ParticipantName"), refund.get("ResourceName")
        context.store.move_item(
            record.id,
            participant=None if participant is None else str(participant),
            resource=None if resource is None else str(resource),
            document=refund,
        )


def _refund_targets(context: Context, period: tuple[str | None, str | None]) -> list[Row]:
    store = context.store
    found = [target for award in awards(store, None, period) for target in _award_contracts(award)]
    found += [
        _off_market_contract(record)
        for record in store.items(OFF_MARKET_CONTRACTS.kind, OMI.value, period=period)
    ]
    return [
        Row({k: v for k, v in c.document.items() if v is not None}, c.participant, c.start, c.end)
        for c in found
    ]


HANDLERS: dict[tuple[Interface, str], Handler] = {
    (OMI, "MarketSubmit_BaselineLoad"): submit(
        OMI_BASELINE_FILES,
        (baseline_file_issues,),
        (
            _name_resource,
            resource_master(area="Area", short_name="ResourceShortName", system_code="SystemCode"),
            submission_time(),
        ),
    ),
    (OMI, "MarketQuery_BaselineLoadFileListQuery"): stored_query(OMI_BASELINE_FILES),
    (OMI, "MarketQuery_BaselineLoadFileDownloadQuery"): download(OMI_BASELINE_FILES),
    (OMI, "MarketSubmit_RemainingReserveData"): submit(
        REMAINING_RESERVES,
        (resource_held(), dr_pattern_registered()),
        (resource_master(**_RESOURCE_MASTER),),
    ),
    (OMI, "MarketQuery_RemainingReserveDataQuery"): stored_query(REMAINING_RESERVES),
    (OMI, "MarketSubmit_OffMarketContract"): submit(
        OFF_MARKET_CONTRACTS,
        (resource_registered(), dr_pattern_registered(), _contract_exists),
        (
            _number_contract,
            resource_master(
                **_RESOURCE_MASTER, operator="OperatorCode", resource_type="ResourceType"
            ),
            _move_refunds,
        ),
    ),
    (OMI, "MarketQuery_OffMarketContractQuery"): stored_query(OFF_MARKET_CONTRACTS),
    (OMI, "MarketSubmit_RefundData"): submit(
        REFUNDS, (_refund_contract,), (_refund_details, submission_time())
    ),
    (OMI, "MarketQuery_RefundDataQuery"): stored_query(REFUNDS),
    (OMI, "MarketQuery_RefundTargetContractResultQuery"): query(_refund_targets),
}
"""The OMI operations, by interface and name."""
