"""The committed models are exactly what the generator makes of the official schema files."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path
from types import ModuleType
from typing import Annotated

import pytest
from pydantic import Field, TypeAdapter, ValidationError

TOOLS = Path(__file__).resolve().parents[2] / "tools"
"""The generators of this source tree, found from the tests' place: the package under test
may be an installed one, nowhere near it."""


def _tool(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def run_generator(*arguments: str, **environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(TOOLS / "generate_models.py"), *arguments],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **environment},
    )


def test_committed_output_matches_the_generator(schema_folder: Path) -> None:
    result = run_generator("--check", "--schema-dir", str(schema_folder))
    assert result.returncode == 0, (
        "generated files are out of date; run `python tools/generate_models.py`:\n"
        + result.stdout
        + result.stderr
    )


@pytest.mark.parametrize("named_by", ["--schema-dir", "MMS_SCHEMA_DIR"])
def test_a_missing_schema_folder_is_not_reported_as_out_of_date(
    tmp_path: Path, named_by: str
) -> None:
    """--check exits 1 for stale files; CI must be able to tell a folder that is not there."""
    missing = tmp_path / "nowhere"
    if named_by == "--schema-dir":
        result = run_generator("--check", "--schema-dir", str(missing))
    else:
        result = run_generator("--check", MMS_SCHEMA_DIR=str(missing))
    assert result.returncode == 2
    assert result.stderr.startswith(f"no schema folder: {missing} does not exist;")
    assert "Traceback" not in result.stderr


def test_an_incomplete_schema_folder_names_what_it_lacks(tmp_path: Path) -> None:
    (tmp_path / "xsd").mkdir()
    (tmp_path / "xsd" / "mi-market.xsd").write_text("<schema/>")
    result = run_generator("--check", "--schema-dir", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr == (
        f"incomplete schema folder: {tmp_path} has no xsd/omi.xsd, xsd/mpr.xsd, "
        "xsd/mi-report.xsd, xsd/mi-outbnd-reports.xsd, operations.json; pass --schema-dir or "
        "set MMS_SCHEMA_DIR to a folder with xsd/ and operations.json\n"
    )


def _python_without_ruff(folder: Path) -> tuple[Path, str]:
    """A Python at ``folder`` with every package of this one but ruff, as after a plain
    ``pip install .``: the interpreter and the PYTHONPATH that gives it the packages."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    packages = folder / "packages"
    packages.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith("ruff"):
            (packages / entry.name).symlink_to(entry)
    return folder / "bin" / "python", str(packages)


@pytest.mark.parametrize("generator", ["generate_models.py", "generate_client_methods.py"])
def test_a_generator_without_ruff_says_what_to_install_and_not_out_of_date(
    tmp_path: Path, generator: str
) -> None:
    python, packages = _python_without_ruff(tmp_path / "python")
    result = subprocess.run(
        [str(python), str(TOOLS / generator), "--check"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": packages},
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        "ruff is not installed for this Python; the generators need the test extra: "
        "pip install -e '.[test]'\n"
    )
    assert result.stdout == ""


xsd_regex = _tool("xsd_regex")


@pytest.mark.parametrize(
    ("xsd", "python"),
    [
        ("[A-Z0-9]*", "^(?:[A-Z0-9]*)$"),
        ("a|b", "^(?:a|b)$"),
        ("x.y", "^(?:x[^\\n\\r]y)$"),
        ("^$", "^(?:\\^\\$)$"),
        ("\\d{2}\\s", "^(?:[0-9]{2}[ \\t\\n\\r])$"),
        ("[a-z\\-&~]", "^(?:[a-z\\-\\&\\~])$"),
        ("[<>]", "^(?:[<>])$"),
    ],
)
def test_xsd_patterns_are_translated(xsd: str, python: str) -> None:
    assert xsd_regex.translate(xsd) == python


@pytest.mark.parametrize("construct", ["\\i", "\\p{Lu}", "[a-z-[aeiou]]", "[abc"])
def test_untranslatable_patterns_stop_the_generator(construct: str) -> None:
    with pytest.raises(xsd_regex.UnsupportedPatternError):
        xsd_regex.translate(construct)


def test_translated_patterns_mean_the_same_in_python_and_in_pydantic() -> None:
    """pydantic checks patterns with Rust's regex engine; the extra ones use Python's re."""
    pattern = xsd_regex.translate("[a-zA-Z0-9 ~!@#$*()_+}{:?`='/.,%;\\^\\|\\-\\]\\[\\\\<>&\"]*")
    adapter = TypeAdapter(Annotated[str, Field(pattern=pattern)])
    for text, ok in [
        ("abc ~!@#", True),
        ("[]\\|^-", True),
        ("<&>\"'", True),
        ("日本", False),
        ("a\n", False),
    ]:
        assert (re.fullmatch(pattern, text) is not None) is ok
        try:
            adapter.validate_python(text)
            accepted = True
        except ValidationError:
            accepted = False
        assert accepted is ok, text


generator = _tool("generate_models")


@pytest.mark.parametrize(
    ("xml", "python"),
    [
        ("Secondary1OfferQuantityInKw", "secondary1_offer_quantity_in_kw"),
        ("BSPName", "bsp_name"),
        ("CoefficientTR2", "coefficient_tr2"),
        ("BSP_ResourceList", "bsp_resource_list"),
        ("FringeQuantityInMW", "fringe_quantity_in_mw"),
        ("ROW", "row"),
        ("a", "a"),
    ],
)
def test_snake_case_of_xml_names(xml: str, python: str) -> None:
    assert generator.snake_case(xml) == python


def test_enumeration_members_without_a_known_meaning_get_neutral_names() -> None:
    assert generator.member_name("PRI-SEC1") == "PRI_SEC1"
    assert generator.member_name("OUTPUT BAND") == "OUTPUT_BAND"
    assert generator.member_name("0132") == "CODE_0132"


@pytest.mark.parametrize(
    ("table", "render", "misspelt"),
    [
        ("CORRECTIONS", "render_operations", ("MI", "MarketSubmit_Swich")),
        ("DATASET_CORRECTIONS", "render_report_datasets", "BSP_Ofers"),
    ],
)
def test_a_correction_of_what_the_catalog_lacks_stops_the_generator(
    schema_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    table: str,
    render: str,
    misspelt: object,
) -> None:
    """A misspelt correction would leave the inference it means to correct in place."""
    generator = _tool("generate_models")
    correction = {"audience": {"roles": ["TSO"], "source": "observed"}}
    monkeypatch.setitem(getattr(generator.operation_rules, table), misspelt, correction)
    with pytest.raises(generator.GeneratorError, match=re.escape(str(misspelt))):
        getattr(generator, render)(schema_folder / "operations.json")


def test_a_market_type_rule_for_an_operation_the_catalog_lacks_stops_the_generator(
    schema_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A misspelt name would leave its operation sent without a MarketType."""
    generator = _tool("generate_models")
    rules = generator.operation_rules
    misspelt = rules.MARKET_TYPE_REQUIRED | {"MarketCancel_OferCancel"}
    monkeypatch.setattr(rules, "MARKET_TYPE_REQUIRED", misspelt)
    with pytest.raises(generator.GeneratorError, match="MarketCancel_OferCancel"):
        generator.render_operations(schema_folder / "operations.json")


def test_a_catalog_dataset_the_schema_has_no_rows_for_stops_the_generator(
    schema_folder: Path, tmp_path: Path
) -> None:
    """The union typing report rows is written from the catalog's datasets; one that is no
    ``OutboundData`` element has no row model to put in it."""
    catalog = json.loads((schema_folder / "operations.json").read_text(encoding="utf-8"))
    catalog["outbound_datasets"].append(
        {**catalog["outbound_datasets"][0], "dataset_name": "BSP_Forecasts"}
    )
    (tmp_path / "operations.json").write_text(json.dumps(catalog), encoding="utf-8")
    (tmp_path / "xsd").symlink_to(schema_folder / "xsd")
    generator = _tool("generate_models")
    with pytest.raises(generator.GeneratorError, match="dataset BSP_Forecasts is no element"):
        generator.render_report_datasets(tmp_path / "operations.json")
