"""What looks wrong along a pod's path, and why, as plain rules.

Each rule looks at one thing (a link's state, the MTUs, the MAC table, a
route, a sysctl, the counters) and explains what it means for the pod's
packets and what to do.  A fault is reported once, at its cause: a port
that is down also disables its bridge port, takes its carrier from the pod's
``eth0`` and flushes the pod's MAC from the bridge, and listing all four
would bury the one line that matters.  Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from . import findings_cni
from .findctx import (
    BAD_NEIGHBOUR,
    PathContext,
    admin_down,
    as_int,
    ip_command,
    seconds,
)
from .findings_l3 import counters, datapath, forwarding, proxy_arp, routes, sections
from .findings_nat import icc_blocked, no_masquerade
from .model import Finding, Path, Snapshot


def evaluate(snapshot: Snapshot, paths: list[Path]) -> list[Finding]:
    """Every finding for the snapshot's paths, errors first, without duplicates."""
    many = len(paths) > 1 and snapshot.pod is None
    found: list[Finding] = []
    for path in paths:
        first = path.hops[0] if path.hops else None
        owner = str(first.details.get("owner", "")) if first else ""
        ctx = PathContext(snapshot, path, f"{owner}: " if many and owner else "")
        for rule in PATH_RULES:
            found.extend(rule(ctx))
    for node_rule in NODE_RULES:
        found.extend(node_rule(snapshot, paths))
    unique = list(dict.fromkeys(found))
    # what the recognised CNI makes false is dropped, its own checks added (findings_cni)
    return findings_cni.adjust(snapshot, paths, unique)


def _host_network(ctx: PathContext) -> Iterator[Finding]:
    first = ctx.path.hops[0] if ctx.path.hops else None
    if first is not None and first.details.get("host_network"):
        yield ctx.finding(
            "info",
            "host-network",
            "the pod uses the node's own network namespace (hostNetwork: true): "
            "it has no veth, no bridge port and no pod route of its own",
            "its packets are the node's: look at the node's interfaces "
            "('kubectl bridge describe node NODE') and capture on the uplink",
            first,
        )


def _peer(ctx: PathContext) -> Iterator[Finding]:
    first = ctx.path.hops[0] if ctx.path.hops else None
    if first is None or first.kind != "pod-interface" or first.details.get("host_network"):
        return
    if first.details.get("peer") is None and first.details.get("kind") == "veth":
        yield ctx.finding(
            "error",
            "peer-not-found",
            f"{first.details.get('display')}: no host interface with ifindex "
            f"{first.details.get('peer_ifindex')} points back at the pod's {first.name}",
            "the snapshot may be stale (the pod restarted) or the veth's host end sits in "
            "another namespace; run the command again",
            first,
        )


def _links(ctx: PathContext) -> Iterator[Finding]:
    broken = ctx.broken_links
    causes = [h for h in broken if admin_down(h)] or broken
    effects = [h.name for h in broken if h not in causes]
    also = f"; so {', '.join(effects)} lost carrier" if effects else ""
    for hop in causes:
        where = "the pod's " if hop.netns == "pod" else ""
        if admin_down(hop):
            message = f"{where}{hop.name} is administratively down{also}"
            hint = f"bring it up: {ip_command(ctx, hop)} link set {hop.name} up"
        else:
            message = f"{where}{hop.name} has no carrier (state {hop.details.get('operstate')})"
            hint = "its peer or lower device is down: check the other end of the link"
        yield ctx.finding("error", "link-down", message, hint, hop)


def _ports(ctx: PathContext) -> Iterator[Finding]:
    if ctx.broken_links:
        return  # a down link disables its port; the link finding says so
    for hop in ctx.hops("host-interface"):
        state = hop.details.get("port_state")
        if state in (None, "forwarding"):
            continue
        bridge = hop.details.get("master")
        transient = state in ("learning", "listening")
        yield ctx.finding(
            "warning" if transient else "error",
            "port-not-forwarding",
            f"bridge port {hop.name} on {bridge} is {state}, not forwarding",
            "STP is still deciding: frames are dropped until the forward delay passes"
            if transient
            else f"the bridge drops the pod's frames; check STP ('bridge link show dev "
            f"{hop.name}') for a loop, or set the port up",
            hop,
        )


def _mtu(ctx: PathContext) -> Iterator[Finding]:
    segment = [h for h in ctx.hops("pod-interface", "host-interface", "bridge")]
    mtus = [(h.name, h.details.get("mtu")) for h in segment if h.details.get("mtu")]
    if len({m for _, m in mtus}) > 1:
        listed = ", ".join(f"{n} {m}" for n, m in mtus)
        yield ctx.finding(
            "warning",
            "mtu-mismatch",
            f"MTU differs along the path: {listed}",
            "a veth or bridge silently drops frames larger than the receiver's MTU; "
            "set one MTU on all of them (the CNI config's mtu)",
            segment[0],
        )
    uplink = ctx.hops("uplink")
    pod = ctx.hops("pod-interface")
    if uplink and pod and as_int(pod[0].details.get("mtu")) > as_int(uplink[0].details.get("mtu")):
        yield ctx.finding(
            "warning",
            "mtu-above-uplink",
            f"the pod's MTU {pod[0].details.get('mtu')} is larger than the uplink "
            f"{uplink[0].name}'s {uplink[0].details.get('mtu')}",
            "large packets leaving the node need fragmentation or PMTU discovery, "
            "which firewalls often break; lower the pod MTU",
            pod[0],
        )


def _fdb(ctx: PathContext) -> Iterator[Finding]:
    if ctx.broken_links:
        return  # a port going down flushes its learned entries
    ports = ctx.hops("host-interface")
    for hop in ctx.hops("bridge"):
        d = hop.details
        if not d.get("fdb_collected") or "pod_mac_learned" not in d:
            continue
        ageing = seconds(d.get("ageing_time", 300.0))
        if not d["pod_mac_learned"]:
            yield ctx.finding(
                "info",
                "fdb-not-learned",
                f"{hop.name} has not learned the pod's MAC {d.get('pod_mac')} yet",
                "a bridge learns a MAC from the first frame the pod sends and forgets it "
                f"{ageing} (its ageing time) after the last one; until then frames for it "
                "are flooded to every port. Send traffic from the pod and look again",
                hop,
            )
        elif ports and d.get("learned_on") != ports[0].name:
            yield ctx.finding(
                "error",
                "fdb-wrong-port",
                f"{hop.name} learned the pod's MAC {d.get('pod_mac')} on {d.get('learned_on')}"
                f" (port {d.get('learned_port_no')}), but the pod is behind {ports[0].name}",
                "frames for the pod go out the wrong port: a duplicate MAC or a moved pod; "
                f"the entry ages out after {ageing}, or delete it: bridge fdb del "
                f"{d.get('pod_mac')} dev {d.get('learned_on')} master",
                hop,
            )


def _neighbours(ctx: PathContext) -> Iterator[Finding]:
    if ctx.broken_links:
        return
    snap = ctx.snapshot
    first = ctx.path.hops[0] if ctx.path.hops else None
    pod_ips = {r.details.get("for") for r in ctx.hops("route")}
    wanted = [("host", n) for n in snap.host.neighbours if n.address in pod_ips]
    uplink = ctx.hops("uplink")
    gw = uplink[0].details.get("gateway") if uplink else None
    wanted += [("host", n) for n in snap.host.neighbours if gw and n.address == gw]
    pod_gw = first.details.get("gateway") if first else None
    if snap.pod is not None and pod_gw:
        wanted += [("pod", n) for n in snap.pod.neighbours if n.address == pod_gw]
    for side, n in wanted:
        if n.state in BAD_NEIGHBOUR and first is not None:
            yield ctx.finding(
                "warning",
                "neigh-failed",
                f"{side} ARP/ND entry for {n.address} is {n.state}: it did not answer",
                "the other end is down, filtered, or on another segment; "
                f"check it with: {'nsenter -t PID -n ' if side == 'pod' else ''}"
                f"ip neigh show {n.address}",
                first,
            )


PathRule = Callable[[PathContext], Iterable[Finding]]
NodeRule = Callable[[Snapshot, list[Path]], Iterable[Finding]]

PATH_RULES: tuple[PathRule, ...] = (
    _host_network,
    _peer,
    _links,
    _ports,
    _mtu,
    _fdb,
    _neighbours,
    routes,
    proxy_arp,
    counters,
)
NODE_RULES: tuple[NodeRule, ...] = (
    forwarding,
    sections,
    datapath,
    no_masquerade,
    icc_blocked,
)
