"""Findings from the node's netfilter rules: masquerade and pod-to-pod drops.

Both are info, never warnings: a bridge subnet without masquerade is wrong
for Docker's default network but right for a routed cluster whose routers
know the pod CIDRs, and ``enable_icc=false`` is a choice.  Both are raised
for bridge layouts only (routed CNIs decide NAT in their own ways), and
only when the rules give a definite answer.  Pure.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from .model import Finding, Hop, Path, Snapshot
from .nfanswer import inter_pod, masquerade


def bridge_subnets(snapshot: Snapshot, bridge: Hop) -> list[str]:
    """The bridge's own global addresses as subnets: the pods behind it."""
    return [
        str(ipaddress.ip_interface(f"{a.address}/{a.prefixlen}").network)
        for a in snapshot.host.addresses
        if a.ifindex == bridge.ifindex and a.scope == "global"
    ]


def _bridged(paths: list[Path]) -> Iterator[tuple[Hop, Hop | None]]:
    """Each bridge on a path once, with the uplink that path leaves by."""
    seen: set[str] = set()
    for path in paths:
        bridge = next((h for h in path.hops if h.kind == "bridge"), None)
        if bridge is None or bridge.name in seen or bridge.details.get("type") == "openvswitch":
            continue
        seen.add(bridge.name)
        yield bridge, next((h for h in path.hops if h.kind == "uplink"), None)


def no_masquerade(snapshot: Snapshot, paths: list[Path]) -> Iterator[Finding]:
    """A bridge subnet that leaves by the uplink with the pods' own addresses."""
    for bridge, uplink in _bridged(paths):
        if uplink is None:
            continue
        for subnet in bridge_subnets(snapshot, bridge):
            answer = masquerade(snapshot.host, subnet, uplink.name)
            if answer.state != "no":
                continue
            yield Finding(
                "info",
                "no-masquerade",
                f"{subnet} on {bridge.name} leaves by {uplink.name} without masquerade: "
                f"packets carry the pods' own addresses, so the network beyond the node "
                f"must route {subnet} back to it",
                "fine if the routers know the pod CIDR; otherwise replies never arrive: "
                f"iptables -t nat -A POSTROUTING -s {subnet} ! -o {bridge.name} -j MASQUERADE "
                "(what Docker's enable_ip_masquerade installs)",
                bridge.name,
            )


def icc_blocked(snapshot: Snapshot, paths: list[Path]) -> Iterator[Finding]:
    """Pods on one bridge whose frames to each other a FORWARD rule drops (enable_icc=false)."""
    sysctls = snapshot.host.sysctls
    passes = sysctls is not None and sysctls.bridge_nf_call_iptables == 1
    for bridge, _ in _bridged(paths):
        per_bridge = next(
            (b.nf_call_iptables for b in snapshot.host.bridges if b.ifindex == bridge.ifindex),
            None,
        )
        subnets = bridge_subnets(snapshot, bridge)
        if not subnets or not (passes or per_bridge is True):
            continue
        answer = inter_pod(snapshot.host, subnets[0], bridge.name)
        if answer.state == "blocked":
            yield Finding(
                "info",
                "inter-pod-blocked",
                f"pods on {bridge.name} cannot reach each other: bridged frames pass "
                f"iptables and {answer.text.removeprefix('blocked (').removesuffix(')')} "
                "drops them",
                "intended isolation (Docker's enable_icc=false, a network policy)? If not, "
                "remove that rule or let FORWARD accept traffic within the bridge",
                bridge.name,
            )
