"""The MMS itself: from the bytes of a request to the bytes of its answer.

Checks run in the order the MMS runs them, and each kind of failure is answered the way the
MMS answers it:

==================================================  ===========================================
problem                                             answer
==================================================  ===========================================
the body is not a readable SOAP/MTOM request, or    SOAP 1.1 fault (HTTP 500), faultcode
one sent to the other service's path                ``soapenv:Client``
unknown requestType for the service, JSON or        ``responseDataType`` TXT with the error
compressed request data, a payload that is not      text (HTTP 200, ``success`` false)
well-formed XML or has the wrong root, a client
certificate that does not name ParticipantName/
UserName of the payload, an unknown user, an
adminRole request, a signature that does not
verify over the exact payload bytes
the payload breaks the schema (payload models,      payload document with ``Invalid="1"`` and
then the official XSD when available; without it,   document-level Error messages with codes
child elements out of their sequence's order),      (:class:`~mms_client.sim.calls.Code`)
carries no operation, the client type may not
call the operation, the simulator has no handler
for it
business rules (per item)                           the items echoed with ``Validation``/
                                                    ``Success`` and their Error messages
==================================================  ===========================================

(The TLS layer has already refused client certificates the simulator's CA did not issue, and
:mod:`mms_client.sim.asgi` requests that are not a POST to a service path, with plain HTTP.)

Processing is split in two so that injected faults can be placed around it:
:meth:`MmsService.receive` reads and authenticates a request without changing anything,
:meth:`MmsService.process` runs it and builds the answer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from lxml import etree

from mms_client.endpoints import SERVICE_PATHS, Interface
from mms_client.errors import MalformedRequestError, PayloadError, shown_problem
from mms_client.jst import format_jst
from mms_client.operations import OPERATIONS, Operation, identify
from mms_client.schema import codec, root_model
from mms_client.schema.binding import XmlModel, xml_plan
from mms_client.schema.files import Schema, compiled_xsd
from mms_client.security.signing import verify
from mms_client.sim.calls import Call, Code, Issue, Outcome, XmlDict
from mms_client.sim.clock import SimulatorClock
from mms_client.sim.handlers import handler_for
from mms_client.sim.pki import Identity, identity_of
from mms_client.sim.responses import (
    Clock,
    answer_document,
    new_transaction_id,
    refusal_document,
)
from mms_client.sim.sequence import misplaced_elements, order_issue
from mms_client.sim.store import AccessEntry, Store
from mms_client.wire.soap import (
    FAULT_STATUS,
    Attachment,
    ParsedRequest,
    ResponseAttInfo,
    SoapFault,
    build_fault,
    build_response,
    parse_request,
)

if TYPE_CHECKING:
    from pathlib import Path

    from lxml.etree import _Element

    from mms_client.sim.records import Handler

logger = logging.getLogger("mms_client.sim")

# Which payload schema a request type means on each service.
_SCHEMAS: dict[tuple[Interface, str], Schema] = {
    (op.interface, op.request_type): op.schema for op in OPERATIONS
}
# XSD messages listed per refused document; the rest are summarised.
_MAX_LISTED_ERRORS = 20
MTOM_THRESHOLD = 1024 * 1024
"""Answers carrying more bytes than this (a large report, downloaded files) send them as
binary MTOM parts even when inline answers are configured, as a server must to serve large
files without inflating them by base64."""


class ResponseEncoding(StrEnum):
    """How a response carries its payload.

    ``INLINE`` (the default) puts it base64-encoded in ``responseData`` of a plain
    ``text/xml`` SOAP envelope, the form the WSDL describes and every client reads; ``MTOM``
    sends it as a binary XOP part, as an Axis2 server with MTOM enabled does.
    """

    INLINE = "inline"
    MTOM = "mtom"


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status, headers, body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True)
class Incoming:
    """A request after :meth:`MmsService.receive`.

    ``operation`` and ``payload`` are what could be read (None otherwise: the payload is
    taken only once its signature verifies); ``participant`` and ``user`` are who sent it, as
    the client certificate names them, once the signature shows that the certificate's
    holder signed the request (registration payloads name no sender and report payloads no
    user, so the payload cannot say for every operation).  They serve fault matching and the
    journal.  ``answer`` is set when the request
    is refused at request level; otherwise ``request``, ``caller`` and either ``document`` or
    ``problems`` carry what processing needs.
    """

    started: float
    received_at: datetime
    transaction_id: str
    operation: str | None = None
    participant: str | None = None
    user: str | None = None
    payload: bytes | None = None
    answer: Reply | None = None
    request: ParsedRequest | None = None
    caller: Identity | None = None
    tree: _Element | None = None
    schema: Schema | None = None
    resolved: tuple[Operation, ...] = ()
    """The operations the request carries: one, or several kinds of registration item."""
    document: XmlModel | None = None
    problems: tuple[Issue, ...] = ()


def _header_map(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """HTTP headers by name; of repeated headers the first counts."""
    found: dict[str, str] = {}
    for name, value in headers:
        found.setdefault(name.lower(), value)
    return found


def _names(tree: _Element) -> tuple[str | None, str | None]:
    """ParticipantName and UserName as the request states them: on the envelope (a child of
    the root) or on the root itself (report requests, which have no UserName)."""
    for element in (tree, *tree):
        participant = element.get("ParticipantName")
        if participant is not None:
            return participant, element.get("UserName")
    return None, None


def _request_envelope(tree: _Element, schema: Schema) -> tuple[str, XmlDict] | None:
    """The tag and attributes of the request's envelope (the child of the root that holds
    its items, as the registry names it), if it has one: report requests have none."""
    envelopes = {o.envelope for o in OPERATIONS if o.schema is schema and o.envelope != o.root}
    for child in tree:
        if child.tag in envelopes:
            return str(child.tag), {str(k): str(v) for k, v in child.attrib.items()}
    return None


@dataclass(frozen=True)
class _Presented:
    """A client certificate and the MMS user it names (None: it names none)."""

    certificate: x509.Certificate
    identity: Identity | None


@lru_cache(maxsize=256)
def _presented(pem: str) -> _Presented:
    """The certificate the client presented in the TLS handshake (PEM), read once: every
    request of a connection, and every connection of a client, presents the same one."""
    certificate = x509.load_pem_x509_certificate(pem.encode("ascii"))
    return _Presented(certificate, identity_of(certificate))


def _schema_issues(error: PayloadError) -> tuple[Issue, ...]:
    """The refusals of a payload the models read as ``error``: each broken rule with its path
    and the value given, as the client's own :class:`PayloadError` shows them, so that
    the developer of another client sees what was wrong (cut as the client cuts it: a value
    may be megabytes, and the answer must not echo them back)."""
    return tuple(
        Issue(Code.SCHEMA_INVALID, shown_problem(problem)) for problem in error.errors
    ) or (Issue(Code.SCHEMA_INVALID, str(error)),)


def request_xsds(folder: Path | None) -> dict[Schema, etree.XMLSchema]:
    """The official XSDs of the requests the service reads, compiled from the schema folder
    ``folder`` (none without one). Compiled when the simulator starts, in a few milliseconds,
    so that an XSD lxml cannot read stops the start with a
    :class:`~mms_client.errors.SchemaFilesError` naming it, instead of failing every
    request."""
    if folder is None:
        return {}
    return {schema: compiled_xsd(folder, schema) for schema in sorted(set(_SCHEMAS.values()))}


def _xsd_issues(compiled: etree.XMLSchema | None, tree: _Element) -> tuple[Issue, ...]:
    """What the official XSD ``compiled`` finds wrong (nothing without one)."""
    if compiled is None:
        return ()
    try:
        compiled.assertValid(tree)
    except etree.DocumentInvalid as invalid:
        # the exception's log belongs to this validation; the validator's own log is shared
        # by every thread using the (cached) schema
        errors: list[Any] = list(cast(Iterable[Any], invalid.error_log))  # no stubs for it
    else:
        return ()
    listed = (
        Issue(Code.SCHEMA_INVALID, f"line {error.line}: {error.message}")
        for error in errors[:_MAX_LISTED_ERRORS]
    )
    return _listed(listed, len(errors))


def _order_issues(tree: _Element, model: type[XmlModel]) -> tuple[Issue, ...]:
    """The elements of the document ``tree`` (of type ``model``) whose children are out of
    their sequence's order, which the official XSD refuses (it is left to it when the
    simulator has it)."""
    found = misplaced_elements(tree, model)
    listed = (order_issue(tree, model, misplaced) for misplaced in found[:_MAX_LISTED_ERRORS])
    return _listed(listed, len(found))


def _listed(listed: Iterable[Issue], total: int) -> tuple[Issue, ...]:
    """The issues ``listed``, the first :data:`_MAX_LISTED_ERRORS` of ``total`` schema
    problems, and one that counts the rest."""
    issues = list(listed)
    if total > _MAX_LISTED_ERRORS:
        issues.append(Issue(Code.SCHEMA_INVALID, f"... and {total - _MAX_LISTED_ERRORS} more"))
    return tuple(issues)


def _schema_of(request: ParsedRequest) -> tuple[Schema | None, str]:
    """The payload schema the request's requestType means, or why its request data cannot be
    taken at all (read from the SOAP envelope alone)."""
    interface, info = request.interface, request.info
    schema = _SCHEMAS.get((interface, info.request_type))
    if schema is None:
        # quoted: an empty one (or an element in its place, read as no text) is seen as such
        return None, f"requestType {info.request_type!r} is not served by the {interface} service"
    if info.request_data_type != "XML":
        return None, f"requestDataType {info.request_data_type} is not supported; send XML"
    if info.request_data_compressed:
        return None, "compressed request data is not supported"
    return schema, ""


def _signature_failure(request: ParsedRequest, presented: _Presented | None) -> str | None:
    """Why the request is not signed by the holder of the client certificate (None: it is):
    the certificate must be an MMS user's, and its key must have signed the exact payload
    bytes and every attachment's."""
    if presented is None or presented.identity is None:
        return "the client certificate does not identify an MMS user"
    public_key = presented.certificate.public_key()
    assert isinstance(public_key, RSAPublicKey)  # the simulator's CA issues RSA keys only
    signature = request.info.request_signature
    if signature is None or not verify(request.payload, signature, public_key):
        return (
            "the requestSignature does not verify over the payload with the key of the "
            "client certificate"
        )
    for attachment in request.attachments:
        if attachment.signature is None or not verify(
            attachment.data, attachment.signature, public_key
        ):
            return f"the signature of attachment {attachment.name!r} does not verify"
    return None


def _handler_allowed(operation: Operation, caller: Identity) -> Handler | Issue:
    """The handler that does ``operation`` for ``caller``, or the issue why it may not be done
    (``caller`` may not call it, or the simulator does not implement it); one refused part of
    a request refuses the whole, which runs in one transaction."""
    if caller.client_type not in operation.audiences:
        allowed = ", ".join(sorted(a.value for a in operation.audiences))
        return Issue(
            Code.NOT_AUTHORISED,
            f"{operation.name} may be called by {allowed}; user {caller.user} is "
            f"{caller.client_type.value}",
        )
    handler = handler_for(operation)
    if handler is None:
        return Issue(Code.NOT_SUPPORTED, f"the simulator does not implement {operation.name}")
    return handler


def _fault(message: str, code: str = "soapenv:Client") -> Reply:
    http = build_fault(SoapFault(code, message))
    return Reply(FAULT_STATUS, tuple(http.headers.items()), http.body)


class MmsService:
    """The simulated MMS over one state store."""

    def __init__(
        self,
        store: Store,
        *,
        clock: SimulatorClock | None = None,
        response_encoding: ResponseEncoding = ResponseEncoding.INLINE,
        xsds: Mapping[Schema, etree.XMLSchema] | None = None,
    ) -> None:
        """``clock`` is the time requests are processed at (the real time without one);
        ``xsds`` are the official XSDs payloads are checked against after the payload
        models (:func:`request_xsds`); without them, the models alone check payloads."""
        self._store = store
        self._time = clock or SimulatorClock()
        self._mtom = response_encoding is ResponseEncoding.MTOM
        self._xsds: Mapping[Schema, etree.XMLSchema] = xsds or {}

    # --- answers -----------------------------------------------------------------------

    def _response(self, interface: Interface, info: ResponseAttInfo) -> Reply:
        size = len(info.response_data or b"") + sum(len(a.data) for a in info.attachments)
        mtom = self._mtom or size > MTOM_THRESHOLD
        http = build_response(interface, info, mtom=mtom)
        return Reply(200, tuple(http.headers.items()), http.body)

    def _text(self, interface: Interface, text: str) -> Reply:
        return self._response(
            interface,
            ResponseAttInfo(
                success=False, response_data_type="TXT", response_data=text.encode("utf-8")
            ),
        )

    def _payload(
        self,
        interface: Interface,
        payload: bytes,
        *,
        success: bool,
        warnings: bool = False,
        attachments: tuple[Attachment, ...] = (),
    ) -> Reply:
        return self._response(
            interface,
            ResponseAttInfo(
                success=success,
                warnings=warnings,
                response_data_type="XML",
                response_data=payload,
                attachments=attachments,
            ),
        )

    def _clock(self, incoming: Incoming) -> Clock:
        elapsed = round((time.perf_counter() - incoming.started) * 1000)
        return Clock(incoming.received_at, elapsed, incoming.transaction_id)

    def _refusal(self, incoming: Incoming, issues: Iterable[Issue]) -> Reply:
        """A payload answer refusing the whole request, its envelope echoed if that can be
        done; TXT if even the rest cannot be built (report roots echo required attributes
        that may be what is broken)."""
        assert incoming.request is not None and incoming.tree is not None
        assert incoming.schema is not None
        issues = tuple(issues)
        root = root_model(incoming.schema)
        known = xml_plan(root).attribute_names
        attributes = {k: v for k, v in incoming.tree.attrib.items() if k in known}
        envelope = _request_envelope(incoming.tree, incoming.schema)
        for echoed in (envelope, None) if envelope is not None else (None,):
            try:
                payload = refusal_document(root, attributes, issues, self._clock(incoming), echoed)
            except PayloadError:  # an envelope attribute may be what is broken
                continue
            return self._payload(incoming.request.interface, payload, success=False)
        text = "\n".join(f"{issue.code.value}: {issue.text}" for issue in issues)
        return self._text(incoming.request.interface, text)

    # --- the two steps -------------------------------------------------------------------

    def receive(
        self,
        path: str,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        client_certificate: str | None,
    ) -> Incoming:
        """Reads and authenticates a request; changes nothing.

        ``client_certificate`` is the PEM of the certificate the client presented in the TLS
        handshake (already verified against the CA by the TLS layer).
        """
        start = Incoming(
            started=time.perf_counter(),
            received_at=self._time.now(),
            transaction_id=new_transaction_id(),
        )
        try:
            request = parse_request(_header_map(headers), body)
        except MalformedRequestError as exc:
            return replace(start, answer=_fault(str(exc)))
        interface = request.interface
        if SERVICE_PATHS[interface] != path:
            return replace(
                start,
                answer=_fault(
                    f"a {interface} request was sent to {path}; the {interface} service is at "
                    f"{SERVICE_PATHS[interface]}"
                ),
            )
        schema, refusal = _schema_of(request)
        if schema is None:
            return replace(start, request=request, answer=self._text(interface, refusal))
        presented = None if client_certificate is None else _presented(client_certificate)
        # The signature is checked before the payload is parsed: it covers the payload bytes
        # as they are, and parsing a large payload costs far more than verifying it, so an
        # unsigned request is refused without the simulator reading what it carries.
        refused = _signature_failure(request, presented)
        if refused is not None:
            return replace(start, request=request, answer=self._text(interface, refused))
        assert presented is not None and presented.identity is not None
        sender = presented.identity
        incoming = self._read_payload(
            replace(
                start,
                request=request,
                schema=schema,
                payload=request.payload,
                participant=sender.participant,
                user=sender.user,
            )
        )
        if incoming.answer is not None:
            return incoming
        refused = self._sender_failure(incoming, sender)
        if refused is not None:
            return replace(incoming, answer=self._text(interface, refused))
        assert incoming.tree is not None
        return replace(
            incoming,
            caller=sender,
            problems=incoming.problems or _xsd_issues(self._xsds.get(schema), incoming.tree),
        )

    def _read_payload(self, incoming: Incoming) -> Incoming:
        """Parses the payload: the document and its operation, or the TXT answer refusing
        it, or the problems that refuse it."""
        assert incoming.request is not None and incoming.schema is not None
        interface, info, schema = incoming.request.interface, incoming.request.info, incoming.schema
        try:
            tree = codec.parse_xml(incoming.request.payload)
        except PayloadError as exc:
            return replace(
                incoming, answer=self._text(interface, f"the payload is not acceptable XML: {exc}")
            )
        if tree.tag != schema.root_tag:
            text = (
                f"a {info.request_type} payload must be a {schema.root_tag} document, "
                f"not {tree.tag}"
            )
            return replace(incoming, answer=self._text(interface, text))
        incoming = replace(incoming, tree=tree)
        # the official XSD, when there is one, refuses elements out of order itself
        misplaced = () if schema in self._xsds else _order_issues(tree, root_model(schema))
        try:
            document = codec.read(tree, root_model(schema))
        except PayloadError as exc:
            return replace(incoming, problems=misplaced + _schema_issues(exc))
        if misplaced:
            return replace(incoming, document=document, problems=misplaced)
        try:
            operations = identify(interface, document)
        except PayloadError as exc:
            issue = Issue(Code.NO_OPERATION, " ".join(str(exc).split()))
            return replace(incoming, document=document, problems=(issue,))
        name = "+".join(operation.name for operation in operations)
        return replace(incoming, document=document, resolved=operations, operation=name)

    def _sender_failure(self, incoming: Incoming, caller: Identity) -> str | None:
        """Why the request does not come from whom it says (None: it does): the certificate
        must name the payload's participant and user (registration payloads name no sender;
        the certificate alone says who sends them), who must exist with the client type the
        certificate names."""
        assert incoming.request is not None and incoming.tree is not None
        names_sender = incoming.schema is not Schema.MPR  # registration names no sender
        participant, user = _names(incoming.tree)
        if names_sender and (participant != caller.participant or user not in (None, caller.user)):
            return (
                f"the client certificate belongs to user {caller.user} of participant "
                f"{caller.participant}, but the payload names "
                f"ParticipantName={participant} UserName={user}"
            )
        registered = self._store.user(caller.participant, caller.user)
        if registered is None:
            return f"user {caller.user} of participant {caller.participant} is not registered"
        if registered.client_type is not caller.client_type:
            # what a user may call follows from its registration, not from what a
            # certificate claims
            return (
                f"the client certificate makes user {caller.user} of participant "
                f"{caller.participant} a {caller.client_type.value}, but the user is "
                f"registered as {registered.client_type.value}"
            )
        if incoming.request.info.admin_role:
            return f"user {caller.user} is not an MMS administrator (adminRole)"
        return None

    def process(self, incoming: Incoming) -> Reply:
        """Runs a received request and builds its answer."""
        if incoming.answer is not None:
            return incoming.answer
        try:
            return self._process(incoming)
        except Exception as exc:  # a simulator bug must still get an answer the client reads
            logger.exception("the simulator failed on %s", incoming.operation)
            return _fault(f"internal simulator error: {exc}", "soapenv:Server")

    def _process(self, incoming: Incoming) -> Reply:
        assert incoming.request is not None and incoming.caller is not None
        interface = incoming.request.interface
        if incoming.problems:
            return self._refusal(incoming, incoming.problems)
        operations, document = incoming.resolved, incoming.document
        assert operations and document is not None
        caller = incoming.caller
        handlers: list[Handler] = []
        for operation in operations:
            allowed = _handler_allowed(operation, caller)
            if isinstance(allowed, Issue):
                return self._refusal(incoming, [allowed])
            handlers.append(allowed)
        with self._store.transaction():
            parts: list[tuple[Operation, Outcome]] = []
            for operation, handler in zip(operations, handlers, strict=True):
                call = Call.of(
                    operation,
                    caller,
                    document,
                    incoming.received_at,
                    incoming.transaction_id,
                    incoming.request.attachments,
                )
                outcome = handler(call, self._store)
                self._log(incoming, operation, outcome)
                parts.append((operation, outcome))
        file = parts[0][1].file  # a file answers a report request, which is one operation
        if file is not None:
            return self._response(
                interface,
                ResponseAttInfo(
                    success=file.ok,
                    response_data_type=file.data_type,
                    response_filename=file.name,
                    response_data=file.data,
                ),
            )
        payload = answer_document(parts, call.envelope, self._clock(incoming))
        results = [result for _, outcome in parts for result in outcome.items]
        attachments = tuple(a for _, outcome in parts for a in outcome.attachments)
        return self._payload(
            interface,
            payload,
            success=all(result.ok for result in results),
            warnings=any(result.warnings for result in results),
            attachments=attachments,
        )

    def _log(self, incoming: Incoming, operation: Operation, outcome: Outcome) -> None:
        """Writes the request's ``operation`` to the access log (the ``AccessLog`` report)."""
        assert incoming.caller is not None
        downloaded = outcome.file.name if outcome.file is not None else None
        if downloaded is None and outcome.attachments:
            downloaded = outcome.attachments[0].name
        action = (
            "DOWNLOAD" if downloaded is not None else "QUERY" if operation.read_only else "SUBMIT"
        )
        self._store.log_access(
            AccessEntry(
                participant=incoming.caller.participant,
                user=incoming.caller.user,
                action=action,
                application=operation.name,
                start_time=format_jst(incoming.received_at.replace(microsecond=0)),
                end_time=format_jst(self._time.now().replace(microsecond=0)),
                transaction_id=incoming.transaction_id,
                file_name=downloaded,
            )
        )
