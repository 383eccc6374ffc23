"""The pod network as ``docker network inspect`` shows it, for any CNI (S11).

For a bridge: its subnet and gateway (the bridge's own addresses), MTU, STP,
ageing, and every endpoint (pod, MAC, IP) found through the kernel's links.
For a routed veth (Calico, ptp): the pod's /32 and the gateway it is told
to use.  Masquerade and inter-pod filtering live in iptables/nftables,
which the snapshot does not hold; they are reported as "unknown" rather
than guessed, except where a sysctl settles the question.  Pure.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ..bridgeview import BridgeView, bridges
from .view import View

Row = dict[str, Any]
UNKNOWN_NAT = "unknown (the snapshot holds no iptables/nftables nat rules)"


def networks(view: View) -> list[Row]:
    """One entry per bridge on the path (every bridge on a node view), then routed veths."""
    only = None if view.node_view else {h.ifindex for h in view.path_hops("bridge") if h.ifindex}
    rows = [_bridge_network(view, bv) for bv in bridges(view.snapshot, only)]
    for path in view.paths:
        kinds = [h.kind for h in path.hops]
        if "host-interface" in kinds and "bridge" not in kinds:
            rows.append(_routed_network(view, path.hops))
    return rows


def _bridge_network(view: View, bv: BridgeView) -> Row:
    link = bv.link
    subnets = [str(ipaddress.ip_interface(c).network) for c in bv.addresses]
    gateways = [c.split("/")[0] for c in bv.addresses]
    endpoints = []
    for pv in bv.ports:
        end = pv.far_end
        endpoints.append(
            {
                "pod": end.owner if end else None,
                "interface": end.link.name if end and end.link else None,
                "port": pv.port.name,
                "mac": end.link.mac if end and end.link else None,
                "addresses": list(end.addresses) if end else [],
            }
        )
    return {
        "name": bv.bridge.name,
        "driver": "bridge",
        "bridge_id": bv.bridge.bridge_id,
        "subnets": subnets,
        "gateways": gateways,
        "mtu": link.mtu if link else None,
        "stp": bv.bridge.stp,
        "ageing_time": bv.bridge.ageing_time,
        "vlan_filtering": bv.bridge.vlan_filtering,
        "hairpin_ports": [pv.port.name for pv in bv.ports if pv.port.hairpin],
        "masquerade": UNKNOWN_NAT,
        "inter_pod": _inter_pod(view, bv),
        "endpoints": endpoints,
    }


def _inter_pod(view: View, bv: BridgeView) -> str:
    """Docker's enable_icc: whether pods on this bridge can reach each other.

    Only answerable from the snapshot when bridged frames bypass iptables:
    then nothing on the host filters pod-to-pod traffic on the bridge.  The
    kernel sends them through iptables when the bridge's own option or the
    namespace-wide sysctl says so.
    """
    sysctls = view.snapshot.host.sysctls
    per_bridge = bv.bridge.nf_call_iptables
    global_ = sysctls.bridge_nf_call_iptables if sysctls else None
    if per_bridge is True or global_ == 1:
        return "unknown (bridged frames pass iptables FORWARD; its rules are not collected)"
    if global_ == 0:
        return "allowed (bridged frames bypass iptables: bridge-nf-call-iptables = 0)"
    return "unknown (br_netfilter state not collected)"


def _routed_network(view: View, hops: tuple[Any, ...]) -> Row:
    first = hops[0]
    host_if = next(h for h in hops if h.kind == "host-interface")
    gateway = first.details.get("gateway")
    own = [str(c).split("/")[0] for c in host_if.details.get("addresses") or []]
    if gateway and gateway in own:
        answered = f"{gateway} is an address of {host_if.name}"
    elif host_if.details.get("proxy_arp"):
        answered = f"proxy-ARP on {host_if.name} (proxy_arp = 1)"
    else:
        answered = "unknown" if host_if.details.get("proxy_arp") is None else "nobody"
    return {
        "name": host_if.name,
        "driver": "routed veth (no bridge)",
        "subnets": list(first.details.get("addresses") or []),
        "gateways": [gateway] if gateway else [],
        "gateway_answered_by": answered,
        "mtu": host_if.details.get("mtu"),
        "masquerade": UNKNOWN_NAT,
        "inter_pod": "routed by the node: decided by its routes and iptables FORWARD",
        "endpoints": [
            {
                "pod": first.details.get("owner"),
                "interface": first.name,
                "port": host_if.name,
                "mac": first.details.get("mac"),
                "addresses": list(first.details.get("addresses") or []),
            }
        ],
    }
