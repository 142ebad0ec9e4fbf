"""What an operation handler receives and returns.

A handler sees one checked request (who sent it, the typed envelope and items, the files that
came with it) and answers with an :class:`Outcome`: the items to return, each with the
problems found in it, plus files where the operation hands files back.  Turning an outcome
into the MMS's response document (statistics, Validation/Success, Messages) is the same for
every operation and lives in :mod:`mms_client.sim.responses`.

Items travel as dicts keyed by XML names (``{"ResourceName": ..., "OfferStack": [...]}``):
that is the form the payload models validate directly, the form stored in the database, and
it lets a handler add the fields the MMS generates without knowing Python field names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from mms_client.jst import WIRE_TIMES
from mms_client.schema.binding import VERDICT_ATTRIBUTES, VERDICT_ELEMENTS
from mms_client.sim.pki import Identity
from mms_client.wire.soap import Attachment

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
    """A submit of market-specific data without MarketType on its envelope."""
    PARTICIPANT_UNKNOWN = "E_PARTICIPANT_UNKNOWN"
    """No participant of that name is registered."""
    PARTICIPANT_MISMATCH = "E_PARTICIPANT_MISMATCH"
    """A BSP named another participant than its own, or a participant registered again
    names another type than its own."""
    PARTICIPANT_NOT_VALID = "E_PARTICIPANT_NOT_VALID"
    """A validity registration makes the participant holding the resource DEREGISTERED
    during the item's period."""
    USER_UNKNOWN = "E_USER_UNKNOWN"
    """No user of that name is registered to the participant."""
    RESOURCE_UNKNOWN = "E_RESOURCE_UNKNOWN"
    """No resource of that name is registered."""
    RESOURCE_NOT_OWNED = "E_RESOURCE_NOT_OWNED"
    """The resource is held by another participant (it registered it, or a transfer handed
    it over) for the item's period; the text names who and since when."""
    RESOURCE_NOT_APPROVED = "E_RESOURCE_NOT_APPROVED"
    """The resource is registered but not (yet) approved, so it cannot be traded."""
    RESOURCE_NOT_VALID = "E_RESOURCE_NOT_VALID"
    """The item's period is not within the resource's registration (from its StartDate to
    the end of its EndDate), or a validity registration makes the resource DEREGISTERED
    during it."""
    DR_PATTERN_UNKNOWN = "E_DR_PATTERN_UNKNOWN"
    """No DR pattern of that number is registered for the resource."""
    DR_PATTERN_NOT_APPROVED = "E_DR_PATTERN_NOT_APPROVED"
    """The resource's DR pattern is registered but not (yet) approved, so it cannot be
    traded."""
    DR_PATTERN_NOT_VALID = "E_DR_PATTERN_NOT_VALID"
    """The item's period is not within the validity of its DR pattern (from its StartDate to
    the end of its EndDate)."""
    NOT_PENDING = "E_NOT_PENDING"
    """An approval names a registration that is not waiting for approval."""
    TRANSACTION_UNKNOWN = "E_TRANSACTION_UNKNOWN"
    """The TransactionId does not name the registration it is given with."""
    PERIOD_INVALID = "E_PERIOD_INVALID"
    """A period is not one: its end is not after its start, a time is not on a 30-minute
    boundary, or a registration record's EndDate is before its StartDate; or a switch or
    refund is for a period outside its contract's."""
    STACK_DUPLICATE = "E_STACK_DUPLICATE"
    """Two stacks of one offer have the same number."""
    STACK_EMPTY = "W_STACK_EMPTY"
    """Warning: an offer stack offers no quantity of any commodity, so it can never be
    awarded."""
    MINIMUM_ABOVE_OFFER = "E_MINIMUM_ABOVE_OFFER"
    """An offer stack's MinimumQuantityInKw is more than every quantity it offers, so no award
    could reach it."""
    COMMODITY_NOT_REGISTERED = "E_COMMODITY_NOT_REGISTERED"
    """An offer stack offers a commodity its resource is registered without (``Pri``...
    false)."""
    CAPACITY_EXCEEDED = "E_CAPACITY_EXCEEDED"
    """The stacks of an offer together offer more of a commodity than its resource's
    registered maximum supply quantity (``PriMaximumSupplyQuantity``...)."""
    PATTERN_DUPLICATE = "E_PATTERN_DUPLICATE"
    """Two patterns of one BUP have the same number."""
    RECORD_DUPLICATE = "E_RECORD_DUPLICATE"
    """An item of a registration request names the same record (resource, DR pattern...) as
    an earlier item of the request."""
    OFFER_NOT_FOUND = "E_OFFER_NOT_FOUND"
    """There is no live offer on the resource for exactly that period."""
    OFFER_OVERLAP = "E_OFFER_OVERLAP"
    """An offer overlaps, without having exactly its period, a live offer of the same
    resource and market (the text names that offer's OfferIds and period)."""
    REQUIREMENT_OVERLAP = "E_REQUIREMENT_OVERLAP"
    """A reserve requirement block overlaps, without having exactly its period, another
    block of the same area, direction and market type (stored, or earlier in the request)."""
    OFFER_REPLACED = "W_OFFER_REPLACED"
    """Warning: the offer replaces one submitted earlier for the same resource and period."""
    OFFER_WITHDRAWN = "W_OFFER_WITHDRAWN"
    """Warning on a transfer: the previous holder's live offers on the resource from the
    transfer's StartDate on are withdrawn (the text names their OfferIds)."""
    DATA_WITHDRAWN = "W_DATA_WITHDRAWN"
    """Warning on a transfer: the previous holder's BUPs, baseline load files and remaining
    reserve on the resource from the transfer's StartDate on are withdrawn (the text names
    their kinds and periods)."""
    ATTACHMENT_MISSING = "E_ATTACHMENT_MISSING"
    """A file is announced in the payload but no attachment of that name came with it."""
    FILE_NAME_MISMATCH = "E_FILE_NAME_MISMATCH"
    """A file name does not say what its attributes say (resource, system code, date)."""
    FILE_NOT_FOUND = "E_FILE_NOT_FOUND"
    """No file of that name is available to the caller."""
    CONTRACT_UNKNOWN = "E_CONTRACT_UNKNOWN"
    """No contract (award or off-market contract) has that JbmsId."""
    COMMODITY_NOT_CONTRACTED = "E_COMMODITY_NOT_CONTRACTED"
    """A refund names a CommodityCategory its contract does not cover (an award's awarded
    commodities, an off-market contract's CommodityCategory)."""
    CONTRACT_NOT_OWNED = "E_CONTRACT_NOT_OWNED"
    """The contract belongs to another participant."""
    QUANTITY_EXCEEDED = "E_QUANTITY_EXCEEDED"
    """A switch moves more than the contract holds."""
    REPORT_UNKNOWN = "E_REPORT_UNKNOWN"
    """The ReportName is not a dataset the MMS produces, or not with that type and sub-type."""
    REPORT_NOT_AUTHORISED = "E_REPORT_NOT_AUTHORISED"
    """The caller's client type may not have this dataset."""
    PARAMETER_INVALID = "E_PARAMETER_INVALID"
    """A report parameter is missing, unknown, unreadable or outside its schema type."""
    REPORT_NOT_FOUND = "E_REPORT_NOT_FOUND"
    """No report file of the caller matches the download request."""


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


@dataclass(frozen=True)
class FileAnswer:
    """A file handed back as the whole answer (a report download): its bytes become
    ``responseData`` with ``responseDataType`` ``data_type`` and ``responseFilename`` ``name``.
    ``ok`` false means ``data`` is a document explaining why there is no file."""

    data: bytes
    data_type: str
    name: str | None = None
    ok: bool = True


@dataclass
class Outcome:
    """What a handler answers.

    ``echo`` is true for submits, cancels and approvals, whose items are the request's items
    echoed with Validation/Success and Messages; false for queries, whose items are stored
    data returned as it was stored.  ``companions`` are further envelope children echoed as
    they are (StandingData beside BUPs); ``attachments`` are files returned beside the
    payload; ``file`` replaces the payload document by a file.
    """

    items: list[ItemResult]
    echo: bool
    companions: XmlDict = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()
    file: FileAnswer | None = None


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
    transaction_id: str
    """The TransactionId the answer will carry (a created report is known by it)."""
    attachments: tuple[Attachment, ...] = ()
    """The files that came with the request (signatures already verified)."""

    @classmethod
    def of(
        cls,
        operation: Operation,
        caller: Identity,
        document: XmlModel,
        now: datetime,
        transaction_id: str,
        attachments: tuple[Attachment, ...] = (),
    ) -> Call:
        """The call a request document of ``operation`` makes: its envelope and the items of
        the operation's element taken out of it (the service and the seed planting both start
        from a whole document)."""
        envelope = operation.request_envelope(document)
        items = operation.request_items(document)
        return cls(operation, caller, envelope, items, now, transaction_id, attachments)

    def attachment(self, name: str) -> Attachment | None:
        """The attachment called ``name``, if the request carried one."""
        return next((a for a in self.attachments if a.name == name), None)


_VERDICT_KEYS = VERDICT_ATTRIBUTES | VERDICT_ELEMENTS


def as_xml_dict(model: XmlModel) -> XmlDict:
    """``model`` as a dict keyed by XML names, without the verdict a sender may have left on
    it (Validation, Success, ValidationStatus, Messages at any depth), as the client leaves it
    out of a request: the MMS sets those itself. Times are written as the MMS writes them
    (Japan time without an offset), which read back as the same times in every year (see
    :data:`~mms_client.jst.WIRE_TIMES`)."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in _VERDICT_KEYS}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    dumped = model.model_dump(
        mode="json", by_alias=True, exclude_none=True, context={WIRE_TIMES: True}
    )
    data: XmlDict = strip(dumped)
    return data
