"""Text held to an XML Schema lexical form before pydantic reads it.

pydantic reads text more widely than XML Schema writes it: a ``Decimal`` from ``"1e3"``,
``"1_000"`` or full-width digits, a datetime from seven digits after the second's point, cut
to six. The MMS validates requests against the XSD and refuses those forms, so the client must
not send them and the simulator must not take them; a reply holding one breaks its schema.
Values given in Python (a ``Decimal``, a ``datetime``) are no text and are not concerned.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import CoreSchema, core_schema

XML_SPACE = " \t\n\r"
"""The white space of XML, which XML Schema's whitespace collapse takes away: not Python's,
which also counts the full-width space (U+3000) of Japanese text."""


def _no_text(value: Any) -> Any:
    """A value that is not text, as it is: text reaching here has failed the form."""
    if isinstance(value, str):
        raise ValueError("text out of form")  # replaced by the form's own message
    return value


def in_form(pattern: str, error_type: str, message: str) -> CoreSchema:
    """The first step of a chain that reads text: text matching ``pattern`` (a regex that
    pydantic-core runs, anchored), or any value that is not text, passes as it is; other text
    is refused with ``message``, under ``error_type``.

    Text, which every value of a received document is, is told apart by pydantic-core without
    calling Python; only a value given in Python calls :func:`_no_text`.
    """
    return core_schema.union_schema(
        [
            core_schema.str_schema(strict=True, pattern=pattern),
            core_schema.no_info_plain_validator_function(_no_text),
        ],
        mode="left_to_right",
        custom_error_type=error_type,
        custom_error_message=message,
    )
