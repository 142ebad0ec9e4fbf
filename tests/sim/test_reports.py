"""Reports in the simulator: every dataset can be generated from the state, in XML and CSV;
reports are listed and downloaded by their owner only."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

import pytest
from lxml import etree

from mms_client import reports
from mms_client.endpoints import ClientType
from mms_client.examples import AWARD, REPORT_FILE, example_request
from mms_client.jst import JST
from mms_client.schema.files import Schema, xml_schema
from mms_client.schema.generated.mi_market import AreaCode, MarketType
from mms_client.schema.generated.mi_outbnd_reports import DatasetName
from mms_client.schema.generated.mi_report import FileType
from mms_client.sim import seed
from mms_client.sim.reports import DATASETS, KEPT_DAYS, REPORTS
from mms_client.sim.store import NewOffer

from .conftest import Wire

PERIOD = [
    {"Name": "START_TIME", "Value": "2024-04-01T00:00:00"},
    {"Name": "END_TIME", "Value": "2024-04-02T00:00:00"},
]


def _request(name: str, *params: dict[str, str], **attributes: Any) -> dict[str, Any]:
    rules = reports.dataset_rules(name)
    return {
        "ReportName": name,
        "ReportType": rules.report_type,
        "ReportSubType": rules.report_sub_type,
        "Periodicity": "ON_DEMAND",
        "Date": "2024-04-01",
        "Param": list(params),
        **attributes,
    }


def _creator(wire: Wire, name: str) -> Any:
    audiences = reports.dataset_rules(name).audiences
    return wire.user("BSP" if ClientType.BSP in audiences else "TSO")


def _parameters(dataset: DatasetName) -> list[dict[str, str]]:
    """The parameters ``dataset`` needs: the period, and the resource of a BUP."""
    definition = DATASETS[dataset]
    params = [*PERIOD] if definition.timed else []
    if definition.needs_resource:
        params.append({"Name": "RESOURCE_NAME", "Value": "FAKE_RESO"})
    return params


def _create(wire: Wire, request: dict[str, Any], user: Any = None) -> str:
    answer = wire.example("ReportCreateRequest", items=[request], user=user)
    assert answer.codes() == [], answer.payload
    transaction = answer.statistics()["TransactionId"]
    assert transaction
    return transaction


def _download(wire: Wire, transaction: str, user: Any = None) -> Any:
    return wire.example(
        "ReportDownloadRequestTrnID", items=[{"TransactionId": transaction}], user=user
    )


@pytest.mark.parametrize("dataset", list(DatasetName), ids=lambda d: d.value)
def test_every_dataset_is_generated_from_the_state(seeded_wire: Wire, dataset: DatasetName) -> None:
    params = _parameters(dataset)
    if dataset is DatasetName.ACCESSLOG:  # the log is of requests really made: today's
        assert seeded_wire.example("MarketQuery_OfferQuery").codes() == []
        today = datetime.now(JST).date()
        params = [
            {"Name": "START_TIME", "Value": today.isoformat()},
            {"Name": "END_TIME", "Value": (today + timedelta(days=1)).isoformat()},
        ]
    user = _creator(seeded_wire, dataset.value)

    transaction = _create(seeded_wire, _request(dataset.value, *params), user)
    downloaded = _download(seeded_wire, transaction, user)

    assert downloaded.info.response_data_type == "XML"
    data = downloaded.info.response_data
    assert data is not None and downloaded.info.response_filename
    name, rows = reports.read_xml(data)
    assert name is dataset
    assert rows, f"the seeded state should give {dataset.value} rows"
    assert [row.row for row in rows] == list(range(1, len(rows) + 1))  # type: ignore[attr-defined]
    schema = xml_schema(Schema.MI_OUTBND_REPORTS)
    if schema is not None:
        assert schema.validate(etree.fromstring(data)), schema.error_log


@pytest.mark.parametrize("dataset", list(DatasetName), ids=lambda d: d.value)
def test_a_dataset_is_created_for_the_roles_its_rules_name_and_refused_to_the_others(
    seeded_wire: Wire, dataset: DatasetName
) -> None:
    """The simulator takes who may create a dataset from the library's rules, which say how
    sure they are: a refusal names the rule's source, as inferred rules may be wrong."""
    rules = reports.dataset_rules(dataset)
    request = _request(dataset.value, *_parameters(dataset))
    for client_type in ClientType:
        answer = seeded_wire.example(
            "ReportCreateRequest", items=[request], user=seeded_wire.user(client_type.value)
        )
        if client_type in rules.audiences:
            assert answer.codes() == [], (client_type, answer.payload)
        else:
            (refusal,) = answer.document.iter("Error")
            code, _, text = str(refusal.text).partition(": ")
            assert code == "E_REPORT_NOT_AUTHORISED", client_type
            assert text.endswith(f"({rules.audience_source}), not {client_type.value}"), text


def test_a_csv_report_holds_the_same_rows_as_the_xml_one(seeded_wire: Wire) -> None:
    csv_file = {"Name": "FILE_TYPE", "Value": "CSV"}
    request = _request("BSP_Offers", *PERIOD)
    as_xml = _download(seeded_wire, _create(seeded_wire, request))
    as_csv = _download(seeded_wire, _create(seeded_wire, _request("BSP_Offers", *PERIOD, csv_file)))

    assert as_csv.info.response_data_type == "CSV"
    assert str(as_csv.info.response_filename).endswith(".csv")
    assert as_csv.info.response_data is not None and as_xml.info.response_data is not None
    header = as_csv.info.response_data.split(b"\r\n")[0].decode()
    assert header.split(",") == list(reports.columns("BSP_Offers"))
    csv_rows = reports.read_csv("BSP_Offers", as_csv.info.response_data)
    _, xml_rows = reports.read_xml(as_xml.info.response_data)
    assert csv_rows == xml_rows
    assert {row.participant_name for row in csv_rows} == {"F100"}  # type: ignore[attr-defined]


def test_reports_are_listed_and_downloaded_by_name_by_their_owner(seeded_wire: Wire) -> None:
    listed = seeded_wire.example("ReportListRequest")
    (item,) = listed.document.iter("ReportItem")
    assert item.get("FileName") == REPORT_FILE
    assert item.get("TransactionId") == seed.REPORT_TRANSACTION

    by_name = seeded_wire.example("ReportDownloadRequest")
    assert by_name.info.response_filename == REPORT_FILE
    assert by_name.info.response_data is not None
    assert int(str(item.get("FileSize"))) == len(by_name.info.response_data)

    other = seeded_wire.user("BSP", "F200")
    assert (
        list(seeded_wire.example("ReportListRequest", user=other).document.iter("ReportItem")) == []
    )
    refused = seeded_wire.example("ReportDownloadRequestTrnID", user=other)
    assert refused.info.success is False
    assert refused.info.response_data is not None
    assert b"E_REPORT_NOT_FOUND" in refused.info.response_data
    assert reports.read_xml(refused.info.response_data) == (None, [])


def test_an_operator_gets_only_its_own_reports(seeded_wire: Wire) -> None:
    """The market operator and TSOs see every participant's data in queries, but a report is
    its creator's: another's may be of a dataset made for someone else."""
    tso, operator, bsp = seeded_wire.user("TSO"), seeded_wire.user("MO"), seeded_wire.user("BSP")
    tso_report = _create(seeded_wire, _request("ContractResult", *PERIOD), user=tso)
    contract_results = {
        key: value
        for key, value in _request("ContractResult").items()
        if key in ("ReportType", "ReportSubType", "Periodicity", "Date")
    }
    # each listing finds the report for its owner, and nothing for the other operator
    for owner, other, report, listing in (
        (tso, operator, tso_report, [contract_results]),
        (bsp, tso, seed.REPORT_TRANSACTION, None),  # the example lists the seeded report
    ):
        for user, expected in ((owner, [report]), (other, [])):
            listed = seeded_wire.example("ReportListRequest", user=user, items=listing)
            found = [item.get("TransactionId") for item in listed.document.iter("ReportItem")]
            assert found == expected
            download = _download(seeded_wire, report, user=user)
            assert download.info.success is bool(expected)
            if not expected:
                assert b"E_REPORT_NOT_FOUND" in (download.info.response_data or b"")


@pytest.mark.parametrize(
    ("request_item", "client_type", "code"),
    [
        (_request("ResourceList"), "BSP", "E_REPORT_NOT_AUTHORISED"),
        (_request("BSP_Offers", *PERIOD), "TSO", "E_REPORT_NOT_AUTHORISED"),
        ({**_request("MOL", *PERIOD), "ReportSubType": "OFFERS"}, "BSP", "E_REPORT_UNKNOWN"),
        ({**_request("MOL", *PERIOD), "ReportName": "Weather"}, "BSP", "E_REPORT_UNKNOWN"),
        (_request("BSP_Offers"), "BSP", "E_PARAMETER_INVALID"),
        (_request("BSP_BUP", *PERIOD), "BSP", "E_PARAMETER_INVALID"),
        (
            _request("MOL", {"Name": "START_TIME", "Value": "soon"}, PERIOD[1]),
            "BSP",
            "E_PARAMETER_INVALID",
        ),
        (
            _request("MOL", {**PERIOD[0], "Name": "END_TIME"}, {**PERIOD[1], "Name": "START_TIME"}),
            "BSP",
            "E_PARAMETER_INVALID",
        ),
        (
            _request("BSP_Offers", PERIOD[0], {**PERIOD[0], "Name": "END_TIME"}),
            "BSP",
            "E_PARAMETER_INVALID",
        ),
        (_request("BSP_ResourceList", BSPName="F200"), "BSP", "E_PARTICIPANT_MISMATCH"),
        # an operator's BSPName that names no BSP could only give an empty report
        (_request("Offers", *PERIOD, BSPName="F999"), "MO", "E_PARTICIPANT_UNKNOWN"),
        (_request("ResourceList", BSPName="T100"), "TSO", "E_PARTICIPANT_UNKNOWN"),
        (
            _request(
                "BSP_Offers",
                *PERIOD,
                {"Name": "AREA", "Value": "03"},
                {"Name": "AREA", "Value": "04"},
            ),
            "BSP",
            "E_PARAMETER_INVALID",
        ),
    ],
)
def test_report_requests_the_mms_cannot_serve_are_refused(
    seeded_wire: Wire, request_item: dict[str, Any], client_type: str, code: str
) -> None:
    answer = seeded_wire.example(
        "ReportCreateRequest", items=[request_item], user=seeded_wire.user(client_type)
    )
    (refused,) = answer.document.iter("ReportCreateRequest")
    assert refused.get("ValidationStatus") == "FAILED"
    assert {str(m.text).split(":")[0] for m in answer.document.iter("Error")} == {code}


def _quoted(values: type[StrEnum]) -> list[str]:
    return [repr(member.value) for member in values]


REFUSED_VALUES = [
    ("MARKET_TYPE", "DAX", _quoted(MarketType)),
    ("MARKET_TYPE", "dam", _quoted(MarketType)),
    ("AREA", "XX", _quoted(AreaCode)),
    ("AREA", "4", _quoted(AreaCode)),
    ("AREA", "a\r\nb", _quoted(AreaCode)),
    ("RESOURCE_NAME", "fake_reso", ["pattern", "A-Z0-9_"]),
    ("RESOURCE_NAME", "FAKE_RESO_LONG", ["at most 10 characters"]),
    ("FILE_TYPE", "PDF", _quoted(FileType)),
]
"""Parameter values outside their schema type, and what the refusal must say is allowed."""


@pytest.mark.parametrize(
    ("parameter", "value", "allowed"),
    REFUSED_VALUES,
    ids=[f"{parameter}={value!r}" for parameter, value, _ in REFUSED_VALUES],
)
def test_a_parameter_value_outside_its_schema_type_is_refused_with_what_it_allows(
    seeded_wire: Wire, parameter: str, value: str, allowed: list[str]
) -> None:
    request = _request("BSP_Offers", *PERIOD, {"Name": parameter, "Value": value})

    answer = seeded_wire.example("ReportCreateRequest", items=[request])

    (refused,) = answer.document.iter("ReportCreateRequest")
    assert refused.get("ValidationStatus") == "FAILED"
    (error,) = answer.document.iter("Error")
    code, _, text = str(error.text).partition(": ")
    assert code == "E_PARAMETER_INVALID"
    assert parameter in text
    assert repr(value) in text
    assert all(fragment in text for fragment in allowed), text


def test_market_type_and_area_of_the_schema_select_the_rows_they_name(seeded_wire: Wire) -> None:
    def rows(*filters: dict[str, str]) -> list[Any]:
        request = _request("BSP_Offers", *PERIOD, *filters)
        data = _download(seeded_wire, _create(seeded_wire, request)).info.response_data
        assert data is not None
        return reports.read_xml(data)[1]

    every_row = rows()
    dam_in_chubu = rows(
        {"Name": "MARKET_TYPE", "Value": MarketType.DAY_AHEAD},
        {"Name": "AREA", "Value": AreaCode.CHUBU},
    )

    assert 0 < len(dam_in_chubu) < len(every_row)
    assert dam_in_chubu == [
        row
        for row in every_row
        if row.market_type == MarketType.DAY_AHEAD and row.area == AreaCode.CHUBU
    ]


def test_a_large_report_travels_as_a_binary_mtom_part(seeded_wire: Wire) -> None:
    store = seeded_wire.simulator.store
    example = example_request("MarketSubmit_OfferData")
    offer = example.items[0].model_dump(mode="json", by_alias=True, exclude_none=True)
    offer.update(
        BspParticipantName="F100", CompanyShortName="偽会社", SubmissionTime="2024-03-29T10:00:00"
    )
    offer.update(Area="04", ResourceShortName="偽電力", SystemCode="FSYS0")
    with store.transaction():
        for hour in range(24 * 30):  # a month of hourly offers with 20 stacks each
            start = datetime(2024, 5, 1, tzinfo=JST) + timedelta(hours=hour)
            stacks = {n: f"BIG{hour:05d}{n:02d}" for n in range(1, 21)}
            document = {
                **offer,
                "StartTime": start.isoformat(),
                "EndTime": (start + timedelta(hours=1)).isoformat(),
                "OfferStack": [
                    {**offer["OfferStack"][0], "StackNumber": n, "OfferId": offer_id}
                    for n, offer_id in stacks.items()
                ],
            }
            store.put_offer(
                NewOffer(
                    "F100",
                    "FAKE_RESO",
                    "DAM",
                    start.strftime("%Y-%m-%dT%H:%M:%S"),
                    (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S"),
                    "FAKEUSER",
                    "2024-03-29T10:00:00",
                    json.dumps(document, ensure_ascii=False),
                ),
                stacks,
            )
    month = [
        {"Name": "START_TIME", "Value": "2024-05-01"},
        {"Name": "END_TIME", "Value": "2024-06-01"},
        {"Name": "FILE_TYPE", "Value": "CSV"},
    ]

    downloaded = _download(seeded_wire, _create(seeded_wire, _request("BSP_Offers", *month)))

    assert downloaded.headers["content-type"].startswith("multipart/related")
    assert downloaded.info.response_data is not None
    assert len(downloaded.info.response_data) > 1024 * 1024
    assert len(reports.read_csv("BSP_Offers", downloaded.info.response_data)) == 24 * 30 * 20


def _resource_list(wire: Wire, day: str) -> set[str]:
    """The resources F100's resource list report for ``day`` names."""
    downloaded = _download(wire, _create(wire, _request("BSP_ResourceList", Date=day)))
    assert downloaded.info.response_data is not None
    document = etree.fromstring(downloaded.info.response_data)
    return {str(row.get("ResourceName")) for row in document.iter("BSP_ResourceList")}


@pytest.mark.parametrize("day", ["2024-03-01", "2024-04-01"])
def test_the_resource_list_has_the_approved_resources_the_resource_query_finds_on_its_date(
    seeded_wire: Wire, day: str
) -> None:
    """FAKE_NEW, approved, is registered from 2024-04-01: a list for a day before it does
    not name it, as the resource query for that day does not."""
    assert seeded_wire.example("RegistrationApproval_Resource").codes() == []
    queried = seeded_wire.example(
        "RegistrationQuery_Resource", items=[{}], date=datetime.fromisoformat(day).date()
    )
    held = {str(r.get("ResourceName")) for r in queried.document.iter("Resource")}

    listed = _resource_list(seeded_wire, day)

    assert listed == held
    assert (seed.PENDING_RESOURCE in listed) is (day >= "2024-04-01")


def _expire_on(wire: Wire, day: date) -> None:
    """Gives the seeded report the ExpiryDate ``day``, as if it had been created
    KEPT_DAYS before it."""
    store = wire.simulator.store
    record = store.item(REPORTS.kind, REPORTS.interface.value, (seed.REPORT_TRANSACTION,))
    assert record is not None
    document = {**record.document, "ExpiryDate": day.isoformat()}
    store.update_item(record.id, status=str(record.status), document=document)


def test_the_seeded_report_is_kept_its_days_from_when_the_state_was_seeded(
    seeded_wire: Wire,
) -> None:
    (item,) = seeded_wire.example("ReportListRequest").document.iter("ReportItem")
    today = datetime.now(JST).date()
    assert item.get("ExpiryDate") == (today + timedelta(days=KEPT_DAYS)).isoformat()


def test_a_report_is_there_on_its_expiry_date_and_gone_after_it(seeded_wire: Wire) -> None:
    today = datetime.now(JST).date()
    _expire_on(seeded_wire, today)
    assert len(list(seeded_wire.example("ReportListRequest").document.iter("ReportItem"))) == 1
    assert seeded_wire.example("ReportDownloadRequestTrnID").info.success is True

    _expire_on(seeded_wire, today - timedelta(days=1))

    assert list(seeded_wire.example("ReportListRequest").document.iter("ReportItem")) == []
    for download in ("ReportDownloadRequestTrnID", "ReportDownloadRequest"):
        refused = seeded_wire.example(download)
        assert refused.info.success is False
        assert refused.info.response_data is not None
        assert b"E_REPORT_NOT_FOUND" in refused.info.response_data


def test_a_report_past_its_expiry_date_leaves_the_state_when_a_report_is_made(
    seeded_wire: Wire,
) -> None:
    # a simulator serving for months would otherwise keep every file it ever made, and read
    # each one's record again on every list and download of its maker
    store = seeded_wire.simulator.store
    today = datetime.now(JST).date()
    _expire_on(seeded_wire, today)
    tso = seeded_wire.user("TSO")
    _create(seeded_wire, _request("ReserveReqs", *PERIOD), user=tso)
    assert store.item(REPORTS.kind, REPORTS.interface.value, (seed.REPORT_TRANSACTION,))

    _expire_on(seeded_wire, today - timedelta(days=1))
    made = _create(seeded_wire, _request("ReserveReqs", *PERIOD), user=tso)

    assert store.item(REPORTS.kind, REPORTS.interface.value, (seed.REPORT_TRANSACTION,)) is None
    assert _download(seeded_wire, made, user=tso).info.success is True


def test_the_switch_request_report_leaves_out_switches_whose_award_is_gone(
    seeded_wire: Wire,
) -> None:
    def switched_awards() -> list[int]:
        request = _request("SwitchRequest", *PERIOD)
        _, rows = reports.read_xml(
            _download(seeded_wire, _create(seeded_wire, request)).info.response_data or b""
        )
        return [row.source_jbms_id for row in rows]  # type: ignore[attr-defined]

    assert switched_awards() == [AWARD]
    cancel = example_request("MarketCancel_OfferCancel").items[0].model_dump(by_alias=True)
    cancelled = seeded_wire.example(
        "MarketCancel_OfferCancel", items=[{**cancel, "ResourceName": "FAKE_RESO"}]
    )
    assert cancelled.codes() == []
    assert switched_awards() == []


def test_reports_write_prices_and_coefficients_with_two_fraction_digits(seeded_wire: Wire) -> None:
    """As the award results do, whatever form the offer or the registration gave them in."""
    offer = example_request("MarketSubmit_OfferData").items[0].model_dump(by_alias=True)
    offer["OfferStack"] = [  # FAKE_RESO's offer, replaced
        {**stack, "OfferUnitPrice": "7.5", "RampDownUnitPrice": "1.5"}
        for stack in offer["OfferStack"]
    ]
    assert seeded_wire.example("MarketSubmit_OfferData", items=[offer]).codes() == []
    example = example_request("RegistrationSubmit_ResourceCoefficient")
    coefficient = {**example.items[0].model_dump(by_alias=True), "Coefficient": "0.9"}
    registered = seeded_wire.example("RegistrationSubmit_ResourceCoefficient", items=[coefficient])
    assert registered.codes() == []

    def rows(name: DatasetName) -> list[dict[str, str]]:
        answer = _download(seeded_wire, _create(seeded_wire, _request(name, *_parameters(name))))
        document = etree.fromstring(answer.info.response_data)
        return [dict(e.attrib) for e in document.iter() if e.get("ResourceName")]

    prices = ("OfferUnitPrice", "RampDownUnitPrice", "StartUpUnitPrice")
    assert {
        tuple(row[p] for p in prices)
        for row in rows(DatasetName.BSP_OFFERS)
        if row["ResourceName"] == "FAKE_RESO"
    } == {("7.50", "1.50", "0.00")}
    (battery,) = (
        row for row in rows(DatasetName.BSP_RESOURCELIST) if row["ResourceName"] == "FAKE_BATT"
    )
    assert battery["CoefficientTR2"] == "0.90"
