"""The outputs of a run: a table for people, a JSON file for tools, and what the machine was.

Figures without the machine they were measured on cannot be compared, so the JSON carries a
description of it (CPU, cores, memory, versions of Python and of the libraries doing the heavy
lifting) and the load average before and after the run, which tells whether other work on a
shared machine may have disturbed the figures.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import ssl
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from benchmarks.harness import Result

_LIBRARIES = (
    "pydantic",
    "pydantic-core",
    "lxml",
    "pybase64",
    "cryptography",
    "httpx",
    "uvicorn",
    "tenacity",
)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def load_average() -> tuple[float, float, float] | None:
    try:
        return os.getloadavg()
    except OSError:
        return None


def machine() -> dict[str, object]:
    """A description of the machine and software the figures were measured with."""
    from lxml import etree

    versions: dict[str, str] = {}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    versions["libxml2"] = ".".join(map(str, etree.LIBXML_VERSION))
    versions["openssl"] = ssl.OPENSSL_VERSION
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_bytes": _memory_bytes(),
        "system": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {sys.version.split()[0]}",
        "versions": versions,
    }


def document(
    results: Sequence[Result],
    *,
    quick: bool,
    started: dt.datetime,
    load_before: tuple[float, float, float] | None,
    errors: Sequence[str],
) -> dict[str, object]:
    """The machine-readable record of a run."""
    return {
        "date": started.isoformat(timespec="seconds"),
        "quick": quick,
        "machine": machine(),
        "load_average": {"before": load_before, "after": load_average()},
        "results": [result.to_json() for result in results],
        "errors": list(errors),
    }


def write_json(path: Path, content: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------------- table


def _format(value: float, unit: str) -> str:
    if unit == "s":
        if value >= 1:
            return f"{value:.2f} s"
        if value >= 1e-3:
            return f"{value * 1e3:.2f} ms"
        return f"{value * 1e6:.1f} µs"
    if unit == "bytes":
        return f"{value / 2**20:.1f} MiB"
    return f"{value:.1f} {unit}"


def _range(result: Result) -> str:
    ours = result.ours
    return f"{_format(ours.min, result.unit)} .. {_format(ours.max, result.unit)}"


def table(results: Sequence[Result]) -> str:
    """Results as a fixed-width text table (medians, our min..max, ratio, target)."""
    header = ("case", "ours (median)", "ours min .. max", "floor (median)", "ratio", "target")
    rows: list[tuple[str, ...]] = [header]
    for result in results:
        floor = "-" if result.floor is None else _format(result.floor.median, result.unit)
        ratio = "-" if result.ratio is None else f"{result.ratio:.2f}x"
        if result.target is None:
            verdict = ""
        else:
            mark = {True: "met", False: "MISSED", None: "?"}[result.met]
            verdict = f"{result.target.describe()}: {mark}"
        rows.append(
            (
                result.name,
                _format(result.ours.median, result.unit),
                _range(result),
                floor,
                ratio,
                verdict,
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def labels(results: Sequence[Result]) -> str:
    """What "ours" and "floor" mean for each case, printed under the table."""
    lines: dict[tuple[str, str, str | None], str] = {}
    for result in results:
        key = (result.case, result.ours_label, result.floor_label)
        if key not in lines:
            floor = result.floor_label or "none"
            lines[key] = (
                f"{result.case} ({result.measure}): ours = {result.ours_label}; floor = {floor}"
            )
    return "\n".join(lines.values())
