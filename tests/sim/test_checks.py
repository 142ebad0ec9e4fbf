"""What the simulator checks before it acts, in the MMS's order, and how it refuses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mms_client.endpoints import ClientType, Interface
from mms_client.examples import example_request
from mms_client.schema import codec, files
from mms_client.schema.files import SCHEMA_DIR_VARIABLE, Schema, xml_schema
from mms_client.schema.generated.mi_market import MarketType, OfferQuery
from mms_client.security.certs import Certificate
from mms_client.sim import seed
from mms_client.sim.pki import Pki
from mms_client.sim.simulator import Simulator
from mms_client.wire.soap import Attachment, RequestAttInfo, build_request

from .conftest import OfferFactory, Wire

SUBMIT = "MarketSubmit_OfferData"
DAM = MarketType.DAY_AHEAD


def test_a_tampered_payload_fails_the_signature_check_and_nothing_is_stored(
    fresh_wire: Wire, offer: OfferFactory
) -> None:
    payload = fresh_wire.payload(SUBMIT, offer(), market_type=DAM)
    tampered = payload.replace(b'OfferUnitPrice="100"', b'OfferUnitPrice="900"')
    assert tampered != payload
    message = fresh_wire.message(tampered, signed_payload=payload)

    answer = fresh_wire.post(message.headers, message.body)

    assert answer.status == 200 and answer.info.success is False
    assert "requestSignature does not verify" in answer.text
    assert (
        fresh_wire.simulator.store.offers(
            market_type="DAM", period_start="2024-03-15T00:00:00", period_end="2024-03-16T00:00:00"
        )
        == []
    )


def test_a_request_without_signature_is_refused(wire: Wire, offer: OfferFactory) -> None:
    payload = wire.payload(SUBMIT, offer(), market_type=DAM)
    info = RequestAttInfo(request_type="mp.market", request_signature=None)
    message = build_request(Interface.MI, info, payload, domain="tests.local")
    assert "requestSignature" in wire.post(message.headers, message.body).text


def test_a_certificate_from_another_ca_fails_the_tls_handshake(
    wire: Wire, offer: OfferFactory, tmp_path: Path
) -> None:
    stranger = Pki.load_or_create(tmp_path / "other-pki", users=seed.USERS[:1]).users[0]
    certificate = Certificate(stranger.p12, stranger.passphrase)
    message = wire.message(wire.payload(SUBMIT, offer(), market_type=DAM))
    before = wire.simulator.count(processed=False)

    with pytest.raises(httpx.ConnectError):
        wire.post(message.headers, message.body, certificate=certificate)

    assert wire.simulator.count(processed=False) == before


def test_a_certificate_of_another_user_than_the_payload_names_is_refused(
    wire: Wire, offer: OfferFactory
) -> None:
    other = wire.simulator.user("BSP", participant="F200")
    # signed with F200's key (so the signature is fine), but the payload names F100/FAKEUSER
    message = wire.message(wire.payload(SUBMIT, offer(), market_type=DAM), user=other)

    answer = wire.post(message.headers, message.body, user=other)

    assert "belongs to user OTHERUSER of participant F200" in answer.text
    assert "ParticipantName=F100 UserName=FAKEUSER" in answer.text


def test_a_certificate_with_the_right_participant_but_another_user_is_refused(
    wire: Wire, offer: OfferFactory, tmp_path: Path
) -> None:
    pki = Pki.load_or_create(wire.simulator.ca.parent, users=())
    p12 = pki.issue_p12("F100", "INTRUDER", ClientType.BSP, "pass")
    (tmp_path / "intruder.p12").write_bytes(p12)
    intruder = Certificate(tmp_path / "intruder.p12", "pass")
    payload = wire.payload(SUBMIT, offer(), market_type=DAM)
    from mms_client.security.signing import sign

    message = wire.message(payload, signature=sign(payload, intruder.private_key))
    answer = wire.post(message.headers, message.body, certificate=intruder)
    assert "belongs to user INTRUDER" in answer.text


def test_a_certificate_claiming_another_client_type_than_registered_is_refused(
    wire: Wire, offer: OfferFactory, tmp_path: Path
) -> None:
    from mms_client.security.signing import sign

    pki = Pki.load_or_create(wire.simulator.ca.parent, users=())
    bsp = wire.simulator.user(ClientType.BSP)  # registered as a BSP
    p12 = pki.issue_p12(bsp.participant, bsp.user, ClientType.TSO, "pass")
    (tmp_path / "as-tso.p12").write_bytes(p12)
    as_tso = Certificate(tmp_path / "as-tso.p12", "pass")
    payload = wire.payload(SUBMIT, offer(), market_type=DAM)

    message = wire.message(payload, signature=sign(payload, as_tso.private_key))
    answer = wire.post(message.headers, message.body, certificate=as_tso)

    # refused as a whole, in plain text, as a request from someone unknown
    assert (answer.info.success, answer.info.response_data_type) == (False, "TXT")
    assert f"makes user {bsp.user} of participant {bsp.participant} a TSO" in answer.text
    assert "registered as BSP" in answer.text


def test_a_tso_cannot_submit_offers_even_when_it_bypasses_its_client(
    wire: Wire, offer: OfferFactory
) -> None:
    tso = wire.simulator.user(ClientType.TSO)
    before = wire.simulator.count(SUBMIT)

    answer = wire.call(SUBMIT, offer(), market_type=DAM, user=tso)

    assert answer.codes() == ["E_NOT_AUTHORISED"]
    assert answer.info.success is False
    assert answer.statistics()["Invalid"] == "1"
    # the envelope comes back with its attributes, FAILED, and none of the items
    echoed = answer.document.find("MarketSubmit")
    assert echoed is not None and len(echoed) == 0
    assert (echoed.get("MarketType"), echoed.get("UserName")) == ("DAM", tso.user)
    assert (echoed.get("Validation"), echoed.get("Success")) == ("FAILED", "false")
    assert wire.simulator.count(SUBMIT) == before + 1  # processed, and refused


def test_every_client_type_may_query_offers(wire: Wire) -> None:
    for client_type in ClientType:
        answer = wire.call(
            "MarketQuery_OfferQuery",
            OfferQuery(market_type=DAM),
            user=wire.simulator.user(client_type),
        )
        assert answer.codes() == [], client_type


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"<MarketData><MarketSubmit", "not acceptable XML"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><MarketData/>', "no DTD or entities"),
        (b"<RegistrationData/>", "must be a MarketData document"),
        (
            b"<MarketData><MarketQuery "
            + b" ".join(b'a%d="1"' % number for number in range(1025))
            + b"/></MarketData>",
            "MarketQuery: at most 1024 attributes on one element (got 1025)",
        ),
    ],
)
def test_payloads_that_are_not_usable_xml_are_refused_as_text(
    wire: Wire, payload: bytes, expected: str
) -> None:
    message = wire.message(payload)
    assert expected in wire.post(message.headers, message.body).text


_BROKEN_OFFER = (
    b'<MarketData><MarketSubmit Date="2024-03-15" MarketType="DAM" ParticipantName="F100" '
    b'UserName="FAKEUSER"><OfferData Direction="1" EndTime="2024-03-15T21:00:00" '
    b'ResourceName="fake reso" StartTime="2024-03-15T12:00:00"><OfferStack '
    b'MinimumQuantityInKw="100" OfferUnitPrice="1e3" StackNumber="x"></OfferStack>'
    b"</OfferData></MarketSubmit></MarketData>"
)
"""An offer whose resource name, price and stack number break the schema."""


def test_a_payload_that_breaks_the_schema_is_refused_with_the_path_rule_and_value(
    wire: Wire,
) -> None:
    message = wire.message(_BROKEN_OFFER)

    answer = wire.post(message.headers, message.body)

    assert set(answer.codes()) == {"E_SCHEMA_INVALID"}
    texts = [str(e.text) for e in answer.document.iter("Error")]
    # each with the value given, as the client's own PayloadError shows it
    stack = "MarketData/MarketSubmit/OfferData[1]/OfferStack[1]"
    assert any(
        text.startswith("MarketData/MarketSubmit/OfferData[1]/@ResourceName: ")
        and text.endswith(" (got 'fake reso')")
        for text in texts
    )
    assert any(
        text.startswith(f"{stack}/@StackNumber: should be written as XML Schema writes a whole")
        and text.endswith(" (got 'x')")
        for text in texts
    )
    # the XSD has no exponent, which pydantic read: a price of "1e3" was taken as 1000
    assert any(
        text.startswith(f"{stack}/@OfferUnitPrice: should be written as XML Schema writes a")
        and text.endswith(" (got '1e3')")
        for text in texts
    )
    assert answer.statistics()["Invalid"] == "1"
    echoed = answer.document.find("MarketSubmit")
    assert echoed is not None and echoed.get("Validation") == "FAILED"

    # an envelope attribute that breaks the schema cannot be echoed: the refusal comes alone
    broken = _BROKEN_OFFER.replace(b'MarketType="DAM"', b'MarketType="DAX"')
    message = wire.message(broken)
    answer = wire.post(message.headers, message.body)
    assert any("@MarketType" in str(e.text) for e in answer.document.iter("Error"))
    assert answer.document.find("MarketSubmit") is None


def test_a_huge_value_that_breaks_the_schema_is_cut_in_the_refusal(wire: Wire) -> None:
    """A request may be 64 MiB: a refusal shows the start of a value that breaks the schema,
    as the client's PayloadError does, and how much more there was, not the value whole."""
    huge = "R" * 100_000
    message = wire.message(_BROKEN_OFFER.replace(b"fake reso", huge.encode()))

    answer = wire.post(message.headers, message.body)

    texts = [str(e.text) for e in answer.document.iter("Error")]
    (refusal,) = [text for text in texts if "@ResourceName" in text]

    shown = (
        "MarketData/MarketSubmit/OfferData[1]/@ResourceName: String should have at most 10 "
        f"characters (got '{huge}')"
    )
    assert refusal == f"{shown[:1000]}... ({len(shown) - 1000} more characters)"


def test_a_report_request_refused_as_a_whole_says_so_on_its_root(wire: Wire) -> None:
    payload = (
        b'<MarketReport ApplicationType="MARKET_REPORT" ParticipantName="F100">'
        b'<ReportListRequest Date="2024-04-01"/></MarketReport>'
    )
    message = wire.message(payload, request_type="mp.report")
    answer = wire.post(message.headers, message.body)
    # the report schema's messages are plain text, without a Code
    errors = [str(e.text) for e in answer.document.iter("Error")]
    assert errors and all(text.startswith("E_SCHEMA_INVALID") for text in errors)
    assert answer.document.get("ValidationStatus") == "FAILED"
    assert answer.document.get("ParticipantName") == "F100"


def test_an_envelope_without_items_names_no_operation(wire: Wire) -> None:
    payload = (
        b'<MarketData><MarketSubmit Date="2024-03-15" ParticipantName="F100" '
        b'UserName="FAKEUSER"></MarketSubmit></MarketData>'
    )
    message = wire.message(payload)
    assert wire.post(message.headers, message.body).codes() == ["E_NO_OPERATION"]


def test_an_unknown_request_type_is_refused(wire: Wire, offer: OfferFactory) -> None:
    payload = wire.payload(SUBMIT, offer(), market_type=DAM)
    message = wire.message(payload, request_type="mp.registration")
    assert "must be a RegistrationData document" in wire.post(message.headers, message.body).text
    message = wire.message(payload, request_type="mp.info")
    assert "requestType 'mp.info' is not served" in wire.post(message.headers, message.body).text
    message = wire.message(payload, request_type="")
    assert "requestType '' is not served" in wire.post(message.headers, message.body).text


def test_an_unreadable_soap_request_gets_a_soap_fault(wire: Wire) -> None:
    answer = wire.post({"Content-Type": "text/xml"}, b"<not-soap/>")
    assert answer.status == 500
    assert answer.fault.code.endswith("Client")
    assert "not a SOAP 1.1 envelope" in answer.fault.message


def test_a_request_sent_to_the_other_service_gets_a_soap_fault(
    wire: Wire, offer: OfferFactory
) -> None:
    message = wire.message(wire.payload(SUBMIT, offer(), market_type=DAM))
    omi = wire.simulator.base_url + "/axis2/services/OmiWebService"
    answer = wire.post(message.headers, message.body, url=omi)
    assert answer.status == 500
    assert "the MI service is at /axis2/services/MiWebService" in answer.fault.message


def test_only_post_to_the_service_paths_is_served(wire: Wire) -> None:
    user = wire.simulator.user()
    with httpx.Client(verify=wire.tls(user)) as client:
        assert (
            client.get(wire.simulator.base_url + "/axis2/services/MiWebService").status_code == 405
        )
        assert client.post(wire.simulator.base_url + "/elsewhere", content=b"").status_code == 404


def test_a_path_that_is_no_service_gets_http_404_naming_the_services(wire: Wire) -> None:
    """As the web server in front of a SOAP service answers: plain HTTP, not a SOAP fault
    (that is for a request the service cannot read); nothing reaches the service."""
    message = wire.message(wire.payload("MarketQuery_OfferQuery", OfferQuery(market_type=DAM)))
    before = wire.simulator.count(processed=False)
    with httpx.Client(verify=wire.tls(wire.simulator.user())) as client:
        answer = client.post(
            wire.simulator.base_url + "/mms/axis2/services/MiWebService",
            headers=message.headers,
            content=message.body,
        )
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    assert answer.text == (
        "no MMS service at /mms/axis2/services/MiWebService; the services are at "
        "/axis2/services/MiWebService and /axis2/services/OmiWebService"
    )
    assert wire.simulator.count(processed=False) == before


def test_the_official_schema_check_reports_lines_and_rules() -> None:
    from mms_client.schema import codec
    from mms_client.schema.files import Schema, xml_schema
    from mms_client.sim.service import _xsd_issues

    if xml_schema(Schema.MI_MARKET) is None:
        pytest.skip("the official MMS schema files are not available (set MMS_SCHEMA_DIR)")
    tree = codec.parse_xml(b'<MarketData>\n<MarketSubmit Date="tomorrow"/></MarketData>')

    issues = _xsd_issues(xml_schema(Schema.MI_MARKET), tree)

    assert issues and {issue.code.value for issue in issues} == {"E_SCHEMA_INVALID"}
    assert any(i.text.startswith("line 2:") and "Date" in i.text for i in issues)


def test_the_signature_is_checked_before_the_payload_is_parsed(wire: Wire) -> None:
    # a payload that is not even XML: refused for its signature, so it was never parsed
    garbage = b"<MarketData><MarketSubmit " + b"\x00not xml" * 1000
    signed = wire.message(garbage, signature="bm90IGEgc2lnbmF0dXJl")
    unsigned = build_request(
        Interface.MI,
        RequestAttInfo(request_type="mp.market", request_signature=None),
        garbage,
        domain="tests.local",
    )

    for message in (signed, unsigned):
        answer = wire.post(message.headers, message.body)

        assert (answer.status, answer.info.response_data_type) == (200, "TXT")
        assert answer.text == (
            "the requestSignature does not verify over the payload with the key of the "
            "client certificate"
        )


@pytest.fixture
def models_only_wire(
    mms_simulator_pki: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Wire]:
    """Requests to a simulator started as an installed package starts: with no official XSD
    (no MMS_SCHEMA_DIR, no schema folder beside a checkout), so the payload models alone
    check payloads."""
    monkeypatch.delenv(SCHEMA_DIR_VARIABLE, raising=False)
    monkeypatch.setattr(files, "_checkout_schemas", lambda: None)
    with Simulator(tmp_path / "sim", pki_source=mms_simulator_pki) as simulator:
        yield Wire(simulator)


_MESSAGES = b'<Messages><Information Code="I1">as agreed</Information></Messages>'
_OFFER_ORDER = "Messages, OfferStack"
_DR_PATTERN_ORDER = "Messages, CustomerListAttachment, EvaluationAttachment, Comments"


def _registration(wire: Wire, operation: str) -> tuple[bytes, list[Attachment]]:
    """The example payload of the registration ``operation``, with its attachments."""
    example = example_request(operation)
    user = wire.user(example.client_type, example.participant)
    return codec.write(example.document(user.user)), list(example.attachments)


@pytest.mark.parametrize(
    ("request_type", "misplaced"),
    [
        (
            "mp.market",
            "MarketData/MarketSubmit/OfferData[1]/Messages: out of order: after OfferStack, "
            f"where the schema's sequence ({_OFFER_ORDER}) puts it before",
        ),
        (
            "mp.registration",
            "RegistrationData/RegistrationSubmit/DrPattern[1]/CustomerListAttachment: out of "
            f"order: after Comments, where the schema's sequence ({_DR_PATTERN_ORDER}) puts "
            "it before",
        ),
    ],
)
def test_child_elements_out_of_the_sequences_order_are_refused_without_the_xsds(
    models_only_wire: Wire, offer: OfferFactory, request_type: str, misplaced: str
) -> None:
    """The MMS validates requests against its XSDs, which put the child elements of a
    sequence in an order; the payload models read them in any, so the simulator checks the
    order itself when it has no XSD to."""
    wire = models_only_wire
    attachments: list[Attachment] = []
    if request_type == "mp.market":
        payload = wire.payload(SUBMIT, offer(), market_type=DAM)
        payload = payload.replace(b"</OfferData>", _MESSAGES + b"</OfferData>")
    else:
        payload, attachments = _registration(wire, "RegistrationSubmit_DrPattern")
        payload = payload.replace(
            b"<CustomerListAttachment", b"<Comments>as agreed</Comments><CustomerListAttachment"
        )
    message = wire.message(payload, request_type=request_type, attachments=attachments)

    answer = wire.post(message.headers, message.body)

    assert [str(e.text) for e in answer.document.iter("Error")] == [misplaced]
    assert answer.codes() == ["E_SCHEMA_INVALID"]
    assert answer.info.success is False and answer.statistics()["Invalid"] == "1"


def test_child_elements_in_an_order_the_schema_takes_are_accepted_without_the_xsds(
    models_only_wire: Wire, offer: OfferFactory
) -> None:
    """A sequence's elements in its order, and an xs:all's (a registration Resource's) in
    any order, are what the MMS takes."""
    wire = models_only_wire
    payload = wire.payload(SUBMIT, offer(), market_type=DAM)
    payload = payload.replace(b"<OfferStack", _MESSAGES + b"<OfferStack", 1)
    message = wire.message(payload)
    answer = wire.post(message.headers, message.body)
    assert answer.info.success, answer.codes()

    resource, _ = _registration(wire, "RegistrationSubmit_Resource")
    resource = resource.replace(
        b"</Resource>", b"<Comments>new</Comments>" + _MESSAGES + b"</Resource>"
    )
    message = wire.message(resource, request_type="mp.registration")
    answer = wire.post(message.headers, message.body)
    assert answer.info.success, answer.codes()


def test_child_elements_out_of_order_are_refused_once_with_the_xsds(
    wire: Wire, offer: OfferFactory
) -> None:
    """With the official XSDs, their validation refuses the order: it is not reported twice."""
    if xml_schema(Schema.MI_MARKET) is None:
        pytest.skip("the official MMS schema files are not available (set MMS_SCHEMA_DIR)")
    payload = wire.payload(SUBMIT, offer(), market_type=DAM)
    message = wire.message(payload.replace(b"</OfferData>", _MESSAGES + b"</OfferData>"))

    answer = wire.post(message.headers, message.body)

    (refusal,) = [str(e.text) for e in answer.document.iter("Error")]
    assert "Element 'Messages': This element is not expected" in refusal
