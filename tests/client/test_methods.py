"""The typed methods: one per registry operation, generated, the same on both clients."""

from __future__ import annotations

import inspect
import pydoc
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mms_client.calls import OperationMethod
from mms_client.client import AsyncMmsClient, MmsClient
from mms_client.methods import OperationMethods
from mms_client.operations import OPERATIONS
from mms_client.schema.generated.mi_market import MarketType, OfferQuery
from mms_client.sim import Simulator
from mms_client.sim.seed import TRADING_DAY

DECLARED: dict[str, OperationMethod] = {  # type: ignore[type-arg]
    name: value
    for name, value in vars(OperationMethods).items()
    if isinstance(value, OperationMethod)
}


def test_the_committed_methods_are_what_the_generator_makes() -> None:
    result = subprocess.run(
        [
            sys.executable,
            # this tree's generator, found from here: the package may be an installed one
            str(Path(__file__).resolve().parents[2] / "tools" / "generate_client_methods.py"),
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
        assert getattr(MmsClient, name) is getattr(AsyncMmsClient, name) is DECLARED[name].function
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
    keyword."""
    method = inspect.signature(getattr(MmsClient, name))
    assert list(method.parameters) == ["self", *parameters]
    bound = method.replace(parameters=list(method.parameters.values())[1:])
    positional = [p.name for p in bound.parameters.values() if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert positional[0] in ("request", "requests")
    if "market_type" in positional:
        assert bound.parameters["market_type"].default is inspect.Parameter.empty


@pytest.mark.parametrize("client_class", [MmsClient, AsyncMmsClient])
def test_help_on_a_client_class_shows_each_method_with_its_signature(
    client_class: type[MmsClient] | type[AsyncMmsClient],
) -> None:
    """What help(MmsClient), inspect and IDEs that look at the class show."""
    assert str(inspect.signature(client_class.put_offer)) == (
        "(self, request: 'mi_market.OfferData', market_type: 'mi_market.MarketType', "
        "days: 'int' = 1, date: 'dt.date | None' = None)"
    )
    page = pydoc.render_doc(client_class, renderer=pydoc.plaintext)
    # Python 3.13's pydoc spreads a long signature over lines, one parameter each
    one_line = re.sub(r"\(\s+|\s+\)", lambda m: m.group().strip(), re.sub(r"\n \|\s*", " ", page))
    assert (
        "put_fringe(self, request: 'mi_market.FringeSubmit', days: 'int' = 1, "
        "date: 'dt.date | None' = None, *, market_type: 'mi_market.MarketType | None' = None)"
    ) in one_line
    assert "Who may call it: TSO;" in pydoc.render_doc(client_class.put_fringe)


def test_a_method_taken_from_the_class_calls_like_the_bound_one(
    fresh_mms_simulator: Simulator,
) -> None:
    """``MmsClient.query_offers(client, ...)``, as with any method; help(client.put_fringe)
    shows the parameters without ``self``."""
    query = OfferQuery(market_type=MarketType.DAY_AHEAD)
    with fresh_mms_simulator.client() as client:
        assert str(inspect.signature(client.put_fringe)).startswith("(request: ")
        offers = MmsClient.query_offers(client, query, date=TRADING_DAY)
        assert offers and offers == client.query_offers(query, date=TRADING_DAY)
