"""A local MMS: the real wire protocol over HTTPS with mutual TLS, state in SQLite.

``Simulator`` runs it in-process (tests, ``mms demo``); ``mms sim serve`` runs it from the
command line.  The names are resolved lazily so that loading the pytest plugin, which imports
this package, costs nothing until a fixture is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mms_client.lazy import lazy_names

if TYPE_CHECKING:
    from mms_client.sim.clock import SimulatorClock
    from mms_client.sim.faults import Endpoint, Fault, FaultKind
    from mms_client.sim.journal import RecordedRequest
    from mms_client.sim.manifest import Manifest
    from mms_client.sim.pki import SimUser
    from mms_client.sim.server import ServerLimits
    from mms_client.sim.service import ResponseEncoding
    from mms_client.sim.simulator import Simulator

__all__ = [
    "Endpoint",
    "Fault",
    "FaultKind",
    "Manifest",
    "RecordedRequest",
    "ResponseEncoding",
    "ServerLimits",
    "SimUser",
    "Simulator",
    "SimulatorClock",
]

_LAZY: dict[str, str] = {
    "Endpoint": "mms_client.sim.faults",
    "Fault": "mms_client.sim.faults",
    "FaultKind": "mms_client.sim.faults",
    "Manifest": "mms_client.sim.manifest",
    "RecordedRequest": "mms_client.sim.journal",
    "ResponseEncoding": "mms_client.sim.service",
    "ServerLimits": "mms_client.sim.server",
    "SimUser": "mms_client.sim.pki",
    "Simulator": "mms_client.sim.simulator",
    "SimulatorClock": "mms_client.sim.clock",
}


# Defined at run time only (see lazy_names): type checkers see the imports above.
if not TYPE_CHECKING:
    __getattr__ = lazy_names(__name__, _LAZY, globals())


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
