"""What the simulator received, so tests can prove what a client did and did not send.

Counting is exact for the life of the simulator; the requests themselves are kept for the
most recent ones only, and their payload bytes (kept to compare what different clients sign)
up to a total size, so a long-running ``mms sim serve`` does not grow without bound, however
large the requests it is sent.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import dataclass, replace

from mms_client.sim.faults import Endpoint, FaultKind

_KEEP = 1000
PAYLOAD_BUDGET = 64 * 1024 * 1024
"""The payload bytes the journal keeps in all: past it, the oldest requests lose their payload
(not their record). The most recent request keeps its payload whatever its size (a request
body is at most as large as this)."""


@dataclass(frozen=True)
class RecordedRequest:
    """One request that reached the simulator's application.

    ``operation`` is None when the request could not even be read far enough to tell;
    ``payload`` is None when it was refused before its payload was read (unsigned, say) and
    once newer requests have used up the journal's payload budget; ``processed`` says whether
    the simulator acted on it (checked it and, if valid, changed its state); ``fault`` is the
    injected fault that met it, if any.
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
        self._payload_bytes = 0
        self._processed: Counter[tuple[str | None, Endpoint]] = Counter()
        self._received: Counter[tuple[str | None, Endpoint]] = Counter()

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            if len(self._recent) == self._recent.maxlen:
                self._payload_bytes -= _size(self._recent[0])
            self._recent.append(request)
            self._payload_bytes += _size(request)
            self._keep_within_budget()
            key = (request.operation, request.endpoint)
            self._received[key] += 1
            if request.processed:
                self._processed[key] += 1

    def _keep_within_budget(self) -> None:
        """Drops the payloads of the oldest requests until the rest fit the budget."""
        index = 0
        while self._payload_bytes > PAYLOAD_BUDGET and index < len(self._recent) - 1:
            oldest = self._recent[index]
            if oldest.payload is not None:
                self._payload_bytes -= len(oldest.payload)
                self._recent[index] = replace(oldest, payload=None)
            index += 1

    def clear(self) -> None:
        """Forgets every request (counts included)."""
        with self._lock:
            self._recent.clear()
            self._payload_bytes = 0
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


def _size(request: RecordedRequest) -> int:
    return 0 if request.payload is None else len(request.payload)
