"""``mms demo``: a trading day against an embedded simulator, from nothing."""

from __future__ import annotations

import re

from click.testing import CliRunner

from mms_client.cli import main


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
    assert "E_RESOURCE_NOT_OWNED" in output[positions[4] :]
