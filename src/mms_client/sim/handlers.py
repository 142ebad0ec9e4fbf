"""Which handler answers which operation.

The table is keyed by the registry's operations (interface and name) and put together from
the operation families, one module each; the request checks and the response documents
around the handlers are shared by all operations.
"""

from __future__ import annotations

from collections.abc import Mapping

from mms_client.endpoints import Interface
from mms_client.operations import Operation
from mms_client.sim import clearing, market_data, offers, omi, registration, reports, tso_data
from mms_client.sim.records import Handler

HANDLERS: Mapping[tuple[Interface, str], Handler] = {
    **offers.HANDLERS,
    **market_data.HANDLERS,
    **tso_data.HANDLERS,
    **clearing.HANDLERS,
    **registration.HANDLERS,
    **omi.HANDLERS,
    **reports.HANDLERS,
}


def handler_for(operation: Operation) -> Handler | None:
    """The handler of ``operation``; None when the simulator does not implement it."""
    return HANDLERS.get((operation.interface, operation.name))
