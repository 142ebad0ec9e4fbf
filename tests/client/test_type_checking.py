"""What a type checker makes of code that uses the client: mypy, run on small programs as a
user would write them, must accept what works at run time and reject what does not."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from typing import get_type_hints

import pytest

PROGRAMS = {
    "misspelt.py": """
        from mms_client import MmsClient, MmsClinet
    """,
    "misspelt_sim.py": """
        from mms_client.sim import Simulator, Simulatr
    """,
    "coroutines.py": """
        import asyncio
        import datetime as dt

        from mms_client import AsyncMmsClient, MmsClient
        from mms_client.schema.generated.mi_market import MarketType, OfferData, OfferQuery

        QUERY = OfferQuery(market_type=MarketType.DAY_AHEAD)


        def run(client: AsyncMmsClient) -> list[OfferData]:
            return asyncio.run(client.query_offers(QUERY, date=dt.date(2026, 11, 25)))


        async def gather(client: AsyncMmsClient) -> list[OfferData]:
            first = asyncio.create_task(client.query_offers(QUERY))
            async with asyncio.TaskGroup() as group:
                second = group.create_task(client.query_offers(QUERY, days=2))
            return [*await first, *second.result(), *await client.query_offers(QUERY)]


        def unbound(client: AsyncMmsClient) -> list[OfferData]:
            return asyncio.run(AsyncMmsClient.query_offers(client, QUERY))


        def sync(client: MmsClient) -> list[OfferData]:
            return client.query_offers(QUERY)
    """,
    "refusal.py": """
        from typing import assert_type

        from mms_client import MMSValidationError, Response
        from mms_client.schema.binding import XmlModel


        def documents(error: MMSValidationError, answer: Response) -> list[XmlModel | None]:
            assert_type(error.response, XmlModel | None)
            return [error.response, answer.document]
    """,
    "annotated.py": """
        from mms_client import (
            CreatedReport,
            DownloadedFile,
            FieldError,
            MmsClient,
            PayloadError,
            Response,
            RetryPolicy,
            Statistics,
        )
        from mms_client.schema.generated.mi_report import (
            ReportCreateRequest,
            ReportDownloadRequestTrnID,
        )


        def report(client: MmsClient, request: ReportCreateRequest) -> DownloadedFile:
            created: CreatedReport = client.create_report(request)
            trn = ReportDownloadRequestTrnID(transaction_id=created.transaction_id)
            return client.download_report(trn)


        def counted(answer: Response) -> Statistics | None:
            return answer.statistics


        def problems(error: PayloadError) -> tuple[FieldError, ...]:
            return error.errors


        PATIENT = RetryPolicy(attempts=5)
    """,
    "report_rows.py": """
        from typing import BinaryIO, assert_type

        from mms_client import DownloadedFile, reports
        from mms_client.schema.binding import XmlModel
        from mms_client.schema.generated.mi_outbnd_reports import BSP_Offers, BSP_ResourceList


        def areas(report: DownloadedFile) -> dict[str, str]:
            return {row.resource_name: row.area for row in report.iter_rows(BSP_ResourceList)}


        def typed(report: DownloadedFile, data: bytes, source: BinaryIO) -> None:
            assert_type(report.rows(BSP_Offers), list[BSP_Offers])
            assert_type(reports.read_csv(BSP_ResourceList, data), list[BSP_ResourceList])
            assert_type(next(reports.iter_xml(source, BSP_ResourceList)), BSP_ResourceList)
            assert_type(reports.read_xml(data, BSP_Offers)[1], list[BSP_Offers])
            assert_type(reports.read_xml(data)[1], list[XmlModel])
            assert_type(report.rows(), list[XmlModel])
            assert_type(report.rows("BSP_Offers"), list[XmlModel])
    """,
    "sim_options.py": """
        from mms_client import RetryPolicy
        from mms_client.sim import Manifest, Simulator


        def connect(sim: Simulator, manifest: Manifest) -> None:
            sim.client("TSO", timeout=5, keep_alive=True, retry=RetryPolicy()).close()
            sim.async_client(participant="F200", plugins=[], verify=False, backup_url=None)
            manifest.client_arguments("BSP", domain="tests.local", max_download_bytes=1)
            sim.client(timout=3)
            sim.async_client(keep_alive="yes")
            manifest.client_arguments("BSP", retry=3)
    """,
    "no_row_model.py": """
        from mms_client import DownloadedFile
        from mms_client.schema.generated.mi_outbnd_reports import OutboundData


        def rows(report: DownloadedFile) -> None:
            report.rows(OutboundData)
    """,
}
"""The programs, by file name."""


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """What mypy (strict, with the pydantic plugin, as the project itself is checked) says
    about each program: its messages, by file name, without the file name."""
    pytest.importorskip("mypy", reason="mypy is part of the test extra")
    folder = tmp_path_factory.mktemp("typed-programs")
    for name, program in PROGRAMS.items():
        (folder / name).write_text(textwrap.dedent(program).lstrip(), encoding="utf-8")
    (folder / "mypy.ini").write_text("[mypy]\nstrict = True\nplugins = pydantic.mypy\n")
    finished = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(folder / "cache"), *PROGRAMS],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert finished.returncode in (0, 1), finished.stdout + finished.stderr  # 2: mypy failed
    messages: dict[str, list[str]] = {name: [] for name in PROGRAMS}
    for line in finished.stdout.splitlines():
        found = re.match(r"(\w+\.py):(\d+: .*)", line)
        if found:
            messages[found[1]].append(found[2])
    return messages


def test_a_misspelt_public_name_is_an_error(reported: dict[str, list[str]]) -> None:
    """The names are imported lazily, which type checkers must not take to mean that any
    name may be imported."""
    [message] = reported["misspelt.py"]
    assert message.startswith('1: error: Module "mms_client" has no attribute "MmsClinet"')


def test_a_misspelt_simulator_name_is_an_error(reported: dict[str, list[str]]) -> None:
    """``mms_client.sim`` resolves its names lazily too; a type checker must not take a
    misspelt one for a name of any type."""
    [message] = reported["misspelt_sim.py"]
    assert message.startswith('1: error: Module "mms_client.sim" has no attribute "Simulatr"')


def test_a_refusal_types_its_document_as_an_answer_does(reported: dict[str, list[str]]) -> None:
    """The parsed reply an ``MMSValidationError`` keeps is the document a ``Response`` holds,
    and typed so: as Any, every misspelt attribute read from it would pass."""
    assert reported["refusal.py"] == []


def test_what_methods_return_and_errors_hold_is_named_by_the_package(
    reported: dict[str, list[str]],
) -> None:
    """Code annotated with what the client's methods return, what its answers and errors
    hold and what it is given imports the names from the package, as it does the client."""
    assert reported["annotated.py"] == []


def test_an_async_method_gives_a_coroutine_for_asyncio_to_run(
    reported: dict[str, list[str]],
) -> None:
    """``asyncio.run``, ``create_task`` and ``TaskGroup.create_task`` take coroutines, not any
    awaitable; a method of the async client gives one, bound or taken from the class."""
    assert reported["coroutines.py"] == []


def test_report_rows_read_with_their_row_model_are_typed_so(
    reported: dict[str, list[str]],
) -> None:
    """Rows read with their dataset's row model are typed as it, so a misspelt field is
    caught before run time; without it they are XmlModel, as before."""
    assert reported["report_rows.py"] == []


def test_a_misspelt_or_mistyped_simulator_client_option_is_an_error(
    reported: dict[str, list[str]],
) -> None:
    """The options a simulator's client is made with are the client's own arguments, each
    with its type, so a typo or a wrong type fails the type check rather than the test run;
    every argument the client takes may still be given."""
    errors = [message for message in reported["sim_options.py"] if ": error: " in message]
    misspelt, mistyped, not_a_policy = errors
    assert misspelt.startswith('9: error: Unexpected keyword argument "timout" for "client"')
    assert mistyped.startswith('10: error: Argument "keep_alive" to "async_client" of')
    assert 'has incompatible type "str"; expected "bool"' in mistyped
    assert not_a_policy.startswith('11: error: Argument "retry" to "client_arguments" of')


def test_a_model_of_no_dataset_is_no_row_model(reported: dict[str, list[str]]) -> None:
    """Only the row models of the datasets name a dataset; any other model is an error for
    the type checker as it is at run time."""
    [message] = reported["no_row_model.py"]
    assert message.startswith('6: error: Value of type variable "ReportRow" of "rows" of')


def test_the_client_options_are_the_arguments_of_the_client_beside_whom_it_acts_as() -> None:
    """``ClientOptions`` repeats the constructor's arguments for type checkers, which cannot
    take them from it: an argument added, renamed or retyped there must be so here too, or
    ``Simulator.client`` would refuse (to a type checker) what the client takes."""
    from mms_client.client import AsyncMmsClient, ClientOptions, MmsClient

    for client in (MmsClient, AsyncMmsClient):
        arguments = get_type_hints(client.__init__)
        for picked in ("participant", "user", "client_type", "return"):
            del arguments[picked]
        assert get_type_hints(ClientOptions) == arguments
