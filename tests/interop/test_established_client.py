"""Interoperability with the established client, ``mms-client`` from PyPI, unmodified.

Its releases after 1.10.0 need Python 3.12, and 1.10.0 pins older cryptography and lxml than
this project uses, so it gets a virtualenv of its own under ``<repo>/.cache/`` (created once,
reused afterwards).  Two of its dependencies are pinned to releases of its time: later
pydantic and pydantic-xml releases change how its models serialise (it would send
``<stack>`` instead of ``<OfferStack>``) and parse.  Without network access to PyPI the tests
are skipped.

The established client is pointed at an in-process simulator; the simulator records the
payload bytes each client signed, which lets the test compare them byte for byte.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import venv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mms_client.client import MmsClient
from mms_client.sim.simulator import Simulator
from mms_client.types.market import MarketType
from mms_client.types.offer import Direction, OfferData, OfferStack

REPOSITORY = Path(__file__).resolve().parents[2]
ENVIRONMENT = REPOSITORY / ".cache" / "established-client"
REQUIREMENTS = ("mms-client==1.10.0", "pydantic==2.8.2", "pydantic-xml==2.11.0")
SCRIPT = Path(__file__).with_name("established_client_session.py")
DAY = dt.date(2024, 3, 15)
SUBMIT = "MarketSubmit_OfferData"


def _python(environment: Path) -> Path:
    folder = "Scripts" if sys.platform == "win32" else "bin"
    return environment / folder / ("python.exe" if sys.platform == "win32" else "python")


@pytest.fixture(scope="session")
def established_python() -> Path:
    """The Python of a virtualenv with the established client, made on first use."""
    python = _python(ENVIRONMENT)
    marker = ENVIRONMENT / "installed.txt"
    wanted = "\n".join(REQUIREMENTS)
    if python.exists() and marker.exists() and marker.read_text() == wanted:
        return python
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(ENVIRONMENT)
        subprocess.run(
            [
                str(python),
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
            timeout=600,
        )
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        output = str(getattr(exc, "stderr", None) or "").strip().splitlines()[-3:]
        pytest.skip(
            "the established client (mms-client 1.10.0) could not be installed from PyPI "
            f"(offline?): {' | '.join(output) or exc}"
        )
    marker.write_text(wanted)
    return python


@pytest.fixture(scope="module")
def simulator(
    mms_simulator_pki: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Simulator]:
    with Simulator(
        tmp_path_factory.mktemp("interop"), pki_source=mms_simulator_pki, backup_port=None
    ) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def established_session(established_python: Path, simulator: Simulator) -> dict[str, Any]:
    """What the established client got back for put, query, cancel and query again."""
    user = simulator.user("BSP")
    config = {
        "service": simulator.base_url + "/axis2/services/MiWebService",
        "participant": user.participant,
        "user": user.user,
        "p12": str(user.p12),
        "passphrase": user.passphrase,
        "date": DAY.isoformat(),
        "resource": "FAKE_RESO",
    }
    environment = {
        **os.environ,
        "REQUESTS_CA_BUNDLE": str(simulator.ca),
        "NO_PROXY": "127.0.0.1,localhost",
    }
    run = subprocess.run(
        [str(established_python), str(SCRIPT), json.dumps(config)],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
    )
    lines = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
    assert run.returncode == 0 and lines, run.stdout + run.stderr
    result: dict[str, Any] = json.loads(lines[-1].removeprefix("RESULT "))
    return result


def test_the_established_client_can_put_query_and_cancel_an_offer(
    established_session: dict[str, Any],
) -> None:
    put = established_session["put"]
    assert put["resource"] == "FAKE_RESO"
    assert put["offer_ids"] and all(put["offer_ids"])
    assert [(o["resource"], o["offer_ids"]) for o in established_session["queried"]] == [
        ("FAKE_RESO", put["offer_ids"])
    ]
    assert established_session["cancelled"]["resource"] == "FAKE_RESO"
    assert established_session["after_cancel"] == []


def test_both_clients_sign_the_same_payload_bytes_for_the_same_offer(
    established_session: dict[str, Any], simulator: Simulator
) -> None:
    theirs = [r.payload for r in simulator.requests if r.operation == SUBMIT]
    assert len(theirs) == 1

    offer = OfferData(
        stack=[OfferStack(number=1, unit_price=100, minimum_quantity_kw=100)],
        resource="FAKE_RESO",
        start=dt.datetime(2024, 3, 15, 12),
        end=dt.datetime(2024, 3, 15, 21),
        direction=Direction.SELL,
    )
    with simulator.client() as client:
        assert isinstance(client, MmsClient)
        client.put_offer(offer, market_type=MarketType.DAY_AHEAD, days=1, date=DAY)
    ours = [r.payload for r in simulator.requests if r.operation == SUBMIT][-1]

    assert ours == theirs[0]
    assert ours == (
        b'<MarketData><MarketSubmit Date="2024-03-15" MarketType="DAM" NumOfDays="1" '
        b'ParticipantName="F100" UserName="FAKEUSER"><OfferData Direction="1" '
        b'EndTime="2024-03-15T21:00:00" ResourceName="FAKE_RESO" '
        b'StartTime="2024-03-15T12:00:00"><OfferStack MinimumQuantityInKw="100" '
        b'OfferUnitPrice="100" StackNumber="1"></OfferStack></OfferData></MarketSubmit>'
        b"</MarketData>"
    )
