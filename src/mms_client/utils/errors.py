"""Compatibility path for the error classes (``from mms_client.utils.errors import
AudienceError, MMSValidationError, MMSClientError``); the hierarchy lives in
:mod:`mms_client.errors`. It offers the errors `mms_client` itself offers."""

from mms_client.errors import (
    AudienceError,
    CertificateError,
    ConfigurationError,
    ConnectError,
    ConnectionLostError,
    DestinationError,
    DownloadWriteError,
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

__all__ = [
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
]
