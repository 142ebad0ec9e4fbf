"""The benchmark cases, by name, in the order a full run measures them.

A case is a function that measures one job for every parameter it has and yields a
:class:`~benchmarks.harness.Result` per parameter. In-process cases need nothing but the
library; the others start processes and servers (see :mod:`benchmarks.environment`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from benchmarks.cases import documents, download, established, network, reports, startup
from benchmarks.environment import Environment
from benchmarks.harness import Result, Settings


@dataclass(frozen=True)
class Case:
    name: str
    summary: str
    in_process: bool
    run: Callable[[Settings, Environment], Iterator[Result]]


def _in_process(
    measure: Callable[[Settings], Iterator[Result]],
) -> Callable[[Settings, Environment], Iterator[Result]]:
    def run(settings: Settings, _environment: Environment) -> Iterator[Result]:
        return measure(settings)

    return run


CASES: tuple[Case, ...] = (
    Case(
        "serialize_sign",
        "prepare (validate, write, sign, frame) a MarketSubmit of N offers (5 stacks each)",
        True,
        _in_process(documents.serialize_sign),
    ),
    Case(
        "write_sign",
        "only codec.write + signing.sign of the same, already-built document",
        True,
        _in_process(documents.write_sign),
    ),
    Case(
        "parse_judge",
        "parse + judge + read the answer to a submit of N offers, Messages on every level",
        True,
        _in_process(documents.parse_judge),
    ),
    Case(
        "report_rows",
        "the typed rows of a BSP_Offers report file of N offers' stacks, alone and beside a thread",
        True,
        _in_process(reports.report_rows),
    ),
    Case(
        "import",
        'python -c "import mms_client" against python -c pass',
        False,
        startup.import_package,
    ),
    Case(
        "first_call",
        "fresh process: import + certificate + client + one put_offer to the simulator",
        False,
        startup.first_call,
    ),
    Case(
        "round_trip",
        "one put_offer over mutual TLS, fresh connection and with reuse, vs bare httpx",
        False,
        network.round_trip,
    ),
    Case(
        "concurrency",
        "100 query_offers, 50 ms server delay: AsyncMmsClient at once vs MmsClient in turn",
        False,
        network.concurrency,
    ),
    Case(
        "sim_throughput",
        "put_offer/s the simulator sustains (own process, 8 clients) vs a bare TLS server",
        False,
        network.sim_throughput,
    ),
    Case(
        "download",
        "peak memory above baseline while downloading a 200 MB report (fresh process)",
        False,
        download.report_download,
    ),
    Case(
        "established",
        "the same jobs side by side with the established client (mms-client 1.10.0, PyPI)",
        False,
        established.side_by_side,
    ),
)
