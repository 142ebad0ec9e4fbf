"""``mms`` as scripts and scheduled jobs run it: with standard streams closed or full, and with
an exit status that tells a refusal (do not send again) from an MMS out of reach (trying
again may help) from a command that is wrong (nothing was sent)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from mms_client.examples import EXAMPLE_DAY
from mms_client.security.certs import Certificate, CertificateWarning
from mms_client.sim.simulator import Simulator

from .test_call import FOREIGN_OFFER


def mms(
    *arguments: str,
    closed: Sequence[int] = (),
    stdout: int | None = subprocess.PIPE,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``mms arguments`` run as a job runs it, with the standard streams numbered in
    ``closed`` closed (as ``<&-`` and ``>&-`` close them) and no terminal."""

    def close() -> None:
        for descriptor in closed:
            os.close(descriptor)

    return subprocess.run(
        [sys.executable, "-m", "mms_client.cli", *arguments],
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        preexec_fn=close,
        env={**os.environ, **(env or {})},
    )


def certificate_options(simulator: Simulator, client_type: str = "BSP") -> list[str]:
    """The options that talk to ``simulator`` as any MMS is talked to, with a PKCS#12 (the
    passphrase is not among them)."""
    user = simulator.manifest.user(client_type)
    return ["--cert", str(user.p12), "--participant", user.participant, "--user", user.user,
            "--client-type", client_type, "--base-url", simulator.base_url,
            "--ca", str(simulator.manifest.ca)]  # fmt: skip


@pytest.mark.parametrize("arguments", [["ops"], ["--help"], ["call", "--help"], ["--version"]])
def test_output_that_cannot_be_written_is_an_error_not_a_traceback(arguments: list[str]) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here to stand for a full disk")
    with open("/dev/full", "w") as full:
        result = mms(*arguments, stdout=full.fileno())
    assert (result.returncode, result.stderr) == (
        4,
        "Error: cannot write: No space left on device\n",
    )


@pytest.mark.parametrize(
    ("operation", "processed"),
    [
        ("put_offer", "; the MMS processed MarketSubmit_OfferData: query before sending it again"),
        ("query_offers", ""),  # sending a query again does no harm
    ],
)
@pytest.mark.parametrize("json_output", [[], ["--json"]])
def test_an_answer_that_cannot_be_written_says_whether_the_mms_processed_the_request(
    fresh_mms_simulator: Simulator, operation: str, processed: str, json_output: list[str]
) -> None:
    """A submit whose answer could not be written was stored all the same: the error must
    say so, or the user would send it again."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here to stand for a full disk")
    state = str(fresh_mms_simulator.state_dir)
    before = fresh_mms_simulator.count(processed=True)
    with open("/dev/full", "w") as full:
        result = mms("call", operation, "--example", "--sim-state", state, *json_output,
                     stdout=full.fileno())  # fmt: skip
    assert (result.returncode, result.stderr) == (
        4,
        f"Error: cannot write: No space left on device{processed}\n",
    )
    assert fresh_mms_simulator.count(processed=True) == before + 1


@pytest.mark.parametrize("arguments", [["ops"], ["--help"], ["call", "query_offers", "--example"]])
def test_a_closed_standard_output_is_an_error_and_nothing_is_sent(
    mms_simulator: Simulator, arguments: list[str]
) -> None:
    """``mms ... >&-``: the answer would be lost without a word, and a submit's with it."""
    before = mms_simulator.count(processed=False)
    result = mms(*arguments, closed=[1], env={"MMS_SIM_STATE": str(mms_simulator.state_dir)})
    assert (result.returncode, result.stderr) == (
        4,
        "Error: cannot write: standard output is closed\n",
    )
    assert mms_simulator.count(processed=False) == before


@pytest.mark.parametrize(
    "arguments",
    [
        ["ops"],
        ["ops", "--json"],
        ["--help"],
        ["call", "query_offers", "--example"],
        ["call", "query_offers", "--example", "--json"],
    ],
)
def test_a_reader_gone_away_ends_the_command_as_sigpipe_would(
    mms_simulator: Simulator, arguments: list[str]
) -> None:
    """``mms ... | head``: the status a shell gives a process SIGPIPE ended, quietly; not 1,
    which says the MMS refused."""
    read, write = os.pipe()
    os.close(read)  # the reader has gone before the first line
    try:
        result = mms(*arguments, stdout=write, env={"MMS_SIM_STATE": str(mms_simulator.state_dir)})
    finally:
        os.close(write)
    assert (result.returncode, result.stderr) == (141, "")


@pytest.mark.parametrize("where", ["full", "reader gone"])
def test_a_failure_whose_message_cannot_be_written_keeps_its_status(where: str) -> None:
    """``mms ... 2>/dev/full``, ``mms ... 2>&1 | grep -q ...``: the message is lost, its status
    must not be (Python would end with 1, a refusal's)."""
    if where == "full":
        if not Path("/dev/full").exists():
            pytest.skip("no /dev/full here to stand for a full disk")
        stderr = os.open("/dev/full", os.O_WRONLY)
    else:
        read, stderr = os.pipe()
        os.close(read)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "mms_client.cli", "call", "NoSuchOperation", "--example"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            timeout=120,
        )
    finally:
        os.close(stderr)
    assert result.returncode == 2


def test_with_standard_error_closed_errors_stay_out_of_the_answer() -> None:
    """``mms ... 2>&- > answer.json``: click would print the error on standard output, in the
    file a script reads as the answer."""
    result = mms("call", "NoSuchOperation", "--example", "--json", closed=[2])
    assert (result.returncode, result.stdout) == (2, "")


def test_a_closed_standard_input_is_a_usage_error(
    mms_simulator: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``mms ... <&-``: no terminal to ask the passphrase on, no payload to read."""
    environment = {"MMS_SIM_STATE": str(mms_simulator.state_dir)}
    monkeypatch.delenv("MMS_CERT_PASSPHRASE", raising=False)  # so that it is asked for
    unattended = mms("call", "query_offers", "--example", *certificate_options(mms_simulator),
                     closed=[0], env=environment)  # fmt: skip
    assert unattended.returncode == 2, unattended.stderr
    assert unattended.stderr.endswith(
        "Error: the passphrase of F100-FAKEUSER.p12 is asked for on a terminal, and there is "
        "none: set MMS_CERT_PASSPHRASE\n"
    )
    unread = mms("call", "query_offers", "--payload", "-", closed=[0], env=environment)
    assert unread.returncode == 2, unread.stderr
    assert unread.stderr.endswith(
        "Error: Invalid value for --payload: '-' reads standard input, which is closed; name "
        "the payload file\n"
    )


def test_the_status_tells_an_mms_out_of_reach_from_one_that_refused(
    fresh_mms_simulator: Simulator, tmp_path: Path
) -> None:
    """3 where trying again may help, after nothing came back or what came back could not
    be read; 1 for a refusal, which would come back the same."""
    state = ["--sim-state", str(fresh_mms_simulator.state_dir)]
    nowhere = ["--base-url", "https://127.0.0.1:1", "--backup-url", "https://127.0.0.1:2"]
    unreachable = mms("call", "query_offers", "--example", *state, *nowhere)
    assert unreachable.returncode == 3, unreachable.stderr
    assert "Error: could not connect" in unreachable.stderr

    fresh_mms_simulator.inject("malformed", operation="MarketSubmit_OfferData")
    unreadable = mms("call", "put_offer", "--example", *state)
    assert unreadable.returncode == 3, unreadable.stderr
    assert "the MMS may have processed the request" in unreadable.stderr

    fresh_mms_simulator.inject("http_error", operation="MarketSubmit_OfferData", status=500)
    failed = mms("call", "put_offer", "--example", *state)
    assert failed.returncode == 3, failed.stderr
    assert "HTTP 500" in failed.stderr

    foreign = tmp_path / "offer.json"
    foreign.write_text(json.dumps(FOREIGN_OFFER))
    refused = mms("call", "put_offer", "--payload", str(foreign), *state, "--market-type",
                  "DAM", "--date", EXAMPLE_DAY.isoformat())  # fmt: skip
    assert refused.returncode == 1, refused.stderr
    assert "E_RESOURCE_NOT_OWNED" in refused.stderr


def test_a_certificate_that_cannot_be_used_is_a_usage_error(
    mms_simulator: Simulator, tmp_path: Path
) -> None:
    """Nothing can be sent until the certificate or its passphrase is fixed."""
    before = mms_simulator.count(processed=False)
    options = certificate_options(mms_simulator)
    wrong = mms("call", "query_offers", "--example", *options,
                env={"MMS_CERT_PASSPHRASE": "not the passphrase"})  # fmt: skip
    assert wrong.returncode == 2, wrong.stderr
    assert "the passphrase is wrong" in wrong.stderr
    assert "not the passphrase" not in wrong.stderr
    other = tmp_path / "user.p12"
    other.write_bytes(b"not a PKCS#12 file")
    options[options.index("--cert") + 1] = str(other)
    damaged = mms("call", "query_offers", "--example", *options,
                  env={"MMS_CERT_PASSPHRASE": "x"})  # fmt: skip
    assert damaged.returncode == 2, damaged.stderr
    assert str(other) in damaged.stderr
    assert mms_simulator.count(processed=False) == before


def test_a_client_type_refused_with_a_certificate_says_to_use_another_certificate(
    mms_simulator: Simulator,
) -> None:
    """With a certificate, the client type is the certificate's; as a simulator's user, it is
    one --as away (see the tests of mms call)."""
    user = mms_simulator.manifest.user("TSO")
    result = mms("call", "put_offer", "--example", *certificate_options(mms_simulator, "TSO"),
                 env={"MMS_CERT_PASSPHRASE": user.passphrase})  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        "Error: MarketSubmit_OfferData may be called by BSP; this client is TSO. Use a "
        "certificate of an allowed client type.\n"
    )


def test_a_certificate_not_valid_yet_is_one_warning_among_the_commands_others(
    mms_simulator: Simulator, not_yet_valid_p12: Path
) -> None:
    """Python would print the warning with the file, line and source line of the code that
    loaded the certificate, which say nothing to the command's user."""
    user = mms_simulator.user("BSP")
    options = certificate_options(mms_simulator)
    options[options.index(str(user.p12))] = str(not_yet_valid_p12)
    result = mms("call", "query_offers", "--example", *options,
                 env={"MMS_CERT_PASSPHRASE": user.passphrase})  # fmt: skip
    with pytest.warns(CertificateWarning):
        loaded = Certificate(not_yet_valid_p12, user.passphrase)
    start = f"{loaded.certificate.not_valid_before_utc:%Y-%m-%d %H:%M} UTC"
    shown = [line for line in result.stderr.splitlines() if str(not_yet_valid_p12) in line]
    assert len(shown) == 1, result.stderr
    assert re.search(rf" WARNING {re.escape(str(not_yet_valid_p12))}: .* {start}:", shown[0])
    assert "CertificateWarning" not in result.stderr
    assert ".py:" not in result.stderr and "Certificate(" not in result.stderr
