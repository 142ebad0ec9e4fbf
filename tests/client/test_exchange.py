"""One exchange as pure steps: the signed request that goes out, the verdict on what comes back."""

from __future__ import annotations

import copy
import datetime as dt
import gc
import io
import logging
from collections.abc import Callable
from typing import Any

import pytest
from lxml import etree

from mms_client.endpoints import ClientType, Interface
from mms_client.errors import (
    AudienceError,
    ConfigurationError,
    MalformedResponseError,
    MMSServerError,
    MMSValidationError,
    PayloadError,
)
from mms_client.exchange import Caller, PreparedRequest, interpret, prepare
from mms_client.jst import JST
from mms_client.operations import OPERATIONS, get_operation
from mms_client.schema import parse_payload
from mms_client.security.certs import Certificate
from mms_client.security.signing import verify
from mms_client.types.market import MarketType
from mms_client.types.offer import Direction, OfferData, OfferQuery, OfferStack
from mms_client.wire.soap import (
    SOAP_ENVELOPE_NS,
    Attachment,
    HttpMessage,
    ResponseAttInfo,
    SoapFault,
    build_fault,
    build_response,
    parse_request,
)

from .conftest import PASSPHRASE, MakeP12, example

PUT_OFFER = get_operation("MarketSubmit_OfferData")
QUERY_OFFERS = get_operation("MarketQuery_OfferQuery")
# The payload WIRE.md shows for this offer, byte for byte.
EXPECTED_PAYLOAD = (
    b'<MarketData><MarketSubmit Date="2026-11-21" MarketType="DAM" NumOfDays="1" '
    b'ParticipantName="F100" UserName="FAKEUSER"><OfferData Direction="1" '
    b'EndTime="2024-03-15T21:00:00" ResourceName="FAKE_RESO" StartTime="2024-03-15T12:00:00">'
    b'<OfferStack MinimumQuantityInKw="100" OfferUnitPrice="100" StackNumber="1"></OfferStack>'
    b"</OfferData></MarketSubmit></MarketData>"
)


def offer() -> OfferData:
    return OfferData(
        stack=[OfferStack(number=1, unit_price=100, minimum_quantity_kw=100)],
        resource="FAKE_RESO",
        start=dt.datetime(2024, 3, 15, 12),
        end=dt.datetime(2024, 3, 15, 21),
        direction=Direction.SELL,
    )


@pytest.fixture
def certificate(make_p12: MakeP12) -> Certificate:
    return Certificate(make_p12(), PASSPHRASE)


@pytest.fixture
def bsp(certificate: Certificate) -> Caller:
    return Caller("F100", "FAKEUSER", ClientType.BSP, certificate, domain="example.com")


def put_offer(caller: Caller) -> PreparedRequest:
    envelope = {"market_type": MarketType.DAY_AHEAD, "days": 1, "date": dt.date(2026, 11, 21)}
    return prepare(PUT_OFFER, caller, offer(), envelope)


def xml_reply(data: bytes, *, mtom: bool = False) -> HttpMessage:
    """The MI service's successful reply carrying the XML payload ``data``, inline or as an
    MTOM part."""
    return build_response(Interface.MI, ResponseAttInfo(True, "XML", response_data=data), mtom=mtom)


def test_prepared_request_carries_the_canonical_payload_and_its_signature(bsp: Caller) -> None:
    prepared = put_offer(bsp)
    assert prepared.payload == EXPECTED_PAYLOAD
    assert not prepared.resendable

    received = parse_request(prepared.message.headers, prepared.message.body)
    assert received.interface is Interface.MI
    assert received.payload == EXPECTED_PAYLOAD
    assert received.info.request_type == "mp.market"
    assert received.info.admin_role is False
    assert received.info.request_signature is not None
    assert verify(EXPECTED_PAYLOAD, received.info.request_signature, bsp.certificate.public_key)


def test_admin_role_and_attachments_are_signed_and_sent(certificate: Certificate) -> None:
    admin = Caller("T100", "TSOUSER", ClientType.TSO, certificate, is_admin=True)
    name = "T100_F100_202403_MONTHLY.csv"
    files = [Attachment(name, b"hello")]
    settlement = get_operation("MarketSubmit_SettlementResults")
    prepared = prepare(settlement, admin, {"File": [{"Name": name}]}, {}, files)
    received = parse_request(prepared.message.headers, prepared.message.body)
    assert received.info.admin_role is True
    [attachment] = received.attachments
    assert attachment.data == b"hello"
    assert attachment.signature is not None
    assert verify(b"hello", attachment.signature, certificate.public_key)


@pytest.mark.parametrize(
    ("given", "name"), [({"days": True}, "NumOfDays"), ({"NumOfDays": False}, "NumOfDays")]
)
def test_a_bool_for_an_envelope_attribute_is_refused(
    bsp: Caller, given: dict[str, Any], name: str
) -> None:
    """``put_offer(offer, market_type, True)``: pydantic would take True for one day."""
    envelope = {"market_type": MarketType.DAY_AHEAD, **given}
    with pytest.raises(PayloadError, match=f"{name} takes no True or False") as caught:
        prepare(PUT_OFFER, bsp, offer(), envelope)
    assert caught.value.errors[0].path == name


@pytest.mark.parametrize(
    ("given", "name", "own"),
    [
        ({"participant_name": "F200"}, "ParticipantName", "F100"),
        ({"ParticipantName": "F200"}, "ParticipantName", "F100"),
        ({"user_name": "OTHERUSER"}, "UserName", "FAKEUSER"),
    ],
)
def test_an_envelope_naming_another_than_the_client_is_refused(
    bsp: Caller, given: dict[str, Any], name: str, own: str
) -> None:
    """The MMS refuses a payload that names another than the certificate's owner."""
    envelope = {"market_type": MarketType.DAY_AHEAD, **given}
    with pytest.raises(
        PayloadError, match=f"{name} comes from the client, which is {own}"
    ) as caught:
        prepare(PUT_OFFER, bsp, offer(), envelope)
    [error] = caught.value.errors
    assert (error.path, error.rule) == (name, f"{own}, the client's own")
    # the client's own names, given again, are what it sends anyway
    same = {key: own for key in given}
    assert (
        f'{name}="{own}"'.encode() in prepare(PUT_OFFER, bsp, offer(), {**envelope, **same}).payload
    )


@pytest.mark.parametrize(
    ("setting", "schema_type"), [("participant", "ParticipantName"), ("user", "UserName")]
)
def test_a_callers_names_take_the_loosest_form_the_envelopes_take(
    certificate: Certificate, setting: str, schema_type: str
) -> None:
    """A name that some request envelope takes is a name the client may be made with, and
    one that none takes is refused when it is made (mi-market.xsd's types are the loosest)."""
    from pydantic import TypeAdapter

    from mms_client.schema.generated import mi_market, mpr, omi

    adapters = [TypeAdapter(getattr(module, schema_type)) for module in (mi_market, omi, mpr)]
    letters = "AFTWXZaß"
    candidates = ["", "F", "FAKEUSER", "FAKEUSER1234", "FAKEUSER12345", "fakeuser", "F 10"]
    candidates += [
        f"{letter}{digits}"
        for letter in letters
        for digits in ("000", "001", "010", "100", "999", "1000", "12")
    ]

    def make(name: str) -> Caller:
        names = {"participant": "F100", "user": "FAKEUSER", setting: name}
        return Caller(names["participant"], names["user"], ClientType.BSP, certificate)

    for candidate in candidates:
        taken = [_takes(adapter.validate_python, candidate) for adapter in adapters]
        made = _takes(make, candidate)
        assert made == taken[0] and (made or not any(taken)), candidate


def _takes(check: Callable[[str], object], value: str) -> bool:
    """Whether ``check`` takes ``value``, rather than refusing it with a ValueError (which a
    pydantic ValidationError is) or a ConfigurationError."""
    try:
        check(value)
    except (ValueError, ConfigurationError):
        return False
    return True


def test_date_defaults_to_today_in_japan(bsp: Caller) -> None:
    prepared = prepare(PUT_OFFER, bsp, offer(), {"market_type": MarketType.DAY_AHEAD})
    today = dt.datetime.now(JST).date().isoformat()
    assert f'Date="{today}"'.encode() in prepared.payload


def test_wrong_audience_is_refused_before_anything_is_built(certificate: Certificate) -> None:
    tso = Caller("T100", "TSOUSER", ClientType.TSO, certificate)
    with pytest.raises(AudienceError, match="MarketSubmit_OfferData may be called by BSP"):
        prepare(PUT_OFFER, tso, "not even a payload", {})


def test_invalid_payload_names_the_field(bsp: Caller) -> None:
    bad = offer().model_dump()
    bad["resource"] = "lower_case"
    with pytest.raises(PayloadError, match="ResourceName"):
        prepare(PUT_OFFER, bsp, bad, {"market_type": MarketType.DAY_AHEAD})


def test_only_reads_are_resendable(bsp: Caller) -> None:
    """The registry says which operations only read; the transport resends only those."""
    readable = {o.name for o in OPERATIONS if o.read_only}
    assert {o.name for o in OPERATIONS if o.kind == "query"} <= readable
    assert "ReportListRequest" in readable and "ReportDownloadRequestTrnID" in readable
    assert not readable & {"MarketSubmit_OfferData", "MarketCancel_OfferCancel"}
    assert not readable & {"ReportCreateRequest", "RegistrationApproval_Resource"}
    assert not put_offer(bsp).resendable
    assert prepare(QUERY_OFFERS, bsp, OfferQuery(market_type=MarketType.DAY_AHEAD), {}).resendable


def test_models_changed_without_validation_are_checked_again(bsp: Caller) -> None:
    """pydantic trusts model instances; a request must not: what is sent is validated."""
    envelope = {"market_type": MarketType.DAY_AHEAD}
    copied = offer().model_copy(update={"resource": "not valid!"})
    with pytest.raises(PayloadError, match=r"OfferData\[1\]/@ResourceName"):
        prepare(PUT_OFFER, bsp, copied, envelope)
    mutated = offer()
    mutated.stack.append(OfferStack.model_construct(number=2))
    with pytest.raises(PayloadError, match=r"OfferStack\[2\]/@OfferUnitPrice"):
        prepare(PUT_OFFER, bsp, mutated, envelope)
    assigned = offer()
    with pytest.raises(PayloadError, match="ResourceName"):
        assigned.resource = "not valid!"  # assignment is validated at once
    assert prepare(PUT_OFFER, bsp, offer().model_copy(), envelope).payload


@pytest.mark.parametrize("mtom", [False, True])
def test_successful_reply_gives_items_messages_and_statistics(
    bsp: Caller, mtom: bool, caplog: pytest.LogCaptureFixture
) -> None:
    data = example("put_offer_response.xml")
    reply = xml_reply(data, mtom=mtom)
    with caplog.at_level(logging.INFO, logger="mms_client"):
        response = interpret(put_offer(bsp), reply.headers, reply.body)

    [accepted] = response.items
    assert isinstance(accepted, OfferData)
    assert accepted.stack[0].id == "FAKE_ID"
    assert accepted.submission_time == dt.datetime(2024, 3, 15, 11, 44, 15, tzinfo=JST)
    assert response.statistics is not None and response.statistics.transaction_id == "derpderp"
    assert len(response.messages) == 16
    assert {m.severity for m in response.messages} == {"Warning", "Information"}
    assert response.data == data
    # one record per severity, one line per message
    logged = {r.levelname: r.getMessage() for r in caplog.records if r.name == "mms_client"}
    assert sorted(logged) == ["INFO", "WARNING"]
    warnings = logged["WARNING"].splitlines()
    # named by its TransactionId too, which tells apart the answers of calls made at once
    assert warnings[0] == "MarketSubmit_OfferData (derpderp): 8 Warning message(s):"
    assert "Warning at MarketData/MarketSubmit/OfferData: [Warning1] Warning1" in warnings[1:]
    assert len(logged["INFO"].splitlines()) == 1 + 8


def test_a_log_record_is_made_only_where_something_can_hear_it(
    bsp: Caller, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """In an application that configured no logging the warnings of an answer reach only the
    library's own null handler, so no record is made; a handler, a filter or logging's last
    resort each get theirs."""
    reply = xml_reply(example("put_offer_response.xml"))
    logger = logging.getLogger("mms_client")
    made: list[logging.LogRecord] = []
    make_record = logger.makeRecord

    def counting(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        made.append(record)
        return record

    def warnings_made() -> int:
        made.clear()
        interpret(put_offer(bsp), reply.headers, reply.body)
        return sum(record.levelno == logging.WARNING for record in made)

    own = logging.NullHandler()
    monkeypatch.setattr(logger, "makeRecord", counting)
    monkeypatch.setattr(logger, "handlers", [own])  # as the library leaves it
    monkeypatch.setattr(logger, "filters", [])
    monkeypatch.setattr(logger, "propagate", False)  # away from the test runner's handlers
    assert warnings_made() == 0
    too_high = logging.StreamHandler(io.StringIO())
    too_high.setLevel(logging.ERROR)
    logger.addHandler(too_high)
    assert warnings_made() == 0
    too_high.setLevel(logging.WARNING)
    assert warnings_made() == 1
    logger.removeHandler(too_high)
    logger.addFilter(lambda record: True)
    assert warnings_made() == 1
    logger.filters.clear()
    logger.removeHandler(own)
    assert warnings_made() == 1
    assert "MarketSubmit_OfferData (derpderp): 8 Warning message(s):" in capsys.readouterr().err


def test_every_item_of_a_reply_carries_its_own_messages(bsp: Caller) -> None:
    """The typed reply holds each holder's messages, exactly as a full read of the payload
    gives them, also where several offers and stacks are told apart by their index."""
    root = etree.fromstring(example("put_offer_response.xml"))
    [offer] = root.iter("OfferData")
    offer.addnext(copy.deepcopy(offer))
    offer.append(copy.deepcopy(offer.find("OfferStack")))
    offer[-1].set("StackNumber", "2")
    for block in root.iter("Messages"):
        where = root.getroottree().getpath(block.getparent())
        for number, message in enumerate(block, start=1):
            message.text = f"{message.tag} {number} at {where}"
    data = etree.tostring(root)
    reply = xml_reply(data)

    response = interpret(put_offer(bsp), reply.headers, reply.body)

    assert response.document == parse_payload(data)
    first, second = response.items
    assert isinstance(first, OfferData) and first.messages is not None
    stack_warnings = [w.text for w in first.stack[1].messages.warning]
    path = "/MarketData/MarketSubmit/OfferData[1]/OfferStack[2]"
    assert stack_warnings == [f"Warning 1 at {path}", f"Warning 2 at {path}"]
    assert second.messages.information[1].code == "Info2"
    assert second.messages.information[1].text.endswith("at /MarketData/MarketSubmit/OfferData[2]")
    assert len(response.messages) == 4 * 7


def test_a_message_the_schema_does_not_allow_makes_the_reply_malformed(bsp: Caller) -> None:
    """Messages are read once, by the judgement, yet still checked against the schema."""
    data = example("put_offer_response.xml").replace(b'Code="Info2"', b'Code="not a code!"')
    reply = xml_reply(data)
    with pytest.raises(MalformedResponseError, match=r"MarketData/Messages/Information\[2\]/@Code"):
        interpret(put_offer(bsp), reply.headers, reply.body)


def test_failed_reply_raises_with_every_message_and_the_document(bsp: Caller) -> None:
    data = example("base_failed_response.xml")
    reply = xml_reply(data)
    with pytest.raises(MMSValidationError, match="Validation FAILED") as caught:
        interpret(put_offer(bsp), reply.headers, reply.body)
    error = caught.value
    assert error.operation == "MarketSubmit_OfferData"
    assert len(error.messages) == 18
    assert [m.path for m in error.messages if m.severity == "Error"] == [
        "MarketData",
        "MarketData/MarketSubmit",
    ]
    assert "[Error1] Error1" in str(error)
    assert PUT_OFFER.response_items(error.response)[0].stack[0].id == "FAKE_ID"
    # the items an answer would hold travel with the refusal: those that were taken
    assert [item.stack[0].id for item in error.items] == ["FAKE_ID"]


def test_a_refusal_with_many_long_messages_keeps_them_all_and_lists_a_few(bsp: Caller) -> None:
    """The message of the error is printed and logged whole: it must stay readable (and
    small) however many messages, and however long, the reply holds."""
    long = "x" * 3000
    many = "".join(f'<Error Code="E{n:04}">{long}</Error>' for n in range(2000)).encode()
    data = example("base_failed_response.xml").replace(
        b'<Error Code="Error1">Error1</Error>', many, 1
    )
    reply = xml_reply(data)
    with pytest.raises(MMSValidationError) as caught:
        interpret(put_offer(bsp), reply.headers, reply.body)
    error = caught.value
    errors = [m for m in error.messages if m.severity == "Error"]
    assert len(errors) == 2001
    assert errors[0] == ("Error", "E0000", long, "MarketData")
    text = str(error)
    # what to fix first, then what in the reply shows the failure
    assert text.startswith("MarketSubmit_OfferData: the MMS reported 2001 error(s)\n  - Error")
    assert text.endswith(f"\n  ({error.reasons})")
    assert text.count("\n  - Error at MarketData: [E0") == 20
    assert "\n  ... and 1981 more (see .messages)" in text
    first = str(errors[0])
    assert f"\n  - {first[:1000]}... ({len(first) - 1000} more characters, see .messages)" in text
    assert len(text) < 20 * 1100 + 2200


@pytest.mark.parametrize(
    "reply",
    [
        build_response(
            Interface.MI, ResponseAttInfo(False, "TXT", response_data=("署名" * 500_000).encode())
        ),
        build_fault(SoapFault("soapenv:Server", "署名" * 500_000)),
    ],
    ids=["TXT", "SOAP fault"],
)
def test_a_long_server_error_keeps_its_text_and_shows_the_start(
    bsp: Caller, reply: HttpMessage
) -> None:
    with pytest.raises(MMSServerError) as caught:
        interpret(put_offer(bsp), reply.headers, reply.body)
    error = caught.value
    assert "署名" * 500_000 in error.text
    assert len(str(error)) < 2200
    assert str(error).endswith("more characters, see .text)")


def test_reading_a_reply_leaves_the_cycle_collector_as_it_was(bsp: Caller) -> None:
    """The collector is paused while a reply becomes objects; an answer and a refusal alike
    turn it back on, and a collector the program turned off stays off."""
    prepared = put_offer(bsp)
    answer = xml_reply(example("base_response.xml"))
    refusal = xml_reply(example("base_failed_response.xml"))
    assert gc.isenabled()
    interpret(prepared, answer.headers, answer.body)
    assert gc.isenabled()
    with pytest.raises(MMSValidationError):
        interpret(prepared, refusal.headers, refusal.body)
    assert gc.isenabled()
    gc.disable()
    try:
        interpret(prepared, answer.headers, answer.body)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_answer_let_go_at_once_is_never_walked_by_the_cycle_collector(
    bsp: Caller, caplog: pytest.LogCaptureFixture
) -> None:
    """The collector stays off until the answer is made and comes back on without making an
    object of its own, so an answer that a loop lets go before the next is never walked, even
    one of thousands of objects (the collector starts after some hundreds)."""
    caplog.set_level(logging.ERROR, logger="mms_client")  # captured records keep answers
    root = etree.fromstring(example("put_offer_response.xml"))
    [offer] = root.iter("OfferData")
    for _ in range(20):
        offer.addnext(copy.deepcopy(offer))
    reply = xml_reply(etree.tostring(root))
    prepared = put_offer(bsp)
    assert len(interpret(prepared, reply.headers, reply.body).items) == 21  # caches warmed
    collections: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.collect()
    gc.callbacks.append(note)
    try:
        for _ in range(10):
            interpret(prepared, reply.headers, reply.body)
    finally:
        gc.callbacks.remove(note)
    assert collections == []


def test_success_false_fails_even_with_a_clean_payload(bsp: Caller) -> None:
    data = example("base_response.xml")
    reply = build_response(Interface.MI, ResponseAttInfo(False, "XML", response_data=data))
    with pytest.raises(MMSValidationError, match="success is false"):
        interpret(put_offer(bsp), reply.headers, reply.body)


def test_txt_reply_is_a_server_error_with_its_text(bsp: Caller) -> None:
    text = "署名の検証に失敗しました".encode()
    reply = build_response(Interface.MI, ResponseAttInfo(False, "TXT", response_data=text))
    with pytest.raises(MMSServerError, match="署名の検証に失敗しました"):
        interpret(put_offer(bsp), reply.headers, reply.body)


def test_soap_fault_is_a_server_error(bsp: Caller) -> None:
    reply = build_fault(SoapFault("soapenv:Server", "Axis2 broke", "NullPointerException"))
    with pytest.raises(MMSServerError, match="SOAP fault soapenv:Server: Axis2 broke"):
        interpret(put_offer(bsp), reply.headers, reply.body)


def test_soap_fault_without_code_or_text_says_so(bsp: Caller) -> None:
    empty = b'<s:Envelope xmlns:s="%s"><s:Body><s:Fault/></s:Body></s:Envelope>' % (
        SOAP_ENVELOPE_NS.encode()
    )
    with pytest.raises(MMSServerError) as raised:
        interpret(put_offer(bsp), {"Content-Type": "text/xml"}, empty)
    assert raised.value.text == "SOAP fault (no faultcode): (no faultstring)"


def test_query_without_matches_gives_an_empty_list(bsp: Caller) -> None:
    prepared = prepare(QUERY_OFFERS, bsp, OfferQuery(market_type=MarketType.DAY_AHEAD), {})
    assert prepared.resendable
    data = (
        b'<MarketData><MarketSubmit Date="2024-03-15" ParticipantName="F100" '
        b'UserName="FAKEUSER" Validation="PASSED" Success="true"/></MarketData>'
    )
    reply = xml_reply(data)
    assert interpret(prepared, reply.headers, reply.body).items == []


def test_non_xml_reply_is_returned_raw(bsp: Caller) -> None:
    info = ResponseAttInfo(True, "CSV", response_filename="r.csv", response_data=b"a,b\n1,2\n")
    reply = build_response(Interface.MI, info)
    response = interpret(put_offer(bsp), reply.headers, reply.body)
    assert (response.items, response.document) == ([], None)
    assert (response.data, response.data_type, response.filename) == (b"a,b\n1,2\n", "CSV", "r.csv")


@pytest.mark.parametrize(
    ("info", "problem"),
    [
        (ResponseAttInfo(True, "XML"), "carries no payload"),
        (ResponseAttInfo(True, "XML", response_data=b"<MarketData><oops>"), "unreadable"),
        (
            ResponseAttInfo(True, "XML", response_data=b'<MarketData Bogus="1"/>'),
            "does not fit the mi_market schema",
        ),
        (
            ResponseAttInfo(True, "XML", response_compressed=True, response_data=b"\x1f\x8b"),
            "compressed",
        ),
        (
            ResponseAttInfo(
                True,
                "XML",
                response_data=b'<!DOCTYPE m [<!ENTITY e SYSTEM "file:///etc/passwd">]><m>&e;</m>',
            ),
            "no DTD or entities",
        ),
    ],
)
def test_unusable_replies_are_malformed(bsp: Caller, info: ResponseAttInfo, problem: str) -> None:
    reply = build_response(Interface.MI, info)
    with pytest.raises(MalformedResponseError, match=problem):
        interpret(put_offer(bsp), reply.headers, reply.body)


def test_reply_of_the_other_service_is_malformed(bsp: Caller) -> None:
    reply = build_response(Interface.OMI, ResponseAttInfo(True, "XML", response_data=b"<a/>"))
    with pytest.raises(MalformedResponseError, match="not from the MI service"):
        interpret(put_offer(bsp), reply.headers, reply.body)


def test_operations_are_resolved_by_name_interface_or_payload_class() -> None:
    from mms_client.errors import ConfigurationError
    from mms_client.exchange import resolve_operation
    from mms_client.schema.generated import omi

    assert resolve_operation("MarketSubmit_OfferData", offer()) is PUT_OFFER
    assert resolve_operation(PUT_OFFER, None) is PUT_OFFER
    shared = "MarketSubmit_BaselineLoad"
    assert resolve_operation(shared, None, "OMI").interface is Interface.OMI
    by_model = resolve_operation(shared, [omi.BaselineLoadSubmit()])
    assert by_model.interface is Interface.OMI
    with pytest.raises(ConfigurationError, match="pass interface= to choose"):
        resolve_operation(shared, {"File": []})
    with pytest.raises(ConfigurationError, match="no MMS operation is called 'put_offer'"):
        resolve_operation("put_offer", offer())
