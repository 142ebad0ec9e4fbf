"""The operation registry: complete against the catalog, and able to build and unpack documents."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pytest

from mms_client import reports
from mms_client.endpoints import ClientType, Interface
from mms_client.errors import ConfigurationError, PayloadError
from mms_client.operations import OPERATIONS, get_operation, identify
from mms_client.schema import parse_payload, write_payload
from mms_client.schema.files import Schema, schema_dir
from mms_client.schema.generated.mi_market import (
    Direction,
    MarketType,
    OfferData,
    OfferQuery,
    OfferStack,
)
from mms_client.schema.generated.mi_outbnd_reports import DatasetName
from mms_client.schema.generated.mi_report import ReportListResponse

ENVELOPE = {
    "date": date(2024, 3, 15),
    "participant_name": "F100",
    "user_name": "FAKEUSER",
}


def offer(resource: str = "FAKE_RESO") -> OfferData:
    return OfferData(
        stack=[OfferStack(number=1, unit_price=100, minimum_quantity_kw=100)],
        resource=resource,
        start=datetime(2024, 3, 15, 12),
        end=datetime(2024, 3, 15, 21),
        direction=Direction.SELL,
    )


@pytest.fixture(scope="module")
def catalog_file() -> dict[str, Any]:
    folder = schema_dir()
    if folder is None:
        pytest.skip("the official MMS schema files (operations.json) are not available")
    data: dict[str, Any] = json.loads((folder / "operations.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def catalog(catalog_file: dict[str, Any]) -> list[dict[str, object]]:
    operations: list[dict[str, object]] = catalog_file["operations"]
    return operations


def test_every_catalog_operation_is_registered_with_its_facts(
    catalog: list[dict[str, object]],
) -> None:
    registered = {(o.interface.value, o.name): o for o in OPERATIONS}
    assert len(OPERATIONS) == len(catalog) == 70
    for entry in catalog:
        operation = registered[(str(entry["interface"]), str(entry["name"]))]
        audience = entry["audience"]
        assert isinstance(audience, dict)
        assert operation.request_type == entry["request_type"]
        assert operation.audiences == {ClientType(role) for role in audience["roles"]}
        assert operation.envelope == entry["envelope"]
        assert operation.element == entry["element"]
        assert operation.multi == entry["multi"]


def test_every_report_dataset_has_the_catalog_rules_with_their_sources(
    catalog_file: dict[str, Any],
) -> None:
    """Who may create each dataset and its report type are the catalog's, and say which of
    them it infers: all report types but BSP_ResourceList's, and the audiences its schema
    comments do not name."""
    datasets = catalog_file["outbound_datasets"]
    assert len(datasets) == len(DatasetName) == 16
    for entry in datasets:
        rules = reports.dataset_rules(entry["dataset_name"])
        audience, report_type = entry["audience"], entry["report_type"]
        assert rules.audiences == {ClientType(role) for role in audience["roles"]}
        assert (rules.report_type, rules.report_sub_type) == (
            report_type["ReportType"],
            report_type["ReportSubType"],
        )
        assert rules.audience_inferred is (audience["source"] == "inferred")
        assert rules.report_type_inferred is (report_type["source"] == "inferred")
        if rules.report_type_inferred:
            assert rules.report_type_source == f"inferred ({report_type['confidence']})"
    inferred = {d for d in DatasetName if reports.dataset_rules(d).audience_inferred}
    assert {d.value for d in inferred} == {
        "ResourceSttlOTM",
        "ReserveReqs",
        "MOL",
        "SwitchRequest",
        "AccessLog",
    }
    assert not reports.dataset_rules("BSP_ResourceList").report_type_inferred


def test_method_names_are_unique_and_cover_the_established_ones() -> None:
    methods = [o.method for o in OPERATIONS] + [o.list_method for o in OPERATIONS if o.list_method]
    assert len(methods) == len(set(methods))
    established = {
        "put_offer",
        "put_offers",
        "query_offers",
        "cancel_offer",
        "query_awards",
        "query_reserve_requirements",
        "query_settlement_results",
        "put_bup",
        "put_bups",
        "query_bups",
        "put_resource",
        "query_resources",
        "create_report",
        "list_reports",
        "download_report",
        "put_surplus_capacity",
        "put_surplus_capacities",
        "query_surplus_capacity",
    }
    assert established <= set(methods)


def test_every_operation_resolves_its_models() -> None:
    for operation in OPERATIONS:
        assert operation.root_model.__xml_tag__ == operation.root
        assert operation.payload_model.__module__ == operation.schema.module
        assert operation.response_model is not None


def test_names_on_both_interfaces_need_the_interface() -> None:
    with pytest.raises(ConfigurationError, match="pass interface="):
        get_operation("MarketSubmit_BaselineLoad")
    mi = get_operation("MarketSubmit_BaselineLoad", Interface.MI)
    omi = get_operation("MarketSubmit_BaselineLoad", "OMI")
    assert (mi.schema, omi.schema) == (Schema.MI_MARKET, Schema.OMI)
    assert mi.payload_model is not omi.payload_model


def test_unknown_operation_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="no MMS operation"):
        get_operation("MarketSubmit_Nothing")
    with pytest.raises(ConfigurationError, match="does not exist on the OMI"):
        get_operation("MarketSubmit_OfferData", Interface.OMI)


def test_request_document_wraps_items_in_the_envelope() -> None:
    operation = get_operation("MarketSubmit_OfferData")
    document = operation.request_document(
        offer(), market_type=MarketType.DAY_AHEAD, days=1, **ENVELOPE
    )
    assert write_payload(document) == (
        b'<MarketData><MarketSubmit Date="2024-03-15" MarketType="DAM" NumOfDays="1" '
        b'ParticipantName="F100" UserName="FAKEUSER"><OfferData Direction="1" '
        b'EndTime="2024-03-15T21:00:00" ResourceName="FAKE_RESO" '
        b'StartTime="2024-03-15T12:00:00"><OfferStack MinimumQuantityInKw="100" '
        b'OfferUnitPrice="100" StackNumber="1"></OfferStack></OfferData></MarketSubmit>'
        b"</MarketData>"
    )


def test_request_document_takes_lists_and_dicts() -> None:
    operation = get_operation("MarketSubmit_OfferData")
    as_dict = offer("SECOND").model_dump(by_alias=True, exclude_none=True)
    document = operation.request_document([offer(), as_dict], **ENVELOPE)
    assert [o.resource for o in operation.response_items(document)] == ["FAKE_RESO", "SECOND"]


def test_request_document_reports_bad_fields_in_xml_terms() -> None:
    operation = get_operation("MarketSubmit_OfferData")
    with pytest.raises(PayloadError) as caught:
        operation.request_document(
            {"ResourceName": "bad name", "StartTime": "2024-03-15T12:00:00"},
            date=date(2024, 3, 15),
            participant_name="f100",
            user_name="FAKEUSER",
            days=40,
        )
    paths = {error.path for error in caught.value.errors}
    assert "MarketData/MarketSubmit/@ParticipantName" in paths
    assert "MarketData/MarketSubmit/@NumOfDays" in paths
    assert "MarketData/MarketSubmit/OfferData[1]/@ResourceName" in paths
    assert "MarketData/MarketSubmit/OfferData[1]/@EndTime" in paths


def test_request_document_names_the_model_given_in_place_of_another_and_its_method() -> None:
    """A model of another class was meant for another method: the error names the class to
    give and the method that takes the one given, found in the registry."""
    operation = get_operation("MarketSubmit_OfferData")
    query = OfferQuery(market_type=MarketType.DAY_AHEAD)
    with pytest.raises(PayloadError) as caught:
        operation.request_document([offer(), query], **ENVELOPE)
    assert str(caught.value).startswith("put_offer and put_offers take OfferData, not OfferQuery\n")
    [error] = caught.value.errors
    assert (error.path, error.value) == ("MarketData/MarketSubmit/OfferData[2]", "OfferQuery(...)")
    assert error.rule == (
        "should be mms_client.schema.generated.mi_market.OfferData; "
        "OfferQuery is what query_offers takes"
    )

    # a model that no method takes: only the class to give
    with pytest.raises(PayloadError) as caught:
        operation.request_document(offer().stack[0], **ENVELOPE)
    [error] = caught.value.errors
    assert (error.value, error.rule) == (
        "OfferStack(...)",
        "should be mms_client.schema.generated.mi_market.OfferData",
    )

    # a model of the same name from another schema is named with its schema
    operation = get_operation("MarketSubmit_BaselineLoad", Interface.OMI)
    given = operation.payload_model  # the OMI model; the MI one is its twin
    mi_twin = get_operation("MarketSubmit_BaselineLoad", Interface.MI).payload_model
    assert given.__name__ == mi_twin.__name__ and given is not mi_twin
    with pytest.raises(PayloadError) as caught:
        operation.request_document(mi_twin.model_construct(), **ENVELOPE)
    twin = f"{mi_twin.__module__}.{mi_twin.__name__}"
    assert str(caught.value).startswith(
        f"put_omi_baseline_load takes {given.__module__}.{given.__name__}, not {twin}\n"
    )
    [error] = caught.value.errors
    assert (error.path, error.value) == ("MarketData/MarketSubmit/BaselineLoad", f"{twin}(...)")
    assert error.rule.endswith(f"; {twin} is what put_baseline_load takes")


def test_request_document_refuses_several_items_for_a_single_operation() -> None:
    operation = get_operation("MarketQuery_OfferQuery")
    query = {"MarketType": "DAM"}
    with pytest.raises(PayloadError, match="takes one item"):
        operation.request_document([query, query], **ENVELOPE)
    with pytest.raises(PayloadError, match="at least one item"):
        operation.request_document([], **ENVELOPE)


def test_request_document_refuses_a_missing_item() -> None:
    # the schema lets an envelope go without its items, the MMS does not
    missing: list[tuple[str, Any]] = [
        ("MarketQuery_OfferQuery", None),
        ("MarketSubmit_OfferData", [None]),
    ]
    for name, payload in missing:
        with pytest.raises(PayloadError, match="at least one item") as caught:
            get_operation(name).request_document(payload, **ENVELOPE)
        [error] = caught.value.errors
        assert error.path.endswith(get_operation(name).element)


def test_request_document_refuses_unknown_envelope_fields() -> None:
    operation = get_operation("MarketQuery_OfferQuery")
    with pytest.raises(PayloadError) as caught:
        operation.request_document({"MarketType": "DAM"}, colour="red", **ENVELOPE)
    assert [e.path for e in caught.value.errors] == ["MarketData/MarketQuery/colour"]


def test_report_requests_fill_in_the_only_application_type() -> None:
    operation = get_operation("ReportCreateRequest")
    document = operation.request_document(
        {
            "ReportName": "BSP_ResourceList",
            "ReportType": "REGISTRATION",
            "ReportSubType": "RESOURCE",
            "Periodicity": "ON_DEMAND",
            "Date": "2024-03-15",
        },
        participant_name="F100",
    )
    assert write_payload(document).startswith(
        b'<MarketReport ApplicationType="MARKET_REPORT" ParticipantName="F100">'
        b'<ReportCreateRequest Date="2024-03-15"'
    )


def test_response_items_of_a_query_come_from_the_submit_envelope() -> None:
    operation = get_operation("MarketQuery_OfferQuery")
    reply = parse_payload(
        b'<MarketData><MarketSubmit Date="2024-03-15" ParticipantName="F100" UserName="U">'
        b'<OfferData Direction="1" EndTime="2024-03-15T21:00:00" ResourceName="R1" '
        b'StartTime="2024-03-15T12:00:00"><OfferStack MinimumQuantityInKw="1" '
        b'OfferUnitPrice="1" StackNumber="1"></OfferStack></OfferData></MarketSubmit>'
        b"</MarketData>"
    )
    assert [o.resource for o in operation.response_items(reply)] == ["R1"]


def test_response_items_are_empty_when_nothing_matched() -> None:
    operation = get_operation("MarketQuery_OfferQuery")
    echo = parse_payload(
        b'<MarketData><MarketQuery Date="2024-03-15" ParticipantName="F100" UserName="U">'
        b'<OfferQuery MarketType="DAM"></OfferQuery></MarketQuery></MarketData>'
    )
    assert operation.response_items(echo) == []
    assert operation.response_items(parse_payload(b"<MarketData></MarketData>")) == []


def test_response_items_of_a_query_with_a_results_child() -> None:
    operation = get_operation("ReportListRequest")
    reply = parse_payload(
        b'<MarketReport ApplicationType="MARKET_REPORT" ParticipantName="F100">'
        b'<ReportListRequest Date="2024-03-15" Periodicity="ON_DEMAND" ReportSubType="RESOURCE" '
        b'ReportType="REGISTRATION"><ReportListResponse><ReportItem AccessClass="BSP" '
        b'Date="2024-03-15" FileName="a.xml" FileType="XML" Periodicity="ON_DEMAND" '
        b'ReportName="BSP_ResourceList" ReportSubType="RESOURCE" ReportType="REGISTRATION" '
        b'TransactionId="T1"></ReportItem></ReportListResponse></ReportListRequest></MarketReport>'
    )
    (listing,) = operation.response_items(reply)
    assert operation.response_model is ReportListResponse
    assert isinstance(listing, ReportListResponse)
    assert [item.file_name for item in listing.report_item] == ["a.xml"]


def test_response_items_of_a_report_download_are_the_dataset_rows() -> None:
    operation = get_operation("ReportDownloadRequestTrnID")
    reply = parse_payload(
        b'<OutboundData DatasetName="AccessLog"><AccessLog ActionPerformed="QUERY" '
        b'ApplicationName="MMS" Name="F100" ROW="1" StartTime="2024-03-15T12:00:00" '
        b'UserName="U1"></AccessLog></OutboundData>'
    )
    rows = operation.response_items(reply)
    assert [type(row).__name__ for row in rows] == ["AccessLog"]


def test_identify_finds_the_operation_of_a_request() -> None:
    for name in ("MarketSubmit_OfferData", "MarketCancel_OfferCancel"):
        operation = get_operation(name)
        if name == "MarketSubmit_OfferData":
            document = operation.request_document(offer(), **ENVELOPE)
        else:
            document = operation.request_document(
                {
                    "ResourceName": "R1",
                    "StartTime": "2024-03-15T12:00:00",
                    "EndTime": "2024-03-15T21:00:00",
                    "MarketType": "DAM",
                },
                **ENVELOPE,
            )
        assert identify(Interface.MI, parse_payload(write_payload(document))) == (operation,)


def test_identify_tells_mi_and_omi_apart() -> None:
    omi = get_operation("MarketSubmit_BaselineLoad", Interface.OMI)
    document = omi.request_document(
        {"File": [{"Name": "W9_0132_20240315_01_ABCDE_RES1.xml", "BaselineType": "0132"}]},
        **ENVELOPE,
    )
    payload = write_payload(document)
    assert identify(Interface.OMI, parse_payload(payload, schema="omi")) == (omi,)


def test_identify_refuses_an_empty_request() -> None:
    with pytest.raises(PayloadError, match="carries no operation"):
        identify(Interface.MI, parse_payload(b"<MarketData></MarketData>"))
