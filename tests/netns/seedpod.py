"""The request the kube layer sends for a pod of the seed's node, named by container id.

Shared by the real-kernel tests that collect a seed pod the way a cluster
run would, without the pod UID or IPs: the container id alone must find it.
"""

from __future__ import annotations

from kubectl_bridge import model
from kubectl_bridge.sandbox.topology import Topology


def pod_request(topo: Topology, pod: str = "nginx") -> model.Request:
    """By container id, with the pod's name for the headers; the node namespace as host."""
    handle = topo.pod(pod)
    return model.Request(
        kind="pod",
        container_ids=(handle.container_ref,),
        pod_name=pod,
        pod_namespace="default",
        host_netns=topo.node_netns,
    )
