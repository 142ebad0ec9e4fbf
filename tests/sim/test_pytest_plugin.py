"""The pytest plugin as a project using mms_client meets it: the project's own suite, run by
pytest with the fixtures the installed package registers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

# Where the plugin keeps the test PKI in a suite's pytest cache.
_CACHED_PKI = Path(".pytest_cache", "d", "mms-simulator-pki-v1")


def _secrets_of(pki: Path) -> list[str]:
    """The passphrases pki.json keeps: of the CA's key, the server's, and each user's."""
    record = json.loads((pki / "pki.json").read_text("utf-8"))
    users = [user["passphrase"] for user in record["users"]]
    return [record["ca_key_passphrase"], record["server_key_passphrase"], *users]


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project's test suite, configured as pytest-asyncio (installed beside the package)
    asks, so that its runs say nothing but what the plugin does."""
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    return pytester


def test_a_cached_pki_that_cannot_be_written_fails_the_fixture_naming_it_without_passphrases(
    suite: pytest.Pytester, mms_simulator_pki: Path
) -> None:
    """A suite run with ``-l`` (a traceback's locals shown, as in many CI configurations)
    whose cached PKI cannot be written is told which file and what to do, in a
    SimulatorStateError; the frames that were writing it, which held the users' records and
    passphrases, are not shown."""
    cached = suite.path / _CACHED_PKI
    shutil.copytree(mms_simulator_pki, cached)
    shutil.rmtree(cached / "users")
    (cached / "users").write_text("")  # a file where the users' PKCS#12 files are issued
    suite.makepyfile("def test_uses_it(mms_simulator_pki):\n    pass\n")

    result = suite.runpytest("-l")

    result.assert_outcomes(errors=1)
    shown = result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            f"E *.SimulatorStateError: cannot write the simulator's test PKI in {cached} "
            f"({cached / 'users'}*: *); make it writable, or remove it (pytest --cache-clear)*"
        ]
    )
    assert [secret for secret in _secrets_of(cached) if secret in shown] == []
    assert "pki.py" not in shown  # no frame of the code that held what it was writing


def test_a_damaged_cached_pki_fails_the_fixture_saying_to_clear_pytests_cache(
    suite: pytest.Pytester, mms_simulator_pki: Path
) -> None:
    """A cached PKI whose pki.json is damaged is refused, not replaced (its users'
    passphrases may have been copied), with the way out a pytest user has: clearing pytest's
    cache, not choosing another state folder, which a suite does not choose."""
    cached = suite.path / _CACHED_PKI
    shutil.copytree(mms_simulator_pki, cached)
    (cached / "pki.json").write_text("{")
    suite.makepyfile("def test_uses_it(mms_simulator):\n    pass\n")

    result = suite.runpytest("-l")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            f"E *.SimulatorStateError: the simulator's test PKI in {cached} cannot be used "
            "(pki.json: *); remove it (pytest --cache-clear) to have a new one made*"
        ]
    )
    assert "another state folder" not in result.stdout.str()


def test_a_test_that_stops_the_session_simulator_leaves_the_next_one_a_running_simulator(
    suite: pytest.Pytester,
) -> None:
    """A test stopping ``mms_simulator`` (to see what its client does without a server) does
    not break every later test: the next one gets it running again, with the state and the
    journal the session's simulator keeps, at addresses that may be new."""
    suite.makepyfile(
        """
        def test_stops_it(mms_simulator):
            with mms_simulator.client("MO") as operator:
                operator.call(
                    "RegistrationSubmit_User",
                    {"ParticipantName": "F100", "UserName": "QAUSER",
                     "StartDate": "2024-04-01", "Email": "qa@example.com"},
                )
            mms_simulator.stop()

        def test_uses_it_after(mms_simulator):
            assert mms_simulator.running
            assert mms_simulator.count("RegistrationSubmit_User") == 1
            with mms_simulator.client("BSP", "F100", "QAUSER") as qa:
                (found,) = qa.call(
                    "RegistrationQuery_User", {"ParticipantName": "F100", "UserName": "QAUSER"}
                ).items
            assert found.user_name == "QAUSER"
        """
    )

    result = suite.runpytest()

    result.assert_outcomes(passed=2)


def test_a_clock_a_test_sets_is_the_real_time_again_for_the_next_test(
    suite: pytest.Pytester,
) -> None:
    """A test that moves the session simulator's clock (to see a report expire) leaves the
    next test a simulator that stamps its answers with the real time, as one that moved
    nothing would have."""
    suite.makepyfile(
        """
        from datetime import datetime, timedelta

        from mms_client.jst import JST

        SET = datetime(2024, 4, 1, 9, tzinfo=JST)

        def _stamp(sim):
            with sim.client() as bsp:
                answer = bsp.call(
                    "RegistrationQuery_Participant", {"ParticipantName": "F100"}
                )
            return answer.statistics.xml_timestamp

        def test_sets_it(mms_simulator):
            mms_simulator.clock.set(SET)
            mms_simulator.clock.advance(timedelta(days=1))
            assert _stamp(mms_simulator).date() == SET.date() + timedelta(days=1)

        def test_uses_it_after(mms_simulator):
            assert _stamp(mms_simulator) > SET + timedelta(days=365)
        """
    )

    result = suite.runpytest()

    result.assert_outcomes(passed=2)
