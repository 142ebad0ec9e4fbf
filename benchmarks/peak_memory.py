"""The peak resident memory a piece of work takes above what its process held before it.

Linux's high-water mark (``VmHWM``) is reset through ``/proc/self/clear_refs`` right before
the work and read right after, so the process's earlier peaks do not count and no sampling
can miss a short spike. Meant for a fresh process doing one piece of work, since memory that
an earlier piece freed and the allocator kept would be reused without raising the mark.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

AVAILABLE = Path("/proc/self/clear_refs").exists()
"""Whether this system lets a process reset its high-water mark (Linux)."""

T = TypeVar("T")


@dataclass(frozen=True)
class Peak(Generic[T]):
    result: T
    """What the work gave back."""
    baseline_bytes: int
    """The resident memory of the process just before the work."""
    extra_bytes: int
    """The peak resident memory during the work, above :attr:`baseline_bytes`."""


def peak_of(work: Callable[[], T]) -> Peak[T]:
    """Do ``work`` and measure its peak resident memory above the process's baseline."""
    baseline = _status_bytes("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")
    result = work()
    return Peak(result, baseline, _status_bytes("VmHWM") - baseline)


def _status_bytes(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"/proc/self/status has no {field}")
