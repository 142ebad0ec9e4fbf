"""Fixtures for the schema tests: where the official schema files are, if they are here."""

from __future__ import annotations

from pathlib import Path

import pytest

from mms_client.schema.files import schema_dir

SCHEMA_FILES_ABSENT = (
    "the official MMS schema files are not available (set MMS_SCHEMA_DIR to the folder with "
    "xsd/, operations.json and examples/)"
)


@pytest.fixture(scope="session")
def schema_folder() -> Path:
    folder = schema_dir()
    if folder is None:
        pytest.skip(SCHEMA_FILES_ABSENT)
    return folder


@pytest.fixture(scope="session")
def examples(schema_folder: Path) -> dict[str, bytes]:
    """The example payloads shipped with the schema files, by file name."""
    return {
        path.name: path.read_bytes() for path in sorted((schema_folder / "examples").glob("*.xml"))
    }
