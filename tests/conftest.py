"""What every test shares: the official schema files, found from the tests' own place.

They are ``../shared/mms-schemas`` beside this source tree, unless ``MMS_SCHEMA_DIR`` names
them. The package under test cannot be asked where they are when it is an installed one (a
distributor runs the tests of a source tree against the wheel built from it): an installed
package has no tree beside it. So the tests name the folder in ``MMS_SCHEMA_DIR``, for the
library they call and the commands they start alike.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mms_client.schema.files import SCHEMA_DIR_VARIABLE

SHARED_SCHEMAS = Path(__file__).resolve().parents[1].parent / "shared" / "mms-schemas"


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get(SCHEMA_DIR_VARIABLE) and (SHARED_SCHEMAS / "xsd").is_dir():
        os.environ[SCHEMA_DIR_VARIABLE] = str(SHARED_SCHEMAS)
