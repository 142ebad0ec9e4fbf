"""Registration (``RegistrationData``): participants, users and their system access, bank
accounts, resources and everything the market operator and TSOs record about them, DR
patterns, and the approvals of resources and DR patterns.

The rules a client meets:

- every record names a registered participant, and a BSP may only speak for its own
  (``E_PARTICIPANT_UNKNOWN``, ``E_PARTICIPANT_MISMATCH``); a participant registered again
  keeps its type (``E_PARTICIPANT_MISMATCH``);
- what the market operator or a TSO records about a resource (evaluation, validity,
  coefficient, suspension) names the resource together with the participant holding it
  when the record starts (``E_RESOURCE_UNKNOWN``, ``E_RESOURCE_NOT_OWNED``);
- a DR pattern is registered by the BSP holding its resource, once the resource is
  approved (``E_RESOURCE_NOT_APPROVED`` while it awaits approval);
- a registered resource or DR pattern gets a TransactionId and the status SUBMITTED: it
  cannot be traded until the market operator or a TSO approves it with that TransactionId
  (``RegistrationApproval``); approving what is not waiting for approval fails
  (``E_NOT_PENDING``, ``E_TRANSACTION_UNKNOWN``);
- registering an approved resource or DR pattern again is a change awaiting approval: the
  approved record stays in force (it is what is traded, cleared and reported) until the
  change is approved, a declined change leaves it as it was, and queries return both;
- each item of a request names a record of its own (``E_RECORD_DUPLICATE``);
- a transfer moves a resource to another participant from its StartDate on: from then on
  data submitted on the resource must come from the new holder, and the previous holder's
  live offers on it from then on are withdrawn (:mod:`~mms_client.sim.holding`);
- suspensions take the resource (or DR pattern) out of clearing for the commodity and days
  they name;
- a resource is traded only within the dates of its registration and while validity
  registrations leave it and its holder REGISTERED (:mod:`~mms_client.sim.holding`).

Queries answer with the registration documents as stored, a BSP seeing its own; a resource
and its DR patterns are answered as held on the query's Date (today without one), by and to
the resource's holder then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from mms_client.endpoints import ClientType, Interface
from mms_client.sim import seed
from mms_client.sim.calls import Call, Code, Issue, ItemResult, Outcome, XmlDict, as_xml_dict
from mms_client.sim.holding import (
    PARTICIPANT_VALIDITY_KIND,
    RESOURCE_VALIDITY_KIND,
    held_on_query_date,
    holding_issues,
    resource_held,
    resource_of_named_participant,
    resources_held,
    withdraw_unheld_data,
    withdraw_unheld_offers,
)
from mms_client.sim.market_data import HELD_DATA
from mms_client.sim.records import (
    DR_PATTERN_KIND,
    Check,
    Collection,
    Context,
    Fill,
    Handler,
    Keeper,
    Owner,
    Row,
    Source,
    attachment_issues,
    dr_pattern_registered,
    item_start,
    new_registration_id,
    own_participant,
    participant_known,
    query,
    stored_query,
    submit,
    unit_period_issues,
    validity_period,
    wall_time,
)
from mms_client.sim.store import (
    ItemRecord,
    ParticipantRecord,
    ResourceRecord,
    Store,
    UserRecord,
)

MI = Interface.MI
DOCUMENT_SEQUENCE = "document"
"""The sequence DocumentIds of registered attachments are numbered from."""
_VALIDITY = ("StartDate", "EndDate")
_CLIENT_TYPES = {name: client_type for client_type, name in seed.PARTICIPANT_TYPES.items()}
_NAME_LETTERS = {ClientType.BSP: "F", ClientType.MO: "M", ClientType.TSO: "T"}


PARTICIPANT_VALIDITIES = Collection(
    PARTICIPANT_VALIDITY_KIND, MI, ("ParticipantName", "StartDate"), Owner.PARTICIPANT, _VALIDITY
)
USER_SYSTEM_ACCESSES = Collection(
    "UserSystemAccess",
    MI,
    ("ParticipantName", "UserName", "SubsystemName", "StartDate"),
    Owner.PARTICIPANT,
    _VALIDITY,
)
BANK_ACCOUNTS = Collection(
    "BankAccount", MI, ("ParticipantName", "StartDate"), Owner.PARTICIPANT, _VALIDITY
)
RESOURCE_EVALUATIONS = Collection(
    "ResourceEvaluation", MI, ("ResourceName", "TransactionId"), Owner.PARTICIPANT, None
)
RESOURCE_VALIDITIES = Collection(
    RESOURCE_VALIDITY_KIND, MI, ("ResourceName", "StartDate"), Owner.PARTICIPANT, _VALIDITY
)
DR_PATTERNS = Collection(
    DR_PATTERN_KIND,
    MI,
    ("ResourceName", "PatternNumber"),
    Owner.RESOURCE,
    _VALIDITY,
)
RESOURCE_COEFFICIENTS = Collection(
    "ResourceCoefficient",
    MI,
    ("ResourceName", "CommodityCategory", "StartDate"),
    Owner.PARTICIPANT,
    _VALIDITY,
)


@dataclass(frozen=True)
class _Transfers(Collection):
    """Resource transfers: a transfer stored, the previous holder's live offers and other
    data on the resource (:data:`~mms_client.sim.market_data.HELD_DATA`) for periods it no
    longer holds it are withdrawn."""

    def keep(self, context: Context, item: XmlDict) -> list[Issue]:
        super().keep(context, item)
        resource, since = item["ResourceName"], str(wall_time(item["StartDate"]))
        return withdraw_unheld_offers(context, resource, since) + withdraw_unheld_data(
            context, resource, since, HELD_DATA
        )


RESOURCE_TRANSFERS = _Transfers(
    "ResourceTransfer", MI, ("ResourceName", "StartDate"), Owner.PARTICIPANT, _VALIDITY
)
RESOURCE_SUSPENSIONS = Collection(
    "ResourceSuspension",
    MI,
    ("ResourceName", "CommodityCategory", "StartDate"),
    Owner.PARTICIPANT,
    _VALIDITY,
)
DR_PATTERN_SUSPENSIONS = Collection(
    "DrPatternSuspension",
    MI,
    ("ResourceName", "PatternNumber", "CommodityCategory", "StartDate"),
    Owner.PARTICIPANT,
    _VALIDITY,
)


# --- master data: kept in tables of their own ---------------------------------------------------


@dataclass(frozen=True)
class _Master:
    """A :class:`~mms_client.sim.records.Keeper` for master data: valid from its StartDate
    to its EndDate as every registration record is (``E_PERIOD_INVALID``), the checks say
    what else an item needs."""

    store_item: Callable[[Context, XmlDict], None]
    key: tuple[str, ...]

    def targets(self, item: XmlDict) -> list[XmlDict]:
        return [item]

    def issues(self, context: Context, item: XmlDict) -> list[Issue]:
        return unit_period_issues(_VALIDITY, item)

    def keep(self, context: Context, item: XmlDict) -> list[Issue]:
        self.store_item(context, item)
        return []


def _participant_type(item: XmlDict) -> ClientType:
    return _CLIENT_TYPES[item["ParticipantType"]]


def _participant_type_kept(context: Context, item: XmlDict) -> list[Issue]:
    """A participant registered again keeps its type: its users and their certificates are
    of it, as are the resources and data of a BSP."""
    name = item.get("ParticipantName")
    existing = None if name is None else context.store.participant(name)
    if existing is None or existing.participant_type is _participant_type(item):
        return []
    registered = seed.PARTICIPANT_TYPES[existing.participant_type]
    return [
        Issue(
            Code.PARTICIPANT_MISMATCH,
            f"participant {existing.name} is registered as {registered}, not "
            f"{item['ParticipantType']}; a participant of another type is a new participant",
        )
    ]


def _name_participant(context: Context, item: XmlDict) -> None:
    """Fill: a new participant without a name gets the first free one of its type (BSPs
    F101, F102..., the market operator M..., TSOs T...)."""
    if "ParticipantName" in item:
        return
    letter = _NAME_LETTERS[_participant_type(item)]
    number = 101
    while context.store.participant(f"{letter}{number}") is not None:
        number += 1
    item["ParticipantName"] = f"{letter}{number}"


def _keep_participant(context: Context, item: XmlDict) -> None:
    name = item["ParticipantName"]
    existing = context.store.participant(name)
    context.store.put_participant(
        ParticipantRecord(
            name=name,
            company_short_name=item["CompanyShortName"],
            operator_code=name if existing is None else existing.operator_code,
            participant_type=_participant_type(item),
            document=item,
        )
    )


def _keep_user(context: Context, item: XmlDict) -> None:
    participant = context.store.participant(item["ParticipantName"])
    assert participant is not None  # checked by participant_known
    context.store.put_user(
        UserRecord(item["ParticipantName"], item["UserName"], participant.participant_type, item)
    )


def _resource_name_free(context: Context, item: XmlDict) -> list[Issue]:
    """A resource registered already is registered again only by the participant holding
    it now: its registrant, or the receiver of a transfer that has taken effect, which
    queries show the registration to as its own."""
    name = item["ResourceName"]
    if context.store.resource(name) is None:
        return []
    return holding_issues(context.store, name, item["ParticipantName"], context.now, None)


def _submitted(context: Context, item: XmlDict) -> None:
    """Fill: a new TransactionId and the status SUBMITTED (awaiting approval)."""
    new_registration_id(context, item)
    item["RecordStatus"] = "SUBMITTED"


def _resource_record(document: XmlDict) -> ResourceRecord:
    """The master data a resource registration gives, in the status it states."""
    return ResourceRecord(
        name=document["ResourceName"],
        participant=document["ParticipantName"],
        short_name=document["ResourceShortName"],
        area=document["Area"],
        system_code=document["SystemCode"],
        status=document["RecordStatus"],
        transaction_id=document["TransactionId"],
        document=document,
    )


def _keep_resource(context: Context, item: XmlDict) -> None:
    context.store.put_resource(_resource_record(item))


def _master_source(rows: Callable[[Store], list[Row]]) -> Source:
    def source(context: Context, period: tuple[str | None, str | None]) -> list[Row]:
        return rows(context.store)

    return source


def _participant_rows(store: Store) -> list[Row]:
    return [Row(p.document, p.name, *validity_period(p.document)) for p in store.participants()]


def _user_rows(store: Store) -> list[Row]:
    return [Row(u.document, u.participant, *validity_period(u.document)) for u in store.users()]


def _resource_rows(context: Context, period: tuple[str | None, str | None]) -> list[Row]:
    """The resources registered on the query's Date (every one without it), as held then
    (today without it): their holder sees them, named as their ParticipantName."""
    return [
        Row(
            {**record.document, "ParticipantName": held_by},
            held_by,
            *validity_period(record.document),
        )
        for record, held_by in resources_held(context.store, period, context.now)
    ]


# --- registrations that need approval ----------------------------------------------------------


class _Registration(Protocol):
    """A stored registration of a resource or DR pattern: a record in force, or a change to
    one."""

    @property
    def participant(self) -> str | None: ...

    @property
    def status(self) -> str | None: ...

    @property
    def transaction_id(self) -> str | None: ...

    @property
    def document(self) -> XmlDict: ...


@dataclass(frozen=True)
class _Pending:
    """A registration an approval names, and how to record the decision (APPROVED or
    DECLINED) on it."""

    registration: _Registration
    decide: Callable[[str], None]


def _in_status(registration: _Registration, status: str) -> XmlDict:
    return {**registration.document, "RecordStatus": status}


@dataclass(frozen=True)
class _Registry:
    """Registrations that need approval (resources, DR patterns): the
    :class:`~mms_client.sim.records.Keeper` of their submits, and what approvals and queries
    find.

    A registration becomes the record in force (kept by ``records``, in the status it
    states) unless that record is approved: then it is a change, kept beside the record in
    ``changes`` under the same key, so that what is traded, cleared and reported goes on
    using the approved record.  The change awaits approval; approved, it takes the record's
    place; declined, it stays beside the record as DECLINED until the next registration
    replaces it.  Resources and DR patterns keep their records in force differently (master
    data, items), so ``record`` finds one by its key and ``in_force`` lists them; their
    changes are items alike.
    """

    records: Keeper
    record: Callable[[Store, tuple[Any, ...]], _Registration | None]
    in_force: Source
    changes: Collection

    @property
    def key(self) -> tuple[str, ...]:
        return self.records.key

    def targets(self, item: XmlDict) -> list[XmlDict]:
        return self.records.targets(item)

    def issues(self, context: Context, item: XmlDict) -> list[Issue]:
        return self.records.issues(context, item)

    def keep(self, context: Context, item: XmlDict) -> list[Issue]:
        record = self.record(context.store, self._key(item))
        if record is not None and record.status == "APPROVED":
            return self.changes.keep(context, item)
        return self.records.keep(context, item)

    def registrations(self, store: Store, item: XmlDict) -> list[_Registration]:
        """The record in force the item names and the change to it, those that exist."""
        key = self._key(item)
        return [r for r in (self.record(store, key), self._change(store, key)) if r is not None]

    def pending(self, context: Context, item: XmlDict) -> _Pending | None:
        """What an approval of the item decides: the change if there is one (approved, it
        becomes the record in force), else the record in force."""
        key = self._key(item)
        change = self._change(context.store, key)
        if change is not None:

            def decide_change(status: str) -> None:
                if status == "APPROVED":
                    self.records.keep(context, _in_status(change, status))
                    context.store.delete_item(change.id)
                else:
                    context.store.update_item(
                        change.id, status=status, document=_in_status(change, status)
                    )

            return _Pending(change, decide_change)
        record = self.record(context.store, key)
        if record is None:
            return None

        def decide(status: str) -> None:
            self.records.keep(context, _in_status(record, status))

        return _Pending(record, decide)

    def rows(self, context: Context, period: tuple[str | None, str | None]) -> list[Row]:
        """Every record in force, each followed by the change to it if there is one (their
        RecordStatus tells them apart)."""
        changes = {
            self._key(row.document): row
            for row in held_on_query_date(self.changes)(context, period)
        }
        rows = []
        for row in self.in_force(context, period):
            rows.append(row)
            change = changes.get(self._key(row.document))
            if change is not None:
                rows.append(change)
        return rows

    def _key(self, document: XmlDict) -> tuple[Any, ...]:
        return tuple(document[name] for name in self.key)

    def _change(self, store: Store, key: tuple[Any, ...]) -> ItemRecord | None:
        return store.item(self.changes.kind, self.changes.interface.value, key)


RESOURCE_REGISTRY = _Registry(
    records=_Master(_keep_resource, ("ResourceName",)),
    record=lambda store, key: store.resource(*key),
    in_force=_resource_rows,
    changes=Collection("ResourceChange", MI, ("ResourceName",), Owner.PARTICIPANT, _VALIDITY),
)
DR_PATTERN_REGISTRY = _Registry(
    records=DR_PATTERNS,
    record=lambda store, key: store.item(DR_PATTERNS.kind, MI.value, key),
    in_force=held_on_query_date(DR_PATTERNS),
    changes=replace(DR_PATTERNS, kind="DrPatternChange"),
)


# --- records about participants and resources -------------------------------------------------


def _user_known(context: Context, item: XmlDict) -> list[Issue]:
    participant, user = item["ParticipantName"], item["UserName"]
    if context.store.user(participant, user) is None:
        return [Issue(Code.USER_UNKNOWN, f"user {user} is not registered to {participant}")]
    return []


def _registration_transaction(context: Context, item: XmlDict) -> list[Issue]:
    """An evaluation names the registration it evaluates by its TransactionId: the
    resource's record, or the change to it."""
    registrations = RESOURCE_REGISTRY.registrations(context.store, item)
    known = [str(r.transaction_id) for r in registrations]
    if registrations and item["TransactionId"] not in known:
        # a registration made again replaces the one before: saying which ones stand now
        # tells a caller holding an older TransactionId what happened to it
        return [
            Issue(
                Code.TRANSACTION_UNKNOWN,
                f"TransactionId {item['TransactionId']} is not a registration of resource "
                f"{item['ResourceName']} now; its registrations are {', '.join(known)}",
            )
        ]
    return []


def _files(item: XmlDict) -> list[XmlDict]:
    """The attachment elements of a record that bring a file (Action NEW or UPDATE)."""
    return [
        value
        for value in item.values()
        if isinstance(value, dict) and "FileName" in value and value.get("Action") != "NONE"
    ]


def _documents_attached(context: Context, item: XmlDict) -> list[Issue]:
    return attachment_issues(context, (f["FileName"] for f in _files(item)))


def _number_documents(context: Context, item: XmlDict) -> None:
    """Fill: every newly attached document gets its DocumentId."""
    for element in _files(item):
        element.setdefault("DocumentId", context.store.next_value(DOCUMENT_SEQUENCE))


def _transfer_parties(context: Context, item: XmlDict) -> list[Issue]:
    """The resource is the previous participant's when the transfer starts, the receiver is
    registered, and a BSP may only transfer its own resources or receive one."""
    name, previous, receiver = (
        item["ResourceName"],
        item["PreviousParticipantName"],
        item["ParticipantName"],
    )
    if context.store.resource(name) is None:
        return [Issue(Code.RESOURCE_UNKNOWN, f"resource {name} is not registered")]
    issues = participant_known()(context, item)
    issues += holding_issues(context.store, name, previous, item_start(context, item), None)
    if context.is_bsp and context.participant not in (previous, receiver):
        issues.append(
            Issue(
                Code.PARTICIPANT_MISMATCH,
                f"participant {context.participant} is not a party to this transfer",
            )
        )
    return issues


def _registration(
    keeper: Keeper, *rules: Check, fills: tuple[Fill, ...] = (new_registration_id,)
) -> Handler:
    """A registration submit: each item names a record of its own, and the records get a
    TransactionId unless ``fills`` say otherwise."""
    return submit(keeper, rules, fills, distinct=True)


_NAMED_RESOURCE = (participant_known(), resource_of_named_participant)


# --- approvals -------------------------------------------------------------------------------


def _approve(find_pending: Callable[[Context, XmlDict], _Pending | None], what: str) -> Handler:
    """An approval: the named registration must exist for the named participant, wait for
    approval and carry the given TransactionId; the decision (APPROVED or DECLINED) becomes
    its status."""

    def handle(call: Call, store: Store) -> Outcome:
        context = Context(call, store)
        results = []
        for model in call.items:
            item = as_xml_dict(model)
            name = f"{what} {item['ResourceName']}" + (
                f"/{item['PatternNumber']}" if "PatternNumber" in item else ""
            )
            pending = find_pending(context, item)
            errors = []
            if pending is None:
                code = Code.RESOURCE_UNKNOWN if what == "resource" else Code.DR_PATTERN_UNKNOWN
                errors.append(Issue(code, f"{name} is not registered"))
            elif pending.registration.participant != item["ParticipantName"]:
                errors.append(
                    Issue(
                        Code.RESOURCE_NOT_OWNED,
                        f"{name} is not registered to participant {item['ParticipantName']}",
                    )
                )
            elif pending.registration.status != "SUBMITTED":
                errors.append(
                    Issue(
                        Code.NOT_PENDING,
                        f"{name}: registration {pending.registration.transaction_id} is "
                        f"{pending.registration.status}",
                    )
                )
            elif pending.registration.transaction_id != item["TransactionId"]:
                errors.append(
                    Issue(
                        Code.TRANSACTION_UNKNOWN,
                        f"{name} awaits approval of registration "
                        f"{pending.registration.transaction_id}, not {item['TransactionId']}",
                    )
                )
            else:
                pending.decide(item["Action"])
            results.append(ItemResult(item, errors=errors))
        return Outcome(results, echo=True)

    return handle


HANDLERS: dict[tuple[Interface, str], Handler] = {
    (MI, "RegistrationSubmit_Participant"): _registration(
        _Master(_keep_participant, ("ParticipantName",)),
        _participant_type_kept,
        fills=(_name_participant, new_registration_id),
    ),
    (MI, "RegistrationSubmit_ParticipantValidity"): _registration(
        PARTICIPANT_VALIDITIES, participant_known()
    ),
    (MI, "RegistrationSubmit_User"): _registration(
        _Master(_keep_user, ("ParticipantName", "UserName")), participant_known()
    ),
    (MI, "RegistrationSubmit_UserSystemAccess"): _registration(USER_SYSTEM_ACCESSES, _user_known),
    (MI, "RegistrationSubmit_BankAccount"): _registration(
        BANK_ACCOUNTS, own_participant, participant_known()
    ),
    (MI, "RegistrationSubmit_Resource"): _registration(
        RESOURCE_REGISTRY,
        own_participant,
        participant_known(),
        _resource_name_free,
        fills=(_submitted,),
    ),
    (MI, "RegistrationSubmit_ResourceEvaluation"): _registration(
        RESOURCE_EVALUATIONS,
        *_NAMED_RESOURCE,
        _registration_transaction,
        _documents_attached,
        fills=(_number_documents,),
    ),
    (MI, "RegistrationSubmit_ResourceValidity"): _registration(
        RESOURCE_VALIDITIES, *_NAMED_RESOURCE
    ),
    (MI, "RegistrationSubmit_DrPattern"): _registration(
        DR_PATTERN_REGISTRY,
        own_participant,
        resource_held(),
        _documents_attached,
        fills=(_submitted, _number_documents),
    ),
    (MI, "RegistrationSubmit_ResourceCoefficient"): _registration(
        RESOURCE_COEFFICIENTS, *_NAMED_RESOURCE
    ),
    (MI, "RegistrationSubmit_ResourceTransfer"): _registration(
        RESOURCE_TRANSFERS, _transfer_parties
    ),
    (MI, "RegistrationSubmit_ResourceSuspension"): _registration(
        RESOURCE_SUSPENSIONS, *_NAMED_RESOURCE
    ),
    (MI, "RegistrationSubmit_DrPatternSuspension"): _registration(
        DR_PATTERN_SUSPENSIONS,
        *_NAMED_RESOURCE,
        dr_pattern_registered("PatternNumber", approved=False),
    ),
    (MI, "RegistrationQuery_Participant"): query(_master_source(_participant_rows)),
    (MI, "RegistrationQuery_ParticipantValidity"): stored_query(PARTICIPANT_VALIDITIES),
    (MI, "RegistrationQuery_User"): query(_master_source(_user_rows)),
    (MI, "RegistrationQuery_UserSystemAccess"): stored_query(USER_SYSTEM_ACCESSES),
    (MI, "RegistrationQuery_BankAccount"): stored_query(BANK_ACCOUNTS),
    (MI, "RegistrationQuery_Resource"): query(RESOURCE_REGISTRY.rows),
    (MI, "RegistrationQuery_ResourceEvaluation"): stored_query(RESOURCE_EVALUATIONS),
    (MI, "RegistrationQuery_ResourceValidity"): stored_query(RESOURCE_VALIDITIES),
    (MI, "RegistrationQuery_DrPattern"): query(DR_PATTERN_REGISTRY.rows),
    (MI, "RegistrationQuery_ResourceCoefficient"): stored_query(RESOURCE_COEFFICIENTS),
    (MI, "RegistrationQuery_ResourceSuspension"): stored_query(RESOURCE_SUSPENSIONS),
    (MI, "RegistrationQuery_DrPatternSuspension"): stored_query(DR_PATTERN_SUSPENSIONS),
    (MI, "RegistrationApproval_Resource"): _approve(RESOURCE_REGISTRY.pending, "resource"),
    (MI, "RegistrationApproval_DrPattern"): _approve(DR_PATTERN_REGISTRY.pending, "DR pattern"),
}
"""The registration operations, by interface and name."""
