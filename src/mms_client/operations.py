"""The registry of MMS operations: one :class:`Operation` per thing the MMS can be asked.

An operation is one kind of item inside one envelope of one payload schema, e.g.
``MarketSubmit_OfferData``: ``OfferData`` items in a ``MarketSubmit`` of a ``MarketData``
document, sent as request type ``mp.market`` on the MI interface. The record knows who may
call it, how to wrap items into a request document and where the answer sits in the reply, so
client methods, the CLI, the simulator and the docs are all driven from the same table
(``mms_client.operations_data``, generated from the official catalog).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import cache, cached_property
from typing import Any

from pydantic import BaseModel

from mms_client.endpoints import ClientType, Interface
from mms_client.errors import ConfigurationError, FieldError, PayloadError, one_of
from mms_client.operations_data import ROWS, OperationRow
from mms_client.schema import root_model
from mms_client.schema.binding import ElementPlan, XmlModel, model_name, root_tag, xml_plan
from mms_client.schema.codec import validate
from mms_client.schema.files import Schema


def _child(parent: type[XmlModel], tag: str) -> ElementPlan:
    binding = xml_plan(parent).elements_by_tag.get(tag)
    if binding is None or binding.model is None:
        raise LookupError(f"{parent.__name__} has no child element {tag}")
    return binding


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


@dataclass(frozen=True)
class ResponseShape:
    """Where the answer to an operation sits in the reply document.

    The reply is a ``schema`` document; the items are ``envelope``/``element`` below its root
    (``envelope`` None: the elements sit directly below the root), and for queries that carry
    their results inside the query element, the ``child`` of each element. A report download
    (``element`` None) answers with the rows of an ``OutboundData`` document. ``files`` says
    that the reply carries files as attachments (``attachmentData``). ``source`` says how sure
    the catalog is: anchor, schema, or inferred with a confidence.
    """

    schema: Schema
    envelope: str | None
    element: str | None
    child: str | None
    source: str
    files: bool = False


@dataclass(frozen=True)
class Operation:
    """One MMS operation (see the module docstring)."""

    name: str
    interface: Interface
    request_type: str
    kind: str
    """submit, query, cancel, approval or report."""
    schema: Schema
    root: str
    envelope: str
    element: str
    multi: bool
    """Whether one request may carry several items."""
    method: str
    """The client method name (``put_offer``)."""
    list_method: str | None
    """The name of the variant taking a list (``put_offers``), for operations whose request
    may carry several items."""
    read_only: bool
    """Whether the operation only reads, so that sending it twice does no harm (queries,
    report lists and downloads); the transport resends only these after a failure that may
    have reached the server."""
    needs_market_type: bool
    """Whether the MMS refuses this operation without a ``MarketType`` on its envelope, which
    its schema has optional (offers and their cancellations): its methods take
    ``market_type`` as a required argument, and the client refuses to send it without one."""
    audiences: frozenset[ClientType]
    audience_source: str
    response: ResponseShape
    companions: tuple[str, ...] = ()
    """Elements that may travel with the items in the same envelope (StandingData with BUPs)."""

    @classmethod
    def from_row(cls, row: OperationRow) -> Operation:
        return cls(
            name=row.name,
            interface=Interface(row.interface),
            request_type=row.request_type,
            kind=row.kind,
            schema=Schema(row.schema),
            root=row.root,
            envelope=row.envelope,
            element=row.element,
            multi=row.multi,
            method=row.method,
            list_method=row.list_method,
            read_only=row.read_only,
            needs_market_type=row.needs_market_type,
            audiences=frozenset(ClientType(a) for a in row.audiences),
            audience_source=row.audience_source,
            response=ResponseShape(
                schema=Schema(row.response_schema),
                envelope=row.response_envelope,
                element=row.response_element,
                child=row.response_child,
                source=row.response_source,
                files=row.response_files,
            ),
            companions=row.companions,
        )

    # -- models (resolved on first use, so the registry itself imports no schema) ------------

    @cached_property
    def root_model(self) -> type[XmlModel]:
        """The document class of the request (``MarketData``...)."""
        return root_model(self.schema)

    @cached_property
    def _envelope_binding(self) -> ElementPlan | None:
        if self.envelope == self.root:
            return None
        return _child(self.root_model, self.envelope)

    @cached_property
    def envelope_model(self) -> type[XmlModel]:
        """The envelope class (``MarketSubmit``...); the root itself for report requests."""
        binding = self._envelope_binding
        if binding is None:
            return self.root_model
        assert binding.model is not None
        return binding.model

    @cached_property
    def _payload_binding(self) -> ElementPlan:
        return _child(self.envelope_model, self.element)

    @cached_property
    def payload_model(self) -> type[XmlModel]:
        """The class of one request item (``OfferData``...)."""
        model = self._payload_binding.model
        assert model is not None
        return model

    @cached_property
    def response_model(self) -> type[XmlModel]:
        """The class of the items :meth:`response_items` returns.

        For a report download this is the ``OutboundData`` document class; its items are the
        dataset rows, whose class depends on the report.
        """
        shape = self.response
        current = root_model(shape.schema)
        if shape.element is None:
            return current
        if shape.envelope is not None and shape.envelope != current.__xml_tag__:
            current = _child_model(current, shape.envelope)
        current = _child_model(current, shape.element)
        if shape.child is not None:
            current = _child_model(current, shape.child)
        return current

    # -- documents --------------------------------------------------------------------------

    def takes_one(self, method: str | None = None) -> bool:
        """Whether a request sent by the client method ``method`` (None: by registry name, as
        ``client.call`` sends) carries one item at most.

        The schema decides for the operation (:attr:`multi`); beside a list variant, the
        method named :attr:`method` (``put_offer``, beside ``put_offers``) takes one item too,
        and answers with the one item the MMS took. Several given to it would all be sent and
        stored, and only then found to be more than the method can answer with."""
        return not self.multi or (self.list_method is not None and method == self.method)

    def items_to_send(
        self, payload_or_list: XmlModel | Mapping[str, Any] | Iterable[Any], method: str | None
    ) -> list[Any]:
        """The items ``payload_or_list`` holds, as the client method ``method`` (None: by
        registry name) sends them; :class:`PayloadError` when there is none, or more than
        :meth:`takes_one` allows.

        Any iterable but a model, a mapping or a text holds items; one of those is an item
        itself, a list of one, as the established client takes one item given to a list
        method (``put_offers(offer, ...)``). Listing it would give a model's fields, a
        mapping's keys or the characters of a text, each then reported as an item that is
        not one."""
        items = (
            list(payload_or_list)
            if isinstance(payload_or_list, Iterable)
            and not isinstance(payload_or_list, BaseModel | Mapping | str | bytes)
            else [payload_or_list]
        )
        path = f"{self._where}/{self.element}"
        if not items or items == [None]:
            # the schema lets an envelope go without its items; the MMS then knows not what
            # was asked (E_NO_OPERATION), so such a request is never sent
            raise PayloadError(
                f"{self.name} needs at least one item",
                # what was given: no item at all, or None (which a list method takes as a list)
                [FieldError(path, [] if not items else None, "at least one item is required")],
            )
        missing = [
            FieldError(f"{path}[{index}]", None, f"an {self.element}, not None")
            for index, item in enumerate(items, 1)
            if item is None
        ]
        if missing:
            raise PayloadError(f"{self.name}: an item given is None", missing)
        if len(items) > 1 and self.takes_one(method):
            if self.multi:
                message = f"{method} takes one {self.element}; {self.list_method} takes several"
            else:
                message = f"{self.name} takes one item"
            raise PayloadError(
                message, [FieldError(path, len(items), "at most one item per request")]
            )
        return items

    def holds_more_elements(self, payload_or_list: object, limit: int) -> bool:
        """Whether ``payload_or_list``, as :meth:`request_document` takes it, holds more than
        ``limit`` elements: its items, and at any depth the elements they hold (an offer's
        stacks, the limits of a tieline and their rows), each about as much work to validate,
        write and sign; a single item may hold thousands.

        Only the elements the schema gives a structure are looked at, by their XML or Python
        names in a mapping: not their attributes and text, a few per element. The walk stops
        once past ``limit``: whatever the size of the payload, it costs at most about a
        twentieth of preparing ``limit`` elements (300: 0.1 ms against 2 ms), and nothing
        is serialized for it. A one-shot iterator (a generator) is not looked into, which
        would use it up."""
        pending: list[tuple[object, type[XmlModel]]] = [(payload_or_list, self.payload_model)]
        found = 0
        while pending:
            value, model = pending.pop()
            if isinstance(value, list | tuple):
                pending.extend([(item, model) for item in value])
                continue
            given: Mapping[str, object]
            if isinstance(value, XmlModel):
                # its fields by Python name; model_construct may have left one out
                model, given = type(value), value.__dict__
            elif isinstance(value, Mapping):
                given = value  # by XML or Python name
            else:
                continue
            for child in xml_plan(model).elements:
                if child.model is not None:
                    held = given.get(child.tag, given.get(child.field_name))
                    if held is not None:
                        pending.append((held, child.model))
            found += 1
            if found > limit:
                return True
        return False

    @property
    def _where(self) -> str:
        """The XML path of the element that holds the items."""
        return f"{self.root}/{self.envelope}" if self._envelope_binding else self.root

    def request_document(
        self,
        payload_or_list: XmlModel | Mapping[str, Any] | Iterable[Any],
        *,
        method: str | None = None,
        **envelope: Any,
    ) -> XmlModel:
        """The validated request document carrying ``payload_or_list``, as the client method
        ``method`` sends it (None: by registry name; see :meth:`takes_one`).

        Items may be models or dicts (XML or Python names); ``envelope`` holds the envelope
        attributes by Python name (``date``, ``participant_name``, ``user_name``,
        ``market_type``, ``days``...). An attribute the schema allows exactly one value for
        (``ApplicationType``) is filled in. Any problem raises :class:`PayloadError` naming
        the field in XML terms; nothing is half-built.

        Models are validated again, as their content (``XmlModel`` revalidates instances): one
        changed where pydantic does not validate (``model_copy(update=...)``,
        ``model_construct``, a list mutated in place) is checked like any other before it can
        be sent.
        """
        items = self.items_to_send(payload_or_list, method)
        payload = self._payload_binding
        self._refuse_other_models(items, f"{self._where}/{self.element}", payload.is_list)
        content = {**_fixed_values(self.envelope_model, envelope), **envelope}
        content[payload.field_name] = items if payload.is_list else items[0]
        envelope_binding = self._envelope_binding
        document = content if envelope_binding is None else {envelope_binding.field_name: content}
        return validate(self.root_model, document)

    def _refuse_other_models(self, items: list[Any], path: str, is_list: bool) -> None:
        """Refuse items that are models of another class than :attr:`payload_model`.

        Such an item was meant for another method, and pydantic would only say which class
        it wanted, as if the caller had mistyped a field; this names the class the method
        takes, where to import it from, and the method that takes the class given."""
        expected = self.payload_model
        wrong = [
            (index, type(item))
            for index, item in enumerate(items)
            if isinstance(item, BaseModel) and not isinstance(item, expected)
        ]
        if not wrong:
            return
        errors: list[FieldError] = []
        for index, given in wrong:
            name = model_name(given, expected.__name__)
            rule = f"should be {expected.__module__}.{expected.__name__}"
            other = operation_taking(given)
            if other is not None:
                rule += f"; {name} is what {other.method} takes"
            where = f"{path}[{index + 1}]" if is_list else path
            errors.append(FieldError(where, f"{name}(...)", rule))
        methods = " and ".join(m for m in (self.method, self.list_method) if m)
        given = wrong[0][1]
        raise PayloadError(
            f"{methods} {'take' if self.list_method else 'takes'} "
            f"{model_name(expected, given.__name__)}, not {model_name(given, expected.__name__)}",
            errors,
        )

    def announced_files(self, document: XmlModel) -> dict[str, str]:
        """The files a request document of this operation says travel with it, by name, each
        with the XML path of the attribute that names it.

        Only a submit sends files. It names them by ``File/@Name`` (settlement results,
        baseline loads), or, a registration, by the ``FileName`` of an attachment element
        (a resource's documents, a DR pattern's customer list and evaluation) unless its
        ``Action`` is ``NONE``, which keeps the document the MMS holds. The MMS refuses a
        named file that did not come (``E_ATTACHMENT_MISSING``) and ignores one that
        nothing names.
        """
        found: dict[str, str] = {}
        tag = root_tag(type(document))
        if self.kind == "submit" and _may_name_files(tag, type(document)):
            self._find_files(document, tag, tag, found)
        return found

    def _find_files(self, model: XmlModel, tag: str, path: str, found: dict[str, str]) -> None:
        values = {
            a.xml_name: getattr(model, a.field_name) for a in xml_plan(type(model)).attributes
        }
        if tag == "File" and values.get("Name") is not None:
            found.setdefault(str(values["Name"]), f"{path}/@Name")
        action = values.get("Action")
        if values.keys() >= _ATTACHMENT_ATTRIBUTES and getattr(action, "value", action) != "NONE":
            found.setdefault(str(values["FileName"]), f"{path}/@FileName")
        for child in xml_plan(type(model)).elements:
            if child.model is None or not _may_name_files(child.tag, child.model):
                continue
            items = _as_list(getattr(model, child.field_name))
            for index, item in enumerate(items):
                where = f"{path}/{child.tag}" + (f"[{index + 1}]" if child.is_list else "")
                self._find_files(item, child.tag, where, found)

    def request_envelope(self, document: XmlModel) -> Any:
        """The envelope of a request document of this operation (the root itself for report
        requests), whose attributes the simulator reads from a received request and the client
        checks in one it is about to send (:func:`~mms_client.exchange.check_market_type`);
        None when the document has none."""
        binding = self._envelope_binding
        return document if binding is None else getattr(document, binding.field_name)

    def request_items(self, document: XmlModel, tag: str | None = None) -> list[Any]:
        """The items of this operation a request document carries, or those of the companion
        element ``tag``: what the simulator acts on, how :func:`identify` tells operations
        apart, and what the client checks against the envelope before sending. An empty list
        when there are none."""
        envelope = self.request_envelope(document)
        if envelope is None:
            return []
        field_name = _child(type(envelope), tag or self.element).field_name
        return _as_list(getattr(envelope, field_name))

    def response_items(self, document: XmlModel) -> list[Any]:
        """The answer items of a reply document; an empty list when nothing matched."""
        shape = self.response
        if shape.element is None:
            return [
                row
                for binding in xml_plan(type(document)).elements
                if binding.model is not None and binding.is_list
                for row in getattr(document, binding.field_name)
            ]
        container: Any = document
        if shape.envelope is not None and shape.envelope != root_tag(type(document)):
            container = getattr(document, _child(type(document), shape.envelope).field_name)
            if container is None:
                return []
        items = _as_list(getattr(container, _child(type(container), shape.element).field_name))
        if shape.child is None:
            return items
        found: list[Any] = []
        for item in items:
            found.extend(_as_list(getattr(item, _child(type(item), shape.child).field_name)))
        return found


def _child_model(parent: type[XmlModel], tag: str) -> type[XmlModel]:
    model = _child(parent, tag).model
    assert model is not None  # _child found a child with structure
    return model


_ATTACHMENT_ATTRIBUTES = frozenset({"FileName", "Action"})
"""The attributes that mark an element announcing a document of a registration: its file
name, and whether the file comes. Both: a ``FileName`` alone (a report download's) names a
file the MMS holds, which travels with no request."""


@cache
def _may_name_files(tag: str, model: type[XmlModel]) -> bool:
    """Whether an element ``tag`` of type ``model``, or one below it, may name a file that
    travels with a submit (see :meth:`Operation.announced_files`): the others, the bulk of a
    submit of offers, need not be looked at."""
    plan = xml_plan(model)
    if tag == "File" or plan.attribute_names >= _ATTACHMENT_ATTRIBUTES:
        return True
    return any(
        _may_name_files(child.tag, child.model)
        for child in plan.elements
        if child.model is not None and child.model is not model
    )


def _fixed_values(model: type[XmlModel], given: Mapping[str, Any]) -> dict[str, Any]:
    """Required attributes whose type allows a single value, which callers need not repeat."""
    fixed: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name in given or (info.alias and info.alias in given) or not info.is_required():
            continue
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, Enum):
            members = list(annotation)
            if len(members) == 1:
                fixed[name] = members[0]
    return fixed


OPERATIONS: tuple[Operation, ...] = tuple(Operation.from_row(row) for row in ROWS)
"""Every operation the MMS schemas define, in catalog order."""

_BY_NAME: dict[str, list[Operation]] = {}
for _operation in OPERATIONS:
    _BY_NAME.setdefault(_operation.name, []).append(_operation)


def get_operation(
    name: str, interface: Interface | str | None = None, *, choose: str = "interface="
) -> Operation:
    """The operation called ``name`` (e.g. ``MarketSubmit_OfferData``).

    Two names exist on both MI and OMI (``MarketSubmit_BaselineLoad``,
    ``MarketQuery_BaselineLoadFileListQuery``); for those ``interface`` is required, which
    the error names as ``choose`` (the argument, or the option of a command).
    """
    found = _BY_NAME.get(name)
    if not found:
        raise ConfigurationError(f"no MMS operation is called {name!r}")
    if interface is not None:
        wanted = one_of(Interface, interface, "interface")
        found = [o for o in found if o.interface is wanted]
        if not found:
            raise ConfigurationError(f"{name} does not exist on the {wanted} interface")
    if len(found) > 1:
        interfaces = " and ".join(o.interface for o in found)
        raise ConfigurationError(f"{name} exists on {interfaces}; pass {choose} to choose")
    return found[0]


def operation_taking(model: type) -> Operation | None:
    """The operation whose request items are of class ``model``; None when there is none
    (each item class belongs to one operation)."""
    return next(
        (o for o in OPERATIONS if o.schema.module == model.__module__ and o.payload_model is model),
        None,
    )


def identify(interface: Interface | str, document: XmlModel) -> tuple[Operation, ...]:
    """Which operations a received request document carries (what the simulator must do
    with it): one, or, in a registration envelope, one per kind of item it holds, in the
    envelope's order.

    The registration envelopes are sequences (a resource and its DR pattern may travel in one
    request), where every other envelope is a choice of one kind of item. Raises
    :class:`PayloadError` when the document carries no item, or items of several operations
    in an envelope that is not a sequence.
    """
    wanted = Interface(interface)
    candidates = [o for o in OPERATIONS if o.interface is wanted and o.root_model is type(document)]
    matched = [o for o in candidates if o.request_items(document)]
    if not matched:
        matched = [o for o in candidates if any(o.request_items(document, c) for c in o.companions)]
    # the registration envelopes are those of mpr.xsd
    if len(matched) == 1 or (matched and all(o.schema is Schema.MPR for o in matched)):
        return tuple(matched)
    tag = root_tag(type(document))
    if not matched:
        raise PayloadError(
            f"{tag} carries no operation",
            [FieldError(tag, None, "the request must carry at least one item")],
        )
    names = ", ".join(o.element for o in matched)
    raise PayloadError(
        f"{tag} mixes several operations",
        [FieldError(tag, names, "one request may carry items of one kind only")],
    )


__all__ = [
    "OPERATIONS",
    "Operation",
    "ResponseShape",
    "get_operation",
    "identify",
    "operation_taking",
]
