"""The typed methods: one per registry operation, generated, the same on both clients."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

from mms_client.calls import OperationMethod
from mms_client.client import AsyncMmsClient, MmsClient
from mms_client.methods import OperationMethods
from mms_client.operations import OPERATIONS
from mms_client.schema.files import repository_root

DECLARED: dict[str, OperationMethod] = {  # type: ignore[type-arg]
    name: value
    for name, value in vars(OperationMethods).items()
    if isinstance(value, OperationMethod)
}


def test_the_committed_methods_are_what_the_generator_makes() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(repository_root() / "tools" / "generate_client_methods.py"),
            "--check",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, (
        "src/mms_client/methods.py is out of date; run "
        f"`python tools/generate_client_methods.py`:\n{result.stdout}{result.stderr}"
    )


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: f"{o.interface}-{o.name}")
def test_every_operation_has_its_methods_on_both_clients(operation: object) -> None:
    from mms_client.operations import Operation

    assert isinstance(operation, Operation)
    names = [operation.method, *([operation.list_method] if operation.list_method else [])]
    for name in names:
        assert DECLARED[name].operation is operation
        assert getattr(MmsClient, name) is getattr(AsyncMmsClient, name) is DECLARED[name]
        audiences = ", ".join(sorted(a.value for a in operation.audiences))
        assert f"Who may call it: {audiences};" in (DECLARED[name].__doc__ or "")
    if operation.multi and operation.kind != "query":
        assert operation.list_method, f"{operation.name} takes several items but has no list method"


ESTABLISHED_EXTRAS = {
    "get_settlement_results": "MarketQuery_SettlementResultsFileListQuery",
    "list_bsp_resources": "ReportDownloadRequestTrnID",
}
"""The established client's names beyond the registry's, and the operation each sends."""


def test_nothing_else_is_declared() -> None:
    registered = {o.method for o in OPERATIONS} | {
        o.list_method for o in OPERATIONS if o.list_method
    }
    assert set(DECLARED) == registered | set(ESTABLISHED_EXTRAS)
    assert len(DECLARED) == len(OPERATIONS) + sum(1 for o in OPERATIONS if o.list_method) + 2
    for name, operation in ESTABLISHED_EXTRAS.items():
        assert DECLARED[name].operation.name == operation
    assert DECLARED["get_settlement_results"] is DECLARED["query_settlement_results"]


@pytest.mark.parametrize(
    ("name", "parameters"),
    [
        ("put_offer", ["request", "market_type", "days", "date"]),
        ("put_offers", ["requests", "market_type", "days", "date"]),
        ("query_offers", ["request", "days", "date", "market_type"]),
        ("cancel_offer", ["request", "market_type", "days", "date"]),
        ("put_bup", ["request", "days", "date", "market_type", "standing_data"]),
        ("put_surplus_capacity", ["request", "date"]),
        ("query_resources", ["request", "date", "action", "date_type"]),
        ("put_resource", ["request"]),
        ("create_report", ["request"]),
        ("download_report", ["request", "to"]),
        ("query_settlement_result_files", ["request", "days", "date", "market_type", "to"]),
        ("put_settlement_results", ["request", "days", "date", "market_type", "files"]),
        ("put_omi_baseline_load", ["request", "date", "files"]),
    ],
)
def test_signatures_follow_the_established_client_and_the_envelopes(
    name: str, parameters: list[str]
) -> None:
    """Request first, then what the established client takes by position; the rest by
    keyword; help() shows the parameters without ``self``."""
    bound = getattr(MmsClient, name).signature
    assert list(bound.parameters) == parameters
    positional = [p.name for p in bound.parameters.values() if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert positional[0] in ("request", "requests")
    if "market_type" in positional:
        assert bound.parameters["market_type"].default is inspect.Parameter.empty
