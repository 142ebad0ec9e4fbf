"""One request/response exchange with the MMS, as two pure steps around the I/O.

:func:`prepare` turns an operation and its payload into the exact HTTP message to send
(audience check, validated document, canonical bytes, signature, MTOM framing); nothing is
sent if any of it fails. :func:`interpret` turns the HTTP reply into a :class:`Response` or
the error the MMS meant (TXT and SOAP faults, failed validation). The sync and async clients
call the same two functions and differ only in how they wait for the transport.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from mms_client.endpoints import ClientType, Interface
from mms_client.errors import (
    AudienceError,
    MalformedResponseError,
    MMSServerError,
    MMSValidationError,
    PayloadError,
)
from mms_client.jst import JST
from mms_client.judgement import Message, Statistics, Verdict, judge
from mms_client.operations import OPERATIONS, Operation, get_operation
from mms_client.schema import root_model
from mms_client.schema.binding import XmlModel
from mms_client.schema.codec import parse_xml, read, write
from mms_client.security.certs import Certificate
from mms_client.security.signing import sign
from mms_client.wire.soap import (
    Attachment,
    HttpMessage,
    RequestAttInfo,
    SoapFault,
    build_request,
    read_response,
)

logger = logging.getLogger("mms_client")


@dataclass(frozen=True)
class Caller:
    """Who sends requests: the identity the payload names and the key that signs it."""

    participant: str
    user: str
    client_type: ClientType
    certificate: Certificate
    is_admin: bool = False
    domain: str = "mms-client"


@dataclass(frozen=True)
class PreparedRequest:
    """A request ready to go: the operation, the signed payload and the HTTP message."""

    operation: Operation
    payload: bytes
    message: HttpMessage

    @property
    def interface(self) -> Interface:
        return self.operation.interface

    @property
    def resendable(self) -> bool:
        """Whether the MMS may safely process this request twice (it only reads)."""
        return is_read_only(self.operation)


@dataclass(frozen=True)
class Response:
    """A successful answer of the MMS.

    ``items`` are the answer items of the operation (the echoed offers of a submit, the
    offers found by a query...); ``document`` is the whole typed reply; ``messages`` holds the
    Warning and Information messages (also logged); ``data`` the raw reply payload.
    """

    operation: Operation
    items: list[Any]
    document: XmlModel | None
    messages: tuple[Message, ...] = ()
    statistics: Statistics | None = None
    attachments: tuple[Attachment, ...] = ()
    data: bytes = field(default=b"", repr=False)
    data_type: str = "XML"
    filename: str | None = None


def is_read_only(operation: Operation) -> bool:
    """Queries and report look-ups and downloads only read; creating a report does not."""
    return operation.kind == "query" or (
        operation.kind == "report" and not operation.method.startswith("create_")
    )


def resolve_operation(
    operation: str | Operation, payload: Any, interface: Interface | str | None = None
) -> Operation:
    """The registry operation meant: by record or by name; for the names MI and OMI share,
    by ``interface`` or else by the class of the payload (an OMI model means OMI)."""
    if isinstance(operation, Operation):
        return operation
    if interface is not None:
        return get_operation(operation, interface)
    candidates = [o for o in OPERATIONS if o.name == operation]
    if len(candidates) > 1:
        sample = payload[0] if isinstance(payload, list | tuple) and payload else payload
        matching = [o for o in candidates if type(sample) is o.payload_model]
        if len(matching) == 1:
            return matching[0]
    return get_operation(operation)


def check_audience(operation: Operation, client_type: ClientType) -> None:
    """Refuse, before anything is built or sent, an operation this client type may not call."""
    if client_type not in operation.audiences:
        allowed = sorted(audience.value for audience in operation.audiences)
        raise AudienceError(operation.name, client_type.value, allowed)


def envelope_fields(
    operation: Operation, caller: Caller, given: Mapping[str, Any]
) -> dict[str, Any]:
    """The envelope attributes to send: ``given`` (None values dropped), completed with the
    caller's participant and user and, where the envelope requires a date, today in Japan."""
    fields = {name: value for name, value in given.items() if value is not None}
    model_fields = operation.envelope_model.model_fields
    defaults = {
        "participant_name": caller.participant,
        "user_name": caller.user,
        "date": dt.datetime.now(JST).date(),
    }
    for name, value in defaults.items():
        info = model_fields.get(name)
        if info is not None and name not in fields and (name != "date" or info.is_required()):
            fields[name] = value
    return fields


def prepare(
    operation: Operation,
    caller: Caller,
    payload: Any,
    envelope: Mapping[str, Any],
    attachments: Sequence[Attachment] = (),
) -> PreparedRequest:
    """Build, validate, sign and frame one request (see the module docstring)."""
    check_audience(operation, caller.client_type)
    document = operation.request_document(payload, **envelope_fields(operation, caller, envelope))
    data = write(document)
    key = caller.certificate.private_key
    info = RequestAttInfo(
        request_type=operation.request_type,
        request_signature=sign(data, key),
        admin_role=caller.is_admin,
    )
    signed = [
        a if a.signature is not None else replace(a, signature=sign(a.data, key))
        for a in attachments
    ]
    message = build_request(operation.interface, info, data, signed, domain=caller.domain)
    return PreparedRequest(operation, data, message)


def interpret(prepared: PreparedRequest, headers: Mapping[str, str], body: bytes) -> Response:
    """The :class:`Response` of a reply (its HTTP headers and body), or the error the MMS
    answered with."""
    operation = prepared.operation
    answer = read_response(headers, body, operation.interface)
    if isinstance(answer, SoapFault):
        detail = f" ({answer.detail})" if answer.detail else ""
        raise MMSServerError(operation.name, f"SOAP fault {answer.code}: {answer.message}{detail}")
    data = answer.response_data or b""
    if answer.response_data_type == "TXT":
        text = data.decode("utf-8", errors="replace").strip()
        raise MMSServerError(operation.name, text or "the MMS refused the request (no text)")
    if answer.response_compressed:
        raise MalformedResponseError(
            f"{operation.name}: the reply is compressed, which was not requested"
        )
    if answer.response_data_type != "XML":
        if not answer.success:
            raise MMSServerError(operation.name, "the MMS reported failure")
        return Response(
            operation,
            items=[],
            document=None,
            attachments=answer.attachments,
            data=data,
            data_type=answer.response_data_type,
            filename=answer.response_filename,
        )
    if not data:
        if not answer.success:
            raise MMSServerError(operation.name, "the MMS reported failure without any data")
        raise MalformedResponseError(f"{operation.name}: the reply carries no payload")

    try:
        root = parse_xml(data)
    except PayloadError as exc:
        raise MalformedResponseError(
            f"{operation.name}: the reply payload is unreadable: {exc}"
        ) from None
    verdict = judge(root)
    _log(operation, verdict)
    try:
        document: XmlModel | None = read(root, root_model(operation.response.schema))
        unreadable: PayloadError | None = None
    except PayloadError as exc:
        document, unreadable = None, exc
    reasons = list(verdict.reasons)
    if not answer.success:
        reasons.append("ResponseAttInfo/success is false")
    if reasons:
        raise MMSValidationError(operation.name, "; ".join(reasons), verdict.messages, document)
    if document is None:
        raise MalformedResponseError(
            f"{operation.name}: the reply does not fit the {operation.response.schema} schema: "
            f"{unreadable}"
        )
    return Response(
        operation,
        items=operation.response_items(document),
        document=document,
        messages=verdict.messages,
        statistics=verdict.statistics,
        attachments=answer.attachments,
        data=data,
        data_type=answer.response_data_type,
        filename=answer.response_filename,
    )


def _log(operation: Operation, verdict: Verdict) -> None:
    for message in verdict.messages:
        if message.severity == "Warning":
            logger.warning("%s: %s", operation.name, message)
        elif message.severity == "Information":
            logger.info("%s: %s", operation.name, message)
