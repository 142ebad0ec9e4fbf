"""The established client's side of the side-by-side benchmark, run by the Python of its own
virtualenv (see :mod:`benchmarks.established`).

    <established python> -m benchmarks.established_driver first_call MANIFEST
    <established python> -m benchmarks.established_driver jobs

In that virtualenv ``mms_client`` is the established client (``mms-client`` from PyPI), a
different package with our package's name; ours is not installed there, and this module
checks that the one it imports lives in the virtualenv. It loads the established client's
modules by name, as a black box, so that type checkers do not mistake them for ours.

``first_call`` is the established client's version of :mod:`benchmarks.first_call`: import
it, build its client from the simulator's PKCS#12 and submit one offer. The client has no
setting for its server address, so its endpoint table is pointed at the simulator, and the
CA is given to ``requests`` through ``REQUESTS_CA_BUNDLE``. Only what the call needs is
imported, inside the function, so that timing the process covers the imports; the process
then says when the call returned, as ours does (:func:`benchmarks.first_call.make_and_say_done`).

``jobs`` measures the established client's side of the other jobs, reading one JSON request
per line on stdin and answering each with one JSON line on stdout. The document jobs run on
the established client's own code paths, with :func:`benchmarks.harness.compare` against the
floors of :mod:`benchmarks.floors`, run in the same process on the lxml and cryptography of
that virtualenv:

- ``{"job": "serialize_sign", "n": N, "quick": bool}``: the payload and signature of a
  ``MarketSubmit`` of N offers as its ``put_offers`` makes them (the service's
  ``Serializer.serialize_multi`` and the client's ``CryptoWrapper.sign``), from offer
  models built before timing.
- ``{"job": "parse", "n": N, "quick": bool, "reply": PATH, "content_type": TYPE}``: the
  steps its ``put_offers`` takes after the HTTP exchange, on a recorded reply: zeep reads the
  SOAP envelope, then the client validates it into an ``MmsResponse``, checks it, parses and
  schema-validates the payload into its response objects and checks those.

The round trip is sampled one request at a time, so that the benchmark can take turns with
our client in its own process (:func:`benchmarks.harness.alternate`):

- ``{"job": "round_trip", "manifest": PATH, "day": ISO_DATE, "quick": bool}``: build the
  client as ``first_call`` does and put its offer for that day once (set-up, first
  connection); answers ``{"sampling": true}``.
- ``{"job": "sample"}``: one sample of that put_offer, ``{"seconds": S}`` per call,
  elapsed time, as many calls as make the sample long enough. The client keeps its
  ``requests`` session, and so its connection, from one call to the next, as it does by
  default.

The first line written is ``{"ready": ..., "versions": ...}``. The established client prints
a line per offer while it reads an answer; that output goes to ``os.devnull`` (printing it is
measured, showing it is not), and its log records to a ``NullHandler``, where ours meet
the library's own.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from datetime import date

OPERATION = "MarketSubmit_OfferData"
_VERSIONED = ("mms-client", "pydantic", "pydantic-xml", "zeep", "lxml", "cryptography")


def _load(name: str) -> Any:
    """A module of the established client (or of its dependencies), loaded by name."""
    top = importlib.import_module(name.split(".", 1)[0])
    if top.__name__ == "mms_client" and not _inside_this_environment(top):
        raise RuntimeError(
            f"mms_client is imported from {top.__file__}, not the established client of "
            f"this virtualenv ({sys.prefix}): is our src/ on the path?"
        )
    return importlib.import_module(name)


def _inside_this_environment(module: Any) -> bool:
    location = getattr(module, "__file__", None)
    return location is not None and Path(location).resolve().is_relative_to(
        Path(sys.prefix).resolve()
    )


# ------------------------------------------------------------------------------ first call


def first_call(manifest: dict[str, Any]) -> None:
    """Import the established client, build it from the simulator's PKCS#12 and put one
    offer, the same offer :func:`benchmarks.first_call.ours` puts."""
    from datetime import date

    from benchmarks.first_call import DAY

    _simulator_put(manifest, date.fromisoformat(DAY))()


def _simulator_put(manifest: dict[str, Any], day: date) -> Callable[[], None]:
    """The established client built from the simulator's PKCS#12 and pointed at it, and a
    call that puts one offer for ``day`` with it (each one after the first replaces the
    offer before) and checks that the simulator assigned an OfferId."""
    from datetime import datetime, time

    from benchmarks.first_call import HOURS, bsp_user

    client_module = _load("mms_client.client")
    certs = _load("mms_client.security.certs")
    market = _load("mms_client.types.market")
    offer_types = _load("mms_client.types.offer")
    web = _load("mms_client.utils.web")

    service = manifest["base_url"] + "/axis2/services/MiWebService"
    web.BSP_MO_URLS[web.Interface.MI] = web.ServiceEndpoint(
        main=service, backup=service, test=service
    )
    user = bsp_user(manifest)
    client = client_module.MmsClient(
        domain="benchmark.local",
        participant=user["participant"],
        user=user["user"],
        client_type=web.ClientType.BSP,
        cert=certs.Certificate(user["p12"], user["passphrase"]),
    )
    offer = offer_types.OfferData(
        stack=[offer_types.OfferStack(number=1, unit_price=100, minimum_quantity_kw=100)],
        resource="FAKE_RESO",
        start=datetime.combine(day, time(HOURS[0])),
        end=datetime.combine(day, time(HOURS[1])),
        direction=offer_types.Direction.SELL,
    )

    def put() -> None:
        answer = client.put_offer(offer, market_type=market.MarketType.DAY_AHEAD, days=1, date=day)
        if not answer.stack[0].id:
            raise RuntimeError("the simulator did not assign an OfferId")

    return put


# ------------------------------------------------------------------------------ documents


@dataclass(frozen=True)
class RecordedReply:
    """An HTTP reply as zeep reads one (the attributes of a ``requests.Response`` it uses)."""

    content: bytes
    headers: dict[str, str]
    status_code: int = 200
    encoding: str = "utf-8"


@dataclass
class DocumentJobs:
    """The established client's objects the jobs use, built once (as a client keeps them)."""

    client: Any
    serializer: Any
    signer: Any
    endpoint: Any
    zeep_client: Any
    binding: Any
    operation: Any
    market_submit: type[Any]
    market_type: type[Any]
    offer_data: type[Any]
    mms_response: type[Any]

    @classmethod
    def build(cls) -> DocumentJobs:
        from benchmarks import documents
        from benchmarks.credentials import credentials

        client_module = _load("mms_client.client")
        base = _load("mms_client.services.base")
        market_service = _load("mms_client.services.market")
        certs = _load("mms_client.security.certs")
        crypto = _load("mms_client.security.crypto")
        market = _load("mms_client.types.market")
        transport = _load("mms_client.types.transport")
        web = _load("mms_client.utils.web")

        made = credentials()
        certificate = certs.Certificate(made.p12, made.passphrase)
        client = client_module.MmsClient(
            domain="benchmark.local",
            participant=documents.PARTICIPANT,
            user=documents.USER,
            client_type=web.ClientType.BSP,
            cert=certificate,
        )
        service = market_service.MarketClientMixin.config
        # The configuration its put_offers endpoint is declared with.
        endpoint = base.EndpointConfiguration(
            name=OPERATION,
            service=service,
            request_type=transport.RequestType.MARKET,
            allowed_clients=[web.ClientType.BSP],
        )
        wrapper = client._get_wrapper(service)
        binding = wrapper._service._binding
        return cls(
            client=client,
            serializer=service.serializer,
            signer=crypto.CryptoWrapper(certificate),
            endpoint=endpoint,
            zeep_client=wrapper._client,
            binding=binding,
            operation=binding.get("submitAttachment"),
            market_submit=market.MarketSubmit,
            market_type=market.MarketType,
            offer_data=_load("mms_client.types.offer").OfferData,
            mms_response=transport.MmsResponse,
        )

    def serialize_sign(self, size: int, quick: bool) -> dict[str, Any]:
        from datetime import date

        from lxml import etree

        from benchmarks import documents, floors
        from benchmarks.credentials import credentials
        from benchmarks.harness import CPU, Settings, compare

        key = credentials().key
        offers = documents.offer_dicts(size)
        attributes = documents.submit_envelope()
        floor_payload, floor_signature = floors.serialize_and_sign(attributes, offers, key)
        models = [
            self.offer_data.from_xml_tree(element)
            for element in etree.fromstring(floor_payload).iter("OfferData")
        ]
        envelope = self.market_submit(
            date=date.fromisoformat(attributes["Date"]),
            participant=attributes["ParticipantName"],
            user=attributes["UserName"],
            market_type=self.market_type(attributes["MarketType"]),
            days=int(attributes["NumOfDays"]),
        )

        def established() -> tuple[bytes, bytes]:
            payload: bytes = self.serializer.serialize_multi(envelope, models, self.offer_data)
            return payload, self.signer.sign(payload)

        def floor() -> tuple[bytes, str]:
            return floors.serialize_and_sign(attributes, offers, key)

        payload, signature = established()
        problems = []
        if payload != floor_payload:
            problems.append("its payload bytes differ from the floor's C14N output")
        if signature.decode("ascii") != floor_signature:
            problems.append("its signature differs from the floor's")
        theirs, floor_stats = compare(established, floor, Settings(quick=quick), CPU)
        return {"established": theirs.to_json(), "floor": floor_stats.to_json(), "notes": problems}

    def parse(self, size: int, quick: bool, reply_path: str, content_type: str) -> dict[str, Any]:
        from benchmarks import floors
        from benchmarks.harness import CPU, Settings, compare

        reply = RecordedReply(Path(reply_path).read_bytes(), {"Content-Type": content_type})

        def established() -> list[Any]:
            # What its put_offers does once the HTTP exchange is over.
            soap = self.binding.process_reply(self.zeep_client, self.operation, reply)
            response = self.mms_response.model_validate(soap.__values__)
            self.client._verify_mms_response(response, self.endpoint)
            document = self.serializer.deserialize_multi(
                OPERATION, response.payload, self.market_submit, self.offer_data
            )
            self.client._verify_multi_response(document, self.endpoint)
            items: list[Any] = document.data
            return items

        def floor() -> list[floors.Row]:
            return floors.read_reply(reply.content)

        items = established()
        problems = []
        if len(items) != size or not all(stack.id for item in items for stack in item.stack):
            problems.append(f"it read {len(items)} offers with their OfferIds instead of {size}")
        theirs, floor_stats = compare(established, floor, Settings(quick=quick), CPU)
        return {"established": theirs.to_json(), "floor": floor_stats.to_json(), "notes": problems}


def library_versions(names: tuple[str, ...]) -> dict[str, str]:
    """The versions of ``names`` and of the C libraries doing the heavy lifting: libxml2 (of
    lxml) and the OpenSSL that cryptography signs with, which differ between the two sides."""
    from cryptography.hazmat.backends.openssl import backend
    from lxml import etree

    versions = {name: metadata.version(name) for name in names}
    versions["libxml2"] = ".".join(map(str, etree.LIBXML_VERSION))
    versions["openssl (cryptography)"] = backend.openssl_version_text()
    return versions


def serve_jobs(requests: TextIO, answers: TextIO) -> None:
    """Answer measurement requests until stdin closes."""
    import logging

    from benchmarks.harness import WALL, Sampler, Settings, sampler

    logging.getLogger("mms_client").addHandler(logging.NullHandler())
    jobs = DocumentJobs.build()
    versions = library_versions(_VERSIONED)
    answers.write(json.dumps({"ready": True, "versions": versions}) + "\n")
    answers.flush()
    round_trip: Sampler | None = None
    for line in requests:
        request = json.loads(line)
        answer: dict[str, Any]
        if request["job"] == "serialize_sign":
            answer = jobs.serialize_sign(request["n"], request["quick"])
        elif request["job"] == "parse":
            answer = jobs.parse(
                request["n"], request["quick"], request["reply"], request["content_type"]
            )
        elif request["job"] == "round_trip":
            from datetime import date

            from benchmarks.first_call import read_manifest

            put = _simulator_put(
                read_manifest(request["manifest"]), date.fromisoformat(request["day"])
            )
            # the sampler calls it first: the client's set-up and first connection
            round_trip = sampler(put, Settings(quick=request["quick"]), WALL)
            answer = {"sampling": True}
        elif request["job"] == "sample":
            if round_trip is None:
                raise ValueError("a sample asked for before its round_trip")
            answer = {"seconds": round_trip()}
        else:
            raise ValueError(f"unknown job {request['job']!r}")
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


def main(argv: list[str]) -> None:
    mode, *rest = argv
    if mode == "first_call":
        from benchmarks.first_call import make_and_say_done

        (manifest_path,) = rest
        make_and_say_done(first_call, manifest_path)
    elif mode == "jobs":
        answers = sys.stdout
        with open(os.devnull, "w", encoding="utf-8") as nowhere:
            sys.stdout = nowhere
            try:
                serve_jobs(sys.stdin, answers)
            finally:
                sys.stdout = answers
    else:
        raise SystemExit(f"unknown mode {mode!r}: first_call MANIFEST | jobs")


if __name__ == "__main__":
    main(sys.argv[1:])
