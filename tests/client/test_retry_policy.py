"""The failover and resend decisions: never a silent second submit."""

from __future__ import annotations

import math

import pytest
from tenacity import RetryCallState

from mms_client.endpoints import ClientType, Endpoints, Interface, resolve_endpoints
from mms_client.errors import (
    ConfigurationError,
    ConnectError,
    ConnectionLostError,
    HTTPStatusError,
    MalformedResponseError,
    RequestTimeout,
    ServerCertificateError,
)
from mms_client.transport import RetryPolicy, TransportSettings

MAIN = "https://main/axis2/services/MiWebService"
BACKUP = "https://backup/axis2/services/MiWebService"


NEVER_SENT = ConnectError("refused", url=MAIN, attempt=1)
TIMEOUT = RequestTimeout("slow", url=MAIN, attempt=1)
LOST = ConnectionLostError("dropped", url=MAIN, attempt=1)
HTTP_503 = HTTPStatusError("unavailable", status=503, url=MAIN, attempt=1)
HTTP_404 = HTTPStatusError("not found", status=404, url=MAIN, attempt=1)
MALFORMED = MalformedResponseError("garbage")
UNVERIFIED = ServerCertificateError("certificate not verified", url=MAIN, attempt=1)


@pytest.mark.parametrize(
    ("error", "query", "submit"),
    [
        (NEVER_SENT, True, True),
        (UNVERIFIED, True, True),  # safe, since it never left; next_url says whether to
        (TIMEOUT, True, False),
        (LOST, True, False),
        (HTTP_503, True, False),
        (HTTP_404, False, False),
        (MALFORMED, False, False),
        (ValueError("a bug"), False, False),
    ],
)
def test_only_queries_or_requests_that_never_left_are_resent(
    error: Exception, query: bool, submit: bool
) -> None:
    assert RetryPolicy.may_resend(error, resendable=True) is query
    assert RetryPolicy.may_resend(error, resendable=False) is submit


def test_failover_alternates_on_connect_errors_and_5xx_only() -> None:
    policy = RetryPolicy()
    both = Endpoints(MAIN, BACKUP)
    assert policy.next_url(both, MAIN, NEVER_SENT) == BACKUP
    assert policy.next_url(both, BACKUP, HTTP_503) == MAIN
    assert policy.next_url(both, MAIN, TIMEOUT) == MAIN
    assert policy.next_url(both, MAIN, LOST) == MAIN
    assert policy.next_url(Endpoints(MAIN), MAIN, HTTP_503) == MAIN


def test_a_url_whose_certificate_failed_is_not_tried_again() -> None:
    policy = RetryPolicy()
    both = Endpoints(MAIN, BACKUP)
    assert policy.next_url(both, MAIN, UNVERIFIED, {MAIN}) == BACKUP
    assert policy.next_url(both, BACKUP, UNVERIFIED, {MAIN, BACKUP}) is None
    assert policy.next_url(Endpoints(MAIN), MAIN, UNVERIFIED, {MAIN}) is None
    # a failover back to main, whose certificate failed, stays at the backup instead
    assert policy.next_url(both, BACKUP, HTTP_503, {MAIN}) == BACKUP
    assert policy.next_url(both, BACKUP, NEVER_SENT, {MAIN}) == BACKUP


def test_every_wait_before_a_resend_has_its_jitter_once_the_waits_reach_their_cap_too() -> None:
    """The jitter spreads out the resends of many clients that a host's outage failed at
    once; without it at the cap, they would all come back in step, every backoff_max seconds."""
    policy = RetryPolicy(attempts=10, backoff_initial=1, backoff_max=4, backoff_jitter=0.5)
    wait = policy.tenacity_arguments(lambda error: True, lambda state: None)["wait"]
    for attempt, grown in ((1, 1), (2, 2), (3, 4), (4, 4), (9, 4)):
        state = RetryCallState(None, None, (), {})
        state.attempt_number = attempt
        waits = {wait(state) for _ in range(100)}
        assert all(grown <= seconds <= grown + 0.5 for seconds in waits), (attempt, waits)
        assert len(waits) > 1, (attempt, waits)


def test_policy_and_settings_refuse_nonsense() -> None:
    # a bool or text is no number of attempts, whatever Python compares it with
    for attempts, shown in ((0, "0"), (True, "True"), ("3", r"a str \(not shown\)")):
        with pytest.raises(ConfigurationError, match=f"whole number, at least 1, not {shown}"):
            RetryPolicy(attempts=attempts)  # type: ignore[arg-type]
    # a wait longer than time.sleep takes would fail between attempts, naming no setting
    for backoff in ({"backoff_initial": -1}, {"backoff_max": math.inf}, {"backoff_jitter": 1e10},
                    {"backoff_max": math.nan}, {"backoff_initial": "1"}):  # fmt: skip
        with pytest.raises(ConfigurationError, match="back-off times must be from 0 to 604800"):
            RetryPolicy(**backoff)
    with pytest.raises(ConfigurationError, match="positive number of seconds"):
        TransportSettings(timeout=0)


def test_connections_are_not_reused_unless_asked() -> None:
    fresh = TransportSettings().client_arguments()
    assert fresh["limits"].max_keepalive_connections == 0
    assert fresh["headers"]["Connection"] == "close"
    reused = TransportSettings(keep_alive=True).client_arguments()
    assert reused["limits"].max_keepalive_connections > 0
    assert "Connection" not in reused["headers"]


@pytest.mark.parametrize(
    ("client_type", "interface", "main", "backup", "test"),
    [
        (ClientType.BSP, Interface.MI, "www2", "www3", "www4"),
        (ClientType.MO, Interface.MI, "www2", "www3", "www4"),
        (ClientType.BSP, Interface.OMI, "www5", "www6", "www7"),
        (ClientType.TSO, Interface.MI, "maiwlba103v03", "mbiwlba103v03", "mbiwlba103v06"),
        (ClientType.TSO, Interface.OMI, "maiwlba103v07", "mbiwlba103v07", "mbiwlba103v08"),
    ],
)
def test_published_endpoints(
    client_type: ClientType, interface: Interface, main: str, backup: str, test: str
) -> None:
    service = "MiWebService" if interface is Interface.MI else "OmiWebService"
    assert resolve_endpoints(client_type, interface) == Endpoints(
        f"https://{main}.eprx.or.jp/axis2/services/{service}",
        f"https://{backup}.eprx.or.jp/axis2/services/{service}",
    )
    assert resolve_endpoints(client_type, interface, test=True) == Endpoints(
        f"https://{test}.eprx.or.jp/axis2/services/{service}"
    )


def test_base_url_and_backup_url_replace_the_hosts() -> None:
    endpoints = resolve_endpoints(
        ClientType.BSP,
        Interface.OMI,
        base_url="https://127.0.0.1:8443/prefix/",
        backup_url="https://127.0.0.1:8444",
    )
    assert endpoints == Endpoints(
        "https://127.0.0.1:8443/prefix/axis2/services/OmiWebService",
        "https://127.0.0.1:8444/axis2/services/OmiWebService",
    )


@pytest.mark.parametrize(
    ("base_url", "backup_url", "problem"),
    [
        ("127.0.0.1:8443", None, "must look like"),
        ("ftp://host", None, "must look like"),
        ("https://host:99999", None, "is not a URL"),
        ("https://host?x=1", None, "query or fragment"),
        ("https://host", "nope", "backup_url must look like"),
        (None, "https://host", "backup_url needs base_url"),
        (
            "https://host:8443/axis2/services/MiWebService",
            None,
            "base_url is the address the client puts the service path after: give "
            "'https://host:8443', not 'https://host:8443/axis2/services/MiWebService'",
        ),
        (
            "https://host",
            "https://proxy/mms/axis2/services/OmiWebService/",
            "backup_url is the address the client puts the service path after: give "
            "'https://proxy/mms', not",
        ),
        # as a server would read them: in another case, encoded, without the service's name
        ("https://host/AXIS2/Services/MiWebService", None, "give 'https://host', not"),
        ("https://host/mms%2Faxis2%2Fservices%2FMiWebService", None, "give 'https://host/mms'"),
        ("https://host/axis2/services", None, "give 'https://host', not"),
        # ... before letters whose lower case is longer: the address given back is cut there
        ("https://host/%C4%B0%C4%B0/AXIS2/services/", None, "give 'https://host/İİ', not"),
        # an empty query or fragment would take the service path in
        ("https://host/?", None, "must not carry a query or fragment"),
        ("https://host#", None, "must not carry a query or fragment"),
        ("https://host:0", None, "names port 0"),
    ],
)
def test_bad_urls_are_configuration_errors(
    base_url: str | None, backup_url: str | None, problem: str
) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        resolve_endpoints(ClientType.BSP, Interface.MI, base_url=base_url, backup_url=backup_url)
