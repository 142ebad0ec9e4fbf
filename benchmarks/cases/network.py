"""Requests over HTTPS with mutual TLS against the simulator, which runs in its own process.

- ``round_trip``: one put_offer through :class:`MmsClient`, with a fresh connection per
  request (the default, as the MMS needs) and with connection reuse; the floor posts the same
  prepared request bytes with bare httpx configured the same way, so the ratio is what the
  client adds around the network (prepare, interpret, retry policy).
- ``concurrency``: 100 query_offers while the simulator holds every answer back 50 ms, all at
  once through :class:`AsyncMmsClient` (ours) against one after the other through
  :class:`MmsClient` (the floor); the ratio is the async client's throughput gain.
- ``sim_throughput``: put_offer requests per second the simulator answers to concurrent
  clients; the floor is a bare server with the same uvicorn, TLS set-up and certificates
  answering every request with a recorded reply, so the ratio is the share of the server's
  capacity left after the MMS's own work.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from benchmarks import documents
from benchmarks.connection import Connection
from benchmarks.environment import Environment, ServerProcess
from benchmarks.harness import Result, Settings, Stats, Target, compare
from benchmarks.load import encode_request, run_load

if TYPE_CHECKING:
    from mms_client.client import MmsClient
    from mms_client.exchange import PreparedRequest

CONCURRENCY_TARGET = Target("ratio", ">=", 5.0)
THROUGHPUT_TARGET = Target("ours", ">=", 100.0, "req/s")

SUBMIT = "MarketSubmit_OfferData"
QUERY = "MarketQuery_OfferQuery"
ROUND_TRIP_DAY = date(2024, 5, 1)
CONCURRENCY_DAY = date(2024, 6, 1)
LOAD_FIRST_DAY = date(2025, 1, 1)
QUERIES = 100
SERVER_DELAY = 0.05
LOAD_CONNECTIONS = 8
SUCCESS_MARKER = b"<success>true</success>"
"""How a load client recognises an accepted put_offer without spending CPU on reading it
(the first answer is checked in full by the client's interpret step)."""


def _connection(server: ServerProcess) -> Connection:
    assert server.manifest is not None
    return Connection.load(server.manifest)


def _offers(count: int, first_day: date) -> list[Any]:
    """``count`` offers from ``first_day`` on, as the models a user builds (one stack each)."""
    from mms_client.schema.generated.mi_market import OfferData

    return [
        OfferData.model_validate({**offer.attributes, "OfferStack": [dict(offer.stacks[0])]})
        for offer in documents.offer_dicts(count, first_day)
    ]


def _submits(connection: Connection, offers: Sequence[Any]) -> list[PreparedRequest]:
    """Signed, framed put_offer requests, one per offer, each for the day its offer starts
    (prepared once, sent many times)."""
    from mms_client.exchange import prepare
    from mms_client.operations import get_operation
    from mms_client.schema.generated.mi_market import MarketType

    operation = get_operation(SUBMIT)
    caller = connection.caller()
    return [
        prepare(
            operation,
            caller,
            offer,
            {"market_type": MarketType.DAY_AHEAD, "days": 1, "date": offer.start.date()},
        )
        for offer in offers
    ]


def _bare_client(connection: Connection, *, keep_alive: bool) -> httpx.Client:
    """httpx configured as our transport configures it, without anything around it."""
    from mms_client.transport import TransportSettings

    return httpx.Client(
        verify=connection.ssl_context(),
        **TransportSettings(keep_alive=keep_alive).client_arguments(),
    )


# -------------------------------------------------------------------------- round trip


def round_trip(settings: Settings, environment: Environment) -> Iterator[Result]:
    from mms_client.schema.generated.mi_market import MarketType

    connection = _connection(environment.simulator())
    offer = _offers(1, ROUND_TRIP_DAY)[0]
    prepared = _submits(connection, [offer])[0]
    url = connection.url()
    for keep_alive in (False, True):
        with (
            connection.client(keep_alive=keep_alive) as client,
            _bare_client(connection, keep_alive=keep_alive) as bare,
        ):

            def ours(client: MmsClient = client) -> Any:
                return client.put_offer(
                    offer, market_type=MarketType.DAY_AHEAD, days=1, date=ROUND_TRIP_DAY
                )

            def floor(bare: httpx.Client = bare) -> bytes:
                reply = bare.post(
                    url, headers=prepared.message.headers, content=prepared.message.body
                )
                reply.raise_for_status()
                return reply.content

            ours_stats, floor_stats = compare(ours, floor, settings)
        yield Result(
            case="round_trip",
            params={"connection": "reuse" if keep_alive else "fresh"},
            unit="s",
            ours=ours_stats,
            floor=floor_stats,
            ours_label="MmsClient.put_offer (prepare, send, interpret) to the simulator",
            floor_label="httpx POST of the same prepared bytes, same TLS and connection "
            "settings, reply not interpreted",
            measure="wall-clock time per call",
        )


# ------------------------------------------------------------------------- concurrency


def _delay_queries(server: ServerProcess, count: int) -> None:
    server.command("clear")
    server.command("inject", kind="delay", operation=QUERY, times=count, seconds=SERVER_DELAY)


def _query() -> Any:
    from mms_client.schema.generated.mi_market import MarketType, OfferQuery

    return OfferQuery(market_type=MarketType.DAY_AHEAD, resource=documents.RESOURCE)


def _sequential(connection: Connection, count: int) -> tuple[float, int]:
    query = _query()
    with connection.client() as client:
        started = time.perf_counter()
        found = [
            len(client.query_offers(query, days=1, date=CONCURRENCY_DAY)) for _ in range(count)
        ]
        return time.perf_counter() - started, sum(found)


def _concurrent(connection: Connection, count: int) -> tuple[float, int]:
    query = _query()

    async def run() -> tuple[float, int]:
        async with connection.async_client() as client:
            started = time.perf_counter()
            answers = await asyncio.gather(
                *(client.query_offers(query, days=1, date=CONCURRENCY_DAY) for _ in range(count))
            )
            return time.perf_counter() - started, sum(len(found) for found in answers)

    return asyncio.run(run())


def concurrency(settings: Settings, environment: Environment) -> Iterator[Result]:
    from mms_client.schema.generated.mi_market import MarketType

    server = environment.simulator()
    connection = _connection(server)
    with connection.client() as client:
        client.put_offer(
            _offers(1, CONCURRENCY_DAY)[0],
            market_type=MarketType.DAY_AHEAD,
            days=1,
            date=CONCURRENCY_DAY,
        )
    repeats = 1 if settings.quick else 3
    rates: dict[str, list[float]] = {"sequential": [], "concurrent": []}
    cpu: dict[str, list[float]] = {}
    notes: list[str] = []
    for _ in range(repeats):
        for side, runner in (("sequential", _sequential), ("concurrent", _concurrent)):
            _delay_queries(server, QUERIES)
            client_cpu, server_cpu = time.process_time(), server.cpu_seconds()
            elapsed, found = runner(connection, QUERIES)
            cpu.setdefault(f"{side}_client_cpu_ms_per_query", []).append(
                (time.process_time() - client_cpu) * 1000 / QUERIES
            )
            cpu.setdefault(f"{side}_server_cpu_ms_per_query", []).append(
                (server.cpu_seconds() - server_cpu) * 1000 / QUERIES
            )
            rates[side].append(QUERIES / elapsed)
            if found != QUERIES:
                notes.append(
                    f"{side}: {found} offers found in {QUERIES} answers instead of one each"
                )
    server.command("clear")
    yield Result(
        case="concurrency",
        params={"queries": QUERIES, "delay_ms": int(SERVER_DELAY * 1000)},
        unit="req/s",
        ours=Stats.of(rates["concurrent"]),
        floor=Stats.of(rates["sequential"]),
        ours_label=f"{QUERIES} query_offers at once through AsyncMmsClient (asyncio.gather)",
        floor_label=f"{QUERIES} query_offers one after the other through MmsClient",
        target=CONCURRENCY_TARGET,
        measure="answers per second (wall clock)",
        notes=notes,
        details={key: Stats.of(values).median for key, values in cpu.items()},
    )


# ---------------------------------------------------------------------- sim throughput


def _record_reply(connection: Connection, prepared: PreparedRequest, path: Path) -> None:
    """One real answer of the simulator, checked by the client, saved for the floor."""
    from mms_client.exchange import interpret

    with _bare_client(connection, keep_alive=False) as bare:
        reply = bare.post(
            connection.url(), headers=prepared.message.headers, content=prepared.message.body
        )
    interpret(prepared, dict(reply.headers), reply.content)  # raises unless accepted
    if SUCCESS_MARKER not in reply.content:
        raise RuntimeError("the simulator's answer does not say <success>true</success>")
    keep = [(k, v) for k, v in reply.headers.items() if k.lower() == "content-type"]
    path.write_text(
        json.dumps({"headers": keep, "body_base64": base64.b64encode(reply.content).decode()}),
        "utf-8",
    )


def sim_throughput(settings: Settings, environment: Environment) -> Iterator[Result]:
    server = environment.simulator()
    connection = _connection(server)
    messages = _submits(connection, _offers(64, LOAD_FIRST_DAY))
    reply_file = environment.folder / "put_offer_reply.json"
    _record_reply(connection, messages[0], reply_file)
    assert server.manifest is not None
    floor_server = environment.start_server("floor", str(server.manifest.parent), str(reply_file))
    seconds = 1.5 if settings.quick else 5.0
    repeats = 1 if settings.quick else 3
    context = connection.ssl_context()
    processes = (("ours", server), ("floor", floor_server))
    try:
        for keep_alive in (False, True):
            encoded = {
                side: [
                    encode_request(
                        connection.url(process.base_url),
                        prepared.message.headers,
                        prepared.message.body,
                        keep_alive=keep_alive,
                    )
                    for prepared in messages
                ]
                for side, process in processes
            }
            rates: dict[str, list[float]] = {"ours": [], "floor": []}
            cpu: dict[str, list[float]] = {}
            refused = 0
            for _ in range(repeats):
                for side, process in processes:
                    generator_cpu, server_cpu = time.process_time(), process.cpu_seconds()
                    load = run_load(
                        connection.url(process.base_url),
                        encoded[side],
                        context,
                        clients=LOAD_CONNECTIONS,
                        seconds=seconds,
                        keep_alive=keep_alive,
                        success_marker=SUCCESS_MARKER,
                    )
                    cpu.setdefault(f"{side}_server_cpu_ms_per_request", []).append(
                        (process.cpu_seconds() - server_cpu) * 1000 / load.answered
                    )
                    cpu.setdefault(f"{side}_generator_cpu_ms_per_request", []).append(
                        (time.process_time() - generator_cpu) * 1000 / load.answered
                    )
                    rates[side].append(load.rate)
                    refused += load.answered - load.succeeded
            notes = [f"{refused} answers were not successes"] if refused else []
            yield Result(
                case="sim_throughput",
                params={
                    "connection": "reuse" if keep_alive else "fresh",
                    "clients": LOAD_CONNECTIONS,
                },
                unit="req/s",
                ours=Stats.of(rates["ours"]),
                floor=Stats.of(rates["floor"]),
                ours_label="simulator (own process) answering put_offer requests: TLS, "
                "signature, schema, SQLite, answer",
                floor_label="bare uvicorn + the same mutual TLS, answering a recorded reply",
                target=THROUGHPUT_TARGET,
                measure="successful answers per second (wall clock)",
                notes=notes,
                details={key: Stats.of(values).median for key, values in cpu.items()},
            )
    finally:
        floor_server.stop()
