"""The commands' standard streams when what reads them goes away or cannot take more.

A command's status says what happened (:mod:`mms_client.cli.status`); Python and rich would
replace it with 1, a refusal's, when a stream fails: a job running under ``set -o pipefail``
would take a listing cut short by ``head`` for a refusal, and one logging standard error to a
full disk would take any failure for one. So a command whose reader went away ends with the
status a shell gives a process that SIGPIPE ended, as the usual tools do, and a failure whose
message cannot be written keeps its own status.

Nothing here imports rich: every command, ``mms --help`` included, goes through it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from typing import Any, NoReturn, TextIO, cast

from mms_client.cli.status import READER_GONE


def to_nowhere(stream: TextIO) -> None:
    """Send what ``stream`` still holds, and all it is given later, to the null device: so
    that flushing it (at exit too) does not fail again."""
    with suppress(OSError, ValueError):  # ValueError: no descriptor (a test's stream)
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, stream.fileno())
        finally:
            os.close(null)


def reader_gone() -> NoReturn:
    """End the command whose reader went away, with the status of :data:`READER_GONE`."""
    to_nowhere(sys.stdout)
    raise SystemExit(READER_GONE)


@contextmanager
def stderr_dropping_failures() -> Iterator[None]:
    """Standard error, for the time of a command, dropping what it cannot take (a full disk,
    a reader gone) instead of ending the command with Python's status 1; closed (``2>&-``),
    the null device, where click would write its errors to standard output instead, into
    the answer a script reads."""
    stream = sys.stderr
    with ExitStack() as closing:
        if stream is None:
            sys.stderr = closing.enter_context(open(os.devnull, "w", encoding="utf-8"))
        else:
            sys.stderr = _Dropping(stream)
        try:
            yield
        finally:
            sys.stderr = stream


def escaping(stream: TextIO) -> TextIO:
    """``stream``, writing what its encoding cannot carry as Python's escapes (``\\u525d``),
    as standard error does, rather than failing once the MMS has answered: an output in
    another encoding than UTF-8 (Windows' cp932, where it goes to a file or a pipe) carries
    no 剝, a kanji of company names the schemas allow."""
    return cast(TextIO, _Escaping(stream))


class _Escaping:
    """A text stream that writes the characters its encoding lacks as escapes; the rest of
    the stream's interface is the stream's."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except UnicodeEncodeError:  # raised before anything of the text is written
            encoding = self._stream.encoding
            return self._stream.write(text.encode(encoding, "backslashreplace").decode(encoding))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _Dropping:
    """A text stream that stops writing, quietly, once it cannot; the rest of the stream's
    interface is the stream's."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError:
            to_nowhere(self._stream)
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError:
            to_nowhere(self._stream)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
