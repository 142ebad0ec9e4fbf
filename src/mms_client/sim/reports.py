"""Reports (``MarketReport``): create a report, list the reports made, download one by its
TransactionId or by its name.

Creating a report generates its file at once, from the state as it is then: the dataset the
``ReportName`` names (one of ``mi-outbnd-reports.xsd``), as an ``OutboundData`` XML document
or as CSV (the shape of :mod:`mms_client.reports`).  The answer's TransactionId is the
report's; the report is listed as a ``ReportItem`` and kept for its participant.

The request must name a dataset with its report type and sub-type (``E_REPORT_UNKNOWN``),
one the caller's client type may create (``E_REPORT_NOT_AUTHORISED``), both as
:func:`mms_client.reports.dataset_rules` says (the catalog's rules, mostly inferred), and a
BSP may only name itself as ``BSPName`` (``E_PARTICIPANT_MISMATCH``), while the market operator
and TSOs, who narrow a report to one BSP with it, must name a registered BSP
(``E_PARTICIPANT_UNKNOWN``).  Parameters (``Param``, at most five; ``E_PARAMETER_INVALID`` for
an unknown name, a missing parameter, or a value the simulator cannot use, with what the
parameter allows):

=================  ================================================================
``START_TIME``     start of the period (``2024-04-01T00:00:00``; a date means its start)
``END_TIME``       its end, after the start; both are required for every dataset but
                   the resource lists, which list the resources registered on the
                   report's ``Date``, as held then
``RESOURCE_NAME``  a ``ResourceNameType``; required for BUPs, a filter for the others
``MARKET_TYPE``    a ``MarketTypeType``; a filter
``AREA``           an ``AreaType``; a filter
``FILE_TYPE``      a ``FileTypeType``, ``XML`` (the default) or ``CSV``; the simulator's way
                   to choose the form
=================  ================================================================

The filters' types are those of ``mi-market.xsd``, under which the data they select was
accepted: a value outside them would match nothing, so it is refused instead of answered with
an empty report.

A download answers with the file itself (``responseDataType`` XML or CSV, ``responseFilename``
the report's file name; a large file travels as a binary MTOM part).  When there is no such
report of the caller the answer is an ``OutboundData`` document whose ``MESSAGES/ERROR``
says so (``E_REPORT_NOT_FOUND``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError

from mms_client import reports
from mms_client.endpoints import ClientType, Interface
from mms_client.schema import codec
from mms_client.schema.generated.mi_market import AreaCode, MarketType, ResourceName
from mms_client.schema.generated.mi_outbnd_reports import DatasetName, OutboundData
from mms_client.schema.generated.mi_report import FileType
from mms_client.sim.calls import (
    Call,
    Code,
    FileAnswer,
    Issue,
    ItemResult,
    Outcome,
    XmlDict,
    as_xml_dict,
)
from mms_client.sim.clearing import (
    COMMODITIES,
    SWITCHES,
    Award,
    award_data,
    award_stands,
    awards,
    coefficient,
    merit_order_rows,
    money,
    stack_price,
)
from mms_client.sim.holding import resources_held
from mms_client.sim.market_data import BUPS
from mms_client.sim.records import (
    Collection,
    Context,
    Handler,
    Owner,
    Row,
    known,
    query,
    select,
    store_units,
    stored,
    wall_time,
)
from mms_client.sim.store import Store
from mms_client.sim.tso_data import RESERVE_REQUIREMENTS

MI = Interface.MI
REPORTS = Collection("Report", MI, ("TransactionId",), Owner.CALLER, period=None)
KEPT_DAYS = 30
"""How long a report stays available: its ExpiryDate is this many days after its creation,
and past that day (in JST) it is neither listed nor downloaded, and it leaves the state when
the next report is made."""
_TIMES = ("START_TIME", "END_TIME")
_PARAMETER_TYPES: dict[str, TypeAdapter[Any]] = {
    "RESOURCE_NAME": TypeAdapter(ResourceName),
    "MARKET_TYPE": TypeAdapter(MarketType),
    "AREA": TypeAdapter(AreaCode),
    "FILE_TYPE": TypeAdapter(FileType),
}
"""The schema type of each parameter but the times: the data the filters select was accepted
under these types, so a value outside them would only ever select nothing; FILE_TYPE names
the form of the report's file, as its ``ReportItem`` does."""
_PARAMETERS = frozenset({*_TIMES, *_PARAMETER_TYPES})


@dataclass(frozen=True)
class Scope:
    """What a report covers: the request's parameters and whose data it may show."""

    context: Context
    participant: str | None
    """Whose data (None: every participant's)."""
    period: tuple[str | None, str | None]
    """START_TIME to END_TIME; for a dataset that covers no period, the report's Date."""
    resource: str | None
    market_type: str | None
    area: str | None

    @property
    def store(self) -> Store:
        return self.context.store

    def in_market(self, market: Any) -> bool:
        """Whether data of ``market`` is within the requested market type."""
        return self.market_type in (None, market)

    def covers(self, resource: Any, area: Any) -> bool:
        """Whether data on ``resource`` in ``area`` is within the requested filters."""
        return self.resource in (None, resource) and self.area in (None, area)

    def wants(self, participant: Any, resource: Any, area: Any) -> bool:
        """Whether data of ``participant`` on ``resource`` in ``area`` belongs in the
        report."""
        return self.participant in (None, participant) and self.covers(resource, area)


@dataclass(frozen=True)
class Dataset:
    """How the simulator makes a dataset: whether it covers a period (else it is as of the
    report's Date: the resource lists), whether it needs a resource, and how its rows are made
    from the state. Who may create it and its report type are the library's
    (:func:`mms_client.reports.dataset_rules`), so the simulator refuses what the client is
    told."""

    rows: Callable[[Scope], list[XmlDict]]
    description: str
    timed: bool = True
    needs_resource: bool = False


def _flat(document: XmlDict, **renames: str) -> XmlDict:
    """A stored element's attributes under dataset names: ``...InKw`` loses its suffix,
    ``renames`` maps dataset names to element names."""
    row = {
        name.removesuffix("InKw"): value
        for name, value in document.items()
        if not isinstance(value, dict | list)
    }
    row.update({target: document.get(source) for target, source in renames.items()})
    return row


def _trade_date(wall: Any) -> str:
    return str(wall_time(wall))[:10]


# --- rows of each dataset ----------------------------------------------------------------------

_RESOURCE_RENAMES = {
    "BaselineSettingsMethod": "BaselineSettingMethod",
    "VoltageForContOpPct": "ContinuousOperationVoltage",
    "RatedPowerFactorPct": "RatedPowerFactor",
    "FCBOperation": "FcbOperation",
    "DSS": "Dss",
    "PumpUpCharging": "PumpCharging",
    "VarSpeedOpChrgAdjOp": "VariableSpeedOperation",
    "PhaseModifyingOp": "PhaseModifyingOperation",
    "MaxOutputOPMode": "OverPowerOperationMaximumOutput",
    "MaxOutputPeakMode": "PeakModeOperationMaximumOutput",
    "VENID": "VenId",
    "BGCode": "BgCode",
    "ContractExstOfPowerSupplyiP": "ContractExistence",
    "PowerSourceiPDecMaxUnitPrice": "DeclaredMaximumUnitPrice",
}


def _resource_rows(scope: Scope) -> list[XmlDict]:
    """The approved resources registered on the report's Date (its period), each as held
    then: the resource query's rule (:func:`~mms_client.sim.holding.resources_held`)."""
    rows = []
    on = str(scope.period[0])
    held = resources_held(scope.store, scope.period, scope.context.now, status="APPROVED")
    for resource, held_by in held:
        if not scope.wants(held_by, resource.name, resource.area):
            continue
        participant = scope.store.participant(held_by)
        document = resource.document
        row = _flat(document, **_RESOURCE_RENAMES)
        band = document.get("OutputBand", {}).get("OutputBandInfo", [{}])[0]
        row.update(
            ParticipantName=held_by,
            CompanyShortName=None if participant is None else participant.company_short_name,
            CoefficientTR2=money(coefficient(scope.store, resource.name, on[:10] + "T00:00:00")),
            Address=document.get("Address", "未登録"),
            Status="APPROVED",
            OutputBand=band.get("Output"),
            VariationSpeedOTM=band.get("OtmVariationSpeed"),
        )
        rows.append(row)
    return rows


def _otm_rows(scope: Scope) -> list[XmlDict]:
    return [row for row in _resource_rows(scope) if row["OutputBand"] is not None]


def _offer_rows(scope: Scope) -> list[XmlDict]:
    start, end = scope.period
    rows = []
    for offer in scope.store.offers(
        market_type=scope.market_type,
        period_start=str(start),
        period_end=str(end),
        participant=scope.participant,
        resource=scope.resource,
        area=scope.area,
    ):
        document: XmlDict = json.loads(offer.document)
        for stack in document["OfferStack"]:
            rows.append(
                {
                    **_flat(document),
                    **_flat(stack),
                    "TradeDate": _trade_date(document["StartTime"]),
                    "OfferID": stack["OfferId"],
                    "MarketType": offer.market_type,
                    "ParticipantName": document["BspParticipantName"],
                    "MinimumSupplyQuantity": stack["MinimumQuantityInKw"],
                    "OfferUnitPrice": money(stack["OfferUnitPrice"]),
                    "RampDownUnitPrice": stack_price(stack, "RampDownUnitPrice"),
                    "StartUpUnitPrice": stack_price(stack, "StartUpUnitPrice"),
                    "DRPatternNumber": document.get("DrPatternNumber"),
                    "CompletionDate": document["SubmissionTime"],
                }
            )
    return rows


def _requirement_rows(scope: Scope) -> list[XmlDict]:
    rows = []
    for record in scope.store.items(RESERVE_REQUIREMENTS.kind, MI.value, period=scope.period):
        market = record.tags["MarketType"]
        area = record.document["Area"]
        if not scope.in_market(market) or scope.area not in (None, area):
            continue
        (requirement,) = record.document["Requirement"]
        rows.append(
            {
                **_flat(requirement),
                "TradeDate": _trade_date(requirement["StartTime"]),
                "MarketType": market,
                "RequiringArea": area,
                "PToS1CompoundReserveQuantity": requirement.get(
                    "CompoundPriSec1ReserveQuantityInKw"
                ),
                "PToS2CompoundReserveQuantity": requirement.get(
                    "CompoundPriSec2ReserveQuantityInKw"
                ),
                "PToT1CompoundReserveQuantity": requirement.get(
                    "CompoundPriTer1ReserveQuantityInKw"
                ),
            }
        )
    return rows


def _bup_rows(scope: Scope) -> list[XmlDict]:
    rows = []
    for record in scope.store.items(
        BUPS.kind, MI.value, resource=scope.resource, period=scope.period
    ):
        document = record.document
        if not scope.wants(record.participant, record.resource, document.get("Area")):
            continue
        base = {
            **_flat(document),
            "TradeDate": _trade_date(document["StartTime"]),
            "ParticipantName": document.get("BspParticipantName"),
        }
        for pattern in document["PatternData"]:
            common = {
                **base,
                "PatternNumber": pattern["PatternNo"],
                "PatternRemark": pattern.get("PatternRemark"),
            }
            bup = pattern.get("Bup", {})
            for band in bup.get("BandBup", []):
                rows.append(
                    {
                        **common,
                        "PriceDetails": "OUTPUT BAND",
                        "BandNumber": band["Band"],
                        "FromCapacity": band["FromCap"],
                        "V1": band["V1"],
                        "V2": band.get("V2"),
                        "V4Upward": bup.get("V4"),
                    }
                )
            for band in pattern.get("Abc", {}).get("BandAbc", []):
                rows.append(
                    {
                        **common,
                        "PriceDetails": "ABC CONSTANT",
                        "BandNumber": band["Band"],
                        "FromCapacity": band["FromCap"],
                        "A": band["a"],
                        "B": band["b"],
                        "C": band["c"],
                    }
                )
            for case in pattern.get("StartupCost", {}).get("BandStartup", []):
                rows.append(
                    {
                        **common,
                        "PriceDetails": "STARTUP COST",
                        "CaseNumber": case["CaseNo"],
                        "StopTime": case["StopTime"],
                        "V3": case["V3"],
                        "StartupCostRemark": case.get("Remark"),
                    }
                )
    return rows


def _merit_order_rows(scope: Scope) -> list[XmlDict]:
    rows = []
    for row in merit_order_rows(scope.context, scope.period):
        (data,) = row.document["MeritOrderListData"]
        market = row.tags["MarketType"]
        if not scope.in_market(market) or not scope.covers(data["ResourceName"], data["Area"]):
            continue
        rows.append(
            {
                **_flat(data),
                **_flat(row.document),
                "TradeDate": _trade_date(row.document["StartTime"]),
                "OfferID": data["OfferId"],
                "ParticipantName": data["BspParticipantName"],
                "MarketType": market,
            }
        )
    return rows


def _contract_rows(scope: Scope, *, measured: bool | None = None) -> list[XmlDict]:
    """One row per award and commodity (of measurement-base resources only, when
    ``measured``)."""
    rows = []
    for award in awards(scope.store, scope.market_type, scope.period):
        resource = award.candidate.resource
        if not scope.wants(award.participant, resource.name, award.block.area):
            continue
        if measured and resource.document.get("BaselineSettingMethod") != "2":
            continue
        rows.extend(_contract_result(scope.store, award))
    return rows


def _contract_result(store: Store, award: Award) -> list[XmlDict]:
    data = award_data(store, award)
    base = {
        **_flat(data),
        "TradeDate": _trade_date(award.block.start),
        "StartTime": award.block.start,
        "EndTime": award.block.end,
        "Direction": award.block.direction,
        "MarketType": award.block.market_type,
        "OfferID": data["OfferId"],
        "ContractNumber": data["ContractId"],
        "ParticipantName": data["BspParticipantName"],
        "PriSec1CommandOperationMethod": data.get("CommandOperationMethodPriSec1"),
        "Sec2Ter1Ter2CommandOperationMethod": data.get("CommandOperationMethodSec2Ter1Ter2"),
        "CoefficientTR2": data["PerfEvalCoeff"],
        "UpdateTime": data["SubmissionTime"],
        "DRPatternNumber": data.get("DrPatternNumber"),
        "JBMSId": data["JbmsId"],
        "Status": "ACTIVE",
        "ContractResult": data["OfferAwardedLevel"],
        "ContractSource": data["ContractSource"],
    }
    for name in list(base):
        if name.endswith(("AwardQuantity", "ContractQuantity", "ValidQuantity", "OfferQuantity")):
            del base[name]
    rows = []
    for commodity in COMMODITIES:
        if commodity.name not in award.awarded:
            continue
        quantity = award.awarded[commodity.name]
        row = {
            **base,
            "CommodityCategory": commodity.category,
            f"{commodity.name}OfferQuantity": award.candidate.offered(commodity),
        }
        if commodity.name == "Tertiary2":
            row["Tertiary2ContractQuantity"] = quantity
        else:
            row[f"{commodity.name}ValidContractQty"] = quantity
        rows.append(row)
    return rows


def _switch_request_rows(scope: Scope) -> list[XmlDict]:
    rows = []
    for record in scope.store.items(SWITCHES.kind, MI.value, period=scope.period):
        document = record.document
        market = record.tags["MarketType"]
        if document["Status"] != "TSO" or not scope.in_market(market):
            continue
        if not award_stands(scope.store, document["SourceJbmsId"]):
            continue
        if not scope.wants(
            record.participant, document["SourceResourceName"], document["SourceArea"]
        ):
            continue
        source = scope.store.participant(str(document["SourceParticipantName"]))
        row = {
            **_flat(document),
            "ContractNO": document["ContractId"],
            "SourceJBMSId": document["SourceJbmsId"],
            "RequestTime": document["ModifiedTime"],
            "TradeDate": _trade_date(document["StartTime"]),
            "MarketType": market,
            "LinkingArea": document["LinkedArea"],
            "SourceOperatorCode": None if source is None else source.operator_code,
            "RequestStatus": document.get("RequestStatus", "Requested"),
        }
        for commodity in COMMODITIES:
            requested = document.get(f"{commodity.name}Quantity")
            if requested is not None:
                row.setdefault("CommodityCategory", commodity.category)
                row[f"{commodity.name}RequestedQuantity"] = requested
                row[f"{commodity.name}RemainingRequestQty"] = requested
            held = document.get(f"Source{commodity.name}Quantity")
            if held is not None:
                row[f"Source{commodity.name}ValidContractQty"] = held
        row["SourceTertiary2Quantity"] = document.get("SourceTertiary2Quantity")
        rows.append(row)
    return rows


def _access_rows(scope: Scope) -> list[XmlDict]:
    start, end = scope.period
    return [
        {
            "Name": entry.participant,
            "UserName": entry.user,
            "TransactionID": entry.transaction_id,
            "ActionPerformed": entry.action,
            "ApplicationName": entry.application,
            "StartTime": entry.start_time,
            "EndTime": entry.end_time,
            "DownloadFileName": entry.file_name,
        }
        for entry in scope.store.access_log(
            participant=scope.participant, period=(str(start), str(end))
        )
    ]


DATASETS: dict[DatasetName, Dataset] = {
    DatasetName.RESOURCELIST: Dataset(_resource_rows, "Resource list", timed=False),
    DatasetName.BSP_RESOURCELIST: Dataset(_resource_rows, "Resource list for BSP", timed=False),
    DatasetName.RESOURCESTTL: Dataset(
        _resource_rows, "Resources master for settlement", timed=False
    ),
    DatasetName.RESOURCESTTLOTM: Dataset(
        _otm_rows, "Resources master OTM for settlement", timed=False
    ),
    DatasetName.OFFERS: Dataset(_offer_rows, "Offers"),
    DatasetName.BSP_OFFERS: Dataset(_offer_rows, "Offers for BSP"),
    DatasetName.RESERVEREQS: Dataset(_requirement_rows, "Reserve requirements"),
    DatasetName.BUP: Dataset(_bup_rows, "BUP", needs_resource=True),
    DatasetName.BSP_BUP: Dataset(_bup_rows, "BUP for BSP", needs_resource=True),
    DatasetName.MOL: Dataset(_merit_order_rows, "Merit order list"),
    DatasetName.CONTRACTRESULT: Dataset(_contract_rows, "Power source contract results"),
    DatasetName.BSP_CONTRACTRESULT: Dataset(
        _contract_rows, "Power source contract results for BSP"
    ),
    DatasetName.MEASUREBASECONTRACTRESULT: Dataset(
        lambda scope: _contract_rows(scope, measured=True),
        "Measurement base power source contract results",
    ),
    DatasetName.BSP_MEASUREBASECONTRACTRESULT: Dataset(
        lambda scope: _contract_rows(scope, measured=True),
        "Measurement base power source contract results for BSP",
    ),
    DatasetName.SWITCHREQUEST: Dataset(_switch_request_rows, "TSO switching requests"),
    DatasetName.ACCESSLOG: Dataset(_access_rows, "User access log"),
}
"""Every dataset of ``mi-outbnd-reports.xsd``."""


# --- the operations ------------------------------------------------------------------------------


def _moment(value: str) -> str | None:
    try:
        return wall_time(datetime.fromisoformat(value.strip()).isoformat())
    except ValueError:
        return None


@dataclass(frozen=True)
class _Request:
    """A report request that passed every check."""

    name: DatasetName
    dataset: Dataset
    scope: Scope
    file_type: str


def _parameters(item: XmlDict) -> tuple[dict[str, str], list[Issue]]:
    given = [(str(p["Name"]), str(p["Value"])) for p in item.get("Param", [])]
    values = dict(given)
    times_given = Counter(name for name, _ in given)
    issues = [
        Issue(
            Code.PARAMETER_INVALID,
            f"unknown parameter {name}; known: {', '.join(sorted(_PARAMETERS))}",
        )
        for name in values
        if name not in _PARAMETERS
    ]
    issues += [
        # which of two values the MMS would use is unknown; neither is taken silently
        Issue(Code.PARAMETER_INVALID, f"the parameter {name} is given more than once")
        for name, count in times_given.items()
        if count > 1
    ]
    moments = {name: _moment(values[name]) for name in _TIMES if name in values}
    issues += [
        Issue(Code.PARAMETER_INVALID, f"{name} {values[name]!r} is not a date and time")
        for name, moment in moments.items()
        if moment is None
    ]
    start, end = moments.get("START_TIME"), moments.get("END_TIME")
    if start is not None and end is not None and end <= start:
        # a period that holds no moment could only give an empty report
        issues.append(
            Issue(
                Code.PARAMETER_INVALID,
                f"END_TIME {values['END_TIME']!r} is not after START_TIME {values['START_TIME']!r}",
            )
        )
    for name, schema_type in _PARAMETER_TYPES.items():
        if name in values:
            issues.extend(_type_issues(name, values[name], schema_type))
    return values, issues


def _type_issues(name: str, value: str, schema_type: TypeAdapter[Any]) -> list[Issue]:
    """Why ``value`` is not of the parameter's schema type, each problem with the rule it
    breaks (the values, pattern or lengths the schema allows), so the caller sees what to
    send instead."""
    try:
        schema_type.validate_python(value)
    except ValidationError as error:
        return [
            Issue(Code.PARAMETER_INVALID, f"{name} {value!r} is not allowed: {problem['msg']}")
            for problem in error.errors(include_url=False)
        ]
    return []


def _is_bsp(store: Store, name: str) -> bool:
    participant = store.participant(name)
    return participant is not None and participant.participant_type is ClientType.BSP


def _request(context: Context, item: XmlDict) -> _Request | list[Issue]:
    name = str(item["ReportName"])
    try:
        dataset_name = DatasetName(name)
    except ValueError:
        return [Issue(Code.REPORT_UNKNOWN, f"the MMS produces no report {name}")]
    dataset = DATASETS[dataset_name]
    rules = reports.dataset_rules(dataset_name)
    kind = (item["ReportType"], item["ReportSubType"])
    if kind != (rules.report_type, rules.report_sub_type):
        return [
            Issue(
                Code.REPORT_UNKNOWN,
                f"{name} is a {rules.report_type}/{rules.report_sub_type} report "
                f"({rules.report_type_source}), not {kind[0]}/{kind[1]}",
            )
        ]
    caller = context.call.caller.client_type
    if caller not in rules.audiences:
        allowed = ", ".join(sorted(c.value for c in rules.audiences))
        return [
            Issue(
                Code.REPORT_NOT_AUTHORISED,
                f"{name} is for {allowed} ({rules.audience_source}), not {caller.value}",
            )
        ]
    issues = []
    bsp = item.get("BSPName")
    if context.is_bsp and bsp not in (None, context.participant):
        issues.append(
            Issue(Code.PARTICIPANT_MISMATCH, f"a BSP gets its own reports, not those of {bsp}")
        )
    elif bsp is not None and not _is_bsp(context.store, str(bsp)):
        # a filter that names no BSP would only give an empty report, as a Param would
        issues.append(Issue(Code.PARTICIPANT_UNKNOWN, f"BSPName {bsp} is not a registered BSP"))
    values, problems = _parameters(item)
    issues.extend(problems)
    required = [
        *(("START_TIME", "END_TIME") if dataset.timed else ()),
        *(("RESOURCE_NAME",) if dataset.needs_resource else ()),
    ]
    issues.extend(
        Issue(Code.PARAMETER_INVALID, f"{name} needs the parameter {parameter}")
        for parameter in required
        if parameter not in values
    )
    if issues:
        return issues
    # a dataset of no period (a resource list) is as of the report's Date
    period = (
        (_moment(values["START_TIME"]), _moment(values["END_TIME"]))
        if dataset.timed
        else (wall_time(item["Date"]), wall_time(item["Date"], end=True))
    )
    scope = Scope(
        context=context,
        participant=context.participant if context.is_bsp else bsp,
        period=period,
        resource=values.get("RESOURCE_NAME"),
        market_type=values.get("MARKET_TYPE"),
        area=values.get("AREA"),
    )
    return _Request(dataset_name, dataset, scope, values.get("FILE_TYPE", FileType.XML))


def _file(request: _Request, context: Context, day: date) -> bytes:
    model = reports.row_model(request.name)
    rows = [
        known(model, {**row, "ROW": number})
        for number, row in enumerate(request.dataset.rows(request.scope), start=1)
    ]
    if request.file_type == "CSV":
        return reports.write_csv(request.name, rows)
    return reports.write_xml(
        request.name,
        rows,
        dataset_type="ON_DEMAND",
        date=day,
        date_type="TRADE",
        date_time_indicator="JST",
        publish_time=context.call.now.replace(microsecond=0),
    )


def create_report(call: Call, store: Store) -> Outcome:
    """``ReportCreateRequest``: the report is generated now and kept under the answer's
    TransactionId."""
    context = Context(call, store)
    (model,) = call.items
    item = as_xml_dict(model)
    request = _request(context, item)
    if isinstance(request, list):
        return Outcome([ItemResult(item, errors=request)], echo=True)
    day = date.fromisoformat(str(item["Date"]))
    content = _file(request, context, day)
    extension = request.file_type.lower()
    report = {
        "ReportType": item["ReportType"],
        "ReportSubType": item["ReportSubType"],
        "Periodicity": item["Periodicity"],
        "ReportName": request.name.value,
        "TransactionId": call.transaction_id,
        "AccessClass": call.caller.client_type.value,
        "Date": day.isoformat(),
        "FileType": request.file_type,
        "FileName": (
            f"{request.name.value}_{context.participant}_{day:%Y%m%d}_"
            f"{call.transaction_id}.{extension}"
        ),
        "FileSize": len(content),
        "BinaryFile": False,
        "ExpiryDate": (call.now.date() + timedelta(days=KEPT_DAYS)).isoformat(),
        "Description": request.dataset.description,
    }
    store.delete_lapsed(REPORTS.kind, MI.value, "ExpiryDate", context.now[:10])
    store_units(context, REPORTS, report, content=content)
    return Outcome([ItemResult(item)], echo=True)


def _missing(text: str) -> FileAnswer:
    document = OutboundData.model_validate(
        {"MESSAGES": {"ERROR": [f"{Code.REPORT_NOT_FOUND.value}: {text}"]}}
    )
    return FileAnswer(codec.write(document), "XML", ok=False)


def _kept(context: Context, period: tuple[str | None, str | None]) -> list[Row]:
    """The caller's reports not past their ExpiryDate, by the simulator's clock in JST: an
    expired report is gone, as one never made.

    A report is its creator's alone, whatever the caller's role: the market operator and
    TSOs, who see every participant's data in queries, get reports only of the datasets made
    for them, and another's report could be one of a dataset refused to them (a BSP's
    ``BSP_ResourceList``, a TSO's ``ContractResult`` for the market operator)."""
    today = context.now[:10]  # the day of the request's JST wall-clock time
    return [
        row
        for row in stored(REPORTS, own=True)(context, period)
        if row.document["ExpiryDate"] >= today
    ]


def download_report(call: Call, store: Store) -> Outcome:
    """``ReportDownloadRequestTrnID`` and ``ReportDownloadRequest``: the caller's report
    whose list entry has every attribute the request names (its TransactionId, or its type,
    name, date and file name)."""
    context = Context(call, store)
    (model,) = call.items
    wanted = as_xml_dict(model)
    found = select(context, _kept, wanted)
    if not found:
        described = ", ".join(f"{k}={v}" for k, v in wanted.items())
        return Outcome([], echo=False, file=_missing(f"you have no report with {described}"))
    report = found[0].document
    record = store.item(REPORTS.kind, MI.value, (report["TransactionId"],))
    assert record is not None
    return Outcome(
        [],
        echo=False,
        file=FileAnswer(store.item_content(record.id), str(report["FileType"]), report["FileName"]),
    )


HANDLERS: dict[tuple[Interface, str], Handler] = {
    (MI, "ReportCreateRequest"): create_report,
    (MI, "ReportListRequest"): query(_kept),
    (MI, "ReportDownloadRequestTrnID"): download_report,
    (MI, "ReportDownloadRequest"): download_report,
}
"""The report operations, by interface and name."""
