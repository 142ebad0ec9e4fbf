"""Property tests over every request and response model, with instances drawn at random.

What holds for every instance: its XML is valid against the official XSD, it is its own
canonical form, and it comes back unchanged through XML and through JSON. What holds for
every broken value: it is refused with an error that names the field.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from mms_client.errors import PayloadError
from mms_client.operations import OPERATIONS, Operation
from mms_client.schema import parse_payload, root_model, write_payload
from mms_client.schema.binding import XmlBinding, XmlKind, XmlModel, xml_plan
from mms_client.schema.codec import validate
from mms_client.schema.files import Schema, xml_schema

from .conftest import SCHEMA_FILES_ABSENT
from .strategies import Facets, field_strategy, model_strategy, unwrap

PROPERTY_SETTINGS = settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def official_xsd(schema: Schema) -> etree.XMLSchema:
    compiled = xml_schema(schema)
    if compiled is None:
        pytest.skip(SCHEMA_FILES_ABSENT)
    return compiled


def assert_document_holds(document: XmlModel, schema: Schema) -> None:
    payload = write_payload(document)
    assert etree.tostring(etree.fromstring(payload), method="c14n") == payload
    xsd = official_xsd(schema)
    if not xsd.validate(etree.fromstring(payload)):
        raise AssertionError(f"not valid against {schema.file_name}: {xsd.error_log}\n{payload!r}")
    assert parse_payload(payload, schema) == document
    assert type(document).model_validate_json(document.model_dump_json()) == document


def attribute_fields(cls: type[XmlModel]) -> dict[str, Any]:
    return {
        name: info
        for name, info in cls.model_fields.items()
        if any(isinstance(m, XmlBinding) and m.kind is XmlKind.ATTRIBUTE for m in info.metadata)
    }


def envelope_strategy(operation: Operation) -> st.SearchStrategy[dict[str, Any]]:
    fields = attribute_fields(operation.envelope_model)
    return st.fixed_dictionaries({name: field_strategy(info) for name, info in fields.items()})


OPERATION_IDS = [f"{o.interface.value}-{o.name}" for o in OPERATIONS]


@pytest.mark.parametrize("operation", OPERATIONS, ids=OPERATION_IDS)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_requests_of_every_operation_are_valid_and_round_trip(
    operation: Operation, data: st.DataObject
) -> None:
    payload = data.draw(model_strategy(operation.payload_model), label="payload")
    envelope = data.draw(envelope_strategy(operation), label="envelope")
    document = operation.request_document(payload, **envelope)
    assert_document_holds(document, operation.schema)


def response_strategy(operation: Operation) -> st.SearchStrategy[XmlModel]:
    """Reply documents of the shape the operation's response has, with at least one item."""
    shape = operation.response
    root = root_model(shape.schema)
    if shape.element is None:
        return model_strategy(root)
    envelope = root
    if shape.envelope is not None and shape.envelope != root.__xml_tag__:
        envelope_binding = xml_plan(root).elements_by_tag[shape.envelope]
        assert envelope_binding.model is not None
        envelope = envelope_binding.model
    element = xml_plan(envelope).elements_by_tag[shape.element]
    assert element.model is not None
    child_force: frozenset[str] = frozenset()
    if shape.child is not None:
        child_force = frozenset({xml_plan(element.model).elements_by_tag[shape.child].field_name})
    items = model_strategy(element.model, force=child_force)
    item_values = st.lists(items, min_size=1, max_size=2) if element.is_list else items
    # the other item kinds of the envelope stay empty: the random documents test covers them
    others: dict[str, st.SearchStrategy[Any]] = {
        sibling.field_name: st.just([] if sibling.is_list else None)
        for sibling in xml_plan(envelope).elements
        if sibling.model is not None
        and sibling.tag not in (element.tag, "Messages")
        and sibling.tag != "ProcessingStatistics"
    }
    envelope_values = model_strategy(
        envelope,
        force=frozenset({element.field_name}),
        overrides={**others, element.field_name: item_values},
    )
    if envelope is root:
        return envelope_values
    return model_strategy(
        root,
        force=frozenset({envelope_binding.field_name}),
        overrides={envelope_binding.field_name: envelope_values},
    )


@pytest.mark.parametrize("operation", OPERATIONS, ids=OPERATION_IDS)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_responses_of_every_operation_are_valid_round_trip_and_unpack(
    operation: Operation, data: st.DataObject
) -> None:
    document = data.draw(response_strategy(operation), label="response")
    assert_document_holds(document, operation.response.schema)
    items = operation.response_items(document)
    if operation.response.element is not None:
        assert items
        assert all(isinstance(item, operation.response_model) for item in items)


@pytest.mark.parametrize("schema", list(Schema), ids=[s.value for s in Schema])
@settings(PROPERTY_SETTINGS, max_examples=12)
@given(data=st.data())
def test_random_documents_of_every_schema_are_valid_and_round_trip(
    schema: Schema, data: st.DataObject
) -> None:
    document = data.draw(model_strategy(root_model(schema)), label="document")
    assert_document_holds(document, schema)


def broken_values(info: Any, valid: Any) -> list[tuple[str, Any]]:
    """Values that break the field's type or facets, with what they break."""
    facets = Facets()
    for item in info.metadata:
        facets.add(item)
    _, _, base = unwrap(info.annotation, facets)
    broken: list[tuple[str, Any]] = []
    if isinstance(base, type) and issubclass(base, Enum):
        broken.append(("not one of the enumeration", "NOT-A-CODE"))
    elif base is int or base is Decimal:
        if facets.maximum is not None:
            broken.append(("above the maximum", facets.maximum + 1))
        if facets.minimum is not None:
            broken.append(("below the minimum", facets.minimum - 1))
        broken.append(("not a number", "twelve"))
        if facets.decimal_places is not None:
            broken.append(
                ("too many decimal places", Decimal(1).scaleb(-facets.decimal_places - 1))
            )
    elif base is datetime:
        broken.append(("not a time", "noon tomorrow"))
    elif base is bool:
        broken.append(("not an xs:boolean", "yes"))
    elif base is str:
        text = valid if isinstance(valid, str) and valid else "A"
        if facets.max_length is not None:
            broken.append(("too long", (text * (facets.max_length + 1))[: facets.max_length + 1]))
        if facets.min_length:
            broken.append(("too short", text[: facets.min_length - 1]))
        if facets.pattern is not None:
            misfit = next(
                (
                    c
                    for c in ("!", "\u3042", "a", "0", "Z", "~")
                    if not re.fullmatch(facets.pattern, c * len(text))
                ),
                None,
            )
            if misfit is not None:
                broken.append(("against the pattern", misfit * len(text)))
    return broken


@pytest.mark.parametrize("operation", OPERATIONS, ids=OPERATION_IDS)
@settings(PROPERTY_SETTINGS, max_examples=1)
@given(data=st.data())
def test_broken_values_are_refused_naming_the_field(
    operation: Operation, data: st.DataObject
) -> None:
    cls = operation.payload_model
    valid = data.draw(model_strategy(cls), label="payload")
    base = valid.model_dump(by_alias=True)
    for name, info in attribute_fields(cls).items():
        cases = broken_values(info, getattr(valid, name))
        if info.is_required():
            cases.append(("missing", None))
        for what, value in cases:
            broken = {k: v for k, v in base.items() if k != info.alias}
            if what != "missing":
                broken[info.alias] = value
            with pytest.raises(PayloadError) as caught:
                validate(cls, broken, tag=operation.element)
            paths = [error.path for error in caught.value.errors]
            assert f"{operation.element}/@{info.alias}" in paths, (what, value, paths)
