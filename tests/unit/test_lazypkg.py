"""The agent imports pyroute2's message classes without pyroute2's whole API."""

from __future__ import annotations

import subprocess
import sys

from kubectl_bridge.agent import lazypkg


def run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.strip()


def test_agent_import_skips_pyroute2s_init() -> None:
    code = (
        "import sys; import kubectl_bridge.agent.collect, kubectl_bridge.agent.__main__\n"
        "from kubectl_bridge.agent.lazypkg import is_deferred\n"
        "heavy = ('pyroute2.iproute', 'pyroute2.ndb', 'pyroute2.ipdb')\n"
        "print(is_deferred(sys.modules['pyroute2']), sorted(set(heavy) & set(sys.modules)))"
    )
    assert run(code) == "True []"


def test_the_full_package_still_loads_on_demand() -> None:
    code = (
        "import kubectl_bridge.agent.collect\n"
        "from pyroute2 import IPRoute, config\n"
        "import pyroute2\n"
        "print(IPRoute.__name__, pyroute2.__version__ != '', config.__name__)"
    )
    assert run(code) == "IPRoute True pyroute2.config"


def test_an_imported_package_is_left_alone() -> None:
    assert lazypkg.defer_init("json") is False
    assert lazypkg.defer_init("no_such_package_kb") is False


def test_missing_names_still_raise() -> None:
    code = (
        "import kubectl_bridge.agent.collect, pyroute2\n"
        "try:\n    pyroute2.no_such_name_kb\n"
        "except AttributeError:\n    print('AttributeError')"
    )
    assert run(code) == "AttributeError"
