"""multipart/related framing (MTOM/XOP): a strict writer and a tolerant, bounded reader.

The writer produces clean RFC 2046 framing, CRLF throughout. The reader accepts what real MMS
peers send: bare LF line breaks, duplicate headers (the first one wins), folded header lines,
preamble and epilogue, and base64 or quoted-printable parts. It works on bytes that are already
in memory and refuses, with :class:`MimeFormatError`, anything over its limits or broken, so a
hostile body costs at most one linear scan.
"""

from __future__ import annotations

import base64
import binascii
import quopri
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

CRLF = b"\r\n"


class MimeFormatError(ValueError):
    """The body is not a usable multipart message. The SOAP layer turns this into the
    request- or response-side error of :mod:`mms_client.errors`."""


@dataclass(frozen=True)
class MultipartLimits:
    """Bounds on what the reader accepts."""

    max_body_bytes: int = 96 * 1024 * 1024
    max_parts: int = 64
    """One envelope, one payload and up to 40 attachments fit with room to spare."""
    max_header_bytes: int = 16 * 1024
    """Per part, all header lines together."""


DEFAULT_LIMITS = MultipartLimits()


@dataclass(frozen=True, slots=True)
class Part:
    """One body part: its header lines as received (or to be written) and its decoded body."""

    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first header called ``name`` (case-insensitive), if any."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    @property
    def content_id(self) -> str | None:
        """The Content-ID without its angle brackets."""
        value = self.header("Content-ID")
        return None if value is None else value.strip().removeprefix("<").removesuffix(">")


def new_content_id(domain: str, label: str = "") -> str:
    """A fresh Content-ID (without angle brackets): 32 random hex digits, an optional label
    such as ``-payload``, and the client's domain."""
    return f"{secrets.token_hex(16)}{label}@{domain}"


# RFC 9110 token characters, then a quoted string or a bare value.
_PARAMETER = re.compile(
    r";\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*=\s*(\"(?:[^\"\\]|\\.)*\"|[^;\s]*)", re.DOTALL
)


def parse_header_value(value: str) -> tuple[str, dict[str, str]]:
    """Split a header such as Content-Type into its lower-cased main value and parameters.

    Parameter names are lower-cased; quoted values are unquoted.
    """
    main, _, _ = value.partition(";")
    parameters: dict[str, str] = {}
    for match in _PARAMETER.finditer(value, len(main)):
        name, raw = match.group(1).lower(), match.group(2)
        if raw.startswith('"'):
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        parameters.setdefault(name, raw)
    return main.strip().lower(), parameters


def write_multipart(parts: Sequence[Part]) -> tuple[str, bytes]:
    """Frame ``parts`` as a multipart body; returns the boundary and the body bytes.

    The boundary is random and checked against every part, so it can never occur inside one.
    """
    boundary = _fresh_boundary(parts)
    delimiter = b"--" + boundary.encode("ascii")
    chunks: list[bytes] = []
    for part in parts:
        chunks.append(delimiter + CRLF)
        for name, value in part.headers:
            if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
                raise ValueError(f"header {name!r} must be a single line")
            chunks.append(f"{name}: {value}".encode("latin-1") + CRLF)
        chunks.append(CRLF)
        chunks.append(part.body)
        chunks.append(CRLF)
    chunks.append(delimiter + b"--" + CRLF)
    return boundary, b"".join(chunks)


def _fresh_boundary(parts: Iterable[Part]) -> str:
    bodies = tuple(part.body for part in parts)
    while True:
        boundary = "MIMEBoundary_" + secrets.token_hex(24)
        marker = boundary.encode("ascii")
        if not any(marker in body for body in bodies):
            return boundary


def read_multipart(
    body: bytes, boundary: str, limits: MultipartLimits = DEFAULT_LIMITS
) -> list[Part]:
    """The parts of a multipart ``body`` delimited by ``boundary``, bodies decoded."""
    if len(body) > limits.max_body_bytes:
        raise MimeFormatError(
            f"the multipart body has {len(body)} bytes; "
            f"at most {limits.max_body_bytes} are accepted"
        )
    if not 0 < len(boundary) <= 200:
        raise MimeFormatError("the multipart boundary must have 1 to 200 characters")
    try:
        delimiter = b"--" + boundary.encode("ascii")
    except UnicodeEncodeError:
        raise MimeFormatError("the multipart boundary is not ASCII") from None
    next_delimiter = b"\n" + delimiter

    if body.startswith(delimiter):
        position = 0
    else:
        position = body.find(next_delimiter)
        if position < 0:
            raise MimeFormatError("no body part starts with the boundary of the Content-Type")
        position += 1
    parts: list[Part] = []
    while True:
        position += len(delimiter)
        if body.startswith(b"--", position):
            return parts  # the close delimiter; anything after it is epilogue
        line_end = body.find(b"\n", position)
        if line_end < 0:
            raise MimeFormatError("the multipart body ends right after a boundary")
        if body[position:line_end].strip(b" \t\r"):
            raise MimeFormatError("unexpected text after a multipart boundary")
        start = line_end + 1
        found = body.find(next_delimiter, start)
        if found < 0:
            raise MimeFormatError("the multipart body ends without a closing boundary")
        end = found - 1 if found > start and body[found - 1] == 0x0D else found
        if len(parts) == limits.max_parts:
            raise MimeFormatError(f"more than {limits.max_parts} body parts")
        parts.append(_read_part(body[start:end], len(parts) + 1, limits))
        position = found + 1


def _read_part(content: bytes, number: int, limits: MultipartLimits) -> Part:
    headers: list[tuple[str, str]] = []
    position = 0
    while True:
        line_end = content.find(b"\n", position, position + limits.max_header_bytes + 1)
        if line_end < 0:
            if len(content) - position > limits.max_header_bytes:
                raise MimeFormatError(
                    f"part {number}: headers longer than {limits.max_header_bytes} bytes"
                )
            raise MimeFormatError(f"part {number}: no blank line ends the headers")
        line = content[position:line_end]
        if line.endswith(b"\r"):
            line = line[:-1]
        position = line_end + 1
        if position > limits.max_header_bytes:
            raise MimeFormatError(
                f"part {number}: headers longer than {limits.max_header_bytes} bytes"
            )
        if not line:
            break
        if line[:1] in (b" ", b"\t") and headers:  # a folded continuation line
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {line.strip().decode('latin-1')}")
            continue
        raw_name, colon, raw_value = line.partition(b":")
        raw_name = raw_name.strip()
        if not colon or not raw_name or not raw_name.isascii():
            raise MimeFormatError(f"part {number}: malformed header line {line[:80]!r}")
        headers.append((raw_name.decode("ascii"), raw_value.strip().decode("latin-1")))
    part = Part(tuple(headers), content[position:])
    return Part(part.headers, _decode_body(part, number))


def _decode_body(part: Part, number: int) -> bytes:
    encoding = (part.header("Content-Transfer-Encoding") or "binary").strip().lower()
    if encoding in ("binary", "8bit", "7bit"):
        return part.body
    if encoding == "base64":
        try:
            return base64.b64decode(b"".join(part.body.split()), validate=True)
        except (binascii.Error, ValueError):
            raise MimeFormatError(f"part {number}: invalid base64 content") from None
    if encoding == "quoted-printable":
        return quopri.decodestring(part.body)
    raise MimeFormatError(f"part {number}: unknown Content-Transfer-Encoding {encoding!r}")
