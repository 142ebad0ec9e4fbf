"""The least a typed reading of a reply can cost, made of the parts ours must use.

The parse floor (:mod:`benchmarks.floors`) reads strings into dicts. A typed reply must also
turn them into checked integers, decimals, times and enums held in pydantic models, and the
design fixes how: lxml parses, pydantic validates. This bound does only that: the floor's own
reading of the SOAP envelope, base64 decoded as ours decodes it (pybase64, far faster than the
standard library the floor uses), the payload handed by lxml to a parser target that
nests each element's attributes into its parent's dict, and pydantic's validation of the
result. No checks of names or order, no paths, no verdict, no log, no ``Response``.

What ours costs above this bound is the price of judging a reply, refusing a malformed one
with the path of each problem, and the rest of our handling of a reply (the SOAP layer, the log).
Where the bound alone is above a target, a reading that hands the payload to Python through
lxml and validates it with pydantic cannot meet that target: the nesting here is the least such
a reading does. (Reading the payload into an lxml tree and walking it costs more than handing
its events to a target: in one measurement about 1.95x the floor against 1.7x, n = 10 and 100.)
"""

from __future__ import annotations

from typing import Any, cast

import pybase64
from lxml import etree

from benchmarks import floors
from mms_client.schema import codec
from mms_client.schema.binding import TEXT_KEY, XmlModel, xml_plan


def repeated_tags(model: type[XmlModel]) -> frozenset[str]:
    """The tags of the elements that may repeat anywhere in a ``model`` document.

    The bound knows a list from a single element by its tag alone, the least it can know;
    so it refuses a schema where one tag is a list in one place and single in another."""
    lists: set[str] = set()
    singles: set[str] = set()
    seen: set[type[XmlModel]] = set()
    pending = [model]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        for binding in xml_plan(current).elements:
            (lists if binding.is_list else singles).add(binding.tag)
            if binding.model is not None:
                pending.append(binding.model)
    if lists & singles:
        raise ValueError(f"tags both repeated and single: {sorted(lists & singles)}")
    return frozenset(lists)


class _Nesting:
    """A parser target that nests each element's dict into its parent's, and nothing else."""

    def __init__(self, repeated: frozenset[str]) -> None:
        self._repeated = repeated
        self._open: list[dict[str, Any]] = []
        self._text: str | None = None
        self._root: dict[str, Any] = {}

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        data = attributes if attributes else {}  # lxml's empty mapping is read-only
        if self._open:
            parent = self._open[-1]
            if tag not in self._repeated:
                parent[tag] = data
            elif tag in parent:
                parent[tag].append(data)
            else:
                parent[tag] = [data]
        else:
            self._root = data
        self._open.append(data)
        self._text = None

    def data(self, text: str) -> None:
        # joined as it comes, the cheapest way for the short texts of these replies
        self._text = text if self._text is None else self._text + text

    def end(self, tag: str) -> None:
        data = self._open.pop()
        if self._text is not None and not self._text.isspace():
            data[TEXT_KEY] = self._text
        self._text = None

    def close(self) -> dict[str, Any]:
        return self._root


class TypedReader:
    """Reads replies to ``model`` documents the least costly way: see the module docstring."""

    def __init__(self, model: type[XmlModel]) -> None:
        self._model = model
        self._target = _Nesting(repeated_tags(model))
        # lxml-stubs want targets taking str | bytes; lxml passes str
        self._parser = floors.parser(cast(Any, self._target))

    def read(self, body: bytes) -> XmlModel:
        """The typed document in the payload of the inline-base64 reply ``body``."""
        payload = floors.reply_payload(body, pybase64.b64decode)
        with codec.collector_paused:  # as ours: models and dicts, no cycles
            # a parser with a target returns what the target's close() returns
            data = cast(dict[str, Any], etree.fromstring(payload, self._parser))
            # pydantic alone (its validator: XmlModel.model_validate adds our error reports),
            # not looking for names the schema does not know
            validated: XmlModel = self._model.__pydantic_validator__.validate_python(
                data, extra="ignore"
            )
            return validated
