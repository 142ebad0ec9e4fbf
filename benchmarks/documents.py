"""The documents the benchmarks push through the code: offers and their answers, N at a time.

Both sides of a comparison work on the same content. The floor gets it as plain dicts of
strings keyed by XML names (the least a program can start from); our side gets the models
built from those dicts before timing starts. Offers differ from each other (periods follow
each other in 3-hour blocks, prices and quantities vary) so that no cache can make the
work look smaller than it is, and they follow the schema and the simulator's rules, so the
same offers can be submitted to the simulator.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import islice

from lxml import etree

STACKS_PER_OFFER = 5
FIRST_DAY = date(2024, 3, 15)
PARTICIPANT = "F100"
USER = "FAKEUSER"
RESOURCE = "FAKE_RESO"
MARKET_TYPE = "DAM"

XmlAttributes = dict[str, str]


@dataclass(frozen=True)
class OfferDict:
    """One offer as plain data: the OfferData attributes and its OfferStack attributes."""

    attributes: XmlAttributes
    stacks: tuple[XmlAttributes, ...]


def _wire_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def offer_period(index: int, first_day: date = FIRST_DAY) -> tuple[datetime, datetime]:
    """The 3-hour period of offer ``index``: offer blocks follow each other without gap or
    overlap from the first day on, as a BSP offers a resource block after block."""
    start = datetime(first_day.year, first_day.month, first_day.day) + timedelta(hours=3 * index)
    return start, start + timedelta(hours=3)


def stack_attributes(offer: int, number: int) -> XmlAttributes:
    """OfferStack ``number`` (1-based) of offer ``offer``: a realistic mix of prices and
    quantities for several products."""
    cents = (offer * 7 + number * 13) % 100
    return {
        "StackNumber": str(number),
        "MinimumQuantityInKw": str(100 * number),
        "PrimaryOfferQuantityInKw": str(1000 + 10 * offer + number),
        "Secondary1OfferQuantityInKw": str(2000 + number),
        "Tertiary1OfferQuantityInKw": str(3000 + offer % 1000),
        "OfferUnitPrice": f"{10 + number * 5 + offer % 50}.{cents:02d}",
    }


def offer_dicts(count: int, first_day: date = FIRST_DAY) -> list[OfferDict]:
    """``count`` offers with :data:`STACKS_PER_OFFER` stacks each, for the submit document."""
    offers = []
    for index in range(count):
        start, end = offer_period(index, first_day)
        offers.append(
            OfferDict(
                attributes={
                    "ResourceName": RESOURCE,
                    "StartTime": _wire_time(start),
                    "EndTime": _wire_time(end),
                    "Direction": "1",
                },
                stacks=tuple(
                    stack_attributes(index, number) for number in range(1, STACKS_PER_OFFER + 1)
                ),
            )
        )
    return offers


def submit_envelope(first_day: date = FIRST_DAY) -> XmlAttributes:
    """The MarketSubmit attributes of the submit document."""
    return {
        "Date": first_day.isoformat(),
        "MarketType": MARKET_TYPE,
        "NumOfDays": "1",
        "ParticipantName": PARTICIPANT,
        "UserName": USER,
    }


# ------------------------------------------------------------------------------ responses

_MESSAGES = (
    ("Warning", "Warning1"),
    ("Warning", "Warning2"),
    ("Information", "Info1"),
    ("Information", "Info2"),
)


def _messages(parent: etree._Element) -> None:
    block = etree.SubElement(parent, "Messages")
    for severity, code in _MESSAGES:
        etree.SubElement(block, severity, Code=code).text = f"{code}: checked and noted"


def _answered_items(offers: list[OfferDict]) -> Iterator[tuple[XmlAttributes, list[XmlAttributes]]]:
    for index, offer in enumerate(offers):
        attributes = {
            **offer.attributes,
            "DrPatternNumber": "1",
            "BspParticipantName": PARTICIPANT,
            "CompanyShortName": "偽会社",
            "OperatorCode": "FAKE",
            "Area": "04",
            "ResourceShortName": "偽電力",
            "SystemCode": "FSYS0",
            "SubmissionTime": "2024-03-14T11:44:15",
            "Validation": "PASSED",
            "Success": "true",
        }
        stacks = [
            {**stack, "OfferId": f"OFR{index * STACKS_PER_OFFER + number:010d}"}
            for number, stack in enumerate(offer.stacks, start=1)
        ]
        yield attributes, stacks


def submit_response(count: int) -> bytes:
    """The MMS's answer to a submit of ``count`` offers, in the format of the real examples:
    an XML declaration, indentation, statistics, and Messages (warnings and information) on
    the document, the envelope, every offer and every stack. Nothing failed, so the answer
    is judged a success and its items come back typed."""
    root = etree.Element("MarketData", nsmap={"xsi": "http://www.w3.org/2001/XMLSchema-instance"})
    etree.SubElement(
        root,
        "ProcessingStatistics",
        Received=str(count),
        Valid=str(count),
        Invalid="0",
        Successful=str(count),
        Unsuccessful="0",
        ProcessingTimeMs="187",
        TransactionId="TX00000001",
        TimeStamp="Thu Mar 14 11:44:15 JST 2024",
        XmlTimeStamp="2024-03-14T11:44:15",
    )
    _messages(root)
    envelope = etree.SubElement(
        root, "MarketSubmit", {**submit_envelope(), "Validation": "PASSED", "Success": "true"}
    )
    _messages(envelope)
    for attributes, stacks in _answered_items(offer_dicts(count)):
        offer = etree.SubElement(envelope, "OfferData", attributes)
        _messages(offer)
        for stack in stacks:
            _messages(etree.SubElement(offer, "OfferStack", stack))
    etree.indent(root, space="    ")
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


# ------------------------------------------------------------------------------ reports


def offers_report(rows: int) -> bytes:
    """A ``BSP_Offers`` report file of ``rows`` rows, as the MMS writes report files (an
    ``OutboundData`` root, a row per element, every value an attribute): the stacks of the
    benchmark's offers, one row each, with the names, codes and prices the MMS adds."""
    root = etree.Element(
        "OutboundData",
        DatasetName="BSP_Offers",
        Date=FIRST_DAY.isoformat(),
        DatasetType="ON_DEMAND",
    )
    offers = offer_dicts(-(-rows // STACKS_PER_OFFER))
    stacks = ((offer, stack) for offer in offers for stack in offer.stacks)
    for row, (offer, stack) in enumerate(islice(stacks, rows), start=1):
        etree.SubElement(
            root,
            "BSP_Offers",
            ROW=str(row),
            TradeDate=FIRST_DAY.isoformat(),
            StartTime=offer.attributes["StartTime"],
            EndTime=offer.attributes["EndTime"],
            OfferID=f"OFR{row:010d}",
            MarketType=MARKET_TYPE,
            Direction=offer.attributes["Direction"],
            Area="04",
            ResourceName=RESOURCE,
            SystemCode="FSYS0",
            ParticipantName=PARTICIPANT,
            CompanyShortName="偽会社",
            ResourceShortName="偽電力",
            StackNumber=stack["StackNumber"],
            MinimumSupplyQuantity=stack["MinimumQuantityInKw"],
            PrimaryOfferQuantity=stack["PrimaryOfferQuantityInKw"],
            Secondary1OfferQuantity=stack["Secondary1OfferQuantityInKw"],
            Tertiary1OfferQuantity=stack["Tertiary1OfferQuantityInKw"],
            OfferUnitPrice=stack["OfferUnitPrice"],
            RampDownUnitPrice="0.00",
            StartUpUnitPrice="0.00",
            DRPatternNumber="1",
            CompletionDate="2024-03-14T11:44:15",
        )
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")
