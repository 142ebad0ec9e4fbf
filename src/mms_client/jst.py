"""Japan time, the only clock the MMS knows.

The MMS writes and expects times in Japan Standard Time without an offset
(``2024-03-15T12:00:00``). Callers live in every time zone, so the rule is: a naive datetime
is taken to be JST already, an aware one is converted, and whatever this library hands back is
aware and in ``Asia/Tokyo``. The same holds for a datetime given where a date is expected: the
day is the one in Japan. Keeping the rule in one place means the models, the codec and the
simulator can never disagree about which hour an offer starts or which day a request is for.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler, GetPydanticSchema
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from mms_client.lexical import in_form

JST = ZoneInfo("Asia/Tokyo")
"""The MMS time zone (UTC+9, no daylight saving)."""


_OUT_OF_RANGE = "cannot be moved to Japan time: it would fall outside the years 1 to 9999"
"""Why an aware datetime near either end of Python's calendar has no Japan time."""


def to_jst(value: datetime) -> datetime:
    """``value`` as an aware Asia/Tokyo datetime: naive means JST, aware is converted.

    Raises :class:`ValueError` (which pydantic reports as a validation error naming the field)
    rather than Python's bare ``OverflowError`` for a time whose Japan day is not in the
    calendar, such as 20:00 UTC on 31 December 9999, and rather than whatever a time zone of
    the caller's own raises when its ``utcoffset()`` fails or answers with no timedelta.
    """
    zone = value.tzinfo
    if zone is JST:  # the usual case, tested first: it needs no offset lookup
        return value
    try:
        offset = None if zone is None else value.utcoffset()
    except Exception as exc:  # any tzinfo subclass may raise anything here
        raise ValueError(
            f"has a time zone ({type(zone).__name__}) whose offset from UTC cannot be read: "
            f"{type(exc).__name__}: {exc}"
        ) from None
    if offset is None:
        return value.replace(tzinfo=JST)
    try:
        return value.astimezone(JST)
    except OverflowError:
        raise ValueError(_OUT_OF_RANGE) from None


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


_ISO_DAY = r"^\d{4}-\d{2}-\d{2}"
"""How ISO text of a date, or of a date and time, starts: text that does not is no time at all
(pydantic would read ``"20240401"`` as seconds since 1970)."""

_ZONED_DAY = _ISO_DAY + r"(?:Z|[+-]\d{2}:\d{2})$"
"""ISO text of a date with a time zone, as ``xs:date`` may have one (``2024-04-01+09:00``):
the day that starts at midnight there."""

_HOUR_24 = _ISO_DAY + r"[Tt ]24(?s:.*[^ \t\n\r])?$"
"""ISO text of a time at hour 24, whose last character is no XML white space: XML Schema
writes the end of a day so (``2024-03-31T24:00:00``), an hour pydantic does not know."""

_NOT_HOUR_24 = (
    _ISO_DAY + r"(?s:$|[^Tt \t\n\r]$|[^Tt ].*[^ \t\n\r]$|[Tt]$"
    r"|[Tt ](?:[^2 \t\n\r]$|[^2].*[^ \t\n\r]$|2$|2(?:[^4 \t\n\r]$|[^4].*[^ \t\n\r]$)))"
)
"""ISO text whose hour, if it has one, is not 24, and whose last character is no XML white
space: what pydantic reads as it is. (pydantic's patterns have no look-ahead to say it more
briefly: each way the hour can be told apart from 24 is followed by an end that is not white
space.)"""

_SPACED = (
    r"(?s)^(?:[ \t\n\r]+\d{4}-\d{2}-\d{2}(?:.*\S)?[ \t\n\r]*"
    r"|\d{4}-\d{2}-\d{2}(?:.*\S)?[ \t\n\r]+)$"
)
"""ISO text of a date, or of a date and time, with XML white space (space, tab, CR, LF) at
either end, which ``xs:date`` and ``xs:dateTime`` collapse: ``" 2024-03-15T12:00:00 "`` is
``2024-03-15T12:00:00``. Only those four: next to them stands a character that is no white
space at all, so that pydantic-core's strip, which takes off any Unicode white space,
takes off just them, and a full-width space (U+3000) around a date is refused as before."""

_END_OF_DAY = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt ]24:00(?::00(?:\.0*)?)?((?:[Zz]|[+-].*)?)")
"""The end of a day as XML Schema writes it: 24:00:00, with nothing after the point but
zeros; the offset, if any, is read by pydantic."""

_MICROSECONDS_KEPT = in_form(
    r"(?s)^[^.]*(?:\.[0-9]{0,6}0*(?:[^0-9].*)?)?$",
    "lost_digits",
    "has digits beyond the sixth after the second's point that are not zeros: a Python "
    "datetime holds microseconds, and they would be lost",
)
"""Text of a time whose fraction of a second a datetime holds whole: at most six digits after
the point, then only zeros. XML Schema allows any number of digits there; pydantic would cut
them to six, so that a time read from a reply and written back (to cancel what started then)
would not be the time the MMS wrote. Zeros beyond the sixth lose nothing and are taken.
It is checked on text that starts like an ISO date; whatever else the text holds, pydantic's
datetime judges."""

_NOT_A_TIME = (
    "should be a date and time: a datetime.datetime (naive means Japan time), or an ISO "
    'string such as "2026-11-25T09:30:00" (without an offset it is Japan time)'
)
"""The rule broken by a value given for a date and time that is neither."""


def _end_of_day(text: str) -> str:
    """``text`` at hour 24 as the midnight after its day, which it is when it is the end of
    the day (24:00:00): that is how pydantic can read it. Any other time at hour 24 is given
    back as it is, for pydantic to refuse in its own words."""
    match = _END_OF_DAY.fullmatch(text)
    if match is None:
        return text
    day, offset = match.groups()
    try:
        after = date.fromisoformat(day) + timedelta(days=1)
    except (ValueError, OverflowError):  # no such day, or none after it: pydantic says which
        return text
    return f"{after.isoformat()}T00:00:00{offset}"


def _midnight(text: str) -> str:
    """A date with a time zone (:data:`_ZONED_DAY`) as the time it starts, which pydantic
    reads as a datetime."""
    return f"{text[:10]}T00:00:00{text[10:]}"


def _iso_text() -> CoreSchema:
    """Text that starts like an ISO date, before pydantic reads it; the end of a day written
    as XML Schema allows (``2024-03-31T24:00:00``) becomes the midnight after it.

    Only text at hour 24 calls Python: the rest is told apart by pydantic-core's patterns.
    """
    return core_schema.union_schema(
        [
            core_schema.str_schema(strict=True, pattern=_NOT_HOUR_24),
            core_schema.chain_schema(
                [
                    core_schema.str_schema(strict=True, pattern=_HOUR_24),
                    core_schema.no_info_plain_validator_function(_end_of_day),
                ]
            ),
        ],
        mode="left_to_right",
    )


def _collapsed(text: CoreSchema) -> CoreSchema:
    """Text with XML white space around it (:data:`_SPACED`), read by ``text`` without it.

    It is the last branch of the unions that route text: text without white space, the text
    of every document the MMS writes, never reaches it and costs nothing more.
    """
    return core_schema.chain_schema(
        [
            core_schema.str_schema(strict=True, pattern=_SPACED),
            core_schema.str_schema(strict=True, strip_whitespace=True),
            text,
        ]
    )


def _in_japan(given: CoreSchema, serialization: core_schema.SerSchema | None = None) -> CoreSchema:
    """What ``given`` lets through, read by pydantic as a datetime if a datetime holds it
    whole (:data:`_MICROSECONDS_KEPT`), and moved to Japan time."""
    return core_schema.no_info_after_validator_function(
        to_jst,
        core_schema.chain_schema([given, _MICROSECONDS_KEPT, core_schema.datetime_schema()]),
        serialization=serialization,
    )


WIRE_TIMES = "mms_client.wire_times"
"""Set in the context of a dump in JSON mode (``context={WIRE_TIMES: True}``), it has times
written as the MMS writes them (:func:`format_jst`), which read back as the same times in
every year. Without it they are pydantic's ISO form with the offset (``+09:00``), which tells
any reader of the JSON which instant it is. That form cuts the zone's offset to whole minutes,
and reading it back goes through UTC: Asia/Tokyo kept local mean time (+09:18:59) until 1888,
so 00:30 on 1 January 1800 comes back as 00:30:59, and 00:00 on 1 January of year 1, still in
the year before it in UTC, does not come back at all. The simulator keeps items in the wire
form (:func:`mms_client.sim.calls.as_xml_dict`), so its times are the wall-clock times the
requests wrote, whatever the year."""


def _json_form(value: datetime, info: core_schema.SerializationInfo) -> datetime | str:
    context = info.context
    if context is not None and context.get(WIRE_TIMES):
        return format_jst(value)
    return value  # pydantic's own form


_WIRE_FORM = core_schema.plain_serializer_function_ser_schema(
    _json_form, info_arg=True, when_used="json"
)


def _jst_datetime_schema(_source: Any, _handler: GetCoreSchemaHandler) -> CoreSchema:
    """pydantic's datetime, moved to Japan time, and refusing numbers.

    pydantic would take a number, or a string of digits, as seconds since 1970:
    ``StartTime=20240401`` would go out as 1970-08-23T15:20:01. Nobody means a time that way,
    so only a datetime (or a date, its midnight) and text that starts like an ISO date get to
    pydantic's datetime; anything else is refused in the words of :data:`_NOT_A_TIME`. The
    choice is made by pydantic-core without calling Python, so a time of a reply costs a
    pattern check more (about 0.08 us), and what pydantic and :func:`to_jst` then find wrong
    is said in their own words. Text with XML white space around it is read without it
    (:func:`_collapsed`).
    """
    route = core_schema.union_schema(
        [_iso_text(), core_schema.is_instance_schema(date), _collapsed(_iso_text())],
        mode="left_to_right",
        custom_error_type="jst_datetime",
        custom_error_message=_NOT_A_TIME,
    )
    return _in_japan(route, serialization=_WIRE_FORM)


def _datetime_json_schema(_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
    """Documented as the plain date-time it accepts, not as the route it takes to get there."""
    return handler(core_schema.datetime_schema())


JstDateTime = Annotated[datetime, GetPydanticSchema(_jst_datetime_schema, _datetime_json_schema)]
"""The pydantic type of every ``xs:dateTime`` in the payload models: a datetime (naive means
JST, aware is converted), a date (its midnight in Japan) or ISO text (no offset means JST; XML
white space around it collapsed), always read as aware JST; a number is refused. In JSON it
has its offset (``+09:00``), or is written as the MMS writes it in a dump given
:data:`WIRE_TIMES`."""


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
    and pydantic's own check (zero time, now in Japan) and its messages do the rest. Text with
    a time in it is such a datetime too (``"2024-03-31T15:00:00Z"`` is midnight of 1 April in
    Japan), read as :data:`JstDateTime` reads it, and so is a date with a time zone, which
    XML Schema allows: the midnight that starts it there (``"2024-04-01+09:00"`` is 1 April;
    ``"2024-04-01Z"`` starts at 09:00 in Japan, on no day of Japan's).

    pydantic would also take a number, or a string of digits, as seconds since 1970:
    ``20261125`` would be a day in August 1970, refused only for not being its midnight.
    Nobody means a date that way, so only a ``date``, a ``datetime`` and a string that
    starts like an ISO date get that far; anything else is refused in the words of
    :data:`_NOT_A_DATE`, which say what a date may be (the value given is shown beside them).
    Text with XML white space around it is read without it (:func:`_collapsed`).

    A plain ISO date and an exact date take the first two branches of the union, which
    pydantic-core checks without calling Python: every date of every reply is such text, and
    only a datetime, or text with a time, pays for the conversion. JSON holds no date object,
    and the branch of an exact date takes none there: pydantic's strict date would read a
    string of digits in JSON as seconds since 1970.
    """
    day = core_schema.str_schema(strict=True, pattern=_ISO_DAY + "$")
    exact = core_schema.json_or_python_schema(
        json_schema=core_schema.is_instance_schema(date),  # never met by JSON
        python_schema=core_schema.date_schema(strict=True),
    )
    moved = core_schema.no_info_after_validator_function(
        to_jst, core_schema.is_instance_schema(datetime)
    )
    zoned = core_schema.chain_schema(
        [
            core_schema.str_schema(strict=True, pattern=_ZONED_DAY),
            core_schema.no_info_plain_validator_function(_midnight),
        ]
    )
    zoned_day, other_text = _in_japan(zoned), _in_japan(_iso_text())
    spaced = _collapsed(core_schema.union_schema([day, zoned_day, other_text]))
    route = core_schema.union_schema(
        [day, exact, moved, zoned_day, other_text, spaced],
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
