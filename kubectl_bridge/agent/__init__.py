"""The node-side collector: stdlib, pyroute2 and ``kubectl_bridge.model`` only.

It is zipped and run on the node by ``python -m kubectl_bridge.agent``, and
runs in-process for local targets; nothing here may import kube/ or render/.
Only pyroute2's message classes are used, so its package ``__init__`` (every
pyroute2 API, ~120 ms) is deferred: see ``lazypkg``.
"""

from .lazypkg import defer_init

defer_init("pyroute2")
