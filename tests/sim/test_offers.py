"""The offer operations of the simulator, over HTTPS: what is stored, what is refused."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from mms_client.errors import MMSValidationError
from mms_client.schema.generated.mi_market import (
    MarketType,
    OfferCancel,
    OfferData,
    OfferQuery,
    OfferStack,
)
from mms_client.sim import seed
from mms_client.sim.simulator import Simulator

from .conftest import TRADING_DAY, Answer, OfferFactory, Wire

SUBMIT = "MarketSubmit_OfferData"
QUERY = "MarketQuery_OfferQuery"
CANCEL = "MarketCancel_OfferCancel"
DAM = MarketType.DAY_AHEAD


def _query(wire: Wire, **query: object) -> list[dict[str, str]]:
    answer = wire.call(QUERY, OfferQuery(market_type=DAM, **query))
    assert answer.codes() == []
    return [
        {str(name): str(value) for name, value in e.attrib.items()}
        for e in answer.document.iter("OfferData")
    ]


def test_a_submitted_offer_is_echoed_with_generated_fields_and_can_be_queried(
    fresh_wire: Wire, offer: OfferFactory
) -> None:
    answer = fresh_wire.call(SUBMIT, offer(), market_type=DAM, days=1)

    assert answer.info.success is True
    submitted = answer.document.find("MarketSubmit/OfferData")
    assert submitted is not None
    assert submitted.get("Validation") == "PASSED" and submitted.get("Success") == "true"
    assert submitted.get("BspParticipantName") == "F100"
    assert submitted.get("Area") == "04"
    assert submitted.get("ResourceShortName") == "偽電力"
    assert submitted.get("SystemCode") == "FSYS0"
    assert submitted.get("SubmissionTime")
    offer_id = submitted.find("OfferStack").get("OfferId")  # type: ignore[union-attr]
    assert offer_id
    statistics = answer.statistics()
    assert statistics["Received"] == statistics["Valid"] == statistics["Successful"] == "1"
    assert statistics["Invalid"] == statistics["Unsuccessful"] == "0"
    assert 8 <= len(statistics["TransactionId"]) <= 10
    assert statistics["TimeStamp"].endswith(" JST " + statistics["XmlTimeStamp"][:4])

    stored = _query(fresh_wire)
    assert [(o["ResourceName"], o["StartTime"], o["EndTime"]) for o in stored] == [
        ("FAKE_RESO", "2024-03-15T12:00:00", "2024-03-15T21:00:00")
    ]
    assert stored[0]["SubmissionTime"] == submitted.get("SubmissionTime")
    query_answer = fresh_wire.call(QUERY, OfferQuery(market_type=DAM))
    envelope = query_answer.document.find("MarketSubmit")
    assert envelope is not None, "queries answer inside a submit envelope"
    stack = envelope.find("OfferData/OfferStack")
    assert stack is not None and stack.get("OfferId") == offer_id


def test_offers_on_unknown_or_foreign_resources_are_refused_per_item(
    fresh_wire: Wire, offer: OfferFactory
) -> None:
    answer = fresh_wire.call(
        SUBMIT,
        [offer(), offer("OTHER_RESO"), offer("NO_SUCH")],
        market_type=DAM,
    )

    items = answer.document.findall("MarketSubmit/OfferData")
    assert [(i.get("ResourceName"), i.get("Validation"), i.get("Success")) for i in items] == [
        ("FAKE_RESO", "PASSED", "true"),
        ("OTHER_RESO", "FAILED", "false"),
        ("NO_SUCH", "FAILED", "false"),
    ]
    assert [e.get("Code") for e in items[1].iter("Error")] == ["E_RESOURCE_NOT_OWNED"]
    assert [e.get("Code") for e in items[2].iter("Error")] == ["E_RESOURCE_UNKNOWN"]
    envelope = answer.document.find("MarketSubmit")
    assert envelope is not None and envelope.get("Validation") == "PASSED_PARTIAL"
    assert envelope.get("Success") == "false"
    assert answer.statistics()["Invalid"] == "2"
    assert answer.info.success is False
    assert [o["ResourceName"] for o in _query(fresh_wire)] == ["FAKE_RESO"]


def test_period_and_stack_rules(fresh_wire: Wire, offer: OfferFactory) -> None:
    from mms_client.schema.generated.mi_market import OfferStack

    twice = [OfferStack(number=1, unit_price=5, minimum_quantity_kw=1)] * 2
    answer = fresh_wire.call(
        SUBMIT,
        [
            offer(start_hour=21, end_hour=12),
            offer(start=datetime(2024, 3, 15, 12, 15), end=datetime(2024, 3, 15, 13)),
            offer(stack=twice),
        ],
        market_type=DAM,
    )
    assert answer.codes() == ["E_PERIOD_INVALID", "E_PERIOD_INVALID", "E_STACK_DUPLICATE"]
    assert _query(fresh_wire) == []


def test_an_offer_submit_without_market_type_is_refused(
    fresh_wire: Wire, offer: OfferFactory
) -> None:
    assert fresh_wire.call(SUBMIT, offer()).codes() == ["E_MARKET_TYPE_MISSING"]


def test_resubmission_replaces_the_offer_and_keeps_offer_ids(
    fresh_wire: Wire, offer: OfferFactory
) -> None:
    from mms_client.schema.generated.mi_market import OfferStack

    first = fresh_wire.call(SUBMIT, offer(), market_type=DAM)
    first_id = first.document.find("MarketSubmit/OfferData/OfferStack").get("OfferId")  # type: ignore[union-attr]
    stacks = [
        OfferStack(number=1, unit_price=120, minimum_quantity_kw=100, tertiary_2_qty_kw=500),
        OfferStack(number=2, unit_price=150, minimum_quantity_kw=50, tertiary_2_qty_kw=500),
    ]
    second = fresh_wire.call(SUBMIT, offer(stack=stacks), market_type=DAM)

    assert second.codes("Warning") == ["W_OFFER_REPLACED"]
    assert second.info.success is True and second.info.warnings is True
    stored = fresh_wire.call(QUERY, OfferQuery(market_type=DAM)).document
    ids = [
        (s.get("StackNumber"), s.get("OfferUnitPrice"), s.get("OfferId"))
        for s in stored.iter("OfferStack")
    ]
    assert len(stored.findall("MarketSubmit/OfferData")) == 1
    assert ids[0] == ("1", "120", first_id)
    assert ids[1][2] not in (None, first_id)


def _items(answer: Answer) -> list[tuple[str, str, str | None, list[str], list[str]]]:
    """Each echoed offer: its period, Validation, first OfferId, error and warning codes."""
    return [
        (
            f"{item.get('StartTime')}-{item.get('EndTime')}"[11:],
            str(item.get("Validation")),
            item.find("OfferStack").get("OfferId"),  # type: ignore[union-attr]
            [str(e.get("Code")) for e in item.iter("Error")],
            [str(w.get("Code")) for w in item.iter("Warning")],
        )
        for item in answer.document.findall("MarketSubmit/OfferData")
    ]


def test_overlapping_offers_of_one_request_are_refused_naming_the_accepted_one(
    fresh_wire: Wire, offer: OfferFactory
) -> None:
    """Clearing awards every live offer covering a block, so overlapping offers on one
    resource would sell its capacity several times; the items of one request are judged in
    order, and one for exactly an earlier item's period replaces it."""
    answer = fresh_wire.call(
        SUBMIT,
        [offer(start_hour=s, end_hour=e) for s, e in ((9, 12), (10, 13), (8, 12), (9, 12))],
        market_type=DAM,
    )

    items = _items(answer)
    first_id = items[0][2]
    assert first_id is not None
    assert [item[:2] + item[3:] for item in items] == [
        ("09:00:00-2024-03-15T12:00:00", "PASSED", [], []),
        ("10:00:00-2024-03-15T13:00:00", "FAILED", ["E_OFFER_OVERLAP"], []),
        ("08:00:00-2024-03-15T12:00:00", "FAILED", ["E_OFFER_OVERLAP"], []),
        ("09:00:00-2024-03-15T12:00:00", "PASSED", [], ["W_OFFER_REPLACED"]),
    ], "an item with a warning and no error stays PASSED"
    assert items[3][2] == first_id
    for refused in answer.document.findall("MarketSubmit/OfferData")[1:3]:
        text = refused.find("Messages/Error").text or ""  # type: ignore[union-attr]
        assert "2024-03-15T09:00:00-2024-03-15T12:00:00" in text and first_id in text
    assert [(o["StartTime"], o["EndTime"]) for o in _query(fresh_wire)] == [
        ("2024-03-15T09:00:00", "2024-03-15T12:00:00")
    ]


def test_an_offer_may_not_overlap_a_live_offer_of_its_resource_and_market(
    fresh_wire: Wire, offer: OfferFactory
) -> None:
    fresh_wire.call(SUBMIT, offer(start_hour=9, end_hour=12), market_type=DAM)

    later = fresh_wire.call(
        SUBMIT,
        [
            offer(start_hour=11, end_hour=14),
            offer(start_hour=12, end_hour=15),
            offer("FAKE_RESO2", start_hour=10, end_hour=13),
        ],
        market_type=DAM,
    )
    other_market = fresh_wire.call(
        SUBMIT, offer(start_hour=10, end_hour=13), market_type=MarketType.DAY_AHEAD_COMPOUND
    )

    assert [item[1] for item in _items(later)] == ["FAILED", "PASSED", "PASSED"], (
        "an offer that only meets the live one, or is on another resource, is no overlap"
    )
    assert later.codes() == ["E_OFFER_OVERLAP"]
    assert other_market.codes() == []
    day = TRADING_DAY
    fresh_wire.call(
        CANCEL,
        OfferCancel(
            resource="FAKE_RESO",
            start=datetime(day.year, day.month, day.day, 9),
            end=datetime(day.year, day.month, day.day, 12),
            market_type=DAM,
        ),
        market_type=DAM,
    )
    assert fresh_wire.call(SUBMIT, offer(start_hour=10, end_hour=12), market_type=DAM).codes() == []


def test_an_offer_over_several_days_is_met_on_its_last_day(
    fresh_wire: Wire, offer: OfferFactory
) -> None:
    """The simulator looks for the offers overlapping a period among those that start at most
    the longest stored offer's length before it, so that a bulk submit does not read every
    earlier offer again for each item; an offer of three days, stored among offers of three
    hours, is still met two days after its start, by the overlap rule and by queries."""
    from datetime import date

    first = datetime(TRADING_DAY.year, TRADING_DAY.month, TRADING_DAY.day)
    long = offer(start=first, end=first + timedelta(days=3))
    blocks = [
        offer("FAKE_RESO2", start=start, end=start + timedelta(hours=3))
        for start in (first + timedelta(hours=3 * block) for block in range(24))
    ]
    assert fresh_wire.call(SUBMIT, [*blocks, long], market_type=DAM).codes() == []

    last_day = date(2024, 3, 17)
    late = fresh_wire.call(
        SUBMIT, offer(day=last_day, start_hour=12, end_hour=15), market_type=DAM, day=last_day
    )
    after = fresh_wire.call(
        SUBMIT,
        offer(start=first + timedelta(days=3), end=first + timedelta(days=3, hours=3)),
        market_type=DAM,
        day=date(2024, 3, 18),
    )

    assert late.codes() == ["E_OFFER_OVERLAP"]
    assert "for 2024-03-15T00:00:00-2024-03-18T00:00:00" in str(
        late.document.find("MarketSubmit/OfferData/Messages/Error").text  # type: ignore[union-attr]
    )
    assert after.codes() == [], "an offer that only meets the long one is no overlap"
    for user in (fresh_wire.user("BSP"), fresh_wire.user("TSO")):
        queried = fresh_wire.call(
            QUERY, OfferQuery(market_type=DAM, area="04"), day=last_day, user=user
        ).document
        assert [(o.get("ResourceName"), o.get("StartTime")) for o in queried.iter("OfferData")] == [
            ("FAKE_RESO", "2024-03-15T00:00:00")
        ]


def test_queries_filter_by_day_resource_and_area(fresh_wire: Wire, offer: OfferFactory) -> None:
    from datetime import date

    next_day = date(2024, 3, 16)
    fresh_wire.call(SUBMIT, [offer(), offer("FAKE_RESO2")], market_type=DAM)
    fresh_wire.call(SUBMIT, offer("FAKE_BATT", day=next_day), market_type=DAM, day=next_day)

    assert {o["ResourceName"] for o in _query(fresh_wire)} == {"FAKE_RESO", "FAKE_RESO2"}
    assert [o["ResourceName"] for o in _query(fresh_wire, resource="FAKE_RESO2")] == ["FAKE_RESO2"]
    assert {o["ResourceName"] for o in _query(fresh_wire, area="04")} == {"FAKE_RESO"}
    two_days = fresh_wire.call(QUERY, OfferQuery(market_type=DAM), days=2).document
    assert len(two_days.findall("MarketSubmit/OfferData")) == 3
    other_market = fresh_wire.call(
        QUERY, OfferQuery(market_type=MarketType.DAY_AHEAD_COMPOUND)
    ).document
    assert other_market.findall("MarketSubmit/OfferData") == []


def test_a_bsp_sees_only_its_own_offers_while_mo_and_tso_see_all(
    fresh_wire: Wire, offer: OfferFactory
) -> None:
    simulator = fresh_wire.simulator
    other = simulator.user("BSP", participant="F200")
    fresh_wire.call(SUBMIT, offer(), market_type=DAM)
    fresh_wire.call(SUBMIT, offer("OTHER_RESO"), market_type=DAM, user=other)

    def resources(client_type: str, participant: str | None = None) -> set[str]:
        user = simulator.user(client_type, participant)
        document = fresh_wire.call(QUERY, OfferQuery(market_type=DAM), user=user).document
        return {str(o.get("ResourceName")) for o in document.iter("OfferData")}

    assert resources("BSP") == {"FAKE_RESO"}
    assert resources("BSP", "F200") == {"OTHER_RESO"}
    assert resources("MO") == resources("TSO") == {"FAKE_RESO", "OTHER_RESO"}


def test_cancel_removes_the_offer_and_an_unknown_offer_cannot_be_cancelled(
    fresh_wire: Wire, offer: OfferFactory
) -> None:
    fresh_wire.call(SUBMIT, [offer(), offer("FAKE_RESO2")], market_type=DAM)
    day = TRADING_DAY

    def cancel(resource: str, start: int = 12, end: int = 21) -> OfferCancel:
        return OfferCancel(
            resource=resource,
            start=datetime(day.year, day.month, day.day, start),
            end=datetime(day.year, day.month, day.day, end),
            market_type=DAM,
        )

    done = fresh_wire.call(CANCEL, cancel("FAKE_RESO"), market_type=DAM)
    assert done.info.success is True
    echoed = done.document.find("MarketCancel/OfferCancel")
    assert echoed is not None and echoed.get("Validation") == "PASSED"
    assert [o["ResourceName"] for o in _query(fresh_wire)] == ["FAKE_RESO2"]

    again = fresh_wire.call(CANCEL, cancel("FAKE_RESO"), market_type=DAM)
    assert again.codes() == ["E_OFFER_NOT_FOUND"]
    wrong_period = fresh_wire.call(CANCEL, cancel("FAKE_RESO2", 12, 20), market_type=DAM)
    assert wrong_period.codes() == ["E_OFFER_NOT_FOUND"]
    foreign = fresh_wire.call(CANCEL, cancel("OTHER_RESO"), market_type=DAM)
    assert foreign.codes() == ["E_RESOURCE_NOT_OWNED"]
    assert [o["ResourceName"] for o in _query(fresh_wire)] == ["FAKE_RESO2"]


def test_a_bulk_submission_is_answered_like_a_single_offer(
    fresh_wire: Wire, offer: OfferFactory
) -> None:
    """A request above the simulator's inline limit is checked in a worker thread, smaller
    ones on its event loop; both are answered in full."""
    from mms_client.schema.generated.mi_market import OfferStack
    from mms_client.sim.asgi import INLINE_REQUEST_BYTES

    stacks = [
        OfferStack(number=number, unit_price=100 + number, minimum_quantity_kw=100 * number)
        for number in range(1, 11)
    ]
    half_hours = [datetime(2024, 3, 15) + timedelta(minutes=30 * block) for block in range(48)]
    offers = [
        offer(start=start, end=start + timedelta(minutes=30), stack=stacks) for start in half_hours
    ]
    payload = fresh_wire.payload(SUBMIT, offers, market_type=DAM, days=1)
    assert len(fresh_wire.message(payload).body) > INLINE_REQUEST_BYTES

    bulk = fresh_wire.call(SUBMIT, offers, market_type=DAM, days=1)
    single = fresh_wire.call(SUBMIT, offer(resource="FAKE_RESO2"), market_type=DAM, days=1)

    assert bulk.info.success is True and single.info.success is True
    assert bulk.statistics()["Successful"] == "48"
    assert len(bulk.document.findall("MarketSubmit/OfferData/OfferStack")) == 480
    assert len(_query(fresh_wire)) == 49


# --- what a stack offers ------------------------------------------------------------------


def _refusal(simulator: Simulator, offer: OfferData) -> list[tuple[str | None, str]]:
    """The errors the simulator answers ``offer`` with, through the client; the offer is not
    stored."""
    with simulator.client() as client:
        with pytest.raises(MMSValidationError) as refused:
            client.put_offer(offer, DAM, date=TRADING_DAY)
        assert client.query_offers(OfferQuery(market_type=DAM), date=TRADING_DAY) == []
    return [(m.code, m.text) for m in refused.value.messages if m.severity == "Error"]


def test_a_stack_whose_minimum_is_above_all_it_offers_is_refused(
    fresh_mms_simulator: Simulator, offer: OfferFactory
) -> None:
    """Clearing skips an award below the stack's minimum, so a stack offering 100 kW with a
    minimum of 1000 kW could never be awarded; a minimum the largest quantity reaches can."""
    stacks = [
        OfferStack(number=1, unit_price=100, minimum_quantity_kw=1000, tertiary_2_qty_kw=100),
        OfferStack(
            number=2,
            unit_price=120,
            minimum_quantity_kw=1000,
            primary_qty_kw=500,
            tertiary_2_qty_kw=1000,
        ),
        OfferStack(
            number=3,
            unit_price=150,
            minimum_quantity_kw=800,
            primary_qty_kw=600,
            tertiary_2_qty_kw=0,
        ),
    ]

    errors = _refusal(fresh_mms_simulator, offer(stack=stacks))

    assert errors == [
        (
            "E_MINIMUM_ABOVE_OFFER",
            "OfferStack 1: MinimumQuantityInKw 1000 is more than the largest quantity it offers "
            "(Tertiary2OfferQuantityInKw 100), so no award could reach it",
        ),
        (
            "E_MINIMUM_ABOVE_OFFER",
            "OfferStack 3: MinimumQuantityInKw 800 is more than the largest quantity it offers "
            "(PrimaryOfferQuantityInKw 600), so no award could reach it",
        ),
    ]


def test_stacks_of_one_number_are_each_judged_by_what_they_offer(
    fresh_mms_simulator: Simulator, offer: OfferFactory
) -> None:
    """Two stacks numbered alike are refused for that, and each is judged on its own
    quantities still: the first, whose minimum its quantity reaches, is not said to miss it."""
    stacks = [
        OfferStack(number=1, unit_price=100, minimum_quantity_kw=100, tertiary_2_qty_kw=500),
        OfferStack(number=1, unit_price=120, minimum_quantity_kw=100, tertiary_2_qty_kw=50),
    ]
    errors = _refusal(fresh_mms_simulator, offer(stack=stacks))
    assert [code for code, _ in errors].count("E_MINIMUM_ABOVE_OFFER") == 1
    assert "E_STACK_DUPLICATE" in [code for code, _ in errors]


def test_a_stack_offering_nothing_is_accepted_with_a_warning(
    fresh_mms_simulator: Simulator, offer: OfferFactory
) -> None:
    """Such a stack can never be awarded, but the documented example of the compatible API
    sends one, so it is told rather than refused; quantities of 0 offer nothing either."""
    stacks = [
        OfferStack(number=1, unit_price=100, minimum_quantity_kw=100),
        OfferStack(number=2, unit_price=120, minimum_quantity_kw=100, tertiary_2_qty_kw=500),
        OfferStack(
            number=3, unit_price=150, minimum_quantity_kw=0, primary_qty_kw=0, tertiary_2_qty_kw=0
        ),
    ]
    with fresh_mms_simulator.client() as client:
        answer = client.call(SUBMIT, offer(stack=stacks), market_type=DAM, date=TRADING_DAY)
        stored = client.query_offers(OfferQuery(market_type=DAM), date=TRADING_DAY)

    (accepted,) = answer.items
    assert accepted.validation == "PASSED" and accepted.success is True
    assert [(m.severity, m.code, m.text) for m in answer.messages] == [
        (
            "Warning",
            "W_STACK_EMPTY",
            "OfferStacks 1, 3 offer no quantity (none of PrimaryOfferQuantityInKw, "
            "Secondary1OfferQuantityInKw, Secondary2OfferQuantityInKw, "
            "Tertiary1OfferQuantityInKw, Tertiary2OfferQuantityInKw is above 0), so they can "
            "never be awarded",
        )
    ]
    assert [len(o.stack) for o in stored] == [3]


def test_a_stack_offering_a_commodity_its_resource_is_registered_without_is_refused(
    fresh_mms_simulator: Simulator, offer: OfferFactory
) -> None:
    """FAKE_RESO2 is registered for tertiary-2 only (Pri, Sec1... false); what another
    participant's resource is registered for is not told."""
    stacks = [
        OfferStack(number=1, unit_price=100, minimum_quantity_kw=100, tertiary_2_qty_kw=500),
        OfferStack(
            number=2,
            unit_price=120,
            minimum_quantity_kw=100,
            primary_qty_kw=300,
            secondary_1_qty_kw=0,
            tertiary_2_qty_kw=500,
        ),
        OfferStack(number=3, unit_price=150, minimum_quantity_kw=100, primary_qty_kw=200),
    ]

    errors = _refusal(fresh_mms_simulator, offer("FAKE_RESO2", stack=stacks))

    assert errors == [
        (
            "E_COMMODITY_NOT_REGISTERED",
            "OfferStacks 2, 3 offer PrimaryOfferQuantityInKw, but resource FAKE_RESO2 is "
            "registered without it (Pri false)",
        )
    ]
    foreign = _refusal(fresh_mms_simulator, offer("OTHER_RESO", stack=stacks))
    assert [code for code, _ in foreign] == ["E_RESOURCE_NOT_OWNED"]


def _register_maximum_supply(simulator: Simulator, **maximums: int) -> None:
    """FAKE_RESO registered again with the maximum supply quantities ``maximums``
    (``PriMaximumSupplyQuantity=2000``), and the change approved."""
    resource = next(r for r in seed.RESOURCES if r.name == "FAKE_RESO")
    document = {**seed.resource_document(resource), **maximums}
    del document["RecordStatus"]
    with simulator.client("BSP") as bsp, simulator.client("MO") as market_operator:
        (change,) = bsp.call("RegistrationSubmit_Resource", document).items
        market_operator.call(
            "RegistrationApproval_Resource",
            {
                "ParticipantName": resource.participant,
                "ResourceName": resource.name,
                "TransactionId": change.transaction_id,
                "Action": "APPROVED",
            },
        )


def test_an_offer_beyond_its_resource_registered_maximum_supply_is_refused(
    fresh_mms_simulator: Simulator, offer: OfferFactory
) -> None:
    """All stacks of an offer may be awarded in the same block, so together they may offer
    no more of a commodity than the resource's registration says it can supply."""
    _register_maximum_supply(
        fresh_mms_simulator, PriMaximumSupplyQuantity=2000, Ter2MaximumSupplyQuantity=5000
    )

    def stacks(primary: int) -> list[OfferStack]:
        return [
            OfferStack(
                number=1,
                unit_price=100,
                minimum_quantity_kw=100,
                primary_qty_kw=1500,
                tertiary_2_qty_kw=3000,
            ),
            OfferStack(
                number=2,
                unit_price=120,
                minimum_quantity_kw=100,
                primary_qty_kw=primary,
                tertiary_2_qty_kw=2000,
                tertiary_1_qty_kw=4000,
            ),
        ]

    errors = _refusal(fresh_mms_simulator, offer(stack=stacks(primary=600)))

    assert errors == [
        (
            "E_CAPACITY_EXCEEDED",
            "OfferStacks 1, 2 offer PrimaryOfferQuantityInKw 2100 in all, more than resource "
            "FAKE_RESO's registered PriMaximumSupplyQuantity 2000",
        )
    ], "tertiary-2 reaches its maximum, tertiary-1 has none registered"
    with fresh_mms_simulator.client() as client:
        accepted = client.put_offer(offer(stack=stacks(primary=500)), DAM, date=TRADING_DAY)
    assert accepted.success is True
