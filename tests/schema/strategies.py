"""Hypothesis strategies for any payload model, derived from the model's own metadata.

Nothing here knows a particular schema: the strategies read the field annotations, the
pydantic constraints (lengths, patterns, bounds, decimal places), the XML bindings and the
``xs:choice`` groups, so every generated instance is one the schema allows.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from types import UnionType
from typing import Any, Union

import annotated_types
from hypothesis import strategies as st
from pydantic.fields import FieldInfo

from mms_client.jst import JST
from mms_client.schema.binding import XmlModel
from mms_client.schema.datatypes import WholeNumbers, XsdPattern

MAX_ITEMS = 1
"""Repeated elements get at most this many items (beyond their minimum), to keep documents small."""

# Characters XML can carry, without the surrogate and unassigned planes hypothesis might pick.
XML_TEXT = st.characters(
    codec="utf-8",
    exclude_categories=("Cs", "Cn", "Co"),
    exclude_characters="\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f"
    + "".join(chr(c) for c in range(0x10, 0x20))
    + "\x7f\ufffe\uffff",
)


@dataclass
class Facets:
    """The constraints on one simple value, gathered from the annotation and field metadata."""

    base: Any = None
    minimum: Any = None
    maximum: Any = None
    exclusive_minimum: Any = None
    exclusive_maximum: Any = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    extra_patterns: list[str] = field(default_factory=list)
    decimal_places: int | None = None

    def add(self, item: Any) -> None:
        if isinstance(item, FieldInfo):
            for nested in item.metadata:
                self.add(nested)
        elif isinstance(item, WholeNumbers):
            self.minimum, self.maximum = item.ge, item.le
        elif isinstance(item, annotated_types.Ge):
            self.minimum = item.ge
        elif isinstance(item, annotated_types.Le):
            self.maximum = item.le
        elif isinstance(item, annotated_types.Gt):
            self.exclusive_minimum = item.gt
        elif isinstance(item, annotated_types.Lt):
            self.exclusive_maximum = item.lt
        elif isinstance(item, annotated_types.MinLen):
            self.min_length = item.min_length
        elif isinstance(item, annotated_types.MaxLen):
            self.max_length = item.max_length
        elif isinstance(getattr(item, "func", None), XsdPattern):
            self.extra_patterns.append(item.func.regex)
        else:
            pattern = getattr(item, "pattern", None)
            if pattern is not None:
                self.pattern = pattern
            places = getattr(item, "decimal_places", None)
            if places is not None:
                self.decimal_places = places


def unwrap(annotation: Any, facets: Facets) -> tuple[bool, bool, Any]:
    """(optional, is a list, item type) of an annotation, collecting Annotated metadata."""
    optional = is_list = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            base, *metadata = typing.get_args(annotation)
            for item in metadata:
                facets.add(item)
            annotation = base
        elif origin in (Union, UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            optional = True
            annotation = members[0]
        elif origin is list:
            is_list = True
            annotation = typing.get_args(annotation)[0]
        else:
            return optional, is_list, annotation


_CHARACTER_CLASS_STAR = re.compile(r"^\^\(\?:(\[(?:\\.|[^\]\\])+\])\*\)\$$")


def _text(facets: Facets) -> st.SearchStrategy[str]:
    low = facets.min_length or 0
    high = facets.max_length if facets.max_length is not None else low + 12

    def fits(value: str) -> bool:
        return low <= len(value) <= high and all(
            re.fullmatch(p, value) for p in facets.extra_patterns
        )

    if facets.pattern is None:
        return st.text(XML_TEXT, min_size=low, max_size=high).filter(fits)
    simple = _CHARACTER_CLASS_STAR.match(facets.pattern)
    if simple is not None:
        alphabet = _regex(f"^{simple.group(1)}$")
        return st.lists(alphabet, min_size=low, max_size=high).map("".join).filter(fits)
    return _regex(facets.pattern).filter(fits)


@cache
def _regex(pattern: str) -> st.SearchStrategy[str]:
    """Strings matching ``pattern`` (one strategy per pattern: building them is not cheap)."""
    return st.from_regex(pattern, fullmatch=True, alphabet=XML_TEXT)


def _decimal(facets: Facets) -> st.SearchStrategy[Decimal]:
    places = facets.decimal_places if facets.decimal_places is not None else 3
    low = facets.minimum if facets.minimum is not None else Decimal("-1000000")
    high = facets.maximum if facets.maximum is not None else Decimal("1000000")
    return st.decimals(low, high, places=places, allow_nan=False, allow_infinity=False)


def _within(value: Any, facets: Facets) -> bool:
    return (
        (facets.minimum is None or value >= facets.minimum)
        and (facets.maximum is None or value <= facets.maximum)
        and (facets.exclusive_minimum is None or value > facets.exclusive_minimum)
        and (facets.exclusive_maximum is None or value < facets.exclusive_maximum)
    )


def value_strategy(annotation: Any, facets: Facets) -> st.SearchStrategy[Any]:
    """Values of a simple type (string, number, date, enum...) within its facets."""
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return st.sampled_from(list(annotation))
    if annotation is bool:
        return st.booleans()
    if annotation is int and facets.extra_patterns:
        # a patterned number: draw its lexical form, then keep what fits the bounds
        first, *others = facets.extra_patterns
        return (
            st.from_regex(first, fullmatch=True, alphabet="0123456789-+")
            .map(int)
            .filter(lambda n: all(re.fullmatch(p, str(n)) for p in others))
            .filter(lambda n: _within(n, facets))
        )
    if annotation is int:
        low = facets.minimum if facets.minimum is not None else -(2**40)
        high = facets.maximum if facets.maximum is not None else 2**40
        if facets.exclusive_minimum is not None:
            low = facets.exclusive_minimum + 1
        if facets.exclusive_maximum is not None:
            high = facets.exclusive_maximum - 1
        return st.integers(low, high)
    if annotation is Decimal:
        return _decimal(facets)
    if annotation is float:
        return st.floats(-1e6, 1e6, allow_nan=False, width=32)
    if annotation is datetime:
        return st.datetimes(
            datetime(2000, 1, 1), datetime(2099, 12, 31), timezones=st.sampled_from([None, JST])
        )
    if annotation is date:
        return st.dates(date(2000, 1, 1), date(2099, 12, 31))
    if annotation is str:
        return _text(facets)
    raise TypeError(f"no strategy for {annotation!r}")


def field_strategy(info: FieldInfo, *, force: bool = False) -> st.SearchStrategy[Any]:
    """Values for one field; ``force`` makes an optional field or an empty list present."""
    facets = Facets()
    for item in info.metadata:
        facets.add(item)
    item_facets = Facets()
    optional, is_list, item = unwrap(info.annotation, item_facets)
    if isinstance(item, type) and issubclass(item, XmlModel):
        values: st.SearchStrategy[Any] = model_strategy(item)
    else:
        values = value_strategy(item, item_facets if is_list or optional else facets)
    if is_list:
        low = max(facets.min_length or 0, 1 if force else 0)
        high = facets.max_length if facets.max_length is not None else low + MAX_ITEMS
        return st.lists(values, min_size=low, max_size=min(high, low + MAX_ITEMS))
    if info.is_required() or force:
        return values
    return st.none() | values


@cache
def _cached_model_strategy(cls: type[XmlModel], force: frozenset[str]) -> st.SearchStrategy[Any]:
    return _model_strategy(cls, force, None)


def model_strategy(
    cls: type[XmlModel],
    force: frozenset[str] = frozenset(),
    overrides: dict[str, st.SearchStrategy[Any]] | None = None,
) -> st.SearchStrategy[Any]:
    """Valid instances of ``cls``; the fields named in ``force`` are always present, and the
    fields in ``overrides`` take their values from the given strategies.

    For each ``xs:choice`` one branch (or none, where the schema allows that) is drawn, and its
    last element is made present, so the choice holds exactly what was drawn.
    """
    if overrides is None:
        return _cached_model_strategy(cls, force)
    return _model_strategy(cls, force, overrides)


def _model_strategy(
    cls: type[XmlModel],
    force: frozenset[str],
    overrides: dict[str, st.SearchStrategy[Any]] | None,
) -> st.SearchStrategy[Any]:
    fields = cls.model_fields
    in_choices = {name for c in cls.__xml_choices__ for branch in c.branches for name in branch}
    options = []
    for choice in cls.__xml_choices__:
        branches: list[tuple[str, ...]] = list(choice.branches)
        forced = [branch for branch in branches if force & set(branch)]
        options.append(
            st.sampled_from(forced or (branches if choice.required else [(), *branches]))
        )

    @cache
    def build(chosen: tuple[tuple[str, ...], ...]) -> st.SearchStrategy[Any]:
        allowed = {name for branch in chosen for name in branch}
        present = set(force) | {branch[-1] for branch in chosen if branch}
        given = overrides or {}
        parts = {
            name: given[name] if name in given else field_strategy(info, force=name in present)
            for name, info in fields.items()
            if name not in in_choices or name in allowed
        }
        return st.fixed_dictionaries(parts).map(cls.model_validate)

    return st.tuples(*options).flatmap(build)
