"""Did the MMS accept a request? The verdict read from a response payload.

The MMS answers HTTP 200 with ``success`` true even when it refused every item; the truth is
inside the payload, spread over the whole document: ``ProcessingStatistics`` counts, the
``Validation`` and ``Success`` attributes of the echoed envelope and of every item, and
``Messages`` blocks at any depth. A request failed when any of these says so (the rules of
WIRE.md): ``Invalid`` > 0, any ``Success="false"``, any ``Validation`` of FAILED or
PASSED_PARTIAL, or any Error message. Warnings and information never fail a request; they are
handed back to the caller.

The verdict is read in the same pass that reads a reply into its typed document (see
:class:`Judgement`), or, for a document that does not fit its schema, by a walk over the lxml
tree of its own (:func:`judge`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from mms_client.errors import MalformedResponseError
from mms_client.jst import to_jst
from mms_client.lexical import XML_SPACE
from mms_client.schema.binding import (
    MESSAGE_BLOCKS,
    TEXT_KEY,
    VERDICT_ATTRIBUTES,
    XmlModel,
    xml_plan,
)
from mms_client.schema.codec import ElementPath

if TYPE_CHECKING:
    from lxml.etree import _Element

Severity = Literal["Error", "Warning", "Information"]

_SEVERITIES: dict[str, Severity] = {
    "Error": "Error",
    "Warning": "Warning",
    "Information": "Information",
    "ERROR": "Error",
}
_FAILED_VALIDATIONS = frozenset({"FAILED", "PASSED_PARTIAL"})


class Message(NamedTuple):
    """One message of the MMS.

    ``path`` is the element that carried the ``Messages`` block, as an XML path such as
    ``MarketData/MarketSubmit/OfferData[2]`` (indexes count same-named siblings from 1 and are
    shown only where siblings share the name). ``code`` is None where the schema has no codes
    (report messages are plain strings).

    A named tuple because a large answer carries tens of thousands of messages and a tuple is
    built in half the time of a dataclass instance.
    """

    severity: Severity
    code: str | None
    text: str
    path: str

    def __str__(self) -> str:
        code = f"[{self.code}] " if self.code else ""
        return f"{self.severity} at {self.path}: {code}{self.text}"


_message = tuple.__new__
"""Makes a :class:`Message` without the named tuple's Python-level ``__new__``:
``_message(Message, (severity, code, text, path))``."""


@dataclass(frozen=True, slots=True)
class Statistics:
    """``ProcessingStatistics`` of a response (market and registration schemas count items;
    the report schema only has time, transaction id and time stamps)."""

    received: int | None = None
    valid: int | None = None
    invalid: int | None = None
    successful: int | None = None
    unsuccessful: int | None = None
    processing_time_ms: int | None = None
    transaction_id: str | None = None
    timestamp: str | None = None
    """As the MMS writes it, e.g. ``Tue Mar 15 11:43:37 JST 2024``."""
    xml_timestamp: datetime | None = None
    """The same instant, aware Asia/Tokyo."""


Found = tuple[Severity, list[Any], str]
"""The messages of one severity in one ``Messages`` block, as read: their items (dicts of
``Code`` and text, or plain strings where the schema has no codes) and the path of the
element that carried the block."""


@dataclass(frozen=True, slots=True, eq=False)
class Verdict:
    """What a response says about the request: why it failed (if it did), every message,
    and the statistics.

    The messages are kept as read and become :class:`Message` tuples when first asked for:
    a large answer carries tens of thousands, and whether it failed, how many errors it has
    and its statistics need none of them.
    """

    reasons: tuple[str, ...]
    statistics: Statistics | None
    counts: Mapping[Severity, int]
    """How many messages there are of each severity present."""
    found: tuple[Found, ...] = field(repr=False)
    _messages: tuple[Message, ...] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __eq__(self, other: object) -> bool:
        # the same verdict whichever way its messages were read
        if not isinstance(other, Verdict):
            return NotImplemented
        return (self.reasons, self.statistics, self.messages) == (
            other.reasons,
            other.statistics,
            other.messages,
        )

    @property
    def failed(self) -> bool:
        return bool(self.reasons)

    @property
    def messages(self) -> tuple[Message, ...]:
        """Every message, block by block in document order, and within a block by severity."""
        messages = self._messages
        if messages is None:
            messages = _messages(self.found)
            object.__setattr__(self, "_messages", messages)  # a cache: frozen to the caller
        return messages

    @property
    def errors(self) -> tuple[Message, ...]:
        return self.of("Error")

    @property
    def warnings(self) -> tuple[Message, ...]:
        return self.of("Warning")

    @property
    def information(self) -> tuple[Message, ...]:
        return self.of("Information")

    def of(self, severity: Severity) -> tuple[Message, ...]:
        """The messages of one severity, in the order of :attr:`messages` (none are made
        when there are none of it)."""
        if not self.counts.get(severity):
            return ()
        return tuple(m for m in self.messages if m.severity == severity)


_XML_SPACE_RUN = re.compile(f"[{XML_SPACE}]+")
"""A run of :data:`~mms_client.lexical.XML_SPACE`, which a message's text is collapsed of."""


def _messages(found: tuple[Found, ...]) -> tuple[Message, ...]:
    """The messages read into ``found``, their texts with whitespace collapsed."""
    messages: list[Message] = []
    for severity, items, holder in found:
        if items[0].__class__ is not dict:  # messages without a code: plain text
            items = [{TEXT_KEY: text} for text in items]
        messages.extend(
            [
                _message(
                    Message,
                    (
                        severity,
                        item.get("Code"),
                        _XML_SPACE_RUN.sub(" ", item.get(TEXT_KEY) or "").strip(" "),
                        holder,
                    ),
                )
                for item in items
            ]
        )
    return tuple(messages)


def judge(root: _Element) -> Verdict:
    """Read the verdict of the response document ``root`` (parsed by the hardened parser).

    This walks the tree on its own; a reply read into its typed document is judged during that
    reading instead (:class:`Judgement`), which is the same verdict at half the cost.
    """
    judgement = Judgement()
    judgement.visit(root, str(root.tag))
    return judgement.verdict()


class Judgement:
    """The verdict of a reply, collected element by element.

    Either of two walks feeds it, both in document order: the codec's reader, which calls
    :meth:`watches` and :meth:`saw` while it turns a reply into the dicts its typed document
    is validated from (``codec.read(..., watcher=judgement)``), and :meth:`visit`, a walk
    over an lxml tree for a document that does not fit its schema (:func:`judge`). In a large
    reply most elements are messages; reading the reply once for both the document and the
    verdict, rather than once each, is what keeps reading it close to the cost of parsing it.
    What fails a request is decided by :meth:`_check` and the severities, the same for both.
    """

    def __init__(self) -> None:
        self.found: list[Found] = []
        self.counts: dict[Severity, int] = {}
        self.reasons: list[str] = []
        self.statistics: Statistics | None = None
        self._seen: list[tuple[str, ElementPath, dict[str, Any]]] = []

    def verdict(self) -> Verdict:
        """The verdict, once the walk is over (a reader shows elements before their content
        and their paths are final only at the end, so what it showed is judged here)."""
        for tag, path, data in self._seen:
            if tag == "ProcessingStatistics":
                if self.statistics is None:
                    self.statistics = _statistics(data)
                continue
            self._check(path, data)
            for name in MESSAGE_BLOCKS:
                block = data.get(name)
                if block:
                    self._read_block(block, str(path))
        self._seen.clear()
        reasons = list(self.reasons)
        statistics = self.statistics
        if statistics is not None and statistics.invalid:
            reasons.insert(0, f"ProcessingStatistics counts {statistics.invalid} invalid item(s)")
        errors = self.counts.get("Error")
        if errors:
            reasons.append(f"{errors} Error message(s)")
        return Verdict(tuple(reasons), statistics, dict(self.counts), tuple(self.found))

    def _check(self, path: object, attributes: Mapping[str, str]) -> None:
        """Validation and Success of the element at ``path`` (written out only if it failed)."""
        validation = attributes.get("Validation") or attributes.get("ValidationStatus")
        if validation in _FAILED_VALIDATIONS:
            self.reasons.append(f"{path} has Validation {validation}")
        success = attributes.get("Success")
        if success is not None and success.strip() in ("false", "0"):
            self.reasons.append(f"{path} has Success false")

    # -- fed by the codec's reader -------------------------------------------------------------

    def watches(self, tag: str, cls: type[XmlModel]) -> bool:
        """Whether the reader should show this element: the statistics, or an element that
        can say Validation or Success or hold a Messages block.

        A block is read from its holder's content rather than shown itself: holders are far
        fewer than the elements of a reply, and their paths are the ones messages carry.
        Every schema puts the block before its holder's other children, so holder order is
        block order."""
        if tag == "ProcessingStatistics":
            return True
        plan = xml_plan(cls)
        return not (
            VERDICT_ATTRIBUTES.isdisjoint(plan.attribute_names)
            and MESSAGE_BLOCKS.isdisjoint(plan.elements_by_tag)
        )

    def saw(self, tag: str, path: ElementPath, data: dict[str, Any]) -> None:
        self._seen.append((tag, path, data))

    def _read_block(self, block: dict[str, Any], holder: str) -> None:
        # every severity is a list in every schema, of structured messages or plain strings
        for tag, items in block.items():
            severity = _SEVERITIES.get(tag)
            if severity is not None and items:
                self.found.append((severity, items, holder))
                self.counts[severity] = self.counts.get(severity, 0) + len(items)

    # -- walking a tree ------------------------------------------------------------------------

    def visit(self, element: _Element, path: str) -> None:
        """Judge ``element`` (at ``path``) and everything below it, building each path on the
        way down and reading Messages blocks without descending into them again."""
        self._check(path, element.attrib)  # type: ignore[arg-type]  # str keys and values
        if not len(element):
            return
        # indexes are shown only where siblings share a name, so count the names first
        counts: dict[str, int] = {}
        for child in element:
            tag = child.tag
            if tag.__class__ is str:
                counts[tag] = counts.get(tag, 0) + 1
        seen: dict[str, int] = {}
        for child in element:
            tag = child.tag
            if tag.__class__ is not str:
                continue  # comments and processing instructions
            if tag in MESSAGE_BLOCKS:
                self._read_block(_block(child), path)
            elif tag == "ProcessingStatistics":
                if self.statistics is None:
                    self.statistics = _statistics(child.attrib)  # type: ignore[arg-type]
            elif counts[tag] > 1:
                position = seen[tag] = seen.get(tag, 0) + 1
                self.visit(child, f"{path}/{tag}[{position}]")
            else:
                self.visit(child, f"{path}/{tag}")


def _block(element: _Element) -> dict[str, list[Any]]:
    """A ``Messages`` element in the shape the codec's reader gives it: severity tag -> its
    messages, as dicts of ``Code`` (None where there is none) and text."""
    block: dict[str, list[Any]] = {}
    for item in element:
        tag = item.tag
        if tag.__class__ is str and tag in _SEVERITIES:
            block.setdefault(tag, []).append({"Code": item.get("Code"), TEXT_KEY: item.text or ""})
    return block


def _statistics(attributes: Mapping[str, str]) -> Statistics:

    def number(name: str) -> int | None:
        value = attributes.get(name)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise MalformedResponseError(
                f"ProcessingStatistics/@{name} is not an integer: {value[:40]!r}"
            ) from None

    xml_timestamp = attributes.get("XmlTimeStamp")
    moment = None
    if xml_timestamp is not None:
        try:
            moment = to_jst(datetime.fromisoformat(xml_timestamp))
        except ValueError:
            raise MalformedResponseError(
                f"ProcessingStatistics/@XmlTimeStamp is not a date and time: {xml_timestamp[:40]!r}"
            ) from None
    time_ms = number("ProcessingTimeMs")
    return Statistics(
        received=number("Received"),
        valid=number("Valid"),
        invalid=number("Invalid"),
        successful=number("Successful"),
        unsuccessful=number("Unsuccessful"),
        processing_time_ms=number("TimeInMs") if time_ms is None else time_ms,
        transaction_id=attributes.get("TransactionId"),
        timestamp=attributes.get("TimeStamp"),
        xml_timestamp=moment,
    )
