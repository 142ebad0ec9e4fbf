"""The SOAP 1.1 layer of the MMS: ``RequestAttInfo`` out, ``ResponseAttInfo`` or a fault back.

Both MMS services expose one operation, ``submitAttachment``; everything that matters travels
in the signed payload. This module turns a payload (plus signature and attachments) into the
HTTP headers and body of a request, and reads such a request back (for the simulator); it
builds responses (for the simulator) and reads them back (for the client). All of it is pure:
bytes and headers in, bytes and headers or dataclasses out.

Requests are always MTOM (``multipart/related``, the payload as a binary XOP part), which is
what the MMS receives from every known client. Responses are read in every form a SOAP stack
may choose: inline base64 ``responseData`` in a plain ``text/xml`` envelope, or MTOM parts.

XML is parsed with the project's hardened parser (no DTDs, no entities, no network, bounded
size); broken or hostile input becomes :class:`MalformedRequestError` on the request side and
:class:`MalformedResponseError` on the response side, never a hang.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final
from urllib.parse import unquote

from mms_client.endpoints import Interface
from mms_client.errors import (
    FieldError,
    MalformedRequestError,
    MalformedResponseError,
    PayloadError,
)
from mms_client.wire.mime import (
    DEFAULT_LIMITS,
    MimeFormatError,
    MultipartLimits,
    Part,
    new_content_id,
    parse_header_value,
    read_multipart,
    write_multipart,
)

if TYPE_CHECKING:
    from lxml.etree import _Element

SOAP_ENVELOPE_NS: Final = "http://schemas.xmlsoap.org/soap/envelope/"
XOP_NS: Final = "http://www.w3.org/2004/08/xop/include"

#: The namespace of ``RequestAttInfo``/``ResponseAttInfo`` per service (children are unqualified).
TYPES_NAMESPACES: Final[Mapping[Interface, str]] = {
    Interface.MI: "urn:abb.com:project/mms/types",
    Interface.OMI: "urn:types.ws.web.omi.co.jp",
}
SOAP_ACTIONS: Final[Mapping[Interface, str]] = {
    Interface.MI: "urn:abb.com:project/mms/submitAttachment",
    Interface.OMI: "urn:ws.web.omi.co.jp:submitAttachment",
}
#: Most attachments one request or response may carry (WSDL ``attachmentData`` maxOccurs).
MAX_ATTACHMENTS: Final[Mapping[Interface, int]] = {Interface.MI: 40, Interface.OMI: 20}
#: HTTP status of a SOAP 1.1 fault reply.
FAULT_STATUS: Final = 500
#: ``responseDataType`` values of the WSDL.
RESPONSE_DATA_TYPES: Final = frozenset({"XML", "HTML", "CSV", "JSON", "TXT"})

_INTERFACE_BY_NAMESPACE = {namespace: key for key, namespace in TYPES_NAMESPACES.items()}
_INTERFACE_BY_ACTION = {action: key for key, action in SOAP_ACTIONS.items()}
_XML_CONTENT_TYPES = frozenset({"text/xml", "application/soap+xml", "application/xop+xml"})


@dataclass(frozen=True)
class Attachment:
    """A file sent beside the payload; ``signature`` signs ``data`` like the payload's."""

    name: str
    data: bytes
    signature: str | None = None


@dataclass(frozen=True)
class RequestAttInfo:
    """The ``RequestAttInfo`` fields other than the payload and attachments.

    The defaults are what the MMS expects from a participant: an uncompressed XML payload and
    no echo of the request data on success.
    """

    request_type: str
    request_signature: str | None
    admin_role: bool = False
    request_data_compressed: bool = False
    request_data_type: str = "XML"
    send_request_data_on_success: bool = False
    send_response_data_compressed: bool = False


@dataclass(frozen=True)
class ResponseAttInfo:
    """The ``ResponseAttInfo`` of a reply, with ``response_data`` already decoded."""

    success: bool
    response_data_type: str
    warnings: bool = False
    response_binary: bool = False
    response_compressed: bool = False
    response_filename: str | None = None
    response_data: bytes | None = None
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class SoapFault:
    """A SOAP 1.1 fault: ``faultcode``, ``faultstring`` and the text of ``detail``."""

    code: str
    message: str
    detail: str | None = None


@dataclass(frozen=True)
class HttpMessage:
    """Headers and body of one HTTP request or response."""

    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class ParsedRequest:
    """What a server needs from a received request."""

    interface: Interface
    info: RequestAttInfo
    payload: bytes
    attachments: tuple[Attachment, ...] = field(default=())


# ---------------------------------------------------------------------------------- requests


def build_request(
    interface: Interface,
    info: RequestAttInfo,
    payload: bytes,
    attachments: Sequence[Attachment] = (),
    *,
    domain: str,
) -> HttpMessage:
    """The HTTP headers and MTOM body of one ``submitAttachment`` request.

    ``payload`` travels unchanged as a binary part, so the signature in ``info`` stays valid
    byte for byte; ``domain`` only appears in the Content-IDs.
    """
    limit = MAX_ATTACHMENTS[interface]
    if len(attachments) > limit:
        raise PayloadError(
            f"too many attachments for {interface}",
            [FieldError("attachmentData", len(attachments), f"at most {limit} attachments")],
        )
    root_id = new_content_id(domain)
    payload_id = new_content_id(domain, "-payload")
    attachment_ids = [new_content_id(domain, f"-attachment{n}") for n in range(len(attachments))]
    fields = [
        _element("requestType", info.request_type),
        _element("adminRole", _boolean(info.admin_role)),
        _element("requestDataCompressed", _boolean(info.request_data_compressed)),
        _element("requestDataType", info.request_data_type),
        _element("sendRequestDataOnSuccess", _boolean(info.send_request_data_on_success)),
        _element("sendResponseDataCompressed", _boolean(info.send_response_data_compressed)),
    ]
    if info.request_signature is not None:
        fields.append(_element("requestSignature", info.request_signature))
    fields.append(f"<requestData>{_xop_include(payload_id)}</requestData>")
    fields.extend(
        _attachment_xml(attachment, _xop_include(content_id))
        for attachment, content_id in zip(attachments, attachment_ids, strict=True)
    )
    envelope = _envelope("RequestAttInfo", interface, fields)
    parts = [
        _root_part(root_id, envelope),
        _binary_part(payload_id, payload),
        *(
            _binary_part(content_id, attachment.data)
            for attachment, content_id in zip(attachments, attachment_ids, strict=True)
        ),
    ]
    boundary, body = write_multipart(parts)
    return HttpMessage(
        {
            "SOAPAction": f'"{SOAP_ACTIONS[interface]}"',
            "Content-Type": _multipart_content_type(boundary, root_id),
            "MIME-Version": "1.0",
        },
        body,
    )


def parse_request(
    headers: Mapping[str, str], body: bytes, limits: MultipartLimits = DEFAULT_LIMITS
) -> ParsedRequest:
    """Read a ``submitAttachment`` request as a server receives it.

    Accepts clean MTOM, the sloppy framing some clients send (bare LF line breaks, repeated
    headers), and plain SOAP with inline base64 ``requestData``. The interface is the namespace
    of ``RequestAttInfo``; a SOAPAction header, when present, must agree with it.
    """
    try:
        body_element, parts = _read_envelope(headers, body, limits)
        interface = _interface_of(body_element, "RequestAttInfo")
        action = _lower_keys(headers).get("soapaction", "").strip().strip('"')
        if action and _INTERFACE_BY_ACTION.get(action, interface) is not interface:
            raise MimeFormatError(
                f"SOAPAction {action!r} does not belong to the {interface} service of the body"
            )
        children = _children(body_element)
        info = RequestAttInfo(
            request_type=_required_text(children, "requestType"),
            admin_role=_required_boolean(children, "adminRole"),
            request_data_compressed=_required_boolean(children, "requestDataCompressed"),
            request_data_type=_required_text(children, "requestDataType"),
            send_request_data_on_success=_required_boolean(children, "sendRequestDataOnSuccess"),
            send_response_data_compressed=_required_boolean(children, "sendResponseDataCompressed"),
            request_signature=_optional_text(children, "requestSignature"),
        )
        payload = _binary(_required(children, "requestData"), parts)
        attachments = _attachments(body_element, parts, MAX_ATTACHMENTS[interface])
    except (MimeFormatError, PayloadError) as exc:
        raise MalformedRequestError(f"unreadable MMS request: {exc}") from None
    return ParsedRequest(interface, info, payload, attachments)


# --------------------------------------------------------------------------------- responses


def build_response(
    interface: Interface, info: ResponseAttInfo, *, mtom: bool = False, domain: str = "mms"
) -> HttpMessage:
    """The HTTP headers and body of a ``ResponseAttInfo`` reply.

    With ``mtom`` false (the default) ``responseData`` and attachments are inline base64 in a
    ``text/xml`` envelope; with ``mtom`` true they travel as binary MTOM parts.
    """
    parts: list[Part] = []

    def binary_xml(data: bytes) -> str:
        if not mtom:
            return base64.b64encode(data).decode("ascii")
        content_id = new_content_id(domain, f"-part{len(parts)}")
        parts.append(_binary_part(content_id, data))
        return _xop_include(content_id)

    fields = [
        _element("success", _boolean(info.success)),
        _element("warnings", _boolean(info.warnings)),
        _element("responseBinary", _boolean(info.response_binary)),
        _element("responseCompressed", _boolean(info.response_compressed)),
        _element("responseDataType", info.response_data_type),
    ]
    if info.response_filename is not None:
        fields.append(_element("responseFilename", info.response_filename))
    if info.response_data is not None:
        fields.append(f"<responseData>{binary_xml(info.response_data)}</responseData>")
    fields.extend(
        _attachment_xml(attachment, binary_xml(attachment.data)) for attachment in info.attachments
    )
    envelope = _envelope("ResponseAttInfo", interface, fields)
    if not mtom:
        return HttpMessage({"Content-Type": 'text/xml; charset="utf-8"'}, envelope)
    root_id = new_content_id(domain)
    boundary, body = write_multipart([_root_part(root_id, envelope), *parts])
    return HttpMessage(
        {"Content-Type": _multipart_content_type(boundary, root_id), "MIME-Version": "1.0"}, body
    )


def build_fault(fault: SoapFault) -> HttpMessage:
    """A SOAP 1.1 fault reply; send it with HTTP status :data:`FAULT_STATUS`."""
    detail = "" if fault.detail is None else _element("detail", fault.detail)
    body = (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENVELOPE_NS}"><soapenv:Body><soapenv:Fault>'
        f"{_element('faultcode', fault.code)}{_element('faultstring', fault.message)}{detail}"
        "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )
    return HttpMessage({"Content-Type": 'text/xml; charset="utf-8"'}, body.encode("utf-8"))


def read_response(
    headers: Mapping[str, str],
    body: bytes,
    interface: Interface,
    limits: MultipartLimits = DEFAULT_LIMITS,
) -> ResponseAttInfo | SoapFault:
    """Read a reply of the ``interface`` service: its ``ResponseAttInfo`` or its SOAP fault."""
    try:
        body_element, parts = _read_envelope(headers, body, limits)
        if body_element.tag == f"{{{SOAP_ENVELOPE_NS}}}Fault":
            return _fault(body_element)
        if _interface_of(body_element, "ResponseAttInfo") is not interface:
            raise MimeFormatError(f"the reply is not from the {interface} service")
        children = _children(body_element)
        data_type = _required_text(children, "responseDataType")
        if data_type not in RESPONSE_DATA_TYPES:
            raise MimeFormatError(f"unknown responseDataType {data_type!r}")
        data = children.get("responseData")
        return ResponseAttInfo(
            success=_required_boolean(children, "success"),
            warnings=_optional_boolean(children, "warnings"),
            response_binary=_optional_boolean(children, "responseBinary"),
            response_compressed=_optional_boolean(children, "responseCompressed"),
            response_data_type=data_type,
            response_filename=_optional_text(children, "responseFilename"),
            response_data=None if data is None else _binary(data, parts),
            attachments=_attachments(body_element, parts, MAX_ATTACHMENTS[interface]),
        )
    except (MimeFormatError, PayloadError) as exc:
        raise MalformedResponseError(f"unreadable MMS reply: {exc}") from None


def is_fault(headers: Mapping[str, str], body: bytes, interface: Interface) -> bool:
    """Whether a reply (typically with an HTTP error status) is a readable SOAP fault, i.e. an
    answer of the MMS rather than an error of some server or proxy in front of it."""
    try:
        return isinstance(read_response(headers, body, interface), SoapFault)
    except MalformedResponseError:
        return False


# ----------------------------------------------------------------------------------- helpers


def _boolean(value: bool) -> str:
    return "true" if value else "false"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _element(name: str, text: str) -> str:
    return f"<{name}>{_escape(text)}</{name}>"


def _xop_include(content_id: str) -> str:
    href = _escape(content_id).replace('"', "&quot;")
    return f'<xop:Include xmlns:xop="{XOP_NS}" href="cid:{href}"/>'


def _attachment_xml(attachment: Attachment, binary: str) -> str:
    signature = "" if attachment.signature is None else _element("signature", attachment.signature)
    return (
        f"<attachmentData><binaryData>{binary}</binaryData>{signature}"
        f"{_element('name', attachment.name)}</attachmentData>"
    )


def _envelope(element: str, interface: Interface, fields: Sequence[str]) -> bytes:
    return (
        f'<soap-env:Envelope xmlns:soap-env="{SOAP_ENVELOPE_NS}"><soap-env:Body>'
        f'<ns0:{element} xmlns:ns0="{TYPES_NAMESPACES[interface]}">{"".join(fields)}'
        f"</ns0:{element}></soap-env:Body></soap-env:Envelope>"
    ).encode()


def _root_part(content_id: str, envelope: bytes) -> Part:
    return Part(
        (
            ("Content-Type", 'application/xop+xml; charset="utf-8"; type="text/xml"'),
            ("Content-Transfer-Encoding", "binary"),
            ("Content-ID", f"<{content_id}>"),
        ),
        envelope,
    )


def _binary_part(content_id: str, data: bytes) -> Part:
    return Part(
        (
            ("Content-Type", "application/octet-stream"),
            ("Content-Transfer-Encoding", "binary"),
            ("Content-ID", f"<{content_id}>"),
        ),
        data,
    )


def _multipart_content_type(boundary: str, root_id: str) -> str:
    return (
        'multipart/related; charset="UTF-8"; type="application/xop+xml"; '
        f'start="<{root_id}>"; boundary="{boundary}"; start-info="application/soap+xml"'
    )


def _lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}


def _read_envelope(
    headers: Mapping[str, str], body: bytes, limits: MultipartLimits
) -> tuple[_Element, dict[str, bytes]]:
    """The element inside ``soap:Body`` and the MTOM parts by Content-ID."""
    from mms_client.schema.codec import parse_xml

    content_type = _lower_keys(headers).get("content-type")
    if content_type is None:
        raise MimeFormatError("no Content-Type header")
    media_type, parameters = parse_header_value(content_type)
    parts: dict[str, bytes] = {}
    if media_type == "multipart/related":
        boundary = parameters.get("boundary")
        if not boundary:
            raise MimeFormatError("multipart Content-Type without a boundary")
        received = read_multipart(body, boundary, limits)
        if not received:
            raise MimeFormatError("the multipart body has no parts")
        start = parameters.get("start", "").strip().removeprefix("<").removesuffix(">")
        root = next((p for p in received if start and p.content_id == start), received[0])
        for part in received:
            if part is not root and part.content_id is not None:
                parts[part.content_id] = part.body
        envelope_bytes = root.body
    elif media_type in _XML_CONTENT_TYPES:
        if len(body) > limits.max_body_bytes:
            raise MimeFormatError(
                f"the body has {len(body)} bytes; at most {limits.max_body_bytes} are accepted"
            )
        envelope_bytes = body
    else:
        raise MimeFormatError(f"unexpected Content-Type {media_type!r}")

    envelope = parse_xml(envelope_bytes)
    if envelope.tag != f"{{{SOAP_ENVELOPE_NS}}}Envelope":
        raise MimeFormatError(f"the document is not a SOAP 1.1 envelope but {envelope.tag!r}")
    soap_body = envelope.find(f"{{{SOAP_ENVELOPE_NS}}}Body")
    if soap_body is None:
        raise MimeFormatError("the SOAP envelope has no Body")
    content = next(_element_children(soap_body), None)
    if content is None:
        raise MimeFormatError("the SOAP Body is empty")
    return content, parts


def _element_children(element: _Element) -> Iterator[_Element]:
    return (child for child in element if isinstance(child.tag, str))


def _local_name(element: _Element) -> str:
    tag = element.tag
    assert isinstance(tag, str)
    return tag.rpartition("}")[2]


def _interface_of(element: _Element, expected: str) -> Interface:
    namespace, _, local = str(element.tag)[1:].rpartition("}")
    interface = _INTERFACE_BY_NAMESPACE.get(namespace)
    if local != expected or interface is None:
        raise MimeFormatError(f"the SOAP Body holds {element.tag!r}, not an MMS {expected}")
    return interface


def _children(element: _Element) -> dict[str, _Element]:
    """The child elements by local name (the first of each name; MMS children are unqualified,
    but a qualified child is read the same way)."""
    children: dict[str, _Element] = {}
    for child in _element_children(element):
        children.setdefault(_local_name(child), child)
    return children


def _required(children: Mapping[str, _Element], name: str) -> _Element:
    child = children.get(name)
    if child is None:
        raise MimeFormatError(f"the SOAP body lacks <{name}>")
    return child


def _text(element: _Element) -> str:
    return (element.text or "").strip()


def _required_text(children: Mapping[str, _Element], name: str) -> str:
    return _text(_required(children, name))


def _optional_text(children: Mapping[str, _Element], name: str) -> str | None:
    child = children.get(name)
    return None if child is None else _text(child)


def _parse_boolean(element: _Element) -> bool:
    text = _text(element)
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise MimeFormatError(f"<{_local_name(element)}> is not a boolean: {text[:40]!r}")


def _required_boolean(children: Mapping[str, _Element], name: str) -> bool:
    return _parse_boolean(_required(children, name))


def _optional_boolean(children: Mapping[str, _Element], name: str) -> bool:
    child = children.get(name)
    return False if child is None else _parse_boolean(child)


def _binary(element: _Element, parts: Mapping[str, bytes]) -> bytes:
    """The bytes of an ``xs:base64Binary`` element: an XOP reference or inline base64."""
    include = element.find(f"{{{XOP_NS}}}Include")
    if include is not None:
        href = include.get("href", "")
        if not href.startswith("cid:"):
            raise MimeFormatError(f"xop:Include href {href[:80]!r} is not a cid: URL")
        content_id = unquote(href[4:])
        try:
            return parts[content_id]
        except KeyError:
            raise MimeFormatError(f"no MIME part has the Content-ID {content_id[:80]!r}") from None
    try:
        return base64.b64decode("".join(_text(element).split()), validate=True)
    except (binascii.Error, ValueError):
        raise MimeFormatError(f"<{_local_name(element)}> is not valid base64") from None


def _attachments(
    element: _Element, parts: Mapping[str, bytes], limit: int
) -> tuple[Attachment, ...]:
    found = [
        child for child in _element_children(element) if _local_name(child) == "attachmentData"
    ]
    if len(found) > limit:
        raise MimeFormatError(f"{len(found)} attachments; at most {limit} are allowed")
    return tuple(_attachment(child, parts) for child in found)


def _attachment(element: _Element, parts: Mapping[str, bytes]) -> Attachment:
    children = _children(element)
    data = children.get("binaryData")
    return Attachment(
        name=_optional_text(children, "name") or "",
        data=b"" if data is None else _binary(data, parts),
        signature=_optional_text(children, "signature"),
    )


def _fault(element: _Element) -> SoapFault:
    children = _children(element)
    detail = children.get("detail")
    return SoapFault(
        code=_optional_text(children, "faultcode") or "",
        message=_optional_text(children, "faultstring") or "",
        detail=None
        if detail is None
        else " ".join("".join(map(str, detail.itertext())).split()) or None,
    )
