"""The request and response forms the simulator accepts and produces on the wire."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from mms_client.schema.files import Schema, xml_schema
from mms_client.schema.generated.mi_market import MarketType, OfferQuery
from mms_client.security.signing import sign
from mms_client.sim.service import ResponseEncoding
from mms_client.sim.simulator import Simulator

from .conftest import OfferFactory, Wire

DAM = MarketType.DAY_AHEAD
BOUNDARY = "MIMEBoundary_0f8e2a6c4d"


def _sloppy_request(payload: bytes, signature: str) -> tuple[dict[str, str], bytes]:
    """A request framed like the established client frames it: CRLF only on the first
    lines, bare LF after that, and two Content-Transfer-Encoding headers on the root part."""
    envelope = (
        '<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/">\n'
        " <soap-env:Body>\n"
        '  <ns0:RequestAttInfo xmlns:ns0="urn:abb.com:project/mms/types">\n'
        "   <requestType>mp.market</requestType>\n"
        "   <adminRole>false</adminRole>\n"
        "   <requestDataCompressed>false</requestDataCompressed>\n"
        "   <requestDataType>XML</requestDataType>\n"
        "   <sendRequestDataOnSuccess>false</sendRequestDataOnSuccess>\n"
        "   <sendResponseDataCompressed>false</sendResponseDataCompressed>\n"
        f"   <requestSignature>{signature}</requestSignature>\n"
        '   <requestData><xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" '
        'href="cid:0123456789abcdef-payload@example.com"/></requestData>\n'
        "  </ns0:RequestAttInfo>\n"
        " </soap-env:Body>\n"
        "</soap-env:Envelope>"
    ).encode()
    body = (
        (
            f"--{BOUNDARY}\r\n"
            'Content-Type: application/xop+xml; charset="utf-8"; type="text/xml"\r\n'
            "Content-Transfer-Encoding: binary\n"
            "Content-ID: <root.message@example.com>\n"
            "Content-Transfer-Encoding: binary\n"
            "\n"
        ).encode()
        + envelope
        + (
            f"\n--{BOUNDARY}\n"
            "Content-Type: application/octet-stream\n"
            "Content-Transfer-Encoding: binary\n"
            "Content-ID: <0123456789abcdef-payload@example.com>\n"
            "\n"
        ).encode()
        + payload
        + f"\n--{BOUNDARY}--\n".encode()
    )
    headers = {
        "SOAPAction": '"urn:abb.com:project/mms/submitAttachment"',
        "Content-Type": (
            'multipart/related; charset="UTF-8"; type="application/xop+xml"; '
            f'start="<root.message@example.com>"; boundary="{BOUNDARY}"; '
            'start-info="application/soap+xml"'
        ),
        "MIME-Version": "1.0",
    }
    return headers, body


def test_the_sloppy_framing_real_clients_send_is_accepted(
    fresh_wire: Wire, offer: OfferFactory
) -> None:
    payload = fresh_wire.payload("MarketSubmit_OfferData", offer(), market_type=DAM)
    key = fresh_wire.certificate(fresh_wire.simulator.user()).private_key
    headers, body = _sloppy_request(payload, sign(payload, key))
    assert b"\r\n" in body[:80] and b"Content-Transfer-Encoding: binary\nContent-ID" in body

    answer = fresh_wire.post(headers, body)

    assert answer.info.success is True, answer.body
    assert answer.codes() == []
    assert fresh_wire.simulator.count("MarketSubmit_OfferData") == 1
    assert fresh_wire.simulator.requests[-1].payload == payload


PAYLOAD_ID = "<0123456789abcdef-payload@example.com>"


@pytest.mark.parametrize(
    ("flaw", "problem"),
    [
        (
            "duplicate",
            "parts 2 and 3 have the same Content-ID '0123456789abcdef-payload@example.com'",
        ),
        ("start", "the multipart start parameter '<elsewhere@example.com>' names no part"),
    ],
    ids=["duplicate-content-id", "start-names-no-part"],
)
def test_an_ambiguous_request_is_refused_and_nothing_is_processed(
    fresh_wire: Wire, offer: OfferFactory, flaw: str, problem: str
) -> None:
    """The signed payload, then another part of its Content-ID; or a root that no part is.
    Reading the first part instead would be a guess at what the sender meant."""
    payload = fresh_wire.payload("MarketSubmit_OfferData", offer(), market_type=DAM)
    key = fresh_wire.certificate(fresh_wire.simulator.user()).private_key
    headers, body = _sloppy_request(payload, sign(payload, key))
    if flaw == "duplicate":
        impostor = f"--{BOUNDARY}\nContent-ID: {PAYLOAD_ID}\n\n<MarketData/>\n".encode()
        body = body.replace(f"--{BOUNDARY}--".encode(), impostor + f"--{BOUNDARY}--".encode())
    else:
        headers["Content-Type"] = headers["Content-Type"].replace(
            "<root.message@example.com>", "<elsewhere@example.com>"
        )

    answer = fresh_wire.post(headers, body)

    assert answer.status == 500
    assert answer.fault.message == f"unreadable MMS request: {problem}"
    assert fresh_wire.simulator.count("MarketSubmit_OfferData") == 0


def test_a_request_holding_requestdata_twice_is_refused_and_nothing_is_processed(
    fresh_wire: Wire, offer: OfferFactory
) -> None:
    """The signed payload, then a second requestData of other offers beside it: checking
    the signature of the first and leaving the second unseen would take a request the MMS
    refuses."""
    payload = fresh_wire.payload("MarketSubmit_OfferData", offer(), market_type=DAM)
    other = fresh_wire.payload("MarketSubmit_OfferData", offer(start_hour=15), market_type=DAM)
    key = fresh_wire.certificate(fresh_wire.simulator.user()).private_key
    headers, body = _sloppy_request(payload, sign(payload, key))
    second = f"   <requestData>{base64.b64encode(other).decode()}</requestData>\n"
    closing = b"  </ns0:RequestAttInfo>"
    body = body.replace(closing, second.encode() + closing)

    answer = fresh_wire.post(headers, body)

    assert answer.status == 500
    assert answer.fault.message == "unreadable MMS request: the SOAP body holds <requestData> twice"
    assert fresh_wire.simulator.count("MarketSubmit_OfferData") == 0


def test_inline_base64_is_the_default_response_form(wire: Wire) -> None:
    answer = wire.call("MarketQuery_OfferQuery", OfferQuery(market_type=DAM))
    assert answer.headers["content-type"].startswith("text/xml")
    assert b"<responseData>" in answer.body
    assert base64.b64encode(answer.payload) in answer.body


@pytest.mark.parametrize("encoding", [ResponseEncoding.MTOM, "mtom"])
def test_responses_can_be_sent_as_mtom(
    mms_simulator_pki: Path, tmp_path: Path, encoding: ResponseEncoding | str
) -> None:
    with Simulator(
        tmp_path / "sim",
        pki_source=mms_simulator_pki,
        backup_port=None,
        response_encoding=encoding,
    ) as simulator:
        wire = Wire(simulator)
        answer = wire.call("MarketQuery_OfferQuery", OfferQuery(market_type=DAM))
        assert answer.headers["content-type"].startswith("multipart/related")
        assert b"xop:Include" in answer.body
        assert answer.document.find("MarketSubmit") is not None


def test_an_unknown_response_encoding_is_refused(tmp_path: Path) -> None:
    with pytest.raises(
        ValueError, match="response_encoding must be one of 'inline', 'mtom'; got 'xml'"
    ):
        Simulator(tmp_path / "sim", response_encoding="xml")
    assert not (tmp_path / "sim").exists()


def test_answers_are_valid_against_the_official_schema(
    fresh_wire: Wire, offer: OfferFactory
) -> None:
    compiled = xml_schema(Schema.MI_MARKET)
    if compiled is None:
        pytest.skip("the official MMS schema files are not available (set MMS_SCHEMA_DIR)")
    answers = [
        fresh_wire.call("MarketSubmit_OfferData", [offer(), offer("NO_SUCH")], market_type=DAM),
        fresh_wire.call("MarketQuery_OfferQuery", OfferQuery(market_type=DAM)),
        fresh_wire.call(
            "MarketSubmit_OfferData",
            offer(),
            market_type=DAM,
            user=fresh_wire.simulator.user("TSO"),
        ),
    ]
    for answer in answers:
        assert compiled.validate(answer.document), compiled.error_log


def test_the_backup_address_serves_the_same_mms(wire: Wire) -> None:
    user = wire.simulator.user()
    message = wire.message(
        wire.payload("MarketQuery_OfferQuery", OfferQuery(market_type=DAM)), user=user
    )
    answer = wire.post(
        message.headers,
        message.body,
        url=wire.simulator.backup_url + "/axis2/services/MiWebService",
    )
    assert answer.codes() == []
    assert wire.simulator.requests[-1].endpoint == "backup"
