"""Reading a SOAP envelope; a large one without building an XML tree.

An MMS envelope is small except for its ``base64Binary`` elements (``requestData``,
``responseData``, ``binaryData``), which carry the payload and files either inline, as base64
text, or as a reference (``xop:Include``) to an MTOM part. A 200 MB report inline is a 267 MB
text node: more than libxml2 accepts in a tree unless its limits are lifted, and twice the
memory of the report. So a large envelope is read with an lxml *parser target*: libxml2 reports
elements and text as it parses, small fields are kept as text in a tiny tree of :class:`Node`,
and the text of a binary element is base64-decoded as it arrives into a blob of a
:class:`~mms_client.wire.blobs.BlobStore` (memory, or a file). MTOM parts are located in the
body and decoded into blobs only when a field refers to them. A small envelope, plain XML or
the root part of an MTOM message (the usual case), is parsed as a tree and its events replayed
to the same target, which is cheaper.

The parser is as hardened as the payload parser (:mod:`mms_client.xmlparse`: a DOCTYPE is
refused outright, so neither entity expansion nor external entities can happen); what is kept in
:class:`Node` trees is bounded in element count and text size.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import BinaryIO, Final
from urllib.parse import unquote

from lxml import etree

from mms_client.errors import PayloadError
from mms_client.wire.blobs import CHUNK_SIZE, Blob, BlobStore, BlobWriter
from mms_client.wire.mime import (
    Base64Decoder,
    MimeFormatError,
    MultipartLimits,
    PartSpan,
    copy_part,
    find_header,
    parse_header_value,
    read_part,
    relate_parts,
    scan_multipart,
)
from mms_client.xmlparse import event_parser, not_well_formed, parse_xml, replay

SOAP_ENVELOPE_NS: Final = "http://schemas.xmlsoap.org/soap/envelope/"
XOP_NS: Final = "http://www.w3.org/2004/08/xop/include"

#: The ``xs:base64Binary`` elements of ``RequestAttInfo``, ``ResponseAttInfo`` and attachments.
BINARY_ELEMENTS: Final = frozenset({"requestData", "responseData", "binaryData"})

_ENVELOPE = f"{{{SOAP_ENVELOPE_NS}}}Envelope"
_BODY = f"{{{SOAP_ENVELOPE_NS}}}Body"
_INCLUDE = f"{{{XOP_NS}}}Include"
_XML_CONTENT_TYPES = frozenset({"text/xml", "application/soap+xml", "application/xop+xml"})
_TREE_MAX_BYTES = 8 * 1024 * 1024
"""Envelopes up to this size are parsed into a tree in one call and then walked: about half
the cost of libxml2 calling back into Python for every event through a parser made for each
new target (lxml inspects the target), and libxml2 keeps a text node (an inline payload)
below 10 MB. Larger envelopes, inline reports, are streamed."""
_MAX_NODES = 20_000
_MAX_TEXT = 4 * 1024 * 1024
"""Characters of non-binary text kept from one envelope (fault details included)."""


def local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


@dataclass(eq=False)
class Node:
    """One element of the envelope's body content: its text, attributes and children, and for
    a binary element its content (decoded inline base64) or the XOP reference it holds."""

    tag: str
    attributes: dict[str, str]
    text: str = ""
    children: list[Node] = field(default_factory=list)
    blob: Blob | None = None
    include: str | None = None
    name: str = field(init=False)
    """The local name (MMS children are unqualified; a qualified one reads the same), looked
    at for every event the parser reports inside the element, so found once."""

    def __post_init__(self) -> None:
        self.name = local_name(self.tag)

    def all_text(self) -> str:
        """The text of this element and every descendant, in document order."""
        return self.text + "".join(child.all_text() for child in self.children)


class Envelope:
    """The element inside ``soap:Body`` of a read envelope, and the content of its binary
    fields."""

    def __init__(
        self,
        content: Node,
        source: BinaryIO,
        parts: Mapping[str, tuple[int, PartSpan]],
        store: BlobStore,
    ) -> None:
        self.content = content
        self._source = source
        self._parts = parts
        self._store = store

    def binary(self, node: Node) -> Blob:
        """The decoded content of the binary element ``node``: its inline base64 or the MTOM
        part its ``xop:Include`` refers to, written to the store."""
        if node.include is None:
            return node.blob if node.blob is not None else Blob(0, content=b"")
        href = node.include
        if not href.startswith("cid:"):
            raise MimeFormatError(f"xop:Include href {href[:80]!r} is not a cid: URL")
        content_id = unquote(href[4:])
        found = self._parts.get(content_id)
        if found is None:
            raise MimeFormatError(f"no MIME part has the Content-ID {content_id[:80]!r}")
        number, span = found
        writer = self._store.open()
        copy_part(self._source, span, writer.write, number)
        return writer.finish()


def read_envelope(
    headers: Mapping[str, str], source: BinaryIO, limits: MultipartLimits, store: BlobStore
) -> Envelope:
    """Read the SOAP envelope of an HTTP body (``source``, seekable), plain XML or MTOM.

    Raises :class:`~mms_client.wire.mime.MimeFormatError` for anything unreadable.
    """
    content_type = find_header(headers.items(), "Content-Type")
    if content_type is None:
        raise MimeFormatError("no Content-Type header")
    media_type, parameters = parse_header_value(content_type)
    target = _EnvelopeTarget(store)
    parts: Mapping[str, tuple[int, PartSpan]] = {}
    try:
        if media_type == "multipart/related":
            boundary = parameters.get("boundary")
            if not boundary:
                raise MimeFormatError("multipart Content-Type without a boundary")
            spans = scan_multipart(source, boundary, limits)
            if not spans:
                raise MimeFormatError("the multipart body has no parts")
            related = relate_parts(spans, parameters.get("start"))
            parts = related.by_content_id
            root_number, root = related.root
            if root.end - root.start <= _TREE_MAX_BYTES:  # decoded, it is no larger
                envelope = read_part(source, root, root_number)
                replay(parse_xml(envelope, max_bytes=_TREE_MAX_BYTES), target)
            else:
                parser = event_parser(target)
                copy_part(source, root, parser.feed, root_number)
                parser.close()
        elif media_type in _XML_CONTENT_TYPES:
            size = source.seek(0, 2)
            if size > limits.max_body_bytes:
                raise MimeFormatError(
                    f"the body has {size} bytes; at most {limits.max_body_bytes} are accepted"
                )
            source.seek(0)
            if size <= _TREE_MAX_BYTES:
                replay(parse_xml(source.read(), max_bytes=_TREE_MAX_BYTES), target)
            else:
                parser = event_parser(target)
                while chunk := source.read(CHUNK_SIZE):
                    parser.feed(chunk)
                parser.close()
        else:
            raise MimeFormatError(f"unexpected Content-Type {media_type!r}")
    except etree.XMLSyntaxError as exc:  # from the parser of a large envelope
        raise MimeFormatError(
            f"the SOAP envelope is not acceptable XML: {not_well_formed(exc)}"
        ) from None
    except PayloadError as exc:
        raise MimeFormatError(f"the SOAP envelope is not acceptable XML: {exc}") from None
    return Envelope(target.finished(), source, parts, store)


class _EnvelopeTarget:
    """The lxml parser target: keeps the body content as :class:`Node` trees and streams the
    text of binary elements through a base64 decoder into blobs."""

    def __init__(self, store: BlobStore) -> None:
        self._store = store
        self._depth = 0
        self._skip_below: int | None = None  # depth of a subtree being ignored
        self._body_seen = False
        self._content: Node | None = None
        self._open: list[Node] = []
        self._nodes = 0
        self._text = 0
        self._writer: BlobWriter | None = None
        self._decoder: Base64Decoder | None = None

    # --- parser callbacks ------------------------------------------------------------------

    def doctype(self, *_declaration: object) -> None:
        raise MimeFormatError("the SOAP envelope has a DOCTYPE; no DTD or entities allowed")

    def start(self, tag: str, attributes: Mapping[str, str]) -> None:
        self._depth += 1
        depth = self._depth
        if self._skip_below is not None:
            return
        if depth == 1:
            if tag != _ENVELOPE:
                raise MimeFormatError(f"the document is not a SOAP 1.1 envelope but {tag!r}")
        elif depth == 2:
            if tag != _BODY or self._body_seen:
                self._skip_below = depth  # soap:Header, or anything else beside the Body
            else:
                self._body_seen = True
        elif depth == 3:
            if self._content is not None:
                self._skip_below = depth  # only the first element of the Body counts
            else:
                self._content = self._node(tag, attributes)
                self._open.append(self._content)
        else:
            parent = self._open[-1]
            if parent.name in BINARY_ELEMENTS:
                if tag == _INCLUDE:
                    parent.include = attributes.get("href", "")
                self._skip_below = depth
                return
            node = self._node(tag, attributes)
            parent.children.append(node)
            self._open.append(node)

    def end(self, _tag: str) -> None:
        depth = self._depth
        self._depth -= 1
        if self._skip_below is not None:
            if depth == self._skip_below:
                self._skip_below = None
            return
        if depth >= 3:
            node = self._open.pop()
            if self._writer is not None and self._decoder is not None:
                self._decoder.close()
                node.blob = self._writer.finish()
                self._writer = self._decoder = None
                if node.include is not None:
                    raise MimeFormatError(f"<{node.name}> has both base64 text and xop:Include")

    def data(self, text: str) -> None:
        if self._skip_below is not None or not self._open:
            return
        node = self._open[-1]
        if node.name in BINARY_ELEMENTS:
            if self._decoder is None:
                if text.isspace():
                    return
                self._writer = writer = self._store.open()
                self._decoder = Base64Decoder(writer.write, f"<{node.name}> is not valid base64")
            self._decoder.write(text)
            return
        self._text += len(text)
        if self._text > _MAX_TEXT:
            raise MimeFormatError(f"the SOAP body holds more than {_MAX_TEXT} characters of text")
        node.text += text

    def close(self) -> None:
        return None

    # --- helpers ---------------------------------------------------------------------------

    def _node(self, tag: str, attributes: Mapping[str, str]) -> Node:
        self._nodes += 1
        if self._nodes > _MAX_NODES:
            raise MimeFormatError(f"the SOAP body has more than {_MAX_NODES} elements")
        return Node(tag, dict(attributes))

    def finished(self) -> Node:
        """The body content, once the whole envelope has been parsed."""
        if not self._body_seen:
            raise MimeFormatError("the SOAP envelope has no Body")
        if self._content is None:
            raise MimeFormatError("the SOAP Body is empty")
        return self._content
