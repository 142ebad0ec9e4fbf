"""``mms demo``: a trading day against an embedded simulator, with nothing to set up.

It starts a simulator in a temporary folder (own test PKI, fresh state), then, as the seeded
BSP ``F100``/``FAKEUSER``, submits day-ahead offers for tomorrow (Japan time) on two
resources, lists them, cancels one, lists again, and shows how the MMS refuses an offer on a
resource the participant does not own.  Every step goes over HTTPS with mutual TLS and signed
payloads, exactly as against the real MMS.

What the simulator answers is shown as :func:`~mms_client.cli.tables.visible` shows it, as
``mms call`` does, and never read as rich markup: the demo prints what came back over the
wire, not what it sent.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import click

from mms_client.cli.status import UNANSWERED, Failure
from mms_client.cli.tables import visible

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from mms_client.client import MmsClient
    from mms_client.errors import MMSValidationError
    from mms_client.schema.generated.mi_market import OfferData


@click.command()
def demo() -> None:
    """Run a short trading day against an embedded MMS simulator and show each step."""
    from mms_client.cli.console import output
    from mms_client.sim.simulator import Simulator

    console = output()
    # interrupted (Ctrl+C, or SIGTERM: see the ``mms`` command), the simulator stops and the
    # temporary folder with its test PKI goes
    with tempfile.TemporaryDirectory(prefix="mms-demo-") as folder:
        with console.status("Starting the MMS simulator (creating its test PKI)..."):
            simulator = Simulator(folder, backup_port=None).start()
        try:
            console.print(f"MMS simulator running at [cyan]{simulator.base_url}[/cyan]")
            with simulator.client() as client:
                _trading_day(console, client)
        finally:
            simulator.stop()
    console.print("[bold green]Demo finished.[/bold green]")


def _trading_day(console: Console, client: MmsClient) -> None:
    from rich.text import Text

    from mms_client.errors import MMSValidationError
    from mms_client.jst import JST
    from mms_client.schema.generated.mi_market import (
        Direction,
        MarketType,
        OfferCancel,
        OfferData,
        OfferQuery,
        OfferStack,
    )

    day = (datetime.now(JST) + timedelta(days=1)).date()

    def at(hour: int) -> datetime:
        return datetime(day.year, day.month, day.day, hour, tzinfo=JST)

    offers = [
        OfferData(
            resource="FAKE_RESO",
            start=at(9),
            end=at(12),
            direction=Direction.SELL,
            stack=[
                OfferStack(
                    number=1,
                    unit_price=Decimal("7.50"),
                    minimum_quantity_kw=1000,
                    tertiary_2_qty_kw=3000,
                ),
                OfferStack(
                    number=2,
                    unit_price=Decimal("9.80"),
                    minimum_quantity_kw=500,
                    tertiary_2_qty_kw=2000,
                ),
            ],
        ),
        OfferData(
            resource="FAKE_RESO2",
            start=at(15),
            end=at(18),
            direction=Direction.SELL,
            stack=[
                OfferStack(
                    number=1,
                    unit_price=Decimal("11.00"),
                    minimum_quantity_kw=800,
                    tertiary_2_qty_kw=1500,
                )
            ],
        ),
    ]
    console.rule(f"1. Submit {len(offers)} day-ahead offers for {day} (JST)")
    stored = client.put_offers(offers, market_type=MarketType.DAY_AHEAD, date=day)
    console.print(_offer_table("Accepted by the MMS", stored))

    query = OfferQuery(market_type=MarketType.DAY_AHEAD)
    console.rule("2. Query the offers back")
    console.print(_offer_table(f"Offers for {day}", client.query_offers(query, date=day)))

    cancelled = stored[1]
    console.rule(Text(f"3. Cancel the offer on {visible(cancelled.resource)}"))
    client.cancel_offer(
        OfferCancel(
            resource=cancelled.resource,
            start=cancelled.start,
            end=cancelled.end,
            market_type=MarketType.DAY_AHEAD,
        ),
        market_type=MarketType.DAY_AHEAD,
        date=day,
    )
    console.print(
        f"Cancelled the offer on {visible(cancelled.resource)} for {_period(cancelled)}.",
        markup=False,
    )

    console.rule("4. Query again")
    console.print(_offer_table(f"Offers for {day}", client.query_offers(query, date=day)))

    console.rule("5. Offer on a resource of another participant")
    foreign = offers[0].model_copy(update={"resource": "OTHER_RESO"})
    try:
        client.put_offer(foreign, market_type=MarketType.DAY_AHEAD, date=day)
    except MMSValidationError as refusal:
        _show_refusal(console, refusal)
    else:
        # not a refusal (status 1): the simulator did not answer as the MMS does
        raise Failure("the simulator accepted an offer on a foreign resource", UNANSWERED)


def _show_refusal(console: Console, refusal: MMSValidationError) -> None:
    from rich.text import Text

    for message in refusal.messages:
        # broken into lines on a terminal only: a file or a pipe, which rich takes to be 80
        # columns wide, keeps a message on one line, to be read or searched whole
        console.print(
            Text.assemble(
                (f"{visible(message.severity)} {visible(str(message.code))}", "red"),
                f": {visible(message.text)}",
            ),
            soft_wrap=not console.is_terminal,
        )


def _period(offer: OfferData) -> str:
    return f"{offer.start:%H:%M}-{offer.end:%H:%M}"


def _offer_table(title: str, offers: Sequence[OfferData]) -> Table:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, box=box.SIMPLE_HEAD)
    for column in ("resource", "area", "JST", "#", "¥/kW", "min kW", "T2 kW", "offer id"):
        table.add_column(column, no_wrap=True)
    if not offers:
        table.add_row("(none)", *[""] * 7)
    for offer in offers:
        area = "" if offer.area is None else offer.area.value
        for index, stack in enumerate(offer.stack):
            first = index == 0
            cells = (
                offer.resource if first else "",
                area if first else "",
                _period(offer) if first else "",
                str(stack.number),
                str(stack.unit_price),
                str(stack.minimum_quantity_kw),
                str(stack.tertiary_2_qty_kw or ""),
                stack.id or "",
            )
            table.add_row(*(Text(visible(cell)) for cell in cells))  # values, never markup
    return table
