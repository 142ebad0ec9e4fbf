"""Replies read as a stream: binary content of any size decoded into blobs, in memory or files."""

from __future__ import annotations

import base64
import binascii
import io
import itertools
import os
import quopri
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mms_client.endpoints import Interface
from mms_client.errors import MalformedResponseError
from mms_client.wire import envelope, mime
from mms_client.wire.blobs import FolderStore, MemoryStore
from mms_client.wire.mime import (
    Base64Decoder,
    MimeFormatError,
    Part,
    read_multipart,
    write_multipart,
)
from mms_client.wire.soap import (
    Attachment,
    ResponseAttInfo,
    build_response,
    read_response,
    read_stored_response,
)

ENCODINGS = {
    "binary": lambda data: data,
    "base64": base64.encodebytes,
    "quoted-printable": quopri.encodestring,
}


@settings(max_examples=40, deadline=None)
@given(
    contents=st.lists(
        st.tuples(st.binary(max_size=300), st.sampled_from(sorted(ENCODINGS))),
        min_size=1,
        max_size=4,
    ),
    chunk=st.integers(min_value=1, max_value=64),
)
def test_parts_decode_the_same_whatever_the_chunk_size(
    contents: list[tuple[bytes, str]], chunk: int
) -> None:
    """The reader finds boundaries and decodes transfer encodings across chunk edges."""
    parts = [
        Part((("Content-Transfer-Encoding", encoding),), ENCODINGS[encoding](data))
        for data, encoding in contents
    ]
    boundary, body = write_multipart(parts)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mime, "CHUNK_SIZE", chunk)
        decoded = [p.body for p in read_multipart(body, boundary)]
    assert decoded == [data for data, _ in contents]


def test_base64_arrives_in_pieces_of_any_size() -> None:
    data = os.urandom(1000)
    text = base64.encodebytes(data)  # line breaks included
    decoded = io.BytesIO()
    decoder = Base64Decoder(decoded.write, "the field is not valid base64")
    for start in range(0, len(text), 7):
        decoder.write(text[start : start + 7])
    decoder.close()
    assert decoded.getvalue() == data
    truncated = Base64Decoder(io.BytesIO().write, "the field is not valid base64")
    truncated.write(text[:10])
    with pytest.raises(MimeFormatError, match="not valid base64"):
        truncated.close()


@pytest.mark.parametrize("text", ["QUJDRA==", "QUJD\nRA==", "QU JD RA =="])
def test_base64_text_is_decoded_as_lxml_hands_it_over(text: str) -> None:
    """lxml passes text as str: base64 without whitespace is decoded from it directly, base64
    with whitespace the way bytes are."""
    decoded = io.BytesIO()
    decoder = Base64Decoder(decoded.write, "the field is not valid base64")
    decoder.write(text)
    decoder.close()
    assert decoded.getvalue() == b"ABCD"


_CANONICAL_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
"""RFC 4648 base64 without whitespace: whole groups of four, padding only in the last one."""


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet="QUJDRA+/=-_*\n \u00e9", max_size=24),
    st.lists(st.integers(min_value=0, max_value=24), max_size=3),
)
def test_base64_is_accepted_only_in_its_canonical_form_however_it_is_cut(
    text: str, cuts: list[int]
) -> None:
    """Whitespace aside, the decoder takes exactly canonical base64, handed over in pieces
    cut anywhere (padding in the middle, data after it, a group left incomplete, characters
    outside the alphabet are all refused), and decodes it as the standard library does."""
    compact = "".join(text.split())
    expected = (
        binascii.a2b_base64(compact.encode("ascii"), strict_mode=True)
        if _CANONICAL_BASE64.fullmatch(compact)
        else None
    )
    bounds = [0, *sorted(cuts), len(text)]
    decoded = io.BytesIO()
    decoder = Base64Decoder(decoded.write, "the field is not valid base64")
    try:
        for start, end in itertools.pairwise(bounds):
            decoder.write(text[start:end])
        decoder.close()
    except MimeFormatError:
        assert expected is None
    else:
        assert decoded.getvalue() == expected


@pytest.mark.parametrize("pieces", [["AAAA="], ["AAAA===="], ["QQ==", "QUJD"], ["QQ", "==Q"]])
def test_base64_after_its_padding_is_refused(pieces: list[str]) -> None:
    """The standard library's strict mode accepts padding beyond a complete group; neither
    that nor more data after the padding, in the same piece or a later one, is base64."""
    decoder = Base64Decoder(io.BytesIO().write, "the field is not valid base64")
    with pytest.raises(MimeFormatError, match="not valid base64"):
        for piece in pieces:
            decoder.write(piece)
        decoder.close()


@pytest.mark.parametrize("text", ["QUJD", "QU JD"], ids=["whole", "with-whitespace"])
def test_a_failing_writer_is_not_taken_for_invalid_base64(text: str) -> None:
    """A store that cannot take the bytes (a closed file raises ValueError too) fails with its
    own error, not as a complaint about the base64."""

    def closed(_data: bytes) -> None:
        raise ValueError("I/O operation on closed file.")

    decoder = Base64Decoder(closed, "the field is not valid base64")
    with pytest.raises(ValueError, match="closed file"):
        decoder.write(text)


@pytest.mark.parametrize("text", ["QUJD\u00e9A==", "QUJD\nR\u00e9==", "QUJDRA==\u3000"])
def test_base64_text_with_a_character_outside_ascii_is_refused(text: str) -> None:
    decoder = Base64Decoder(io.BytesIO().write, "the field is not valid base64")
    with pytest.raises(MimeFormatError, match="not valid base64"):
        decoder.write(text)
        decoder.close()


def test_inline_reply_with_a_long_base64_text_node_is_read() -> None:
    """libxml2 refuses text nodes over 10 MB in a tree; the envelope is read without one."""
    data = os.urandom(12 * 1024 * 1024)
    message = build_response(Interface.MI, ResponseAttInfo(True, "CSV", response_data=data))
    assert len(message.body) > 16 * 1024 * 1024  # base64 inline, one text node
    reply = read_response(message.headers, message.body, Interface.MI)
    assert isinstance(reply, ResponseAttInfo) and reply.response_data == data


def test_a_large_envelope_with_a_doctype_is_refused_before_any_entity() -> None:
    """Large plain envelopes are streamed rather than parsed as a tree; the stream refuses
    DTDs too."""
    filler = b"<!--" + b"x" * (9 * 1024 * 1024) + b"-->"
    body = b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + filler + b"<x>&xxe;</x>"
    with pytest.raises(MalformedResponseError, match="no DTD or entities"):
        read_response({"Content-Type": "text/xml"}, body, Interface.MI)


def test_a_large_envelope_with_an_element_of_too_many_attributes_is_refused() -> None:
    """A streamed envelope builds lxml elements, whose attributes take time quadratic in
    their number to set: half a million held the reader for hours."""
    attributes = b" ".join(b'a%d="1"' % number for number in range(1025))
    message = build_response(
        Interface.MI, ResponseAttInfo(True, "CSV", response_data=b"x" * 7_000_000)
    )
    body = message.body.replace(b"<success>", b"<success " + attributes + b">")
    assert len(body) > 8 * 1024 * 1024  # streamed
    with pytest.raises(MalformedResponseError, match="success: at most 1024 attributes on one"):
        read_response(message.headers, body, Interface.MI)


@pytest.mark.parametrize("mtom", [False, True])
def test_a_folder_store_decodes_every_binary_field_into_its_own_file(
    tmp_path: Path, mtom: bool
) -> None:
    data = os.urandom(300_000)
    files = (Attachment("a.csv", b"1,2\r\n", "c2ln"), Attachment("b.pdf", os.urandom(5000)))
    info = ResponseAttInfo(
        True, "CSV", response_filename="r.csv", response_data=data, attachments=files
    )
    message = build_response(Interface.MI, info, mtom=mtom)
    with FolderStore(tmp_path) as store:
        stored = read_stored_response(
            message.headers, io.BytesIO(message.body), Interface.MI, store
        )
        assert not isinstance(stored, type(None)) and stored.response_data is not None
        assert stored.response_data.content is None  # on disk, not in memory
        assert stored.response_data.path is not None
        assert stored.response_data.path.parent == tmp_path
        assert stored.response_data.read_bytes() == data
        assert [(f.name, f.blob.read_bytes(), f.signature) for f in stored.attachments] == [
            (f.name, f.data, f.signature) for f in files
        ]
        assert len(list(tmp_path.iterdir())) == 3
    assert list(tmp_path.iterdir()) == []  # nothing was moved into place: all removed


def test_memory_and_stored_reads_agree() -> None:
    info = ResponseAttInfo(True, "XML", warnings=True, response_data=b"<a/>")
    message = build_response(Interface.OMI, info, mtom=True)
    stored = read_stored_response(
        message.headers, io.BytesIO(message.body), Interface.OMI, MemoryStore()
    )
    assert not isinstance(stored, type(None))
    assert read_response(message.headers, message.body, Interface.OMI) == info
    assert stored.response_data is not None and stored.response_data.content == b"<a/>"


@pytest.mark.parametrize(
    ("children", "problem"),
    [
        (
            "<success>true</success><responseDataType>XML</responseDataType><responseData>QUJD"
            '<xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:x"/>'
            "</responseData>",
            "both base64 text and xop:Include",
        ),
        (
            "<success>true</success><responseDataType>XML</responseDataType>" + "<x/>" * 20_001,
            "more than 20000 elements",
        ),
    ],
)
def test_hostile_envelopes_are_refused(children: str, problem: str) -> None:
    body = (
        '<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>'
        f'<t:ResponseAttInfo xmlns:t="urn:abb.com:project/mms/types">{children}'
        "</t:ResponseAttInfo></e:Body></e:Envelope>"
    ).encode()
    with pytest.raises(MalformedResponseError, match=problem):
        read_response({"Content-Type": "text/xml"}, body, Interface.MI)


@pytest.mark.parametrize("streamed", [False, True], ids=["as a tree", "streamed"])
@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (
            lambda include: include.replace(envelope.XOP_NS, "urn:other"),
            "<binaryData> holds '{urn:other}Include', not base64 text or an xop:Include",
        ),
        (
            lambda include: include + include.replace("part1", "part0"),
            "<binaryData> holds 2 elements, not base64 text or one xop:Include",
        ),
    ],
    ids=["include-of-another-namespace", "two-includes"],
)
def test_a_binary_element_holding_anything_but_one_include_is_refused(
    damage: Callable[[str], str], problem: str, streamed: bool
) -> None:
    """A file whose xop:Include is not one (another namespace) or is not the only one
    cannot be told from the reply: read as holding nothing, it was an empty file, and of two
    Includes the first was taken."""
    info = ResponseAttInfo(
        True, "XML", response_data=b"<a/>", attachments=(Attachment("a.pdf", b"%PDF"),)
    )
    message = build_response(Interface.MI, info, mtom=True)
    include = re.search(rb"<xop:Include [^>]*part1@mms\"/>", message.body)
    assert include is not None
    body = message.body.replace(include[0], damage(include[0].decode()).encode())
    with pytest.MonkeyPatch.context() as patch:
        if streamed:
            patch.setattr(envelope, "_TREE_MAX_BYTES", 0)
        with pytest.raises(MalformedResponseError) as raised:
            read_response(message.headers, body, Interface.MI)
    assert str(raised.value) == f"unreadable MMS reply: {problem}"


_ENVELOPE_OPEN = '<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/">'
_ATT_INFO = '<t:ResponseAttInfo xmlns:t="urn:abb.com:project/mms/types">'
_READABLE = (
    "<success>true</success><!-- a note --><responseDataType>XML</responseDataType>"
    "<?mark it?><responseFilename>re<!-- split -->port.xml</responseFilename>"
    f"<responseData>\n{base64.encodebytes(b'<a>' + b'x' * 200 + b'</a>').decode()}</responseData>"
)


def _framed(envelope_xml: str, mtom: bool) -> tuple[dict[str, str], bytes]:
    """Headers and body of a reply carrying ``envelope_xml`` as plain XML or as the root part
    of an MTOM message."""
    if not mtom:
        return {"Content-Type": "text/xml"}, envelope_xml.encode()
    root = Part(
        (("Content-Type", 'application/xop+xml; type="text/xml"'), ("Content-ID", "<root@x>")),
        envelope_xml.encode(),
    )
    boundary, body = write_multipart([root])
    return {"Content-Type": f'multipart/related; boundary="{boundary}"; start="<root@x>"'}, body


@pytest.mark.parametrize("mtom", [False, True], ids=["plain", "mtom"])
@pytest.mark.parametrize(
    "body",
    [
        f"{_ENVELOPE_OPEN}<e:Body>{_ATT_INFO}{_READABLE}</t:ResponseAttInfo></e:Body></e:Envelope>",
        f"{_ENVELOPE_OPEN}<e:Header><t:x xmlns:t='urn:x'>1</t:x></e:Header>"
        f"<e:Body>{_ATT_INFO}{_READABLE}</t:ResponseAttInfo></e:Body></e:Envelope>",
        f"{_ENVELOPE_OPEN}<e:Header/></e:Envelope>",
        f"{_ENVELOPE_OPEN}<e:Body><!-- nothing --></e:Body></e:Envelope>",
        "<Envelope/>",
        f"{_ENVELOPE_OPEN}<e:Body>{_ATT_INFO}<success>true</success>"
        "<responseDataType>XML</responseDataType><responseData>QUJD=</responseData>"
        "</t:ResponseAttInfo></e:Body></e:Envelope>",
        f"{_ENVELOPE_OPEN}<e:Body>{_ATT_INFO}<success>true</success>"
        "<responseDataType>XML</responseDataType><responseData>QUJD"
        '<xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:x"/>'
        "</responseData></t:ResponseAttInfo></e:Body></e:Envelope>",
        f"{_ENVELOPE_OPEN}<e:Body>{_ATT_INFO}{_READABLE}<note><binaryData>not base64!"
        "</binaryData></note></t:ResponseAttInfo></e:Body></e:Envelope>",
        f"{_ENVELOPE_OPEN}<e:Body>{_ATT_INFO}{_READABLE}{'<x/>' * 20_000}"
        "</t:ResponseAttInfo></e:Body></e:Envelope>",
    ],
    ids=[
        "comments-and-wrapped-base64",
        "header-before-the-body",
        "no-body",
        "empty-body",
        "not-soap",
        "bad-base64",
        "base64-and-include",
        "broken-binary-nothing-reads",
        "too-many-elements",
    ],
)
def test_small_envelopes_read_from_a_tree_as_a_stream_would_read_them(
    body: str, mtom: bool
) -> None:
    """A small envelope, plain or the root part of an MTOM message, is parsed as a tree, a
    large one streamed: the same envelope gives the same answer (or the same refusal) either
    way, a soap:Header before the Body included. A binary element is refused when read, so a
    broken one nothing reads refuses neither."""
    headers, framed = _framed(body, mtom)

    def read() -> object:
        try:
            return read_response(headers, framed, Interface.MI)
        except MalformedResponseError as exc:
            return str(exc)

    from_tree = read()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(envelope, "_TREE_MAX_BYTES", 0)  # every body streamed
        streamed = read()
    assert from_tree == streamed
    if "<x/>" in body:
        assert "more than 20000 elements" in str(from_tree)
    if "QUJD<xop:Include" in body:
        assert "<responseData> has both base64 text and xop:Include" in str(from_tree)
    if "ResponseAttInfo" in body and "QUJD" not in body and "<x/>" not in body:
        assert isinstance(from_tree, ResponseAttInfo)
        assert from_tree.response_data == b"<a>" + b"x" * 200 + b"</a>"
        assert from_tree.response_filename == "report.xml"


_SOAP_TAG = "{http://schemas.xmlsoap.org/soap/envelope/}"
_CONTENT = f"{_ATT_INFO}{_READABLE}</t:ResponseAttInfo>"


@pytest.mark.parametrize("mtom", [False, True], ids=["plain", "mtom"])
@pytest.mark.parametrize("streamed", [False, True], ids=["as a tree", "streamed"])
@pytest.mark.parametrize(
    ("inside", "problem"),
    [
        (
            f"<e:Body>{_CONTENT}</e:Body><e:Body><other/></e:Body>",
            "the SOAP envelope holds a second Body",
        ),
        (
            f"<e:Header/><e:Header/><e:Body>{_CONTENT}</e:Body>",
            "the SOAP envelope holds a second Header",
        ),
        (
            f"<e:Body>{_CONTENT}</e:Body><e:Header/>",
            f"the SOAP envelope holds '{_SOAP_TAG}Header' after its Body",
        ),
        (
            f"<e:Body>{_CONTENT}</e:Body><t:x xmlns:t='urn:x'/>",
            "the SOAP envelope holds '{urn:x}x' after its Body",
        ),
        (
            f"<t:x xmlns:t='urn:x'/><e:Body>{_CONTENT}</e:Body>",
            "the SOAP envelope holds '{urn:x}x' before its Body",
        ),
        (
            f"<e:Body>{_CONTENT}<!-- note -->{_CONTENT}</e:Body>",
            "the SOAP Body holds a second element, "
            "'{urn:abb.com:project/mms/types}ResponseAttInfo'",
        ),
        (f"<e:Body/><e:Body>{_CONTENT}</e:Body>", "the SOAP envelope holds a second Body"),
    ],
    ids=[
        "two-bodies",
        "two-headers",
        "header-after-the-body",
        "element-after-the-body",
        "element-before-the-body",
        "two-elements-in-the-body",
        "empty-body-then-another",
    ],
)
def test_an_envelope_of_two_bodies_or_headers_or_more_is_refused(
    inside: str, problem: str, streamed: bool, mtom: bool
) -> None:
    """A SOAP 1.1 envelope holds an optional Header, then its Body, then nothing (WS-I Basic
    Profile R1011), and the Body of a document/literal message holds one element: a second
    one, read as if it were not there, would leave what it says unseen."""
    headers, body = _framed(f"{_ENVELOPE_OPEN}{inside}</e:Envelope>", mtom)
    with pytest.MonkeyPatch.context() as patch:
        if streamed:
            patch.setattr(envelope, "_TREE_MAX_BYTES", 0)
        with pytest.raises(MalformedResponseError) as raised:
            read_response(headers, body, Interface.MI)
    assert str(raised.value) == f"unreadable MMS reply: {problem}"
