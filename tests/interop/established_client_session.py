"""A session of the established ``mms-client`` (PyPI, unmodified) against the simulator.

Run by tests/interop/test_established_client.py with the Python of a separate virtualenv
where that client is installed; never imported by the test suite itself.  The client has no
setting for its server address, so the script points the published endpoint tables of its
``mms_client.utils.web`` module at the simulator before creating clients, and the CA bundle
is given to ``requests`` through ``REQUESTS_CA_BUNDLE``.

Every method of the client runs as one step.  A step that raises is recorded with its
error and the session goes on, so that one failure does not hide what the other methods
do.  Input: one JSON document on stdin (it carries the users' passphrases, which therefore
stay out of the process list).  Output: one line ``RESULT <json>``: which of the catalog's
methods (``catalog_methods``) the client has, and per step what it returned or the error it
raised.
"""

# The mms_client imported here is the established client, a different package of the same
# name, which import sorting would split by this project's modules: keep the order as written.
# ruff: noqa: I001

import datetime as dt
import json
import sys
import traceback
from collections.abc import Callable
from typing import Any

from mms_client.client import MmsClient
from mms_client.security.certs import Certificate
from mms_client.types.award import AwardQuery
from mms_client.types.enums import AreaCode, BooleanFlag, ContractType, ResourceType, SignalType
from mms_client.types.market import MarketType
from mms_client.types.offer import Direction, OfferCancel, OfferData, OfferQuery, OfferStack
from mms_client.types.registration import QueryAction
from mms_client.types.report import (
    ListReportRequest,
    NewReportRequest,
    Parameter,
    ParameterName,
    Periodicity,
    ReportDownloadRequestTrnID,
    ReportName,
    ReportSubType,
    ReportType,
)
from mms_client.types.reserve import ReserveRequirementQuery
from mms_client.types.resource import RemainingReserveAvailability, ResourceData, ResourceQuery
from mms_client.utils.web import BSP_MO_URLS, TSO_URLS, ClientType, Interface, ServiceEndpoint


def offer_summary(offer: Any) -> dict[str, Any]:
    return {
        "resource": offer.resource,
        "start": offer.start.isoformat(),
        "end": offer.end.isoformat(),
        "offer_ids": [stack.id for stack in offer.stack],
    }


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day) + dt.timedelta(hours=hour)


class Session:
    """The clients of the seeded users and the result of every step run so far."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.clients: dict[str, MmsClient] = {}
        self.result: dict[str, Any] = {
            "available": [m for m in config["catalog_methods"] if hasattr(MmsClient, m)],
            "steps": {},
        }

    def client(self, client_type: str) -> MmsClient:
        if client_type not in self.clients:
            user = self.config["users"][client_type]
            self.clients[client_type] = MmsClient(
                domain="example.com",
                participant=user["participant"],
                user=user["user"],
                client_type=ClientType(client_type.lower()),
                cert=Certificate(user["p12"], user["passphrase"]),
            )
        return self.clients[client_type]

    def step(self, name: str, run: Callable[[], Any]) -> Any:
        try:
            value = run()
        except Exception as exc:  # recorded for the test to show; the session goes on
            last = traceback.extract_tb(exc.__traceback__)[-1]
            self.result["steps"][name] = {
                "error": f"{type(exc).__name__}: {exc}",
                "where": f"{last.filename.rsplit('site-packages/', 1)[-1]}:{last.lineno}",
            }
            return None
        self.result["steps"][name] = {"value": value}
        return value


def offers(session: Session, resource: str, day: dt.date) -> None:
    """put_offer, query_offers, cancel_offer on one offer, then put_offers on two."""
    bsp = session.client("BSP")
    start, end = at(day, 12), at(day, 21)
    query = OfferQuery(market_type=MarketType.DAY_AHEAD)
    offer = OfferData(
        stack=[OfferStack(number=1, unit_price=100, minimum_quantity_kw=100)],
        resource=resource,
        start=start,
        end=end,
        direction=Direction.SELL,
    )
    session.step(
        "put_offer",
        lambda: offer_summary(
            bsp.put_offer(offer, market_type=MarketType.DAY_AHEAD, days=1, date=day)
        ),
    )
    session.step(
        "query_offers",
        lambda: [offer_summary(o) for o in bsp.query_offers(query, days=1, date=day)],
    )
    cancel = OfferCancel(resource=resource, start=start, end=end, market_type=MarketType.DAY_AHEAD)
    session.step(
        "cancel_offer",
        lambda: (
            bsp.cancel_offer(cancel, market_type=MarketType.DAY_AHEAD, days=1, date=day).resource
        ),
    )
    session.step(
        "query_offers_after_cancel",
        lambda: [offer_summary(o) for o in bsp.query_offers(query, days=1, date=day)],
    )

    next_day = day + dt.timedelta(days=1)
    several = [
        OfferData(
            stack=[
                OfferStack(number=1, unit_price=120, minimum_quantity_kw=100),
                OfferStack(number=2, unit_price=150, minimum_quantity_kw=200),
            ],
            resource=resource,
            start=at(next_day, hour),
            end=at(next_day, hour + 3),
            direction=Direction.SELL,
        )
        for hour in (0, 3)
    ]
    session.step(
        "put_offers",
        lambda: [
            offer_summary(o)
            for o in bsp.put_offers(
                several, market_type=MarketType.DAY_AHEAD, days=1, date=next_day
            )
        ],
    )
    session.step(
        "query_offers_after_put_offers",
        lambda: [offer_summary(o) for o in bsp.query_offers(query, days=1, date=next_day)],
    )


def awards(session: Session, day: dt.date) -> None:
    """query_awards as the BSP (its own awards) and as the TSO (everyone's)."""
    query = AwardQuery(market_type=MarketType.DAY_AHEAD, start=at(day, 0), end=at(day, 24))

    def run(client_type: str) -> list[dict[str, Any]]:
        response = session.client(client_type).query_awards(query, days=1, date=day)
        return [
            {
                "start": result.start.isoformat(),
                "end": result.end.isoformat(),
                "direction": result.direction.value,
                "resource": award.resource,
                "bsp": award.bsp_participant,
                "jbms_id": award.jbms_id,
                "contract_id": award.contract_id,
                "offer_id": award.offer_id,
                "offer_price": str(award.offer_price),
                "contract_price": str(award.contract_price),
                "primary_award_qty": award.primary_award_qty,
                "tertiary_2_award_qty": award.tertiary_2_award_qty,
            }
            for result in response.results or []
            for award in result.data
        ]

    session.step("query_awards_bsp", lambda: run("BSP"))
    session.step("query_awards_tso", lambda: run("TSO"))


def reserve_requirements(session: Session, day: dt.date) -> None:
    """query_reserve_requirements as the market operator."""
    query = ReserveRequirementQuery(market_type=MarketType.DAY_AHEAD)

    def run() -> list[dict[str, Any]]:
        found = session.client("MO").query_reserve_requirements(query, days=1, date=day)
        return [
            {
                "area": requirement.area.value,
                "start": block.start.isoformat(),
                "end": block.end.isoformat(),
                "direction": block.direction.value,
                "primary_qty_kw": block.primary_qty_kw,
                "tertiary_2_qty_kw": block.tertiary_2_qty_kw,
            }
            for requirement in found
            for block in requirement.requirements
        ]

    session.step("query_reserve_requirements", run)


def resources(session: Session, new_resource: str, other_participant: str, day: dt.date) -> None:
    """put_resource of a new hydro plant, then query_resources as the BSP (its own) and as
    the TSO (another BSP's: the client fills an unnamed participant with the caller's)."""
    bsp_user = session.config["users"]["BSP"]
    unavailable = RemainingReserveAvailability.NOT_AVAILABLE

    def put() -> dict[str, Any]:
        resource = ResourceData(
            participant=bsp_user["participant"],
            name=new_resource,
            contract_type=ContractType.MARKET,
            resource_type=ResourceType.HYDRO,
            area=AreaCode.CHUBU,
            start=day,
            system_code="FSYS9",
            short_name="相互運用",
            full_name="相互運用試験水力発電所",
            has_tertiary_2=True,
            primary_remaining_reserve_utilization=unavailable,
            secondary_1_remaining_reserve_utilization=unavailable,
            secondary_2_remaining_reserve_utilization=unavailable,
            tertiary_1_remaining_reserve_utilization=unavailable,
            tertiary_2_remaining_reserve_utilization=unavailable,
            signal_type=SignalType.ACTUAL_OUTPUT_ORDER,
            voltage_adjustable=BooleanFlag.NO,
        )
        stored = session.client("BSP").put_resource(resource)
        return {
            "name": stored.name,
            "participant": stored.participant,
            "status": stored.status.value if stored.status else None,
            "transaction_id": stored.transaction_id,
        }

    def query(client_type: str, participant: str | None) -> list[dict[str, Any]]:
        found = session.client(client_type).query_resources(
            ResourceQuery(participant=participant), action=QueryAction.NORMAL, date=day
        )
        return [
            {
                "name": r.name,
                "participant": r.participant,
                "area": r.area.value,
                "system_code": r.system_code,
                "status": r.status.value if r.status else None,
            }
            for r in found
        ]

    session.step("put_resource", put)
    session.step("query_resources_bsp", lambda: query("BSP", None))
    session.step("query_resources_tso", lambda: query("TSO", other_participant))


def reports(session: Session, day: dt.date, seeded_report: str) -> None:
    """create_report of the BSP's resource list, list_reports, and list_bsp_resources on
    both the new report and the seeded one."""
    bsp = session.client("BSP")
    kind = {
        "report_type": ReportType.REGISTRATION,
        "report_sub_type": ReportSubType.RESOURCES,
        "periodicity": Periodicity.ON_DEMAND,
        "name": ReportName.BSP_RESOURCE_LIST,
        "date": day,
    }

    def create(parameters: list[Parameter]) -> dict[str, Any]:
        created = bsp.create_report(NewReportRequest(**kind, parameters=parameters))
        return {
            "name": created.name.value,
            "transaction_id": created.transaction_id,
            "parameters": {p.name.value: p.value for p in created.parameters},
        }

    def listed() -> list[dict[str, Any]]:
        response = bsp.list_reports(ListReportRequest(**kind))
        return [
            {
                "name": item.name.value,
                "transaction_id": item.transaction_id,
                "filename": item.filename,
                "file_size": item.file_size,
            }
            for item in response.reports
        ]

    def download(transaction_id: str) -> list[dict[str, Any]]:
        rows = bsp.list_bsp_resources(ReportDownloadRequestTrnID(transaction_id=transaction_id))
        return [
            {
                "participant": row.participant,
                "short_name": row.short_name,
                "system_code": row.system_code,
                "area": row.area.value,
            }
            for row in rows
        ]

    session.step("create_report_without_parameters", lambda: create([]))
    area = [Parameter(name=ParameterName.AREA, value=AreaCode.CHUBU.value)]
    created = session.step("create_report", lambda: create(area))
    session.step("list_reports", listed)
    if created:
        session.step("list_bsp_resources_created", lambda: download(created["transaction_id"]))
    session.step("list_bsp_resources_seeded", lambda: download(seeded_report))


def main() -> None:
    config = json.load(sys.stdin)
    for table in (BSP_MO_URLS, TSO_URLS):
        service = config["mi_service"]
        table[Interface.MI] = ServiceEndpoint(main=service, backup=service, test=service)
    session = Session(config)
    offer_day = dt.date.fromisoformat(config["offer_date"])
    trading_day = dt.date.fromisoformat(config["trading_day"])
    offers(session, config["resource"], offer_day)
    awards(session, trading_day)
    reserve_requirements(session, trading_day)
    resources(session, config["new_resource"], config["other_participant"], trading_day)
    reports(session, trading_day, config["seeded_report"])
    print("RESULT " + json.dumps(session.result))


if __name__ == "__main__":
    main()
