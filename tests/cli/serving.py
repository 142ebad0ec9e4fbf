"""Running ``mms sim serve`` as a user runs it, for the tests that talk to it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mms_client.schema.files import Schema
from mms_client.sim.manifest import Manifest

EMPTY_XSD = '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>'


def schema_folder(path: Path, broken: str) -> Path:
    """A schema folder at ``path`` with every XSD the simulator reads, all empty schemas but
    the file ``broken`` (``omi.xsd``), which is not XML."""
    (path / "xsd").mkdir(parents=True)
    for schema in Schema:
        text = "not xml" if schema.file_name == broken else EMPTY_XSD
        (path / "xsd" / schema.file_name).write_text(text)
    return path


def interruptible() -> None:
    """Give the command the default SIGINT disposition, as it has in a terminal.

    A test run started as a background job of a non-interactive shell ignores SIGINT, and a
    child inherits that; Python then never turns SIGINT into ``KeyboardInterrupt``, rightly,
    since Ctrl+C is not meant for background jobs. Ctrl+C is what is tested here.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(state: Path, columns: int = 200, *options: str) -> tuple[subprocess.Popen[str], str]:
    """Starts the command on ``state``, its output ``columns`` wide, with further
    ``options`` (which win over the ones given here), and waits until it serves; the process
    and what it printed."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mms_client.cli",
            "sim",
            "serve",
            "--port",
            "0",
            "--backup-port",
            "0",
            "--state",
            str(state),
            "--log-level",
            "warning",
            *options,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": str(columns)},
        preexec_fn=interruptible,
    )
    assert process.stdout is not None
    output = []
    for line in process.stdout:
        output.append(line)
        if "Press Ctrl+C to stop" in line:
            return process, "".join(output)
    process.wait()
    raise AssertionError("the simulator did not start:\n" + "".join(output))


@contextmanager
def serving(state: Path, columns: int = 200, *options: str) -> Iterator[tuple[Manifest, str]]:
    """Runs the command until the block ends, then stops it as Ctrl+C would."""
    process, output = start(state, columns, *options)
    try:
        yield Manifest.load(state), output
    finally:
        process.send_signal(signal.SIGINT)
        try:
            rest, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired as exc:
            process.kill()
            process.communicate()
            raise AssertionError("the simulator did not stop within 30 s of SIGINT") from exc
    assert process.returncode == 0, output + rest
    assert "state kept in" in rest
