"""What the agent imports at start-up: it starts once per ``describe``, inside the debug pod.

pyroute2's socket layer (asyncio, ssl) and the ``iptables-save`` fallback
cost 45-50 ms of every start and are never used on the usual path, so they
must stay out of ``collect``'s imports — without breaking pyroute2 for code
that does import it later in the same process.
"""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
import kubectl_bridge.agent.collect
from kubectl_bridge.agent import nfnl
heavy = ("asyncio", "ssl", "pyroute2.netlink.nlsocket", "kubectl_bridge.agent.iptsave")
print(sorted(m for m in heavy if m in sys.modules))
print(nfnl.nft_rule_msg.__module__, "pyroute2.netlink.nfnetlink.nftsocket" in sys.modules)
from pyroute2.netlink.nfnetlink.nftsocket import NFTSocket, nft_rule_msg
print(NFTSocket.__mro__[1].__module__, nft_rule_msg.nla_map == nfnl.nft_rule_msg.nla_map)
"""


def test_collect_imports_no_socket_layer_and_pyroute2_still_works() -> None:
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == [
        "[]",
        "pyroute2.netlink.nfnetlink.nftsocket False",  # a private copy, not registered
        "pyroute2.netlink.nlsocket True",  # the real module, imported later, is intact
    ]
