"""Compatibility path for the error classes (``from mms_client.utils.errors import
AudienceError, MMSValidationError, MMSClientError``); the hierarchy lives in
:mod:`mms_client.errors`."""

from mms_client.errors import (
    AudienceError,
    CertificateError,
    ConfigurationError,
    ConnectError,
    ConnectionLostError,
    HTTPStatusError,
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
    "HTTPStatusError",
    "MMSClientError",
    "MMSError",
    "MMSServerError",
    "MMSValidationError",
    "MalformedResponseError",
    "PayloadError",
    "RequestTimeout",
    "ServerCertificateError",
    "TransportError",
]
