"""The documentation's Python examples run as written, so what they show stays true.

A block runs when the line before its ```` ```python ```` fence is :data:`MARKER`, which a
rendered page does not show. It runs in a folder of its own, against a freshly seeded
simulator, with the names the documentation takes as given: ``simulator`` (also ``sim``),
``client`` (an ``MmsClient`` for its seeded BSP user) and ``state_folder``. Blocks that sketch
rather than run (signatures with ``...``, the production MMS) carry no marker.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mms_client.sim.simulator import Simulator

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("README.md", "docs/client.md", "docs/schema.md", "docs/simulator.md")
MARKER = "<!-- runs against the simulator -->"
FENCE = "```"


def marked_blocks(page: str) -> list[tuple[str, int, str]]:
    """The blocks of ``page`` that run: the page, the line the code starts on, the code."""
    lines = (ROOT / page).read_text(encoding="utf-8").splitlines()
    blocks = []
    for index, line in enumerate(lines):
        if line.strip() != MARKER:
            continue
        assert lines[index + 1] == f"{FENCE}python", f"{page}:{index + 1}: {MARKER} not above"
        end = lines.index(FENCE, index + 2)
        blocks.append((page, index + 3, "\n".join(lines[index + 2 : end]) + "\n"))
    return blocks


BLOCKS = [block for page in PAGES for block in marked_blocks(page)]


@pytest.mark.parametrize(
    ("page", "line", "code"), BLOCKS, ids=[f"{page}:{line}" for page, line, _ in BLOCKS]
)
def test_a_documented_example_runs_as_written(
    page: str,
    line: int,
    code: str,
    fresh_mms_simulator: Simulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # where an example's files are saved
    with fresh_mms_simulator.client() as client:
        given = {
            "simulator": fresh_mms_simulator,
            "sim": fresh_mms_simulator,
            "client": client,
            "state_folder": fresh_mms_simulator.state_dir,
        }
        # blank lines first, so that a failure names the line of the page
        exec(compile("\n" * (line - 1) + code, page, "exec"), given)
