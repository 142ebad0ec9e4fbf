"""Interoperability with the established client, ``mms-client`` from PyPI, unmodified.

It runs in a virtualenv of its own, made by ``benchmarks.established`` (shared with the
side-by-side benchmark, where the release and pins are explained).  Without network access to
PyPI the tests are skipped.

The established client runs every method it has, once, in one session against a simulator
shared by this module (see ``established_client_session.py``); each test checks one method's
outcome against what the simulator holds.  Where the established client cannot read a
correct answer, the test checks that exactly that known limitation is what stops it, then
marks itself as an expected failure naming the limitation; should a later release lift it,
the test goes on to check the result.

The simulator also records the payload bytes each client signed, which lets a test compare
them byte for byte with this project's client.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import benchmarks.established
import pytest

from mms_client.client import MmsClient
from mms_client.schema.files import schema_dir
from mms_client.sim import seed
from mms_client.sim.simulator import Simulator
from mms_client.types.market import MarketType
from mms_client.types.offer import Direction, OfferData, OfferStack

SCRIPT = Path(__file__).with_name("established_client_session.py")
OFFER_DAY = dt.date(2024, 3, 15)
"""The day of the offers the session puts; put_offers uses the day after."""
RESOURCE = "FAKE_RESO"
NEW_RESOURCE = "FAKE_HYDRO"
"""The resource the session registers with put_resource (names have at most 10 characters)."""
OTHER_BSP = "F200"
SUBMIT = "MarketSubmit_OfferData"

CATALOG_METHODS = (
    "put_offer",
    "put_offers",
    "query_offers",
    "cancel_offer",
    "query_awards",
    "query_reserve_requirements",
    "get_settlement_results",
    "put_bup",
    "put_bups",
    "query_bups",
    "put_resource",
    "query_resources",
    "create_report",
    "list_reports",
    "list_bsp_resources",
    "put_surplus_capacity",
    "put_surplus_capacities",
    "query_surplus_capacity",
)
"""The established client's methods named by the operation catalog (``anchor_methods``)."""
METHODS_IN_1_10_0 = frozenset(
    {
        "put_offer",
        "put_offers",
        "query_offers",
        "cancel_offer",
        "query_awards",
        "query_reserve_requirements",
        "put_resource",
        "query_resources",
        "create_report",
        "list_reports",
        "list_bsp_resources",
    }
)
"""The ones 1.10.0 has, each exercised by the session.  The BUP, settlement-results and
surplus-capacity methods came in later releases, which need Python 3.12."""


@pytest.fixture(scope="session")
def established_python() -> Path:
    """The Python of a virtualenv with the established client, made on first use."""
    try:
        return benchmarks.established.established_python()
    except benchmarks.established.EstablishedClientUnavailableError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def simulator(
    mms_simulator_pki: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Simulator]:
    with Simulator(
        tmp_path_factory.mktemp("interop"), pki_source=mms_simulator_pki, backup_port=None
    ) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def established_session(established_python: Path, simulator: Simulator) -> dict[str, Any]:
    """Which catalog methods the established client has, and what each step of its session
    returned (``{"value": ...}``) or raised (``{"error": ...}``)."""
    users = {}
    for client_type in ("BSP", "MO", "TSO"):
        user = simulator.user(client_type)
        users[client_type] = {
            "participant": user.participant,
            "user": user.user,
            "p12": str(user.p12),
            "passphrase": user.passphrase,
        }
    config = {
        "mi_service": simulator.base_url + "/axis2/services/MiWebService",
        "users": users,
        "catalog_methods": CATALOG_METHODS,
        "offer_date": OFFER_DAY.isoformat(),
        "trading_day": seed.TRADING_DAY.isoformat(),
        "resource": RESOURCE,
        "new_resource": NEW_RESOURCE,
        "other_participant": OTHER_BSP,
        "seeded_report": seed.REPORT_TRANSACTION,
    }
    environment = {
        **os.environ,
        "REQUESTS_CA_BUNDLE": str(simulator.ca),
        "NO_PROXY": "127.0.0.1,localhost",
    }
    run = subprocess.run(
        [str(established_python), str(SCRIPT)],
        input=json.dumps(config),
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
    )
    lines = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
    assert run.returncode == 0 and lines, run.stdout + run.stderr
    result: dict[str, Any] = json.loads(lines[-1].removeprefix("RESULT "))
    return result


def returned(session: dict[str, Any], step: str) -> Any:
    """What the step returned; the test fails with the error when it raised instead."""
    outcome = session["steps"][step]
    assert "error" not in outcome, f"{step}: {outcome['error']} (at {outcome['where']})"
    return outcome["value"]


def known_limitation(session: dict[str, Any], step: str, error: str, reason: str) -> None:
    """Marks the test an expected failure when the step raised exactly the ``error`` of a
    documented limitation of the established client; any other error fails the test."""
    outcome = session["steps"][step]
    if "error" in outcome:
        assert re.search(error, outcome["error"]), f"{step}: {outcome['error']}"
        pytest.xfail(reason)


def offers_of(session: dict[str, Any], step: str) -> list[tuple[str, str, str, list[str]]]:
    return [(o["resource"], o["start"], o["end"], o["offer_ids"]) for o in returned(session, step)]


def test_the_session_covers_every_catalog_method_the_established_client_has(
    established_session: dict[str, Any],
) -> None:
    assert set(established_session["available"]) == METHODS_IN_1_10_0


def test_the_catalog_names_the_methods_listed_here() -> None:
    folder = schema_dir()
    if folder is None:
        pytest.skip("the official schema folder (with operations.json) is not available")
    catalog = json.loads((folder / "operations.json").read_text(encoding="utf-8"))
    operations = catalog if isinstance(catalog, list) else catalog["operations"]
    named = {m for op in operations if op.get("anchor_supported") for m in op["anchor_methods"]}
    assert named == set(CATALOG_METHODS)


def test_the_established_client_can_put_query_and_cancel_an_offer(
    established_session: dict[str, Any],
) -> None:
    put = returned(established_session, "put_offer")
    assert put["resource"] == RESOURCE
    assert put["offer_ids"] and all(put["offer_ids"])
    assert offers_of(established_session, "query_offers") == [
        (RESOURCE, put["start"], put["end"], put["offer_ids"])
    ]
    assert returned(established_session, "cancel_offer") == RESOURCE
    assert returned(established_session, "query_offers_after_cancel") == []


def test_the_established_client_can_put_several_offers_at_once(
    established_session: dict[str, Any],
) -> None:
    put = offers_of(established_session, "put_offers")
    assert [(resource, start, end) for resource, start, end, _ in put] == [
        (RESOURCE, "2024-03-16T00:00:00+09:00", "2024-03-16T03:00:00+09:00"),
        (RESOURCE, "2024-03-16T03:00:00+09:00", "2024-03-16T06:00:00+09:00"),
    ]
    offer_ids = [offer_id for *_, ids in put for offer_id in ids]
    assert len(offer_ids) == 4 and len(set(offer_ids)) == 4 and all(offer_ids)
    assert offers_of(established_session, "query_offers_after_put_offers") == put


def test_both_clients_sign_the_same_payload_bytes_for_the_same_offer(
    established_session: dict[str, Any], simulator: Simulator
) -> None:
    one_day = b'Date="2024-03-15"'
    theirs = [r.payload for r in simulator.requests if r.operation == SUBMIT]
    theirs = [payload for payload in theirs if payload and one_day in payload]
    assert len(theirs) == 1

    offer = OfferData(
        stack=[OfferStack(number=1, unit_price=100, minimum_quantity_kw=100)],
        resource=RESOURCE,
        start=dt.datetime(2024, 3, 15, 12),
        end=dt.datetime(2024, 3, 15, 21),
        direction=Direction.SELL,
    )
    with simulator.client() as client:
        assert isinstance(client, MmsClient)
        client.put_offer(offer, market_type=MarketType.DAY_AHEAD, days=1, date=OFFER_DAY)
    ours = [r.payload for r in simulator.requests if r.operation == SUBMIT][-1]

    assert ours == theirs[0]
    assert ours == (
        b'<MarketData><MarketSubmit Date="2024-03-15" MarketType="DAM" NumOfDays="1" '
        b'ParticipantName="F100" UserName="FAKEUSER"><OfferData Direction="1" '
        b'EndTime="2024-03-15T21:00:00" ResourceName="FAKE_RESO" '
        b'StartTime="2024-03-15T12:00:00"><OfferStack MinimumQuantityInKw="100" '
        b'OfferUnitPrice="100" StackNumber="1"></OfferStack></OfferData></MarketSubmit>'
        b"</MarketData>"
    )


def test_both_clients_sign_the_same_payload_bytes_for_several_offers(
    established_session: dict[str, Any], simulator: Simulator
) -> None:
    next_day = b'Date="2024-03-16"'
    theirs = [r.payload for r in simulator.requests if r.operation == SUBMIT]
    theirs = [payload for payload in theirs if payload and next_day in payload]
    assert len(theirs) == 1

    offers = [
        OfferData(
            stack=[
                OfferStack(number=1, unit_price=120, minimum_quantity_kw=100),
                OfferStack(number=2, unit_price=150, minimum_quantity_kw=200),
            ],
            resource=RESOURCE,
            start=dt.datetime(2024, 3, 16, hour),
            end=dt.datetime(2024, 3, 16, hour + 3),
            direction=Direction.SELL,
        )
        for hour in (0, 3)
    ]
    with simulator.client() as client:
        client.put_offers(
            offers, market_type=MarketType.DAY_AHEAD, days=1, date=OFFER_DAY + dt.timedelta(1)
        )
    ours = [r.payload for r in simulator.requests if r.operation == SUBMIT][-1]

    assert ours == theirs[0]
    assert ours is not None and ours.count(b"<OfferData ") == 2


# mms-client 1.10.0 validates answers against the schema files it bundles, revision 015
# (May 2023) of mi-market.xsd.  The current revision (018, February 2025, in the official
# schema folder) requires RampDownUnitPrice and StartUpUnitPrice on every AwardResultsData,
# which revision 015 does not allow, so 1.10.0 rejects every award answer that has an award.
AWARD_SCHEMA_REVISION = (
    "mms-client 1.10.0 validates award answers against its bundled mi-market.xsd revision "
    "015, which does not allow the RampDownUnitPrice the current revision 018 requires"
)
AWARD_SCHEMA_ERROR = (
    r"^DocumentInvalid: Element 'AwardResultsData', attribute '(RampDownUnitPrice|"
    r"StartUpUnitPrice)': The attribute '\w+' is not allowed"
)


def test_the_simulator_accepts_the_established_clients_award_queries(
    established_session: dict[str, Any], simulator: Simulator
) -> None:
    queried = [r for r in simulator.requests if r.operation == "MarketQuery_AwardResultsQuery"]
    assert [(r.participant, r.processed) for r in queried] == [("F100", True), ("T100", True)]


@pytest.mark.parametrize("step", ["query_awards_bsp", "query_awards_tso"])
def test_the_established_client_can_query_awards(
    established_session: dict[str, Any], step: str
) -> None:
    known_limitation(established_session, step, AWARD_SCHEMA_ERROR, AWARD_SCHEMA_REVISION)
    # The seeded clearing of the 09:00 block: JbmsId = OfferId number x 10^8 + MMDDhhmm.
    # Only F100's offers are in areas with requirements, so the TSO sees the same awards.
    awards = returned(established_session, step)
    assert sorted((a["jbms_id"], a["resource"], a["offer_id"], a["bsp"]) for a in awards) == [
        (104010900, "FAKE_RESO", "OFR0000000001", "F100"),
        (304010900, "FAKE_BATT", "OFR0000000003", "F100"),
        (404010900, "FAKE_RESO2", "OFR0000000004", "F100"),
    ]
    first = next(a for a in awards if a["jbms_id"] == 104010900)
    assert first["contract_id"] == "C000000000104010900"
    assert (first["offer_price"], first["contract_price"]) == ("7.50", "7.50")
    assert (first["primary_award_qty"], first["tertiary_2_award_qty"]) == (600, 2000)


def test_the_established_client_can_query_reserve_requirements(
    established_session: dict[str, Any],
) -> None:
    block = {
        "start": "2024-04-01T09:00:00+09:00",
        "end": "2024-04-01T12:00:00+09:00",
        "direction": "1",
    }
    assert returned(established_session, "query_reserve_requirements") == [
        {"area": "03", **block, "primary_qty_kw": None, "tertiary_2_qty_kw": 1500},
        {"area": "04", **block, "primary_qty_kw": 1000, "tertiary_2_qty_kw": 3000},
    ]


def test_the_established_client_can_register_a_resource_and_query_it(
    established_session: dict[str, Any],
) -> None:
    registered = returned(established_session, "put_resource")
    assert registered["name"] == NEW_RESOURCE
    assert registered["participant"] == "F100"
    assert registered["status"] == "SUBMITTED"
    assert re.fullmatch(r"R\d{7}", registered["transaction_id"])

    found = {r["name"]: r for r in returned(established_session, "query_resources_bsp")}
    own = {r.name for r in seed.RESOURCES if r.participant == "F100"}
    assert set(found) == own | {seed.PENDING_RESOURCE, NEW_RESOURCE}
    assert found[NEW_RESOURCE] == {
        "name": NEW_RESOURCE,
        "participant": "F100",
        "area": "04",
        "system_code": "FSYS9",
        "status": "SUBMITTED",
    }
    assert {found[name]["status"] for name in own} == {"APPROVED"}


def test_the_established_client_lets_a_tso_query_only_its_own_participants_resources(
    established_session: dict[str, Any], simulator: Simulator
) -> None:
    """1.10.0 always sends the caller's participant as the query's ParticipantName, whatever
    the ResourceQuery says: asked for F200's resources, the TSO asks for those of its own
    participant, T100, which holds none.  The simulator answers that query correctly."""
    assert returned(established_session, "query_resources_tso") == []
    queried = [r.payload for r in simulator.requests if r.participant == "T100" and r.payload]
    tso_queries = [p for p in queried if b"<RegistrationQuery" in p and b'"T100"' in p]
    assert len(tso_queries) == 1
    assert b'<Resource ParticipantName="T100">' in tso_queries[0]
    assert OTHER_BSP.encode() not in tso_queries[0]


def test_the_established_client_can_create_and_list_reports(
    established_session: dict[str, Any],
) -> None:
    created = returned(established_session, "create_report")
    assert created["name"] == "BSP_ResourceList"
    assert created["parameters"] == {"AREA": "04"}
    assert created["transaction_id"]

    listed = returned(established_session, "list_reports")
    ids = {item["transaction_id"] for item in listed}
    # The seeded report, the one created above, and the one created without parameters
    # (which the established client made but could not read the answer of).
    assert len(listed) == 3
    assert {seed.REPORT_TRANSACTION, created["transaction_id"]} <= ids
    for item in listed:
        assert item["name"] == "BSP_ResourceList"
        assert item["filename"] == f"BSP_ResourceList_F100_20240401_{item['transaction_id']}.xml"
        assert item["file_size"] > 0


def test_the_established_client_can_create_a_report_without_parameters(
    established_session: dict[str, Any],
) -> None:
    known_limitation(
        established_session,
        "create_report_without_parameters",
        r"^ValidationError: 1 validation error for NewReportResponse\nparameters\n",
        "mms-client 1.10.0 requires at least one Param in the ReportCreateRequest answer, "
        "which echoes the request: a report requested without parameters (BSP_ResourceList "
        "needs none) is made, but the client cannot read the answer",
    )
    created = returned(established_session, "create_report_without_parameters")
    assert created["transaction_id"]


def resource_rows(*names: str) -> list[dict[str, str]]:
    by_name = {r.name: r for r in seed.RESOURCES}
    return [
        {
            "participant": by_name[name].participant,
            "short_name": by_name[name].short_name,
            "system_code": by_name[name].system_code,
            "area": by_name[name].area,
        }
        for name in names
    ]


def test_the_established_client_can_download_the_seeded_resource_list(
    established_session: dict[str, Any],
) -> None:
    assert returned(established_session, "list_bsp_resources_seeded") == resource_rows(
        "FAKE_BATT", "FAKE_RESO", "FAKE_RESO2"
    )


def test_the_established_client_can_download_a_resource_list_it_created(
    established_session: dict[str, Any],
) -> None:
    known_limitation(
        established_session,
        "list_bsp_resources_created",
        r"^ValidationError: 1 validation error for BSPResourceListItem\n"
        r"tertiary_2_adjustment_coefficient\n.*no more than 1 decimal place",
        "mms-client 1.10.0 reads CoefficientTR2 with at most one decimal place, though the "
        "schema's PercentageType2 is any decimal from 0 to 100: FAKE_BATT's registered "
        "coefficient 0.95 (registered after the seeded report was made) cannot be read",
    )
    assert returned(established_session, "list_bsp_resources_created") == resource_rows(
        "FAKE_BATT", "FAKE_RESO"
    )
