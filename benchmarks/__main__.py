"""Run the benchmarks: ``python -m benchmarks [--quick] [--case NAME ...] [--n N ...]``.

Prints a table of medians (with our min..max) against the floor of each case and writes the
machine-readable record to ``benchmarks/results/latest.json`` (``--output`` elsewhere). See
docs/benchmarks.md for what each case measures and the figures of the last full run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fnmatch
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from benchmarks.cases import CASES, Case
from benchmarks.environment import REPOSITORY, Environment
from benchmarks.harness import Result, Settings
from benchmarks.report import document, labels, load_average, table, write_json

DEFAULT_OUTPUT = REPOSITORY / "benchmarks" / "results" / "latest.json"


def _document_size(text: str) -> int:
    """An N of ``--n``: a document of no offers measures nothing, and one below that cannot
    be made, so either is refused here rather than found by a case half-way through a run."""
    try:
        size = int(text)
    except ValueError:
        size = 0
    if size < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a whole number of at least 1")
    return size


def _arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure mms_client against lxml/cryptography/bare-server floors.",
    )
    parser.add_argument(
        "--case",
        action="append",
        metavar="NAME",
        help="run only these cases (repeatable; shell wildcards allowed, e.g. 'parse*')",
    )
    parser.add_argument(
        "--n",
        action="append",
        type=_document_size,
        metavar="N",
        help="document sizes for the document cases (repeatable; default 1 10 100 1000)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="few repetitions: a smoke run, not figures"
    )
    parser.add_argument(
        "--in-process", action="store_true", help="only the cases that start no process"
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON result file")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    return parser.parse_args(argv)


def _selected(patterns: Sequence[str] | None, in_process_only: bool) -> list[Case]:
    chosen = [
        case
        for case in CASES
        if (patterns is None or any(fnmatch.fnmatchcase(case.name, p) for p in patterns))
        and (case.in_process or not in_process_only)
    ]
    if not chosen:
        names = ", ".join(case.name for case in CASES)
        raise SystemExit(f"no case matches; the cases are: {names}")
    return chosen


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _arguments(sys.argv[1:] if argv is None else argv)
    if arguments.list:
        for case in CASES:
            where = "in-process" if case.in_process else "processes/network"
            print(f"{case.name:18} {where:18} {case.summary}")
        return 0
    cases = _selected(arguments.case, arguments.in_process)
    settings = Settings(
        quick=arguments.quick,
        sizes=tuple(arguments.n) if arguments.n else Settings().sizes,
    )
    started = dt.datetime.now(dt.UTC)
    load_before = load_average()
    results: list[Result] = []
    errors: list[str] = []
    with Environment() as environment:
        for case in cases:
            print(f"{case.name}: {case.summary}", flush=True)
            began = time.perf_counter()
            try:
                for result in case.run(settings, environment):
                    results.append(result)
                    print(f"  {result.name}: done", flush=True)
            except Exception as exc:  # one broken case must not lose the others' figures
                errors.append(f"{case.name}: {type(exc).__name__}: {exc}")
                traceback.print_exc()
            print(f"  ({time.perf_counter() - began:.1f} s)", flush=True)
    print()
    print(table(results))
    print()
    print(labels(results))
    for result in results:
        for note in result.notes:
            print(f"note: {result.name}: {note}")
        for key, value in result.details.items():
            print(f"detail: {result.name}: {key} = {value:.6g}")
    for error in errors:
        print(f"error: {error}")
    write_json(
        arguments.output,
        document(
            results,
            quick=arguments.quick,
            started=started,
            load_before=load_before,
            errors=errors,
        ),
    )
    print(f"\nresults written to {arguments.output}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
