"""Formatting generated source the way the repository's ruff configuration wants it, so that
committed generated files are stable and pass the same checks as hand-written ones, and
bringing the committed files up to date (or, for the staleness checks, only saying which are
not)."""

import importlib.util
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]

SETUP_PROBLEM = 2
"""The exit status of a generator that cannot run here: its ``--check`` exits 1 for "out of
date", which a missing tool does not mean."""


def ruff_format(text: str, target: Path) -> str:
    """``text`` (the future content of ``target``) with its imports sorted and formatted.

    Without ruff (a plain ``pip install .``) the generator ends with :data:`SETUP_PROBLEM`,
    saying what to install, before it reports anything as stale or writes anything."""
    if importlib.util.find_spec("ruff") is None:
        print(
            "ruff is not installed for this Python; the generators need the test extra: "
            "pip install -e '.[test]'",
            file=sys.stderr,
        )
        raise SystemExit(SETUP_PROBLEM)
    for arguments in (["check", "--select", "I", "--fix", "--quiet", "--exit-zero"], ["format"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *arguments, "--stdin-filename", str(target), "-"],
            input=text,
            capture_output=True,
            text=True,
            cwd=REPOSITORY,
            check=False,
        )
        if result.returncode != 0:
            raise SystemExit(f"ruff {arguments[0]} failed for {target.name}:\n{result.stderr}")
        text = result.stdout
    return text


def update(outputs: dict[Path, str], *, check: bool) -> int:
    """Write the files of ``outputs`` (path -> content) whose content differs; with ``check``,
    only name them. The exit status: 1 when ``check`` found a stale file, else 0."""
    stale = [
        path
        for path, text in outputs.items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    for path in stale:
        if check:
            print(f"out of date: {path.relative_to(REPOSITORY)}")
        else:
            path.write_text(outputs[path], encoding="utf-8")
            print(f"wrote {path.relative_to(REPOSITORY)}")
    return 1 if check and stale else 0
