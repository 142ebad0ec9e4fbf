"""Untrusted XML parsed with everything hostile or broken refused: the rules live here.

No DTD, no entities beyond XML's own, no network, libxml2's size and depth limits in force.
A document is parsed one of two ways:

- into an lxml tree (:func:`parse_xml`), for what is small and looked at as a whole: SOAP
  envelopes held in memory, and replies judged element by element when they do not fit their
  schema;
- as a stream of events handed to a *parser target* (:func:`event_parser`), for what is read
  into something else (a payload into dicts) or is too large for a tree (an envelope carrying
  a report as inline base64, a single text node of hundreds of megabytes, or the report
  itself): libxml2 calls the target for each start tag, end tag and piece of text, and
  nothing else is kept. :func:`replay` hands a target the events of a tree, so that one
  target reads both; a document whose tree fits in :data:`TREE_MAX_BYTES` is parsed into a
  tree and replayed when the program runs other threads (see :func:`parse_events` and
  :func:`feed_events`).

Documents held whole in memory also get a size limit of our own (:func:`parse_xml`,
:func:`parse_events`). A larger document fed to an event parser in chunks
(:func:`feed_events`) is never held whole: its target keeps what it needs (a report's rows go
out one at a time), and the wire layer bounds the size of a reply.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sized
from typing import Any, BinaryIO, cast

from lxml import etree

from mms_client.errors import FieldError, PayloadError

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
"""The largest document :func:`parse_xml` accepts unless told otherwise (64 MiB)."""
TREE_MAX_BYTES = 256 * 1024 * 1024
"""The most memory the tree of a document read beside other threads may take, as
:func:`tree_bytes_bound` reckons it (a reply of about 4400 offers, 17 MB): larger documents are
read from libxml2's events whatever the threads."""
MAX_ATTRIBUTES = 1024
"""The most attributes one element may have; no MMS element has more than about a hundred.
lxml finds each attribute of an element it reads by walking the element's list of them, so
reading all of an element's attributes takes time quadratic in their number, holding the GIL:
the half a million of a 5 MB start tag took hours and stopped every other thread."""
STREAM_READ_AHEAD_BYTES = 8 * 1024 * 1024
"""How much of a stream :func:`feed_events` reads ahead beside other threads, to see whether
the whole document fits in a tree."""

NOT_XML_CHARACTERS = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
"""The characters no XML 1.0 document can carry, escaped or not, as the body of a regular
expression character class: what every writer of XML must refuse to send."""
NOT_XML = re.compile(f"[{NOT_XML_CHARACTERS}]")
"""Finds a character of :data:`NOT_XML_CHARACTERS`."""

_thread_parsers = threading.local()
_WHITESPACE = re.compile(rb"[ \t\r\n]*")
_PROLOG_ITEMS_SCANNED = 64
_LXML_POSITION = re.compile(r", line \d+, column \d+$")
_LONG_START_TAG = re.compile(b"<[^<]{%d}" % (5 * MAX_ATTRIBUTES))
_OVER_ATTRIBUTES = f"(//*[@*[{MAX_ATTRIBUTES + 1}]])[1]"  # a compiled XPath is not thread-safe


def _parser() -> etree.XMLParser:
    """A parser that never resolves entities, loads DTDs, touches the network or lifts
    libxml2's size limits (parsers are not shared between threads)."""
    parser: etree.XMLParser | None = getattr(_thread_parsers, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_pis=False,
        )
        _thread_parsers.parser = parser
    return parser


def _doctype_offset(data: bytes) -> int | None:
    """Where a DOCTYPE starts in the prolog (before the root element), if there is one.

    A linear scan over whitespace, the XML declaration, processing instructions and comments
    (a regular expression here could backtrack through a hostile document). It gives up after
    a few dozen of them; a DOCTYPE hidden behind more is caught after parsing, with libxml2's
    expansion limits in force meanwhile.
    """
    index = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    for _ in range(_PROLOG_ITEMS_SCANNED):
        index = _WHITESPACE.match(data, index).end()  # type: ignore[union-attr]  # always matches
        if data.startswith(b"<?", index):
            end = data.find(b"?>", index + 2)
            index = end + 2
        elif data.startswith(b"<!--", index):
            end = data.find(b"-->", index + 4)
            index = end + 3
        else:
            return index if data.startswith(b"<!DOCTYPE", index) else None
        if end < 0:
            return None
    return None


def _position(data: bytes, offset: int) -> str:
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


def _refuse(path: str, value: Any, rule: str) -> PayloadError:
    return PayloadError("the document is not acceptable XML", [FieldError(path, value, rule)])


def doctype_refused(path: str, value: Any = "<!DOCTYPE") -> PayloadError:
    """The refusal of a document with a DOCTYPE at ``path``: what this module raises, and
    what the ``doctype`` callback of every parser target raises (see :func:`event_parser`)."""
    return _refuse(path, value, "no DTD or entities allowed")


def check_attributes(tag: str, attributes: Sized) -> None:
    """Refuse the element ``tag`` a parser target is handed if it has more attributes than
    :data:`MAX_ATTRIBUTES`, as :func:`parse_xml` refuses it: every target's ``start`` calls
    this, so that a document reads the same from events and from a tree (and a target that
    builds lxml elements, whose attributes are as slow to set as to read, never builds it).
    A target that refuses attributes the schema does not know may call it only where it
    finds one, as an element over the limit has: no plan has as many attribute names."""
    if len(attributes) > MAX_ATTRIBUTES:
        rule = f"at most {MAX_ATTRIBUTES} attributes on one element"
        raise _refuse(tag[:80], len(attributes), rule)


def parse_xml(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parse untrusted XML into an lxml element, refusing anything hostile or broken.

    Refused with :class:`PayloadError` (one :class:`FieldError` whose path is the position):
    documents over ``max_bytes``, documents that are not well-formed, any document with a
    DOCTYPE, since DTDs are how entity-expansion and external-entity attacks get in and no MMS
    document has one, and any with an element of more than :data:`MAX_ATTRIBUTES` attributes.
    """
    return _tree(_acceptable(data, max_bytes))


def _tree(raw: bytes) -> etree._Element:
    """The tree of ``raw``, which has passed :func:`_acceptable`."""
    try:
        root = etree.fromstring(raw, _parser())
    except etree.XMLSyntaxError as exc:
        raise not_well_formed(exc) from None
    docinfo = root.getroottree().docinfo
    doctype: str = getattr(docinfo, "doctype", "")  # not in lxml-stubs
    if doctype or docinfo.internalDTD is not None:
        raise doctype_refused("line 1, column 1", doctype)
    if _may_be_crowded(raw, docinfo.encoding):
        for crowded in cast(list[etree._Element], root.xpath(_OVER_ATTRIBUTES)):
            check_attributes(str(crowded.tag), crowded.attrib)
    return root


def _may_be_crowded(raw: bytes, encoding: str | None) -> bool:
    """Whether the document ``raw``, read in ``encoding`` (as lxml names the one declared),
    may have an element of more than :data:`MAX_ATTRIBUTES` attributes, to be searched for (a
    search costs about half the parse).

    Each attribute takes an ``=`` and at least five bytes of its start tag (a space, a name,
    ``=`` and two quotes), which cannot hold a ``<``: a document with no more ``=`` than the
    limit, or without such a run, has none. Counting them takes a reply's envelope, with a
    few attributes and kilobytes of base64 (a run without ``<``), out of the way first. The
    bytes tell this only in UTF-8 and ASCII, whose ``<`` and ``=`` are those bytes and in no
    other character, and which have no NUL byte: UTF-7 may write ``=`` as ``+AD0-``, so a
    document declared in any other encoding is searched. lxml names a UTF-16 or UTF-32
    document without a declaration UTF-8: each of its ``=`` still has that byte, so the count
    holds, but 丼 has the byte of ``<`` there, so a document with a NUL byte past the count
    is searched rather than scanned for a run."""
    if (encoding or "").upper() not in _BYTES_TELL:
        return True
    if raw.count(b"=") <= MAX_ATTRIBUTES:
        return False
    return b"\x00" in raw or _LONG_START_TAG.search(raw) is not None


_BYTES_TELL = frozenset(["UTF-8", "US-ASCII", "ASCII"])
"""The encodings in which :func:`_may_be_crowded` can tell from a document's bytes."""


def parse_events(
    data: bytes, parser: etree.XMLParser, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Any:
    """Parse untrusted XML held in memory into the target of ``parser``, an
    :func:`event_parser`, refusing what :func:`parse_xml` refuses; what the target's
    ``close()`` returns.

    For reading a document into something else (dicts, models). In a program with one
    thread, libxml2 hands the target its events as it parses: no tree and no element objects
    are made. With other threads, a document whose tree fits in :data:`TREE_MAX_BYTES` is
    parsed into a tree first and its events replayed (about a quarter more work): lxml lets go
    of the GIL while libxml2 parses and takes it back for every event it hands a target, and a
    thread busy in Python meanwhile makes each event wait until it gives the GIL up, up to the
    interpreter's switch interval (5 ms). A ten-offer reply then took 0.19-0.46 s to read
    instead of 2.5 ms, and one of 2500 offers 84 s instead of 0.55 s; a tree is parsed with
    the GIL let go once.
    """
    raw = _acceptable(data, max_bytes)
    if threading.active_count() > 1 and _fits_a_tree(raw):
        target = parser.target
        replay(_tree(raw), target)
        return target.close()
    try:
        return etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        raise not_well_formed(exc) from None


def feed_events(
    source: BinaryIO, parser: etree.XMLParser, chunk_size: int, *, to_the_end: bool = True
) -> Iterator[None]:
    """Parse the untrusted XML read from ``source`` into the target of ``parser``, an
    :func:`event_parser`, ``chunk_size`` bytes at a time, refusing what :func:`parse_xml`
    refuses; yields after each chunk, so that the caller can take what the target made of
    it. The target is closed at the end of the document, as a parser closes it (what its
    ``close()`` returns is not kept).

    For documents too large to hold, such as report files. In a program with other threads,
    one of up to :data:`STREAM_READ_AHEAD_BYTES` whose tree fits in :data:`TREE_MAX_BYTES` is
    read whole, parsed into a tree and replayed a child of its root at a time, for the reason
    :func:`parse_events` gives: a thousand report rows took 0.67-0.97 s to read from events
    beside a busy thread, 19 ms from a tree, and 7 ms from events alone. The tree costs more
    alone (9-14 ms there) and takes about ten times its document while it is read, and such a
    document is refused before the target has seen any of it where the stream would have
    refused it part-way. Other documents are fed a chunk at a time whatever the threads, what
    was read ahead for the tree included, and so is every document whose target stops after
    its first few events (``to_the_end`` false): a tree would be parsed for a few events.
    """
    threaded = to_the_end and threading.active_count() > 1
    chunk = source.read(max(STREAM_READ_AHEAD_BYTES + 1, chunk_size) if threaded else chunk_size)
    # an empty source is left to the stream, which refuses it as it always has
    if threaded and 0 < len(chunk) <= STREAM_READ_AHEAD_BYTES and _fits_a_tree(chunk):
        target = parser.target
        yield from _replayed(parse_xml(chunk), target)
        target.close()
        return
    _refuse_doctype_in_prolog(chunk)  # as parse_xml does; the target refuses any other
    try:
        # what was read ahead for a tree and is too large for one goes in a chunk at a time
        # too: fed whole, the rows of 8 MB of a report would all be made before the first is
        # handed out
        for start in range(0, len(chunk), chunk_size):
            parser.feed(chunk[start : start + chunk_size])
            yield
        del chunk  # kept no longer than it is fed
        while piece := source.read(chunk_size):
            parser.feed(piece)
            yield
        parser.close()
    except etree.XMLSyntaxError as exc:
        raise not_well_formed(exc) from None


def tree_bytes_bound(data: bytes) -> int:
    """At most how much memory libxml2's tree of the document ``data`` takes.

    A tree takes several times its document, by how many depending on its shape rather than
    its size: a reply of offers about 8 times its bytes, 8 MB of empty elements with
    whitespace between them about 50 times (391 MiB). Every node of a tree begins at a ``<``
    (an element, a comment, a processing instruction, a CDATA section) or just after the tag
    before it (its text), and every attribute at a ``=``. libxml2 takes 128 bytes for a node,
    up to about 340 for an attribute with the node of its value, and up to twice their size
    for names and text; the bound allows 320 a ``<``, 400 a ``=`` and twice the document.
    Counting the two bytes takes about 6 ms for 10 MB, against 0.5 s to read it.
    """
    return 2 * len(data) + 320 * data.count(b"<") + 400 * data.count(b"=")


def _fits_a_tree(data: bytes) -> bool:
    return tree_bytes_bound(data) <= TREE_MAX_BYTES


def _acceptable(data: bytes, max_bytes: int) -> bytes:
    """``data`` as bytes, after the checks that come before parsing: type, size, DOCTYPE."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"XML must be given as bytes, not {type(data).__name__}")
    raw = bytes(data)
    if len(raw) > max_bytes:
        raise _refuse("document", f"{len(raw)} bytes", f"at most {max_bytes} bytes")
    _refuse_doctype_in_prolog(raw)
    return raw


def _refuse_doctype_in_prolog(data: bytes) -> None:
    """Refuse a document whose prolog (at the start of ``data``) holds a DOCTYPE, naming its
    position, before any of it is parsed."""
    in_prolog = _doctype_offset(data)
    if in_prolog is not None:
        raise doctype_refused(_position(data, in_prolog))


def not_well_formed(exc: etree.XMLSyntaxError) -> PayloadError:
    """The refusal of a document libxml2 could not parse, at the position it stopped.

    The position is the path; lxml ends its message with the position too, which is left out
    of the rule so that the position is said once.
    """
    where = f"line {exc.lineno}, column {(exc.offset or 0) + 1}"
    return _refuse(where, None, f"well-formed XML: {_LXML_POSITION.sub('', exc.msg)}")


def event_parser(target: object) -> etree.XMLParser:
    """A hardened feed parser (``feed(bytes)``/``close()``) reporting to ``target``.

    ``target`` has ``start(tag, attributes)`` that calls :func:`check_attributes`,
    ``end(tag)``, ``data(text)``, ``close()`` and a ``doctype(...)`` that raises; lxml passes
    text as ``str``.

    The ``doctype`` callback is called before anything in the DOCTYPE is read, so no entity
    can ever be declared, and the only entity references a document can hold are the five
    predefined ones and character references. Those are resolved: without that, libxml2 hands
    a target an attribute value ``a&amp;b`` as ``a&#38;b``.
    """
    if not callable(getattr(target, "doctype", None)):
        raise TypeError(f"{type(target).__name__} must refuse DOCTYPEs in a doctype() callback")
    return etree.XMLParser(
        # lxml-stubs describe targets as taking str | bytes and always having comment();
        # lxml itself passes str and skips callbacks a target does not define.
        target=cast(Any, target),
        resolve_entities=True,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )


def replay(element: etree._Element, target: Any) -> None:
    """Hand ``target`` the events of a parsed tree, as :func:`event_parser` would have (each
    start with a dict of its own, which the target may keep); comments and processing
    instructions carry none."""
    for _ in _replayed(element, target):
        pass


def _replayed(element: etree._Element, target: Any) -> Iterator[None]:
    """:func:`replay`, yielding each time a child of ``element`` has been replayed, so that
    the caller can take what the target made of it so far (a report's rows, one at a time)."""
    _start(element, target)
    for child in element:
        _replay_child(child, target)
        yield
    target.end(element.tag)


def _replay_child(child: etree._Element, target: Any) -> None:
    """The events of ``child`` and of the text after it (a plain recursion: a generator for
    every element would cost the replay of a payload 3 % more)."""
    if child.tag.__class__ is str:
        _start(child, target)
        for grandchild in child:
            _replay_child(grandchild, target)
        target.end(child.tag)
    if child.tail:
        target.data(child.tail)


def _start(element: etree._Element, target: Any) -> None:
    """The events of ``element`` before its first child: its start and its text."""
    attributes = element.attrib
    fresh: dict[str, str] = dict(attributes) if attributes else {}  # type: ignore[arg-type]
    target.start(element.tag, fresh)
    if element.text:
        target.data(element.text)
