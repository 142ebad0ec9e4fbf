"""The handler table covers the registry, and nothing else."""

from __future__ import annotations

from dataclasses import replace

from mms_client.operations import OPERATIONS, get_operation
from mms_client.sim.handlers import HANDLERS, handler_for


def test_every_operation_of_the_registry_has_a_handler() -> None:
    missing = [(o.interface.value, o.name) for o in OPERATIONS if handler_for(o) is None]
    assert missing == []


def test_every_handler_answers_a_registry_operation() -> None:
    for interface, name in HANDLERS:
        operation = get_operation(name, interface)
        assert handler_for(operation) is HANDLERS[(interface, name)]


def test_an_operation_a_later_registry_adds_has_no_handler_yet() -> None:
    future = replace(get_operation("MarketQuery_OfferQuery"), name="MarketQuery_FutureQuery")
    assert handler_for(future) is None
