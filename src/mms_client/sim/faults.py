"""Faults a test can make the simulator commit, to see how a client copes.

A fault matches requests of one operation (or any) on one endpoint (or both) and fires a
given number of ``times``.  When each kind fires, relative to processing the request, is
what makes it useful:

- ``HTTP_ERROR``: answer with an HTTP error status (503 by default) *without* processing,
  like a load balancer in front of a dead application server.
- ``DROP_BEFORE``: close the connection without processing and without any answer.
- ``DELAY``: process the request at once, then hold the answer back for ``seconds`` (a client
  that times out has therefore been processed: exactly the case where a submit must not be
  sent again).  The wait ends early if the client hangs up.
- ``DROP_AFTER``: process the request, then close the connection without answering.
- ``MALFORMED``: process the request, then answer HTTP 200 with a body that is not an MMS
  answer (a SOAP envelope cut off in the middle).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, replace
from enum import StrEnum

from mms_client.errors import ConfigurationError, is_number_within


class FaultKind(StrEnum):
    HTTP_ERROR = "http_error"
    DROP_BEFORE = "drop_before"
    DELAY = "delay"
    DROP_AFTER = "drop_after"
    MALFORMED = "malformed"


class Endpoint(StrEnum):
    """The two addresses of the simulator, like the MMS's main and backup hosts."""

    MAIN = "main"
    BACKUP = "backup"


MALFORMED_BODY = (
    b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
    b'<soapenv:Body><ns:ResponseAttInfo xmlns:ns="urn:abb.com:project/mms/types"><succ'
)
"""What a ``MALFORMED`` fault answers: an envelope cut off in the middle of an element."""


@dataclass(frozen=True)
class Fault:
    """One planned fault; ``operation``/``endpoint`` None match every operation/endpoint."""

    kind: FaultKind
    operation: str | None = None
    endpoint: Endpoint | None = None
    times: int = 1
    status: int = 503
    seconds: float = 0.0

    def __post_init__(self) -> None:
        # a fault is checked when it is planned: one that could not fire would otherwise
        # fail in the server, for every request it meets, and never be used up
        if not is_number_within(self.times, int, 1, math.inf):
            raise ConfigurationError(
                f"a fault fires a whole number of times, at least once; got {self.times!r}"
            )
        if self.kind is FaultKind.HTTP_ERROR and not is_number_within(self.status, int, 400, 599):
            raise ConfigurationError(
                f"an HTTP error fault needs a 4xx or 5xx status; got {self.status!r}"
            )
        seconds = self.seconds
        if not (is_number_within(seconds, int | float, 0, math.inf) and math.isfinite(seconds)):
            raise ConfigurationError(
                f"a fault's seconds are a finite number, 0 or more; got {seconds!r}"
            )
        if self.kind is FaultKind.DELAY and self.seconds == 0:
            raise ConfigurationError(f"a delay fault needs seconds > 0; got {self.seconds}")

    def matches(self, operation: str | None, endpoint: Endpoint) -> bool:
        return (self.operation is None or self.operation == operation) and (
            self.endpoint is None or self.endpoint is endpoint
        )


class FaultPlan:
    """The faults still to fire, in the order they were planned; safe to use across threads
    (tests plan faults while the server thread takes them)."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def pending(self) -> tuple[Fault, ...]:
        with self._lock:
            return tuple(self._faults)

    def take(self, operation: str | None, endpoint: Endpoint) -> Fault | None:
        """The first fault matching this request, used up by one firing."""
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.matches(operation, endpoint):
                    if fault.times == 1:
                        del self._faults[index]
                    else:
                        self._faults[index] = replace(fault, times=fault.times - 1)
                    return fault
        return None
