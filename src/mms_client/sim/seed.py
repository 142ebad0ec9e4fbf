"""Who and what exists in a new simulator.

The seed is chosen so that every rule a client meets can be exercised and every operation's
example (:mod:`mms_client.examples`) works on a fresh simulator, alone or after the others:

- a BSP with several approved resources (``F100``/``FAKEUSER``, owning ``FAKE_RESO``, the name
  of the documented example, a VPP and a battery), a second BSP owning a resource of its own
  (offers on another participant's resource are refused), and one market operator and one
  TSO user, each in a participant of its own (the TSO ``T100`` stands for every area);
- market data for :data:`TRADING_DAY` and registrations awaiting approval, planted by
  :mod:`mms_client.sim.seeding` through the simulator's own handlers; the identifiers that
  planting produces, which examples refer to, are fixed here.

The registration documents of master data are built here too, for the seed and for state
folders made before the simulator kept such documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from mms_client.endpoints import ClientType
from mms_client.jst import JST

REGISTERED_FROM = date(2024, 1, 1)
"""The StartDate of the seeded registrations."""
TRADING_DAY = date(2024, 4, 1)
"""The day the seeded market data (requirements, offers, awards...) is for."""
SEEDED_AT = datetime(2024, 3, 29, 10, 0, tzinfo=JST)
"""When the seeded requests count as submitted."""

PENDING_RESOURCE = "FAKE_NEW"
"""A resource F100 registered that awaits approval by the market operator or a TSO."""
PENDING_RESOURCE_TRANSACTION = "R0000001"
"""The TransactionId of its registration."""
DR_PATTERN_RESOURCE = "FAKE_RESO2"
DR_PATTERN_NUMBER = 1
"""A DR pattern of F100's VPP that awaits approval."""
PENDING_DR_PATTERN_TRANSACTION = "R0000002"


def customer_list_file(pattern: int) -> str:
    """The file name of the customer list of DR pattern ``pattern`` of ``FAKE_RESO2``, as of
    the trading day."""
    return f"W9_0231_{TRADING_DAY:%Y%m%d}_FSYS1_{pattern:03d}_{DR_PATTERN_RESOURCE}.xml"


DR_CUSTOMER_LIST = customer_list_file(DR_PATTERN_NUMBER)
"""The customer list registered with that DR pattern."""
OFF_MARKET_CONTRACT = "OMC000000000000001"
"""The JbmsId of the off-market contract a TSO made on ``FAKE_RESO``."""
REPORT_TRANSACTION = "RPT00001"
"""The TransactionId of the report F100 created (its ``BSP_ResourceList``)."""


@dataclass(frozen=True)
class SeedParticipant:
    """A market participant with the names the MMS echoes on its data."""

    name: str
    company_short_name: str
    operator_code: str
    participant_type: ClientType = ClientType.BSP


@dataclass(frozen=True)
class SeedUser:
    """A user of a participant; it gets a PKCS#12 of its own in the test PKI."""

    participant: str
    user: str
    client_type: ClientType


@dataclass(frozen=True)
class SeedResource:
    """A registered resource: the master data the MMS adds to data submitted on it, and
    what its registration says about it.

    ``commodities`` are the products it may offer (``Pri``, ``Sec1``, ``Sec2``, ``Ter1``,
    ``Ter2``); ``command`` the command operation method of its primary/secondary-1 products
    ("1" dedicated line, "3" offline); ``baseline`` its baseline setting method ("1"
    prediction, "2" measurement base) where it needs one; ``start_date`` the first day of
    its registration.
    """

    name: str
    participant: str
    short_name: str
    area: str
    system_code: str
    resource_type: str = "01"
    long_name: str = "発電所"
    commodities: tuple[str, ...] = ("Ter2",)
    command: str | None = None
    baseline: str | None = None
    start_date: date = REGISTERED_FROM


PARTICIPANTS: tuple[SeedParticipant, ...] = (
    SeedParticipant("F100", "偽会社", "FAKE"),
    SeedParticipant("F200", "他社", "OTHR"),
    SeedParticipant("M100", "市場運営", "MKOP", ClientType.MO),
    SeedParticipant("T100", "送配電", "TSOP", ClientType.TSO),
)

USERS: tuple[SeedUser, ...] = (
    SeedUser("F100", "FAKEUSER", ClientType.BSP),
    SeedUser("F200", "OTHERUSER", ClientType.BSP),
    SeedUser("M100", "MOUSER", ClientType.MO),
    SeedUser("T100", "TSOUSER", ClientType.TSO),
)

RESOURCES: tuple[SeedResource, ...] = (
    SeedResource(
        "FAKE_RESO",
        "F100",
        "偽電力",
        "04",
        "FSYS0",
        long_name="偽電力火力発電所",
        commodities=("Pri", "Sec1", "Sec2", "Ter1", "Ter2"),
        command="1",
    ),
    SeedResource(
        "FAKE_RESO2",
        "F100",
        "偽電力二",
        "03",
        "FSYS1",
        resource_type="05",
        long_name="偽電力仮想発電所",
        baseline="1",
    ),
    SeedResource(
        "FAKE_BATT",
        "F100",
        "偽蓄電池",
        "04",
        "FSYS2",
        resource_type="04",
        long_name="偽電力蓄電所",
        commodities=("Pri", "Sec1", "Ter2"),
        command="3",
        baseline="2",
    ),
    SeedResource(
        "OTHER_RESO",
        "F200",
        "他社電源",
        "06",
        "OSYS0",
        long_name="他社火力発電所",
        commodities=("Ter1", "Ter2"),
    ),
)
"""The approved resources (``FAKE_NEW``, below, is registered by the planting and awaits
approval)."""
RESOURCE_AWAITING_APPROVAL = SeedResource(
    PENDING_RESOURCE,
    "F100",
    "偽水力",
    "04",
    "FSYS3",
    resource_type="02",
    long_name="偽電力水力発電所",
    commodities=("Ter1", "Ter2"),
    start_date=TRADING_DAY,
)
"""What F100 registered of ``FAKE_NEW``, from the trading day on."""

PARTICIPANT_TYPES: dict[ClientType, str] = {
    ClientType.BSP: "BALANCING_SERVICE_PROVIDER",
    ClientType.MO: "MARKET_OPERATOR",
    ClientType.TSO: "TRANSMISSION_SYSTEM_OPERATOR",
}
"""The registration's ParticipantType of each client type."""
_COMMODITIES = ("Pri", "Sec1", "Sec2", "Ter1", "Ter2")


def participant_document(participant: SeedParticipant) -> dict[str, Any]:
    """The ``RegistrationSubmit/Participant`` element registering ``participant``."""
    return {
        "ParticipantName": participant.name,
        "ParticipantType": PARTICIPANT_TYPES[participant.participant_type],
        "StartDate": REGISTERED_FROM.isoformat(),
        "CompanyShortName": participant.company_short_name,
        "CompanyLongName": participant.company_short_name + "株式会社",
        "PhonePart1": "03",
        "PhonePart2": "1234",
        "PhonePart3": "5678",
    }


def user_document(user: SeedUser) -> dict[str, Any]:
    """The ``RegistrationSubmit/User`` element registering ``user``."""
    return {
        "ParticipantName": user.participant,
        "UserName": user.user,
        "StartDate": REGISTERED_FROM.isoformat(),
        "RepresentativeUser": True,
        "Email": f"{user.user.lower()}@example.com",
    }


def resource_document(resource: SeedResource, status: str | None = "APPROVED") -> dict[str, Any]:
    """The ``RegistrationSubmit/Resource`` element registering ``resource``, in the
    RecordStatus the MMS gave it (``None``: as its holder submits it, before the MMS gives
    one)."""
    document: dict[str, Any] = {
        "ParticipantName": resource.participant,
        "ResourceName": resource.name,
        "Area": resource.area,
        "ContractType": "1",
        "ResourceType": resource.resource_type,
        "StartDate": resource.start_date.isoformat(),
        "SystemCode": resource.system_code,
        "ResourceShortName": resource.short_name,
        "ResourceLongName": resource.long_name,
        "SignalType": "1",
        "VoltageAdjustment": "0",
        "Address": "東京都千代田区",
    }
    if status is not None:
        document["RecordStatus"] = status
    for commodity in _COMMODITIES:
        document[commodity] = commodity in resource.commodities
        document[f"{commodity}RemResvUtilization"] = "0"
    if resource.command is not None:
        document["PriSec1CommandOperationMethod"] = resource.command
    if {"Sec2", "Ter1", "Ter2"} & set(resource.commodities):
        document["Sec2Ter1Ter2CommandOperationMethod"] = "1" if resource.command else "2"
    if resource.baseline is not None:
        document["BaselineSettingMethod"] = resource.baseline
    if resource.resource_type == "01":
        document["OutputBand"] = {
            "OutputBandInfo": [
                {
                    "Output": 10000,
                    "GfWidth": 500,
                    "AfcWidth": 1000,
                    "AfcVariationSpeed": 100,
                    "OtmVariationSpeed": 200,
                    "AfcOtmVariationSpeed": 150,
                }
            ]
        }
    return document
