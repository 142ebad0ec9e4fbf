"""Registration in the simulator: who may register what, approvals, and what they change."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from lxml import etree

from mms_client.endpoints import Interface
from mms_client.examples import NEW_RESOURCE, Example, example_request
from mms_client.schema import codec
from mms_client.schema.generated.mi_market import OfferQuery
from mms_client.schema.generated.mpr import ResourceQuery
from mms_client.sim import Simulator, seed

from .conftest import Wire


def _items(answer: Any, tag: str) -> list[dict[str, str]]:
    return [dict(element.attrib) for element in answer.document.iter(tag)]


def _example_item(
    operation: str, resource: str, interface: Interface = Interface.MI
) -> dict[str, Any]:
    """An example item of ``operation`` made on ``resource``: the example's item on the DR
    pattern's resource where it has one (that offer offers tertiary-2 only, which every
    resource of the seed and of the registration example is registered for), else its
    first."""
    items = [item.model_dump(by_alias=True) for item in example_request(operation, interface).items]
    on_it = [item for item in items if item.get("ResourceName") == seed.DR_PATTERN_RESOURCE]
    return {**(on_it or items)[0], "ResourceName": resource}


def _offer(wire: Wire, resource: str) -> Any:
    return wire.example(
        "MarketSubmit_OfferData", items=[_example_item("MarketSubmit_OfferData", resource)]
    )


def test_a_registered_resource_awaits_approval_before_it_can_be_offered(
    seeded_wire: Wire,
) -> None:
    registered = seeded_wire.example("RegistrationSubmit_Resource")
    (echo,) = _items(registered, "Resource")
    assert echo["RecordStatus"] == "SUBMITTED" and echo["Validation"] == "PASSED"
    # the root has a status of its own, which says what the envelope says
    for status in (registered.document.attrib, *_items(registered, "RegistrationSubmit")):
        assert (status["Validation"], status["Success"]) == ("PASSED", "true")
    transaction = echo["TransactionId"]
    assert len(transaction) == 8 and transaction != seed.PENDING_RESOURCE_TRANSACTION

    new = NEW_RESOURCE.name
    assert _offer(seeded_wire, new).codes() == ["E_RESOURCE_NOT_APPROVED"]

    approval = {
        **example_request("RegistrationApproval_Resource").items[0].model_dump(by_alias=True),
        "ResourceName": new,
        "TransactionId": transaction,
    }
    approved = seeded_wire.example("RegistrationApproval_Resource", items=[approval])
    assert approved.codes() == [] and approved.info.success

    assert _offer(seeded_wire, new).codes() == []
    again = seeded_wire.example("RegistrationApproval_Resource", items=[approval])
    assert again.codes() == ["E_NOT_PENDING"]
    (queried,) = _items(
        seeded_wire.example(
            "RegistrationQuery_Resource", items=[{"ParticipantName": "F100", "ResourceName": new}]
        ),
        "Resource",
    )
    assert queried["RecordStatus"] == "APPROVED" and queried["TransactionId"] == transaction
    # the seeded registration awaiting approval is untouched: its approval example works
    assert seeded_wire.example("RegistrationApproval_Resource").codes() == []


def test_registering_again_replaces_the_registration_awaiting_approval(seeded_wire: Wire) -> None:
    again = seed.resource_document(seed.RESOURCE_AWAITING_APPROVAL, status=None)
    (echo,) = _items(seeded_wire.example("RegistrationSubmit_Resource", items=[again]), "Resource")
    transaction = echo["TransactionId"]
    assert echo["RecordStatus"] == "SUBMITTED" and transaction != seed.PENDING_RESOURCE_TRANSACTION

    stale = seeded_wire.example("RegistrationApproval_Resource")
    assert stale.codes() == ["E_TRANSACTION_UNKNOWN"], "the resubmission replaced the registration"
    # an evaluation naming the replaced registration is told which one stands now
    evaluation = seeded_wire.example("RegistrationSubmit_ResourceEvaluation")
    assert evaluation.codes() == ["E_TRANSACTION_UNKNOWN"]
    (said,) = [error.text for error in evaluation.document.iter("Error")]
    assert said is not None and said.endswith(f"now; its registrations are {transaction}")
    approval = example_request("RegistrationApproval_Resource").items[0].model_dump(by_alias=True)
    approved = seeded_wire.example(
        "RegistrationApproval_Resource", items=[{**approval, "TransactionId": transaction}]
    )
    assert approved.codes() == [] and approved.info.success
    assert _offer(seeded_wire, seed.PENDING_RESOURCE).codes() == []


def test_approvals_of_what_does_not_exist_or_belongs_elsewhere_fail(seeded_wire: Wire) -> None:
    approval = example_request("RegistrationApproval_Resource").items[0].model_dump(by_alias=True)
    unknown = seeded_wire.example(
        "RegistrationApproval_Resource", items=[{**approval, "ResourceName": "NO_SUCH"}]
    )
    assert unknown.codes() == ["E_RESOURCE_UNKNOWN"]
    wrong_owner = seeded_wire.example(
        "RegistrationApproval_Resource", items=[{**approval, "ParticipantName": "F200"}]
    )
    assert wrong_owner.codes() == ["E_RESOURCE_NOT_OWNED"]
    settled = seeded_wire.example(
        "RegistrationApproval_Resource", items=[{**approval, "ResourceName": "FAKE_RESO"}]
    )
    assert settled.codes() == ["E_NOT_PENDING"]


def test_a_declined_dr_pattern_is_recorded_as_declined(seeded_wire: Wire) -> None:
    approval = example_request("RegistrationApproval_DrPattern").items[0].model_dump(by_alias=True)
    declined = seeded_wire.example(
        "RegistrationApproval_DrPattern", items=[{**approval, "Action": "DECLINED"}]
    )
    assert declined.codes() == []
    (pattern,) = _items(seeded_wire.example("RegistrationQuery_DrPattern"), "DrPattern")
    assert pattern["RecordStatus"] == "DECLINED"
    assert pattern["TransactionId"] == seed.PENDING_DR_PATTERN_TRANSACTION
    missing = seeded_wire.example(
        "RegistrationApproval_DrPattern", items=[{**approval, "PatternNumber": 7}]
    )
    assert missing.codes() == ["E_DR_PATTERN_UNKNOWN"]


def test_a_bsp_registers_only_for_itself(seeded_wire: Wire) -> None:
    account = example_request("RegistrationSubmit_BankAccount").items[0].model_dump(by_alias=True)
    foreign = seeded_wire.example(
        "RegistrationSubmit_BankAccount", items=[{**account, "ParticipantName": "F200"}]
    )
    assert foreign.codes() == ["E_PARTICIPANT_MISMATCH"]
    for status in (foreign.document.attrib, *_items(foreign, "RegistrationSubmit")):
        assert (status["Validation"], status["Success"]) == ("FAILED", "false")
    resource = example_request("RegistrationSubmit_Resource").items[0].model_dump(by_alias=True)
    taken = seeded_wire.example(
        "RegistrationSubmit_Resource", items=[{**resource, "ResourceName": "OTHER_RESO"}]
    )
    assert taken.codes() == ["E_RESOURCE_NOT_OWNED"]


def test_what_a_bsp_queries_is_its_own(seeded_wire: Wire) -> None:
    everyone = seeded_wire.example(
        "RegistrationQuery_Resource", items=[{}], user=seeded_wire.user("TSO")
    )
    assert {r["ParticipantName"] for r in _items(everyone, "Resource")} == {"F100", "F200"}
    own = seeded_wire.example("RegistrationQuery_Resource", items=[{}])
    assert {r["ParticipantName"] for r in _items(own, "Resource")} == {"F100"}
    other = seeded_wire.example("RegistrationQuery_Resource", items=[{"ParticipantName": "F200"}])
    assert _items(other, "Resource") == []


def test_the_market_operator_registers_participants_and_users(seeded_wire: Wire) -> None:
    created = seeded_wire.example("RegistrationSubmit_Participant")
    (participant,) = _items(created, "Participant")
    assert participant["ParticipantName"] == "F101"
    user = example_request("RegistrationSubmit_User").items[0].model_dump(by_alias=True)
    added = seeded_wire.example(
        "RegistrationSubmit_User", items=[{**user, "ParticipantName": "F101"}]
    )
    assert added.codes() == []
    assert seeded_wire.simulator.store.user("F101", "FAKEUSER2") is not None
    nowhere = seeded_wire.example(
        "RegistrationSubmit_User", items=[{**user, "ParticipantName": "F999"}]
    )
    assert nowhere.codes() == ["E_PARTICIPANT_UNKNOWN"]


def test_a_participant_registered_again_keeps_its_type(seeded_wire: Wire) -> None:
    """Its users are of its type, and so are its certificates: a BSP made the market
    operator would keep its resources and offers, and its users would call as BSPs."""
    participant = example_request("RegistrationSubmit_Participant").items[0]
    again = participant.model_dump(by_alias=True) | {"ParticipantName": "F100"}
    retyped = {**again, "ParticipantType": "MARKET_OPERATOR"}

    refused = seeded_wire.example("RegistrationSubmit_Participant", items=[retyped])

    assert refused.codes() == ["E_PARTICIPANT_MISMATCH"]
    (message,) = refused.document.iter("Error")
    assert "BALANCING_SERVICE_PROVIDER" in str(message.text)
    stored = seeded_wire.simulator.store.participant("F100")
    assert stored is not None and stored.participant_type.value == "BSP"
    # registered again as it is, it is changed
    assert seeded_wire.example("RegistrationSubmit_Participant", items=[again]).codes() == []


def test_files_announced_in_registrations_must_come_along(seeded_wire: Wire) -> None:
    example = example_request("RegistrationSubmit_ResourceEvaluation")
    user = seeded_wire.user(example.client_type)
    without_file = seeded_wire.call(
        example.operation.name, example.payload, user=user, **example.envelope
    )
    assert without_file.codes() == ["E_ATTACHMENT_MISSING"]
    with_file = seeded_wire.example("RegistrationSubmit_ResourceEvaluation")
    (evaluation,) = _items(with_file, "Attachment")
    assert evaluation["DocumentId"], "an attached document gets its DocumentId"


def test_a_transfer_moves_a_resource_from_its_start_date(seeded_wire: Wire) -> None:
    assert seeded_wire.example("RegistrationSubmit_ResourceTransfer").codes() == []
    transfer = example_request("RegistrationSubmit_ResourceTransfer").items[0]
    starts = transfer.model_dump()["start_date"]
    store = seeded_wire.simulator.store
    assert store.owner("OTHER_RESO", f"{starts.isoformat()}T00:00:00") == "F100"
    assert store.owner("OTHER_RESO", "2024-04-01T09:00:00") == "F200"
    twice = seeded_wire.example("RegistrationSubmit_ResourceTransfer")
    assert twice.codes() == ["E_RESOURCE_NOT_OWNED"], "F200 no longer holds it then"


_PATTERNED = (
    ("MarketSubmit_OfferData", Interface.MI),
    ("MarketSubmit_RemainingReserveData", Interface.OMI),
    ("MarketSubmit_OffMarketContract", Interface.OMI),
)
"""Submits whose items name a DR pattern (DrPatternNumber) of their resource."""


def _patterned(wire: Wire, operation: str, interface: Interface, number: int) -> Any:
    item = _example_item(operation, seed.DR_PATTERN_RESOURCE, interface)
    return wire.example(operation, interface, items=[{**item, "DrPatternNumber": number}])


def test_a_dr_pattern_is_traded_only_once_registered_and_approved(seeded_wire: Wire) -> None:
    for operation, interface in _PATTERNED:
        unknown = _patterned(seeded_wire, operation, interface, 7)
        assert unknown.codes() == ["E_DR_PATTERN_UNKNOWN"], operation
        pending = _patterned(seeded_wire, operation, interface, seed.DR_PATTERN_NUMBER)
        assert pending.codes() == ["E_DR_PATTERN_NOT_APPROVED"], operation
        assert seed.PENDING_DR_PATTERN_TRANSACTION in pending.payload.decode()

    assert seeded_wire.example("RegistrationApproval_DrPattern").codes() == []
    for operation, interface in _PATTERNED:
        accepted = _patterned(seeded_wire, operation, interface, seed.DR_PATTERN_NUMBER)
        assert accepted.codes() == [] and accepted.info.success, operation
        assert _patterned(seeded_wire, operation, interface, 7).codes() == [
            "E_DR_PATTERN_UNKNOWN"
        ], operation


def test_a_declined_dr_pattern_cannot_be_offered(seeded_wire: Wire) -> None:
    approval = example_request("RegistrationApproval_DrPattern").items[0].model_dump(by_alias=True)
    seeded_wire.example(
        "RegistrationApproval_DrPattern", items=[{**approval, "Action": "DECLINED"}]
    )
    declined = _patterned(
        seeded_wire, "MarketSubmit_OfferData", Interface.MI, seed.DR_PATTERN_NUMBER
    )
    assert declined.codes() == ["E_DR_PATTERN_NOT_APPROVED"]
    assert "DECLINED" in declined.payload.decode()


def test_a_switch_to_a_resource_names_only_an_approved_dr_pattern_of_it(
    seeded_wire: Wire,
) -> None:
    switch = example_request("MarketSubmit_Switch").items[0].model_dump(by_alias=True)
    destination = {
        "DestinationType": "Resource",
        "ResourceName": seed.DR_PATTERN_RESOURCE,
        "Tertiary2QuantityInKw": 500,
    }

    def submit(**pattern: int) -> Any:
        source = {**switch["Source"][0], "Destination": [{**destination, **pattern}]}
        return seeded_wire.example("MarketSubmit_Switch", items=[{**switch, "Source": [source]}])

    assert submit(DrPatternNumber=7).codes() == ["E_DR_PATTERN_UNKNOWN"]
    assert submit(DrPatternNumber=seed.DR_PATTERN_NUMBER).codes() == ["E_DR_PATTERN_NOT_APPROVED"]
    assert seeded_wire.example("RegistrationApproval_DrPattern").codes() == []
    assert submit(DrPatternNumber=seed.DR_PATTERN_NUMBER).codes() == []


def test_items_without_a_dr_pattern_are_judged_as_before(seeded_wire: Wire) -> None:
    for operation, interface in _PATTERNED:
        item = _example_item(operation, seed.DR_PATTERN_RESOURCE, interface)
        answer = seeded_wire.example(operation, interface, items=[item])
        assert answer.codes() == [], operation


def test_what_ends_on_the_calendars_last_day_has_no_end(fresh_mms_simulator: Simulator) -> None:
    """9999-12-31 is the usual end date of a registration that has none; a query of that
    day, or of days after it, asks about every day to the end of the calendar."""
    example = example_request("RegistrationSubmit_Resource")
    (item,) = example.items
    forever = item.model_copy(update={"EndDate": date(9999, 12, 31)})
    with fresh_mms_simulator.client(example.client_type) as bsp:
        bsp.call(example.operation, forever, attachments=example.attachments, **example.envelope)
        first_day = bsp.query_resources(ResourceQuery(), forever.start_date)
        assert forever.resource_name in [r.resource_name for r in first_day]
        last_day = bsp.query_resources(ResourceQuery(), date(9999, 12, 31))
        assert forever.resource_name in [r.resource_name for r in last_day]
        assert bsp.query_offers(OfferQuery(market_type="DAM"), 7, date(9999, 12, 31)) == []


def _mixed_registration(wire: Wire, *examples: Example) -> Any:
    """Posts one RegistrationSubmit carrying the items of each of ``examples`` (with their
    files), as the seeded BSP."""
    documents = [codec.parse_xml(codec.write(e.document("FAKEUSER"))) for e in examples]
    envelope, *others = [document.find("RegistrationSubmit") for document in documents]
    assert envelope is not None
    for other in others:
        assert other is not None
        envelope.extend(list(other))
    attachments = [a for example in examples for a in example.attachments]
    message = wire.message(
        etree.tostring(documents[0]), request_type="mp.registration", attachments=attachments
    )
    return wire.post(message.headers, message.body)


def test_a_registration_may_carry_several_kinds_of_record(seeded_wire: Wire) -> None:
    answer = _mixed_registration(
        seeded_wire,
        example_request("RegistrationSubmit_Resource"),
        example_request("RegistrationSubmit_DrPattern"),
    )
    assert answer.codes() == [] and answer.info.success
    (resource,) = _items(answer, "Resource")
    (pattern,) = _items(answer, "DrPattern")
    assert resource["Validation"] == pattern["Validation"] == "PASSED"
    assert resource["TransactionId"] != pattern["TransactionId"]
    assert answer.statistics()["Received"] == "2"
    for operation, tag, record in (
        ("RegistrationQuery_Resource", "Resource", resource),
        ("RegistrationQuery_DrPattern", "DrPattern", pattern),
    ):
        found = _items(seeded_wire.example(operation), tag)
        assert record["TransactionId"] in {item.get("TransactionId") for item in found}


def test_each_kind_of_record_of_a_registration_is_judged_by_its_own_rules(
    seeded_wire: Wire,
) -> None:
    example = example_request("RegistrationSubmit_DrPattern")
    unknown = {**example.items[0].model_dump(by_alias=True), "ResourceName": "NO_SUCH"}
    answer = _mixed_registration(
        seeded_wire,
        example_request("RegistrationSubmit_Resource"),
        replace(example, payload=[example.operation.payload_model.model_validate(unknown)]),
    )
    assert answer.codes() == ["E_RESOURCE_UNKNOWN"] and not answer.info.success
    (resource,) = _items(answer, "Resource")
    (pattern,) = _items(answer, "DrPattern")
    assert (resource["Validation"], pattern["Validation"]) == ("PASSED", "FAILED")
    assert answer.document.get("Validation") == "FAILED"
    found = _items(seeded_wire.example("RegistrationQuery_Resource"), "Resource")
    assert resource["TransactionId"] in {item.get("TransactionId") for item in found}
