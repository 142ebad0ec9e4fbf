"""Child elements in the order of the schema's sequence, as the MMS's XSD validation wants them.

The codec's reader files each child element under its name, so it takes them in any order:
the client reads the MMS's replies, which are in order, and must not pay for a check there.
The simulator, when it has no official XSD to validate a request against, walks the request
once more to refuse what the MMS would refuse for its order. The steps of each model's
sequence come from the binding (:attr:`~mms_client.schema.binding.ElementPlan.step`), which
the generator takes from the XSD.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mms_client.errors import FieldError, shown_problem
from mms_client.schema.binding import ElementPlan, ModelPlan, XmlModel, xml_plan
from mms_client.sim.calls import Code, Issue

if TYPE_CHECKING:
    from lxml.etree import _Element


Misplaced = tuple["_Element", ElementPlan, ElementPlan]
"""An element out of order, how it is read, and the element of a later step it came after."""


def misplaced_elements(tree: _Element, model: type[XmlModel]) -> list[Misplaced]:
    """The first child out of the order of the schema's sequence in each element of the
    document ``tree`` (of type ``model``) whose children break it: the MMS too reports one
    problem per element's content. Elements the models do not know are passed over: reading
    the document refuses them."""
    found: list[Misplaced] = []
    _walk(tree, xml_plan(model), found)
    return found


def order_issue(tree: _Element, model: type[XmlModel], misplaced: Misplaced) -> Issue:
    """The ``E_SCHEMA_INVALID`` issue of an element ``misplaced`` in the document ``tree``,
    naming its path, the element it came after and the order the schema wants (the path
    costs a count of the element's preceding siblings: made only for the issues listed)."""
    return Issue(Code.SCHEMA_INVALID, shown_problem(_problem(tree, model, *misplaced)))


def _walk(element: _Element, plan: ModelPlan, found: list[Misplaced]) -> None:
    """Notes in ``found`` the first child of ``element`` (laid out by ``plan``) and of each
    element below it that comes after an element of a later step, with that element."""
    by_tag = plan.elements_by_tag
    latest: ElementPlan | None = None
    misplaced = False
    for child in element:
        binding = by_tag.get(child.tag)  # None too for a comment, whose tag is no name
        if binding is None:
            continue
        if latest is None or binding.step > latest.step:
            latest = binding
        elif binding.step < latest.step and not misplaced:
            found.append((child, binding, latest))
            misplaced = True
        model = binding.model
        if model is not None:
            inner = xml_plan(model)
            if inner.elements:
                _walk(child, inner, found)


def _problem(
    tree: _Element, model: type[XmlModel], child: _Element, binding: ElementPlan, after: ElementPlan
) -> FieldError:
    """The problem of ``child`` (read as ``binding``), which came after an element ``after``,
    with its path as the reader writes one: an index for every element of a repeated kind."""
    segments = [str(tree.tag)]
    plan = xml_plan(model)
    for element in reversed(list(child.iterancestors())[:-1]):
        step = plan.elements_by_tag[str(element.tag)]
        segments.append(_segment(element, step))
        assert step.model is not None  # it holds child elements
        plan = xml_plan(step.model)
    segments.append(_segment(child, binding))
    rule = (
        f"out of order: after {after.tag}, where the schema's sequence ({_order(plan)}) puts "
        "it before"
    )
    return FieldError("/".join(segments), None, rule)


def _segment(element: _Element, binding: ElementPlan) -> str:
    """``element``'s step in a path: its tag, indexed if it is of a repeated kind."""
    if not binding.is_list:
        return binding.tag
    index = sum(1 for _ in element.itersiblings(binding.tag, preceding=True))
    return f"{binding.tag}[{index + 1}]"


def _order(plan: ModelPlan) -> str:
    """The order in which the schema declares ``plan``'s child elements."""
    return ", ".join(binding.tag for binding in plan.elements)
