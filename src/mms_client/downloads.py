"""Where the content of a reply goes: memory, or files saved to disk as it arrives (``to=``).

For a call made with ``to=``, the transport streams the HTTP body into an anonymous temporary
file in the destination folder, the reply is read from there with its binary content decoded
into hidden temporary files of the same folder (:class:`~mms_client.wire.blobs.FolderStore`),
and each file is then renamed to its final name. Nothing is ever held in memory whole, and
because the temporary files sit in the destination folder the final step is a rename, not a
copy (unless a symbolic link in a file download's folder leads to another file system, where
the copy goes beside the file it replaces and is renamed in turn). A refused or broken reply
leaves no file behind, and a file it was to replace as it was. The temporary files are their
owner's only; a saved file has the permissions of the file it replaces, or, new, those any new
file of its folder gets (the umask's).

Where ``to`` points depends on the operation: for a report download (the answer is the report
file) it names the file to write; for a file download (settlement files, baseline-load
files...) it names the folder that receives every file of the reply, under the names the MMS
gave them; an operation whose answer has no files takes no ``to``. Without ``to`` the reply is
read in memory, as every small reply is.

What a download writes over is a regular file, which it replaces; a symbolic link is followed,
so the file it leads to is replaced and the link stays. A folder, a device, a FIFO or a socket
where a file is to go (or a report's path written as a folder, ``reports/``), or anything but a
folder where the folder is to be, is refused with a
:class:`~mms_client.errors.DestinationError` before the request is sent (and a ``to`` that is
not a path, such as an open file, with a :class:`~mms_client.errors.ConfigurationError`). A
file name of the reply that such a thing holds in the folder of a file download is refused
the same way once the reply has arrived, and then none of the reply's files is saved.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
import stat
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path, PurePosixPath, PureWindowsPath
from types import TracebackType
from typing import Self, TypeVar

from mms_client.errors import ConfigurationError, DestinationError, MalformedResponseError
from mms_client.exchange import PreparedRequest, Response, interpret
from mms_client.files import DownloadedFile
from mms_client.operations import Operation
from mms_client.transport import HttpReply, TransportSettings
from mms_client.wire.blobs import TEMPORARY_PREFIX, FolderStore, temporary_file, writing
from mms_client.wire.mime import MultipartLimits

R = TypeVar("R")

_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")

_WINDOWS_REFUSED = re.compile(r'[<>:"|?*]')
"""The characters Windows takes in no file name: a file named with one could not be saved
there, and ``report.csv:x`` would be a hidden stream of ``report.csv``, not a file."""

_WINDOWS_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{port}{n}" for port in ("COM", "LPT") for n in "0123456789\u00b9\u00b2\u00b3"]
)
"""The names Windows gives its devices, whatever the extension: ``NUL.csv`` in a folder is the
null device, not a file there."""

_NAME_MAX = 255
"""The most bytes of UTF-8 a file name may have: the limit of the usual file systems (ext4,
XFS, APFS; NTFS counts 255 UTF-16 units, which such a name never exceeds)."""


def safe_file_name(name: str, fallback: str = "download") -> str:
    """``name`` reduced to a plain file name: no folders (of any platform), no control
    characters, never ``.`` or ``..``, no dot or space at the end (which Windows drops, so
    that ``x.csv.`` would be ``x.csv``), a ``_`` for each character Windows refuses in a
    name (``<>:"|?*``), no longer than a file system takes (the end of the stem cut off, the
    extension kept), never a device of Windows (``CON``, ``NUL.csv``, ``CONIN$``... are
    given a ``_`` in front). A file name chosen by the server must not be able to write
    anywhere but into the destination folder, nor keep its file from being saved."""
    base = PureWindowsPath(PurePosixPath(name).name).name
    cleaned = _WINDOWS_REFUSED.sub("_", _UNSAFE.sub("", base)).strip().rstrip(". ")
    if not cleaned:
        return fallback
    if cleaned.partition(".")[0].rstrip(" ").upper() in _WINDOWS_DEVICES:
        cleaned = f"_{cleaned}"
    path = PurePosixPath(cleaned)
    return _fitted(path.stem, path.suffix)


def _fitted(stem: str, tail: str) -> str:
    """``stem`` then ``tail`` (an extension, a number and an extension), the stem cut short
    as needed for the name to fit :data:`_NAME_MAX` (cut whole, should the tail alone not)."""
    room = _NAME_MAX - len(tail.encode("utf-8", "surrogatepass"))
    return _cut(_cut(stem, max(room, 0)) + tail, _NAME_MAX)


def _cut(text: str, size: int) -> str:
    """``text`` up to its first ``size`` bytes of UTF-8, no character cut in two."""
    return text.encode("utf-8", "surrogatepass")[:size].decode("utf-8", "ignore")


def _check_writable(folder: Path, to: Path) -> int:
    """Refuse a folder where no file can be created before the request is sent, rather than
    when its answer arrives; the permissions a file created there gets (read and write for
    everyone, less what the umask or a default ACL of the folder takes away), which a saved
    file that replaces none is given, the temporary file it was being its owner's only.

    Creating one is the only reliable test: permissions say nothing about read-only mounts,
    and nothing at all for a privileged user. It is also the way to know those permissions
    without changing the umask, which would change it for every thread of the process."""
    probe = folder / f"{TEMPORARY_PREFIX}{secrets.token_hex(8)}.probe"
    try:
        descriptor = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__  # not the name of the probe
        raise DestinationError(
            to, f"cannot be written: no file can be created in {folder} ({reason})"
        ) from None
    try:
        return stat.S_IMODE(os.fstat(descriptor).st_mode)
    finally:
        os.close(descriptor)
        probe.unlink()


_REGULAR = "a regular file"
_FOLDER = "a folder"
_KINDS = {
    stat.S_IFREG: _REGULAR,
    stat.S_IFDIR: _FOLDER,
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}
_ONLY_REGULAR = "a download replaces only a regular file"


def _kind(path: Path) -> str | None:
    """What is at ``path``, through symbolic links, in words (``a folder``...); None when
    nothing is. Only a regular file may be replaced by a download: renaming a file over a
    device, a FIFO or a socket would take it away from whoever uses it."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):  # a link leading nowhere counts as nothing
        return None
    except OSError as exc:  # a loop of links, a folder that may not be searched
        return f"out of reach ({exc.strerror})"
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def _not_a_folder(folder: Path) -> str:
    """Why ``folder``, where a file is to go, is no folder: what is there instead (a regular
    file named as a folder, by mistake), or that nothing is."""
    kind = _kind(folder)
    return f"there is no folder {folder}" if kind is None else f"{folder} is {kind}, not a folder"


def _path(to: object) -> Path:
    """``to`` as a path, or a :class:`ConfigurationError` before anything is sent: a file
    object (an open file, a ``BytesIO``) cannot take a download, which is renamed into place."""
    name = os.fspath(to) if isinstance(to, str | os.PathLike) else None
    if not isinstance(name, str):
        raise ConfigurationError(
            f"to= takes a path (a str or an os.PathLike such as pathlib.Path) naming where the "
            f"reply's files are saved, not {type(to).__name__}; leave to= out to have them in "
            "memory (DownloadedFile.read_bytes())"
        )
    # an empty name would be the current folder, which the caller never named, and a NUL
    # fails in the operating system in words naming no argument
    if not name:
        raise ConfigurationError("to= is empty; it takes a path naming where the files go")
    if "\x00" in name:
        raise ConfigurationError(f"to= must not contain a NUL character; got {name!r}")
    return Path(name)


_SEPARATORS = tuple(filter(None, (os.sep, os.altsep)))
"""What a path written as a folder ends with (``reports/``): :class:`Path` drops it, and a
report would be saved as a file called ``reports``, or over one."""


def _followed(path: Path) -> Path:
    """The file a download writes for ``path``: ``path`` itself, or the file a symbolic link
    there leads to, so that the link stays and the file it names is what changes."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


class Destination:
    """Where the content of the reply to one call goes (see the module docstring).

    Use it as a context manager around sending the request: temporary files that were not
    moved into place are removed at the end of the block. :attr:`folder` is where the
    transport spools the reply (None: in memory).
    """

    def __init__(
        self, operation: Operation, to: str | os.PathLike[str] | None, settings: TransportSettings
    ) -> None:
        self._file: Path | None = None
        self._store: FolderStore | None = None  # None: in memory
        self._made: list[Path] = []
        """The folders made for ``to``, deepest first: taken away again if the call fails."""
        self.answer: Response | None = None
        """The answer :meth:`finish` read, once read: a call given up while the method took
        its result from it may still have saved its files."""
        self._new_file_mode = 0o600
        """The permissions of a file made where ``to`` says (see :func:`_check_writable`)."""
        # the transport has bounded the body already; reading must accept what it let through
        self._limits = MultipartLimits(
            max_body_bytes=settings.max_response_bytes
            if to is None
            else settings.max_download_bytes
        )
        if to is None:
            return
        self._to = target = _path(to)
        if operation.response.element is None:
            kind = _kind(target)
            written = os.fspath(to)  # a str, as _path has checked
            if kind == _FOLDER or written.endswith(_SEPARATORS):
                what = "is a folder" if kind == _FOLDER else f"is written as a folder ({written})"
                raise DestinationError(
                    target,
                    f"{what}; {operation.name} answers with one report file, so name the "
                    "file to save it as",
                )
            if kind not in (None, _REGULAR):
                raise DestinationError(target, f"is {kind}; {_ONLY_REGULAR}")
            self._file = _followed(target)
            folder = self._file.parent
            if not folder.is_dir():
                raise DestinationError(target, f"cannot be written: {_not_a_folder(folder)}")
            self._new_file_mode = _check_writable(folder, target)
        elif operation.response.files:
            self._new_file_mode = self._make_folder(operation, target)
            folder = target
        else:
            raise DestinationError(
                target, f"is of no use: {operation.name} answers with no files to save"
            )
        self._store = FolderStore(folder)

    def _make_folder(self, operation: Operation, target: Path) -> int:
        """Make the folder ``target`` (and the folders above it) unless it exists; the
        permissions a file made there gets."""
        kind = _kind(target)
        if kind not in (None, _FOLDER):
            raise DestinationError(
                target,
                f"is {kind}; {operation.name} answers with files saved into a folder, so name "
                "a folder",
            )
        missing = [target, *target.parents]
        self._made = missing[: next(i for i, p in enumerate(missing) if p.exists())]
        above = missing[len(self._made)]
        if above != target and not above.is_dir():
            raise DestinationError(target, f"cannot be made: {above} is {_kind(above)}")
        try:
            target.mkdir(parents=True, exist_ok=True)
            return _check_writable(target, target)
        except OSError as exc:
            self._unmake()
            raise DestinationError(target, f"cannot be made ({exc.strerror})") from None
        except DestinationError:
            self._unmake()
            raise

    @property
    def folder(self) -> Path | None:
        return None if self._store is None else self._store.folder

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._store is not None:
            self._store.cleanup()
        if error is not None:
            self._unmake()

    def _unmake(self) -> None:
        """Take away the folders made for a call that failed, as long as they are empty."""
        for folder in self._made:
            try:
                folder.rmdir()
            except OSError:  # not empty (a file of the user's), or gone already
                return

    def finish(
        self, prepared: PreparedRequest, reply: HttpReply, result: Callable[[Response], R]
    ) -> R:
        """Interpret ``reply`` and put its files in place, unless the call was given up
        (:meth:`abandon`) before placing them began (giving it up later leaves them saved),
        then take what the method answers with (``result``) of the answer, kept in
        :attr:`answer`. An answer without what the method answers with cannot be read as its
        answer: the error names the attempt that brought it, as that of any reply that cannot
        be read."""
        try:
            try:
                response = interpret(
                    prepared, reply.headers, reply.source(), self._store, self._limits
                )
            finally:
                reply.close()
            if self._store is not None:
                self._store.check_wanted()
                response = replace(response, files=self._place(self._store.folder, response.files))
            self.answer = response
            return result(response)
        except MalformedResponseError as exc:
            raise reply.unreadable(exc) from None  # its message holds what was wrong

    def abandon(self) -> None:
        """Give up the call whose reply :meth:`finish` is reading in another thread, from any
        thread: the reading stops at its next write with
        :class:`~mms_client.wire.blobs.Abandoned` and puts no file in place, unless it has
        begun to. Wait for it to end before leaving the ``with`` block, whose end removes the
        files it writes."""
        if self._store is not None:
            self._store.abandon()

    def _place(self, folder: Path, files: tuple[DownloadedFile, ...]) -> tuple[DownloadedFile, ...]:
        """Put every file of the reply in place, once each has somewhere it may go (the names
        the MMS gives are only known now): none is placed if any has nowhere to go. Placing
        is a rename within the folder, except through a link to another file system (see
        :func:`_move`), where a copy that fails (a full disk) leaves the files placed before
        it saved."""
        destinations: list[Path] = []
        taken: set[str] = set()
        for index, file in enumerate(files):
            if index == 0 and self._file is not None:
                path = self._file  # checked before the request was sent
            else:
                path = folder / _unique(safe_file_name(file.name), taken)
                kind = _kind(path)
                if kind not in (None, _REGULAR):
                    raise DestinationError(
                        self._to,
                        f"holds {path.name}, which is {kind}; {_ONLY_REGULAR}, so none of the "
                        "reply's files was saved",
                    )
            taken.add(_same_file_key(path.name))
            destinations.append(_followed(path))
        placed: list[DownloadedFile] = []
        for file, destination in zip(files, destinations, strict=True):
            with writing(destination):
                if file.path is not None:
                    # the temporary file is its owner's only; the saved one is not meant to be
                    try:
                        mode = stat.S_IMODE(destination.stat().st_mode)
                    except FileNotFoundError:
                        mode = self._new_file_mode
                    os.chmod(file.path, mode)
                    _move(file.path, destination)
                else:
                    destination.write_bytes(file.read_bytes())
            placed.append(file.saved_as(destination))
        return tuple(placed)


def _move(source: Path, destination: Path) -> None:
    """Rename ``source`` to ``destination``. A link in the folder may lead to another file
    system, which takes no rename: the file is then copied beside ``destination`` and that
    copy renamed, so that a copy that fails (a full disk there) leaves the file it was to
    replace as it was, not cut off where the disk filled up."""
    try:
        os.replace(source, destination)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    descriptor, copy = temporary_file(destination.parent)
    os.close(descriptor)
    try:
        shutil.copyfile(source, copy)
        shutil.copymode(source, copy)
        os.replace(copy, destination)
    except BaseException:
        copy.unlink(missing_ok=True)
        raise
    source.unlink()


def _unique(name: str, taken: set[str]) -> str:
    """``name``, or ``stem-2.ext``, ``stem-3.ext``... if an earlier file of the same reply
    took it: ``taken`` holds their names as :func:`_same_file_key` gives them."""
    if _same_file_key(name) not in taken:
        return name
    path = PurePosixPath(name)
    number = 2
    while _same_file_key(numbered := _fitted(path.stem, f"-{number}{path.suffix}")) in taken:
        number += 1
    return numbered


def _same_file_key(name: str) -> str:
    """What tells two file names apart on every file system: the file systems of macOS and
    Windows take ``R.csv`` and ``r.csv`` for one file, and macOS a name in composed kana or
    accents (``が``) for the same in decomposed ones, the later replacing the earlier."""
    return unicodedata.normalize("NFD", name).casefold()
