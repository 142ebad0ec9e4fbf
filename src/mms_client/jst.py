"""Japan time, the only clock the MMS knows.

The MMS writes and expects times in Japan Standard Time without an offset
(``2024-03-15T12:00:00``). Callers live in every time zone, so the rule is: a naive datetime
is taken to be JST already, an aware one is converted, and whatever this library hands back is
aware and in ``Asia/Tokyo``. The same holds for a datetime given where a date is expected: the
day is the one in Japan. Keeping the rule in one place means the models, the codec and the
simulator can never disagree about which hour an offer starts or which day a request is for.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, GetCoreSchemaHandler, GetJsonSchemaHandler, GetPydanticSchema
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

JST = ZoneInfo("Asia/Tokyo")
"""The MMS time zone (UTC+9, no daylight saving)."""


def to_jst(value: datetime) -> datetime:
    """``value`` as an aware Asia/Tokyo datetime: naive means JST, aware is converted."""
    zone = value.tzinfo
    if zone is JST:  # the usual case, tested first: it needs no offset lookup
        return value
    if zone is None or value.utcoffset() is None:
        return value.replace(tzinfo=JST)
    return value.astimezone(JST)


def format_jst(value: datetime) -> str:
    """The wire form of a time: JST wall-clock time without an offset.

    Fractions of a second are written only when present, with trailing zeros dropped, so the
    whole-second times the MMS uses come out as ``2024-03-15T12:00:00``.
    """
    local = to_jst(value)
    text = (
        f"{local.year:04d}-{local.month:02d}-{local.day:02d}T"
        f"{local.hour:02d}:{local.minute:02d}:{local.second:02d}"
    )
    if local.microsecond:
        text += f".{local.microsecond:06d}".rstrip("0")
    return text


JstDateTime = Annotated[datetime, AfterValidator(to_jst)]
"""The pydantic type of every ``xs:dateTime`` in the payload models: always aware JST."""


_NOT_A_DATE = (
    "should be a date: a datetime.date, a datetime at midnight in Japan time, or an ISO string "
    'such as "2026-11-25"'
)
"""The rule broken by a value given for a date that is none of the three."""


def _jst_date_schema(_source: Any, _handler: GetCoreSchemaHandler) -> CoreSchema:
    """pydantic's date, taking the day of a datetime in Japan time, and refusing numbers.

    pydantic takes the date of a datetime as written, whatever its zone: midnight in Auckland
    would be that day although Japan is still on the day before, and midnight in Japan given in
    UTC would be refused for not being midnight. So a datetime is moved to Japan time first,
    and pydantic's own check (zero time, now in Japan) and its messages do the rest.

    pydantic would also take a number, or a string of digits, as seconds since 1970:
    ``20261125`` would be a day in August 1970, refused only for not being its midnight.
    Nobody means a date that way, so only a ``date``, a ``datetime`` and a string that
    starts like an ISO date get that far; anything else is refused in the words of
    :data:`_NOT_A_DATE`, which say what a date may be (the value given is shown beside them).

    Text and exact dates take the first two branches of the union, which pydantic-core checks
    without calling Python: every date of every reply is text, and only a datetime pays for
    the conversion.
    """
    text = core_schema.str_schema(strict=True, pattern=r"^\d{4}-\d{2}-\d{2}")
    moved = core_schema.no_info_after_validator_function(
        to_jst, core_schema.is_instance_schema(datetime)
    )
    route = core_schema.union_schema(
        [text, core_schema.date_schema(strict=True), moved],
        mode="left_to_right",
        custom_error_type="jst_date",
        custom_error_message=_NOT_A_DATE,
    )
    return core_schema.chain_schema([route, core_schema.date_schema()])


def _date_json_schema(_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
    """Documented as the plain date it accepts, not as the route it takes to get there."""
    return handler(core_schema.date_schema())


JstDate = Annotated[date, GetPydanticSchema(_jst_date_schema, _date_json_schema)]
"""The pydantic type of every ``xs:date`` in the payload models: a date, ISO text, or a
datetime, taken on its day in Japan (naive means JST, aware is converted) and required to be
midnight there; a number is refused."""
