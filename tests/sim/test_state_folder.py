"""The state folder: one simulator at a time, and a clear error for state it cannot use."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from mms_client.errors import (
    ConfigurationError,
    SimulatorRunError,
    SimulatorStateError,
    StateFolderInUseError,
)
from mms_client.schema.generated.mi_market import MarketType, OfferQuery
from mms_client.sim.manifest import MANIFEST_NAME, Manifest
from mms_client.sim.simulator import Simulator

from .conftest import Wire


def test_a_second_simulator_on_a_folder_in_use_is_refused_and_changes_nothing(
    mms_simulator_pki: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "state"
    with Simulator(folder, pki_source=mms_simulator_pki) as first:
        manifest = (folder / MANIFEST_NAME).read_bytes()
        second = Simulator(folder, backup_port=None)
        with pytest.raises(StateFolderInUseError) as refused:
            second.start()
        assert refused.value.path == folder.resolve()
        assert (refused.value.pid, refused.value.address) == (os.getpid(), first.base_url)
        assert str(folder.resolve()) in str(refused.value)
        assert first.base_url in str(refused.value)
        assert not second.running
        # the first one's manifest still sends clients to it, and it still answers
        assert (folder / MANIFEST_NAME).read_bytes() == manifest
        assert Manifest.load(folder) == first.manifest
        answer = Wire(first).call(
            "MarketQuery_OfferQuery", OfferQuery(market_type=MarketType.DAY_AHEAD)
        )
        assert answer.status == 200
    # once the first has stopped, the folder is free again
    with Simulator(folder, backup_port=None) as third:
        assert Manifest.load(folder) == third.manifest


def test_a_folder_in_use_is_refused_before_a_port_in_use(
    mms_simulator_pki: Path, tmp_path: Path
) -> None:
    """Started again with the same ports, the second says the folder is in use, which is
    the cause, rather than that the address is."""
    folder = tmp_path / "state"
    with Simulator(folder, pki_source=mms_simulator_pki, backup_port=None) as first:
        port = int(first.base_url.rsplit(":", 1)[1])
        with pytest.raises(StateFolderInUseError):
            Simulator(folder, port=port, backup_port=None).start()


def _text_database(folder: Path) -> Path:
    path = folder / "state.sqlite3"
    path.write_text("this is not a database\n")
    return path


def _truncated_pki_record(folder: Path) -> Path:
    path = folder / "pki" / "pki.json"
    path.write_bytes(path.read_bytes()[:20])
    return path


def _pki_record_with_a_damaged_user(folder: Path) -> Path:
    path = folder / "pki" / "pki.json"
    path.write_text(path.read_text().replace('"client_type": "BSP"', '"client_type": "XYZ"'))
    return path


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (_text_database, "file is not a database"),
        (_truncated_pki_record, "pki.json: Expecting"),
        (_pki_record_with_a_damaged_user, "pki.json: 'XYZ' is not a valid ClientType"),
    ],
)
def test_damaged_state_is_refused_naming_the_file_and_kept(
    mms_simulator_pki: Path,
    tmp_path: Path,
    damage: Callable[[Path], Path],
    problem: str,
) -> None:
    folder = tmp_path / "state"
    shutil.copytree(mms_simulator_pki, folder / "pki")
    damaged = damage(folder)
    content = damaged.read_bytes()
    simulator = Simulator(folder)
    with pytest.raises(SimulatorStateError, match="cannot be used") as refused:
        simulator.start()
    message = str(refused.value)
    assert problem in message and str(damaged.parent) in message
    assert "remove" in message and "another state folder" in message
    assert damaged.read_bytes() == content  # the user decides what to do with it
    assert not simulator.running
    # the refused start let go of the folder: once the damage is removed, it starts
    damaged.unlink()
    if damaged.name == "pki.json":
        shutil.rmtree(damaged.parent)
    with Simulator(folder, pki_source=mms_simulator_pki, backup_port=None):
        pass


def _truncated_key(name: str) -> Callable[[Path], Path]:
    def damage(folder: Path) -> Path:
        path = folder / "pki" / name
        path.write_bytes(path.read_bytes()[:100])
        return path

    return damage


def _secrets_of(pki: Path) -> list[str]:
    """The passphrases pki.json keeps: of the CA's key, the server's, and each user's."""
    record = json.loads((pki / "pki.json").read_text("utf-8"))
    users = [user["passphrase"] for user in record["users"]]
    return [record["ca_key_passphrase"], record["server_key_passphrase"], *users]


def _with_locals(error: BaseException) -> str:
    """The traceback of ``error`` with every frame's locals and the errors it chains, as
    rich's ``show_locals``, ``pytest -l`` or an error tracker shows it, but for the frame of
    the test, which knows the passphrases."""
    shown = traceback.TracebackException.from_exception(error, capture_locals=True)
    del shown.stack[0]
    return "".join(shown.format())


def _users_folder_a_file(folder: Path) -> Path:
    """The folder of the users' PKCS#12 files made a file: none can be issued again there."""
    users = folder / "pki" / "users"
    shutil.rmtree(users)
    users.write_text("")
    return users


def _manifest_a_folder(folder: Path) -> Path:
    manifest = folder / MANIFEST_NAME
    manifest.mkdir()
    return manifest


@pytest.mark.parametrize(
    ("spoil", "refusal"),
    [
        (_truncated_key("ca-key.pem"), "cannot be used"),
        (_truncated_key("server-key.pem"), "cannot be used"),
        (_pki_record_with_a_damaged_user, "cannot be used"),
        (_users_folder_a_file, "cannot write in"),
        (_manifest_a_folder, "cannot write in"),
    ],
    ids=["CA key", "server key", "user record", "users folder", "manifest"],
)
def test_a_pki_it_cannot_use_or_write_is_refused_without_passphrases_in_a_tracebacks_locals(
    mms_simulator_pki: Path, tmp_path: Path, spoil: Callable[[Path], Path], refusal: str
) -> None:
    """The passphrases of the test PKI are for its local user; a traceback goes wherever the
    error is reported (a CI log, an error tracker). What was read or being written (pki.json,
    the manifest, a user's record) held them, in frames of the errors the one raised names."""
    folder = tmp_path / "state"
    shutil.copytree(mms_simulator_pki, folder / "pki")
    spoilt = spoil(folder)
    with pytest.raises(SimulatorStateError, match=refusal) as refused:
        Simulator(folder, backup_port=None).start()
    assert spoilt.name in str(refused.value)
    shown = _with_locals(refused.value)
    assert [secret for secret in _secrets_of(folder / "pki") if secret in shown] == []


def test_a_pki_source_that_cannot_be_copied_in_is_refused_naming_the_file_without_passphrases(
    mms_simulator_pki: Path, tmp_path: Path
) -> None:
    """The copy of ``pki_source`` into a new state folder fails as writing the PKI does: a
    SimulatorStateError naming the file, not shutil's error (a list of every file it could
    not copy) raised from frames that held what was being copied."""
    folder = tmp_path / "state"
    users = folder / "pki" / "users"
    users.parent.mkdir(parents=True)
    users.write_text("")  # a file where the users' PKCS#12 files are copied
    with pytest.raises(SimulatorStateError, match="cannot write in") as refused:
        Simulator(folder, pki_source=mms_simulator_pki, backup_port=None).start()
    assert refused.value.path == users
    assert f"({users}: " in str(refused.value)
    shown = _with_locals(refused.value)
    assert [secret for secret in _secrets_of(mms_simulator_pki) if secret in shown] == []


def _served_once(pki: Path, folder: Path) -> Path:
    """``folder`` once a simulator of the test PKI ``pki`` has started and stopped there."""
    with Simulator(folder, pki_source=pki, backup_port=None):
        pass
    return folder


def _free_ports(count: int) -> list[int]:
    """Ports no one listens on now, each different (held together while they are picked)."""
    with ExitStack() as held:
        probes = [held.enter_context(socket.socket()) for _ in range(count)]
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]


def test_a_start_failing_once_it_serves_leaves_nothing_behind(
    mms_simulator_pki: Path, tmp_path: Path
) -> None:
    """The manifest is written once the HTTPS server serves; a start failing there (a full
    disk, a folder where the manifest goes) stops that server and lets go of its ports and
    the folder, so that the next start, once the cause is gone, can have them."""
    folder = _served_once(mms_simulator_pki, tmp_path / "state")
    (folder / MANIFEST_NAME).unlink()
    manifest = _manifest_a_folder(folder)
    port, backup_port = _free_ports(2)
    threads = set(threading.enumerate())
    failed = Simulator(folder, port=port, backup_port=backup_port)
    with pytest.raises(SimulatorStateError, match="cannot write in") as refused:
        failed.start()
    # the manifest is named, not the copy that was to replace it, and no copy is left
    assert refused.value.path == manifest.resolve()
    assert f"({manifest.resolve()}: " in str(refused.value)
    assert [path.name for path in folder.iterdir() if path.name.endswith(".partial")] == []
    assert not failed.running
    with pytest.raises(SimulatorRunError, match="only while the simulator runs"):
        _ = failed.base_url
    assert [thread.name for thread in set(threading.enumerate()) - threads] == []
    manifest.rmdir()
    with Simulator(folder, port=port, backup_port=backup_port) as again:
        assert (again.base_url, again.backup_url) == (
            f"https://127.0.0.1:{port}",
            f"https://127.0.0.1:{backup_port}",
        )
        assert Manifest.load(folder) == again.manifest


def test_a_damaged_manifest_is_refused_without_the_passphrases_in_a_tracebacks_locals(
    mms_simulator_pki: Path, tmp_path: Path
) -> None:
    folder = _served_once(mms_simulator_pki, tmp_path / "state")
    manifest = json.loads((folder / MANIFEST_NAME).read_text("utf-8"))
    del manifest["resources"]
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(SimulatorStateError, match="'resources' is missing") as refused:
        Manifest.load(folder)
    shown = _with_locals(refused.value)
    assert [user["passphrase"] for user in manifest["users"] if user["passphrase"] in shown] == []


@contextmanager
def _read_only(folder: Path) -> Iterator[None]:
    """``folder`` and everything in it made read-only, as on a read-only file system;
    skips the test where permissions do not stop this user (root)."""
    paths = [folder, *folder.rglob("*")]
    modes = {path: stat.S_IMODE(path.stat().st_mode) for path in paths}
    for path in paths:
        path.chmod(modes[path] & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        try:
            (folder / "probe").touch()
        except OSError:
            pass
        else:
            pytest.skip("permissions do not stop this user from writing")
        yield
    finally:
        for path in reversed(paths):
            path.chmod(modes[path])


def test_a_state_folder_it_cannot_write_in_is_refused_naming_it(
    mms_simulator_pki: Path, tmp_path: Path
) -> None:
    folder = _served_once(mms_simulator_pki, tmp_path / "state")
    with _read_only(folder), pytest.raises(SimulatorStateError) as refused:
        Simulator(folder, backup_port=None).start()
    assert f"cannot write in the simulator's state folder {folder.resolve()}" in str(refused.value)
    assert "make it writable, or use another state folder" in str(refused.value)


@pytest.mark.parametrize(
    ("manifest", "problem"),
    [
        ("nope", "Expecting value"),
        ("[]", "not a JSON object"),
        ('{"base_url": 5}', "'base_url' is 5, not a string"),
        ('{"base_url": "https://127.0.0.1:1"}', "'ca' is missing"),
    ],
)
def test_a_damaged_manifest_is_refused_naming_it(
    tmp_path: Path, manifest: str, problem: str
) -> None:
    (tmp_path / MANIFEST_NAME).write_text(manifest)
    with pytest.raises(SimulatorStateError) as refused:
        Manifest.load(tmp_path)
    assert refused.value.path == tmp_path / MANIFEST_NAME
    assert f"the simulator manifest {tmp_path / MANIFEST_NAME} cannot be used" in str(refused.value)
    assert problem in str(refused.value)


def test_one_port_for_main_and_backup_is_refused_before_anything_is_made(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="backup port must differ from the main port"):
        Simulator(tmp_path / "state", port=18443, backup_port=18443)
    assert not (tmp_path / "state").exists()


def test_the_manifest_of_a_state_folder_not_made_yet_names_that_folder(tmp_path: Path) -> None:
    folder = tmp_path / "never-served"
    with pytest.raises(SimulatorStateError) as refused:
        Manifest.load(folder)
    assert refused.value.path == folder / MANIFEST_NAME
    assert f"mms sim serve --state {folder})" in str(refused.value)


@pytest.mark.skipif(os.name != "posix", reason="file modes say who may read a file on POSIX")
def test_secrets_made_readable_to_others_by_hand_are_the_owners_again_on_start(
    mms_simulator_pki: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A state folder unpacked from an archive, checked out, or copied with a loose umask:
    its keys, passphrases and PKCS#12 files are not left for other users to read."""
    folder = _served_once(mms_simulator_pki, tmp_path / "state")
    pki = folder / "pki"
    secrets = [
        folder / MANIFEST_NAME,
        pki / "pki.json",
        pki / "ca-key.pem",
        pki / "server-key.pem",
        *(pki / "users").glob("*.p12"),
    ]
    for path in secrets:
        path.chmod(0o644)
    folder.chmod(0o755)
    with caplog.at_level("INFO", logger="mms_client.sim"), Simulator(folder) as simulator:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in secrets}
        assert modes == dict.fromkeys(modes, 0o600)
        answer = Wire(simulator).call(
            "MarketQuery_OfferQuery", OfferQuery(market_type=MarketType.DAY_AHEAD)
        )
        assert answer.status == 200
        passphrases = [user.passphrase for user in simulator.users]
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "mms_client.sim")
    assert [str(path) for path in [folder, *secrets] if str(path) not in logged] == []
    assert [passphrase for passphrase in passphrases if passphrase in logged] == []
