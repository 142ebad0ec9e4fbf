"""Every operation of the registry, end to end: its example (:mod:`mms_client.examples`),
sent through the generic ``client.call`` by a seeded user allowed to call it, over HTTPS with
mutual TLS to a simulator in its seeded state, succeeds, and so does each when all are sent
one after another in registry order to one such simulator; and what travelled is what EPRX
specified: the payload part of the request and the answer validate against the official
XSDs."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

from mms_client.errors import MMSValidationError
from mms_client.examples import Example, examples
from mms_client.schema.files import Schema, xml_schema
from mms_client.sim.simulator import Simulator
from mms_client.wire.soap import ResponseAttInfo

from .conftest import Recorder

EXAMPLES = examples()
IDS = [f"{e.operation.interface.value}-{e.operation.name}" for e in EXAMPLES]


def _call_options(example: Example) -> dict[str, Any]:
    return {
        "interface": example.operation.interface,
        "attachments": example.attachments,
        **example.envelope,
    }


def _check_accepted(example: Example, recorder: Recorder, response: Any) -> ResponseAttInfo:
    """The request went out as signed MTOM with its files and the MMS accepted it: the
    reply, read from the wire."""
    operation = example.operation
    sent = recorder.request()
    assert sent.interface is operation.interface
    assert sent.info.request_type == operation.request_type
    assert [a.name for a in sent.attachments] == [a.name for a in example.attachments]
    assert all(a.signature for a in sent.attachments)
    answer = recorder.response(operation.interface)
    assert isinstance(answer, ResponseAttInfo) and answer.success, answer
    assert response.operation == operation
    if operation.response.element is not None:
        assert response.statistics is not None and response.statistics.transaction_id
        assert response.items, f"{operation.name}: the seeded state should give an answer"
    return answer


def _check(example: Example, recorder: Recorder, response: Any) -> None:
    """Accepted, and both payloads are schema-valid (when the official schemas are at
    hand)."""
    operation = example.operation
    sent = recorder.request()
    answer = _check_accepted(example, recorder, response)
    request_schema = xml_schema(operation.schema)
    if request_schema is None:
        pytest.skip(
            "the official MMS schema files are absent (set MMS_SCHEMA_DIR): the call "
            "succeeded, its payload was not checked against the XSD"
        )
    assert request_schema.validate(etree.fromstring(sent.payload)), request_schema.error_log
    if answer.response_data_type == "XML":
        assert answer.response_data is not None
        response_schema = xml_schema(operation.response.schema)
        assert response_schema is not None
        document = etree.fromstring(answer.response_data)
        assert response_schema.validate(document), response_schema.error_log


@pytest.mark.parametrize("example", EXAMPLES, ids=IDS)
def test_every_operation_works_from_the_sync_client(
    sim: Simulator, recorder: Recorder, example: Example
) -> None:
    with sim.client(example.client_type, example.participant, plugins=[recorder]) as client:
        response = client.call(example.operation.name, example.payload, **_call_options(example))
    _check(example, recorder, response)


@pytest.mark.parametrize("example", EXAMPLES, ids=IDS)
async def test_every_operation_works_from_the_async_client(
    sim: Simulator, recorder: Recorder, example: Example
) -> None:
    client = sim.async_client(example.client_type, example.participant, plugins=[recorder])
    async with client:
        response = await client.call(
            example.operation.name, example.payload, **_call_options(example)
        )
    _check(example, recorder, response)


def test_the_examples_sent_one_after_another_in_registry_order_all_succeed(
    sim: Simulator, recorder: Recorder
) -> None:
    """The examples fit together, as ``mms call NAME --example`` for each operation
    ``mms ops`` lists makes them meet: sent in turn to one simulator, none undoes what a
    later one relies on (the registration an approval names still awaits approval, the
    offer a cancel names is still there...)."""
    refused = {}
    for example, name in zip(EXAMPLES, IDS, strict=True):
        with sim.client(example.client_type, example.participant, plugins=[recorder]) as client:
            try:
                response = client.call(
                    example.operation.name, example.payload, **_call_options(example)
                )
            except MMSValidationError as error:
                refused[name] = str(error)
                continue
        _check_accepted(example, recorder, response)
    assert refused == {}


def test_every_operation_has_an_example() -> None:
    from mms_client.operations import OPERATIONS

    assert [(e.operation.interface, e.operation.name) for e in EXAMPLES] == [
        (o.interface, o.name) for o in OPERATIONS
    ]
    assert all(e.client_type in e.operation.audiences for e in EXAMPLES)


def test_the_examples_are_valid_against_the_official_schemas() -> None:
    """Without a simulator: an example is a starting point that is right to the schema."""
    checked = 0
    for example in EXAMPLES:
        schema = xml_schema(example.operation.schema)
        if schema is None:
            pytest.skip("the official MMS schema files are absent (set MMS_SCHEMA_DIR)")
        user = {"BSP": "FAKEUSER", "MO": "MOUSER", "TSO": "TSOUSER"}[example.client_type.value]
        from mms_client.schema import codec

        document = etree.fromstring(codec.write(example.document(user)))
        assert schema.validate(document), (example.operation.name, schema.error_log)
        checked += 1
    assert checked == len(EXAMPLES) and Schema.MPR in {e.operation.schema for e in EXAMPLES}
