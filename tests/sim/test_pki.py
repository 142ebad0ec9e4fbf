"""The simulator's test PKI: made once, reused, and usable by clients."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest
from cryptography import x509

from mms_client.endpoints import ClientType
from mms_client.security.certs import Certificate
from mms_client.sim import seed
from mms_client.sim.pki import Identity, Pki, identity_of, pki_locked, write_private


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki.load_or_create(tmp_path_factory.mktemp("pki"), server_hosts=["mms.example"])


def test_every_seeded_user_gets_a_pkcs12_naming_it_in_the_subject(pki: Pki) -> None:
    assert [(u.participant, u.user, u.client_type) for u in pki.users] == [
        (u.participant, u.user, u.client_type) for u in seed.USERS
    ]
    for user in pki.users:
        certificate = Certificate(user.p12, user.passphrase)
        assert identity_of(certificate.certificate) == Identity(
            user.participant, user.user, user.client_type
        )
        assert certificate.chain[0] == pki.ca_certificate


def test_the_server_certificate_covers_localhost_and_the_configured_host(pki: Pki) -> None:
    server = pki.ensure_server(["mms.example"])
    certificate = x509.load_pem_x509_certificate(server.cert.read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(names.get_values_for_type(x509.DNSName)) >= {"localhost", "mms.example"}
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]


def test_loading_again_reuses_everything(pki: Pki) -> None:
    ca_before = pki.ca_path.read_bytes()
    p12_before = {u.user: u.p12.read_bytes() for u in pki.users}
    server_before = (pki.folder / "server.pem").read_bytes()

    again = Pki.load_or_create(pki.folder, server_hosts=["mms.example"])

    assert again.ca_path.read_bytes() == ca_before
    assert {u.user: u.p12.read_bytes() for u in again.users} == p12_before
    assert (again.folder / "server.pem").read_bytes() == server_before
    assert [u.passphrase for u in again.users] == [u.passphrase for u in pki.users]


def test_a_new_host_reissues_only_the_server_certificate(tmp_path: Path, pki: Pki) -> None:
    import shutil

    copy = Pki.load_or_create(Path(shutil.copytree(pki.folder, tmp_path / "copy")))
    ca_before = copy.ca_path.read_bytes()
    server = copy.ensure_server(["10.1.2.3"])
    names = x509.load_pem_x509_certificate(server.cert.read_bytes()).extensions
    ips = names.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "10.1.2.3" in [str(ip) for ip in ips.get_values_for_type(x509.IPAddress)]
    assert copy.ca_path.read_bytes() == ca_before


def test_secrets_are_readable_by_the_owner_only_and_keys_are_encrypted(pki: Pki) -> None:
    private = [
        pki.folder / "pki.json",
        pki.folder / "ca-key.pem",
        pki.folder / "server-key.pem",
        *(u.p12 for u in pki.users),
    ]
    for path in private:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for key in ("ca-key.pem", "server-key.pem"):
        assert b"ENCRYPTED PRIVATE KEY" in (pki.folder / key).read_bytes()


def test_a_secret_file_is_owner_only_whatever_was_left_where_it_is_written(
    tmp_path: Path,
) -> None:
    """A file half-written by an earlier run (with another mode), or a link planted where the
    new file is first written, neither lends its mode nor receives the secret."""
    stale = tmp_path / "simulator.json.partial"
    stale.write_bytes(b"{}")
    stale.chmod(0o644)
    write_private(tmp_path / "simulator.json", b"secret one")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"")
    elsewhere.chmod(0o644)
    (tmp_path / "pki.json.partial").symlink_to(elsewhere)
    write_private(tmp_path / "pki.json", b"secret two")
    for name, secret in (("simulator.json", b"secret one"), ("pki.json", b"secret two")):
        assert (tmp_path / name).read_bytes() == secret
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    assert elsewhere.read_bytes() == b""
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "elsewhere",
        "pki.json",
        "simulator.json",
    ]


def test_passphrases_stay_out_of_reprs(pki: Pki) -> None:
    user = pki.users[0]
    assert user.passphrase not in repr(user)
    server = pki.ensure_server([])
    assert server.passphrase not in repr(server)


def test_subjects_outside_the_scheme_identify_nobody(pki: Pki, tmp_path: Path) -> None:
    assert identity_of(pki.ca_certificate) is None
    p12 = pki.issue_p12("F100", "SOMEONE", ClientType.MO, "pw")
    (tmp_path / "mo.p12").write_bytes(p12)
    certificate = Certificate(tmp_path / "mo.p12", "pw").certificate
    assert identity_of(certificate) == Identity("F100", "SOMEONE", ClientType.MO)


def test_the_server_key_is_ecdsa_p256_and_user_keys_stay_rsa(pki: Pki) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    server = x509.load_pem_x509_certificate(pki.ensure_server([]).cert.read_bytes())
    key = server.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
    user = pki.users[0].certificate()
    assert isinstance(user.private_key, rsa.RSAPrivateKey)


def test_a_pkcs12_file_that_has_gone_is_issued_again_with_its_passphrase(
    tmp_path: Path, pki: Pki
) -> None:
    import shutil

    folder = Path(shutil.copytree(pki.folder, tmp_path / "copy"))
    lost = Pki.load_or_create(folder).users[0]
    lost.p12.unlink()

    again = Pki.load_or_create(folder).users[0]

    assert again == lost  # the same file name and passphrase, as the manifest lists them
    certificate = Certificate(again.p12, again.passphrase)
    assert identity_of(certificate.certificate) == Identity(
        lost.participant, lost.user, lost.client_type
    )


def test_a_pki_being_made_is_made_by_one_process_at_a_time(tmp_path: Path) -> None:
    """Two test runs starting together on one cached PKI each wrote their own keys over the
    other's, leaving PKCS#12 files that no recorded passphrase opened. The maker of a PKI
    holds it alone: while another holds it, nothing is written; then the PKI made is whole."""
    folder = tmp_path / "pki"
    made: list[Pki] = []
    with pki_locked(folder):
        maker = threading.Thread(target=lambda: made.append(Pki.load_or_create(folder)))
        maker.start()
        maker.join(timeout=1)  # time enough, unheld, to write the first key
        assert maker.is_alive()
        assert not folder.exists() or not any(folder.iterdir())
    maker.join()
    (pki,) = made
    for user in pki.users:
        assert user.certificate().subject  # each file opens with its recorded passphrase
