"""Where the commands print: a rich console that ends the command as a shell expects when the
reader of its output goes away (``mms call ... | head``), and a standard error that drops what
it cannot take.

rich ends the program with status 1 when its reader goes away, which the commands give a
refusal by the MMS (see :mod:`mms_client.cli.status`): a job running under ``set -o pipefail``
would take a listing cut short by ``head`` for a refusal. A command ends instead with the
status a shell gives a process that SIGPIPE ended, as the usual tools do.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, NoReturn, TextIO

from rich.console import Console

from mms_client.cli.status import READER_GONE


def reader_gone() -> NoReturn:
    """End the command whose reader went away: what it still writes goes nowhere (so that
    flushing at exit does not fail again), with the status of :data:`READER_GONE`."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    raise SystemExit(READER_GONE)


class _Output(Console):
    def on_broken_pipe(self) -> None:
        reader_gone()


def output(**options: Any) -> Console:
    """The console a command prints its results on (``options``: rich's)."""
    return _Output(**options)


@contextmanager
def errors_that_cannot_fail() -> Iterator[None]:
    """Standard error, for the time of a command, dropping what it cannot take (a full disk,
    a reader gone): Python would otherwise end the command on the spot with status 1, a
    refusal's, losing the status of the failure whose message could not be written."""
    stream = sys.stderr
    if stream is None:  # closed (2>&-): click and rich write nothing there
        yield
        return
    sys.stderr = _Dropping(stream)
    try:
        yield
    finally:
        sys.stderr = stream


class _Dropping:
    """A text stream that stops writing, quietly, once it cannot; the rest of the stream's
    interface is the stream's."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError:
            self._to_nowhere()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError:
            self._to_nowhere()

    def _to_nowhere(self) -> None:
        # what the stream still holds goes nowhere too, so that flushing it at exit does not
        # fail again
        with suppress(OSError, ValueError):  # ValueError: no descriptor (a test's stream)
            os.dup2(os.open(os.devnull, os.O_WRONLY), self._stream.fileno())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
