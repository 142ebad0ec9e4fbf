"""multipart/related framing (MTOM/XOP): a strict writer and a tolerant, bounded reader.

The writer produces clean RFC 2046 framing, CRLF throughout. The reader accepts what real MMS
peers send: bare LF line breaks, duplicate headers (the first one wins), folded header lines,
preamble and epilogue, and base64 or quoted-printable parts. It refuses, with
:class:`MimeFormatError`, anything over its limits, broken or ambiguous (two parts of one
Content-ID, a ``start`` parameter naming no part), so a hostile body costs at most one linear
scan, and no two readers can take different parts for the same reference.

Reading works on a seekable binary file: :func:`scan_multipart` finds where each part is
(reading a chunk at a time), :func:`copy_part` decodes one part into any sink. A body in memory
is read through ``io.BytesIO``, and a large reply spooled to disk the same way, without ever
being held in memory as a whole. :func:`read_multipart` decodes every part of a body in memory
at once, for a message looked at whole.
"""

from __future__ import annotations

import io
import quopri
import re
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import BinaryIO, Protocol

import pybase64

from mms_client.wire.blobs import CHUNK_SIZE

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


def find_header(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    """The first of ``headers`` (name, value pairs: a part's, or an HTTP message's
    ``.items()``) called ``name``, whatever its case, if any."""
    wanted = name.lower()
    for key, value in headers:
        if key.lower() == wanted:
            return value
    return None


class _Headed:
    """Header look-up shared by parts in memory and parts located in a body."""

    __slots__ = ()
    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str | None:
        """The first header called ``name`` (case-insensitive), if any."""
        return find_header(self.headers, name)

    @property
    def content_id(self) -> str | None:
        """The Content-ID without its angle brackets."""
        value = self.header("Content-ID")
        return None if value is None else value.strip().removeprefix("<").removesuffix(">")


@dataclass(frozen=True, slots=True)
class Part(_Headed):
    """One body part: its header lines as received (or to be written) and its decoded body."""

    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True, slots=True)
class PartSpan(_Headed):
    """Where one body part sits in a multipart body: its header lines and the byte range
    (``start`` to ``end``) of its content, still in its transfer encoding."""

    headers: tuple[tuple[str, str], ...]
    start: int
    end: int


def new_content_id(domain: str, label: str = "") -> str:
    """A fresh Content-ID (without angle brackets): 32 random hex digits, an optional label
    such as ``-payload``, and the client's domain."""
    return f"{secrets.token_hex(16)}{label}@{domain}"


# RFC 9110 token characters, then a quoted string or a bare value.
_PARAMETER = re.compile(
    r";\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*=\s*(\"(?:[^\"\\]|\\.)*\"|[^;\s]*)", re.DOTALL
)
_QUOTED_PAIR = re.compile(r"\\(.)")


def parse_header_value(value: str) -> tuple[str, dict[str, str]]:
    """Split a header such as Content-Type into its lower-cased main value and parameters.

    Parameter names are lower-cased; quoted values are unquoted.
    """
    main, _, _ = value.partition(";")
    parameters: dict[str, str] = {}
    for match in _PARAMETER.finditer(value, len(main)):
        name, raw = match.group(1).lower(), match.group(2)
        if raw.startswith('"'):
            raw = raw[1:-1]
            if "\\" in raw:  # rare, and a substitution costs more than the rest
                raw = _QUOTED_PAIR.sub(r"\1", raw)
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
    source = io.BytesIO(body)
    return [
        Part(span.headers, read_part(source, span, number))
        for number, span in enumerate(scan_multipart(source, boundary, limits), start=1)
    ]


def scan_multipart(
    source: BinaryIO, boundary: str, limits: MultipartLimits = DEFAULT_LIMITS
) -> list[PartSpan]:
    """Where the parts of the multipart body in ``source`` are, with their headers.

    ``source`` is read in chunks of :data:`~mms_client.wire.blobs.CHUNK_SIZE`, so a body of
    any size is scanned with bounded memory; the part contents stay where they are until
    :func:`copy_part` or :func:`read_part` decodes them.
    """
    size = source.seek(0, io.SEEK_END)
    if size > limits.max_body_bytes:
        raise MimeFormatError(
            f"the multipart body has {size} bytes; at most {limits.max_body_bytes} are accepted"
        )
    if not 0 < len(boundary) <= 200:
        raise MimeFormatError("the multipart boundary must have 1 to 200 characters")
    try:
        delimiter = b"--" + boundary.encode("ascii")
    except UnicodeEncodeError:
        raise MimeFormatError("the multipart boundary is not ASCII") from None
    next_delimiter = b"\n" + delimiter

    if _read_at(source, 0, len(delimiter)) == delimiter:
        position = 0
    else:
        position = _find(source, next_delimiter, 0)
        if position < 0:
            raise MimeFormatError("no body part starts with the boundary of the Content-Type")
        position += 1
    spans: list[PartSpan] = []
    while True:
        position += len(delimiter)
        if _read_at(source, position, 2) == b"--":
            return spans  # the close delimiter; anything after it is epilogue
        line_end = _find(source, b"\n", position, limit=position + 1024)
        if line_end < 0:
            raise MimeFormatError("the multipart body ends right after a boundary")
        if _read_at(source, position, line_end - position).strip(b" \t\r"):
            raise MimeFormatError("unexpected text after a multipart boundary")
        start = line_end + 1
        found = _find(source, next_delimiter, start)
        if found < 0:
            raise MimeFormatError("the multipart body ends without a closing boundary")
        end = found - 1 if found > start and _read_at(source, found - 1, 1) == b"\r" else found
        if len(spans) == limits.max_parts:
            raise MimeFormatError(f"more than {limits.max_parts} body parts")
        spans.append(_read_headers(source, start, end, len(spans) + 1, limits))
        position = found + 1


@dataclass(frozen=True)
class RelatedParts:
    """The parts of a multipart/related body (RFC 2387) as references find them: the root
    part, and the others by Content-ID; each with its number (from 1) for error messages."""

    root: tuple[int, PartSpan]
    by_content_id: Mapping[str, tuple[int, PartSpan]]


def relate_parts(spans: Sequence[PartSpan], start: str | None) -> RelatedParts:
    """The root of the parts ``spans`` (at least one), which ``start`` (the Content-Type's
    parameter) names, or the first part without one; and the other parts by Content-ID.

    A reference to a Content-ID two parts have, or a ``start`` that names no part, could be
    taken to mean either of two parts, and a reader that guesses may read another than the
    sender meant (a payload other than the one that was signed, say): both are refused.
    """
    numbered: dict[str, tuple[int, PartSpan]] = {}
    for number, span in enumerate(spans, start=1):
        content_id = span.content_id
        if content_id is None:
            continue
        if content_id in numbered:
            raise MimeFormatError(
                f"parts {numbered[content_id][0]} and {number} have the same Content-ID "
                f"{content_id[:80]!r}"
            )
        numbered[content_id] = (number, span)
    if start is None:
        root = (1, spans[0])
    else:
        found = numbered.get(start.strip().removeprefix("<").removesuffix(">"))
        if found is None:
            raise MimeFormatError(f"the multipart start parameter {start[:80]!r} names no part")
        root = found
    others = {content_id: part for content_id, part in numbered.items() if part is not root}
    return RelatedParts(root, others)


def read_part(source: BinaryIO, span: PartSpan, number: int = 1) -> bytes:
    """The decoded content of one part of ``source``, in memory."""
    pieces: list[bytes] = []
    copy_part(source, span, pieces.append, number)
    return b"".join(pieces)


def copy_part(
    source: BinaryIO, span: PartSpan, write: Callable[[bytes], object], number: int = 1
) -> None:
    """Decode the content of one part of ``source`` chunk by chunk into ``write``.

    ``number`` (the part's position, from 1) only serves error messages.
    """
    encoding = (span.header("Content-Transfer-Encoding") or "binary").strip().lower()
    if encoding in ("binary", "8bit", "7bit"):
        decoder: _Decoder = _Identity(write)
    elif encoding == "base64":
        decoder = Base64Decoder(write, f"part {number}")
    elif encoding == "quoted-printable":
        decoder = _QuotedPrintable(write)
    else:
        raise MimeFormatError(f"part {number}: unknown Content-Transfer-Encoding {encoding!r}")
    source.seek(span.start)
    remaining = span.end - span.start
    while remaining > 0:
        chunk = source.read(min(CHUNK_SIZE, remaining))
        if not chunk:
            raise MimeFormatError(f"part {number}: the body ended early")
        remaining -= len(chunk)
        decoder.write(chunk)
    decoder.close()


class _Decoder(Protocol):
    def write(self, data: bytes) -> None: ...
    def close(self) -> None: ...


class _Identity:
    def __init__(self, write: Callable[[bytes], object]) -> None:
        self._write = write

    def write(self, data: bytes) -> None:
        self._write(data)

    def close(self) -> None:
        pass


class Base64Decoder:
    """Decodes base64 that arrives in pieces of any size (whitespace anywhere is ignored)
    and hands the bytes to ``write`` as they are complete.

    ``what`` names the content in the :class:`MimeFormatError` raised for invalid base64.
    Only RFC 4648's canonical form is accepted: groups of four characters of the alphabet,
    padding only to complete the last one, so nothing may follow it but whitespace, however
    the text is cut into pieces.

    Decoding is pybase64's (SIMD) rather than the standard library's: every inline reply
    payload is base64 text, and ``binascii`` takes about 3 ns a byte, as long as the rest of
    the SOAP layer for a ten-offer reply; pybase64 takes a thirtieth of that. Its strict mode
    is the stricter of the two: ``binascii``'s accepts padding beyond a complete group
    (``AAAA=``), pybase64's does not.
    """

    def __init__(self, write: Callable[[bytes], object], what: str) -> None:
        self._write = write
        self._what = what
        self._pending = b""
        self._padded = False  # the last group decoded ended in padding

    def write(self, data: bytes | str) -> None:
        if not self._pending and not self._padded and not len(data) % 4:
            # most base64 has no line breaks: decoding it whole skips a scan for whitespace,
            # and strict decoding stops at the first whitespace there is. pybase64 takes an
            # ASCII str as it is, which spares a copy of what may be megabytes of text.
            try:
                decoded = pybase64.b64decode(data, validate=True)
            except ValueError:  # binascii.Error, also for a str that is not ASCII
                pass
            else:
                self._padded = data[-1:] in ("=", b"=")
                self._write(decoded)
                return
        raw = data.encode("ascii", "replace") if isinstance(data, str) else data
        pending = self._pending + b"".join(raw.split())
        usable = len(pending) - len(pending) % 4
        padded = pending.endswith(b"=", 0, usable)
        # after padding only whitespace may come, in a later piece as in this one
        if (self._padded and pending) or (padded and usable < len(pending)):
            raise self._invalid(" (data after padding)")
        self._pending = pending[usable:]
        if usable:
            try:
                decoded = pybase64.b64decode(pending[:usable], validate=True)
            except ValueError:  # binascii.Error
                raise self._invalid("") from None
            self._padded = padded
            self._write(decoded)

    def close(self) -> None:
        if self._pending:
            raise self._invalid(" (truncated)")

    def _invalid(self, detail: str) -> MimeFormatError:
        return MimeFormatError(f"{self._what}: invalid base64 content{detail}")


class _QuotedPrintable:
    """Quoted-printable decoded line by line (a soft line break never spans two lines)."""

    def __init__(self, write: Callable[[bytes], object]) -> None:
        self._write = write
        self._pending = b""

    def write(self, data: bytes) -> None:
        pending = self._pending + data
        cut = pending.rfind(b"\n") + 1
        self._pending = pending[cut:]
        if cut:
            self._write(quopri.decodestring(pending[:cut]))

    def close(self) -> None:
        if self._pending:
            self._write(quopri.decodestring(self._pending))


def _read_at(source: BinaryIO, offset: int, size: int) -> bytes:
    source.seek(offset)
    return source.read(size)


def _find(source: BinaryIO, pattern: bytes, start: int, limit: int | None = None) -> int:
    """The offset of the first ``pattern`` at or after ``start`` (before ``limit``), or -1."""
    overlap = len(pattern) - 1
    source.seek(start)
    carry = b""
    position = start  # offset of the first byte after ``carry``
    while limit is None or position < limit:
        chunk = source.read(CHUNK_SIZE if limit is None else min(CHUNK_SIZE, limit - position))
        if not chunk:
            return -1
        window = carry + chunk
        found = window.find(pattern)
        if found >= 0:
            return position - len(carry) + found
        carry = window[-overlap:] if overlap else b""
        position += len(chunk)
    return -1


def _read_headers(
    source: BinaryIO, start: int, end: int, number: int, limits: MultipartLimits
) -> PartSpan:
    """The headers of the part whose content lies between ``start`` and ``end``."""
    head = _read_at(source, start, min(end - start, limits.max_header_bytes + 1))
    headers: list[tuple[str, str]] = []
    position = 0
    while True:
        line_end = head.find(b"\n", position)
        if line_end < 0:
            if len(head) > limits.max_header_bytes:
                raise MimeFormatError(
                    f"part {number}: headers longer than {limits.max_header_bytes} bytes"
                )
            raise MimeFormatError(f"part {number}: no blank line ends the headers")
        line = head[position:line_end]
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
    return PartSpan(tuple(headers), start + position, end)
