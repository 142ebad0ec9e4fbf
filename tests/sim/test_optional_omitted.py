"""Every operation, sent by every client type allowed to call it, with its optional parts
left out, gets an answer of the MMS's kind: accepted, or refused with a coded error; never an
internal simulator error. The schemas make much optional whose absence a handler may not
expect (a refund without EndTime), and the examples carry most of it, so each request is
the example (:mod:`mms_client.examples`), the example with only what the schema requires
(optional attributes and elements left out at every depth, and the envelope's optional
attributes), and the example with one optional name left out, for each it carries.

Requests go out through the client; one it refuses to send (an offer without MarketType, a
file nothing names any more) goes out as built by the wire functions, so that the simulator
meets what another client may send."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from mms_client.client import MmsClient
from mms_client.errors import MMSClientError, PayloadError
from mms_client.examples import Example, examples
from mms_client.schema.binding import XmlChoiceModel, XmlModel
from mms_client.sim.pki import SimUser
from mms_client.sim.simulator import Simulator
from mms_client.wire.soap import SoapFault

from .conftest import Wire

EXAMPLES = examples()
IDS = [f"{e.operation.interface.value}-{e.operation.name}" for e in EXAMPLES]

FieldKey = tuple[type[XmlModel], str]
"""An optional attribute or element: the model holding it and its field."""


def _present(value: Any) -> bool:
    return value is not None and value != []


def _chosen_branch(model: XmlModel) -> set[str]:
    """The fields of the branch present in each required ``xs:choice`` of ``model``: leaving
    all of them out would break the schema, so they stay."""
    kept: set[str] = set()
    if isinstance(model, XmlChoiceModel):
        for choice in model.__xml_choices__:
            if choice.required:
                present = (
                    b for b in choice.branches if any(_present(getattr(model, f)) for f in b)
                )
                kept.update(next(present, ()))
    return kept


def _without(value: Any, left_out: set[FieldKey] | None) -> Any:
    """``value`` without the optional fields ``left_out`` (None: every optional field), at
    every depth."""
    if isinstance(value, list):
        return [_without(v, left_out) for v in value]
    if not isinstance(value, XmlModel):
        return value
    model = type(value)
    kept = _chosen_branch(value)
    fields = {}
    for name, info in model.model_fields.items():
        current = getattr(value, name)
        optional = not info.is_required() and name not in kept
        if not _present(current) or (optional and (left_out is None or (model, name) in left_out)):
            continue
        fields[name] = _without(current, left_out)
    return model(**fields)


def _optional_fields(value: Any) -> Iterator[FieldKey]:
    """The optional fields ``value`` carries, at every depth."""
    if isinstance(value, list):
        for v in value:
            yield from _optional_fields(v)
    elif isinstance(value, XmlModel):
        for name, info in type(value).model_fields.items():
            current = getattr(value, name)
            if _present(current):
                if not info.is_required():
                    yield type(value), name
                yield from _optional_fields(current)


Variant = tuple[str, Any, dict[str, Any]]


def _variants(example: Example) -> Iterator[Variant]:
    """(what is left out, payload, envelope) of each request sent for ``example``."""
    envelope = dict(example.envelope)
    fields = example.operation.envelope_model.model_fields
    optional_envelope = [name for name in envelope if not fields[name].is_required()]
    required_envelope = {k: v for k, v in envelope.items() if k not in optional_envelope}
    minimal = _without(example.payload, None)
    yield "nothing", example.payload, envelope
    yield "every optional part", minimal, required_envelope
    yield "every optional part of the payload", minimal, envelope
    for model, name in dict.fromkeys(_optional_fields(example.payload)):
        alias = model.model_fields[name].alias
        yield f"{model.__name__}/{alias}", _without(example.payload, {(model, name)}), envelope
    for name in optional_envelope:
        yield f"envelope {name}", example.payload, {k: v for k, v in envelope.items() if k != name}


def _internal_error(
    client: MmsClient, simulator: Simulator, sender: SimUser, example: Example, variant: Variant
) -> str | None:
    """What the simulator answered ``variant`` of ``example`` from ``sender`` with, if that
    was an internal error."""
    operation = example.operation
    _, payload, envelope = variant
    sent = replace(example, payload=payload, envelope=envelope, participant=sender.participant)
    announced = operation.announced_files(sent.document(sender.user))
    attachments = tuple(a for a in example.attachments if a.name in announced)
    try:
        client.call(
            operation.name,
            payload,
            interface=operation.interface,
            attachments=attachments,
            **envelope,
        )
    except MMSClientError as exc:
        return str(exc) if "internal simulator error" in str(exc) else None
    except PayloadError:
        answer = Wire(simulator).call(
            operation.name,
            payload,
            user=sender,
            interface=operation.interface,
            attachments=attachments,
            **envelope,
        )
        if isinstance(answer.reply, SoapFault) and answer.reply.code == "soapenv:Server":
            return str(answer.reply)
    return None


@pytest.mark.parametrize("example", EXAMPLES, ids=IDS)
def test_an_operation_without_its_optional_parts_gets_no_internal_error(
    module_simulator: Simulator, example: Example, caplog: pytest.LogCaptureFixture
) -> None:
    failures = []
    for client_type in sorted(example.operation.audiences, key=lambda c: c.value):
        participant = example.participant if client_type is example.client_type else None
        sender = module_simulator.user(client_type, participant)
        with module_simulator.client(client_type, sender.participant, sender.user) as client:
            for variant in _variants(example):
                module_simulator.reset()
                caplog.clear()
                with caplog.at_level(logging.ERROR, logger="mms_client.sim"):
                    error = _internal_error(client, module_simulator, sender, example, variant)
                logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
                if error or logged:
                    failures.append(
                        f"as {client_type.value}, without {variant[0]}: {error} {logged}"
                    )
    assert not failures, "\n".join(failures)
