"""Findings that depend on the CNI: only what is real for the recognised layout.

The generic rules judge a path by what the kernel tables say.  Some layouts
forward outside those tables, and there a generic finding would be false:
under Cilium the node routes the pod's subnet to ``cilium_host`` and eBPF
delivers to the pod's veth (no "wrong device"); under Open vSwitch the
flows do it; neither answers ARP by proxy_arp.  Those findings are dropped
for such layouts and replaced by one that says what the picture cannot show
and what to run instead.  Layout-specific checks are added: an overlay
device that is down or lacks a remote endpoint (flannel), a pod's static
gateway ARP entry that no longer matches its host veth (AWS VPC CNI).  Pure.
"""

from __future__ import annotations

from collections.abc import Iterator

from .cni import Cni, recognise
from .cni_layouts import overlay_routes
from .findctx import SEVERITY_ORDER
from .findings_l3 import EBPF_DATAPATH
from .model import Finding, Path, Snapshot

#: Generic codes that are not faults when the datapath forwards outside the kernel tables.
NOT_REAL = {
    "ebpf": ("route-wrong-device", "proxy-arp-off"),
    "ovs": ("route-wrong-device", "proxy-arp-off"),
}


def adjust(snapshot: Snapshot, paths: list[Path], found: list[Finding]) -> list[Finding]:
    """``found`` without what the layout makes false, plus the layout's own findings."""
    cni = recognise(snapshot, paths)
    dropped = NOT_REAL.get(cni.datapath, ())
    kept = [f for f in found if f.code not in dropped]
    codes = {f.code for f in kept}
    extra = [f for f in _layout_findings(snapshot, paths, cni) if f.code not in codes]
    return sorted(
        list(dict.fromkeys(kept + extra)), key=lambda f: SEVERITY_ORDER.get(f.severity, 3)
    )


def _layout_findings(snapshot: Snapshot, paths: list[Path], cni: Cni) -> Iterator[Finding]:
    if cni.datapath == "ovs":
        yield _ovs(paths)
    if cni.key == "cilium":
        yield EBPF_DATAPATH
    yield from _overlays(snapshot)
    if cni.key == "aws-vpc-cni":
        yield from _static_gateway(snapshot, paths)


def _ovs(paths: list[Path]) -> Finding:
    host_if = next((h for p in paths for h in p.hops if h.kind == "host-interface"), None)
    where = host_if.name if host_if else "the pod's port"
    return Finding(
        "info",
        "ovs-bridge",
        f"{where} is switched by Open vSwitch, not a Linux bridge: the kernel's routes "
        "and MAC tables do not show how OVS forwards the pod's packets",
        "on the node: ovs-vsctl show; ovs-ofctl dump-flows br-int; ovs-appctl fdb/show br-int",
        where,
    )


def _overlays(snapshot: Snapshot) -> Iterator[Finding]:
    """An overlay device that carries other nodes' pod subnets must work.

    A device that is down has lost its routes (the kernel flushes them), so
    one that holds an address of its own (flannel.1, vxlan.calico) counts too.
    """
    owned = {a.ifindex for a in snapshot.host.addresses if a.scope == "global"}
    for dev in (lk for lk in snapshot.host.links if lk.kind == "vxlan"):
        if "UP" not in dev.flags and dev.ifindex in owned:
            yield Finding(
                "error",
                "overlay-down",
                f"the overlay device {dev.name} is down: the node has dropped its routes "
                "through it, so traffic to pods on other nodes is lost",
                f"ip link set {dev.name} up (and let the CNI's node agent restore the routes), "
                "or restart that agent",
                dev.name,
            )
        elif overlay_routes(snapshot, dev):
            yield from _vtep_neighbours(snapshot, dev.ifindex, dev.name)


def _vtep_neighbours(snapshot: Snapshot, ifindex: int, name: str) -> Iterator[Finding]:
    """Flannel programs a PERMANENT neighbour for each remote node's gateway address."""
    if not any(s.ok for s in snapshot.host.sections if s.name == "overlay_neighbours"):
        return
    known = {n.address for n in snapshot.host.neighbours if n.ifindex == ifindex}
    for route in snapshot.host.routes:
        if route.oif == ifindex and route.gateway and route.gateway not in known:
            yield Finding(
                "warning",
                "overlay-neighbour-missing",
                f"{route.destination} is routed via {route.gateway} on {name}, but {name} has "
                f"no neighbour entry for {route.gateway}: the remote node's VTEP is unknown",
                f"the CNI's node agent programs it (ip neigh show dev {name}; "
                f"bridge fdb show dev {name}); check that it runs on both nodes",
                name,
            )


def _static_gateway(snapshot: Snapshot, paths: list[Path]) -> Iterator[Finding]:
    """AWS VPC CNI's static ARP entry must name the host veth's current MAC."""
    if snapshot.pod is None:
        return
    for path in paths:
        first = path.hops[0]
        host_if = next((h for h in path.hops if h.kind == "host-interface"), None)
        gateway = first.details.get("gateway")
        if host_if is None or not gateway:
            continue
        mac = str(host_if.details.get("mac") or "").lower()
        for n in snapshot.pod.neighbours:
            if n.address == gateway and n.state == "PERMANENT" and (n.mac or "").lower() != mac:
                yield Finding(
                    "error",
                    "static-arp-stale",
                    f"the pod's static ARP entry for its gateway {gateway} says {n.mac}, but "
                    f"its host veth {host_if.name} has MAC {mac}: frames to the gateway are lost",
                    "the veth was re-created without updating the pod; delete the pod so the "
                    "CNI sets it up again",
                    first.name,
                )
