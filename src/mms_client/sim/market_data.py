"""BSP market data besides offers (MI): BUPs with their standing flag, and baseline load
files (MI; the OMI baseline files share the file rules); and what the BSP's data on a
resource held for a period is, of both interfaces (:data:`HELD_DATA`).

A BUP names a resource the BSP holds (``E_RESOURCE_...`` as for offers), a valid period and
patterns with distinct numbers (``E_PATTERN_DUPLICATE``); the MMS adds the resource's master
data.  A ``StandingData`` sent with BUPs marks them as standing (``BupQuery/@StandingFlag``
selects by it) and is echoed beside them.

A baseline load file is announced by a ``File`` element and travels as an attachment of the
same name (``E_ATTACHMENT_MISSING``).  Its name says what it is,
``W9_<kind>_<YYYYMMDD>_<area>_<system code>_<resource>.xml``, and must agree with the
attributes and with the resource's registration (``E_FILE_NAME_MISMATCH``): its kind is an
OMI file's BaselineType, while an MI file has no attribute of its kind (its FileTypeFlag is
one digit), so an MI name's kind is not checked.
"""

from __future__ import annotations

import re
from datetime import date

from mms_client.endpoints import Interface
from mms_client.sim.calls import Code, Issue, XmlDict
from mms_client.sim.holding import resource_held
from mms_client.sim.records import (
    Collection,
    Context,
    Handler,
    Owner,
    distinct,
    resource_master,
    stored_query,
    submit,
)

MI = Interface.MI
OMI = Interface.OMI
_BASELINE_NAME = re.compile(
    r"W9_(?P<kind>\d{4})_(?P<day>\d{8})_(?P<area>\d{2})_(?P<system>[A-Z0-9]{5})_"
    r"(?P<resource>[A-Z0-9_\-]{1,10})\.xml"
)


def _standing(context: Context) -> XmlDict:
    standing = getattr(context.call.envelope, "standing_data", None)
    return {"StandingFlag": bool(standing is not None and standing.standing_flag)}


BUPS = Collection(
    "BupSubmit",
    MI,
    ("ResourceName", "StartTime", "EndTime", "StandingFlag"),
    Owner.RESOURCE,
    tags=_standing,
)


def baseline_files(interface: Interface) -> Collection:
    """The baseline-load files of ``interface``: MI and OMI keep them alike, in separate
    collections, as their schemas define separate BaselineLoad types."""
    return Collection(
        "BaselineLoad",
        interface,
        ("Name",),
        Owner.RESOURCE,
        period=("StartDate", "StartDate"),
        children="File",
        content="Name",
    )


BASELINE_FILES = baseline_files(MI)
OMI_BASELINE_FILES = baseline_files(OMI)
REMAINING_RESERVES = Collection(
    "RemainingReserveData",
    OMI,
    ("ResourceName", "StartTime", "EndTime", "DrPatternNumber"),
    Owner.RESOURCE,
)
HELD_DATA = (BUPS, BASELINE_FILES, OMI_BASELINE_FILES, REMAINING_RESERVES)
"""What a BSP sends on a resource it holds, for a period: its holder's for that period, as
offers are, so withdrawn with them when a transfer hands the period to another participant
(:func:`~mms_client.sim.holding.withdraw_unheld_data`).  DR patterns stay in force across a
transfer, and off-market contracts are the TSOs'."""


def baseline_resource(file: XmlDict) -> str | None:
    """The resource a baseline file is for: its ResourceName, else the one its name says."""
    if "ResourceName" in file:
        return str(file["ResourceName"])
    named = _BASELINE_NAME.fullmatch(file["Name"])
    return None if named is None else named["resource"]


def baseline_file_issues(context: Context, file: XmlDict) -> list[Issue]:
    """A baseline file is for a resource the caller holds, and its name agrees with its
    attributes and the resource's registration."""
    name = str(file["Name"])
    resource = baseline_resource(file)
    issues = resource_held()(context, {**file, "ResourceName": resource})
    named = _BASELINE_NAME.fullmatch(name)
    record = None if resource is None else context.store.resource(resource)
    if named is None or record is None or issues:
        return issues
    expected = {
        "resource": record.name,
        "system": record.system_code,
        "area": record.area,
    }
    if "BaselineType" in file:  # OMI only: an MI file has no attribute of its kind
        expected["kind"] = str(file["BaselineType"])
    if "StartDate" in file:
        expected["day"] = date.fromisoformat(str(file["StartDate"])).strftime("%Y%m%d")
    return [
        Issue(Code.FILE_NAME_MISMATCH, f"file {name} says {part} {named[part]}, not {value}")
        for part, value in expected.items()
        if named[part] != value
    ]


HANDLERS: dict[tuple[Interface, str], Handler] = {
    (MI, "MarketSubmit_BupSubmit"): submit(
        BUPS,
        (resource_held(), distinct("PatternData", "PatternNo", Code.PATTERN_DUPLICATE)),
        (
            resource_master(
                participant="BspParticipantName",
                company="CompanyShortName",
                area="Area",
                short_name="ResourceShortName",
                system_code="SystemCode",
            ),
        ),
    ),
    (MI, "MarketQuery_BupQuery"): stored_query(BUPS),
    (MI, "MarketSubmit_BaselineLoad"): submit(BASELINE_FILES, (baseline_file_issues,)),
    (MI, "MarketQuery_BaselineLoadFileListQuery"): stored_query(BASELINE_FILES),
}
"""The BUP and MI baseline load operations, by interface and name."""
