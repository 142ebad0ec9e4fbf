"""One request/response exchange with the MMS, as two pure steps around the I/O.

:func:`prepare` turns an operation and its payload into the exact HTTP message to send
(audience check, validated document, canonical bytes, signature, MTOM framing, the files
sent being those the document names); nothing is sent if any of it fails. :func:`interpret`
turns the HTTP reply into a :class:`Response` or the error the MMS meant (TXT and SOAP
faults, failed validation). The sync and async clients call the same two functions and
differ only in how they wait for the transport.

Files in a reply (attachments, and the report of a report download) come back as
:class:`~mms_client.files.DownloadedFile`. Their bytes are wherever the
:class:`~mms_client.wire.blobs.BlobStore` given to :func:`interpret` put them: in memory, or,
for a download streamed to disk, in files that :mod:`mms_client.downloads` then moves into
place.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from types import UnionType
from typing import Any, BinaryIO

from mms_client.endpoints import ClientType, Interface
from mms_client.errors import (
    AudienceError,
    ConfigurationError,
    FieldError,
    MalformedResponseError,
    MMSServerError,
    MMSValidationError,
    PayloadError,
    shown_setting,
)
from mms_client.files import DownloadedFile
from mms_client.jst import JST
from mms_client.judgement import (
    Judgement,
    Message,
    Severity,
    Statistics,
    Verdict,
    judge,
)
from mms_client.operations import OPERATIONS, Operation, get_operation, operation_taking
from mms_client.schema import root_model
from mms_client.schema.binding import (
    BOTH_NAMES,
    VERDICT_ATTRIBUTES,
    AttributePlan,
    ElementPlan,
    XmlModel,
    xml_plan,
)
from mms_client.schema.codec import collector_paused, parse_xml, read, write
from mms_client.security.certs import Certificate
from mms_client.security.signing import sign
from mms_client.wire.blobs import Blob, BlobStore, MemoryStore
from mms_client.wire.mime import DEFAULT_LIMITS, MultipartLimits
from mms_client.wire.soap import (
    Attachment,
    HttpMessage,
    RequestAttInfo,
    SoapFault,
    StoredResponse,
    build_request,
    check_attachments,
    read_stored_response,
)

logger = logging.getLogger("mms_client")
# A library must not print on its own: without this, an application that never configured
# logging would get every MMS warning on stderr through logging's last-resort handler.
logger.addHandler(logging.NullHandler())


_NAMES = {
    "participant": (
        re.compile(r"[A-Z](?!000)[0-9]{3}"),
        "a capital letter and three digits, not 000, such as F100",
    ),
    "user": (re.compile(r"[A-Z0-9]{1,12}"), "1 to 12 capital letters or digits, such as FAKEUSER"),
}
"""The form of the names every request's envelope carries, as the loosest of the schemas
gives them (``ParticipantNameType`` of mi-market.xsd; omi.xsd and mpr.xsd take only A to W
for the letter) and what each looks like in words."""


@dataclass(frozen=True)
class Caller:
    """Who sends requests: the identity the payload names and the key that signs it.

    Its names are checked when it is made: a participant or user no envelope can carry would
    otherwise make every request fail, each naming the envelope rather than the setting."""

    participant: str
    user: str
    client_type: ClientType
    certificate: Certificate
    is_admin: bool = False
    domain: str = "mms-client"

    def __post_init__(self) -> None:
        for setting in _NAMES:
            value = getattr(self, setting)
            rule = name_rule(setting, value)
            if rule is not None:
                raise ConfigurationError(f"{setting} {rule}; got {shown_setting(value)}")


def name_rule(setting: str, value: object) -> str | None:
    """The rule ``value`` breaks as the ``setting`` (``participant``, ``user``) every
    envelope carries, or None: one rule for the client's arguments and for the options of
    the ``mms`` command that give them, which check them before asking for a passphrase."""
    form, words = _NAMES[setting]
    if isinstance(value, str) and form.fullmatch(value):
        return None
    return f"must be {words}, as the MMS schemas take it"


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
        """Whether the MMS may safely process this request twice (the registry's
        ``read_only``)."""
        return self.operation.read_only


@dataclass(frozen=True, repr=False)
class Response:
    """A successful answer of the MMS.

    ``items`` are the answer items of the operation (the echoed offers of a submit, the
    offers found by a query...); ``document`` is the whole typed reply; ``verdict`` what the
    MMS said about the request, whose Warning and Information messages (also logged) and
    statistics are at hand as ``messages`` and ``statistics``; ``files`` the files the reply
    carries (its attachments, and for a report download the report); ``data`` the reply
    payload as received, when it is held in memory, with its ``responseDataType``
    (``data_type``: XML, CSV, TXT...) and ``responseFilename`` (``filename``), for a caller
    who wants the payload itself rather than what the library made of it.

    Its repr sums the answer up (the operation, how many items, the transaction id, how many
    messages of each severity, the names of the files) in as many characters whatever the
    number of items: the items, the document that holds them again and the operation's
    registry record would fill a screen for a three-offer query.
    """

    operation: Operation
    items: list[Any]
    document: XmlModel | None
    verdict: Verdict | None = None
    files: tuple[DownloadedFile, ...] = ()
    data: bytes = b""
    data_type: str = "XML"
    filename: str | None = None

    @property
    def messages(self) -> tuple[Message, ...]:
        return () if self.verdict is None else self.verdict.messages

    def __repr__(self) -> str:
        statistics = self.statistics
        transaction_id = None if statistics is None else statistics.transaction_id
        counts = {} if self.verdict is None else dict(self.verdict.counts)
        return (
            f"Response(operation={self.operation.name!r}, "
            f"interface={self.operation.interface.value!r}, items={len(self.items)}, "
            f"transaction_id={transaction_id!r}, messages={counts!r}, "
            f"files={[file.name for file in self.files]!r})"
        )

    @property
    def statistics(self) -> Statistics | None:
        return None if self.verdict is None else self.verdict.statistics


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
        taking = operation_taking(type(sample))
        if taking in candidates:
            return taking
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
    caller's participant and user and, where the envelope requires a date, today in Japan.

    ``given`` may name an attribute by its XML name (``Date``) or its Python name (``date``):
    each is keyed by its Python name here, so that a default never stands beside a value
    given by XML name, and an attribute given by both names is refused."""
    by_key = xml_plan(operation.envelope_model).by_key
    fields: dict[str, Any] = {}
    for key, value in given.items():
        if value is None:
            continue
        binding = by_key.get(key)
        if isinstance(binding, AttributePlan):
            check_request_attribute(operation, binding, value)
        if isinstance(value, bool):
            # no attribute a request's envelope carries is a flag, and pydantic would take
            # True for the number 1 (days=True, one day)
            name = binding.xml_name if isinstance(binding, AttributePlan) else key
            raise PayloadError(
                f"{operation.name}: {name} takes no True or False",
                [FieldError(name, value, "a value of its type, not a bool")],
            )
        if isinstance(binding, AttributePlan | ElementPlan):
            key = binding.field_name
            if key in fields:
                name = binding.xml_name if isinstance(binding, AttributePlan) else binding.tag
                raise PayloadError(
                    f"{operation.name}: {name} is given twice",
                    [FieldError(name, value, BOTH_NAMES)],
                )
        fields[key] = value
    model_fields = operation.envelope_model.model_fields
    defaults = {
        "participant_name": caller.participant,
        "user_name": caller.user,
        "date": dt.datetime.now(JST).date(),
    }
    for name, value in defaults.items():
        info = model_fields.get(name)
        if info is None:
            continue
        if name not in fields:
            if name != "date" or info.is_required():
                fields[name] = value
        elif name != "date" and fields[name] != value:
            # the MMS refuses a payload naming another than the certificate's owner
            plan = by_key.get(name)
            xml_name = plan.xml_name if isinstance(plan, AttributePlan) else name
            raise PayloadError(
                f"{operation.name}: {xml_name} comes from the client, which is {value}",
                [FieldError(xml_name, fields[name], f"{value}, the client's own")],
            )
    return fields


def request_attributes(operation: Operation) -> str:
    """The attributes a request gives the envelope of ``operation``, by their names in the
    schema (an envelope has a handful), as a refusal lists them to say what to give instead
    ("a request gives ..."). The verdict's attributes are left out: the MMS sets them in its
    reply. A registration's envelope has none a request gives."""
    given = xml_plan(operation.envelope_model).request_attributes
    return ", ".join(attribute.xml_name for attribute in given) or "none"


def check_request_attribute(operation: Operation, attribute: AttributePlan, value: Any) -> None:
    """Refuse ``value`` given for an attribute of the envelope of ``operation`` that carries
    the MMS's verdict (``Validation``, ``Success``, ``ValidationStatus``): the schema has
    them, for the reply, so the request would otherwise carry them as given, a verdict the
    MMS sets itself. One rule for the client's arguments and for the ``-e`` option of the
    ``mms`` command, which checks it before asking for a passphrase."""
    if attribute.xml_name not in VERDICT_ATTRIBUTES:
        return
    model = operation.envelope_model.__name__
    raise PayloadError(
        f"{model}'s {attribute.xml_name} is the MMS's verdict, which its reply carries; "
        f"a request gives {request_attributes(operation)}",
        [FieldError(attribute.xml_name, value, "the MMS sets it in its reply, not a request")],
    )


def check_market_type(operation: Operation, document: XmlModel) -> None:
    """Refuse a request the MMS would refuse for its ``MarketType``: one of an operation that
    needs it on its envelope (:attr:`Operation.needs_market_type`) without it, or with an item
    naming another (an ``OfferCancel`` of a DCM offer sent with ``market_type`` DAM).

    The schema allows both, so a document the simulator is to refuse can still be built;
    the client sends neither."""
    if not operation.needs_market_type:
        return
    where = f"{operation.root}/{operation.envelope}"
    given = operation.request_envelope(document).market_type
    if given is None:
        raise PayloadError(
            f"{operation.name} needs market_type: the MMS refuses "
            f"{operation.element} without the envelope's MarketType",
            [FieldError(f"{where}/@MarketType", None, "required; pass market_type")],
        )
    errors = [
        FieldError(
            f"{where}/{operation.element}[{index}]/@MarketType",
            item.market_type.value,
            f"differs from market_type {given.value}",
        )
        for index, item in enumerate(operation.request_items(document), 1)
        if getattr(item, "market_type", None) not in (None, given)
    ]
    if errors:
        theirs = ", ".join(sorted({str(error.value) for error in errors}))
        raise PayloadError(
            f"{operation.name}: market_type is {given.value} but {operation.element} says {theirs}",
            errors,
        )


def prepare(
    operation: Operation,
    caller: Caller,
    payload: Any,
    envelope: Mapping[str, Any],
    attachments: Sequence[Attachment] = (),
    method: str | None = None,
) -> PreparedRequest:
    """Build, validate, sign and frame one request (see the module docstring), as the client
    method ``method`` sends it (None: by registry name, as ``client.call`` does)."""
    caller.certificate.check_current()
    check_audience(operation, caller.client_type)
    document = operation.request_document(
        payload, method=method, **envelope_fields(operation, caller, envelope)
    )
    check_market_type(operation, document)
    attachments = attachment_list(
        attachments, "attachments", Attachment, "an Attachment(name, data)"
    )
    check_attachments(operation.interface, attachments)
    _check_files(operation, document, attachments)
    data = write(document, request=True)
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


def attachment_list(
    given: object, argument: str, kinds: type | UnionType, each: str
) -> tuple[Any, ...]:
    """``given``, the files of a request, as the list ``argument`` takes, each item of
    ``kinds`` (``each`` says which in words); or a :class:`PayloadError` saying what it
    takes: a string or a lone file would otherwise be taken apart into one-letter paths, or
    fail deep in signing."""
    if isinstance(given, str | bytes | bytearray | os.PathLike | Attachment | Mapping) or not (
        isinstance(given, Iterable)
    ):
        raise PayloadError(
            f"{argument}= takes a list of files, each {each}",
            [FieldError(argument, given, f"a list, such as {argument}=[...]")],
        )
    items = tuple(given)
    wrong = [
        FieldError(f"{argument}[{index}]", item, each)
        for index, item in enumerate(items)
        if not isinstance(item, kinds)
    ]
    if wrong:
        raise PayloadError(f"{argument}= holds something that is not a file", wrong)
    return items


def _check_files(
    operation: Operation, document: XmlModel, attachments: Sequence[Attachment]
) -> None:
    """Refuse files that do not match those the document names, before anything is signed:
    the MMS refuses a request naming a file that did not come, and ignores a file nothing
    names, which the sender meant to deliver. (After :func:`check_attachments`, so that a
    name or a number of files no request can carry is refused in those terms.)"""
    named = operation.announced_files(document)
    sent = {attachment.name for attachment in attachments}
    errors = [
        FieldError(
            path,
            name,
            "names a file that does not come with the request"
            + _spelt_otherwise(name, sent, "one comes named"),
        )
        for name, path in named.items()
        if name not in sent
    ]
    errors.extend(
        FieldError(
            f"attachmentData[{index}]/name",
            attachment.name,
            "sent with the request but named nowhere in the payload"
            + (
                _spelt_otherwise(attachment.name, named, "the payload names")
                if named
                else ", which names no file"
            ),
        )
        for index, attachment in enumerate(attachments, 1)
        if attachment.name not in named
    )
    if errors:
        raise PayloadError(
            f"{operation.name}: the files sent are not those the payload names", errors
        )


def _spelt_otherwise(name: str, others: Iterable[str], which: str) -> str:
    """Of a file ``name`` missing from ``others``, the one of them that is the same name in
    other Unicode characters, shown by its code points (``which``: how it is there): the
    kana of a file name from macOS are decomposed (カ and U+3099 for ガ), those typed into
    a payload composed, and the two look alike."""
    form = unicodedata.normalize("NFC", name)
    other = next((o for o in others if unicodedata.normalize("NFC", o) == form), None)
    if other is None:
        return ""
    return (
        f"; {which} {other!a}, the same name in other Unicode characters (a letter and a "
        "combining mark, as macOS writes file names): give it in one form in both"
    )


def interpret(
    prepared: PreparedRequest,
    headers: Mapping[str, str],
    body: bytes | BinaryIO,
    store: BlobStore | None = None,
    limits: MultipartLimits = DEFAULT_LIMITS,
) -> Response:
    """The :class:`Response` of a reply (its HTTP headers and body, as bytes or a seekable
    file), or the error the MMS answered with. Binary content goes to ``store`` (default: in
    memory); ``limits`` bound what is read."""
    operation = prepared.operation
    source = io.BytesIO(body) if isinstance(body, bytes | bytearray) else body
    answer = read_stored_response(
        headers, source, operation.interface, store or MemoryStore(), limits
    )
    if isinstance(answer, SoapFault):
        detail = f" ({answer.detail})" if answer.detail else ""
        # SOAP 1.1 requires both, but a broken server may leave them out or empty, and
        # "SOAP fault : " would say nothing of it
        code = answer.code or "(no faultcode)"
        message = answer.message or "(no faultstring)"
        raise MMSServerError(operation.name, f"SOAP fault {code}: {message}{detail}")
    blob = answer.response_data
    if answer.response_data_type == "TXT":
        text = b"" if blob is None else blob.read_bytes()
        message = text.decode("utf-8", errors="replace").strip()
        raise MMSServerError(operation.name, message or "the MMS refused the request (no text)")
    if answer.response_compressed:
        raise MalformedResponseError(
            f"{operation.name}: the reply is compressed, which was not requested"
        )
    attached = tuple(
        DownloadedFile.received(file.name, file.blob, signature=file.signature)
        for file in answer.attachments
    )
    if operation.response.element is None and not _is_status_document(operation, answer):
        return _file_answer(operation, answer, attached)
    if answer.response_data_type != "XML":
        if not answer.success:
            raise MMSServerError(operation.name, "the MMS reported failure")
        return Response(
            operation,
            items=[],
            document=None,
            files=attached,
            data=b"" if blob is None else blob.read_bytes(),
            data_type=answer.response_data_type,
            filename=answer.response_filename,
        )
    if blob is None or not blob.size:
        if not answer.success:
            raise MMSServerError(operation.name, "the MMS reported failure without any data")
        raise MalformedResponseError(f"{operation.name}: the reply carries no payload")

    # the collector stays off until the answer is made (see _typed_answer)
    with collector_paused:
        return _typed_answer(operation, answer, attached, blob.read_bytes())


def _typed_answer(
    operation: Operation,
    answer: StoredResponse,
    attached: tuple[DownloadedFile, ...],
    data: bytes,
) -> Response:
    """The answer of an XML payload ``data``: its typed document, judged and logged, or the
    refusal it holds.

    Called with the cycle collector paused: a reply is thousands of models and messages with
    no cycle among them. With the collector on again before the :class:`Response` is made,
    making it would have the collector walk them all at once; this way that walk comes at the
    caller's next allocation if it keeps the answer, and never if it lets the answer go first.
    """
    # an XML answer of a report download is its status document (see _is_status_document),
    # a document of the request's own schema, not of the report's
    schema = operation.schema if operation.response.element is None else operation.response.schema
    document: XmlModel | None = None
    unfit: PayloadError | None = None
    judgement = Judgement()
    try:
        # one reading of the payload gives the typed document and the verdict
        document = read(data, root_model(schema), watcher=judgement)
        verdict = judgement.verdict()
    except PayloadError as exc:
        # the MMS's errors say more than a mismatch: judge what does not fit from its tree
        unfit = exc
        with _readable(operation, "the reply payload"):
            verdict = judge(parse_xml(data))
    _log(operation, verdict)
    reasons = list(verdict.reasons)
    if not answer.success:
        reasons.append("ResponseAttInfo/success is false")
    items = (
        []
        if document is None or operation.response.element is None
        else operation.response_items(document)
    )
    if reasons:
        message = "; ".join(reasons)
        statistics = verdict.statistics
        transaction_id = None if statistics is None else statistics.transaction_id
        raise MMSValidationError(
            operation.name, message, verdict.messages, document, items, transaction_id
        )
    if document is None:
        raise MalformedResponseError(
            f"{operation.name}: the reply does not fit the {schema} schema: {unfit}"
        )
    return Response(
        operation,
        items=items,
        document=document,
        verdict=verdict,
        files=attached,
        data=data,
        data_type=answer.response_data_type,
        filename=answer.response_filename,
    )


@contextmanager
def _readable(operation: Operation, what: str) -> Iterator[None]:
    """A received document that cannot be read at all (``what``: which one) makes the reply
    malformed; the schema mismatch behind it is named in the message."""
    try:
        yield
    except PayloadError as exc:
        raise MalformedResponseError(f"{operation.name}: {what} is unreadable: {exc}") from None


def _is_status_document(operation: Operation, answer: StoredResponse) -> bool:
    """Whether the payload of a report download is the MMS's answer about the request (a
    ``MarketReport`` with statistics and messages) rather than the report itself."""
    from mms_client.reports import root_element  # the report models load only when needed

    blob = answer.response_data
    if answer.response_data_type != "XML" or blob is None or not blob.size:
        return False
    with blob.open() as content, _readable(operation, "the reply payload"):
        return root_element(content) == operation.root


def _file_answer(
    operation: Operation, answer: StoredResponse, attached: tuple[DownloadedFile, ...]
) -> Response:
    """The answer of a report download whose payload is the report file itself."""
    blob = answer.response_data
    if blob is not None and blob.size and answer.response_data_type == "XML":
        _check_report(operation, blob)  # its ERROR messages say more than ``success``
    if not answer.success:
        raise MMSServerError(operation.name, "the MMS reported failure")
    files = attached
    if blob is not None and blob.size:
        name = answer.response_filename or f"report.{answer.response_data_type.lower()}"
        report = DownloadedFile.received(name, blob, data_type=answer.response_data_type)
        files = (report, *attached)
    if not files:
        raise MalformedResponseError(f"{operation.name}: the reply carries no report file")
    return Response(
        operation,
        items=[],
        document=None,
        files=files,
        data=b"" if blob is None or blob.content is None else blob.content,
        data_type=answer.response_data_type,
        filename=answer.response_filename,
    )


def _check_report(operation: Operation, blob: Blob) -> None:
    """An ``OutboundData`` report whose ``MESSAGES`` carry errors is a refusal."""
    from mms_client.reports import outbound_errors

    with blob.open() as content, _readable(operation, "the report"):
        errors = outbound_errors(content)
    if errors:
        messages = [Message("Error", None, text, "OutboundData") for text in errors]
        raise MMSValidationError(operation.name, f"{len(errors)} ERROR message(s)", messages)


_LOGGED: tuple[tuple[int, Severity], ...] = (
    (logging.WARNING, "Warning"),
    (logging.INFO, "Information"),
)
"""The severities handed back to the caller and logged, each at its level (errors raise)."""


def _log(operation: Operation, verdict: Verdict) -> None:
    """One record per severity per answer, the messages one per line: a large answer carries
    thousands of messages, and a record each would cost more than reading the document. The
    messages are made and joined only if a handler formats the record. The record names the
    answer's TransactionId where it has one, which tells apart the answers of calls made at
    once (asynchronous ones above all)."""
    for level, severity in _LOGGED:
        count = verdict.counts.get(severity)
        if count and logger.isEnabledFor(level) and _heard(level):
            text = _Lines(verdict, severity)
            statistics = verdict.statistics
            transaction = None if statistics is None else statistics.transaction_id
            answer = operation.name if transaction is None else f"{operation.name} ({transaction})"
            logger.log(level, "%s: %d %s message(s):\n%s", answer, count, severity, text)


def _heard(level: int) -> bool:
    """Whether a record of ``level`` would reach anything but our :class:`logging.NullHandler`.

    In an application that never configured logging, the only handler a record meets is the
    one this module adds, and making the record is then pure cost: about 5 % of reading a
    one-offer answer. This follows the path :meth:`logging.Logger.callHandlers` takes, so a
    record is made whenever a filter, a handler or logging's last resort could see it.
    """
    if logger.filters:
        return True
    handled = False
    current: logging.Logger | None = logger
    while current is not None:
        for handler in current.handlers:
            handled = True
            if type(handler) is not logging.NullHandler and level >= handler.level:
                return True
        current = current.parent if current.propagate else None
    last_resort = logging.lastResort
    return not handled and last_resort is not None and level >= last_resort.level


class _Lines:
    """The messages of a severity as log text, one per line, made when (if ever) the record
    is formatted."""

    __slots__ = ("severity", "verdict")

    def __init__(self, verdict: Verdict, severity: Severity) -> None:
        self.verdict = verdict
        self.severity = severity

    def __str__(self) -> str:
        return "\n".join(map(str, self.verdict.of(self.severity)))
