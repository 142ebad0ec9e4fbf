"""The status an ``mms`` command ends with, for the scripts and scheduled jobs that act on it.

A job must tell an MMS that said no (sending the same again gets the same answer) from an MMS
it did not hear from (trying again later may help), and both from a command that is wrong
(nothing was sent, and nothing will be until it is fixed). Every error of the library is
given its status here, from the branch of :mod:`mms_client.errors` it is on, so that every
command says the same thing the same way:

====  ==========================================================================================
0     done
1     the MMS answered, and refused the request, or answered with what the request cannot
      use (list_bsp_resources given the transaction id of another dataset's report)
2     the command or its input is wrong, and nothing was sent: a usage error, a payload that
      breaks the schema, a client type that may not call the operation, a certificate,
      passphrase or setting that cannot work (a server certificate that cannot be verified
      too: no attempt can succeed until the CA bundle is given)
3     the MMS could not be reached, or its answer could not be read (a simulator that is not
      running included); a request that is not read-only may have been processed, as the
      message says
4     the output could not be written: a full disk, a closed standard output, a download
      that ``--out`` cannot take (refused before sending where it can be, as a usage error)
130   interrupted (Ctrl+C, SIGINT)
141   the reader of the output went away (``| head``): as SIGPIPE would have ended it
143   terminated (SIGTERM)
====  ==========================================================================================
"""

from __future__ import annotations

import signal

import click

from mms_client.errors import (
    AudienceError,
    CertificateError,
    ConfigurationError,
    DownloadWriteError,
    MalformedResponseError,
    MMSClientError,
    MMSError,
    PayloadError,
    ServerCertificateError,
    SimulatorStateError,
    TransportError,
)

REFUSED = 1
USAGE = 2  # click's own status for a usage error
UNANSWERED = 3
UNWRITTEN = 4
INTERRUPTED = 128 + signal.SIGINT  # what a shell reports of a process a signal ended
TERMINATED = 128 + signal.SIGTERM
READER_GONE = 128 + 13  # SIGPIPE, which Windows does not name

# the first branch an error is on gives its status: ServerCertificateError before the
# TransportError it derives from, DownloadWriteError before the OSError it also is
_STATUSES: tuple[tuple[type[MMSError], int], ...] = (
    (MMSClientError, REFUSED),
    (ServerCertificateError, USAGE),
    (TransportError, UNANSWERED),
    (MalformedResponseError, UNANSWERED),
    (DownloadWriteError, UNWRITTEN),
    (ConfigurationError, USAGE),
    (CertificateError, USAGE),
    (AudienceError, USAGE),
    (PayloadError, USAGE),
    (SimulatorStateError, USAGE),
)


def status(error: MMSError) -> int:
    """The status a command ends with after ``error``; a usage error for an error this table
    does not know, as one of the library's own checks before sending."""
    return next((code for kind, code in _STATUSES if isinstance(error, kind)), USAGE)


class Failure(click.ClickException):
    """An error of a command, printed as click prints one (``Error: ...`` on standard error),
    ending it with ``status``."""

    def __init__(self, message: str, status: int) -> None:
        from mms_client.cli.tables import visible

        # the message may quote the server (the text of a plain-text reply, a SOAP fault's
        # string): its own line breaks list problems, anything else that would act on the
        # terminal is shown as an escape, as in the tables
        super().__init__("\n".join(visible(line) for line in message.split("\n")))
        self.status = status

    # click's is a class attribute, one status for all its errors; click reads it to end
    @property
    def exit_code(self) -> int:  # type: ignore[override]
        return self.status


def unwritable(exc: OSError, consequence: str | None = None) -> Failure:
    """Output that could not be written for the system's reason in ``exc`` (a full disk), as
    the failure of a command; ``consequence`` says what became of the request all the same."""
    message = f"cannot write: {exc.strerror}"
    return Failure(message if consequence is None else f"{message}; {consequence}", UNWRITTEN)


def failure(error: MMSError, message: str | None = None) -> Failure:
    """``error`` as the failure of a command, with its status; ``message`` (default: the
    error's own) says it in the command's words. A server certificate that only its issuer's
    bundle would verify is said to need ``--ca``, the option the commands take it by."""
    from mms_client.cli.connect import CA_ADVICE

    if message is None:
        message = error.describe(CA_ADVICE) if isinstance(error, TransportError) else str(error)
    return Failure(message, status(error))
