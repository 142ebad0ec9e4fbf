"""Compatibility path for the offer models (``from mms_client.types.offer import OfferData,
OfferStack, Direction``)."""

from mms_client.schema.generated.mi_market import (
    AreaCode,
    Direction,
    OfferCancel,
    OfferData,
    OfferQuery,
    OfferStack,
)

__all__ = ["AreaCode", "Direction", "OfferCancel", "OfferData", "OfferQuery", "OfferStack"]
