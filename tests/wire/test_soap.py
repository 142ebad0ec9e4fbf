"""SOAP envelopes: the request bytes the MMS receives, and reading requests and replies back."""

from __future__ import annotations

import base64
import re

import pytest
from lxml import etree

from mms_client.endpoints import Interface
from mms_client.errors import MalformedRequestError, MalformedResponseError, PayloadError
from mms_client.wire.mime import (
    MultipartLimits,
    Part,
    parse_header_value,
    read_multipart,
    write_multipart,
)
from mms_client.wire.soap import (
    FAULT_STATUS,
    Attachment,
    HttpMessage,
    RequestAttInfo,
    ResponseAttInfo,
    SoapFault,
    build_fault,
    build_request,
    build_response,
    is_fault,
    parse_request,
    read_response,
)

PAYLOAD = (
    b'<MarketData><MarketSubmit Date="2026-11-21" MarketType="DAM" NumOfDays="1" '
    b'ParticipantName="F100" UserName="FAKEUSER"><OfferData Direction="1" '
    b'EndTime="2024-03-15T21:00:00" ResourceName="FAKE_RESO" StartTime="2024-03-15T12:00:00">'
    b'<OfferStack MinimumQuantityInKw="100" OfferUnitPrice="100" StackNumber="1"></OfferStack>'
    b"</OfferData></MarketSubmit></MarketData>"
)
INFO = RequestAttInfo(request_type="mp.market", request_signature="U0lHTkFUVVJF")
SOAP = "{http://schemas.xmlsoap.org/soap/envelope/}"
XOP = "{http://www.w3.org/2004/08/xop/include}"


@pytest.mark.parametrize(
    ("interface", "action", "namespace"),
    [
        (Interface.MI, "urn:abb.com:project/mms/submitAttachment", "urn:abb.com:project/mms/types"),
        (Interface.OMI, "urn:ws.web.omi.co.jp:submitAttachment", "urn:types.ws.web.omi.co.jp"),
    ],
)
def test_request_is_mtom_as_the_mms_expects(
    interface: Interface, action: str, namespace: str
) -> None:
    message = build_request(interface, INFO, PAYLOAD, domain="example.com")

    assert message.headers["SOAPAction"] == f'"{action}"'
    assert message.headers["MIME-Version"] == "1.0"
    media_type, parameters = parse_header_value(message.headers["Content-Type"])
    assert media_type == "multipart/related"
    assert parameters["type"] == "application/xop+xml"
    assert parameters["start-info"] == "application/soap+xml"
    assert parameters["charset"] == "UTF-8"
    assert b"\n" not in message.body.replace(b"\r\n", b"")  # clean CRLF framing

    root, payload = read_multipart(message.body, parameters["boundary"])
    assert f"<{root.content_id}>" == parameters["start"]
    assert root.content_id is not None and root.content_id.endswith("@example.com")
    assert root.header("Content-Type") == 'application/xop+xml; charset="utf-8"; type="text/xml"'
    assert root.header("Content-Transfer-Encoding") == "binary"
    assert payload.header("Content-Type") == "application/octet-stream"
    assert payload.header("Content-Transfer-Encoding") == "binary"
    assert payload.content_id is not None and payload.content_id.endswith("-payload@example.com")
    assert payload.body == PAYLOAD  # the signed bytes, untouched

    envelope = etree.fromstring(root.body)
    assert envelope.tag == f"{SOAP}Envelope"
    [info] = envelope.find(f"{SOAP}Body")  # type: ignore[misc]
    assert info.tag == f"{{{namespace}}}RequestAttInfo"
    assert [(child.tag, child.text) for child in info][:7] == [
        ("requestType", "mp.market"),
        ("adminRole", "false"),
        ("requestDataCompressed", "false"),
        ("requestDataType", "XML"),
        ("sendRequestDataOnSuccess", "false"),
        ("sendResponseDataCompressed", "false"),
        ("requestSignature", "U0lHTkFUVVJF"),
    ]
    include = info.find(f"requestData/{XOP}Include")
    assert include is not None and include.get("href") == f"cid:{payload.content_id}"


def test_attachments_follow_as_further_parts_and_read_back() -> None:
    attachments = [
        Attachment("baseline.csv", b"a,b\r\n1,2\r\n", "c2lnMQ=="),
        Attachment("picture.bin", bytes(range(256)), "c2lnMg=="),
    ]
    message = build_request(Interface.OMI, INFO, PAYLOAD, attachments, domain="d")
    _, parameters = parse_header_value(message.headers["Content-Type"])
    assert len(read_multipart(message.body, parameters["boundary"])) == 4

    parsed = parse_request(message.headers, message.body)
    assert parsed.interface is Interface.OMI
    assert parsed.info == INFO
    assert parsed.payload == PAYLOAD
    assert parsed.attachments == tuple(attachments)


def test_too_many_attachments_are_refused_before_sending() -> None:
    attachments = [Attachment(f"{n}.csv", b"x") for n in range(21)]
    with pytest.raises(PayloadError, match="at most 20 attachments"):
        build_request(Interface.OMI, INFO, PAYLOAD, attachments, domain="d")


def test_attachment_names_xml_cannot_carry_are_refused_before_sending() -> None:
    attachments = [
        Attachment("fine.csv", b"x"),
        Attachment("tab\tis\tfine.csv", b"x"),
        Attachment("a\x0b.csv", b"x"),
        Attachment("half\ud800.csv", b"x"),
        Attachment("signed.csv", b"x", signature="c2ln\x00"),
    ]
    with pytest.raises(PayloadError) as caught:
        build_request(Interface.MI, INFO, PAYLOAD, attachments, domain="d")
    assert [(e.path, e.value) for e in caught.value.errors] == [
        ("attachmentData[3]/name", "a\x0b.csv"),
        ("attachmentData[4]/name", "half\ud800.csv"),
        ("attachmentData[5]/signature", "c2ln\x00"),
    ]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((123, b"x"), "name must be a str, not int"),
        (("a.csv", "1,2"), "'a.csv': data must be bytes, not str (encode the text first)"),
        (("a.csv", None), "'a.csv': data must be bytes, not NoneType"),
        (("a.csv", b"x", b"c2ln"), "signature must be base64 text (str) or None, not bytes"),
        (("x" * 5_000_000, "1,2"), f"Attachment '{'x' * 255}'...: data must be bytes, not str"),
    ],
)
def test_an_attachment_of_the_wrong_types_is_refused_where_it_is_made(
    arguments: tuple[object, ...], message: str
) -> None:
    with pytest.raises(TypeError, match=re.escape(message)):
        Attachment(*arguments)  # type: ignore[arg-type]


def test_an_attachment_takes_any_bytes_like_data_as_bytes() -> None:
    for data in (bytearray(b"1,2"), memoryview(b"1,2")):
        attachment = Attachment("a.csv", data)  # type: ignore[arg-type]
        assert attachment.data == b"1,2" and type(attachment.data) is bytes


def test_parse_request_reads_what_the_established_client_sends() -> None:
    """Hand-built bytes in the established client's form: bare LF after the first lines, two
    Content-Transfer-Encoding headers on the root part, indented envelope, ns0 prefix."""
    envelope = (
        b'<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/">\n'
        b"  <soap-env:Body>\n"
        b'    <ns0:RequestAttInfo xmlns:ns0="urn:abb.com:project/mms/types">\n'
        b"      <requestType>mp.market</requestType>\n"
        b"      <adminRole>false</adminRole>\n"
        b"      <requestDataCompressed>false</requestDataCompressed>\n"
        b"      <requestDataType>XML</requestDataType>\n"
        b"      <sendRequestDataOnSuccess>false</sendRequestDataOnSuccess>\n"
        b"      <sendResponseDataCompressed>false</sendResponseDataCompressed>\n"
        b"      <requestSignature>U0lHTkFUVVJF</requestSignature>\n"
        b'      <requestData><xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" '
        b'href="cid:0123456789abcdef-payload@F100"/></requestData>\n'
        b"    </ns0:RequestAttInfo>\n"
        b"  </soap-env:Body>\n"
        b"</soap-env:Envelope>"
    )
    body = (
        b"\r\n--MIMEBoundary_4f2a\r\n"
        b'Content-Type: application/xop+xml; charset=utf-8; type="text/xml"\r\n'
        b"Content-Transfer-Encoding: binary\n"
        b"Content-ID: <ID@F100>\n"
        b"Content-Transfer-Encoding: binary\n\n" + envelope + b"\n--MIMEBoundary_4f2a\n"
        b"Content-Type: application/octet-stream\n"
        b"Content-Transfer-Encoding: binary\n"
        b"Content-ID: <0123456789abcdef-payload@F100>\n\n" + PAYLOAD + b"\n--MIMEBoundary_4f2a--\n"
    )
    headers = {
        "soapaction": '"urn:abb.com:project/mms/submitAttachment"',
        "content-type": 'multipart/related; boundary="MIMEBoundary_4f2a"; '
        'type="application/xop+xml"; start="<ID@F100>"; start-info="application/soap+xml"',
    }
    parsed = parse_request(headers, body)
    assert parsed.interface is Interface.MI
    assert parsed.info == INFO
    assert parsed.payload == PAYLOAD


def test_parse_request_reads_inline_base64_soap() -> None:
    body = (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        '<t:RequestAttInfo xmlns:t="urn:types.ws.web.omi.co.jp"><requestType>mp.omi</requestType>'
        "<adminRole>0</adminRole><requestDataCompressed>false</requestDataCompressed>"
        "<requestDataType>XML</requestDataType><sendRequestDataOnSuccess>true"
        "</sendRequestDataOnSuccess><sendResponseDataCompressed>false</sendResponseDataCompressed>"
        f"<requestData>{base64.encodebytes(PAYLOAD).decode()}</requestData>"
        "</t:RequestAttInfo></s:Body></s:Envelope>"
    ).encode()
    parsed = parse_request({"Content-Type": "text/xml; charset=utf-8"}, body)
    assert parsed.interface is Interface.OMI
    assert parsed.info.request_signature is None
    assert parsed.info.send_request_data_on_success
    assert parsed.payload == PAYLOAD


def _request_parts(
    envelope_children: str, namespace: str = "urn:abb.com:project/mms/types"
) -> bytes:
    return (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        f'<t:RequestAttInfo xmlns:t="{namespace}">{envelope_children}</t:RequestAttInfo>'
        "</s:Body></s:Envelope>"
    ).encode()


LEADING = (
    "<requestType>mp.market</requestType><adminRole>false</adminRole>"
    "<requestDataCompressed>false</requestDataCompressed><requestDataType>XML</requestDataType>"
    "<sendRequestDataOnSuccess>false</sendRequestDataOnSuccess>"
    "<sendResponseDataCompressed>false</sendResponseDataCompressed>"
)
XML = {"Content-Type": "text/xml"}


@pytest.mark.parametrize(
    ("headers", "body", "problem"),
    [
        ({}, b"<x/>", "no Content-Type"),
        ({"Content-Type": "application/json"}, b"{}", "unexpected Content-Type"),
        ({"Content-Type": "multipart/related"}, b"", "without a boundary"),
        (XML, b"<Envelope/>", "not a SOAP 1.1 envelope"),
        (XML, b"<not xml", "well-formed XML"),
        (XML, _request_parts(LEADING), "lacks <requestData>"),
        (XML, _request_parts("<requestType>mp.market</requestType>"), "lacks <adminRole>"),
        (XML, _request_parts(LEADING + "<requestData>%%%</requestData>"), "not valid base64"),
        (
            XML,
            _request_parts(LEADING.replace(">false</adminRole", ">maybe</adminRole")),
            "not a boolean",
        ),
        (XML, _request_parts(LEADING, namespace="urn:other"), "not an MMS RequestAttInfo"),
        (
            XML,
            _request_parts(
                LEADING + '<requestData><xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/'
                'include" href="cid:missing@x"/></requestData>'
            ),
            "no MIME part has the Content-ID",
        ),
        (
            {**XML, "SOAPAction": '"urn:ws.web.omi.co.jp:submitAttachment"'},
            _request_parts(LEADING + "<requestData>PGEvPg==</requestData>"),
            "does not belong to the MI service",
        ),
        (
            {**XML, "SOAPAction": '"urn:foo"'},
            _request_parts(LEADING + "<requestData>PGEvPg==</requestData>"),
            "SOAPAction 'urn:foo' does not belong to the MI service",
        ),
        (
            XML,
            b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol"><!ENTITY lol2 '
            b'"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>',
            "no DTD or entities",
        ),
        (
            XML,
            b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><x>&xxe;</x>',
            "no DTD or entities",
        ),
    ],
)
def test_unreadable_requests_are_malformed_request_errors(
    headers: dict[str, str], body: bytes, problem: str
) -> None:
    with pytest.raises(MalformedRequestError, match=problem):
        parse_request(headers, body)


REQUEST_DATA = "<requestData>PGEvPg==</requestData>"
ATTACHMENT = "<attachmentData><binaryData>QQ==</binaryData><name>a.csv</name></attachmentData>"


@pytest.mark.parametrize(
    ("children", "problem"),
    [
        (
            LEADING + REQUEST_DATA + "<requestData>PGIvPg==</requestData>",
            "the SOAP body holds <requestData> twice",
        ),
        (
            LEADING + "<requestSignature>c2ln</requestSignature>"
            "<requestSignature>b3RoZXI=</requestSignature>" + REQUEST_DATA,
            "the SOAP body holds <requestSignature> twice",
        ),
        (
            "<requestType>mp.omi</requestType>" + LEADING + REQUEST_DATA,
            "the SOAP body holds <requestType> twice",
        ),
        (
            LEADING + "<adminRole>true</adminRole>" + REQUEST_DATA,
            "the SOAP body holds <adminRole> twice",
        ),
        (
            LEADING
            + REQUEST_DATA
            + ATTACHMENT
            + ATTACHMENT.replace(
                "<name>a.csv</name>", "<signature>c2ln</signature><signature>c2ln</signature>"
            ),
            "attachmentData[2] holds <signature> twice",
        ),
    ],
    ids=["requestData", "requestSignature", "requestType", "adminRole", "attachment-signature"],
)
def test_a_request_holding_a_field_twice_is_refused(children: str, problem: str) -> None:
    """The WSDL lets each field of ``RequestAttInfo`` but ``attachmentData`` come once, and
    the MMS refuses a second: reading the first of two would check the signature of one
    payload and leave the other unseen."""
    with pytest.raises(MalformedRequestError) as raised:
        parse_request(XML, _request_parts(children))
    assert str(raised.value) == f"unreadable MMS request: {problem}"


@pytest.mark.parametrize("mtom", [False, True])
def test_responses_read_back_inline_or_mtom(mtom: bool) -> None:
    info = ResponseAttInfo(
        success=True,
        response_data_type="XML",
        warnings=True,
        response_filename="report.xml",
        response_data=PAYLOAD,
        attachments=(Attachment("a.csv", b"1,2\n", "c2ln"), Attachment("b.pdf", b"%PDF")),
    )
    message = build_response(Interface.MI, info, mtom=mtom)
    media_type, _ = parse_header_value(message.headers["Content-Type"])
    assert media_type == ("multipart/related" if mtom else "text/xml")
    assert (PAYLOAD in message.body) is mtom  # inline means base64
    assert read_response(message.headers, message.body, Interface.MI) == info


def test_txt_response_keeps_the_error_text() -> None:
    info = ResponseAttInfo(False, "TXT", response_data="署名が不正です".encode())
    message = build_response(Interface.OMI, info)
    assert read_response(message.headers, message.body, Interface.OMI) == info


def test_faults_read_back_and_are_recognised() -> None:
    fault = SoapFault("soapenv:Server", "Internal <error>", "stack & trace")
    message = build_fault(fault)
    assert FAULT_STATUS == 500
    assert read_response(message.headers, message.body, Interface.MI) == fault
    assert is_fault(message.headers, message.body, Interface.MI)
    ok = build_response(Interface.MI, ResponseAttInfo(True, "XML", response_data=b"<a/>"))
    assert not is_fault(ok.headers, ok.body, Interface.MI)
    assert not is_fault({"Content-Type": "text/html"}, b"<html>Bad gateway</html>", Interface.MI)


def test_a_fault_carrying_qualified_subelements_of_its_own_is_read() -> None:
    """SOAP 1.1 lets a Fault carry namespace-qualified subelements beside its own four, as
    many as the server likes: the fault is read, and is the MMS's answer."""
    body = (
        b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><e:Fault>'
        b"<faultcode>e:Server</faultcode><faultstring>down</faultstring>"
        b'<x:info xmlns:x="urn:extra">one</x:info><x:info xmlns:x="urn:extra">two</x:info>'
        b"<detail><trace>at</trace></detail></e:Fault></e:Body></e:Envelope>"
    )
    assert read_response(XML, body, Interface.MI) == SoapFault("e:Server", "down", "at")
    assert is_fault(XML, body, Interface.MI)


def _response(children: str, namespace: str = "urn:abb.com:project/mms/types") -> bytes:
    return (
        '<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>'
        f'<t:ResponseAttInfo xmlns:t="{namespace}">{children}</t:ResponseAttInfo>'
        "</e:Body></e:Envelope>"
    ).encode()


@pytest.mark.parametrize(
    ("headers", "body", "problem"),
    [
        (XML, b"", "well-formed XML"),
        (XML, b"<e:Envelope xmlns:e='http://schemas.xmlsoap.org/soap/envelope/'/>", "no Body"),
        (XML, _response("<success>true</success>"), "lacks <responseDataType>"),
        (
            XML,
            _response("<success>true</success><responseDataType>PDF</responseDataType>"),
            "unknown responseDataType",
        ),
        (
            XML,
            _response(
                "<success>yes</success><responseDataType>XML</responseDataType>",
            ),
            "not a boolean",
        ),
        (
            XML,
            _response(
                "<success>true</success><responseDataType>XML</responseDataType>",
                namespace="urn:types.ws.web.omi.co.jp",
            ),
            "not from the MI service",
        ),
        (
            {"Content-Type": "multipart/related; boundary=b"},
            b"--b\r\nContent-Type: text/xml\r\n\r\n<unterminated",
            "closing boundary",
        ),
        (
            XML,
            b"<!DOCTYPE d [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;'>]>"
            b"<d>&b;</d>",
            "no DTD or entities",
        ),
    ],
)
def test_unreadable_replies_are_malformed_response_errors(
    headers: dict[str, str], body: bytes, problem: str
) -> None:
    with pytest.raises(MalformedResponseError, match=problem):
        read_response(headers, body, Interface.MI)


READ_BACK = "<success>true</success><responseDataType>XML</responseDataType>"
FAULT = (
    b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><e:Fault>'
    b"<faultcode>e:Server</faultcode><faultstring>one</faultstring>"
    b"<faultstring>two</faultstring></e:Fault></e:Body></e:Envelope>"
)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (_response(READ_BACK + "<success>false</success>"), "the SOAP body holds <success> twice"),
        (
            _response(
                READ_BACK + "<responseData>PGEvPg==</responseData><responseData>PGIvPg=="
                "</responseData>"
            ),
            "the SOAP body holds <responseData> twice",
        ),
        (
            _response(READ_BACK + "<responseDataType>CSV</responseDataType>"),
            "the SOAP body holds <responseDataType> twice",
        ),
        (
            _response(
                READ_BACK + ATTACHMENT + ATTACHMENT.replace("</name>", "</name><name>b</name>")
            ),
            "attachmentData[2] holds <name> twice",
        ),
        (
            _response(
                READ_BACK + ATTACHMENT.replace("<name>", "<binaryData>Qg==</binaryData><name>")
            ),
            "attachmentData[1] holds <binaryData> twice",
        ),
        (FAULT, "the SOAP Fault holds <faultstring> twice"),
    ],
    ids=[
        "success",
        "responseData",
        "responseDataType",
        "attachment-name",
        "attachment-data",
        "fault",
    ],
)
def test_a_reply_holding_a_field_twice_is_refused(body: bytes, problem: str) -> None:
    """Which of two values the MMS meant is not a guess the client makes: a reply that says
    ``success`` twice, or carries two reports, is not one the WSDL allows."""
    with pytest.raises(MalformedResponseError) as raised:
        read_response(XML, body, Interface.MI)
    assert str(raised.value) == f"unreadable MMS reply: {problem}"
    assert not is_fault(XML, body, Interface.MI)


@pytest.mark.parametrize("size", [0, 9 * 1024 * 1024], ids=["as a tree", "streamed"])
def test_a_malformed_envelope_is_given_its_position_once(size: int) -> None:
    """Small envelopes are parsed into a tree, large ones (over 8 MiB) streamed; either way
    the error says where the XML broke, once."""
    padding = f"<!--{' ' * size}-->"  # a comment: text that large is refused before
    body = _response(f"<success>true</success>{padding}<broken x='1'</broken>")
    with pytest.raises(MalformedResponseError) as caught:
        read_response(XML, body, Interface.MI)
    (position,) = re.findall(r"line \d+, column \d+", str(caught.value))
    assert str(caught.value).endswith(f"{position}: well-formed XML: attributes construct error")


def test_reply_size_is_bounded() -> None:
    message = build_response(Interface.MI, ResponseAttInfo(True, "XML", response_data=PAYLOAD))
    with pytest.raises(MalformedResponseError, match="at most 100"):
        read_response(message.headers, message.body, Interface.MI, MultipartLimits(100))
    mtom = build_response(
        Interface.MI, ResponseAttInfo(True, "XML", response_data=PAYLOAD), mtom=True
    )
    with pytest.raises(MalformedResponseError, match="at most 100"):
        read_response(mtom.headers, mtom.body, Interface.MI, MultipartLimits(100))


def ambiguous(message: HttpMessage, flaw: str) -> tuple[dict[str, str], bytes]:
    """``message``, an MTOM request or reply, made ambiguous: with a second part of the
    Content-ID of its last part, holding other bytes (``duplicate``), or with a ``start``
    parameter that names no part (``start``)."""
    content_type = message.headers["Content-Type"]
    _, parameters = parse_header_value(content_type)
    parts = read_multipart(message.body, parameters["boundary"])
    if flaw == "duplicate":
        parts.append(Part(parts[-1].headers, b"<MarketData>another</MarketData>"))
    else:
        content_type = content_type.replace(parameters["start"], "<nobody@example.com>")
    boundary, body = write_multipart(parts)
    content_type = content_type.replace(parameters["boundary"], boundary)
    return {**message.headers, "Content-Type": content_type}, body


AMBIGUITIES = {
    "duplicate": r"parts 2 and 3 have the same Content-ID '[0-9a-f]+-(payload|part0)@example.com'",
    "start": r"the multipart start parameter '<nobody@example.com>' names no part",
}


@pytest.mark.parametrize("flaw", AMBIGUITIES)
def test_an_ambiguous_mtom_request_is_refused(flaw: str) -> None:
    """Which part is the envelope, or the signed payload, must not be a guess."""
    message = build_request(Interface.MI, INFO, PAYLOAD, domain="example.com")
    headers, body = ambiguous(message, flaw)
    with pytest.raises(
        MalformedRequestError, match=f"^unreadable MMS request: {AMBIGUITIES[flaw]}$"
    ):
        parse_request(headers, body)


@pytest.mark.parametrize("flaw", AMBIGUITIES)
def test_an_ambiguous_mtom_reply_is_refused(flaw: str) -> None:
    info = ResponseAttInfo(True, "XML", response_data=PAYLOAD)
    message = build_response(Interface.MI, info, mtom=True, domain="example.com")
    headers, body = ambiguous(message, flaw)
    with pytest.raises(
        MalformedResponseError, match=f"^unreadable MMS reply: {AMBIGUITIES[flaw]}$"
    ):
        read_response(headers, body, Interface.MI)
