"""Compatibility path: ``from mms_client.types.market import MarketType`` keeps working."""

from mms_client.schema.generated.mi_market import MarketType

__all__ = ["MarketType"]
