"""The rich console the commands print their results on, which ends the command as a shell
expects when the reader of its output goes away (``mms call ... | head``): rich would end it
with status 1, a refusal's (see :mod:`mms_client.cli.streams`)."""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console

from mms_client.cli.streams import escaping, reader_gone


class _Output(Console):
    def on_broken_pipe(self) -> None:
        reader_gone()


def output(**options: Any) -> Console:
    """The console a command prints its results on (``options``: rich's), standard output
    with what its encoding cannot carry written as escapes."""
    return _Output(file=escaping(sys.stdout), **options)
