"""Where the commands print: a rich console that ends the command as a shell expects when the
reader of its output goes away (``mms call ... | head``).

rich ends the program with status 1 when its reader goes away, which the commands give a
refusal by the MMS (see :mod:`mms_client.cli.status`): a job running under ``set -o pipefail``
would take a listing cut short by ``head`` for a refusal. A command ends instead with the
status a shell gives a process that SIGPIPE ended, as the usual tools do.
"""

from __future__ import annotations

import os
import sys
from typing import Any, NoReturn

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
