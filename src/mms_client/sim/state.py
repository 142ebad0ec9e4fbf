"""Who may use a state folder, and what to say when its files cannot be used.

One simulator at a time: the manifest (``simulator.json``) names *the* simulator of a folder,
so a second one would rewrite it with its own addresses and leave clients pointed at
whichever started last, and both would write the same SQLite state.  The first simulator
holds an advisory lock (``flock``) on ``simulator.lock`` while it runs; the operating system
drops the lock when the process ends, however it ends, so the file left behind by a killed
simulator does not block the next start.  The file also says who holds it (pid, address),
for the message the next one gives.  The same lock tells a client whether the folder's
simulator runs at all (:meth:`StateLock.free`).

Its secrets (keys, passphrases) are written readable by their owner only; a folder whose
secrets were made readable to others by hand (unpacked, checked out, copied with a loose
umask) is made its owner's again when a simulator opens it (:func:`keep_private`).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from mms_client.errors import SimulatorStateError, StateFolderInUseError

try:
    import fcntl
except ImportError:  # Windows has no flock: there a folder in use is not detected
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = "simulator.lock"

logger = logging.getLogger("mms_client.sim")


def describe(exc: BaseException) -> str:
    """What went wrong, readably: a missing key says it is missing, instead of just
    quoting it (``'ca'``), and an OS error gives its reason without its number."""
    if isinstance(exc, KeyError):
        return f"{exc.args[0]!r} is missing"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


@contextmanager
def held_in_turn(path: Path) -> Iterator[None]:
    """Holds the lock file ``path`` (made if missing), waiting while another process holds
    it: for files several processes may set out to make at once, each of which would
    otherwise write over what the other is writing."""
    if fcntl is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing drops the flock


@contextmanager
def writing_in(
    folder: Path,
    *,
    what: str = "in the simulator's state folder",
    remedy: str = "make it writable, or use another state folder",
) -> Iterator[None]:
    """Turns an OS error while preparing the state folder (read-only, someone else's, a file
    where a folder should be...) into a :class:`SimulatorStateError` naming the file;
    ``what`` and ``remedy`` fit the message to a folder that is not a state folder (the
    pytest plugin's cached test PKI).

    It does not show the OS error it replaces: that error's frames held what was being
    written (pki.json, the manifest, a user's record), passphrases with it, which a
    traceback showing its locals would show."""
    try:
        yield
    except OSError as exc:
        where, why = _failed_file(exc, folder)
        raise SimulatorStateError(
            f"cannot write {what} {folder} ({where}: {why}); {remedy}", where
        ) from None


def _failed_file(exc: OSError, folder: Path) -> tuple[Path, str]:
    """The file an OS error met in ``folder`` is about, and why it failed. ``shutil.copytree``
    (copying a test PKI in) gathers one error a file it could not copy, in a
    :class:`shutil.Error` naming no file itself: the first of them is named."""
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list):
        _source, destination, why = exc.args[0][0]
        return Path(destination), why
    return (Path(exc.filename) if exc.filename else folder), describe(exc)


def keep_private(folder: Path, secrets: Iterable[str]) -> None:
    """Takes from others every permission on ``folder`` and on the files in it that match
    ``secrets`` (glob patterns), as the simulator would have written them: a folder whose
    secrets were made readable to others by hand would otherwise stay so, only the files
    written again going back to their owner alone.  Says, at INFO, which it changed.

    Raises :class:`SimulatorStateError` naming a file the simulator may not change (another
    user's).  Nothing is done where modes do not say who may read a file (Windows)."""
    if os.name != "posix":
        return
    found = (path for pattern in secrets for path in sorted(folder.glob(pattern)))
    for path in (folder, *found):
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
            if not mode & 0o077:
                continue
            os.chmod(path, mode & 0o700)
        except OSError as exc:
            raise SimulatorStateError(
                f"{path}, in the simulator's state folder, cannot be made readable by its owner "
                f"only ({describe(exc)}); make it yours (chown) or have its owner run "
                "chmod go-rwx on it, or use another state folder",
                path,
            ) from None
        logger.info(
            "%s was open to other users: now to its owner only (mode %o, was %o)",
            path,
            mode & 0o700,
            mode,
        )


class StateLock:
    """The lock on one state folder, held from :meth:`acquire` to :meth:`release`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        """Takes the lock, or raises :class:`StateFolderInUseError` at once; a no-op when
        already held.  The folder must exist."""
        if self._fd is not None or fcntl is None:
            return
        with writing_in(self.folder):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid, address = self._holder(fd)
            os.close(fd)
            raise StateFolderInUseError(self.folder, pid, address) from None
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        self.record()

    def record(self, address: str | None = None) -> None:
        """Says in the lock file who holds it, for the message a second simulator gives."""
        if self._fd is None:
            return
        text = json.dumps({"pid": os.getpid(), "address": address})
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, text.encode("utf-8"), 0)

    def release(self) -> None:
        """Lets the next simulator in; the file stays (removing it would race with a
        simulator that opened it and waits to lock it)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.ftruncate(fd, 0)
            os.close(fd)  # closing drops the flock

    def free(self) -> bool:
        """Whether, for certain, no simulator runs on the folder now (none has it locked);
        False where that cannot be told: without flock, or without a lock file (a manifest
        copied from the machine where its simulator runs)."""
        if fcntl is None:
            return False
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return False
        try:
            # a simulator that stopped has emptied the file: the lock need not be touched
            # then, which a simulator starting at that very moment would find taken
            if os.pread(fd, 1, 0):
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # dropped by closing
        except OSError:  # BlockingIOError included: a simulator holds it
            return False
        finally:
            os.close(fd)
        return True

    @staticmethod
    def _holder(fd: int) -> tuple[int | None, str | None]:
        """The pid and address the holder recorded; None for what it has not (yet)."""
        try:
            data = json.loads(os.pread(fd, 4096, 0) or b"{}")
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return None, None
        pid, address = data.get("pid"), data.get("address")
        return (
            pid if isinstance(pid, int) else None,
            address if isinstance(address, str) else None,
        )
