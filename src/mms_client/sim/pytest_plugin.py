"""Pytest fixtures that run the MMS simulator over real HTTPS.

Registered as a ``pytest11`` entry point, so any project that installs mms_client gets them:

- ``mms_simulator``: one simulator for the whole test session (state and journal are shared
  between tests, so do not assume they are empty); faults injected by a test are cleared
  after it, and its clock is the real time again; a test that stopped it leaves the next one
  a running simulator again.
- ``fresh_mms_simulator``: a simulator with empty, freshly seeded state for one test.  It
  reuses the session's test PKI, so it starts in a fraction of a second.

Creating a test PKI means generating several RSA keys; the PKI is made once and kept in
pytest's cache folder (``.pytest_cache``) between sessions.  Test runs that start together
(an editor's and a terminal's) make and read it in turn.  Everything heavy is imported
inside the fixtures, so merely having the plugin installed costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from mms_client.sim.simulator import Simulator

# Bump when the layout of the PKI folder changes, so an old cached PKI is not reused.
_PKI_CACHE_KEY = "mms-simulator-pki-v1"


@pytest.fixture(scope="session")
def mms_simulator_pki(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A folder holding a ready test PKI, reused across sessions through pytest's cache.

    A PKI that cannot be written fails the fixture with a SimulatorStateError naming the file:
    the OS error's frames held the users' records and passphrases, which ``pytest -l`` shows.
    A damaged one fails it too, saying how to have it made again: by clearing the cache."""
    from mms_client.sim.pki import Pki
    from mms_client.sim.state import writing_in

    # pytest's cache plugin may be switched off (-p no:cacheprovider); then the PKI lives for
    # this session only.
    cache = getattr(request.config, "cache", None)
    folder: Path
    if cache is not None:
        folder = cache.mkdir(_PKI_CACHE_KEY)
        remedy = "make it writable, or remove it (pytest --cache-clear) to have a new one made"
    else:
        # made afresh each session: never found damaged
        folder = tmp_path_factory.mktemp("mms-simulator-pki")
        remedy = "make pytest's temporary folder writable, or name another with --basetemp"
    with writing_in(folder, what="the simulator's test PKI in", remedy=remedy):
        Pki.load_or_create(
            folder,
            remedy="remove it (pytest --cache-clear) to have a new one made, with new user "
            "certificates and passphrases",
        )
    return folder


@pytest.fixture(scope="session")
def mms_simulator_session(
    mms_simulator_pki: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Simulator]:
    """The session's simulator itself; prefer ``mms_simulator``, which also clears faults and
    resets the clock."""
    from mms_client.sim.simulator import Simulator

    state_dir = tmp_path_factory.mktemp("mms-simulator")
    with Simulator(state_dir, pki_source=mms_simulator_pki) as simulator:
        yield simulator


@pytest.fixture
def mms_simulator(mms_simulator_session: Simulator) -> Iterator[Simulator]:
    """The session-wide simulator; faults a test injects, and a clock it sets, do not leak
    into the next test: the next one finds none, and the real time.

    A test that stopped it (to see what a client does without a server) would otherwise leave
    every later test a stopped simulator, failing them for no fault of theirs: it is started
    again on its state folder, keeping its state and journal, at ports the system chooses
    anew."""
    if not mms_simulator_session.running:
        mms_simulator_session.stop()  # a no-op unless its server ended on its own
        mms_simulator_session.start()
    yield mms_simulator_session
    mms_simulator_session.clear_faults()
    mms_simulator_session.clock.reset()


@pytest.fixture
def fresh_mms_simulator(mms_simulator_pki: Path, tmp_path: Path) -> Iterator[Simulator]:
    """A simulator with freshly seeded state, for tests that need to know everything stored."""
    from mms_client.sim.simulator import Simulator

    with Simulator(tmp_path / "mms-simulator", pki_source=mms_simulator_pki) as simulator:
        yield simulator
