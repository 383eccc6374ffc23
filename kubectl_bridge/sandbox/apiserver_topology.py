"""The stand-in's state for a built topology: its node and pods as the API shows them.

The pods served are the topology's own: the same pod UID and container id
that its processes' cgroups carry, the same IPs, and ``x-standin.netns`` so
``kubectl exec`` into them enters their namespace.  The node's namespace is
where debug-pod execs run.
"""

from __future__ import annotations

import secrets
from typing import Any

from . import apiserver_objects as obj
from .topology import Topology


def topology_pods(topo: Topology, node: str) -> list[dict[str, Any]]:
    """Complete pod objects for every pod of ``topo``, scheduled on ``node``."""
    node_ip = topo.spec.uplink.address.split("/")[0] if topo.spec.uplink else "192.168.0.10"
    pods = []
    for handle in topo.pods.values():
        pod = obj.workload_pod(
            handle.spec.name,
            namespace=handle.spec.namespace,
            node=node,
            ips=(handle.ip,),
            host_ip=node_ip,
            uid=handle.uid,
            containers=((handle.spec.name, handle.container_ref),),
        )
        pod["x-standin"] = {"netns": handle.netns}
        pods.append(pod)
    return pods


def topology_state(
    topo: Topology,
    *,
    node: str = "master1",
    token: str | None = None,
    cache_root: str,
    faults: dict[str, Any] | None = None,
    extra_pods: list[dict[str, Any]] | None = None,
    extra_nodes: list[dict[str, Any]] | None = None,
    namespaces: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A state document for ``apiserver.start_background`` describing ``topo``."""
    node_ip = topo.spec.uplink.address.split("/")[0] if topo.spec.uplink else "192.168.0.10"
    return {
        "token": token or secrets.token_hex(16),
        "nodes": [
            {"name": node, "netns": topo.node_netns, "address": node_ip},
            *(extra_nodes or []),
        ],
        "namespaces": namespaces or [],
        "pods": topology_pods(topo, node) + list(extra_pods or []),
        "faults": faults or {},
        "cache_root": cache_root,
    }
