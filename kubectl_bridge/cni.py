"""Which CNI built the pod's network, recognised from the kernel's objects.

``recognise(snapshot, paths)`` names the layout of the pod's primary
interface (or, for a node, of most of its pods), says which kernel facts
decided it (``evidence``), which names merely agree (``hints``), what the
user must know about that layout (``notes``: no FDB to expect on a routed
veth, eBPF may bypass the tables, OVS is not a Linux bridge) and what to
run instead where our picture ends (``commands``).  Secondary interfaces
(Multus) and dual-stack are noted too.  ``describe`` prints it as one line
and ``-o json`` carries it as the top-level ``cni`` object.  Pure.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from .cni_layouts import Layout, classify
from .model import Path, Snapshot
from .netindex import NetIndex

#: key: (display name, notes, commands)
CATALOGUE: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "docker": (
        "Docker bridge",
        ("Docker's default bridge network: FDB and ARP live on the bridge",),
        ("docker network inspect bridge",),
    ),
    "bridge": (
        "CNI bridge plugin",
        ("a Linux bridge: the pod's MAC is learned on its port, ARP lives on the bridge",),
        (),
    ),
    "flannel": (
        "flannel (VXLAN)",
        (
            "pods on this node share a Linux bridge; traffic to other nodes' pods is "
            "encapsulated by the VXLAN device (UDP 8472 by default)",
        ),
        ("tcpdump -i UPLINK -n udp port 8472", "bridge fdb show dev flannel.1"),
    ),
    "kube-router": (
        "kube-router",
        ("pods share the kube-bridge bridge; other nodes' pod subnets are BGP routes",),
        ("gobgp neighbor (in the kube-router pod)",),
    ),
    "weave": (
        "Weave Net",
        (
            "pods share the weave bridge; Weave's router or fast datapath carries "
            "cross-node traffic",
        ),
        ("weave status connections (in the weave pod)",),
    ),
    "kubenet": ("kubenet", ("pods share the cbr0 bridge",), ()),
    "calico": (
        "Calico",
        (
            "no bridge, so no MAC learning table to expect: the pod's gateway 169.254.1.1 is "
            "answered by proxy-ARP on its cali... veth, and the node routes the pod's /32 to it",
        ),
        ("calicoctl node status", "ip route show proto bird"),
    ),
    "cilium": (
        "Cilium",
        (
            "eBPF programs on lxc.../cilium_host may redirect packets past the routes, "
            "neighbours and iptables shown here: the kernel tables are not the whole path",
        ),
        ("cilium-dbg bpf endpoint list", "cilium-dbg monitor", "hubble observe --pod NS/POD"),
    ),
    "kindnet": (
        "kindnet / ptp plugin",
        (
            "no bridge: the host veth carries the pod's gateway address itself (/32) and the "
            "node routes the pod's /32 to it",
        ),
        (),
    ),
    "aws-vpc-cni": (
        "AWS VPC CNI",
        (
            "no bridge: the pod's gateway 169.254.1.1 is a static ARP entry in the pod; "
            "policy routing (ip rule + per-ENI tables) decides the way out, and the lookups "
            "shown are the kernel's own, rules included (iptables marks are not)",
        ),
        ("ip rule", "ip route show table all"),
    ),
    "ovs": (
        "Open vSwitch (OVN/OVS CNI)",
        (
            "OVS-managed, not a Linux bridge: there is no kernel bridge port or MAC table for "
            "the pod; OVS flows decide where its packets go",
        ),
        ("ovs-vsctl show", "ovs-ofctl dump-flows br-int", "ovs-appctl fdb/show br-int"),
    ),
    "host-network": (
        "hostNetwork",
        ("the pod uses the node's own interfaces: no veth, bridge or pod route of its own",),
        (),
    ),
    "routed": ("routed veth (unrecognised CNI)", (), ()),
    "unknown": ("unrecognised", (), ()),
}


@dataclass(frozen=True)
class Cni:
    """The recognised CNI layout and what it means for reading the picture."""

    key: str
    name: str
    datapath: str
    evidence: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()
    secondary: tuple[str, ...] = ()

    def line(self) -> str:
        """``CNI: Calico (routed veth, no bridge)``: the line under describe's header."""
        words = {
            "bridge": "Linux bridge",
            "routed": "routed veth, no bridge",
            "ebpf": "eBPF datapath",
            "ovs": "Open vSwitch",
            "host": "node's own stack",
        }
        kind = words.get(self.datapath)
        return f"CNI: {self.name}" + (f" ({kind})" if kind else "")

    def to_json(self) -> dict[str, Any]:
        """The ``cni`` object of ``-o json``."""
        return {
            "key": self.key,
            "name": self.name,
            "datapath": self.datapath,
            "evidence": list(self.evidence),
            "hints": list(self.hints),
            "notes": list(self.notes),
            "commands": list(self.commands),
            "secondary": list(self.secondary),
        }


def recognise(snapshot: Snapshot, paths: list[Path]) -> Cni:
    """The layout of the pod's primary interface, or the node's most common one."""
    host = NetIndex(snapshot.host.links, snapshot.host.addresses)
    layouts = [(p, classify(snapshot, host, p)) for p in paths]
    if not layouts:
        return _build(Layout("unknown", "unknown", ("no pod interface to look at",)))
    if snapshot.pod is None and len(layouts) > 1:
        counts = Counter(lay.key for _, lay in layouts)
        key, count = counts.most_common(1)[0]
        layout = next(lay for _, lay in layouts if lay.key == key)
        extra = (f"{count} of {len(layouts)} pod interfaces on the node look like this",)
        others = tuple(
            f"{n} pod interface(s): {CATALOGUE[k][0]}" for k, n in counts.items() if k != key
        )
        return _build(layout, extra=extra, secondary=others)
    primary = _primary(snapshot, layouts)
    secondary = tuple(_secondary_text(p, lay) for p, lay in layouts if p is not primary[0])
    return _build(primary[1], secondary=secondary, dual=_dual_stack(primary[0]))


def _primary(snapshot: Snapshot, layouts: list[tuple[Path, Layout]]) -> tuple[Path, Layout]:
    """The interface the pod's default route leaves by (eth0), else the first."""
    if snapshot.pod is not None:
        defaults = {r.oif for r in snapshot.pod.routes if r.destination == "default"}
        for path, layout in layouts:
            if path.hops and path.hops[0].ifindex in defaults:
                return path, layout
    return layouts[0]


def _secondary_text(path: Path, layout: Layout) -> str:
    """``net1: Linux bridge br-storage (a Multus secondary network)``."""
    master = next((h.name for h in path.hops if h.kind == "bridge"), None)
    where = f"bridge {master}" if master else CATALOGUE[layout.key][0]
    return f"{path.interface}: on {where} (a secondary network, e.g. Multus); not the default route"


def _dual_stack(path: Path) -> str | None:
    families = {str(a).count(":") > 0 for a in path.hops[0].details.get("addresses") or []}
    if families == {True, False}:
        return (
            "dual-stack: IPv4 and IPv6 on one interface; IPv6 neighbours are resolved by "
            "neighbour discovery (ND), not ARP"
        )
    return None


def _build(
    layout: Layout,
    *,
    extra: tuple[str, ...] = (),
    secondary: tuple[str, ...] = (),
    dual: str | None = None,
) -> Cni:
    name, notes, commands = CATALOGUE[layout.key]
    return Cni(
        key=layout.key,
        name=name,
        datapath=layout.datapath,
        evidence=layout.evidence + extra,
        hints=layout.hints,
        notes=notes + ((dual,) if dual else ()),
        commands=commands,
        secondary=secondary,
    )
