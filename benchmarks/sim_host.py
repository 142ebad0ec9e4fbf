"""A server in a process of its own, steered over stdin: the simulator, or its floor.

    python -m benchmarks.sim_host simulator STATE_DIR
    python -m benchmarks.sim_host floor STATE_DIR REPLY_FILE
    python -m benchmarks.sim_host report STATE_DIR SIZE

Network cases run the server in a separate process so that client and server do not share a
GIL (or a core, on a machine with two). ``simulator`` serves :class:`mms_client.sim.Simulator`
on a free port; ``floor`` serves the least an HTTPS server with mutual TLS can do with the same
uvicorn set-up, the same certificates and the same TLS hook: answer every POST with the bytes
of ``REPLY_FILE`` (a JSON file ``{"headers": [[name, value]...], "body_base64": ...}`` holding a
real answer of the simulator), so the two differ only by the MMS's own work.

Once listening, the process prints one JSON line ``{"base_url": ..., "manifest": ...}`` and
then answers one JSON line per command line it reads:

    {"command": "inject", "kind": "delay", "operation": ..., "times": N, "seconds": S}
    {"command": "clear"}

It stops at the end of its input, so it cannot outlive the benchmark that started it.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mms_client.sim.server import App, Receive, Scope, Send


def _answer(reply: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()


def _serve_simulator(state_dir: Path) -> None:
    from mms_client.sim import Simulator
    from mms_client.sim.manifest import MANIFEST_NAME

    with Simulator(state_dir, backup_port=None) as simulator:
        _answer(
            {
                "base_url": simulator.base_url,
                "manifest": str(simulator.state_dir / MANIFEST_NAME),
            }
        )
        for line in sys.stdin:
            if not line.strip():
                continue
            command = json.loads(line)
            name = command.pop("command")
            if name == "inject":
                simulator.inject(command.pop("kind"), **command)
                _answer({"ok": True})
            elif name == "clear":
                simulator.clear_faults()
                _answer({"ok": True})
            else:
                _answer({"error": f"unknown command {name!r}"})


def _serve_app(state_dir: Path, app: App) -> None:
    """Serve ``app`` over the simulator's mutual TLS set-up until stdin ends."""
    from mms_client.sim.pki import Pki
    from mms_client.sim.server import Listener, ServerThread, bind, server_ssl_context

    pki = Pki.load_or_create(state_dir / "pki")
    server = pki.ensure_server(["127.0.0.1"])
    listener = Listener(bind("127.0.0.1", 0), app)
    context = server_ssl_context(
        str(server.cert), str(server.key), server.passphrase, str(pki.ca_path)
    )
    thread = ServerThread([listener], context)
    thread.start()
    try:
        _answer({"base_url": f"https://127.0.0.1:{listener.port}", "manifest": None})
        for _line in sys.stdin:
            _answer({"error": "this server takes no commands"})
    finally:
        thread.stop()


async def _drain(receive: Receive) -> None:
    while (await receive()).get("more_body", False):
        pass


def _canned_app(reply_file: Path) -> App:
    recorded = json.loads(reply_file.read_text("utf-8"))
    body = base64.b64decode(recorded["body_base64"])
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in recorded["headers"]]
    headers.append((b"content-length", str(len(body)).encode()))

    async def canned(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        await _drain(receive)
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return canned


REPORT_CHUNK = 1 << 20
_MARKER = b"\x00report-content\x00"


def report_rows(size: int) -> Iterator[bytes]:
    """``size`` bytes of CSV in chunks of :data:`REPORT_CHUNK` (one chunk, repeated)."""
    row = b"2024-03-15T12:00:00,FAKE_RESO,04,1,100,1000,2000,3000,12.50,OFR0000000001\r\n"
    chunk = (row * (REPORT_CHUNK // len(row) + 1))[:REPORT_CHUNK]
    sent = 0
    while sent < size:
        piece = chunk[: min(REPORT_CHUNK, size - sent)]
        sent += len(piece)
        yield piece


def _report_app(size: int) -> App:
    from mms_client.endpoints import Interface
    from mms_client.wire.soap import ResponseAttInfo, build_response

    framed = build_response(
        Interface.MI,
        ResponseAttInfo(
            success=True,
            response_data_type="CSV",
            response_binary=True,
            response_filename="BSP_ResourceList.csv",
            response_data=_MARKER,
        ),
        mtom=True,
    )
    before, after = framed.body.split(_MARKER)
    headers = [
        (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in framed.headers.items()
    ]
    headers.append((b"content-length", str(len(before) + size + len(after)).encode()))

    async def report(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        await _drain(receive)
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": before, "more_body": True})
        for piece in report_rows(size):
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": after})

    return report


def main(argv: list[str]) -> None:
    mode, state_dir, *rest = argv
    if mode == "simulator":
        _serve_simulator(Path(state_dir))
    elif mode == "floor":
        _serve_app(Path(state_dir), _canned_app(Path(rest[0])))
    elif mode == "report":
        _serve_app(Path(state_dir), _report_app(int(rest[0])))
    else:
        raise SystemExit(f"unknown mode {mode!r}; use simulator, floor or report")


if __name__ == "__main__":
    main(sys.argv[1:])
