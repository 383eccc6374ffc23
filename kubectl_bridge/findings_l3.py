"""Finding rules beyond the wire: routes, forwarding, proxy-ARP, counters, datapaths.

Kept apart from ``findings`` (links, ports, MTU, MAC table, neighbours) so
each module stays readable.  Pure.
"""

from __future__ import annotations

from collections.abc import Iterator

from .findctx import PathContext
from .model import Finding, Link, Path, Snapshot
from .netindex import default_route

#: Said once however the eBPF datapath is recognised (its devices here, the CNI in findings_cni).
EBPF_DATAPATH = Finding(
    "info",
    "ebpf-datapath",
    "this node runs an eBPF datapath (Cilium): programs on the interfaces may "
    "redirect packets past the bridge, routes and iptables shown here",
    "use 'cilium-dbg monitor' or 'hubble observe' to see what eBPF does",
)
COUNTER_HINT = (
    "counters run since the interface was created; "
    "'kubectl bridge stats TARGET --interval 1s' shows whether they still grow"
)


def routes(ctx: PathContext) -> Iterator[Finding]:
    """The host must route the pod's address back to the pod's own link."""
    if ctx.broken_links:
        return  # a down link takes its connected routes with it
    for hop in ctx.hops("route"):
        d = hop.details
        ip = d.get("for")
        if d.get("error") or d.get("oif") is None or d.get("destination") == "default":
            via = f" (it would go out {d.get('dev')} by the default route)" if d.get("dev") else ""
            yield ctx.finding(
                "error",
                "no-route",
                f"the node has no route back to the pod's address {ip}{via}",
                "replies to the pod are lost. A bridge's address gives its connected route "
                "(ip addr add GATEWAY/PREFIX dev BRIDGE); a routed veth needs "
                f"ip route add {ip}/32 dev HOST_VETH scope link",
                hop,
            )
        elif not d.get("matches"):
            expected = " or ".join(d.get("expected") or []) or "the pod's host interface"
            yield ctx.finding(
                "error",
                "route-wrong-device",
                f"the node routes {ip} through {d.get('dev')}, not through {expected}",
                f"a stale or conflicting route ({d.get('text') or hop.name}) steals the "
                "pod's traffic; compare 'ip route get' with the pod's interface",
                hop,
            )


def proxy_arp(ctx: PathContext) -> Iterator[Finding]:
    """A routed veth (no bridge) must answer ARP for the pod's link-local gateway."""
    if ctx.hops("bridge") or not ctx.hops("host-interface") or ctx.broken_links:
        return
    first = ctx.path.hops[0]
    host_if = ctx.hops("host-interface")[0]
    gateway = first.details.get("gateway")
    own = [c.split("/")[0] for c in host_if.details.get("addresses") or []]
    if not gateway or gateway in own or host_if.details.get("proxy_arp") != 0:
        return
    pod = ctx.snapshot.pod
    if pod is not None and any(
        n.address == gateway and n.state == "PERMANENT" for n in pod.neighbours
    ):
        return  # a static ARP entry in the pod makes proxy-ARP unnecessary
    yield ctx.finding(
        "error",
        "proxy-arp-off",
        f"{host_if.name} does not answer ARP for the pod's gateway {gateway} "
        "(proxy_arp is 0 and no address of it is the gateway)",
        f"the pod cannot resolve its gateway: sysctl -w net.ipv4.conf.{host_if.name}.proxy_arp=1",
        host_if,
    )


def counters(ctx: PathContext) -> Iterator[Finding]:
    """Errors are a fault; drops are worth a look (some are normal, e.g. unknown protocols)."""
    stats = {lk.ifindex: lk.stats for lk in ctx.snapshot.host.links if lk.stats}
    pod_stats = {lk.ifindex: lk.stats for lk in _pod_links(ctx) if lk.stats}
    for hop in ctx.hops("pod-interface", "host-interface", "bridge", "uplink"):
        table = pod_stats if hop.netns == "pod" else stats
        s = table.get(hop.ifindex) if hop.ifindex is not None else None
        if s is None:
            continue
        errors = s.rx_errors + s.tx_errors + s.tx_carrier + s.rx_overrun
        if errors:
            yield ctx.finding(
                "warning",
                "interface-errors",
                f"{hop.name} counted {errors} errors (rx {s.rx_errors}, tx {s.tx_errors}, "
                f"overrun {s.rx_overrun}, carrier {s.tx_carrier})",
                COUNTER_HINT,
                hop,
            )
        if s.rx_dropped or s.tx_dropped:
            yield ctx.finding(
                "info",
                "interface-drops",
                f"{hop.name} dropped packets (rx {s.rx_dropped}, tx {s.tx_dropped})",
                COUNTER_HINT,
                hop,
            )


def _pod_links(ctx: PathContext) -> tuple[Link, ...]:
    """The links of the namespace the path's pod-interface hop was read in."""
    if ctx.snapshot.pod is not None:
        return ctx.snapshot.pod.links
    host_if = ctx.hops("host-interface")
    nsid = host_if[0].details.get("link_netnsid") if host_if else None
    peer = next((p for p in ctx.snapshot.peers if p.nsid == nsid), None)
    return peer.links if peer else ()


def forwarding(snapshot: Snapshot, paths: list[Path]) -> Iterator[Finding]:
    """Pods reach beyond the node only if the node forwards and has somewhere to send."""
    pod_paths = [p for p in paths if any(h.kind == "host-interface" for h in p.hops)]
    sysctls = snapshot.host.sysctls
    families = {
        6 if ":" in str(h.details.get("for")) else 4
        for p in pod_paths
        for h in p.hops
        if h.kind == "route"
    }
    if sysctls is not None and 4 in families and sysctls.ip_forward == 0:
        yield Finding(
            "error",
            "ip-forward-off",
            "the node does not forward IPv4 (net.ipv4.ip_forward = 0): pod traffic stops "
            "at the node",
            "sysctl -w net.ipv4.ip_forward=1 (the container runtime or CNI sets it; "
            "something reset it)",
        )
    if sysctls is not None and 6 in families and sysctls.ipv6_forwarding == 0:
        yield Finding(
            "error",
            "ip-forward-off",
            "the node does not forward IPv6 (net.ipv6.conf.all.forwarding = 0)",
            "sysctl -w net.ipv6.conf.all.forwarding=1",
        )
    for family in sorted(families or {4}):
        if default_route(snapshot.host.routes, family) is None and (paths or family == 4):
            yield Finding(
                "warning",
                "no-default-route",
                f"the node has no IPv{family} default route: traffic to anything outside "
                "its connected networks is dropped",
                "ip route add default via GATEWAY dev UPLINK (normally set by DHCP or "
                "the node's network config)",
            )


def sections(snapshot: Snapshot, paths: list[Path]) -> Iterator[Finding]:
    """A section the agent could not read leaves a hole the user must know about."""
    del paths
    views = [("host", snapshot.host)] + ([("pod", snapshot.pod)] if snapshot.pod else [])
    for side, view in views:
        for status in view.sections:
            if not status.ok:
                yield Finding(
                    "warning",
                    "not-collected",
                    f"could not read {status.name} in the {side} namespace: "
                    f"{status.error or 'unknown error'}",
                    "the tables below lack that data; the agent may need more privileges "
                    "(--privileged) or a kernel module (br_netfilter, bridge)",
                )


def datapath(snapshot: Snapshot, paths: list[Path]) -> Iterator[Finding]:
    """Say when the kernel path we draw is not the whole truth (OVS, eBPF)."""
    for path in paths:
        for hop in path.hops:
            if hop.kind == "bridge" and hop.details.get("type") == "openvswitch":
                yield Finding(
                    "info",
                    "ovs-bridge",
                    f"{hop.name} is Open vSwitch, not a Linux bridge: the kernel's MAC table "
                    "and brctl do not show how it forwards",
                    "on the node: ovs-vsctl show; ovs-appctl fdb/show BRIDGE; "
                    "ovs-ofctl dump-flows BRIDGE",
                    hop.name,
                )
    kinds = {lk.kind for lk in snapshot.host.links}
    if "netkit" in kinds or any(lk.name == "cilium_host" for lk in snapshot.host.links):
        yield EBPF_DATAPATH
