"""``mms sim``: run the local MMS simulator.

The state folder defaults to the user's data folder (``~/.local/share/mms-client/simulator``
on Linux, the platform's equivalent elsewhere; ``MMS_SIM_STATE`` overrides it), so the test PKI
and everything submitted survive restarts wherever the command is started from.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console

    from mms_client.sim.simulator import Simulator

SignalHandler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None
"""What ``signal.signal`` takes and gives back: a function, or what the system does."""


STATE_VARIABLE = "MMS_SIM_STATE"
"""The environment variable that names the state folder in place of the option."""


def default_state_dir() -> Path:
    """Where ``mms sim serve`` keeps its state unless told otherwise. Taken when neither the
    option nor :data:`STATE_VARIABLE` names a folder; click takes a variable set but empty
    (``MMS_SIM_STATE=$DIR`` with DIR unset) for one not set, so that is refused here, as an
    empty option is: the default in its place would serve, or look for, another
    simulator than the one meant."""
    from platformdirs import user_data_dir

    if os.environ.get(STATE_VARIABLE) == "":
        raise click.BadParameter(
            "is set but empty; name the simulator's state folder in it, or unset it",
            param_hint=STATE_VARIABLE,
        )

    return Path(user_data_dir("mms-client", appauthor=False)) / "simulator"


def state_folder(
    context: click.Context, parameter: click.Parameter, folder: str | None
) -> Path | None:
    """The state folder ``folder`` names, read as given: a Path would make an empty value (an
    unset ``$DIR``) the current folder, which ``mms sim serve`` would fill with its PKI and
    state."""
    if folder == "":
        raise click.BadParameter("is empty; name the simulator's state folder")
    return None if folder is None else Path(folder)


@click.group()
def sim() -> None:
    """The local MMS simulator."""


def _checked_limit(
    context: click.Context, parameter: click.Parameter, value: float | None
) -> float | None:
    """``value`` checked as the simulator checks the limit the option sets (the option's
    name in Python is the limit's), with the option named: a range of the option's own
    would let NaN through, which every comparison calls false, and the simulator's error
    would name its limit (``request_timeout``), which is no option of the command."""
    from mms_client.sim.server import LIMIT_RULE, ServerLimits

    assert parameter.name is not None
    if value is not None and not ServerLimits.allows(parameter.name, value):
        raise click.BadParameter(f"{LIMIT_RULE}, not {value}")
    return value


def _clock_time(
    context: click.Context, parameter: click.Parameter, text: str | None
) -> datetime | None:
    """The time ``--clock`` names, as the simulator's clock takes it (ISO text, without an
    offset in Japan time), or the option refused saying what it takes."""
    from mms_client.errors import ConfigurationError
    from mms_client.sim.clock import clock_time

    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is no ISO date and time; give one as 2024-04-01T09:00 (Japan time "
            "without an offset)"
        ) from None
    try:
        return clock_time(moment)
    except ConfigurationError as exc:
        raise click.BadParameter(str(exc)) from None


@sim.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; 0.0.0.0 (IPv4) or :: (IPv6 and IPv4) serves other machines "
    "(by this one's name or address).",
)
@click.option(
    "--port",
    default=8443,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port of the main address (0: any free port).",
)
@click.option(
    "--backup-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Also listen here, as the MMS's backup host (same state).",
)
@click.option(
    "--state",
    "state_dir",
    type=click.Path(file_okay=False),
    callback=state_folder,
    envvar=STATE_VARIABLE,
    default=None,
    help="State folder (PKI, SQLite, manifest); also MMS_SIM_STATE  [default: the user data "
    "folder]",
)
@click.option(
    "--mtom", is_flag=True, help="Send response payloads as MTOM parts instead of inline base64."
)
@click.option(
    "--max-connections",
    type=int,
    callback=_checked_limit,
    help="Connections each address serves at once; more are answered HTTP 503  [default: 256]",
)
@click.option(
    "--handshake-timeout",
    type=float,
    callback=_checked_limit,
    metavar="SECONDS",
    help="Time a client has to complete the TLS handshake  [default: 10]",
)
@click.option(
    "--head-timeout",
    "request_timeout",
    type=float,
    callback=_checked_limit,
    metavar="SECONDS",
    help="Time a client has to send each request head (request line and headers)  [default: 30]",
)
@click.option(
    "--clock",
    callback=_clock_time,
    metavar="TIME",
    help="Start the simulator's clock at this time (2024-04-01T09:00, Japan time without an "
    "offset), from which it runs on: what it stamps and judges by its time follows it  "
    "[default: the real time]",
)
@click.option(
    "--frozen-clock",
    "frozen",
    is_flag=True,
    help="Keep the clock standing at --clock's time instead of running on: every time the "
    "simulator stamps is that one, the same on every run",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
def serve(
    host: str,
    port: int,
    backup_port: int | None,
    state_dir: Path | None,
    mtom: bool,
    max_connections: int | None,
    handshake_timeout: float | None,
    request_timeout: float | None,
    clock: datetime | None,
    frozen: bool,
    log_level: str,
) -> None:
    """Serve the MMS over HTTPS with mutual TLS until interrupted (Ctrl+C).

    On first start a test CA, a server certificate and a PKCS#12 per seeded user are created
    in the state folder, with a manifest (simulator.json) that tells clients where to connect
    and which certificate to use. Users registered later (RegistrationSubmit_User) get their
    PKCS#12 on the next start.
    """
    from rich.console import Console

    from mms_client.cli.logs import log_handler
    from mms_client.cli.status import USAGE, Failure
    from mms_client.cli.streams import to_nowhere
    from mms_client.errors import ConfigurationError
    from mms_client.sim.server import DEFAULT_LIMITS
    from mms_client.sim.service import ResponseEncoding
    from mms_client.sim.simulator import Simulator

    if frozen and clock is None:
        raise click.UsageError("--frozen-clock needs --clock, the time the clock stands at")

    class ServerConsole(Console):
        def on_broken_pipe(self) -> None:
            # Whoever read the output has gone (``| grep -m1 listening``, ``| head``). rich
            # would end the program; a server outlives its first reader, printing to nowhere.
            self.quiet = True
            to_nowhere(sys.stdout)

    # lines are never broken by the console: a path, a passphrase or the snippet must survive
    # a narrow terminal or a log file whole, to be copied from it
    console = ServerConsole(soft_wrap=True)
    handler = log_handler(console)
    for name in ("mms_client.sim", "uvicorn.error"):
        logging.getLogger(name).addHandler(handler)
        logging.getLogger(name).setLevel(log_level.upper())
    folder = state_dir if state_dir is not None else default_state_dir()
    # an option left out keeps the simulator's bound (one given is checked already)
    given: dict[str, Any] = {
        "max_connections": max_connections,
        "handshake_timeout": handshake_timeout,
        "request_timeout": request_timeout,
    }
    try:
        limits = replace(DEFAULT_LIMITS, **{k: v for k, v in given.items() if v is not None})
        simulator = Simulator(
            folder,
            host=host,
            port=port,
            backup_port=backup_port,
            response_encoding=ResponseEncoding.MTOM if mtom else ResponseEncoding.INLINE,
            log_level=log_level,
            limits=limits,
        )
    except ConfigurationError as exc:  # options that cannot go together
        raise click.UsageError(str(exc)) from None
    stop = threading.Event()
    handlers = [(number, _noting_stop(number, stop)) for number in (signal.SIGINT, signal.SIGTERM)]
    if clock is not None:
        simulator.clock.set(clock, frozen=frozen)
    try:
        simulator.start()
    except OSError as exc:  # an address in use or not this machine's, a folder not writable
        where = "" if exc.filename is None else f": {exc.filename}"
        raise Failure(f"{exc.strerror or exc}{where}", USAGE) from None
    finally:
        for number, before in handlers:
            signal.signal(number, before)

    def request_stop(_signal: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, request_stop)
    try:
        if not stop.is_set():  # asked to stop while it started: no addresses to use
            _print_instructions(console, simulator, clock)
        while not stop.wait(0.5) and simulator.running:
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        simulator.stop()
        console.print("MMS simulator stopped; state kept in", str(simulator.state_dir))


def _noting_stop(number: signal.Signals, stop: threading.Event) -> SignalHandler:
    """Has the signal ``number`` set ``stop`` before its handler runs, until the handler
    returned is set again; the handler ends the start where it is by raising, but what it
    raises is lost where the start runs code that only reports an exception (a finaliser, a
    callback of a compiled library), and the simulator would serve on, the signal forgotten.
    A signal ignored, or left to the system, is not Python's to lose."""
    handler = signal.getsignal(number)
    if callable(handler):
        # bound to a name of its own: mypy does not carry the narrowing into the closure
        ends_start = handler

        def note_stop(signal_number: int, frame: FrameType | None) -> Any:
            stop.set()
            return ends_start(signal_number, frame)

        signal.signal(number, note_stop)
    return handler


def _print_instructions(console: Console, simulator: Simulator, clock: datetime | None) -> None:
    from mms_client.cli.tables import print_columns
    from mms_client.sim.manifest import MANIFEST_NAME

    manifest = simulator.manifest
    console.print(
        f"[bold]MMS simulator[/bold] listening on [cyan]{manifest.base_url}[/cyan]"
        + (f" (backup: [cyan]{manifest.backup_url}[/cyan])" if manifest.backup_url else "")
    )
    console.print(f"State folder: {simulator.state_dir}")
    console.print(f"Manifest:     {simulator.state_dir / MANIFEST_NAME}")
    console.print(f"CA bundle:    {manifest.ca}")
    if clock is not None:
        how = "standing still" if simulator.clock.frozen else "running on from there"
        console.print(f"Clock:        set to {clock.isoformat()}, {how}")
    # the PKCS#12 files by name, their folder once: whole paths make very long lines
    folder = Path(os.path.commonpath([user.p12.parent for user in manifest.users]))
    console.print(f"PKCS#12 files: {folder}")
    print_columns(
        console,
        "Users (test certificates)",
        ("participant", "user", "type", "PKCS#12", "passphrase"),
        [
            (
                user.participant,
                user.user,
                user.client_type.value,
                str(user.p12.relative_to(folder)),
                user.passphrase,
            )
            for user in manifest.users
        ],
    )
    print_columns(
        console,
        "Resources",
        ("resource", "participant", "area", "short name"),
        [(r.name, r.participant, r.area, r.short_name) for r in manifest.resources],
    )
    user = manifest.user()
    # the values as Python literals (repr): a Windows path has backslashes
    addresses = f"base_url={manifest.base_url!r}" + (
        "" if manifest.backup_url is None else f", backup_url={manifest.backup_url!r}"
    )
    snippet = [
        "from mms_client.client import MmsClient",
        "from mms_client.security.certs import Certificate",
        f"client = MmsClient(domain='localhost', participant={user.participant!r}, "
        f"user={user.user!r}, client_type={user.client_type.value!r},",
        f"    cert=Certificate({str(user.p12)!r}, {user.passphrase!r}),",
        f"    {addresses},",
        f"    verify={str(manifest.ca)!r})",
    ]
    console.print("Point a client at it:")
    console.out("\n".join(f"    {line}" for line in snippet), highlight=False)
    console.print("Press Ctrl+C to stop.")
