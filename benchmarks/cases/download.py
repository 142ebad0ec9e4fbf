"""A 200 MB report download: the memory it takes above what the process held before.

Each download runs in a fresh process (:mod:`benchmarks.download_probe`) so that memory of
earlier cases cannot hide or inflate the figure; the server (:mod:`benchmarks.sim_host`,
``report`` mode) is a process of its own that generates the report while sending it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

from benchmarks.environment import REPOSITORY, Environment, child_environment
from benchmarks.harness import Result, Settings, Stats, Target

REPORT_BYTES = 200 * 10**6
MEMORY_TARGET = Target("ours", "<", 64 * 2**20, "bytes")


def _probe(mode: str, manifest: str, base_url: str, size: int, out: str) -> dict[str, Any]:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.download_probe",
            mode,
            manifest,
            base_url,
            str(size),
            out,
        ],
        cwd=REPOSITORY,
        env=child_environment(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"the {mode} download failed: {completed.stderr[-2000:]}")
    measured: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    if measured["written"] < size:
        raise RuntimeError(f"the {mode} download wrote {measured['written']} bytes only")
    if measured["intact"] is False:
        raise RuntimeError(f"the {mode} download saved a file that is not the report sent")
    return measured


def _measure(environment: Environment, size: int, repeats: int) -> dict[str, list[dict[str, Any]]]:
    simulator = environment.simulator()
    assert simulator.manifest is not None
    server = environment.start_server("report", str(simulator.manifest.parent), str(size))
    out = str(environment.folder / "report.csv")
    runs: dict[str, list[dict[str, Any]]] = {"ours": [], "floor": []}
    try:
        for _ in range(repeats):
            for mode, measured in runs.items():
                measured.append(_probe(mode, str(simulator.manifest), server.base_url, size, out))
    finally:
        server.stop()
    return runs


def report_download(settings: Settings, environment: Environment) -> Iterator[Result]:
    runs = _measure(environment, REPORT_BYTES, 1 if settings.quick else 3)

    def stats(mode: str, key: str) -> Stats:
        return Stats.of([float(run[key]) for run in runs[mode]])

    ours = stats("ours", "peak_extra_bytes")
    yield Result(
        case="download",
        params={"mb": REPORT_BYTES // 10**6},
        unit="bytes",
        ours=ours,
        floor=stats("floor", "peak_extra_bytes"),
        ours_label="MmsClient.download_report(request, to=file) of an MTOM report (fresh "
        "process; the file is checked to be the report sent)",
        floor_label="httpx streaming the same reply to a file chunk by chunk",
        target=MEMORY_TARGET,
        measure="peak resident memory above the baseline (VmHWM - VmRSS before)",
        notes=[f"ours holds {ours.median / REPORT_BYTES:.3f} bytes of memory per byte of report"],
        details={
            "ours_seconds": stats("ours", "seconds").median,
            "floor_seconds": stats("floor", "seconds").median,
            "ours_baseline_bytes": stats("ours", "baseline_bytes").median,
        },
    )
