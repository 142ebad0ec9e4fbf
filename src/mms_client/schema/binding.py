"""How a pydantic model maps onto an XML element.

Every payload model derives from :class:`XmlModel` and declares each field with :func:`attr`,
:func:`element` or :func:`text`. The declarations are ordinary pydantic fields whose alias is
the XML name, so a dict keyed by XML names (what lxml hands out as ``element.attrib``)
validates directly, while Python code uses the snake_case names. The XML role of each field is
kept as a marker in the field's metadata; :func:`xml_plan` turns the markers of a class into
the lookup tables that the codec walks, once per class.

For type checkers the three are the field specifiers of a ``dataclass_transform`` (PEP 681),
so mypy (with or without pydantic's plugin) and pyright check a model's construction: its
Python names, the type of each value, the fields that are required. Each takes the XML name
as its first argument, which checkers do not read as an alias (only ``alias=`` is one): a
checker knows one name per field, and Python code uses the Python one.

Validation failures are reported in XML terms (``MarketData/MarketSubmit/OfferData[3]/@StartTime``)
because that is what a reader of the schema, the MMS manual or an MMS error message can find.
"""

import functools
import types
import typing
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar, Union, dataclass_transform, overload

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationError,
    model_validator,
)
from pydantic._internal._model_construction import ModelMetaclass
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticUndefined, core_schema

from mms_client.errors import FieldError, PayloadError
from mms_client.schema.datatypes import WHOLE_NUMBER_ERROR, pattern_rule, whole_number_rule

TEXT_KEY = "#text"
"""The key under which the text content of a simple-content element is validated."""

VERDICT_ATTRIBUTES = frozenset({"Validation", "ValidationStatus", "Success"})
"""The attributes that carry the MMS's verdict on an envelope or an item (the schemas'
CommonAttributes, and ValidationStatus of the report schema): a reply's, which a request
leaves out. (The market schema's NonStndCommonAttributes, Process and Valid, is used by no
type: ``Valid`` is only ProcessingStatistics' count.)"""

MESSAGE_BLOCKS = frozenset({"Messages", "MESSAGES"})
"""The elements holding messages: market, registration and report schemas use
Messages/Error|Warning|Information; the outbound report schema uses MESSAGES/ERROR."""

VERDICT_ELEMENTS = MESSAGE_BLOCKS | {"ProcessingStatistics"}
"""The elements that carry the MMS's verdict at any level of a reply (its messages and the
counts of what it processed): a request leaves them out as it does the verdict's attributes."""


class XmlKind(Enum):
    """The three places a field's value can live in XML."""

    ATTRIBUTE = "attribute"
    ELEMENT = "element"
    TEXT = "text"


@dataclass(frozen=True, slots=True)
class XmlBinding:
    """The marker :func:`attr`, :func:`element` and :func:`text` leave in a field's metadata."""

    kind: XmlKind
    name: str


_T = TypeVar("_T")

# The overloads tell a type checker what a field's default is, and that a field has one only
# when ``default`` (or ``default_factory``) is given: checkers read a field specifier's defaults
# from those keywords alone, which is why they are keyword-only.


@overload
def attr(name: str, *, description: str | None = None) -> Any: ...
@overload
def attr(name: str, *, default: _T, description: str | None = None) -> _T: ...
def attr(
    name: str,
    *,
    default: Any = PydanticUndefined,
    description: str | None = None,
) -> Any:
    """A field stored in the XML attribute ``name``; no default means the attribute is required."""
    info = Field(default, alias=name, description=description)
    info.metadata.append(XmlBinding(XmlKind.ATTRIBUTE, name))
    return info


_SEQUENCES = (list, tuple, Iterator, AbstractSet, deque)
"""What a repeated element takes as its items: what pydantic takes for a list, but for a
mapping, a string and a model, whose iteration gives no items of the element."""

_NOT_A_LIST = "not_a_list"
"""The error type of a value given for a repeated element that is no sequence of items."""


def _no_items(_absent: None) -> list[Any]:
    return []


_NONE_AS_NO_ITEMS = core_schema.chain_schema(
    [core_schema.none_schema(), core_schema.no_info_plain_validator_function(_no_items)]
)
"""None as an empty list, for a repeated element that may be absent."""


@dataclass(frozen=True, slots=True)
class _Repeated:
    """The field metadata of a repeated element ``tag``: its value must be a sequence of items,
    or None where the element may be absent (``optional``).

    pydantic takes any iterable for a list, a model too, whose iteration gives its fields as
    (name, value) pairs: ``OfferData(stack=OfferStack(...))`` would be refused with one error
    per field of the stack, each saying that a pair is no OfferStack. A model, a mapping or a
    string is refused here as a whole, saying that a list is wanted. And pydantic refuses None
    for a list, where None is no element for an optional attribute or element: for a repeated
    element that may be absent, it is no element here too. pydantic-core checks all of it
    without calling Python (but to make None an empty list), so reading a document costs no
    more.
    """

    tag: str
    optional: bool

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        items = handler(source)
        if typing.get_origin(source) is not list:
            return items
        sequence: CoreSchema = core_schema.is_instance_schema(_SEQUENCES)
        from_json = items
        if self.optional:
            sequence = core_schema.union_schema([sequence, _NONE_AS_NO_ITEMS], mode="left_to_right")
            # JSON's null too; whatever else is given, pydantic reads as the array it wants
            null = core_schema.union_schema(
                [_NONE_AS_NO_ITEMS, core_schema.any_schema()], mode="left_to_right"
            )
            from_json = core_schema.chain_schema([null, items])
        sequence = core_schema.custom_error_schema(
            sequence,
            custom_error_type=_NOT_A_LIST,
            custom_error_message=(
                f"should be a list: one item for each {self.tag} element, even for one"
            ),
        )
        return core_schema.json_or_python_schema(
            json_schema=from_json, python_schema=core_schema.chain_schema([sequence, items])
        )

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Documented as the array it takes (or null, where the element may be absent) and
        gives, not as the route it takes there."""
        if schema["type"] != "json-or-python":
            return handler(schema)
        items = schema["python_schema"]["steps"][-1]
        if self.optional and handler.mode == "validation":
            return handler(core_schema.nullable_schema(items))
        return handler(items)


def _new_list() -> list[Any]:
    """``list`` as a default factory that pydantic can inspect cheaply.

    pydantic reads the signature of a field's default factory each time it builds a validator
    with that field. A builtin's signature is parsed from text by the tokenizer, whose regular
    expressions compile on first use: about 5 ms of a first call, and 0.3 ms per list field
    after that, where a Python function's signature costs 0.02 ms.
    """
    return []


@overload
def element(
    tag: str,
    *,
    min_length: int | None = None,
    max_length: int | None = None,
    description: str | None = None,
) -> Any: ...
@overload
def element(tag: str, *, default: _T, description: str | None = None) -> _T: ...
@overload
def element(
    tag: str,
    *,
    default_factory: Callable[[], _T],
    min_length: int | None = None,
    max_length: int | None = None,
    description: str | None = None,
) -> _T: ...
def element(
    tag: str,
    *,
    default: Any = PydanticUndefined,
    default_factory: Any = None,
    min_length: int | None = None,
    max_length: int | None = None,
    description: str | None = None,
) -> Any:
    """A field stored in child element(s) ``tag``.

    A ``list[...]`` field maps to a repeated element (``min_length``/``max_length`` are the
    schema's minOccurs/maxOccurs); an :class:`XmlModel` field to an element with structure, any
    other type to an element whose text is the value.
    """
    if default_factory is list:
        default_factory = _new_list
    given: dict[str, Any] = (
        {"default": default} if default_factory is None else {"default_factory": default_factory}
    )
    info = Field(
        alias=tag, min_length=min_length, max_length=max_length, description=description, **given
    )
    info.metadata.append(XmlBinding(XmlKind.ELEMENT, tag))
    info.metadata.append(_Repeated(tag, optional="default_factory" in given))
    return info


@overload
def text(*, description: str | None = None) -> Any: ...
@overload
def text(*, default: _T, description: str | None = None) -> _T: ...
def text(*, default: Any = PydanticUndefined, description: str | None = None) -> Any:
    """A field holding the text content of the element (``xs:simpleContent``)."""
    info = Field(default, alias=TEXT_KEY, description=description)
    info.metadata.append(XmlBinding(XmlKind.TEXT, TEXT_KEY))
    return info


@dataclass(frozen=True, slots=True)
class Choice:
    """An ``xs:choice`` of the schema: each branch names the fields that belong to it.

    ``required`` is true when the schema demands that one branch be present; otherwise at most
    one may be.
    """

    branches: tuple[tuple[str, ...], ...]
    required: bool = False


@dataclass_transform(kw_only_default=True, field_specifiers=(attr, element, text))
class _XmlModelMeta(ModelMetaclass):
    """Reports failed construction (``OfferData(...)``) as a PayloadError with XML paths.

    This hooks the class call rather than ``__init__``: pydantic validates nested models
    without calling the class, and a custom ``__init__`` would make it call ``__init__`` for
    every nested element, which is slow and would wrap errors twice.

    Type checkers do not see the hook: a metaclass ``__call__`` would stand in for the
    signature the ``dataclass_transform`` gives each model, and construction would go
    unchecked. The ``dataclass_transform`` is declared here, not left to pydantic's metaclass,
    so that checkers know :func:`attr`, :func:`element` and :func:`text` as field specifiers.
    """

    if not TYPE_CHECKING:

        def __call__(cls, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - a metaclass method
            try:
                return super().__call__(*args, **kwargs)
            except ValidationError as exc:
                raise payload_error(exc, cls) from None


def _reporting_payload_errors(validate: Callable[..., Any]) -> Any:
    """One of pydantic's ``model_validate*`` class methods, failing as construction does:
    with a :class:`~mms_client.errors.PayloadError` in XML terms, so that code catching the
    library's errors sees every way of making a model from outside data.

    The codec does not come this way: it calls the validator itself and reports the paths
    below the document's tag (see :func:`mms_client.schema.codec.validate`).
    """
    function = validate.__func__  # type: ignore[attr-defined]  # a classmethod, bound

    @functools.wraps(function)
    def reporting(cls: "type[XmlModel]", *args: Any, **kwargs: Any) -> Any:
        try:
            return function(cls, *args, **kwargs)
        except ValidationError as exc:
            raise payload_error(exc, cls) from None

    reporting.__doc__ = (
        f"pydantic's ``{function.__name__}``; a value that breaks the schema raises "
        ":class:`~mms_client.errors.PayloadError` naming its XML path."
    )
    return classmethod(reporting)


class XmlModel(BaseModel, metaclass=_XmlModelMeta):
    """Base class of every payload model.

    Unknown fields are refused (the schema is closed), fields are accepted by XML name and by
    Python name, assignments and nested models are validated, and errors of construction,
    assignment and ``model_validate`` (``_json``, ``_strings``) surface as
    :class:`~mms_client.errors.PayloadError` with XML paths instead of pydantic's
    ``ValidationError``.
    """

    model_config = ConfigDict(
        validate_by_name=True,
        validate_by_alias=True,
        extra="forbid",
        validate_assignment=True,
        # A model placed in another is validated again, as its content: one changed where
        # pydantic does not validate (model_copy(update=...), model_construct, a list mutated
        # in place) cannot slip into a document unchecked.
        revalidate_instances="always",
        defer_build=True,
        protected_namespaces=(),
    )

    __xml_tag__: ClassVar[str | None] = None
    """The element name of a document root (``MarketData``...); None for inner types."""

    __xml_choices__: ClassVar[tuple[Choice, ...]] = ()
    """The ``xs:choice`` groups among this type's child elements."""

    __xml_steps__: ClassVar[Mapping[str, int]] = {}
    """The step of each child element (by XML name) in the schema's sequence, where some
    share one: the elements of an ``xs:all``, or of a group that may repeat, come in any order
    among themselves, and the alternatives of an ``xs:choice`` begin at one step (two of them
    together break the choice, whatever their order). Empty: each element is a step of its
    own, in the order the fields are declared."""

    def __setattr__(self, name: str, value: Any) -> None:
        # assignments are validated too, so a model cannot be edited into an invalid state
        try:
            super().__setattr__(name, value)
        except ValidationError as exc:
            raise payload_error(exc, type(self)) from None

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """pydantic's ``model_copy``, with the fields of ``update`` named as the constructor
        takes them: by Python name or by XML name.

        pydantic would keep an XML name beside the field as an unknown entry, which the next
        validation refuses while showing the field's old value; here it updates the field, and
        a name that is neither raises :class:`~mms_client.errors.PayloadError` naming it. The
        values are not validated, as in pydantic: the copy is, where it is used in a document.
        """
        if update is not None and not isinstance(update, Mapping):
            raise PayloadError(
                f"model_copy(update=...) takes a mapping of field names to values, not "
                f"{type(update).__name__}",
                [FieldError(root_tag(type(self)), update, "a mapping, such as {name: value}")],
            )
        if update:
            update = _by_field_name(type(self), update)
        return super().model_copy(update=update, deep=deep)

    if not TYPE_CHECKING:  # type checkers see pydantic's methods, whose signatures these keep
        model_validate = _reporting_payload_errors(BaseModel.model_validate)
        model_validate_json = _reporting_payload_errors(BaseModel.model_validate_json)
        model_validate_strings = _reporting_payload_errors(BaseModel.model_validate_strings)

    def to_xml(self, tag: str | None = None) -> bytes:
        """This model as canonical XML, every part it holds: a request's document gives the
        bytes the MMS receives and that get signed, but for the MMS's verdict (Validation,
        Success, Messages...) that a reply put on it, which a request leaves out
        (``codec.write(..., request=True)``).

        ``tag`` names the element; a document root knows its own. The same as
        :func:`mms_client.schema.codec.write`, offered here because pydantic-xml users look for
        it on the model.
        """
        from mms_client.schema import codec

        return codec.write(self, tag)

    @classmethod
    def from_xml(cls, data: bytes, tag: str | None = None) -> Self:
        """The model read from the XML ``data`` with the hardened parser; a
        :class:`~mms_client.errors.PayloadError` names every problem with its XML path."""
        from mms_client.schema import codec

        return codec.read(data, cls, tag=tag)


def _by_field_name(cls: type[XmlModel], update: Mapping[str, Any]) -> dict[str, Any]:
    """``update`` keyed by field name, whichever names it used; a PayloadError for any name
    that ``cls`` does not have."""
    by_key = xml_plan(cls).by_key
    unknown = [key for key in update if key not in by_key]
    if unknown:
        errors = [
            FieldError(
                xml_path(cls, (key,)),
                update[key],
                unknown_name_rule(key, by_key, number),
            )
            if isinstance(key, str)
            else FieldError(root_tag(cls), key, "a field's name (a str: its Python or XML name)")
            for number, key in enumerate(unknown)
        ]
        names = ", ".join(map(str, unknown))
        raise PayloadError(
            f"model_copy(update=...) names what {root_tag(cls)} does not have: {names}", errors
        )
    fields: dict[str, Any] = {}
    for key, value in update.items():
        field = _field_of(by_key[key])
        if field in fields:
            path = xml_path(cls, (key,))
            raise PayloadError(
                f"model_copy(update=...) gives {path} twice",
                [FieldError(path, value, BOTH_NAMES)],
            )
        fields[field] = value
    return fields


def _present(value: Any) -> bool:
    return bool(value) if isinstance(value, list) else value is not None


def _chosen(values: dict[str, Any], choice: Choice) -> list[tuple[str, ...]]:
    """The branches of ``choice`` present among a model's field ``values``."""
    chosen = []
    for branch in choice.branches:
        for name in branch:
            if _present(values.get(name)):
                chosen.append(branch)
                break
    return chosen


class XmlChoiceModel(XmlModel):
    """An :class:`XmlModel` with ``xs:choice`` groups among its children, checked after
    validation."""

    @model_validator(mode="after")
    def _one_branch_per_choice(self) -> "XmlChoiceModel":
        self.check_choices()
        return self

    def check_choices(self) -> None:
        """Raise ``ValueError`` unless every ``xs:choice`` has as many branches present as it
        allows; also for a model made without validation (``model_construct``)."""
        for choice in self.__xml_choices__:
            chosen = _chosen(self.__dict__, choice)
            if len(chosen) > 1:
                found = _branch_names(type(self), chosen)
                raise ValueError(f"at most one of its alternatives may be present; found {found}")
            if choice.required and not chosen:
                expected = _branch_names(type(self), choice.branches)
                raise ValueError(f"one of these is required: {expected}")


def _branch_names(cls: type[XmlModel], branches: Iterable[tuple[str, ...]]) -> str:
    """``OfferQuery, StandingData+BupSubmit``: choice branches by their XML names."""
    fields = cls.model_fields
    return ", ".join("+".join(fields[name].alias or name for name in branch) for branch in branches)


@dataclass(frozen=True, slots=True)
class AttributePlan:
    xml_name: str
    field_name: str


@dataclass(frozen=True, slots=True)
class ElementPlan:
    tag: str
    field_name: str
    is_list: bool
    model: type[XmlModel] | None
    """The model of an element with structure; None for an element that holds only text."""
    step: int
    """Its step in the schema's sequence: it may not follow an element of a later step."""


def _field_of(binding: AttributePlan | ElementPlan | str) -> str:
    """The Python name of the field that a key of a plan's ``by_key`` leads to (the text
    field's entry is its name)."""
    return binding if isinstance(binding, str) else binding.field_name


@dataclass(frozen=True, slots=True)
class ModelPlan:
    """The XML layout of one model class, in the lookup shapes the codec needs."""

    attributes: tuple[AttributePlan, ...]
    """Attributes in canonical (C14N: lexicographic) order."""
    elements: tuple[ElementPlan, ...]
    """Child elements in schema sequence order."""
    request_attributes: tuple[AttributePlan, ...]
    """``attributes`` but the MMS's verdict (:data:`VERDICT_ATTRIBUTES`): what a request writes."""
    request_elements: tuple[ElementPlan, ...]
    """``elements`` but the MMS's verdict (:data:`VERDICT_ELEMENTS`): what a request writes."""
    text_field: str | None
    attribute_names: frozenset[str]
    elements_by_tag: dict[str, ElementPlan]
    by_key: dict[str, AttributePlan | ElementPlan | str]
    """XML name or Python name -> binding; the text field maps to its field name."""


_PLANS: dict[type[XmlModel], ModelPlan] = {}


def xml_plan(cls: type[XmlModel]) -> ModelPlan:
    """The XML layout of ``cls`` (computed once per class)."""
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = _build_plan(cls)
    return plan


def _build_plan(cls: type[XmlModel]) -> ModelPlan:
    # Only the fields must be known, not the validator: building that for a document root
    # builds it for every type below, which a first call needing one operation pays for.
    if not cls.__pydantic_fields_complete__:
        cls.model_rebuild()
    attributes: list[AttributePlan] = []
    elements: list[ElementPlan] = []
    text_field: str | None = None
    by_key: dict[str, AttributePlan | ElementPlan | str] = {}
    for field_name, info in cls.model_fields.items():
        binding = next((m for m in info.metadata if isinstance(m, XmlBinding)), None)
        if binding is None:
            raise TypeError(f"{cls.__name__}.{field_name} is not declared with attr/element/text")
        if binding.kind is XmlKind.ATTRIBUTE:
            attribute = AttributePlan(binding.name, field_name)
            attributes.append(attribute)
            by_key[binding.name] = by_key[field_name] = attribute
        elif binding.kind is XmlKind.ELEMENT:
            is_list, item = unwrap_annotation(info.annotation)
            model = item if isinstance(item, type) and issubclass(item, XmlModel) else None
            child = ElementPlan(binding.name, field_name, is_list, model, len(elements))
            elements.append(child)
            by_key[binding.name] = by_key[field_name] = child
        else:
            text_field = field_name
            by_key[TEXT_KEY] = by_key[field_name] = field_name
    attributes.sort(key=lambda a: a.xml_name)
    if cls.__xml_steps__:
        elements = _in_steps(cls, elements)
    return ModelPlan(
        attributes=tuple(attributes),
        elements=tuple(elements),
        request_attributes=tuple(a for a in attributes if a.xml_name not in VERDICT_ATTRIBUTES),
        request_elements=tuple(e for e in elements if e.tag not in VERDICT_ELEMENTS),
        text_field=text_field,
        attribute_names=frozenset(a.xml_name for a in attributes),
        elements_by_tag={e.tag: e for e in elements},
        by_key=by_key,
    )


def _in_steps(cls: type[XmlModel], elements: list[ElementPlan]) -> list[ElementPlan]:
    """``elements`` numbered with the steps of ``cls.__xml_steps__``, which must name them
    all, in the order they are declared."""
    steps = cls.__xml_steps__
    declared = [e.tag for e in elements]
    if list(steps) != declared:
        raise TypeError(f"{cls.__name__}.__xml_steps__ must name its elements {declared}")
    return [replace(e, step=steps[e.tag]) for e in elements]


def unwrap_annotation(annotation: Any) -> tuple[bool, Any]:
    """(is it a list, the item type) of a field annotation, looking through Optional/Annotated."""
    is_list = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = members[0]
        elif origin is list:
            is_list = True
            annotation = typing.get_args(annotation)[0]
        else:
            return is_list, annotation


def root_tag(cls: type[XmlModel]) -> str:
    """The element name under which ``cls`` is reported: its root tag, else its class name."""
    return cls.__xml_tag__ or cls.__name__


def xml_path(cls: type[XmlModel], loc: tuple[int | str, ...], tag: str | None = None) -> str:
    """Translate a pydantic error location into an XML path below an element of type ``cls``.

    ``("MarketSubmit", "OfferData", 2, "StartTime")`` under ``MarketData`` becomes
    ``MarketData/MarketSubmit/OfferData[3]/@StartTime``. Python field names are translated the
    same way, so errors in models built in Python read like errors in received documents.
    """
    parts = [tag or root_tag(cls)]
    current: type[XmlModel] | None = cls
    index = 0
    while index < len(loc):
        key = loc[index]
        index += 1
        binding = xml_plan(current).by_key.get(key) if current and isinstance(key, str) else None
        if isinstance(binding, AttributePlan):
            parts.append("@" + binding.xml_name)
            current = None
        elif isinstance(binding, ElementPlan):
            segment = binding.tag
            if binding.is_list and index < len(loc) and isinstance(loc[index], int):
                segment += f"[{int(loc[index]) + 1}]"
                index += 1
            parts.append(segment)
            current = binding.model
        elif isinstance(binding, str):
            parts.append("text()")
            current = None
        elif isinstance(key, int) and parts:
            parts[-1] += f"[{key + 1}]"
        else:
            parts.append(str(key))
            current = None
    return "/".join(parts)


_RULES = {
    "missing": "required by the schema but missing",
    # the value shown is the datetime in Japan time (see mms_client.jst.JstDate), which is
    # where it must be midnight; pydantic's words do not say so, and a date with a time zone
    # (xs:date allows one) comes here as the datetime of its midnight
    "date_from_datetime_inexact": (
        "a datetime given for a date, or a date with a time zone (such as 2024-04-01Z), "
        "should be midnight in Japan time"
    ),
}


#: How many unknown names of one document get a suggestion: a message lists about as many
#: problems, and a hostile document may hold millions of unknown names, each of which would
#: cost a comparison with every known name.
_SUGGESTED = 20


def unknown_name_rule(
    name: str, known: Iterable[str], problems_before: int, rule: str = "not allowed by the schema"
) -> str:
    """The ``rule`` the unknown ``name`` breaks where the ``known`` names are allowed, with
    the closest of those (one: more would mostly be noise), since a misspelt name is the
    usual cause; without one when none is close, or when the document already has
    :data:`_SUGGESTED` problems before this one."""
    if problems_before >= _SUGGESTED:
        return rule
    names = [k for k in known if k != TEXT_KEY]
    # a Python name (snake_case) is most likely a misspelt Python name, an XML name
    # (CamelCase) a misspelt XML name
    alike = [k for k in names if k.islower() == name.islower()]
    import difflib  # here: a document with no unknown name never loads it

    close = difflib.get_close_matches(name, alike or names, n=1)
    return f"{rule}; did you mean {close[0]}?" if close else rule


def model_name(given: type[BaseModel], expected: str) -> str:
    """The name of the model class ``given`` where one called ``expected`` belongs: its class
    name, with its module when that is ``expected`` too (the twin of another schema, which
    would otherwise seem to be what was asked for)."""
    if given.__name__ == expected:
        return f"{given.__module__}.{given.__name__}"
    return given.__name__


BOTH_NAMES = "given by its XML name and by its Python name"
"""The rule a field given by both its names breaks: one value would be dropped unseen, so the
field is refused (in an envelope's arguments and in an item's mapping alike)."""


def _rule(error: Any, cls: type[XmlModel], problems_before: int) -> str:
    """What ``error`` (below ``cls``) says was broken; for an unknown name, with the closest
    known ones (by Python or XML name)."""
    if error["type"] == "extra_forbidden":
        holder = _holder(cls, tuple(error["loc"]))
        known = () if holder is None else xml_plan(holder).by_key
        name = str(error["loc"][-1])
        # a known name called extra: pydantic took the field by its other name, given too
        if name in known:
            return BOTH_NAMES
        return unknown_name_rule(name, known, problems_before)
    if error["type"] == "enum":
        return _enumeration_rule(cls, tuple(error["loc"])) or value_rule(error)
    return value_rule(error)


def _enumeration_rule(cls: type[XmlModel], loc: tuple[int | str, ...]) -> str | None:
    """The values of the enumeration at ``loc`` (below ``cls``), each with its member's name
    where that differs: pydantic lists the values alone, and a code rarely says what it means
    ('03' is TOKYO), while the name is what Python code knows it by and what is most often
    given by mistake (``Direction: "SELL"``). None where the enumeration cannot be found."""
    while loc and isinstance(loc[-1], int):  # an item of a repeated element
        loc = loc[:-1]
    if not loc or not isinstance(key := loc[-1], str):
        return None
    holder = _holder(cls, loc)
    binding = None if holder is None else xml_plan(holder).by_key.get(key)
    if holder is None or binding is None:
        return None
    _, kind = unwrap_annotation(holder.model_fields[_field_of(binding)].annotation)
    if not (isinstance(kind, type) and issubclass(kind, Enum)):
        return None
    values = ", ".join(
        repr(member.value) if member.name == member.value else f"{member.value!r} ({member.name})"
        for member in kind
    )
    return f"should be one of the values of {kind.__name__}: {values}"


def value_rule(error: Any) -> str:
    """What the pydantic ``error`` of a value says was broken, in the library's words: for
    a value checked outside a model (an option of the ``mms`` command) as within one."""
    if error["type"] in _RULES:
        return _RULES[error["type"]]
    if error["type"] == "value_error":
        return str(error["ctx"]["error"])  # our own validators' words, without pydantic's prefix
    if error["type"] == "string_pattern_mismatch":
        return pattern_rule(str(error["msg"]), error["ctx"]["pattern"], error["input"])
    if error["type"] == WHOLE_NUMBER_ERROR:
        return whole_number_rule(str(error["msg"]), error["input"])
    return str(error["msg"])


def _shown_value(error: Any) -> Any:
    """The offending value as worth showing: a count for a list, nothing for a whole element
    but the kind of model given where another was expected."""
    if error["type"] == "missing":
        return None
    value = error.get("input")
    if isinstance(value, list | tuple):
        return f"{len(value)} items"
    if isinstance(value, BaseModel) and error["type"] == "model_type":
        return f"{model_name(type(value), error.get('ctx', {}).get('class_name', ''))}(...)"
    if isinstance(value, BaseModel) and error["type"] == _NOT_A_LIST:
        return f"{type(value).__name__}(...)"
    if isinstance(value, dict | BaseModel):
        return None
    return value


LISTED_PROBLEMS = 1000
"""The problems a refusal lists one by one; those beyond are counted in one more. A document
wrong everywhere would otherwise be held as a record per problem: a hostile reply of millions
of unknown elements (8 MB of them took 368 MiB), or 30,000 offers of bad values (180,000
problems, 1.4 s to write out with their paths)."""


def schema_refusal(tag: str, listed: list[FieldError], unlisted: int = 0) -> PayloadError:
    """The refusal of a document ``tag`` for the problems ``listed``, and one more counting
    the ``unlisted`` beyond :data:`LISTED_PROBLEMS`."""
    if unlisted:
        more = FieldError(tag, None, f"{unlisted} more problems, not listed one by one")
        listed = [*listed, more]
    return PayloadError(f"{tag} does not match the schema", listed)


def _holder(cls: type[XmlModel], loc: tuple[int | str, ...]) -> type[XmlModel] | None:
    """The model (below ``cls``) that the last key of the pydantic location ``loc`` is a
    name in, if the way there is known."""
    current: type[XmlModel] | None = cls
    for key in loc[:-1]:
        if isinstance(key, int):  # an index into a list: the same kind of element
            continue
        binding = xml_plan(current).by_key.get(key) if current is not None else None
        current = binding.model if isinstance(binding, ElementPlan) else None
    return current


def payload_error(
    exc: ValidationError,
    cls: type[XmlModel],
    tag: str | None = None,
    extra: list[FieldError] | None = None,
    unlisted: int = 0,
) -> PayloadError:
    """The :class:`PayloadError` for a failed validation of ``cls``: ``extra`` problems found
    before it (with ``unlisted`` more, counted only), then those of ``exc`` with their XML
    paths below ``cls``, up to :data:`LISTED_PROBLEMS` in all."""
    listed = list(extra or ())
    errors = exc.errors(include_url=False)
    room = max(LISTED_PROBLEMS - len(listed), 0)
    listed.extend(
        FieldError(
            xml_path(cls, tuple(error["loc"]), tag),
            _shown_value(error),
            _rule(error, cls, number),
        )
        for number, error in enumerate(errors[:room])
    )
    return schema_refusal(tag or root_tag(cls), listed, unlisted + max(len(errors) - room, 0))
