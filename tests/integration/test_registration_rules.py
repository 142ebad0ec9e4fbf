"""Registration rules a participant meets, with the real clients against the simulator: a
DR pattern is used only within its validity, a registration request names each record once,
a change to an approved resource or DR pattern awaits approval while the approved record
stays in force, and a transfer hands a resource over for trading, queries and reports."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from mms_client.client import MmsClient
from mms_client.errors import MMSValidationError
from mms_client.examples import example_request
from mms_client.schema.generated.mi_report import ReportDownloadRequestTrnID
from mms_client.sim import seed
from mms_client.sim.simulator import Simulator
from mms_client.wire.soap import Attachment

RESOURCE = next(r for r in seed.RESOURCES if r.name == "FAKE_RESO")
BLOCK = ("2024-06-03T13:00:00", "2024-06-03T16:00:00")
NEXT_BLOCK = ("2024-06-04T13:00:00", "2024-06-04T16:00:00")
JULY_BLOCK = ("2024-07-01T13:00:00", "2024-07-01T16:00:00")
DR_RESOURCE = seed.DR_PATTERN_RESOURCE
JUNE = {"StartDate": "2024-06-01", "EndDate": "2024-06-30"}


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


def _register_dr_pattern(bsp: MmsClient, **attributes: Any) -> Any:
    """Registers DR pattern 2 of FAKE_RESO2 with ``attributes``: the item as the MMS took
    it."""
    registration = example_request("RegistrationSubmit_DrPattern")
    pattern = {
        **registration.items[0].model_dump(by_alias=True, exclude_none=True),
        "PatternNumber": 2,
        **attributes,
    }
    (registered,) = bsp.call(
        "RegistrationSubmit_DrPattern", pattern, attachments=registration.attachments
    ).items
    return registered


def _decide_dr_pattern(market_operator: MmsClient, transaction_id: str, action: str) -> None:
    market_operator.call(
        "RegistrationApproval_DrPattern",
        {
            "ParticipantName": "F100",
            "ResourceName": DR_RESOURCE,
            "PatternNumber": 2,
            "TransactionId": transaction_id,
            "Action": action,
        },
    )


def test_a_dr_pattern_is_used_only_within_its_validity(sim: Simulator) -> None:
    resource = DR_RESOURCE
    remaining = example_request("MarketSubmit_RemainingReserveData")
    with sim.client("BSP") as bsp, sim.client("MO") as market_operator:
        registered = _register_dr_pattern(bsp, **JUNE)
        _decide_dr_pattern(market_operator, registered.transaction_id, "APPROVED")
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


def test_a_participant_user_or_resource_ending_before_it_starts_is_refused(
    sim: Simulator,
) -> None:
    backwards = {"start_date": date(2024, 4, 2), "end_date": date(2024, 4, 1)}
    records = {
        "RegistrationSubmit_Participant": "MO",
        "RegistrationSubmit_User": "MO",
        "RegistrationSubmit_Resource": "BSP",
    }
    for operation, registrant in records.items():
        item = example_request(operation).items[0]
        with sim.client(registrant) as client:
            with pytest.raises(MMSValidationError) as refused:
                client.call(operation, item.model_copy(update=backwards))
            assert _codes(refused.value) == ["E_PERIOD_INVALID"], operation
            assert "EndDate 2024-04-01 is before StartDate 2024-04-02" in str(refused.value)
            # a record of a single day ends on the day it starts
            single_day = {"start_date": date(2024, 4, 1), "end_date": date(2024, 4, 1)}
            client.call(operation, item.model_copy(update=single_day))


def _resource_records(client: MmsClient, **query: str) -> list[tuple[str, str, str]]:
    records = client.call(
        "RegistrationQuery_Resource", {"ResourceName": RESOURCE.name, **query}
    ).items
    return [(r.record_status.value, r.transaction_id, r.system_code) for r in records]


def _changed_resource() -> dict[str, Any]:
    """FAKE_RESO registered again, with another system code."""
    document = seed.resource_document(RESOURCE)
    del document["RecordStatus"]
    return {**document, "SystemCode": "FSYS8"}


def _decide(market_operator: MmsClient, transaction_id: str, action: str) -> None:
    market_operator.call(
        "RegistrationApproval_Resource",
        {
            "ParticipantName": RESOURCE.participant,
            "ResourceName": RESOURCE.name,
            "TransactionId": transaction_id,
            "Action": action,
        },
    )


def test_a_change_to_an_approved_resource_leaves_the_approved_record_in_force_until_approved(
    sim: Simulator,
) -> None:
    with sim.client("BSP") as bsp, sim.client("MO") as market_operator:
        ((_, approved, _),) = _resource_records(bsp)
        (change,) = bsp.call("RegistrationSubmit_Resource", _changed_resource()).items
        assert change.record_status.value == "SUBMITTED" and change.transaction_id != approved

        # the approved record stays in force: offers are taken, with its master data
        assert _put_offer(bsp, _offer(RESOURCE.name, *BLOCK)).system_code == "FSYS0"
        # queries report both records, each with its RecordStatus, which selects between them
        assert _resource_records(bsp) == [
            ("APPROVED", approved, "FSYS0"),
            ("SUBMITTED", change.transaction_id, "FSYS8"),
        ]
        assert _resource_records(bsp, RecordStatus="APPROVED") == [("APPROVED", approved, "FSYS0")]
        # the change is what a TSO evaluates and the market operator decides on
        evaluation = example_request("RegistrationSubmit_ResourceEvaluation")
        with sim.client("TSO") as tso:
            tso.call(
                "RegistrationSubmit_ResourceEvaluation",
                evaluation.items[0].model_copy(
                    update={"resource_name": RESOURCE.name, "transaction_id": change.transaction_id}
                ),
                attachments=evaluation.attachments,
            )

        _decide(market_operator, change.transaction_id, "APPROVED")
        assert _resource_records(bsp) == [("APPROVED", change.transaction_id, "FSYS8")]
        assert _put_offer(bsp, _offer(RESOURCE.name, *NEXT_BLOCK)).system_code == "FSYS8"


def test_a_declined_change_to_an_approved_resource_leaves_the_approved_record(
    sim: Simulator,
) -> None:
    with sim.client("BSP") as bsp, sim.client("MO") as market_operator:
        ((_, approved, _),) = _resource_records(bsp)
        (change,) = bsp.call("RegistrationSubmit_Resource", _changed_resource()).items
        _decide(market_operator, change.transaction_id, "DECLINED")

        assert _resource_records(bsp) == [
            ("APPROVED", approved, "FSYS0"),
            ("DECLINED", change.transaction_id, "FSYS8"),
        ]
        assert _put_offer(bsp, _offer(RESOURCE.name, *BLOCK)).system_code == "FSYS0"
        with pytest.raises(MMSValidationError) as again:
            _decide(market_operator, change.transaction_id, "APPROVED")
        assert [code for code, _ in _errors(again.value)] == ["E_NOT_PENDING"]


def _dr_pattern_records(client: MmsClient, **query: str) -> list[tuple[str, str, str]]:
    records = client.call(
        "RegistrationQuery_DrPattern", {"ResourceName": DR_RESOURCE, "PatternNumber": 2, **query}
    ).items
    return [(r.record_status.value, r.transaction_id, r.pattern_name) for r in records]


def _approved_dr_pattern(bsp: MmsClient, market_operator: MmsClient) -> str:
    """DR pattern 2 of FAKE_RESO2, valid in June and approved: its TransactionId."""
    approved: str = _register_dr_pattern(bsp, **JUNE).transaction_id
    _decide_dr_pattern(market_operator, approved, "APPROVED")
    return approved


def test_a_change_to_an_approved_dr_pattern_leaves_the_approved_record_in_force_until_approved(
    sim: Simulator,
) -> None:
    with sim.client("BSP") as bsp, sim.client("MO") as market_operator:
        approved = _approved_dr_pattern(bsp, market_operator)
        change = _register_dr_pattern(
            bsp, StartDate="2024-06-01", EndDate="2024-07-31", PatternName="夏季"
        )
        assert change.record_status.value == "SUBMITTED" and change.transaction_id != approved

        # the approved record stays in force: offers on the pattern are taken, within the
        # validity it gives
        _put_offer(bsp, _offer(DR_RESOURCE, *BLOCK, DrPatternNumber=2))
        with pytest.raises(MMSValidationError) as july:
            _put_offer(bsp, _offer(DR_RESOURCE, *JULY_BLOCK, DrPatternNumber=2))
        assert [code for code, _ in _errors(july.value)] == ["E_DR_PATTERN_NOT_VALID"]
        # queries report both records, each with its RecordStatus, which selects between them
        assert _dr_pattern_records(bsp) == [
            ("APPROVED", approved, "休日昼間"),
            ("SUBMITTED", change.transaction_id, "夏季"),
        ]
        assert _dr_pattern_records(bsp, RecordStatus="SUBMITTED") == [
            ("SUBMITTED", change.transaction_id, "夏季")
        ]

        _decide_dr_pattern(market_operator, change.transaction_id, "APPROVED")
        assert _dr_pattern_records(bsp) == [("APPROVED", change.transaction_id, "夏季")]
        _put_offer(bsp, _offer(DR_RESOURCE, *JULY_BLOCK, DrPatternNumber=2))


def test_a_declined_change_to_an_approved_dr_pattern_leaves_the_approved_record(
    sim: Simulator,
) -> None:
    with sim.client("BSP") as bsp, sim.client("MO") as market_operator:
        approved = _approved_dr_pattern(bsp, market_operator)
        change = _register_dr_pattern(bsp, **JUNE, PatternName="夏季")
        _decide_dr_pattern(market_operator, change.transaction_id, "DECLINED")

        assert _dr_pattern_records(bsp) == [
            ("APPROVED", approved, "休日昼間"),
            ("DECLINED", change.transaction_id, "夏季"),
        ]
        _put_offer(bsp, _offer(DR_RESOURCE, *BLOCK, DrPatternNumber=2))
        with pytest.raises(MMSValidationError) as again:
            _decide_dr_pattern(market_operator, change.transaction_id, "APPROVED")
        assert [code for code, _ in _errors(again.value)] == ["E_NOT_PENDING"]


# --- who holds a resource: a transfer hands it over for trading, queries and reports ---------

TRANSFER_DAY = "2027-01-15"
BEFORE = ("2027-01-14T09:00:00", "2027-01-14T12:00:00")
AFTER = ("2027-02-01T09:00:00", "2027-02-01T12:00:00")


def _codes(error: MMSValidationError) -> list[str | None]:
    return [code for code, _ in _errors(error)]


def _transfer(
    market_operator: MmsClient,
    receiver: str,
    day: str = TRANSFER_DAY,
    resource: str = RESOURCE.name,
) -> Any:
    """``resource`` handed from F100 to ``receiver`` from ``day``: the answer."""
    return market_operator.call(
        "RegistrationSubmit_ResourceTransfer",
        {
            "PreviousParticipantName": "F100",
            "ParticipantName": receiver,
            "ResourceName": resource,
            "StartDate": day,
        },
    )


def _offer_ids(offer: Any) -> list[str]:
    return [stack.id for stack in offer.stack]


def _live_offers(bsp: MmsClient, day: str) -> list[tuple[str, list[str]]]:
    found = bsp.call("MarketQuery_OfferQuery", {"MarketType": "DAM"}, date=day).items
    return [(o.resource, _offer_ids(o)) for o in found if o.resource == RESOURCE.name]


def _awarded(tso: MmsClient, day: str) -> list[tuple[str, str]]:
    (awards,) = tso.call(
        "MarketQuery_AwardResultsQuery",
        {"MarketType": "DAM", "StartTime": f"{day}T00:00:00", "EndTime": f"{day}T23:30:00"},
        date=day,
    ).items
    return [
        (award.resource_name, award.bsp_participant_name)
        for result in awards.award_results
        for award in result.award_results_data
    ]


def _require(tso: MmsClient, start: str, end: str) -> None:
    """Area 04 (FAKE_RESO's) needs 3000 kW of tertiary-2 reserve for the period."""
    tso.call(
        "MarketSubmit_ReserveRequirement",
        {
            "Area": RESOURCE.area,
            "Requirement": [
                {
                    "StartTime": start,
                    "EndTime": end,
                    "Direction": "1",
                    "Tertiary2ReserveQuantityInKw": 3000,
                }
            ],
        },
        date=start[:10],
        market_type="DAM",
    )


def _held_data(bsp: MmsClient, start: str, end: str) -> list[str]:
    """What ``bsp`` finds of FAKE_RESO's BUPs, baseline load files and remaining reserve
    for the days of ``start`` to ``end``, by kind."""
    day = start[:10]
    bups = bsp.call("MarketQuery_BupQuery", {"ResourceName": RESOURCE.name}, date=day).items
    uploads = bsp.call("MarketQuery_BaselineLoadFileListQuery", {}, interface="MI", date=day).items
    reserves = bsp.call(
        "MarketQuery_RemainingReserveDataQuery",
        {"StartTime": start, "EndTime": end, "ResourceName": RESOURCE.name},
        interface="OMI",
        date=day,
    ).items
    return (
        ["BUP"] * len(bups)
        + [
            "baseline file"
            for upload in uploads
            for file in upload.file
            if file.resource_name == RESOURCE.name
        ]
        + ["remaining reserve"] * len(reserves)
    )


def _submit_held_data(bsp: MmsClient, start: str, end: str) -> None:
    """FAKE_RESO's BUP, baseline load file and remaining reserve for ``start`` to ``end``."""
    day = start[:10]
    bup = example_request("MarketSubmit_BupSubmit").items[0].model_dump(by_alias=True)
    bsp.call(
        "MarketSubmit_BupSubmit",
        {**bup, "ResourceName": RESOURCE.name, "StartTime": start, "EndTime": end},
        date=day,
    )
    name = (
        f"W9_0101_{day.replace('-', '')}_{RESOURCE.area}_{RESOURCE.system_code}_{RESOURCE.name}.xml"
    )
    bsp.call(
        "MarketSubmit_BaselineLoad",
        {
            "File": [
                {"Name": name, "ResourceName": RESOURCE.name, "StartDate": day, "FileTypeFlag": "1"}
            ]
        },
        interface="MI",
        attachments=[Attachment(name, b"<Baseline/>")],
        date=day,
    )
    bsp.call(
        "MarketSubmit_RemainingReserveData",
        {
            "ResourceName": RESOURCE.name,
            "StartTime": start,
            "EndTime": end,
            "RemainingReserveUp": 2000,
            "RemainingReserveDown": 1000,
        },
        interface="OMI",
        date=day,
    )


def test_a_transfer_withdraws_the_previous_holders_offers_and_data_from_its_start_date(
    sim: Simulator,
) -> None:
    with (
        sim.client("BSP", "F100") as f100,
        sim.client("BSP", "F200") as f200,
        sim.client("MO") as market_operator,
        sim.client("TSO") as tso,
    ):
        before = _put_offer(f100, _offer(RESOURCE.name, *BEFORE))
        after = _put_offer(f100, _offer(RESOURCE.name, *AFTER))
        _require(tso, *AFTER)
        everything = ["BUP", "baseline file", "remaining reserve"]
        for period in (BEFORE, AFTER):
            _submit_held_data(f100, *period)
        assert _held_data(f100, *AFTER) == everything

        transferred = _transfer(market_operator, "F200")
        # the offer from the transfer date on is withdrawn, and the answer says which
        assert [(m.code, m.severity) for m in transferred.messages] == [
            ("W_OFFER_WITHDRAWN", "Warning"),
            ("W_DATA_WITHDRAWN", "Warning"),
        ]
        withdrawn, data_withdrawn = transferred.messages
        assert _offer_ids(after)[0] in withdrawn.text and "F100" in withdrawn.text
        assert _offer_ids(before)[0] not in withdrawn.text
        # so are its BUP, baseline file and remaining reserve, which F100 could neither
        # change nor cancel any more, and F200's queries would not find
        assert "F100" in data_withdrawn.text and AFTER[0] in data_withdrawn.text
        assert BEFORE[0] not in data_withdrawn.text
        assert _held_data(f100, *AFTER) == _held_data(f200, *AFTER) == []
        assert _held_data(f100, *BEFORE) == everything
        _submit_held_data(f200, *AFTER)
        assert _held_data(f200, *AFTER) == everything
        assert _held_data(f100, *AFTER) == []
        assert _live_offers(f100, AFTER[0][:10]) == []
        assert _live_offers(f100, BEFORE[0][:10]) == [(RESOURCE.name, _offer_ids(before))]
        assert _awarded(tso, AFTER[0][:10]) == []

        # F100 is told who holds the resource and from when
        with pytest.raises(MMSValidationError) as refused:
            _put_offer(f100, _offer(RESOURCE.name, *AFTER))
        assert _codes(refused.value) == ["E_RESOURCE_NOT_OWNED"]
        assert "F200" in str(refused.value) and TRANSFER_DAY in str(refused.value)

        # F200's offer replaces nothing: OfferIds of its own, no warning, awarded to F200
        response = f200.call(
            "MarketSubmit_OfferData",
            _offer(RESOURCE.name, *AFTER),
            date=AFTER[0][:10],
            market_type="DAM",
        )
        (offer,) = response.items
        assert response.messages == ()
        assert offer.bsp_participant == "F200"
        assert not set(_offer_ids(offer)) & set(_offer_ids(after))
        assert _awarded(tso, AFTER[0][:10]) == [(RESOURCE.name, "F200")]

        # an offer across the transfer date is nobody's to make
        across = ("2027-01-14T21:00:00", "2027-01-15T03:00:00")
        for bsp in (f100, f200):
            with pytest.raises(MMSValidationError) as spanning:
                _put_offer(bsp, _offer(RESOURCE.name, *across))
            assert _codes(spanning.value) == ["E_RESOURCE_NOT_OWNED"]


def _resources(bsp: MmsClient, day: str) -> list[tuple[str, str]]:
    found = bsp.call("RegistrationQuery_Resource", {"ResourceName": RESOURCE.name}, date=day).items
    return [(r.resource_name, r.participant_name) for r in found]


def _resource_list(bsp: MmsClient, day: str) -> list[tuple[str, str]]:
    """The BSP_ResourceList report of ``day``: FAKE_RESO's rows."""
    report = example_request("ReportCreateRequest").items[0]
    created = bsp.create_report(report.model_copy(update={"date": date.fromisoformat(day)}))
    downloaded = bsp.download_report(
        ReportDownloadRequestTrnID(transaction_id=created.transaction_id)
    )
    return [
        (row.resource_name, row.participant_name)
        for row in downloaded.rows()
        if row.resource_name == RESOURCE.name
    ]


def test_queries_reports_and_records_of_resources_name_who_holds_them_on_their_date(
    sim: Simulator,
) -> None:
    with (
        sim.client("BSP", "F100") as f100,
        sim.client("BSP", "F200") as f200,
        sim.client("MO") as market_operator,
        sim.client("TSO") as tso,
    ):
        _transfer(market_operator, "F200")
        held_before = [(RESOURCE.name, "F100")]
        held_after = [(RESOURCE.name, "F200")]
        assert _resources(f100, BEFORE[0][:10]) == held_before
        assert _resources(f200, BEFORE[0][:10]) == []
        assert _resources(f100, AFTER[0][:10]) == []
        assert _resources(f200, AFTER[0][:10]) == held_after
        assert _resources(tso, AFTER[0][:10]) == held_after

        assert _resource_list(f100, BEFORE[0][:10]) == held_before
        assert _resource_list(f200, BEFORE[0][:10]) == []
        assert _resource_list(f100, AFTER[0][:10]) == []
        assert _resource_list(f200, AFTER[0][:10]) == held_after

        # what the market operator records about the resource names its holder then
        validity = {
            "ResourceName": RESOURCE.name,
            "StartDate": AFTER[0][:10],
            "ResourceState": "REGISTERED",
        }
        with pytest.raises(MMSValidationError) as previous:
            market_operator.call(
                "RegistrationSubmit_ResourceValidity", {**validity, "ParticipantName": "F100"}
            )
        assert _codes(previous.value) == ["E_RESOURCE_NOT_OWNED"]
        assert "F200" in str(previous.value)
        market_operator.call(
            "RegistrationSubmit_ResourceValidity", {**validity, "ParticipantName": "F200"}
        )


def test_a_resource_handed_over_is_registered_again_by_its_new_holder(sim: Simulator) -> None:
    with (
        sim.client("BSP", "F100") as f100,
        sim.client("BSP", "F200") as f200,
        sim.client("MO") as market_operator,
        sim.client("TSO") as tso,
    ):
        _transfer(market_operator, "F200", "2024-05-01")  # in force today
        (shown,) = f200.call("RegistrationQuery_Resource", {"ResourceName": RESOURCE.name}).items
        registration = shown.model_dump(by_alias=True, exclude_none=True)
        assert registration.pop("ParticipantName") == "F200"
        del registration["RecordStatus"]
        registration["SystemCode"] = "FSYS8"

        with pytest.raises(MMSValidationError) as previous:
            f100.call("RegistrationSubmit_Resource", {**registration, "ParticipantName": "F100"})
        assert _codes(previous.value) == ["E_RESOURCE_NOT_OWNED"]
        assert "F200" in str(previous.value)
        (change,) = f200.call(
            "RegistrationSubmit_Resource", {**registration, "ParticipantName": "F200"}
        ).items
        market_operator.call(
            "RegistrationApproval_Resource",
            {
                "ParticipantName": "F200",
                "ResourceName": RESOURCE.name,
                "TransactionId": change.transaction_id,
                "Action": "APPROVED",
            },
        )
        # the approved change is F200's from the transfer on; before it, F100 held the resource
        assert _resources(tso, "2024-05-01") == [(RESOURCE.name, "F200")]
        assert _resources(tso, "2024-04-30") == [(RESOURCE.name, "F100")]


def _dr_patterns(bsp: MmsClient, day: str) -> list[tuple[int, str]]:
    found = bsp.call("RegistrationQuery_DrPattern", {"ResourceName": DR_RESOURCE}, date=day).items
    return [(p.pattern_number, p.participant_name) for p in found]


def test_the_dr_patterns_of_a_resource_handed_over_are_shown_to_its_holder(
    sim: Simulator,
) -> None:
    with sim.client("MO") as market_operator:
        approval = example_request("RegistrationApproval_DrPattern")
        market_operator.call("RegistrationApproval_DrPattern", approval.payload)
        _transfer(market_operator, "F200", "2024-05-01", DR_RESOURCE)
    with sim.client("BSP", "F100") as f100, sim.client("BSP", "F200") as f200:
        pattern = [(seed.DR_PATTERN_NUMBER, "F200")]
        # F200 offers with the pattern, and is shown it, as its resource
        _put_offer(f200, _offer(DR_RESOURCE, *BLOCK, DrPatternNumber=seed.DR_PATTERN_NUMBER))
        assert _dr_patterns(f200, BLOCK[0][:10]) == pattern
        assert _dr_patterns(f100, BLOCK[0][:10]) == []
        # before the transfer the resource and its pattern were F100's
        assert _dr_patterns(f100, "2024-04-15") == [(seed.DR_PATTERN_NUMBER, "F100")]
        assert _dr_patterns(f200, "2024-04-15") == []


# --- when a resource may be traded: its registration and validity, and its holder's ----------


def _refused(bsp: MmsClient, offer: Any) -> MMSValidationError:
    with pytest.raises(MMSValidationError) as refused:
        _put_offer(bsp, offer)
    return refused.value


def _bup(resource: str, day: str) -> Any:
    """The example BUP, for ``resource`` on ``day``."""
    bup = example_request("MarketSubmit_BupSubmit").items[0]
    return {
        **bup.model_dump(by_alias=True, exclude_none=True),
        "ResourceName": resource,
        "StartTime": f"{day}T00:00:00",
        "EndTime": f"{date.fromisoformat(day) + timedelta(days=1)}T00:00:00",
    }


def _off_market_contract(resource: str, start: str, end: str) -> Any:
    """The example off-market contract, on ``resource`` for [start, end)."""
    contract = example_request("MarketSubmit_OffMarketContract", "OMI").items[0]
    return {
        **contract.model_dump(by_alias=True, exclude_none=True),
        "ResourceName": resource,
        "StartTime": start,
        "EndTime": end,
    }


def test_a_resource_is_traded_only_within_its_registration(sim: Simulator) -> None:
    registration = example_request("RegistrationSubmit_Resource").items[0]
    plant = registration.model_copy(
        update={
            "resource_name": "FAKE_PLANT",
            "system_code": "FSYS9",
            "start_date": date(2026, 11, 1),
            "end_date": date(2027, 3, 31),
        }
    )
    with sim.client("BSP") as bsp, sim.client("MO") as market_operator:
        (registered,) = bsp.call("RegistrationSubmit_Resource", plant).items
        market_operator.call(
            "RegistrationApproval_Resource",
            {
                "ParticipantName": "F100",
                "ResourceName": "FAKE_PLANT",
                "TransactionId": registered.transaction_id,
                "Action": "APPROVED",
            },
        )
        for start, end in (
            ("2026-10-31T21:00:00", "2026-11-01T00:00:00"),
            ("2026-10-31T22:00:00", "2026-11-01T01:00:00"),
            ("2027-03-31T22:00:00", "2027-04-01T01:00:00"),
        ):
            refused = _refused(bsp, _offer("FAKE_PLANT", start, end))
            assert _codes(refused) == ["E_RESOURCE_NOT_VALID"], start
            assert "2026-11-01" in str(refused) and "2027-03-31" in str(refused)
        _put_offer(bsp, _offer("FAKE_PLANT", "2026-11-01T00:00:00", "2026-11-01T03:00:00"))
        _put_offer(bsp, _offer("FAKE_PLANT", "2027-03-31T21:00:00", "2027-04-01T00:00:00"))

        with pytest.raises(MMSValidationError) as bup:
            bsp.call(
                "MarketSubmit_BupSubmit", _bup("FAKE_PLANT", "2026-10-15"), date=date(2026, 10, 15)
            )
        assert _codes(bup.value) == ["E_RESOURCE_NOT_VALID"]
        # FAKE_RESO2 is registered from 2024-01-01: no DR pattern of it starts before
        with pytest.raises(MMSValidationError) as pattern:
            _register_dr_pattern(bsp, StartDate="2023-12-01")
        assert _codes(pattern.value) == ["E_RESOURCE_NOT_VALID"]


def _validity(market_operator: MmsClient, operation: str, **record: str) -> None:
    market_operator.call(f"RegistrationSubmit_{operation}", {"ParticipantName": "F100", **record})


def test_a_deregistered_resource_or_participant_is_not_traded(sim: Simulator) -> None:
    battery = "FAKE_BATT"
    with (
        sim.client("BSP") as bsp,
        sim.client("MO") as market_operator,
        sim.client("TSO") as tso,
    ):
        _validity(
            market_operator,
            "ResourceValidity",
            ResourceName=battery,
            StartDate="2027-03-01",
            EndDate="2027-03-31",
            ResourceState="DEREGISTERED",
        )
        for start, end in (
            ("2027-03-02T09:00:00", "2027-03-02T12:00:00"),
            ("2027-02-28T21:00:00", "2027-03-01T03:00:00"),
        ):
            refused = _refused(bsp, _offer(battery, start, end))
            assert _codes(refused) == ["E_RESOURCE_NOT_VALID"], start
            assert "DEREGISTERED" in str(refused) and "2027-03-01" in str(refused)
        _put_offer(bsp, _offer(battery, "2027-02-28T09:00:00", "2027-02-28T12:00:00"))
        _put_offer(bsp, _offer(battery, "2027-04-01T09:00:00", "2027-04-01T12:00:00"))
        # a TSO's off-market contract is a trade too
        with pytest.raises(MMSValidationError) as contract:
            tso.call(
                "MarketSubmit_OffMarketContract",
                _off_market_contract(battery, "2027-03-02T15:00:00", "2027-03-02T18:00:00"),
                interface="OMI",
                date=date(2027, 3, 2),
            )
        assert _codes(contract.value) == ["E_RESOURCE_NOT_VALID"]

        # the latest validity registration of a day is in force
        _validity(
            market_operator,
            "ParticipantValidity",
            StartDate="2027-06-01",
            ParticipantState="DEREGISTERED",
        )
        _validity(
            market_operator,
            "ParticipantValidity",
            StartDate="2027-07-01",
            ParticipantState="REGISTERED",
        )
        refused = _refused(bsp, _offer(RESOURCE.name, "2027-06-02T09:00:00", "2027-06-02T12:00:00"))
        assert _codes(refused) == ["E_PARTICIPANT_NOT_VALID"]
        assert "F100" in str(refused) and "2027-06-01" in str(refused)
        _put_offer(bsp, _offer(RESOURCE.name, "2027-07-01T09:00:00", "2027-07-01T12:00:00"))


def test_an_offer_on_a_resource_deregistered_later_is_not_awarded(sim: Simulator) -> None:
    with (
        sim.client("BSP") as bsp,
        sim.client("MO") as market_operator,
        sim.client("TSO") as tso,
    ):
        _put_offer(bsp, _offer(RESOURCE.name, *AFTER))
        _require(tso, *AFTER)
        assert _awarded(tso, AFTER[0][:10]) == [(RESOURCE.name, "F100")]

        _validity(
            market_operator,
            "ResourceValidity",
            ResourceName=RESOURCE.name,
            StartDate=AFTER[0][:10],
            ResourceState="DEREGISTERED",
        )
        assert _awarded(tso, AFTER[0][:10]) == []
