"""Hostile or broken XML gets a clear PayloadError, never a hang, a crash or a memory blow-up."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from benchmarks import peak_memory

from mms_client.errors import PayloadError
from mms_client.schema.codec import DEFAULT_MAX_BYTES, parse_xml
from mms_client.xmlparse import tree_bytes_bound

REPOSITORY = Path(__file__).resolve().parents[2]

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<MarketData Note="&lol9;">&lol9;</MarketData>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE MarketData [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<MarketData>&secret;</MarketData>"""

EXTERNAL_DTD = b"""<!DOCTYPE MarketData SYSTEM "http://example.invalid/evil.dtd"><MarketData/>"""


def refusal(data: bytes, **options: int) -> tuple[str, str]:
    with pytest.raises(PayloadError) as caught:
        parse_xml(data, **options)
    (problem,) = caught.value.errors
    return problem.path, problem.rule


def test_well_formed_xml_parses() -> None:
    root = parse_xml(b"<?xml version='1.0' encoding='utf-8'?>\n<MarketData/>")
    assert root.tag == "MarketData"


def test_billion_laughs_is_refused_before_expansion() -> None:
    path, rule = refusal(BILLION_LAUGHS)
    assert rule == "no DTD or entities allowed"
    assert path == "line 2, column 1"


def test_external_entities_are_refused() -> None:
    assert refusal(EXTERNAL_ENTITY)[1] == "no DTD or entities allowed"


def test_external_dtd_is_refused() -> None:
    assert refusal(EXTERNAL_DTD)[1] == "no DTD or entities allowed"


def test_doctype_after_a_comment_is_still_found() -> None:
    data = b"<!-- hello --><!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>"
    assert refusal(data)[1] == "no DTD or entities allowed"


def _element_with_attributes(count: int) -> bytes:
    names = b" ".join(b'a%d="1"' % number for number in range(count))
    return b"<MarketData>\n<MarketQuery " + names + b"/></MarketData>"


def test_an_element_with_more_than_1024_attributes_is_refused() -> None:
    """lxml reads the attributes of an element in time quadratic in their number, holding
    the GIL: an element of half a million held a reader, and every thread beside it, for
    hours."""
    assert refusal(_element_with_attributes(1025)) == (
        "MarketQuery",
        "at most 1024 attributes on one element",
    )
    assert parse_xml(_element_with_attributes(1024))[0].tag == "MarketQuery"


def _crowded_in(encoding: str, equals: bytes = b"=") -> bytes:
    """A document in ``encoding`` whose root has 1025 attributes, each ``=`` written as
    ``equals`` after the XML declaration."""
    names = " ".join(f'a{number}="\u4e3c"' for number in range(1025))
    document = f'<?xml version="1.0" encoding="{encoding}"?><MarketData {names}/>'
    declaration, end, root = document.encode(encoding).partition(b"?>")
    return declaration + end + root.replace(b"=", equals)


@pytest.mark.parametrize(
    "document",
    [
        # 丼 (U+4E3C) is written with the byte of "<" in UTF-16, and "=" as +AD0- in UTF-7:
        # the bytes of such a document say nothing of its start tags
        _crowded_in("UTF-16"),
        _crowded_in("UTF-7", equals=b"+AD0-"),
    ],
    ids=["UTF-16", "UTF-7"],
)
def test_an_element_of_too_many_attributes_is_refused_in_any_encoding(document: bytes) -> None:
    assert refusal(document) == ("MarketData", "at most 1024 attributes on one element")


def test_undeclared_entity_is_malformed() -> None:
    path, rule = refusal(b"<MarketData>&nbsp;</MarketData>")
    assert rule.startswith("well-formed XML")
    assert path.startswith("line 1, column")


def test_malformed_xml_names_the_position() -> None:
    path, rule = refusal(b"<MarketData>\n  <Messages>\n</MarketData>")
    assert path.startswith("line 3, column")
    assert rule.startswith("well-formed XML")


@pytest.mark.parametrize("data", [b"", b"not xml", b"<a>", b"\xff\xfe\x00", b"<a></b>"])
def test_broken_inputs_are_malformed(data: bytes) -> None:
    assert refusal(data)[1].startswith("well-formed XML")


@pytest.mark.parametrize(
    "data", [b"", b"<a>&nbsp;</a>", b"<a>\n  <b x='1'</b></a>", b"<a>\x01</a>", b"<a"]
)
def test_a_malformed_document_is_given_its_position_once(data: bytes) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_xml(data)
    (problem,) = caught.value.errors
    assert re.fullmatch(r"line \d+, column \d+", problem.path)
    assert re.findall(r"line \d+, column \d+", str(caught.value)) == [problem.path]


def test_a_refusal_reads_without_a_value_where_there_is_none() -> None:
    with pytest.raises(PayloadError) as caught:
        parse_xml(b"<a></b>")
    assert str(caught.value).endswith(
        "line 1, column 8: well-formed XML: Opening and ending tag mismatch: a line 1 and b"
    )
    with pytest.raises(PayloadError) as caught:
        parse_xml(b"<a>" + b" " * 200 + b"</a>", max_bytes=100)
    assert str(caught.value).endswith("document: at most 100 bytes (got '207 bytes')")


def test_oversized_input_is_refused_without_parsing() -> None:
    path, rule = refusal(b"<MarketData>" + b" " * 200 + b"</MarketData>", max_bytes=100)
    assert (path, rule) == ("document", "at most 100 bytes")


def test_default_size_limit_is_64_mib() -> None:
    assert DEFAULT_MAX_BYTES == 64 * 1024 * 1024


def test_text_is_not_bytes() -> None:
    with pytest.raises(TypeError):
        parse_xml("<MarketData/>")  # type: ignore[arg-type]


def test_doctype_behind_many_processing_instructions_is_still_refused() -> None:
    data = b"<?pi?>" * 1000 + b"<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>"
    assert refusal(data)[1] == "no DTD or entities allowed"


def test_an_unterminated_prolog_is_malformed_not_slow() -> None:
    assert refusal(b"<?" + b"x" * 1_000_000)[1].startswith("well-formed XML")


# --- how much a tree may take ---------------------------------------------------------------

_OFFER_SHAPED = (
    b'  <OfferData Direction="1" StartTime="2024-03-15T12:00:00" ResourceName="R001">\n'
    b'    <OfferStack StackNumber="1" MinimumQuantityInKw="100" OfferUnitPrice="12.5"/>\n'
    b'    <Messages><Warning Code="W001">check the price</Warning></Messages>\n'
    b"  </OfferData>\n"
)
_TREE_SHAPES = {
    "offers": b"<MarketSubmit>\n" + _OFFER_SHAPED * 6000 + b"</MarketSubmit>",
    "empty elements": b"<r>" + b"<a/>" * 500_000 + b"</r>",
    "empty elements with whitespace": b"<r>" + b"<a/> " * 400_000 + b"</r>",
    "elements of as many attributes as allowed": b"<r>"
    + (b"<a " + b" ".join(b'b%d=""' % i for i in range(1024)) + b"/>") * 150
    + b"</r>",
    "repeated attributes": b"<r>" + b'<a b="" c="" d="" e="" f="" g=""/>' * 60_000 + b"</r>",
    "namespaced elements": b'<r xmlns:p="urn:x">' + b"<p:a/>" * 300_000 + b"</r>",
    "comments": b"<r>" + b"<!---->" * 300_000 + b"</r>",
    "long text": b"<r>" + b"x" * 2_000_000 + b"</r>",
}

_MEASURE_A_TREE = """
import sys
from benchmarks.peak_memory import peak_of
from mms_client.xmlparse import parse_xml

data = sys.stdin.buffer.read()
print(peak_of(lambda: parse_xml(data)).extra_bytes)
"""


def _tree_bytes(data: bytes) -> int:
    """The memory the tree of ``data`` takes, measured in a process of its own: its peak
    resident set above what it had before parsing."""
    measured = subprocess.run(
        [sys.executable, "-c", _MEASURE_A_TREE],
        input=data,
        capture_output=True,
        check=True,
        cwd=REPOSITORY,  # where benchmarks is found
    )
    return int(measured.stdout)


@pytest.mark.skipif(not peak_memory.AVAILABLE, reason="measuring a peak needs Linux's /proc")
@pytest.mark.parametrize("shape", list(_TREE_SHAPES))
def test_the_bound_of_a_tree_holds_for_every_shape_of_document(shape: str) -> None:
    """Beside other threads a document is parsed into a tree only where the tree fits in
    TREE_MAX_BYTES, as ``tree_bytes_bound`` reckons it, so the reckoning must never fall short
    of what libxml2 takes, whatever the document's shape; for a reply it is near enough that
    replies of thousands of offers still get a tree."""
    data = _TREE_SHAPES[shape]
    taken = _tree_bytes(data)
    assert taken <= tree_bytes_bound(data)
    if shape == "offers":
        assert tree_bytes_bound(data) <= 2.5 * taken


class _Counting:
    """A parser target that counts the elements it is shown."""

    def __init__(self) -> None:
        self.elements = 0

    def start(self, _tag: str, _attributes: dict[str, str]) -> None:
        self.elements += 1

    def end(self, _tag: str) -> None: ...
    def data(self, _text: str) -> None: ...
    def doctype(self, *_declaration: object) -> None: ...

    def close(self) -> int:
        return self.elements


def test_whether_a_tree_is_parsed_beside_other_threads_depends_on_its_size_not_the_documents(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Of two documents of about the same length, a reply whose tree fits is parsed into a
    tree, and one of empty elements, whose tree would take several times more, is read from
    libxml2's events; each is read whole either way."""
    from mms_client import xmlparse

    trees: list[int] = []
    tree = xmlparse._tree

    def tree_counted(raw: bytes) -> Any:
        trees.append(len(raw))
        return tree(raw)

    monkeypatch.setattr(xmlparse, "_tree", tree_counted)
    monkeypatch.setattr(xmlparse.threading, "active_count", lambda: 2)
    monkeypatch.setattr(xmlparse, "TREE_MAX_BYTES", 1024 * 1024)
    offers = b"<MarketSubmit>\n" + _OFFER_SHAPED * 120 + b"</MarketSubmit>"
    empty = b"<r>" + b"<a/> " * 6000 + b"</r>"
    assert 25_000 < len(offers) < 45_000 and 25_000 < len(empty) < 45_000

    assert xmlparse.parse_events(offers, xmlparse.event_parser(_Counting())) == 1 + 120 * 4
    assert trees == [len(offers)]
    assert xmlparse.parse_events(empty, xmlparse.event_parser(_Counting())) == 6001
    assert trees == [len(offers)]


@pytest.mark.parametrize("threads", [1, 2])
def test_a_document_is_read_from_any_bytes_like_object_and_refused_as_text(
    threads: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alone or beside other threads, ``parse_events`` takes what ``parse_xml`` takes."""
    from mms_client import xmlparse
    from mms_client.schema.codec import read
    from mms_client.schema.generated.mi_market import MarketData

    monkeypatch.setattr(xmlparse.threading, "active_count", lambda: threads)
    data = b'<MarketData><Messages><Warning Code="W001">a</Warning></Messages></MarketData>'
    expected = read(data, MarketData)
    assert read(bytearray(data), MarketData) == expected
    assert read(memoryview(data), MarketData) == expected
    with pytest.raises(TypeError, match="XML must be given as bytes, not str"):
        xmlparse.parse_events(data.decode(), xmlparse.event_parser(_Counting()))  # type: ignore[arg-type]
