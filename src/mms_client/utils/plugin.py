"""Compatibility path: ``from mms_client.utils.plugin import Plugin`` keeps working."""

from mms_client.plugins import Plugin

__all__ = ["Plugin"]
