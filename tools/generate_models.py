"""Generate the payload models and the operation registry from the official MMS schema files.

    python tools/generate_models.py [--schema-dir DIR] [--check]

Reads ``xsd/*.xsd`` and ``operations.json`` from the schema folder (default: the one
``mms_client.schema.files.schema_dir()`` finds) and writes

* ``src/mms_client/schema/generated/<schema>.py``: one module per XSD with a pydantic class per
  complex type, an ``Annotated`` alias per constrained simple type and an enum per enumeration;
* ``src/mms_client/operations_data.py``: the registry rows of ``mms_client.operations``;
* ``src/mms_client/reports_data.py``: who may create each report dataset and the report type
  that names it, the rules of ``mms_client.reports``, and the union of the datasets' row models
  (``RowModel``) that types the rows read with one.

The output is deterministic and formatted with ``ruff format``; ``--check`` only reports
whether the committed files are up to date (exit status 1 when they are not). A schema folder
that is missing or incomplete, or a missing ruff, exits 2. A schema construct the generator
does not know stops it with an error instead of producing a model that accepts the wrong documents.
"""

from __future__ import annotations

import argparse
import json
import keyword
import re
import sys
import textwrap
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree

TOOLS = Path(__file__).resolve().parent
REPOSITORY = TOOLS.parent
sys.path.insert(0, str(TOOLS))
sys.path.insert(0, str(REPOSITORY / "src"))

import naming  # noqa: E402
import operation_rules  # noqa: E402
from formatting import SETUP_PROBLEM, ruff_format, update  # noqa: E402
from mms_client.errors import SchemaFilesError  # noqa: E402
from mms_client.schema.files import XSD_FILES, Schema, schema_dir, schema_location  # noqa: E402
from xsd_regex import translate  # noqa: E402

XS = "{http://www.w3.org/2001/XMLSchema}"
GENERATED = REPOSITORY / "src" / "mms_client" / "schema" / "generated"
OPERATIONS_DATA = REPOSITORY / "src" / "mms_client" / "operations_data.py"
REPORTS_DATA = REPOSITORY / "src" / "mms_client" / "reports_data.py"
UNBOUNDED = None


class GeneratorError(Exception):
    """The schema uses something the generator cannot translate faithfully."""


# ---------------------------------------------------------------------------------------------
# built-in XSD types


@dataclass(frozen=True)
class Builtin:
    annotation: str  # the name used in generated code
    imports: tuple[tuple[str, str], ...]  # (module, name)
    kind: str  # "string", "integer", "decimal", "float", "boolean", "date", "datetime"
    minimum: int | None = None
    maximum: int | None = None


def _datatype(
    name: str, kind: str, minimum: int | None = None, maximum: int | None = None
) -> Builtin:
    return Builtin(name, (("mms_client.schema.datatypes", name),), kind, minimum, maximum)


BUILTINS: dict[str, Builtin] = {
    "xs:string": Builtin("str", (), "string"),
    "xs:normalizedString": Builtin("str", (), "string"),
    "xs:token": Builtin("str", (), "string"),
    "xs:boolean": _datatype("XsBoolean", "boolean"),
    "xs:int": _datatype("XsInt", "integer", -(2**31), 2**31 - 1),
    "xs:long": _datatype("XsLong", "integer", -(2**63), 2**63 - 1),
    "xs:short": _datatype("XsShort", "integer", -(2**15), 2**15 - 1),
    "xs:byte": _datatype("XsByte", "integer", -(2**7), 2**7 - 1),
    "xs:integer": _datatype("XsInteger", "integer"),
    "xs:nonNegativeInteger": _datatype("XsNonNegativeInteger", "integer", 0),
    "xs:positiveInteger": _datatype("XsPositiveInteger", "integer", 1),
    "xs:decimal": _datatype("XsDecimal", "decimal"),
    "xs:float": Builtin("float", (), "float"),
    "xs:double": Builtin("float", (), "float"),
    "xs:date": _datatype("XsDate", "date"),
    "xs:dateTime": Builtin("JstDateTime", (("mms_client.jst", "JstDateTime"),), "datetime"),
}


# ---------------------------------------------------------------------------------------------
# names


def snake_case(name: str) -> str:
    """``Secondary1OfferQuantityInKw`` -> ``secondary1_offer_quantity_in_kw``."""
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    text = re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_").lower()
    return re.sub(r"_+", "_", text)


def type_class_name(xsd_name: str) -> str:
    """Class or alias name of an XSD type: the naming table, else the name without ``Type``."""
    if xsd_name in naming.CLASS_NAMES:
        return naming.CLASS_NAMES[xsd_name]
    base = xsd_name[:-4] if xsd_name.endswith("Type") and len(xsd_name) > 4 else xsd_name
    return re.sub(r"[^0-9A-Za-z_]", "_", base)


_PYDANTIC_RESERVED = {
    "copy",
    "dict",
    "json",
    "schema",
    "construct",
    "validate",
    "fields",
    "from_orm",
    "parse_obj",
    "parse_raw",
    "parse_file",
    "update_forward_refs",
    "schema_json",
}


def field_name(owner: str, xml_name: str) -> str:
    name = naming.FIELD_NAMES.get((owner, xml_name)) or naming.GLOBAL_FIELD_NAMES.get(xml_name)
    name = name or snake_case(xml_name)
    if keyword.iskeyword(name) or name in _PYDANTIC_RESERVED or name.startswith("model_"):
        name += "_"
    return name


def member_name(value: str) -> str:
    """Default enumeration member name: the value in upper case, or ``CODE_<value>``."""
    clean = re.sub(r"[^0-9A-Za-z]+", "_", value).strip("_").upper()
    if not clean or clean[0].isdigit():
        return "CODE_" + (clean or "EMPTY")
    return clean


# ---------------------------------------------------------------------------------------------
# documentation


def clean_text(text: str | None) -> str:
    """Documentation text without the XSD indentation, paragraphs kept."""
    if not text:
        return ""
    lines = textwrap.dedent(text.expandtabs(4)).strip("\n").splitlines()
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        stripped = line.strip()
        if stripped:
            paragraphs[-1].append(stripped)
        elif paragraphs[-1]:
            paragraphs.append([])
    return "\n\n".join(" ".join(p) for p in paragraphs if p)


def documentation(node: etree._Element) -> str:
    docs = node.findall(f"{XS}annotation/{XS}documentation")
    return "\n\n".join(clean_text(d.text) for d in docs if clean_text(d.text))


def is_comment(node: etree._Element | None) -> bool:
    """Whether ``node`` is a comment (or processing instruction) rather than an element."""
    return node is not None and not isinstance(node.tag, str)


def schema_children(node: etree._Element) -> Iterator[etree._Element]:
    """The child elements that define something: no comments, no annotations."""
    for child in node:
        if not is_comment(child) and child.tag != f"{XS}annotation":
            yield child


def preceding_comment(node: etree._Element, *, adjacent: bool = True) -> str | None:
    """The comment above ``node``, if there is one; with ``adjacent``, only when no blank
    line separates them (a comment further up is a section banner, not about this node)."""
    previous = node.getprevious()
    if previous is None or not is_comment(previous):
        return None
    if adjacent and (previous.tail or "").count("\n") > 1:
        return None
    return previous.text


def naming_comment(node: etree._Element) -> str:
    """A one-line comment that names the type (section banners excluded)."""
    comment = preceding_comment(node)
    if comment is None or "\n" in comment.strip():
        return ""
    text = comment.strip()
    if any(word in text for word in ("BEGIN", "END", "Definitions", "####", "Root Element")):
        return ""
    return re.sub(r"\s+", " ", text)


def code_list(node: etree._Element) -> tuple[str, dict[str, str]]:
    """The heading and the ``code: NAME`` lines of a comment that explains codes."""
    comment = preceding_comment(node, adjacent=False)
    if comment is None:
        return "", {}
    heading = ""
    codes: dict[str, str] = {}
    for line in comment.splitlines():
        match = re.match(r"^\W*([0-9A-Za-z]+)\s*:\s*(.+?)\s*$", line)
        if match:
            codes[match.group(1)] = match.group(2)
        elif line.strip() and not heading:
            heading = line.strip()
    return heading, codes


def docstring(text: str, indent: str = "    ") -> str:
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"').strip()
    if not text:
        return ""
    if text.endswith('"'):
        text += " "
    width = 96 - len(indent)
    text = "\n\n".join(
        textwrap.fill(p, width, break_long_words=False, break_on_hyphens=False)
        for p in text.split("\n\n")
    )
    body = text.replace("\n", "\n" + indent).replace("\n" + indent + "\n", "\n\n")
    if "\n" in text:
        return f'{indent}"""{body}\n{indent}"""\n'
    return f'{indent}"""{body}"""\n'


def py_string(text: str) -> str:
    """A double-quoted Python literal; non-ASCII characters as escapes so files stay ASCII."""
    out = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\n":
            out.append("\\n")
        elif char.isascii() and char.isprintable():
            out.append(char)
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'


# ---------------------------------------------------------------------------------------------
# simple types


@dataclass
class Facets:
    length: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    # one per derivation step, translated, with the name of the type that step defines (None
    # for an anonymous one), which an error names: a regex alone tells a user little
    patterns: list[tuple[str, str | None]] = field(default_factory=list)
    minimum: tuple[str, bool] | None = None  # (lexical value, inclusive)
    maximum: tuple[str, bool] | None = None
    total_digits: int | None = None
    fraction_digits: int | None = None
    enumeration: list[tuple[str, str]] | None = None  # (value, trailing comment)


@dataclass
class SimpleType:
    xsd_name: str | None
    builtin: Builtin
    facets: Facets
    own_facets: bool  # whether this derivation step adds facets
    base: str  # the base QName
    alias: str | None = None  # generated name, when the type gets its own alias or enum
    doc: str = ""
    members: list[tuple[str, str, str]] = field(default_factory=list)  # (name, value, doc)


def _trailing_comment(node: etree._Element) -> str:
    following = node.getnext()
    if is_comment(following) and "\n" not in (node.tail or ""):
        assert following is not None
        return re.sub(r"\s+", " ", (following.text or "").strip())
    return ""


def _tighter(
    current: tuple[str, bool] | None, new: tuple[str, bool], lower: bool
) -> tuple[str, bool]:
    if current is None:
        return new
    a, b = Decimal(current[0]), Decimal(new[0])
    if a == b:
        return (new[0], current[1] and new[1])
    if lower:
        return new if b > a else current
    return new if b < a else current


def _merge_facets(
    base: Facets, restriction: etree._Element, where: str, owner: str | None
) -> tuple[Facets, bool]:
    facets = Facets(
        base.length,
        base.min_length,
        base.max_length,
        list(base.patterns),
        base.minimum,
        base.maximum,
        base.total_digits,
        base.fraction_digits,
        base.enumeration,
    )
    step_patterns: list[str] = []
    enumeration: list[tuple[str, str]] = []
    own = False
    for facet in schema_children(restriction):
        own = True
        name = etree.QName(facet).localname
        value = facet.get("value", "")
        if name == "length":
            facets.length = int(value)
        elif name == "minLength":
            facets.min_length = int(value)
        elif name == "maxLength":
            facets.max_length = int(value)
        elif name == "pattern":
            step_patterns.append(value)
        elif name in ("minInclusive", "minExclusive"):
            facets.minimum = _tighter(facets.minimum, (value, name == "minInclusive"), lower=True)
        elif name in ("maxInclusive", "maxExclusive"):
            facets.maximum = _tighter(facets.maximum, (value, name == "maxInclusive"), lower=False)
        elif name == "totalDigits":
            facets.total_digits = min(int(value), facets.total_digits or int(value))
        elif name == "fractionDigits":
            facets.fraction_digits = min(int(value), facets.fraction_digits or int(value))
        elif name == "enumeration":
            enumeration.append((value, _trailing_comment(facet)))
        elif name == "whiteSpace":
            continue
        else:
            raise GeneratorError(f"{where}: facet xs:{name} is not supported")
    if step_patterns:
        # patterns of one step are alternatives; patterns of different steps all apply
        alternatives = [translate(p)[4:-2] for p in step_patterns]
        facets.patterns.append(("^(?:" + "|".join(alternatives) + ")$", owner))
    if enumeration:
        facets.enumeration = enumeration
    return facets, own


class SchemaModel:
    """One XSD file, read into the pieces the module writer needs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.root = etree.parse(str(path)).getroot()
        self.simple_nodes = self._named("simpleType")
        self.complex_nodes = self._named("complexType")
        self.groups = self._named("attributeGroup")
        self.elements = list(self.root.iterchildren(f"{XS}element"))
        self.simple: dict[str, SimpleType] = {}
        self.root_types = {
            e.get("type", ""): e.get("name", "") for e in self.elements if e.get("type")
        }

    def _named(self, kind: str) -> dict[str, etree._Element]:
        return {n.get("name", ""): n for n in self.root.iterchildren(f"{XS}{kind}")}

    # -- simple types ------------------------------------------------------------------------

    def simple_type(self, name: str) -> SimpleType:
        if name not in self.simple:
            self.simple[name] = self._read_simple(self.simple_nodes[name], name)
        return self.simple[name]

    def _read_simple(self, node: etree._Element, name: str | None) -> SimpleType:
        where = f"{self.path.name}: simple type {name or '(anonymous)'}"
        restriction = node.find(f"{XS}restriction")
        if restriction is None:
            raise GeneratorError(f"{where}: only xs:restriction is supported")
        base_name = restriction.get("base", "")
        if base_name in BUILTINS:
            builtin, base_facets = BUILTINS[base_name], Facets()
        elif base_name in self.simple_nodes:
            base = self.simple_type(base_name)
            builtin, base_facets = base.builtin, base.facets
        else:
            raise GeneratorError(f"{where}: unknown base type {base_name}")
        facets, own = _merge_facets(base_facets, restriction, where, name)
        simple = SimpleType(name, builtin, facets, own, base_name)
        if name is not None and own:
            simple.alias = type_class_name(name)
            simple.doc = documentation(node) or naming_comment(node)
        if simple.alias and facets.enumeration:
            self._name_members(simple, node)
        return simple

    def _name_members(self, simple: SimpleType, node: etree._Element) -> None:
        assert simple.xsd_name is not None and simple.facets.enumeration is not None
        heading, codes = code_list(node)
        if heading and not simple.doc:
            simple.doc = heading
        table = naming.ENUM_MEMBERS.get(simple.xsd_name, {})
        seen: set[str] = set()
        for value, comment in simple.facets.enumeration:
            name = table.get(value) or (member_name(codes[value]) if value in codes else None)
            name = name or member_name(value)
            if name in seen:
                raise GeneratorError(f"{self.path.name}: {simple.xsd_name} has two members {name}")
            seen.add(name)
            simple.members.append((name, value, comment))

    def annotation(self, type_name: str, imports: set[tuple[str, str]]) -> str:
        """The annotation for a reference to a simple type (built-in or named)."""
        if type_name in BUILTINS:
            builtin = BUILTINS[type_name]
            imports.update(builtin.imports)
            return builtin.annotation
        if type_name not in self.simple_nodes:
            raise GeneratorError(f"{self.path.name}: unknown simple type {type_name}")
        simple = self.simple_type(type_name)
        if simple.alias:
            return simple.alias
        return self.annotation(simple.base, imports)

    # -- complex types -----------------------------------------------------------------------

    def class_name(self, xsd_name: str) -> str:
        return self.root_types.get(xsd_name) or type_class_name(xsd_name)


# ---------------------------------------------------------------------------------------------
# complex types -> classes


@dataclass
class FieldSpec:
    name: str
    xml_name: str
    kind: str  # "attribute", "element", "text"
    annotation: str
    required: bool
    is_list: bool = False
    min_occurs: int = 0
    max_occurs: int | None = 1
    description: str = ""
    forward: bool = False  # refers to a class defined later (a recursive type)


@dataclass
class ClassSpec:
    name: str
    xsd_name: str
    doc: str
    fields: list[FieldSpec]
    choices: list[tuple[list[list[str]], bool]]
    root_tag: str | None
    steps: dict[str, int]
    """The step of each child element (by XML name) in the sequence (see
    :func:`_sequence_steps`)."""


def _occurs(node: etree._Element) -> tuple[int, int | None]:
    low = int(node.get("minOccurs", "1"))
    high_text = node.get("maxOccurs", "1")
    return low, (UNBOUNDED if high_text == "unbounded" else int(high_text))


def _particle_names(node: etree._Element) -> Iterator[str]:
    """The names of the elements a content model particle ``node`` may hold (not those of
    their own types)."""
    if etree.QName(node).localname == "element":
        yield node.get("name", "")
        return
    for child in schema_children(node):
        yield from _particle_names(child)


def _sequence_steps(node: etree._Element, start: int, steps: dict[str, int]) -> int:
    """Numbers each element of the content model particle ``node`` in ``steps`` with the step
    of the sequence it belongs to, from ``start``; returns the step that follows.

    An element must not come after one of a later step. The elements of an ``xs:all``, or of
    a ``xs:sequence`` or ``xs:choice`` that may repeat, come in any order, so they share a
    step. The alternatives of an ``xs:choice`` begin at the same step: two of them together
    break the choice, whatever their order, which the choice check reports.
    """
    local = etree.QName(node).localname
    if local == "element":
        steps[node.get("name", "")] = start
        return start + 1
    children = list(schema_children(node))
    if local == "all" or _occurs(node)[1] != 1:
        for name in _particle_names(node):
            steps[name] = start
        return start + 1
    if local == "sequence":
        for child in children:
            start = _sequence_steps(child, start, steps)
        return start
    return max((_sequence_steps(child, start, steps) for child in children), default=start)


def _times(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a * b


class ClassBuilder:
    def __init__(self, model: SchemaModel) -> None:
        self.model = model
        self.classes: list[ClassSpec] = []
        self.imports: set[tuple[str, str]] = set()
        self.pending: list[tuple[str, str, etree._Element, str | None]] = []

    def build_all(self) -> list[ClassSpec]:
        for xsd_name, node in self.model.complex_nodes.items():
            self.pending.append((self.model.class_name(xsd_name), xsd_name, node, None))
        for element in self.model.elements:
            inline = element.find(f"{XS}complexType")
            if inline is not None:
                name = element.get("name", "")
                self.pending.append((type_class_name(name), name, inline, name))
        while self.pending:
            name, xsd_name, node, root = self.pending.pop(0)
            self.classes.append(self.build(name, xsd_name, node, root))
        tags = {e.get("type"): e.get("name") for e in self.model.elements}
        for spec in self.classes:
            spec.root_tag = spec.root_tag or tags.get(spec.xsd_name)
        return self.classes

    def build(self, name: str, xsd_name: str, node: etree._Element, root: str | None) -> ClassSpec:
        where = f"{self.model.path.name}: complex type {xsd_name}"
        attributes: list[FieldSpec] = []
        elements: list[FieldSpec] = []
        text_fields: list[FieldSpec] = []
        choices: list[tuple[list[list[str]], bool]] = []
        steps: dict[str, int] = {}
        step = 0
        for child in schema_children(node):
            local = etree.QName(child).localname
            if local in ("sequence", "choice", "all"):
                elements.extend(self.particles(xsd_name, child, 1, 1, choices, where))
                step = _sequence_steps(child, step, steps)
            elif local in ("attribute", "attributeGroup"):
                attributes.extend(self.attributes(xsd_name, child, where))
            elif local == "simpleContent":
                extension = child.find(f"{XS}extension")
                if extension is None:
                    raise GeneratorError(f"{where}: only simpleContent/extension is supported")
                annotation = self.model.annotation(extension.get("base", ""), self.imports)
                text_fields.append(FieldSpec("text", "#text", "text", annotation, True))
                for item in schema_children(extension):
                    attributes.extend(self.attributes(xsd_name, item, where))
            else:
                raise GeneratorError(f"{where}: xs:{local} is not supported")
        fields = [*attributes, *text_fields, *elements]
        seen: dict[str, str] = {}
        for spec in fields:
            for key in (spec.name, spec.xml_name):
                if key in seen and seen[key] != spec.xml_name:
                    raise GeneratorError(
                        f"{where}: the name {key} is used twice; add a naming entry"
                    )
                seen[key] = spec.xml_name
        doc = documentation(node) or naming_comment(node)
        in_order = {item.xml_name: steps[item.xml_name] for item in elements}
        return ClassSpec(name, xsd_name, doc, fields, choices, root, in_order)

    def attributes(self, owner: str, node: etree._Element, where: str) -> Iterator[FieldSpec]:
        local = etree.QName(node).localname
        if local == "attributeGroup":
            group = self.model.groups.get(node.get("ref", ""))
            if group is None:
                raise GeneratorError(f"{where}: unknown attribute group {node.get('ref')}")
            for item in schema_children(group):
                yield from self.attributes(owner, item, where)
            return
        if local != "attribute" or node.get("name") is None:
            raise GeneratorError(f"{where}: xs:{local} {node.get('ref', '')} is not supported")
        xml_name = node.get("name", "")
        if node.get("type"):
            annotation = self.model.annotation(node.get("type", ""), self.imports)
        else:
            inline = node.find(f"{XS}simpleType")
            if inline is None:
                raise GeneratorError(f"{where}: attribute {xml_name} has no type")
            annotation = self.inline_simple(inline)
        notes = []
        if node.get("default") is not None:
            notes.append(f"Absent means {node.get('default')}.")
        if node.get("fixed") is not None:
            notes.append(f"Always {node.get('fixed')}.")
        yield FieldSpec(
            field_name(owner, xml_name),
            xml_name,
            "attribute",
            annotation,
            required=node.get("use") == "required",
            description=" ".join(notes),
        )

    def inline_simple(self, node: etree._Element) -> str:
        simple = self.model._read_simple(node, None)
        return _constrained(simple, self.imports)

    def particles(
        self,
        owner: str,
        node: etree._Element,
        low: int,
        high: int | None,
        choices: list[tuple[list[list[str]], bool]],
        where: str,
    ) -> list[FieldSpec]:
        local = etree.QName(node).localname
        own_low, own_high = _occurs(node)
        low, high = low * own_low, _times(high, own_high)
        if local == "element":
            return [self.element_field(owner, node, low, high, where)]
        if local in ("sequence", "all"):
            out = []
            for child in schema_children(node):
                out.extend(self.particles(owner, child, low, high, choices, where))
            return out
        if local == "choice":
            branches: list[list[FieldSpec]] = []
            for child in schema_children(node):
                branches.append(self.particles(owner, child, low, high, choices, where))
            if high == 1:
                required = low >= 1 and all(any(f.min_occurs for f in b) for b in branches)
                names = [[f.name for f in branch] for branch in branches]
                choices.append((names, required))
            fields = [f for branch in branches for f in branch]
            for item in fields:
                # any branch may be the one not taken; the choice check demands the taken one
                item.required, item.min_occurs = False, 0
            return fields
        raise GeneratorError(f"{where}: xs:{local} is not supported in a content model")

    def element_field(
        self, owner: str, node: etree._Element, low: int, high: int | None, where: str
    ) -> FieldSpec:
        tag = node.get("name")
        if tag is None:
            raise GeneratorError(f"{where}: element references are not supported")
        type_name = node.get("type")
        if type_name is None:
            inline = node.find(f"{XS}complexType")
            inline_simple = node.find(f"{XS}simpleType")
            if inline is not None:
                annotation = type_class_name(tag)
                self.pending.append((annotation, tag, inline, None))
            elif inline_simple is not None:
                annotation = self.inline_simple(inline_simple)
            else:
                raise GeneratorError(f"{where}: element {tag} has no type")
        elif type_name in self.model.complex_nodes:
            annotation = self.model.class_name(type_name)
        else:
            annotation = self.model.annotation(type_name, self.imports)
        is_list = high is None or high > 1
        return FieldSpec(
            field_name(owner, tag),
            tag,
            "element",
            annotation,
            required=low >= 1,
            is_list=is_list,
            min_occurs=low,
            max_occurs=high,
        )


def _number(value: str, builtin: Builtin) -> str:
    if builtin.kind == "integer":
        return str(int(value))
    if builtin.kind == "decimal":
        return f'Decimal("{Decimal(value)}")'
    return repr(float(value))


def _whole_numbers(
    minimum: tuple[str, bool] | None, maximum: tuple[str, bool] | None, digits: int | None
) -> str:
    """``WholeNumbers(...)`` for an integer type's bounds (``(value, inclusive)``) and its
    ``totalDigits``, all of which come down to a least and a greatest whole number."""
    low = None if minimum is None else _whole_bound(minimum, upward=True)
    high = None if maximum is None else _whole_bound(maximum, upward=False)
    if digits is not None:
        widest = 10**digits - 1
        low = -widest if low is None else max(low, -widest)
        high = widest if high is None else min(high, widest)
    bounds = [f"{name}={value}" for name, value in (("ge", low), ("le", high)) if value is not None]
    return f"WholeNumbers({', '.join(bounds)})"


def _whole_bound(bound: tuple[str, bool], *, upward: bool) -> int:
    """The least (``upward``) or greatest whole number within the facet ``bound`` of an
    integer type, whose value is an integer: itself, or the next one in for an exclusive
    bound."""
    value, inclusive = int(bound[0]), bound[1]
    return value if inclusive else value + (1 if upward else -1)


def _constrained(simple: SimpleType, imports: set[tuple[str, str]]) -> str:
    """``Annotated[...]`` for a simple type with facets (enumerations are emitted as enums)."""
    builtin, facets = simple.builtin, simple.facets
    base = {
        "string": "str",
        "integer": "int",
        "decimal": "Decimal",
        "float": "float",
        "boolean": "XsBoolean",
        "date": "XsDate",
        "datetime": "JstDateTime",
    }[builtin.kind]
    if builtin.kind in ("boolean", "date", "datetime"):
        imports.update(builtin.imports)
    if builtin.kind == "decimal":
        imports.add(("decimal", "Decimal"))
    arguments: list[str] = []  # of pydantic's Field
    parts = [base]
    if facets.length is not None:
        arguments += [f"min_length={facets.length}", f"max_length={facets.length}"]
    else:
        if facets.min_length is not None:
            arguments.append(f"min_length={facets.min_length}")
        if facets.max_length is not None:
            arguments.append(f"max_length={facets.max_length}")
    patterns = list(facets.patterns)
    if patterns and builtin.kind == "string":
        # pydantic checks one pattern, on strings only, and fast; the rest go through
        # XsdPattern, whose error also names the XSD type the pattern belongs to
        arguments.append(f"pattern={py_string(patterns.pop()[0])}")
    minimum, maximum = facets.minimum, facets.maximum
    if builtin.minimum is not None and (minimum is None or Decimal(minimum[0]) < builtin.minimum):
        minimum = (str(builtin.minimum), True)
    if builtin.maximum is not None and (maximum is None or Decimal(maximum[0]) > builtin.maximum):
        maximum = (str(builtin.maximum), True)
    if builtin.kind == "integer":
        # pydantic's int would take a bool for 0 or 1; WholeNumbers does not, and holds the
        # bounds, which pydantic's Field would apply to an int only
        imports.add(("mms_client.schema.datatypes", "WholeNumbers"))
        parts.append(_whole_numbers(minimum, maximum, facets.total_digits))
    else:
        if minimum is not None:
            arguments.append(("ge=" if minimum[1] else "gt=") + _number(minimum[0], builtin))
        if maximum is not None:
            arguments.append(("le=" if maximum[1] else "lt=") + _number(maximum[0], builtin))
        if facets.total_digits is not None:
            arguments.append(f"max_digits={facets.total_digits}")
    if facets.fraction_digits is not None and builtin.kind == "decimal":
        arguments.append(f"decimal_places={facets.fraction_digits}")
    if builtin.kind == "decimal":
        arguments.append("allow_inf_nan=False")
    if arguments:
        imports.add(("pydantic", "Field"))
        parts.append(f"Field({', '.join(arguments)})")
    if builtin.kind == "decimal":
        # after Field, whose bounds and digits pydantic then checks on its own decimal
        imports.add(("mms_client.schema.datatypes", "DecimalText"))
        parts.append("DecimalText()")
    if len(parts) == 1 and not patterns:
        return base
    for pattern, owner in patterns:
        imports.update(
            {("pydantic", "AfterValidator"), ("mms_client.schema.datatypes", "XsdPattern")}
        )
        named = "" if owner is None else f", {py_string(owner)}"
        parts.append(f"AfterValidator(XsdPattern({py_string(pattern)}{named}))")
    imports.add(("typing", "Annotated"))
    return f"Annotated[{', '.join(parts)}]"


# ---------------------------------------------------------------------------------------------
# module writer


def _schema_summary(model: SchemaModel) -> str:
    text = documentation(model.root)
    for paragraph in text.split("\n\n"):
        if paragraph.startswith("This is"):
            return paragraph
    return ""


def render_schema(path: Path) -> str:
    model = SchemaModel(path)
    builder = ClassBuilder(model)
    body: list[str] = []
    imports: set[tuple[str, str]] = set()
    names: dict[str, str] = {}

    def claim(name: str, what: str) -> None:
        if name in names:
            raise GeneratorError(f"{path.name}: {what} and {names[name]} are both named {name}")
        names[name] = what

    for xsd_name in model.simple_nodes:
        simple = model.simple_type(xsd_name)
        if simple.alias is None:
            continue
        claim(simple.alias, f"simple type {xsd_name}")
        header = f"XSD type ``{xsd_name}``."
        doc = f"{simple.doc}\n\n{header}" if simple.doc else header
        if simple.facets.enumeration:
            enum_base = "IntEnum" if simple.builtin.kind == "integer" else "StrEnum"
            imports.add(("enum", enum_base))
            lines = [f"class {simple.alias}({enum_base}):\n", docstring(doc), "\n"]
            for member, value, comment in simple.members:
                literal = str(int(value)) if enum_base == "IntEnum" else py_string(value)
                lines.append(f"    {member} = {literal}\n")
                if comment:
                    lines.append(docstring(comment))
            body.append("".join(lines))
        else:
            annotation = _constrained(simple, imports)
            body.append(f"{simple.alias} = {annotation}\n{docstring(doc, indent='')}")

    classes = builder.build_all()
    imports.update(builder.imports)
    for spec in classes:
        claim(spec.name, f"complex type {spec.xsd_name}")
    for spec in _dependency_order(classes):
        body.append(_render_class(spec, imports))

    return _module_text(path, _schema_summary(model), imports, body)


def _dependency_order(classes: list[ClassSpec]) -> list[ClassSpec]:
    """Classes in schema order, moved down just enough that each follows the classes its
    fields use, so annotations are evaluated when the class is created (a forward reference
    would cost a string evaluation per field at import)."""
    by_name = {spec.name: spec for spec in classes}
    ordered: list[ClassSpec] = []
    placed: set[str] = set()

    def place(spec: ClassSpec, visiting: set[str]) -> None:
        if spec.name in placed:
            return
        visiting.add(spec.name)
        for item in spec.fields:
            used = by_name.get(item.annotation)
            if used is not None and used.name not in visiting:
                place(used, visiting)
            elif used is not None:
                item.forward = True
        placed.add(spec.name)
        ordered.append(spec)

    for spec in classes:
        place(spec, set())
    return ordered


def _render_class(spec: ClassSpec, imports: set[tuple[str, str]]) -> str:
    base = "XmlChoiceModel" if spec.choices else "XmlModel"
    imports.add(("mms_client.schema.binding", base))
    header = f"XSD type ``{spec.xsd_name}``" + (
        f", the document root ``{spec.root_tag}``." if spec.root_tag else "."
    )
    doc = f"{spec.doc}\n\n{header}" if spec.doc else header
    lines = [f"class {spec.name}({base}):\n", docstring(doc), "\n"]
    if spec.root_tag:
        lines.append(f"    __xml_tag__ = {py_string(spec.root_tag)}\n")
    if spec.choices:
        imports.add(("mms_client.schema.binding", "Choice"))
        rendered = []
        for branches, required in spec.choices:
            items = _tuple([_tuple([py_string(n) for n in branch]) for branch in branches])
            rendered.append(f"Choice({items}, required={required})")
        lines.append(f"    __xml_choices__ = {_tuple(rendered)}\n")
    # a sequence of steps of one element each is what a model without them has
    shared_steps = len(set(spec.steps.values())) < len(spec.steps)
    if shared_steps:
        entries = ", ".join(f"{py_string(n)}: {step}" for n, step in spec.steps.items())
        lines.append(f"    __xml_steps__ = {{{entries}}}\n")
    if spec.root_tag or spec.choices or shared_steps:
        lines.append("\n")
    for item in spec.fields:
        lines.append(_render_field(item, imports))
    return "".join(lines)


def _tuple(items: list[str]) -> str:
    """A tuple display without a trailing comma that would make ruff explode it."""
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


def _render_field(spec: FieldSpec, imports: set[tuple[str, str]]) -> str:
    if spec.forward:
        spec.annotation = py_string(spec.annotation)
    description = f", description={py_string(spec.description)}" if spec.description else ""
    if spec.kind == "text":
        imports.add(("mms_client.schema.binding", "text"))
        return f"    {spec.name}: {spec.annotation} = text({description.lstrip(', ')})\n"
    if spec.kind == "attribute":
        imports.add(("mms_client.schema.binding", "attr"))
        name = py_string(spec.xml_name)
        if spec.required:
            return f"    {spec.name}: {spec.annotation} = attr({name}{description})\n"
        return (
            f"    {spec.name}: {spec.annotation} | None = "
            f"attr({py_string(spec.xml_name)}, default=None{description})\n"
        )
    imports.add(("mms_client.schema.binding", "element"))
    tag = py_string(spec.xml_name)
    if spec.is_list:
        bounds = []
        if spec.required and spec.min_occurs:
            bounds.append(f"min_length={spec.min_occurs}")
        if spec.max_occurs is not None:
            bounds.append(f"max_length={spec.max_occurs}")
        default = "" if spec.required else ", default_factory=list"
        extra = "".join(f", {b}" for b in bounds)
        return f"    {spec.name}: list[{spec.annotation}] = element({tag}{default}{extra})\n"
    if spec.required:
        return f"    {spec.name}: {spec.annotation} = element({tag})\n"
    return f"    {spec.name}: {spec.annotation} | None = element({tag}, default=None)\n"


def _module_text(path: Path, summary: str, imports: set[tuple[str, str]], body: list[str]) -> str:
    by_module: dict[str, set[str]] = {}
    for module, name in imports:
        by_module.setdefault(module, set()).add(name)
    groups = [
        sorted(m for m in by_module if m in ("decimal", "enum", "typing", "datetime")),
        sorted(m for m in by_module if m == "pydantic"),
        sorted(m for m in by_module if m.startswith("mms_client")),
    ]
    import_lines = []
    for group in groups:
        if group:
            import_lines.append(
                "".join(f"from {m} import {', '.join(sorted(by_module[m]))}\n" for m in group)
            )
    doc = f"Generated by tools/generate_models.py from {path.name}; do not edit."
    if summary:
        doc += f"\n\n{summary}"
    return docstring(doc, indent="") + "\n" + "\n".join(import_lines) + "\n\n" + "\n\n".join(body)


# ---------------------------------------------------------------------------------------------
# operation registry


def render_operations(catalog_path: Path) -> str:
    catalog = json.loads(catalog_path.read_text(encoding="utf-8"))
    _check_corrected(
        "CORRECTIONS",
        operation_rules.CORRECTIONS,
        {(r["interface"], r["name"]) for r in catalog["operations"]},
    )
    _check_corrected(
        "MARKET_TYPE_REQUIRED",
        operation_rules.MARKET_TYPE_REQUIRED,
        {r["name"] for r in catalog["operations"]},
    )
    rows = []
    for record in catalog["operations"]:
        key = (record["interface"], record["name"])
        rule = operation_rules.METHODS.get(key)
        if rule is None:
            raise GeneratorError(f"operation_rules.METHODS has no entry for {key}")
        correction = operation_rules.CORRECTIONS.get(key, {})
        audience = correction.get("audience", record["audience"])
        response = correction.get("response", record["response"])
        schema = Schema(Path(record["schema_file"]).stem.replace("-", "_"))
        response_schema = Schema(
            Path(response.get("schema_file") or record["schema_file"]).stem.replace("-", "_")
        )
        outbound = response.get("envelope") == response_schema.root_tag
        rows.append(
            {
                "name": record["name"],
                "interface": record["interface"],
                "request_type": record["request_type"],
                "kind": record["kind"],
                "schema": schema.value,
                "root": record["root_element"],
                "envelope": record["envelope"],
                "element": record["element"],
                "multi": record["multi"],
                "companions": tuple(c["name"] for c in record.get("companion_elements", [])),
                "method": rule[0],
                "list_method": rule[1],
                "read_only": operation_rules.read_only(record["kind"], record["name"]),
                "needs_market_type": record["name"] in operation_rules.MARKET_TYPE_REQUIRED,
                "audiences": tuple(audience["roles"]),
                "audience_source": _source(audience),
                "response_schema": response_schema.value,
                "response_envelope": None if outbound else response.get("envelope"),
                "response_element": response.get("element") or _candidate(response),
                "response_child": (response.get("results_child") or {}).get("name"),
                "response_files": bool(response.get("attachments")),
                "response_source": _source(response),
            }
        )
    return _render_rows(
        "One row per MMS operation. Audiences and response shapes that the catalog marks as "
        "inferred carry their source and confidence; corrections belong in "
        "tools/operation_rules.py (CORRECTIONS), followed by a regeneration.",
        "OperationRow",
        "One operation as data; mms_client.operations turns rows into Operations.",
        rows,
        {
            "multi": "bool",
            "read_only": "bool",
            "needs_market_type": "bool",
            "companions": "tuple[str, ...]",
            "list_method": "str | None",
            "audiences": "tuple[str, ...]",
            "response_envelope": "str | None",
            "response_element": "str | None",
            "response_child": "str | None",
            "response_files": "bool",
        },
    )


def render_report_datasets(catalog_path: Path) -> str:
    """The rules of each outbound report dataset: who may create it and the ReportType and
    ReportSubType a request names it with, each with its source (corrected where
    ``operation_rules.DATASET_CORRECTIONS`` says), and the union of their row models, so that
    a dataset the catalog and the schema gain is typed without a hand-kept list."""
    catalog = json.loads(catalog_path.read_text(encoding="utf-8"))
    records = catalog["outbound_datasets"]
    _check_corrected(
        "DATASET_CORRECTIONS",
        operation_rules.DATASET_CORRECTIONS,
        {r["dataset_name"] for r in records},
    )
    rows = []
    for record in records:
        correction = operation_rules.DATASET_CORRECTIONS.get(record["dataset_name"], {})
        audience = correction.get("audience", record["audience"])
        report_type = correction.get("report_type", record["report_type"])
        rows.append(
            {
                "name": record["dataset_name"],
                "audiences": tuple(audience["roles"]),
                "audience_source": _source(audience),
                "report_type": report_type["ReportType"],
                "report_sub_type": report_type["ReportSubType"],
                "report_type_source": _source(report_type),
            }
        )
    models = _row_models(catalog_path.parent / "xsd" / Schema.MI_OUTBND_REPORTS.file_name)
    union = " | ".join(_row_model(models, row["name"]) for row in rows)
    return _render_rows(
        "One row per outbound report dataset: who may create it and the ReportType and "
        "ReportSubType that name it. Those the catalog marks as inferred carry their source and "
        "confidence; corrections belong in tools/operation_rules.py (DATASET_CORRECTIONS), "
        "followed by a regeneration.",
        "DatasetRow",
        "One dataset's rules as data; mms_client.reports turns rows into DatasetRules.",
        rows,
        {"audiences": "tuple[str, ...]"},
        imports=(
            "from typing import TypeAlias",
            f"from mms_client.schema.generated import {Schema.MI_OUTBND_REPORTS.value}",
        ),
        tail=f"RowModel: TypeAlias = {union}\n"
        + docstring(
            "The row model of every dataset of ROWS (the OutboundData element of its name): "
            "mms_client.reports.ReportRow is bound to it, so that a dataset's model types the "
            "rows read with it.",
            indent="",
        ),
    )


def _row_models(outbound_xsd: Path) -> dict[str, str]:
    """The class of each child element of ``OutboundData``, by element name."""
    classes = ClassBuilder(SchemaModel(outbound_xsd)).build_all()
    [root] = [spec for spec in classes if spec.root_tag == Schema.MI_OUTBND_REPORTS.root_tag]
    return {item.xml_name: item.annotation for item in root.fields if item.kind == "element"}


def _row_model(models: dict[str, str], dataset: str) -> str:
    """The row model of ``dataset``, qualified by its module; a dataset of the catalog that is
    no ``OutboundData`` element stops the generator, as its rows could not be read."""
    if dataset not in models:
        raise GeneratorError(f"the catalog's dataset {dataset} is no element of OutboundData")
    return f"{Schema.MI_OUTBND_REPORTS.value}.{models[dataset]}"


def _check_corrected(table: str, corrections: Iterable[Any], known: set[Any]) -> None:
    """Stop at a correction (or a rule) of something the catalog does not have: a misspelt
    name would otherwise leave the inference it was meant to correct in place without a
    word."""
    unknown = set(corrections) - known
    if unknown:
        raise GeneratorError(
            f"operation_rules.{table} names what the catalog does not have: "
            f"{', '.join(sorted(map(str, unknown)))}"
        )


def _render_rows(
    summary: str,
    row_class: str,
    row_doc: str,
    rows: list[dict[str, Any]],
    types: dict[str, str],
    *,
    imports: tuple[str, ...] = (),
    tail: str = "",
) -> str:
    """A generated module of catalog rows: a ``NamedTuple`` ``row_class`` whose fields are the
    keys of the rows (``str`` unless ``types`` says otherwise), and ``ROWS``, every row; then
    ``tail``, which may use what ``imports`` (import statements) bring in."""
    lines = [
        docstring(
            "Generated by tools/generate_models.py from operations.json and "
            f"tools/operation_rules.py; do not edit.\n\n{summary}",
            indent="",
        ),
        "\nfrom __future__ import annotations\n\nfrom typing import NamedTuple\n",
        "".join(f"{statement}\n" for statement in imports),
        "\n\n",
        f"class {row_class}(NamedTuple):\n",
        docstring(row_doc),
        "\n",
    ]
    lines += [f"    {c}: {types.get(c, 'str')}\n" for c in rows[0]]
    lines.append(f"\n\nROWS: tuple[{row_class}, ...] = (\n")
    for row in rows:
        args = ", ".join(f"{c}={_literal(v)}" for c, v in row.items())
        lines.append(f"    {row_class}({args}),\n")
    lines.append(")\n")
    if tail:
        lines.append(f"\n\n{tail}")
    return "".join(lines)


def _source(entry: dict[str, Any]) -> str:
    source = str(entry.get("source", ""))
    if entry.get("confidence"):
        source += f" ({entry['confidence']})"
    if not entry.get("element") and entry.get("candidates"):
        source += ", element is the catalog's candidate"
    return source


def _candidate(response: dict[str, Any]) -> str | None:
    """The catalog's best guess when it names no response element (None for report rows)."""
    candidates = response.get("candidates")
    return str(candidates[0]) if candidates else None


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return py_string(value)
    if isinstance(value, tuple):
        return _tuple([_literal(v) for v in value]) if value else "()"
    return repr(value)


# ---------------------------------------------------------------------------------------------
# driver


CATALOG = "operations.json"
"""The operation catalog in the schema folder, read with the XSDs."""


def render_all(folder: Path) -> dict[Path, str]:
    """Every generated file (path -> formatted content) from the schema folder ``folder``."""
    outputs: dict[Path, str] = {}
    for schema in Schema:
        target = GENERATED / f"{schema.value}.py"
        outputs[target] = ruff_format(render_schema(folder / "xsd" / schema.file_name), target)
    init = GENERATED / "__init__.py"
    outputs[init] = ruff_format(
        docstring(
            "Generated by tools/generate_models.py; do not edit.\n\n"
            "One module per official MMS schema. Import the module you need "
            "(``mms_client.schema.generated.mi_market``...); this package imports none of them, "
            "so each costs only when used.",
            indent="",
        ),
        init,
    )
    outputs[OPERATIONS_DATA] = ruff_format(render_operations(folder / CATALOG), OPERATIONS_DATA)
    outputs[REPORTS_DATA] = ruff_format(render_report_datasets(folder / CATALOG), REPORTS_DATA)
    return outputs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--schema-dir", type=Path, default=None, help="folder with xsd/ and operations.json"
    )
    parser.add_argument("--check", action="store_true", help="only report out-of-date files")
    args = parser.parse_args(argv)
    advice = f"pass --schema-dir or set MMS_SCHEMA_DIR to a folder with xsd/ and {CATALOG}"
    try:
        # the folder beside the checkout counts as named: the generator has nothing to do
        # without one, so its absence is said in schema_dir's words too
        folder = schema_dir(args.schema_dir or schema_location(), needs=(*XSD_FILES, CATALOG))
    except SchemaFilesError as exc:
        print(f"{exc}; {advice}", file=sys.stderr)
        return SETUP_PROBLEM
    if folder is None:  # not a checkout, and no folder named
        print(f"no schema folder named; {advice}", file=sys.stderr)
        return SETUP_PROBLEM
    try:
        outputs = render_all(folder)
    except GeneratorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return update(outputs, check=args.check)


if __name__ == "__main__":
    sys.exit(main())
