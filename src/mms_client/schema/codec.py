"""Payload models to canonical XML bytes and back.

Writing produces the Canonical XML 1.0 form (no comments) directly as a string: the MMS
signature covers the exact payload bytes, so the bytes must be canonical, and building an lxml
tree only to canonicalise it costs several times more than writing the canonical form in the
first place. The properties C14N demands and this writer guarantees: no XML declaration,
attributes in lexicographic order, empty elements as a start and an end tag, C14N escaping,
UTF-8.

Reading parses once with a hardened lxml parser, turns the tree into plain dicts keyed by XML
names (one pass, no model objects per node) and validates the whole document with a single
``model_validate``; every problem comes back as one :class:`~mms_client.errors.PayloadError`
with XML paths.
"""

from __future__ import annotations

import gc
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from lxml import etree
from pydantic import ValidationError

from mms_client.errors import FieldError, PayloadError
from mms_client.schema.binding import (
    TEXT_KEY,
    ElementPlan,
    ModelPlan,
    XmlModel,
    payload_error,
    root_tag,
    xml_plan,
)
from mms_client.schema.datatypes import lexical
from mms_client.xmlparse import DEFAULT_MAX_BYTES, parse_xml

__all__ = ["DEFAULT_MAX_BYTES", "parse_xml", "read", "read_leaving_out", "validate", "write"]

M = TypeVar("M", bound=XmlModel)


# ---------------------------------------------------------------------------------------------
# writing

# Characters XML 1.0 cannot carry at all, plus those C14N escapes; one search finds both.
_INVALID_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
_ATTRIBUTE_SPECIAL = re.compile(f'[&<"\t\n\r{_INVALID_CHARS}]')
_TEXT_SPECIAL = re.compile(f"[&<>\r{_INVALID_CHARS}]")
_INVALID = re.compile(f"[{_INVALID_CHARS}]")


class _UnwritableValueError(Exception):
    """A value that no XML document can carry; collects its path while unwinding."""

    def __init__(self, value: str) -> None:
        self.value = value
        self.path: list[str] = []


def _escape_attribute(value: str) -> str:
    if _ATTRIBUTE_SPECIAL.search(value) is None:
        return value
    if _INVALID.search(value) is not None:
        raise _UnwritableValueError(value)
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
    if _INVALID.search(value) is not None:
        raise _UnwritableValueError(value)
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#xD;")
    )


def _write_element(model: XmlModel, tag: str, out: list[str]) -> None:
    plan = xml_plan(type(model))
    values = model.__dict__
    try:
        out.append("<" + tag)
        for attribute in plan.attributes:
            value = values[attribute.field_name]
            if value is not None:
                out.append(f' {attribute.xml_name}="{_escape_attribute(lexical(value))}"')
        out.append(">")
        if plan.text_field is not None:
            out.append(_escape_text(lexical(values[plan.text_field])))
        for child in plan.elements:
            value = values[child.field_name]
            if value is None:
                continue
            _write_children(child, value if child.is_list else (value,), out)
    except _UnwritableValueError as exc:
        exc.path.insert(0, tag)
        raise
    out.append(f"</{tag}>")


def _write_children(child: ElementPlan, items: Any, out: list[str]) -> None:
    for position, item in enumerate(items, start=1):
        try:
            if child.model is not None:
                _write_element(item, child.tag, out)
            else:
                out.append(f"<{child.tag}>{_escape_text(lexical(item))}</{child.tag}>")
        except _UnwritableValueError as exc:
            if child.model is None:
                exc.path.insert(0, child.tag)
            if child.is_list:
                exc.path[0] += f"[{position}]"
            raise


def write(model: XmlModel, tag: str | None = None) -> bytes:
    """The canonical XML (C14N 1.0, no comments) of ``model`` as the element ``tag``.

    ``tag`` defaults to the root tag of a document model. Unset optional attributes and
    elements are left out; child elements follow the schema's sequence order. A string that
    XML cannot carry (a control character) raises :class:`PayloadError` naming its path.
    """
    name = tag or model.__xml_tag__
    if name is None:
        raise TypeError(f"{type(model).__name__} is not a document root; pass the element tag")
    out: list[str] = []
    try:
        _write_element(model, name, out)
    except _UnwritableValueError as exc:
        path = "/".join(exc.path)
        raise PayloadError(
            f"{name} cannot be written as XML",
            [FieldError(path, exc.value, "XML 1.0 cannot carry control characters")],
        ) from None
    return "".join(out).encode()


# ---------------------------------------------------------------------------------------------
# reading


def _element_path(element: etree._Element, root_cls: type[XmlModel]) -> str:
    """The XML path of ``element``, with list indexes, computed only when reporting a problem."""
    chain = []
    node: etree._Element | None = element
    while node is not None:
        chain.append(node)
        node = node.getparent()
    chain.reverse()
    parts = [str(chain[0].tag)]
    cls: type[XmlModel] | None = root_cls
    for node in chain[1:]:
        child = xml_plan(cls).elements_by_tag.get(str(node.tag)) if cls else None
        segment = str(node.tag)
        if child is not None and child.is_list:
            parent = node.getparent()
            assert parent is not None
            same = [sibling for sibling in parent if sibling.tag == node.tag]
            segment += f"[{same.index(node) + 1}]"
        parts.append(segment)
        cls = child.model if child is not None else None
    return "/".join(parts)


@dataclass(frozen=True, slots=True)
class LeftOut:
    """Where :func:`read_leaving_out` left an element out: the model that would hold it, the
    field, and the XML path of the holder in the form of :mod:`mms_client.judgement` (indexes
    only where same-named siblings exist)."""

    holder: XmlModel
    field_name: str
    path: str


class _Reader:
    """Turns an lxml tree into the dicts ``model_validate`` takes, noting structural problems
    (unknown names, repeated single elements, stray text) that pydantic cannot see.

    Single elements whose tag is in ``leave_out`` are not read; the steps down to their holder
    (each element binding and list index) are noted instead.
    """

    def __init__(self, root_cls: type[XmlModel], leave_out: frozenset[str] = frozenset()) -> None:
        self.root_cls = root_cls
        self.problems: list[FieldError] = []
        self.leave_out = leave_out
        self.steps: list[tuple[ElementPlan, int]] = []
        self.left_out: list[tuple[tuple[tuple[ElementPlan, int], ...], str]] = []

    def problem(self, element: etree._Element, suffix: str, value: Any, rule: str) -> None:
        path = _element_path(element, self.root_cls) + suffix
        self.problems.append(FieldError(path, value, rule))

    def to_dict(self, element: etree._Element, plan: ModelPlan) -> dict[str, Any]:
        data: dict[str, Any] = dict(element.items())  # type: ignore[arg-type]  # str keys
        if data and not plan.attribute_names.issuperset(data):
            for name in [name for name in data if name not in plan.attribute_names]:
                self.problem(element, f"/@{name}", data.pop(name), "not allowed by the schema")
        content = element.text
        if plan.text_field is not None:
            data[TEXT_KEY] = content or ""
        elif content is not None and not content.isspace():
            self.problem(element, "/text()", content, "text not allowed here by the schema")
        if not len(element):
            return data
        by_tag = plan.elements_by_tag
        leave_out = self.leave_out
        left_out_here: set[str] = set()
        for child in element:
            tag = child.tag
            if tag.__class__ is not str:
                continue  # a comment or processing instruction
            tail = child.tail
            if tail is not None and not tail.isspace():
                self.problem(element, "/text()", tail, "text not allowed here by the schema")
            binding = by_tag.get(tag)
            if binding is None:
                self.problem(child, "", None, "element not allowed here by the schema")
                continue
            if tag in leave_out and not binding.is_list:
                if binding.field_name in left_out_here:
                    self.problem(child, "", None, "may occur only once")
                left_out_here.add(binding.field_name)
                self.left_out.append((tuple(self.steps), binding.field_name))
                continue
            if binding.model is not None:
                items = data.get(binding.tag) if binding.is_list else None
                self.steps.append((binding, 0 if items is None else len(items)))
                value: Any = self.to_dict(child, xml_plan(binding.model))
                self.steps.pop()
            else:
                if len(child) or child.attrib:
                    rule = "a text-only element cannot have attributes or children"
                    self.problem(child, "", None, rule)
                value = child.text or ""
            if binding.is_list:
                items = data.get(binding.tag)
                if items is None:
                    data[binding.tag] = [value]
                else:
                    items.append(value)
            elif binding.tag in data:
                self.problem(child, "", None, "may occur only once")
            else:
                data[binding.tag] = value
        return data


class _CollectorPause:
    """Keeps Python's cycle collector off while documents are being read.

    Reading builds tens of thousands of fresh dicts and models with no reference cycles among
    them; each allocation burst would otherwise trigger collections that walk the whole,
    growing heap, which costs about a third of the reading time of a large reply. Nested and
    concurrent reads share one pause; the collector's previous state is restored after the last.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._restore = False

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._restore = gc.isenabled()
                gc.disable()
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0 and self._restore:
                    gc.enable()


collector_paused = _CollectorPause()
"""``with collector_paused():`` keeps the cycle collector off while a document is turned
into objects (see :class:`_CollectorPause`)."""


def validate(model_cls: type[M], data: Any, *, tag: str | None = None) -> M:
    """``model_cls.model_validate(data)`` with failures as :class:`PayloadError` in XML terms."""
    try:
        return _validate_document(model_cls, data)
    except ValidationError as exc:
        raise payload_error(exc, model_cls, tag) from None


def _validate_document(model_cls: type[M], data: Any) -> M:
    """``model_cls.model_validate(data)``; a document root made of single child elements is
    validated part by part.

    The validator of a document root covers every type of its schema, and building it is the
    largest cost of a first request in a fresh process, though a request or its reply holds one
    envelope of the several the root may hold. Validating each part with its own model builds
    only what the document needs, and the root, which adds no checks of its own beyond its
    ``xs:choice`` groups (checked here), is assembled from the validated parts. Whenever a
    part fails, the whole document is validated the usual way, so that every problem is
    reported with its path from the root, exactly as before.
    """
    if model_cls.__xml_tag__ is not None and isinstance(data, dict):
        parts = _single_parts(model_cls, data)
        if parts is not None:
            try:
                held: dict[str, Any] = {
                    field: part.model_validate(value) for field, (part, value) in parts.items()
                }
            except ValidationError:
                pass  # validated again below, for the errors' paths
            else:
                document = model_cls.model_construct(**held)
                assert isinstance(document, model_cls)
                return document
    return model_cls.model_validate(data)


def _single_parts(
    model_cls: type[XmlModel], data: dict[str, Any]
) -> dict[str, tuple[type[XmlModel], Any]] | None:
    """Field name -> (model, content) of each part of ``data``, when the document is only
    single child elements given as content (not None), nothing required is missing, and the
    ``xs:choice`` groups are satisfied; None otherwise."""
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
    for choice in model_cls.__xml_choices__:
        chosen = sum(1 for branch in choice.branches if any(name in parts for name in branch))
        if chosen > 1 or (choice.required and not chosen):
            return None
    return parts


def read(source: bytes | etree._Element, model_cls: type[M], *, tag: str | None = None) -> M:
    """Validate the XML document or element ``source`` as a ``model_cls``.

    ``tag`` is the expected element name (default: the root tag of ``model_cls``). Every
    problem, structural or of value, is reported in one :class:`PayloadError`.
    """
    return read_leaving_out(source, model_cls, frozenset(), tag=tag)[0]


def read_leaving_out(
    source: bytes | etree._Element,
    model_cls: type[M],
    leave_out: frozenset[str],
    *,
    tag: str | None = None,
) -> tuple[M, list[LeftOut]]:
    """:func:`read`, leaving out the single (not repeated, optional) elements named in
    ``leave_out``, and where each was, for the caller to fill in.

    This is for content read another way already: the ``Messages`` of a reply, which the
    judgement reads, are most of the elements of a large reply; reading them twice cost more
    than the rest of the document.
    """
    element = parse_xml(source) if isinstance(source, bytes | bytearray | memoryview) else source
    expected = tag or root_tag(model_cls)
    if element.tag != expected:
        raise PayloadError(
            "unexpected document",
            [FieldError(str(element.tag), None, f"the element should be {expected}")],
        )
    reader = _Reader(model_cls, leave_out)
    try:
        with collector_paused():
            model = _validate_document(model_cls, reader.to_dict(element, xml_plan(model_cls)))
    except ValidationError as exc:
        raise payload_error(exc, model_cls, expected, reader.problems) from None
    if reader.problems:
        raise PayloadError(f"{expected} does not match the schema", reader.problems)
    return model, [_place(model, expected, *noted) for noted in reader.left_out]


def _place(
    document: XmlModel, tag: str, steps: tuple[tuple[ElementPlan, int], ...], field_name: str
) -> LeftOut:
    holder: Any = document
    path = tag
    for binding, index in steps:
        holder = holder.__dict__[binding.field_name]
        path += "/" + binding.tag
        if binding.is_list:
            if len(holder) > 1:
                path += f"[{index + 1}]"
            holder = holder[index]
    return LeftOut(holder, field_name, path)
