"""The SOAP 1.1 layer of the MMS: ``RequestAttInfo`` out, ``ResponseAttInfo`` or a fault back.

Both MMS services expose one operation, ``submitAttachment``; everything that matters travels
in the signed payload. This module turns a payload (plus signature and attachments) into the
HTTP headers and body of a request, and reads such a request back (for the simulator); it
builds responses (for the simulator) and reads them back (for the client). All of it is pure:
bytes and headers in, bytes and headers or dataclasses out; the one exception is
:meth:`Attachment.from_file`, a convenience for the callers at the edge, which reads a file.

Requests are always MTOM (``multipart/related``, the payload as a binary XOP part), which is
what the MMS receives from every known client. Responses are read in every form a SOAP stack
may choose: inline base64 ``responseData`` in a plain ``text/xml`` envelope, or MTOM parts.

Envelopes are read by :mod:`mms_client.wire.envelope` (no DTDs, no entities, no network,
bounded size, binary fields streamed into blobs); broken or hostile input becomes
:class:`MalformedRequestError` on the request side and :class:`MalformedResponseError` on the
response side, never a hang. :func:`read_stored_response` reads every reply the client
receives, from a seekable file (its body in memory, or spooled to disk for a download), and
leaves its binary content in blobs (files, for a download saved with ``to=``);
:func:`read_response` reads a reply whole into memory, for looking at it (:func:`is_fault`).
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import BinaryIO, Final

import pybase64
from lxml import etree

from mms_client.endpoints import Interface
from mms_client.errors import (
    FieldError,
    MalformedRequestError,
    MalformedResponseError,
    PayloadError,
)
from mms_client.wire.blobs import Blob, BlobStore, MemoryStore
from mms_client.wire.envelope import (
    SOAP_ENVELOPE_NS,
    XOP_NS,
    Envelope,
    all_text,
    local_name,
    read_envelope,
    text_of,
)
from mms_client.wire.mime import (
    DEFAULT_LIMITS,
    MimeFormatError,
    MultipartLimits,
    Part,
    find_header,
    new_content_id,
    write_multipart,
)
from mms_client.xmlparse import NOT_XML

__all__ = [
    "FAULT_STATUS",
    "MAX_ATTACHMENTS",
    "RESPONSE_DATA_TYPES",
    "SOAP_ACTIONS",
    "SOAP_ENVELOPE_NS",
    "TYPES_NAMESPACES",
    "XOP_NS",
    "Attachment",
    "HttpMessage",
    "ParsedRequest",
    "ReceivedFile",
    "RequestAttInfo",
    "ResponseAttInfo",
    "SoapFault",
    "StoredResponse",
    "build_fault",
    "build_request",
    "build_response",
    "check_attachments",
    "is_fault",
    "parse_request",
    "read_response",
    "read_stored_response",
]

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


_NAME_SHOWN = 255
"""How much of a file name an error shows: a file system's longest name."""


@dataclass(frozen=True)
class Attachment:
    """A file sent beside the payload (``attachmentData``); ``signature`` signs ``data`` like
    the payload's (the client signs attachments that have none)."""

    name: str
    data: bytes = field(repr=False)
    signature: str | None = None

    def __post_init__(self) -> None:
        # checked here, where the mistake is made: otherwise a number for a name fails deep
        # in framing, and text for data only when it is signed
        if not isinstance(self.name, str):
            raise TypeError(f"Attachment name must be a str, not {type(self.name).__name__}")
        if isinstance(self.data, bytearray | memoryview):
            object.__setattr__(self, "data", bytes(self.data))
        elif not isinstance(self.data, bytes):
            raise TypeError(
                f"Attachment {self._shown_name()}: data must be bytes, not "
                f"{type(self.data).__name__}"
                + (" (encode the text first)" if isinstance(self.data, str) else "")
            )
        if self.signature is not None and not isinstance(self.signature, str):
            raise TypeError(
                f"Attachment {self._shown_name()}: signature must be base64 text (str) or None, "
                f"not {type(self.signature).__name__}"
            )

    def _shown_name(self) -> str:
        """The name as a message shows it: whole for any real file name, and bounded."""
        return repr(self.name[:_NAME_SHOWN]) + ("..." if len(self.name) > _NAME_SHOWN else "")

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], name: str | None = None) -> Attachment:
        """The file at ``path``, sent under its own name unless ``name`` is given."""
        file = Path(path)
        return cls(name or file.name, file.read_bytes())


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
class _ResponseFields:
    """The ``ResponseAttInfo`` fields that read the same wherever its binary content is kept
    (in memory: :class:`ResponseAttInfo`; in blobs: :class:`StoredResponse`)."""

    success: bool
    response_data_type: str
    warnings: bool = False
    response_binary: bool = False
    response_compressed: bool = False
    response_filename: str | None = None


@dataclass(frozen=True)
class ResponseAttInfo(_ResponseFields):
    """The ``ResponseAttInfo`` of a reply, with ``response_data`` already decoded."""

    response_data: bytes | None = None
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class ReceivedFile:
    """A file a reply carries (``attachmentData``), its content in a blob."""

    name: str
    blob: Blob
    signature: str | None = None

    def attachment(self) -> Attachment:
        """The file with its bytes in memory."""
        return Attachment(self.name, self.blob.read_bytes(), self.signature)


@dataclass(frozen=True)
class StoredResponse(_ResponseFields):
    """A ``ResponseAttInfo`` whose binary content (``responseData`` and the attachments) was
    decoded into blobs of a :class:`~mms_client.wire.blobs.BlobStore`."""

    response_data: Blob | None = None
    attachments: tuple[ReceivedFile, ...] = ()


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


def check_attachment_count(interface: Interface, count: int) -> None:
    """Refuse ``count`` attachments if a request of ``interface`` cannot carry that many:
    checked before the files are even read."""
    limit = MAX_ATTACHMENTS[interface]
    if count > limit:
        raise PayloadError(
            f"too many attachments for {interface}",
            [FieldError("attachmentData", count, f"at most {limit} attachments")],
        )


def check_attachments(interface: Interface, attachments: Sequence[Attachment]) -> None:
    """Refuse attachments no request can carry: more than ``interface`` takes, two of one
    name (the MMS knows a file by its name alone and could take either), or a name or
    signature XML cannot hold. Cheap, so that it comes before each attachment is signed (a
    request of thousands fails at once)."""
    check_attachment_count(interface, len(attachments))
    first: dict[str, int] = {}
    repeated = [
        FieldError(
            f"attachmentData[{number}]/name",
            attachment.name,
            f"a name no other attachment has (attachmentData[{earlier}] has it too)",
        )
        for number, attachment in enumerate(attachments, start=1)
        if (earlier := first.setdefault(attachment.name, number)) != number
    ]
    if repeated:
        raise PayloadError("two attachments of the same name: the MMS could take either", repeated)
    unwritable = [
        FieldError(
            f"attachmentData[{number}]/{name}", text, "holds a character XML 1.0 cannot carry"
        )
        for number, attachment in enumerate(attachments, start=1)
        for name, text in (("name", attachment.name), ("signature", attachment.signature))
        if text is not None and NOT_XML.search(text)
    ]
    if unwritable:
        raise PayloadError("an attachment cannot be sent", unwritable)


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
    check_attachments(interface, attachments)
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
        _part(_ROOT_TYPE, root_id, envelope),
        _part(_BINARY_TYPE, payload_id, payload),
        *(
            _part(_BINARY_TYPE, content_id, attachment.data)
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
        envelope = read_envelope(headers, io.BytesIO(body), limits, MemoryStore())
        content = envelope.content
        interface = _interface_of(content, "RequestAttInfo")
        action = (find_header(headers.items(), "SOAPAction") or "").strip().strip('"')
        if action and action != SOAP_ACTIONS[interface]:
            # Axis2, which serves the MMS, dispatches on the action too and faults an unknown one
            raise MimeFormatError(
                f"SOAPAction {action!r} does not belong to the {interface} service of the body "
                f"({SOAP_ACTIONS[interface]})"
            )
        children = _children(content)
        info = RequestAttInfo(
            request_type=_required_text(children, "requestType"),
            admin_role=_required_boolean(children, "adminRole"),
            request_data_compressed=_required_boolean(children, "requestDataCompressed"),
            request_data_type=_required_text(children, "requestDataType"),
            send_request_data_on_success=_required_boolean(children, "sendRequestDataOnSuccess"),
            send_response_data_compressed=_required_boolean(children, "sendResponseDataCompressed"),
            request_signature=_optional_text(children, "requestSignature"),
        )
        payload = envelope.binary(_required(children, "requestData")).read_bytes()
        attachments = tuple(
            received.attachment()
            for received in _attachments(envelope, children, MAX_ATTACHMENTS[interface])
        )
    except MimeFormatError as exc:
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
            return pybase64.b64encode(data).decode("ascii")
        content_id = new_content_id(domain, f"-part{len(parts)}")
        parts.append(_part(_BINARY_TYPE, content_id, data))
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
    boundary, body = write_multipart([_part(_ROOT_TYPE, root_id, envelope), *parts])
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


def read_stored_response(
    headers: Mapping[str, str],
    source: BinaryIO,
    interface: Interface,
    store: BlobStore,
    limits: MultipartLimits = DEFAULT_LIMITS,
) -> StoredResponse | SoapFault:
    """Read a reply of the ``interface`` service from ``source`` (its HTTP body, seekable):
    its ``ResponseAttInfo``, with the binary content decoded into blobs of ``store``, or its
    SOAP fault."""
    try:
        envelope = read_envelope(headers, source, limits, store)
        content = envelope.content
        if content.tag == f"{{{SOAP_ENVELOPE_NS}}}Fault":
            return _fault(content)
        if _interface_of(content, "ResponseAttInfo") is not interface:
            raise MimeFormatError(f"the reply is not from the {interface} service")
        children = _children(content)
        data_type = _required_text(children, "responseDataType")
        if data_type not in RESPONSE_DATA_TYPES:
            raise MimeFormatError(f"unknown responseDataType {data_type!r}")
        data = children.get("responseData")
        return StoredResponse(
            success=_required_boolean(children, "success"),
            warnings=_optional_boolean(children, "warnings"),
            response_binary=_optional_boolean(children, "responseBinary"),
            response_compressed=_optional_boolean(children, "responseCompressed"),
            response_data_type=data_type,
            response_filename=_optional_text(children, "responseFilename"),
            response_data=None if data is None else envelope.binary(data),
            attachments=_attachments(envelope, children, MAX_ATTACHMENTS[interface]),
        )
    except MimeFormatError as exc:
        raise MalformedResponseError(f"unreadable MMS reply: {exc}") from None


def read_response(
    headers: Mapping[str, str],
    body: bytes,
    interface: Interface,
    limits: MultipartLimits = DEFAULT_LIMITS,
) -> ResponseAttInfo | SoapFault:
    """Read a reply of the ``interface`` service held in memory: its ``ResponseAttInfo`` or
    its SOAP fault, everything in memory. The client reads replies with
    :func:`read_stored_response`, which leaves binary content in blobs; this is for a reply
    looked at whole (:func:`is_fault`, tests, tools)."""
    stored = read_stored_response(headers, io.BytesIO(body), interface, MemoryStore(), limits)
    if isinstance(stored, SoapFault):
        return stored
    data = stored.response_data
    return ResponseAttInfo(
        **{shared.name: getattr(stored, shared.name) for shared in fields(_ResponseFields)},
        response_data=None if data is None else data.read_bytes(),
        attachments=tuple(received.attachment() for received in stored.attachments),
    )


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


_ROOT_TYPE = 'application/xop+xml; charset="utf-8"; type="text/xml"'
"""The Content-Type of the MTOM part that holds the SOAP envelope."""
_BINARY_TYPE = "application/octet-stream"
"""The Content-Type of an MTOM part that holds a payload or a file."""


def _part(content_type: str, content_id: str, body: bytes) -> Part:
    """An MTOM part, its ``body`` sent as it is (binary)."""
    return Part(
        (
            ("Content-Type", content_type),
            ("Content-Transfer-Encoding", "binary"),
            ("Content-ID", f"<{content_id}>"),
        ),
        body,
    )


def _multipart_content_type(boundary: str, root_id: str) -> str:
    return (
        'multipart/related; charset="UTF-8"; type="application/xop+xml"; '
        f'start="<{root_id}>"; boundary="{boundary}"; start-info="application/soap+xml"'
    )


def _interface_of(element: etree._Element, expected: str) -> Interface:
    namespace, _, local = element.tag[1:].rpartition("}")
    interface = _INTERFACE_BY_NAMESPACE.get(namespace)
    if local != expected or interface is None:
        raise MimeFormatError(f"the SOAP Body holds {element.tag!r}, not an MMS {expected}")
    return interface


_REPEATABLE: Final = frozenset({"attachmentData"})
"""The one field the WSDL lets come more than once (its files, read by :func:`_attachments`)."""


_FAULT_FIELDS: Final = frozenset({"faultcode", "faultstring", "faultactor", "detail"})
"""The subelements of a SOAP 1.1 Fault. It may carry others, namespace-qualified, as many of
a name as the server likes: they are not read."""


def _children(
    element: etree._Element, where: str = "the SOAP body", read: frozenset[str] | None = None
) -> dict[str, etree._Element]:
    """The child elements by local name (those named in ``read``, if given), the first of a
    name that may repeat (:data:`_REPEATABLE`). A second of any other name is refused, naming
    ``where`` it was found: which of two the sender meant is not a guess to make (the MMS,
    which takes each once, would refuse a request that holds two, and a signature checked on
    the first requestData would leave the second unseen)."""
    children: dict[str, etree._Element] = {}
    for child in element:
        tag = child.tag
        if tag.__class__ is str:  # not a comment or processing instruction
            name = local_name(tag)
            if read is not None and name not in read:
                continue
            if name not in children:
                children[name] = child
            elif name not in _REPEATABLE:
                raise MimeFormatError(f"{where} holds <{name}> twice")
    return children


def _required(children: Mapping[str, etree._Element], name: str) -> etree._Element:
    child = children.get(name)
    if child is None:
        raise MimeFormatError(f"the SOAP body lacks <{name}>")
    return child


def _required_text(children: Mapping[str, etree._Element], name: str) -> str:
    return text_of(_required(children, name)).strip()


def _optional_text(children: Mapping[str, etree._Element], name: str) -> str | None:
    child = children.get(name)
    return None if child is None else text_of(child).strip()


def _parse_boolean(element: etree._Element) -> bool:
    text = text_of(element).strip()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise MimeFormatError(f"<{local_name(element.tag)}> is not a boolean: {text[:40]!r}")


def _required_boolean(children: Mapping[str, etree._Element], name: str) -> bool:
    return _parse_boolean(_required(children, name))


def _optional_boolean(children: Mapping[str, etree._Element], name: str) -> bool:
    child = children.get(name)
    return False if child is None else _parse_boolean(child)


def _attachments(
    envelope: Envelope, children: Mapping[str, etree._Element], limit: int
) -> tuple[ReceivedFile, ...]:
    """The files of ``envelope``, whose content's children by name are ``children``: only a
    body that has one is looked through for all of them (most have none)."""
    if "attachmentData" not in children:
        return ()
    found = [
        child
        for child in envelope.content
        if child.tag.__class__ is str and local_name(child.tag) == "attachmentData"
    ]
    if len(found) > limit:
        raise MimeFormatError(f"{len(found)} attachments; at most {limit} are allowed")
    received = []
    for number, element in enumerate(found, start=1):
        fields = _children(element, f"attachmentData[{number}]")
        data = fields.get("binaryData")
        received.append(
            ReceivedFile(
                name=_optional_text(fields, "name") or "",
                blob=Blob(0, content=b"") if data is None else envelope.binary(data),
                signature=_optional_text(fields, "signature"),
            )
        )
    return tuple(received)


def _fault(element: etree._Element) -> SoapFault:
    """The SOAP 1.1 ``Fault`` ``element`` as a :class:`SoapFault`: its fields, each at most
    once, and none of the other subelements a server may add."""
    children = _children(element, "the SOAP Fault", read=_FAULT_FIELDS)
    detail = children.get("detail")
    return SoapFault(
        code=_optional_text(children, "faultcode") or "",
        message=_optional_text(children, "faultstring") or "",
        detail=None if detail is None else " ".join(all_text(detail).split()) or None,
    )
