"""The MMS payload documents: read any of them, write any of them.

``parse_payload`` turns the bytes of a ``MarketData``, ``RegistrationData``, ``MarketReport``
or ``OutboundData`` document into its typed model, ``write_payload`` turns a model back into
the canonical bytes that get signed and sent. Parsing then writing a schema-valid document
gives its canonical form back, so nothing a document says is lost on the way through.

The generated model modules are imported on first use only.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module

from lxml import etree

from mms_client.errors import FieldError, PayloadError
from mms_client.schema import codec
from mms_client.schema.binding import XmlModel
from mms_client.schema.files import Schema, schema_dir

__all__ = ["Schema", "parse_payload", "root_model", "schema_dir", "write_payload"]

_SCHEMA_BY_ROOT = {
    "MarketData": Schema.MI_MARKET,
    "RegistrationData": Schema.MPR,
    "MarketReport": Schema.MI_REPORT,
    "OutboundData": Schema.MI_OUTBND_REPORTS,
}


@cache
def root_model(schema: Schema | str) -> type[XmlModel]:
    """The model class of the documents of ``schema`` (``MarketData`` of ``mi_market``...).

    Kept once found: every reply asks for it, and the module lookup behind it costs more than
    reading a small reply's statistics."""
    chosen = Schema(schema)
    model: type[XmlModel] = getattr(import_module(chosen.module), chosen.root_tag)
    return model


def parse_payload(
    data: bytes | etree._Element,
    schema: Schema | str | None = None,
    *,
    max_bytes: int = codec.DEFAULT_MAX_BYTES,
) -> XmlModel:
    """The typed document of an MMS payload.

    The root element picks the schema; ``MarketData`` means the MI market schema unless
    ``schema="omi"`` says it is an OMI document (both use the same root name). Hostile,
    malformed or schema-breaking input raises :class:`~mms_client.errors.PayloadError`.
    """
    root = (
        codec.parse_xml(data, max_bytes=max_bytes)
        if isinstance(data, bytes | bytearray | memoryview)
        else data
    )
    if schema is None:
        chosen = _SCHEMA_BY_ROOT.get(str(root.tag))
        if chosen is None:
            expected = ", ".join(_SCHEMA_BY_ROOT)
            raise PayloadError(
                "not an MMS payload",
                [FieldError(str(root.tag), None, f"the root element should be one of {expected}")],
            )
    else:
        chosen = Schema(schema)
    return codec.read(root, root_model(chosen))


def write_payload(model: XmlModel) -> bytes:
    """The canonical payload bytes of a document model (what is signed and sent)."""
    return codec.write(model)
