"""The pod network as ``docker network inspect`` shows it, for any CNI (S11).

For a bridge: its subnet and gateway (the bridge's own addresses), MTU, STP,
ageing, and every endpoint (pod, MAC, IP) found through the kernel's links.
For a routed veth (Calico, ptp): the pod's /32 and the gateway it is told
to use.  Masquerade and inter-pod filtering are read from the node's
netfilter chains (``nfanswer``: the rule that decides, in iptables'
words); without them, or when a rule decides only for some packets, the
answer says "unknown"/"conditional" rather than guessing, except where a
sysctl settles the question.  Pure.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ..bridgeview import BridgeView, bridges
from ..nfanswer import UNKNOWN_NAT, inter_pod, masquerade, unreadable
from .view import View

Row = dict[str, Any]


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
        "masquerade": _masquerade(view, subnets),
        "inter_pod": _inter_pod(view, bv, subnets),
        "endpoints": endpoints,
    }


def uplink_name(view: View) -> str | None:
    """The interface the pods' traffic leaves the node by (the path's uplink hop)."""
    hops = view.path_hops("uplink")
    return hops[0].name if hops else None


def _masquerade(view: View, subnets: list[str]) -> str:
    """Docker's enable_ip_masquerade: the nat rule that rewrites each subnet, if any."""
    if not subnets:
        return UNKNOWN_NAT if view.snapshot.host.netfilter is None else "no subnet on the bridge"
    out = uplink_name(view)
    answers = [masquerade(view.snapshot.host, net, out).text for net in subnets]
    if len(answers) == 1:
        return answers[0]
    return "; ".join(f"{net}: {text}" for net, text in zip(subnets, answers, strict=True))


def _inter_pod(view: View, bv: BridgeView, subnets: list[str]) -> str:
    """Docker's enable_icc: whether pods on this bridge can reach each other.

    Bridged frames meet iptables FORWARD only when the bridge's own option
    or the namespace-wide sysctl (br_netfilter) says so; then the FORWARD
    chains decide, as the bridge's name in ``-i``/``-o``.
    """
    sysctls = view.snapshot.host.sysctls
    per_bridge = bv.bridge.nf_call_iptables
    global_ = sysctls.bridge_nf_call_iptables if sysctls else None
    if per_bridge is not True and global_ == 0:
        return "allowed (bridged frames bypass iptables: bridge-nf-call-iptables = 0)"
    passes = per_bridge is True or global_ == 1
    failed = unreadable(view.snapshot.host, "filter")
    if failed:
        return failed
    if view.snapshot.host.netfilter is None or not subnets:
        if passes:
            return "unknown (bridged frames pass iptables FORWARD; its rules are not collected)"
        return "unknown (br_netfilter state not collected)"
    answer = inter_pod(view.snapshot.host, subnets[0], bv.bridge.name)
    if passes or answer.state == "allowed":
        return answer.text
    return f"{answer.text}, if bridged frames pass iptables (br_netfilter state not collected)"


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
        "masquerade": _masquerade(
            view, [str(a).split("/")[0] for a in first.details.get("addresses") or []]
        ),
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
