"""Times the schema allows long before the MMS existed: the simulator answers them as it
answers any other time, keeping the Japan wall-clock time the request wrote.

Early in year 1 a Japan time has no UTC form in Python's calendar, and before
1888 Asia/Tokyo kept local mean time (+09:18:59), so a time that went through UTC or through
an offset cut to whole minutes on its way came back moved, or not at all.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from mms_client.examples import Example, examples
from mms_client.schema.binding import XmlModel

from .conftest import Wire

EARLY = [datetime(1, 1, 1), datetime(1800, 1, 1, 0, 30)]
"""Midnight of the calendar's first day in Japan, and a time of Japan's local mean time."""


def _timed(value: Any, moment: datetime) -> Any:
    """``value`` (a model dumped in Python mode) with every time in it set to ``moment``."""
    if isinstance(value, datetime):
        return moment
    if isinstance(value, dict):
        return {key: _timed(inner, moment) for key, inner in value.items()}
    if isinstance(value, list):
        return [_timed(inner, moment) for inner in value]
    return value


def _at(item: XmlModel, moment: datetime) -> XmlModel:
    dumped = item.model_dump(by_alias=True, exclude_none=True)
    return type(item).model_validate(_timed(dumped, moment))


TIMED = [
    example
    for example in examples()
    if any(_at(item, datetime(1, 1, 1)) != item for item in example.items)
]
"""The examples whose items carry a time."""


@pytest.mark.parametrize("moment", EARLY, ids=str)
@pytest.mark.parametrize(
    "example", TIMED, ids=[f"{e.operation.interface.value}-{e.operation.name}" for e in TIMED]
)
def test_a_request_with_an_early_time_gets_an_answer_not_a_fault(
    seeded_wire: Wire, example: Example, moment: datetime
) -> None:
    """Such a time failed inside the simulator, which answered with a SOAP Server fault."""
    items = [_at(item, moment) for item in example.items]
    answer = seeded_wire.example(
        example.operation.name,
        example.operation.interface,
        items=items if isinstance(example.payload, list) else items[0],
    )
    assert answer.status == 200
    assert answer.info.response_data_type == "XML"


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("0001-01-01T00:00:00", "0001-01-01T00:30:00"),
        ("1800-01-01T00:30:00", "1800-01-01T01:00:00"),
    ],
)
def test_an_early_time_is_stored_and_shown_as_the_japan_time_the_request_wrote(
    seeded_wire: Wire, start: str, end: str
) -> None:
    """Such a time was stored moved by 59 seconds (1800-01-01T00:30:59), when it was stored
    at all."""
    requirement = {
        "Area": "04",
        "Requirement": [
            {
                "StartTime": start,
                "EndTime": end,
                "Direction": "1",
                "Tertiary2ReserveQuantityInKw": 700,
            }
        ],
    }
    submitted = seeded_wire.example("MarketSubmit_ReserveRequirement", items=[requirement])
    assert submitted.codes() == []
    [echoed] = submitted.document.iter("Requirement")
    assert (echoed.get("StartTime"), echoed.get("EndTime")) == (start, end)

    answer = seeded_wire.example(
        "MarketQuery_ReserveRequirementQuery",
        items=[{"MarketType": "DAM", "Area": "04"}],
        date=date.fromisoformat(start[:10]),
    )
    assert [
        (r.get("StartTime"), r.get("EndTime")) for r in answer.document.iter("Requirement")
    ] == [(start, end)]
