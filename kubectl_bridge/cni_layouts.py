"""Tell one pod interface's layout from the kernel objects on its path.

Each classifier looks at facts the kernel reports — the host veth's master
and its kind, whether the node routes the pod's address back through the
veth, who answers the pod's gateway (an address of the veth, proxy-ARP, a
static ARP entry in the pod, another device), overlay devices and their
routes — and names the CNI those facts fit.  Interface names are only
``hints``: CNIs can be configured to use others, and a bridge named
``cni0`` proves nothing by itself.  Pure.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from .model import Hop, Link, Path, Snapshot
from .netindex import NetIndex

CALICO_MAC = "ee:ee:ee:ee:ee:ee"
DOCKER_MAC_PREFIX = "02:42:"
OVERLAY_KINDS = ("vxlan", "geneve", "ipip", "wireguard")
OVS_NAMES = ("ovs-system", "br-int")
KUBE_ROUTER_PROTO = "17"


@dataclass(frozen=True)
class Layout:
    """What one path's facts say: the CNI key, the datapath, and why."""

    key: str
    datapath: str  # bridge, routed, ebpf, ovs, host, unknown
    evidence: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()


def classify(snapshot: Snapshot, host: NetIndex, path: Path) -> Layout:
    """The layout of one pod interface's path."""
    first = path.hops[0] if path.hops else None
    if first is None:
        return Layout("unknown", "unknown", ("no path",))
    if first.details.get("host_network"):
        return Layout(
            "host-network", "host", ("the pod has no network namespace of its own (hostNetwork)",)
        )
    host_if = next((h for h in path.hops if h.kind == "host-interface"), None)
    link = host.link(host_if.ifindex) if host_if else None
    if host_if is None or link is None:
        return Layout("unknown", "unknown", ("no host interface leads back to the pod",))
    master = host.link(link.master)
    if link.slave_kind == "openvswitch" or (master is not None and master.kind == "openvswitch"):
        name = master.name if master else "?"
        return Layout(
            "ovs",
            "ovs",
            (f"{link.name} is a port of the Open vSwitch datapath {name} (kind openvswitch)",),
        )
    if master is not None and master.kind == "bridge":
        return _bridged(snapshot, host, link, master)
    return _routed(snapshot, host, path, first, link)


# --- bridges ------------------------------------------------------------------


def _bridged(snapshot: Snapshot, host: NetIndex, link: Link, bridge: Link) -> Layout:
    """A Linux bridge: the bridge plugin, Docker, flannel, kube-router, Weave, kubenet."""
    facts = [f"{link.name} is a port of the Linux bridge {bridge.name}"]
    flannel = _flannel_overlay(snapshot, host, bridge)
    if flannel:
        hints = tuple(lk.name for lk in snapshot.host.links if lk.name.startswith("flannel."))
        return Layout("flannel", "bridge", (*facts, *flannel), hints + _named(bridge, "cni0"))
    proto = [r for r in snapshot.host.routes if r.protocol == KUBE_ROUTER_PROTO and r.gateway]
    if bridge.name == "kube-bridge" or proto:
        if proto:
            facts.append(
                f"{len(proto)} route(s) to other nodes' pod subnets with proto 17 "
                f"(kube-router's BGP routes), e.g. {proto[0].destination} via {proto[0].gateway}"
            )
        return Layout("kube-router", "bridge", tuple(facts), _named(bridge, "kube-bridge"))
    if bridge.name == "weave" or _link_named(snapshot, "datapath") is not None:
        facts.append(f"bridge MTU {bridge.mtu} (Weave's default is 1376)")
        return Layout("weave", "bridge", tuple(facts), _named(bridge, "weave"))
    if (bridge.mac or "").startswith(DOCKER_MAC_PREFIX):
        facts.append(f"the bridge's MAC {bridge.mac} is Docker-generated (02:42:...)")
        return Layout("docker", "bridge", tuple(facts), _named(bridge, "docker0"))
    if bridge.name == "cbr0":
        return Layout("kubenet", "bridge", tuple(facts), ("cbr0",))
    return Layout("bridge", "bridge", tuple(facts), _named(bridge, "cni0"))


def _named(link: Link, name: str) -> tuple[str, ...]:
    return (name,) if link.name == name else ()


def _flannel_overlay(snapshot: Snapshot, host: NetIndex, bridge: Link) -> list[str]:
    """A VXLAN device holding the network address of the bridge's subnet, routing to others."""
    subnets = [ipaddress.ip_interface(c).network for c in host.cidrs(bridge.ifindex)]
    for dev in (lk for lk in snapshot.host.links if lk.kind == "vxlan"):
        own = [ipaddress.ip_interface(c).ip for c in host.cidrs(dev.ifindex)]
        inside = [a for a in own for net in subnets if a == net.network_address]
        if not inside:
            continue
        remote = overlay_routes(snapshot, dev)
        return [
            f"VXLAN device {dev.name} holds {inside[0]}/32, the network address of "
            f"{bridge.name}'s subnet",
            f"{len(remote)} route(s) to other nodes' pod subnets go through {dev.name}",
        ]
    return []


def overlay_routes(snapshot: Snapshot, dev: Link) -> list[str]:
    """Destinations the node routes into an overlay device (other nodes' pod subnets)."""
    return [
        r.destination
        for r in snapshot.host.routes
        if r.oif == dev.ifindex and r.table == 254 and r.destination != "default"
        if r.gateway or r.scope == "universe"
    ]


# --- routed veths ---------------------------------------------------------------


def _routed(snapshot: Snapshot, host: NetIndex, path: Path, first: Hop, link: Link) -> Layout:
    """No bridge: Calico, Cilium, kindnet/ptp, AWS VPC CNI, or OVS in user space."""
    gateway = first.details.get("gateway")
    route = next((h for h in path.hops if h.kind == "route"), None)
    via = host.link(route.ifindex) if route is not None else None
    facts = [f"{link.name} has no master: no bridge, the node routes the pod's packets"]
    if link.kind == "netkit":  # Cilium's netkit mode: BPF programs are the device's datapath
        return Layout("cilium", "ebpf", (f"{link.name} is a netkit device (no veth)",))
    cilium = _cilium(snapshot, host, via, gateway, link)
    if cilium:
        named = ("cilium_host",) if _link_named(snapshot, "cilium_host") else ()
        return Layout("cilium", "ebpf", (*facts, *cilium), named + _prefixed(link, "lxc"))
    if via is not None and via.ifindex != link.ifindex and _ovs_devices(snapshot):
        names = ", ".join(lk.name for lk in _ovs_devices(snapshot))
        return Layout(
            "ovs",
            "ovs",
            (
                *facts,
                f"the node routes the pod's address through {via.name}, not {link.name}: "
                "something outside the kernel's tables switches between them",
            ),
            (names,),
        )
    if via is not None and via.ifindex == link.ifindex:
        facts.append(f"the node routes {route.name if route else '?'} to {link.name}")
    own = [c.split("/")[0] for c in host.cidrs(link.ifindex)]
    if gateway and gateway in own:
        facts.append(f"the pod's gateway {gateway} is an address of {link.name} itself (/32)")
        return Layout("kindnet", "routed", tuple(facts))
    static = _static_gateway(snapshot, gateway)
    if static is not None:
        facts.append(f"the pod has a PERMANENT ARP entry for its gateway {gateway} ({static})")
        rules = [r for r in snapshot.host.rules if r.table not in (253, 254, 255) or r.dst]
        if rules:
            facts.append(f"{len(rules)} policy routing rule(s) (ip rule) steer pod traffic")
        return Layout("aws-vpc-cni", "routed", tuple(facts), _prefixed(link, "eni"))
    proxy = first_host_detail(path, "proxy_arp")
    if proxy == 1 or link.mac == CALICO_MAC:
        if proxy == 1:
            facts.append(f"proxy-ARP on {link.name} answers for the pod's gateway {gateway}")
        if link.mac == CALICO_MAC:
            facts.append(f"{link.name}'s MAC is {CALICO_MAC} (Calico sets it)")
        return Layout("calico", "routed", tuple(facts), _prefixed(link, "cali"))
    return Layout("routed", "routed", tuple(facts))


def _cilium(
    snapshot: Snapshot, host: NetIndex, via: Link | None, gateway: object, link: Link
) -> list[str]:
    """The pod's address routed to a node-internal veth (cilium_host) holding its gateway."""
    facts = []
    if via is not None and via.ifindex != link.ifindex and _node_internal_veth(via):
        own = [c.split("/")[0] for c in host.cidrs(via.ifindex)]
        facts.append(
            f"the node routes the pod's address to {via.name}, a veth whose peer stays in the "
            "node" + (f", and the pod's gateway {gateway} is its address" if gateway in own else "")
        )
    helper = _link_named(snapshot, "cilium_host")
    if not facts and helper is not None and _node_internal_veth(helper):
        facts.append("cilium_host is a veth whose peer stays in the node")
    return facts


def _node_internal_veth(link: Link) -> bool:
    return link.kind == "veth" and link.link_netnsid is None and link.peer_ifindex is not None


def _ovs_devices(snapshot: Snapshot) -> list[Link]:
    return [lk for lk in snapshot.host.links if lk.kind == "openvswitch" or lk.name in OVS_NAMES]


def _static_gateway(snapshot: Snapshot, gateway: object) -> str | None:
    if snapshot.pod is None or not gateway:
        return None
    for n in snapshot.pod.neighbours:
        if n.address == gateway and n.state == "PERMANENT":
            return n.mac or "no MAC"
    return None


def _link_named(snapshot: Snapshot, name: str) -> Link | None:
    """A host link by name: only ever a hint on top of the facts."""
    return next((lk for lk in snapshot.host.links if lk.name == name), None)


def _prefixed(link: Link, prefix: str) -> tuple[str, ...]:
    return (f"{prefix}...",) if link.name.startswith(prefix) else ()


def first_host_detail(path: Path, key: str) -> object:
    """A detail of the path's first host interface (e.g. its proxy_arp)."""
    hop = next((h for h in path.hops if h.kind == "host-interface"), None)
    return hop.details.get(key) if hop else None
