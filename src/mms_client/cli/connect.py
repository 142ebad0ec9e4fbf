"""How the ``mms`` commands that talk to an MMS get their client.

Two ways to say whom to talk to, as whom:

- a simulator: ``--sim-state DIR`` (default: the folder ``mms sim serve`` uses, when it holds a
  manifest) and ``--as BSP|MO|TSO``; the manifest gives the address, the CA and a user's
  certificate (the seeded one of that client type, or the participant's with
  ``--participant``), and the folder's lock says whether its simulator runs;
- any MMS: ``--cert FILE.p12`` with ``--participant``, ``--user`` and ``--client-type``, and
  ``--base-url`` (default: the published production hosts, or the test host with ``--test``).
  The passphrase comes from the environment variable named by ``--passphrase-env`` (default
  ``MMS_CERT_PASSPHRASE``) or is asked for without echo; it is never printed or logged.

An option that has no effect the way it is given (``--client-type`` with a simulator, ``--as``
or ``--sim-state`` with ``--cert``...) is a usage error: ignored, it would leave the user
believing it took effect.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from click.core import ParameterSource

from mms_client.cli.sim import STATE_VARIABLE, state_folder

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mms_client.client import ClientOptions, MmsClient
    from mms_client.plugins import Plugin

F = TypeVar("F", bound=Callable[..., Any])

CLIENT_TYPES = click.Choice(["BSP", "MO", "TSO"])
PASSPHRASE_VARIABLE = "MMS_CERT_PASSPHRASE"
CA_ADVICE = "pass the CA bundle that issued it with --ca"
"""What to do about a server certificate that only the CA bundle that issued it would verify:
the library's advice names its ``verify=``, which a user of the command has no way to give."""
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Connection:
    """The connection options as given on the command line."""

    sim_state: Path | None
    acting_as: str | None
    cert: Path | None
    passphrase_env: str
    participant: str | None
    user: str | None
    client_type: str | None
    base_url: str | None
    backup_url: str | None
    ca: Path | None
    test: bool
    timeout: float

    def client(self, plugins: Sequence[Plugin] = ()) -> MmsClient:
        """A client for these options, with ``plugins``; :class:`click.UsageError` when they
        do not add up, a :class:`~mms_client.cli.status.Failure` when no simulator serves the
        state folder, :class:`~mms_client.errors.SimulatorStateError` when its manifest is
        damaged."""
        if self.cert is not None:
            return self._certificate_client(self.cert, plugins)
        return self._simulator_client(plugins)

    def _certificate_client(self, cert: Path, plugins: Sequence[Plugin]) -> MmsClient:
        from mms_client.client import MmsClient
        from mms_client.endpoints import check_addresses
        from mms_client.errors import ConfigurationError
        from mms_client.exchange import name_rule
        from mms_client.security.certs import Certificate

        _check_certificate_file(cert, self.passphrase_env)
        missing = [
            option
            for option, value in (
                ("--participant", self.participant),
                ("--user", self.user),
                ("--client-type", self.client_type),
            )
            if not value
        ]
        if missing:
            raise click.UsageError(f"--cert needs {', '.join(missing)} as well")
        if self.acting_as is not None:
            raise click.UsageError(
                "--as picks a user of a simulator; with --cert, --client-type says the type"
            )
        if self.sim_state is not None:
            raise click.UsageError(
                "--sim-state names a simulator to talk to; with --cert, --base-url says where "
                "the MMS is"
            )
        for option, name in (("--participant", self.participant), ("--user", self.user)):
            rule = name_rule(option.removeprefix("--"), name)
            if rule is not None:  # refused when the client is built, after the passphrase
                raise click.BadParameter(f"{name!r} {rule}", param_hint=option)
        try:  # before the passphrase is asked for
            check_addresses(
                self.test,
                self.base_url,
                self.backup_url,
                ("--test", "--base-url", "--backup-url"),
            )
        except ConfigurationError as exc:
            raise click.UsageError(str(exc)) from None
        passphrase = os.environ.get(self.passphrase_env)
        if passphrase is None:
            if self.passphrase_env != PASSPHRASE_VARIABLE:
                # not named: a passphrase of letters, digits and _ alone, given in the name's
                # place, looks like one (as most of the simulator's do)
                raise click.BadParameter(
                    "no environment variable of the name given is set (the name is not "
                    "repeated: it may be the passphrase itself); set it, or name the variable "
                    "that holds the passphrase",
                    param_hint="--passphrase-env",
                )
            # no terminal: a job, a pipe, or standard input closed (<&-), when there is none
            if sys.stdin is None or not sys.stdin.isatty():
                raise click.UsageError(
                    f"the passphrase of {cert.name} is asked for on a terminal, and there is "
                    f"none: set {PASSPHRASE_VARIABLE}"
                )
            passphrase = click.prompt(
                f"Passphrase of {cert.name}", hide_input=True, default="", show_default=False
            )
        assert self.participant and self.user and self.client_type
        return MmsClient(
            domain="mms-cli.local",
            participant=self.participant,
            user=self.user,
            client_type=self.client_type,
            cert=Certificate(cert, passphrase),
            plugins=plugins,
            test=self.test,
            base_url=self.base_url,
            backup_url=self.backup_url,
            verify=str(self.ca) if self.ca is not None else True,
            timeout=self.timeout,
        )

    def _simulator_client(self, plugins: Sequence[Plugin]) -> MmsClient:
        from mms_client.cli.sim import default_state_dir
        from mms_client.cli.status import UNANSWERED, Failure
        from mms_client.client import MmsClient
        from mms_client.sim.manifest import MANIFEST_NAME, Manifest
        from mms_client.sim.state import StateLock

        for_certificate = [
            option
            for option, given in (
                ("--client-type", self.client_type is not None),
                ("--test", self.test),
                ("--passphrase-env", self.passphrase_env != PASSPHRASE_VARIABLE),
            )
            if given
        ]
        if for_certificate:
            raise click.UsageError(
                f"without --cert there is no use for {', '.join(for_certificate)}: a "
                "simulator's user is picked with --as, --participant and --user"
            )
        folder = self.sim_state if self.sim_state is not None else default_state_dir()
        if not (folder / MANIFEST_NAME).is_file():
            # a folder named here is where to start it: a bare `mms sim serve` would start
            # one on the default folder, which this call does not read
            start = (
                "start one with `mms sim serve`, pass --sim-state"
                if self.sim_state is None
                else f"start one there with `mms sim serve --state {shlex.quote(str(folder))}`"
            )
            raise click.UsageError(
                f"no simulator manifest in {folder}; {start}, or give --cert (with "
                "--participant, --user, --client-type) to talk to an MMS"
            )
        # with the manifest's own address, a folder no simulator serves has nothing to
        # connect to: that is said at once, rather than after retries that cannot succeed
        if self.base_url is None and StateLock(folder).free():
            raise Failure(
                f"no simulator is serving the state folder {folder} now; start it with "
                f"`mms sim serve --state {shlex.quote(str(folder))}`",
                UNANSWERED,
            )
        options: ClientOptions = {
            "domain": "mms-cli.local",
            "timeout": self.timeout,
            "plugins": plugins,
        }
        if self.base_url:
            options["base_url"] = self.base_url
        # the manifest's backup is the backup of its own address: another goes without it
        if self.backup_url or self.base_url is not None:
            options["backup_url"] = self.backup_url
        if self.ca:
            options["verify"] = str(self.ca)
        manifest = Manifest.load(folder)  # a SimulatorStateError when it is damaged
        try:
            arguments = manifest.client_arguments(
                self.acting_as or "BSP", self.participant, self.user, **options
            )
        except LookupError as exc:  # the simulator has no such user
            raise click.UsageError(str(exc)) from None
        return MmsClient(**arguments)


def _check_certificate_file(cert: Path, passphrase_env: str) -> None:
    """Refuse a ``cert`` that names no file, naming it, unless it is the passphrase that the
    variable ``passphrase_env`` holds, given in the file's place: that is not repeated, which
    a terminal, a log or the record of a job would keep. Checked here rather than by click,
    which names a missing file before the passphrase's variable is known."""
    if cert.exists():
        return
    passphrase = os.environ.get(passphrase_env)
    if passphrase is not None and Path(passphrase) == cert:
        raise click.BadParameter(
            f"names no file, and is the passphrase that {passphrase_env} holds (not repeated "
            "here): name the PKCS#12 file",
            param_hint="--cert",
        )
    raise click.BadParameter(f"File {str(cert)!r} does not exist.", param_hint="--cert")


def _checked_url(context: click.Context, parameter: click.Parameter, url: str | None) -> str | None:
    """``url`` checked as the client checks it, with the option named in the message."""
    from mms_client.endpoints import check_base_url
    from mms_client.errors import ConfigurationError

    if url is not None:
        try:
            check_base_url(url, parameter.opts[0])
        except ConfigurationError as exc:
            raise click.UsageError(str(exc)) from None
    return url


def _checked_timeout(context: click.Context, parameter: click.Parameter, seconds: float) -> float:
    """``seconds`` checked as the client checks its ``timeout``, with the option named: a
    range of the option's own would let NaN through, which every comparison calls false, and
    hold a bound of its own beside the client's."""
    from mms_client.errors import ConfigurationError
    from mms_client.transport import TransportSettings

    try:
        TransportSettings(timeout=seconds)
    except ConfigurationError as exc:
        raise click.BadParameter(str(exc), param_hint="--timeout") from None
    return seconds


def _readable_bundle(
    context: click.Context, parameter: click.Parameter, path: Path | None
) -> Path | None:
    """``path`` checked to be readable, beyond click's look at its permissions: a file that
    cannot be read all the same (an I/O error, a file of /proc) failed only when the client
    loaded it, in the library's words, which name ``verify=``, no option of the command."""
    if path is not None:
        try:
            with path.open("rb") as bundle:
                bundle.read(1)
        except OSError as exc:
            raise click.BadParameter(f"cannot read {path}: {exc.strerror}") from None
    return path


def _variable_name(context: click.Context, parameter: click.Parameter, name: str) -> str:
    """``name`` checked to be the name of an environment variable. What is not one may be the
    passphrase itself, given by mistake: it is not repeated in the error, which a terminal,
    a log or the record of a job would keep."""
    if not _VARIABLE_NAME.fullmatch(name):
        raise click.BadParameter(
            "the value given is not the name of an environment variable (letters, digits and "
            "_, not starting with a digit); name the variable that holds the passphrase",
            param_hint="--passphrase-env",
        )
    return name


def connection_options(command: F) -> F:
    """Add the connection options to ``command``; it receives them as ``connection``."""
    options = [
        click.option(
            "--sim-state",
            type=click.Path(file_okay=False),
            callback=state_folder,
            envvar=STATE_VARIABLE,
            help="State folder of a simulator; also MMS_SIM_STATE  [default: that of "
            "`mms sim serve`]",
        ),
        click.option(
            "--as",
            "acting_as",
            type=CLIENT_TYPES,
            help="With a simulator: act as its user of this client type (default BSP; with "
            "--example, the user the example is written for).",
        ),
        click.option(
            "--cert",
            # whether it exists is checked with the passphrase: see _check_certificate_file
            type=click.Path(dir_okay=False, path_type=Path),
            help="PKCS#12 certificate (instead of a simulator).",
        ),
        click.option(
            "--passphrase-env",
            default=PASSPHRASE_VARIABLE,
            show_default=True,
            callback=_variable_name,
            help="Name of the environment variable holding the certificate's passphrase (else "
            "prompted).",
        ),
        click.option("--participant", help="Participant name (with a simulator: pick a user)."),
        click.option(
            "--user", help="User name (with --cert; with a simulator: pick a participant's user)."
        ),
        click.option("--client-type", type=CLIENT_TYPES, help="Client type (with --cert)."),
        click.option(
            "--base-url",
            callback=_checked_url,
            help="https://host[:port][/prefix] of the MMS, which the service path follows "
            "(default: published).",
        ),
        click.option(
            "--backup-url",
            callback=_checked_url,
            help="Backup address: with --base-url, or in place of a simulator's backup.",
        ),
        click.option(
            "--ca",
            type=click.Path(dir_okay=False, exists=True, path_type=Path),
            callback=_readable_bundle,
            help="CA bundle that verifies the server.",
        ),
        click.option("--test", is_flag=True, help="Use the MMS test environment."),
        click.option(
            "--timeout",
            type=float,
            metavar="SECONDS",
            default=60.0,
            show_default=True,
            callback=_checked_timeout,
            help="Seconds per attempt (at most a week).",
        ),
    ]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> Any:
        given = {field.name: kwargs.pop(field.name) for field in fields(Connection)}
        # MMS_SIM_STATE says where the simulator is whenever one is talked to: beside --cert
        # it goes unused, as --sim-state, which says to talk to one, may not
        source = click.get_current_context().get_parameter_source("sim_state")
        if given["cert"] is not None and source is ParameterSource.ENVIRONMENT:
            given["sim_state"] = None
        return command(connection=Connection(**given), **kwargs)

    decorated: Any = wrapper
    for option in reversed(options):
        decorated = option(decorated)
    return decorated  # type: ignore[no-any-return]
