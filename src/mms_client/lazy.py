"""Public names of a package resolved when first used, so that importing the package costs
nothing until then (``mms_client``, ``mms_client.sim``).

Kept free of ``typing``: ``import mms_client`` should not even pay for that module.
"""

from __future__ import annotations

from importlib import import_module

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, MutableMapping


def lazy_names(
    package: str, modules: dict[str, str], namespace: MutableMapping[str, object]
) -> Callable[[str], object]:
    """The module ``__getattr__`` of ``package``, whose ``namespace`` (its ``globals()``)
    takes each public name from the module ``modules`` says defines it.

    A package assigns it under ``if not TYPE_CHECKING:``: a type checker takes a module with
    ``__getattr__`` to have every attribute, and would accept a misspelt name as one of any
    type; it sees the public names through the package's ``TYPE_CHECKING`` imports instead.
    """

    def attribute(name: str) -> object:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module), name)
        namespace[name] = value  # later look-ups skip this function
        return value

    return attribute
