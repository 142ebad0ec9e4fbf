"""A working example request for every MMS operation.

``example_request(name)`` returns what to send (the payload, the envelope attributes, the
files that travel with it) and who may send it, for any operation of the registry::

    from mms_client.examples import example_request

    example = example_request("MarketSubmit_OfferData")
    with simulator.client(example.client_type, example.participant) as client:
        response = client.call(
            example.operation, example.payload, attachments=example.attachments,
            **example.envelope,
        )

The examples are schema-valid and consistent with the local simulator's seeded state
(:mod:`mms_client.sim.seed`): they use the seeded participants, users and resources, and
the ones that act on existing data (cancel an offer, approve a registration, download a
file, switch an award, refund a contract) refer to data a fresh simulator holds.  In fact
the simulator plants part of its seed by running the submit examples, so a fresh simulator
holds, for instance, the offers of ``MarketSubmit_OfferData`` and the requirements of
``MarketSubmit_ReserveRequirement``, and the queries find them.  The examples also fit
together: sent one after another in registry order to a fresh simulator, each succeeds, as
it does alone.  That is why the registration examples register a resource and a DR pattern
the seed does not hold (:data:`NEW_RESOURCE`, :data:`NEW_DR_PATTERN`): registering the
seeded ones again would replace the registrations the evaluation and approval examples
name.  They are a starting point for real requests: change the names, times and quantities,
keep the shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from mms_client.endpoints import ClientType, Interface
from mms_client.errors import ConfigurationError
from mms_client.operations import OPERATIONS, Operation, get_operation
from mms_client.schema.binding import XmlModel
from mms_client.sim import seed
from mms_client.sim.clearing import award_jbms_id
from mms_client.sim.offers import offer_id
from mms_client.wire.soap import Attachment

__all__ = ["EXAMPLE_DAY", "Example", "example_request", "examples"]

EXAMPLE_DAY: date = seed.TRADING_DAY
"""The trading day the examples are about."""


def _at(hour: int, day: date = EXAMPLE_DAY) -> str:
    return f"{(day + timedelta(days=hour // 24)).isoformat()}T{hour % 24:02d}:00:00"


_DAY = EXAMPLE_DAY.isoformat()
_WHOLE_DAY = {"StartTime": _at(0), "EndTime": _at(24)}
_MORNING = {"StartTime": _at(9), "EndTime": _at(12)}

SETTLEMENT_FILE = "T100_F100_202403_SETTLEMENT.csv"
"""The settlement file the TSO sent F100 (seeded)."""
SETTLEMENT_DAY = EXAMPLE_DAY - timedelta(days=1)
"""The settlement day of that file (its SttlDate), by which the file list finds it."""
MI_BASELINE_FILE = f"W9_0101_{EXAMPLE_DAY:%Y%m%d}_04_FSYS2_FAKE_BATT.xml"
"""F100's MI baseline load file for FAKE_BATT (seeded)."""
OMI_BASELINE_FILE = f"W9_0132_{EXAMPLE_DAY:%Y%m%d}_04_FSYS0_FAKE_RESO.xml"
"""F100's OMI baseline load file for FAKE_RESO (seeded)."""
NEW_DR_PATTERN = 2
"""The DR pattern of FAKE_RESO2 the DR pattern example registers: not the seeded one that
awaits approval, which that registration would replace."""
NEW_DR_CUSTOMER_LIST = seed.customer_list_file(NEW_DR_PATTERN)
"""The customer list registered with it."""
EVALUATION_FILE = "exam.pdf"
REPORT_FILE = f"BSP_ResourceList_F100_{EXAMPLE_DAY:%Y%m%d}_{seed.REPORT_TRANSACTION}.xml"
"""The file of the report F100 created (seeded)."""
AWARD = award_jbms_id(offer_id(1), _at(9))
"""The JbmsId of F100's award on FAKE_RESO in the seeded morning block."""


@dataclass(frozen=True)
class Example:
    """One example request.

    ``payload`` is the item (or list of items) to send; ``envelope`` the envelope attributes
    by Python name (the client adds participant and user names); ``attachments`` the files
    that go with it; ``client_type`` and ``participant`` name the seeded user that may send
    it.
    """

    operation: Operation
    payload: XmlModel | list[XmlModel]
    client_type: ClientType
    participant: str
    envelope: Mapping[str, Any] = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()

    @property
    def items(self) -> list[XmlModel]:
        return self.payload if isinstance(self.payload, list) else [self.payload]

    def document(self, user: str) -> XmlModel:
        """The whole request document as ``user`` of the example's participant sends it."""
        envelope = dict(self.envelope)
        fields = self.operation.envelope_model.model_fields
        if "participant_name" in fields:
            envelope["participant_name"] = self.participant
        if "user_name" in fields:
            envelope["user_name"] = user
        return self.operation.request_document(self.payload, **envelope)


@dataclass(frozen=True)
class _Spec:
    """An example as data: items as dicts keyed by XML names, sent by the first seeded user
    of ``client_type``."""

    client_type: ClientType
    items: tuple[dict[str, Any], ...]
    envelope: Mapping[str, Any] = field(default_factory=dict)
    files: Mapping[str, bytes] = field(default_factory=dict)


BSP, MO, TSO = ClientType.BSP, ClientType.MO, ClientType.TSO
_MARKET = {"date": EXAMPLE_DAY}
_DAM = {"date": EXAMPLE_DAY, "market_type": "DAM"}
_OWN = ({"ParticipantName": "F100"},)

_SETTLEMENT_CSV = (
    b"ParticipantName,SttlDate,Commodity,AmountYen\r\nF100,2024-03-31,3200,1234567\r\n"
)


def _xml_file(what: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?><{what} Date="{_DAY}"></{what}>'.encode()


NEW_RESOURCE = seed.SeedResource(
    "FAKE_PUMP",
    "F100",
    "偽揚水",
    "04",
    "FSYS4",
    resource_type="03",
    long_name="偽電力揚水発電所",
    commodities=("Ter1", "Ter2"),
    start_date=EXAMPLE_DAY,
)
"""The resource the resource registration example registers: not the seeded one that
awaits approval (``FAKE_NEW``), which registering again would replace, so that the
evaluation and approval examples still find it pending."""


_SPECS: dict[tuple[Interface, str], _Spec] = {
    # --- TSO data (MI) ---
    (Interface.MI, "MarketSubmit_ReserveRequirement"): _Spec(
        TSO,
        (
            {
                "Area": "04",
                "Requirement": [
                    {
                        **_MORNING,
                        "Direction": "1",
                        "PrimaryReserveQuantityInKw": 1000,
                        "Tertiary2ReserveQuantityInKw": 3000,
                    }
                ],
            },
            {
                "Area": "03",
                "Requirement": [
                    {**_MORNING, "Direction": "1", "Tertiary2ReserveQuantityInKw": 1500}
                ],
            },
        ),
        _DAM,
    ),
    (Interface.MI, "MarketSubmit_AllowableInterareaAward"): _Spec(
        TSO,
        (
            {
                "Area": "04",
                "InterareaAward": [
                    {**_MORNING, "Direction": "1", "Tertiary2PossibleQuantityInMw": "500.000"}
                ],
            },
        ),
        _DAM,
    ),
    (Interface.MI, "MarketSubmit_UpperLimitTieline"): _Spec(
        TSO,
        (
            {
                "InterconEquipment": "02",
                "UpperLimit": [
                    {
                        **_MORNING,
                        "UpperLimitData": [
                            {
                                "Direction": "0",
                                "CommodityCategory": "3200",
                                "UpperLimitAtcInMw": "1200.000",
                            },
                            {
                                "Direction": "1",
                                "CommodityCategory": "3200",
                                "UpperLimitAtcInMw": "900.000",
                            },
                        ],
                    }
                ],
            },
        ),
        _DAM,
    ),
    (Interface.MI, "MarketSubmit_SettlementResults"): _Spec(
        TSO,
        (
            {
                "File": [
                    {
                        "Name": SETTLEMENT_FILE,
                        "ParticipantName": "F100",
                        "SttlDate": SETTLEMENT_DAY.isoformat(),
                    }
                ]
            },
        ),
        _MARKET,
        {SETTLEMENT_FILE: _SETTLEMENT_CSV},
    ),
    (Interface.MI, "MarketSubmit_OfflineFrameSubmit"): _Spec(
        TSO,
        (
            {
                "Area": "04",
                "OfflineFrame": [{**_MORNING, "Direction": "1", "OfflineFrameQuantityInKw": 800}],
            },
        ),
        _MARKET,
    ),
    (Interface.MI, "MarketSubmit_FringeSubmit"): _Spec(
        TSO,
        (
            {
                "InterconEquipment": "02",
                "Fringe": [{**_MORNING, "Direction": "0", "FringeQuantityInMW": "150.000"}],
            },
        ),
        _MARKET,
    ),
    # --- BSP market data (MI) ---
    (Interface.MI, "MarketSubmit_OfferData"): _Spec(
        BSP,
        (
            {
                "ResourceName": "FAKE_RESO",
                **_MORNING,
                "Direction": "1",
                "OfferStack": [
                    {
                        "StackNumber": 1,
                        "MinimumQuantityInKw": 100,
                        "PrimaryOfferQuantityInKw": 600,
                        "Tertiary2OfferQuantityInKw": 2000,
                        "OfferUnitPrice": "7.50",
                    },
                    {
                        "StackNumber": 2,
                        "MinimumQuantityInKw": 100,
                        "Tertiary2OfferQuantityInKw": 2000,
                        "OfferUnitPrice": "9.80",
                    },
                ],
            },
            {
                "ResourceName": "FAKE_BATT",
                **_MORNING,
                "Direction": "1",
                "OfferStack": [
                    {
                        "StackNumber": 1,
                        "MinimumQuantityInKw": 100,
                        "PrimaryOfferQuantityInKw": 500,
                        "Tertiary2OfferQuantityInKw": 1500,
                        "OfferUnitPrice": "8.00",
                    }
                ],
            },
            {
                "ResourceName": "FAKE_RESO2",
                **_MORNING,
                "Direction": "1",
                "OfferStack": [
                    {
                        "StackNumber": 1,
                        "MinimumQuantityInKw": 100,
                        "Tertiary2OfferQuantityInKw": 1000,
                        "OfferUnitPrice": "6.00",
                    }
                ],
            },
        ),
        {**_DAM, "days": 1},
    ),
    (Interface.MI, "MarketSubmit_BupSubmit"): _Spec(
        BSP,
        (
            {
                "ResourceName": "FAKE_RESO",
                **_WHOLE_DAY,
                "PatternData": [
                    {
                        "PatternNo": 1,
                        "PatternStatus": "1",
                        "Bup": {
                            "V4": "5.00",
                            "BandBup": [{"Band": 1, "FromCap": 0, "V1": "10.00", "V2": "12.00"}],
                        },
                        "Abc": {
                            "BandAbc": [
                                {"Band": 1, "FromCap": 0, "a": "1.0", "b": "2.0", "c": "3.0"}
                            ]
                        },
                        "StartupCost": {"BandStartup": [{"CaseNo": 1, "StopTime": 8, "V3": 50000}]},
                    }
                ],
            },
        ),
        {**_MARKET, "standing_data": {"StandingFlag": True}},
    ),
    (Interface.MI, "MarketSubmit_BaselineLoad"): _Spec(
        BSP,
        (
            {
                "File": [
                    {
                        "Name": MI_BASELINE_FILE,
                        "ResourceName": "FAKE_BATT",
                        "StartDate": _DAY,
                        "FileTypeFlag": "1",
                    }
                ]
            },
        ),
        _MARKET,
        {MI_BASELINE_FILE: _xml_file("BaselineLoad")},
    ),
    (Interface.MI, "MarketSubmit_Switch"): _Spec(
        BSP,
        (
            {
                **_MORNING,
                "Source": [
                    {
                        "JbmsId": AWARD,
                        "Destination": [{"DestinationType": "TSO", "Tertiary2QuantityInKw": 500}],
                    }
                ],
            },
        ),
        _MARKET,
    ),
    (Interface.MI, "MarketCancel_OfferCancel"): _Spec(
        BSP,
        ({"ResourceName": "FAKE_RESO2", **_MORNING, "MarketType": "DAM"},),
        _DAM,
    ),
    # --- MI queries ---
    (Interface.MI, "MarketQuery_ReserveRequirementQuery"): _Spec(
        BSP, ({"MarketType": "DAM", "Area": "04"},), _MARKET
    ),
    (Interface.MI, "MarketQuery_AllowableInterareaAwardQuery"): _Spec(
        BSP, ({"MarketType": "DAM", "Area": "04"},), _MARKET
    ),
    (Interface.MI, "MarketQuery_UpperLimitTielineQuery"): _Spec(
        BSP, ({"MarketType": "DAM", "InterconEquipment": "02"},), _MARKET
    ),
    (Interface.MI, "MarketQuery_SettlementResultsFileListQuery"): _Spec(
        BSP, ({},), {"date": SETTLEMENT_DAY}
    ),
    (Interface.MI, "MarketQuery_SettlementResultsFileDownloadQuery"): _Spec(
        BSP, ({"File": [{"Name": SETTLEMENT_FILE}]},), _MARKET
    ),
    (Interface.MI, "MarketQuery_OfflineFrameQuery"): _Spec(BSP, ({"Area": "04"},), _MARKET),
    (Interface.MI, "MarketQuery_OfflineFrameUsageQuery"): _Spec(
        BSP, ({**_WHOLE_DAY, "Area": "04"},), _MARKET
    ),
    (Interface.MI, "MarketQuery_FringeQuery"): _Spec(BSP, ({"InterconEquipment": "02"},), _MARKET),
    (Interface.MI, "MarketQuery_OfferQuery"): _Spec(BSP, ({"MarketType": "DAM"},), _MARKET),
    (Interface.MI, "MarketQuery_BupQuery"): _Spec(BSP, ({"ResourceName": "FAKE_RESO"},), _MARKET),
    (Interface.MI, "MarketQuery_BaselineLoadFileListQuery"): _Spec(BSP, ({},), _MARKET),
    (Interface.MI, "MarketQuery_MeritOrderListQuery"): _Spec(
        BSP, ({"MarketType": "DAM", **_WHOLE_DAY},), _MARKET
    ),
    (Interface.MI, "MarketQuery_AwardResultsQuery"): _Spec(
        BSP, ({"MarketType": "DAM", **_WHOLE_DAY},), _MARKET
    ),
    (Interface.MI, "MarketQuery_AllocatedTielineCapacityQuery"): _Spec(
        BSP, ({"InterconEquipment": "02"},), _MARKET
    ),
    (Interface.MI, "MarketQuery_AwardResultsSummaryQuery"): _Spec(
        BSP, ({"MarketType": "DAM", "Area": "04"},), _MARKET
    ),
    (Interface.MI, "MarketQuery_TielineQuery"): _Spec(BSP, ({"InterconEquipment": "02"},), _MARKET),
    (Interface.MI, "MarketQuery_SwitchQuery"): _Spec(
        BSP, ({"MarketType": "DAM", **_WHOLE_DAY},), _MARKET
    ),
    (Interface.MI, "MarketQuery_TsoRequestQuery"): _Spec(
        BSP, ({"MarketType": "DAM", **_WHOLE_DAY},), _MARKET
    ),
    # --- OMI ---
    (Interface.OMI, "MarketSubmit_BaselineLoad"): _Spec(
        BSP,
        ({"File": [{"Name": OMI_BASELINE_FILE, "BaselineType": "0132", "StartDate": _DAY}]},),
        _MARKET,
        {OMI_BASELINE_FILE: _xml_file("BaselineLoad")},
    ),
    (Interface.OMI, "MarketSubmit_RemainingReserveData"): _Spec(
        BSP,
        (
            {
                "ResourceName": "FAKE_RESO",
                "StartTime": _at(12),
                "EndTime": _at(15),
                "RemainingReserveUp": 2000,
                "RemainingReserveDown": 1000,
            },
        ),
        _MARKET,
    ),
    (Interface.OMI, "MarketSubmit_OffMarketContract"): _Spec(
        TSO,
        (
            {
                "MarketType": "DAM",
                "StartTime": _at(15),
                "EndTime": _at(18),
                "ResourceName": "FAKE_RESO",
                "Direction": "1",
                "CommodityCategory": "3200",
                "Tertiary2ContractQuantityInKw": 1000,
                "ContractPrice": "12.00",
                "Status": "1",
            },
        ),
        _MARKET,
    ),
    (Interface.OMI, "MarketSubmit_RefundData"): _Spec(
        TSO,
        (
            {
                "ProcurementType": "2",
                "JbmsId": seed.OFF_MARKET_CONTRACT,
                "StartTime": _at(15),
                "EndTime": _at(18),
                "RampDownRefundType": "0",
                "StartUpRefundType": "1",
            },
        ),
        _MARKET,
    ),
    (Interface.OMI, "MarketQuery_BaselineLoadFileListQuery"): _Spec(
        BSP, ({"BaselineType": "0132"},), _MARKET
    ),
    (Interface.OMI, "MarketQuery_BaselineLoadFileDownloadQuery"): _Spec(
        BSP, ({"File": [{"Name": OMI_BASELINE_FILE, "BaselineType": "0132"}]},), _MARKET
    ),
    (Interface.OMI, "MarketQuery_RemainingReserveDataQuery"): _Spec(BSP, (_WHOLE_DAY,), _MARKET),
    (Interface.OMI, "MarketQuery_OffMarketContractQuery"): _Spec(BSP, (_WHOLE_DAY,), _MARKET),
    (Interface.OMI, "MarketQuery_RefundDataQuery"): _Spec(BSP, (_WHOLE_DAY,), _MARKET),
    (Interface.OMI, "MarketQuery_RefundTargetContractResultQuery"): _Spec(
        BSP, ({**_WHOLE_DAY, "ProcurementType": "1"},), _MARKET
    ),
    # --- registration ---
    (Interface.MI, "RegistrationSubmit_Participant"): _Spec(
        MO,
        (
            {
                "ParticipantType": "BALANCING_SERVICE_PROVIDER",
                "StartDate": _DAY,
                "CompanyShortName": "新会社",
                "CompanyLongName": "新電力株式会社",
                "PhonePart1": "03",
                "PhonePart2": "2345",
                "PhonePart3": "6789",
            },
        ),
    ),
    (Interface.MI, "RegistrationSubmit_ParticipantValidity"): _Spec(
        MO, ({"ParticipantName": "F100", "StartDate": _DAY, "ParticipantState": "REGISTERED"},)
    ),
    (Interface.MI, "RegistrationSubmit_User"): _Spec(
        MO,
        (
            {
                "ParticipantName": "F100",
                "UserName": "FAKEUSER2",
                "StartDate": _DAY,
                "Email": "fakeuser2@example.com",
            },
        ),
    ),
    (Interface.MI, "RegistrationSubmit_UserSystemAccess"): _Spec(
        MO,
        (
            {
                "ParticipantName": "F100",
                "UserName": "FAKEUSER",
                "SubsystemName": "INTERFACE",
                "StartDate": _DAY,
                "AccessCode": "WRITE",
            },
        ),
    ),
    (Interface.MI, "RegistrationSubmit_BankAccount"): _Spec(
        BSP,
        (
            {
                "ParticipantName": "F100",
                "StartDate": _DAY,
                "TaxStandard": "1",
                "BankCode": "0001",
                "BankName": "偽銀行",
                "BranchName": "本店",
                "BranchCode": "001",
                "AccountType": "1",
                "AccountNumber": "1234567",
                "AccountHolder": "偽会社",
                "AccountHolderKatakana": "ﾆｾｶﾞｲｼﾔ",
                "PayeePostalCode": "100-0001",
                "PayeeAddress": "東京都千代田区",
                "PayeeDivisionName": "経理部",
                "PayeePhonePart1": "03",
                "PayeePhonePart2": "1234",
                "PayeePhonePart3": "5678",
                "OperatorCode": "FAKE",
            },
        ),
    ),
    (Interface.MI, "RegistrationSubmit_Resource"): _Spec(
        BSP, (seed.resource_document(NEW_RESOURCE, status=None),)
    ),
    (Interface.MI, "RegistrationSubmit_ResourceEvaluation"): _Spec(
        TSO,
        (
            {
                "ParticipantName": "F100",
                "ResourceName": seed.PENDING_RESOURCE,
                "TransactionId": seed.PENDING_RESOURCE_TRANSACTION,
                "Attachment": {
                    "DocumentType": "RES_EXAMINATION_DATA",
                    "FileName": EVALUATION_FILE,
                    "Action": "NEW",
                },
            },
        ),
        files={EVALUATION_FILE: b"%PDF-1.4\n% examination data\n%%EOF\n"},
    ),
    (Interface.MI, "RegistrationSubmit_ResourceValidity"): _Spec(
        MO,
        (
            {
                "ParticipantName": "F100",
                "ResourceName": "FAKE_RESO",
                "StartDate": _DAY,
                "ResourceState": "REGISTERED",
            },
        ),
    ),
    (Interface.MI, "RegistrationSubmit_DrPattern"): _Spec(
        BSP,
        (
            {
                "ParticipantName": "F100",
                "ResourceName": seed.DR_PATTERN_RESOURCE,
                "PatternNumber": NEW_DR_PATTERN,
                "StartDate": _DAY,
                "PatternName": "休日昼間",
                "SkipPerformanceCheck": False,
                "Ter2PossibleSupplyQuantity": 1000,
                "CustomerListAttachment": {"FileName": NEW_DR_CUSTOMER_LIST, "Action": "NEW"},
            },
        ),
        files={NEW_DR_CUSTOMER_LIST: _xml_file("CustomerList")},
    ),
    (Interface.MI, "RegistrationSubmit_ResourceCoefficient"): _Spec(
        TSO,
        (
            {
                "ParticipantName": "F100",
                "ResourceName": "FAKE_BATT",
                "CommodityCategory": "3200",
                "StartDate": _DAY,
                "Coefficient": "0.95",
            },
        ),
    ),
    (Interface.MI, "RegistrationSubmit_ResourceTransfer"): _Spec(
        MO,
        (
            {
                "PreviousParticipantName": "F200",
                "ParticipantName": "F100",
                "ResourceName": "OTHER_RESO",
                "StartDate": (EXAMPLE_DAY + timedelta(days=30)).isoformat(),
            },
        ),
    ),
    (Interface.MI, "RegistrationSubmit_ResourceSuspension"): _Spec(
        TSO,
        (
            {
                "ParticipantName": "F100",
                "ResourceName": "FAKE_RESO",
                "CommodityCategory": "2100",
                "StartDate": _DAY,
                "EndDate": _DAY,
                "Suspend": True,
            },
        ),
    ),
    (Interface.MI, "RegistrationSubmit_DrPatternSuspension"): _Spec(
        TSO,
        (
            {
                "ParticipantName": "F100",
                "ResourceName": seed.DR_PATTERN_RESOURCE,
                "PatternNumber": seed.DR_PATTERN_NUMBER,
                "CommodityCategory": "3200",
                "StartDate": (EXAMPLE_DAY + timedelta(days=7)).isoformat(),
                "Suspend": True,
            },
        ),
    ),
    (Interface.MI, "RegistrationQuery_Participant"): _Spec(BSP, _OWN),
    (Interface.MI, "RegistrationQuery_ParticipantValidity"): _Spec(BSP, _OWN),
    (Interface.MI, "RegistrationQuery_User"): _Spec(BSP, _OWN),
    (Interface.MI, "RegistrationQuery_UserSystemAccess"): _Spec(BSP, _OWN),
    (Interface.MI, "RegistrationQuery_BankAccount"): _Spec(BSP, _OWN),
    (Interface.MI, "RegistrationQuery_Resource"): _Spec(BSP, _OWN),
    (Interface.MI, "RegistrationQuery_ResourceEvaluation"): _Spec(BSP, _OWN),
    (Interface.MI, "RegistrationQuery_ResourceValidity"): _Spec(BSP, _OWN),
    (Interface.MI, "RegistrationQuery_DrPattern"): _Spec(
        BSP, ({"ParticipantName": "F100", "ResourceName": seed.DR_PATTERN_RESOURCE},)
    ),
    (Interface.MI, "RegistrationQuery_ResourceCoefficient"): _Spec(BSP, _OWN),
    (Interface.MI, "RegistrationQuery_ResourceSuspension"): _Spec(
        BSP, ({"ParticipantName": "F100", "ResourceName": "FAKE_RESO"},)
    ),
    (Interface.MI, "RegistrationQuery_DrPatternSuspension"): _Spec(
        BSP, ({"ParticipantName": "F100", "ResourceName": seed.DR_PATTERN_RESOURCE},)
    ),
    (Interface.MI, "RegistrationApproval_Resource"): _Spec(
        MO,
        (
            {
                "ParticipantName": "F100",
                "ResourceName": seed.PENDING_RESOURCE,
                "TransactionId": seed.PENDING_RESOURCE_TRANSACTION,
                "Action": "APPROVED",
            },
        ),
    ),
    (Interface.MI, "RegistrationApproval_DrPattern"): _Spec(
        MO,
        (
            {
                "ParticipantName": "F100",
                "ResourceName": seed.DR_PATTERN_RESOURCE,
                "PatternNumber": seed.DR_PATTERN_NUMBER,
                "TransactionId": seed.PENDING_DR_PATTERN_TRANSACTION,
                "Action": "APPROVED",
            },
        ),
    ),
    # --- reports ---
    (Interface.MI, "ReportCreateRequest"): _Spec(
        BSP,
        (
            {
                "ReportName": "BSP_ResourceList",
                "ReportType": "REGISTRATION",
                "ReportSubType": "RESOURCE",
                "Periodicity": "ON_DEMAND",
                "Date": _DAY,
            },
        ),
    ),
    (Interface.MI, "ReportListRequest"): _Spec(
        BSP,
        (
            {
                "ReportType": "REGISTRATION",
                "ReportSubType": "RESOURCE",
                "Periodicity": "ON_DEMAND",
                "Date": _DAY,
            },
        ),
    ),
    (Interface.MI, "ReportDownloadRequest"): _Spec(
        BSP,
        (
            {
                "ReportType": "REGISTRATION",
                "ReportSubType": "RESOURCE",
                "Periodicity": "ON_DEMAND",
                "ReportName": "BSP_ResourceList",
                "Date": _DAY,
                "AccessClass": "BSP",
                "FileName": REPORT_FILE,
                "FileType": "XML",
            },
        ),
    ),
    (Interface.MI, "ReportDownloadRequestTrnID"): _Spec(
        BSP, ({"TransactionId": seed.REPORT_TRANSACTION},)
    ),
}


def _example(operation: Operation, spec: _Spec) -> Example:
    model = operation.payload_model
    items = [model.model_validate(item) for item in spec.items]
    return Example(
        operation=operation,
        payload=items[0] if len(items) == 1 else items,
        client_type=spec.client_type,
        participant=next(u.participant for u in seed.USERS if u.client_type is spec.client_type),
        envelope=dict(spec.envelope),
        attachments=tuple(Attachment(name, data) for name, data in spec.files.items()),
    )


def example_request(operation_name: str, interface: Interface | str | None = None) -> Example:
    """The example request of an operation (``interface`` chooses between the MI and OMI
    operations of the same name).  Raises :class:`~mms_client.errors.ConfigurationError`
    for a name that is no operation."""
    operation = get_operation(operation_name, interface)
    spec = _SPECS.get((operation.interface, operation.name))
    if spec is None:
        raise ConfigurationError(f"there is no example of {operation.name}")
    return _example(operation, spec)


def examples() -> list[Example]:
    """The example of every operation, in registry order."""
    return [example_request(op.name, op.interface) for op in OPERATIONS]
