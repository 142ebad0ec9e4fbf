"""The participant's PKCS#12 certificate, held in memory.

The MMS authenticates twice with the same key pair: the TLS connection is mutual (the client
certificate chains to the MMS's CA and names the participant and user), and every payload is
signed with the private key. :class:`Certificate` loads the PKCS#12 once and serves both.

Secrets stay in memory. The passphrase is used once to decrypt the PKCS#12 and is not kept;
the private key never appears in a repr, an exception or a log line; objects refuse to be
pickled. Python's :mod:`ssl` can only load a client key from a file, so
:meth:`Certificate.ssl_context` hands it the key *encrypted with a random one-time password* in
a file that has no name on disk: an anonymous in-memory file (``memfd_create``) read through
``/proc/self/fd``, closed as soon as it is loaded, so that even a process killed meanwhile
leaves nothing behind. Where the system has no such files (anything but Linux), it is a private
temporary file, deleted before the method returns; only a process killed in that moment (by
SIGKILL, or a SIGTERM it does not handle) leaves it in the temporary folder, still encrypted.

Validity policy: an expired certificate is refused with :class:`CertificateError` (the MMS would
reject the TLS handshake anyway, with a far less helpful message), when it is loaded and again
before every request (:meth:`Certificate.check_current`), since a client may run past its
certificate's expiry; one that expires within :data:`EXPIRY_NOTICE` (30 days) is a warning
in the ``mms_client.security`` log, when loaded and then once a day while in use, for a renewal
takes time to arrange. A certificate that is not valid *yet* only raises a
:class:`CertificateWarning`, because a slightly wrong local clock should not stop a client
whose certificate the server will accept.
"""

from __future__ import annotations

import logging
import os
import secrets
import ssl
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Generic, NoReturn, Self, TypeVar

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12

from mms_client.errors import CertificateError, ConfigurationError, shown_setting
from mms_client.security import pfx

#: What ``verify=`` accepts: True (the certifi CA bundle), False (no verification, explicitly),
#: or the path of a CA bundle file or directory.
VerifySetting = bool | str | os.PathLike[str]

EXPIRY_NOTICE = timedelta(days=30)
"""How long before its expiry a certificate in use is a warning in the log."""
_NOTICE_EVERY = timedelta(days=1)
"""How often that warning is repeated while the certificate stays in use: a service that runs
for weeks shows it in every day's log, and a client calling every minute does not fill it."""

logger = logging.getLogger("mms_client.security")


class CertificateWarning(UserWarning):
    """The certificate is usable but something about it deserves attention."""


class Certificate:
    """A PKCS#12 client certificate: RSA private key, certificate and CA chain.

    ``source`` is the path of a ``.p12``/``.pfx`` file (``str`` or :class:`~pathlib.Path`) or
    the PKCS#12 bytes themselves; ``passphrase`` decrypts it (``str`` is encoded as UTF-8;
    ``bytes`` must be UTF-8 text, as cryptography takes no other).
    """

    def __init__(
        self, source: str | os.PathLike[str] | bytes, passphrase: str | bytes | None = None
    ) -> None:
        secret: _Hidden[object] = _Hidden(passphrase)
        # the path is the passphrase itself when the arguments are swapped
        named: _Hidden[object] = _Hidden(source)
        del source, passphrase  # from here on, a traceback's locals show them hidden
        data, self._source = _read_source(named, secret)
        key, certificate, chain = _load(data, secret, self._source)
        del data
        if key is None:
            raise CertificateError(f"{self._source} holds no private key")
        if not isinstance(key, RSAPrivateKey):
            raise CertificateError(
                f"{self._source} holds a {type(key).__name__.removeprefix('_')} key; the MMS "
                "signs with RSA, so an RSA certificate is needed"
            )
        held = [c for c in (certificate, *chain) if c is not None]
        own = [c for c in held if _certifies(c, key)]
        if not own:
            raise CertificateError(_without_certificate(self._source, held))
        # a key certified again at its renewal may be kept with both certificates: the one
        # in force is used, and neither goes to the server as a CA certificate
        certificate = max(own, key=_in_force)
        chain = [c for c in held if c not in own]
        self._key = key
        self._certificate = certificate
        self._chain = tuple(chain)
        self._expiry_noted: datetime | None = None
        self.check_current()
        early = self.out_of_force()  # an expired one was refused: this one is not valid yet
        if early is not None:
            warnings.warn(f"{self._source}: the {early}", CertificateWarning, stacklevel=2)

    @property
    def private_key(self) -> RSAPrivateKey:
        """The RSA key that signs payloads and attachments."""
        return self._key

    @property
    def public_key(self) -> RSAPublicKey:
        return self._key.public_key()

    @property
    def certificate(self) -> x509.Certificate:
        return self._certificate

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        """The (CA) certificates bundled in the PKCS#12 beside those of its key, in file order:
        the TLS handshake sends them after the certificate."""
        return self._chain

    @property
    def subject(self) -> str:
        """The certificate subject in RFC 4514 form, which writes its names in the reverse
        of the certificate's order: ``O=F100,OU=BSP,CN=FAKEUSER`` for a certificate naming
        the user, then the client type, then the participant, as the simulator's do."""
        return self._certificate.subject.rfc4514_string()

    @property
    def not_valid_after(self) -> datetime:
        return self._certificate.not_valid_after_utc

    def out_of_force(self) -> str | None:
        """Why the MMS would refuse the certificate now by the local clock (not valid yet, or
        expired), with what to do; None while it is in force. A server that breaks off the
        TLS handshake does not say why: this is the likely reason, when there is one."""
        now = _now()
        start, expiry = self._certificate.not_valid_before_utc, self.not_valid_after
        if now < start:
            return (
                f"certificate {self.subject} is valid only from {start:%Y-%m-%d %H:%M} UTC: "
                "check the local clock"
            )
        if expiry < now:
            return (
                f"certificate {self.subject} expired on {expiry:%Y-%m-%d %H:%M} UTC: renew it "
                "with EPRX"
            )
        return None

    def check_current(self) -> None:
        """Raise :class:`CertificateError` if the certificate has expired, and log a warning
        (once a day) if it expires within :data:`EXPIRY_NOTICE`. The client calls it before
        every request: a service started months ago outlives a certificate renewed yearly,
        and the MMS would refuse every attempt at the TLS handshake, in words that do not say
        why."""
        now = _now()
        expiry = self.not_valid_after
        if expiry < now:
            raise CertificateError(f"{self._source}: the MMS will refuse the {self.out_of_force()}")
        noted = self._expiry_noted
        if expiry - now < EXPIRY_NOTICE and (noted is None or now - noted >= _NOTICE_EVERY):
            self._expiry_noted = now
            days = (expiry - now).days
            logger.warning(
                "%s: the certificate %s expires on %s UTC, %s; renew it with EPRX before then",
                self._source,
                self.subject,
                f"{expiry:%Y-%m-%d %H:%M}",
                f"in {days} days" if days else "within a day",
            )

    def ssl_context(self, verify: VerifySetting = True) -> ssl.SSLContext:
        """A client-side TLS context (TLS 1.2 or newer) presenting this certificate.

        ``verify`` checks the server: ``True`` against the certifi CA bundle, a path against
        that CA bundle (file or directory), ``False`` not at all (only for explicit opt-out).
        """
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if verify is False:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif verify is True:
            import certifi

            context.load_verify_locations(cafile=certifi.where())
        elif isinstance(verify, str | os.PathLike) and os.fspath(verify):
            _load_ca_bundle(context, Path(verify))
        else:  # an empty path would be the current folder, and None would not say what it means
            raise ConfigurationError(
                "verify must be True, False or the path of a CA bundle; got "
                + ("an empty path" if verify == "" else shown_setting(verify))
            )
        self.load_into(context)
        return context

    def load_into(self, context: ssl.SSLContext) -> None:
        """Present this certificate in an existing TLS ``context`` (e.g. one with custom
        ciphers); :meth:`ssl_context` uses it for the usual case."""
        # ssl can read a key only from a file. The file holds the key encrypted with a password
        # that exists only in this frame, and is gone before this method returns (see
        # _key_file for where it is). Both are held hidden: a traceback's locals showing the
        # password beside the encrypted key would show the key.
        password = _Hidden(secrets.token_bytes(32))
        pem = _Hidden(
            self._key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(password.given),
            )
            + b"".join(
                c.public_bytes(serialization.Encoding.PEM)
                for c in (self._certificate, *self._chain)
            )
        )
        with _key_file(pem) as path:
            try:
                context.load_cert_chain(path, password=password.given)
            except ssl.SSLError as exc:
                raise CertificateError(
                    f"{self._source} could not be used for TLS: {exc.reason or exc}"
                ) from None

    def __repr__(self) -> str:
        if "_certificate" not in self.__dict__:  # its __init__ failed; a debugger shows it still
            return f"Certificate(source={self.__dict__.get('_source')!r}, not loaded)"
        return (
            f"Certificate(subject={self.subject!r}, "
            f"not_valid_after={self.not_valid_after.isoformat()!r}, source={self._source!r})"
        )

    def __reduce__(self) -> NoReturn:
        raise TypeError("Certificate objects hold a private key and cannot be pickled")

    def __copy__(self) -> Self:
        return self  # immutable: a copy would be the same thing

    def __deepcopy__(self, memo: dict[int, object]) -> Self:
        return self


_Held = TypeVar("_Held")


class _Hidden(Generic[_Held]):
    """A secret held so that neither a debugger nor a traceback's locals (rich's
    ``show_locals``, ``pytest -l``, an error tracker) show it: the passphrase, the path, which
    may be the passphrase given in its place, and the key on its way to :mod:`ssl`. Every
    frame that could raise holds this instead."""

    __slots__ = ("given",)

    def __init__(self, given: _Held) -> None:
        self.given = given

    def __repr__(self) -> str:
        return "<not shown>"


def _load(
    data: _Hidden[bytes], secret: _Hidden[object], source: str
) -> tuple[PrivateKeyTypes | None, x509.Certificate | None, list[x509.Certificate]]:
    """The key, certificate and chain of the PKCS#12 bytes ``data`` (named ``source``),
    decrypted with ``secret``; the certificate is None when the chain holds them all, in file
    order (:func:`mms_client.security.pfx.read`). The error is raised once the passphrase's
    bytes are gone from the frame."""
    password, wrong = _password(secret.given)
    if wrong is not None:
        problem = f"{source}: {wrong}"
    else:
        read = pfx.read(data.given, password)
        if read is not None:  # the common shape, read without a slow check of the key
            key, certificates = read
            return key, None, certificates
        try:
            return pkcs12.load_key_and_certificates(data.given, password or None)
        except ValueError as exc:
            # cryptography's message does not contain the secret; the error is raised outside
            # this handler, so that it does not chain the call that failed either
            problem = _unreadable(source, str(exc), secret)
        except UnsupportedAlgorithm as exc:  # a key on an elliptic curve cryptography lacks
            problem = (
                f"{source} holds a key that cannot be read ({exc}); the MMS signs with RSA, "
                "so an RSA certificate is needed"
            )
    del password
    raise CertificateError(problem)


def _certifies(certificate: x509.Certificate, key: RSAPrivateKey) -> bool:
    """Whether ``certificate`` is a certificate of ``key``."""
    certified = certificate.public_key()
    return (
        isinstance(certified, RSAPublicKey)
        and certified.public_numbers() == key.public_key().public_numbers()
    )


def _in_force(certificate: x509.Certificate) -> tuple[bool, datetime]:
    """How a certificate ranks among those of one key: valid now first, then the one that
    expires last (of a renewal not valid yet and the expired certificate it replaces, the
    renewal)."""
    now = _now()
    valid = certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc
    return valid, certificate.not_valid_after_utc


def _without_certificate(source: str, others: list[x509.Certificate]) -> str:
    """Why ``source``, holding a private key but no certificate of it, cannot be used: a
    PKCS#12 put together from a key and the certificates of other keys (the previous key
    beside a renewed certificate, which certifies the key of its own request) holds
    certificates all the same, and is not said to hold none."""
    if not others:
        return f"{source} holds no certificate"
    subjects = "; ".join(other.subject.rfc4514_string() for other in others)
    return (
        f"{source} holds no certificate of its private key, only certificates of other keys "
        f"({subjects}): was it made with another key than the certificate's? A renewed "
        "certificate goes with the key its request was made with"
    )


def _password(given: object) -> tuple[bytes | None, str | None]:
    """The passphrase ``given`` as the bytes PKCS#12 decryption takes, or what is wrong with
    it, without raising: the frame that raises must not hold the passphrase."""
    if not isinstance(given, str | bytes | None):
        return None, f"the passphrase must be str or bytes, not {type(given).__name__}"
    try:
        # cryptography takes UTF-8 only, and fails on other bytes with a TypeError that says
        # nothing of the passphrase; a str read where another encoding is in use (a Shift_JIS
        # terminal or file) holds lone surrogates for the bytes Python could not decode
        if isinstance(given, bytes):
            given.decode("utf-8")
        password = given.encode("utf-8") if isinstance(given, str) else given
    except UnicodeError:
        return None, (
            "the passphrase is not UTF-8 text, which a PKCS#12 passphrase must be (was it "
            "typed or stored in another encoding, such as Shift_JIS?); the passphrase is not "
            "shown"
        )
    if password is not None and b"\x00" in password:
        # cryptography hands a passphrase to OpenSSL as a C string: one holding a NUL makes
        # it panic, printing the passphrase's bytes
        return None, (
            "the passphrase holds a NUL character, which no passphrase can hold (the "
            "passphrase is not shown)"
        )
    return password, None


_GIVEN_BYTES = "the PKCS#12 data"
"""How messages name a certificate given as bytes rather than as the path of a file."""


def _read_source(named: _Hidden[object], secret: _Hidden[object]) -> tuple[_Hidden[bytes], str]:
    """The PKCS#12 bytes of the certificate ``named``, held hidden (they are the passphrase
    when bytes are given in its place), and how to name them in messages (the path, never the
    content).

    A path that does not exist is named in the message, which is what makes a typing error
    in it plain to see, unless the passphrase looks like the certificate's path, or is the
    path given: then the arguments are probably swapped, the "path" is the passphrase, and it
    is not shown.
    """
    if isinstance(named.given, bytes | bytearray | memoryview):
        return _Hidden(bytes(named.given)), _GIVEN_BYTES
    if not isinstance(named.given, str | os.PathLike):
        raise CertificateError(
            "the certificate must be the path of a PKCS#12 file or its bytes, not "
            + type(named.given).__name__
        )
    if not os.fspath(named.given):  # Path("") would be the current folder
        raise CertificateError("the certificate file's path is empty")
    if "\x00" in str(os.fspath(named.given)):  # not shown: it may be no path
        raise CertificateError("the certificate file's path holds a NUL character")
    if _is_the_passphrase(named.given, secret.given):
        raise CertificateError(
            "the certificate file's path is the passphrase given (neither is shown): are the "
            "arguments swapped? Certificate takes the PKCS#12 file first, then its passphrase"
        )
    content = _read_file(named.given)
    if isinstance(content, bytes):
        return _Hidden(content), str(Path(named.given))
    missing, reason = isinstance(content, FileNotFoundError), content.strerror
    del content  # it holds the "path", which may be the passphrase
    swapped = _looks_like_a_certificate_path(secret.given)
    if swapped is not None:
        raise CertificateError(
            _swapped("file " + ("not found" if missing else "cannot be read"), swapped)
        )
    if missing:
        raise CertificateError(f"certificate file not found: {Path(named.given)}")
    raise CertificateError(f"certificate file {Path(named.given)} cannot be read: {reason}")


def _is_the_passphrase(path: str | os.PathLike[str], passphrase: object) -> bool:
    """Whether ``path`` is ``passphrase`` itself, given twice or in both places when swapped:
    whatever the file, its path is then the passphrase, which no message may show."""
    if isinstance(passphrase, bytes):
        return os.fsencode(path) == passphrase
    return isinstance(passphrase, str) and os.fspath(path) == passphrase


def _read_file(path: str | os.PathLike[str]) -> bytes | OSError:
    """The content of the file at ``path``, or why it cannot be read, returned rather than
    raised: the frame raising the error must not hold ``path``, which may be the
    passphrase."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        return exc


def _swapped(problem: str, passphrase: str) -> str:
    """The message for a certificate with ``problem`` whose passphrase is described as
    ``passphrase`` by :func:`_looks_like_a_certificate_path`: the certificate given is
    probably the passphrase, and is not shown."""
    return (
        f"certificate {problem}, and the passphrase given is {passphrase}: are the arguments "
        "swapped? Certificate takes the PKCS#12 file first, then its passphrase"
    )


_CERTIFICATE_SUFFIXES = frozenset({".p12", ".pfx"})


def _looks_like_a_certificate_path(passphrase: object) -> str | None:
    """How to describe ``passphrase`` if it is more likely the path of a PKCS#12 file than a
    passphrase (an existing file, or a name ending in .p12 or .pfx); None otherwise. Only then
    is it shown, since it then is a path and no secret."""
    if not isinstance(passphrase, str | os.PathLike) or not os.fspath(passphrase):
        return None
    path = Path(passphrase)
    if os.path.isfile(path):  # unlike Path.is_file, False for a passphrase too long for a path
        return f"an existing file ({path})"
    if path.suffix.lower() in _CERTIFICATE_SUFFIXES:
        return f"the name of a PKCS#12 file ({path})"
    return None


def _unreadable(source: str, reason: str, secret: _Hidden[object]) -> str:
    """Why ``source`` could not be opened with the passphrase ``secret``, from cryptography's
    ``reason``: it tells a PKCS#12 whose integrity check fails with this passphrase (almost
    always a wrong one, more rarely a damaged file) from data that is not PKCS#12 at all,
    which, given as bytes beside a passphrase that looks like a certificate's path, is
    probably the passphrase itself."""
    if "password" not in reason.lower():
        swapped = _looks_like_a_certificate_path(secret.given) if source == _GIVEN_BYTES else None
        if swapped is not None:
            return _swapped("is not PKCS#12 data", swapped)
        return (
            f"{source} is not PKCS#12 data: the file is damaged or in another format "
            "(a .p12 or .pfx file is needed)"
        )
    if not secret.given:
        return f"{source} could not be opened without a passphrase: give its passphrase"
    return f"{source} could not be opened: the passphrase is wrong (or the file is damaged)"


_OWN_DESCRIPTORS = "/proc/self/fd"
"""Where Linux shows this process's open files as paths that open them again."""


@contextmanager
def _key_file(pem: _Hidden[bytes]) -> Iterator[str]:
    """A path from which :mod:`ssl` reads the PEM bytes ``pem`` holds, valid for the ``with``
    block.

    Where the system allows it, the file has no name on disk at all: it is an anonymous
    in-memory file whose descriptor is closed on the way out, so nothing is left even when
    the process is killed while the key loads (a temporary file's cleanup does not run on
    SIGKILL, nor on a SIGTERM the process does not handle). Elsewhere it is a 0600 file in a
    private (0700) temporary directory, removed on the way out.
    """
    descriptor = _anonymous_file()
    if descriptor is None:
        with tempfile.TemporaryDirectory(prefix="mms-client-") as directory:
            path = os.path.join(directory, "client.pem")
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as file:
                file.write(pem.given)
            yield path
        return
    try:
        with open(descriptor, "wb", closefd=False) as file:
            file.write(pem.given)
        yield f"{_OWN_DESCRIPTORS}/{descriptor}"
    finally:
        os.close(descriptor)


def _anonymous_file() -> int | None:
    """The descriptor of a new anonymous in-memory file that can be opened by path, or None
    where there is none (no ``memfd_create``, no ``/proc``, or a sandbox that refuses it)."""
    if not hasattr(os, "memfd_create") or not os.path.isdir(_OWN_DESCRIPTORS):
        return None
    try:
        return os.memfd_create("mms-client-key", os.MFD_CLOEXEC)
    except OSError:
        return None


def _now() -> datetime:
    """The time the certificate's validity is judged at."""
    return datetime.now(UTC)


def _load_ca_bundle(context: ssl.SSLContext, bundle: Path) -> None:
    try:
        if bundle.is_dir():
            context.load_verify_locations(capath=str(bundle))
        else:
            context.load_verify_locations(cafile=str(bundle))
    except ssl.SSLError as exc:
        raise ConfigurationError(f"CA bundle {bundle} holds no usable certificate: {exc}") from None
    except (OSError, ValueError) as exc:  # a name too long, a NUL in it, a folder out of reach
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigurationError(
            f"verify= names no readable CA bundle ({reason}): {str(bundle)!r}"
        ) from None
