"""The simulator's own test PKI: a CA, a server certificate and one PKCS#12 per user.

The MMS authenticates a caller by its TLS client certificate and then requires the
certificate to belong to the ParticipantName/UserName named in the payload.  The simulator
encodes who a certificate belongs to in its subject:

    CN = user name, O = participant name, OU = client type (BSP, MO or TSO)

This is a *test* PKI: the PKCS#12 passphrases are random and written, with everything else,
to ``pki.json`` (readable by the owner only) so that a restarted simulator, and the manifest
it publishes for clients, can use them.  The CA and server keys are stored encrypted.
Relative paths are used inside the folder so that a PKI can be copied to another state
folder (the pytest plugin does this to start fresh simulators without generating keys).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import secrets
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mms_client.endpoints import ClientType
from mms_client.errors import SimulatorStateError
from mms_client.sim import seed
from mms_client.sim.state import describe, held_in_turn

if TYPE_CHECKING:
    from mms_client.security.certs import Certificate

_KEY_SIZE = 2048
# Every certificate of the PKI is valid as long as its CA, so only the CA's expiry matters;
# a PKI whose CA expires sooner than _RENEW_BEFORE is replaced rather than reused.
_CA_VALIDITY = dt.timedelta(days=3650)
_RENEW_BEFORE = dt.timedelta(days=30)
_LAYOUT_VERSION = 1

DEFAULT_SERVER_HOSTS: tuple[str, ...] = ("localhost", "127.0.0.1")

RECORD_FILE = "pki.json"
CA_KEY_FILE = "ca-key.pem"
SERVER_KEY_FILE = "server-key.pem"


def user_p12(participant: str, user: str) -> Path:
    """Where, in the PKI's folder, the PKCS#12 of a user is written."""
    return Path("users") / f"{participant}-{user}.p12"


PRIVATE_FILES: tuple[str, ...] = (
    RECORD_FILE,
    CA_KEY_FILE,
    SERVER_KEY_FILE,
    user_p12("*", "*").as_posix(),
)
"""The files of a PKI, as glob patterns in its folder, that hold secrets (keys, passphrases)
and are written by :func:`write_private`: named from the names the writers use, so that a
folder made readable to others by hand is made its owner's again
(:func:`~mms_client.sim.state.keep_private`) for every file the writers keep private."""


@dataclass(frozen=True)
class Identity:
    """Who a client certificate belongs to, as read from its subject."""

    participant: str
    user: str
    client_type: ClientType


@dataclass(frozen=True)
class SimUser:
    """A user of the simulator: who it is, its PKCS#12 file and the file's passphrase."""

    participant: str
    user: str
    client_type: ClientType
    p12: Path
    passphrase: str

    def __repr__(self) -> str:
        # The passphrase is a test secret, but it still has no business in logs.
        return (
            f"SimUser(participant={self.participant!r}, user={self.user!r}, "
            f"client_type={self.client_type.value!r}, p12={str(self.p12)!r})"
        )

    def certificate(self) -> Certificate:
        """The user's PKCS#12 loaded as the client loads a certificate."""
        from mms_client.security.certs import Certificate

        return Certificate(self.p12, self.passphrase)

    def to_json(self) -> dict[str, str]:
        """The record of this user in ``pki.json`` and in the manifest."""
        return {
            "participant": self.participant,
            "user": self.user,
            "client_type": self.client_type.value,
            "p12": self.p12.as_posix(),
            "passphrase": self.passphrase,
        }

    @classmethod
    def from_json(cls, record: Mapping[str, str], folder: Path = Path()) -> SimUser:
        """A user from its record; a relative ``p12`` (``pki.json`` keeps them relative, so
        a PKI can be copied) is taken inside ``folder``."""
        return cls(
            participant=record["participant"],
            user=record["user"],
            client_type=ClientType(record["client_type"]),
            p12=folder / record["p12"],
            passphrase=record["passphrase"],
        )


@dataclass(frozen=True)
class ServerCredential:
    """What the TLS server loads: certificate chain, encrypted key and the key's passphrase."""

    cert: Path
    key: Path
    passphrase: str

    def __repr__(self) -> str:
        return f"ServerCredential(cert={str(self.cert)!r}, key={str(self.key)!r})"


def identity_of(certificate: x509.Certificate) -> Identity | None:
    """Reads the subject scheme of this PKI; ``None`` when the subject does not follow it."""
    subject = certificate.subject

    def single(oid: x509.ObjectIdentifier) -> str | None:
        values = subject.get_attributes_for_oid(oid)
        if len(values) != 1:
            return None
        value = values[0].value
        return value if isinstance(value, str) else None

    user = single(NameOID.COMMON_NAME)
    participant = single(NameOID.ORGANIZATION_NAME)
    client_type = ClientType.__members__.get(single(NameOID.ORGANIZATIONAL_UNIT_NAME) or "")
    if user is None or participant is None or client_type is None:
        return None
    return Identity(participant=participant, user=user, client_type=client_type)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=_KEY_SIZE)


_SERVER_KEY_TYPE = "ecdsa-p256"


def _new_server_key() -> ec.EllipticCurvePrivateKey:
    """The server's key pair: ECDSA P-256. The server signs every TLS handshake, and with an
    RSA-2048 key that signature is a good part of the simulator's CPU per fresh connection
    (each MMS request is one); every client (httpx, requests) accepts either. Users keep RSA
    keys, which the MMS payload signature requires."""
    return ec.generate_private_key(ec.SECP256R1())


def pki_locked(folder: Path) -> AbstractContextManager[None]:
    """The PKI in ``folder`` held by this process alone, for making or copying it: its lock
    file lies beside the folder, so that a copy of the folder does not take it along."""
    return held_in_turn(folder.parent / f".{folder.name}.lock")


def write_private(path: Path, data: bytes) -> None:
    """Writes a file only its owner can read, replacing it atomically: a reader never sees
    it half-written, and it is never readable by others, not even for a moment. A write
    that fails leaves the file as it was, and no copy beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    # made afresh: one left behind would keep its mode, and a link there would be followed
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(partial, path)
    except OSError as exc:
        # the copy is of no use, and holds what it was given (keys, passphrases)
        partial.unlink(missing_ok=True)
        # the file that could not be written is the one to name, not the copy
        raise OSError(exc.errno, exc.strerror, str(path)) from exc


DAMAGED_PKI_REMEDY = (
    "remove that folder to have a new one made (with new user certificates and passphrases), "
    "or use another state folder"
)
"""What to do about a state folder's damaged PKI."""


def damaged_pki(
    folder: Path, what: str, exc: BaseException, remedy: str = DAMAGED_PKI_REMEDY
) -> SimulatorStateError:
    """The error for a PKI file that cannot be read; it is not replaced silently, since the
    users' certificates and passphrases (which clients may have copied) would change.
    ``remedy`` fits the advice to a PKI kept elsewhere than in a state folder (the pytest
    plugin's, in pytest's cache)."""
    return SimulatorStateError(
        f"the simulator's test PKI in {folder} cannot be used ({what}: {describe(exc)}); {remedy}",
        folder,
    )


def _encrypted_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, passphrase: str) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase.encode()),
    )


def _san(hosts: Iterable[str]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = []
    for host in dict.fromkeys(hosts):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


class Pki:
    """A test PKI in a folder; ``load_or_create`` makes whatever is missing."""

    def __init__(
        self,
        folder: Path,
        ca_cert: x509.Certificate,
        ca_key: rsa.RSAPrivateKey,
        record: dict[str, object],
    ) -> None:
        self.folder = folder
        self._ca_cert = ca_cert
        self._ca_key = ca_key
        self._record = record

    @property
    def ca_path(self) -> Path:
        """The CA bundle (PEM) that verifies the server and issued every client certificate."""
        return self.folder / "ca.pem"

    @property
    def ca_certificate(self) -> x509.Certificate:
        return self._ca_cert

    @classmethod
    def load_or_create(
        cls,
        folder: Path,
        users: Iterable[seed.SeedUser] = seed.USERS,
        server_hosts: Iterable[str] = DEFAULT_SERVER_HOSTS,
        *,
        remedy: str = DAMAGED_PKI_REMEDY,
    ) -> Pki:
        """Loads the PKI in ``folder``, creating the CA, the server certificate (covering
        ``server_hosts``) and the users' PKCS#12 files that do not exist yet.

        A PKI made by another layout version, or close to expiry, is replaced as a whole; a
        damaged one is refused with a :class:`SimulatorStateError` advising ``remedy``.
        The PKI is the caller's alone meanwhile (:func:`pki_locked`): two test runs starting
        together on one cached PKI would otherwise each write its own keys over the other's.
        """
        folder = Path(folder).resolve()
        record_path = folder / RECORD_FILE
        with pki_locked(folder):
            pki: Pki | None = None
            if record_path.exists():
                loaded = cls._load(folder, record_path, remedy)
                if isinstance(loaded, SimulatorStateError):
                    raise loaded
                pki = loaded
            if pki is None:
                pki = cls._create_ca(folder)
            pki.ensure_server(server_hosts)
            for user in users:
                pki.ensure_user(user.participant, user.user, user.client_type)
            return pki

    @classmethod
    def _load(
        cls, folder: Path, record_path: Path, remedy: str
    ) -> Pki | SimulatorStateError | None:
        """The PKI recorded in ``record_path``; None when it is to be replaced (another
        layout, close to expiry), the :class:`SimulatorStateError` naming the file when it is
        damaged. The error is returned rather than raised: raised here, it would carry this
        frame, and chain the frames that failed, all holding what was read (the passphrases of
        pki.json), which a traceback showing its locals shows."""
        reading = record_path
        try:
            record = json.loads(record_path.read_text("utf-8"))
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
            if record.get("version") != _LAYOUT_VERSION:
                return None
            passphrase = str(record["ca_key_passphrase"]).encode()
            for user in record.get("users", []):
                SimUser.from_json(user)  # a damaged record is found now, not by a client
            reading = folder / "ca.pem"
            ca_cert = x509.load_pem_x509_certificate(reading.read_bytes())
            if ca_cert.not_valid_after_utc - _RENEW_BEFORE < _now():
                return None
            reading = folder / CA_KEY_FILE
            ca_key = serialization.load_pem_private_key(reading.read_bytes(), password=passphrase)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            return damaged_pki(folder, reading.name, exc, remedy)
        if not isinstance(ca_key, rsa.RSAPrivateKey):
            return None
        return cls(folder, ca_cert, ca_key, record)

    @classmethod
    def _create_ca(cls, folder: Path) -> Pki:
        key = _new_key()
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, "MMS simulator test CA"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mms_client simulator"),
            ]
        )
        now = _now()
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + _CA_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        passphrase = secrets.token_urlsafe(24)
        folder.mkdir(parents=True, exist_ok=True)
        write_private(folder / CA_KEY_FILE, _encrypted_pem(key, passphrase))
        (folder / "ca.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        record: dict[str, object] = {
            "version": _LAYOUT_VERSION,
            "ca_key_passphrase": passphrase,
            "users": [],
        }
        pki = cls(folder, cert, key, record)
        pki._save()
        return pki

    def _save(self) -> None:
        write_private(self.folder / RECORD_FILE, json.dumps(self._record, indent=2).encode("utf-8"))

    def _issue(
        self,
        subject: x509.Name,
        key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
        usage: x509.ObjectIdentifier,
        san: x509.SubjectAlternativeName | None = None,
    ) -> x509.Certificate:
        now = _now()
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self._ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(self._ca_cert.not_valid_after_utc)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._ca_key.public_key()),
                critical=False,
            )
        )
        if san is not None:
            builder = builder.add_extension(san, critical=False)
        return builder.sign(self._ca_key, hashes.SHA256())

    def ensure_server(self, hosts: Iterable[str]) -> ServerCredential:
        """The server certificate, reissued when it does not cover every name in ``hosts``
        (always including localhost and 127.0.0.1)."""
        wanted = list(dict.fromkeys([*DEFAULT_SERVER_HOSTS, *hosts]))
        covered = self._record.get("server_hosts")
        current = self._record.get("server_key_type") == _SERVER_KEY_TYPE
        if not (current and isinstance(covered, list) and set(wanted) <= set(covered)):
            key = _new_server_key()
            cert = self._issue(
                x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, wanted[0])]),
                key,
                ExtendedKeyUsageOID.SERVER_AUTH,
                _san(wanted),
            )
            passphrase = secrets.token_urlsafe(24)
            write_private(self.folder / SERVER_KEY_FILE, _encrypted_pem(key, passphrase))
            (self.folder / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
            self._record["server_hosts"] = wanted
            self._record["server_key_type"] = _SERVER_KEY_TYPE
            self._record["server_key_passphrase"] = passphrase
            self._save()
        return ServerCredential(
            cert=self.folder / "server.pem",
            key=self.folder / SERVER_KEY_FILE,
            passphrase=str(self._record["server_key_passphrase"]),
        )

    def _user_records(self) -> list[dict[str, str]]:
        users = self._record.setdefault("users", [])
        assert isinstance(users, list)
        return users

    def ensure_user(self, participant: str, user: str, client_type: ClientType) -> SimUser:
        """The PKCS#12 of this user, issued on first request, and issued again (with the
        recorded passphrase) when its file has gone, so that the manifest never lists a file
        that is not there."""
        for entry in self._user_records():
            if entry["participant"] == participant and entry["user"] == user:
                known = SimUser.from_json(entry, self.folder)
                if not known.p12.exists():
                    p12 = self.issue_p12(participant, user, known.client_type, known.passphrase)
                    write_private(known.p12, p12)
                return known
        passphrase = secrets.token_urlsafe(18)
        p12 = self.issue_p12(participant, user, client_type, passphrase)
        relative = user_p12(participant, user)
        write_private(self.folder / relative, p12)
        entry = SimUser(participant, user, client_type, relative, passphrase).to_json()
        self._user_records().append(entry)
        self._save()
        return SimUser.from_json(entry, self.folder)

    def issue_p12(
        self, participant: str, user: str, client_type: ClientType, passphrase: str
    ) -> bytes:
        """A PKCS#12 (key, certificate and this CA) for any subject, without recording it.

        Tests use it for certificates the simulator must refuse, such as one naming a user
        who is not the one in the payload.
        """
        key = _new_key()
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, user),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, client_type.value),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, participant),
            ]
        )
        cert = self._issue(subject, key, ExtendedKeyUsageOID.CLIENT_AUTH)
        return pkcs12.serialize_key_and_certificates(
            name=f"{participant}-{user}".encode(),
            key=key,
            cert=cert,
            cas=[self._ca_cert],
            encryption_algorithm=serialization.BestAvailableEncryption(passphrase.encode()),
        )

    @property
    def users(self) -> tuple[SimUser, ...]:
        return tuple(SimUser.from_json(entry, self.folder) for entry in self._user_records())
