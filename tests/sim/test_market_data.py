"""BUPs and baseline load files in the simulator (MI, and the OMI files and reserves)."""

from __future__ import annotations

from typing import Any

from mms_client.endpoints import Interface
from mms_client.examples import AWARD, MI_BASELINE_FILE, OMI_BASELINE_FILE, example_request
from mms_client.wire.soap import Attachment

from .conftest import Wire

OMI = Interface.OMI


def _example_item(name: str, interface: Interface = Interface.MI) -> dict[str, Any]:
    item: dict[str, Any] = (
        example_request(name, interface).items[0].model_dump(by_alias=True, exclude_none=True)
    )
    return item


def test_a_bup_gets_master_data_and_is_found_by_its_standing_flag(seeded_wire: Wire) -> None:
    bup = _example_item("MarketSubmit_BupSubmit")
    bup["ResourceName"] = "FAKE_BATT"
    answer = seeded_wire.example("MarketSubmit_BupSubmit", items=[bup], standing_data=None)
    (echo,) = answer.document.iter("BupSubmit")
    assert echo.get("Area") == "04" and echo.get("SystemCode") == "FSYS2"
    assert answer.document.find("MarketSubmit/StandingData") is None

    def found(**query: Any) -> list[str]:
        result = seeded_wire.example("MarketQuery_BupQuery", items=[query])
        return [str(e.get("ResourceName")) for e in result.document.iter("BupSubmit")]

    assert found(ResourceName="FAKE_BATT") == ["FAKE_BATT"]
    assert found(ResourceName="FAKE_BATT", StandingFlag=True) == []
    assert found(ResourceName="FAKE_RESO", StandingFlag=True) == ["FAKE_RESO"]
    standing = seeded_wire.example("MarketSubmit_BupSubmit")
    assert standing.document.find("MarketSubmit/StandingData").get("StandingFlag") == "true"  # type: ignore[union-attr]


def test_bup_patterns_must_have_distinct_numbers(seeded_wire: Wire) -> None:
    bup = _example_item("MarketSubmit_BupSubmit")
    bup["PatternData"] = [bup["PatternData"][0], bup["PatternData"][0]]
    assert seeded_wire.example("MarketSubmit_BupSubmit", items=[bup]).codes() == [
        "E_PATTERN_DUPLICATE"
    ]
    other = _example_item("MarketSubmit_BupSubmit")
    other["ResourceName"] = "OTHER_RESO"
    assert seeded_wire.example("MarketSubmit_BupSubmit", items=[other]).codes() == [
        "E_RESOURCE_NOT_OWNED"
    ]


def test_a_baseline_file_name_must_say_what_the_file_is(seeded_wire: Wire) -> None:
    upload = _example_item("MarketSubmit_BaselineLoad")
    upload["File"][0]["ResourceName"] = "FAKE_RESO"  # the name says FAKE_BATT
    answer = seeded_wire.example("MarketSubmit_BaselineLoad", items=[upload])
    assert set(answer.codes()) == {"E_FILE_NAME_MISMATCH"}
    texts = [e.text or "" for e in answer.document.iter("Error")]
    assert any("resource FAKE_BATT, not FAKE_RESO" in t for t in texts)


def test_a_baseline_file_travels_as_an_attachment(seeded_wire: Wire) -> None:
    example = example_request("MarketSubmit_BaselineLoad", Interface.MI)
    bsp = seeded_wire.user("BSP")
    without = seeded_wire.call(
        example.operation.name, example.payload, user=bsp, **example.envelope
    )
    assert without.codes() == ["E_ATTACHMENT_MISSING"]
    with_file = seeded_wire.call(
        example.operation.name,
        example.payload,
        user=bsp,
        attachments=[Attachment(MI_BASELINE_FILE, b"<Baseline/>")],
        **example.envelope,
    )
    assert with_file.codes() == []
    (record,) = seeded_wire.simulator.store.items("BaselineLoad", "MI")
    assert seeded_wire.simulator.store.item_content(record.id) == b"<Baseline/>"


def test_omi_baseline_files_name_their_resource_and_are_downloaded_by_their_holder(
    seeded_wire: Wire,
) -> None:
    listed = seeded_wire.example("MarketQuery_BaselineLoadFileListQuery", OMI)
    (file,) = listed.document.iter("File")
    assert file.get("ResourceName") == "FAKE_RESO", "taken from the file name"
    assert file.get("SystemCode") == "FSYS0" and file.get("SubmissionTime")

    download = seeded_wire.example("MarketQuery_BaselineLoadFileDownloadQuery", OMI)
    assert [a.name for a in download.info.attachments] == [OMI_BASELINE_FILE]
    other = seeded_wire.user("BSP", "F200")
    refused = seeded_wire.example("MarketQuery_BaselineLoadFileDownloadQuery", OMI, user=other)
    assert refused.codes() == ["E_FILE_NOT_FOUND"]


def test_remaining_reserve_is_declared_by_the_resource_holder(seeded_wire: Wire) -> None:
    reserve = _example_item("MarketSubmit_RemainingReserveData", OMI)
    foreign = seeded_wire.example(
        "MarketSubmit_RemainingReserveData", OMI, items=[{**reserve, "ResourceName": "OTHER_RESO"}]
    )
    assert foreign.codes() == ["E_RESOURCE_NOT_OWNED"]
    (stored,) = seeded_wire.example("MarketQuery_RemainingReserveDataQuery", OMI).document.iter(
        "RemainingReserveData"
    )
    assert stored.get("ParticipantName") == "F100" and stored.get("Area") == "04"
    tso = seeded_wire.example(
        "MarketQuery_RemainingReserveDataQuery", OMI, user=seeded_wire.user("TSO")
    )
    assert len(list(tso.document.iter("RemainingReserveData"))) == 1


def test_refunds_name_a_contract_and_tell_whose_it_is(seeded_wire: Wire) -> None:
    refund = _example_item("MarketSubmit_RefundData", OMI)
    unknown = seeded_wire.example(
        "MarketSubmit_RefundData", OMI, items=[{**refund, "JbmsId": "OMC000000000000099"}]
    )
    assert unknown.codes() == ["E_CONTRACT_UNKNOWN"]
    (stored,) = seeded_wire.example("MarketQuery_RefundDataQuery", OMI).document.iter("RefundData")
    assert stored.get("ParticipantName") == "F100" and stored.get("ResourceName") == "FAKE_RESO"
    other = seeded_wire.example(
        "MarketQuery_RefundDataQuery", OMI, user=seeded_wire.user("BSP", "F200")
    )
    assert list(other.document.iter("RefundData")) == []


def test_a_refund_s_procurement_type_is_that_of_the_contract_it_names(seeded_wire: Wire) -> None:
    """ProcurementType 1 is a market award, 2 an off-market contract, as the refund targets
    say: a refund naming one as the other would be found by queries for the wrong kind."""
    refund = _example_item("MarketSubmit_RefundData", OMI)  # the off-market contract's
    assert refund["ProcurementType"] == "2"
    award = {**refund, "JbmsId": str(AWARD), "StartTime": "2024-04-01T09:00:00"}
    award["EndTime"] = "2024-04-01T12:00:00"
    for wrong in ({**refund, "ProcurementType": "1"}, {**award, "ProcurementType": "2"}):
        answer = seeded_wire.example("MarketSubmit_RefundData", OMI, items=[wrong])
        assert answer.codes() == ["E_CONTRACT_UNKNOWN"]
        (message,) = answer.document.iter("Error")
        assert f"ProcurementType {wrong['ProcurementType']}" in str(message.text)
    accepted = seeded_wire.example(
        "MarketSubmit_RefundData", OMI, items=[{**award, "ProcurementType": "1"}]
    )
    assert accepted.codes() == []


def test_a_refund_is_for_a_commodity_its_contract_covers(seeded_wire: Wire) -> None:
    """A refund names one CommodityCategory of its contract, as the refund targets list it:
    one the contract does not cover would refund what was never contracted."""
    award = {
        **_example_item("MarketSubmit_RefundData", OMI),
        "ProcurementType": "1",
        "JbmsId": str(AWARD),  # primary and tertiary-2
        "StartTime": "2024-04-01T09:00:00",
        "EndTime": "2024-04-01T12:00:00",
    }
    contract = _example_item("MarketSubmit_RefundData", OMI)  # the off-market contract: 3200
    for refund, category in ((award, "2100"), (award, "4000"), (contract, "1000")):
        answer = seeded_wire.example(
            "MarketSubmit_RefundData", OMI, items=[{**refund, "CommodityCategory": category}]
        )
        assert answer.codes() == ["E_COMMODITY_NOT_CONTRACTED"]
        (message,) = answer.document.iter("Error")
        assert f"contract {refund['JbmsId']}," in str(message.text)
        assert f"not CommodityCategory {category}" in str(message.text)
    for refund, category in ((award, "1000"), (award, "3200"), (contract, "3200")):
        answer = seeded_wire.example(
            "MarketSubmit_RefundData", OMI, items=[{**refund, "CommodityCategory": category}]
        )
        assert answer.codes() == []


def test_a_refund_is_for_a_period_of_its_contract(seeded_wire: Wire) -> None:
    """As a switch is: a refund for hours the contract does not cover refunds nothing."""
    refund = _example_item("MarketSubmit_RefundData", OMI)  # the contract runs 15:00-18:00
    for start, end in (("12:00", "15:00"), ("16:00", "18:30"), ("09:00", "21:00")):
        outside = {
            **refund,
            "StartTime": f"2024-04-01T{start}:00",
            "EndTime": f"2024-04-01T{end}:00",
        }
        answer = seeded_wire.example("MarketSubmit_RefundData", OMI, items=[outside])
        assert answer.codes() == ["E_PERIOD_INVALID"]
        (message,) = answer.document.iter("Error")
        assert "15:00:00-2024-04-01T18:00:00" in str(message.text)
    within = {**refund, "StartTime": "2024-04-01T16:00:00", "EndTime": "2024-04-01T17:00:00"}
    assert seeded_wire.example("MarketSubmit_RefundData", OMI, items=[within]).codes() == []


def test_a_refund_without_end_time_runs_from_its_start_to_its_contract_s_end(
    seeded_wire: Wire,
) -> None:
    """EndTime is optional in RefundData: a refund without it is judged by its start, which
    must be within its contract, and is kept as sent."""
    refund = _example_item("MarketSubmit_RefundData", OMI)  # the contract runs 15:00-18:00
    del refund["EndTime"]
    for start in ("12:00", "18:00"):
        outside = {**refund, "StartTime": f"2024-04-01T{start}:00"}
        answer = seeded_wire.example("MarketSubmit_RefundData", OMI, items=[outside])
        assert answer.codes() == ["E_PERIOD_INVALID"]
        (message,) = answer.document.iter("Error")
        assert f"the refund 2024-04-01T{start}:00 is outside it" in str(message.text)
    within = {**refund, "StartTime": "2024-04-01T16:00:00"}
    assert seeded_wire.example("MarketSubmit_RefundData", OMI, items=[within]).codes() == []
    stored = seeded_wire.example("MarketQuery_RefundDataQuery", OMI).document.iter("RefundData")
    assert [(e.get("StartTime"), e.get("EndTime")) for e in stored] == [
        ("2024-04-01T15:00:00", "2024-04-01T18:00:00"),
        ("2024-04-01T16:00:00", None),
    ]


def test_refund_targets_are_the_contracts_of_the_period(seeded_wire: Wire) -> None:
    """An award of several commodities is a target for each, as the contract results
    report lists it: a refund is for one CommodityCategory."""

    def targets(procurement: str) -> list[tuple[str, str, str | None]]:
        query = {**_example_item("MarketQuery_RefundTargetContractResultQuery", OMI)}
        query["ProcurementType"] = procurement
        answer = seeded_wire.example(
            "MarketQuery_RefundTargetContractResultQuery", OMI, items=[query]
        )
        return sorted(
            (str(e.get("ResourceName")), str(e.get("JbmsId")), e.get("CommodityCategory"))
            for e in answer.document.iter("RefundData")
        )

    assert targets("1") == [  # the seeded awards: primary and tertiary-2 in area 04
        ("FAKE_BATT", "304010900", "1000"),
        ("FAKE_BATT", "304010900", "3200"),
        ("FAKE_RESO", str(AWARD), "1000"),
        ("FAKE_RESO", str(AWARD), "3200"),
        ("FAKE_RESO2", "404010900", "3200"),
    ]
    assert targets("2") == [("FAKE_RESO", "OMC000000000000001", "3200")]


def test_refund_targets_write_prices_as_the_award_results_do(seeded_wire: Wire) -> None:
    """Two fraction digits, those of the schema's price types, whatever form the offer or
    the contract was sent in: a target's ContractPrice is its award's."""
    offer = _example_item("MarketSubmit_OfferData")  # FAKE_RESO's, replaced
    offer["OfferStack"] = [
        {**stack, "OfferUnitPrice": "7.5", "RampDownUnitPrice": "1.5", "StartUpUnitPrice": "2"}
        for stack in offer["OfferStack"]
    ]
    assert seeded_wire.example("MarketSubmit_OfferData", items=[offer]).codes() == []
    contract = {
        **_example_item("MarketSubmit_OffMarketContract", OMI),
        "JbmsId": "OMC000000000000001",
        "ContractPrice": "12.5",
        "StartUpUnitPrice": "3",
    }
    tso = seeded_wire.user("TSO")
    assert (
        seeded_wire.example(
            "MarketSubmit_OffMarketContract", OMI, items=[contract], user=tso
        ).codes()
        == []
    )
    prices = ("ContractPrice", "RampDownUnitPrice", "StartUpUnitPrice")
    awards = seeded_wire.example("MarketQuery_AwardResultsQuery")
    (awarded,) = (
        a for a in awards.document.iter("AwardResultsData") if a.get("JbmsId") == str(AWARD)
    )
    assert [awarded.get(p) for p in prices] == ["7.50", "1.50", "2.00"]

    def targets(procurement: str) -> list[list[str | None]]:
        query = {**_example_item("MarketQuery_RefundTargetContractResultQuery", OMI)}
        answer = seeded_wire.example(
            "MarketQuery_RefundTargetContractResultQuery",
            OMI,
            items=[{**query, "ProcurementType": procurement}],
        )
        return [
            [e.get(p) for p in prices]
            for e in answer.document.iter("RefundData")
            if e.get("JbmsId") in (str(AWARD), "OMC000000000000001")
        ]

    assert targets("1") == [["7.50", "1.50", "2.00"]] * 2  # primary and tertiary-2
    assert targets("2") == [["12.50", None, "3.00"]]


def test_a_refund_naming_another_participant_is_the_contracts_participants(
    seeded_wire: Wire,
) -> None:
    refund = {**_example_item("MarketSubmit_RefundData", OMI), "ParticipantName": "F200"}
    refund["StartTime"] = "2024-04-01T16:00:00"
    (echo,) = seeded_wire.example("MarketSubmit_RefundData", OMI, items=[refund]).document.iter(
        "RefundData"
    )
    assert echo.get("ParticipantName") == "F100", "the off-market contract is F100's"

    def starts(participant: str) -> list[str]:
        answer = seeded_wire.example(
            "MarketQuery_RefundDataQuery", OMI, user=seeded_wire.user("BSP", participant)
        )
        return sorted(str(e.get("StartTime")) for e in answer.document.iter("RefundData"))

    assert starts("F100") == ["2024-04-01T15:00:00", "2024-04-01T16:00:00"]
    assert starts("F200") == []


def test_refunds_follow_their_off_market_contract_to_its_new_resource(seeded_wire: Wire) -> None:
    """A TSO resubmitting a contract under its JbmsId on another participant's resource
    moves the contract, and the refunds made for it go with it: they are for what the
    contract is for, and its participant sees them."""
    contract = {
        **_example_item("MarketSubmit_OffMarketContract", OMI),
        "JbmsId": "OMC000000000000001",
        "ResourceName": "OTHER_RESO",
    }
    tso = seeded_wire.user("TSO")
    moved = seeded_wire.example("MarketSubmit_OffMarketContract", OMI, items=[contract], user=tso)
    assert moved.codes() == []

    def refunds(user: Any) -> list[tuple[str | None, str | None]]:
        answer = seeded_wire.example("MarketQuery_RefundDataQuery", OMI, user=user)
        return [
            (e.get("ParticipantName"), e.get("ResourceName"))
            for e in answer.document.iter("RefundData")
        ]

    assert refunds(seeded_wire.user("BSP", "F100")) == []
    assert refunds(seeded_wire.user("BSP", "F200")) == [("F200", "OTHER_RESO")]
    assert refunds(tso) == [("F200", "OTHER_RESO")]
    assert refunds(seeded_wire.user("MO")) == [("F200", "OTHER_RESO")]
