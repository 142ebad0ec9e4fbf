"""The ``mms`` command: every MMS operation (``mms ops``, ``mms call``), the simulator
(``mms sim serve``) and a guided demo (``mms demo``).

Subcommands import what they need when they run, so ``mms --help`` stays instant.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, NoReturn

import click

from mms_client.cli.call import call, ops
from mms_client.cli.demo import demo
from mms_client.cli.sim import sim
from mms_client.cli.status import (
    INTERRUPTED,
    TERMINATED,
    UNWRITTEN,
    Failure,
    failure,
    unwritable,
)
from mms_client.cli.streams import reader_gone, stderr_dropping_failures
from mms_client.errors import NO_ROOM, MMSError


class _Commands(click.Group):
    """The subcommands, ending with the statuses of :mod:`mms_client.cli.status`: an error of
    the library is reported in one line with the status of its kind, rather than as a
    traceback, and so is output that cannot be written (a full disk, ``> /dev/full``, a closed
    standard output), the help included; click already ends quietly when the reader of a pipe
    goes away.

    Stopped with SIGTERM (a terminal closed, a job cancelled, a service manager stopping it),
    a command unwinds as it does on Ctrl+C, so what it was making goes with it: the hidden
    partial file of a download and the folders made for it, the demo's simulator and its
    temporary folder. The signal's default action would end the process on the spot.
    """

    def main(self, *args: Any, **extra: Any) -> Any:
        with stderr_dropping_failures():
            return super().main(*args, **extra)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        # the options are read here, and --help and --version answered
        with _reported():
            if sys.stdout is None:  # started with it closed (>&-): what it prints would be lost
                raise Failure("cannot write: standard output is closed", UNWRITTEN)
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        # signals reach the main thread only, and only there may a handler be set: a command
        # run from another thread (a program calling main) is stopped as its program is
        on_main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _exit_on_sigterm) if on_main_thread else None
        try:
            with _reported():
                return super().invoke(ctx)
        finally:
            if on_main_thread:
                signal.signal(signal.SIGTERM, previous)


@contextmanager
def _reported() -> Iterator[None]:
    """Ends the command with the status its failure calls for (see
    :mod:`mms_client.cli.status`)."""
    try:
        yield
    except MMSError as error:
        raise failure(error) from None
    except BrokenPipeError:  # the reader of the output went away, while click wrote to it
        reader_gone()
    except OSError as exc:
        if exc.errno not in NO_ROOM:
            raise
        raise unwritable(exc) from None
    except (KeyboardInterrupt, click.Abort) as exc:  # Ctrl+C, or at a prompt Ctrl+C or Ctrl+D
        # click's own words, with the status a shell gives a process that SIGINT ended
        # rather than click's 1, which is a refusal's; a prompt has begun a line already
        click.echo("Aborted!" if isinstance(exc, click.Abort) else "\nAborted!", err=True)
        raise SystemExit(INTERRUPTED) from None


def _exit_on_sigterm(_signal_number: int, _frame: FrameType | None) -> NoReturn:
    raise SystemExit(TERMINATED)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mms_client", prog_name="mms")
def main() -> None:
    """Client tools for the EPRX Market Management System (MMS)."""


main.add_command(ops)
main.add_command(call)
main.add_command(sim)
main.add_command(demo)
