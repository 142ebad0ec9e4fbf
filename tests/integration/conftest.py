"""One simulator per test module, reset to its seed before each test, and an audit plugin
that keeps the exact bytes a client sends and receives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mms_client.endpoints import Interface
from mms_client.plugins import Plugin
from mms_client.sim.simulator import Simulator
from mms_client.wire.soap import (
    ParsedRequest,
    ResponseAttInfo,
    SoapFault,
    parse_request,
    read_response,
)


def _headers(body: bytes) -> dict[str, str]:
    """The Content-Type a body was sent with: an MTOM body starts with its boundary line."""
    if body.startswith(b"--"):
        boundary = body[2 : body.index(b"\r\n")].decode("ascii")
        return {
            "Content-Type": f'multipart/related; type="application/xop+xml"; boundary="{boundary}"'
        }
    return {"Content-Type": "text/xml"}


class Recorder(Plugin):
    """Keeps every request and response body a client sees."""

    def __init__(self) -> None:
        self.requests: list[bytes] = []
        self.responses: list[bytes] = []

    def audit_request(self, mms_request: bytes) -> None:
        self.requests.append(mms_request)

    def audit_response(self, mms_response: bytes) -> None:
        self.responses.append(mms_response)

    def request(self) -> ParsedRequest:
        """The last request, read as the MMS reads it (payload part, attachments)."""
        return parse_request(_headers(self.requests[-1]), self.requests[-1])

    def response(self, interface: Interface) -> ResponseAttInfo | SoapFault:
        body = self.responses[-1]
        return read_response(_headers(body), body, interface)


@pytest.fixture(scope="module")
def simulator(
    mms_simulator_pki: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Simulator]:
    with Simulator(tmp_path_factory.mktemp("sim"), pki_source=mms_simulator_pki) as running:
        yield running


@pytest.fixture
def sim(simulator: Simulator) -> Simulator:
    """The module's simulator, back to its freshly seeded state."""
    simulator.reset()
    return simulator


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()
