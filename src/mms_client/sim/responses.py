"""Response payload documents, built the way the MMS builds them.

Every answer has ``ProcessingStatistics`` (Received, Valid, Invalid, Successful,
Unsuccessful, ProcessingTimeMs, TransactionId, a Java-style ``TimeStamp`` such as
``Tue Mar 15 11:43:37 JST 2024`` and ``XmlTimeStamp``), optional document-level ``Messages``
and, for a processed request, the response envelope echoing the request's envelope
attributes with ``Validation`` and ``Success``.  Submits and cancels echo each item with its
own Validation, Success and Messages; queries return the stored items inside a *submit*
envelope (``MarketQuery_OfferQuery`` answers with ``MarketSubmit/OfferData``).

The documents are assembled as dicts keyed by XML names and validated once by the payload
models before they are written, so the simulator cannot answer with something the schema
forbids.  Which statistics attributes exist and whether messages carry a ``Code`` differs
between schemas (the report schema has ``TimeInMs`` and plain-text messages); both are read
from the models, not hard-coded.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from mms_client.jst import JST, format_jst
from mms_client.schema import codec, root_model
from mms_client.schema.binding import TEXT_KEY, XmlModel, root_tag, xml_plan
from mms_client.sim.calls import Issue, ItemResult, Outcome, XmlDict

if TYPE_CHECKING:
    from mms_client.operations import Operation

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def java_timestamp(moment: datetime) -> str:
    """``Tue Mar 15 11:43:37 JST 2024``: how the MMS (a Java server) prints a time."""
    local = moment.astimezone(JST)
    return (
        f"{_WEEKDAYS[local.weekday()]} {_MONTHS[local.month - 1]} {local.day:02d} "
        f"{local:%H:%M:%S} JST {local.year}"
    )


def new_transaction_id() -> str:
    """A fresh TransactionId: 8 characters, the one length every schema allows (market 8 to
    10, registration exactly 8 letters and digits, reports 1 to 10)."""
    return secrets.token_hex(4).upper()


@dataclass(frozen=True)
class Counts:
    received: int
    valid: int
    invalid: int
    successful: int
    unsuccessful: int


@dataclass(frozen=True)
class Clock:
    """When a request was received, how long processing took and the TransactionId of the
    answer."""

    now: datetime
    elapsed_ms: int
    transaction_id: str


def _child_model(model: type[XmlModel], tag: str) -> type[XmlModel]:
    child = xml_plan(model).elements_by_tag[tag].model
    assert child is not None, f"{model.__name__}/{tag} has no structure"
    return child


def _statistics(root: type[XmlModel], counts: Counts, clock: Clock) -> XmlDict:
    values: dict[str, Any] = {
        "Received": counts.received,
        "Valid": counts.valid,
        "Invalid": counts.invalid,
        "Successful": counts.successful,
        "Unsuccessful": counts.unsuccessful,
        "ProcessingTimeMs": clock.elapsed_ms,
        "TimeInMs": clock.elapsed_ms,
        "TransactionId": clock.transaction_id,
        "TimeStamp": java_timestamp(clock.now),
        "XmlTimeStamp": format_jst(clock.now.replace(microsecond=0)),
    }
    known = xml_plan(_child_model(root, "ProcessingStatistics")).attribute_names
    return {name: value for name, value in values.items() if name in known}


def _messages(
    messages_model: type[XmlModel],
    errors: Sequence[Issue] = (),
    warnings: Sequence[Issue] = (),
    information: Sequence[Issue] = (),
) -> XmlDict | None:
    plan = xml_plan(messages_model)
    found: XmlDict = {}
    for tag, issues in (("Error", errors), ("Warning", warnings), ("Information", information)):
        if not issues:
            continue
        coded = plan.elements_by_tag[tag].model is not None
        found[tag] = [
            {"Code": issue.code.value, TEXT_KEY: issue.text}
            if coded
            else f"{issue.code.value}: {issue.text}"
            for issue in issues
        ]
    return found or None


def _status(model: type[XmlModel], validation: str) -> XmlDict:
    """The status attributes ``model`` has, set to ``validation``: ``Validation`` and
    ``Success`` (market, registration), ``ValidationStatus`` (reports).  A value the schema
    does not know (registration has no PASSED_PARTIAL) becomes FAILED."""
    plan = xml_plan(model)
    status: XmlDict = {}
    for attribute in plan.attributes:
        if attribute.xml_name in ("Validation", "ValidationStatus"):
            allowed = model.model_fields[attribute.field_name].annotation
            values = {member.value for member in _enum_members(allowed)}
            status[attribute.xml_name] = validation if validation in values else "FAILED"
    if "Success" in plan.attribute_names:
        status["Success"] = validation == "PASSED"
    return status


def _enum_members(annotation: Any) -> list[Any]:
    """The members of the enumeration inside an ``Enum | None`` annotation."""
    for candidate in getattr(annotation, "__args__", (annotation,)):
        if isinstance(candidate, type) and issubclass(candidate, Enum):
            return list(candidate)
    raise TypeError(f"{annotation!r} is not an enumeration")


def _echo(model: type[XmlModel], attributes: XmlDict, validation: str) -> XmlDict:
    """A request's envelope as the answer echoes it: the attributes ``model`` has, with the
    status ``validation`` in place of any the request gave."""
    status = _status(model, validation)
    known = xml_plan(model).attribute_names - status.keys()
    return {**{name: value for name, value in attributes.items() if name in known}, **status}


def _with_messages(target: XmlDict, model: type[XmlModel], result: ItemResult) -> XmlDict:
    messages = _messages(
        _child_model(model, "Messages"), result.errors, result.warnings, result.information
    )
    if messages is not None:
        target["Messages"] = messages
    return target


def _write(root: type[XmlModel], document: XmlDict) -> bytes:
    return codec.write(codec.validate(root, document))


def answer_document(
    parts: Sequence[tuple[Operation, Outcome]], envelope: XmlModel, clock: Clock
) -> bytes:
    """The response payload of a request that reached its handlers: one part per operation
    the request carries (several kinds of registration item share one envelope), each
    part's items under its own element, counted and judged together."""
    response = parts[0][0].response
    assert response.element is not None, f"{parts[0][0].name} answers with a file, not items"
    root = root_model(response.schema)
    at_root = response.envelope in (None, root_tag(root))
    envelope_model = root if at_root else _child_model(root, str(response.envelope))
    envelope_plan = xml_plan(envelope_model)
    results = [result for _, outcome in parts for result in outcome.items]
    accepted = sum(result.ok for result in results)
    echo = parts[0][1].echo
    if echo:
        counts = Counts(
            len(results), accepted, len(results) - accepted, accepted, len(results) - accepted
        )
        status = (
            "PASSED" if accepted == len(results) else "PASSED_PARTIAL" if accepted else "FAILED"
        )
    else:
        counts = Counts(1, 1, 0, 1, 0)
        status = "PASSED"
    echoed = envelope.model_dump(mode="json", by_alias=True, exclude_none=True)
    answer = _echo(envelope_model, echoed, status)
    for operation, outcome in parts:
        answer.update(outcome.companions)
        element = str(operation.response.element)
        item_model = _child_model(envelope_model, element)
        items = [
            _with_messages(
                {**result.item, **_status(item_model, "PASSED" if result.ok else "FAILED")},
                item_model,
                result,
            )
            if echo
            else result.item
            for result in outcome.items
        ]
        if items:
            is_list = envelope_plan.elements_by_tag[element].is_list
            answer[element] = items if is_list else items[0]

    document: XmlDict = {"ProcessingStatistics": _statistics(root, counts, clock)}
    if at_root:
        document.update(answer)
    else:
        # a root with a status of its own (RegistrationData) says the same as its envelope
        document.update(_status(root, status))
        document[str(response.envelope)] = answer
    return _write(root, document)


def refusal_document(
    root: type[XmlModel],
    root_attributes: XmlDict,
    issues: Sequence[Issue],
    clock: Clock,
    envelope: tuple[str, XmlDict] | None = None,
) -> bytes:
    """The response payload of a request refused as a whole (schema, authorisation...): the
    problems as document-level Error messages, and the request's envelope echoed as FAILED.

    ``root_attributes`` are the request's own root attributes (the report root requires
    some) and ``envelope`` the tag and attributes of its envelope, if it has one; raises
    :class:`~mms_client.errors.PayloadError` if they cannot be echoed.
    """
    document: XmlDict = {
        **root_attributes,
        **_status(root, "FAILED"),
        "ProcessingStatistics": _statistics(root, Counts(1, 0, 1, 0, 1), clock),
    }
    messages = _messages(_child_model(root, "Messages"), errors=issues)
    if messages is not None:
        document["Messages"] = messages
    if envelope is not None:
        tag, attributes = envelope
        document[tag] = _echo(_child_model(root, tag), attributes, "FAILED")
    return _write(root, document)
