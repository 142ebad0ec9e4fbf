"""TSO data and settlement files in the simulator."""

from __future__ import annotations

from typing import Any

from mms_client.examples import SETTLEMENT_FILE, example_request
from mms_client.wire.soap import Attachment

from .conftest import Wire


def _requirements(wire: Wire, **query: Any) -> list[tuple[str, str, str]]:
    answer = wire.example("MarketQuery_ReserveRequirementQuery", items=[query])
    assert answer.codes() == []
    return [
        (
            str(group.get("Area")),
            str(r.get("StartTime")),
            str(r.get("Tertiary2ReserveQuantityInKw")),
        )
        for group in answer.document.iter("ReserveRequirement")
        for r in group.iter("Requirement")
    ]


def test_a_submission_replaces_only_the_blocks_it_names(seeded_wire: Wire) -> None:
    later: dict[str, Any] = {
        "Area": "04",
        "Requirement": [
            {
                "StartTime": "2024-04-01T12:00:00",
                "EndTime": "2024-04-01T15:00:00",
                "Direction": "1",
                "Tertiary2ReserveQuantityInKw": 700,
            }
        ],
    }
    assert seeded_wire.example("MarketSubmit_ReserveRequirement", items=[later]).codes() == []
    changed = {
        **later,
        "Requirement": [{**later["Requirement"][0], "Tertiary2ReserveQuantityInKw": 900}],
    }
    assert seeded_wire.example("MarketSubmit_ReserveRequirement", items=[changed]).codes() == []

    assert _requirements(seeded_wire, MarketType="DAM", Area="04") == [
        ("04", "2024-04-01T09:00:00", "3000"),
        ("04", "2024-04-01T12:00:00", "900"),
    ]
    assert _requirements(seeded_wire, MarketType="DCM") == []
    assert [area for area, _, _ in _requirements(seeded_wire, MarketType="DAM")] == [
        "03",
        "04",
        "04",
    ]


def test_market_specific_series_need_a_market_type(seeded_wire: Wire) -> None:
    example = example_request("MarketSubmit_ReserveRequirement")
    answer = seeded_wire.call(example.operation.name, example.payload, user=seeded_wire.user("TSO"))
    assert set(answer.codes()) == {"E_MARKET_TYPE_MISSING"}


def test_a_query_outside_the_requested_days_finds_nothing(seeded_wire: Wire) -> None:
    from datetime import date

    answer = seeded_wire.example("MarketQuery_FringeQuery", date=date(2024, 4, 2))
    assert list(answer.document.iter("Fringe")) == []
    assert len(list(seeded_wire.example("MarketQuery_FringeQuery").document.iter("Fringe"))) == 1


def test_a_settlement_file_reaches_only_the_participant_it_is_for(seeded_wire: Wire) -> None:
    mine = seeded_wire.example("MarketQuery_SettlementResultsFileDownloadQuery")
    assert mine.codes() == []
    (attachment,) = mine.info.attachments
    assert attachment.name == SETTLEMENT_FILE and attachment.data.startswith(b"ParticipantName,")
    (listed,) = seeded_wire.example("MarketQuery_SettlementResultsFileListQuery").document.iter(
        "File"
    )
    assert listed.get("FileSize") == str(len(attachment.data))

    other = seeded_wire.user("BSP", "F200")
    theirs = seeded_wire.example("MarketQuery_SettlementResultsFileDownloadQuery", user=other)
    assert theirs.codes() == ["E_FILE_NOT_FOUND"] and theirs.info.attachments == ()
    listing = seeded_wire.example("MarketQuery_SettlementResultsFileListQuery", user=other)
    assert list(listing.document.iter("File")) == []


def test_a_settlement_file_needs_its_attachment_and_a_known_addressee(seeded_wire: Wire) -> None:
    example = example_request("MarketSubmit_SettlementResults")
    tso = seeded_wire.user("TSO")
    missing = seeded_wire.call(
        example.operation.name, example.payload, user=tso, **example.envelope
    )
    assert missing.codes() == ["E_ATTACHMENT_MISSING"]
    item = example.items[0].model_dump(by_alias=True, exclude_none=True)
    item["File"][0]["ParticipantName"] = "F999"
    unknown = seeded_wire.call(
        example.operation.name,
        [item],
        user=tso,
        attachments=[Attachment(SETTLEMENT_FILE, b"x")],
        **example.envelope,
    )
    assert unknown.codes() == ["E_PARTICIPANT_UNKNOWN"]
