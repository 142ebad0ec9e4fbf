"""A throw-away RSA-2048 key and PKCS#12 certificate for the in-process cases.

The signing cases need the kind of key the MMS issues (RSA 2048); the network cases use the
simulator's test PKI instead, because its server must trust the client certificate. Generated
once per run, in memory; nothing is written to disk.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
from cryptography.x509.oid import NameOID

from benchmarks.documents import PARTICIPANT, USER


@dataclass(frozen=True)
class Credentials:
    key: rsa.RSAPrivateKey
    p12: bytes
    passphrase: str

    def __repr__(self) -> str:
        return "Credentials(<benchmark key>)"


@cache
def credentials() -> Credentials:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, USER),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, PARTICIPANT),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    passphrase = secrets.token_urlsafe(16)
    p12 = pkcs12.serialize_key_and_certificates(
        b"benchmark", key, certificate, None, BestAvailableEncryption(passphrase.encode())
    )
    return Credentials(key, p12, passphrase)
