"""The simulator as one object: state folder, test PKI, HTTPS server, faults and journal.

    with Simulator(tmp_path) as sim:
        with sim.client() as client:          # a configured MmsClient for the seeded BSP user
            client.put_offer(...)
        sim.count("MarketSubmit_OfferData")   # how many such requests the simulator processed

It listens on two addresses sharing one state, ``base_url`` ("main") and ``backup_url``
("backup"), like the MMS's main and backup hosts, so clients can be tested failing over.
Ports default to 0 (free ports chosen by the system).  The state folder holds:

    pki/             the test CA, server certificate and a PKCS#12 per registered user
    state.sqlite3    participants, users, resources, offers...
    simulator.json   the manifest: URLs, CA bundle, users with their PKCS#12 and passphrase
    simulator.lock   held while a simulator runs on the folder (see :mod:`.state`)

Starting again on the same folder reuses the PKI and the state, and issues a PKCS#12 to each
user registered since the last start; starting a second simulator on a folder while one runs
there is refused.
"""

from __future__ import annotations

import ipaddress
import logging
import shutil
import socket
from contextlib import ExitStack, suppress
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self, TypeVar, Unpack

from uvicorn.config import LOG_LEVELS

from mms_client.endpoints import ClientType
from mms_client.errors import (
    ConfigurationError,
    SimulatorRunError,
    is_number_within,
    one_of,
    shown_setting,
)
from mms_client.operations import OPERATIONS, Operation
from mms_client.schema.files import SCHEMA_DIR_VARIABLE, schema_dir
from mms_client.sim.asgi import SimulatorApp
from mms_client.sim.clock import SimulatorClock
from mms_client.sim.faults import Endpoint, Fault, FaultKind, FaultPlan
from mms_client.sim.journal import Journal, RecordedRequest
from mms_client.sim.manifest import MANIFEST_NAME, Manifest, ResourceInfo
from mms_client.sim.pki import (
    PRIVATE_FILES,
    RECORD_FILE,
    Pki,
    SimUser,
    damaged_pki,
    pki_locked,
)
from mms_client.sim.server import (
    DEFAULT_LIMITS,
    Listener,
    ServerLimits,
    ServerThread,
    bind,
    server_ssl_context,
)
from mms_client.sim.service import MmsService, ResponseEncoding, request_xsds
from mms_client.sim.state import StateLock, keep_private, writing_in
from mms_client.sim.store import Store

if TYPE_CHECKING:
    from mms_client.client import AsyncMmsClient, ClientOptions, MmsClient

logger = logging.getLogger("mms_client.sim")

_Held = TypeVar("_Held")
"""What only a running simulator holds (see :func:`_while_running`)."""

PKI_FOLDER = "pki"
STATE_FILE = "state.sqlite3"


_EVERY_INTERFACE = frozenset({"", "0.0.0.0", "::"})
"""The hosts that listen on every interface of the machine."""

_ELSEWHERE = {socket.AF_INET: "192.0.2.1", socket.AF_INET6: "2001:db8::1"}
"""An address of each family on no network (reserved for documentation), to find the
address of the machine that a packet there would leave from."""


def _url_host(host: str) -> str:
    """The host to put in URLs: a wildcard address is reached through the loopback one."""
    if host in _EVERY_INTERFACE:
        return "[::1]" if host == "::" else "127.0.0.1"
    try:
        if ipaddress.ip_address(host).version == 6:
            return f"[{host}]"
    except ValueError:
        pass
    return host


def _server_names(host: str) -> list[str]:
    """The names the server certificate must cover for clients to verify a server listening
    on ``host`` (besides localhost and 127.0.0.1, always covered): the host itself, or, for
    one that listens on every interface, the loopback address its URLs give and what clients
    on other machines reach it by: the machine's name and its addresses, of each family
    served (``::`` serves IPv4 as well, see :func:`~mms_client.sim.server.bind`). The
    wildcard address itself is left out: no client connects to 0.0.0.0 or ``::``."""
    if host not in _EVERY_INTERFACE:
        return [host]
    families = [socket.AF_INET6, socket.AF_INET] if host == "::" else [socket.AF_INET]
    name = socket.gethostname()
    names = [_url_host(host).strip("[]"), name, socket.getfqdn()]
    for family in families:
        with suppress(OSError):  # a name that does not resolve: its addresses are not known
            names += [str(info[4][0]) for info in socket.getaddrinfo(name, None, family)]
        with suppress(OSError), socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((_ELSEWHERE[family], 9))  # sends nothing: picks the outgoing address
            names.append(str(probe.getsockname()[0]))
    return list(dict.fromkeys(n for n in names if "%" not in n))  # no scoped IPv6 addresses


def _certified_users(pki: Pki, store: Store) -> tuple[SimUser, ...]:
    """The users registered in the state, each with its PKCS#12: the seeded ones and those
    registered since (``RegistrationSubmit_User``), whose certificate is issued now if they
    have none yet.  They keep the order of issue, so the seeded users stay the ones a client
    gets without naming a user, and users of the PKI who are not registered (in a PKI copied
    from elsewhere) are not offered to clients."""
    registered = {(user.participant, user.name): user for user in store.users()}
    for user in registered.values():
        pki.ensure_user(user.participant, user.name, user.client_type)
    return tuple(user for user in pki.users if (user.participant, user.user) in registered)


def _log_schema_check(folder: Path | None) -> None:
    """Says whether payloads are checked against the official XSDs: without them a payload
    the models accept but EPRX's XSD refuses gets through, and the one who relies on the
    simulator should know it."""
    if folder is not None:
        logger.info("payloads are checked against the official XSDs in %s", folder / "xsd")
    else:
        logger.info(
            "payloads are checked against the payload models only, not the official XSDs: "
            "set %s to the folder of EPRX's schema files (with xsd/) to check them too",
            SCHEMA_DIR_VARIABLE,
        )


class Simulator:
    """A running (once started) local MMS with its state in ``state_dir``.

    ``backup_port`` None serves the main address only.  ``pki_source`` is a folder holding a
    test PKI made earlier (a state folder's ``pki/``), copied into a new state folder instead
    of generating keys.
    ``response_encoding`` chooses how responses carry their payload (see
    :class:`~mms_client.sim.service.ResponseEncoding`); ``limits`` what one client may take
    of the server (:class:`~mms_client.sim.server.ServerLimits`).
    ``clock`` is its time (:class:`~mms_client.sim.clock.SimulatorClock`), the real one until
    a test sets it; kept, as the faults and the journal are, across :meth:`stop` and
    :meth:`start`.
    """

    def __init__(
        self,
        state_dir: str | Path,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        backup_port: int | None = 0,
        pki_source: str | Path | None = None,
        response_encoding: ResponseEncoding | str = ResponseEncoding.INLINE,
        log_level: str = "warning",
        limits: ServerLimits = DEFAULT_LIMITS,
    ) -> None:
        _check_port("port", port)
        if backup_port is not None:  # None: no backup address
            _check_port("backup_port", backup_port)
        if log_level not in LOG_LEVELS:
            levels = ", ".join(repr(level) for level in LOG_LEVELS)
            raise ConfigurationError(f"log_level must be one of {levels}; got {log_level!r}")
        if port and port == backup_port:
            raise ConfigurationError(f"the backup port must differ from the main port ({port})")
        if state_dir == "":
            # as from an unset variable: Path("") is the current folder, which would be filled
            # with the PKI and the state (``mms sim serve --state ""`` is refused alike)
            raise ConfigurationError("state_dir is empty; name the simulator's state folder")
        self.state_dir = Path(state_dir).resolve()
        self.host = host
        self._ports = (port, backup_port)
        self._pki_source = None if pki_source is None else Path(pki_source)
        if self._pki_source is not None and not (self._pki_source / RECORD_FILE).is_file():
            # a state folder given in place of its pki/ would be copied whole into pki/, and
            # a new PKI made beside it, without a word
            raise ConfigurationError(
                f"pki_source {self._pki_source} holds no test PKI (no pki.json); give the pki/ "
                "folder of a simulator's state folder, or the mms_simulator_pki fixture's"
            )
        # by its value too ("mtom"), as a fault's kind: compared by identity further on, a
        # string would otherwise be served inline without a word
        self._response_encoding = one_of(ResponseEncoding, response_encoding, "response_encoding")
        self._log_level = log_level
        self._limits = limits
        self.faults = FaultPlan()
        self.journal = Journal()
        self.clock = SimulatorClock()
        self._server: ServerThread | None = None
        self._store: Store | None = None
        self._manifest: Manifest | None = None
        self._lock: StateLock | None = None

    # --- life cycle --------------------------------------------------------------------

    def start(self) -> Self:
        """Prepares the state folder and starts serving; returns once connections are
        accepted.

        Raises :class:`~mms_client.errors.SchemaFilesError` when ``MMS_SCHEMA_DIR`` names a
        folder without the official XSDs or one of them cannot be read, and
        :class:`~mms_client.errors.StateFolderInUseError` when another simulator runs on the
        folder (both before touching it), and :class:`~mms_client.errors.SimulatorStateError`
        when its state cannot be used; what is in the folder is never replaced to get going.
        :class:`~mms_client.errors.SimulatorRunError` when it runs already, or its HTTPS
        server does not start. A start that fails, however late (the manifest, written once
        the server serves, on a full disk), leaves nothing running or held: the ports and the
        folder are free for the next start, and the simulator is not running.
        """
        if self._server is not None:
            raise SimulatorRunError(
                f"Simulator.start(): the simulator is already running at {self.base_url}; "
                "stop() it before starting it again, or use it as it is"
            )
        schema_folder = schema_dir()
        xsds = request_xsds(schema_folder)
        lock = StateLock(self.state_dir)
        with ExitStack() as on_failure:
            on_failure.callback(lock.release)
            # A folder in use is refused first: the ports asked for may be the other
            # simulator's, and "in use by" says more than "address already in use".
            if self.state_dir.is_dir():
                lock.acquire()
            # Listen next: a busy port fails at once, before any state is created.
            endpoints = [(Endpoint.MAIN, self._ports[0]), (Endpoint.BACKUP, self._ports[1])]
            sockets = []
            for endpoint, port in endpoints:
                if port is not None:
                    sock = bind(self.host, port)
                    on_failure.callback(sock.close)
                    sockets.append((endpoint, sock))

            with writing_in(self.state_dir):
                # its offers, registrations and users are for its owner's eyes, as the
                # keys and passphrases in it are
                self.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            lock.acquire()
            pki_dir = self.state_dir / PKI_FOLDER
            if self._pki_source is not None and not (pki_dir / RECORD_FILE).exists():
                # locked: not copied while another process makes it
                with writing_in(self.state_dir), pki_locked(self._pki_source):
                    shutil.copytree(self._pki_source, pki_dir, dirs_exist_ok=True)
            # secrets made readable to others by hand are their owner's again before use
            secrets = [MANIFEST_NAME, *(f"{PKI_FOLDER}/{name}" for name in PRIVATE_FILES)]
            keep_private(self.state_dir, secrets)
            with writing_in(self.state_dir):
                pki = Pki.load_or_create(pki_dir)
                server = pki.ensure_server(_server_names(self.host))
            store = Store(self.state_dir / STATE_FILE, clock=self.clock)
            on_failure.callback(store.close)
            with writing_in(self.state_dir):
                users = _certified_users(pki, store)

            service = MmsService(
                store, clock=self.clock, response_encoding=self._response_encoding, xsds=xsds
            )
            listeners = [
                Listener(sock, SimulatorApp(service, endpoint, self.faults, self.journal))
                for endpoint, sock in sockets
            ]
            try:
                context = server_ssl_context(
                    str(server.cert), str(server.key), server.passphrase, str(pki.ca_path)
                )
            except OSError as exc:  # ssl.SSLError included
                # not chained: the frame that failed holds the server key's passphrase
                raise damaged_pki(pki_dir, f"{server.cert.name}, {server.key.name}", exc) from None
            thread = ServerThread(
                listeners, context, log_level=self._log_level, limits=self._limits
            )
            thread.start()
            # first undone, if what follows fails: it serves from the store and the sockets
            on_failure.callback(thread.stop)
            urls = [f"https://{_url_host(self.host)}:{listener.port}" for listener in listeners]
            manifest = Manifest(
                base_url=urls[0],
                backup_url=urls[1] if len(urls) > 1 else None,
                ca=pki.ca_path,
                users=users,
                resources=tuple(
                    ResourceInfo(r.name, r.participant, r.area, r.short_name, r.system_code)
                    for r in store.resources(status="APPROVED")
                ),
            )
            with writing_in(self.state_dir):
                manifest.save(self.state_dir)
                lock.record(urls[0])
            self._server, self._store, self._lock = thread, store, lock
            self._manifest = manifest
            on_failure.pop_all()
        _log_schema_check(schema_folder)
        return self

    def stop(self) -> None:
        """Stops serving; the state stays in the folder for the next start."""
        server, store, lock = self._server, self._store, self._lock
        self._server = self._store = self._lock = None
        self._manifest = None
        if server is not None:
            server.stop()
        if store is not None:
            store.close()
        if lock is not None:
            lock.release()

    @property
    def running(self) -> bool:
        return self._server is not None and self._server.alive

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- what clients need ---------------------------------------------------------------

    @property
    def manifest(self) -> Manifest:
        return _while_running(self._manifest, "manifest")

    @property
    def base_url(self) -> str:
        return _while_running(self._manifest, "base_url").base_url

    @property
    def backup_url(self) -> str:
        backup_url = _while_running(self._manifest, "backup_url").backup_url
        if backup_url is None:
            raise SimulatorRunError(
                "Simulator.backup_url: this simulator was started without a backup address "
                "(backup_port=None); start it with a backup_port (0: a free port) to have one"
            )
        return backup_url

    @property
    def ca(self) -> Path:
        """The CA bundle that verifies the simulator's server certificate."""
        return _while_running(self._manifest, "ca").ca

    @property
    def users(self) -> tuple[SimUser, ...]:
        return _while_running(self._manifest, "users").users

    def user(
        self,
        client_type: ClientType | str = ClientType.BSP,
        participant: str | None = None,
        user: str | None = None,
    ) -> SimUser:
        """The first user of this client type (and participant, and user name, if given), as
        :meth:`Manifest.user <mms_client.sim.manifest.Manifest.user>` picks it."""
        return _while_running(self._manifest, "user()").user(client_type, participant, user)

    @property
    def store(self) -> Store:
        """The simulator's state, for tests that look behind the wire."""
        return _while_running(self._store, "store")

    def client(
        self,
        client_type: ClientType | str = ClientType.BSP,
        participant: str | None = None,
        user: str | None = None,
        **options: Unpack[ClientOptions],
    ) -> MmsClient:
        """An :class:`~mms_client.client.MmsClient` for a user (:meth:`user`), pointed at this
        simulator (main, then backup); ``options`` are further client arguments
        (:class:`~mms_client.client.ClientOptions`)."""
        from mms_client.client import MmsClient

        manifest = _while_running(self._manifest, "client()")
        return MmsClient(**manifest.client_arguments(client_type, participant, user, **options))

    def async_client(
        self,
        client_type: ClientType | str = ClientType.BSP,
        participant: str | None = None,
        user: str | None = None,
        **options: Unpack[ClientOptions],
    ) -> AsyncMmsClient:
        """Like :meth:`client`, for :class:`~mms_client.client.AsyncMmsClient`."""
        from mms_client.client import AsyncMmsClient

        manifest = _while_running(self._manifest, "async_client()")
        return AsyncMmsClient(
            **manifest.client_arguments(client_type, participant, user, **options)
        )

    # --- fault injection and the journal ------------------------------------------------

    def inject(
        self,
        kind: FaultKind | str,
        *,
        operation: Operation | str | None = None,
        endpoint: Endpoint | str | None = None,
        times: int = 1,
        status: int = 503,
        seconds: float = 0.0,
    ) -> Fault:
        """Plans a fault (see :mod:`mms_client.sim.faults`) for the next ``times`` requests
        of ``operation`` (None: any) on ``endpoint`` ("main", "backup", None: either)."""
        fault = Fault(
            kind=one_of(FaultKind, kind, "kind"),
            operation=_operation_name(operation),
            endpoint=None if endpoint is None else one_of(Endpoint, endpoint, "endpoint"),
            times=times,
            status=status,
            seconds=seconds,
        )
        self.faults.add(fault)
        return fault

    def clear_faults(self) -> None:
        self.faults.clear()

    def reset(self) -> None:
        """Back to the freshly seeded state, with an empty journal and no faults; the PKI,
        the addresses and the manifest stay.  Much cheaper than starting a new simulator,
        for test suites that share one."""
        _while_running(self._store, "reset()").reset()
        self.journal.clear()
        self.clear_faults()

    def count(
        self,
        operation: Operation | str | None = None,
        endpoint: Endpoint | str | None = None,
        *,
        processed: bool = True,
    ) -> int:
        """How many requests of ``operation`` (None: any) the simulator processed (with
        ``processed=False``: received at all, including those a fault stopped)."""
        return self.journal.count(
            _operation_name(operation),
            None if endpoint is None else one_of(Endpoint, endpoint, "endpoint"),
            processed=processed,
        )

    @property
    def requests(self) -> tuple[RecordedRequest, ...]:
        """The most recent requests received, oldest first, with their payload bytes."""
        return self.journal.recent


def _while_running(held: _Held | None, asked: str) -> _Held:
    """What a running simulator ``held`` (its manifest, its store) for ``asked``, the method
    or property that needs it; ``held`` is None before the start and after the stop, and the
    :class:`SimulatorRunError` then names what was asked and what to do."""
    if held is None:
        raise SimulatorRunError(
            f"Simulator.{asked} is there only while the simulator runs; start() it first, or "
            "use it as a context manager (with Simulator(...) as sim:)"
        )
    return held


def _check_port(name: str, port: object) -> None:
    """Refuses a port no socket has (-1, 70000) or that is not a number, naming the argument:
    the socket would refuse it only on start, and in its own words (an OverflowError)."""
    if not is_number_within(port, int, 0, 65535):
        shown = shown_setting(port)
        raise ConfigurationError(
            f"{name} must be a whole number from 0 (a free port) to 65535; got {shown}"
        )


def _operation_name(operation: Operation | str | None) -> str | None:
    """The registry name ``operation`` gives (an operation or its name), or a
    :class:`ConfigurationError` for a name no operation has: a test counting or planning
    faults for a misspelt name would otherwise count nothing, or wait for a fault that never
    comes."""
    if operation is None:
        return None
    if isinstance(operation, Operation):
        return operation.name
    if not isinstance(operation, str) or all(op.name != operation for op in OPERATIONS):
        raise ConfigurationError(f"{operation!r} is not an MMS operation or the name of one")
    return operation
