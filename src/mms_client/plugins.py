"""Audit hooks: see the exact bytes of every request and response.

Participants must often keep a record of what they sent to the market and what came back.
A :class:`Plugin` is called with the complete HTTP body of every attempt, including resends
after a failover and replies that turn out to be errors, so the record is complete and
byte-exact (the signature in a request stays verifiable against the recorded payload).
"""

from __future__ import annotations

import inspect
from typing import BinaryIO

from mms_client.errors import ConfigurationError

HOOKS = ("audit_request", "audit_response", "audit_response_file")
"""The methods of a :class:`Plugin` that the client calls."""


class Plugin:
    """Base class of audit plugins; override any of its hooks.

    Hooks run in the calling thread (or on the event loop for the async client) right
    before a request is sent and right after a response body has been received. They are
    called synchronously, by both clients: a hook written ``async def`` would never run, so a
    client given one refuses it when it is built (a client takes instances of a plugin
    class, not the class), and a plain function that returns a coroutine fails its first call
    (:func:`call_hook`). An exception raised by a hook stops the call and reaches the caller
    unchanged. Raised by :meth:`audit_response` (or :meth:`audit_response_file`) on the answer
    to a request that must not be processed twice (a submit, a cancel, an approval), it also
    carries a note, logged as a warning too, that the MMS may have processed the request: the
    MMS answered it, and the caller must query before sending it again.
    """

    def audit_request(self, mms_request: bytes) -> None:
        """Called with the HTTP body of each request attempt, before it is sent."""

    def audit_response(self, mms_response: bytes) -> None:
        """Called with the HTTP body of each response, whatever its status."""

    def audit_response_file(self, mms_response: BinaryIO) -> None:
        """Called instead of :meth:`audit_response` for a response that was streamed to a
        temporary file (a download with ``to=``); ``mms_response`` reads its exact bytes.

        By default the bytes are read into memory and handed to :meth:`audit_response`, when
        the plugin has one of its own (a plugin that audits requests only reads nothing);
        override this to keep large downloads out of memory (copy the file in chunks).
        """
        hook = self.audit_response
        if getattr(hook, "__func__", None) is not Plugin.audit_response:  # one of its own
            call_hook(self, "audit_response", mms_response.read())


def call_hook(plugin: Plugin, hook: str, argument: bytes | BinaryIO) -> None:
    """Call the ``hook`` of ``plugin`` with ``argument``, as both clients call hooks.

    A hook that hands back an awaitable has done none of its audit: it is a plain function
    returning a coroutine (a lambda around an ``async def``), which the check made when a
    client is built cannot tell from a plain hook. It is refused with
    :class:`~mms_client.errors.ConfigurationError` the first time it is called (before the
    request is sent, for :meth:`Plugin.audit_request`), and its coroutine is closed, so that
    the refusal is the only thing said about it.
    """
    result = getattr(plugin, hook)(argument)
    if result is not None and inspect.isawaitable(result):
        if inspect.iscoroutine(result):
            result.close()
        raise ConfigurationError(
            f"plugins: {type(plugin).__name__}.{hook} returned {type(result).__name__}, which "
            "nothing awaits: plugin hooks are called synchronously, by AsyncMmsClient too, and "
            "must do their work before they return"
        )
