"""RSA-SHA256 PKCS#1 v1.5 signatures as the MMS computes them."""

from __future__ import annotations

import base64
import textwrap

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from mms_client.security.signing import sign, verify

PAYLOAD = (
    b'<MarketData><MarketSubmit Date="2026-11-21" MarketType="DAM" NumOfDays="1" '
    b'ParticipantName="F100" UserName="FAKEUSER"></MarketSubmit></MarketData>'
)


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_signature_is_base64_pkcs1v15_sha256_over_the_exact_bytes(key: rsa.RSAPrivateKey) -> None:
    signature = sign(PAYLOAD, key)
    raw = base64.b64decode(signature, validate=True)
    assert len(raw) == 256
    # checked with cryptography's own primitive, independent of verify()
    key.public_key().verify(raw, PAYLOAD, padding.PKCS1v15(), hashes.SHA256())
    assert sign(PAYLOAD, key) == signature  # PKCS#1 v1.5 is deterministic


def test_verify_accepts_the_signature_and_line_wrapped_forms(key: rsa.RSAPrivateKey) -> None:
    signature = sign(PAYLOAD, key)
    assert verify(PAYLOAD, signature, key.public_key())
    assert verify(PAYLOAD, signature.encode(), key.public_key())
    assert verify(PAYLOAD, "\n".join(textwrap.wrap(signature, 76)), key.public_key())


def test_verify_rejects_tampering_other_keys_and_garbage(key: rsa.RSAPrivateKey) -> None:
    signature = sign(PAYLOAD, key)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert not verify(PAYLOAD.replace(b"F100", b"F101"), signature, key.public_key())
    assert not verify(PAYLOAD + b" ", signature, key.public_key())
    assert not verify(PAYLOAD, signature, other.public_key())
    assert not verify(PAYLOAD, "not base64 at all!", key.public_key())
    assert not verify(PAYLOAD, "", key.public_key())
    assert not verify(PAYLOAD, "署名", key.public_key())
