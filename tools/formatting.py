"""Formatting generated source the way the repository's ruff configuration wants it, so that
committed generated files are stable and pass the same checks as hand-written ones."""

import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]


def ruff_format(text: str, target: Path) -> str:
    """``text`` (the future content of ``target``) with its imports sorted and formatted."""
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
