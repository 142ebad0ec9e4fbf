"""Every error the library raises, in one hierarchy.

Callers catch :class:`MMSError` for "anything from this library", or one branch of the tree to
react to one kind of failure.  The branches follow the question a caller asks after a failure:
was my input wrong (nothing was sent), did the MMS refuse it, or did the request not get
through? Of one that did not get through, ``may_have_processed`` (of a
:class:`TransportError` or a :class:`MalformedResponseError`) says whether it is a submit,
cancel or approval that the MMS may have processed all the same, so that it must be queried
for before it is sent again.

    MMSError
    ├── ConfigurationError        the client was given an unusable setting (nothing sent,
    │   │                         or nothing the server could read)
    │   └── DestinationError      ... a ``to=`` where the files of the reply cannot go
    ├── CertificateError          the PKCS#12 could not be used
    ├── AudienceError             this client type may not call the operation (nothing sent)
    ├── PayloadError              the payload breaks a schema rule (nothing sent), or a
    │                             document that was received does
    ├── MalformedResponseError    the reply is not a well-formed MMS answer
    ├── MalformedRequestError     (simulator side) the request is not a well-formed MMS request
    ├── DownloadWriteError        a download saved to disk (``to=``) could not be written
    ├── SimulatorStateError       (simulator) its state folder cannot be used
    │   └── StateFolderInUseError ... because another simulator runs on it
    ├── SimulatorRunError         (simulator) started twice, used while it does not run,
    │                             or its server did not start
    ├── SchemaFilesError          the official schema files named cannot be used
    ├── MMSClientError            the MMS answered and refused
    │   ├── MMSValidationError    ... with Error messages / failed validation
    │   └── MMSServerError        ... with a plain-text (TXT) error or a SOAP fault
    └── TransportError            the request did not get an answer
        ├── ConnectError          never reached the server (safe to resend)
        │   └── ServerCertificateError  ... because the server's certificate could
        │                                   not be verified (sending there again cannot help)
        ├── RequestTimeout        may have reached the server
        ├── ConnectionLostError   the connection broke, or the client was closed, before a
        │                         full answer came (``may_have_processed`` says whether the
        │                         request may have reached the MMS)
        └── HTTPStatusError       the server answered with an HTTP error status
"""

from __future__ import annotations

import copy
import errno
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import UnionType
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

if TYPE_CHECKING:
    from mms_client.judgement import Message
    from mms_client.schema.binding import XmlModel


class MMSError(Exception):
    """Base class of every error raised by mms_client.

    Every error pickles and copies whole, with its message and its attributes, so that it
    crosses a process boundary (a ``ProcessPoolExecutor``, ``multiprocessing``) as the same
    error. Its attributes travel as they are, since each is plain data or payload models
    (the parsed response and items of an :class:`MMSValidationError`), which pickle; the one
    exception is the value of a :class:`FieldError`, which may be anything (see there). What
    Python never pickles with an exception stays behind here too: its traceback and the
    errors chained to it (``__cause__``, ``__context__``).
    """

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception's own reduction rebuilds an error by calling its class with ``args``, which
        # holds the finished message only, while these constructors take the parts a message
        # is made of: it would fail, or format the message a second time. An error is rebuilt
        # from its state instead, without its constructor: a blank instance of its class, then
        # its message, its attributes and, for an OSError, the fields OSError keeps in slots.
        state = {**self.__dict__, "args": self.args}
        if isinstance(self, OSError):
            state.update(
                errno=self.errno,
                strerror=self.strerror,
                filename=self.filename,
                filename2=self.filename2,
            )
        return _blank, (type(self),), state


def _blank(cls: type[MMSError]) -> MMSError:
    """An error of class ``cls`` made without its constructor: what :meth:`MMSError.__reduce__`
    gives its state to."""
    return cls.__new__(cls)


#: How many problems (broken rules, Error messages) the message of an error lists, how many
#: characters of each it shows, and how many of a server's own text. A broken or hostile
#: document can hold millions of problems, or megabytes of text, and a message is printed
#: and logged whole; the error's attributes keep everything.
_LISTED = 20
_ITEM_CHARACTERS = 1000
_TEXT_CHARACTERS = 2000


def _shortened(text: str, limit: int, whole: str | None) -> str:
    """``text`` cut to ``limit`` characters, saying how many more there are, and where they
    all are: ``whole``, the attribute that holds them (None: nowhere the reader can look)."""
    if len(text) <= limit:
        return text
    where = "" if whole is None else f", see {whole}"
    return f"{text[:limit]}... ({len(text) - limit} more characters{where})"


def shown_problem(problem: object, whole: str | None = None) -> str:
    """``problem`` (a broken rule, as a :class:`FieldError` says it with the value given, or
    an Error message) as a message lists it: cut to :data:`_ITEM_CHARACTERS`, since the value
    may be megabytes, saying how many more characters ``whole`` (the attribute that holds the
    problems, if the reader has one) has. The client's errors and the simulator's refusals of
    a payload that breaks the schema show a problem alike."""
    return _shortened(str(problem), _ITEM_CHARACTERS, whole)


def _listed(problems: Sequence[object], whole: str) -> str:
    """The lines of a message that list ``problems``: the first :data:`_LISTED`, each as
    :func:`shown_problem` shows it, then how many more ``whole`` (the attribute holding them
    all) has."""
    lines = [f"\n  - {shown_problem(problem, whole)}" for problem in problems[:_LISTED]]
    if len(problems) > _LISTED:
        lines.append(f"\n  ... and {len(problems) - _LISTED} more (see {whole})")
    return "".join(lines)


MAY_HAVE_PROCESSED = "the MMS may have processed the request: query before sending it again"
"""What an error (or a note) says of a request that must not be processed twice (a submit, a
cancel, an approval) once it may have reached the MMS; the errors that say it have
``may_have_processed`` True."""


def _processed(may_have_processed: bool) -> str:
    """The words :data:`MAY_HAVE_PROCESSED` adds to a message, when it does."""
    return f"; {MAY_HAVE_PROCESSED}" if may_have_processed else ""


def shown_setting(value: object) -> str:
    """A value given for a client setting, as an error about it shows it: a number, a bool or
    None as it is, anything else by its type only. An argument in the wrong place may be the
    passphrase, or the PKCS#12 itself, and a message is printed and logged."""
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    return f"a {type(value).__name__} (not shown)"


def is_number_within(value: object, kinds: type | UnionType, low: float, high: float) -> bool:
    """Whether ``value``, a setting, is a number of ``kinds`` from ``low`` to ``high``: a bool
    is none (Python counts True as 1), nor is NaN, and the type is checked before any
    comparison, so that text ("5") fails here, naming the setting, not in a comparison or in
    httpx. (The client's transport settings and the simulator's server limits are checked by
    this one rule.)"""
    # written so that NaN, which every comparison calls false, fails too
    return (
        not isinstance(value, bool)
        and isinstance(value, kinds)
        and low <= cast(float, value) <= high
    )


CA_ADVICE = "set verify= to the CA bundle that issued it"
"""What to do about a server certificate that only the CA bundle that issued it would verify,
in the library's words (see :meth:`TransportError.describe`)."""


class ConfigurationError(MMSError, ValueError):
    """A client setting cannot work (a malformed URL, an unknown client type, a bad timeout...).

    Raised when the client is built or a call is prepared, before anything is sent (and by the
    simulator's Python interface for an argument it cannot work with); or when
    the server shows that a URL cannot work, by answering a plain-HTTP request in TLS (nothing
    it could read was sent, and sending it again cannot help); or when a plugin's hook, first
    called, turns out to be asynchronous (see :func:`mms_client.plugins.call_hook`).
    """


_Choice = TypeVar("_Choice", bound=StrEnum)


def one_of(choices: type[_Choice], value: str, name: str) -> _Choice:
    """``value``, the argument ``name``, as one of ``choices`` (a member or its value), or a
    :class:`ConfigurationError` naming the argument and every choice, where the enum's own
    ValueError says only that the value is not one. (The client's and the simulator's
    arguments that take one of a few names are checked by this one rule.)"""
    try:
        return choices(value)
    except ValueError:
        allowed = ", ".join(repr(choice.value) for choice in choices)
        raise ConfigurationError(f"{name} must be one of {allowed}; got {value!r}") from None


class DestinationError(ConfigurationError):
    """The files of a reply cannot be saved where ``to=`` says: a folder, a device or a FIFO
    where a file is to be written, a file where a folder is to be, a folder that takes no
    files, or an operation whose answer has no files.

    Raised before anything is sent, except when a file the MMS names is to go where such a
    thing is in the folder of a file download: then when the reply has arrived, and none of
    its files is saved. ``path`` is the destination as given and ``problem`` what is wrong
    with it, so that a caller who knows the destination by another name (the ``mms``
    command's ``--out``) can say so in its own words.
    """

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"to={str(path)!r} {problem}")


class CertificateError(MMSError):
    """The PKCS#12 certificate could not be loaded or used.

    The message names the file and what was wrong; never the passphrase or key material,
    not even a passphrase given in the file's place.
    """


AUDIENCE_ADVICE = "Use a certificate of an allowed client type."
"""What to do about a client type that may not call an operation, in the library's words (see
:meth:`AudienceError.describe`)."""


class AudienceError(MMSError):
    """The client type may not call this operation; nothing was sent."""

    def __init__(self, operation: str, client_type: str, allowed: Sequence[str]) -> None:
        self.operation = operation
        self.client_type = client_type
        self.allowed = tuple(allowed)
        super().__init__(self.describe())

    def describe(self, advice: str = AUDIENCE_ADVICE) -> str:
        """The message, with ``advice`` as what to do: the library's client takes another
        certificate, the ``mms`` command acting as a simulator's user takes another ``--as``."""
        return (
            f"{self.operation} may be called by {', '.join(self.allowed)}; "
            f"this client is {self.client_type}. {advice}"
        )


@dataclass(frozen=True)
class FieldError:
    """One broken rule: where (an XML path such as
    ``MarketData/MarketSubmit/OfferData[1]/@StartTime``), the offending value, and the rule it
    breaks.

    The value is what was given, which may be anything: pickled (or copied), a value that
    cannot itself be pickled (a lock, an open file...) becomes its repr, as the message shows
    it, so that the error holding it still reaches another process.
    """

    path: str
    value: Any
    rule: str

    def __str__(self) -> str:
        if self.value is None:  # a missing field, a whole element: no value worth showing
            return f"{self.path}: {self.rule}"
        return f"{self.path}: {self.rule} (got {self.value!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        import pickle  # here: a client that never pickles an error never loads it

        try:
            pickle.dumps(self.value)
        except Exception:  # whatever pickle fails with: TypeError, PicklingError...
            return FieldError, (self.path, repr(self.value), self.rule)
        return FieldError, (self.path, self.value, self.rule)


class PayloadError(MMSError, ValueError):
    """A payload breaks the schema.

    Raised before anything is sent when a request would be invalid, and when a received
    document does not fit its schema.  ``errors`` lists every broken rule; of a document
    that breaks its schema in over a thousand places, the first thousand and a last one
    counting the rest (a document wrong everywhere would otherwise be held as a record per
    problem). The message lists the first few (see :func:`_listed`) after ``summary``, the
    message's first line (cut as a server's text is, since a summary may name what was
    given, which may be huge).
    """

    def __init__(self, message: str, errors: Sequence[FieldError] = ()) -> None:
        self.summary = message
        self.errors = tuple(errors)
        summary = _shortened(message, _TEXT_CHARACTERS, ".summary")
        super().__init__(f"{summary}{_listed(self.errors, '.errors')}")


class MalformedResponseError(MMSError):
    """The reply could not be read as an MMS answer: HTTP that is not valid (a garbled status
    line, header or chunk), a body with a ``Content-Encoding`` the request did not accept,
    broken MIME, malformed or hostile XML, an unexpected SOAP body, or a document over the size
    limit.

    An unreadable answer is still an answer: the MMS may have processed the request. When
    the client received the reply, ``url`` and ``attempt`` name the attempt that brought it,
    as those of a :class:`TransportError` do, and so does the message's first line, after
    what was wrong. ``may_have_processed`` is then True for a request that must not be
    processed twice (a submit, a cancel, an approval), whose message also says to query before
    sending it again (:data:`MAY_HAVE_PROCESSED`). ``operation`` is the registry name of the
    request. They are None (and False) for a reply read on its own, outside a call.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        attempt: int | None = None,
        operation: str | None = None,
        may_have_processed: bool = False,
    ) -> None:
        self.url = url
        self.attempt = attempt
        self.operation = operation
        self.may_have_processed = may_have_processed
        if url is not None or may_have_processed:
            # what was wrong is the first line (any lines below it give details), which
            # names, as a TransportError's does, what the caller must know and the attempt
            head, newline, details = message.partition("\n")
            where = "" if url is None else f": {url} (attempt {attempt})"
            message = f"{head}{_processed(may_have_processed)}{where}{newline}{details}"
        super().__init__(message)


class MalformedRequestError(MMSError):
    """A received request could not be read as an MMS request: broken MIME, a SOAP body that is
    not ``RequestAttInfo``, a missing payload part, or malformed or hostile XML.

    This is the server-side twin of :class:`MalformedResponseError`; the simulator turns it
    into the error reply the MMS would give.
    """


class DownloadWriteError(MMSError, OSError):
    """A download saved to disk (``to=``) could not be written: the disk or a quota is full,
    the file would be larger than the process may write, the disk failed...

    The reply may well have arrived whole; writing it is what failed, and the download's
    temporary files are removed. The message names the file being written (or, for the
    temporary file the reply is first streamed to, which has no name, the folder it is in)
    and the system's reason. It is an :class:`OSError` too, with that file as ``filename``
    and the system's ``errno`` and ``strerror``.
    """

    def __init__(self, path: Path, error: OSError, where: str | None = None) -> None:
        super().__init__(error.errno, error.strerror, str(path))
        reason = error.strerror or str(error) or type(error).__name__
        advice = _WRITE_ADVICE.get(error.errno or 0, "")
        self._message = f"the download could not be written to {where or path}: {reason}{advice}"

    def __str__(self) -> str:
        return self._message  # not OSError's "[Errno 28] ...", which would hide the message


#: What to do when a download cannot be written, by errno, where there is something to say.
_WRITE_ADVICE = {
    errno.ENOSPC: "; make room on that disk, or save the download elsewhere",
    errno.EFBIG: "; the file would be larger than this process may write (ulimit -f) or the "
    "file system can hold",
    # not every system has disk quotas
    **(
        {errno.EDQUOT: "; the disk quota is used up: make room, or save the download elsewhere"}
        if hasattr(errno, "EDQUOT")
        else {}
    ),
}

NO_ROOM = frozenset(_WRITE_ADVICE)
"""The errno values of a write that found no room: a full disk, a used-up quota, a file
larger than the process or the file system allows."""


class SimulatorStateError(MMSError):
    """The simulator's state folder, or a file in it, cannot be used: damaged, not writable,
    or (:class:`StateFolderInUseError`) in use.

    Neither a client setting nor anything the MMS said, so none of the other branches fits;
    the message names the file and what to do about it.  ``path`` is that file or folder.
    """

    def __init__(self, message: str, path: Path) -> None:
        self.path = path
        super().__init__(message)


class StateFolderInUseError(SimulatorStateError):
    """Another simulator runs on this state folder.

    Two simulators on one folder would each take the other's manifest for their own, and
    clients would be sent to whichever started last.  A caller may wait and try again.
    ``pid`` and ``address`` say who holds it, when it said so.
    """

    def __init__(self, path: Path, pid: int | None = None, address: str | None = None) -> None:
        self.pid = pid
        self.address = address
        holder = ", ".join(
            part for part in (None if pid is None else f"pid {pid}", address) if part is not None
        )
        super().__init__(
            f"the state folder {path} is in use by another simulator"
            + (f" ({holder})" if holder else "")
            + "; stop that one, or use another state folder",
            path,
        )


class SimulatorRunError(MMSError, RuntimeError):
    """The simulator's Python interface was asked for what it cannot do as it runs, or does
    not: to start while it runs, for what only a running simulator has (its manifest,
    addresses, users, clients, store) while it does not, for the backup address of one
    started without it; or its HTTPS server did not start (the error chained to this one, if
    any, says why).

    The message names the method or property asked and what to do (of a server that did
    not start, why not). It is a :class:`RuntimeError` too, Python's class for a call made
    in the wrong state, so that code catching that catches it.
    """


class SchemaFilesError(MMSError):
    """The official schema files cannot be used: a folder named as the schema folder
    (``MMS_SCHEMA_DIR``, or a generator's ``--schema-dir``) lacks ``xsd/`` or a file of it, or
    an XSD in it cannot be read as one.

    Checking documents against what is there would check them against nothing, or fail on
    every document; the message names the folder or file and what it lacks.  ``path`` is
    that folder or file.
    """

    def __init__(self, message: str, path: Path) -> None:
        self.path = path
        super().__init__(message)


class MMSClientError(MMSError):
    """The MMS processed the request and refused it, or answered with what the request cannot
    use (``list_bsp_resources`` given the TransactionId of another dataset's report): sent
    again, the request gets the same answer. The subclasses say which refusal it was; this
    class itself is the second case."""

    def __init__(self, operation: str, message: str) -> None:
        self.operation = operation
        super().__init__(f"{operation}: {message}")


class MMSValidationError(MMSClientError):
    """The MMS reported the request as failed.

    ``messages`` holds every Error, Warning and Information message with the path of the
    element that carried it; ``response`` is the parsed response document and ``items`` its
    answer items, as a :class:`~mms_client.exchange.Response` would hold them, so the items
    that did succeed (of a submit accepted in part) are still available. ``reasons`` says
    what in the reply shows the failure (its statistics, Validation and Success flags...), and
    ``summary`` is the first :data:`_TEXT_CHARACTERS` characters of it, for a one-line account.
    ``transaction_id`` is the reply's TransactionId, where it has one: the MMS's operators
    find a refused request by it as they find an accepted one.

    The message leads with the first few Error messages (see :func:`_listed`), which say what
    to fix, and ends with the reasons; without Error messages, the reasons are all it says.
    """

    def __init__(
        self,
        operation: str,
        message: str,
        messages: Sequence[Message] = (),
        response: XmlModel | None = None,
        items: Sequence[Any] = (),
        transaction_id: str | None = None,
    ) -> None:
        self.messages = tuple(messages)
        self.response = response
        self.items = list(items)
        self.transaction_id = transaction_id
        self.reasons = message
        self.summary = _shortened(message, _TEXT_CHARACTERS, ".reasons")
        errors = [m for m in self.messages if m.severity == "Error"]
        if not errors:
            super().__init__(operation, self.summary)
            return
        listed = _listed(errors, ".messages")
        super().__init__(
            operation, f"the MMS reported {len(errors)} error(s){listed}\n  ({self.summary})"
        )


class MMSServerError(MMSClientError):
    """The MMS answered with a plain-text error (responseDataType TXT) or a SOAP fault.

    ``text`` is what it said, whole; the message shows its first
    :data:`_TEXT_CHARACTERS` characters.
    """

    def __init__(self, operation: str, text: str) -> None:
        self.text = text
        super().__init__(operation, _shortened(text, _TEXT_CHARACTERS, ".text"))


class TransportError(MMSError):
    """The request did not get an MMS answer.

    ``url`` is the endpoint of the last attempt, ``attempt`` its number (1-based) and
    ``status`` the HTTP status when there was one; ``problem`` is what went wrong there, in
    the message before the URL. ``operation`` is the registry name of the request.
    ``may_have_processed`` is True when the request is one that must not be processed twice (a
    submit, a cancel, an approval) and may have reached the MMS: the message then says to query
    before sending it again (:data:`MAY_HAVE_PROCESSED`). It is False for a request that
    provably never reached the server (:class:`ConnectError`), and for a query, which may
    simply be sent again. When the request was tried at more than one host and failed at
    each, ``elsewhere`` holds the last failure at each of the other hosts, which the message
    names too (see :meth:`describe`); the transport adds them with :meth:`failed_elsewhere`.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str,
        attempt: int,
        status: int | None = None,
        operation: str | None = None,
        may_have_processed: bool = False,
    ) -> None:
        self.problem = message
        self.url = url
        self.attempt = attempt
        self.status = status
        self.operation = operation
        self.may_have_processed = may_have_processed
        self.elsewhere: tuple[TransportError, ...] = ()
        super().__init__(self.describe())

    def describe(self, ca_advice: str = CA_ADVICE) -> str:
        """The message, with ``ca_advice`` as what to do about a server certificate that
        only the CA bundle that issued it would verify: the library names ``verify=``, a
        surface that takes the bundle by another name (the ``mms`` command's ``--ca``) names
        that."""
        where = f"{self.url} (attempt {self.attempt}" + (
            f", HTTP {self.status})" if self.status else ")"
        )
        message = f"{self._problem(ca_advice)}{_processed(self.may_have_processed)}: {where}"
        if self.elsewhere:
            others = "; ".join(
                f"{other.url} (attempt {other.attempt}: "
                f"{_shortened(other._problem(ca_advice), _ITEM_CHARACTERS, '.elsewhere')})"
                for other in self.elsewhere
            )
            message += f"; every host was tried and failed, also {others}"
        return message

    def _problem(self, ca_advice: str) -> str:
        """What went wrong at :attr:`url`, worded with ``ca_advice`` where it matters."""
        return self.problem

    def failed_elsewhere(self, others: Sequence[TransportError]) -> Self:
        """This error, for a request that also failed at the other hosts, as ``others``
        (their last failure each) say."""
        error = copy.copy(self)
        error.elsewhere = tuple(others)
        error.args = (error.describe(),)
        return error


class ConnectError(TransportError):
    """The connection could not be made; the request provably never reached the server."""


class ServerCertificateError(ConnectError):
    """The server's TLS certificate could not be verified (an unknown CA, a host name it does
    not cover, an expired certificate), so no request was sent to it.

    Unlike a refused connection this does not go away by waiting: every attempt at that URL
    would fail the same way, so none is made again (the other host, if there is one, is
    tried).  The message gives OpenSSL's reason (``reason``) and what to do: ``remedy`` when
    another CA bundle cannot help (check the clock, use another host name...), and otherwise
    to pass the CA bundle that issued the certificate, as ``verify=`` (or in the words
    :meth:`describe` is given).  Catch it apart from :class:`ConnectError` to tell a setting
    to fix from an outage to wait out.
    """

    def __init__(
        self,
        reason: str,
        *,
        url: str,
        attempt: int,
        remedy: str | None = None,
        operation: str | None = None,
    ) -> None:
        self.reason = reason
        self.remedy = remedy
        super().__init__(
            f"the server's certificate could not be verified ({reason})",
            url=url,
            attempt=attempt,
            operation=operation,
        )

    def _problem(self, ca_advice: str) -> str:
        return f"{self.problem}; {self.remedy or ca_advice}"


class RequestTimeout(TransportError):  # noqa: N818 - the documented public name
    """No answer in time; the server may have received and processed the request."""


class ConnectionLostError(TransportError):
    """The connection broke, or the client was closed, before a full answer arrived.

    Mostly after (part of) the request was sent, so that the server may have processed it;
    a client closed before the request went out sent nothing. ``may_have_processed`` tells
    the two apart for the requests that must not be processed twice."""


class HTTPStatusError(TransportError):
    """The server answered with an HTTP error status instead of an MMS answer.

    ``reason`` is the reason phrase of its status line, whole, as the server sent it; the
    message shows its first :data:`_TEXT_CHARACTERS` characters, as it does of any text a
    server sends (a stand-in for the MMS may put a whole error page there).
    """

    def __init__(
        self,
        reason: str,
        *,
        url: str,
        attempt: int,
        status: int,
        operation: str | None = None,
        may_have_processed: bool = False,
    ) -> None:
        self.reason = reason
        super().__init__(
            f"HTTP {status} {_shortened(reason, _TEXT_CHARACTERS, '.reason')} "
            "instead of an MMS answer",
            url=url,
            attempt=attempt,
            status=status,
            operation=operation,
            may_have_processed=may_have_processed,
        )
