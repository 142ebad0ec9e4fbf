"""The clients against the simulator over real HTTPS with mutual TLS.

Faults are injected on the simulator's side (HTTP 5xx, delays, dropped connections, broken
replies) to check what the client does with them, and the simulator's journal tells how often
a request really reached it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import errno
import functools
import gc
import importlib.abc
import itertools
import logging
import os
import pickle
import re
import signal
import socket
import ssl
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, suppress
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from mms_client.client import AsyncMmsClient, MmsClient
from mms_client.endpoints import ClientType
from mms_client.errors import (
    AudienceError,
    CertificateError,
    ConfigurationError,
    ConnectError,
    ConnectionLostError,
    HTTPStatusError,
    MalformedResponseError,
    MMSServerError,
    MMSValidationError,
    PayloadError,
    RequestTimeout,
    ServerCertificateError,
    TransportError,
)
from mms_client.examples import example_request
from mms_client.exchange import Response
from mms_client.jst import JST
from mms_client.plugins import Plugin
from mms_client.schema.generated.mpr import ResourceQuery
from mms_client.sim import seed
from mms_client.transport import RetryPolicy
from mms_client.types.market import MarketType
from mms_client.types.offer import Direction, OfferCancel, OfferData, OfferQuery, OfferStack
from mms_client.wire.soap import Attachment

from .conftest import NO_WAIT, Recorder, free_port

if TYPE_CHECKING:
    from mms_client.sim.simulator import Simulator

PUT = "MarketSubmit_OfferData"
QUERY = "MarketQuery_OfferQuery"


def offer(day: dt.date, resource: str = "FAKE_RESO", hour: int = 12) -> OfferData:
    start = dt.datetime.combine(day, dt.time(hour))
    return OfferData(
        stack=[OfferStack(number=1, unit_price=100, minimum_quantity_kw=100)],
        resource=resource,
        start=start,
        end=start + dt.timedelta(hours=3),
        direction=Direction.SELL,
    )


_UNUSED_DAYS = itertools.count(1)


@pytest.fixture
def day() -> dt.date:
    """A trading day no other test of the session uses (the session simulator keeps state)."""
    return dt.date(2030, 1, 1) + dt.timedelta(days=next(_UNUSED_DAYS))


def client(sim: Simulator, **options: Any) -> MmsClient:
    return sim.client(**{"retry": NO_WAIT, **options})


def test_the_compatible_example_runs_unchanged(fresh_mms_simulator: Simulator) -> None:
    """DESIGN.md's example with the established import paths; the client is built from the
    simulator's manifest, adding only base_url and verify."""
    from datetime import datetime as DateTime  # noqa: N812 - the name DESIGN.md uses

    from mms_client.client import MmsClient
    from mms_client.security.certs import Certificate
    from mms_client.types.market import MarketType
    from mms_client.types.offer import Direction, OfferData, OfferStack
    from mms_client.utils.web import ClientType

    user = fresh_mms_simulator.manifest.user("BSP")
    client = MmsClient(
        domain="mms-client.example",
        participant=user.participant,
        user=user.user,
        client_type=ClientType.BSP,
        cert=Certificate(user.p12, user.passphrase),
        base_url=fresh_mms_simulator.base_url,
        verify=str(fresh_mms_simulator.ca),
    )
    with client:
        request_offer = OfferData(
            stack=[OfferStack(number=1, unit_price=100, minimum_quantity_kw=100)],
            resource="FAKE_RESO",
            start=DateTime(2024, 3, 15, 12),
            end=DateTime(2024, 3, 15, 21),
            direction=Direction.SELL,
        )
        response_offer = client.put_offer(
            request=request_offer, market_type=MarketType.DAY_AHEAD, days=1
        )

        assert response_offer.resource == "FAKE_RESO"
        assert response_offer.start == DateTime(2024, 3, 15, 12, tzinfo=JST)
        assert response_offer.validation == "PASSED" and response_offer.success is True
        assert response_offer.stack[0].id  # the MMS assigned an offer id

        query = OfferQuery(market_type=MarketType.DAY_AHEAD, resource="FAKE_RESO")
        [stored] = client.query_offers(query, 1, dt.date(2024, 3, 15))  # by position, too
    assert stored.stack[0].id == response_offer.stack[0].id
    assert stored.end == DateTime(2024, 3, 15, 21, tzinfo=JST)


def test_offer_life_cycle_put_query_cancel(fresh_mms_simulator: Simulator, day: dt.date) -> None:
    with client(fresh_mms_simulator) as bsp:
        first, second = bsp.put_offers(
            [offer(day), offer(day, "FAKE_RESO2", 15)], MarketType.DAY_AHEAD, date=day
        )
        assert first.stack[0].id != second.stack[0].id
        query = OfferQuery(market_type=MarketType.DAY_AHEAD)
        assert len(bsp.query_offers(query, date=day)) == 2

        cancelled = bsp.cancel_offer(
            OfferCancel(resource="FAKE_RESO", start=first.start, end=first.end, market_type="DAM"),
            MarketType.DAY_AHEAD,
            date=day,
        )
        assert cancelled.success is True
        assert [o.resource for o in bsp.query_offers(query, date=day)] == ["FAKE_RESO2"]

        response = bsp.call(QUERY, query, date=day, days=1)
        assert [o.resource for o in response.items] == ["FAKE_RESO2"]
        assert response.statistics is not None and response.statistics.transaction_id


def test_business_refusal_is_a_validation_error_with_messages(
    mms_simulator: Simulator, day: dt.date
) -> None:
    with client(mms_simulator) as bsp, pytest.raises(MMSValidationError) as caught:
        bsp.put_offer(offer(day, "OTHER_RESO"), MarketType.DAY_AHEAD, date=day)
    errors = [m for m in caught.value.messages if m.severity == "Error"]
    assert errors and all(m.code for m in errors)
    assert any(m.path.startswith("MarketData/MarketSubmit/OfferData") for m in errors)
    assert caught.value.response is not None  # the parsed reply travels with the error


# the MMS's verdict in a payload: its attributes, its messages and its counts
VERDICT_ON_THE_WIRE = re.compile(rb' (?:Validation|ValidationStatus|Success)="|<Messages>|<Process')


@pytest.mark.parametrize("way", ["put_offer", "call"])
@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
async def test_an_offer_read_from_a_reply_changed_and_sent_back_goes_without_the_verdict(
    mms_simulator: Simulator, day: dt.date, way: str, asynchronous: bool
) -> None:
    """Read, change, send back: the offer the MMS answered holds its verdict (Validation,
    Success, Messages), which the request leaves out, the MMS's and not the sender's; the
    caller's offer keeps it."""
    with client(mms_simulator) as bsp:
        placed = bsp.put_offer(offer(day), MarketType.DAY_AHEAD, date=day)
    assert placed.validation == "PASSED" and placed.success is True and placed.messages
    placed.stack[0].unit_price = Decimal(120)
    as_read = placed.model_dump()

    envelope: dict[str, Any] = {"market_type": MarketType.DAY_AHEAD, "date": day}
    answer: OfferData | Response
    if asynchronous:
        async with mms_simulator.async_client(retry=NO_WAIT) as async_bsp:
            if way == "put_offer":
                answer = await async_bsp.put_offer(placed, **envelope)
            else:
                answer = await async_bsp.call(PUT, placed, **envelope)
    else:
        with client(mms_simulator) as bsp:
            if way == "put_offer":
                answer = bsp.put_offer(placed, **envelope)
            else:
                answer = bsp.call(PUT, placed, **envelope)

    sent = mms_simulator.requests[-1].payload
    assert sent is not None and b'OfferUnitPrice="120"' in sent
    assert VERDICT_ON_THE_WIRE.findall(sent) == []
    assert placed.model_dump() == as_read
    [again] = [answer] if isinstance(answer, OfferData) else answer.items
    assert again.validation == "PASSED" and again.stack[0].unit_price == 120


def test_a_registration_read_from_a_query_changed_and_sent_back_goes_without_the_verdict(
    fresh_mms_simulator: Simulator,
) -> None:
    """Read, change, send back, for a registration: the resource a query found and the one
    the MMS answered its registration with (Validation, Success) are sent again without the
    MMS's verdict; the caller's item keeps it. A fresh simulator: registering the resource
    awaiting approval again replaces its registration."""
    with client(fresh_mms_simulator) as bsp:
        [found] = bsp.query_resources(ResourceQuery(resource_name=seed.PENDING_RESOURCE))
        found.resource_short_name = "新水力"
        registered = bsp.put_resource(found)
        first = fresh_mms_simulator.requests[-1].payload
        assert registered.validation == "PASSED" and registered.success is True
        registered.resource_short_name = "新揚水"
        as_read = registered.model_dump()
        again = bsp.put_resource(registered)
        second = fresh_mms_simulator.requests[-1].payload

    for sent, short_name in ((first, "新水力"), (second, "新揚水")):
        assert sent is not None and f'ResourceShortName="{short_name}"'.encode() in sent
        assert VERDICT_ON_THE_WIRE.findall(sent) == []
    assert registered.model_dump() == as_read
    assert again.validation == "PASSED" and again.resource_short_name == "新揚水"


def test_cancel_of_an_unknown_offer_fails(mms_simulator: Simulator, day: dt.date) -> None:
    start = dt.datetime.combine(day, dt.time(3))
    unknown = OfferCancel(
        resource="FAKE_RESO", start=start, end=start + dt.timedelta(hours=3), market_type="DAM"
    )
    with client(mms_simulator) as bsp, pytest.raises(MMSValidationError):
        bsp.cancel_offer(unknown, MarketType.DAY_AHEAD, date=day)


def test_tso_put_offer_is_refused_with_nothing_sent(mms_simulator: Simulator, day: dt.date) -> None:
    before = mms_simulator.count(processed=False)
    recorder = Recorder()
    refused = pytest.raises(AudienceError, match="may be called by BSP; this client is TSO")
    with client(mms_simulator, client_type="TSO", plugins=[recorder]) as tso, refused:
        tso.put_offer(offer(day), MarketType.DAY_AHEAD)
    assert mms_simulator.count(processed=False) == before
    assert recorder.requests == []


def test_a_certificate_that_expired_while_the_client_ran_is_refused_with_nothing_sent(
    mms_simulator: Simulator, day: dt.date, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A service outlives the certificate it loaded (renewed yearly): its calls say so, before
    sending, rather than meeting the MMS's refusal of the TLS handshake at every attempt."""
    from mms_client.security import certs

    before = mms_simulator.count(processed=False)
    recorder = Recorder()
    certificate = mms_simulator.user("BSP").certificate()
    expiry = certificate.not_valid_after
    with client(mms_simulator, plugins=[recorder]) as bsp:
        monkeypatch.setattr(certs, "_now", lambda: expiry + dt.timedelta(days=1), raising=False)
        with pytest.raises(CertificateError) as refused:
            bsp.query_offers(OfferQuery(market_type=MarketType.DAY_AHEAD), date=day)
    expired = f"certificate {certificate.subject} expired on {expiry:%Y-%m-%d %H:%M} UTC"
    assert expired in str(refused.value)
    assert mms_simulator.count(processed=False) == before
    assert recorder.requests == []


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_a_certificate_not_valid_yet_refused_at_the_handshake_is_named_in_the_error(
    mms_simulator: Simulator, not_yet_valid_p12: Path, day: dt.date, flavour: str
) -> None:
    """A clock behind makes a good certificate look not valid yet, which only warns, for the
    server may accept it; when the server breaks the handshake off, which does not say why,
    the error says what the client knows of it."""
    from mms_client.security.certs import Certificate, CertificateWarning

    user = mms_simulator.user("BSP")
    with pytest.warns(CertificateWarning):
        certificate = Certificate(not_yet_valid_p12, user.passphrase)
    arguments: dict[str, Any] = {
        "domain": "mms-client.example", "participant": user.participant, "user": user.user,
        "client_type": ClientType.BSP, "cert": certificate, "retry": NO_WAIT,
        "base_url": mms_simulator.base_url, "backup_url": None, "verify": str(mms_simulator.ca),
    }  # fmt: skip
    query = OfferQuery(market_type=MarketType.DAY_AHEAD)

    async def in_async() -> None:
        async with AsyncMmsClient(**arguments) as bsp:
            await bsp.query_offers(query, date=day)

    with pytest.raises(ConnectError) as refused:
        if flavour == "async":
            asyncio.run(in_async())
        else:
            with MmsClient(**arguments) as bsp:
                bsp.query_offers(query, date=day)
    start = f"{certificate.certificate.not_valid_before_utc:%Y-%m-%d %H:%M} UTC"
    assert (
        f"; the client certificate {certificate.subject} is valid only from {start}: check "
        "the local clock"
    ) in str(refused.value)
    assert refused.value.attempt == NO_WAIT.attempts


def test_invalid_offer_is_refused_with_nothing_sent(mms_simulator: Simulator, day: dt.date) -> None:
    before = mms_simulator.count(processed=False)
    bad = {**offer(day).model_dump(), "resource": "not valid!"}
    with client(mms_simulator) as bsp, pytest.raises(PayloadError, match="ResourceName"):
        bsp.call(PUT, bad, market_type=MarketType.DAY_AHEAD, date=day)
    assert mms_simulator.count(processed=False) == before


def test_a_request_without_its_item_is_refused_with_nothing_sent(
    mms_simulator: Simulator, day: dt.date
) -> None:
    before = mms_simulator.count(processed=False)
    with client(mms_simulator) as bsp:
        with pytest.raises(PayloadError, match="MarketQuery_OfferQuery needs at least one item"):
            bsp.query_offers(None, date=day)  # type: ignore[arg-type]
        with pytest.raises(PayloadError, match="ReportDownloadRequestTrnID needs at least one"):
            bsp.download_report(None)  # type: ignore[arg-type]
        with pytest.raises(PayloadError, match="MarketSubmit_OfferData needs at least one"):
            bsp.put_offers([], MarketType.DAY_AHEAD, date=day)
        # None for a list: no item; None in a list: that item, by its place
        with pytest.raises(PayloadError, match="needs at least one item") as caught:
            bsp.put_offers(None, MarketType.DAY_AHEAD, date=day)  # type: ignore[arg-type]
        assert caught.value.errors[0].value is None
        with pytest.raises(PayloadError, match="an item given is None") as caught:
            bsp.put_offers([offer(day), None], MarketType.DAY_AHEAD, date=day)  # type: ignore[list-item]
        assert [e.path for e in caught.value.errors] == ["MarketData/MarketSubmit/OfferData[2]"]
    assert mms_simulator.count(processed=False) == before


async def test_offers_and_cancels_are_refused_before_sending_without_their_market_type(
    mms_simulator: Simulator, day: dt.date
) -> None:
    """The MMS refuses an offer or a cancel without the envelope's MarketType, and a cancel
    whose item names another market than the envelope: the client sends neither."""
    cancel = OfferCancel(
        resource="FAKE_RESO", start=offer(day).start, end=offer(day).end, market_type="DCM"
    )
    before = mms_simulator.count(processed=False)
    missing = "needs market_type: the MMS refuses"
    with client(mms_simulator) as bsp:
        with pytest.raises(PayloadError, match=f"MarketSubmit_OfferData {missing}") as caught:
            bsp.put_offer(offer(day), None, date=day)  # type: ignore[arg-type]
        assert [e.path for e in caught.value.errors] == ["MarketData/MarketSubmit/@MarketType"]
        with pytest.raises(PayloadError, match=f"MarketCancel_OfferCancel {missing}"):
            bsp.cancel_offer(cancel, None, date=day)  # type: ignore[arg-type]
        with pytest.raises(PayloadError, match=missing):
            bsp.call(PUT, offer(day), date=day)
        with pytest.raises(PayloadError, match="market_type is DAM but OfferCancel says DCM"):
            bsp.cancel_offer(cancel, MarketType.DAY_AHEAD, date=day)
    async with mms_simulator.async_client(retry=NO_WAIT) as async_bsp:
        with pytest.raises(PayloadError, match=missing):
            await async_bsp.put_offer(offer(day), None, date=day)  # type: ignore[arg-type]
        with pytest.raises(PayloadError, match="market_type is DAM but OfferCancel says DCM"):
            await async_bsp.cancel_offer(cancel, "DAM", date=day)  # type: ignore[arg-type]
    assert mms_simulator.count(processed=False) == before


def test_an_unknown_interface_is_refused_naming_the_argument(mms_simulator: Simulator) -> None:
    before = mms_simulator.count(processed=False)
    query = OfferQuery(market_type=MarketType.DAY_AHEAD)
    refused = "interface must be one of 'MI', 'OMI'; got 'FOO'"
    unknown = pytest.raises(ConfigurationError, match=refused)
    with client(mms_simulator) as bsp, unknown:
        bsp.call(QUERY, query, interface="FOO")
    assert mms_simulator.count(processed=False) == before


def test_a_model_meant_for_another_method_is_refused_naming_that_method(
    mms_simulator: Simulator,
) -> None:
    """A report asked for by file name, given to the method that downloads by transaction id:
    the error names the class that method takes and the method that takes the one given."""
    by_file_name = example_request("ReportDownloadRequest").payload
    before = mms_simulator.count(processed=False)
    with client(mms_simulator) as bsp:
        with pytest.raises(PayloadError) as caught:
            bsp.download_report(by_file_name)  # type: ignore[arg-type]
        assert mms_simulator.count(processed=False) == before  # nothing was sent
        assert bsp.download_report_file(by_file_name).rows()  # the method named takes it
    assert str(caught.value).startswith(
        "download_report takes ReportDownloadRequestTrnID, not ReportDownloadRequest\n"
    )
    [error] = caught.value.errors
    assert (error.path, error.value) == (
        "MarketReport/ReportDownloadRequestTrnID",
        "ReportDownloadRequest(...)",
    )
    assert error.rule == (
        "should be mms_client.schema.generated.mi_report.ReportDownloadRequestTrnID; "
        "ReportDownloadRequest is what download_report_file takes"
    )


def test_a_datetime_given_as_the_envelope_date_is_taken_on_its_day_in_japan(
    mms_simulator: Simulator,
) -> None:
    query = OfferQuery(market_type=MarketType.DAY_AHEAD)
    midnight_in_japan = dt.datetime(2024, 3, 31, 15, tzinfo=dt.UTC)
    with client(mms_simulator) as bsp:
        for given in (midnight_in_japan, dt.datetime(2024, 4, 1)):  # naive: Japan time already
            bsp.query_offers(query, 1, given)
            payload = mms_simulator.requests[-1].payload or b""
            assert payload.startswith(b'<MarketData><MarketQuery Date="2024-04-01" ')
        before = mms_simulator.count(processed=False)
        midnight_in_auckland = dt.datetime(2024, 4, 1, tzinfo=ZoneInfo("Pacific/Auckland"))
        with pytest.raises(PayloadError, match="midnight in Japan time") as refused:
            bsp.query_offers(query, 1, midnight_in_auckland)  # 2024-03-31 20:00 in Japan
    assert [e.path for e in refused.value.errors] == ["MarketData/MarketQuery/@Date"]
    assert mms_simulator.count(processed=False) == before


def test_text_with_a_time_given_as_the_envelope_date_is_taken_on_its_day_in_japan(
    mms_simulator: Simulator,
) -> None:
    """The offset of ISO text counts, as a datetime's does: pydantic took the date as written,
    sending 2024-04-01 for 23:00 on 31 March in Japan."""
    query = OfferQuery(market_type=MarketType.DAY_AHEAD)
    with client(mms_simulator) as bsp:
        bsp.query_offers(query, 1, "2024-03-31T15:00:00Z")  # type: ignore[arg-type]
        payload = mms_simulator.requests[-1].payload or b""
        assert payload.startswith(b'<MarketData><MarketQuery Date="2024-04-01" ')
        before = mms_simulator.count(processed=False)
        for not_midnight_in_japan in ("2024-04-01T00:00:00+10:00", "2024-04-01T00:00:00-04:00"):
            with pytest.raises(PayloadError, match="midnight in Japan time") as refused:
                bsp.query_offers(query, 1, not_midnight_in_japan)  # type: ignore[arg-type]
            assert [e.path for e in refused.value.errors] == ["MarketData/MarketQuery/@Date"]
    assert mms_simulator.count(processed=False) == before


def test_offer_times_given_as_text_go_out_in_japan_time_and_numbers_are_refused(
    mms_simulator: Simulator, day: dt.date
) -> None:
    """A number was taken as seconds since 1970 (20240401 went out as 1970-08-23T15:20:01),
    and a time with no Japan time raised OverflowError."""
    start = dt.datetime.combine(day, dt.time(12), tzinfo=JST)
    document = offer(day).model_dump(mode="json", by_alias=True)
    in_utc = start.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    with client(mms_simulator) as bsp:
        bsp.call(PUT, {**document, "StartTime": in_utc}, market_type="DAM", date=day)
        payload = mms_simulator.requests[-1].payload or b""
        assert f'StartTime="{day}T12:00:00"'.encode() in payload
        before = mms_simulator.count(processed=False)
        for given, rule in [
            (20240401, "should be a date and time: "),
            ("20240401", "should be a date and time: "),
            ("9999-12-31T20:00:00Z", "cannot be moved to Japan time: "),
        ]:
            with pytest.raises(PayloadError) as refused:
                bsp.call(PUT, {**document, "StartTime": given}, market_type="DAM", date=day)
            [error] = refused.value.errors
            assert (error.path, error.value) == (
                "MarketData/MarketSubmit/OfferData[1]/@StartTime",
                given,
            )
            assert error.rule.startswith(rule)
    assert mms_simulator.count(processed=False) == before


def test_an_offer_ending_at_hour_24_as_the_schema_writes_it_ends_at_the_next_midnight(
    mms_simulator: Simulator, day: dt.date
) -> None:
    """XML Schema writes the end of a day as 24:00:00, the way the last block of a day is
    said in Japan; pydantic knows no hour 24, so such an offer was refused before sending."""
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=JST)
    document = offer(day).model_dump(mode="json", by_alias=True)
    last_block = {**document, "StartTime": f"{day}T23:30:00", "EndTime": f"{day}T24:00:00"}
    with client(mms_simulator) as bsp:
        [answer] = bsp.call(PUT, last_block, market_type="DAM", date=day).items
        payload = mms_simulator.requests[-1].payload or b""
        assert f'EndTime="{midnight.date()}T00:00:00"'.encode() in payload
        assert answer.end == midnight
        query = OfferQuery(market_type=MarketType.DAY_AHEAD, resource="FAKE_RESO")
        [stored] = bsp.query_offers(query, 1, day)
    assert (stored.start, stored.end) == (midnight - dt.timedelta(minutes=30), midnight)


NOT_A_DATE = (
    "should be a date: a datetime.date, a datetime at midnight in Japan time, or an ISO string "
    'such as "2026-11-25"'
)


@pytest.mark.parametrize(
    "given",
    [20261125, "20261125", 1764028800],  # the last is 2025-11-25 00:00 UTC in Unix seconds
    ids=["int", "digits", "unix-time"],
)
def test_a_number_given_as_the_envelope_date_is_refused_saying_what_a_date_is(
    mms_simulator: Simulator, given: int | str
) -> None:
    """pydantic would take a number as seconds since 1970: 20261125 was refused as a datetime
    that is not midnight in Japan, and 1764028800 went out as 2025-11-25."""
    query = OfferQuery(market_type=MarketType.DAY_AHEAD)
    before = mms_simulator.count(processed=False)
    with client(mms_simulator) as bsp, pytest.raises(PayloadError) as refused:
        bsp.query_offers(query, 1, given)  # type: ignore[arg-type]
    [error] = refused.value.errors
    assert (error.path, error.value, error.rule) == (
        "MarketData/MarketQuery/@Date",
        given,
        NOT_A_DATE,
    )
    assert f"{NOT_A_DATE} (got {given!r})" in str(refused.value)
    assert mms_simulator.count(processed=False) == before


def test_certificate_of_another_identity_gets_the_servers_txt_error(
    mms_simulator: Simulator, day: dt.date
) -> None:
    """F100's certificate used to speak for F200: the MMS refuses it before reading further."""
    impostor = MmsClient(
        domain="example.com",
        participant="F200",
        user="FAKEUSER",
        client_type="BSP",
        cert=mms_simulator.user("BSP", "F100").certificate(),
        base_url=mms_simulator.base_url,
        verify=str(mms_simulator.ca),
    )
    with impostor, pytest.raises(MMSServerError, match=QUERY):
        impostor.query_offers(OfferQuery(market_type=MarketType.DAY_AHEAD), date=day)


async def test_clients_are_built_without_a_key_file_in_the_temporary_folder(
    mms_simulator: Simulator, day: dt.date, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process killed while it builds clients (SIGKILL, or a SIGTERM it does not handle
    runs no cleanup) must not leave the key behind: nothing is created in the temporary folder
    while the key loads, and both clients still authenticate with it (mutual TLS)."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    temporary_files: list[list[Path]] = []
    load = ssl.SSLContext.load_cert_chain

    def load_noting_the_temporary_folder(context: ssl.SSLContext, *args: Any, **kwargs: Any) -> Any:
        temporary_files.append(sorted(tmp_path.rglob("*")))
        return load(context, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_cert_chain", load_noting_the_temporary_folder)
    query = OfferQuery(market_type=MarketType.DAY_AHEAD, resource="FAKE_RESO")
    with client(mms_simulator) as bsp:
        assert bsp.query_offers(query, date=day) == []
    async with mms_simulator.async_client(retry=NO_WAIT) as async_bsp:
        assert await async_bsp.query_offers(query, date=day) == []
    assert temporary_files == [[], []]


def test_query_fails_over_to_backup_after_5xx_and_plugins_see_every_attempt(
    mms_simulator: Simulator, day: dt.date
) -> None:
    recorder = Recorder()
    mms_simulator.inject("http_error", operation=QUERY, endpoint="main", status=503)
    with client(mms_simulator, plugins=[recorder]) as bsp:
        assert bsp.query_offers(OfferQuery(market_type=MarketType.DAY_AHEAD), date=day) == []
    assert mms_simulator.count(QUERY, "main", processed=False) >= 1
    assert len(recorder.requests) == 2
    assert recorder.requests[0] == recorder.requests[1]  # the same signed bytes, resent
    assert len(recorder.responses) == 2
    assert b"ResponseAttInfo" in recorder.responses[1]


def test_submit_is_not_resent_after_a_5xx(mms_simulator: Simulator, day: dt.date) -> None:
    before = mms_simulator.count(PUT, processed=False)
    mms_simulator.inject("http_error", operation=PUT, endpoint="main", status=502)
    with client(mms_simulator) as bsp, pytest.raises(HTTPStatusError) as caught:
        bsp.put_offer(offer(day), MarketType.DAY_AHEAD, date=day)
    assert (caught.value.status, caught.value.attempt) == (502, 1)
    assert caught.value.url.startswith(mms_simulator.base_url)
    assert mms_simulator.count(PUT, processed=False) == before + 1


def test_submit_timeout_is_reported_and_never_resent(
    mms_simulator: Simulator, day: dt.date
) -> None:
    before = mms_simulator.count(PUT)
    mms_simulator.inject("delay", operation=PUT, seconds=5)
    with client(mms_simulator, timeout=0.5) as bsp, pytest.raises(RequestTimeout) as caught:
        bsp.put_offer(offer(day), MarketType.DAY_AHEAD, date=day)
    assert caught.value.attempt == 1
    assert mms_simulator.count(PUT) == before + 1  # processed exactly once


def test_submit_with_a_dropped_connection_is_not_resent(
    mms_simulator: Simulator, day: dt.date
) -> None:
    before = mms_simulator.count(PUT)
    mms_simulator.inject("drop_after", operation=PUT)
    with client(mms_simulator) as bsp, pytest.raises(ConnectionLostError):
        bsp.put_offer(offer(day), MarketType.DAY_AHEAD, date=day)
    assert mms_simulator.count(PUT) == before + 1


@pytest.mark.parametrize("fault", ["drop_before", "drop_after", "delay"])
def test_queries_are_retried(mms_simulator: Simulator, day: dt.date, fault: str) -> None:
    before = mms_simulator.count(QUERY, processed=False)
    mms_simulator.inject(fault, operation=QUERY, seconds=5 if fault == "delay" else 0)
    with client(mms_simulator, timeout=1) as bsp:
        assert bsp.query_offers(OfferQuery(market_type=MarketType.DAY_AHEAD), date=day) == []
    assert mms_simulator.count(QUERY, processed=False) == before + 2


def test_submit_fails_over_when_main_refuses_connections(
    mms_simulator: Simulator, day: dt.date
) -> None:
    """Connection refused proves the request never left, so even a submit may go to backup."""
    before = mms_simulator.count(PUT)
    dead = f"https://127.0.0.1:{free_port()}"
    with client(mms_simulator, base_url=dead, backup_url=mms_simulator.base_url) as bsp:
        accepted = bsp.put_offer(offer(day, hour=6), MarketType.DAY_AHEAD, date=day)
    assert accepted.stack[0].id
    assert mms_simulator.count(PUT) == before + 1


@contextmanager
def silent_host() -> Iterator[str]:
    """The URL of a host that takes TCP connections and never says a word: the TLS handshake
    hangs until the client gives up."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()  # the kernel completes connections; nobody accepts them
        yield f"https://127.0.0.1:{listener.getsockname()[1]}"


async def test_an_async_submit_fails_over_from_a_host_whose_tls_handshake_hangs(
    mms_simulator: Simulator, day: dt.date
) -> None:
    """The handshake never finished, so no byte of the request left: as after a refused
    connection, the submit goes to the backup, once."""
    recorder = Recorder()
    before = mms_simulator.count(PUT)
    with silent_host() as silent:
        failing_over = mms_simulator.async_client(
            base_url=silent,
            backup_url=mms_simulator.base_url,
            timeout=2,
            retry=NO_WAIT,
            plugins=[recorder],
        )
        async with failing_over as bsp:
            accepted = await bsp.put_offer(offer(day, hour=9), MarketType.DAY_AHEAD, date=day)
    assert accepted.stack[0].id
    assert len(recorder.requests) == 2  # one attempt at the silent host, one at the backup
    assert mms_simulator.count(PUT) == before + 1


@pytest.mark.parametrize("driver", ["sync", "async"])
def test_a_tls_handshake_that_hangs_is_a_connect_error(
    mms_simulator: Simulator, day: dt.date, driver: str
) -> None:
    """Nothing reached the server, so nothing is said about it having processed the submit."""
    options: dict[str, Any] = {"backup_url": None, "timeout": 1, "retry": NO_WAIT}
    with silent_host() as silent, pytest.raises(ConnectError) as caught:
        options["base_url"] = silent
        if driver == "sync":
            with client(mms_simulator, **options) as bsp:
                bsp.put_offer(offer(day), MarketType.DAY_AHEAD, date=day)
        else:

            async def put() -> None:
                async with mms_simulator.async_client(**options) as bsp:
                    await bsp.put_offer(offer(day), MarketType.DAY_AHEAD, date=day)

            asyncio.run(put())
    assert caught.value.url.startswith(silent)
    assert caught.value.attempt == NO_WAIT.attempts  # it never left, so it was sent again
    assert str(caught.value).startswith(
        "could not connect: the connection and its TLS handshake were not done within 1 second: "
    )
    assert MAY_HAVE_PROCESSED not in str(caught.value)


@contextmanager
def slow_host(target: str, pause: float) -> Iterator[str]:
    """The URL of a relay to ``target`` that is slow to connect to and slow in the TLS
    handshake, though no wait for it is long.

    Its queue of connections to accept is full (the kernel holds one, unaccepted) when the
    client knocks, so the kernel drops the client's first SYN and the client's TCP sends it
    again a second later, its initial retransmission timeout. The relay then hands the client
    the server's first flight of the handshake in two halves, each ``pause`` seconds late, and
    everything else at once."""
    host, port = urlsplit(target).netloc.rsplit(":", 1)

    def pipe(source: socket.socket, sink: socket.socket, first_flight: bool) -> None:
        with suppress(OSError):
            while chunk := source.recv(65536):
                if first_flight:
                    half = len(chunk) // 2
                    for part in (chunk[:half], chunk[half:]):
                        time.sleep(pause)
                        sink.sendall(part)
                    first_flight = False
                else:
                    sink.sendall(chunk)
        with suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def relay(accepted: socket.socket) -> None:
        with accepted, socket.create_connection((host, int(port))) as upstream:
            down = threading.Thread(target=pipe, args=(upstream, accepted, True))
            down.start()
            pipe(accepted, upstream, False)
            down.join()

    with socket.socket() as listener, socket.socket() as filler:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        filler.connect(listener.getsockname())  # fills the queue

        def serve() -> None:
            time.sleep(pause)  # the client's first SYN meets the full queue meanwhile
            with suppress(OSError):  # the listener closed: the test is over
                listener.accept()[0].close()  # the filler
                while True:
                    threading.Thread(target=relay, args=(listener.accept()[0],)).start()

        threading.Thread(target=serve, daemon=True).start()
        yield f"https://127.0.0.1:{listener.getsockname()[1]}"
        listener.shutdown(socket.SHUT_RDWR)


@pytest.mark.parametrize("driver", ["sync", "async"])
def test_a_submit_whose_connection_outlasts_its_attempt_fails_over(
    mms_simulator: Simulator, day: dt.date, driver: str
) -> None:
    """Connecting and the TLS handshake each took less than the connect timeout, but both
    together more than the attempt may take, so the attempt's deadline passed before a byte of
    the request left: the request never reached the server, so the submit goes to the backup
    host, once, as after a handshake that never ended."""
    recorder = Recorder()
    before = mms_simulator.count(PUT)
    with slow_host(mms_simulator.base_url, pause=0.3) as slow:
        options: dict[str, Any] = {
            "base_url": slow,
            "backup_url": mms_simulator.base_url,
            "timeout": 1.5,
            "retry": NO_WAIT,
            "plugins": [recorder],
        }
        if driver == "sync":
            with client(mms_simulator, **options) as bsp:
                accepted = bsp.put_offer(offer(day, hour=15), MarketType.DAY_AHEAD, date=day)
        else:

            async def put() -> OfferData:
                async with mms_simulator.async_client(**options) as bsp:
                    return await bsp.put_offer(offer(day, hour=15), MarketType.DAY_AHEAD, date=day)

            accepted = asyncio.run(put())
    assert accepted.stack[0].id
    assert len(recorder.requests) == 2  # one attempt through the relay, one at the backup
    assert mms_simulator.count(PUT) == before + 1


def test_unreachable_mms_is_a_connect_error_after_all_attempts(mms_simulator: Simulator) -> None:
    dead = f"https://127.0.0.1:{free_port()}"
    unreachable = client(mms_simulator, base_url=dead, backup_url=None)
    with unreachable as bsp, pytest.raises(ConnectError) as caught:
        bsp.query_offers(OfferQuery(market_type=MarketType.DAY_AHEAD))
    assert caught.value.attempt == NO_WAIT.attempts
    assert caught.value.url.startswith(dead)


def test_mms_down_at_both_hosts_names_each_with_its_failure(mms_simulator: Simulator) -> None:
    """Main and backup refuse connections: the error names the last attempt's host, and
    also that every host failed, the other one with why, not only in the log."""
    main, backup = (f"https://127.0.0.1:{free_port()}" for _ in range(2))
    unreachable = client(mms_simulator, base_url=main, backup_url=backup)
    with unreachable as bsp, pytest.raises(ConnectError) as caught:
        bsp.query_offers(OfferQuery(market_type=MarketType.DAY_AHEAD))
    assert (caught.value.url, caught.value.attempt) == (f"{main}/axis2/services/MiWebService", 3)
    [other] = caught.value.elsewhere
    assert (type(other), other.url, other.attempt) == (
        ConnectError,
        f"{backup}/axis2/services/MiWebService",
        2,
    )
    assert re.fullmatch(
        r"could not connect \(.+\): "
        + re.escape(f"{main}/axis2/services/MiWebService (attempt 3); ")
        + re.escape(f"every host was tried and failed, also {backup}/axis2/services/MiWebService ")
        + r"\(attempt 2: could not connect \(.+\)\)",
        str(caught.value),
    ), str(caught.value)
    copied = pickle.loads(pickle.dumps(caught.value))  # as it leaves a worker process
    assert (str(copied), copied.elsewhere[0].url) == (str(caught.value), other.url)


async def test_async_client_names_every_host_that_failed(mms_simulator: Simulator) -> None:
    main, backup = (f"https://127.0.0.1:{free_port()}" for _ in range(2))
    unreachable = mms_simulator.async_client(base_url=main, backup_url=backup, retry=NO_WAIT)
    async with unreachable as bsp:
        with pytest.raises(ConnectError) as caught:
            await bsp.query_offers(OfferQuery(market_type=MarketType.DAY_AHEAD))
    assert caught.value.url.startswith(main)
    assert [other.url for other in caught.value.elsewhere] == [
        f"{backup}/axis2/services/MiWebService"
    ]
    assert f"every host was tried and failed, also {backup}/" in str(caught.value)


def test_a_refused_connection_is_named_in_the_systems_words_by_both_clients(
    mms_simulator: Simulator,
) -> None:
    """The async driver wraps the system's refusal in words of its own ("All connection
    attempts failed"); both clients say what the system said."""
    dead = f"https://127.0.0.1:{free_port()}"
    options: dict[str, Any] = {"base_url": dead, "backup_url": None, "retry": NO_WAIT}
    with client(mms_simulator, **options) as bsp, pytest.raises(ConnectError) as sync_caught:
        bsp.query_offers(OfferQuery(market_type=MarketType.DAY_AHEAD))

    async def query() -> None:
        async with mms_simulator.async_client(**options) as async_bsp:
            await async_bsp.query_offers(OfferQuery(market_type=MarketType.DAY_AHEAD))

    with pytest.raises(ConnectError) as async_caught:
        asyncio.run(query())
    refused = f"[Errno {errno.ECONNREFUSED}] {os.strerror(errno.ECONNREFUSED)}"
    for caught in (sync_caught, async_caught):
        assert str(caught.value).startswith(f"could not connect ({refused}): {dead}/"), str(
            caught.value
        )
    assert str(async_caught.value) == str(sync_caught.value)


def test_plain_http_to_the_simulators_https_port_suggests_https(mms_simulator: Simulator) -> None:
    """The simulator hangs up on plain HTTP without a word, as a stand-in that fell over
    would: the query is sent again, as after any broken connection, and the error says what
    the hang-up may mean."""
    address = mms_simulator.base_url.removeprefix("https://")
    before = mms_simulator.count(processed=False)
    plain = client(mms_simulator, base_url=f"http://{address}", backup_url=None)
    with plain as bsp, pytest.raises(ConnectionLostError) as caught:
        bsp.query_offers(OfferQuery(market_type=MarketType.DAY_AHEAD))
    # the hang-up arrives as a close or, when the server is quicker, as a reset
    assert re.match(
        r"the connection broke \((Server disconnected without sending a response\.|"
        r"\[Errno 104\] Connection reset by peer)\); a server that speaks HTTPS only hangs up "
        + re.escape(f"on plain HTTP like this: if this one does, use https://{address}: ")
        + re.escape(f"http://{address}/"),
        str(caught.value),
    ), str(caught.value)
    assert caught.value.attempt == NO_WAIT.attempts
    assert mms_simulator.count(processed=False) == before  # nothing reached it


UNVERIFIED = (
    r"^the server's certificate could not be verified \(self.signed certificate in certificate "
    r"chain\); set verify= to the CA bundle that issued it: https://"
)
"""The error when the CA bundle does not hold the simulator's CA: OpenSSL's reason, and what
to do."""


@pytest.mark.parametrize("backup", [True, False], ids=["with-backup", "main-only"])
def test_server_certificate_is_verified_by_default_and_each_host_tried_once(
    mms_simulator: Simulator, caplog: pytest.LogCaptureFixture, backup: bool
) -> None:
    """The system's CAs did not issue the simulator's certificate. Sending again to a host
    that failed verification cannot succeed, so it is not retried as a refused connection
    is; only the other host, if there is one, gets its one try."""
    recorder = Recorder()
    hosts = [mms_simulator.base_url, *([mms_simulator.backup_url] if backup else [])]
    before = mms_simulator.count(processed=False)
    unverified = client(
        mms_simulator, verify=True, plugins=[recorder], backup_url=hosts[1] if backup else None
    )
    with (
        caplog.at_level(logging.WARNING, logger="mms_client.transport"),
        unverified as bsp,
        pytest.raises(ServerCertificateError, match=UNVERIFIED) as caught,
    ):
        bsp.query_offers(OfferQuery(market_type=MarketType.DAY_AHEAD))
    assert isinstance(caught.value, ConnectError)  # what callers caught before, still
    assert caught.value.attempt == len(hosts) == len(recorder.requests)
    assert caught.value.url.startswith(hosts[-1])
    failed = [record.getMessage() for record in caplog.records]
    if backup:  # attempt 1, at main, failed; the one retry went to the backup
        [retried] = failed
        assert retried.startswith("attempt 1 failed (the server's certificate could not be")
        assert f": {hosts[0]}/axis2/" in retried and retried.endswith(f"at {caught.value.url}")
    else:
        assert failed == []
    assert mms_simulator.count(processed=False) == before  # no request reached it


async def test_async_client_gives_up_on_an_unverifiable_certificate_the_same_way(
    mms_simulator: Simulator, day: dt.date
) -> None:
    """A submit, which a refused connection would send again, too: one try at each host."""
    recorder = Recorder()
    before = mms_simulator.count(processed=False)
    unverified = mms_simulator.async_client(verify=True, plugins=[recorder], retry=NO_WAIT)
    async with unverified as bsp:
        with pytest.raises(ServerCertificateError, match=UNVERIFIED) as caught:
            await bsp.put_offer(offer(day), MarketType.DAY_AHEAD, date=day)
    assert caught.value.attempt == 2 == len(recorder.requests)
    assert caught.value.url.startswith(mms_simulator.backup_url)
    assert mms_simulator.count(processed=False) == before


MAY_HAVE_PROCESSED = "the MMS may have processed the request: query before sending it again"


def test_malformed_reply_is_a_malformed_response_error(
    mms_simulator: Simulator, day: dt.date
) -> None:
    """A query may be sent again, so its unreadable reply names the attempt and no more."""
    mms_simulator.inject("malformed", operation=QUERY)
    with client(mms_simulator) as bsp, pytest.raises(MalformedResponseError) as caught:
        bsp.query_offers(OfferQuery(market_type=MarketType.DAY_AHEAD), date=day)
    assert (caught.value.url, caught.value.attempt) == (bsp.endpoints().main, 1)
    assert f": {caught.value.url} (attempt 1)" in str(caught.value)
    assert MAY_HAVE_PROCESSED not in str(caught.value)
    # where the reply broke, said once
    assert len(re.findall(r"line \d+, column \d+", str(caught.value))) == 1


def test_an_unreadable_reply_to_a_submit_warns_that_the_mms_may_have_processed_it(
    fresh_mms_simulator: Simulator,
) -> None:
    """The simulator switches the 500 kW and then answers with a broken envelope: sending the
    switch again would switch them twice, so the error says to query first, and where the
    reply came from, like a broken connection does."""
    switch = example_request("MarketSubmit_Switch")
    fresh_mms_simulator.inject("malformed", operation="MarketSubmit_Switch", times=1)
    with client(fresh_mms_simulator) as bsp, pytest.raises(MalformedResponseError) as caught:
        bsp.put_switch(switch.payload, **switch.envelope)
    assert fresh_mms_simulator.count("MarketSubmit_Switch") == 1  # processed, and only once
    url = bsp.endpoints().main
    assert (caught.value.url, caught.value.attempt) == (url, 1)
    first, *details = str(caught.value).splitlines()
    assert first.startswith("unreadable MMS reply: the SOAP envelope is not acceptable XML")
    assert first.endswith(f"; {MAY_HAVE_PROCESSED}: {url} (attempt 1)")
    assert details and all(line.startswith("  - line 1, column ") for line in details)
    # what was wrong is said once: in the message, not again by an error chained to it
    assert str(caught.value).count("unreadable") == 1
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


FAILURES: list[tuple[str, str, dict[str, Any], type[Exception], bool]] = [
    # (operation, fault, options of the client, error, whether the MMS may have processed it)
    (PUT, "http_error", {"backup_url": None}, HTTPStatusError, True),
    (PUT, "drop_after", {}, ConnectionLostError, True),
    (PUT, "delay", {"timeout": 0.5}, RequestTimeout, True),
    (PUT, "malformed", {}, MalformedResponseError, True),
    (PUT, "refused", {}, ConnectError, False),  # never reached the server
    (PUT, "wrong_path", {}, HTTPStatusError, False),  # 404: the MMS never saw it
    (QUERY, "http_error", {"backup_url": None}, HTTPStatusError, False),  # resent at will
    (QUERY, "malformed", {}, MalformedResponseError, False),
]


@pytest.mark.parametrize(
    ("operation", "fault", "options", "kind", "may_have_processed"),
    FAILURES,
    ids=[f"{operation.split('_')[0]}-{fault}" for operation, fault, *_ in FAILURES],
)
def test_an_error_says_by_its_attributes_whether_the_mms_may_have_processed_the_request(
    mms_simulator: Simulator,
    day: dt.date,
    operation: str,
    fault: str,
    options: dict[str, Any],
    kind: type[Exception],
    may_have_processed: bool,
) -> None:
    """A caller tells a request that did not go out from one that may have been processed,
    without reading messages: ``may_have_processed`` is True exactly when the message says to
    query before sending again, and ``operation`` names the request."""
    if fault == "refused":
        options = {"base_url": f"https://127.0.0.1:{free_port()}", "backup_url": None}
    elif fault == "wrong_path":
        options = {"base_url": mms_simulator.base_url + "/mms", "backup_url": None}
    else:
        # as many times as the client tries: a fault left over would meet another test
        tries = NO_WAIT.attempts if kind is HTTPStatusError and operation == QUERY else 1
        mms_simulator.inject(fault, operation=operation, times=tries, seconds=5, status=503)
    with client(mms_simulator, **options) as bsp, pytest.raises(kind) as caught:
        if operation == PUT:
            bsp.put_offer(offer(day, hour=9), MarketType.DAY_AHEAD, date=day)
        else:
            bsp.query_offers(OfferQuery(market_type=MarketType.DAY_AHEAD), date=day)
    error = caught.value
    assert isinstance(error, TransportError | MalformedResponseError)
    assert error.may_have_processed is may_have_processed
    assert (MAY_HAVE_PROCESSED in str(error)) is may_have_processed
    assert error.operation == operation


def test_a_base_url_that_misses_the_service_is_an_http_404_at_once(
    mms_simulator: Simulator, day: dt.date
) -> None:
    """A 4xx is not an outage: no resend, no failover; the error names the URL."""
    wrong = mms_simulator.base_url + "/mms"
    with client(mms_simulator, base_url=wrong) as bsp, pytest.raises(HTTPStatusError) as caught:
        bsp.query_offers(OfferQuery(market_type=MarketType.DAY_AHEAD), date=day)
    assert (caught.value.status, caught.value.attempt) == (404, 1)
    assert caught.value.url == wrong + "/axis2/services/MiWebService"


def test_oversized_reply_is_refused(mms_simulator: Simulator, day: dt.date) -> None:
    refused = pytest.raises(MalformedResponseError, match="exceeds 200 bytes")
    with client(mms_simulator, max_response_bytes=200) as bsp, refused:
        bsp.query_offers(OfferQuery(market_type=MarketType.DAY_AHEAD), date=day)


def test_call_by_name_reaches_any_operation_of_the_registry(
    mms_simulator: Simulator, day: dt.date
) -> None:
    with client(mms_simulator) as bsp:
        response = bsp.call(
            "MarketQuery_OfferQuery", {"MarketType": "DAM", "ResourceName": "FAKE_RESO"}, date=day
        )
    assert response.operation.name == QUERY
    assert response.items == []


def test_call_takes_envelope_attributes_by_xml_name(mms_simulator: Simulator, day: dt.date) -> None:
    query = {"MarketType": "DAM"}
    with client(mms_simulator) as bsp:
        bsp.call("MarketQuery_OfferQuery", query, Date=day, NumOfDays=2)
        sent = mms_simulator.requests[-1].payload
        assert f'<MarketQuery Date="{day}" NumOfDays="2"'.encode() in sent
        with pytest.raises(PayloadError, match="Date is given twice"):
            bsp.call("MarketQuery_OfferQuery", query, Date=day, date=day)


@pytest.mark.parametrize(
    ("operation", "given", "name"),
    [
        (QUERY, {"validation": "FAILED", "success": "false"}, "Validation"),
        (QUERY, {"Validation": "PASSED"}, "Validation"),
        # a bool is refused as the verdict it is, not as a flag no request carries
        (QUERY, {"Success": True}, "Success"),
        ("ReportListRequest", {"validation_status": "PASSED"}, "ValidationStatus"),
    ],
)
async def test_the_mms_verdict_is_refused_in_a_request_envelope_before_sending(
    mms_simulator: Simulator, operation: str, given: dict[str, Any], name: str
) -> None:
    """Validation, Success and ValidationStatus are the MMS's verdict, which the envelope's
    schema has for the reply: given to a request, by either name, they went out as given."""
    example = example_request(operation)
    envelope = {**example.envelope, **given}
    model = example.operation.envelope_model.__name__
    refused = f"{model}'s {name} is the MMS's verdict, which its reply carries; a request gives"
    before = mms_simulator.count(processed=False)
    with client(mms_simulator) as bsp, pytest.raises(PayloadError, match=refused) as caught:
        bsp.call(operation, example.payload, **envelope)
    [error] = caught.value.errors
    assert (error.path, error.rule) == (name, "the MMS sets it in its reply, not a request")
    async with mms_simulator.async_client(retry=NO_WAIT) as async_bsp:
        with pytest.raises(PayloadError, match=refused):
            await async_bsp.call(operation, example.payload, **envelope)
    assert mms_simulator.count(processed=False) == before


async def test_async_client_shares_the_core(fresh_mms_simulator: Simulator, day: dt.date) -> None:
    recorder = Recorder()
    fresh_mms_simulator.inject("http_error", operation=QUERY, endpoint="main")
    client: AsyncMmsClient = fresh_mms_simulator.async_client(retry=NO_WAIT, plugins=[recorder])
    async with client as bsp:
        accepted = await bsp.put_offer(offer(day), MarketType.DAY_AHEAD, date=day)
        found = await bsp.query_offers(OfferQuery(market_type=MarketType.DAY_AHEAD), date=day)
        with pytest.raises(AudienceError):
            await bsp.call("MarketSubmit_ReserveRequirement", {})
    assert [o.stack[0].id for o in found] == [accepted.stack[0].id]
    assert len(recorder.requests) == 3  # put, query on main (503), query on backup


def connections_to(simulator: Simulator) -> int:
    """How many TCP connections to the simulator this process holds open: its sockets
    (``/proc/self/fd``) that the kernel's tables list with the simulator's port at the far
    end. A socket is counted until it is closed, whatever the server did with its side."""
    return connections_to_urls(simulator.base_url, simulator.backup_url)


def connections_to_urls(*urls: str | None) -> int:
    """How many TCP connections this process holds open to the ports of ``urls``
    (:func:`connections_to`)."""
    ports = {urlsplit(url).port for url in urls if url}
    far_ends: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with suppress(FileNotFoundError), open(table) as lines:
            for line in itertools.islice(lines, 1, None):
                fields = line.split()  # sl local_address rem_address st ... uid timeout inode
                if int(fields[2].rsplit(":", 1)[1], 16) in ports:
                    far_ends.add(fields[9])
    own = set()
    for descriptor in Path("/proc/self/fd").iterdir():
        with suppress(OSError):  # closed meanwhile (the one iterdir itself used)
            own.add(os.readlink(descriptor).removeprefix("socket:[").removesuffix("]"))
    return len(own & far_ends)


@pytest.mark.skipif(not Path("/proc/net/tcp").is_file(), reason="counts sockets through /proc")
def test_an_async_client_keeping_connections_serves_one_event_loop_after_another(
    fresh_mms_simulator: Simulator, day: dt.date
) -> None:
    """Each asyncio.run gets connections of its own, closed when it ends, since none could
    close them later; the client still works in the next one, and stays closed once closed.
    (A simulator of its own: no other test's connection to it can close meanwhile.)"""
    simulator = fresh_mms_simulator
    client: AsyncMmsClient = simulator.async_client(retry=NO_WAIT, keep_alive=True)
    query = OfferQuery(market_type=MarketType.DAY_AHEAD, resource="FAKE_RESO")

    async def query_twice() -> tuple[list[object], int]:
        found = list(await client.query_offers(query, date=day))
        found += await client.query_offers(query, date=day)
        return found, connections_to(simulator)

    assert asyncio.run(query_twice()) == ([], 1)  # one connection, kept alive
    assert connections_to(simulator) == 0  # closed as the loop ended
    assert asyncio.run(query_twice()) == ([], 1)
    assert connections_to(simulator) == 0

    async def query_and_close() -> None:
        await client.query_offers(query, date=day)
        await client.aclose()
        assert connections_to(simulator) == 0

    asyncio.run(query_and_close())
    with pytest.raises(ConfigurationError, match="this client is closed"):
        asyncio.run(client.query_offers(query, date=day))


class Pause(Plugin):
    """Holds the first request where the client has taken it (past the check that the client
    is open, before anything is sent) until the test releases it, so that the test can act
    while a call is under way."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.release = threading.Event()
        self._held = False

    def audit_request(self, mms_request: bytes) -> None:
        if not self._held:
            self._held = True
            self.reached.set()
            assert self.release.wait(60), "the test never released the request"


@pytest.mark.skipif(not Path("/proc/net/tcp").is_file(), reason="counts sockets through /proc")
def test_an_async_client_serves_event_loops_in_several_threads_at_once(
    fresh_mms_simulator: Simulator, day: dt.date
) -> None:
    """One client shared by two threads, each running its own event loop: a call of one
    loop is under way while the other loop makes its calls and finishes. Each loop has
    connections of its own, closed when it ends. (A simulator of its own: no other test's
    connection to it can close meanwhile.)"""
    simulator = fresh_mms_simulator
    pause = Pause()
    client: AsyncMmsClient = simulator.async_client(retry=NO_WAIT, keep_alive=True, plugins=[pause])
    query = OfferQuery(market_type=MarketType.DAY_AHEAD, resource="FAKE_RESO")

    async def query_twice() -> list[object]:
        return [
            *await client.query_offers(query, date=day),
            *await client.query_offers(query, date=day),
        ]

    with ThreadPoolExecutor(1) as thread:
        held = thread.submit(asyncio.run, query_twice())
        assert pause.reached.wait(60)
        assert asyncio.run(query_twice()) == []
        pause.release.set()
        assert held.result() == []
    assert connections_to(simulator) == 0


def test_a_client_closed_while_another_thread_is_in_a_call_refuses_that_call_as_closed(
    mms_simulator: Simulator, day: dt.date
) -> None:
    before = mms_simulator.count(QUERY, processed=False)
    pause = Pause()
    bsp = client(mms_simulator, keep_alive=True, plugins=[pause])
    with ThreadPoolExecutor(1) as thread:
        call = thread.submit(
            bsp.query_offers, OfferQuery(market_type=MarketType.DAY_AHEAD), date=day
        )
        assert pause.reached.wait(60)
        bsp.close()
        pause.release.set()
        with pytest.raises(ConfigurationError, match="this client is closed; make a new one"):
            call.result()
    assert mms_simulator.count(QUERY, processed=False) == before  # nothing was sent


@contextmanager
def hanging_host(target: str) -> Iterator[str]:
    """The URL of a host whose TLS handshake never ends (:func:`silent_host`); ``target``
    is not reached."""
    with silent_host() as silent:
        yield silent


@pytest.mark.parametrize(
    "host", [functools.partial(slow_host, pause=0.3), hanging_host], ids=["slow", "hanging"]
)
@pytest.mark.parametrize("driver", ["sync", "async"])
def test_a_client_closed_while_a_call_opens_its_connection_sends_nothing_on_it(
    mms_simulator: Simulator,
    day: dt.date,
    driver: str,
    host: Callable[[str], AbstractContextManager[str]],
) -> None:
    """The close comes while the connection is being opened (it takes a second or more, or
    its TLS handshake never ends): the call is one not sent yet, refused as closed at once,
    and the connection, once open, carries no request, rather than a submit that the caller
    believes was never sent. Before, a call whose handshake hung ran on until its connect
    timeout (ten seconds here), then failed as a host that could not be reached."""
    before = mms_simulator.count(PUT, processed=False)
    recorder = Recorder()
    with host(mms_simulator.base_url) as slow:
        options: dict[str, Any] = {"base_url": slow, "backup_url": None, "timeout": 10}
        if driver == "sync":
            bsp = client(mms_simulator, plugins=[recorder], **options)
            with ThreadPoolExecutor(1) as thread:
                call = thread.submit(bsp.put_offer, offer(day), MarketType.DAY_AHEAD, date=day)
                while not recorder.requests:  # the attempt has begun: it is connecting
                    threading.Event().wait(0.01)
                bsp.close()
                with pytest.raises(ConfigurationError) as caught:
                    call.result(timeout=30)
        else:

            async def put() -> None:
                bsp = mms_simulator.async_client(retry=NO_WAIT, plugins=[recorder], **options)
                call = asyncio.create_task(
                    bsp.put_offer(offer(day), MarketType.DAY_AHEAD, date=day)
                )
                while not recorder.requests:
                    await asyncio.sleep(0.01)
                await bsp.aclose()
                await call

            with pytest.raises(ConfigurationError) as caught:
                asyncio.run(put())
    assert str(caught.value) == "this client is closed; make a new one"
    assert len(recorder.requests) == 1  # not sent again
    assert mms_simulator.count(PUT, processed=False) == before


async def test_an_async_client_closed_while_a_call_waits_to_resend_fails_it_as_it_failed(
    mms_simulator: Simulator, day: dt.date
) -> None:
    """The query's first attempt gets HTTP 503; while it waits to go to the backup host, the
    client is closed: the call fails with the 503, which says what became of the request."""

    class FirstAnswer(Plugin):
        def __init__(self) -> None:
            self.arrived = asyncio.Event()

        def audit_response(self, mms_response: bytes) -> None:
            self.arrived.set()

    mms_simulator.inject("http_error", operation=QUERY, endpoint="main", status=503)
    before = mms_simulator.count(QUERY, processed=False)
    answer = FirstAnswer()
    bsp: AsyncMmsClient = mms_simulator.async_client(retry=NO_WAIT, plugins=[answer])
    call = asyncio.create_task(
        bsp.query_offers(OfferQuery(market_type=MarketType.DAY_AHEAD), date=day)
    )
    await answer.arrived.wait()
    await bsp.aclose()
    with pytest.raises(HTTPStatusError) as caught:
        await call
    assert (caught.value.status, caught.value.attempt) == (503, 1)
    assert mms_simulator.count(QUERY, processed=False) == before + 1  # not resent


A_LONG_BACK_OFF = RetryPolicy(attempts=2, backoff_initial=600, backoff_max=600, backoff_jitter=0)
"""A wait before the second attempt that no test waits out: a call that fails while a test
runs was cut short."""


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_a_close_ends_the_wait_before_a_resend_at_once(
    mms_simulator: Simulator, day: dt.date, flavour: str
) -> None:
    """The query's first attempt is dropped; while it waits ten minutes to be sent again, the
    client is closed from another thread: the call fails then, with the dropped connection."""
    mms_simulator.inject("drop_before", operation=QUERY)
    query = OfferQuery(market_type=MarketType.DAY_AHEAD)
    waiting = threading.Event()

    class Waiting(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "trying again" in record.getMessage():
                waiting.set()

    handler = Waiting()
    logging.getLogger("mms_client").addHandler(handler)
    try:
        if flavour == "sync":
            bsp = client(mms_simulator, retry=A_LONG_BACK_OFF, backup_url=None)
            threading.Thread(target=lambda: waiting.wait(60) and bsp.close()).start()
            with pytest.raises(ConnectionLostError):
                bsp.query_offers(query, date=day)
        else:
            async_bsp = mms_simulator.async_client(retry=A_LONG_BACK_OFF, backup_url=None)

            def close_it() -> None:
                if waiting.wait(60):
                    asyncio.run(async_bsp.aclose())

            async def call() -> None:
                threading.Thread(target=close_it).start()
                await async_bsp.query_offers(query, date=day)

            with pytest.raises(ConnectionLostError):
                asyncio.run(call())
    finally:
        logging.getLogger("mms_client").removeHandler(handler)


def test_a_close_under_waiting_threads_leaves_the_other_sockets_of_the_process_alone(
    mms_simulator: Simulator, day: dt.date
) -> None:
    """Sixteen threads wait for answers the simulator holds back when the client is closed,
    while two other threads of the program pass bytes through sockets of their own. The
    waiting calls fail saying the client was closed, and the other sockets carry exactly
    what was sent: before, a socket's file descriptor was closed under the thread waiting on
    it, whose TLS layer then read from, and wrote alerts into, whichever socket was given
    that number next (a few rounds in ten)."""
    query = OfferQuery(market_type=MarketType.DAY_AHEAD)
    message = b"x" * 100
    received: list[bytes | OSError] = []

    def pass_bytes(stop: threading.Event) -> None:
        while not stop.is_set():
            near, far = socket.socketpair()
            with near, far:
                near.settimeout(5)  # a reader robbed of the bytes would wait for good
                far.sendall(message)
                got = b""
                try:
                    while len(got) < len(message) and (chunk := near.recv(len(message))):
                        got += chunk
                except OSError as error:
                    received.append(error)
                    return
                received.append(got)

    waiting = 16
    for _ in range(10):
        mms_simulator.inject("delay", operation=QUERY, seconds=600, times=waiting)
        before = mms_simulator.count(QUERY)
        bsp = client(mms_simulator)

        def wait_for_answer(bsp: MmsClient = bsp) -> type[BaseException] | None:
            try:
                bsp.query_offers(query, date=day)
            except Exception as error:  # the test compares the types
                return type(error)
            return None

        stop = threading.Event()
        with ThreadPoolExecutor(waiting + 2) as threads:
            calls = [threads.submit(wait_for_answer) for _ in range(waiting)]
            while mms_simulator.count(QUERY) < before + waiting:  # every call is waiting
                time.sleep(0.01)
            others = [threads.submit(pass_bytes, stop) for _ in range(2)]
            bsp.close()
            failures = {call.result() for call in calls}
            stop.set()
            for other in others:
                other.result()
        mms_simulator.clear_faults()
        assert failures == {ConnectionLostError}
        assert set(received) == {message}


def test_an_async_client_closed_in_another_event_loop_sends_nothing_more_in_this_one(
    mms_simulator: Simulator, day: dt.date, caplog: pytest.LogCaptureFixture
) -> None:
    """A query's first attempt gets HTTP 503 in one thread's event loop; before it goes to the
    backup host, the client is closed in another loop (which leaves this loop's connections
    to this loop). The query fails with the 503, the failure it met, and no record says it is
    tried again."""

    class PauseAfterAnswer(Pause):
        def audit_request(self, mms_request: bytes) -> None:
            pass

        def audit_response(self, mms_response: bytes) -> None:
            super().audit_request(mms_response)

    mms_simulator.inject("http_error", operation=QUERY, endpoint="main", status=503)
    before = mms_simulator.count(QUERY, processed=False)
    pause = PauseAfterAnswer()
    bsp: AsyncMmsClient = mms_simulator.async_client(retry=NO_WAIT, plugins=[pause])
    query = OfferQuery(market_type=MarketType.DAY_AHEAD)
    with ThreadPoolExecutor(1) as thread:
        call = thread.submit(asyncio.run, bsp.query_offers(query, date=day))
        assert pause.reached.wait(60)
        asyncio.run(bsp.aclose())
        pause.release.set()
        with pytest.raises(HTTPStatusError) as caught:
            call.result()
    assert (caught.value.status, caught.value.url) == (503, bsp.endpoints().main)
    assert mms_simulator.count(QUERY, processed=False) == before + 1  # not resent
    assert warnings_saying("trying again", caplog.records) == []


def test_a_call_failing_on_its_own_after_a_close_in_another_event_loop_says_how(
    mms_simulator: Simulator, day: dt.date
) -> None:
    """The client is closed in one event loop as a submit of another loop is about to go
    out, which that close leaves alone: the MMS drops the connection once it has processed
    the submit, and the call says so, not that the client was closed under it."""
    before = mms_simulator.count(PUT)
    mms_simulator.inject("drop_after", operation=PUT)
    pause = Pause()
    bsp: AsyncMmsClient = mms_simulator.async_client(retry=NO_WAIT, plugins=[pause])
    with ThreadPoolExecutor(1) as thread:
        call = thread.submit(asyncio.run, bsp.put_offer(offer(day), MarketType.DAY_AHEAD, date=day))
        assert pause.reached.wait(60)
        asyncio.run(bsp.aclose())
        pause.release.set()
        with pytest.raises(ConnectionLostError) as caught:
            call.result()
    assert str(caught.value).startswith("the connection broke ("), str(caught.value)
    assert caught.value.may_have_processed
    assert mms_simulator.count(PUT) == before + 1


CLOSED_UNDER_WAY = "the client was closed while the request was under way"


def processed(simulator: Simulator, operation: str, before: int) -> bool:
    """Whether the simulator has processed a request of ``operation`` since it had processed
    ``before`` of them."""
    return simulator.count(operation) > before


def test_a_client_closed_while_another_thread_waits_for_an_answer_says_so(
    mms_simulator: Simulator, day: dt.date
) -> None:
    """Closing closes the connection the call waits on and wakes the thread waiting on it,
    rather than leaving it to wait for an answer that would be thrown away: the call fails
    at once, saying that the client was closed, and, for a submit, that the MMS may have
    processed it (it has)."""
    before = mms_simulator.count(PUT)
    # longer than the wait below and than the client's timeout (60 s), so that only the close
    # can end the call in time; the delay ends when the client hangs up
    mms_simulator.inject("delay", operation=PUT, seconds=90)
    bsp = client(mms_simulator)
    with ThreadPoolExecutor(1) as thread:
        call = thread.submit(bsp.put_offer, offer(day), MarketType.DAY_AHEAD, date=day)
        while not processed(mms_simulator, PUT, before):
            assert not call.done(), call.exception()
            threading.Event().wait(0.01)
        bsp.close()
        with pytest.raises(ConnectionLostError) as caught:
            call.result(timeout=30)
    assert str(caught.value).startswith(f"{CLOSED_UNDER_WAY}; {MAY_HAVE_PROCESSED}: "), str(
        caught.value
    )
    assert caught.value.attempt == 1
    assert mms_simulator.count(PUT) == before + 1


async def test_an_async_client_closed_while_its_calls_wait_for_answers_says_so(
    mms_simulator: Simulator, day: dt.date, caplog: pytest.LogCaptureFixture
) -> None:
    """A submit fails saying that the client was closed and that the MMS may have processed
    it; a query fails saying that the client was closed, and is not sent again (nor said to
    be)."""
    puts, queries = mms_simulator.count(PUT), mms_simulator.count(QUERY)
    mms_simulator.inject("delay", operation=PUT, seconds=60)  # ends when the client hangs up
    mms_simulator.inject("delay", operation=QUERY, seconds=60)
    bsp: AsyncMmsClient = mms_simulator.async_client(retry=NO_WAIT)
    put = asyncio.create_task(bsp.put_offer(offer(day), MarketType.DAY_AHEAD, date=day))
    query = asyncio.create_task(
        bsp.query_offers(OfferQuery(market_type=MarketType.DAY_AHEAD), date=day)
    )
    while not (processed(mms_simulator, PUT, puts) and processed(mms_simulator, QUERY, queries)):
        assert not (put.done() or query.done())
        await asyncio.sleep(0.01)
    await bsp.aclose()
    with pytest.raises(ConnectionLostError) as caught:
        await put
    assert str(caught.value).startswith(f"{CLOSED_UNDER_WAY}; {MAY_HAVE_PROCESSED}: "), str(
        caught.value
    )
    with pytest.raises(ConnectionLostError) as lost:
        await query
    assert str(lost.value).startswith(f"{CLOSED_UNDER_WAY}: "), str(lost.value)
    assert not lost.value.may_have_processed
    assert (mms_simulator.count(PUT), mms_simulator.count(QUERY)) == (puts + 1, queries + 1)
    assert warnings_saying("trying again", caplog.records) == []


def test_a_call_under_way_in_another_event_loop_is_answered_when_the_client_is_closed(
    mms_simulator: Simulator, day: dt.date
) -> None:
    """Closing in one event loop leaves the connections of the others to their loops: a call
    waiting for its answer there gets it."""
    before = mms_simulator.count(PUT)
    mms_simulator.inject("delay", operation=PUT, seconds=1)
    bsp: AsyncMmsClient = mms_simulator.async_client(retry=NO_WAIT)
    with ThreadPoolExecutor(1) as thread:
        call = thread.submit(asyncio.run, bsp.put_offer(offer(day), MarketType.DAY_AHEAD, date=day))
        while not processed(mms_simulator, PUT, before):
            assert not call.done(), call.exception()
            threading.Event().wait(0.01)
        asyncio.run(bsp.aclose())
        assert call.result().stack[0].id
    assert mms_simulator.count(PUT) == before + 1


def fork_putting_an_offer(bsp: MmsClient, day: dt.date) -> int:
    """Fork, and return the child's pid to the parent; the child puts an offer with ``bsp``
    and exits with 0 once it went through, 1 if it failed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # forking with threads, knowingly
        child = os.fork()
    if child == 0:
        status = 1
        try:
            bsp.put_offer(offer(day, hour=9), MarketType.DAY_AHEAD, date=day)
            status = 0
        finally:
            os._exit(status)
    return child


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks the process")
def test_a_forked_child_keeps_off_the_connection_its_parent_keeps_alive(
    fresh_mms_simulator: Simulator, day: dt.date
) -> None:
    """A child using its parent's kept-alive TLS connection would break it: the parent's next
    submit would fail, saying the MMS may have processed it, which it never received."""
    simulator = fresh_mms_simulator
    bsp = client(simulator, keep_alive=True)
    assert bsp.query_offers(OfferQuery(market_type=MarketType.DAY_AHEAD), date=day) == []
    child = fork_putting_an_offer(bsp, day)
    assert os.waitstatus_to_exitcode(os.waitpid(child, 0)[1]) == 0
    with bsp:
        bsp.put_offer(offer(day, hour=15), MarketType.DAY_AHEAD, date=day)
    assert simulator.count(PUT) == 2


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks the process")
def test_a_child_forked_while_a_handshake_of_its_parent_is_noted_can_connect(
    fresh_mms_simulator: Simulator, day: dt.date
) -> None:
    """The parent's thread noting a handshake holds a lock the child would wait on for ever:
    the child's client starts with locks of its own."""
    bsp = client(fresh_mms_simulator)
    guard = bsp._transport._opening_guard
    held, forked = threading.Event(), threading.Event()

    def noting_a_handshake() -> None:  # holds the guard as a thread noting its handshake does
        with guard:
            held.set()
            forked.wait()

    noting = threading.Thread(target=noting_a_handshake)
    noting.start()
    held.wait()
    child = fork_putting_an_offer(bsp, day)
    forked.set()
    noting.join()
    deadline = time.monotonic() + 60
    while (ended := os.waitpid(child, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    if ended[0] == 0:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        pytest.fail("the child waited for its parent's lock")
    assert os.waitstatus_to_exitcode(ended[1]) == 0
    bsp.close()


def warnings_saying(words: str, records: list[logging.LogRecord]) -> list[str]:
    """The warnings among ``records`` that hold ``words``."""
    return [
        record.getMessage()
        for record in records
        if record.levelno == logging.WARNING and words in record.getMessage()
    ]


async def test_a_submit_cancelled_once_sent_says_the_mms_may_have_processed_it(
    mms_simulator: Simulator, day: dt.date, caplog: pytest.LogCaptureFixture
) -> None:
    """The MMS holds the answer back; the caller cancels the call (``task.cancel()``, then
    an ``asyncio.timeout`` that expires): the cancellation goes on as it is, with a note, and
    a warning is logged, both saying that the MMS may have processed the submit (it has)."""
    caplog.set_level(logging.WARNING, logger="mms_client")
    before = mms_simulator.count(PUT)
    mms_simulator.inject("delay", operation=PUT, seconds=60, times=2)  # ends at the hang-up
    warning = (
        f"Cancelled after sending {PUT}; {MAY_HAVE_PROCESSED}: "
        f"{mms_simulator.base_url}/axis2/services/MiWebService (attempt 1)"
    )
    async with mms_simulator.async_client(retry=NO_WAIT) as bsp:
        put = asyncio.create_task(bsp.put_offer(offer(day), MarketType.DAY_AHEAD, date=day))
        while not processed(mms_simulator, PUT, before):
            await asyncio.sleep(0.01)
        put.cancel()
        with pytest.raises(asyncio.CancelledError) as cancelled:
            await put
        assert cancelled.value.__notes__ == [warning]
        assert warnings_saying("Cancelled after sending", caplog.records) == [warning]

        async def put_in_time(deadlines: list[asyncio.Timeout]) -> None:
            async with asyncio.timeout(None) as deadline:
                deadlines.append(deadline)
                await bsp.put_offer(offer(day, hour=15), MarketType.DAY_AHEAD, date=day)

        deadlines: list[asyncio.Timeout] = []
        timed = asyncio.create_task(put_in_time(deadlines))
        while not processed(mms_simulator, PUT, before + 1):
            await asyncio.sleep(0.01)
        deadlines[0].reschedule(asyncio.get_running_loop().time())
        with pytest.raises(TimeoutError) as late:
            await timed
        assert isinstance(late.value.__context__, asyncio.CancelledError)
        assert late.value.__context__.__notes__ == [warning]
    assert warnings_saying("Cancelled after sending", caplog.records) == [warning, warning]
    assert mms_simulator.count(PUT) == before + 2


async def test_a_query_or_a_submit_not_sent_yet_is_cancelled_without_a_word(
    mms_simulator: Simulator, day: dt.date, caplog: pytest.LogCaptureFixture
) -> None:
    """A query may be sent again whatever became of it, and a submit whose connection was
    still being opened (its TLS handshake hangs) never reached the MMS."""
    caplog.set_level(logging.WARNING, logger="mms_client")
    before = mms_simulator.count(QUERY)
    mms_simulator.inject("delay", operation=QUERY, seconds=60)  # ends at the hang-up
    async with mms_simulator.async_client(retry=NO_WAIT) as bsp:
        query = asyncio.create_task(
            bsp.query_offers(OfferQuery(market_type=MarketType.DAY_AHEAD), date=day)
        )
        while not processed(mms_simulator, QUERY, before):
            await asyncio.sleep(0.01)
        query.cancel()
        with pytest.raises(asyncio.CancelledError) as cancelled:
            await query
    assert not hasattr(cancelled.value, "__notes__")
    with silent_host() as silent:
        unconnected = mms_simulator.async_client(base_url=silent, backup_url=None, retry=NO_WAIT)
        async with unconnected as bsp:
            with pytest.raises(TimeoutError) as late:
                await asyncio.wait_for(
                    bsp.put_offer(offer(day), MarketType.DAY_AHEAD, date=day), 0.5
                )
    assert not hasattr(late.value.__context__, "__notes__")
    assert warnings_saying("Cancelled after sending", caplog.records) == []


@pytest.mark.skipif(not Path("/proc/net/tcp").is_file(), reason="counts sockets through /proc")
@pytest.mark.parametrize("stop", ["cancel", "timeout", "close"])
async def test_a_call_stopped_while_its_tls_handshake_hangs_closes_its_connection(
    mms_simulator: Simulator, day: dt.date, stop: str
) -> None:
    """httpx drops the connection of a call cancelled during its TLS handshake unclosed, and
    the call's end leaves it to the garbage collector, which closes it whenever it runs, with
    a ResourceWarning: a service cancelling calls to a host that hangs held a socket for
    each meanwhile. The call now closes it as it ends, cancelled or stopped by a close."""
    recorder = Recorder()
    with silent_host() as silent:
        bsp = mms_simulator.async_client(
            base_url=silent, backup_url=None, retry=NO_WAIT, plugins=[recorder]
        )
        deadline = asyncio.timeout(None)

        async def put() -> None:
            async with deadline:
                await bsp.put_offer(offer(day), MarketType.DAY_AHEAD, date=day)

        call = asyncio.create_task(put())
        while not connections_to_urls(silent):  # connected: the handshake has begun
            await asyncio.sleep(0.01)
        if stop == "cancel":
            call.cancel()
        elif stop == "timeout":
            deadline.reschedule(asyncio.get_running_loop().time())
        else:
            await bsp.aclose()
        ends = {"cancel": asyncio.CancelledError, "timeout": TimeoutError}
        with pytest.raises(ends.get(stop, ConfigurationError)):
            await call
        assert connections_to_urls(silent) == 0
        await bsp.aclose()


class FullAuditDisk(Plugin):
    """An audit whose store has no room left for the answers."""

    def audit_response(self, mms_response: bytes) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


async def test_a_plugin_failing_on_the_answer_to_a_submit_says_the_mms_may_have_processed_it(
    mms_simulator: Simulator, day: dt.date, caplog: pytest.LogCaptureFixture
) -> None:
    """The MMS stored the offer and answered; the audit fails on the answer. The plugin's
    exception reaches the caller as it is, with a note, and a warning is logged, both saying
    that the MMS may have processed the submit, so that no one sends it again believing it
    never left. Of a query, which may be sent again, nothing is said."""
    caplog.set_level(logging.WARNING, logger="mms_client")
    before = mms_simulator.count(PUT)
    audit = [FullAuditDisk()]
    with client(mms_simulator, plugins=audit) as bsp, pytest.raises(OSError) as synchronous:
        bsp.put_offer(offer(day), MarketType.DAY_AHEAD, date=day)
    async with mms_simulator.async_client(retry=NO_WAIT, plugins=audit) as async_bsp:
        with pytest.raises(OSError) as asynchronous:
            await async_bsp.put_offer(offer(day, hour=15), MarketType.DAY_AHEAD, date=day)
    assert mms_simulator.count(PUT) == before + 2  # each processed, once
    warning = (
        f"FullAuditDisk.audit_response raised after the MMS answered {PUT}; "
        f"{MAY_HAVE_PROCESSED}: {bsp.endpoints().main} (attempt 1)"
    )
    for caught in (synchronous, asynchronous):
        assert type(caught.value) is OSError and caught.value.errno == errno.ENOSPC
        assert caught.value.__notes__ == [warning]
    assert warnings_saying("after the MMS answered", caplog.records) == [warning, warning]

    query = OfferQuery(market_type=MarketType.DAY_AHEAD)
    with client(mms_simulator, plugins=audit) as bsp, pytest.raises(OSError) as queried:
        bsp.query_offers(query, date=day)
    assert not hasattr(queried.value, "__notes__")
    assert warnings_saying("after the MMS answered", caplog.records) == [warning, warning]


async def test_async_submit_timeout_is_not_resent(mms_simulator: Simulator, day: dt.date) -> None:
    before = mms_simulator.count(PUT)
    mms_simulator.inject("delay", operation=PUT, seconds=5)
    async with mms_simulator.async_client(retry=NO_WAIT, timeout=0.5) as bsp:
        with pytest.raises(RequestTimeout):
            await bsp.put_offer(offer(day), MarketType.DAY_AHEAD, date=day)
    assert mms_simulator.count(PUT) == before + 1


class _SearchRecorder(importlib.abc.MetaPathFinder):
    """Notes every module Python looks for, and finds none itself."""

    def __init__(self) -> None:
        self.searched: list[str] = []

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> None:
        self.searched.append(fullname)


@contextmanager
def imports_searched() -> Iterator[list[str]]:
    """The modules Python looks for while the block runs, in any thread: those not yet
    imported, and every attempt at one that is not installed (the first finder asked is
    the recorder, which then passes the search on)."""
    recorder = _SearchRecorder()
    sys.meta_path.insert(0, recorder)
    try:
        yield recorder.searched
    finally:
        sys.meta_path.remove(recorder)


async def test_warm_clients_search_for_no_module(mms_simulator: Simulator, day: dt.date) -> None:
    """Once a client has made a request, the next ones import nothing, on either side.

    A module looked for on every request and not installed costs a search of the whole
    import path each time: httpcore asks for sniffio on every async request, which took
    about a sixth of the async client's CPU until sniffio became a dependency.
    """
    query = OfferQuery(market_type=MarketType.DAY_AHEAD)
    with client(mms_simulator) as bsp:
        bsp.put_offer(offer(day), MarketType.DAY_AHEAD, date=day)
        bsp.query_offers(query, date=day)
        async with mms_simulator.async_client(retry=NO_WAIT) as async_bsp:
            await async_bsp.query_offers(query, date=day)
            with imports_searched() as searched:
                bsp.put_offer(offer(day, hour=15), MarketType.DAY_AHEAD, date=day)
                bsp.query_offers(query, date=day)
                await async_bsp.put_offer(offer(day, hour=18), MarketType.DAY_AHEAD, date=day)
                await async_bsp.query_offers(query, date=day)
    assert searched == []


class NoHook(Plugin):
    audit_response = None  # type: ignore[assignment]  # what a careless plugin does


class BrokenHook(Plugin):
    @property
    def audit_request(self) -> Any:  # type: ignore[override]  # a hook that cannot be read
        raise KeyError("secret")


def test_settings_are_checked_when_the_client_is_built(mms_simulator: Simulator) -> None:
    user = mms_simulator.user("BSP")
    arguments: dict[str, Any] = {
        "domain": "example.com",
        "participant": user.participant,
        "user": user.user,
        "client_type": "BSP",
        "cert": user.certificate(),
        "base_url": mms_simulator.base_url,
    }
    changes: list[tuple[dict[str, Any], str]] = [
        ({"client_type": "XYZ"}, "client_type must be one of 'BSP', 'MO', 'TSO'; got 'XYZ'"),
        # names no envelope can carry, which would make every request fail
        *(
            (
                {"participant": value},
                "participant must be a capital letter and three digits, not 000, such as "
                f"F100, as the MMS schemas take it; got {shown}",
            )
            for value, shown in (
                (None, "None"),
                ("", r"a str \(not shown\)"),
                ("f100", r"a str \(not shown\)"),
                ("F000", r"a str \(not shown\)"),
                ("F1000", r"a str \(not shown\)"),
                (100, "100"),
            )
        ),
        *(
            (
                {"user": value},
                "user must be 1 to 12 capital letters or digits, such as FAKEUSER, as the "
                f"MMS schemas take it; got {shown}",
            )
            for value, shown in (
                (None, "None"),
                ("", r"a str \(not shown\)"),
                ("fakeuser", r"a str \(not shown\)"),
                ("A" * 13, r"a str \(not shown\)"),
            )
        ),
        ({"domain": "bad domain>"}, "domain must be a host-like name"),
        ({"cert": str(user.p12)}, "cert must be a mms_client.security.certs.Certificate"),
        ({"base_url": "localhost:8443"}, "base_url must look like"),
        ({"base_url": "http://mms.example.com"}, "base_url must use https"),
        ({"backup_url": "http://10.0.0.1:8080"}, "backup_url must use https"),
        # a URL read from a file or a variable, newline and all: refused when the client is
        # built rather than by httpx at the first request
        ({"base_url": f"{mms_simulator.base_url}\n"}, "base_url must not hold spaces or control"),
        ({"backup_url": "https://mms.example.com/ x"}, "backup_url must not hold spaces"),
        ({"base_url": "https://u:secret@mms.example.com"}, "base_url must not carry a user name"),
        ({"base_url": "u:secret@127.0.0.1:8443"}, "base_url must not carry a user name"),
        ({"base_url": "https://mms.example.com/?key=secret"}, "base_url must not carry a query"),
        # an argument in the wrong place may be the passphrase, or the PKCS#12 itself
        ({"is_admin": "secret"}, r"is_admin must be True or False, not a str \(not shown\)"),
        ({"verify": (str(user.p12), "secret")}, r"got a tuple \(not shown\)"),
        ({"base_url": b"https://u:secret@h"}, r"not a bytes \(not shown\)"),
        ({"timeout": 0}, "timeout must be a positive number"),
        ({"timeout": "5"}, r"timeout must be a positive number of seconds up to 604800 \(a "),
        ({"download_timeout": None}, "download_timeout must be a positive number of seconds"),
        # longer than any wait can be: the first call would have failed with an OverflowError
        *(
            ({name: value}, rf"{name} must be .* up to 604800 \(a week\), not {shown}")
            for name in ("timeout", "download_timeout")
            for value, shown in ((1e10, "10000000000.0"), (float("inf"), "inf"), (10**30, ""))
        ),
        ({"timeout": float("nan")}, r"timeout must be a positive number .*, not nan"),
        ({"max_response_bytes": 1.5}, "max_response_bytes must be a positive number of bytes"),
        ({"plugins": 5}, "plugins must be a list of mms_client.plugins.Plugin, not int"),
        ({"plugins": [Recorder(), print]}, "plugins must be mms_client.plugins.Plugin objects"),
        # iterable, but its characters are no plugins
        ({"plugins": "Recorder"}, "plugins must be a list of mms_client.plugins.Plugin, not str"),
        (
            {"plugins": [Recorder]},
            r"Plugin objects, not the class Recorder: pass an instance: Recorder\(\), not Recorder",
        ),
        ({"plugins": [NoHook()]}, r"NoHook.audit_response must be a method, not NoneType"),
        ({"plugins": [BrokenHook()]}, r"BrokenHook.audit_request cannot be read: KeyError"),
        ({"test": True}, "test=True and base_url both say which MMS to talk to"),
        (
            {"verify": "/nonexistent/ca.pem"},
            r"verify= names no readable CA bundle \(No such file or directory\): "
            "'/nonexistent/ca.pem'",
        ),
        ({"verify": ""}, "verify must be True, False or the path of a CA bundle; got an empty"),
        ({"verify": None}, "verify must be True, False or the path of a CA bundle; got None"),
        ({"verify": 0}, "verify must be True, False or the path of a CA bundle; got 0"),
        ({"verify": "ca" * 3000}, r"verify= names no readable CA bundle \(File name too long\)"),
        ({"verify": "ca\x00.pem"}, r"verify= names no readable CA bundle \(embedded null byte\)"),
        *(
            ({name: value}, f"{name} must be a URL \\(a str\\) or None, not {kind}")
            for name in ("base_url", "backup_url")
            for value, kind in ((5, "5"), (1.5, "1.5"), (True, "True"), ([], "a list"))
        ),
        *(
            (
                {"retry": value},
                f"retry must be a mms_client.transport.RetryPolicy or None, not {kind}",
            )
            for value, kind in ((5, "5"), ("", "a str"), ([], "a list"), (0, "0"))
        ),
        *(
            ({name: value}, f"{name} must be True or False, not {kind}")
            for name in ("is_admin", "test", "keep_alive")
            for value, kind in (("no", r"a str \(not shown\)"), (1, "1"), (None, "None"))
        ),
    ]
    for change, problem in changes:
        with pytest.raises(ConfigurationError, match=problem) as caught:
            MmsClient(**{**arguments, **change})
        assert "secret" not in str(caught.value)
        # what a debugger or a traceback's locals show of the client its __init__ left
        half_built = next(
            entry.locals["self"]
            for entry in caught.traceback
            if isinstance(entry.locals.get("self"), MmsClient)
        )
        if "_endpoints" in vars(half_built):  # refused by the transport settings or later
            assert repr(half_built).startswith("MmsClient(participant=")
        else:
            assert repr(half_built) == "MmsClient(not built)"
    with MmsClient(**arguments) as bsp:
        assert bsp.client_type is ClientType.BSP
        assert "passphrase" not in repr(bsp).lower() and "F100" in repr(bsp)


class AsyncAudit(Plugin):
    """Keeps an audit with hooks written ``async def``, which no client awaits."""

    def __init__(self) -> None:
        self.requests: list[bytes] = []

    async def audit_request(self, mms_request: bytes) -> None:
        self.requests.append(mms_request)


class AsyncFileAudit(Plugin):
    async def audit_response_file(self, mms_response: BinaryIO) -> None:
        """Never awaited either."""


class AsyncCall:
    async def __call__(self, mms_request: bytes) -> None:
        """An object called as a hook, and never awaited."""


class CalledAudit(Plugin):
    audit_request = AsyncCall()


@pytest.mark.parametrize("kind", [MmsClient, AsyncMmsClient])
@pytest.mark.parametrize(
    ("plugin", "hook"),
    [
        (AsyncAudit(), "AsyncAudit.audit_request"),
        (AsyncFileAudit(), "AsyncFileAudit.audit_response_file"),
        (CalledAudit(), "CalledAudit.audit_request"),
    ],
)
def test_a_plugin_with_an_async_hook_is_refused_when_the_client_is_built(
    mms_simulator: Simulator, kind: type[MmsClient | AsyncMmsClient], plugin: Plugin, hook: str
) -> None:
    """Hooks are called synchronously: one written ``async def`` would be called and never
    awaited, and the audit it keeps would stay empty, with nothing but a RuntimeWarning to
    say so. Both clients refuse it before anything is sent."""
    arguments = mms_simulator.manifest.client_arguments("BSP", plugins=[Recorder(), plugin])
    problem = (
        rf"{hook} is a coroutine function \(async def\), but plugin hooks are called synchronously"
    )
    with pytest.raises(ConfigurationError, match=problem):
        kind(**arguments)


async def _audit_later(mms_body: bytes) -> None:
    """An audit that would run only if something awaited it."""


def _lambda_hooked(hook: str) -> Plugin:
    """A plugin whose ``hook``, set on the instance, is a plain function that returns a
    coroutine: it looks like any other hook until it is called."""
    plugin = Plugin()
    setattr(plugin, hook, lambda body: _audit_later(body))
    return plugin


async def test_a_hook_returning_a_coroutine_fails_the_call_without_an_unawaited_coroutine(
    mms_simulator: Simulator, day: dt.date
) -> None:
    """A hook that hands back a coroutine has audited nothing. Its first call fails with a
    ConfigurationError naming the hook, and Python has no coroutine left to warn about: an
    ``audit_request`` before the request is sent, an ``audit_response`` after the MMS
    answered, saying for a submit that the MMS may have processed it."""
    before = mms_simulator.count(PUT)
    returned = r"Plugin\.{hook} returned coroutine, which nothing awaits: plugin hooks are called"
    requests = pytest.raises(ConfigurationError, match=returned.format(hook="audit_request"))
    answers = pytest.raises(ConfigurationError, match=returned.format(hook="audit_response"))
    gc.collect()  # garbage of earlier tests says nothing of this one
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")  # a coroutine never awaited warns when collected
        with client(mms_simulator, plugins=[_lambda_hooked("audit_request")]) as bsp, requests:
            bsp.put_offer(offer(day), MarketType.DAY_AHEAD, date=day)
        hooked = [_lambda_hooked("audit_request")]
        async with mms_simulator.async_client(retry=NO_WAIT, plugins=hooked) as async_bsp:
            with requests:
                await async_bsp.put_offer(offer(day), MarketType.DAY_AHEAD, date=day)
        assert mms_simulator.count(PUT) == before  # nothing was sent

        with client(mms_simulator, plugins=[_lambda_hooked("audit_response")]) as bsp, answers:
            bsp.put_offer(offer(day), MarketType.DAY_AHEAD, date=day)
        hooked = [_lambda_hooked("audit_response")]
        async with mms_simulator.async_client(retry=NO_WAIT, plugins=hooked) as async_bsp:
            with answers as refused:
                await async_bsp.put_offer(offer(day, hour=15), MarketType.DAY_AHEAD, date=day)
        gc.collect()
    assert [str(w.message) for w in warned if "never awaited" in str(w.message)] == []
    assert mms_simulator.count(PUT) == before + 2
    assert MAY_HAVE_PROCESSED in refused.value.__notes__[0]


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_a_request_over_the_simulators_limit_is_refused_with_413(
    mms_simulator: Simulator, flavour: str
) -> None:
    """The simulator reads and drops the rest of a body over its 64 MiB before answering:
    closing while a client still sends resets the connection, and a client that reads only
    once it has sent (httpx does) would see it broken, unable to tell the request was refused
    unread."""
    example = example_request("MarketSubmit_SettlementResults")
    big = Attachment(example.attachments[0].name, b"a,b\n" * (20 * 1024 * 1024))  # 80 MiB
    arguments = {"attachments": [big], **example.envelope}
    with pytest.raises(HTTPStatusError) as caught:
        if flavour == "sync":
            with client(mms_simulator, client_type="TSO") as tso:
                tso.call(example.operation, example.payload, **arguments)
        else:

            async def call() -> None:
                async with mms_simulator.async_client("TSO", retry=NO_WAIT) as tso:
                    await tso.call(example.operation, example.payload, **arguments)

            asyncio.run(call())
    assert (caught.value.status, caught.value.may_have_processed) == (413, False)
