"""TSO data (MI): reserve requirements, allowable inter-area awards, tie-line upper limits,
offline frames and fringe, submitted by TSOs and readable by everyone; settlement result
files, which a TSO sends to a participant and the participant lists and downloads.

Each TSO series is stored one row per time block (``Requirement``, ``InterareaAward``...),
so that a submission for some blocks replaces exactly those; a query answers with the blocks
of the requested days put back together per area or interconnection.  Series whose queries
name a market type (requirements, inter-area awards, tie-line upper limits) need
``MarketType`` on the submit envelope (``E_MARKET_TYPE_MISSING``).  A requirement block
may not overlap another block of its area, direction and market type without having
exactly its period (``E_REQUIREMENT_OVERLAP``): clearing clears each block on its own, so
overlapping blocks would award the same offer stack twice for the same time.

Settlement files come as attachments named like their ``File/@Name``
(``E_ATTACHMENT_MISSING`` otherwise) and are kept for the participant the file names (for
everyone when it names none), for the settlement day their ``SttlDate`` names: the list
query selects files by that day, like every query without StartTime/EndTime.  A download
answers with the files' metadata and the files themselves as attachments; a file the caller
may not see does not exist for it (``E_FILE_NOT_FOUND``).
"""

from __future__ import annotations

from dataclasses import dataclass

from mms_client.endpoints import Interface
from mms_client.sim.calls import Code, Issue, XmlDict
from mms_client.sim.records import (
    Collection,
    Context,
    Handler,
    Owner,
    download,
    market_type,
    overlaps,
    participant_known,
    stored_query,
    submission_time,
    submit,
    wall_time,
)

MI = Interface.MI


@dataclass(frozen=True)
class RequirementBlocks(Collection):
    """Reserve requirements, whose blocks of one area, direction and market type never
    overlap (see the module docstring).  The MMS documents no such rule: it is inferred
    from clearing per block, as the simulator's clearing rules are."""

    def issues(self, context: Context, item: XmlDict) -> list[Issue]:
        issues = super().issues(context, item)
        market = market_type(context)
        if issues or market is None:
            return issues
        area = item["Area"]
        mine = [
            (
                str(block["Direction"]),
                str(wall_time(block["StartTime"])),
                str(wall_time(block["EndTime"])),
            )
            for block in item["Requirement"]
        ]
        if not mine:
            return issues
        # one reading of the stored blocks over the span of this request's, not one per block
        span = (min(start for _, start, _ in mine), max(end for _, _, end in mine))
        stored = [
            (
                "the stored block",
                str(record.document["Requirement"][0]["Direction"]),
                str(record.start_time),
                str(record.end_time),
            )
            for record in context.store.items(self.kind, self.interface.value, period=span)
            if record.tags.get("MarketType") == market and record.document["Area"] == area
        ]
        for count, (direction, start, end) in enumerate(mine):
            others = stored + [("the block of this request", *block) for block in mine[:count]]
            issues.extend(
                Issue(
                    Code.REQUIREMENT_OVERLAP,
                    f"the {market} requirement block {start}-{end} of area {area} overlaps "
                    f"{whose} {other_start}-{other_end}; submit exactly its period to replace it",
                )
                for whose, other_direction, other_start, other_end in others
                if other_direction == direction
                and overlaps((start, end), (other_start, other_end))
                and (other_start, other_end) != (start, end)
            )
        return issues


RESERVE_REQUIREMENTS = RequirementBlocks(
    "ReserveRequirement",
    MI,
    ("Area", "StartTime", "EndTime", "Direction"),
    Owner.EVERYONE,
    children="Requirement",
    market_typed=True,
)
INTERAREA_AWARDS = Collection(
    "AllowableInterareaAward",
    MI,
    ("Area", "StartTime", "EndTime", "Direction"),
    Owner.EVERYONE,
    children="InterareaAward",
    market_typed=True,
)
UPPER_LIMITS = Collection(
    "UpperLimitTieline",
    MI,
    ("InterconEquipment", "StartTime", "EndTime"),
    Owner.EVERYONE,
    children="UpperLimit",
    market_typed=True,
)
OFFLINE_FRAMES = Collection(
    "OfflineFrameSubmit",
    MI,
    ("Area", "StartTime", "EndTime", "Direction"),
    Owner.EVERYONE,
    children="OfflineFrame",
)
FRINGES = Collection(
    "FringeSubmit",
    MI,
    ("InterconEquipment", "StartTime", "EndTime", "Direction"),
    Owner.EVERYONE,
    children="Fringe",
)
SETTLEMENT_FILES = Collection(
    "SettlementResults",
    MI,
    ("Name",),
    Owner.PARTICIPANT,
    period=("SttlDate", "SttlDate"),
    children="File",
    content="Name",
)


def _addressee(context: Context, file: XmlDict) -> None:
    """Fill: the company short name of the participant a file is for, and its size."""
    named = file.get("ParticipantName")
    participant = None if named is None else context.store.participant(named)
    if participant is not None:
        file["CompanyShortName"] = participant.company_short_name
    attachment = context.call.attachment(file["Name"])
    if attachment is not None:
        file["FileSize"] = len(attachment.data)


HANDLERS: dict[tuple[Interface, str], Handler] = {
    (MI, "MarketSubmit_ReserveRequirement"): submit(RESERVE_REQUIREMENTS),
    (MI, "MarketSubmit_AllowableInterareaAward"): submit(INTERAREA_AWARDS),
    (MI, "MarketSubmit_UpperLimitTieline"): submit(UPPER_LIMITS),
    (MI, "MarketSubmit_OfflineFrameSubmit"): submit(OFFLINE_FRAMES),
    (MI, "MarketSubmit_FringeSubmit"): submit(FRINGES),
    (MI, "MarketSubmit_SettlementResults"): submit(
        SETTLEMENT_FILES, (participant_known(),), (_addressee, submission_time())
    ),
    (MI, "MarketQuery_ReserveRequirementQuery"): stored_query(RESERVE_REQUIREMENTS),
    (MI, "MarketQuery_AllowableInterareaAwardQuery"): stored_query(INTERAREA_AWARDS),
    (MI, "MarketQuery_UpperLimitTielineQuery"): stored_query(UPPER_LIMITS),
    (MI, "MarketQuery_OfflineFrameQuery"): stored_query(OFFLINE_FRAMES),
    (MI, "MarketQuery_FringeQuery"): stored_query(FRINGES),
    (MI, "MarketQuery_SettlementResultsFileListQuery"): stored_query(SETTLEMENT_FILES),
    (MI, "MarketQuery_SettlementResultsFileDownloadQuery"): download(SETTLEMENT_FILES),
}
"""The TSO data operations, by interface and name."""
