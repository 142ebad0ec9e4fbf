"""What mypy makes of user code that builds payload models.

The code below is checked by one real mypy run with the project's own configuration (strict,
with pydantic's plugin). A ``# E:`` comment is an error mypy must report on the next line of
code, a ``# N:`` comment the type ``reveal_type`` must show there; any other error fails the
test too.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

USER_CODE = """\
from datetime import datetime
from decimal import Decimal

from mms_client.schema.generated.mi_market import Error, Messages
from mms_client.types.offer import Direction, OfferData, OfferStack

price = Decimal("100")
stack = OfferStack(number=1, unit_price=price, minimum_quantity_kw=100)
# N: mms_client.schema.generated.mi_market.OfferStack
reveal_type(stack)
# N: decimal.Decimal
reveal_type(stack.unit_price)
# N: str | None
reveal_type(stack.id)
OfferStack(number=1, unit_price=price, minimum_quantity_kw=100, id=None, messages=None)
# E: Argument "number" to "OfferStack" has incompatible type "str"; expected "int"  [arg-type]
OfferStack(number="one", unit_price=price, minimum_quantity_kw=100)
# E: Missing named argument "number" for "OfferStack"  [call-arg]
OfferStack(unit_price=price, minimum_quantity_kw=100)
# E: Unexpected keyword argument "StackNumber" for "OfferStack"  [call-arg]
OfferStack(StackNumber=1, number=1, unit_price=price, minimum_quantity_kw=100)

start, end, sell = datetime(2024, 3, 15, 12), datetime(2024, 3, 15, 21), Direction.SELL
offer = OfferData(stack=[stack], resource="R1", start=start, end=end, direction=sell)
# N: list[mms_client.schema.generated.mi_market.OfferStack]
reveal_type(offer.stack)
# E: Argument "end" to "OfferData" has incompatible type "str"; expected "datetime"  [arg-type]
OfferData(stack=[stack], resource="R1", start=start, end="2024-03-15T21:00", direction=sell)

# N: list[mms_client.schema.generated.mi_market.Error]
reveal_type(Messages().error)
# E: Missing named argument "text" for "Error"  [call-arg]
Error(code="E1")
# N: str
reveal_type(Error(text="refused").text)

xml_names = {"StackNumber": "1", "OfferUnitPrice": "100", "MinimumQuantityInKw": "100"}
# N: mms_client.schema.generated.mi_market.OfferStack
reveal_type(OfferStack.model_validate(xml_names))
# N: mms_client.schema.generated.mi_market.OfferStack
reveal_type(stack.model_copy(update={"StackNumber": 2}))
"""


def expected(code: str) -> set[tuple[int, str, str]]:
    """(line, "error" or "note", text) for every ``# E:`` and ``# N:`` comment of ``code``."""
    found = set()
    pending: list[tuple[str, str]] = []
    for number, line in enumerate(code.splitlines(), start=1):
        comment = re.fullmatch(r"\s*# ([EN]): (.*)", line)
        if comment is None:
            found.update((number, kind, text) for kind, text in pending)
            pending = []
        elif comment[1] == "E":
            pending.append(("error", comment[2]))
        else:
            pending.append(("note", f'Revealed type is "{comment[2]}"'))
    return found


def reported(output: str, path: Path) -> set[tuple[int, str, str]]:
    """The errors and revealed types in mypy's ``output`` for the file ``path``."""
    pattern = re.compile(rf"{re.escape(str(path))}:(\d+): (error|note): (.*)")
    found = set()
    for line in output.splitlines():
        match = pattern.fullmatch(line)
        if match and (match[2] == "error" or match[3].startswith("Revealed type is")):
            found.add((int(match[1]), match[2], match[3]))
    return found


def test_mypy_checks_the_construction_of_models(tmp_path: Path) -> None:
    pytest.importorskip("mypy", reason="mypy is not installed (install the test extra)")
    user_code = tmp_path / "user_code.py"
    user_code.write_text(USER_CODE, encoding="utf-8")
    # a cache of its own: mypy replays the errors of an unchanged module from its cache, under
    # the path it had then, which is another temporary folder
    cache = ["--cache-dir", str(tmp_path / "mypy_cache")]
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "pyproject.toml", *cache, str(user_code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert reported(result.stdout, user_code) == expected(USER_CODE), result.stdout + result.stderr
