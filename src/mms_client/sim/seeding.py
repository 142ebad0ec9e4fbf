"""Puts the seed (:mod:`mms_client.sim.seed`) into a new state.

Master data (participants, users, approved resources) is written directly.  Everything
else is planted the way it would arrive at the MMS: the registrations awaiting approval, the
example requests of :mod:`mms_client.examples` and F200's offer run through the simulator's
own handlers, as the seeded users, at :data:`~mms_client.sim.seed.SEEDED_AT`.  So the
seeded data is exactly what the handlers would have made of those requests, and the
examples of the operations that act on existing data (cancel, approve, download, switch,
refund...) find what they need.  F100's report alone is created at the moment of seeding, by
the simulator's clock: a report is kept for :data:`~mms_client.sim.reports.KEPT_DAYS` from
its creation, so one created at :data:`~mms_client.sim.seed.SEEDED_AT` would be gone
already.  Planting starts from empty sequences, so the identifiers it produces are the same
every time (the TransactionIds and JbmsIds :mod:`~mms_client.sim.seed` names).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import cast

from mms_client.endpoints import Interface
from mms_client.examples import Example, example_request
from mms_client.schema.generated.mi_market import OfferData
from mms_client.sim import seed
from mms_client.sim.calls import Call
from mms_client.sim.handlers import handler_for
from mms_client.sim.pki import Identity
from mms_client.sim.store import ParticipantRecord, ResourceRecord, Store, UserRecord

PLANTED: tuple[tuple[str, Interface], ...] = (
    ("RegistrationSubmit_ParticipantValidity", Interface.MI),
    ("RegistrationSubmit_ResourceEvaluation", Interface.MI),
    ("RegistrationSubmit_ResourceValidity", Interface.MI),
    ("RegistrationSubmit_ResourceSuspension", Interface.MI),
    ("RegistrationSubmit_DrPatternSuspension", Interface.MI),
    ("ReportCreateRequest", Interface.MI),
    ("RegistrationSubmit_ResourceCoefficient", Interface.MI),
    ("RegistrationSubmit_UserSystemAccess", Interface.MI),
    ("RegistrationSubmit_BankAccount", Interface.MI),
    ("MarketSubmit_ReserveRequirement", Interface.MI),
    ("MarketSubmit_AllowableInterareaAward", Interface.MI),
    ("MarketSubmit_UpperLimitTieline", Interface.MI),
    ("MarketSubmit_OfflineFrameSubmit", Interface.MI),
    ("MarketSubmit_FringeSubmit", Interface.MI),
    ("MarketSubmit_OfferData", Interface.MI),
    ("MarketSubmit_BupSubmit", Interface.MI),
    ("MarketSubmit_BaselineLoad", Interface.MI),
    ("MarketSubmit_SettlementResults", Interface.MI),
    ("MarketSubmit_Switch", Interface.MI),
    ("MarketSubmit_BaselineLoad", Interface.OMI),
    ("MarketSubmit_RemainingReserveData", Interface.OMI),
    ("MarketSubmit_OffMarketContract", Interface.OMI),
    ("MarketSubmit_RefundData", Interface.OMI),
)
"""The examples planted, in this order, after the registrations awaiting approval (first, so
that their TransactionIds are the ones :mod:`~mms_client.sim.seed` names).  F100's resource
list is made before FAKE_BATT's performance coefficient is registered, so that it lists
every resource with the default coefficient."""


def _pending_resource() -> Example:
    """F100's registration of ``FAKE_NEW``, which awaits approval.  The resource registration
    example registers another resource: registering this one again would replace its
    registration, and the evaluation and approval examples, which name it, would fail
    after that example."""
    example = example_request("RegistrationSubmit_Resource")
    document = seed.resource_document(seed.RESOURCE_AWAITING_APPROVAL, status=None)
    return replace(example, payload=example.operation.payload_model.model_validate(document))


def _pending_dr_pattern() -> Example:
    """F100's registration of DR pattern 1 of ``FAKE_RESO2``, which awaits approval: the
    example's registration made for another pattern, as the example's pattern must not be
    this one (for the reason :func:`_pending_resource` gives)."""
    example = example_request("RegistrationSubmit_DrPattern")
    (pattern,) = example.items
    (customer_list,) = example.attachments
    document = {
        **pattern.model_dump(by_alias=True, exclude_none=True),
        "PatternNumber": seed.DR_PATTERN_NUMBER,
        "PatternName": "平日昼間",
        "CustomerListAttachment": {"FileName": seed.DR_CUSTOMER_LIST, "Action": "NEW"},
    }
    return replace(
        example,
        payload=type(pattern).model_validate(document),
        attachments=(replace(customer_list, name=seed.DR_CUSTOMER_LIST),),
    )


def _other_offer() -> Example:
    """F200's offer on its own resource, so that the seeded market has a second BSP."""
    example = example_request("MarketSubmit_OfferData")
    morning = cast(OfferData, example.items[0])
    offer = OfferData.model_validate(
        {
            "ResourceName": "OTHER_RESO",
            "StartTime": morning.start,
            "EndTime": morning.end,
            "Direction": "1",
            "OfferStack": [
                {
                    "StackNumber": 1,
                    "MinimumQuantityInKw": 100,
                    "Tertiary1OfferQuantityInKw": 800,
                    "Tertiary2OfferQuantityInKw": 1200,
                    "OfferUnitPrice": "7.00",
                }
            ],
        }
    )
    return Example(example.operation, offer, example.client_type, "F200", example.envelope)


def _run(store: Store, example: Example, transaction_id: str, at: datetime) -> None:
    user = next(u for u in seed.USERS if u.participant == example.participant)
    operation = example.operation
    call = Call.of(
        operation,
        Identity(user.participant, user.user, user.client_type),
        example.document(user.user),
        at,
        transaction_id,
        example.attachments,
    )
    handler = handler_for(operation)
    assert handler is not None, f"{operation.name} has no handler"
    outcome = handler(call, store)
    problems = [issue for result in outcome.items for issue in result.errors]
    if problems:
        raise RuntimeError(f"planting {operation.name} failed: {problems}")


def plant(store: Store, now: datetime) -> None:
    """Seeds an empty state (inside the caller's transaction) at ``now``, the simulator's
    time, at which F100's report is made."""
    for participant in seed.PARTICIPANTS:
        store.put_participant(
            ParticipantRecord(
                participant.name,
                participant.company_short_name,
                participant.operator_code,
                participant.participant_type,
                seed.participant_document(participant),
            )
        )
    for user in seed.USERS:
        store.put_user(
            UserRecord(user.participant, user.user, user.client_type, seed.user_document(user))
        )
    for number, resource in enumerate(seed.RESOURCES, start=1):
        store.put_resource(
            ResourceRecord(
                resource.name,
                resource.participant,
                resource.short_name,
                resource.area,
                resource.system_code,
                status="APPROVED",
                transaction_id=f"S{number:07d}",
                document={
                    **seed.resource_document(resource),
                    "TransactionId": f"S{number:07d}",
                },
            )
        )
    planted = [_pending_resource(), _pending_dr_pattern()]
    for name, interface in PLANTED:
        planted.append(example_request(name, interface))
        if name == "MarketSubmit_OfferData":
            planted.append(_other_offer())
    for number, example in enumerate(planted, start=1):
        if example.operation.name == "ReportCreateRequest":
            _run(store, example, seed.REPORT_TRANSACTION, now)
        else:
            _run(store, example, f"SEED{number:04d}", seed.SEEDED_AT)
