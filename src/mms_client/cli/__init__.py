"""The ``mms`` command: every MMS operation (``mms ops``, ``mms call``), the simulator
(``mms sim serve``) and a guided demo (``mms demo``).

Subcommands import what they need when they run, so ``mms --help`` stays instant.
"""

from __future__ import annotations

import errno
from typing import Any

import click

from mms_client.cli.call import call, ops
from mms_client.cli.demo import demo
from mms_client.cli.sim import sim

_FULL = frozenset(
    getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EFBIG") if hasattr(errno, name)
)
"""Errors of output that cannot be written (a quota is not known everywhere)."""


class _Commands(click.Group):
    """The subcommands, with output that cannot be written (a full disk, ``> /dev/full``)
    reported as an error of the command rather than a traceback; click already ends quietly
    when the reader of a pipe goes away."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OSError as exc:
            if exc.errno not in _FULL:
                raise
            raise click.ClickException(f"cannot write: {exc.strerror}") from None


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mms_client", prog_name="mms")
def main() -> None:
    """Client tools for the EPRX Market Management System (MMS)."""


main.add_command(ops)
main.add_command(call)
main.add_command(sim)
main.add_command(demo)
