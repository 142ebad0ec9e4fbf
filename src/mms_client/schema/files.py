"""The official MMS schema files: which ones exist and where to find them.

The XSDs are EPRX's, not ours, so they are not shipped with the package. The generator reads
them to write the models, and tests and the simulator use them to check documents against
the official definitions when they are available: from ``MMS_SCHEMA_DIR`` if set, otherwise
from ``../shared/mms-schemas`` beside the repository root.
"""

from __future__ import annotations

import os
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lxml import etree

SCHEMA_DIR_VARIABLE = "MMS_SCHEMA_DIR"


class Schema(StrEnum):
    """One payload schema; the value is the name of its generated module."""

    MI_MARKET = "mi_market"
    """Market submits, queries and cancels on the MI interface (root ``MarketData``)."""
    OMI = "omi"
    """The OMI interface (root ``MarketData``, different content from MI)."""
    MPR = "mpr"
    """Registration data (root ``RegistrationData``)."""
    MI_REPORT = "mi_report"
    """Report requests (root ``MarketReport``)."""
    MI_OUTBND_REPORTS = "mi_outbnd_reports"
    """Downloaded report datasets (root ``OutboundData``)."""

    @property
    def file_name(self) -> str:
        """The XSD file, e.g. ``mi-market.xsd``."""
        return self.value.replace("_", "-") + ".xsd"

    @property
    def module(self) -> str:
        """The generated module holding this schema's models."""
        return f"mms_client.schema.generated.{self.value}"

    @property
    def root_tag(self) -> str:
        """The element name of the documents this schema describes."""
        return _ROOT_TAGS[self]


_ROOT_TAGS = {
    Schema.MI_MARKET: "MarketData",
    Schema.OMI: "MarketData",
    Schema.MPR: "RegistrationData",
    Schema.MI_REPORT: "MarketReport",
    Schema.MI_OUTBND_REPORTS: "OutboundData",
}


@cache
def repository_root() -> Path:
    """The folder holding ``src/`` when running from a source checkout."""
    return Path(__file__).resolve().parents[3]


def schema_location(configured: str | os.PathLike[str] | None = None) -> Path:
    """Where the official schema files are looked for: the folder ``configured`` (one the user
    named, such as a command-line option), else ``MMS_SCHEMA_DIR``, else
    ``../shared/mms-schemas`` beside the repository root."""
    named = os.environ.get(SCHEMA_DIR_VARIABLE) if configured is None else configured
    return Path(named) if named else repository_root().parent / "shared" / "mms-schemas"


def schema_dir(configured: str | os.PathLike[str] | None = None) -> Path | None:
    """The folder of the official schema files, :func:`schema_location`, or None when it has
    no ``xsd/``."""
    return _with_schemas(schema_location(configured))


@cache
def _with_schemas(folder: Path) -> Path | None:
    # Cached per folder: the simulator checks documents on every request, and looking at the
    # disk each time cost as much as the check itself.
    return folder if (folder / "xsd").is_dir() else None


def xsd_path(schema: Schema) -> Path | None:
    """The official XSD of ``schema``, or None when the schema files are not available."""
    folder = schema_dir()
    if folder is None:
        return None
    path = folder / "xsd" / schema.file_name
    return path if path.is_file() else None


@cache
def _compiled_xsd(path: Path, modified: float) -> etree.XMLSchema:
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(path)))


def xml_schema(schema: Schema) -> etree.XMLSchema | None:
    """The official XSD of ``schema`` compiled for validation, or None when not available.

    lxml's validator is the reference used to check that what we write is what EPRX
    specified; it is compiled once per file.
    """
    path = xsd_path(schema)
    if path is None:
        return None
    return _compiled_xsd(path, path.stat().st_mtime)
