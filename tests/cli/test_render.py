"""How ``mms call`` shows an answer, from models made here: for what a reply can carry but the
simulator never sends."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from mms_client.cli import render
from mms_client.cli.status import Failure
from mms_client.errors import MMSValidationError
from mms_client.exchange import Response
from mms_client.files import DownloadedFile
from mms_client.judgement import Message
from mms_client.operations import get_operation
from mms_client.schema.generated.mi_report import Param


@pytest.mark.parametrize("terminal", [False, True])
def test_characters_that_would_act_on_the_terminal_are_shown_as_escapes(terminal: bool) -> None:
    """A report's rows (CSV), a plain-text error and a reply's file names are no XML, which
    carries no ESC; a reply's XML carries line breaks (&#10;), C1 controls and bidi controls.
    Printed as they were, they made up rows of their own, cleared the screen, retitled the
    window, rang the bell, wrote over a value or reordered it; each is now shown as an
    escape, in its row, and Japanese text with its full-width spaces as it is."""
    operation = get_operation("ReportCreateRequest")
    items = [
        Param(name="START_TIME", value="偽電力\u3000揚水\x1b[2J\x1b]0;owned\x07"),
        Param(name="END_TIME", value="2024-04-02\nEND_TIME       2099-01-01"),
    ]
    refusal = MMSValidationError(
        operation.name,
        "refused",
        [Message("Error", "E_X", "tail\x08\x08\x08\x08head \u2067\u202eevil\u2069 \x9b31m", "P")],
        items=items,
        transaction_id="A1\rB2",
    )
    downloaded = DownloadedFile(name="report\u202excsv.exe", data_type="CSV", size=3)
    output = io.StringIO()
    console = Console(file=output, force_terminal=terminal, width=200, color_system=None)
    render.show_refusal(console, refusal)
    render.show(console, Response(operation, [], None, files=(downloaded,)))
    shown = output.getvalue()

    assert "偽電力\u3000揚水\\x1b[2J\\x1b]0;owned\\x07" in shown
    assert "2024-04-02\\nEND_TIME       2099-01-01" in shown
    assert "tail\\x08\\x08\\x08\\x08head \\u2067\\u202eevil\\u2069 \\x9b31m" in shown
    assert "TransactionId: A1\\rB2" in shown
    assert "report\\u202excsv.exe" in shown
    # the lines' own ends alone break them, and nothing else acts
    assert all(character.isprintable() or character in "\n\u3000" for character in shown)
    assert not any(line.lstrip().startswith("END_TIME       2099") for line in shown.splitlines())


def test_a_failure_quoting_the_server_shows_what_would_act_on_the_terminal_as_escapes() -> None:
    """The text of a plain-text reply or a SOAP fault, which the error line of a command
    quotes, may hold an escape sequence or a carriage return that would rewrite what the
    line says; the message's own line breaks, which list its problems, stay."""
    message = "MMS answered: E_X\x1b[2K\rall is well\u202e\n  - second problem"
    shown = Failure(message, 3).format_message()
    assert shown == "MMS answered: E_X\\x1b[2K\\rall is well\\u202e\n  - second problem"


def test_json_writes_what_would_act_on_the_terminal_as_json_escapes() -> None:
    """``--json`` printed a reply's text as it was: an escape sequence, a C1 control (CSI),
    DEL, a line separator or a bidi override reached the terminal a script's output was
    shown on, to rewrite or reorder it. They are JSON escapes now, which a parser reads as
    the very characters sent; Japanese and its full-width space stay as they are."""
    operation = get_operation("ReportCreateRequest")
    value = "偽電力\u3000揚水\x1b[2J\x9b31m\x7f\u2028\u202eevil\u2069\u061c"
    refusal = MMSValidationError(
        operation.name,
        "refused",
        [Message("Error", "E_X", "text\x1b]0;owned\x07", "P")],
        items=[Param(name="START_TIME", value=value)],
        transaction_id="A1\u2029B2",
    )
    answer = Response(operation, [Param(name="START_TIME", value=value)], None)
    for text in (
        render.as_json(answer, "utf-8"),
        render.refusal_as_json(operation, refusal, "utf-8"),
    ):
        assert all(character.isprintable() or character in "\n\u3000" for character in text)
        document = json.loads(text)
        assert document["items"] == [{"Name": "START_TIME", "Value": value}]
        assert "偽電力\u3000揚水" in text
    refused = json.loads(render.refusal_as_json(operation, refusal, "utf-8"))
    assert refused["messages"][0]["text"] == "text\x1b]0;owned\x07"
    assert refused["transaction_id"] == "A1\u2029B2"
