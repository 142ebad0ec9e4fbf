"""Translate XML Schema regular expressions into ones Python's ``re`` and Rust's ``regex``
(pydantic's engine) both read the same way.

XSD patterns differ from Perl-style ones in ways that matter: they are implicitly anchored,
``^`` and ``$`` are ordinary characters, ``.`` excludes CR as well as LF, ``\\s`` is exactly the
four XML whitespace characters, and inside a character class ``&``, ``~`` and ``-`` are plain
characters (Rust gives ``&&``, ``~~`` and ``--`` set-operation meanings). Constructs that have no
portable translation (``\\i``, ``\\c``, ``\\p{...}``, class subtraction) stop the generator with
an error naming the pattern, rather than being approximated silently.
"""

from __future__ import annotations

_SINGLE_ESCAPES = {"n": "\\n", "r": "\\r", "t": "\\t"}
_ESCAPABLE = set("\\|.-^?*+{}()[]$")
_MULTI_ESCAPES = {
    "d": "[0-9]",
    "D": "[^0-9]",
    "s": "[ \\t\\n\\r]",
    "S": "[^ \\t\\n\\r]",
}
_CLASS_MULTI_ESCAPES = {"d": "0-9", "s": " \\t\\n\\r"}


class UnsupportedPatternError(ValueError):
    """An XSD pattern construct without a faithful translation."""


def _literal(char: str) -> str:
    """One character as a regex literal valid inside and outside a class in both engines."""
    if char.isascii() and not char.isalnum() and char not in " _<>":
        return "\\" + char
    return char


def _escape(pattern: str, index: int, in_class: bool) -> tuple[str, int]:
    """Translate the escape at ``pattern[index] == '\\'``; returns (regex, next index)."""
    if index + 1 >= len(pattern):
        raise UnsupportedPatternError(f"pattern {pattern!r} ends with a lone backslash")
    code = pattern[index + 1]
    if code in _SINGLE_ESCAPES:
        return _SINGLE_ESCAPES[code], index + 2
    if code in _ESCAPABLE:
        return _literal(code), index + 2
    table = _CLASS_MULTI_ESCAPES if in_class else _MULTI_ESCAPES
    if code in table:
        return table[code], index + 2
    raise UnsupportedPatternError(f"pattern {pattern!r} uses \\{code}, which has no portable form")


def _class(pattern: str, index: int) -> tuple[str, int]:
    """Translate the character class starting at ``pattern[index] == '['``."""
    out = ["["]
    index += 1
    if index < len(pattern) and pattern[index] == "^":
        out.append("^")
        index += 1
    first = True
    while index < len(pattern):
        char = pattern[index]
        if char == "]" and not first:
            out.append("]")
            return "".join(out), index + 1
        if char == "-" and index + 1 < len(pattern) and pattern[index + 1] == "[":
            raise UnsupportedPatternError(f"pattern {pattern!r} uses class subtraction")
        if char == "\\":
            item, index = _escape(pattern, index, in_class=True)
        elif char == "[":
            raise UnsupportedPatternError(f"pattern {pattern!r} nests '[' in a class")
        else:
            item, index = _literal(char), index + 1
        # a range a-b: the dash is a range operator only between two single characters
        if index + 1 < len(pattern) and pattern[index] == "-" and pattern[index + 1] not in "][":
            if pattern[index + 1] == "\\":
                upper, after = _escape(pattern, index + 1, in_class=True)
            else:
                upper, after = _literal(pattern[index + 1]), index + 2
            out.append(f"{item}-{upper}")
            index = after
        else:
            out.append(item)
        first = False
    raise UnsupportedPatternError(f"pattern {pattern!r} has an unterminated character class")


def translate(pattern: str) -> str:
    """The anchored Python/Rust regex equivalent to the XSD ``pattern``."""
    out = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            item, index = _escape(pattern, index, in_class=False)
        elif char == "[":
            item, index = _class(pattern, index)
        elif char == ".":
            item, index = "[^\\n\\r]", index + 1
        elif char in "^$":
            item, index = _literal(char), index + 1
        else:
            item, index = char, index + 1
        out.append(item)
    return "^(?:" + "".join(out) + ")$"
