"""The node-side collector: stdlib, pyroute2 and ``kubectl_bridge.model`` only.

It is zipped and run on the node by ``python -m kubectl_bridge.agent``, and
runs in-process for local targets; nothing here may import kube/ or render/.
"""
