"""Payload documents: serialize + sign a submit, parse + judge its answer.

These are the per-request CPU costs of the library, the part that grows with the size of a
request, so they are measured for N = 1, 10, 100 and 1000 offers of five stacks each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

from benchmarks import documents, floors
from benchmarks.credentials import credentials
from benchmarks.harness import CPU, WALL, Result, Settings, Target, busy_thread, compare

if TYPE_CHECKING:
    from mms_client.exchange import Caller, PreparedRequest
    from mms_client.wire.soap import HttpMessage

SERIALIZE_TARGET = Target("ratio", "<=", 1.5)
PARSE_TARGET = Target("ratio", "<=", 2.0)
KEPT_ANSWERS = 5
"""How many answers in a row the detail ``answers_kept_to_floor_ratio`` reads and keeps."""
OPERATION = "MarketSubmit_OfferData"


def _caller() -> Caller:
    from mms_client.endpoints import ClientType
    from mms_client.exchange import Caller
    from mms_client.security.certs import Certificate

    made = credentials()
    return Caller(
        participant=documents.PARTICIPANT,
        user=documents.USER,
        client_type=ClientType.BSP,
        certificate=Certificate(made.p12, made.passphrase),
    )


def _offer_models(offers: list[documents.OfferDict]) -> list[Any]:
    from mms_client.schema.generated.mi_market import OfferData

    return [
        OfferData.model_validate({**offer.attributes, "OfferStack": list(offer.stacks)})
        for offer in offers
    ]


def _envelope() -> dict[str, Any]:
    """The envelope arguments of the submit, as a client method passes them."""
    from mms_client.schema.generated.mi_market import MarketType

    envelope = documents.submit_envelope()
    return {
        "date": date.fromisoformat(envelope["Date"]),
        "market_type": MarketType(envelope["MarketType"]),
        "days": int(envelope["NumOfDays"]),
    }


def _preparing(caller: Caller) -> Callable[[list[Any]], PreparedRequest]:
    """``exchange.prepare`` of the submit of the models it is given, as a client method
    calls it: with the operation and the envelope arguments at hand (the floor, too, is
    handed its envelope ready)."""
    from mms_client.exchange import prepare
    from mms_client.operations import get_operation

    operation = get_operation(OPERATION)
    envelope = _envelope()
    return lambda models: prepare(operation, caller, models, envelope)


def _against_signing_floor(
    case: str,
    offers: list[documents.OfferDict],
    ours: Callable[[], object],
    ours_payload: bytes,
    ours_label: str,
    settings: Settings,
) -> Result:
    """``ours``, which made ``ours_payload`` from ``offers``, timed against the floor building,
    canonicalising and signing the same submit with lxml and cryptography alone."""
    key = credentials().key
    envelope = documents.submit_envelope()

    def floor() -> tuple[bytes, str]:
        return floors.serialize_and_sign(envelope, offers, key)

    notes = []
    if ours_payload != floor()[0]:
        notes.append("payload bytes differ from the floor's C14N output")
    ours_stats, floor_stats = compare(ours, floor, settings, CPU)
    return Result(
        case=case,
        params={"n": len(offers)},
        unit="s",
        ours=ours_stats,
        floor=floor_stats,
        ours_label=ours_label,
        floor_label="lxml build from dicts + tostring(method='c14n') + RSA-2048 sign",
        target=SERIALIZE_TARGET,
        measure="CPU time per call",
        notes=notes,
    )


def serialize_sign(settings: Settings) -> Iterator[Result]:
    """The exchange's prepare step (validated document, canonical bytes, signature, MTOM
    framing) from already-built offer models."""
    prepare = _preparing(_caller())
    for size in settings.sizes:
        offers = documents.offer_dicts(size)
        models = _offer_models(offers)

        def ours(models: list[Any] = models) -> PreparedRequest:
            return prepare(models)

        yield _against_signing_floor(
            "serialize_sign",
            offers,
            ours,
            ours().payload,
            "exchange.prepare from built OfferData models (document, C14N bytes, RSA signature, "
            "MTOM framing)",
            settings,
        )


def write_sign(settings: Settings) -> Iterator[Result]:
    """Only ``codec.write`` + ``signing.sign`` of an already-built document: the part of
    prepare that the floor also does."""
    from mms_client.operations import get_operation
    from mms_client.schema import codec
    from mms_client.security import signing

    key = credentials().key
    for size in settings.sizes:
        offers = documents.offer_dicts(size)
        document = get_operation(OPERATION).request_document(
            _offer_models(offers),
            participant_name=documents.PARTICIPANT,
            user_name=documents.USER,
            **_envelope(),
        )

        def ours(document: Any = document) -> tuple[bytes, str]:
            payload = codec.write(document, request=True)
            return payload, signing.sign(payload, key)

        yield _against_signing_floor(
            "write_sign",
            offers,
            ours,
            ours()[0],
            "codec.write(document, request=True) + signing.sign(payload, key)",
            settings,
        )


def submit_reply(payload: bytes) -> HttpMessage:
    """The HTTP reply carrying ``payload`` (see :func:`benchmarks.documents.submit_response`)
    as the simulator (and, by the WSDL, the MMS) sends it: inline base64 ``responseData`` in a
    ``ResponseAttInfo`` envelope."""
    from mms_client.endpoints import Interface
    from mms_client.wire.soap import ResponseAttInfo, build_response

    return build_response(
        Interface.MI,
        ResponseAttInfo(success=True, response_data_type="XML", response_data=payload),
    )


def _breakdown(
    prepared: PreparedRequest,
    payload: bytes,
    reply: HttpMessage,
    floor: Callable[[], object],
    settings: Settings,
) -> dict[str, float]:
    """Where the time of reading ``reply`` (carrying ``payload``) goes, against ``floor``:
    pydantic's share, what lxml's calls into Python alone cost, the least a typed reading
    can cost (:mod:`benchmarks.typed_floor`), the cost for a caller who also reads the
    messages and for one who keeps its answers, the ratio to a floor that decodes base64
    as fast as ours, and both read while another thread computes."""
    import pybase64

    from benchmarks.typed_floor import TypedReader
    from mms_client.exchange import interpret
    from mms_client.schema import codec, root_model

    model = root_model("mi_market")
    content = codec.content(payload, model)
    typed_reader = TypedReader(model)

    def answer() -> Any:
        return interpret(prepared, reply.headers, reply.body)

    if typed_reader.read(reply.body) != answer().document:
        raise AssertionError("the typed floor reads another document than ours")

    def validation() -> Any:
        with codec.collector_paused:  # as when a reply is read
            return codec.validate(model, content, names_checked=True)

    def with_messages() -> Any:
        response = answer()
        return response.items, response.messages

    def events() -> None:
        floors.hand_reply_to_python(reply.body)

    def typed() -> Any:
        return typed_reader.read(reply.body)

    def floor_with_our_base64() -> list[floors.Row]:
        return floors.read_reply(reply.body, pybase64.b64decode)

    # a program that collects its answers: the cycle collector walks what each answer holds
    # once more are made, which a caller that lets each answer go before the next never pays
    def keeping(read: Callable[[], object]) -> Callable[[], list[object]]:
        return lambda: [read() for _ in range(KEPT_ANSWERS)]

    # pydantic's share: validating the payload's content, already read into dicts, which no
    # typed reading of the reply can skip
    validation_stats, validation_floor = compare(validation, floor, settings, CPU)
    # the payload handed to Python as parser events that do nothing: what the codec's reader
    # pays before doing anything, where the floor walks a tree
    events_stats, events_floor = compare(events, floor, settings, CPU)
    # lxml's events nested into dicts and pydantic's validation, nothing else: where this is
    # above the target, no reading made of the two can meet it
    typed_stats, typed_floor = compare(typed, floor, settings, CPU)
    # the messages are made when first asked for: the cost for a caller who reads them all
    messages_stats, messages_floor = compare(with_messages, floor, settings, CPU)
    kept_stats, kept_floor = compare(keeping(answer), keeping(floor), settings, CPU)
    # the floor decodes base64 with the standard library, ours with pybase64: the ratio to a
    # floor with the same decoder is the price of what the library adds, without that edge
    same_stats, same_floor = compare(answer, floor_with_our_base64, settings, CPU)
    # another thread computing all along takes turns with both for the GIL: elapsed time,
    # since the process's CPU time would count that thread's too
    with busy_thread():
        busy_stats, busy_floor = compare(answer, floor, settings, WALL)
    return {
        "validation_median_s": validation_stats.median,
        "validation_to_floor_ratio": validation_stats.median / validation_floor.median,
        "python_events_to_floor_ratio": events_stats.median / events_floor.median,
        "typed_floor_to_floor_ratio": typed_stats.median / typed_floor.median,
        "with_messages_read_to_floor_ratio": messages_stats.median / messages_floor.median,
        "answers_kept_to_floor_ratio": kept_stats.median / kept_floor.median,
        "to_floor_with_our_base64_ratio": same_stats.median / same_floor.median,
        "with_a_busy_thread_to_floor_ratio": busy_stats.median / busy_floor.median,
    }


def parse_judge(settings: Settings, *, breakdown: bool = True) -> Iterator[Result]:
    """The exchange's interpret step on the answer to a submit of N offers with Messages on
    every level, framed as :func:`submit_reply` frames it.

    With ``breakdown``, each row's details say where the time goes (:func:`_breakdown`): four
    more timings per N, which the side-by-side case, wanting only the figure, skips."""
    from mms_client.exchange import interpret

    caller = _caller()
    prepared = _preparing(caller)(_offer_models(documents.offer_dicts(1)))
    for size in settings.sizes:
        payload = documents.submit_response(size)
        reply = submit_reply(payload)

        def ours(headers: dict[str, str] = reply.headers, body: bytes = reply.body) -> Any:
            return interpret(prepared, headers, body).items

        def floor(body: bytes = reply.body) -> list[floors.Row]:
            return floors.read_reply(body)

        items = ours()
        notes = [] if len(items) == size else [f"{len(items)} items read instead of {size}"]
        ours_stats, floor_stats = compare(ours, floor, settings, CPU)
        yield Result(
            case="parse_judge",
            params={"n": size},
            unit="s",
            ours=ours_stats,
            floor=floor_stats,
            ours_label="exchange.interpret of the reply (SOAP, base64, parse, judge, typed "
            "document and items; the messages are made when first read"
            + (", see the details)" if breakdown else ")"),
            floor_label="lxml parse of the SOAP envelope + base64 decode + lxml parse of the "
            "payload + every element's attributes and text into dicts",
            target=PARSE_TARGET,
            measure="CPU time per call",
            notes=notes,
            details=_breakdown(prepared, payload, reply, floor, settings) if breakdown else {},
        )
