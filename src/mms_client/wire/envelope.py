"""Reading a SOAP envelope; a large one without holding its base64 text.

An MMS envelope is small except for its ``base64Binary`` elements (``requestData``,
``responseData``, ``binaryData``), which carry the payload and files either inline, as base64
text, or as a reference (``xop:Include``) to an MTOM part. What a reader gets is the element
inside ``soap:Body`` as an lxml tree, read one of two ways:

- a small envelope, plain XML or the root part of an MTOM message (the usual case), is parsed
  whole by the hardened parser; its binary elements keep their base64 text, decoded into a
  blob when asked for (:meth:`Envelope.binary`);
- a large one is streamed through an lxml parser *target*: elements and small text go to a
  tree builder, and the text of binary elements is base64-decoded as it arrives into blobs of
  a :class:`~mms_client.wire.blobs.BlobStore` (memory, or a file). A 200 MB report inline is a
  267 MB text node: more than libxml2 accepts in a tree unless its limits are lifted, and twice
  the memory of the report.

MTOM parts are located in the body and decoded into blobs only when a field refers to them.
The parser is as hardened as the payload parser (:mod:`mms_client.xmlparse`: a DOCTYPE is
refused outright, so neither entity expansion nor external entities can happen), and the tree
a reader gets is bounded in element count and text size, whichever way it was read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import BinaryIO, Final, Protocol, cast
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
    relate_parts,
    scan_multipart,
)
from mms_client.xmlparse import check_attributes, event_parser, not_well_formed, parse_xml

SOAP_ENVELOPE_NS: Final = "http://schemas.xmlsoap.org/soap/envelope/"
XOP_NS: Final = "http://www.w3.org/2004/08/xop/include"

#: The ``xs:base64Binary`` elements of ``RequestAttInfo``, ``ResponseAttInfo`` and attachments.
BINARY_ELEMENTS: Final = frozenset({"requestData", "responseData", "binaryData"})

_ENVELOPE = f"{{{SOAP_ENVELOPE_NS}}}Envelope"
_BODY = f"{{{SOAP_ENVELOPE_NS}}}Body"
_HEADER = f"{{{SOAP_ENVELOPE_NS}}}Header"
_INCLUDE = f"{{{XOP_NS}}}Include"
_XML_CONTENT_TYPES = frozenset({"text/xml", "application/soap+xml", "application/xop+xml"})
_TREE_MAX_BYTES = 8 * 1024 * 1024
"""Envelopes up to this size are parsed whole into a tree, which costs a fraction of
libxml2 calling back into Python for every event; libxml2 keeps a text node (an inline
payload) below 10 MB. Larger envelopes, inline reports, are streamed."""
_MAX_NODES = 20_000
"""Elements of the body's content (those inside binary elements not counted)."""
_MAX_TEXT = 4 * 1024 * 1024
"""Characters of non-binary text in the body's content (fault details included)."""


def _invalid_base64(name: str) -> str:
    """What a binary element ``name`` is called in the error for its invalid base64."""
    return f"<{name}> is not valid base64"


def _held_twice(name: str) -> str:
    """Why a binary element ``name`` cannot be read: it holds its content twice."""
    return f"<{name}> has both base64 text and xop:Include"


def _holds_other_elements(name: str, tags: list[str]) -> str | None:
    """Why a binary element ``name`` holding the elements ``tags`` cannot be read, if it
    cannot: its content is base64 text or one ``xop:Include``, and it holds no other element.
    Read as holding nothing, an Include of another namespace would give an empty file; of two
    Includes, one would be taken where the message does not say which part it carries."""
    if not tags or tags == [_INCLUDE]:
        return None
    if len(tags) == 1:
        return f"<{name}> holds {tags[0]!r}, not base64 text or an xop:Include"
    return f"<{name}> holds {len(tags)} elements, not base64 text or one xop:Include"


def _check_in_envelope(tag: str, previous: str | None) -> None:
    """Refuse the element ``tag`` of the envelope after its element ``previous`` (None for
    its first) unless it stands where SOAP 1.1 puts it: a Header first, if any, then the Body,
    and nothing after it (WS-I Basic Profile R1011). Read as if it were not there, a second
    Body or Header, or an element beside them, would leave what it says unseen."""
    if (tag == _BODY and previous != _BODY) or (tag == _HEADER and previous is None):
        return
    if tag == previous:
        raise MimeFormatError(f"the SOAP envelope holds a second {local_name(tag)}")
    where = "after" if previous == _BODY else "before"
    raise MimeFormatError(f"the SOAP envelope holds {tag!r} {where} its Body")


def _second_content(tag: str) -> str:
    """Why a Body holding the element ``tag`` after its first cannot be read: the Body of a
    document/literal message is one element, and one after it would go unread."""
    return f"the SOAP Body holds a second element, {tag!r}"


def local_name(tag: str) -> str:
    """MMS children are unqualified; a qualified one reads the same."""
    return tag.rpartition("}")[2]


def text_of(element: etree._Element) -> str:
    """The text directly inside ``element``, also where a comment or processing instruction
    splits it (``re<!-- -->port`` reads ``report``)."""
    text = element.text or ""
    if len(element):
        text += "".join(child.tail or "" for child in element)
    return text


def all_text(element: etree._Element) -> str:
    """The text of ``element`` and every element inside it, in document order (comments
    and processing instructions left out)."""
    return etree.tostring(element, method="text", encoding="unicode", with_tail=False)


class Envelope:
    """The element inside ``soap:Body`` of a read envelope, and the content of its binary
    fields."""

    def __init__(
        self,
        content: etree._Element,
        source: BinaryIO,
        parts: Mapping[str, tuple[int, PartSpan]],
        store: BlobStore,
        binaries: Mapping[etree._Element, Blob | str],
    ) -> None:
        self.content = content
        self._source = source
        self._parts = parts
        self._store = store
        self._binaries = binaries
        """The binary elements of a streamed envelope whose base64 text was decoded as it
        came: their content, or why it cannot be read."""

    def binary(self, element: etree._Element) -> Blob:
        """The decoded content of the binary element ``element``: its inline base64 or the
        MTOM part its ``xop:Include`` refers to, written to the store."""
        streamed = self._binaries.get(element)
        if isinstance(streamed, str):
            raise MimeFormatError(streamed)
        if streamed is not None:
            return streamed
        name = local_name(element.tag)
        text = text_of(element)
        blank = not text or text.isspace()
        include = None
        if len(element):  # inline base64, the usual reply, holds no element
            tags = [child.tag for child in element if child.tag.__class__ is str]
            wrong = _holds_other_elements(name, tags)
            if wrong is not None:
                raise MimeFormatError(wrong)
            include = next((child for child in element if child.tag == _INCLUDE), None)
        if include is None:
            if blank:
                return Blob(0, content=b"")
            writer = self._store.open()
            decoder = Base64Decoder(writer.write, _invalid_base64(name))
            decoder.write(text)
            decoder.close()
            return writer.finish()
        if not blank:
            raise MimeFormatError(_held_twice(name))
        href = include.get("href", "")
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
            number, root = related.root
            size = root.end - root.start  # decoded, the root part is no larger
            feed: _Feed = partial(copy_part, source, root, number=number)
        elif media_type in _XML_CONTENT_TYPES:
            size = source.seek(0, 2)
            if size > limits.max_body_bytes:
                raise MimeFormatError(
                    f"the body has {size} bytes; at most {limits.max_body_bytes} are accepted"
                )
            source.seek(0)
            feed = partial(_copy_chunks, source)
        else:
            raise MimeFormatError(f"unexpected Content-Type {media_type!r}")
        if size <= _TREE_MAX_BYTES:
            pieces: list[bytes] = []
            feed(pieces.append)
            return Envelope(_tree_content(b"".join(pieces)), source, parts, store, {})
        streamed = _StreamedEnvelope(store)
        parser = event_parser(streamed)
        feed(parser.feed)
        parser.close()
    except etree.XMLSyntaxError as exc:  # from the parser of a large envelope
        raise MimeFormatError(
            f"the SOAP envelope is not acceptable XML: {not_well_formed(exc)}"
        ) from None
    except PayloadError as exc:
        raise MimeFormatError(f"the SOAP envelope is not acceptable XML: {exc}") from None
    return Envelope(streamed.finished(), source, parts, store, streamed.binaries)


_Feed = Callable[[Callable[[bytes], object]], None]
"""Hands the bytes of an envelope, in pieces, to the function it is given."""


def _copy_chunks(source: BinaryIO, write: Callable[[bytes], object]) -> None:
    while chunk := source.read(CHUNK_SIZE):
        write(chunk)


class _Budget:
    """What the body's content may hold (:data:`_MAX_NODES`, :data:`_MAX_TEXT`), spent
    element by element and text by text, the same way for a tree and for a stream."""

    __slots__ = ("nodes", "text")

    def __init__(self) -> None:
        self.nodes = 0
        self.text = 0

    def element(self) -> None:
        self.nodes += 1
        if self.nodes > _MAX_NODES:
            raise MimeFormatError(f"the SOAP body has more than {_MAX_NODES} elements")

    def characters(self, count: int) -> None:
        self.text += count
        if self.text > _MAX_TEXT:
            raise MimeFormatError(f"the SOAP body holds more than {_MAX_TEXT} characters of text")


def _tree_content(envelope: bytes) -> etree._Element:
    """The body's content of a small envelope, parsed whole and checked as a stream is
    checked, in document order: the one element of the ``soap:Body`` (a ``soap:Header``
    before it is ignored), within the budget."""
    root = parse_xml(envelope, max_bytes=_TREE_MAX_BYTES)
    if root.tag != _ENVELOPE:
        raise MimeFormatError(f"the document is not a SOAP 1.1 envelope but {root.tag!r}")
    previous: str | None = None
    content: etree._Element | None = None
    for child in root:
        tag = child.tag
        if tag.__class__ is not str:  # a comment or processing instruction
            continue
        _check_in_envelope(tag, previous)
        previous = tag
        if tag == _BODY:
            elements = [element for element in child if element.tag.__class__ is str]
            if len(elements) > 1:
                raise MimeFormatError(_second_content(elements[1].tag))
            content = elements[0] if elements else None
    if previous != _BODY:
        raise MimeFormatError("the SOAP envelope has no Body")
    if content is None:
        raise MimeFormatError("the SOAP Body is empty")
    # an envelope smaller than the budget cannot exceed it (an element takes 4 bytes at
    # least, a character one): the usual reply is not walked
    if len(envelope) > min(4 * _MAX_NODES, _MAX_TEXT):
        _spend(content, _Budget())
    return content


def _spend(element: etree._Element, budget: _Budget) -> None:
    """Spend ``budget`` on ``element`` and what it holds, as :class:`_StreamedEnvelope`
    does (the inside of a binary element is its base64, not counted)."""
    budget.element()
    if local_name(element.tag) in BINARY_ELEMENTS:
        return
    budget.characters(len(text_of(element)))
    for child in element:
        if child.tag.__class__ is str:
            _spend(child, budget)


class _TreeBuilder(Protocol):
    """lxml's ``TreeBuilder`` as lxml documents it: ``end()`` hands back the element it
    closed (lxml-stubs say it returns None)."""

    def start(self, tag: str, attrib: dict[str, str]) -> etree._Element: ...

    def data(self, data: str) -> None: ...

    def end(self, tag: str) -> etree._Element: ...

    def close(self) -> etree._Element: ...


class _StreamedEnvelope:
    """The lxml parser target of a large envelope: builds the tree of the body's content,
    except for the text of binary elements, which it decodes into blobs as it comes
    (:attr:`binaries`)."""

    def __init__(self, store: BlobStore) -> None:
        self._store = store
        self._builder = cast(_TreeBuilder, etree.TreeBuilder())
        self._budget = _Budget()
        self._depth = 0
        self._skip_below: int | None = None  # depth of a subtree being ignored
        self._last_in_envelope: str | None = None  # the tag of the envelope's latest element
        self._content_seen = False
        self._open: list[str] = []  # local names of the content's open elements
        # the binary element being read: its blob, the tags of the elements it holds (an
        # xop:Include), why it cannot be read
        self._writer: BlobWriter | None = None
        self._decoder: Base64Decoder | None = None
        self._held: list[str] = []
        self._unreadable: str | None = None
        self.binaries: dict[etree._Element, Blob | str] = {}
        """Binary element -> its content, or why it cannot be read (said when it is read,
        as for a small envelope)."""

    # --- parser callbacks ------------------------------------------------------------------

    def doctype(self, *_declaration: object) -> None:
        raise MimeFormatError("the SOAP envelope has a DOCTYPE; no DTD or entities allowed")

    def start(self, tag: str, attributes: Mapping[str, str]) -> None:
        check_attributes(tag, attributes)
        self._depth += 1
        depth = self._depth
        if self._skip_below is not None:
            return
        if depth == 1:
            if tag != _ENVELOPE:
                raise MimeFormatError(f"the document is not a SOAP 1.1 envelope but {tag!r}")
        elif depth == 2:
            _check_in_envelope(tag, self._last_in_envelope)
            self._last_in_envelope = tag
            if tag == _HEADER:
                self._skip_below = depth  # the MMS defines no header blocks
        elif depth == 3 and self._content_seen:
            raise MimeFormatError(_second_content(tag))
        elif self._open and self._open[-1] in BINARY_ELEMENTS:
            if tag == _INCLUDE and not self._held:
                self._builder.start(tag, dict(attributes))
                self._builder.end(tag)
            self._held.append(tag)
            self._skip_below = depth
        else:
            self._content_seen = True
            self._budget.element()
            self._builder.start(tag, dict(attributes))
            self._open.append(local_name(tag))

    def end(self, tag: str) -> None:
        depth = self._depth
        self._depth -= 1
        if self._skip_below is not None:
            if depth == self._skip_below:
                self._skip_below = None
            return
        if depth < 3:
            return
        name = self._open.pop()
        element = self._builder.end(tag)
        if name in BINARY_ELEMENTS:
            content = self._binary_read(name)
            if content is not None:
                self.binaries[element] = content

    def data(self, text: str) -> None:
        if self._skip_below is not None or not self._open:
            return
        name = self._open[-1]
        if name not in BINARY_ELEMENTS:
            self._budget.characters(len(text))
            self._builder.data(text)
            return
        if self._unreadable is not None:
            return
        if self._decoder is None:
            if text.isspace():
                return
            self._writer = writer = self._store.open()
            self._decoder = Base64Decoder(writer.write, _invalid_base64(name))
        try:
            self._decoder.write(text)
        except MimeFormatError as exc:
            self._unreadable = str(exc)

    def close(self) -> None:
        return None

    # --- helpers ---------------------------------------------------------------------------

    def _binary_read(self, name: str) -> Blob | str | None:
        """The content of the binary element ``name`` just ended, or why it cannot be read;
        None where it held no base64 text and no other element than one xop:Include (the
        tree says which it holds: nothing, or the Include). Ready for the next one."""
        writer, decoder = self._writer, self._decoder
        held, unreadable = self._held, self._unreadable
        wrong = _holds_other_elements(name, held)
        self._writer = self._decoder = self._unreadable = None
        self._held = []
        if writer is None or decoder is None:
            return wrong
        if unreadable is None:
            try:
                decoder.close()
            except MimeFormatError as exc:
                unreadable = str(exc)
        blob = writer.finish()
        if wrong is not None:
            return wrong
        if held:  # an xop:Include
            return _held_twice(name)
        return blob if unreadable is None else unreadable

    def finished(self) -> etree._Element:
        """The body's content, once the whole envelope has been parsed."""
        if self._last_in_envelope != _BODY:
            raise MimeFormatError("the SOAP envelope has no Body")
        if not self._content_seen:
            raise MimeFormatError("the SOAP Body is empty")
        return self._builder.close()
