"""Compatibility path: ``from mms_client.utils.web import ClientType`` keeps working."""

from mms_client.endpoints import ClientType, Interface

__all__ = ["ClientType", "Interface"]
