"""What the simulator received, so tests can prove what a client did and did not send.

Counting is exact for the life of the simulator; the requests themselves (payload bytes
included, to compare what different clients sign) are kept for the most recent ones only, so
a long-running ``mms sim serve`` does not grow without bound.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import dataclass

from mms_client.sim.faults import Endpoint, FaultKind

_KEEP = 1000


@dataclass(frozen=True)
class RecordedRequest:
    """One request that reached the simulator's application.

    ``operation`` is None when the request could not even be read far enough to tell;
    ``processed`` says whether the simulator acted on it (checked it and, if valid, changed
    its state); ``fault`` is the injected fault that met it, if any.
    """

    endpoint: Endpoint
    operation: str | None
    participant: str | None
    user: str | None
    payload: bytes | None
    processed: bool
    fault: FaultKind | None = None


class Journal:
    """Thread-safe record of received requests (the server thread writes, tests read)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._recent: deque[RecordedRequest] = deque(maxlen=_KEEP)
        self._processed: Counter[tuple[str | None, Endpoint]] = Counter()
        self._received: Counter[tuple[str | None, Endpoint]] = Counter()

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._recent.append(request)
            key = (request.operation, request.endpoint)
            self._received[key] += 1
            if request.processed:
                self._processed[key] += 1

    def clear(self) -> None:
        """Forgets every request (counts included)."""
        with self._lock:
            self._recent.clear()
            self._processed.clear()
            self._received.clear()

    @property
    def recent(self) -> tuple[RecordedRequest, ...]:
        """The most recent requests, oldest first."""
        with self._lock:
            return tuple(self._recent)

    def count(
        self,
        operation: str | None = None,
        endpoint: Endpoint | None = None,
        *,
        processed: bool = True,
    ) -> int:
        """How many requests of ``operation`` (None: of any) reached ``endpoint`` (None:
        either); by default only those the simulator processed."""
        with self._lock:
            counter = self._processed if processed else self._received
            return sum(
                n
                for (op, ep), n in counter.items()
                if (operation is None or op == operation) and (endpoint is None or ep is endpoint)
            )
