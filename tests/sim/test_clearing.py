"""Clearing in the simulator: awards follow merit order, derived answers add up, switches
respect the contracts they move."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from mms_client.examples import AWARD, example_request

from .conftest import Wire

DAY = date(2024, 5, 10)  # nothing is seeded on this day
BLOCK = {"StartTime": "2024-05-10T09:00:00", "EndTime": "2024-05-10T12:00:00"}
WHOLE_DAY = {"StartTime": "2024-05-10T00:00:00", "EndTime": "2024-05-11T00:00:00"}


def _require(wire: Wire, area: str, **quantities: int) -> None:
    requirement: dict[str, Any] = {**BLOCK, "Direction": "1"}
    requirement.update({f"{name}ReserveQuantityInKw": kw for name, kw in quantities.items()})
    answer = wire.call(
        "MarketSubmit_ReserveRequirement",
        [{"Area": area, "Requirement": [requirement]}],
        user=wire.user("TSO"),
        day=DAY,
        market_type="DAM",
    )
    assert answer.codes() == []


def _stack(number: int, price: str, minimum: int = 100, **quantities: int) -> dict[str, Any]:
    stack: dict[str, Any] = {
        "StackNumber": number,
        "OfferUnitPrice": price,
        "MinimumQuantityInKw": minimum,
    }
    stack.update({f"{name}OfferQuantityInKw": kw for name, kw in quantities.items()})
    return stack


def _offer(wire: Wire, resource: str, *stacks: dict[str, Any], participant: str = "F100") -> None:
    offer = {"ResourceName": resource, **BLOCK, "Direction": "1", "OfferStack": list(stacks)}
    answer = wire.call(
        "MarketSubmit_OfferData",
        [offer],
        user=wire.user("BSP", participant),
        day=DAY,
        market_type="DAM",
    )
    assert answer.codes() == []


def _awards(
    wire: Wire, client_type: str = "BSP", participant: str | None = None
) -> list[dict[str, str]]:
    answer = wire.call(
        "MarketQuery_AwardResultsQuery",
        {"MarketType": "DAM", **WHOLE_DAY},
        user=wire.user(client_type, participant),
        day=DAY,
    )
    assert answer.codes() == []
    return [
        {str(k): str(v) for k, v in e.attrib.items()}
        for e in answer.document.iter("AwardResultsData")
    ]


def _merit_order_market(wire: Wire) -> None:
    _require(wire, "04", Tertiary2=2500)
    _offer(
        wire,
        "FAKE_RESO",
        _stack(1, "10.00", minimum=600, Tertiary2=1000),
        _stack(2, "7.00", Tertiary2=1000),
    )
    _offer(wire, "FAKE_BATT", _stack(1, "5.00", Tertiary2=1000))


def test_awards_follow_merit_order_and_respect_minimum_quantities(seeded_wire: Wire) -> None:
    _merit_order_market(seeded_wire)

    awards = _awards(seeded_wire)

    assert [
        (a["ResourceName"], a["OfferPrice"], a["Tertiary2AwardQuantityInKw"]) for a in awards
    ] == [
        ("FAKE_BATT", "5.00", "1000"),
        ("FAKE_RESO", "7.00", "1000"),
    ], "the 10.00 stack would get 500 kW, less than its 600 kW minimum"
    assert {a["OfferAwardedLevel"] for a in awards} == {"1"}
    assert {a["ContractPrice"] for a in awards} == {"5.00", "7.00"}, "pay as bid"
    summary = seeded_wire.call(
        "MarketQuery_AwardResultsSummaryQuery",
        {"MarketType": "DAM", "Area": "04"},
        day=DAY,
    )
    (data,) = summary.document.iter("AwardResultsSummaryData")
    assert data.get("Tertiary2ReserveRequirement") == "2500"
    assert data.get("Tertiary2ReserveShortage") == "500"
    assert data.get("TotalContractCost") == "36000.00"  # (1000*5 + 1000*7) kW * 3 h


def test_a_partial_award_is_marked_and_the_requirement_is_met(seeded_wire: Wire) -> None:
    _require(seeded_wire, "04", Tertiary2=1500, Primary=300)
    _offer(seeded_wire, "FAKE_RESO", _stack(1, "9.00", Tertiary2=1000, Primary=500))
    _offer(seeded_wire, "FAKE_BATT", _stack(1, "8.00", Tertiary2=1000))

    awards = {a["ResourceName"]: a for a in _awards(seeded_wire)}

    assert awards["FAKE_BATT"]["Tertiary2AwardQuantityInKw"] == "1000"
    assert awards["FAKE_RESO"]["Tertiary2AwardQuantityInKw"] == "500"
    assert awards["FAKE_RESO"]["PrimaryAwardQuantityInKw"] == "300"
    assert awards["FAKE_RESO"]["OfferAwardedLevel"] == "2"
    assert awards["FAKE_BATT"]["OfferAwardedLevel"] == "1"


def test_a_resource_is_awarded_once_for_a_block_whatever_offers_it_was_sent(
    seeded_wire: Wire,
) -> None:
    """Offers overlapping a live one on the same resource are refused, so clearing cannot
    pay one resource several times for the same block."""
    _require(seeded_wire, "04", Tertiary2=5000)
    offers = [
        {
            "ResourceName": "FAKE_RESO",
            "StartTime": f"2024-05-10T{start:02d}:00:00",
            "EndTime": f"2024-05-10T{end:02d}:00:00",
            "Direction": "1",
            "OfferStack": [_stack(1, "7.00", Tertiary2=1000)],
        }
        for start, end in ((9, 12), (8, 13), (9, 11))
    ]
    answer = seeded_wire.call(
        "MarketSubmit_OfferData", offers, user=seeded_wire.user("BSP"), day=DAY, market_type="DAM"
    )

    assert answer.codes() == ["E_OFFER_OVERLAP", "E_OFFER_OVERLAP"]
    assert [(a["ResourceName"], a["Tertiary2AwardQuantityInKw"]) for a in _awards(seeded_wire)] == [
        ("FAKE_RESO", "1000")
    ]


def _requirement(start: str, end: str, kw: int) -> dict[str, Any]:
    return {
        "StartTime": f"2024-05-10T{start}:00",
        "EndTime": f"2024-05-10T{end}:00",
        "Direction": "1",
        "Tertiary2ReserveQuantityInKw": kw,
    }


def test_requirement_blocks_of_an_area_never_overlap_so_no_stack_is_awarded_twice(
    seeded_wire: Wire,
) -> None:
    """Each block is cleared on its own: an hour inside a stored three-hour block, taken
    as a block of its own, would award the same stack's kW again for that hour."""
    _require(seeded_wire, "04", Tertiary2=1000)
    _offer(seeded_wire, "FAKE_RESO", _stack(1, "7.00", Tertiary2=1000))

    def submit(*requirements: dict[str, Any], area: str = "04") -> list[str]:
        answer = seeded_wire.call(
            "MarketSubmit_ReserveRequirement",
            [{"Area": area, "Requirement": list(requirements)}],
            user=seeded_wire.user("TSO"),
            day=DAY,
            market_type="DAM",
        )
        return answer.codes()

    assert submit(_requirement("09:00", "10:00", 1000)) == ["E_REQUIREMENT_OVERLAP"]
    assert submit(_requirement("11:30", "13:00", 1000)) == ["E_REQUIREMENT_OVERLAP"]
    assert submit(_requirement("12:00", "13:00", 500), _requirement("12:30", "14:00", 500)) == [
        "E_REQUIREMENT_OVERLAP"
    ], "blocks of one submission overlapping each other"
    assert submit(_requirement("09:00", "12:00", 800)) == [], "the same block is replaced"
    assert submit(_requirement("09:00", "10:00", 800), area="03") == [], "another area"
    assert submit(_requirement("12:00", "15:00", 800)) == [], "the next block"
    assert [(a["ResourceName"], a["Tertiary2AwardQuantityInKw"]) for a in _awards(seeded_wire)] == [
        ("FAKE_RESO", "800")
    ]


def test_a_bsp_sees_its_own_awards_and_a_tso_everyone_s(seeded_wire: Wire) -> None:
    _require(seeded_wire, "04", Tertiary2=1000)
    _require(seeded_wire, "06", Tertiary2=1000)
    _offer(seeded_wire, "FAKE_RESO", _stack(1, "9.00", Tertiary2=1000))
    _offer(seeded_wire, "OTHER_RESO", _stack(1, "9.00", Tertiary2=1000), participant="F200")

    assert {a["BspParticipantName"] for a in _awards(seeded_wire)} == {"F100"}
    assert {a["BspParticipantName"] for a in _awards(seeded_wire, "BSP", "F200")} == {"F200"}
    assert {a["BspParticipantName"] for a in _awards(seeded_wire, "TSO")} == {"F100", "F200"}


def test_a_suspended_resource_takes_no_part(seeded_wire: Wire) -> None:
    _merit_order_market(seeded_wire)
    suspension = {
        "ParticipantName": "F100",
        "ResourceName": "FAKE_BATT",
        "CommodityCategory": "3200",
        "StartDate": DAY.isoformat(),
        "EndDate": DAY.isoformat(),
        "Suspend": True,
    }
    answer = seeded_wire.call(
        "RegistrationSubmit_ResourceSuspension", [suspension], user=seeded_wire.user("TSO")
    )
    assert answer.codes() == []

    awards = _awards(seeded_wire)

    assert [(a["ResourceName"], a["Tertiary2AwardQuantityInKw"]) for a in awards] == [
        ("FAKE_RESO", "1000"),
        ("FAKE_RESO", "1000"),
    ]


def test_the_merit_order_list_ranks_every_candidate_with_cumulative_amounts(
    seeded_wire: Wire,
) -> None:
    _merit_order_market(seeded_wire)
    answer = seeded_wire.call(
        "MarketQuery_MeritOrderListQuery", {"MarketType": "DAM", **WHOLE_DAY}, day=DAY
    )
    rows = [dict(e.attrib) for e in answer.document.iter("MeritOrderListData")]
    assert [(r["Rank"], r["OfferPrice"], r["Tertiary2CumulativeAmountInKw"]) for r in rows] == [
        ("1", "5.00", "1000"),
        ("2", "7.00", "2000"),
        ("3", "10.00", "3000"),
    ]


@pytest.mark.parametrize(
    ("who", "jbms", "quantity", "code"),
    [
        ("F200", AWARD, 100, "E_CONTRACT_NOT_OWNED"),
        ("F100", 999_04010900, 100, "E_CONTRACT_UNKNOWN"),
        ("F100", AWARD, 1600, "E_QUANTITY_EXCEEDED"),  # 2000 awarded, 500 already switched
    ],
)
def test_a_switch_moves_only_what_the_caller_holds(
    seeded_wire: Wire, who: str, jbms: int, quantity: int, code: str
) -> None:
    switch = {
        "StartTime": "2024-04-01T09:00:00",
        "EndTime": "2024-04-01T12:00:00",
        "Source": [
            {
                "JbmsId": jbms,
                "Destination": [{"DestinationType": "TSO", "Tertiary2QuantityInKw": quantity}],
            }
        ],
    }
    answer = seeded_wire.example(
        "MarketSubmit_Switch", items=[switch], user=seeded_wire.user("BSP", who)
    )
    assert answer.codes() == [code]


SWITCHED = {"StartTime": "2024-04-01T10:00:00", "EndTime": "2024-04-01T11:00:00"}
"""The hour of the seeded award AWARD that :func:`_switch_award` switches."""


def _switch_award(wire: Wire, *destinations: dict[str, Any]) -> None:
    """Switches part of AWARD to ``destinations`` for the hour SWITCHED."""
    switch = {**SWITCHED, "Source": [{"JbmsId": AWARD, "Destination": list(destinations)}]}
    assert wire.example("MarketSubmit_Switch", items=[switch]).codes() == []


def test_a_switch_to_a_resource_becomes_a_contract_of_its_own(seeded_wire: Wire) -> None:
    _switch_award(
        seeded_wire,
        {"DestinationType": "Resource", "ResourceName": "FAKE_BATT", "Tertiary2QuantityInKw": 1500},
    )

    answer = seeded_wire.example("MarketQuery_SwitchQuery")
    contracts = {
        e.get("Status"): dict(e.attrib) for e in answer.document.iter("SwitchQueryResults")
    }
    moved = contracts["ACTIVE"]
    assert moved["ResourceName"] == "FAKE_BATT" and moved["SourceResourceName"] == "FAKE_RESO"
    assert moved["Tertiary2Quantity"] == "1500" and moved["SourceJbmsId"] == str(AWARD)
    assert contracts["TSO"]["Tertiary2Quantity"] == "500", "the seeded switch to the TSO"
    requests = seeded_wire.example("MarketQuery_TsoRequestQuery", user=seeded_wire.user("TSO"))
    assert [
        e.get("Tertiary2RequestedQuantity")
        for e in requests.document.iter("TsoRequestQueryResults")
    ] == ["500"]


def test_switch_contracts_end_with_the_award_they_were_made_from(seeded_wire: Wire) -> None:
    before = seeded_wire.example("MarketQuery_SwitchQuery")
    assert [r.get("SourceJbmsId") for r in before.document.iter("SwitchQueryResults")] == [
        str(AWARD)
    ]
    assert list(
        seeded_wire.example("MarketQuery_TsoRequestQuery").document.iter("TsoRequestQueryResults")
    )
    cancel = example_request("MarketCancel_OfferCancel").items[0].model_dump(by_alias=True)
    cancelled = seeded_wire.example(
        "MarketCancel_OfferCancel", items=[{**cancel, "ResourceName": "FAKE_RESO"}]
    )
    assert cancelled.codes() == []
    after = seeded_wire.example("MarketQuery_SwitchQuery")
    assert list(after.document.iter("SwitchQueryResults")) == []
    requests = seeded_wire.example("MarketQuery_TsoRequestQuery")
    assert list(requests.document.iter("TsoRequestQueryResults")) == []


def test_switch_contracts_and_tso_requests_write_prices_with_two_fraction_digits(
    seeded_wire: Wire,
) -> None:
    """As the award results do, whatever form the offer or the switch gave them in."""
    offer = example_request("MarketSubmit_OfferData").items[0].model_dump(by_alias=True)
    offer["OfferStack"] = [  # FAKE_RESO's offer, whose stack 1 is AWARD
        {**stack, "OfferUnitPrice": "7.5", "RampDownUnitPrice": "1.5"}
        for stack in offer["OfferStack"]
    ]
    assert seeded_wire.example("MarketSubmit_OfferData", items=[offer]).codes() == []
    _switch_award(
        seeded_wire,
        {
            "DestinationType": "Resource",
            "ResourceName": "FAKE_BATT",
            "Tertiary2QuantityInKw": 500,
            "Price": "9.5",
            "StartUpUnitPrice": "3",
        },
        {"DestinationType": "TSO", "Tertiary2QuantityInKw": 500},
    )
    prices = ("Price", "RampDownUnitPrice", "StartUpUnitPrice", "SourcePrice")
    answer = seeded_wire.example("MarketQuery_SwitchQuery")
    made = [
        [e.get(p) for p in prices]
        for e in answer.document.iter("SwitchQueryResults")
        if e.get("StartTime") == SWITCHED["StartTime"]
    ]
    assert sorted(made) == [["7.50", "1.50", "0.00", "7.50"], ["9.50", "1.50", "3.00", "7.50"]]
    requests = seeded_wire.example("MarketQuery_TsoRequestQuery", user=seeded_wire.user("TSO"))
    assert [
        [e.get(p) for p in prices[:3]]
        for e in requests.document.iter("TsoRequestQueryResults")
        if e.get("StartTime") == SWITCHED["StartTime"]
    ] == [["7.50", "1.50", "0.00"]]
