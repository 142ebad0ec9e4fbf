"""The messages of a reply, put on its typed document without reading them twice.

A reply's ``Messages`` blocks are read from the XML tree once, by the judgement, which needs
every message for the verdict; the rest of the document is read into models without them
(:func:`~mms_client.schema.codec.read_leaving_out`). Each holder then gets its ``Messages``
model, validated from plain dicts made from the judgement's messages of its path. In a large
reply messages are most of the elements, and reading them from the tree a second time cost
more than the whole rest of the document; this way ``put_offer(...)`` still returns offers
whose ``messages`` hold their own warnings, checked against the schema as before. Their text
is the judgement's (runs of whitespace collapsed); :func:`mms_client.schema.parse_payload`
keeps a document exactly as sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mms_client.judgement import Message
from mms_client.schema.binding import TEXT_KEY, ElementPlan, XmlModel, xml_plan
from mms_client.schema.codec import LeftOut, validate


def attach(places: Sequence[LeftOut], messages: Sequence[Message]) -> None:
    """Give every holder in ``places`` its Messages model, holding the ``messages`` whose
    path is the holder's.

    Raises :class:`~mms_client.errors.PayloadError` for a message the schema does not allow
    (a malformed code), as reading the document whole would.
    """
    by_path: dict[str, list[Message]] = {}
    for message in messages:
        found = by_path.get(message.path)
        if found is None:
            by_path[message.path] = [message]
        else:
            found.append(message)
    for place in places:
        holder = place.holder
        binding = xml_plan(type(holder)).by_key[place.field_name]
        assert isinstance(binding, ElementPlan) and binding.model is not None
        content = _content(binding.model, by_path.get(place.path, ()))
        block = validate(binding.model, content, tag=f"{place.path}/{binding.tag}")
        # not through setattr, which would validate the block a second time
        holder.__dict__[place.field_name] = block
        holder.__pydantic_fields_set__.add(place.field_name)


def _content(cls: type[XmlModel], messages: Sequence[Message]) -> dict[str, list[Any]]:
    """The Messages element as the dict that validates as ``cls``."""
    tags = _tags(cls)
    content: dict[str, list[Any]] = {}
    for message in messages:
        tag = tags.get(message.severity)
        if tag is None:
            continue  # a severity this schema has no place for
        name, structured = tag
        item: Any = message.text
        if structured:
            item = {TEXT_KEY: message.text}
            if message.code is not None:
                item["Code"] = message.code
        found = content.get(name)
        if found is None:
            content[name] = [item]
        else:
            found.append(item)
    return content


_TAGS: dict[type[XmlModel], dict[str, tuple[str, bool]]] = {}


def _tags(cls: type[XmlModel]) -> dict[str, tuple[str, bool]]:
    """Severity -> (its element in the Messages model ``cls``, whether that element has a
    code and text rather than being a plain string): ``Error``/``Warning``/``Information``,
    or ``ERROR`` in the outbound report schema."""
    tags = _TAGS.get(cls)
    if tags is None:
        tags = {}
        elements = xml_plan(cls).elements_by_tag
        for severity in ("Error", "Warning", "Information"):
            binding = elements.get(severity) or elements.get(severity.upper())
            if binding is not None:
                tags[severity] = (binding.tag, binding.model is not None)
        _TAGS[cls] = tags
    return tags
