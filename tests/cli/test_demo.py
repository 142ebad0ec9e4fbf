"""``mms demo``: a trading day against an embedded simulator, from nothing."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner
from rich.console import Console

from mms_client.cli import main
from mms_client.cli.demo import _offer_table, _show_refusal
from mms_client.errors import MMSValidationError
from mms_client.jst import JST
from mms_client.judgement import Message
from mms_client.schema.generated.mi_market import Direction, OfferData, OfferStack

from .serving import schema_folder


def test_the_demo_trades_a_day_and_exits_cleanly() -> None:
    result = CliRunner().invoke(main, ["demo"])

    assert result.exit_code == 0, result.output
    output = result.output
    steps = [
        "1. Submit 2 day-ahead offers",
        "2. Query the offers back",
        "3. Cancel the offer",
        "4. Query again",
        "5. Offer on a resource of another participant",
        "Demo finished",
    ]
    positions = [output.index(step) for step in steps]
    assert positions == sorted(positions)
    submitted = output[positions[0] : positions[1]]
    assert len(re.findall(r"OFR\d{10}", submitted)) == 3
    final = output[positions[3] : positions[4]]
    assert "FAKE_RESO " in final and "FAKE_RESO2" not in final
    # not on a terminal (here, into a file or a pipe), a message stays on one line, whole
    message = (
        r"^Error E_RESOURCE_NOT_OWNED: resource OTHER_RESO is held by participant F200 since "
        r"its registration, not by F100, for \S+-\S+$"
    )
    assert re.search(message, output[positions[4] :], re.MULTILINE), output[positions[4] :]


def test_a_demo_with_an_xsd_it_cannot_read_names_it_and_exits(tmp_path: Path) -> None:
    schemas = schema_folder(tmp_path / "schemas", broken="mi-market.xsd")
    result = subprocess.run(
        [sys.executable, "-m", "mms_client.cli", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MMS_SCHEMA_DIR": str(schemas)},
    )
    assert result.returncode == 2  # it cannot start as asked
    assert result.stderr.startswith(
        f"Error: {schemas / 'xsd' / 'mi-market.xsd'} cannot be read as an XSD: "
    )
    assert "Traceback" not in result.stderr and "Submit" not in result.stdout


def test_a_demo_terminated_midway_leaves_nothing_behind(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "mms_client.cli", "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    assert process.stdout is not None
    for line in process.stdout:
        if "MMS simulator running" in line:
            assert list(tmp_path.glob("mms-demo-*"))  # its folder, with the test PKI
            process.send_signal(signal.SIGTERM)
            break
    process.communicate(timeout=30)
    assert process.returncode == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []


def test_the_demo_shows_what_in_an_answer_would_act_on_the_terminal_as_escapes() -> None:
    """The demo prints the simulator's answers, offers and refusals, as they came over the
    wire: a value holding an escape sequence, a C1 control or a bidi override reached the
    terminal as it was, and one holding rich markup was read as markup. They are shown as
    ``mms call`` shows them, escaped, the markup as written, Japanese as it is."""
    offer = OfferData.model_construct(
        resource="RESO\x1b[2J",
        start=datetime(2024, 4, 1, 9, tzinfo=JST),
        end=datetime(2024, 4, 1, 12, tzinfo=JST),
        direction=Direction.SELL,
        area=None,
        stack=[
            OfferStack.model_construct(
                number=1,
                unit_price=Decimal("7.50"),
                minimum_quantity_kw=1000,
                tertiary_2_qty_kw=None,
                id="OFR\u202e01[bold]",
            )
        ],
    )
    refusal = MMSValidationError(
        "MarketSubmit_OfferData",
        "refused",
        [Message("Error", "E_X", "偽\u3000電力 [red]not red[/red]\x9b31m\rforged", "P")],
    )
    output = io.StringIO()
    console = Console(file=output, force_terminal=True, width=200, color_system=None)
    console.print(_offer_table("Offers", [offer]))
    _show_refusal(console, refusal)
    shown = output.getvalue()
    assert "RESO\\x1b[2J" in shown and "OFR\\u202e01[bold]" in shown, shown
    assert "Error E_X: 偽\u3000電力 [red]not red[/red]\\x9b31m\\rforged" in shown, shown
    assert all(character.isprintable() or character in "\n\u3000" for character in shown)
