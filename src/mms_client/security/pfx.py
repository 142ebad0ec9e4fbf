"""Reading a PKCS#12 file (RFC 7292) without cryptography's check of its RSA key.

cryptography's PKCS#12 loader checks the private key it finds: for RSA, that its two factors
are prime, 30-45 ms for a 2048-bit key, the largest single cost of a client's first call, and
a check its loader offers no way to skip. Its key loader does
(``unsafe_skip_rsa_key_validation``), and the check guards against keys made by someone else
to harm the one using them, not against the user's own. So :func:`read` takes the PKCS#12
apart itself, verifies its MAC as OpenSSL does, and hands the key to that key loader without
the check: a key is read this way only from a file whose MAC, keyed by the passphrase, says
it is as its maker wrote it. Python's :mod:`ssl` does not check a key's factors either.

Only the common shape is read here: a DER file with a MAC (HMAC over SHA-1 or SHA-2, with the
PKCS#12 key derivation), certificates either in the clear or encrypted with PBES2 (PBKDF2 and
AES-CBC, as OpenSSL 3, cryptography and recent Windows write them), one private key, in the
clear or encrypted in any way cryptography's key loader reads, and a passphrase of ASCII
characters, whose conversion to the MAC's BMPString every tool agrees on. Anything else
(certificates under the legacy RC2 or triple DES encryption that OpenSSL 1.1 and older
Windows write, no MAC, other bags, a passphrase OpenSSL may convert in more than one way) is
:data:`None`, and the caller reads the file with cryptography's loader, as it would without
this module. A file whose MAC does not verify is :data:`None` too: that loader then says why,
in its own words.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.serialization import load_der_private_key


def _oid(dotted: str) -> bytes:
    """The DER content of the object identifier ``dotted``, to compare with those read."""
    first, second, *rest = (int(arc) for arc in dotted.split("."))
    encoded = bytearray([40 * first + second])
    for arc in rest:
        chunk = [arc & 0x7F]
        while arc := arc >> 7:
            chunk.append(0x80 | (arc & 0x7F))
        encoded.extend(reversed(chunk))
    return bytes(encoded)


_DATA: Final = _oid("1.2.840.113549.1.7.1")
_ENCRYPTED_DATA: Final = _oid("1.2.840.113549.1.7.6")
_KEY_BAG: Final = _oid("1.2.840.113549.1.12.10.1.1")
_SHROUDED_KEY_BAG: Final = _oid("1.2.840.113549.1.12.10.1.2")
_CERT_BAG: Final = _oid("1.2.840.113549.1.12.10.1.3")
_X509_CERTIFICATE: Final = _oid("1.2.840.113549.1.9.22.1")
_PBES2: Final = _oid("1.2.840.113549.1.5.13")
_PBKDF2: Final = _oid("1.2.840.113549.1.5.12")

_MAC_HASHES: Final = {
    _oid("1.3.14.3.2.26"): "sha1",
    _oid("2.16.840.1.101.3.4.2.1"): "sha256",
    _oid("2.16.840.1.101.3.4.2.2"): "sha384",
    _oid("2.16.840.1.101.3.4.2.3"): "sha512",
    _oid("2.16.840.1.101.3.4.2.4"): "sha224",
}
"""The MAC's digest algorithms, by the hashlib names."""
_PBKDF2_HASHES: Final = {
    _oid("1.2.840.113549.2.7"): "sha1",
    _oid("1.2.840.113549.2.8"): "sha224",
    _oid("1.2.840.113549.2.9"): "sha256",
    _oid("1.2.840.113549.2.10"): "sha384",
    _oid("1.2.840.113549.2.11"): "sha512",
}
"""PBKDF2's pseudo-random functions (HMAC over these), by the hashlib names."""
_AES_CBC_KEY_SIZES: Final = {
    _oid("2.16.840.1.101.3.4.1.2"): 16,
    _oid("2.16.840.1.101.3.4.1.22"): 24,
    _oid("2.16.840.1.101.3.4.1.42"): 32,
}

_SEQUENCE: Final = 0x30
_INTEGER: Final = 0x02
_OCTET_STRING: Final = 0x04
_OID: Final = 0x06
_NULL: Final = 0x05
_EXPLICIT_0: Final = 0xA0
"""A context-specific constructed [0]: ``[0] EXPLICIT``, the element within."""
_IMPLICIT_0: Final = 0x80
"""A context-specific primitive [0]: EncryptedContentInfo's ``[0] IMPLICIT OCTET STRING``."""


_MOST_ROUNDS: Final = 1_000_000
"""The most rounds of a key derivation read here (files are written with 2048 to 600,000): the
MAC's rounds run as a Python loop, about 0.3 s for this many, and hashlib refuses more than
fit in a C int; a file asking for more is left to cryptography's loader."""


class _UnreadError(Exception):
    """The file is not of the shape read here, or its MAC does not verify."""


def read(
    data: bytes, password: bytes | None
) -> tuple[RSAPrivateKey, list[x509.Certificate]] | None:
    """The RSA private key of the PKCS#12 ``data`` and its certificates in file order, read
    without checking the key's factors once the MAC has verified; None for a file of another
    shape, or no passphrase (see the module's docstring), which cryptography's loader reads
    instead."""
    if not password or not password.isascii():
        return None
    try:
        return _read(data, password)
    except (_UnreadError, ValueError, TypeError, UnsupportedAlgorithm):
        return None


def _read(data: bytes, password: bytes) -> tuple[RSAPrivateKey, list[x509.Certificate]]:
    version, auth_safe, *mac = _children(_one(data, _SEQUENCE))
    if _value(version, _INTEGER) != b"\x03" or len(mac) != 1:
        raise _UnreadError
    content_type, content = _content_info(auth_safe)
    if content_type != _DATA:
        raise _UnreadError
    safes = _one(content, _OCTET_STRING)
    _verify_mac(mac[0], safes, password)
    keys: list[RSAPrivateKey] = []
    certificates: list[x509.Certificate] = []
    for safe in _children(_one(safes, _SEQUENCE)):
        content_type, content = _content_info(safe)
        if content_type == _DATA:
            bags = _one(content, _OCTET_STRING)
        elif content_type == _ENCRYPTED_DATA:
            bags = _decrypt(_one(content, _SEQUENCE), password)
        else:
            raise _UnreadError
        for bag in _children(_one(bags, _SEQUENCE)):
            _take(bag, password, keys, certificates)
    if len(keys) != 1:
        raise _UnreadError
    return keys[0], certificates


_Element = tuple[int, bytes]
"""A DER element as its tag and its content."""


def _take(
    bag: _Element, password: bytes, keys: list[RSAPrivateKey], certificates: list[x509.Certificate]
) -> None:
    """Add what the SafeBag ``bag`` holds to ``keys`` or ``certificates``."""
    bag_id, value, *_attributes = _children(_value(bag, _SEQUENCE))
    kind = _value(bag_id, _OID)
    inner = _value(value, _EXPLICIT_0)  # the DER of the bag's own structure
    if kind in (_KEY_BAG, _SHROUDED_KEY_BAG):
        key = load_der_private_key(
            inner,
            password if kind == _SHROUDED_KEY_BAG else None,
            unsafe_skip_rsa_key_validation=True,
        )
        if not isinstance(key, RSAPrivateKey):
            raise _UnreadError
        keys.append(key)
    elif kind == _CERT_BAG:
        cert_id, cert_value = _children(_one(inner, _SEQUENCE))
        if _value(cert_id, _OID) != _X509_CERTIFICATE:
            raise _UnreadError
        der = _one(_value(cert_value, _EXPLICIT_0), _OCTET_STRING)
        certificates.append(x509.load_der_x509_certificate(der))
    else:
        raise _UnreadError


def _verify_mac(mac_data: _Element, safes: bytes, password: bytes) -> None:
    """Check the PFX's MacData over the authenticated safe's content ``safes``."""
    digest_info, salt, *rest = _children(_value(mac_data, _SEQUENCE))
    algorithm, expected = _children(_value(digest_info, _SEQUENCE))
    name = _hash(algorithm, _MAC_HASHES)
    if len(rest) > 1:
        raise _UnreadError
    iterations = _rounds(rest[0]) if rest else 1
    key = _pkcs12_mac_key(name, password, _value(salt, _OCTET_STRING), iterations)
    if not hmac.compare_digest(hmac.digest(key, safes, name), _value(expected, _OCTET_STRING)):
        raise _UnreadError


def _pkcs12_mac_key(name: str, password: bytes, salt: bytes, iterations: int) -> bytes:
    """The MAC key of RFC 7292, appendix B.2 (ID 3), one digest long: the first block of the
    derivation, so none of its later steps is needed. ``password`` is ASCII, so its BMPString
    is each byte after a zero byte, ending in two zero bytes."""
    hash_of = getattr(hashlib, name)  # named constructors are twice as fast as hashlib.new
    block = hash_of().block_size
    bmp = password.decode("ascii").encode("utf-16-be") + b"\x00\x00"

    def filled(part: bytes) -> bytes:  # repeated up to a whole number of blocks
        size = -(-len(part) // block) * block
        return (part * (size // len(part) + 1))[:size] if part else b""

    digest: bytes = hash_of(bytes([3]) * block + filled(salt) + filled(bmp)).digest()
    for _ in range(iterations - 1):
        digest = hash_of(digest).digest()
    return digest


def _decrypt(encrypted_data: bytes, password: bytes) -> bytes:
    """The content of the EncryptedData (PKCS#7) ``encrypted_data``, encrypted with PBES2
    (PBKDF2, AES-CBC)."""
    version, info = _children(encrypted_data)
    if _value(version, _INTEGER) != b"\x00":
        raise _UnreadError
    content_type, algorithm, *encrypted = _children(_value(info, _SEQUENCE))
    if _value(content_type, _OID) != _DATA or len(encrypted) != 1:
        raise _UnreadError
    scheme, parameters = _algorithm(algorithm)
    if scheme != _PBES2:
        raise _UnreadError
    derivation, encryption = _children(_value(parameters, _SEQUENCE))
    kdf, kdf_parameters = _algorithm(derivation)
    cipher, iv = _algorithm(encryption)
    key_size = _AES_CBC_KEY_SIZES.get(cipher)
    if kdf != _PBKDF2 or key_size is None:
        raise _UnreadError
    salt, iterations, *options = _children(_value(kdf_parameters, _SEQUENCE))
    prf = "sha1"  # PBKDF2's default
    for option in options:
        if option[0] == _INTEGER and _integer(option) == key_size:
            continue  # the key length, which the cipher gives
        prf = _hash(option, _PBKDF2_HASHES)
    key = hashlib.pbkdf2_hmac(
        prf, password, _value(salt, _OCTET_STRING), _rounds(iterations), key_size
    )
    decryptor = Cipher(algorithms.AES(key), modes.CBC(_value(iv, _OCTET_STRING))).decryptor()
    padded = decryptor.update(_value(encrypted[0], _IMPLICIT_0)) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


def _content_info(element: _Element) -> tuple[bytes, bytes]:
    """The content type of a ContentInfo and the DER of its content."""
    content_type, content = _children(_value(element, _SEQUENCE))
    return _value(content_type, _OID), _value(content, _EXPLICIT_0)


_NO_PARAMETERS: Final = (_NULL, b"")


def _algorithm(element: _Element) -> tuple[bytes, _Element]:
    """The OID and the parameters (NULL when absent) of an AlgorithmIdentifier."""
    identifier, *parameters = _children(_value(element, _SEQUENCE))
    if len(parameters) > 1:
        raise _UnreadError
    return _value(identifier, _OID), parameters[0] if parameters else _NO_PARAMETERS


def _hash(element: _Element, names: dict[bytes, str]) -> str:
    """The hashlib name of the AlgorithmIdentifier ``element``, one of ``names``, whose
    parameters must be NULL or absent, as these algorithms have none."""
    identifier, parameters = _algorithm(element)
    if identifier not in names or parameters != _NO_PARAMETERS:
        raise _UnreadError
    return names[identifier]


def _rounds(element: _Element) -> int:
    """A key derivation's count of rounds, within :data:`_MOST_ROUNDS`."""
    rounds = _integer(element)
    if not 0 < rounds <= _MOST_ROUNDS:
        raise _UnreadError
    return rounds


def _integer(element: _Element) -> int:
    """A non-negative INTEGER's value."""
    value = _value(element, _INTEGER)
    if not value or value[0] & 0x80:
        raise _UnreadError
    return int.from_bytes(value, "big")


def _value(element: _Element, tag: int) -> bytes:
    """The content of ``element``, which must have ``tag``."""
    if element[0] != tag:
        raise _UnreadError
    return element[1]


def _one(data: bytes, tag: int) -> bytes:
    """The content of the DER element of ``tag`` that ``data`` is, whole."""
    elements = _children(data)
    if len(elements) != 1:
        raise _UnreadError
    return _value(elements[0], tag)


def _children(content: bytes) -> list[_Element]:
    """The DER elements that ``content`` holds one after another. Only definite lengths and
    low tag numbers, which DER and PKCS#12 use, are read."""
    elements = []
    offset = 0
    while offset < len(content):
        if offset + 2 > len(content) or content[offset] & 0x1F == 0x1F:
            raise _UnreadError
        tag, length = content[offset], content[offset + 1]
        offset += 2
        if length & 0x80:
            count = length & 0x7F
            if not 0 < count <= 4 or offset + count > len(content):
                raise _UnreadError  # 0 is BER's indefinite length
            length = int.from_bytes(content[offset : offset + count], "big")
            offset += count
        if offset + length > len(content):
            raise _UnreadError
        elements.append((tag, content[offset : offset + length]))
        offset += length
    return elements
