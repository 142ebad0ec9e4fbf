"""Where the binary content of a reply goes while it is read: memory, or files in a folder.

A reply carries its payload and any files as ``base64Binary`` elements, inline or as MTOM
parts. Most replies are small and are read into memory. A report of a few hundred megabytes is
not: it is decoded chunk by chunk straight into a file beside its destination, so that it is
never held in memory, and then moved into place. Readers write every binary field through a
:class:`BlobStore`; which store is used decides where the bytes end up, the reading code is the
same. A file of a download that cannot be written (a full disk) fails naming it (:func:`writing`).
"""

from __future__ import annotations

import io
import os
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Self

from mms_client.errors import DownloadWriteError

CHUNK_SIZE = 1 << 20
"""How much of a large body is read, decoded or copied at a time (1 MiB)."""


class Abandoned(Exception):  # noqa: N818 - a state, not a failure of the reading
    """Raised in a reading that writes into an abandoned :class:`FolderStore`: its call was
    given up (cancelled), and nothing it would write is wanted any more."""


@contextmanager
def writing(path: Path, where: str | None = None) -> Iterator[None]:
    """A disk error while the block writes a file of a download (a full disk, a file over
    the size limit...) as a :class:`~mms_client.errors.DownloadWriteError` that says which
    file: ``path``, or ``where`` for a file without a name (``path`` is then its folder).
    A bare :class:`OSError` would not say, and could not be told from other failures."""
    try:
        yield
    except OSError as exc:
        raise DownloadWriteError(path, exc, where) from exc


@dataclass(frozen=True)
class Blob:
    """The decoded bytes of one binary field: held in memory (``content``) or in a file
    (``path``)."""

    size: int
    content: bytes | None = field(default=None, repr=False)
    path: Path | None = None

    def read_bytes(self) -> bytes:
        """The bytes, read from the file if they are in one."""
        if self.content is not None:
            return self.content
        assert self.path is not None
        return self.path.read_bytes()

    def open(self) -> BinaryIO:
        """A binary file object reading the bytes from the start."""
        if self.content is not None:
            return io.BytesIO(self.content)
        assert self.path is not None
        return self.path.open("rb")


class BlobWriter(ABC):
    """Receives the decoded bytes of one binary field, in order."""

    size = 0

    @abstractmethod
    def write(self, data: bytes) -> None: ...

    @abstractmethod
    def finish(self) -> Blob:
        """The field is complete."""


class BlobStore(ABC):
    """Hands out a :class:`BlobWriter` per binary field."""

    @abstractmethod
    def open(self) -> BlobWriter: ...


class _MemoryWriter(BlobWriter):
    """Keeps the pieces as written and joins them once at the end.

    A field decoded in one piece (inline base64 without line breaks, the usual reply) is then
    kept as that piece, since joining a single piece gives it back as it is: copying a megabyte
    into a buffer and out again costs half as much as decoding it, most of it in touching fresh
    memory.
    """

    def __init__(self) -> None:
        self._pieces: list[bytes] = []

    def write(self, data: bytes) -> None:
        self._pieces.append(data)
        self.size += len(data)

    def finish(self) -> Blob:
        return Blob(self.size, content=b"".join(self._pieces))


class MemoryStore(BlobStore):
    """Keeps every binary field in memory."""

    def open(self) -> BlobWriter:
        return _MemoryWriter()


class _FileWriter(BlobWriter):
    def __init__(self, store: FolderStore, file: BinaryIO, path: Path) -> None:
        self._store = store
        self._file = file
        self._path = path

    def write(self, data: bytes) -> None:
        self._store.check_wanted()
        with writing(self._path):
            self._file.write(data)
        self.size += len(data)

    def finish(self) -> Blob:
        with writing(self._path):  # the last of the data leaves the buffer now
            self._file.close()
        return Blob(self.size, path=self._path)


TEMPORARY_PREFIX = ".mms-download-"
"""How the hidden files a download makes in its folder begin, until they are renamed."""


def temporary_file(folder: Path) -> tuple[int, Path]:
    """A new hidden file of a download in ``folder``, readable by its owner only, open for
    writing (its descriptor), and its path: one the download writes and then renames."""
    descriptor, name = tempfile.mkstemp(dir=folder, prefix=TEMPORARY_PREFIX, suffix=".part")
    return descriptor, Path(name)


class FolderStore(BlobStore):
    """Writes every binary field to a hidden temporary file in ``folder``.

    Use it as a context manager: the files that were not moved elsewhere by the end of the
    block are deleted, so an interrupted or refused download leaves nothing behind. Files are
    created readable by the owner only.

    A reading in another thread (an async client's, off its event loop) is stopped by
    :meth:`abandon`: the files are only deleted once that reading has stopped writing them.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._created: list[Path] = []
        self._open: list[BinaryIO] = []
        self._abandoned = False

    def abandon(self) -> None:
        """Stop the reading that writes into this store, from any thread: its next write
        raises :class:`Abandoned` (a field of a report takes a write per megabyte)."""
        self._abandoned = True

    def check_wanted(self) -> None:
        """Raise :class:`Abandoned` once the store is abandoned."""
        if self._abandoned:
            raise Abandoned(f"the download into {self.folder} was given up")

    def open(self) -> BlobWriter:
        self.check_wanted()
        with writing(self.folder, f"a new file in {self.folder}"):
            descriptor, path = temporary_file(self.folder)
        self._created.append(path)
        file = os.fdopen(descriptor, "wb")
        self._open.append(file)
        return _FileWriter(self, file, path)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.cleanup()

    def cleanup(self) -> None:
        """Close and delete every file of this store still in its folder."""
        for file in self._open:
            # closing writes what is still buffered, which fails again on a full disk; the
            # file is closed all the same, and deleted just below unless moved into place
            with suppress(OSError):
                file.close()
        for path in self._created:
            path.unlink(missing_ok=True)  # gone if it was moved into place
