"""Which handler answers which operation.

The table is keyed by the registry's operations (interface and name), so extending the
simulator to another operation is one handler function and one line here; the request checks
and the response documents around it are shared by all operations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from mms_client.endpoints import Interface
from mms_client.operations import Operation
from mms_client.sim import offers
from mms_client.sim.calls import Call, Outcome
from mms_client.sim.store import Store

Handler = Callable[[Call, Store], Outcome]
"""Runs one checked request against the state (inside one transaction)."""

HANDLERS: Mapping[tuple[Interface, str], Handler] = {
    (Interface.MI, "MarketSubmit_OfferData"): offers.put_offers,
    (Interface.MI, "MarketQuery_OfferQuery"): offers.query_offers,
    (Interface.MI, "MarketCancel_OfferCancel"): offers.cancel_offers,
}


def handler_for(operation: Operation) -> Handler | None:
    """The handler of ``operation``; None when the simulator does not implement it."""
    return HANDLERS.get((operation.interface, operation.name))
