"""Report files: their typed rows read from the file, alone and beside a busy thread.

Users pull award and report data with thousands of rows. The library hands them out one at a
time, each validated into its dataset's model (:func:`mms_client.reports.iter_xml`); the floor
parses the same file with lxml and reads every row's attributes into plain dicts. The report
lists the stacks of the n offers of the document cases, a row each, so ``--n`` sizes it too.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from benchmarks import documents, floors
from benchmarks.harness import CPU, WALL, Result, Settings, busy_thread, compare


def report_rows(settings: Settings) -> Iterator[Result]:
    """``reports.iter_xml`` of a ``BSP_Offers`` report of n offers' stacks, against lxml."""
    from mms_client import reports

    for size in settings.sizes:
        rows = size * documents.STACKS_PER_OFFER
        data = documents.offers_report(rows)

        def ours(data: bytes = data) -> list[Any]:
            return list(reports.iter_xml(io.BytesIO(data)))

        def floor(data: bytes = data) -> list[floors.Row]:
            return floors.parse_to_dicts(data)

        read = len(ours())
        notes = [] if read == rows else [f"{read} rows read instead of {rows}"]
        ours_stats, floor_stats = compare(ours, floor, settings, CPU)
        # elapsed time, since the process's CPU time would count the busy thread's too
        with busy_thread():
            busy_stats, busy_floor = compare(ours, floor, settings, WALL)
        yield Result(
            case="report_rows",
            params={"n": size},
            unit="s",
            ours=ours_stats,
            floor=floor_stats,
            ours_label=(
                f"reports.iter_xml of a BSP_Offers report file of {rows} rows ({len(data)} "
                "bytes): every row validated into its model"
            ),
            floor_label="lxml parse of the file + every element's attributes into dicts",
            measure="CPU time per call",
            notes=notes,
            details={"with_a_busy_thread_to_floor_ratio": busy_stats.median / busy_floor.median},
        )
