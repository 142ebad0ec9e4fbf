"""What an operation handler receives and returns.

A handler sees one checked request (who sent it, the typed envelope and items) and answers
with an :class:`Outcome`: the items to return, each with the problems found in it.  Turning
an outcome into the MMS's response document (statistics, Validation/Success, Messages) is the
same for every operation and lives in :mod:`mms_client.sim.responses`.

Items travel as dicts keyed by XML names (``{"ResourceName": ..., "OfferStack": [...]}``):
that is the form the payload models validate directly, the form stored in the database, and
it lets a handler add the fields the MMS generates without knowing Python field names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from mms_client.sim.pki import Identity

if TYPE_CHECKING:
    from mms_client.operations import Operation
    from mms_client.schema.binding import XmlModel

XmlDict = dict[str, Any]


class Code(StrEnum):
    """The message codes the simulator answers with (the MMS's own codes are not public)."""

    SCHEMA_INVALID = "E_SCHEMA_INVALID"
    """The payload breaks the schema; the text names the element/attribute and the rule."""
    NOT_AUTHORISED = "E_NOT_AUTHORISED"
    """The caller's client type may not call this operation."""
    NOT_SUPPORTED = "E_NOT_SUPPORTED"
    """The simulator does not implement this operation."""
    NO_OPERATION = "E_NO_OPERATION"
    """The envelope holds no element that names an operation."""
    MARKET_TYPE_MISSING = "E_MARKET_TYPE_MISSING"
    """An offer submit or cancel without MarketType on its envelope."""
    RESOURCE_UNKNOWN = "E_RESOURCE_UNKNOWN"
    """No resource of that name is registered."""
    RESOURCE_NOT_OWNED = "E_RESOURCE_NOT_OWNED"
    """The resource is registered to another participant."""
    PERIOD_INVALID = "E_PERIOD_INVALID"
    """The end is not after the start, or a time is not on a 30-minute boundary."""
    STACK_DUPLICATE = "E_STACK_DUPLICATE"
    """Two stacks of one offer have the same number."""
    OFFER_NOT_FOUND = "E_OFFER_NOT_FOUND"
    """There is no live offer on the resource for exactly that period."""
    OFFER_REPLACED = "W_OFFER_REPLACED"
    """Warning: the offer replaces one submitted earlier for the same resource and period."""


@dataclass(frozen=True)
class Issue:
    """One message of a response: a code and a text for people."""

    code: Code
    text: str


@dataclass
class ItemResult:
    """One item of a response and what was found wrong (or worth noting) about it."""

    item: XmlDict
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    information: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Outcome:
    """What a handler answers.

    ``echo`` is true for submits, cancels and approvals, whose items are the request's items
    echoed with Validation/Success and Messages; false for queries, whose items are stored
    data returned as it was stored.
    """

    items: list[ItemResult]
    echo: bool


@dataclass(frozen=True)
class Call:
    """One request that passed every request-level check, as a handler sees it."""

    operation: Operation
    caller: Identity
    envelope: XmlModel
    """The typed envelope (MarketSubmit, MarketQuery...), attributes and children."""
    items: list[XmlModel]
    """The typed request items of the operation's element (one for single operations)."""
    now: datetime
    """Aware JST time at which the request is processed."""


_STATUS_KEYS = frozenset({"Validation", "Success", "Messages"})


def as_xml_dict(model: XmlModel) -> XmlDict:
    """``model`` as a dict keyed by XML names, without the status a sender may have left on
    it (Validation, Success, Messages at any depth): the MMS sets those itself."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in _STATUS_KEYS}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    data: XmlDict = strip(model.model_dump(mode="json", by_alias=True, exclude_none=True))
    return data
