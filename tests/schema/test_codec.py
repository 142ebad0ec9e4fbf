"""The codec writes the exact bytes the MMS signs and reads documents into typed models."""

from __future__ import annotations

import gc
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from conftest import ReadEveryWay
from mms_client.errors import FieldError, PayloadError
from mms_client.jst import JST
from mms_client.schema import codec, parse_payload, write_payload
from mms_client.schema.datatypes import UNESCAPED_TYPES, lexical
from mms_client.schema.generated.mi_market import (
    AreaCode,
    Direction,
    MarketData,
    MarketSubmit,
    MarketType,
    Messages,
    OfferData,
    OfferStack,
    ProcessingStatistics,
    ValidationStatus,
)
from mms_client.schema.generated.mi_market import (
    Error as MessageError,
)

# WIRE.md: the payload of "submit one offer" as the production MMS accepts it, byte for byte.
WIRE_OFFER_PAYLOAD = (
    b'<MarketData><MarketSubmit Date="2026-11-21" MarketType="DAM" NumOfDays="1" '
    b'ParticipantName="F100" UserName="FAKEUSER"><OfferData Direction="1" '
    b'EndTime="2024-03-15T21:00:00" ResourceName="FAKE_RESO" StartTime="2024-03-15T12:00:00">'
    b'<OfferStack MinimumQuantityInKw="100" OfferUnitPrice="100" StackNumber="1"></OfferStack>'
    b"</OfferData></MarketSubmit></MarketData>"
)


def compat_offer() -> OfferData:
    """The offer of the compatibility example in the design document."""
    return OfferData(
        stack=[OfferStack(number=1, unit_price=100, minimum_quantity_kw=100)],
        resource="FAKE_RESO",
        start=datetime(2024, 3, 15, 12),
        end=datetime(2024, 3, 15, 21),
        direction=Direction.SELL,
    )


def offer_document(*offers: OfferData) -> MarketData:
    return MarketData(
        market_submit=MarketSubmit(
            date=date(2026, 11, 21),
            participant_name="F100",
            user_name="FAKEUSER",
            market_type=MarketType.DAY_AHEAD,
            days=1,
            offer_data=list(offers),
        )
    )


def c14n(data: bytes) -> bytes:
    return etree.tostring(etree.fromstring(data), method="c14n")


def test_the_offer_of_the_wire_document_is_written_byte_for_byte() -> None:
    assert codec.write(offer_document(compat_offer())) == WIRE_OFFER_PAYLOAD


def test_a_request_is_written_without_the_mms_verdict_at_any_level() -> None:
    """An item read from a reply holds the MMS's verdict (Validation, Success, Messages; the
    root's ProcessingStatistics): written as a request it is the item without them, written
    as a reply (the simulator's) it keeps them."""
    said = Messages(error=[MessageError(code="E1", text="refused before")])
    verdict = {"validation": ValidationStatus.FAILED, "success": False, "messages": said}
    offer = compat_offer()
    answered = offer.model_copy(
        update={**verdict, "stack": [offer.stack[0].model_copy(update={"messages": said})]}
    )
    reply = offer_document(answered).model_copy(
        update={
            "processing_statistics": ProcessingStatistics(valid=0),
            "messages": said,
            "market_submit": offer_document(answered).market_submit.model_copy(update=verdict),
        }
    )

    assert codec.write(reply, request=True) == WIRE_OFFER_PAYLOAD
    assert codec.read(codec.write(reply), MarketData) == reply


def test_written_payload_is_its_own_canonical_form() -> None:
    payload = codec.write(offer_document(compat_offer(), compat_offer()))
    assert c14n(payload) == payload


def test_reading_the_written_payload_gives_the_model_back() -> None:
    document = offer_document(compat_offer())
    assert codec.read(codec.write(document), MarketData) == document


def test_times_are_written_as_jst_wall_clock_without_offset() -> None:
    utc_noon = datetime(2024, 3, 15, 3, 0, tzinfo=UTC)
    offer = compat_offer().model_copy(update={"start": utc_noon})
    payload = codec.write(offer, "OfferData")
    assert b'StartTime="2024-03-15T12:00:00"' in payload


def test_times_read_back_are_aware_tokyo_times() -> None:
    offer = codec.read(codec.write(compat_offer(), "OfferData"), OfferData, tag="OfferData")
    assert offer.start == datetime(2024, 3, 15, 12, tzinfo=JST)
    assert offer.start.utcoffset() == timedelta(hours=9)


def test_naive_and_aware_inputs_are_the_same_instant() -> None:
    naive = compat_offer()
    aware = OfferData.model_validate(
        {**naive.model_dump(), "start": datetime(2024, 3, 15, 3, tzinfo=UTC)}
    )
    assert naive.start == aware.start
    assert aware.start.tzinfo is JST


def test_decimals_keep_their_digits_and_never_use_an_exponent() -> None:
    stack = OfferStack(number=1, unit_price=Decimal("100.50"), minimum_quantity_kw=1)
    assert b'OfferUnitPrice="100.50"' in codec.write(stack, "OfferStack")
    stack = OfferStack(number=1, unit_price=Decimal("1E+3"), minimum_quantity_kw=1)
    assert b'OfferUnitPrice="1000"' in codec.write(stack, "OfferStack")


def test_booleans_and_enums_are_written_by_their_xml_value() -> None:
    offer = compat_offer().model_copy(
        update={"success": False, "validation": ValidationStatus.PASSED, "area": AreaCode.TOKYO}
    )
    payload = codec.write(offer, "OfferData")
    assert b'Success="false"' in payload
    assert b'Validation="PASSED"' in payload
    assert b'Area="03"' in payload


def test_a_boolean_with_spaces_around_it_is_read_as_the_schema_reads_it() -> None:
    """xs:boolean collapses whitespace, so the schema takes Success=" false "; the reader
    refused it, although the reply's verdict read it as false."""
    payload = codec.write(compat_offer().model_copy(update={"success": False}), "OfferData")
    for spaced, value in [(b'" false "', False), (b'"\ttrue\n"', True), (b'" 1"', True)]:
        received = payload.replace(b'"false"', spaced)
        assert codec.read(received, OfferData).success is value
    with pytest.raises(PayloadError, match="should be true, false, 1 or 0"):
        codec.read(payload.replace(b'"false"', b'"f alse"'), OfferData)


def test_times_and_dates_with_xml_white_space_around_them_are_read_as_the_schema_reads_them() -> (
    None
):
    """xs:dateTime and xs:date collapse white space, so the schema takes a reply, or a request
    to the simulator, whose StartTime is " 2024-03-15T12:00:00" or whose Date ends in a tab;
    the reader refused them."""
    document = offer_document(compat_offer())
    payload = codec.write(document)
    spaced = (
        payload.replace(b'StartTime="', b'StartTime=" ')
        .replace(b'T21:00:00"', b'T21:00:00&#10;"')
        .replace(b'Date="2026-11-21"', b'Date="&#13;2026-11-21&#9;"')
    )
    assert spaced.count(b"&#") == 3 and b'StartTime=" 2024' in spaced
    assert codec.read(spaced, MarketData) == document
    full_width = payload.replace(b'Date="2026-11-21"', 'Date="2026-11-21\u3000"'.encode())
    with pytest.raises(PayloadError, match="MarketSubmit/@Date: should be a date"):
        codec.read(full_width, MarketData)


def test_special_characters_are_escaped_as_c14n_does() -> None:
    messages = Messages(
        error=[MessageError(code="E-1", text='a < b & c > d "quoted"\r\nnext\ttab')]
    )
    payload = codec.write(messages, "Messages")
    assert payload == c14n(payload)
    assert codec.read(payload, Messages, tag="Messages") == messages


def test_attribute_values_with_whitespace_and_quotes_survive() -> None:
    text = 'x"y\t\n\rz&<>'
    statistics = ProcessingStatistics(time_stamp=text)
    payload = codec.write(statistics, "ProcessingStatistics")
    assert payload == c14n(payload)
    assert etree.fromstring(payload).get("TimeStamp") == text
    assert codec.read(payload, ProcessingStatistics, tag="ProcessingStatistics") == statistics


_PLAIN_VALUES = st.one_of(
    st.booleans(),
    st.integers(),
    st.floats(),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.datetimes(
        min_value=datetime(2, 1, 1),
        max_value=datetime(9998, 12, 31),
        timezones=st.sampled_from([None, UTC, JST, timezone(timedelta(hours=-11))]),
    ),
    st.dates(),
)


@given(_PLAIN_VALUES)
def test_numbers_times_and_dates_hold_nothing_an_attribute_escapes(value: object) -> None:
    """The writer does not search the lexical form of these for what to escape: it must
    hold nothing that escaping would change, whatever the value."""
    assert type(value) in UNESCAPED_TYPES
    text = lexical(value)
    assert codec._escape_attribute(text) == text


def test_characters_xml_cannot_carry_are_refused_naming_the_path_and_the_character() -> None:
    messages = Messages(error=[MessageError(code="ab", text="ok"), MessageError(text="bad\x01")])
    with pytest.raises(PayloadError) as caught:
        codec.write(messages, "Messages")
    (problem,) = caught.value.errors
    assert problem.path == "Messages/Error[2]"
    assert problem.value == "bad\x01"
    assert problem.rule == "holds U+0001, a character XML 1.0 cannot carry"

    # named, since the value shown cannot show it; U+FFFF is no control character, as the
    # rule said it was
    for time_stamp, character in [("T\x1b1", "U+001B"), ("T\uffff", "U+FFFF")]:
        statistics = ProcessingStatistics(time_stamp=time_stamp)
        with pytest.raises(PayloadError) as caught:
            codec.write(statistics, "ProcessingStatistics")
        (problem,) = caught.value.errors
        assert (problem.path, problem.value) == ("ProcessingStatistics/@TimeStamp", time_stamp)
        assert problem.rule == f"holds {character}, a character XML 1.0 cannot carry"


def test_unset_optional_attributes_are_omitted() -> None:
    payload = codec.write(compat_offer(), "OfferData")
    for absent in (b"Area=", b"DrPatternNumber=", b"Validation=", b"Success=", b"Messages"):
        assert absent not in payload


def test_json_round_trip_keeps_the_model() -> None:
    document = offer_document(compat_offer())
    assert MarketData.model_validate_json(document.model_dump_json()) == document


def test_models_accept_xml_names_as_well_as_python_names() -> None:
    by_xml = OfferStack.model_validate(
        {"StackNumber": "1", "OfferUnitPrice": "100", "MinimumQuantityInKw": "100"}
    )
    assert by_xml == OfferStack(number=1, unit_price=100, minimum_quantity_kw=100)


def test_bad_values_name_the_field_in_xml_terms() -> None:
    with pytest.raises(PayloadError) as caught:
        OfferStack(number=21, unit_price=Decimal("1.234"), minimum_quantity_kw=100)
    paths = {error.path for error in caught.value.errors}
    assert paths == {"OfferStack/@StackNumber", "OfferStack/@OfferUnitPrice"}


def test_received_document_errors_carry_xml_paths_and_values() -> None:
    bad = WIRE_OFFER_PAYLOAD.replace(b'StartTime="2024-03-15T12:00:00"', b'StartTime="noon"')
    bad = bad.replace(b'StackNumber="1"', b'StackNumber="99"')
    with pytest.raises(PayloadError) as caught:
        codec.read(bad, MarketData)
    found = {(error.path, error.value) for error in caught.value.errors}
    assert ("MarketData/MarketSubmit/OfferData[1]/@StartTime", "noon") in found
    assert ("MarketData/MarketSubmit/OfferData[1]/OfferStack[1]/@StackNumber", "99") in found


def test_missing_required_attribute_is_reported() -> None:
    bad = WIRE_OFFER_PAYLOAD.replace(b' ResourceName="FAKE_RESO"', b"")
    with pytest.raises(PayloadError) as caught:
        codec.read(bad, MarketData)
    (error,) = caught.value.errors
    assert error.path == "MarketData/MarketSubmit/OfferData[1]/@ResourceName"
    assert "required" in error.rule


def test_unknown_attributes_and_elements_are_refused_with_their_path() -> None:
    bad = WIRE_OFFER_PAYLOAD.replace(
        b'<OfferData Direction="1"', b'<OfferData Colour="red" Direction="1"'
    )
    bad = bad.replace(b"</OfferStack>", b"<Surprise/></OfferStack>")
    with pytest.raises(PayloadError) as caught:
        codec.read(bad, MarketData)
    paths = {error.path for error in caught.value.errors}
    assert paths == {
        "MarketData/MarketSubmit/OfferData[1]/@Colour",
        "MarketData/MarketSubmit/OfferData[1]/OfferStack[1]/Surprise",
    }


def test_problems_of_structure_and_of_value_come_in_one_error_below_the_tag() -> None:
    """The codec reports pydantic's findings itself, with what its reader found and under
    the element's own name, not as ``model_validate`` of the model would."""
    bad = b'<Stack Colour="red" MinimumQuantityInKw="1" OfferUnitPrice="1" StackNumber="x"/>'
    with pytest.raises(PayloadError) as caught:
        codec.read(bad, OfferStack, tag="Stack")
    assert [e.path for e in caught.value.errors] == ["Stack/@Colour", "Stack/@StackNumber"]


def test_a_single_element_given_twice_is_refused() -> None:
    twice = b"<MarketData><Messages></Messages><Messages></Messages></MarketData>"
    with pytest.raises(PayloadError) as caught:
        codec.read(twice, MarketData)
    assert [e.path for e in caught.value.errors] == ["MarketData/Messages"]


def test_stray_text_is_refused() -> None:
    with pytest.raises(PayloadError) as caught:
        codec.read(b"<MarketData>hello</MarketData>", MarketData)
    assert caught.value.errors[0].path == "MarketData/text()"


def test_a_full_width_space_between_elements_is_stray_text() -> None:
    """Between elements XML allows its own white space only: a full-width space (U+3000),
    white space to Python, is text, which element-only content does not take."""
    spaced = "<MarketData>\u3000<Messages/>\n</MarketData>".encode()
    with pytest.raises(PayloadError) as caught:
        codec.read(spaced, MarketData)
    assert [(e.path, e.value) for e in caught.value.errors] == [("MarketData/text()", "\u3000")]


def test_two_branches_of_a_choice_are_refused() -> None:
    both = (
        b'<MarketData><MarketSubmit Date="2024-03-15" ParticipantName="F100" UserName="U">'
        b'<StandingData StandingFlag="true"></StandingData>'
        b'<BaselineLoad><File FileTypeFlag="1" Name="W9_1234_20240315_01_ABCDE_RES1.xml" '
        b'ResourceName="RES1" StartDate="2024-03-15"></File></BaselineLoad>'
        b"</MarketSubmit></MarketData>"
    )
    with pytest.raises(PayloadError) as caught:
        codec.read(both, MarketData)
    (error,) = caught.value.errors
    assert error.path == "MarketData/MarketSubmit"
    assert "at most one" in error.rule


def test_namespace_declarations_on_responses_are_accepted() -> None:
    response = (
        b'<MarketData xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        b'<ProcessingStatistics Received="1"></ProcessingStatistics></MarketData>'
    )
    document = codec.read(response, MarketData)
    assert document.processing_statistics is not None
    assert document.processing_statistics.received == 1


def test_wrong_root_element_is_refused() -> None:
    with pytest.raises(PayloadError) as caught:
        codec.read(b"<RegistrationData></RegistrationData>", MarketData)
    assert "MarketData" in caught.value.errors[0].rule


def test_parse_payload_picks_the_schema_from_the_root() -> None:
    assert isinstance(parse_payload(WIRE_OFFER_PAYLOAD), MarketData)
    registration = parse_payload(b"<RegistrationData></RegistrationData>")
    assert type(registration).__module__.endswith("generated.mpr")
    omi = parse_payload(b"<MarketData></MarketData>", schema="omi")
    assert type(omi).__module__.endswith("generated.omi")


def test_parse_payload_refuses_unknown_roots() -> None:
    with pytest.raises(PayloadError):
        parse_payload(b"<Something></Something>")


def test_write_payload_matches_codec_write() -> None:
    document = offer_document(compat_offer())
    assert write_payload(document) == codec.write(document)


def test_examples_parse_and_write_back_to_the_same_canonical_xml(
    examples: dict[str, bytes],
) -> None:
    """The examples are indented and carry an unused xmlns:xsi; neither is data, so the
    comparison is with their canonical form after dropping both."""
    assert examples
    for name, data in examples.items():
        written = write_payload(parse_payload(data))
        tree = etree.fromstring(data, etree.XMLParser(remove_blank_text=True))
        etree.cleanup_namespaces(tree)
        assert written == etree.tostring(tree, method="c14n"), name


def test_reading_leaves_the_garbage_collector_as_it_was() -> None:
    assert gc.isenabled()
    codec.read(WIRE_OFFER_PAYLOAD, MarketData)
    assert gc.isenabled()
    with pytest.raises(PayloadError):
        codec.read(WIRE_OFFER_PAYLOAD.replace(b'"DAM"', b'"XXX"'), MarketData)
    assert gc.isenabled()
    gc.disable()
    try:
        codec.read(WIRE_OFFER_PAYLOAD, MarketData)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_models_write_and_read_themselves_like_the_codec() -> None:
    document = MarketData.from_xml(WIRE_OFFER_PAYLOAD)
    assert document.to_xml() == WIRE_OFFER_PAYLOAD
    assert document == codec.read(WIRE_OFFER_PAYLOAD, MarketData)
    with pytest.raises(PayloadError) as caught:
        MarketData.from_xml(WIRE_OFFER_PAYLOAD.replace(b'"DAM"', b'"XXX"'))
    assert "MarketData/MarketSubmit/@MarketType" in str(caught.value)


def test_two_envelopes_in_one_document_are_refused() -> None:
    # each envelope is valid on its own; only the root's choice forbids having both
    both = (
        b'<MarketData><MarketSubmit Date="2024-03-15" ParticipantName="F100" UserName="U">'
        b'</MarketSubmit><MarketQuery Date="2024-03-15" ParticipantName="F100" UserName="U">'
        b"</MarketQuery></MarketData>"
    )
    with pytest.raises(PayloadError) as caught:
        codec.read(both, MarketData)
    (error,) = caught.value.errors
    assert error.path == "MarketData"
    assert "at most one" in error.rule
    content = {"Date": "2024-03-15", "ParticipantName": "F100", "UserName": "U"}
    with pytest.raises(PayloadError) as caught:
        codec.validate(MarketData, {"MarketSubmit": content, "market_query": content})
    assert [e.path for e in caught.value.errors] == ["MarketData"]


def test_a_document_read_in_parts_equals_one_validated_whole() -> None:
    document = codec.read(WIRE_OFFER_PAYLOAD, MarketData)
    whole = MarketData.model_validate(document.model_dump(by_alias=True, exclude_unset=True))
    assert document == whole
    assert document.model_fields_set == whole.model_fields_set == {"market_submit"}
    assert write_payload(document) == WIRE_OFFER_PAYLOAD


_READ_EITHER_WAY = {
    "the wire offer": WIRE_OFFER_PAYLOAD,
    "bad values": WIRE_OFFER_PAYLOAD.replace(
        b'StartTime="2024-03-15T12:00:00"', b'StartTime="noon"'
    ).replace(b'StackNumber="1"', b'StackNumber="99"'),
    "unknown names": WIRE_OFFER_PAYLOAD.replace(
        b'<OfferData Direction="1"', b'<OfferData Colour="red" Direction="1"'
    ).replace(b"</OfferStack>", b"<Surprise>x</Surprise></OfferStack>"),
    "a repeated single element": b"<MarketData><Messages/><Messages/></MarketData>",
    "stray text around a comment": b"<MarketData>hel<!-- split -->lo</MarketData>",
    "text split by entities": b'<MarketData><Messages><Warning Code="W&amp;1">a &lt; b'
    b" &#x3042; c</Warning></Messages></MarketData>",
    "not well-formed": b"<MarketData><Messages></MarketData>",
    "a DOCTYPE": b'<!DOCTYPE MarketData [<!ENTITY x "y">]><MarketData/>',
    "another root": b"<ReportData/>",
    "too many attributes": b"<MarketData><MarketQuery "
    + b" ".join(b'a%d="1"' % number for number in range(1025))
    + b"/></MarketData>",
    "too many attributes on a repeated single element": b"<MarketData><Messages/><Messages "
    + b" ".join(b'a%d="1"' % number for number in range(1025))
    + b"/></MarketData>",
}


@pytest.mark.parametrize("name", list(_READ_EITHER_WAY))
def test_a_document_reads_the_same_whether_other_threads_run_or_not(
    name: str, read_every_way: ReadEveryWay
) -> None:
    """Alone in its process the reader takes libxml2's events as it parses; beside other
    threads it parses a tree and replays it, unless the document is larger than a tree
    should be (see ``xmlparse.parse_events``). The answer, or the refusal with its paths,
    values and rules, is the same every way."""
    answer = read_every_way(lambda: codec.read(_READ_EITHER_WAY[name], MarketData))
    if name == "the wire offer":
        assert isinstance(answer, MarketData)


def _thousand_listed(refused: Callable[[], object]) -> list[FieldError]:
    """The problems of the refusal ``refused()`` raises, checked to be a thousand listed and
    one more counting the rest."""
    with pytest.raises(PayloadError) as caught:
        refused()
    errors = caught.value.errors
    assert len(errors) == 1001
    return errors


def _counted(tag: str, more: int) -> FieldError:
    """The last problem of a refusal that lists a thousand: how many more there were."""
    return FieldError(tag, None, f"{more} more problems, not listed one by one")


def test_a_document_wrong_everywhere_lists_a_thousand_problems_and_counts_the_rest() -> None:
    """A reply made of nothing but unknown elements would otherwise be held as a record per
    element; the first thousand are listed with their paths, the rest counted."""
    wrong = b"<MarketData>" + b"<X/>" * 1500 + b"</MarketData>"
    errors = _thousand_listed(lambda: codec.read(wrong, MarketData))
    assert errors[999].path == "MarketData/X"
    assert errors[1000] == _counted("MarketData", 500)


def _submit(offers: bytes) -> bytes:
    return (
        b'<MarketData><MarketSubmit Date="2024-03-15" MarketType="DAM" NumOfDays="1" '
        b'ParticipantName="F100" UserName="U">' + offers + b"</MarketSubmit></MarketData>"
    )


_OFFER_OF_A_BAD_PRICE = (
    b'<OfferData Direction="1" StartTime="2024-03-15T12:00:00" EndTime="2024-03-15T15:00:00" '
    b'ResourceName="R"><OfferStack StackNumber="1" MinimumQuantityInKw="1" OfferUnitPrice="z"/>'
    b"</OfferData>"
)


def test_a_document_of_many_bad_values_lists_a_thousand_problems_and_counts_the_rest() -> None:
    """Bad values, like unknown elements, are listed up to a thousand: a hostile reply of
    30,000 bad offers would otherwise be held as 180,000 problems with their paths."""
    errors = _thousand_listed(lambda: codec.read(_submit(_OFFER_OF_A_BAD_PRICE * 1500), MarketData))
    assert errors[0].path == "MarketData/MarketSubmit/OfferData[1]/OfferStack[1]/@OfferUnitPrice"
    assert errors[0].value == "z"
    assert (
        errors[999].path == "MarketData/MarketSubmit/OfferData[1000]/OfferStack[1]/@OfferUnitPrice"
    )
    assert errors[1000] == _counted("MarketData", 500)


def test_problems_of_structure_and_of_value_share_the_thousand_listed() -> None:
    """The structural problems come first, the bad values fill what is left of the
    thousand, and one count stands for every problem beyond."""
    document = _submit(b"<X/>" * 600 + _OFFER_OF_A_BAD_PRICE * 700)
    errors = _thousand_listed(lambda: codec.read(document, MarketData))
    assert [error.path for error in errors[:600]] == ["MarketData/MarketSubmit/X"] * 600
    assert errors[600].path == "MarketData/MarketSubmit/OfferData[1]/OfferStack[1]/@OfferUnitPrice"
    assert (
        errors[999].path == "MarketData/MarketSubmit/OfferData[400]/OfferStack[1]/@OfferUnitPrice"
    )
    assert errors[1000] == _counted("MarketData", 300)


def test_a_model_built_with_many_bad_values_lists_a_thousand_problems() -> None:
    """Building a model in code is refused the same way as reading one."""
    offer = {
        "ResourceName": "R",
        "StartTime": datetime(2024, 3, 15, 12),
        "EndTime": datetime(2024, 3, 15, 15),
        "Direction": Direction.SELL,
        "OfferStack": [{"StackNumber": 1, "MinimumQuantityInKw": 1, "OfferUnitPrice": "z"}],
    }
    errors = _thousand_listed(
        lambda: MarketSubmit(
            date=date(2024, 3, 15),
            participant_name="F100",
            user_name="U",
            days=1,
            offer_data=[offer] * 1200,
        )
    )
    assert errors[999].path == "MarketSubmit/OfferData[1000]/OfferStack[1]/@OfferUnitPrice"
    assert errors[1000] == _counted("MarketSubmit", 200)
