"""Where the content of a reply goes: memory, or files saved to disk as it arrives (``to=``).

For a call made with ``to=``, the transport streams the HTTP body into an anonymous temporary
file in the destination folder, the reply is read from there with its binary content decoded
into hidden temporary files of the same folder (:class:`~mms_client.wire.blobs.FolderStore`),
and each file is then renamed to its final name. Nothing is ever held in memory whole, and
because the temporary files sit in the destination folder the final step is a rename, not a
copy. A refused or broken reply leaves no file behind.

Where ``to`` points depends on the operation: for a report download (the answer is the report
file) it names the file to write; for anything else (settlement files, baseline-load files...)
it names the folder that receives every file of the reply, under the names the MMS gave them.
Without ``to`` the reply is read in memory, as every small reply is.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import replace
from pathlib import Path, PurePosixPath, PureWindowsPath
from types import TracebackType
from typing import Self

from mms_client.errors import ConfigurationError
from mms_client.exchange import PreparedRequest, Response, interpret
from mms_client.files import DownloadedFile
from mms_client.operations import Operation
from mms_client.transport import HttpReply, TransportSettings
from mms_client.wire.blobs import FolderStore
from mms_client.wire.mime import MultipartLimits

_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


def safe_file_name(name: str, fallback: str = "download") -> str:
    """``name`` reduced to a plain file name: no folders (of any platform), no control
    characters, never ``.`` or ``..``. A file name chosen by the server must not be able to
    write anywhere but into the destination folder."""
    base = PureWindowsPath(PurePosixPath(name).name).name
    cleaned = _UNSAFE.sub("", base).strip()
    return fallback if cleaned in ("", ".", "..") else cleaned


def _check_writable(folder: Path, failure: str) -> None:
    """Refuse a folder where no file can be created before the request is sent, rather than
    when its answer arrives. Creating one is the only reliable test: permissions say nothing
    about read-only mounts, and nothing at all for a privileged user."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__  # not the name of the probe
        raise ConfigurationError(
            f"{failure}: no file can be created in {folder} ({reason})"
        ) from None


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
        # the transport has bounded the body already; reading must accept what it let through
        self._limits = MultipartLimits(
            max_body_bytes=settings.max_response_bytes
            if to is None
            else settings.max_download_bytes
        )
        if to is None:
            return
        target = Path(to)
        if operation.response.element is None:
            if target.is_dir():
                raise ConfigurationError(
                    f"to={str(target)!r} is a folder; {operation.name} answers with one report "
                    "file, so name the file to save it as"
                )
            if not target.parent.is_dir():
                raise ConfigurationError(
                    f"cannot save to {str(target)!r}: there is no folder {target.parent}"
                )
            folder, self._file = target.parent, target
            _check_writable(folder, f"cannot save to {str(target)!r}")
        else:
            missing = [target, *target.parents]
            self._made = missing[: next(i for i, p in enumerate(missing) if p.exists())]
            try:
                target.mkdir(parents=True, exist_ok=True)
                _check_writable(target, f"cannot save into {str(target)!r}")
            except OSError as exc:
                self._unmake()
                raise ConfigurationError(f"cannot save into {str(target)!r}: {exc}") from None
            except ConfigurationError:
                self._unmake()
                raise
            folder = target
        self._store = FolderStore(folder)

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

    def finish(self, prepared: PreparedRequest, reply: HttpReply) -> Response:
        """Interpret ``reply`` and put its files in place."""
        try:
            response = interpret(prepared, reply.headers, reply.source(), self._store, self._limits)
        finally:
            reply.close()
        if self._store is None:
            return response
        return replace(response, files=self._place(self._store.folder, response.files))

    def _place(self, folder: Path, files: tuple[DownloadedFile, ...]) -> tuple[DownloadedFile, ...]:
        placed: list[DownloadedFile] = []
        taken: set[str] = set()
        for index, file in enumerate(files):
            if index == 0 and self._file is not None:
                destination = self._file
            else:
                destination = folder / _unique(safe_file_name(file.name), taken)
            taken.add(destination.name)
            if file.path is not None:
                os.replace(file.path, destination)
            else:
                destination.write_bytes(file.read_bytes())
            placed.append(file.saved_as(destination))
        return tuple(placed)


def _unique(name: str, taken: set[str]) -> str:
    """``name``, or ``stem-2.ext``, ``stem-3.ext``... if an earlier file of the same reply
    took it."""
    if name not in taken:
        return name
    path = PurePosixPath(name)
    number = 2
    while f"{path.stem}-{number}{path.suffix}" in taken:
        number += 1
    return f"{path.stem}-{number}{path.suffix}"
