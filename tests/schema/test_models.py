"""The generated models: the names users rely on, the rules they enforce, their import cost."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from mms_client.errors import FieldError, MMSError, PayloadError
from mms_client.examples import example_request
from mms_client.jst import JST, WIRE_TIMES, format_jst, to_jst
from mms_client.schema.generated.mi_market import (
    AreaCode,
    CommodityCategory,
    Direction,
    MarketQuery,
    MarketSubmit,
    MarketType,
    OfferCancel,
    OfferData,
    OfferQuery,
    OfferStack,
    ValidationStatus,
)
from mms_client.schema.generated.mi_report import ReportCreateRequest
from mms_client.schema.generated.omi import Direction as OmiDirection


def test_the_compatibility_example_runs() -> None:
    offer = OfferData(
        stack=[OfferStack(number=1, unit_price=100, minimum_quantity_kw=100)],
        resource="FAKE_RESO",
        start=datetime(2024, 3, 15, 12),
        end=datetime(2024, 3, 15, 21),
        direction=Direction.SELL,
    )
    assert offer.stack[0].unit_price == Decimal(100)
    assert offer.start == datetime(2024, 3, 15, 12, tzinfo=JST)


def test_established_field_names() -> None:
    assert {
        "resource",
        "start",
        "end",
        "direction",
        "stack",
        "pattern_number",
        "bsp_participant",
        "company_short_name",
        "operator",
        "area",
        "resource_short_name",
        "system_code",
        "submission_time",
    } <= set(OfferData.model_fields)
    assert {
        "number",
        "unit_price",
        "minimum_quantity_kw",
        "primary_qty_kw",
        "secondary_1_qty_kw",
        "secondary_2_qty_kw",
        "tertiary_1_qty_kw",
        "tertiary_2_qty_kw",
        "ramp_down_unit_price",
        "start_up_unit_price",
        "id",
    } <= set(OfferStack.model_fields)
    assert {"market_type", "area", "resource"} <= set(OfferQuery.model_fields)
    assert {"resource", "start", "end", "market_type"} <= set(OfferCancel.model_fields)
    assert {"date", "participant_name", "user_name", "market_type", "days"} <= set(
        MarketSubmit.model_fields
    )
    assert MarketSubmit.model_fields["offer_data"].alias == "OfferData"


def test_enumeration_members_have_meaningful_names() -> None:
    assert MarketType.DAY_AHEAD.value == "DAM"
    assert Direction.SELL.value == "1"
    assert OmiDirection.BUY.value == "2"
    assert [area.name for area in AreaCode] == [
        "HOKKAIDO",
        "TOHOKU",
        "TOKYO",
        "CHUBU",
        "HOKURIKU",
        "KANSAI",
        "CHUGOKU",
        "SHIKOKU",
        "KYUSHU",
        "OKINAWA",
    ]
    assert AreaCode("03") is AreaCode.TOKYO
    assert CommodityCategory("2100") is CommodityCategory.SECONDARY_1
    assert ValidationStatus("PASSED_PARTIAL") is ValidationStatus.PASSED_PARTIAL


def test_required_and_optional_follow_the_schema() -> None:
    assert OfferData.model_fields["resource"].is_required()
    assert not OfferData.model_fields["area"].is_required()
    assert MarketSubmit.model_fields["days"].default is None
    assert "Absent means 1" in (MarketSubmit.model_fields["days"].description or "")


OFFER_BUT_STACKS = {
    "resource": "R1",
    "start": datetime(2024, 3, 15, 12),
    "end": datetime(2024, 3, 15, 13),
    "direction": Direction.SELL,
}
"""An offer's fields but its stacks."""


def test_cardinality_is_enforced() -> None:
    stack = OfferStack(number=1, unit_price=1, minimum_quantity_kw=1)
    with pytest.raises(PayloadError) as caught:
        OfferData(stack=[], **OFFER_BUT_STACKS)
    assert caught.value.errors[0].path == "OfferData/OfferStack"
    with pytest.raises(PayloadError):
        OfferData(stack=[stack] * 21, **OFFER_BUT_STACKS)
    assert len(OfferData(stack=[stack] * 20, **OFFER_BUT_STACKS).stack) == 20


def test_a_repeated_element_given_no_list_of_items_is_refused_as_one_problem() -> None:
    """pydantic takes any iterable for a list, a model too, whose iteration gives its fields:
    stack=OfferStack(...) was refused with one problem for each field of the stack, each
    saying that a (name, value) pair is no OfferStack."""
    stack = OfferStack(number=1, unit_price=1, minimum_quantity_kw=1)
    rule = "should be a list: one item for each OfferStack element, even for one"
    for given, shown in [
        (stack, "OfferStack(...)"),
        (stack.model_dump(by_alias=True), None),  # a mapping is a whole element: not shown
        ("1", "1"),
    ]:
        with pytest.raises(PayloadError) as caught:
            OfferData(stack=given, **OFFER_BUT_STACKS)
        assert caught.value.errors == (FieldError("OfferData/OfferStack", shown, rule),)
    # items given in another sequence, as pydantic takes them for a list, are taken
    assert OfferData(stack=(stack,), **OFFER_BUT_STACKS).stack == [stack]
    assert OfferData(stack=iter([stack]), **OFFER_BUT_STACKS).stack == [stack]


def test_a_repeated_element_that_may_be_absent_takes_none_for_no_element() -> None:
    """None is an absent optional attribute or element, but pydantic refused it for a
    repeated one that may be absent (Param=None: Input should be a valid list)."""
    report = report_on(date(2024, 4, 1))
    for given in (
        ReportCreateRequest.model_validate({**report.model_dump(), "param": None}),
        ReportCreateRequest.model_validate_json(
            json.dumps({**report.model_dump(mode="json", by_alias=True), "Param": None})
        ),
    ):
        assert given.param == []
        assert given.to_xml("ReportCreateRequest") == report.to_xml("ReportCreateRequest")
    # a repeated element that must be present needs its items
    with pytest.raises(PayloadError) as caught:
        OfferData(stack=None, **OFFER_BUT_STACKS)  # type: ignore[arg-type]
    [error] = caught.value.errors
    assert (error.path, error.value) == ("OfferData/OfferStack", None)
    assert error.rule == "should be a list: one item for each OfferStack element, even for one"


def test_a_value_outside_an_enumeration_is_told_the_values_with_their_names() -> None:
    """pydantic listed the values alone: Direction "SELL" was told "Input should be '1'", and
    Area "TOKYO" ten codes without a word of what each means."""
    stack = OfferStack(number=1, unit_price=1, minimum_quantity_kw=1)
    with pytest.raises(PayloadError) as caught:
        OfferData.model_validate(
            {**OFFER_BUT_STACKS, "stack": [stack], "direction": "SELL", "area": "TOKYO"}
        )
    areas = (
        "'01' (HOKKAIDO), '02' (TOHOKU), '03' (TOKYO), '04' (CHUBU), '05' (HOKURIKU), "
        "'06' (KANSAI), '07' (CHUGOKU), '08' (SHIKOKU), '09' (KYUSHU), '10' (OKINAWA)"
    )
    assert caught.value.errors == (
        FieldError(
            "OfferData/@Direction", "SELL", "should be one of the values of Direction: '1' (SELL)"
        ),
        FieldError("OfferData/@Area", "TOKYO", f"should be one of the values of AreaCode: {areas}"),
    )
    # where names and values are the same, each is said once; in an envelope, and read from a
    # document, as in data
    with pytest.raises(PayloadError) as caught:
        MarketQuery(date=date(2024, 3, 15), participant_name="F100", user_name="U", validation="ok")
    assert caught.value.errors == (
        FieldError(
            "MarketQuery/@Validation",
            "ok",
            "should be one of the values of ValidationStatus: "
            "'PASSED', 'WARNING', 'PASSED_PARTIAL', 'FAILED', 'NOT_DONE'",
        ),
    )
    document = b'<OfferCancel EndTime="2024-03-15T13:00:00" MarketType="DAY_AHEAD" '
    document += b'ResourceName="R1" StartTime="2024-03-15T12:00:00"></OfferCancel>'
    with pytest.raises(PayloadError) as caught:
        OfferCancel.from_xml(document, "OfferCancel")
    assert caught.value.errors == (
        FieldError(
            "OfferCancel/@MarketType",
            "DAY_AHEAD",
            "should be one of the values of MarketType: 'DAM' (DAY_AHEAD), "
            "'DCM' (DAY_AHEAD_COMPOUND)",
        ),
    )


def test_a_query_envelope_carries_at_most_one_query() -> None:
    with pytest.raises(PayloadError, match="at most one"):
        MarketQuery(
            date=datetime(2024, 3, 15).date(),
            participant_name="F100",
            user_name="U",
            offer_query=OfferQuery(market_type=MarketType.DAY_AHEAD),
            bup_query={"ResourceName": "R1"},
        )


def test_assignments_are_validated() -> None:
    stack = OfferStack(number=1, unit_price=100, minimum_quantity_kw=100)
    stack.unit_price = "12.5"  # type: ignore[assignment]
    assert stack.unit_price == Decimal("12.5")
    with pytest.raises(PayloadError) as caught:
        stack.number = 99
    assert caught.value.errors[0].path == "OfferStack/@StackNumber"


def offer_data() -> OfferData:
    return OfferData(
        stack=[OfferStack(number=1, unit_price=100, minimum_quantity_kw=100)],
        resource="FAKE_RESO",
        start=datetime(2024, 3, 15, 12),
        end=datetime(2024, 3, 15, 21),
        direction=Direction.SELL,
    )


def test_model_copy_updates_fields_named_as_the_constructor_takes_them() -> None:
    copied = offer_data().model_copy(update={"ResourceName": "OTHER", "area": AreaCode.TOKYO})
    assert (copied.resource, copied.area) == ("OTHER", AreaCode.TOKYO)
    assert OfferData.model_validate(copied) == copied  # as when it is put into a document
    assert copied.to_xml("OfferData").startswith(
        b'<OfferData Area="03" Direction="1" EndTime="2024-03-15T21:00:00" ResourceName="OTHER" '
    )


def test_model_copy_refuses_a_name_the_model_does_not_have() -> None:
    with pytest.raises(PayloadError) as caught:
        offer_data().model_copy(update={"ResourceNam": "OTHER", "resource": "R2"})
    assert caught.value.errors == (
        FieldError(
            "OfferData/ResourceNam",
            "OTHER",
            "not allowed by the schema; did you mean ResourceName?",
        ),
    )
    assert "ResourceNam" in str(caught.value).splitlines()[0]


def test_model_copy_refuses_a_field_given_by_both_its_names() -> None:
    """As an envelope's arguments and an item's mapping are: one of the two values would be
    dropped unseen."""
    with pytest.raises(PayloadError) as caught:
        offer_data().model_copy(update={"ResourceName": "R1", "resource": "R2"})
    assert caught.value.errors == (
        FieldError("OfferData/@ResourceName", "R2", "given by its XML name and by its Python name"),
    )
    assert str(caught.value).splitlines()[0] == (
        "model_copy(update=...) gives OfferData/@ResourceName twice"
    )


def test_model_copy_refuses_a_key_that_is_not_a_name() -> None:
    """As model_validate does: a field is named by a str, and the refusal says so."""
    with pytest.raises(PayloadError) as caught:
        offer_data().model_copy(update={5: 1})
    assert caught.value.errors == (
        FieldError("OfferData", 5, "a field's name (a str: its Python or XML name)"),
    )


@pytest.mark.parametrize("update", ["abc", [("resource", "A")]], ids=["str", "pairs"])
def test_model_copy_takes_a_mapping_and_says_so(update: object) -> None:
    with pytest.raises(PayloadError, match=r"model_copy\(update=...\) takes a mapping"):
        offer_data().model_copy(update=update)  # type: ignore[arg-type]


def test_model_copy_of_many_unknown_names_has_a_message_of_bounded_size() -> None:
    """The error keeps every name; its message, printed and logged whole, shows the first."""
    update = {f"strt{i}": 1 for i in range(100_000)}
    with pytest.raises(PayloadError) as caught:
        offer_data().model_copy(update=update)
    assert len(caught.value.errors) == 100_000
    assert caught.value.summary.endswith("strt99999")
    message = str(caught.value)
    assert len(message) < 10_000
    assert message.splitlines()[0].startswith(
        "model_copy(update=...) names what OfferData does not have: strt0, strt1, "
    )
    assert "more characters, see .summary" in message.splitlines()[0]


def test_a_misspelt_python_name_is_told_the_closest_python_names() -> None:
    """Below the document's root too: the names of the model where the name was given."""
    with pytest.raises(PayloadError) as caught:
        MarketSubmit.model_validate(
            {
                "offer_data": [
                    offer_data().model_dump(),
                    {**offer_data().model_dump(), "stack": [{"tertiary_2_quantity_kw": 5}]},
                ]
            }
        )
    [unknown] = [e for e in caught.value.errors if e.path.endswith("tertiary_2_quantity_kw")]
    assert unknown.path == "MarketSubmit/OfferData[2]/OfferStack[1]/tertiary_2_quantity_kw"
    assert unknown.rule.startswith("not allowed by the schema; did you mean tertiary_2_qty_kw")
    assert "did you mean tertiary_2_qty_kw" in str(caught.value)


def test_a_misspelt_xml_name_in_a_document_is_told_the_closest_xml_names() -> None:
    document = (
        b'<OfferData Direction="1" EndTime="2024-03-15T21:00:00" ResourcName="R" '
        b'StartTime="2024-03-15T12:00:00"><OfferStak StackNumber="1"/></OfferData>'
    )
    with pytest.raises(PayloadError) as caught:
        OfferData.from_xml(document, "OfferData")
    rules = {error.path: error.rule for error in caught.value.errors}
    assert rules["OfferData/@ResourcName"] == (
        "not allowed by the schema; did you mean ResourceName?"
    )
    assert rules["OfferData/OfferStak"] == (
        "element not allowed here by the schema; did you mean OfferStack?"
    )


def test_a_value_against_a_pattern_is_told_the_xsd_type_of_the_pattern() -> None:
    """A DR pattern's supply quantity is 0 or at least 1000 kW, which only its type's regex
    says: the error names the type (PsqType), which the schema's documentation explains."""
    pattern = example_request("RegistrationSubmit_DrPattern").items[0]
    data = {
        **pattern.model_dump(by_alias=True, exclude_none=True),
        "PriPossibleSupplyQuantity": 800,
    }
    with pytest.raises(PayloadError) as caught:
        type(pattern).model_validate(data)
    [error] = caught.value.errors
    assert (error.path, error.value) == ("DrPatternSubmit/@PriPossibleSupplyQuantity", 800)
    assert error.rule.startswith("should match the pattern of XSD type PsqType ('^(?:0|")


@pytest.mark.parametrize(
    ("name", "told"),
    [
        ("新ｱ電力", "character 2, 'ｱ' (U+FF71 HALFWIDTH KATAKANA LETTER A), is not allowed"),
        ("電力①", "character 3, '①' (U+2460 CIRCLED DIGIT ONE), is not allowed"),
    ],
)
def test_a_value_against_a_set_of_characters_is_told_the_character_not_in_it(
    name: str, told: str
) -> None:
    """JapaneseStringType allows full-width katakana (ア) but not half-width (ｱ), nor circled
    digits: the pattern alone, a set of ranges that starts with an ideographic space that
    cannot be seen, does not tell which character of a Japanese name to change."""
    participant = example_request("RegistrationSubmit_Participant").items[0]
    data = {**participant.model_dump(by_alias=True, exclude_none=True), "CompanyShortName": name}
    with pytest.raises(PayloadError) as caught:
        type(participant).model_validate(data)
    [error] = caught.value.errors
    assert (error.path, error.value) == ("ParticipantSubmit/@CompanyShortName", name)
    assert error.rule.endswith(told), error.rule


def test_a_whole_number_takes_no_bool_and_names_its_range() -> None:
    """pydantic's int takes True for 1: ``minimum_quantity_kw=True`` would offer 1 kW."""
    for given in (True, False):
        with pytest.raises(PayloadError) as caught:
            OfferStack(number=1, unit_price=100, minimum_quantity_kw=given)
        [error] = caught.value.errors
        assert (error.path, error.value, error.rule) == (
            "OfferStack/@MinimumQuantityInKw",
            given,
            "should be a whole number from 0 to 9999999",
        )
    with pytest.raises(PayloadError) as from_json:
        OfferStack.model_validate_json('{"StackNumber": true, "OfferUnitPrice": 100}')
    assert [(e.path, e.rule) for e in from_json.value.errors] == [
        ("OfferStack/@StackNumber", "should be a whole number from 1 to 20"),
        ("OfferStack/@MinimumQuantityInKw", "required by the schema but missing"),
    ]
    with pytest.raises(PayloadError, match="StackNumber: should be a whole number from 1 to 20"):
        OfferStack(number=21, unit_price=100, minimum_quantity_kw=100)
    # what is a whole number in another form is taken as before: text, as a document holds
    # it, and a float or Decimal with nothing after the point
    taken = OfferStack(number="2", unit_price=100, minimum_quantity_kw=100.0)  # type: ignore[arg-type]
    assert taken == OfferStack(number=2, unit_price=100, minimum_quantity_kw=Decimal(100))  # type: ignore[arg-type]
    assert (type(taken.number), type(taken.minimum_quantity_kw)) == (int, int)
    assert OfferStack.model_json_schema(by_alias=True)["properties"]["StackNumber"] == {
        "maximum": 20,
        "minimum": 1,
        "title": "Stacknumber",
        "type": "integer",
    }


DATE_NOT_MIDNIGHT = (
    "a datetime given for a date, or a date with a time zone (such as 2024-04-01Z), "
    "should be midnight in Japan time"
)
DECIMAL_FORM = (
    "should be written as XML Schema writes a decimal: digits 0-9 with an optional sign and "
    "point (such as -12.50 or .5), without an exponent or separators"
)
INTEGER_FORM = (
    "should be written as XML Schema writes a whole number: digits 0-9 with an optional sign "
    "(such as -12), without a point, an exponent or separators"
)


def stack_with(**given: str) -> dict[str, str]:
    """The attributes of an OfferStack as a received document holds them, as text."""
    return {"StackNumber": "1", "OfferUnitPrice": "100", "MinimumQuantityInKw": "100", **given}


def test_a_number_in_text_is_taken_in_its_xml_schema_form_only() -> None:
    """pydantic read "1e3" as 1E+3, "1_000" as 1000, full-width digits as 12 and "12.0" as
    12, which the XSD, and so the MMS, refuses: the simulator took such requests and the
    client such replies."""
    refused = [
        ("OfferUnitPrice", "1_000", DECIMAL_FORM),
        ("OfferUnitPrice", "1e3", DECIMAL_FORM),
        ("OfferUnitPrice", "\uff11\uff12", DECIMAL_FORM),  # full-width 12
        ("OfferUnitPrice", "NaN", DECIMAL_FORM),
        ("OfferUnitPrice", "\u3000 12", DECIMAL_FORM),
        ("MinimumQuantityInKw", "1_000", INTEGER_FORM),
        ("MinimumQuantityInKw", "12.0", INTEGER_FORM),
        ("StackNumber", "\uff11\uff12", INTEGER_FORM),
    ]
    for name, given, rule in refused:
        document = stack_with(**{name: given})
        for read, held in (
            (OfferStack.model_validate, document),
            (OfferStack.model_validate_json, json.dumps(document)),
        ):
            with pytest.raises(PayloadError) as caught:
                read(held)
            [error] = caught.value.errors
            assert (error.path, error.value, error.rule) == (f"OfferStack/@{name}", given, rule)
    # every form the XSD allows is read as before, with the white space around it; a number
    # given in Python is no text and is taken as it is
    read = OfferStack.model_validate(
        stack_with(OfferUnitPrice="12.", MinimumQuantityInKw=" +7\t", StackNumber="\n02")
    )
    assert (read.unit_price, read.minimum_quantity_kw, read.number) == (Decimal(12), 7, 2)
    assert OfferStack.model_validate(stack_with(OfferUnitPrice="+.5")).unit_price == Decimal("0.5")
    given = OfferStack(number=2, unit_price=Decimal("1E+1"), minimum_quantity_kw=12.0)  # type: ignore[arg-type]
    assert (given.unit_price, given.minimum_quantity_kw) == (Decimal(10), 12)
    # text in the right form but out of range is told the range, as before
    with pytest.raises(PayloadError, match=r"should be a whole number from 1 to 20 \(got '21'\)"):
        OfferStack.model_validate(stack_with(StackNumber="21"))


def test_suggestions_are_bounded_however_many_unknown_names() -> None:
    """A message lists the first 20 problems: only those are worth the comparisons."""
    unknown = {"resource_nam" + "".join(end): 1 for end in itertools.permutations("abcd", 3)}
    with pytest.raises(PayloadError) as caught:
        OfferData.model_validate({**offer_data().model_dump(), **unknown})
    suggested = [e for e in caught.value.errors if "did you mean" in e.rule]
    assert len(caught.value.errors) == 24 and len(suggested) == 20


@pytest.mark.parametrize(
    "validate",
    [
        lambda data: OfferStack.model_validate(data),
        lambda data: OfferStack.model_validate_json(json.dumps(data)),
        lambda data: OfferStack.model_validate_strings(data),
    ],
    ids=["model_validate", "model_validate_json", "model_validate_strings"],
)
def test_validating_outside_data_fails_as_construction_does(
    validate: Callable[[dict[str, str]], OfferStack],
) -> None:
    """Code catching the library's errors catches every way of making a model."""
    bad = {"StackNumber": "x", "OfferUnitPrice": "100"}
    with pytest.raises(PayloadError) as constructed:
        OfferStack(**bad)  # type: ignore[arg-type]
    with pytest.raises(PayloadError) as validated:
        validate(bad)
    assert isinstance(validated.value, MMSError)
    assert validated.value.errors == constructed.value.errors
    assert [error.path for error in validated.value.errors] == [
        "OfferStack/@StackNumber",
        "OfferStack/@MinimumQuantityInKw",
    ]
    good = {"StackNumber": "1", "OfferUnitPrice": "100", "MinimumQuantityInKw": "100"}
    assert validate(good) == OfferStack(number=1, unit_price=100, minimum_quantity_kw=100)


def test_a_document_that_is_not_json_is_a_payload_error() -> None:
    with pytest.raises(PayloadError) as caught:
        OfferStack.model_validate_json("{not json")
    assert caught.value.errors[0].rule.startswith("Invalid JSON")


def test_naive_times_are_jst_and_aware_times_are_converted() -> None:
    assert to_jst(datetime(2024, 3, 15, 12)) == datetime(2024, 3, 15, 12, tzinfo=JST)
    converted = to_jst(datetime(2024, 3, 15, 3, tzinfo=UTC))
    assert converted.tzinfo is JST
    assert (converted.hour, converted.day) == (12, 15)


def report_on(day: date) -> ReportCreateRequest:
    return ReportCreateRequest(
        report_name="BSP_ResourceList",
        report_type="REGISTRATION",
        report_sub_type="RESOURCE",
        periodicity="ON_DEMAND",
        date=day,
    )


def test_a_datetime_given_for_a_date_is_taken_on_its_day_in_japan() -> None:
    # 2024-03-31 15:00 UTC is midnight of 2024-04-01 in Japan
    assert report_on(datetime(2024, 3, 31, 15, tzinfo=UTC)).date == date(2024, 4, 1)
    assert report_on(datetime(2024, 4, 1)).date == date(2024, 4, 1)  # naive: Japan time already
    assert report_on(datetime(2024, 4, 1, tzinfo=JST)).date == date(2024, 4, 1)
    # midnight in Auckland is 20:00 of the day before in Japan: no day of Japan's
    with pytest.raises(PayloadError) as caught:
        report_on(datetime(2024, 4, 1, tzinfo=ZoneInfo("Pacific/Auckland")))
    [error] = caught.value.errors
    assert error.path == "ReportCreateRequest/@Date"
    assert error.value == datetime(2024, 3, 31, 20, tzinfo=JST)
    assert "midnight in Japan time" in error.rule
    with pytest.raises(PayloadError, match=re.escape(f"@Date: {DATE_NOT_MIDNIGHT}")):
        report_on(datetime(2024, 4, 1, 9))  # naive and not midnight, refused as before


def test_text_with_a_time_given_for_a_date_is_that_time_in_japan() -> None:
    """An ISO string with an offset is the instant it spells, as the datetime would be:
    pydantic took its date as written and dropped the offset."""
    assert report_on("2024-03-31T15:00:00Z").date == date(2024, 4, 1)  # type: ignore[arg-type]
    assert report_on("2024-04-01T00:00:00").date == date(2024, 4, 1)  # type: ignore[arg-type]
    assert report_on("2024-04-01").date == date(2024, 4, 1)  # type: ignore[arg-type]
    for given, in_japan in [
        ("2024-04-01T00:00:00+10:00", datetime(2024, 3, 31, 23, tzinfo=JST)),
        ("2024-04-01T00:00:00-04:00", datetime(2024, 4, 1, 13, tzinfo=JST)),
    ]:
        with pytest.raises(PayloadError) as caught:
            report_on(given)  # type: ignore[arg-type]
        [error] = caught.value.errors
        assert (error.path, error.value) == ("ReportCreateRequest/@Date", in_japan)
        assert error.rule == DATE_NOT_MIDNIGHT


def test_a_date_with_a_time_zone_is_the_day_that_starts_at_midnight_there() -> None:
    """XML Schema allows a date to have a time zone (Date="2024-04-01+09:00"); it was refused as no
    date at all, given in Python or read from a document."""
    assert report_on("2024-04-01+09:00").date == date(2024, 4, 1)  # type: ignore[arg-type]
    assert report_on("2024-03-31-15:00").date == date(2024, 4, 1)  # type: ignore[arg-type]
    written = report_on(date(2024, 4, 1)).to_xml("ReportCreateRequest")
    received = written.replace(b'Date="2024-04-01"', b'Date="2024-04-01+09:00"')
    assert ReportCreateRequest.from_xml(received, "ReportCreateRequest").date == date(2024, 4, 1)
    # midnight in UTC is 09:00 in Japan: no day of Japan's, as the datetime would be
    with pytest.raises(PayloadError) as caught:
        report_on("2024-04-01Z")  # type: ignore[arg-type]
    [error] = caught.value.errors
    assert (error.path, error.value) == (
        "ReportCreateRequest/@Date",
        datetime(2024, 4, 1, 9, tzinfo=JST),
    )
    assert error.rule == DATE_NOT_MIDNIGHT


@pytest.mark.parametrize("space", [" ", "\t", "\n", "\r", " \r\n\t "])
def test_xml_white_space_around_a_time_or_a_date_is_collapsed(space: str) -> None:
    """xs:dateTime and xs:date collapse white space, so StartTime=" 2024-03-15T12:00:00 " is
    the schema's 2024-03-15T12:00:00; it was refused as no time, or by pydantic for extra
    characters at its end, although numbers and booleans took it."""
    noon = datetime(2024, 3, 15, 12, tzinfo=JST)
    for given, held in [
        ("2024-03-15T12:00:00", noon),
        ("2024-03-15T03:00:00Z", noon),
        ("2024-03-14T24:00:00", datetime(2024, 3, 15, tzinfo=JST)),
        ("2024-03-15T12:00:00.1234560", noon.replace(microsecond=123456)),
    ]:
        for spaced in (space + given, given + space, space + given + space):
            assert offer_starting(spaced).start == held
            assert OfferData.model_validate_json(offer_json_starting(spaced)).start == held
    for given in ("2024-04-01", "2024-04-01+09:00", "2024-03-31T15:00:00Z", "2024-03-31T24:00:00"):
        for spaced in (space + given, given + space, space + given + space):
            assert report_on(spaced).date == date(2024, 4, 1)  # type: ignore[arg-type]


@pytest.mark.parametrize("space", ["\u3000", "\xa0", "\x85", "\u2003"])
def test_other_unicode_white_space_around_a_time_or_a_date_is_refused(space: str) -> None:
    """XML Schema collapses only space, tab, CR and LF: a full-width space beside a date is
    no date, however white it is to Python, even beside XML's own white space."""
    for spaced in (space + "2024-03-15T12:00:00", "2024-03-15T12:00:00" + space + " "):
        with pytest.raises(PayloadError) as caught:
            offer_starting(spaced)
        [error] = caught.value.errors
        assert (error.path, error.value, error.rule) == ("OfferData/@StartTime", spaced, NOT_A_TIME)
    for spaced in (space + "2024-04-01", " 2024-04-01" + space):
        with pytest.raises(PayloadError) as caught:
            report_on(spaced)  # type: ignore[arg-type]
        [error] = caught.value.errors
        assert (error.path, error.value) == ("ReportCreateRequest/@Date", spaced)
        assert error.rule.startswith("should be a date: a datetime.date")


def test_a_time_or_date_with_white_space_is_held_to_every_rule_of_one_without() -> None:
    """Collapsing the white space lets nothing through that is refused without it."""
    with pytest.raises(PayloadError, match="@StartTime: has digits beyond the sixth"):
        offer_starting(" 2024-03-15T12:00:00.1234567 ")
    with pytest.raises(PayloadError, match="@StartTime: should be a date and time"):
        offer_starting(" 20240315\t")
    with pytest.raises(PayloadError, match=r"@StartTime: .*day value is outside expected range"):
        offer_starting("2024-02-30T24:00:00\n")
    with pytest.raises(PayloadError, match="@Date: should be a date: a datetime"):
        report_on(" 1711929600 ")  # type: ignore[arg-type]
    with pytest.raises(PayloadError, match=re.escape(f"@Date: {DATE_NOT_MIDNIGHT}")):
        report_on(" 2024-04-01T09:00:00\n")  # type: ignore[arg-type]


@pytest.mark.parametrize("given", ["0", "1711929600", "-0"])
def test_digits_given_for_a_date_in_json_are_refused_as_in_python(given: str) -> None:
    """In JSON, a string of digits got past the check that refuses it in Python: "0" was
    read as 1 January 1970 and "1711929600" as 1 April 2024, seconds since 1970."""
    document = report_on(date(2024, 4, 1)).model_dump(mode="json", by_alias=True)
    with pytest.raises(PayloadError) as caught:
        ReportCreateRequest.model_validate_json(json.dumps({**document, "Date": given}))
    [error] = caught.value.errors
    assert (error.path, error.value) == ("ReportCreateRequest/@Date", given)
    assert error.rule.startswith("should be a date: a datetime.date, a datetime at midnight")
    assert ReportCreateRequest.model_validate_json(json.dumps(document)).date == date(2024, 4, 1)


def offer_starting(start: object) -> OfferData:
    return OfferData.model_validate(
        {
            "stack": [OfferStack(number=1, unit_price=100, minimum_quantity_kw=100)],
            "resource": "FAKE_RESO",
            "start": start,
            "end": datetime(2024, 4, 1, 3),
            "direction": Direction.SELL,
        }
    )


def offer_json_starting(start: object) -> str:
    document = offer_starting(datetime(2024, 4, 1)).model_dump(mode="json", by_alias=True)
    return json.dumps({**document, "StartTime": start})


NOT_A_TIME = (
    "should be a date and time: a datetime.datetime (naive means Japan time), or an ISO "
    'string such as "2026-11-25T09:30:00" (without an offset it is Japan time)'
)


@pytest.mark.parametrize("given", [20240401, "20240401", 1711900800.0, Decimal(1), True])
def test_a_number_given_for_a_time_is_refused_saying_what_a_time_is(given: object) -> None:
    """pydantic took a number, or a string of digits, as seconds since 1970: 20240401 went
    out as 1970-08-23T15:20:01."""
    with pytest.raises(PayloadError) as caught:
        offer_starting(given)
    [error] = caught.value.errors
    assert (error.path, error.value, error.rule) == ("OfferData/@StartTime", given, NOT_A_TIME)
    with pytest.raises(PayloadError, match="OfferData/@StartTime: should be a date and time"):
        OfferData.model_validate_json(offer_json_starting(20240401))


def test_a_time_with_no_japan_time_is_a_validation_error_naming_the_field() -> None:
    """20:00 UTC on the last day of 9999 is in the year 10000 in Japan: astimezone raised
    OverflowError, a traceback rather than an error about the field."""
    rule = "cannot be moved to Japan time: it would fall outside the years 1 to 9999"
    late = datetime(9999, 12, 31, 20, tzinfo=UTC)
    with pytest.raises(ValueError, match=rule):
        to_jst(late)
    for given in (late, "9999-12-31T20:00:00Z"):
        with pytest.raises(PayloadError) as caught:
            offer_starting(given)
        [error] = caught.value.errors
        assert (error.path, error.value, error.rule) == ("OfferData/@StartTime", given, rule)
    with pytest.raises(PayloadError, match="OfferData/@StartTime: cannot be moved"):
        OfferData.model_validate_json(offer_json_starting("9999-12-31T20:00:00Z"))
    # given for a date, it is no day in Japan either
    with pytest.raises(PayloadError, match="ReportCreateRequest/@Date: should be a date"):
        report_on(late)


def test_the_end_of_a_day_at_hour_24_is_the_midnight_after_it() -> None:
    """XML Schema writes the end of a day as 24:00:00; pydantic knows no hour 24, so a time
    given so, or a received document holding one, was refused although the schema allows it."""
    midnight = datetime(2024, 4, 1, tzinfo=JST)
    for given in ("2024-03-31T24:00:00", "2024-03-31T24:00:00.000", "2024-03-31T24:00:00+09:00"):
        assert offer_starting(given).start == midnight
    assert offer_starting("2024-03-31T24:00:00Z").start == datetime(2024, 4, 1, 9, tzinfo=JST)
    assert report_on("2024-03-31T24:00:00").date == date(2024, 4, 1)  # type: ignore[arg-type]
    written = offer_starting(midnight).to_xml("OfferData")
    assert b'StartTime="2024-04-01T00:00:00"' in written
    received = written.replace(b"2024-04-01T00:00:00", b"2024-03-31T24:00:00")
    assert OfferData.from_xml(received, "OfferData").start == midnight
    # hour 24 is the end of a day only, and only of a day there is
    for given in ("2024-03-31T24:00:01", "2024-03-31T24:30:00", "2024-03-31T24:00:00.5"):
        with pytest.raises(PayloadError) as caught:
            offer_starting(given)
        [error] = caught.value.errors
        assert (error.path, error.value) == ("OfferData/@StartTime", given)
    with pytest.raises(PayloadError, match="day value is outside expected range"):
        offer_starting("2024-02-30T24:00:00")


def test_a_time_is_refused_where_a_datetime_cannot_hold_its_fraction_of_a_second() -> None:
    """pydantic cut a seventh digit after the point: 12:00:00.1234567 was read as
    12:00:00.123456 without a word, a time the MMS did not write."""
    rule = (
        "has digits beyond the sixth after the second's point that are not zeros: a Python "
        "datetime holds microseconds, and they would be lost"
    )
    for given in ("2024-03-15T12:00:00.1234567+09:00", "2024-03-15T12:00:00.00000001"):
        with pytest.raises(PayloadError) as caught:
            offer_starting(given)
        [error] = caught.value.errors
        assert (error.path, error.value, error.rule) == ("OfferData/@StartTime", given, rule)
        with pytest.raises(PayloadError, match="OfferData/@StartTime: has digits beyond"):
            OfferData.model_validate_json(offer_json_starting(given))
    # zeros beyond the sixth digit lose nothing
    held = datetime(2024, 3, 15, 12, 0, 0, 123456, tzinfo=JST)
    assert offer_starting("2024-03-15T12:00:00.1234560000+09:00").start == held
    # a date is midnight, which a time a ten-millionth of a second after it is not
    with pytest.raises(PayloadError, match="ReportCreateRequest/@Date: should be a date"):
        report_on("2024-04-01T00:00:00.0000001")  # type: ignore[arg-type]
    assert report_on("2024-04-01T00:00:00.0000000").date == date(2024, 4, 1)  # type: ignore[arg-type]


class _BrokenZone(tzinfo):
    """A time zone of the caller's own whose offset cannot be read."""

    def __init__(self, offset: object) -> None:
        self.offset = offset

    def utcoffset(self, _moment: datetime | None) -> timedelta | None:
        if isinstance(self.offset, Exception):
            raise self.offset
        return self.offset  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("zone", "reason"),
    [
        (_BrokenZone(RuntimeError("no offset today")), "RuntimeError: no offset today"),
        (_BrokenZone(5), "TypeError: tzinfo.utcoffset() must return None or timedelta"),
    ],
)
def test_a_time_zone_whose_offset_cannot_be_read_is_a_validation_error_naming_the_field(
    zone: tzinfo, reason: str
) -> None:
    """Its own RuntimeError, or Python's TypeError for an offset that is no timedelta, escaped
    model validation as a traceback rather than an error about the field."""
    rule = f"has a time zone (_BrokenZone) whose offset from UTC cannot be read: {reason}"
    given = datetime(2024, 4, 1, 12, tzinfo=zone)
    with pytest.raises(ValueError, match=re.escape(rule)):
        to_jst(given)
    with pytest.raises(PayloadError) as caught:
        offer_starting(given)
    [error] = caught.value.errors
    assert (error.path, error.value) == ("OfferData/@StartTime", given)
    assert error.rule.startswith(rule)


def test_wire_times_have_no_offset_and_no_needless_fraction() -> None:
    assert format_jst(datetime(2024, 3, 15, 3, tzinfo=UTC)) == "2024-03-15T12:00:00"
    assert format_jst(datetime(2024, 3, 15, 12, 0, 0, 500000)) == "2024-03-15T12:00:00.5"


@pytest.mark.parametrize(
    ("given", "written"),
    [
        (datetime(1, 1, 1), "0001-01-01T00:00:00"),
        (datetime(1800, 1, 1, 0, 30), "1800-01-01T00:30:00"),
        (datetime(2024, 3, 15, 12, 0, 0, 500000), "2024-03-15T12:00:00.5"),
    ],
)
def test_a_time_dumped_in_the_wire_form_reads_back_unchanged_in_any_year(
    given: datetime, written: str
) -> None:
    """pydantic writes the offset of Asia/Tokyo cut to whole minutes: before 1888, when it was
    +09:18:59, 00:30 would read back as 00:30:59, and early in year 1 not at all (it has no
    UTC form in Python's calendar). The wire form, which the simulator keeps items in, has no
    offset to cut."""
    offer = offer_starting(given)
    dumped = offer.model_dump(mode="json", by_alias=True, context={WIRE_TIMES: True})
    assert dumped["StartTime"] == written
    again = OfferData.model_validate(dumped)
    assert again == offer
    assert again.start.replace(tzinfo=None) == given
    assert again.start.tzinfo is JST


def test_a_time_in_json_says_its_offset() -> None:
    """Any reader of the JSON knows the instant, without knowing that the MMS means Japan."""
    offer = offer_starting(datetime(2024, 3, 15, 12))
    assert offer.model_dump(mode="json", by_alias=True)["StartTime"] == "2024-03-15T12:00:00+09:00"
    assert OfferData.model_validate_json(offer.model_dump_json()) == offer


def test_importing_one_schema_imports_no_other() -> None:
    probe = (
        "import sys, mms_client.schema.generated.mi_market, mms_client.operations\n"
        "print(sorted(m for m in sys.modules if m.startswith('mms_client.schema.generated.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "['mms_client.schema.generated.mi_market']"


def test_the_registry_imports_no_schema_until_asked() -> None:
    probe = (
        "import sys, mms_client.operations\n"
        "print(any(m.startswith('mms_client.schema.generated.') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
