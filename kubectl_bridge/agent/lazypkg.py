"""Import a package's submodules without running its ``__init__`` until it is needed.

``import pyroute2.netlink.rtnl.ifinfmsg`` first executes ``pyroute2/__init__.py``,
which imports every pyroute2 API (IPRoute, NDB, IPDB, conntrack, asyncio...):
about 120 ms on our 2-core CI machine, three quarters of the agent's start-up,
for message classes that need none of it.  The agent starts once per
``kubectl bridge`` run inside the debug pod, so that cost is paid on every
call.

``defer_init(name)`` puts an empty module for the package in ``sys.modules``
with the real ``__path__``, so submodules import as usual.  The package's
own ``__init__`` runs, into that same module, the first time anyone asks
the package itself for a name that is neither set nor a submodule (``from
pyroute2 import IPRoute`` still works later in the same process).  A package already
imported is left alone.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any


def defer_init(name: str) -> bool:
    """Defer ``name``'s ``__init__``; False if already imported or not installed."""
    if name in sys.modules:
        return False
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return False
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader
    state = {"loaded": False}

    def load_on_demand(attr: str) -> Any:
        if state["loaded"]:
            raise AttributeError(f"module {name!r} has no attribute {attr!r}")
        # ``from pyroute2 import config`` asks for a submodule: just import it
        if importlib.util.find_spec(f"{name}.{attr}") is not None:
            return importlib.import_module(f"{name}.{attr}")
        state["loaded"] = True
        del module.__dict__["__getattr__"]
        loader.exec_module(module)
        return getattr(module, attr)

    module.__dict__["__getattr__"] = load_on_demand
    sys.modules[name] = module
    return True


def is_deferred(module: types.ModuleType) -> bool:
    """True while a deferred package's ``__init__`` has not run (for tests)."""
    return "__getattr__" in module.__dict__
