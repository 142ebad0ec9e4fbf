"""Did the MMS accept a request? The verdict read from a response payload.

The MMS answers HTTP 200 with ``success`` true even when it refused every item; the truth is
inside the payload, spread over the whole document: ``ProcessingStatistics`` counts, the
``Validation`` and ``Success`` attributes of the echoed envelope and of every item, and
``Messages`` blocks at any depth. A request failed when any of these says so (the rules of
WIRE.md): ``Invalid`` > 0, any ``Success="false"``, any ``Validation`` of FAILED or
PASSED_PARTIAL, or any Error message. Warnings and information never fail a request; they are
handed back to the caller.

The verdict is read in one pass over the lxml tree, without building models, so it costs about
as much as looking at every element once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal, NamedTuple

from mms_client.errors import MalformedResponseError
from mms_client.jst import to_jst

if TYPE_CHECKING:
    from lxml.etree import _Element

Severity = Literal["Error", "Warning", "Information"]

MESSAGE_BLOCKS = frozenset({"Messages", "MESSAGES"})
"""The elements holding messages: market, registration and report schemas use
Messages/Error|Warning|Information; the outbound report schema uses MESSAGES/ERROR."""
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


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a response says about the request: why it failed (if it did), every message,
    and the statistics."""

    reasons: tuple[str, ...]
    messages: tuple[Message, ...]
    statistics: Statistics | None

    @property
    def failed(self) -> bool:
        return bool(self.reasons)

    @property
    def errors(self) -> tuple[Message, ...]:
        return tuple(m for m in self.messages if m.severity == "Error")

    @property
    def warnings(self) -> tuple[Message, ...]:
        return tuple(m for m in self.messages if m.severity == "Warning")

    @property
    def information(self) -> tuple[Message, ...]:
        return tuple(m for m in self.messages if m.severity == "Information")


def judge(root: _Element) -> Verdict:
    """Read the verdict of the response document ``root`` (parsed by the hardened parser)."""
    walk = _Walk()
    walk.visit(root, str(root.tag))
    statistics = walk.statistics
    reasons = walk.reasons
    if statistics is not None and statistics.invalid:
        reasons.insert(0, f"ProcessingStatistics counts {statistics.invalid} invalid item(s)")
    errors = sum(1 for m in walk.messages if m.severity == "Error")
    if errors:
        reasons.append(f"{errors} Error message(s)")
    return Verdict(tuple(reasons), tuple(walk.messages), statistics)


class _Walk:
    """One depth-first pass that builds each element's path on the way down (no lookups of
    the path per element) and reads Messages blocks without descending into them again."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.reasons: list[str] = []
        self.statistics: Statistics | None = None

    def visit(self, element: _Element, path: str) -> None:
        validation = element.get("Validation") or element.get("ValidationStatus")
        if validation in _FAILED_VALIDATIONS:
            self.reasons.append(f"{path} has Validation {validation}")
        success = element.get("Success")
        if success is not None and success.strip() in ("false", "0"):
            self.reasons.append(f"{path} has Success false")
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
                self._read_messages(child, path)
            elif tag == "ProcessingStatistics":
                if self.statistics is None:
                    self.statistics = _statistics(child)
            elif counts[tag] > 1:
                position = seen[tag] = seen.get(tag, 0) + 1
                self.visit(child, f"{path}/{tag}[{position}]")
            else:
                self.visit(child, f"{path}/{tag}")

    def _read_messages(self, block: _Element, where: str) -> None:
        append = self.messages.append
        for item in block:
            severity = _SEVERITIES.get(item.tag) if item.tag.__class__ is str else None
            if severity is not None:
                text = " ".join((item.text or "").split())
                append(Message(severity, item.get("Code"), text, where))


def _statistics(element: _Element) -> Statistics:
    attributes = element.attrib

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
