"""Who exists in a new simulator: participants, their users and the resources they own.

The seed is chosen so that every rule a client meets can be exercised: a BSP with several
resources (``F100``/``FAKEUSER``, owning ``FAKE_RESO``, the name of the documented example), a
second BSP owning a resource of its own (offers on another participant's resource are
refused), and one market operator and one TSO user, each in a participant of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from mms_client.endpoints import ClientType


@dataclass(frozen=True)
class SeedParticipant:
    """A market participant with the names the MMS echoes on its offers."""

    name: str
    company_short_name: str
    operator_code: str


@dataclass(frozen=True)
class SeedUser:
    """A user of a participant; it gets a PKCS#12 of its own in the test PKI."""

    participant: str
    user: str
    client_type: ClientType


@dataclass(frozen=True)
class SeedResource:
    """A registered resource and the master data the MMS adds to offers made on it."""

    name: str
    participant: str
    short_name: str
    area: str
    system_code: str


PARTICIPANTS: tuple[SeedParticipant, ...] = (
    SeedParticipant("F100", "偽会社", "FAKE"),
    SeedParticipant("F200", "他社", "OTHR"),
    SeedParticipant("M100", "市場運営", "MKOP"),
    SeedParticipant("T100", "送配電", "TSOP"),
)

USERS: tuple[SeedUser, ...] = (
    SeedUser("F100", "FAKEUSER", ClientType.BSP),
    SeedUser("F200", "OTHERUSER", ClientType.BSP),
    SeedUser("M100", "MOUSER", ClientType.MO),
    SeedUser("T100", "TSOUSER", ClientType.TSO),
)

RESOURCES: tuple[SeedResource, ...] = (
    SeedResource("FAKE_RESO", "F100", "偽電力", "04", "FSYS0"),
    SeedResource("FAKE_RESO2", "F100", "偽電力二", "03", "FSYS1"),
    SeedResource("FAKE_BATT", "F100", "偽蓄電池", "04", "FSYS2"),
    SeedResource("OTHER_RESO", "F200", "他社電源", "06", "OSYS0"),
)
