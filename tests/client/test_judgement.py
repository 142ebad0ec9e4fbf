"""Judging MMS responses: failed or not, every message with its path, the statistics."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from lxml import etree

from mms_client.errors import MalformedResponseError
from mms_client.jst import JST
from mms_client.judgement import Judgement, Message, judge
from mms_client.schema import codec, root_model
from mms_client.schema.codec import parse_xml
from mms_client.schema.generated.mi_market import MarketData

from .conftest import example


def test_successful_response_returns_warnings_and_information_with_paths() -> None:
    verdict = judge(parse_xml(example("put_offer_response.xml")))
    assert not verdict.failed
    assert verdict.reasons == ()
    assert verdict.errors == ()
    assert len(verdict.warnings) == 8 and len(verdict.information) == 8
    assert verdict.counts == {"Warning": 8, "Information": 8}
    assert verdict.messages[:2] == (
        Message("Warning", "Warning1", "Warning1", "MarketData"),
        Message("Warning", "Warning2", "Warning2", "MarketData"),
    )
    assert {m.path for m in verdict.messages} == {
        "MarketData",
        "MarketData/MarketSubmit",
        "MarketData/MarketSubmit/OfferData",
        "MarketData/MarketSubmit/OfferData/OfferStack",
    }
    statistics = verdict.statistics
    assert statistics is not None
    assert (statistics.received, statistics.valid, statistics.invalid) == (1, 1, 0)
    assert (statistics.successful, statistics.unsuccessful) == (1, 0)
    assert statistics.processing_time_ms == 187
    assert statistics.transaction_id == "derpderp"
    assert statistics.timestamp == "Tue Mar 15 11:43:37 JST 2024"
    assert statistics.xml_timestamp == dt.datetime(2024, 3, 15, 11, 43, 37, tzinfo=JST)


def test_failed_response_lists_errors_and_why() -> None:
    verdict = judge(parse_xml(example("base_failed_response.xml")))
    assert verdict.failed
    assert [str(m) for m in verdict.errors] == [
        "Error at MarketData: [Error1] Error1",
        "Error at MarketData/MarketSubmit: [Error1] Error1",
    ]
    assert verdict.reasons == (
        "MarketData/MarketSubmit has Validation FAILED",
        "MarketData/MarketSubmit has Success false",
        "2 Error message(s)",
    )


def test_a_message_keeps_the_full_width_spaces_of_its_text() -> None:
    """A message's text is collapsed of the white space XML knows (the line breaks and the
    indentation around it), not of the full-width space (U+3000) of Japanese text, which is
    part of a name it quotes: a resource called 偽電力　二 is not 偽電力 二."""
    text = "リソース「偽電力\u3000二」は登録されていません"
    document = example("base_failed_response.xml").replace(
        b">Error1</Error>", f">\n      {text}\n    </Error>".encode(), 1
    )
    verdict = judge(parse_xml(document))
    assert verdict.errors[0].text == text


@pytest.mark.parametrize("name", ["base_response.xml", "query_reserve_requirements_response.xml"])
def test_other_examples_pass(name: str) -> None:
    assert not judge(parse_xml(example(name))).failed


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (b'<MarketData><ProcessingStatistics Invalid="2"/></MarketData>', "2 invalid item(s)"),
        (
            b'<MarketData><MarketSubmit><OfferData Validation="PASSED_PARTIAL"/>'
            b'<OfferData Validation="PASSED" Success="false"/></MarketSubmit></MarketData>',
            "MarketData/MarketSubmit/OfferData[1] has Validation PASSED_PARTIAL",
        ),
        (
            b'<MarketData><MarketSubmit><OfferData Validation="PASSED_PARTIAL"/>'
            b'<OfferData Validation="PASSED" Success="false"/></MarketSubmit></MarketData>',
            "MarketData/MarketSubmit/OfferData[2] has Success false",
        ),
        (
            b'<MarketReport ValidationStatus="FAILED"/>',
            "MarketReport has Validation FAILED",
        ),
        (
            b"<RegistrationData><RegistrationSubmit><Resource><Messages><Error>bad</Error>"
            b"</Messages></Resource></RegistrationSubmit></RegistrationData>",
            "1 Error message(s)",
        ),
    ],
)
def test_each_failure_rule(document: bytes, reason: str) -> None:
    verdict = judge(parse_xml(document))
    assert verdict.failed
    assert reason in " ".join(verdict.reasons)


def test_report_messages_are_plain_strings_without_code() -> None:
    document = (
        b'<MarketReport ApplicationType="MARKET_REPORT" ParticipantName="F100">'
        b'<ProcessingStatistics TimeInMs="12" TransactionId="T1"/>'
        b"<Messages><Information>  report   queued </Information></Messages>"
        b"<ReportCreateRequest/></MarketReport>"
    )
    verdict = judge(parse_xml(document))
    assert not verdict.failed
    assert verdict.messages == (Message("Information", None, "report queued", "MarketReport"),)
    assert verdict.statistics is not None
    assert verdict.statistics.processing_time_ms == 12
    assert verdict.statistics.received is None


def test_outbound_upper_case_errors_count() -> None:
    document = b"<OutboundData><MESSAGES><ERROR>no data</ERROR></MESSAGES></OutboundData>"
    verdict = judge(parse_xml(document))
    assert verdict.failed
    assert verdict.errors == (Message("Error", None, "no data", "OutboundData"),)


def test_passed_and_warning_validations_do_not_fail() -> None:
    document = (
        b'<MarketData><MarketSubmit Validation="WARNING" Success="true">'
        b'<OfferData Validation="PASSED" Success="1"/></MarketSubmit></MarketData>'
    )
    assert not judge(parse_xml(document)).failed


@pytest.mark.parametrize(
    "statistics", [b'Invalid="many"', b'XmlTimeStamp="yesterday"', b'Received="1.5"']
)
def test_broken_statistics_are_malformed(statistics: bytes) -> None:
    with pytest.raises(MalformedResponseError, match="ProcessingStatistics"):
        judge(parse_xml(b"<MarketData><ProcessingStatistics " + statistics + b"/></MarketData>"))


def _two_offers_second_failed() -> bytes:
    """The put_offer answer with its offer twice, the second refused."""
    root = parse_xml(example("put_offer_response.xml"))
    submit = root.find("MarketSubmit")
    assert submit is not None
    offer = submit.find("OfferData")
    assert offer is not None
    second = copy.deepcopy(offer)
    second.set("Validation", "FAILED")
    second.set("Success", "false")
    error = etree.SubElement(second.find("Messages"), "Error", Code="OFFER_REFUSED")
    error.text = "  the offer\n   is refused "
    offer.addnext(second)
    return etree.tostring(root)


@pytest.mark.parametrize(
    "name", ["put_offer_response.xml", "base_failed_response.xml", "base_response.xml"]
)
def test_verdict_read_with_the_document_equals_the_tree_walk(name: str) -> None:
    document = example(name)
    judgement = Judgement()
    codec.read(document, MarketData, watcher=judgement)
    assert judgement.verdict() == judge(parse_xml(document))


@pytest.mark.parametrize(
    ("schema", "document"),
    [
        (
            "mi_report",
            b'<MarketReport ApplicationType="MARKET_REPORT" ParticipantName="F100">'
            b'<ProcessingStatistics TimeInMs="12" TransactionId="T1"/>'
            b"<Messages><Information>  report   queued </Information><Warning>late</Warning>"
            b"</Messages></MarketReport>",
        ),
        (
            "mi_outbnd_reports",
            b"<OutboundData><MESSAGES><ERROR>no data</ERROR></MESSAGES></OutboundData>",
        ),
    ],
)
def test_plain_and_upper_case_blocks_read_with_the_document_equal_the_tree_walk(
    schema: str, document: bytes
) -> None:
    # report schemas hold messages as plain strings, the outbound one in MESSAGES/ERROR
    judgement = Judgement()
    codec.read(document, root_model(schema), watcher=judgement)
    verdict = judgement.verdict()
    assert verdict == judge(parse_xml(document))
    assert verdict.messages  # the blocks were found, not skipped on both sides


def test_verdict_read_with_the_document_indexes_repeated_elements() -> None:
    document = _two_offers_second_failed()
    judgement = Judgement()
    typed = codec.read(document, MarketData, watcher=judgement)
    verdict = judgement.verdict()
    assert verdict == judge(parse_xml(document))
    assert verdict.reasons == (
        "MarketData/MarketSubmit/OfferData[2] has Validation FAILED",
        "MarketData/MarketSubmit/OfferData[2] has Success false",
        "1 Error message(s)",
    )
    assert verdict.errors == (
        Message(
            "Error", "OFFER_REFUSED", "the offer is refused", "MarketData/MarketSubmit/OfferData[2]"
        ),
    )
    warnings_of_first = [m for m in verdict.warnings if m.path.endswith("OfferData[1]")]
    assert len(warnings_of_first) == 2
    # the typed document keeps the text as sent
    assert typed.market_submit is not None
    assert typed.market_submit.offer_data[1].messages.error[0].text == "  the offer\n   is refused "
