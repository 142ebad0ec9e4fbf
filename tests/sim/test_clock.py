"""The simulator's clock as a test sets it: what the MMS stamps and judges by its time follows
it, with the real clients calling."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from mms_client.errors import ConfigurationError, MMSValidationError
from mms_client.jst import JST
from mms_client.schema.generated.mi_market import (
    Direction,
    MarketType,
    OfferData,
    OfferStack,
)
from mms_client.schema.generated.mi_report import (
    ReportCreateRequest,
    ReportListRequest,
)
from mms_client.sim.simulator import Simulator

MORNING = datetime(2024, 4, 1, 9, 0, tzinfo=JST)
"""A time far from the real one, at which no second of a test's run reaches another hour."""

_RESOURCE_LIST = {
    "ReportType": "REGISTRATION",
    "ReportSubType": "RESOURCE",
    "Periodicity": "ON_DEMAND",
    "Date": MORNING.date(),
}


def _this_hour(moment: datetime | None, hour: datetime) -> bool:
    """Whether ``moment`` is within the hour from ``hour``: a clock set runs on."""
    return moment is not None and hour <= moment < hour + timedelta(hours=1)


def _offer(day: date) -> OfferData:
    return OfferData(
        stack=[
            OfferStack(number=1, unit_price=100, minimum_quantity_kw=100, tertiary_2_qty_kw=500)
        ],
        resource="FAKE_RESO",
        start=datetime(day.year, day.month, day.day, 12),
        end=datetime(day.year, day.month, day.day, 21),
        direction=Direction.SELL,
    )


def _created_report(sim: Simulator) -> str:
    with sim.client() as bsp:
        created = bsp.create_report(
            ReportCreateRequest.model_validate({**_RESOURCE_LIST, "ReportName": "BSP_ResourceList"})
        )
    return created.transaction_id


def _listed_reports(sim: Simulator) -> list[str]:
    with sim.client() as bsp:
        listing = bsp.list_reports(ReportListRequest.model_validate(_RESOURCE_LIST))
    return [item.transaction_id for item in listing.report_item]


def test_a_report_is_gone_once_the_clock_has_passed_its_expiry_date(
    fresh_mms_simulator: Simulator,
) -> None:
    """A report made at the time set is kept its 30 days by that clock: listed and downloaded
    on its ExpiryDate, gone the day after, as a developer's software must cope with."""
    sim = fresh_mms_simulator
    sim.clock.set(MORNING)
    transaction = _created_report(sim)
    with sim.client() as bsp:
        listing = bsp.list_reports(ReportListRequest.model_validate(_RESOURCE_LIST))
    expiry = {item.transaction_id: item.expiry_date for item in listing.report_item}
    assert expiry[transaction] == date(2024, 5, 1)

    sim.clock.advance(timedelta(days=30))
    assert transaction in _listed_reports(sim)

    sim.clock.advance(timedelta(days=1))
    assert transaction not in _listed_reports(sim)
    with sim.client() as bsp, pytest.raises(MMSValidationError, match="E_REPORT_NOT_FOUND"):
        bsp.call("ReportDownloadRequestTrnID", {"TransactionId": transaction})


def test_submission_times_and_answer_stamps_follow_the_clock_set(
    fresh_mms_simulator: Simulator,
) -> None:
    """An offer is submitted at the simulator's time, and the answer is stamped with it,
    in Japan time whatever zone the time was set in."""
    sim = fresh_mms_simulator
    sim.clock.set(MORNING.astimezone(UTC))
    with sim.client() as bsp:
        answer = bsp.call(
            "MarketSubmit_OfferData",
            [_offer(date(2024, 4, 2))],
            date=date(2024, 4, 2),
            market_type=MarketType.DAY_AHEAD,
        )
    (accepted,) = answer.items
    assert _this_hour(accepted.submission_time, MORNING)
    assert answer.statistics is not None
    assert _this_hour(answer.statistics.xml_timestamp, MORNING)
    assert (answer.statistics.timestamp or "").endswith("JST 2024")

    sim.clock.advance(timedelta(days=1))
    with sim.client() as bsp:
        replaced = bsp.put_offer(
            _offer(date(2024, 4, 2)), market_type=MarketType.DAY_AHEAD, date=date(2024, 4, 2)
        )
    assert _this_hour(replaced.submission_time, MORNING + timedelta(days=1))


def test_a_frozen_clock_stamps_every_answer_with_the_time_set_until_moved(
    fresh_mms_simulator: Simulator,
) -> None:
    """Set frozen, the clock stands: two offers put apart are submitted at the same time, the
    one set, and answers are stamped with it, so that a test may compare them with fixed
    values; advanced, it stands at the new time; reset, it runs again."""
    sim = fresh_mms_simulator
    sim.clock.set(MORNING, frozen=True)
    day = date(2024, 4, 2)
    with sim.client() as bsp:
        first = bsp.call("MarketSubmit_OfferData", [_offer(day)], date=day, market_type="DAM")
        second = bsp.put_offer(_offer(day), market_type=MarketType.DAY_AHEAD, date=day)
    assert first.items[0].submission_time == MORNING
    assert second.submission_time == MORNING
    assert first.statistics is not None and first.statistics.xml_timestamp == MORNING
    assert sim.clock.frozen and sim.clock.now() == MORNING

    sim.clock.advance(timedelta(days=1, minutes=30))
    with sim.client() as bsp:
        moved = bsp.put_offer(_offer(day), market_type=MarketType.DAY_AHEAD, date=day)
    assert moved.submission_time == MORNING + timedelta(days=1, minutes=30)

    sim.clock.set(MORNING)  # set again without frozen: it runs
    assert not sim.clock.frozen
    sim.clock.set(MORNING, frozen=True)
    sim.clock.reset()
    assert not sim.clock.frozen
    assert sim.clock.now() > MORNING + timedelta(days=365)


def test_a_clock_set_is_kept_across_a_stop_and_a_start(fresh_mms_simulator: Simulator) -> None:
    """Set before the simulator starts (as ``mms sim serve --clock`` does) or while it is
    stopped, the clock is the one the started simulator stamps with."""
    sim = fresh_mms_simulator
    sim.stop()
    sim.clock.set(datetime(2024, 4, 1, 9))  # naive: Japan time
    sim.start()
    with sim.client() as bsp:
        accepted = bsp.put_offer(
            _offer(date(2024, 4, 2)), market_type=MarketType.DAY_AHEAD, date=date(2024, 4, 2)
        )
    assert _this_hour(accepted.submission_time, MORNING)


def test_the_report_the_seed_holds_is_made_at_the_time_set(fresh_mms_simulator: Simulator) -> None:
    """Reseeded with the clock set, the seeded report is kept its 30 days from that time, so
    that a test moving the clock on finds it gone when a report made then would be."""
    sim = fresh_mms_simulator
    sim.clock.set(MORNING)
    sim.reset()
    with sim.client() as bsp:
        listing = bsp.list_reports(
            ReportListRequest.model_validate({**_RESOURCE_LIST, "Date": date(2024, 4, 1)})
        )
    assert [item.expiry_date for item in listing.report_item] == [date(2024, 5, 1)]


def test_reset_brings_the_clock_back_to_the_real_time(fresh_mms_simulator: Simulator) -> None:
    sim = fresh_mms_simulator
    sim.clock.set(MORNING)
    sim.clock.reset()
    with sim.client() as bsp:
        answer = bsp.put_offer(
            _offer(date(2024, 4, 2)), market_type=MarketType.DAY_AHEAD, date=date(2024, 4, 2)
        )
    assert answer.submission_time is not None
    assert answer.submission_time > MORNING + timedelta(days=365)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2024-04-01T09:00", "a datetime (naive: Japan time); got '2024-04-01T09:00'"),
        (date(2024, 4, 1), "got datetime.date(2024, 4, 1) (for its midnight, give datetime("),
        (datetime(1899, 12, 31), "from 1900-01-01 to 9998-12-31 (Japan time); got 1899-12-31"),
        (datetime(9999, 6, 1), "to 9998-12-31 (Japan time); got 9999-06-01T00:00:00+09:00"),
        (datetime(9999, 12, 31, 20, tzinfo=UTC), "cannot be set to 9999-12-31 20:00:00+00:00: it "),
    ],
)
def test_a_time_the_clock_cannot_take_is_refused_saying_what_it_takes(
    fresh_mms_simulator: Simulator, value: object, message: str
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        fresh_mms_simulator.clock.set(value)  # type: ignore[arg-type]
    assert message in str(refused.value)
    with pytest.raises(ConfigurationError) as refused:
        fresh_mms_simulator.clock.advance(1)  # type: ignore[arg-type]
    assert str(refused.value).endswith("moved by a timedelta; got 1")
