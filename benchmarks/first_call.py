"""A first call in a fresh process, as ours and as the least the same libraries can do.

    python -m benchmarks.first_call ours|libraries MANIFEST

``ours`` is the compatible example of the design: import the client, load the PKCS#12,
build an :class:`~mms_client.client.MmsClient` and submit one offer to the simulator named by
the manifest. ``libraries`` does the same request with httpx, lxml and cryptography alone
(PKCS#12, a TLS context with the client certificate, C14N payload, signature, MTOM framing by
hand, parse the reply) and nothing of ours: the part of a first call that no library built on
these dependencies can avoid. ``pydantic`` is ``libraries`` with the answer read through one
pydantic model: the design's models are pydantic models, so a client made to it also pays
pydantic's import, whatever else it does. Each imports only what it uses, inside its function,
so the timing of the process covers the imports.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import date
    from types import ModuleType

    from mms_client.client import MmsClient

DAY = "2024-03-15"
"""The day of the one offer a first call puts, as in the design's example: an ISO date, as the
hand-made request writes it, and read into a date by the clients that take one."""
HOURS = (12, 21)
"""The offer's start and end hours on :data:`DAY`."""

DONE_MARKER = "first call done at"
"""What a first call's process writes, with the moment, once its call has returned (see
:func:`make_and_say_done`)."""


def make_and_say_done(call: Callable[[dict[str, Any]], object], manifest_path: str) -> None:
    """Make the first call ``call`` with the simulator's manifest, then write, as the last line
    of standard output, the moment it returned.

    A first call is the import, the client, the certificate and the round trip. The
    interpreter's exit comes after it and frees every module and object the call left, the
    more the more there are (docs/benchmarks.md gives the figures). The benchmark times the
    call until this moment and the whole process apart
    (:func:`benchmarks.harness.run_process`)."""
    call(read_manifest(manifest_path))
    print(DONE_MARKER, time.monotonic(), flush=True)


def read_manifest(path: str) -> dict[str, Any]:
    """The simulator's manifest as plain JSON: a first call's process, and the established
    client's driver where ours is not installed, read it without importing our package."""
    with open(path, encoding="utf-8") as file:
        manifest: dict[str, Any] = json.load(file)
    return manifest


def bsp_user(manifest: dict[str, Any]) -> dict[str, str]:
    """The manifest's first seeded BSP user, read from its JSON without importing our
    package (the established client's driver uses it too, where ours is not installed)."""
    user: dict[str, str] = next(u for u in manifest["users"] if u["client_type"] == "BSP")
    return user


def ours(manifest: dict[str, Any]) -> None:
    from datetime import date

    from mms_client.client import MmsClient
    from mms_client.security.certs import Certificate

    user = bsp_user(manifest)
    client = MmsClient(
        domain="benchmark.local",
        participant=user["participant"],
        user=user["user"],
        client_type="BSP",
        cert=Certificate(user["p12"], user["passphrase"]),
        base_url=manifest["base_url"],
        verify=manifest["ca"],
    )
    with client:
        our_put(client, date.fromisoformat(DAY))()


def our_put(client: MmsClient, day: date) -> Callable[[], None]:
    """A call that puts the offer of the design's example for ``day`` (one stack on
    FAKE_RESO, over :data:`HOURS`) with our ``client`` and checks that the simulator assigned
    an OfferId; the offer is built once, as the established client's driver builds its own."""
    from datetime import datetime, time
    from decimal import Decimal

    from mms_client.types.market import MarketType
    from mms_client.types.offer import Direction, OfferData, OfferStack

    offer = OfferData(
        stack=[OfferStack(number=1, unit_price=Decimal(100), minimum_quantity_kw=100)],
        resource="FAKE_RESO",
        start=datetime.combine(day, time(HOURS[0])),
        end=datetime.combine(day, time(HOURS[1])),
        direction=Direction.SELL,
    )

    def put() -> None:
        answer = client.put_offer(request=offer, market_type=MarketType.DAY_AHEAD, days=1, date=day)
        if not answer.stack[0].id:
            raise RuntimeError("the simulator did not assign an OfferId")

    return put


def _mtom(envelope: bytes, payload: bytes) -> tuple[str, bytes]:
    import secrets

    boundary = "MIMEBoundary_" + secrets.token_hex(16)
    root = (
        f'--{boundary}\r\nContent-Type: application/xop+xml; charset="utf-8"; type="text/xml"'
        "\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <root@floor>\r\n\r\n"
    )
    part = (
        f"\r\n--{boundary}\r\nContent-Type: application/octet-stream\r\n"
        "Content-Transfer-Encoding: binary\r\nContent-ID: <payload@floor>\r\n\r\n"
    )
    body = root.encode() + envelope + part.encode() + payload + f"\r\n--{boundary}--\r\n".encode()
    return boundary, body


def _httpx() -> ModuleType:
    """httpx as a program gets it where click, rich and pygments are not installed: without its
    command-line client, which httpx imports whenever they are (here they are, for our own
    command line) and which is over half of its import. Ours imports httpx that way too
    (``mms_client.lean_httpx``); the floor must not pay what no library needs."""
    sys.modules["httpx._main"] = None  # type: ignore[assignment]  # None blocks an import
    try:
        import httpx
    finally:
        del sys.modules["httpx._main"]
    return httpx


def libraries(manifest: dict[str, Any]) -> Any:
    """The request made by hand; the answer's ``OfferData`` element."""
    import base64
    import os
    import secrets
    import ssl
    import tempfile

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from lxml import etree

    httpx = _httpx()
    user = bsp_user(manifest)
    with open(user["p12"], "rb") as file:
        key, certificate, _ = pkcs12.load_key_and_certificates(
            file.read(), user["passphrase"].encode()
        )
    assert isinstance(key, rsa.RSAPrivateKey) and certificate is not None
    context = ssl.create_default_context(cafile=manifest["ca"])
    password = secrets.token_bytes(32)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "client.pem")
        with open(path, "wb") as file:
            file.write(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.BestAvailableEncryption(password),
                )
            )
            file.write(certificate.public_bytes(serialization.Encoding.PEM))
        context.load_cert_chain(path, password=password)

    root = etree.Element("MarketData")
    submit = etree.SubElement(
        root,
        "MarketSubmit",
        Date=DAY,
        MarketType="DAM",
        NumOfDays="1",
        ParticipantName=user["participant"],
        UserName=user["user"],
    )
    offer = etree.SubElement(
        submit,
        "OfferData",
        Direction="1",
        EndTime=f"{DAY}T{HOURS[1]:02}:00:00",
        ResourceName="FAKE_RESO",
        StartTime=f"{DAY}T{HOURS[0]:02}:00:00",
    )
    etree.SubElement(
        offer, "OfferStack", MinimumQuantityInKw="100", OfferUnitPrice="100", StackNumber="1"
    )
    payload = etree.tostring(root, method="c14n")
    signature = base64.b64encode(key.sign(payload, padding.PKCS1v15(), hashes.SHA256()))
    fields = "".join(
        f"<{name}>{value}</{name}>"
        for name, value in (
            ("requestType", "mp.market"),
            ("adminRole", "false"),
            ("requestDataCompressed", "false"),
            ("requestDataType", "XML"),
            ("sendRequestDataOnSuccess", "false"),
            ("sendResponseDataCompressed", "false"),
            ("requestSignature", signature.decode()),
        )
    )
    envelope = (
        '<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/">'
        '<soap-env:Body><ns0:RequestAttInfo xmlns:ns0="urn:abb.com:project/mms/types">'
        f'{fields}<requestData><xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" '
        'href="cid:payload@floor"/></requestData></ns0:RequestAttInfo></soap-env:Body>'
        "</soap-env:Envelope>"
    )
    boundary, body = _mtom(envelope.encode(), payload)
    headers = {
        "SOAPAction": '"urn:abb.com:project/mms/submitAttachment"',
        "MIME-Version": "1.0",
        "Content-Type": 'multipart/related; type="application/xop+xml"; '
        f'start="<root@floor>"; start-info="text/xml"; boundary="{boundary}"',
    }
    reply = httpx.post(
        manifest["base_url"] + "/axis2/services/MiWebService",
        content=body,
        headers=headers,
        verify=context,
    )
    data = etree.fromstring(reply.content).findtext(".//responseData")
    answer = etree.fromstring(base64.b64decode(data or ""))
    offer_answer = answer.find("MarketSubmit/OfferData")
    if offer_answer is None or offer_answer.get("Success") != "true":
        raise RuntimeError(f"the simulator refused the offer: {reply.content[:300]!r}")
    return offer_answer


def with_pydantic(manifest: dict[str, Any]) -> None:
    """:func:`libraries`, its answer read through a pydantic model: the least a first call
    costs with the libraries the design names for the transport, the XML, the signature and
    the models."""
    from pydantic import BaseModel

    class OfferAnswer(BaseModel):
        ResourceName: str
        Success: bool

    OfferAnswer.model_validate(dict(libraries(manifest).attrib))


def main(argv: list[str]) -> None:
    mode, manifest_path = argv
    make_and_say_done(
        {"ours": ours, "libraries": libraries, "pydantic": with_pydantic}[mode], manifest_path
    )


if __name__ == "__main__":
    main(sys.argv[1:])
