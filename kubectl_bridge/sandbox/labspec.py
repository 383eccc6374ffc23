"""What the sandbox builds: the seed's node and its pods as specs (no I/O here).

``bridge`` is the seed's Docker node: docker0, veths named as the seed saw
them.  ``routed`` is the same node the Calico way: no bridge, ``cali`` host
veths with MAC ee:ee:ee:ee:ee:ee, /32 pods behind proxy ARP — so the tool's
bridge-less path can be seen without a cluster too.
"""

from __future__ import annotations

from .labserver import SandboxError
from .specs import NodeSpec, PodSpec, RouteSpec, UplinkSpec, seed_node_spec

NODE = "master1"
MAX_PODS = 250
CNIS = ("bridge", "routed")


def pod_specs(count: int, cni: str = "bridge") -> tuple[PodSpec, ...]:
    """``nginx``, ``nginx1``, ...: the seed's pods, on docker0 or routed (Calico style)."""
    seed = seed_node_spec("x", pods=count).pods
    if cni == "bridge":
        return seed
    return tuple(
        PodSpec(
            name=p.name,
            ip=f"10.244.0.{i + 2}/32",
            mac=p.mac,
            host_veth=f"cali{i:011x}",
            host_veth_mac="ee:ee:ee:ee:ee:ee",
            bridge=None,
        )
        for i, p in enumerate(seed)
    )


def node_spec(prefix: str, cni: str = "bridge") -> NodeSpec:
    """The seed's node without pods (``add_pod`` attaches them)."""
    if cni == "bridge":
        seed = seed_node_spec(prefix, pods=0)
        return NodeSpec(prefix=prefix, bridges=seed.bridges, uplink=seed.uplink, routes=seed.routes)
    return NodeSpec(
        prefix=prefix,
        bridges=(),
        uplink=UplinkSpec(masquerade=("10.244.0.0/16",)),
        routes=(RouteSpec("default", via="192.168.0.1", dev="eth0"),),
    )


def check_args(pods: int, cni: str) -> None:
    """Refuse what cannot be built before anything is made."""
    if not 0 <= pods <= MAX_PODS:
        raise SandboxError(f"--pods {pods} is out of range", f"use 0 to {MAX_PODS}")
    if cni not in CNIS:
        raise SandboxError(f"unknown --cni {cni!r}", "use bridge or routed")
