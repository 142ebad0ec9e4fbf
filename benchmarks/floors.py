"""The floors: the same jobs done with lxml, cryptography and the standard library alone.

A floor does exactly the work our side does, with nothing else: no models, no validation, no
registry. Our figure divided by the floor's is the price of everything the library adds
(types, validation, error reporting, the registry), which is what the speed targets bound.

One part of a floor is not the least it could cost: base64 is the standard library's, as a
program built on lxml alone decodes it, while the library decodes with pybase64, about thirty
times faster. So the parse case also reports its ratio to a floor that decodes with pybase64.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any, cast

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from lxml import etree

from benchmarks.documents import OfferDict, XmlAttributes


def parser(target: Any = None, *, huge_tree: bool = False) -> etree.XMLParser:
    """A parser with the safety settings ours has, so that the floor does not win by being
    unsafe."""
    return etree.XMLParser(
        target=target,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=huge_tree,
    )


_PARSER = parser()
_ENVELOPE_PARSER = parser(huge_tree=True)
"""For the SOAP envelope, whose inline base64 is one text node: libxml2 refuses a text node
over 10 MB without ``huge_tree`` (a reply of about 1900 offers), where ours streams an
envelope that large and so meets no such limit."""


def serialize_and_sign(
    envelope: XmlAttributes, offers: Sequence[OfferDict], key: RSAPrivateKey
) -> tuple[bytes, str]:
    """The submit document built from dicts with lxml, canonicalised by libxml2 (C14N 1.0),
    and its RSA-2048 PKCS#1 v1.5 SHA-256 signature as base64 text."""
    root = etree.Element("MarketData")
    submit = etree.SubElement(root, "MarketSubmit", envelope)
    for offer in offers:
        element = etree.SubElement(submit, "OfferData", offer.attributes)
        for stack in offer.stacks:
            etree.SubElement(element, "OfferStack", stack)
    payload = etree.tostring(root, method="c14n")
    signature = key.sign(payload, padding.PKCS1v15(), hashes.SHA256())
    return payload, base64.b64encode(signature).decode("ascii")


Row = tuple[str, dict[str, str], str | None]


def parse_to_dicts(data: bytes) -> list[Row]:
    """Parse a document and read every element's attributes (and text) into plain dicts."""
    root = etree.fromstring(data, _PARSER)
    return [
        (element.tag, dict(element.attrib), element.text)  # type: ignore[arg-type]  # str keys
        for element in root.iter(etree.Element)
    ]


Decode = Callable[[str], bytes]


def read_reply(body: bytes, decode: Decode = base64.b64decode) -> list[Row]:
    """The payload of an inline-base64 ``ResponseAttInfo`` reply, read into dicts."""
    return parse_to_dicts(reply_payload(body, decode))


def reply_payload(body: bytes, decode: Decode = base64.b64decode) -> bytes:
    """The payload of an inline-base64 ``ResponseAttInfo`` reply, decoded by ``decode``: the
    standard library's decoder, unless a detail asks what the floor costs with ours."""
    envelope = etree.fromstring(body, _ENVELOPE_PARSER)
    data = envelope.findtext(".//responseData")
    if data is None:
        raise ValueError("the reply carries no responseData")
    return decode(data)


class _Nothing:
    """A parser target that does nothing with what it is handed."""

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        pass

    def end(self, tag: str) -> None:
        pass

    def data(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


# lxml-stubs want targets taking str | bytes and having comment(); lxml passes str and skips
# the callbacks a target does not define
_TO_NOTHING = parser(cast(Any, _Nothing()))


def hand_reply_to_python(body: bytes) -> None:
    """The payload of the reply parsed, as :func:`read_reply` does, but handed to Python as
    parser events (each start tag with its attributes, each end tag, each piece of text)
    that do nothing, instead of into a tree: what lxml's calls into Python cost, which any
    reading of a document into Python objects without a tree pays before doing anything."""
    etree.fromstring(reply_payload(body), _TO_NOTHING)
