"""Whole workflows a participant goes through, with the real clients against the simulator:
clearing, registration approval, reports, and refusals the MMS itself makes."""

from __future__ import annotations

from typing import Any

import pytest

from mms_client import reports
from mms_client.client import MmsClient
from mms_client.errors import MMSValidationError
from mms_client.examples import example_request
from mms_client.sim import seed
from mms_client.sim.simulator import Simulator
from mms_client.wire.soap import Attachment

DAY = "2024-06-03"
BLOCK = {"StartTime": f"{DAY}T13:00:00", "EndTime": f"{DAY}T16:00:00"}


def _codes(error: MMSValidationError) -> list[str | None]:
    return [m.code for m in error.messages if m.severity == "Error"]


def _offer(resource: str, price: str, kilowatts: int) -> dict[str, Any]:
    return {
        "ResourceName": resource,
        **BLOCK,
        "Direction": "1",
        "OfferStack": [
            {
                "StackNumber": 1,
                "MinimumQuantityInKw": 100,
                "Tertiary2OfferQuantityInKw": kilowatts,
                "OfferUnitPrice": price,
            }
        ],
    }


def test_awards_follow_merit_order(sim: Simulator) -> None:
    requirement = {
        "Area": "04",
        "Requirement": [{**BLOCK, "Direction": "1", "Tertiary2ReserveQuantityInKw": 1800}],
    }
    with sim.client("TSO") as tso:
        tso.call("MarketSubmit_ReserveRequirement", [requirement], date=DAY, market_type="DAM")
    with sim.client("BSP") as bsp:
        bsp.call(
            "MarketSubmit_OfferData",
            [_offer("FAKE_RESO", "12.00", 1000), _offer("FAKE_BATT", "4.50", 1000)],
            date=DAY,
            market_type="DAM",
        )
        (response,) = bsp.call(
            "MarketQuery_AwardResultsQuery",
            {"MarketType": "DAM", "StartTime": f"{DAY}T00:00:00", "EndTime": f"{DAY}T23:30:00"},
            date=DAY,
        ).items

    (block,) = response.award_results
    awarded = [
        (a.resource_name, a.offer_price, a.tertiary2_award_quantity_in_kw)
        for a in block.award_results_data
    ]
    assert [(name, str(price), kw) for name, price, kw in awarded] == [
        ("FAKE_BATT", "4.50", 1000),
        ("FAKE_RESO", "12.00", 800),
    ]


def test_a_new_resource_is_traded_once_approved(sim: Simulator) -> None:
    registration = example_request("RegistrationSubmit_Resource").items[0]
    plant = registration.model_copy(update={"resource_name": "FAKE_PLANT", "system_code": "FSYS9"})
    offer = _offer("FAKE_PLANT", "8.00", 500)
    with sim.client("BSP") as bsp:
        (registered,) = bsp.call("RegistrationSubmit_Resource", plant).items
        assert registered.record_status.value == "SUBMITTED"
        with pytest.raises(MMSValidationError) as refused:
            bsp.call("MarketSubmit_OfferData", offer, date=DAY, market_type="DAM")
        assert _codes(refused.value) == ["E_RESOURCE_NOT_APPROVED"]

        approval = {
            "ParticipantName": "F100",
            "ResourceName": "FAKE_PLANT",
            "TransactionId": registered.transaction_id,
            "Action": "APPROVED",
        }
        with sim.client("MO") as market_operator:
            market_operator.call("RegistrationApproval_Resource", approval)

        (accepted,) = bsp.call("MarketSubmit_OfferData", offer, date=DAY, market_type="DAM").items
        assert accepted.system_code == "FSYS9"


def test_a_report_is_created_listed_and_downloaded(sim: Simulator) -> None:
    request = {
        "ReportName": "BSP_ContractResult",
        "ReportType": "MA",
        "ReportSubType": "AWARDS",
        "Periodicity": "ON_DEMAND",
        "Date": seed.TRADING_DAY,
        "Param": [
            {"Name": "START_TIME", "Value": f"{seed.TRADING_DAY}T00:00:00"},
            {"Name": "END_TIME", "Value": f"{seed.TRADING_DAY}T23:30:00"},
            {"Name": "FILE_TYPE", "Value": "CSV"},
        ],
    }
    with sim.client("BSP") as bsp:
        created = bsp.call("ReportCreateRequest", request)
        assert created.statistics is not None
        transaction = created.statistics.transaction_id
        assert transaction is not None

        (listing,) = bsp.call(
            "ReportListRequest",
            {
                "ReportType": "MA",
                "ReportSubType": "AWARDS",
                "Periodicity": "ON_DEMAND",
                "Date": seed.TRADING_DAY,
            },
        ).items
        (item,) = listing.report_item
        assert item.transaction_id == transaction and item.file_type.value == "CSV"

        downloaded = bsp.call("ReportDownloadRequestTrnID", {"TransactionId": transaction})

    assert downloaded.data_type == "CSV" and downloaded.filename == item.file_name
    assert item.file_size == len(downloaded.data)
    rows = reports.read_csv("BSP_ContractResult", downloaded.data)
    by_resource = {(r.resource_name, r.commodity_category.value) for r in rows}  # type: ignore[attr-defined]
    assert by_resource == {
        ("FAKE_RESO", "1000"),
        ("FAKE_RESO", "3200"),
        ("FAKE_BATT", "1000"),
        ("FAKE_BATT", "3200"),
        ("FAKE_RESO2", "3200"),
    }


def test_the_mms_refuses_an_operation_the_certificate_s_client_type_may_not_call(
    sim: Simulator,
) -> None:
    """A client configured as a TSO but holding a BSP's certificate passes its own audience
    check; the MMS judges by the certificate and refuses, storing nothing."""
    example = example_request("MarketSubmit_ReserveRequirement")
    before = sim.store.items("ReserveRequirement", "MI")
    with (
        MmsClient(
            **{**sim.manifest.client_arguments("BSP"), "client_type": "TSO"}
        ) as misconfigured,
        pytest.raises(MMSValidationError) as refused,
    ):
        misconfigured.call(example.operation.name, example.payload, **example.envelope)
    assert _codes(refused.value) == ["E_NOT_AUTHORISED"]
    assert sim.store.items("ReserveRequirement", "MI") == before
    assert sim.count("MarketSubmit_ReserveRequirement") == 1, "it did reach the MMS"


def test_a_switch_to_the_tso_is_a_request_to_the_tso_of_its_area(sim: Simulator) -> None:
    """With the TSO of another area registered (its name sorting first), a BSP's switch of
    its award in area 04 to the TSO is a request to the TSO serving area 04: the seeded
    T100, registered for every area, until one is registered for area 04 itself."""
    tso_of = {
        "ParticipantType": "TRANSMISSION_SYSTEM_OPERATOR",
        "StartDate": "2024-01-01",
        "CompanyShortName": "送配電",
        "CompanyLongName": "送配電株式会社",
        "PhonePart1": "03",
        "PhonePart2": "1234",
        "PhonePart3": "5678",
    }
    switch = example_request("MarketSubmit_Switch")
    query = {"MarketType": "DAM", "StartTime": f"{seed.TRADING_DAY}T00:00:00"}
    query["EndTime"] = f"{seed.TRADING_DAY}T23:30:00"
    with sim.client("MO") as operator, sim.client("BSP") as bsp, sim.client("TSO") as tso:
        operator.put_participant({**tso_of, "ParticipantName": "T050", "Area": "05"})
        bsp.put_switch(switch.payload, **switch.envelope)
        named = {r.tso_name for r in tso.query_tso_requests(query, date=seed.TRADING_DAY)}
        assert named == {"T100"}

        operator.put_participant({**tso_of, "ParticipantName": "T040", "Area": "04"})
        bsp.put_switch(switch.payload, **switch.envelope)
        named = {r.tso_name for r in tso.query_tso_requests(query, date=seed.TRADING_DAY)}
        assert "T040" in named and "T050" not in named


def test_an_omi_baseline_file_s_name_states_its_baseline_type(sim: Simulator) -> None:
    upload = example_request("MarketSubmit_BaselineLoad", "OMI")
    (file,) = upload.items[0].file
    misnamed = file.name.replace("W9_0132_", "W9_0101_")
    with sim.client("BSP") as bsp:
        with pytest.raises(MMSValidationError) as refused:
            bsp.call(
                "MarketSubmit_BaselineLoad",
                {"File": [file.model_copy(update={"name": misnamed})]},
                interface="OMI",
                attachments=[Attachment(misnamed, b"<Baseline/>")],
                **upload.envelope,
            )
        assert _codes(refused.value) == ["E_FILE_NAME_MISMATCH"]
        assert "kind 0101, not 0132" in str(refused.value)
        bsp.call(
            "MarketSubmit_BaselineLoad",
            upload.payload,
            interface="OMI",
            attachments=[Attachment(file.name, b"<Baseline/>")],
            **upload.envelope,
        )
