"""multipart/related framing: exact bytes out, tolerant and bounded reading in."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mms_client.wire.mime import (
    MimeFormatError,
    MultipartLimits,
    Part,
    parse_header_value,
    read_multipart,
    write_multipart,
)

ENVELOPE = Part((("Content-Type", "text/xml"), ("Content-ID", "<root@x>")), b"<e/>")
PAYLOAD = Part((("Content-Type", "application/octet-stream"),), b"<MarketData/>")


def test_writer_frames_with_crlf_exactly_as_rfc_2046() -> None:
    boundary, body = write_multipart([ENVELOPE, PAYLOAD])
    delimiter = f"--{boundary}".encode()
    assert body == (
        delimiter + b"\r\n"
        b"Content-Type: text/xml\r\n"
        b"Content-ID: <root@x>\r\n"
        b"\r\n"
        b"<e/>\r\n" + delimiter + b"\r\n"
        b"Content-Type: application/octet-stream\r\n"
        b"\r\n"
        b"<MarketData/>\r\n" + delimiter + b"--\r\n"
    )
    assert b"\n" not in body.replace(b"\r\n", b"")


def test_writer_never_picks_a_boundary_found_in_a_body() -> None:
    parts = [Part((), b"--MIMEBoundary_" * 1000)]
    boundary, body = write_multipart(parts)
    assert read_multipart(body, boundary) == parts


def test_writer_refuses_header_injection() -> None:
    with pytest.raises(ValueError, match="single line"):
        write_multipart([Part((("Content-ID", "<a>\r\nX-Evil: 1"),), b"")])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.binary(max_size=300), st.text("abc-_@.", min_size=1, max_size=20)),
        min_size=1,
        max_size=6,
    )
)
def test_anything_written_reads_back_unchanged(contents: list[tuple[bytes, str]]) -> None:
    parts = [Part((("Content-ID", f"<{cid}>"),), data) for data, cid in contents]
    boundary, body = write_multipart(parts)
    assert read_multipart(body, boundary) == parts


def test_reader_accepts_the_sloppy_framing_real_clients_send() -> None:
    """CRLF only for the first line breaks, bare LF afterwards, and the root part carrying two
    Content-Transfer-Encoding headers."""
    body = (
        b"\r\n--MIMEBoundary_abc\r\n"
        b'Content-Type: application/xop+xml; charset=utf-8; type="text/xml"\r\n'
        b"Content-Transfer-Encoding: binary\n"
        b"Content-ID: <root@example.com>\n"
        b"Content-Transfer-Encoding: binary\n"
        b"\n"
        b"<soap/>\n"
        b"--MIMEBoundary_abc\n"
        b"Content-Type: application/octet-stream\n"
        b"Content-Transfer-Encoding: binary\n"
        b"Content-ID: <payload@example.com>\n"
        b"\n"
        b"<MarketData>\n</MarketData>\n"
        b"--MIMEBoundary_abc--\n"
    )
    root, payload = read_multipart(body, "MIMEBoundary_abc")
    assert root.body == b"<soap/>"
    assert root.content_id == "root@example.com"
    assert [v for k, v in root.headers if k == "Content-Transfer-Encoding"] == ["binary"] * 2
    assert payload.body == b"<MarketData>\n</MarketData>"
    assert payload.content_id == "payload@example.com"


def test_reader_skips_preamble_and_epilogue_and_unfolds_headers() -> None:
    body = (
        b"This is a preamble.\r\n--b\r\n"
        b"Content-Type: application/octet-stream;\r\n"
        b"\tname=payload\r\n"
        b"\r\n"
        b"data\r\n--b--\r\nepilogue --b\r\n"
    )
    [part] = read_multipart(body, "b")
    assert part.header("content-type") == "application/octet-stream; name=payload"
    assert part.body == b"data"


def test_reader_decodes_base64_and_quoted_printable_parts() -> None:
    encoded = base64.encodebytes(b"\x00\x01binary\xff" * 20)
    body = (
        b"--b\r\nContent-Transfer-Encoding: base64\r\n\r\n" + encoded + b"\r\n"
        b"--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9\r\n--b--\r\n"
    )
    first, second = read_multipart(body, "b")
    assert first.body == b"\x00\x01binary\xff" * 20
    assert second.body == "café".encode()


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"no boundary anywhere", "no body part starts"),
        (b"--b\r\nContent-Type: x\r\n\r\nunterminated", "without a closing boundary"),
        (b"--b\r\nContent-Type: x\r\nbody without blank line\r\n--b--", "no blank line ends"),
        (b"--b", "ends right after a boundary"),
        (b"--bjunk\r\n\r\n\r\n--b--", "unexpected text after a multipart boundary"),
        (b"--b\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!\r\n--b--", "invalid base64"),
        (b"--b\r\nContent-Transfer-Encoding: x-zip\r\n\r\nz\r\n--b--", "unknown Content-Trans"),
        (b"--b\r\n\xff\xfe: v\r\n\r\nz\r\n--b--", "malformed header line"),
    ],
)
def test_broken_bodies_are_refused(body: bytes, problem: str) -> None:
    with pytest.raises(MimeFormatError, match=problem):
        read_multipart(body, "b")


def test_limits_bound_size_part_count_and_headers() -> None:
    boundary, many = write_multipart([Part((), b"x")] * 5)
    with pytest.raises(MimeFormatError, match="more than 4 body parts"):
        read_multipart(many, boundary, MultipartLimits(max_parts=4))
    with pytest.raises(MimeFormatError, match="at most 10 are accepted"):
        read_multipart(many, boundary, MultipartLimits(max_body_bytes=10))
    boundary, fat = write_multipart([Part((("X-Filler", "y" * 5000),), b"x")])
    with pytest.raises(MimeFormatError, match="headers longer than 1024 bytes"):
        read_multipart(fat, boundary, MultipartLimits(max_header_bytes=1024))
    endless = b"--b\r\n" + b"X" * 100_000
    with pytest.raises(MimeFormatError, match="closing boundary"):
        read_multipart(endless, "b")


def test_boundary_must_be_sane() -> None:
    with pytest.raises(MimeFormatError, match="1 to 200"):
        read_multipart(b"--\r\n", "")
    with pytest.raises(MimeFormatError, match="not ASCII"):
        read_multipart(b"--\xc3\xa9\r\n", "é")


def test_header_parameters_are_parsed_like_a_content_type() -> None:
    main, parameters = parse_header_value(
        'Multipart/Related; charset="UTF-8"; type="application/xop+xml"; '
        'start="<a;b@c>"; boundary=MIMEBoundary_1; start-info="application/soap+xml"'
    )
    assert main == "multipart/related"
    assert parameters == {
        "charset": "UTF-8",
        "type": "application/xop+xml",
        "start": "<a;b@c>",
        "boundary": "MIMEBoundary_1",
        "start-info": "application/soap+xml",
    }
