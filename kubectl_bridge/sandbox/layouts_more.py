"""More node layouts: kube-router, Weave, hostNetwork, Multus, dual-stack, OVS.

Open vSwitch cannot be built here (no ``openvswitch`` module), so its node
is emulated by what the kernel shows of OVS's *userspace* (netdev)
datapath: ``ovs-system``, ``br-int`` and the management port
``ovn-k8s-mp0`` are tap devices, the pod's host veth (named after the
sandbox id, as OVN-Kubernetes does) has no Linux master, and the node
routes the pod subnet to the management port.  Nothing in the kernel
forwards between the veth and the rest: OVS flows would.
"""

from __future__ import annotations

from collections.abc import Callable

from .layouts import Expect, LayoutSpec
from .layouts_cni import DEFAULT, FIRST, ROUTER, _bridged_hops, _routed_hops, _uplink
from .specs import BridgeSpec, NodeSpec, PodSpec, seed_node_spec


def kube_router(prefix: str) -> LayoutSpec:
    """kube-bridge and BGP routes (proto 17) to other nodes' pod subnets."""
    pods = (PodSpec("web", "10.244.1.2/24", host_veth="veth3e5c7a9b", bridge="kube-bridge"),)
    return LayoutSpec(
        "kube-router", "kube-router (kube-bridge + BGP)",
        NodeSpec(prefix, bridges=(BridgeSpec("kube-bridge", address="10.244.1.1/24"),),
                 pods=pods, uplink=_uplink("10.244.0.0/16"), routes=DEFAULT),
        "web", Expect("kube-router", _bridged_hops("veth3e5c7a9b", "kube-bridge", "10.244.1.0/24")),
        node_lines=("route add 10.244.2.0/24 via 192.168.0.11 dev eth0 proto 17",),
        warm=(("web", ROUTER),),
    )  # fmt: skip


def weave(prefix: str) -> LayoutSpec:
    """Weave Net in sleeve mode: the weave bridge (MTU 1376) with vethwe-bridge."""
    pods = (PodSpec("web", "10.32.0.2/12", host_veth="vethwepl4242", bridge="weave"),)
    return LayoutSpec(
        "weave", "Weave Net (sleeve)",
        NodeSpec(prefix, bridges=(BridgeSpec("weave", address="10.32.0.1/12"),), pods=pods,
                 uplink=_uplink("10.32.0.0/12"), routes=DEFAULT),
        "web", Expect("weave", _bridged_hops("vethwepl4242", "weave", "10.32.0.0/12")),
        node_lines=("link add vethwe-bridge type veth peer name vethwe-pcap",
                    "link set vethwe-bridge mtu 1376", "link set vethwe-pcap mtu 1376",
                    "link set vethwe-bridge master weave", "link set {veth_web} mtu 1376",
                    "link set weave mtu 1376",
                    "link set vethwe-bridge up", "link set vethwe-pcap up"),
        pod_lines=(("web", ("link set eth0 mtu 1376",)),),
        warm=(("web", ROUTER),),
    )  # fmt: skip


def host_network(prefix: str) -> LayoutSpec:
    """A hostNetwork pod on the seed's node: no namespace of its own."""
    return LayoutSpec(
        "host-network", "hostNetwork pod", seed_node_spec(prefix), "nginx",
        Expect("host-network", (("pod-interface", "hostNetwork"), ("uplink", "eth0")),
               frozenset({"host-network"})),
        host_network=True,
    )  # fmt: skip


def multus(prefix: str) -> LayoutSpec:
    """eth0 on cni0 plus a Multus net1 on a second bridge br-storage."""
    pods = (PodSpec("db", "10.244.1.5/24", host_veth="veth2f4e6a8c", bridge="cni0"),)
    net1 = (("pod-interface", "net1"), ("host-interface", "vethst0db"),
            ("bridge", "br-storage"), ("route", "10.10.0.0/24"))  # fmt: skip
    return LayoutSpec(
        "multus", "bridge plugin + Multus secondary network",
        NodeSpec(prefix, bridges=(BridgeSpec("cni0", address="10.244.1.1/24"),
                                  BridgeSpec("br-storage", address="10.10.0.1/24")),
                 pods=pods, uplink=_uplink("10.244.0.0/16"), routes=DEFAULT),
        "db", Expect("bridge", _bridged_hops("veth2f4e6a8c", "cni0", "10.244.1.0/24"),
                     other_paths=(net1,)),
        node_lines=("link add vethst0db type veth peer name net1 netns {ns_db}",
                    "link set vethst0db master br-storage", "link set vethst0db up"),
        pod_lines=(("db", ("addr add 10.10.0.5/24 dev net1", "link set net1 up")),),
        warm=(("db", ROUTER), ("db", "10.10.0.1")),
    )  # fmt: skip


def dual_stack(prefix: str) -> LayoutSpec:
    """cni0 with IPv4 and IPv6; the pod's IPv6 neighbours come from ND."""
    pods = (PodSpec("web", "10.244.1.2/24", host_veth="veth6d0a1b2c", bridge="cni0"),)
    hops = (*_bridged_hops("veth6d0a1b2c", "cni0", "10.244.1.0/24")[:4],
            ("route", "fd00:10:244:1::/64"), ("uplink", "eth0"))  # fmt: skip
    return LayoutSpec(
        "dual-stack", "bridge plugin, dual-stack",
        NodeSpec(prefix, bridges=(BridgeSpec("cni0", address="10.244.1.1/24"),), pods=pods,
                 uplink=_uplink("10.244.0.0/16"), routes=DEFAULT, ipv6=True,
                 sysctls=(("net.ipv4.ip_forward", "1"), ("net.ipv6.conf.all.forwarding", "1"))),
        # IPv6 is routed, not masqueraded (the router routes fd00:10:244::/48 back)
        "web", Expect("bridge", hops, frozenset({"no-masquerade"})),
        node_lines=("addr add fd00:10:244:1::1/64 dev cni0 nodad",
                    "addr add 2001:db8:0:1::10/64 dev eth0 nodad",
                    "route add default via 2001:db8:0:1::1 dev eth0"),
        router_lines=("addr add 2001:db8:0:1::1/64 dev eth0 nodad",
                      "route add fd00:10:244::/48 via 2001:db8:0:1::10"),
        pod_lines=(("web", ("addr add fd00:10:244:1::2/64 dev eth0 nodad",
                            "route add default via fd00:10:244:1::1 dev eth0")),),
        warm=(("web", ROUTER), ("web", "2001:db8:0:1::1")),
    )  # fmt: skip


def ovs(prefix: str) -> LayoutSpec:
    """OVN-Kubernetes on OVS's userspace datapath, as the kernel shows it (see above)."""
    pods = (PodSpec("web", "10.244.1.5/24", host_veth="3f9a1c2b7d4e5f6", bridge=None,
                    gateway="10.244.1.1"),)  # fmt: skip
    return LayoutSpec(
        "ovs", "Open vSwitch br-int (OVN-Kubernetes, emulated)",
        NodeSpec(prefix, pods=pods, uplink=_uplink("10.244.0.0/16"), routes=DEFAULT),
        "web",
        Expect("ovs", _routed_hops("3f9a1c2b7d4e5f6", "10.244.1.0/24"), frozenset({"ovs-bridge"})),
        node_lines=("route del 10.244.1.5/32 dev {veth_web}",
                    "tuntap add mode tap name ovs-system", "tuntap add mode tap name br-int",
                    "tuntap add mode tap name ovn-k8s-mp0",
                    "link set ovn-k8s-mp0 address 0a:58:0a:f4:01:02",
                    "addr add 10.244.1.2/24 dev ovn-k8s-mp0", "link set ovn-k8s-mp0 up",
                    "route add 10.244.0.0/16 via 10.244.1.1 dev ovn-k8s-mp0 onlink"),
        pod_lines=(("web", ("route del 10.244.1.1 dev eth0 scope link",)),),
        sysctls=(("net/ipv4/conf/{veth_web}/proxy_arp", "0"),),
    )  # fmt: skip


LAYOUTS: dict[str, Callable[[str], LayoutSpec]] = {
    **FIRST,
    "kube-router": kube_router,
    "weave": weave,
    "host-network": host_network,
    "multus": multus,
    "dual-stack": dual_stack,
    "ovs": ovs,
}
