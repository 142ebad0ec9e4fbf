"""The benchmark harness still runs: its quickest in-process mode yields a well-formed record,
and a process that says when its work is done is timed until then.

Only the shape of the record and the order of moments are checked, never a timing: speed is
measured by running the benchmarks (see docs/benchmarks.md), not by the test suite.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent
WITH_TARGETS = {"serialize_sign[n=1]", "write_sign[n=1]", "parse_judge[n=1]"}
IN_PROCESS_CASES = WITH_TARGETS | {"report_rows[n=1]"}


def _figures_are_valid(figures: dict[str, float]) -> bool:
    values = [figures[key] for key in ("median", "min", "max")]
    return all(isinstance(v, float) and math.isfinite(v) and v > 0 for v in values) and (
        figures["min"] <= figures["median"] <= figures["max"]
    )


def benchmarks(*arguments: str) -> subprocess.CompletedProcess[str]:
    """``python -m benchmarks`` with ``arguments``, run as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", *arguments],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_quick_in_process_run_writes_a_complete_record(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    completed = benchmarks("--quick", "--in-process", "--n", "1", "--output", str(output))
    assert completed.returncode == 0, completed.stdout + completed.stderr

    record = json.loads(output.read_text("utf-8"))
    assert record["quick"] is True
    assert record["errors"] == []
    assert record["machine"]["cores"] >= 1
    results = {result["name"]: result for result in record["results"]}
    assert set(results) == IN_PROCESS_CASES
    for name, result in results.items():
        assert result["unit"] == "s", name
        assert _figures_are_valid(result["ours"]), name
        assert _figures_are_valid(result["floor"]), name
        assert result["ratio"] == result["ours"]["median"] / result["floor"]["median"], name
        if name in WITH_TARGETS:
            assert result["target"], name
            assert isinstance(result["met"], bool), name
        else:
            assert result["target"] is None and result["met"] is None, name
        # the floor does the same job: our payload is byte for byte the floor's C14N, and
        # every row of the report was read
        assert result["notes"] == [], name
    # reading a reply is set against the least a typed reading costs, which read the same
    # document (the case fails otherwise)
    assert results["parse_judge[n=1]"]["details"]["typed_floor_to_floor_ratio"] > 0
    assert results["report_rows[n=1]"]["details"]["with_a_busy_thread_to_floor_ratio"] > 0
    # every case is also in the printed table
    for name in IN_PROCESS_CASES:
        assert name in completed.stdout


def test_a_process_is_timed_until_it_says_its_work_is_done() -> None:
    from benchmarks.harness import run_process

    # the work is over before the process sleeps on its way out: its exit is not counted
    said = "import time; print('a line of its own'); print('done at', time.monotonic()); "
    run = run_process([sys.executable, "-c", said + "time.sleep(0.2)"], done_marker="done at")
    assert 0 < run.done < run.wall - 0.2
    # a process that does not say it is an error, not a figure of its whole run
    with pytest.raises(RuntimeError, match="did not end with 'done at'"):
        run_process([sys.executable, "-c", "print('finished')"], done_marker="done at")
    silent = run_process([sys.executable, "-c", "pass"])
    assert silent.done == silent.wall


@pytest.mark.parametrize("size", ["0", "-5"])
def test_a_document_size_below_one_is_refused_naming_the_option(tmp_path: Path, size: str) -> None:
    """A document of no offers measures nothing, and a negative count is a typo: either is
    refused before any case runs, as argparse refuses what is not a number."""
    output = tmp_path / "results.json"
    completed = benchmarks("--case", "serialize_sign", "--n", size, "--output", str(output))
    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert f"argument --n: {size} is not a whole number of at least 1" in completed.stderr
    assert "Traceback" not in completed.stderr and not output.exists()
