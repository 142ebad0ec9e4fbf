"""A lean load generator: threads posting prepared HTTP/1.1 requests over TLS sockets.

Measuring a server's throughput on a two-core machine means the clients share the machine
with it, so every millisecond of client CPU is taken from the server. httpx spends several
milliseconds of Python per request (measured: about as much CPU as the simulator itself), so
the clients here do the least a client can: the request bytes are encoded once, and each
request is a TLS handshake (when connections are not reused), one ``sendall`` and reading the
answer up to its Content-Length. The TLS handshake and the socket I/O release the GIL, so the
threads overlap.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class LoadResult:
    answered: int
    succeeded: int
    seconds: float

    @property
    def rate(self) -> float:
        """Successful answers per second."""
        return self.succeeded / self.seconds


def encode_request(url: str, headers: dict[str, str], body: bytes, *, keep_alive: bool) -> bytes:
    """The bytes of one POST of ``body`` to ``url``."""
    parts = urlsplit(url)
    lines = [
        f"POST {parts.path} HTTP/1.1",
        f"Host: {parts.netloc}",
        f"Content-Length: {len(body)}",
        f"Connection: {'keep-alive' if keep_alive else 'close'}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _read_answer(stream: ssl.SSLSocket, pending: bytearray) -> tuple[int, bytes]:
    """Status and body of one answer (``pending`` holds bytes read beyond it)."""
    while (end := pending.find(b"\r\n\r\n")) < 0:
        chunk = stream.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection before answering")
        pending += chunk
    head = bytes(pending[:end]).decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    length = 0
    for line in head[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    del pending[: end + 4]
    while len(pending) < length:
        chunk = stream.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection in the middle of an answer")
        pending += chunk
    body = bytes(pending[:length])
    del pending[:length]
    return status, body


class _Worker(threading.Thread):
    def __init__(
        self,
        address: tuple[str, int],
        server_name: str,
        context: ssl.SSLContext,
        requests: Sequence[bytes],
        success_marker: bytes,
        keep_alive: bool,
        deadline: float,
        offset: int,
    ) -> None:
        super().__init__(daemon=True)
        self._address = address
        self._server_name = server_name
        self._context = context
        self._requests = requests
        self._marker = success_marker
        self._keep_alive = keep_alive
        self._deadline = deadline
        self._next = offset
        self.answered = 0
        self.succeeded = 0
        self.error: BaseException | None = None

    def _connect(self) -> ssl.SSLSocket:
        raw = socket.create_connection(self._address, timeout=30)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self._context.wrap_socket(raw, server_hostname=self._server_name)

    def run(self) -> None:
        stream: ssl.SSLSocket | None = None
        pending = bytearray()
        try:
            while time.perf_counter() < self._deadline:
                if stream is None:
                    stream = self._connect()
                    pending.clear()
                stream.sendall(self._requests[self._next % len(self._requests)])
                self._next += 1
                status, body = _read_answer(stream, pending)
                self.answered += 1
                if status == 200 and self._marker in body:
                    self.succeeded += 1
                if not self._keep_alive:
                    stream.close()
                    stream = None
        except BaseException as exc:  # reported by run_load
            self.error = exc
        finally:
            if stream is not None:
                stream.close()


def run_load(
    url: str,
    requests: Sequence[bytes],
    context: ssl.SSLContext,
    *,
    clients: int,
    seconds: float,
    keep_alive: bool,
    success_marker: bytes,
) -> LoadResult:
    """Post ``requests`` (cycled) from ``clients`` threads for ``seconds``; an answer counts
    as a success when it is HTTP 200 and contains ``success_marker``."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    started = time.perf_counter()
    workers = [
        _Worker(
            (parts.hostname, parts.port),
            parts.hostname,
            context,
            requests,
            success_marker,
            keep_alive,
            started + seconds,
            offset=index * max(1, len(requests) // clients),
        )
        for index in range(clients)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    failed = [worker.error for worker in workers if worker.error is not None]
    if failed:
        raise RuntimeError(f"{len(failed)} load clients failed, e.g. {failed[0]!r}")
    return LoadResult(
        answered=sum(worker.answered for worker in workers),
        succeeded=sum(worker.succeeded for worker in workers),
        seconds=elapsed,
    )
