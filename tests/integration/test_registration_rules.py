"""Registration rules a participant meets, with the real clients against the simulator: a
DR pattern is used only within its validity, and a registration request names each record
once."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from mms_client.client import MmsClient
from mms_client.errors import MMSValidationError
from mms_client.examples import example_request
from mms_client.sim import seed
from mms_client.sim.simulator import Simulator

BLOCK = ("2024-06-03T13:00:00", "2024-06-03T16:00:00")


def _errors(error: MMSValidationError) -> list[tuple[str | None, str]]:
    return [(m.code, m.path) for m in error.messages if m.severity == "Error"]


def _offer(resource: str, start: str, end: str, **extra: Any) -> Any:
    return {
        "ResourceName": resource,
        "StartTime": start,
        "EndTime": end,
        "Direction": "1",
        "OfferStack": [
            {
                "StackNumber": 1,
                "MinimumQuantityInKw": 100,
                "Tertiary2OfferQuantityInKw": 500,
                "OfferUnitPrice": "8.00",
            }
        ],
        **extra,
    }


def _put_offer(bsp: MmsClient, offer: Any) -> Any:
    (accepted,) = bsp.call(
        "MarketSubmit_OfferData", offer, date=offer["StartTime"][:10], market_type="DAM"
    ).items
    return accepted


def test_a_dr_pattern_is_used_only_within_its_validity(sim: Simulator) -> None:
    registration = example_request("RegistrationSubmit_DrPattern")
    resource = seed.DR_PATTERN_RESOURCE
    pattern = {
        **registration.items[0].model_dump(by_alias=True, exclude_none=True),
        "PatternNumber": 2,
        "StartDate": "2024-06-01",
        "EndDate": "2024-06-30",
    }
    remaining = example_request("MarketSubmit_RemainingReserveData")
    with sim.client("BSP") as bsp, sim.client("MO") as market_operator:
        (registered,) = bsp.call(
            "RegistrationSubmit_DrPattern", pattern, attachments=registration.attachments
        ).items
        market_operator.call(
            "RegistrationApproval_DrPattern",
            {
                "ParticipantName": "F100",
                "ResourceName": resource,
                "PatternNumber": 2,
                "TransactionId": registered.transaction_id,
                "Action": "APPROVED",
            },
        )
        # from the start of its StartDate to the end of its EndDate
        for start, end in (
            ("2024-06-01T00:00:00", "2024-06-01T03:00:00"),
            ("2024-06-30T21:00:00", "2024-07-01T00:00:00"),
        ):
            _put_offer(bsp, _offer(resource, start, end, DrPatternNumber=2))

        for start, end in (
            ("2024-05-31T21:00:00", "2024-06-01T00:00:00"),
            ("2024-06-30T22:00:00", "2024-07-01T01:00:00"),
        ):
            with pytest.raises(MMSValidationError) as outside:
                _put_offer(bsp, _offer(resource, start, end, DrPatternNumber=2))
            assert _errors(outside.value) == [
                ("E_DR_PATTERN_NOT_VALID", "MarketData/MarketSubmit/OfferData")
            ], start
            assert "2024-06-01" in str(outside.value) and "2024-06-30" in str(outside.value)

        reserve = {
            **remaining.items[0].model_dump(by_alias=True, exclude_none=True),
            "ResourceName": resource,
            "StartTime": "2024-07-01T12:00:00",
            "EndTime": "2024-07-01T15:00:00",
            "DrPatternNumber": 2,
        }
        with pytest.raises(MMSValidationError) as declared:
            bsp.call(
                "MarketSubmit_RemainingReserveData", reserve, interface="OMI", **remaining.envelope
            )
        assert [code for code, _ in _errors(declared.value)] == ["E_DR_PATTERN_NOT_VALID"]

    suspension = example_request("RegistrationSubmit_DrPatternSuspension").items[0]
    with sim.client("TSO") as tso, pytest.raises(MMSValidationError) as suspended:
        tso.call(
            "RegistrationSubmit_DrPatternSuspension",
            suspension.model_copy(update={"pattern_number": 2, "start_date": date(2024, 7, 1)}),
        )
    assert [code for code, _ in _errors(suspended.value)] == ["E_DR_PATTERN_NOT_VALID"]


def test_an_item_repeating_an_earlier_one_of_the_same_registration_request_is_refused(
    sim: Simulator,
) -> None:
    registration = example_request("RegistrationSubmit_Resource").items[0]
    plant = registration.model_copy(update={"resource_name": "FAKE_PLANT", "system_code": "FSYS9"})
    pattern = example_request("RegistrationSubmit_DrPattern")
    with sim.client("BSP") as bsp, sim.client("MO") as market_operator:
        with pytest.raises(MMSValidationError) as refused:
            bsp.call("RegistrationSubmit_Resource", [plant, plant])
        assert _errors(refused.value) == [
            ("E_RECORD_DUPLICATE", "RegistrationData/RegistrationSubmit/Resource[2]")
        ]
        first, second = refused.value.items
        assert first.validation.value == "PASSED" and second.validation.value == "FAILED"
        assert second.transaction_id is None
        # the first is the registration: its TransactionId is the one to approve
        market_operator.call(
            "RegistrationApproval_Resource",
            {
                "ParticipantName": "F100",
                "ResourceName": "FAKE_PLANT",
                "TransactionId": first.transaction_id,
                "Action": "APPROVED",
            },
        )
        assert _put_offer(bsp, _offer("FAKE_PLANT", *BLOCK)).system_code == "FSYS9"

        with pytest.raises(MMSValidationError) as twice:
            bsp.call(
                "RegistrationSubmit_DrPattern",
                [*pattern.items, *pattern.items],
                attachments=pattern.attachments,
            )
        assert _errors(twice.value) == [
            ("E_RECORD_DUPLICATE", "RegistrationData/RegistrationSubmit/DrPattern[2]")
        ]
