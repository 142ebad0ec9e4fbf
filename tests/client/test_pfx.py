"""Reading PKCS#12 without cryptography's key check: the same key and certificates as
cryptography's loader, for every shape read, and nothing read from a file that is not as its
maker wrote it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    KeySerializationEncryption,
    NoEncryption,
    PrivateFormat,
    pkcs12,
)
from cryptography.x509.oid import NameOID

from mms_client.errors import CertificateError
from mms_client.security import pfx
from mms_client.security.certs import Certificate

from .conftest import PASSPHRASE, rsa_key, self_signed

SECRET = PASSPHRASE.encode()


def _named(subject: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])


def _cas() -> list[x509.Certificate]:
    """Two CA certificates, of other keys, to be bundled after the key's own."""
    other = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    return [self_signed(_named("Root CA"), other), self_signed(_named("Issuing CA"), other)]


CAS = _cas()
OWN = self_signed(_named("FAKEUSER"), rsa_key())


def _pbes2(hmac_hash: hashes.HashAlgorithm, rounds: int = 2048) -> KeySerializationEncryption:
    return (
        PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(rounds)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hmac_hash)
        .build(SECRET)
    )


def _assert_read_as_cryptography_reads(data: bytes, passphrase: bytes = SECRET) -> None:
    read = pfx.read(data, passphrase)
    assert read is not None, "the file was left to cryptography's loader"
    key, certificates = read
    expected_key, expected_certificate, expected_chain = pkcs12.load_key_and_certificates(
        data, passphrase
    )
    assert isinstance(expected_key, rsa.RSAPrivateKey)
    assert key.private_numbers() == expected_key.private_numbers()
    assert certificates == [expected_certificate, *expected_chain]
    loaded = Certificate(data, passphrase)
    assert loaded.certificate == expected_certificate
    assert loaded.chain == tuple(expected_chain)


@pytest.mark.parametrize(
    "encryption",
    [
        BestAvailableEncryption(SECRET),
        _pbes2(hashes.SHA1()),
        _pbes2(hashes.SHA256(), rounds=1),
        _pbes2(hashes.SHA384()),
        _pbes2(hashes.SHA512()),
    ],
    ids=["best-available", "mac-sha1", "one-round", "mac-sha384", "mac-sha512"],
)
def test_files_cryptography_writes_are_read_as_it_reads_them(
    encryption: KeySerializationEncryption,
) -> None:
    data = pkcs12.serialize_key_and_certificates(b"user", rsa_key(), OWN, CAS, encryption)
    _assert_read_as_cryptography_reads(data)


@pytest.fixture
def openssl(tmp_path: Path) -> list[str]:
    """``openssl pkcs12 -export`` of the key, its certificate and the CA certificates."""
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command on this machine to write PKCS#12 files with")
    (tmp_path / "key.pem").write_bytes(
        rsa_key().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    )
    (tmp_path / "cert.pem").write_bytes(OWN.public_bytes(Encoding.PEM))
    (tmp_path / "ca.pem").write_bytes(b"".join(c.public_bytes(Encoding.PEM) for c in CAS))
    return [
        "openssl", "pkcs12", "-export", "-inkey", str(tmp_path / "key.pem"),
        "-in", str(tmp_path / "cert.pem"), "-certfile", str(tmp_path / "ca.pem"),
        "-passout", f"pass:{PASSPHRASE}",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "options",
    [
        [],
        ["-macalg", "sha1"],
        ["-macalg", "sha224"],
        ["-certpbe", "AES-128-CBC", "-keypbe", "AES-192-CBC"],
        ["-certpbe", "NONE"],
        ["-keypbe", "NONE"],
        ["-keypbe", "PBE-SHA1-3DES"],
    ],
    ids=[
        "default",
        "mac-sha1",
        "mac-sha224",
        "aes-128-and-192",
        "certificates-in-the-clear",
        "key-in-the-clear",
        "key-under-legacy-triple-des",
    ],
)
def test_files_openssl_writes_are_read_as_cryptography_reads_them(
    openssl: list[str], options: list[str]
) -> None:
    written = subprocess.run([*openssl, *options], capture_output=True, check=True)
    _assert_read_as_cryptography_reads(written.stdout)


def test_a_file_without_a_mac_is_left_to_cryptography(openssl: list[str]) -> None:
    """Nothing then says the key is as its maker wrote it, so it gets cryptography's check."""
    data = subprocess.run([*openssl, "-nomac"], capture_output=True, check=True).stdout
    assert pfx.read(data, SECRET) is None
    assert Certificate(data, PASSPHRASE).certificate == OWN


def test_other_shapes_are_left_to_cryptography_which_reads_them() -> None:
    triple_des = pkcs12.serialize_key_and_certificates(
        b"user",
        rsa_key(),
        OWN,
        CAS,
        PrivateFormat.PKCS12.encryption_builder()
        .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
        .build(SECRET),
    )
    assert pfx.read(triple_des, SECRET) is None
    assert Certificate(triple_des, PASSPHRASE).chain == tuple(CAS)

    # OpenSSL may turn a passphrase beyond ASCII into the MAC's BMPString in more than one way
    accented = "pässwört"
    beyond_ascii = pkcs12.serialize_key_and_certificates(
        b"user", rsa_key(), OWN, None, BestAvailableEncryption(accented.encode())
    )
    assert pfx.read(beyond_ascii, accented.encode()) is None
    assert Certificate(beyond_ascii, accented).certificate == OWN

    curve_key = ec.generate_private_key(ec.SECP256R1())
    curve = pkcs12.serialize_key_and_certificates(
        b"user", curve_key, None, None, BestAvailableEncryption(SECRET)
    )
    assert pfx.read(curve, SECRET) is None


def test_a_file_changed_anywhere_is_not_read() -> None:
    """Every byte is under the MAC or makes the structure the MAC is read from: a file
    damaged or altered is never read here, and cryptography's loader says why."""
    data = pkcs12.serialize_key_and_certificates(
        b"user", rsa_key(), OWN, CAS, _pbes2(hashes.SHA256())
    )
    assert pfx.read(data, SECRET) is not None
    for position in range(0, len(data), 3):
        changed = bytearray(data)
        changed[position] ^= 0x01
        assert pfx.read(bytes(changed), SECRET) is None, f"byte {position} changed"
    for length in range(0, len(data), 5):
        assert pfx.read(data[:length], SECRET) is None, f"cut at {length}"
    with pytest.raises(CertificateError):
        Certificate(data[:-40] + bytes(40), PASSPHRASE)


def test_a_wrong_passphrase_is_not_read_and_is_told_as_before() -> None:
    data = pkcs12.serialize_key_and_certificates(
        b"user", rsa_key(), OWN, None, BestAvailableEncryption(SECRET)
    )
    assert pfx.read(data, b"not the passphrase") is None
    with pytest.raises(CertificateError, match="the passphrase is wrong"):
        Certificate(data, "not the passphrase")


def test_a_file_asking_for_more_rounds_than_are_read_here_is_left_alone() -> None:
    """The MAC's rounds run in Python: a file asking for 2**31 - 1 of them would hold the
    loading for hours, and more than fit a C int would fail in hashlib."""
    data = pkcs12.serialize_key_and_certificates(
        b"user", rsa_key(), OWN, None, BestAvailableEncryption(SECRET)
    )
    mac_at = len(data) - 67  # the MAC data: a SHA-256 digest, an 8-byte salt, 2048 rounds
    assert data[:2] == b"\x30\x82" and data[mac_at : mac_at + 2] == b"\x30\x41"
    assert data.endswith(b"\x02\x02\x08\x00")
    grown = int.from_bytes(data[2:4], "big") + 2  # the rounds take two bytes more
    many_rounds = (
        data[:2]
        + grown.to_bytes(2, "big")
        + data[4:mac_at]
        + b"\x30\x43"
        + data[mac_at + 2 : -4]
        + b"\x02\x04\x7f\xff\xff\xff"
    )
    assert pfx.read(many_rounds, SECRET) is None
