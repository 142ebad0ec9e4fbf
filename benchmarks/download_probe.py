"""Download one big report in a fresh process and report the memory it took.

    python -m benchmarks.download_probe ours|floor MANIFEST BASE_URL SIZE OUT_FILE

Prints one JSON line: ``{"peak_extra_bytes", "baseline_bytes", "seconds", "written",
"intact"}``; for ``ours``, ``intact`` says whether the file holds exactly the report the
server sent (checked after the measurement; the floor saves the raw reply, MIME framing
included, so it is not checked).

The figure is the peak resident memory *above* what the process holds just before the
download (imports done, client built), as :mod:`benchmarks.peak_memory` measures it, so
start-up peaks do not count and no sampling can miss a short spike.

``ours`` downloads with ``MmsClient.download_report(request, to=OUT_FILE)``, the client's
streaming download; ``floor`` posts the same prepared request with httpx and streams the raw
answer to the file chunk by chunk, which is what streaming to disk costs at the least.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.connection import Connection
from benchmarks.peak_memory import peak_of
from benchmarks.sim_host import report_rows

DOWNLOAD = "ReportDownloadRequestTrnID"


def _request() -> Any:
    from mms_client.schema.generated.mi_report import ReportDownloadRequestTrnID

    return ReportDownloadRequestTrnID(transaction_id="TX00000001")


def _ours(connection: Connection, base_url: str) -> Callable[[Path], int]:
    client = connection.client(base_url=base_url)

    def download(out: Path) -> int:
        with client:
            client.download_report(_request(), to=out)
        return out.stat().st_size

    return download


def _floor(connection: Connection, base_url: str) -> Callable[[Path], int]:
    import httpx

    from mms_client.exchange import prepare
    from mms_client.operations import get_operation

    prepared = prepare(get_operation(DOWNLOAD), connection.caller(), _request(), {})
    url = connection.url(base_url)
    bare = httpx.Client(verify=connection.ssl_context(), timeout=120)

    def download(out: Path) -> int:
        written = 0
        with (
            bare,
            bare.stream(
                "POST", url, headers=prepared.message.headers, content=prepared.message.body
            ) as reply,
            out.open("wb") as file,
        ):
            reply.raise_for_status()
            for chunk in reply.iter_bytes():
                file.write(chunk)
                written += len(chunk)
        return written

    return download


def _holds_report(path: Path, size: int) -> bool:
    """Whether ``path`` holds exactly the report :func:`benchmarks.sim_host.report_rows`
    generates."""
    expected, found = hashlib.sha256(), hashlib.sha256()
    for piece in report_rows(size):
        expected.update(piece)
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            found.update(chunk)
    return expected.digest() == found.digest()


def main(argv: list[str]) -> None:
    mode, manifest_path, base_url, size, out = argv
    # built before the baseline is taken, so that its memory is not counted as the download's
    connection = Connection.load(Path(manifest_path))
    download = {"ours": _ours, "floor": _floor}[mode](connection, base_url)
    started = time.perf_counter()
    peak = peak_of(lambda: download(Path(out)))
    seconds = time.perf_counter() - started
    intact = _holds_report(Path(out), int(size)) if mode == "ours" else None
    Path(out).unlink()
    print(
        json.dumps(
            {
                "peak_extra_bytes": peak.extra_bytes,
                "baseline_bytes": peak.baseline_bytes,
                "seconds": seconds,
                "written": peak.result,
                "intact": intact,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
