"""Shared by the client tests: throw-away PKCS#12 files, a retry policy that does not wait,
a plugin that records what the client sent and received, the MMS example payloads, a port
nothing listens on, and a process whose files may not grow past a limit."""

from __future__ import annotations

import datetime as dt
import json
import socket
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

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


def free_port() -> int:
    """A loopback port nothing listens on: connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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
    certificate = self_signed(name, key, valid_from=valid_from, valid_for=valid_for)
    return pkcs12.serialize_key_and_certificates(
        b"user", key, certificate, None, BestAvailableEncryption(passphrase.encode())
    )


def self_signed(
    name: x509.Name,
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    *,
    valid_from: dt.timedelta = dt.timedelta(days=-1),
    valid_for: dt.timedelta = dt.timedelta(days=365),
) -> x509.Certificate:
    """A certificate of ``key`` for ``name``, signed by that key, valid from now+valid_from."""
    start = dt.datetime.now(dt.UTC) + valid_from
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + valid_for)
        .sign(key, hashes.SHA256())
    )


@pytest.fixture
def make_p12() -> MakeP12:
    return build_p12


_LIMITING = """
import resource, signal

def limit_file_size(size):
    # past the limit, a write fails with EFBIG (for root too) instead of SIGXFSZ killing us
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
"""


def run_with_a_file_size_limit(script: str, *arguments: str) -> Any:
    """Run ``script`` in a new Python process, where ``limit_file_size(bytes)`` makes every
    later write past that size fail as it does on a full disk, and give back the JSON it
    printed. Root ignores permissions and read-only folders can be written to by it, but not
    past this limit: it works for every user, and without mounting a small file system."""
    pytest.importorskip("resource", reason="file size limits are a Unix feature")
    finished = subprocess.run(
        [sys.executable, "-c", _LIMITING + script, *arguments],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout)
