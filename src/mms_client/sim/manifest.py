"""``simulator.json``: everything a client needs to talk to a running simulator.

Written into the state folder on every start (the addresses may change between starts, the
PKI does not):

    {
      "base_url": "https://127.0.0.1:8443",
      "backup_url": null,
      "ca": "/abs/path/pki/ca.pem",
      "users": [{"participant": "F100", "user": "FAKEUSER", "client_type": "BSP",
                 "p12": "/abs/path/pki/users/F100-FAKEUSER.p12", "passphrase": "..."}],
      "resources": [{"name": "FAKE_RESO", "participant": "F100", "area": "04",
                     "short_name": "偽電力", "system_code": "FSYS0"}]
    }

``base_url`` is what a client takes as ``base_url=`` (it appends the service path) and ``ca``
what it takes as ``verify=``.  The passphrases are those of a throw-away test PKI.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack

from mms_client.endpoints import ClientType
from mms_client.errors import SimulatorStateError, one_of
from mms_client.sim.pki import SimUser, write_private
from mms_client.sim.state import describe

if TYPE_CHECKING:
    from mms_client.client import ClientOptions

MANIFEST_NAME = "simulator.json"
CLIENT_DOMAIN = "mms-simulator.local"
"""The ``domain`` of clients built from a manifest unless told otherwise (it only names MIME
parts)."""


@dataclass(frozen=True)
class ResourceInfo:
    """A resource registered in the simulator and who owns it."""

    name: str
    participant: str
    area: str
    short_name: str
    system_code: str


@dataclass(frozen=True)
class Manifest:
    base_url: str
    backup_url: str | None
    ca: Path
    users: tuple[SimUser, ...]
    resources: tuple[ResourceInfo, ...]

    def user(
        self,
        client_type: ClientType | str = ClientType.BSP,
        participant: str | None = None,
        user: str | None = None,
    ) -> SimUser:
        """The first user of this client type (and participant, and user name, if given): the
        seeded users come before those registered later, so a participant's second user is
        picked by its name."""
        wanted = one_of(ClientType, client_type, "client_type")
        for candidate in self.users:
            if (
                candidate.client_type is wanted
                and participant in (None, candidate.participant)
                and user in (None, candidate.user)
            ):
                return candidate
        # quoted: an empty or blank name, given by mistake, must show
        named = "" if user is None else f" {user!r}"
        where = "" if participant is None else f" of participant {participant!r}"
        same_type = [f"{u.participant}/{u.user}" for u in self.users if u.client_type is wanted]
        has = f"its {wanted.value} users are {', '.join(same_type)}" if same_type else "it has none"
        raise LookupError(f"the simulator has no {wanted.value} user{named}{where}; {has}")

    def client_arguments(
        self,
        client_type: ClientType | str = ClientType.BSP,
        participant: str | None = None,
        user: str | None = None,
        **options: Unpack[ClientOptions],
    ) -> dict[str, Any]:
        """The arguments of an :class:`~mms_client.client.MmsClient` that talks to this
        simulator (main, then backup) as the user :meth:`user` picks; ``options`` add to or
        replace them (another domain, a certificate loaded already...)."""
        picked = self.user(client_type, participant, user)
        arguments: dict[str, Any] = {
            "domain": CLIENT_DOMAIN,
            "participant": picked.participant,
            "user": picked.user,
            "client_type": picked.client_type,
            "base_url": self.base_url,
            "backup_url": self.backup_url,
            "verify": str(self.ca),
            **options,
        }
        if "cert" not in arguments:  # loading a PKCS#12 checks its key, which takes a while
            arguments["cert"] = picked.certificate()
        return arguments

    def to_json(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "backup_url": self.backup_url,
            "ca": str(self.ca),
            "users": [user.to_json() for user in self.users],
            "resources": [asdict(resource) for resource in self.resources],
        }

    def save(self, folder: Path) -> Path:
        path = folder / MANIFEST_NAME
        text = json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"
        write_private(path, text.encode("utf-8"))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Manifest:
        """Reads a manifest file (or the one in a state folder).

        Raises :class:`~mms_client.errors.SimulatorStateError` naming the file when it
        cannot be read or is not a manifest.
        """
        path = Path(path)
        # a folder, or a path to be one (a state folder not made yet), holds the manifest
        if path.is_dir() or (not path.exists() and path.name != MANIFEST_NAME):
            path = path / MANIFEST_NAME
        try:
            return cls._read(path)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            problem = describe(exc)
        # raised here, unchained: the frames of the error that was caught hold the manifest
        # read, the users' passphrases with it, which a traceback showing its locals shows
        raise SimulatorStateError(
            f"the simulator manifest {path} cannot be used ({problem}); the simulator writes "
            f"it on every start: start it (mms sim serve --state {path.parent}), or use another "
            "state folder",
            path,
        )

    @classmethod
    def _read(cls, path: Path) -> Manifest:
        """The manifest at ``path``; whatever is wrong with it raises, for :meth:`load` to
        say."""
        data = json.loads(path.read_text("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        backup_url = data.get("backup_url")
        return cls(
            base_url=_text(data, "base_url"),
            backup_url=None if backup_url is None else _text(data, "backup_url"),
            ca=Path(_text(data, "ca")),
            users=tuple(SimUser.from_json(user) for user in data["users"]),
            resources=tuple(ResourceInfo(**r) for r in data["resources"]),
        )


def _text(data: dict[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise TypeError(f"{key!r} is {value!r}, not a string")
    return value
