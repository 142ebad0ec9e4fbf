"""Where and as whom the benchmarks connect: a simulator's manifest and its seeded BSP user.

The network cases and the download probe (a process of its own) build their clients, signed
requests and bare httpx set-ups from this one description, so every side of a comparison
talks to the server with the same identity, CA and certificate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ssl

    from mms_client.client import AsyncMmsClient, MmsClient
    from mms_client.exchange import Caller
    from mms_client.security.certs import Certificate
    from mms_client.sim.manifest import Manifest

DOMAIN = "benchmark.local"


@dataclass(frozen=True)
class Connection:
    """The simulator's manifest and the loaded certificate of its seeded BSP user."""

    manifest: Manifest
    certificate: Certificate

    @classmethod
    def load(cls, manifest: Path) -> Connection:
        """The connection a manifest file (or a simulator state folder) describes."""
        from mms_client.sim.manifest import Manifest

        loaded = Manifest.load(manifest)
        return cls(loaded, loaded.user("BSP").certificate())

    def client_arguments(self, **options: Any) -> dict[str, Any]:
        return self.manifest.client_arguments(
            "BSP", domain=DOMAIN, cert=self.certificate, backup_url=None, **options
        )

    def client(self, **options: Any) -> MmsClient:
        from mms_client.client import MmsClient

        return MmsClient(**self.client_arguments(**options))

    def async_client(self, **options: Any) -> AsyncMmsClient:
        from mms_client.client import AsyncMmsClient

        return AsyncMmsClient(**self.client_arguments(**options))

    def caller(self) -> Caller:
        from mms_client.exchange import Caller

        user = self.manifest.user("BSP")
        return Caller(
            user.participant, user.user, user.client_type, self.certificate, domain=DOMAIN
        )

    def url(self, base_url: str | None = None) -> str:
        """The MI service URL of the BSP user at ``base_url`` (default: the simulator's)."""
        from mms_client.endpoints import ClientType, Interface, resolve_endpoints

        return resolve_endpoints(
            ClientType.BSP, Interface.MI, base_url=base_url or self.manifest.base_url
        ).main

    def ssl_context(self) -> ssl.SSLContext:
        """The client's TLS context: its certificate, verifying the server by the test CA."""
        return self.certificate.ssl_context(str(self.manifest.ca))
