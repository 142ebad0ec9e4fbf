"""Japan time, the only clock the MMS knows.

The MMS writes and expects times in Japan Standard Time without an offset
(``2024-03-15T12:00:00``). Callers live in every time zone, so the rule is: a naive datetime
is taken to be JST already, an aware one is converted, and whatever this library hands back is
aware and in ``Asia/Tokyo``. Keeping the rule in one place means the models, the codec and the
simulator can never disagree about which hour an offer starts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator

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
