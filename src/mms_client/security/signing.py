"""RSA-SHA256 (RSASSA-PKCS1-v1_5) signatures over payload and attachment bytes.

The MMS authenticates the *content* of a request separately from the TLS connection: the
``requestSignature`` of ``RequestAttInfo`` (and the ``signature`` of every attachment) is the
base64 text of a PKCS#1 v1.5 signature of the SHA-256 digest of exactly the bytes that are
sent. The client signs with these functions and the simulator verifies with them, so both
sides agree on the scheme by construction.
"""

from __future__ import annotations

import pybase64
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey


def sign(data: bytes, key: RSAPrivateKey) -> str:
    """Return the base64 signature text the MMS expects for ``data``."""
    return pybase64.b64encode(key.sign(data, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


def verify(data: bytes, signature: str | bytes, key: RSAPublicKey) -> bool:
    """Whether ``signature`` (base64 text, line breaks allowed) signs exactly ``data``.

    A signature that is not even valid base64 is simply not a valid signature, so this never
    raises for hostile input.
    """
    if isinstance(signature, str):
        try:
            signature = signature.encode("ascii")
        except UnicodeEncodeError:
            return False
    try:
        raw = pybase64.b64decode(b"".join(signature.split()), validate=True)
    except ValueError:  # binascii.Error
        return False
    try:
        key.verify(raw, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True
