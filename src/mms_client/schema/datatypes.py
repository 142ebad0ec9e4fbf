"""The XML Schema built-in types: the pydantic types the generated models use, and the
lexical form each value is written in.

Python's types are wider than XML Schema's: an ``int`` has no 32-bit limit, ``bool`` parsing
in pydantic accepts "yes", and a ``Decimal`` may be NaN. These aliases narrow them to the value
space the schema allows, so that whatever validates here also validates against the XSD.
(``xs:dateTime`` and ``xs:date`` live in :mod:`mms_client.jst`, because their time-zone rule is
a topic of its own.)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from mms_client.jst import JstDate, format_jst
from mms_client.lexical import XML_SPACE, in_form

_BOOLEAN_LEXICAL = {"true": True, "false": False, "1": True, "0": False}


_INTEGER_TEXT = r"^[ \t\n\r]*[+-]?[0-9]+[ \t\n\r]*$"
"""The lexical form of ``xs:integer`` and the types derived from it, where pydantic's ``int``
would also read ``"12.0"`` and ``"1_000"``. (pydantic-core's ``\\d`` is any Unicode digit,
hence 0-9.)"""

WHOLE_NUMBER_ERROR = "xs_integer"
"""The type of the pydantic error of a :class:`WholeNumbers` refusing a value."""

_INTEGER_FORM_RULE = (
    "should be written as XML Schema writes a whole number: digits 0-9 with an optional sign "
    "(such as -12), without a point, an exponent or separators"
)

_DECIMAL_FORM = in_form(
    r"^[ \t\n\r]*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t\n\r]*$",
    "xs_decimal_form",
    "should be written as XML Schema writes a decimal: digits 0-9 with an optional sign and "
    "point (such as -12.50 or .5), without an exponent or separators",
)
"""The lexical form of ``xs:decimal``, where pydantic's ``Decimal`` would also read ``"1e3"``,
``"1_000"``, full-width digits and ``"NaN"``."""


def _xsd_boolean(value: Any) -> Any:
    """Accept exactly the four lexical forms of ``xs:boolean`` for text input, with the
    whitespace around them that the schema collapses (``Success=" true "`` is valid)."""
    if isinstance(value, str):
        flag = _BOOLEAN_LEXICAL.get(value)
        if flag is None:
            flag = _BOOLEAN_LEXICAL.get(value.strip(XML_SPACE))
        if flag is None:
            raise ValueError("should be true, false, 1 or 0 (xs:boolean)")
        return flag
    return value


def _given_number(value: Any) -> Any:
    """A value given in Python for a whole number, as it is, unless it is a bool (which
    pydantic's ``int`` takes for 1 or 0) or text (which reaches here only out of form)."""
    if isinstance(value, bool | str):
        raise ValueError("no whole number")  # replaced by the union's own message
    return value


@dataclass(frozen=True)
class WholeNumbers:
    """The values of an XSD integer type: whole numbers from ``ge`` to ``le`` (None: no
    bound), the metadata of ``Annotated[int, WholeNumbers(...)]``.

    pydantic's ``int`` takes True and False for 1 and 0, so ``minimum_quantity_kw=True``
    would go out as 1 kW. Here a value given in Python must be an int that is not a bool, or
    what pydantic reads exactly as a whole number (``2.0``, a NumPy integer); text, which is
    what a received document holds, must be written as XML Schema writes an integer
    (:data:`_INTEGER_TEXT`: not ``"12.0"`` nor ``"1_000"``, which pydantic would read).
    pydantic-core chooses among them without calling Python for an int or for text, so a
    document costs about what it cost with pydantic's ``int``. Every failure is said in one
    sentence that gives the range, but that of text out of form, which
    :func:`whole_number_rule` tells apart once it has failed.
    """

    ge: int | None = None
    le: int | None = None

    def __get_pydantic_core_schema__(
        self, _source: Any, _handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        def bounded(*, strict: bool = False) -> CoreSchema:
            return core_schema.int_schema(ge=self.ge, le=self.le, strict=strict)

        return core_schema.union_schema(
            [
                core_schema.chain_schema(
                    [core_schema.str_schema(strict=True, pattern=_INTEGER_TEXT), bounded()]
                ),
                bounded(strict=True),
                core_schema.no_info_before_validator_function(_given_number, bounded()),
            ],
            mode="left_to_right",
            custom_error_type=WHOLE_NUMBER_ERROR,
            custom_error_message=f"should be {self.described()}",
            serialization=core_schema.simple_ser_schema("int"),
        )

    def __get_pydantic_json_schema__(
        self, _schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Documented as the bounded integer it takes, not as the route it takes there."""
        return handler(core_schema.int_schema(ge=self.ge, le=self.le))

    def described(self) -> str:
        """The values in words, as an error gives them."""
        if self.ge is not None and self.le is not None:
            return f"a whole number from {self.ge} to {self.le}"
        if self.ge is not None:
            return f"a whole number of at least {self.ge}"
        if self.le is not None:
            return f"a whole number of at most {self.le}"
        return "a whole number"


@dataclass(frozen=True)
class DecimalText:
    """Text read as an ``xs:decimal`` held to its lexical form (:data:`_DECIMAL_FORM`), the
    last metadata of ``Annotated[Decimal, Field(...), DecimalText()]``.

    It comes after pydantic's ``Field``, so that pydantic-core checks the bounds and digits on
    its own decimal, as it did before, and says what is wrong with them in its own words.
    """

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.chain_schema([_DECIMAL_FORM, handler(source)])

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Documented as the decimal it reads, not as the route it takes there."""
        return handler(schema["steps"][-1])


def whole_number_rule(rule: str, value: object) -> str:
    """``rule``, the one message of a :class:`WholeNumbers` refusing ``value``, or the form of
    an integer where ``value`` is text not written in it: ``"12.0"`` is refused for its form,
    not for being out of the range the message gives. Telling them apart here costs nothing
    to the values taken."""
    if isinstance(value, str) and re.fullmatch(_INTEGER_TEXT, value) is None:
        return _INTEGER_FORM_RULE
    return rule


XsBoolean = Annotated[bool, BeforeValidator(_xsd_boolean)]
XsInteger = Annotated[int, WholeNumbers()]
XsNonNegativeInteger = Annotated[int, WholeNumbers(ge=0)]
XsPositiveInteger = Annotated[int, WholeNumbers(ge=1)]
XsInt = Annotated[int, WholeNumbers(ge=-(2**31), le=2**31 - 1)]
XsLong = Annotated[int, WholeNumbers(ge=-(2**63), le=2**63 - 1)]
XsShort = Annotated[int, WholeNumbers(ge=-(2**15), le=2**15 - 1)]
XsByte = Annotated[int, WholeNumbers(ge=-(2**7), le=2**7 - 1)]
XsDecimal = Annotated[Decimal, Field(allow_inf_nan=False), DecimalText()]
XsDate = JstDate


def _boolean(value: bool) -> str:
    return "true" if value else "false"


def _decimal(value: Decimal) -> str:
    return format(value, "f")


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "INF" if value > 0 else "-INF"
    return repr(value)


def _date(value: date) -> str:
    return value.isoformat()


def _enumeration(value: Enum) -> str:
    return lexical(value.value)


_LEXICAL: dict[type, Callable[[Any], str]] = {
    str: str,
    bool: _boolean,
    int: str,
    Decimal: _decimal,
    float: _float,
    datetime: format_jst,
    date: _date,
}


UNESCAPED_TYPES = frozenset({bool, int, float, Decimal, datetime, date})
"""The types whose lexical form holds only digits, signs, points, dashes, colons and letters:
nothing XML escapes, so a writer need not search it (most values of a document)."""

_BY_TYPE = dict(_LEXICAL)
"""The conversion of each exact type met, the enumerations added as they are met (a second
table, so that the fixed one can be walked for subclasses while another thread adds to it)."""


def lexical(value: Any) -> str:
    """The XML Schema lexical form of a field value (before XML escaping).

    Decimals keep their digits and never use an exponent (``100.50``), booleans are
    ``true``/``false``, times are JST without an offset, enumerations are their value.
    """
    convert = _BY_TYPE.get(type(value))
    if convert is not None:
        return convert(value)
    if isinstance(value, Enum):
        _BY_TYPE[type(value)] = _enumeration
        return _enumeration(value)
    for base, convert in _LEXICAL.items():
        if isinstance(value, base):
            return convert(value)
    raise TypeError(f"no XML form for {type(value).__name__} values")


_ONE_SET = re.compile(r"\^\(\?:(\[(?:\\.|[^\\\]])+\])\*\)\$", re.DOTALL)
"""An anchored pattern that allows any string of one set of characters (``[...]*``), as most
string types of the schemas do (JapaneseStringType, FreeStringType...); the set is its
group."""


def pattern_rule(rule: str, regex: str, value: object) -> str:
    """``rule``, broken by ``value`` against the anchored ``regex``, naming the first
    character of the value outside the set of characters the pattern allows, should it allow
    one set: the pattern rarely tells which character of a Japanese name to change (ｱ,
    half-width, is not allowed where ア, full-width, is), and JapaneseStringType's set starts
    with an ideographic space that cannot be seen."""
    one_set = _ONE_SET.fullmatch(regex)
    if one_set is None or not isinstance(value, str):
        return rule
    allowed = re.compile(one_set.group(1))
    for position, character in enumerate(value, 1):
        if allowed.fullmatch(character) is None:
            code = f"U+{ord(character):04X} {unicodedata.name(character, '')}".rstrip()
            return f"{rule}: character {position}, {character!r} ({code}), is not allowed"
    return rule


@dataclass(frozen=True)
class XsdPattern:
    """An ``xs:pattern`` checked against the lexical form of a value.

    pydantic takes one ``pattern`` per type and only for strings. A simple type that restricts
    another patterned type must match both patterns (patterns of different derivation steps
    are ANDed), and numbers can have patterns too (``PsqType``); those are checked by this
    validator. ``regex`` is anchored already. ``xsd_type`` is the simple type whose
    derivation step has the pattern (None for an anonymous one): an error names it, since the
    regex alone rarely tells a user what is wanted, and the type can be looked up.
    """

    regex: str
    xsd_type: str | None = None
    _compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", re.compile(self.regex))

    def __call__(self, value: Any) -> Any:
        if self._compiled.fullmatch(lexical(value)) is None:
            rule = (
                f"should match pattern '{self.regex}'"
                if self.xsd_type is None
                else f"should match the pattern of XSD type {self.xsd_type} ('{self.regex}')"
            )
            raise ValueError(pattern_rule(rule, self.regex, value))
        return value
