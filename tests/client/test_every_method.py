"""Every operation through its typed method, sync and async, over real HTTPS.

Each registry operation is called with its documented example (:mod:`mms_client.examples`)
through the method a user would call (``put_offer``, ``query_awards``, ``download_report``...),
as the seeded user the example is for, against a simulator in its freshly seeded state. What
comes back must be the typed result the method promises.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mms_client.calls import CreatedReport, OperationMethod
from mms_client.client import AsyncMmsClient, MmsClient
from mms_client.errors import PayloadError
from mms_client.examples import Example, examples
from mms_client.files import DownloadedFile
from mms_client.methods import OperationMethods
from mms_client.sim.simulator import Simulator

from .conftest import NO_WAIT

EXAMPLES = examples()


@pytest.fixture(scope="module", params=["sync", "async"])
def flavour(
    request: pytest.FixtureRequest,
    mms_simulator_pki: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, Simulator]]:
    """One simulator per client flavour."""
    folder = tmp_path_factory.mktemp(f"every-method-{request.param}")
    with Simulator(folder, pki_source=mms_simulator_pki) as simulator:
        yield request.param, simulator


@pytest.fixture
def simulator(flavour: tuple[str, Simulator]) -> Simulator:
    """The flavour's simulator, back to its seed: every example acts on the data it was
    written for (the pending registration an approval approves...)."""
    flavour[1].reset()
    return flavour[1]


def method_for(example: Example) -> str:
    """The method a user calls: the list variant for several items, else the plain one."""
    operation = example.operation
    if isinstance(example.payload, list):
        assert operation.list_method, f"{operation.name} has a list example but no list method"
        return operation.list_method
    return operation.method


def arguments(name: str, example: Example) -> dict[str, Any]:
    parameters = inspect.signature(OperationMethods.__dict__[name].template).parameters
    given: dict[str, Any] = dict(example.envelope)
    unknown = set(given) - set(parameters)
    assert not unknown, f"{name} takes no {unknown}"
    if example.attachments:
        given["files"] = list(example.attachments)
    payload = "requests" if "requests" in parameters else "request"
    return {payload: example.payload, **given}


def check(name: str, example: Example, result: Any) -> None:
    """The result is what the method's return annotation says."""
    operation = example.operation
    declared: OperationMethod[Any, Any] = OperationMethods.__dict__[name]
    returns = inspect.signature(declared.template).return_annotation
    model = operation.response_model
    if returns.endswith("[CreatedReport]"):
        assert isinstance(result, CreatedReport) and result.transaction_id
    elif returns.endswith("[DownloadedFile]"):
        assert isinstance(result, DownloadedFile) and result.size > 0
        assert result.rows()  # the seeded report has rows
    elif returns.endswith("[list[DownloadedFile]]"):
        assert all(isinstance(f, DownloadedFile) and f.size for f in result)
        requested = {file.name for item in example.items for file in getattr(item, "file")}  # noqa: B009
        assert {f.name for f in result} == requested
    elif returns.startswith("Call[list["):
        assert isinstance(result, list) and all(isinstance(r, model) for r in result)
        if operation.kind != "query":
            assert len(result) == len(example.items)
            assert all(r.success is not False for r in result)
    else:
        assert isinstance(result, model), f"{name} returned {type(result).__name__}"


@pytest.mark.parametrize(
    "example", EXAMPLES, ids=[f"{e.operation.interface}-{e.operation.name}" for e in EXAMPLES]
)
async def test_every_operation_through_its_typed_method(
    flavour: tuple[str, Simulator], simulator: Simulator, example: Example
) -> None:
    kind = flavour[0]
    name = method_for(example)
    given = arguments(name, example)
    if kind == "sync":
        client: MmsClient = simulator.client(
            example.client_type, example.participant, retry=NO_WAIT
        )
        with client:
            result = getattr(client, name)(**given)
    else:
        async_client: AsyncMmsClient = simulator.async_client(
            example.client_type, example.participant, retry=NO_WAIT
        )
        async with async_client:
            result = await getattr(async_client, name)(**given)
    check(name, example, result)


SINGLE_BESIDE_LIST = [e for e in EXAMPLES if e.operation.list_method is not None]


@pytest.mark.parametrize(
    "example",
    SINGLE_BESIDE_LIST,
    ids=[f"{e.operation.interface}-{e.operation.method}" for e in SINGLE_BESIDE_LIST],
)
async def test_a_method_of_one_item_refuses_several_before_sending(
    flavour: tuple[str, Simulator], example: Example
) -> None:
    """Given a list, ``put_offer`` would send every offer, which the MMS would store, and only
    then find an answer of several items: it refuses the list, naming the method that sends
    several, and nothing reaches the MMS."""
    kind, simulator = flavour
    operation = example.operation
    name = operation.method
    given = {**arguments(name, example), "request": (example.items * 2)[:2]}
    refusal = f"{name} takes one {operation.element}; {operation.list_method} takes several"
    before = simulator.count(processed=False)
    with pytest.raises(PayloadError, match=refusal):
        if kind == "sync":
            with simulator.client(example.client_type, example.participant) as client:
                getattr(client, name)(**given)
        else:
            async with simulator.async_client(
                example.client_type, example.participant
            ) as async_client:
                await getattr(async_client, name)(**given)
    assert simulator.count(processed=False) == before


def list_method(example: Example) -> str | None:
    """The method that takes ``requests``, a list, for the example's operation (None: none)."""
    operation = example.operation
    for name in (operation.list_method, operation.method):
        if (
            name
            and "requests" in inspect.signature(OperationMethods.__dict__[name].template).parameters
        ):
            return name
    return None


WITH_LIST_METHOD = [e for e in EXAMPLES if list_method(e) is not None]


@pytest.mark.parametrize("form", ["model", "mapping"])
@pytest.mark.parametrize(
    "example",
    WITH_LIST_METHOD,
    ids=[f"{e.operation.interface}-{list_method(e)}" for e in WITH_LIST_METHOD],
)
async def test_a_list_method_takes_a_single_item_as_a_list_of_one(
    flavour: tuple[str, Simulator], simulator: Simulator, example: Example, form: str
) -> None:
    """``put_offers(offer, ...)``, as the established client takes it: the one model, or the
    one mapping of its fields, is sent as the only item, and the answer is a list of one."""
    kind = flavour[0]
    name = list_method(example)
    assert name is not None
    item = example.items[0]
    given = {**arguments(name, example), "requests": item if form == "model" else dict(item)}
    if kind == "sync":
        with simulator.client(example.client_type, example.participant, retry=NO_WAIT) as client:
            result = getattr(client, name)(**given)
    else:
        async with simulator.async_client(
            example.client_type, example.participant, retry=NO_WAIT
        ) as async_client:
            result = await getattr(async_client, name)(**given)
    [answer] = result
    assert isinstance(answer, example.operation.response_model)
    assert answer.success is not False
