"""What the results of a call show when printed, logged or looked at in a debugger: a summary
that says what came back, as short for a large answer as for a small one, and never the
content of a file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from mms_client.examples import example_request
from mms_client.files import DownloadedFile
from mms_client.types.market import MarketType
from mms_client.types.offer import Direction, OfferData, OfferQuery, OfferStack
from mms_client.wire.blobs import Blob

from .conftest import NO_WAIT

if TYPE_CHECKING:
    from mms_client.sim.simulator import Simulator

DAY = dt.date(2039, 2, 1)
"""A trading day no other test uses (the session's simulator keeps state)."""


def offer(hour: int) -> OfferData:
    start = dt.datetime.combine(DAY, dt.time(hour))
    return OfferData(
        stack=[
            OfferStack(number=1, unit_price=100, minimum_quantity_kw=100, tertiary_2_qty_kw=100)
        ],
        resource="FAKE_RESO",
        start=start,
        end=start + dt.timedelta(hours=3),
        direction=Direction.SELL,
    )


def test_a_response_shows_the_operation_the_counts_and_the_transaction(
    mms_simulator: Simulator,
) -> None:
    offers = [offer(hour) for hour in (0, 6, 12)]
    with mms_simulator.client(retry=NO_WAIT) as bsp:
        bsp.put_offers(offers, MarketType.DAY_AHEAD, date=DAY)
        replaced = bsp.call(
            "MarketSubmit_OfferData", offers[0], market_type=MarketType.DAY_AHEAD, date=DAY
        )
        found = bsp.call(
            "MarketQuery_OfferQuery", OfferQuery(market_type=MarketType.DAY_AHEAD), date=DAY
        )
    assert len(found.items) == 3
    assert [m.severity for m in replaced.messages] == ["Warning"]  # W_OFFER_REPLACED
    assert found.statistics is not None and replaced.statistics is not None

    assert repr(found) == (
        "Response(operation='MarketQuery_OfferQuery', interface='MI', items=3, "
        f"transaction_id={found.statistics.transaction_id!r}, messages={{}}, files=[])"
    )
    assert repr(replaced) == (
        "Response(operation='MarketSubmit_OfferData', interface='MI', items=1, "
        f"transaction_id={replaced.statistics.transaction_id!r}, messages={{'Warning': 1}}, "
        "files=[])"
    )
    # however many items an answer has
    assert len(repr(found)) < 150


def test_a_report_download_shows_its_file_and_never_the_content(
    mms_simulator: Simulator, tmp_path: Path
) -> None:
    create, download = (
        example_request(name) for name in ("ReportCreateRequest", "ReportDownloadRequestTrnID")
    )
    with mms_simulator.client(retry=NO_WAIT) as bsp:
        created = bsp.create_report(create.payload, **create.envelope)
        response = bsp.call("ReportDownloadRequestTrnID", download.payload, **download.envelope)
        saved = bsp.download_report(download.payload, to=tmp_path / "resources.xml")

    assert repr(created).startswith(f"CreatedReport(transaction_id={created.transaction_id!r}")
    assert len(repr(created)) < 500  # the id and the request as the MMS echoed it

    [report] = response.files
    assert repr(response) == (
        "Response(operation='ReportDownloadRequestTrnID', interface='MI', items=0, "
        f"transaction_id=None, messages={{}}, files=[{report.name!r}])"
    )
    assert repr(report) == (
        f"DownloadedFile(name={report.name!r}, data_type='XML', size={report.size}, path=None)"
    )
    assert repr(saved) == (
        f"DownloadedFile(name={report.name!r}, data_type='XML', size={report.size}, "
        f"path={tmp_path / 'resources.xml'!r})"
    )


def test_a_file_shows_neither_its_content_nor_its_signature() -> None:
    """An attachment may come signed: a few hundred characters of base64 that say nothing
    to whoever reads the repr."""
    content = b"Date,Amount\n2024-03-01,100\n"
    signed = DownloadedFile.received(
        "T100_F100_202403_X.csv", Blob(len(content), content), signature="A" * 344
    )
    assert repr(signed) == (
        "DownloadedFile(name='T100_F100_202403_X.csv', data_type='CSV', size=27, path=None)"
    )
