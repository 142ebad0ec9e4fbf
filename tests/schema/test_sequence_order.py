"""The simulator's check of child element order, held against the official XSDs.

Without the XSDs the simulator judges order from the steps the generator wrote into the
models; with them, lxml's XSD validation judges. The two must agree, or a request the MMS
takes would be refused by a simulator run from an installed package (or the other way round).
Every example request, and every example payload of the schema files, is taken with each
pair of neighbouring children of different names swapped in turn: a change of order only,
which the XSD refuses exactly when the sequence forbids it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
from lxml import etree

from mms_client.examples import examples
from mms_client.schema import codec, root_model
from mms_client.schema.files import Schema, compiled_xsd, schema_dir
from mms_client.sim.sequence import misplaced_elements


def _documents(folder: Path | None) -> Iterator[tuple[str, Schema, bytes]]:
    for example in examples():
        operation = example.operation
        document = example.document("FAKEUSER")
        yield f"{operation.interface}-{operation.name}", operation.schema, codec.write(document)
    if folder is not None:
        for path in sorted((folder / "examples").glob("*.xml")):
            data = path.read_bytes()
            root = etree.fromstring(data).tag
            schema = next(s for s in Schema if root_model(s).__name__ == root)
            yield path.name, schema, data


def _swaps(tree: etree._Element) -> Iterator[tuple[str, etree._Element]]:
    """Copies of ``tree``, each with one pair of neighbouring children of different names
    swapped, named by the path of their parent and the two names."""
    for parent in tree.iter():
        children = [child for child in parent if isinstance(child.tag, str)]
        for index, (first, second) in enumerate(pairwise(children)):
            if first.tag == second.tag:
                continue
            swapped = copy.deepcopy(tree)
            twin = swapped.getroottree().xpath(tree.getroottree().getpath(parent))[0]
            elements = [child for child in twin if isinstance(child.tag, str)]
            elements[index].addprevious(elements[index + 1])
            yield f"{tree.getroottree().getpath(parent)}: {second.tag} before {first.tag}", swapped


_CASES = list(_documents(schema_dir()))


@pytest.mark.parametrize(
    ("schema", "data"), [case[1:] for case in _CASES], ids=[c[0] for c in _CASES]
)
def test_the_order_check_refuses_exactly_what_the_xsd_refuses(
    schema_folder: Path, schema: Schema, data: bytes
) -> None:
    xsd = compiled_xsd(schema_folder, schema)
    model = root_model(schema)
    tree = etree.fromstring(data)
    assert xsd.validate(tree), xsd.error_log
    assert misplaced_elements(tree, model) == []
    disagreements = []
    for swap, swapped in _swaps(tree):
        by_xsd = not xsd.validate(swapped)
        by_order = bool(misplaced_elements(swapped, model))
        if by_xsd != by_order:
            disagreements.append(f"{swap}: XSD refuses {by_xsd}, order check refuses {by_order}")
    assert not disagreements, "\n".join(disagreements)
