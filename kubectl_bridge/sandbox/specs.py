"""What a test topology is made of: plain, frozen specs (no I/O here).

``topology.build`` turns a ``NodeSpec`` into namespaces, links and
processes; ``seed_node_spec`` is the seed engineer's node, exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .cgroups import CgroupSpec


@dataclass(frozen=True)
class BridgeSpec:
    """A Linux bridge in the node namespace."""

    name: str
    mac: str | None = None
    address: str | None = None  # CIDR, e.g. "172.17.0.1/16"
    stp: bool = False
    up: bool = True


@dataclass(frozen=True)
class UplinkSpec:
    """The node's uplink: a veth into a router namespace (S8, S9)."""

    name: str = "eth0"
    address: str = "192.168.0.10/24"
    mac: str | None = None
    router_address: str = "192.168.0.1/24"
    router_ifname: str = "eth0"
    #: source CIDRs the node masquerades (iptables) on the uplink, as Docker
    #: does; the router then needs no route back to the pods.
    masquerade: tuple[str, ...] = ()
    #: CIDRs the router routes back via the node (when not masquerading).
    return_routes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RouteSpec:
    """A route in the node namespace: ``ip route add DST [via GW] [dev DEV]``."""

    dst: str
    via: str | None = None
    dev: str | None = None

    def ip_line(self) -> str:
        """The route as one line of ``ip -batch``."""
        line = f"route add {self.dst}"
        if self.via:
            line += f" via {self.via}"
        if self.dev:
            line += f" dev {self.dev}"
        return line


@dataclass(frozen=True)
class PodSpec:
    """A pod: namespace, veth pair, address, routes and its processes.

    ``bridge`` None makes a routed pod (ptp/Calico style): a ``/32`` route on
    the host veth, proxy ARP on it, and the pod's gateway ``169.254.1.1``.
    Empty ``uid``/``container_id``/``host_veth`` are generated.
    """

    name: str
    ip: str  # CIDR as seen in the pod, e.g. "172.17.0.2/16"
    mac: str | None = None
    host_veth: str = ""
    host_veth_mac: str | None = None
    bridge: str | None = "docker0"
    gateway: str | None = None  # default: the bridge's address, or 169.254.1.1 when routed
    ifname: str = "eth0"
    namespace: str = "default"
    uid: str = ""
    container_id: str = ""
    runtime: str = "docker"  # docker | containerd | cri-o
    cgroup: CgroupSpec | None = field(default_factory=CgroupSpec)  # None: no process
    pause: bool = False  # also run a separate pause (sandbox) process


@dataclass(frozen=True)
class NodeSpec:
    """A whole node: what ``build`` makes."""

    prefix: str
    bridges: tuple[BridgeSpec, ...] = ()
    pods: tuple[PodSpec, ...] = ()
    uplink: UplinkSpec | None = None
    routes: tuple[RouteSpec, ...] = ()
    sysctls: tuple[tuple[str, str], ...] = (("net.ipv4.ip_forward", "1"),)
    #: IPv6 off everywhere: no router solicitations or DAD, so the FDB and ARP
    #: tables stay empty until the test sends traffic (as the seed saw).
    ipv6: bool = False

    def gateway_for(self, pod: PodSpec) -> str | None:
        """The pod's default gateway unless it names one: its bridge's address, or 169.254.1.1."""
        if pod.gateway:
            return pod.gateway
        if not pod.bridge:
            return "169.254.1.1"
        for br in self.bridges:
            if br.name == pod.bridge and br.address:
                return br.address.split("/")[0]
        return None


SEED_VETHS = ("veth2482a36", "veth1b74665")


def seed_node_spec(prefix: str, pods: int = 2) -> NodeSpec:
    """The seed's node: docker0, nginx and nginx1 on it, eth0 to a router.

    Pods beyond the first two (``nginx2``...) follow the same pattern with
    generated veth names, for tests and benchmarks that need more pods.
    """
    pod_specs = []
    for i in range(pods):
        name = "nginx" if i == 0 else f"nginx{i}"
        veth = SEED_VETHS[i] if i < len(SEED_VETHS) else ""
        n = i + 2
        pod_specs.append(
            PodSpec(
                name=name,
                ip=f"172.17.{n // 256}.{n % 256}/16",
                mac=f"02:42:ac:11:{n // 256:02x}:{n % 256:02x}",
                host_veth=veth,
                bridge="docker0",
            )
        )
    return NodeSpec(
        prefix=prefix,
        bridges=(BridgeSpec("docker0", mac="02:42:a5:85:91:b6", address="172.17.0.1/16"),),
        pods=tuple(pod_specs),
        uplink=UplinkSpec(
            name="eth0",
            address="192.168.0.10/24",
            router_address="192.168.0.1/24",
            masquerade=("172.17.0.0/16",),
        ),
        routes=(RouteSpec("default", via="192.168.0.1", dev="eth0"),),
    )
