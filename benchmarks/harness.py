"""Measuring, comparing and reporting: what every benchmark case is built from.

Every case measures *our* code and a *floor* doing the same job in the same run, and reports
the ratio of the two. Same-run floors are what make the figures meaningful on a shared
machine: noise from other processes hits both sides, so the ratio stays stable while the
absolute times wander. In-process timings therefore interleave the two sides sample by
sample instead of measuring one after the other.
"""

from __future__ import annotations

import gc
import math
import resource
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

Unit = Literal["s", "bytes", "req/s"]
Comparison = Literal["<=", "<", ">="]


@dataclass(frozen=True)
class Settings:
    """How hard to measure.

    ``quick`` trades precision for speed (a smoke run); the figures it gives are indicative
    only. ``sizes`` restricts the N of the document cases.
    """

    quick: bool = False
    sizes: tuple[int, ...] = (1, 10, 100, 1000)

    @property
    def repeats(self) -> int:
        """Samples per side for in-process timings."""
        return 3 if self.quick else 15

    @property
    def sample_seconds(self) -> float:
        """The least time one in-process sample should last (loops are added to reach it)."""
        return 0.002 if self.quick else 0.05

    @property
    def process_repeats(self) -> int:
        """Runs per side for whole-process timings."""
        return 3 if self.quick else 21


@dataclass(frozen=True)
class Stats:
    """Median, minimum and maximum of a series of measurements."""

    median: float
    min: float
    max: float
    samples: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Stats:
        if not values:
            raise ValueError("no measurements")
        return cls(statistics.median(values), min(values), max(values), len(values))

    def to_json(self) -> dict[str, float | int]:
        return {"median": self.median, "min": self.min, "max": self.max, "samples": self.samples}


@dataclass(frozen=True)
class Target:
    """A speed target: ``metric`` (the ratio to the floor, or our own figure) compared with
    ``limit``."""

    metric: Literal["ratio", "ours"]
    comparison: Comparison
    limit: float
    unit: str = ""

    def met_by(self, ours: float, ratio: float | None) -> bool | None:
        value = ours if self.metric == "ours" else ratio
        if value is None or math.isnan(value):
            return None
        if self.comparison == "<=":
            return value <= self.limit
        if self.comparison == "<":
            return value < self.limit
        return value >= self.limit

    def describe(self) -> str:
        if self.metric == "ratio":
            return f"ratio {self.comparison} {self.limit:g}x"
        if self.unit == "bytes":
            return f"ours {self.comparison} {self.limit / 2**20:g} MiB"
        return f"ours {self.comparison} {self.limit:g} {self.unit}".rstrip()


@dataclass(frozen=True)
class Result:
    """One measured case: our figure, the floor's, their ratio and the target verdict.

    ``ratio`` is ``ours.median / floor.median``; for throughputs (unit ``req/s``) a ratio above
    one means we are faster than the floor, for times and sizes below one does.
    """

    case: str
    params: Mapping[str, int | float | str | bool]
    unit: Unit
    ours: Stats
    floor: Stats | None
    ours_label: str
    floor_label: str | None
    target: Target | None = None
    measure: str = "wall-clock time"
    """What the figures are: wall-clock time, CPU time of this process, a rate, memory."""
    notes: Sequence[str] = field(default=())
    details: Mapping[str, float] = field(default_factory=dict)
    """Supporting figures, e.g. CPU seconds per request, which a busy machine disturbs less
    than wall-clock time."""

    @property
    def name(self) -> str:
        if not self.params:
            return self.case
        inner = ",".join(f"{key}={value}" for key, value in self.params.items())
        return f"{self.case}[{inner}]"

    @property
    def ratio(self) -> float | None:
        if self.floor is None or self.floor.median == 0:
            return None
        return self.ours.median / self.floor.median

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.target.met_by(self.ours.median, self.ratio)

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "case": self.case,
            "params": dict(self.params),
            "unit": self.unit,
            "measure": self.measure,
            "ours": {"label": self.ours_label, **self.ours.to_json()},
            "floor": (
                None if self.floor is None else {"label": self.floor_label, **self.floor.to_json()}
            ),
            "ratio": self.ratio,
            "target": None if self.target is None else self.target.describe(),
            "met": self.met,
            "notes": list(self.notes),
            "details": dict(self.details),
        }


# ------------------------------------------------------------------------------ in-process


Clock = Callable[[], float]

WALL: Clock = time.perf_counter
"""Elapsed time: for anything that waits (network, other processes)."""
CPU: Clock = time.process_time
"""CPU time of this process: for pure computation. Other processes on a busy machine take
turns on the cores and stretch elapsed time, but barely change the CPU time a computation
needs, so these figures stay comparable between a quiet and a busy machine."""


def _loops_for(function: Callable[[], object], sample_seconds: float, clock: Clock) -> int:
    """How many calls make one sample last at least ``sample_seconds`` (after a warm-up call,
    which also pays one-time costs such as building validators or caches)."""
    function()
    started = clock()
    function()
    once = clock() - started
    if once >= sample_seconds:
        return 1
    return max(1, math.ceil(sample_seconds / max(once, 1e-6)))


def _sample(function: Callable[[], object], loops: int, clock: Clock) -> float:
    """Seconds per call over ``loops`` calls; garbage from earlier samples is collected first
    so that one side does not pay for the other's, while collections caused by the measured
    code itself stay in the figure (they are part of its real cost)."""
    gc.collect()
    started = clock()
    for _ in range(loops):
        function()
    return (clock() - started) / loops


def compare(
    ours: Callable[[], object],
    floor: Callable[[], object],
    settings: Settings,
    clock: Clock = WALL,
) -> tuple[Stats, Stats]:
    """Time ``ours`` and ``floor`` per call, alternating samples so both see the same noise."""
    return alternate(sampler(ours, settings, clock), sampler(floor, settings, clock), settings)


Sampler = Callable[[], float]
"""Takes one sample: seconds per call, over as many calls as make the sample long enough."""


def sampler(function: Callable[[], object], settings: Settings, clock: Clock = WALL) -> Sampler:
    """The samples of ``function``, each lasting at least ``settings.sample_seconds``."""
    loops = _loops_for(function, settings.sample_seconds, clock)
    return lambda: _sample(function, loops, clock)


def alternate(ours: Sampler, floor: Sampler, settings: Settings) -> tuple[Stats, Stats]:
    """``settings.repeats`` samples of each side, taking turns so that both see the same
    noise (a side may be sampled in another process: see the established client's case)."""
    ours_times: list[float] = []
    floor_times: list[float] = []
    for _ in range(settings.repeats):
        ours_times.append(ours())
        floor_times.append(floor())
    return Stats.of(ours_times), Stats.of(floor_times)


@contextmanager
def busy_thread() -> Iterator[None]:
    """Another thread of this process computing in Python while the block runs, as in a
    program that reads replies or reports in one thread while others work: the reading must
    not wait on that thread for every element (see ``mms_client.xmlparse.parse_events``)."""
    stop = threading.Event()

    def compute() -> None:
        while not stop.is_set():
            sum(range(1000))

    thread = threading.Thread(target=compute, name="busy", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


# ------------------------------------------------------------------------------ processes


@dataclass(frozen=True)
class ProcessRun:
    wall: float
    """Seconds from start to exit."""
    cpu: float
    """User + system CPU seconds the process used (its own, not a server's it talked to)."""
    done: float
    """Seconds from start to the moment the process said its timed work was over (see
    :func:`run_process`); for a process not asked to say it, its whole run."""


def run_process(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    done_marker: str | None = None,
) -> ProcessRun:
    """Run ``argv`` to its end; a failing run is an error, since a crash would otherwise look
    like a fast start.

    With ``done_marker``, the process must end its standard output with a line of the marker
    and its :func:`time.monotonic` when its timed work was over: what it did is then timed
    without the interpreter's exit, which frees every module and object the work left and
    takes longer the more of them there are (the monotonic clock is the system's, the same in
    every process)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    completed = subprocess.run(
        list(argv), env=None if env is None else dict(env), cwd=cwd, capture_output=True
    )
    elapsed = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv[:3])}... exited with {completed.returncode}: "
            f"{completed.stderr.decode(errors='replace')[-2000:]}"
        )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done_marker is None:
        return ProcessRun(elapsed, cpu, elapsed)
    last = completed.stdout.decode(errors="replace").rstrip("\n").rpartition("\n")[2]
    marker, _, moment = last.rpartition(" ")
    if marker != done_marker:
        raise RuntimeError(f"{' '.join(argv[:3])}... did not end with {done_marker!r}: {last!r}")
    return ProcessRun(elapsed, cpu, float(moment) - started)


@dataclass(frozen=True)
class ProcessTimes:
    wall: Stats
    cpu: Stats
    done: Stats
    """Until the process said its work was over (the whole process where it was not asked
    to say it, see :func:`time_processes`)."""


def time_processes(
    commands: Mapping[str, Sequence[str]],
    settings: Settings,
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    done_marker: str | None = None,
    saying_done: Collection[str] = (),
) -> dict[str, ProcessTimes]:
    """Time whole processes, taking turns between ``commands`` so that all see the same
    noise, after one untimed run of each (which writes bytecode caches, like any second start
    of an installed program). The commands named in ``saying_done`` also say when their
    work was over (``done_marker``, see :func:`run_process`)."""

    def run(name: str) -> ProcessRun:
        marker = done_marker if name in saying_done else None
        return run_process(commands[name], env=env, cwd=cwd, done_marker=marker)

    for name in commands:
        run(name)
    runs: dict[str, list[ProcessRun]] = {name: [] for name in commands}
    for _ in range(settings.process_repeats):
        for name in commands:
            runs[name].append(run(name))
    return {
        name: ProcessTimes(
            wall=Stats.of([run.wall for run in measured]),
            cpu=Stats.of([run.cpu for run in measured]),
            done=Stats.of([run.done for run in measured]),
        )
        for name, measured in runs.items()
    }


def whole_process_details(
    times: Mapping[str, ProcessTimes], names: Sequence[str]
) -> dict[str, float]:
    """The whole processes of ``names``, exit included, as a result's details: beside a
    figure taken until the processes said they were done."""
    return {f"{name}_whole_process_median_s": times[name].wall.median for name in names}
