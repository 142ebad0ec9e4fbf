"""Shared by the client tests: throw-away PKCS#12 files, a retry policy that does not wait,
a plugin that records what the client sent and received, and the MMS example payloads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
from cryptography.x509.oid import NameOID

from mms_client.plugins import Plugin
from mms_client.schema.files import schema_dir
from mms_client.transport import RetryPolicy

PASSPHRASE = "correct horse battery staple"

MakeP12 = Callable[..., bytes]


def example(name: str) -> bytes:
    """An example payload shipped with the schema files (the test is skipped without them)."""
    folder = schema_dir()
    if folder is None:
        pytest.skip("the MMS schema files (with examples/) are not available; set MMS_SCHEMA_DIR")
    return Path(folder, "examples", name).read_bytes()


NO_WAIT = RetryPolicy(backoff_initial=0, backoff_max=0, backoff_jitter=0)
"""Retries without back-off, so that tests of failover and resends take no time."""


class Recorder(Plugin):
    """Keeps the body of every request and response the client sees."""

    def __init__(self) -> None:
        self.requests: list[bytes] = []
        self.responses: list[bytes] = []

    def audit_request(self, mms_request: bytes) -> None:
        self.requests.append(mms_request)

    def audit_response(self, mms_response: bytes) -> None:
        self.responses.append(mms_response)


@cache
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def build_p12(
    passphrase: str = PASSPHRASE,
    *,
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | None = None,
    valid_from: dt.timedelta = dt.timedelta(days=-1),
    valid_for: dt.timedelta = dt.timedelta(days=365),
) -> bytes:
    """A self-signed PKCS#12 for CN=FAKEUSER, O=F100, valid from now+valid_from."""
    key = key or rsa_key()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "FAKEUSER"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "F100"),
        ]
    )
    start = dt.datetime.now(dt.UTC) + valid_from
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + valid_for)
        .sign(key, hashes.SHA256())
    )
    return pkcs12.serialize_key_and_certificates(
        b"user", key, certificate, None, BestAvailableEncryption(passphrase.encode())
    )


@pytest.fixture
def make_p12() -> MakeP12:
    return build_p12
