"""Start-up: what a fresh process pays before and for its first request.

Whole processes are timed from spawn to exit, against ``python -c pass`` in the same run (the
interpreter's own start). A first call is timed from spawn until it has returned, without the
interpreter's exit after it, against the same request made with the libraries we build on and
nothing of ours, with and without pydantic (:mod:`benchmarks.first_call`). Bytecode caches
are warm, as after any first run of an installed package.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from benchmarks.environment import REPOSITORY, Environment, child_environment
from benchmarks.first_call import DONE_MARKER
from benchmarks.harness import (
    ProcessTimes,
    Result,
    Settings,
    Target,
    time_processes,
    whole_process_details,
)

IMPORT_TARGET = Target("ratio", "<=", 10.0)
FIRST_CALL_TARGET = Target("ours", "<", 0.275, "s")
PYTHON = [sys.executable, "-c", "pass"]


def _cpu(times: dict[str, ProcessTimes]) -> dict[str, float]:
    """CPU seconds of each whole process (its own, not the server's), which a busy machine
    disturbs less than wall-clock time."""
    return {f"{name}_cpu_median_s": measured.cpu.median for name, measured in times.items()}


def import_package(settings: Settings, _environment: Environment) -> Iterator[Result]:
    times = time_processes(
        {"ours": [sys.executable, "-c", "import mms_client"], "floor": PYTHON},
        settings,
        env=child_environment(),
        cwd=str(REPOSITORY),
    )
    yield Result(
        case="import",
        params={},
        unit="s",
        ours=times["ours"].wall,
        floor=times["floor"].wall,
        ours_label='python -c "import mms_client" (whole process)',
        floor_label='python -c "pass" (whole process)',
        target=IMPORT_TARGET,
        measure="wall-clock time of the whole process",
        details=_cpu(times),
    )


def first_call(settings: Settings, environment: Environment) -> Iterator[Result]:
    """A first call until it has returned, the interpreter's exit after it not counted (see
    :func:`benchmarks.first_call.make_and_say_done`); the whole processes are in the details."""
    manifest = environment.simulator().manifest
    assert manifest is not None

    def script(mode: str) -> list[str]:
        return [sys.executable, "-m", "benchmarks.first_call", mode, str(manifest)]

    calls = ("ours", "libraries", "pydantic")
    times = time_processes(
        {**{mode: script(mode) for mode in calls}, "python": PYTHON},
        settings,
        env=child_environment(),
        cwd=str(REPOSITORY),
        done_marker=DONE_MARKER,
        saying_done=calls,
    )
    ours_label = (
        "fresh process: import, Certificate, MmsClient, one put_offer over mutual TLS to the "
        "simulator (separate process), until it returned"
    )
    floors = {
        "python": 'python -c "pass" (whole process)',
        "libraries": "the same request with httpx + lxml + cryptography only, nothing of ours, "
        "until it returned",
        "pydantic": "the same request with httpx + lxml + cryptography, its answer read through "
        "one pydantic model, nothing of ours, until it returned",
    }
    details = {
        **_cpu(times),
        **whole_process_details(times, calls),
    }
    for floor, label in floors.items():
        yield Result(
            case="first_call",
            params={"floor": floor},
            unit="s",
            ours=times["ours"].done,
            floor=times[floor].done,
            ours_label=ours_label,
            floor_label=label,
            target=FIRST_CALL_TARGET,
            measure="wall-clock time from the start of the process to the return of its call",
            details=details,
        )
