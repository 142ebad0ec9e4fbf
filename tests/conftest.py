"""What every test shares: the official schema files, found from the tests' own place.

They are ``../shared/mms-schemas`` beside this source tree, unless ``MMS_SCHEMA_DIR`` names
them. The package under test cannot be asked where they are when it is an installed one (a
distributor runs the tests of a source tree against the wheel built from it): an installed
package has no tree beside it. So the tests name the folder in ``MMS_SCHEMA_DIR``, for the
library they call and the commands they start alike.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mms_client.schema.files import SCHEMA_DIR_VARIABLE

if TYPE_CHECKING:
    from mms_client.sim.simulator import Simulator

SHARED_SCHEMAS = Path(__file__).resolve().parents[1].parent / "shared" / "mms-schemas"


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get(SCHEMA_DIR_VARIABLE) and (SHARED_SCHEMAS / "xsd").is_dir():
        os.environ[SCHEMA_DIR_VARIABLE] = str(SHARED_SCHEMAS)


ReadEveryWay = Callable[[Callable[[], object]], object]


@pytest.fixture
def read_every_way(monkeypatch: pytest.MonkeyPatch) -> ReadEveryWay:
    """Runs a reading of untrusted XML the three ways ``mms_client.xmlparse`` may take and
    requires the same answer from each, or the same refusal with its paths, values and rules:
    alone in its process (libxml2's events as it parses), beside other threads (a tree,
    replayed), and beside other threads with the document's tree over its bound (events
    again). Gives back the answer, or the refusal's message and errors."""
    from mms_client import xmlparse
    from mms_client.errors import PayloadError

    tree_max_bytes = xmlparse.TREE_MAX_BYTES

    def every_way(read: Callable[[], object]) -> object:
        def one_way(threads: int, tree_max_bytes: int) -> object:
            monkeypatch.setattr(xmlparse.threading, "active_count", lambda: threads)
            monkeypatch.setattr(xmlparse, "TREE_MAX_BYTES", tree_max_bytes)
            try:
                return read()
            except PayloadError as exc:
                return str(exc), exc.errors

        alone = one_way(1, tree_max_bytes)
        assert one_way(2, tree_max_bytes) == alone
        assert one_way(2, 0) == alone
        return alone

    return every_way


@pytest.fixture
def not_yet_valid_p12(
    mms_simulator: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A PKCS#12 of the simulator's BSP user (with its passphrase), issued by the simulator's
    CA as if two days from now, so valid only from then: as a certificate looks to a client
    whose clock is behind. The simulator refuses it at the TLS handshake, as the MMS would."""
    from mms_client.endpoints import ClientType
    from mms_client.sim import pki

    user = mms_simulator.user(ClientType.BSP)
    issuer = pki.Pki.load_or_create(mms_simulator.ca.parent, users=())
    later = pki._now() + dt.timedelta(days=2)
    with monkeypatch.context() as issuing:
        issuing.setattr(pki, "_now", lambda: later)
        p12 = issuer.issue_p12(user.participant, user.user, ClientType.BSP, user.passphrase)
    path = tmp_path / "not-yet-valid.p12"
    path.write_bytes(p12)
    return path
