"""Client, command-line tool and local simulator for the EPRX Market Management System (MMS).

The public names are resolved lazily so that ``import mms_client`` stays cheap: the payload
models, lxml, httpx and cryptography are imported only when a name that needs them is used.
"""

from __future__ import annotations

from mms_client.lazy import lazy_names

# Not imported from typing: ``import mms_client`` should not even pay for that module.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from mms_client.calls import CreatedReport
    from mms_client.client import AsyncMmsClient, MmsClient
    from mms_client.endpoints import ClientType, Interface
    from mms_client.errors import (
        AudienceError,
        CertificateError,
        ConfigurationError,
        ConnectError,
        ConnectionLostError,
        DestinationError,
        DownloadWriteError,
        FieldError,
        HTTPStatusError,
        MalformedRequestError,
        MalformedResponseError,
        MMSClientError,
        MMSError,
        MMSServerError,
        MMSValidationError,
        PayloadError,
        RequestTimeout,
        ServerCertificateError,
        TransportError,
    )
    from mms_client.exchange import Response
    from mms_client.files import DownloadedFile
    from mms_client.judgement import Message, Statistics
    from mms_client.operations import OPERATIONS
    from mms_client.plugins import Plugin
    from mms_client.schema import parse_payload
    from mms_client.security.certs import Certificate
    from mms_client.transport import RetryPolicy
    from mms_client.wire.soap import Attachment

_ERRORS = (
    "AudienceError",
    "CertificateError",
    "ConfigurationError",
    "ConnectError",
    "ConnectionLostError",
    "DestinationError",
    "DownloadWriteError",
    "HTTPStatusError",
    "MMSClientError",
    "MMSError",
    "MMSServerError",
    "MMSValidationError",
    "MalformedRequestError",
    "MalformedResponseError",
    "PayloadError",
    "RequestTimeout",
    "ServerCertificateError",
    "TransportError",
)

# public name -> module that defines it
_LAZY: dict[str, str] = {
    "MmsClient": "mms_client.client",
    "AsyncMmsClient": "mms_client.client",
    "Certificate": "mms_client.security.certs",
    "ClientType": "mms_client.endpoints",
    "Interface": "mms_client.endpoints",
    "Plugin": "mms_client.plugins",
    "Response": "mms_client.exchange",
    "Message": "mms_client.judgement",
    "Statistics": "mms_client.judgement",
    "CreatedReport": "mms_client.calls",
    "DownloadedFile": "mms_client.files",
    "FieldError": "mms_client.errors",
    "RetryPolicy": "mms_client.transport",
    "OPERATIONS": "mms_client.operations",
    "parse_payload": "mms_client.schema",
    "Attachment": "mms_client.wire.soap",
    **dict.fromkeys(_ERRORS, "mms_client.errors"),
}

__all__ = [
    "OPERATIONS",
    "AsyncMmsClient",
    "Attachment",
    "AudienceError",
    "Certificate",
    "CertificateError",
    "ClientType",
    "ConfigurationError",
    "ConnectError",
    "ConnectionLostError",
    "CreatedReport",
    "DestinationError",
    "DownloadWriteError",
    "DownloadedFile",
    "FieldError",
    "HTTPStatusError",
    "Interface",
    "MMSClientError",
    "MMSError",
    "MMSServerError",
    "MMSValidationError",
    "MalformedRequestError",
    "MalformedResponseError",
    "Message",
    "MmsClient",
    "PayloadError",
    "Plugin",
    "RequestTimeout",
    "Response",
    "RetryPolicy",
    "ServerCertificateError",
    "Statistics",
    "TransportError",
    "parse_payload",
]


# Defined at run time only (see lazy_names): type checkers see the imports above.
if not TYPE_CHECKING:
    __getattr__ = lazy_names(__name__, _LAZY, globals())


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
