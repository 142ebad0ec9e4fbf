"""The official MMS schema files: which ones exist and where to find them.

The XSDs are EPRX's, not ours, so they are not shipped with the package. The generator reads
them to write the models, and tests and the simulator use them to check documents against
the official definitions when they are available: from ``MMS_SCHEMA_DIR`` if set, otherwise,
in a source checkout, from ``../shared/mms-schemas`` beside it. An installed package has no
such place, so there they are used only when ``MMS_SCHEMA_DIR`` names them; a folder it names
that does not hold them is an error, not a check quietly left off.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from mms_client.errors import SchemaFilesError

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


XSD_FILES = tuple(f"xsd/{schema.file_name}" for schema in Schema)
"""The files a schema folder holds for checking documents: its five XSDs."""


@cache
def _checkout_schemas() -> Path | None:
    """``../shared/mms-schemas`` beside the source checkout this package runs from; None for
    an installed package, which has no checkout to stand beside (its ``../..`` is a folder
    of the Python installation)."""
    package = Path(__file__).resolve().parents[1]
    root = package.parent.parent
    if package.parent.name != "src" or not (root / "pyproject.toml").is_file():
        return None
    return root.parent / "shared" / "mms-schemas"


def schema_location(configured: str | os.PathLike[str] | None = None) -> Path | None:
    """Where the official schema files are looked for: the folder ``configured`` (one the user
    named, such as a command-line option), else ``MMS_SCHEMA_DIR``, else
    ``../shared/mms-schemas`` beside the source checkout; None when none is named and the
    package is installed."""
    named = os.environ.get(SCHEMA_DIR_VARIABLE) if configured is None else configured
    return Path(named) if named else _checkout_schemas()


def schema_dir(
    configured: str | os.PathLike[str] | None = None, *, needs: Iterable[str] = XSD_FILES
) -> Path | None:
    """The folder of the official schema files (:func:`schema_location`), or None when none
    is named and the checkout has none (no ``xsd/``): documents are then not checked against
    the XSDs.

    A folder that is named, or that has ``xsd/``, must hold the files ``needs`` (paths in
    the folder): otherwise :class:`~mms_client.errors.SchemaFilesError` names what it lacks.
    Ignoring it would leave the check off without a word, when someone asked for it.
    """
    from_variable = configured is None and bool(os.environ.get(SCHEMA_DIR_VARIABLE))
    folder = schema_location(configured)
    if folder is None:
        return None
    if not (folder / "xsd").is_dir():
        if configured is None and not from_variable:
            return None
        lacks = (
            "has no xsd/ folder"
            if folder.is_dir()
            else "is not a folder"
            if os.path.lexists(folder)
            else "does not exist"
        )
        problem = f"no schema folder: {folder} {lacks}"
    else:
        missing = [name for name in needs if not (folder / name).is_file()]
        if not missing:
            return folder
        problem = f"incomplete schema folder: {folder} has no {', '.join(missing)}"
    if from_variable:
        problem += (
            f"; set {SCHEMA_DIR_VARIABLE} to the folder of EPRX's schema files (with xsd/), "
            "or unset it"
        )
    elif configured is None:
        problem += f"; complete it, or set {SCHEMA_DIR_VARIABLE} to another schema folder"
    raise SchemaFilesError(problem, folder)


@cache
def _compiled_xsd(path: Path, modified: float) -> etree.XMLSchema:
    from lxml import etree

    try:
        return etree.XMLSchema(etree.parse(str(path)))
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise SchemaFilesError(f"{path} cannot be read as an XSD: {exc}", path) from None


def compiled_xsd(folder: Path, schema: Schema) -> etree.XMLSchema:
    """The XSD of ``schema`` in the schema folder ``folder``, compiled for validation, once
    per file (and again once it changes). A file lxml cannot read as an XSD raises
    :class:`~mms_client.errors.SchemaFilesError` naming it."""
    path = folder / "xsd" / schema.file_name
    return _compiled_xsd(path, path.stat().st_mtime)


def xml_schema(schema: Schema) -> etree.XMLSchema | None:
    """The official XSD of ``schema`` compiled for validation, or None when the schema files
    are not available (:func:`schema_dir`).

    lxml's validator is the reference used to check that what we write is what EPRX
    specified.
    """
    folder = schema_dir()
    return None if folder is None else compiled_xsd(folder, schema)
