"""Loading PKCS#12 certificates: what works, what fails clearly, and what never leaks."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import logging
import os
import pickle
import ssl
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, Encoding, pkcs12

from mms_client.errors import CertificateError, ConfigurationError
from mms_client.security.certs import Certificate, CertificateWarning
from mms_client.security.signing import sign, verify

from .conftest import PASSPHRASE, MakeP12

if TYPE_CHECKING:
    from mms_client.sim.simulator import Simulator


def test_loads_from_str_path_path_and_bytes(make_p12: MakeP12, tmp_path: Path) -> None:
    data = make_p12()
    file = tmp_path / "user.p12"
    file.write_bytes(data)
    for source in (str(file), file, data):
        certificate = Certificate(source, PASSPHRASE)
        assert certificate.subject == "O=F100,CN=FAKEUSER"


def test_the_subject_is_documented_as_a_certificate_of_the_simulator_gives_it(
    mms_simulator: Simulator,
) -> None:
    """RFC 4514 writes the names in the reverse of the certificate's order, and the
    simulator's certificates name the user first: the string starts with the participant."""
    subject = mms_simulator.user("BSP").certificate().subject
    assert subject == "O=F100,OU=BSP,CN=FAKEUSER"
    assert f"``{subject}``" in (Certificate.subject.__doc__ or "")


def test_passphrase_may_be_bytes(make_p12: MakeP12) -> None:
    assert Certificate(make_p12(), PASSPHRASE.encode()).subject == "O=F100,CN=FAKEUSER"


def test_signing_key_signs_for_the_certificate(make_p12: MakeP12) -> None:
    certificate = Certificate(make_p12(), PASSPHRASE)
    signature = sign(b"<MarketData/>", certificate.private_key)
    assert verify(b"<MarketData/>", signature, certificate.certificate.public_key())  # type: ignore[arg-type]


def test_wrong_passphrase_is_a_certificate_error_without_the_secret(make_p12: MakeP12) -> None:
    with pytest.raises(CertificateError, match="passphrase is wrong") as caught:
        Certificate(make_p12(), "not the passphrase")
    assert "not the passphrase" not in str(caught.value)
    assert caught.value.__context__ is None  # nor the failed call that would show it


@pytest.mark.parametrize("secret", ["s3cr\x00et", b"s3cr\x00et"], ids=["str", "bytes"])
def test_a_passphrase_holding_a_nul_is_refused_without_the_secret(
    make_p12: MakeP12, capfd: pytest.CaptureFixture[str], secret: str | bytes
) -> None:
    """cryptography panicked on it, printing the passphrase's bytes, with an exception that
    ``except Exception`` does not catch."""
    with pytest.raises(CertificateError, match="the passphrase holds a NUL character") as caught:
        Certificate(make_p12(), secret)
    printed = "".join(capfd.readouterr())
    for shown in (str(caught.value), printed):
        assert "s3cr" not in shown and "115, 51, 99, 114" not in shown


@pytest.mark.parametrize("encoded", ["str", "bytes"])
def test_a_passphrase_in_another_encoding_than_utf8_is_refused_without_the_secret(
    make_p12: MakeP12, encoded: str
) -> None:
    """cryptography takes UTF-8 passphrases only; bytes in another encoding (a Shift_JIS
    terminal or file), or the str Python makes of them, with lone surrogates for the bytes
    it could not decode, failed with a TypeError or a UnicodeEncodeError holding them."""
    raw = "秘密のパス".encode("shift_jis")
    given = os.fsdecode(raw) if encoded == "str" else raw
    with pytest.raises(CertificateError, match="the passphrase is not UTF-8 text") as caught:
        Certificate(make_p12(), given)
    assert caught.value.__context__ is None
    assert "秘密" not in str(caught.value) and str(raw)[2:-1] not in str(caught.value)


@pytest.mark.parametrize(
    ("p12", "secret"),
    [
        ({}, "not the passphrase"),
        ({"valid_from": dt.timedelta(days=-30), "valid_for": dt.timedelta(days=10)}, PASSPHRASE),
        ({"key": ec.generate_private_key(ec.SECP256R1())}, PASSPHRASE),
        ({}, "s3cr\x00et"),
    ],
    ids=["wrong", "expired", "not RSA", "NUL"],
)
def test_a_traceback_showing_its_locals_does_not_show_the_passphrase(
    make_p12: MakeP12, p12: dict[str, Any], secret: str
) -> None:
    """What rich's ``show_locals``, ``pytest -l`` or an error tracker show of a certificate
    that could not be loaded, with the right passphrase or a wrong one."""
    with pytest.raises(CertificateError) as caught:
        Certificate(make_p12(**p12), secret)
    shown = _with_locals(caught.value)
    assert "secret = <not shown>" in shown
    assert secret.split("\x00")[0] not in shown


def _with_locals(error: BaseException) -> str:
    """The traceback of ``error`` from below the test that caught it, with every frame's
    locals, as an error tracker shows it."""
    below_this_test = error.__traceback__.tb_next  # type: ignore[union-attr]  # raised below
    return "".join(
        traceback.TracebackException(
            type(error), error, below_this_test, capture_locals=True
        ).format()
    )


def test_a_path_holding_a_nul_is_a_certificate_error(make_p12: MakeP12) -> None:
    with pytest.raises(CertificateError, match="the certificate file's path holds a NUL"):
        Certificate(f"{make_p12()}\x00x", PASSPHRASE)


def test_a_certificate_that_failed_to_load_still_shows_in_a_traceback(make_p12: MakeP12) -> None:
    with pytest.raises(CertificateError) as caught:
        Certificate(make_p12(), "not the passphrase")
    # what a debugger or pytest --showlocals shows: the instance its __init__ left half-built
    [half_built] = [entry.locals["self"] for entry in caught.traceback if "self" in entry.locals]
    assert repr(half_built).endswith(", not loaded)")
    assert "not the passphrase" not in repr(half_built)


def test_garbage_is_a_certificate_error() -> None:
    with pytest.raises(CertificateError, match="not PKCS#12"):
        Certificate(b"this is no certificate", PASSPHRASE)


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.p12"
    with pytest.raises(CertificateError, match="not found") as caught:
        Certificate(missing, PASSPHRASE)
    assert str(missing) in str(caught.value)


def test_a_damaged_file_and_a_wrong_passphrase_are_told_apart(
    make_p12: MakeP12, tmp_path: Path
) -> None:
    damaged = tmp_path / "damaged.p12"
    damaged.write_bytes(make_p12()[:-40])  # cut short, as by a broken copy
    with pytest.raises(CertificateError) as unreadable:
        Certificate(damaged, PASSPHRASE)
    assert str(unreadable.value) == (
        f"{damaged} is not PKCS#12 data: the file is damaged or in another format "
        "(a .p12 or .pfx file is needed)"
    )
    with pytest.raises(CertificateError) as wrong:
        Certificate(make_p12(), "not the passphrase")
    assert "the passphrase is wrong" in str(wrong.value)
    assert "not PKCS#12" not in str(wrong.value)
    with pytest.raises(CertificateError, match="without a passphrase: give its passphrase"):
        Certificate(make_p12())
    for caught in (unreadable, wrong):
        assert PASSPHRASE not in str(caught.value) and "not the passphrase" not in str(caught.value)


def test_an_empty_path_or_a_passphrase_of_another_type_is_named(make_p12: MakeP12) -> None:
    with pytest.raises(CertificateError) as caught:
        Certificate("", PASSPHRASE)
    assert str(caught.value) == "the certificate file's path is empty"
    with pytest.raises(CertificateError, match="must be the path of a PKCS#12 file or its bytes"):
        Certificate(None, PASSPHRASE)  # type: ignore[arg-type]
    with pytest.raises(CertificateError, match="passphrase must be str or bytes, not int"):
        Certificate(make_p12(), 1234)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["str", "Path"])
def test_swapped_arguments_are_pointed_out_without_showing_the_passphrase(
    make_p12: MakeP12, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("F100-FAKEUSER.p12").write_bytes(make_p12())
    secret = "S3cret-Passphrase"
    given = "F100-FAKEUSER.p12" if kind == "str" else Path("F100-FAKEUSER.p12")
    with pytest.raises(CertificateError) as caught:
        Certificate(secret, given)  # type: ignore[arg-type]
    message = str(caught.value)
    assert secret not in message
    assert "are the arguments swapped?" in message
    assert "an existing file (F100-FAKEUSER.p12)" in message
    # ... also as a "path" too long for one, which cannot be read rather than not found
    with pytest.raises(CertificateError) as too_long:
        Certificate(secret * 20, given)  # type: ignore[arg-type]
    assert "cannot be read, and the passphrase given is an existing file" in str(too_long.value)
    for swapped in (caught, too_long):
        assert secret not in str(swapped.value) and secret not in _with_locals(swapped.value)
    # a certificate path that does not exist here either still looks like one
    with pytest.raises(CertificateError) as elsewhere:
        Certificate(secret, "certs/F100-FAKEUSER.P12")
    assert secret not in str(elsewhere.value)
    assert "the name of a PKCS#12 file (certs/F100-FAKEUSER.P12)" in str(elsewhere.value)
    # an ordinary passphrase leaves the usual message naming the missing file
    with pytest.raises(CertificateError) as missing:
        Certificate("F100-FAKEUSR.p12", secret)
    assert str(missing.value) == "certificate file not found: F100-FAKEUSR.p12"
    # ... even one too long to be a file name, which is looked for as a file all the same
    with pytest.raises(CertificateError) as long:
        Certificate("F100-FAKEUSR.p12", secret * 100)
    assert str(long.value) == "certificate file not found: F100-FAKEUSR.p12"


@pytest.mark.parametrize("passphrase", ["str", "bytes"])
def test_a_passphrase_given_as_the_certificate_too_is_not_shown(
    make_p12: MakeP12, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, passphrase: str
) -> None:
    """The passphrase given in both places (a variable passed twice, a swap whose path was
    the passphrase as well): the "file not found" error named the path, which is the
    passphrase; whatever the file, the path that is the passphrase is now never shown."""
    monkeypatch.chdir(tmp_path)
    secret = "S3cret-Passphrase"
    given = secret if passphrase == "str" else secret.encode()
    for source in (secret, Path(secret)):
        with pytest.raises(CertificateError) as missing:
            Certificate(source, given)
        message = str(missing.value)
        assert "path is the passphrase given" in message and "are the arguments swapped?" in message
        assert secret not in message + _with_locals(missing.value)
    # a missing file is still named, whatever the passphrase
    with pytest.raises(CertificateError) as elsewhere:
        Certificate("F100-FAKEUSR.p12", given)
    assert str(elsewhere.value) == "certificate file not found: F100-FAKEUSR.p12"
    # ... even a file of that name, which would be read, and its passphrase found wrong
    Path(secret).write_bytes(make_p12())
    with pytest.raises(CertificateError) as existing:
        Certificate(secret, given)
    assert secret not in str(existing.value) and "are the arguments swapped?" in str(existing.value)


def test_a_passphrase_given_as_bytes_in_the_certificates_place_is_not_shown(
    make_p12: MakeP12, tmp_path: Path
) -> None:
    """Bytes are taken for the PKCS#12 itself: given in its place, the passphrase is
    neither in the message nor in the locals a traceback shows, and the swap is named."""
    path = tmp_path / "F100-FAKEUSER.p12"
    path.write_bytes(make_p12())
    secret = b"S3cret-Passphrase"
    with pytest.raises(CertificateError) as caught:
        Certificate(secret, str(path))  # type: ignore[arg-type]
    message = str(caught.value)
    assert "is not PKCS#12 data" in message and "are the arguments swapped?" in message
    assert secret.decode() not in message + _with_locals(caught.value)
    # with an ordinary passphrase, the same bytes are only said not to be PKCS#12
    with pytest.raises(CertificateError) as damaged:
        Certificate(secret, PASSPHRASE)
    assert str(damaged.value).startswith("the PKCS#12 data is not PKCS#12 data")
    assert "swapped" not in str(damaged.value)
    assert secret.decode() not in _with_locals(damaged.value)


def test_non_rsa_key_is_refused(make_p12: MakeP12) -> None:
    data = make_p12(key=ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(CertificateError, match="RSA"):
        Certificate(data, PASSPHRASE)


# A PKCS#12 holding a key on secp112r1, a curve OpenSSL knows and cryptography does not, with
# the passphrase PASSPHRASE (made by `openssl pkcs12 -export`: cryptography cannot make one)
_UNKNOWN_CURVE_P12 = (
    "MIIDMwIBAzCCAukGCSqGSIb3DQEHAaCCAtoEggLWMIIC0jCCAb4GCSqGSIb3DQEHAaCCAa8EggGrMIIBpzCCAaMG"
    "CyqGSIb3DQEMCgEDoIIBazCCAWcGCiqGSIb3DQEJFgGgggFXBIIBUzCCAU8wggEaoAMCAQICFA/YK5d6qPh4XhIP"
    "8qpiXaDQIgvsMAoGCCqGSM49BAMCMCIxETAPBgNVBAMMCEZBS0VVU0VSMQ0wCwYDVQQKDARGMTAwMCAXDTI2MTEy"
    "NDE1MzMzOVoYDzIxMjYxMDMxMTUzMzM5WjAiMREwDwYDVQQDDAhGQUtFVVNFUjENMAsGA1UECgwERjEwMDAyMBAG"
    "ByqGSM49AgEGBSuBBAAGAx4ABM9I9pR+bwxoOgA+Pcgt22zb0b6AzDYZ7BAWNg2jUzBRMB0GA1UdDgQWBBRhF/aO"
    "xrYZPdZquvYGzu6ybbWosTAfBgNVHSMEGDAWgBRhF/aOxrYZPdZquvYGzu6ybbWosTAPBgNVHRMBAf8EBTADAQH/"
    "MAoGCCqGSM49BAMCAyMAMCACDgxSDcwm9Q6yffq0VGFfAg4EjKAlVvsbvziaRBKThDElMCMGCSqGSIb3DQEJFTEW"
    "BBTwbH6iDx3IyHW1zX3mFHXtcSDR7zCCAQwGCSqGSIb3DQEHAaCB/gSB+zCB+DCB9QYLKoZIhvcNAQwKAQKggb4w"
    "gbswVwYJKoZIhvcNAQUNMEowKQYJKoZIhvcNAQUMMBwECM4EnFz68ugTAgIIADAMBggqhkiG9w0CCQUAMB0GCWCG"
    "SAFlAwQBKgQQmr+9nep2DT4qGK44FVUTEgRgNA2kBawb9kr+L0aw6JpyKH0XU7pWNsNKW12lJE7VKovYLOKSUXeq"
    "aMalDGM+AJfBlK/hQFz2jXkQOYXQARENv3ldLI5c446QtQI9vDWkIyYDpaKMHAU6V7DAgohPkTZ0MSUwIwYJKoZI"
    "hvcNAQkVMRYEFPBsfqIPHcjIdbXNfeYUde1xINHvMEEwMTANBglghkgBZQMEAgEFAAQg6eRjJWGH2OKpVfGf4Vzr"
    "XIEq5by/OiKaU3GVd9K+mjMECJbSlDjQcg6MAgIIAA=="
)


def test_a_key_cryptography_cannot_read_is_refused_without_the_passphrase() -> None:
    """cryptography raises its own UnsupportedAlgorithm for such a key, from the frame that
    holds the passphrase's bytes: a traceback showing its locals would show it."""
    with pytest.raises(CertificateError, match="RSA") as caught:
        Certificate(base64.b64decode(_UNKNOWN_CURVE_P12), PASSPHRASE)
    assert "1.3.132.0.6" in str(caught.value)  # what cannot be read is named
    assert PASSPHRASE not in _with_locals(caught.value)


def test_a_key_beside_the_certificate_of_another_key_is_refused_saying_so(
    make_p12: MakeP12,
) -> None:
    """The previous key exported with a renewed certificate: the PKCS#12 holds a certificate,
    of another key, and the message says so rather than that there is none."""
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _, renewed, _ = pkcs12.load_key_and_certificates(make_p12(key=other), PASSPHRASE.encode())
    key, _, _ = pkcs12.load_key_and_certificates(make_p12(), PASSPHRASE.encode())
    assert isinstance(key, rsa.RSAPrivateKey) and renewed is not None
    mixed = pkcs12.serialize_key_and_certificates(
        b"user", key, None, [renewed], BestAvailableEncryption(PASSPHRASE.encode())
    )
    with pytest.raises(CertificateError) as refused:
        Certificate(mixed, PASSPHRASE)
    assert str(refused.value).startswith(
        "the PKCS#12 data holds no certificate of its private key, only certificates of other "
        f"keys ({renewed.subject.rfc4514_string()}): was it made with another key"
    )

    key_alone = pkcs12.serialize_key_and_certificates(
        b"user", key, None, None, BestAvailableEncryption(PASSPHRASE.encode())
    )
    with pytest.raises(CertificateError, match=r"^the PKCS#12 data holds no certificate$"):
        Certificate(key_alone, PASSPHRASE)


@pytest.mark.parametrize("expired_first", [True, False])
def test_of_a_renewed_key_s_certificates_the_one_in_force_is_used(
    make_p12: MakeP12, expired_first: bool
) -> None:
    """A key certified again at its renewal, kept with both its certificates in one PKCS#12:
    the renewed one is used, whatever their order, and the expired one is not sent as a CA
    certificate; before, the first was taken, and the file refused as expired."""
    expired_one = make_p12(valid_from=dt.timedelta(days=-400), valid_for=dt.timedelta(days=399))
    key, expired, _ = pkcs12.load_key_and_certificates(expired_one, PASSPHRASE.encode())
    _, renewed, _ = pkcs12.load_key_and_certificates(make_p12(), PASSPHRASE.encode())
    assert isinstance(key, rsa.RSAPrivateKey) and expired is not None and renewed is not None
    both = [expired, renewed] if expired_first else [renewed, expired]
    data = pkcs12.serialize_key_and_certificates(
        b"user", key, None, both, BestAvailableEncryption(PASSPHRASE.encode())
    )

    certificate = Certificate(data, PASSPHRASE)

    assert certificate.certificate == renewed
    assert certificate.chain == ()


def test_expired_certificate_is_refused(make_p12: MakeP12) -> None:
    data = make_p12(valid_from=dt.timedelta(days=-30), valid_for=dt.timedelta(days=10))
    with pytest.raises(CertificateError, match="expired"):
        Certificate(data, PASSPHRASE)


def test_a_certificate_expiring_within_30_days_is_a_warning_in_the_log_once_a_day(
    make_p12: MakeP12, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A renewal takes time to arrange: the log says so when the certificate is loaded, and
    again each day a long-running client keeps using it, not at every request."""
    from mms_client.security import certs

    caplog.set_level(logging.WARNING, logger="mms_client.security")
    Certificate(make_p12(valid_for=dt.timedelta(days=60)), PASSPHRASE)
    assert caplog.records == []

    certificate = Certificate(make_p12(valid_for=dt.timedelta(days=11)), PASSPHRASE)
    expiry = f"{certificate.not_valid_after:%Y-%m-%d %H:%M} UTC"
    assert caplog.messages == [
        f"the PKCS#12 data: the certificate {certificate.subject} expires on {expiry}, in 9 "
        "days; renew it with EPRX before then"
    ]
    certificate.check_current()  # as before each request
    assert len(caplog.messages) == 1
    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1, minutes=1)
    monkeypatch.setattr(certs, "_now", lambda: tomorrow, raising=False)
    certificate.check_current()
    assert caplog.messages[1:] == [caplog.messages[0].replace("in 9 days", "in 8 days")]


def test_not_yet_valid_certificate_only_warns(make_p12: MakeP12) -> None:
    data = make_p12(valid_from=dt.timedelta(days=2))
    with pytest.warns(CertificateWarning, match="valid only from") as warned:
        Certificate(data, PASSPHRASE)
    assert warned[0].filename == __file__  # the line that loads it, not the library's


def test_a_certificate_says_what_puts_it_out_of_force_by_the_local_clock(
    make_p12: MakeP12, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a client adds to a TLS handshake the server broke off, which does not say why."""
    from mms_client.security import certs

    with pytest.warns(CertificateWarning):
        early = Certificate(make_p12(valid_from=dt.timedelta(days=2)), PASSPHRASE)
    start = f"{early.certificate.not_valid_before_utc:%Y-%m-%d %H:%M} UTC"
    assert early.out_of_force() == (
        f"certificate O=F100,CN=FAKEUSER is valid only from {start}: check the local clock"
    )
    current = Certificate(make_p12(), PASSPHRASE)
    assert current.out_of_force() is None
    expiry = current.not_valid_after
    monkeypatch.setattr(certs, "_now", lambda: expiry + dt.timedelta(minutes=1))
    assert current.out_of_force() == (
        f"certificate O=F100,CN=FAKEUSER expired on {expiry:%Y-%m-%d %H:%M} UTC: renew it with EPRX"
    )


def test_secrets_stay_out_of_repr_vars_and_pickles(make_p12: MakeP12) -> None:
    certificate = Certificate(make_p12(), PASSPHRASE)
    shown = repr(certificate) + repr(vars(certificate))
    assert PASSPHRASE not in shown
    assert "PRIVATE KEY" not in shown
    assert "FAKEUSER" in repr(certificate)
    with pytest.raises(TypeError, match="cannot be pickled") as caught:
        pickle.dumps(certificate)
    assert PASSPHRASE not in str(caught.value)
    assert copy.deepcopy(certificate) is certificate


def test_ssl_context_is_tls12_plus_and_verifies_by_default(make_p12: MakeP12) -> None:
    context = Certificate(make_p12(), PASSPHRASE).ssl_context()
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 50  # the certifi bundle is loaded


def test_ssl_context_with_ca_bundle_and_explicit_opt_out(make_p12: MakeP12, tmp_path: Path) -> None:
    certificate = Certificate(make_p12(), PASSPHRASE)
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(certificate.certificate.public_bytes(Encoding.PEM))
    pinned = certificate.ssl_context(verify=bundle)
    assert pinned.cert_store_stats()["x509"] == 1  # only the bundle, not the defaults
    unverified = certificate.ssl_context(verify=False)
    assert unverified.verify_mode is ssl.CERT_NONE
    assert not unverified.check_hostname
    with pytest.raises(
        ConfigurationError,
        match=r"verify= names no readable CA bundle \(No such file or directory\): .*missing\.pem",
    ):
        certificate.ssl_context(verify=tmp_path / "missing.pem")


@dataclass(frozen=True)
class KeyFile:
    """What ssl was given to read the key from, as it read it."""

    path: str
    content: bytes
    mode: int
    temporary_files: list[Path]
    """What the temporary folder held meanwhile."""


class RecordingContext(ssl.SSLContext):
    """Notes each file ssl reads a key from."""

    def __init__(self, protocol: int, temporary: Path) -> None:
        self.temporary = temporary
        self.seen: list[KeyFile] = []

    def load_cert_chain(self, certfile, keyfile=None, password=None):  # type: ignore[no-untyped-def]
        with open(certfile, "rb") as handle:
            content = handle.read()
        mode = os.stat(certfile).st_mode & 0o777
        self.seen.append(KeyFile(str(certfile), content, mode, sorted(self.temporary.rglob("*"))))
        return super().load_cert_chain(certfile, keyfile, password)


@pytest.fixture
def temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder, moved to an empty one of this test."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def assert_only_an_encrypted_key(pem: bytes) -> None:
    assert b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in pem
    assert b"-----BEGIN PRIVATE KEY-----" not in pem
    assert b"-----BEGIN RSA PRIVATE KEY-----" not in pem


@pytest.mark.skipif(
    not hasattr(os, "memfd_create") or not Path("/proc/self/fd").is_dir(),
    reason="anonymous in-memory files (memfd_create and /proc) are a Linux feature",
)
def test_the_key_for_tls_is_never_a_file_on_disk(make_p12: MakeP12, temporary: Path) -> None:
    """Nothing that a killed process could leave behind: the key ssl reads is in a file with
    no name on disk, and the temporary folder stays empty while it loads."""
    context = RecordingContext(ssl.PROTOCOL_TLS_CLIENT, temporary)
    Certificate(make_p12(), PASSPHRASE).load_into(context)

    [key_file] = context.seen
    assert key_file.temporary_files == []
    assert key_file.path.startswith("/proc/self/fd/")
    assert_only_an_encrypted_key(key_file.content)
    with pytest.raises(FileNotFoundError):  # closed once loaded
        Path(key_file.path).read_bytes()


def test_without_anonymous_files_the_key_is_a_private_file_removed_at_once(
    make_p12: MakeP12, temporary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where there are no anonymous in-memory files, the key ssl reads is an encrypted 0600
    file in the temporary folder, removed as soon as it is loaded."""
    monkeypatch.delattr(os, "memfd_create", raising=False)
    context = RecordingContext(ssl.PROTOCOL_TLS_CLIENT, temporary)
    Certificate(make_p12(), PASSPHRASE).load_into(context)

    [key_file] = context.seen
    assert Path(key_file.path) in key_file.temporary_files
    assert key_file.mode == 0o600
    assert_only_an_encrypted_key(key_file.content)
    assert list(temporary.iterdir()) == []


def test_a_key_tls_refuses_leaves_no_secret_in_a_tracebacks_locals(make_p12: MakeP12) -> None:
    """A key OpenSSL will not present (here one too small for its security level) fails as
    the certificate's TLS set-up; the frame that raises held the key encrypted with a one-time
    password, and a traceback showing its locals would show both, which is the key."""
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    certificate = Certificate(make_p12(key=weak), PASSPHRASE)
    with pytest.raises(CertificateError, match="could not be used for TLS") as caught:
        certificate.ssl_context(True)
    shown = _with_locals(caught.value)
    assert "password = <not shown>" in shown and "pem = <not shown>" in shown
    assert "PRIVATE KEY" not in shown
