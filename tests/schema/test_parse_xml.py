"""Hostile or broken XML gets a clear PayloadError, never a hang, a crash or a memory blow-up."""

from __future__ import annotations

import re

import pytest

from mms_client.errors import PayloadError
from mms_client.schema.codec import DEFAULT_MAX_BYTES, parse_xml

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
