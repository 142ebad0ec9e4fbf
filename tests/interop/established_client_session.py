"""A session of the established ``mms-client`` (PyPI, unmodified) against the simulator.

Run by tests/interop/test_established_client.py with the Python of a separate virtualenv
where that client is installed; never imported by the test suite itself.  The client has no
setting for its server address, so the script points the published endpoint table of its
``mms_client.utils.web`` module at the simulator before creating the client, and the CA
bundle is given to ``requests`` through ``REQUESTS_CA_BUNDLE``.

Input: one JSON argument.  Output: one line ``RESULT <json>`` with what each step returned.
"""

import datetime as dt
import json
import sys
from typing import Any

from mms_client.client import MmsClient
from mms_client.security.certs import Certificate
from mms_client.types.market import MarketType
from mms_client.types.offer import Direction, OfferCancel, OfferData, OfferQuery, OfferStack
from mms_client.utils.web import BSP_MO_URLS, ClientType, Interface, ServiceEndpoint


def summary(offer: Any) -> dict[str, Any]:
    return {
        "resource": offer.resource,
        "start": offer.start.isoformat(),
        "end": offer.end.isoformat(),
        "offer_ids": [stack.id for stack in offer.stack],
    }


def main() -> None:
    config = json.loads(sys.argv[1])
    service = config["service"]
    BSP_MO_URLS[Interface.MI] = ServiceEndpoint(main=service, backup=service, test=service)
    client = MmsClient(
        domain="example.com",
        participant=config["participant"],
        user=config["user"],
        client_type=ClientType.BSP,
        cert=Certificate(config["p12"], config["passphrase"]),
    )
    day = dt.date.fromisoformat(config["date"])
    start = dt.datetime(day.year, day.month, day.day, 12)
    end = dt.datetime(day.year, day.month, day.day, 21)
    offer = OfferData(
        stack=[OfferStack(number=1, unit_price=100, minimum_quantity_kw=100)],
        resource=config["resource"],
        start=start,
        end=end,
        direction=Direction.SELL,
    )
    query = OfferQuery(market_type=MarketType.DAY_AHEAD)
    result: dict[str, Any] = {}
    result["put"] = summary(
        client.put_offer(offer, market_type=MarketType.DAY_AHEAD, days=1, date=day)
    )
    result["queried"] = [summary(o) for o in client.query_offers(query, days=1, date=day)]
    cancel = OfferCancel(
        resource=config["resource"], start=start, end=end, market_type=MarketType.DAY_AHEAD
    )
    cancelled = client.cancel_offer(cancel, market_type=MarketType.DAY_AHEAD, days=1, date=day)
    result["cancelled"] = {"resource": cancelled.resource, "start": cancelled.start.isoformat()}
    result["after_cancel"] = [summary(o) for o in client.query_offers(query, days=1, date=day)]
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
