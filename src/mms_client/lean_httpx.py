"""httpx, imported without its command-line client.

httpx imports its command-line client (``httpx._main``) whenever click, rich and pygments are
installed, and they are: our own command line uses them. That client is over half of httpx's
import time, which every program using this library would pay at start-up, and a library never
runs it. httpx falls back to a stub when ``_main`` cannot be imported, so the module is blocked
for the duration of the first ``import httpx`` and unblocked at once: the only trace left is
that ``httpx.main`` is httpx's stub in this process; ``import httpx._main`` still works. When
httpx is already imported, nothing is done.
"""

import sys

_BLOCKED = "httpx._main"

if "httpx" not in sys.modules and _BLOCKED not in sys.modules:
    sys.modules[_BLOCKED] = None  # type: ignore[assignment]  # None blocks an import
    try:
        import httpx
    finally:
        if sys.modules.get(_BLOCKED, False) is None:
            del sys.modules[_BLOCKED]
else:
    import httpx

__all__ = ["httpx"]
