"""Untrusted XML read as a stream of events, never as a tree.

Two documents can be too large to hold as an lxml tree: a SOAP envelope carrying a report as
inline base64 (a single text node of hundreds of megabytes) and the report itself. Both are read
with lxml's *parser target* interface instead: libxml2 calls the target for each start tag, end
tag and piece of text as it parses, and nothing else is kept.

The parser loads no DTD and touches no network, and libxml2's size and depth limits stay in
force. Every target must refuse a DOCTYPE in its ``doctype`` callback, which libxml2 calls
before anything in the DOCTYPE is read; so no entity can ever be declared, and the only entity
references a document can hold are the five predefined ones and character references. Those
are resolved: without that, libxml2 hands a target an attribute value ``a&amp;b`` as
``a&#38;b``.
"""

from __future__ import annotations

from typing import Any, cast

from lxml import etree


def event_parser(target: object) -> etree.XMLParser:
    """A hardened feed parser (``feed(bytes)``/``close()``) reporting to ``target``.

    ``target`` has ``start(tag, attributes)``, ``end(tag)``, ``data(text)``, ``close()`` and a
    ``doctype(...)`` that raises; lxml passes text as ``str``.
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
    tag = element.tag
    attributes = element.attrib
    fresh: dict[str, str] = dict(attributes) if attributes else {}  # type: ignore[arg-type]
    target.start(tag, fresh)
    if element.text:
        target.data(element.text)
    for child in element:
        if child.tag.__class__ is str:
            replay(child, target)
        if child.tail:
            target.data(child.tail)
    target.end(tag)
