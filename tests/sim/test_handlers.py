"""The handler table is keyed by operations of the registry."""

from __future__ import annotations

from mms_client.operations import get_operation
from mms_client.sim.handlers import HANDLERS, handler_for


def test_every_handler_answers_a_registry_operation() -> None:
    for interface, name in HANDLERS:
        operation = get_operation(name, interface)
        assert handler_for(operation) is HANDLERS[(interface, name)]


def test_operations_without_a_handler_have_none() -> None:
    assert handler_for(get_operation("RegistrationQuery_Resource")) is None
