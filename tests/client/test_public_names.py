"""The import surface: cheap ``import mms_client``, lazy public names, established paths."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import mms_client
from mms_client.client import AsyncMmsClient, MmsClient
from mms_client.schema.files import schema_dir


def test_import_mms_client_loads_nothing_heavy() -> None:
    probe = (
        "import json, sys, mms_client\n"
        "heavy = {'lxml', 'httpx', 'cryptography', 'pydantic', 'typing'} & set(sys.modules)\n"
        "print(json.dumps(sorted(heavy)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    # typing may be preloaded by the interpreter's site hooks; the rest must not be
    assert set(json.loads(result.stdout)) <= {"typing"}


def test_every_public_name_resolves() -> None:
    for name in mms_client.__all__:
        assert getattr(mms_client, name) is not None
    assert set(dir(mms_client)) >= set(mms_client.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        mms_client.nope  # noqa: B018


def test_established_import_paths() -> None:
    from mms_client.client import AsyncMmsClient, MmsClient
    from mms_client.security.certs import Certificate
    from mms_client.types.market import MarketType
    from mms_client.types.offer import Direction, OfferData, OfferStack
    from mms_client.utils.errors import AudienceError, MMSClientError, MMSValidationError
    from mms_client.utils.plugin import Plugin
    from mms_client.utils.web import ClientType

    assert MmsClient is mms_client.MmsClient and AsyncMmsClient is mms_client.AsyncMmsClient
    assert Certificate is mms_client.Certificate and Plugin is mms_client.Plugin
    assert [c.value for c in ClientType] == ["BSP", "MO", "TSO"]
    assert MarketType.DAY_AHEAD.value == "DAM" and Direction.SELL.value == "1"
    assert OfferData.model_fields["stack"].annotation == list[OfferStack]
    assert issubclass(MMSValidationError, MMSClientError)
    assert AudienceError is mms_client.AudienceError
    import mms_client.utils.errors as compatible_errors

    # the compatibility path offers every error the package does, none missing
    assert sorted(compatible_errors.__all__) == sorted(mms_client._ERRORS)


def test_every_method_name_of_the_established_client_is_a_method_of_both_clients() -> None:
    folder = schema_dir()
    if folder is None:
        pytest.skip("the MMS schema files (with operations.json) are not available")
    catalog = json.loads((folder / "operations.json").read_text(encoding="utf-8"))
    named = {m for op in catalog["operations"] for m in op.get("anchor_methods") or ()}
    named |= {d["anchor_method"] for d in catalog["outbound_datasets"] if d.get("anchor_method")}
    assert "list_bsp_resources" in named  # the catalog is read as it is laid out
    missing = {m for m in named if not (hasattr(MmsClient, m) and hasattr(AsyncMmsClient, m))}
    assert missing == set()
