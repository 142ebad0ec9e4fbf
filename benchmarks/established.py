"""The established client, ``mms-client`` from PyPI, in a virtualenv of its own.

Both the interoperability tests and the side-by-side benchmark run the established client
unmodified, as a black box, in a separate Python: it is a different package with the same
import name as ours, and 1.10.0 (the last release that installs on Python 3.11; later ones
need 3.12) pins older cryptography and lxml than this project uses. The virtualenv lives under
``<repository>/.cache/`` and is made once, then reused while its requirements stay the same.

Two of its dependencies are pinned to releases of its time: later pydantic and pydantic-xml
releases change how its models serialise (it would send ``<stack>`` instead of
``<OfferStack>``) and parse.
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
ENVIRONMENT = REPOSITORY / ".cache" / "established-client"
VERSION = "1.10.0"
REQUIREMENTS = (f"mms-client=={VERSION}", "pydantic==2.8.2", "pydantic-xml==2.11.0")
LABEL = f"established client {VERSION}"
"""How reports name it: the PyPI package and the release measured."""
_INSTALL_TIMEOUT = 600.0
_WANTED = "\n".join(REQUIREMENTS)
_PYTHON = ENVIRONMENT / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
_MARKER = ENVIRONMENT / "installed.txt"
"""Records the requirements the virtualenv was made with."""


class EstablishedClientUnavailableError(RuntimeError):
    """The established client's virtualenv could not be made (no network access to PyPI, no
    ``venv``/``pip``, a failing install); the message says which and why."""


def is_ready() -> bool:
    """Whether the virtualenv exists with the current requirements (nothing to install)."""
    return _PYTHON.exists() and _MARKER.exists() and _MARKER.read_text(encoding="utf-8") == _WANTED


def established_python() -> Path:
    """The Python of a virtualenv with the established client installed, made on first use.

    A marker file records the requirements the virtualenv was made with, so that changing a
    pin remakes it instead of measuring or testing against a stale install.

    Raises:
        EstablishedClientUnavailableError: when the virtualenv cannot be created or the pinned
            packages cannot be installed.
    """
    if is_ready():
        return _PYTHON
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(ENVIRONMENT)
        subprocess.run(
            [
                str(_PYTHON),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                *REQUIREMENTS,
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=_INSTALL_TIMEOUT,
        )
    except subprocess.CalledProcessError as exc:
        last = " | ".join(str(exc.stderr or "").strip().splitlines()[-3:])
        raise EstablishedClientUnavailableError(
            f"the {LABEL} (mms-client from PyPI) could not be installed (offline?): "
            f"{last or f'pip exited with {exc.returncode}'}"
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise EstablishedClientUnavailableError(
            f"installing the {LABEL} from PyPI took longer than {_INSTALL_TIMEOUT:.0f} s"
        ) from exc
    except OSError as exc:
        raise EstablishedClientUnavailableError(
            f"no virtualenv for the {LABEL} could be made in {ENVIRONMENT}: {exc}"
        ) from exc
    _MARKER.write_text(_WANTED, encoding="utf-8")
    return _PYTHON
