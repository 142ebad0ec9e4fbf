"""Files that come back from the MMS: reports, settlement result files, baseline-load files.

A :class:`DownloadedFile` is what a download returns: the file's name and type, and its bytes,
either in memory or, when the caller asked for it on disk (``to=``), in the file it was saved
as. Report files (an ``OutboundData`` document or a CSV of one dataset) also give their rows
as typed models (:meth:`DownloadedFile.rows`), read one at a time so that a report larger than
memory can be walked through with :meth:`DownloadedFile.iter_rows`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, BinaryIO, overload

from mms_client.errors import FieldError, PayloadError
from mms_client.wire.blobs import Blob

if TYPE_CHECKING:
    from mms_client.reports import DatasetName, ReportRow
    from mms_client.schema.binding import XmlModel


@dataclass(frozen=True)
class DownloadedFile:
    """One file of an MMS reply.

    ``data_type`` is the MMS's name for the content (``XML``, ``CSV``...): the reply's
    ``responseDataType`` for a report, the upper-cased extension of the name for an attachment.
    ``path`` is where the file was saved (``None`` while it is held in memory, as ``content``).
    ``signature`` is the signature an attachment came with, if any. ``attached`` tells an
    attachment (a settlement or baseline-load file) from the report a download answers with.
    The repr shows what the file is and where, never its content, nor its signature (a few
    hundred characters of base64).
    """

    name: str
    data_type: str
    size: int
    path: Path | None = None
    content: bytes | None = field(default=None, repr=False)
    signature: str | None = field(default=None, repr=False)
    attached: bool = field(default=False, repr=False)

    @classmethod
    def received(
        cls,
        name: str,
        blob: Blob,
        *,
        data_type: str | None = None,
        signature: str | None = None,
    ) -> DownloadedFile:
        """The file called ``name`` whose bytes are ``blob``: the report a download answers
        with when its ``data_type`` (the reply's ``responseDataType``) is given, otherwise a
        file attached to the reply."""
        if data_type is not None:
            return cls(name, data_type, blob.size, blob.path, blob.content, signature)
        kind = PurePath(name).suffix[1:].upper()
        return cls(name, kind, blob.size, blob.path, blob.content, signature, attached=True)

    def saved_as(self, path: Path) -> DownloadedFile:
        """The same file, now at ``path`` (its bytes no longer held in memory)."""
        return replace(self, path=path, content=None)

    def read_bytes(self) -> bytes:
        """The whole file."""
        return self._blob().read_bytes()

    def open(self) -> BinaryIO:
        """The file, opened for reading in binary mode."""
        return self._blob().open()

    def _blob(self) -> Blob:
        return Blob(self.size, self.content, self.path)

    def dataset(self) -> DatasetName | None:
        """The report dataset the file holds, as it says itself: an XML report by its
        ``DatasetName``, a CSV report by its name; None for any other file."""
        from mms_client import reports

        if self.data_type == "XML":
            with self.open() as source:
                return reports.declared_dataset(source)
        if self.data_type == "CSV":
            return reports.dataset_of(self.name)
        return None

    @overload
    def iter_rows(
        self, dataset: type[ReportRow], *, encoding: str = ...
    ) -> Iterator[ReportRow]: ...
    @overload
    def iter_rows(
        self, dataset: DatasetName | str | None = None, *, encoding: str = ...
    ) -> Iterator[XmlModel]: ...
    def iter_rows(
        self, dataset: DatasetName | str | type[ReportRow] | None = None, *, encoding: str = "utf-8"
    ) -> Iterator[XmlModel]:
        """The dataset rows of a report file, one at a time.

        ``dataset`` names the dataset, or is its row model (``iter_rows(BSP_ResourceList)``),
        which also types the rows for a type checker. An XML report names its dataset itself:
        one of another than ``dataset`` is refused before any row. For a CSV report
        ``dataset`` defaults to the dataset the file name starts with (see
        :mod:`mms_client.reports`). A file attached to a reply (a settlement or baseline-load
        file) is no report unless ``dataset`` says which one it is. A CSV report is read in
        ``encoding`` (see :func:`mms_client.reports.text_lines`); an XML one in the encoding it
        declares, whatever ``encoding`` says. What does not fit raises
        :class:`PayloadError` naming this file (and the dataset a CSV is read as), since the
        line or row it names means little without.
        """
        from mms_client import reports

        if self.data_type == "XML":
            with self.open() as source, self._named(None):
                yield from reports.iter_xml(source, dataset)
        elif self.data_type == "CSV":
            chosen = self._dataset_by_name() if dataset is None else dataset
            with self.open() as source, self._named(chosen):
                yield from reports.iter_csv(chosen, reports.text_lines(source, encoding))
        else:
            raise PayloadError(
                f"{self.name} is not a report dataset",
                [FieldError("data_type", self.data_type, "rows come from XML or CSV reports")],
            )

    def _dataset_by_name(self) -> str:
        """The dataset a CSV report holds by its file name, which is a report's only word on
        it; an attached file's name says nothing of the kind."""
        from mms_client import reports

        if self.attached:
            raise PayloadError(
                f"{self.name} is not a report dataset",
                [
                    FieldError(
                        "file",
                        self.name,
                        "a report (this file was attached to the reply; pass dataset= if it "
                        "holds one all the same)",
                    )
                ],
            )
        found = reports.dataset_of(self.name)
        if found is None:
            raise PayloadError(
                f"{self.name}: the file name does not say which dataset the CSV holds",
                [FieldError("dataset", None, "pass dataset= (the report's ReportName)")],
            )
        return found

    @contextmanager
    def _named(self, dataset: DatasetName | str | type[XmlModel] | None) -> Iterator[None]:
        """Errors of the block, raised again with the file (and the dataset) in front."""
        try:
            yield
        except PayloadError as exc:
            name = dataset.__name__ if isinstance(dataset, type) else dataset
            read_as = "" if name is None else f" (read as {name})"
            raise PayloadError(f"{self.name}{read_as}: {exc.summary}", exc.errors) from None

    @overload
    def rows(self, dataset: type[ReportRow], *, encoding: str = ...) -> list[ReportRow]: ...
    @overload
    def rows(
        self, dataset: DatasetName | str | None = None, *, encoding: str = ...
    ) -> list[XmlModel]: ...
    def rows(
        self, dataset: DatasetName | str | type[ReportRow] | None = None, *, encoding: str = "utf-8"
    ) -> list[ReportRow] | list[XmlModel]:
        """All dataset rows of a report file (see :meth:`iter_rows`)."""
        return list(self.iter_rows(dataset, encoding=encoding))
