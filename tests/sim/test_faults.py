"""Fault injection: each kind fires where it is defined to, as often as planned."""

from __future__ import annotations

import httpx
import pytest

from mms_client.errors import ConfigurationError, MalformedResponseError
from mms_client.schema.generated.mi_market import MarketType, OfferQuery
from mms_client.sim.faults import Endpoint, Fault, FaultKind, FaultPlan
from mms_client.sim.simulator import Simulator

from .conftest import Answer, OfferFactory, Wire

SUBMIT = "MarketSubmit_OfferData"
QUERY = "MarketQuery_OfferQuery"
DAM = MarketType.DAY_AHEAD


def _stored(simulator: Simulator) -> int:
    return len(
        simulator.store.offers(
            market_type="DAM", period_start="2024-03-15T00:00:00", period_end="2024-03-16T00:00:00"
        )
    )


def _submit(
    wire: Wire, offer: OfferFactory, *, url: str | None = None, timeout: float = 10.0
) -> Answer:
    message = wire.message(wire.payload(SUBMIT, offer(), market_type=DAM))
    return wire.post(message.headers, message.body, url=url, timeout=timeout)


def test_an_http_error_is_answered_without_processing_for_the_planned_number_of_times(
    fresh_wire: Wire, offer: OfferFactory
) -> None:
    simulator = fresh_wire.simulator
    simulator.inject("http_error", operation=SUBMIT, endpoint="main", times=2, status=502)
    message = fresh_wire.message(fresh_wire.payload(SUBMIT, offer(), market_type=DAM))
    user = simulator.user()
    url = simulator.base_url + "/axis2/services/MiWebService"

    with httpx.Client(verify=fresh_wire.tls(user)) as client:
        statuses = [
            client.post(url, headers=message.headers, content=message.body).status_code
            for _ in range(3)
        ]

    assert statuses == [502, 502, 200]
    assert simulator.count(SUBMIT) == 1
    assert simulator.count(SUBMIT, processed=False) == 3
    assert [r.fault for r in simulator.requests[-3:]] == ["http_error", "http_error", None]
    assert _stored(simulator) == 1


def test_faults_match_their_operation_and_endpoint_only(
    fresh_wire: Wire, offer: OfferFactory
) -> None:
    simulator = fresh_wire.simulator
    simulator.inject("http_error", operation=QUERY)
    simulator.inject("http_error", endpoint="backup")

    answer = _submit(fresh_wire, offer)  # a submit on main: neither fault matches

    assert answer.status == 200
    pending = simulator.faults.pending
    assert [(f.operation, f.endpoint) for f in pending] == [(QUERY, None), (None, Endpoint.BACKUP)]
    simulator.clear_faults()
    assert simulator.faults.pending == ()


def test_the_backup_address_shares_state_and_can_fail_on_its_own(
    fresh_wire: Wire, offer: OfferFactory
) -> None:
    simulator = fresh_wire.simulator
    backup = simulator.backup_url + "/axis2/services/MiWebService"
    _submit(fresh_wire, offer, url=backup)
    found = fresh_wire.call(QUERY, OfferQuery(market_type=DAM))  # on main
    assert len(found.document.findall("MarketSubmit/OfferData")) == 1

    simulator.inject("http_error", endpoint="backup", status=503)
    message = fresh_wire.message(fresh_wire.payload(QUERY, OfferQuery(market_type=DAM)))
    with httpx.Client(verify=fresh_wire.tls(simulator.user())) as client:
        assert client.post(backup, headers=message.headers, content=message.body).status_code == 503
    assert simulator.count(QUERY, "backup") == 0
    assert simulator.count(QUERY, "main") == 1


def test_a_connection_dropped_before_processing_changes_nothing(
    fresh_wire: Wire, offer: OfferFactory
) -> None:
    simulator = fresh_wire.simulator
    simulator.inject(FaultKind.DROP_BEFORE, operation=SUBMIT)

    with pytest.raises(httpx.RemoteProtocolError):
        _submit(fresh_wire, offer)

    assert simulator.count(SUBMIT) == 0
    assert simulator.count(SUBMIT, processed=False) == 1
    assert _stored(simulator) == 0


def test_a_connection_dropped_after_processing_keeps_the_effect(
    fresh_wire: Wire, offer: OfferFactory
) -> None:
    simulator = fresh_wire.simulator
    simulator.inject(FaultKind.DROP_AFTER, operation=SUBMIT)

    with pytest.raises(httpx.RemoteProtocolError):
        _submit(fresh_wire, offer)

    assert simulator.count(SUBMIT) == 1
    assert _stored(simulator) == 1


def test_a_delayed_answer_times_out_the_client_after_the_request_was_processed(
    fresh_wire: Wire, offer: OfferFactory
) -> None:
    simulator = fresh_wire.simulator
    simulator.inject("delay", operation=SUBMIT, seconds=30)

    with pytest.raises(httpx.ReadTimeout):
        _submit(fresh_wire, offer, timeout=0.5)

    assert simulator.count(SUBMIT) == 1
    assert _stored(simulator) == 1
    # the held answer is abandoned once the client hangs up; the simulator keeps serving
    assert fresh_wire.call(QUERY, OfferQuery(market_type=DAM)).codes() == []


def test_a_malformed_answer_is_not_an_mms_answer(wire: Wire) -> None:
    wire.simulator.inject("malformed", operation=QUERY)

    with pytest.raises(MalformedResponseError):
        wire.call(QUERY, OfferQuery(market_type=DAM))

    assert wire.simulator.requests[-1].fault == "malformed"
    assert wire.simulator.requests[-1].processed is True


def test_fault_plans_take_the_first_matching_fault_and_count_it_down() -> None:
    plan = FaultPlan()
    plan.add(Fault(FaultKind.HTTP_ERROR, operation=SUBMIT, times=2))
    plan.add(Fault(FaultKind.DROP_BEFORE))

    assert plan.take(QUERY, Endpoint.MAIN) == Fault(FaultKind.DROP_BEFORE)
    assert plan.take(QUERY, Endpoint.MAIN) is None
    first = plan.take(SUBMIT, Endpoint.BACKUP)
    assert first is not None and first.kind is FaultKind.HTTP_ERROR
    assert plan.pending == (Fault(FaultKind.HTTP_ERROR, operation=SUBMIT, times=1),)
    assert plan.take(SUBMIT, Endpoint.MAIN) is not None
    assert plan.take(SUBMIT, Endpoint.MAIN) is None


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (dict(kind=FaultKind.HTTP_ERROR, times=0), "at least once"),
        (dict(kind=FaultKind.HTTP_ERROR, status=200), "4xx or 5xx"),
        (dict(kind=FaultKind.DELAY), "seconds > 0"),
        (dict(kind=FaultKind.DROP_BEFORE, times=1.5), "whole number of times"),
        (dict(kind=FaultKind.DROP_BEFORE, times=True), "whole number of times"),
        (dict(kind=FaultKind.HTTP_ERROR, status="503"), "4xx or 5xx status; got '503'"),
        (dict(kind=FaultKind.DELAY, seconds=float("nan")), "finite number"),
        (dict(kind=FaultKind.DELAY, seconds=float("inf")), "finite number"),
        (dict(kind=FaultKind.DELAY, seconds="5"), "finite number, 0 or more; got '5'"),
    ],
)
def test_impossible_faults_are_refused(fault: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Fault(**fault)  # type: ignore[arg-type]


def test_faults_name_real_operations(mms_simulator: Simulator) -> None:
    with pytest.raises(ConfigurationError, match="not an MMS operation"):
        mms_simulator.inject("http_error", operation="MarketSubmit_Offers")
    kinds = "'http_error', 'drop_before', 'delay', 'drop_after', 'malformed'"
    with pytest.raises(ConfigurationError, match=f"kind must be one of {kinds}; got 'explode'"):
        mms_simulator.inject("explode")
    with pytest.raises(
        ConfigurationError, match="endpoint must be one of 'main', 'backup'; got 'b'"
    ):
        mms_simulator.inject("http_error", endpoint="b")


def test_the_journal_is_counted_by_real_operations(fresh_wire: Wire, offer: OfferFactory) -> None:
    """An operation is named by its name or given as itself (as ``client.call`` takes it),
    for counting as for planning faults; a name no operation has is refused, where it would
    count nothing and let a test prove that nothing was processed."""
    from mms_client.operations import get_operation

    simulator = fresh_wire.simulator
    operation = get_operation(SUBMIT)
    simulator.inject("drop_before", operation=operation)
    with pytest.raises(httpx.RemoteProtocolError):
        _submit(fresh_wire, offer)
    _submit(fresh_wire, offer)
    assert simulator.count(operation, processed=False) == 2
    assert simulator.count(operation) == simulator.count(SUBMIT) == 1
    with pytest.raises(ConfigurationError, match="'MarketSubmit_Offers' is not an MMS operation"):
        simulator.count("MarketSubmit_Offers")
    with pytest.raises(
        ConfigurationError, match="endpoint must be one of 'main', 'backup'; got 'b'"
    ):
        simulator.count(SUBMIT, "b")
