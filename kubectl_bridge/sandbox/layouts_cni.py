"""Every common node layout, as the CNI that makes it sets it up.

Names, addresses, routes, static neighbours and sysctls follow what each
CNI does on a real node (see ``docs/support-matrix.md``).  Host veth names
are fixed so recorded snapshots and expectations stay readable.  The node
is ``192.168.0.10`` on ``eth0`` behind a router ``192.168.0.1``; another
node is ``192.168.0.11``.  ``LAYOUTS`` maps a key to a builder taking the
unique namespace prefix.
"""

from __future__ import annotations

from collections.abc import Callable

from .layouts import Expect, LayoutSpec
from .specs import BridgeSpec, NodeSpec, PodSpec, RouteSpec, UplinkSpec, seed_node_spec

ROUTER = "192.168.0.1"
DEFAULT = (RouteSpec("default", via=ROUTER, dev="eth0"),)
NONE: frozenset[str] = frozenset()


def _uplink(*masquerade: str, returns: tuple[str, ...] = ()) -> UplinkSpec:
    return UplinkSpec(masquerade=masquerade, return_routes=returns)


def _bridged_hops(veth: str, bridge: str, subnet: str) -> tuple[tuple[str, str], ...]:
    return (
        ("pod-interface", "eth0"),
        ("host-interface", veth),
        ("bridge", bridge),
        ("route", subnet),
        ("uplink", "eth0"),
    )


def _routed_hops(veth: str, route: str, uplink: str = "eth0") -> tuple[tuple[str, str], ...]:
    return (
        ("pod-interface", "eth0"),
        ("host-interface", veth),
        ("route", route),
        ("uplink", uplink),
    )


def docker(prefix: str) -> LayoutSpec:
    """The seed: Docker's docker0 bridge, masqueraded."""
    return LayoutSpec(
        "docker", "Docker bridge docker0", seed_node_spec(prefix), "nginx",
        # docker0 is up before it has ports (NO-CARRIER, as the seed's S1 shows) and
        # drops what it sends then: a real, harmless tx_dropped, but only when the
        # kernel happened to send something in that window
        Expect("docker", _bridged_hops("veth2482a36", "docker0", "172.17.0.0/16"),
               maybe=frozenset({"interface-drops"})),
        warm=(("nginx", ROUTER),),
    )  # fmt: skip


def flannel(prefix: str) -> LayoutSpec:
    """cni0 bridge (MTU 1450) plus flannel.1 VXLAN routing to two other nodes' /24s."""
    pods = (
        PodSpec("web", "10.244.1.2/24", host_veth="veth5d1e0c2a", bridge="cni0"),
        PodSpec("api", "10.244.1.3/24", host_veth="veth7b3f9e41", bridge="cni0"),
    )
    vteps = (("10.244.0.0", "5e:a1:00:00:00:0b", "192.168.0.11"),
             ("10.244.2.0", "5e:a1:00:00:00:0c", "192.168.0.12"))  # fmt: skip
    lines = ["link set {veth_web} mtu 1450", "link set {veth_api} mtu 1450",
             "link set cni0 mtu 1450",
             "link add flannel.1 type vxlan id 1 local 192.168.0.10 dev eth0 dstport 8472 "
             "nolearning",
             "link set flannel.1 mtu 1450", "addr add 10.244.1.0/32 dev flannel.1",
             "link set flannel.1 up"]  # fmt: skip
    for gw, mac, _node in vteps:
        lines += [f"neigh add {gw} lladdr {mac} dev flannel.1 nud permanent",
                  f"route add {gw}/24 via {gw} dev flannel.1 onlink"]  # fmt: skip
    return LayoutSpec(
        "flannel", "flannel (bridge plugin cni0 + VXLAN flannel.1)",
        NodeSpec(prefix, bridges=(BridgeSpec("cni0", address="10.244.1.1/24"),), pods=pods,
                 uplink=_uplink("10.244.0.0/16"), routes=DEFAULT),
        "web", Expect("flannel", _bridged_hops("veth5d1e0c2a", "cni0", "10.244.1.0/24")),
        node_lines=tuple(lines),
        bridge_lines=tuple(f"fdb append {mac} dev flannel.1 dst {node} self permanent"
                           for _gw, mac, node in vteps),
        pod_lines=tuple((p, ("link set eth0 mtu 1450",)) for p in ("web", "api")),
        warm=(("web", ROUTER),),
    )  # fmt: skip


def calico(prefix: str) -> LayoutSpec:
    """Calico: cali veths (MAC ee:ee:...), /32 pods, 169.254.1.1 by proxy-ARP, BIRD routes."""
    ee = "ee:ee:ee:ee:ee:ee"
    pods = (
        PodSpec("web", "10.244.1.7/32", host_veth="cali1a2b3c4d5e6", host_veth_mac=ee, bridge=None),
        PodSpec("api", "10.244.1.8/32", host_veth="cali9f8e7d6c5b4", host_veth_mac=ee, bridge=None),
    )
    sysctls = tuple(
        (f"net/ipv4/{k}", "0" if "delay" in k else "1")
        for v in ("{veth_web}", "{veth_api}")
        for k in (f"neigh/{v}/proxy_delay", f"conf/{v}/forwarding")
    )
    return LayoutSpec(
        "calico", "Calico (BGP, no encapsulation)",
        NodeSpec(prefix, pods=pods, uplink=_uplink("10.244.0.0/16"), routes=DEFAULT),
        "web", Expect("calico", _routed_hops("cali1a2b3c4d5e6", "10.244.1.7/32")),
        node_lines=("route add blackhole 10.244.1.0/26 proto bird",
                    "route add 10.244.2.0/26 via 192.168.0.11 dev eth0 proto bird"),
        sysctls=sysctls,
        warm=(("web", ROUTER),),
    )  # fmt: skip


def cilium(prefix: str) -> LayoutSpec:
    """Cilium: lxc veths, no routes or proxy-ARP; the pod CIDR routed to cilium_host."""
    pods = (PodSpec("web", "10.0.1.23/32", host_veth="lxc8a3f2c1d9e0b", bridge=None,
                    gateway="10.0.1.197"),)  # fmt: skip
    return LayoutSpec(
        "cilium", "Cilium (VXLAN tunnel, legacy host routing)",
        NodeSpec(prefix, pods=pods, uplink=_uplink(), routes=DEFAULT),
        "web",
        Expect("cilium", _routed_hops("lxc8a3f2c1d9e0b", "10.0.1.0/24"),
               frozenset({"ebpf-datapath"})),
        node_lines=(
            "route del 10.0.1.23/32 dev {veth_web}",
            "link add cilium_host type veth peer name cilium_net",
            "addr add 10.0.1.197/32 dev cilium_host",
            "link set cilium_net up", "link set cilium_host up",
            "route add 10.0.1.197 dev cilium_host proto kernel scope link",
            "route add 10.0.1.0/24 via 10.0.1.197 dev cilium_host proto kernel src 10.0.1.197",
            "route add 10.0.0.0/24 via 10.0.1.197 dev cilium_host proto kernel src 10.0.1.197 "
            "mtu 1450",
            "link add cilium_vxlan type vxlan external dstport 8472",
            "link set cilium_vxlan up",
        ),
        sysctls=(("net/ipv4/conf/{veth_web}/proxy_arp", "0"),
                 ("net/ipv4/conf/{veth_web}/rp_filter", "0"),
                 ("net/ipv4/conf/cilium_host/rp_filter", "0")),
    )  # fmt: skip


def kindnet(prefix: str) -> LayoutSpec:
    """Kindnet (ptp plugin): the gateway 10.244.1.1/32 on every host veth, a /32 route per pod."""
    pods = (
        PodSpec(
            "web", "10.244.1.2/24", host_veth="veth1c2d3e4f", bridge=None, gateway="10.244.1.1"
        ),
        PodSpec(
            "api", "10.244.1.3/24", host_veth="veth9a8b7c6d", bridge=None, gateway="10.244.1.1"
        ),
    )
    pod_lines = tuple(
        (p, ("route del 10.244.1.0/24 dev eth0",
             f"route add 10.244.1.0/24 via 10.244.1.1 dev eth0 src {ip}"))
        for p, ip in (("web", "10.244.1.2"), ("api", "10.244.1.3"))
    )  # fmt: skip
    return LayoutSpec(
        "kindnet", "kindnet (CNI ptp plugin)",
        NodeSpec(prefix, pods=pods, uplink=_uplink("10.244.0.0/16"), routes=DEFAULT),
        "web", Expect("kindnet", _routed_hops("veth1c2d3e4f", "10.244.1.2/32")),
        node_lines=("addr add 10.244.1.1/32 dev {veth_web}",
                    "addr add 10.244.1.1/32 dev {veth_api}",
                    "route add 10.244.2.0/24 via 192.168.0.11 dev eth0"),
        pod_lines=pod_lines,
        sysctls=(("net/ipv4/conf/{veth_web}/proxy_arp", "0"),
                 ("net/ipv4/conf/{veth_api}/proxy_arp", "0")),
        warm=(("web", ROUTER),),
    )  # fmt: skip


def aws_vpc_cni(prefix: str) -> LayoutSpec:
    """AWS VPC CNI: eni veths, static ARP for 169.254.1.1, ip rules, a per-ENI table."""
    mac_web, mac_api = "4e:8a:11:22:33:50", "4e:8a:11:22:33:51"
    pods = (
        PodSpec("web", "192.168.0.50/32", host_veth="eni3a1b2c3d4e5", host_veth_mac=mac_web,
                bridge=None),
        PodSpec("api", "192.168.1.51/32", host_veth="eni7f6e5d4c3b2", host_veth_mac=mac_api,
                bridge=None),
    )  # fmt: skip
    return LayoutSpec(
        "aws-vpc-cni", "AWS VPC CNI (pod on a secondary ENI)",
        NodeSpec(prefix, pods=pods, uplink=_uplink(returns=("192.168.0.50/32",)), routes=DEFAULT),
        "api", Expect("aws-vpc-cni", _routed_hops("eni7f6e5d4c3b2", "192.168.1.51/32", "eth1")),
        node_lines=(
            "link add eth1 type veth peer name eth1 netns {router}",
            "addr add 192.168.1.20/24 dev eth1", "link set eth1 up",
            "rule add to 192.168.0.50 lookup main prio 512",
            "rule add to 192.168.1.51 lookup main prio 512",
            "rule add fwmark 0x80/0x80 lookup main prio 1024",
            "rule add from 192.168.1.51 lookup 2 prio 1536",
            "route add 192.168.1.1 dev eth1 scope link table 2",
            "route add default via 192.168.1.1 dev eth1 table 2",
        ),
        router_lines=("addr add 192.168.1.1/24 dev eth1", "link set eth1 up",
                      "route add 192.168.1.51/32 via 192.168.1.20"),
        pod_lines=(("web", (f"neigh add 169.254.1.1 lladdr {mac_web} dev eth0 nud permanent",)),
                   ("api", (f"neigh add 169.254.1.1 lladdr {mac_api} dev eth0 nud permanent",))),
        sysctls=(("net/ipv4/conf/{veth_web}/proxy_arp", "0"),
                 ("net/ipv4/conf/{veth_api}/proxy_arp", "0"),
                 ("net/ipv4/conf/eth0/rp_filter", "2")),
        warm=(("web", ROUTER), ("api", "192.168.1.1")),
    )  # fmt: skip


FIRST: dict[str, Callable[[str], LayoutSpec]] = {
    "docker": docker,
    "flannel": flannel,
    "calico": calico,
    "cilium": cilium,
    "kindnet": kindnet,
    "aws-vpc-cni": aws_vpc_cni,
}
