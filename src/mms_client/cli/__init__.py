"""The ``mms`` command: every MMS operation (``mms ops``, ``mms call``), the simulator
(``mms sim serve``) and a guided demo (``mms demo``).

Subcommands import what they need when they run, so ``mms --help`` stays instant.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any, NoReturn

import click

from mms_client.cli.call import call, ops
from mms_client.cli.demo import demo
from mms_client.cli.sim import sim
from mms_client.errors import NO_ROOM


class _Commands(click.Group):
    """The subcommands, with output that cannot be written (a full disk, ``> /dev/full``)
    reported as an error of the command rather than a traceback; click already ends quietly
    when the reader of a pipe goes away.

    Stopped with SIGTERM (a terminal closed, a job cancelled, a service manager stopping it),
    a command unwinds as it does on Ctrl+C, so what it was making goes with it: the hidden
    partial file of a download and the folders made for it, the demo's simulator and its
    temporary folder. The signal's default action would end the process on the spot.
    """

    def invoke(self, ctx: click.Context) -> Any:
        # signals reach the main thread only, and only there may a handler be set: a command
        # run from another thread (a program calling main) is stopped as its program is
        on_main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _exit_on_sigterm) if on_main_thread else None
        try:
            return super().invoke(ctx)
        except OSError as exc:
            if exc.errno not in NO_ROOM:
                raise
            raise click.ClickException(f"cannot write: {exc.strerror}") from None
        finally:
            if on_main_thread:
                signal.signal(signal.SIGTERM, previous)


def _exit_on_sigterm(signal_number: int, _frame: FrameType | None) -> NoReturn:
    raise SystemExit(128 + signal_number)  # the status a shell gives a process it terminated


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mms_client", prog_name="mms")
def main() -> None:
    """Client tools for the EPRX Market Management System (MMS)."""


main.add_command(ops)
main.add_command(call)
main.add_command(sim)
main.add_command(demo)
