"""The ``mms`` command: every MMS operation (``mms ops``, ``mms call``), the simulator
(``mms sim serve``) and a guided demo (``mms demo``).

Subcommands import what they need when they run, so ``mms --help`` stays instant.
"""

from __future__ import annotations

import click

from mms_client.cli.call import call, ops
from mms_client.cli.demo import demo
from mms_client.cli.sim import sim


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mms_client", prog_name="mms")
def main() -> None:
    """Client tools for the EPRX Market Management System (MMS)."""


main.add_command(ops)
main.add_command(call)
main.add_command(sim)
main.add_command(demo)
