"""Who is calling (client type), which SOAP service (interface), and where the MMS lives.

The MMS runs one SOAP service per interface (MI for market, registration and reports; OMI for
the "other market information" operations), on separate hosts for BSP/MO and for TSO, each
with a main, a backup and a test host. The tables below are the published addresses.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import unquote, urlsplit

from mms_client.errors import ConfigurationError


class ClientType(StrEnum):
    """The role of the certificate holder; it decides which operations may be called."""

    BSP = "BSP"
    """Balancing service provider (a market participant that offers reserve)."""
    MO = "MO"
    """Market operator."""
    TSO = "TSO"
    """Transmission system operator."""


class Interface(StrEnum):
    """The SOAP service an operation belongs to."""

    MI = "MI"
    """Market interface: market, registration and report operations."""
    OMI = "OMI"
    """Other market information interface (remaining reserve, baseline loads, refunds...)."""


SERVICE_PATHS: dict[Interface, str] = {
    Interface.MI: "/axis2/services/MiWebService",
    Interface.OMI: "/axis2/services/OmiWebService",
}

_SERVICE_PATH = re.compile(re.escape("/axis2/services/"), re.IGNORECASE)
"""Where the path of every service starts (:data:`SERVICE_PATHS`), in any case, as a server
that does not mind the case of a directory reads it."""


@dataclass(frozen=True)
class Hosts:
    main: str
    backup: str
    test: str


# BSP and MO share the public hosts; TSOs have their own.
_HOSTS: dict[tuple[bool, Interface], Hosts] = {
    (False, Interface.MI): Hosts("www2.eprx.or.jp", "www3.eprx.or.jp", "www4.eprx.or.jp"),
    (False, Interface.OMI): Hosts("www5.eprx.or.jp", "www6.eprx.or.jp", "www7.eprx.or.jp"),
    (True, Interface.MI): Hosts(
        "maiwlba103v03.eprx.or.jp", "mbiwlba103v03.eprx.or.jp", "mbiwlba103v06.eprx.or.jp"
    ),
    (True, Interface.OMI): Hosts(
        "maiwlba103v07.eprx.or.jp", "mbiwlba103v07.eprx.or.jp", "mbiwlba103v08.eprx.or.jp"
    ),
}


@dataclass(frozen=True)
class Endpoints:
    """The service URLs one request may be sent to: ``main`` first, then ``backup`` (if any)."""

    main: str
    backup: str | None = None


def hosts(client_type: ClientType, interface: Interface) -> Hosts:
    """The published MMS hosts for this client type and interface."""
    return _HOSTS[(client_type is ClientType.TSO, interface)]


def resolve_endpoints(
    client_type: ClientType,
    interface: Interface,
    *,
    test: bool = False,
    base_url: str | None = None,
    backup_url: str | None = None,
) -> Endpoints:
    """The URLs of the ``interface`` service.

    Without ``base_url`` these are the published production hosts (main and backup), or the
    test host when ``test`` is set (the test environment has no backup). ``base_url`` and
    ``backup_url`` (``scheme://host[:port][/prefix]``, e.g. a local simulator) replace them; the
    service path is appended to each. ``test`` with ``base_url`` would have no effect, and is
    refused rather than ignored, as both say which MMS to talk to.
    """
    path = SERVICE_PATHS[interface]
    check_addresses(test, base_url, backup_url)
    if base_url is not None:
        backup = None if backup_url is None else check_base_url(backup_url, "backup_url") + path
        return Endpoints(check_base_url(base_url, "base_url") + path, backup)
    published = hosts(client_type, interface)
    if test:
        return Endpoints(f"https://{published.test}{path}")
    return Endpoints(f"https://{published.main}{path}", f"https://{published.backup}{path}")


def check_addresses(
    test: bool,
    base_url: str | None,
    backup_url: str | None,
    names: tuple[str, str, str] = ("test=True", "base_url", "backup_url"),
) -> None:
    """Refuse settings of which MMS to talk to that cannot go together: ``test`` with
    ``base_url`` would have no effect, and ``backup_url`` alone is a backup of nothing but
    the published hosts, which have one. ``names`` are the settings' names in messages (the
    arguments, or the options of a command)."""
    test_name, base_name, backup_name = names
    if test and base_url is not None:
        raise ConfigurationError(
            f"{test_name} and {base_name} both say which MMS to talk to; give one"
        )
    if backup_url is not None and base_url is None:
        raise ConfigurationError(
            f"{backup_name} needs {base_name}; the published hosts have a backup"
        )


_UNPRINTABLE = re.compile(r"[\x00-\x20\x7f]")
"""Characters no URL holds as they are (spaces and control characters)."""
_USER_INFO = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.\-]*:)?(?://)?[^/?#]*@")
"""The start of a URL whose host is preceded by a user name (and password), with or without
its scheme (``bob:secret@host`` as well)."""


def check_base_url(url: str, setting: str) -> str:
    """``url`` without a trailing slash, after checking that a service path can follow it;
    ``setting`` names it in the error (the argument, or the option of a command)."""
    if _USER_INFO.match(url):
        # the MMS knows its callers by their certificates; a password in the URL would only
        # be shown wherever the URL is (the client's repr, errors, logs): it is not repeated
        raise ConfigurationError(
            f"{setting} must not carry a user name or password (the client certificate says "
            "who is calling)"
        )
    if _UNPRINTABLE.search(url):
        # a URL read from a file or a variable often ends in a newline; httpx would refuse
        # it only at the first request, in words of its own
        raise ConfigurationError(
            f"{setting} must not hold spaces or control characters; got {url!r}"
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError as exc:
        raise ConfigurationError(f"{setting} {url!r} is not a URL: {exc}") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigurationError(
            f"{setting} must look like https://host[:port][/prefix]; got {url!r}"
        )
    if parts.port == 0:
        raise ConfigurationError(f"{setting} names port 0, which nothing listens on; got {url!r}")
    if "?" in url or "#" in url:  # an empty query or fragment too
        # the query is not shown: it is where a URL would carry a token or a password
        raise ConfigurationError(
            f"{setting} must not carry a query or fragment; got "
            f"{parts._replace(query='', fragment='').geturl()!r} with one"
        )
    # as a server would read the path: decoded (and not minding case, see _SERVICE_PATH)
    path = unquote(parts.path)
    service = _SERVICE_PATH.search(path + "/")
    if service is not None:
        # the URL of a service, as the MMS documents it: with the client's own service path
        # after it, every request would go to a path that does not exist
        address = parts._replace(path=path[: service.start()]).geturl()
        raise ConfigurationError(
            f"{setting} is the address the client puts the service path after: give "
            f"{address!r}, not {url!r}"
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        # plain HTTP carries the signed payload in clear and no client certificate, so the
        # MMS cannot tell who sends it; only a stand-in on this machine may be spoken to so
        raise ConfigurationError(
            f"{setting} must use https (plain http only for a stand-in on this machine); "
            f"got {url!r}"
        )
    return url.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
