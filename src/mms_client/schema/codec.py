"""Payload models to canonical XML bytes and back.

Writing produces the Canonical XML 1.0 form (no comments) directly as a string: the MMS
signature covers the exact payload bytes, so the bytes must be canonical, and building an lxml
tree only to canonicalise it costs several times more than writing the canonical form in the
first place. The properties C14N demands and this writer guarantees: no XML declaration,
attributes in lexicographic order, empty elements as a start and an end tag, C14N escaping,
UTF-8.

Reading hands the hardened parser a target that builds plain dicts keyed by XML names as the
document is parsed (one pass, no tree, no model objects per node; a :class:`Watcher` such as
the verdict of a reply sees chosen elements on the way) and has pydantic validate the result
(a document root part by part, see :func:`_validate_document`); every problem comes back as
one :class:`~mms_client.errors.PayloadError` with XML paths.
"""

from __future__ import annotations

import gc
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

from lxml import etree
from pydantic import ValidationError

from mms_client.errors import FieldError, PayloadError
from mms_client.schema.binding import (
    LISTED_PROBLEMS,
    TEXT_KEY,
    ElementPlan,
    ModelPlan,
    XmlChoiceModel,
    XmlModel,
    payload_error,
    root_tag,
    schema_refusal,
    unknown_name_rule,
    xml_plan,
)
from mms_client.schema.datatypes import UNESCAPED_TYPES, lexical
from mms_client.xmlparse import (
    DEFAULT_MAX_BYTES,
    NOT_XML,
    NOT_XML_CHARACTERS,
    check_attributes,
    doctype_refused,
    event_parser,
    parse_events,
    parse_xml,
    replay,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "ElementPath",
    "Watcher",
    "content",
    "parse_xml",
    "read",
    "validate",
    "write",
]

M = TypeVar("M", bound=XmlModel)


# ---------------------------------------------------------------------------------------------
# writing

# Characters XML 1.0 cannot carry at all, plus those C14N escapes; one search finds both.
_ATTRIBUTE_SPECIAL = re.compile(f'[&<"\t\n\r{NOT_XML_CHARACTERS}]')
_TEXT_SPECIAL = re.compile(f"[&<>\r{NOT_XML_CHARACTERS}]")


class _UnwritableValueError(Exception):
    """A value that no XML document can carry, for the ``character`` it holds (named, as the
    value shown cannot show it: a control character, a lone surrogate, U+FFFE or U+FFFF);
    collects its path while unwinding."""

    def __init__(self, value: str, character: str) -> None:
        self.value = value
        self.character = character
        self.path: list[str] = []


def _refuse_unwritable(value: str) -> None:
    """Raise :class:`_UnwritableValueError` if ``value`` holds a character XML cannot carry:
    checked only where a value holds a character to escape, which every such one is."""
    unwritable = NOT_XML.search(value)
    if unwritable is not None:
        raise _UnwritableValueError(value, unwritable.group())


def _escape_attribute(value: str) -> str:
    if _ATTRIBUTE_SPECIAL.search(value) is None:
        return value
    _refuse_unwritable(value)
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace('"', "&quot;")
        .replace("\t", "&#x9;")
        .replace("\n", "&#xA;")
        .replace("\r", "&#xD;")
    )


def _escape_text(value: str) -> str:
    if _TEXT_SPECIAL.search(value) is None:
        return value
    _refuse_unwritable(value)
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#xD;")
    )


def _write_element(model: XmlModel, tag: str, out: list[str], request: bool) -> None:
    plan = xml_plan(type(model))
    values = model.__dict__
    try:
        out.append("<" + tag)
        for attribute in plan.request_attributes if request else plan.attributes:
            value = values[attribute.field_name]
            if value is not None:
                text = lexical(value)
                try:
                    escaped = text if type(value) in UNESCAPED_TYPES else _escape_attribute(text)
                except _UnwritableValueError as exc:
                    exc.path.insert(0, "@" + attribute.xml_name)
                    raise
                out.append(f' {attribute.xml_name}="{escaped}"')
        out.append(">")
        if plan.text_field is not None:
            out.append(_escape_text(lexical(values[plan.text_field])))
        for child in plan.request_elements if request else plan.elements:
            value = values[child.field_name]
            if value is None:
                continue
            _write_children(child, value if child.is_list else (value,), out, request)
    except _UnwritableValueError as exc:
        exc.path.insert(0, tag)
        raise
    out.append(f"</{tag}>")


def _write_children(child: ElementPlan, items: Any, out: list[str], request: bool) -> None:
    for position, item in enumerate(items, start=1):
        try:
            if child.model is not None:
                _write_element(item, child.tag, out, request)
            else:
                out.append(f"<{child.tag}>{_escape_text(lexical(item))}</{child.tag}>")
        except _UnwritableValueError as exc:
            if child.model is None:
                exc.path.insert(0, child.tag)
            if child.is_list:
                exc.path[0] += f"[{position}]"
            raise


def write(model: XmlModel, tag: str | None = None, *, request: bool = False) -> bytes:
    """The canonical XML (C14N 1.0, no comments) of ``model`` as the element ``tag``.

    ``tag`` defaults to the root tag of a document model. Unset optional attributes and
    elements are left out; child elements follow the schema's sequence order. A string that
    XML cannot carry (a control character, U+FFFE...) raises :class:`PayloadError` naming its
    path and the character.

    ``request`` writes ``model`` as a request: without the MMS's verdict at any level
    (``Validation``, ``Success``, ``ValidationStatus``, ``Messages``, ``ProcessingStatistics``),
    which the MMS sets in its reply. An item read from a reply still holds the verdict on it
    when it is changed and sent back; the request must not repeat it as if the sender said
    so. The plan of each model lists what a request writes, so leaving them out costs nothing.
    """
    name = tag or model.__xml_tag__
    if name is None:
        raise TypeError(f"{type(model).__name__} is not a document root; pass the element tag")
    out: list[str] = []
    try:
        _write_element(model, name, out, request)
    except _UnwritableValueError as exc:
        path = "/".join(exc.path)
        rule = f"holds U+{ord(exc.character):04X}, a character XML 1.0 cannot carry"
        raise PayloadError(
            f"{name} cannot be written as XML", [FieldError(path, exc.value, rule)]
        ) from None
    return "".join(out).encode()


# ---------------------------------------------------------------------------------------------
# reading


class ElementPath:
    """Where an element of a document being read is, as the judgement names it:
    ``MarketData/MarketSubmit/OfferData[2]``, indexes only where same-named siblings exist.

    Whether an element has a same-named sibling after it is unknown while it is being read,
    so the text is made when first asked for (and kept), which must be after the reading.
    """

    __slots__ = ("_index", "_siblings", "_tag", "_text", "parent")

    def __init__(
        self,
        parent: ElementPath | None,
        tag: str,
        index: int = 0,
        siblings: dict[str, Any] | None = None,
    ) -> None:
        self.parent = parent
        self._tag = tag
        self._index = index
        self._siblings = siblings
        """The parent's content: how many elements share the tag is known from it once read."""
        self._text: str | None = None

    def __str__(self) -> str:
        text = self._text
        if text is None:
            text = self._tag
            same = None if self._siblings is None else self._siblings.get(text)
            if same.__class__ is list and len(same) > 1:
                text += f"[{self._index + 1}]"
            if self.parent is not None:
                text = f"{self.parent}/{text}"
            self._text = text
        return text


class Watcher(Protocol):
    """Something that looks at chosen elements of a document while it is read, so that a
    document is walked once however many things need it (the verdict of a reply is one)."""

    def watches(self, tag: str, cls: type[XmlModel]) -> bool:
        """Whether elements ``tag`` of type ``cls`` are to be shown to :meth:`saw`. The answer
        must depend on nothing else: the reader asks once for each kind of child element and
        keeps the answer for every watcher of the class (the root is asked at each read)."""

    def saw(self, tag: str, path: ElementPath, data: dict[str, Any]) -> None:
        """An element, in document order, as the dict of its attributes when its start tag
        is read; its content is added to ``data`` as the reading goes on."""


@dataclass(slots=True)
class _Child:
    """How to read one kind of child element, found once: the reader looks this up for
    every element, so it holds everything the start of an element needs."""

    binding: ElementPlan
    plan: ModelPlan | None
    """None for an element that holds only text."""
    watched: bool
    needs_path: bool
    """Whether it is watched or may hold watched elements, so that its path is needed."""
    children: dict[str, _Child] | None = None
    """Its own children's table, made when first needed (the schema's types are many and
    a document uses few)."""


_TABLES: dict[tuple[type | None, type[XmlModel]], dict[str, _Child]] = {}
"""(kind of watcher, model) -> child tag -> :class:`_Child`."""

_Frame = tuple[
    "dict[str, _Child] | None",
    dict[str, Any],
    "ElementPath | None",
    "list[str] | None",
    str,
    "_Child | None",
    int,
    "list[str] | None",
]
"""An element being read: the table of its children (None for a text-only element), its
content (for a text-only element, its parent's), its path (where a watcher needs it), its text
pieces (where it may hold text), tag, how it was read (None for the root), index among
same-named siblings, and its parent's text pieces (where text goes again after its end)."""


class _Reader:
    """A parser target that turns a document into the dicts ``model_validate`` takes, as the
    parser reads it (no tree is built), noting the structural problems pydantic cannot see
    (unknown names, repeated single elements, stray text) and showing a :class:`Watcher`
    the elements it asks for.

    Each element's dict goes into its parent's when its start tag is read and is filled
    afterwards, so sibling counts are complete when paths are finally written out.
    """

    def __init__(self, root_cls: type[XmlModel], tag: str, watcher: Watcher | None = None) -> None:
        self.begin(root_cls, tag, watcher)

    def begin(self, root_cls: type[XmlModel], tag: str, watcher: Watcher | None = None) -> None:
        """Be ready to read a document ``tag`` of type ``root_cls`` (a reader is reused,
        because a parser bound to it is costly to make)."""
        self.root_cls = root_cls
        self.tag = tag
        self.watcher = watcher
        self.problems: list[FieldError] = []
        self.unlisted = 0
        """Problems found beyond :data:`~mms_client.schema.binding.LISTED_PROBLEMS`, counted
        only."""
        self._frames: list[_Frame] = []
        self._skipping = 0
        """Depth inside an element that is not read (unknown, or repeated where it may not)."""
        self._pieces: list[str] | None = None
        """Where the text of the element being read goes; None where it may hold none, a list
        thrown away while skipping."""
        self._content: dict[str, Any] | None = None

    # --- parser callbacks ------------------------------------------------------------------

    def doctype(self, *_declaration: object) -> None:
        raise doctype_refused(self.tag)

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        # an element of too many attributes (check_attributes) is refused where its
        # attributes are found wrong, which they then are: a valid one pays nothing for it
        if self._skipping:
            check_attributes(tag, attributes)
            self._skipping += 1
            return
        frames = self._frames
        if not frames:
            self._start_root(tag, attributes)
            return
        table, siblings, parent_path, parent_pieces, _, _, _, _ = frames[-1]
        child = None if table is None else table.get(tag)
        if child is None:
            rule = (
                "a text-only element cannot have attributes or children"
                if table is None
                else unknown_name_rule(
                    tag, table, len(self.problems), "element not allowed here by the schema"
                )
            )
            self._problem(f"/{tag}", None, rule)
            self._skip(tag, attributes)
            return
        items = siblings.get(tag)
        is_list = child.binding.is_list
        if items is not None and not is_list:
            self._problem(f"/{tag}", None, "may occur only once")
            self._skip(tag, attributes)
            return
        index = 0 if items is None else len(items)
        plan = child.plan
        if plan is None:
            if attributes:
                check_attributes(tag, attributes)
                self._problem(f"/{tag}", None, "a text-only element cannot have attributes")
            pieces: list[str] | None = []
            frames.append((None, siblings, None, pieces, tag, child, index, parent_pieces))
            self._pieces = pieces
            return
        data = attributes if attributes else {}  # the parser hands each element a fresh dict
        if data and not plan.attribute_names.issuperset(data):
            self._unknown_attributes(
                tag, f"/{tag}[{index + 1}]" if is_list else f"/{tag}", plan, data
            )
        if not is_list:
            siblings[tag] = data
        elif items is None:
            siblings[tag] = [data]
        else:
            items.append(data)
        path = None
        if parent_path is not None and child.needs_path:
            path = ElementPath(parent_path, tag, index, siblings)
            if child.watched:
                self.watcher.saw(tag, path, data)  # type: ignore[union-attr]  # watched: has one
        children = child.children
        if children is None:
            children = child.children = self._table(child.binding.model)  # type: ignore[arg-type]
        pieces = None if plan.text_field is None else []
        frames.append((children, data, path, pieces, tag, child, index, parent_pieces))
        self._pieces = pieces

    def data(self, text: str) -> None:
        pieces = self._pieces
        if pieces is not None:  # also while skipping: a list that is thrown away
            pieces.append(text)
        elif not (text.isascii() and text.isspace()):
            # XML's white space, not Python's: U+3000 is text. The other ASCII characters
            # Python counts as space are not allowed in an XML document at all.
            self._problem("/text()", text, "text not allowed here by the schema")

    def end(self, _tag: str) -> None:
        frames = self._frames
        if self._skipping:
            self._skipping -= 1
            if not self._skipping:
                self._pieces = frames[-1][3]
            return
        table, data, _, pieces, tag, child, _, self._pieces = frames.pop()
        if pieces is None:
            return
        text = "".join(pieces)
        if table is not None:
            data[TEXT_KEY] = text
        elif child is not None and child.binding.is_list:  # a text-only element: the value
            items = data.get(tag)
            if items is None:
                data[tag] = [text]
            else:
                items.append(text)
        else:
            data[tag] = text

    def close(self) -> dict[str, Any]:
        # empty only when the parser stops on an error, which it raises after this call
        return {} if self._content is None else self._content

    # --- helpers ---------------------------------------------------------------------------

    def _start_root(self, tag: str, attributes: dict[str, str]) -> None:
        if tag != self.tag:
            raise PayloadError(
                "unexpected document", [FieldError(tag, None, f"the element should be {self.tag}")]
            )
        plan = xml_plan(self.root_cls)
        data = attributes if attributes else {}
        path = None if self.watcher is None else ElementPath(None, tag)
        pieces: list[str] | None = None if plan.text_field is None else []
        self._frames.append((self._table(self.root_cls), data, path, pieces, tag, None, 0, None))
        self._pieces = pieces
        self._content = data
        if data and not plan.attribute_names.issuperset(data):
            self._unknown_attributes(tag, "", plan, data)
        if path is not None and self.watcher.watches(tag, self.root_cls):  # type: ignore[union-attr]
            self.watcher.saw(tag, path, data)  # type: ignore[union-attr]

    def _skip(self, tag: str, attributes: dict[str, str]) -> None:
        """Read nothing of the element ``tag`` just started, down to its end tag; an element
        skipped is refused whole for too many attributes (:func:`check_attributes`), as the
        reading of a tree refuses it."""
        check_attributes(tag, attributes)
        self._skipping = 1
        self._pieces = []  # its text, thrown away

    def _table(self, cls: type[XmlModel]) -> dict[str, _Child]:
        """How to read the children of a ``cls`` element, for this kind of watcher."""
        watcher = self.watcher
        key = (type(watcher) if watcher is not None else None, cls)
        table = _TABLES.get(key)
        if table is None:
            table = {}
            for binding in xml_plan(cls).elements:
                model = binding.model
                plan = None if model is None else xml_plan(model)
                watched = (
                    model is not None
                    and watcher is not None
                    and watcher.watches(binding.tag, model)
                )
                needs_path = watched or (plan is not None and self._may_hold_watched(plan))
                table[binding.tag] = _Child(binding, plan, watched, needs_path)
            _TABLES[key] = table
        return table

    def _may_hold_watched(self, plan: ModelPlan) -> bool:
        """Whether an element laid out by ``plan`` may hold watched elements: it has a child
        that is watched or has children of its own (looking one level down is enough, since
        each element on the way to a watched one passes this test in turn)."""
        watcher = self.watcher
        if watcher is None:
            return False
        for binding in plan.elements:
            model = binding.model
            if model is not None and (
                watcher.watches(binding.tag, model) or xml_plan(model).elements
            ):
                return True
        return False

    def _unknown_attributes(
        self, tag: str, segment: str, plan: ModelPlan, data: dict[str, Any]
    ) -> None:
        """Take the attributes the schema does not know out of ``data``, the attributes of
        ``tag``, each a problem (``segment``: the element's own step below those being
        read); an element of too many is refused whole (:func:`check_attributes`)."""
        check_attributes(tag, data)
        for name in [name for name in data if name not in plan.attribute_names]:
            rule = unknown_name_rule(name, plan.attribute_names, len(self.problems))
            self._problem(f"{segment}/@{name}", data.pop(name), rule)

    def _problem(self, suffix: str, value: Any, rule: str) -> None:
        """A problem at ``suffix`` below the element being read: its path has an index for
        every element of a repeated kind."""
        if len(self.problems) >= LISTED_PROBLEMS:
            self.unlisted += 1
            return
        segments = []
        for _, _, _, _, tag, child, index, _ in self._frames:
            listed = child is not None and child.binding.is_list
            segments.append(f"{tag}[{index + 1}]" if listed else tag)
        self.problems.append(FieldError("/".join(segments) + suffix, value, rule))


class _CollectorPause:
    """Keeps Python's cycle collector off while documents are being read.

    Reading builds tens of thousands of fresh dicts and models with no reference cycles among
    them; each allocation burst would otherwise trigger collections that walk the whole,
    growing heap, which costs about a third of the reading time of a large reply. Nested and
    concurrent reads share one pause; the collector's previous state is restored after the last.

    Leaving the pause allocates nothing once the collector is back on (a generator-based
    context manager would make a ``StopIteration``), so the collector does not walk the
    document just read at that very moment: it does so only if the program makes more
    objects while it keeps the document, and never for a document let go first.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._restore = False

    def __enter__(self) -> None:
        with self._lock:
            if self._depth == 0:
                self._restore = gc.isenabled()
                gc.disable()
            self._depth += 1

    def __exit__(self, *_exception: object) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0 and self._restore:
                gc.enable()


collector_paused = _CollectorPause()
"""``with collector_paused:`` keeps the cycle collector off while a document is turned
into objects (see :class:`_CollectorPause`)."""


def validate(
    model_cls: type[M], data: Any, *, tag: str | None = None, names_checked: bool = False
) -> M:
    """``model_cls.model_validate(data)`` with failures as :class:`PayloadError` in XML terms.

    ``names_checked``: ``data`` holds no name the schema does not know, as what
    :func:`content` gives (see :func:`_validate_document`).
    """
    try:
        return _validate_document(model_cls, data, names_checked)
    except ValidationError as exc:
        raise payload_error(exc, model_cls, tag) from None


def _validate_document(model_cls: type[M], data: Any, names_checked: bool) -> M:
    """``model_cls.model_validate(data)``; a document root made of single child elements is
    validated part by part.

    The validator of a document root covers every type of its schema, and building it is the
    largest cost of a first request in a fresh process, though a request or its reply holds one
    envelope of the several the root may hold. Validating each part with its own model builds
    only what the document needs, and the root, which adds no checks of its own beyond its
    ``xs:choice`` groups (checked on the assembled root), is assembled from the validated
    parts. Whenever a part or a choice fails, the whole document is validated the usual way,
    so that every problem is reported with its path from the root, exactly as before.

    Data read by the codec's reader (``names_checked``) holds only names the schema knows:
    the reader refused the others with their XML paths. pydantic then ignores extra names
    instead of looking for them in every model, which is a quarter of its validation time.

    pydantic's validator is called directly, not through ``model_validate``, which reports a
    PayloadError of its own: the callers report the ValidationError below the document's tag,
    with the reader's problems.
    """
    extra: Literal["ignore"] | None = "ignore" if names_checked else None
    if model_cls.__xml_tag__ is not None and isinstance(data, dict):
        parts = _single_parts(model_cls, data)
        if parts is not None:
            try:
                held: dict[str, Any] = {
                    field: part.__pydantic_validator__.validate_python(value, extra=extra)
                    for field, (part, value) in parts.items()
                }
                document = model_cls.model_construct(**held)
                if isinstance(document, XmlChoiceModel):
                    document.check_choices()
            except ValueError:  # a ValidationError too: validated again below, for the paths
                pass
            else:
                assert isinstance(document, model_cls)
                return document
    validated: M = model_cls.__pydantic_validator__.validate_python(data, extra=extra)
    return validated


def _single_parts(
    model_cls: type[XmlModel], data: dict[str, Any]
) -> dict[str, tuple[type[XmlModel], Any]] | None:
    """Field name -> (model, content) of each part of ``data``, when the document is only
    single child elements given as content (not None) and nothing required is missing; None
    otherwise."""
    plan = xml_plan(model_cls)
    parts: dict[str, tuple[type[XmlModel], Any]] = {}
    for key, value in data.items():
        binding = plan.by_key.get(key)
        if (
            not isinstance(binding, ElementPlan)
            or binding.model is None
            or binding.is_list
            or value is None
            or binding.field_name in parts
        ):
            return None
        parts[binding.field_name] = (binding.model, value)
    for name, info in model_cls.model_fields.items():
        if name not in parts and info.is_required():
            return None
    return parts


def read(
    source: bytes | etree._Element,
    model_cls: type[M],
    *,
    tag: str | None = None,
    watcher: Watcher | None = None,
) -> M:
    """Validate the XML document (bytes, parsed by the hardened parser) or element
    ``source`` as a ``model_cls``.

    ``tag`` is the expected element name (default: the root tag of ``model_cls``). Every
    problem, structural or of value, is reported in one :class:`PayloadError`. A ``watcher``
    is shown the elements it asks for, in document order, while the document is read.
    """
    expected = tag or root_tag(model_cls)
    with collector_paused:
        data, problems, unlisted = _content(source, model_cls, expected, watcher)
        try:
            model = _validate_document(model_cls, data, names_checked=True)
        except ValidationError as exc:
            raise payload_error(exc, model_cls, expected, problems, unlisted) from None
    if problems:
        raise schema_refusal(expected, problems, unlisted)
    return model


def content(
    source: bytes | etree._Element, model_cls: type[XmlModel], *, tag: str | None = None
) -> dict[str, Any]:
    """The document ``source`` as the dict ``model_cls`` validates from: what :func:`read`
    hands to pydantic (XML names as keys, repeated elements as lists, text under
    :data:`~mms_client.schema.binding.TEXT_KEY`). For looking at, or timing, the two steps of
    reading apart; a structural problem raises :class:`PayloadError`."""
    expected = tag or root_tag(model_cls)
    with collector_paused:
        data, problems, unlisted = _content(source, model_cls, expected, None)
    if problems:
        raise schema_refusal(expected, problems, unlisted)
    return data


def _content(
    source: bytes | etree._Element,
    model_cls: type[XmlModel],
    tag: str,
    watcher: Watcher | None,
) -> tuple[dict[str, Any], list[FieldError], int]:
    """The document's content, the structural problems listed and how many more there were."""
    with _reading(model_cls, tag, watcher) as (reader, parser):
        if isinstance(source, bytes | bytearray | memoryview):
            data: dict[str, Any] = parse_events(source, parser)
        else:
            replay(source, reader)
            data = reader.close()
        return data, reader.problems, reader.unlisted


_idle_readers = threading.local()


@contextmanager
def _reading(
    root_cls: type[XmlModel], tag: str, watcher: Watcher | None
) -> Iterator[tuple[_Reader, etree.XMLParser]]:
    """A reader for one document and a parser that reports to it.

    lxml inspects a parser's target each time it makes a parser, which costs more than
    reading a small document, so each thread keeps an idle pair and reuses it (a read within
    a read, which nothing does now, would get a pair of its own).
    """
    pair: tuple[_Reader, etree.XMLParser] | None = getattr(_idle_readers, "pair", None)
    if pair is None:
        reader = _Reader(root_cls, tag, watcher)
        pair = (reader, event_parser(reader))
    else:
        _idle_readers.pair = None
        pair[0].begin(root_cls, tag, watcher)
    try:
        yield pair
    finally:
        pair[0].begin(root_cls, tag)  # keeps nothing of the document
        _idle_readers.pair = pair
