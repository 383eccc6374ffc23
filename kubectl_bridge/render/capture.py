"""Where tcpdump sees the pod's packets, as commands ready to paste (S10).

The seed's author found the three capture points (the bridge port, the
bridge, the uplink) by trial; here they come from the path, the pod side
included (through ``nsenter``), each filtered to the pod so a busy node's
traffic does not drown it.  At the uplink the note says whether the pod's
address is rewritten to the node's, from the nat rule that does it (or
that no rule does).  Pure.
"""

from __future__ import annotations

import os
from typing import Any

from ..model import Hop, Path
from ..nfanswer import masquerade, where
from .view import View

Row = dict[str, Any]


def capture_points(view: View) -> list[Row]:
    """One row per interface the pod's packets cross, in path order, no repeats."""
    rows: list[Row] = []
    seen: set[tuple[str, str]] = set()
    for path in view.paths:
        for row in _path_points(view, path):
            key = (row["netns"] + str(row.get("owner")), row["command"])
            if row["netns"] == "host":
                key = ("host", row["command"])
            if key not in seen:
                seen.add(key)
                rows.append(row)
    return rows


def _path_points(view: View, path: Path) -> list[Row]:
    first = path.hops[0] if path.hops else None
    ips = [str(h.details.get("for")) for h in path.hops if h.kind == "route"]
    pod_ip = ips[0] if ips else None
    owner = first.details.get("owner") if first else None
    rows: list[Row] = []
    for hop in path.hops:
        if hop.kind == "route" or (hop.kind == "pod-interface" and hop.details.get("host_network")):
            continue
        if hop.kind == "pod-interface":
            rows.append(_pod_point(view, hop, str(owner)))
            continue
        # A port carries only its pod; the bridge and uplink carry everyone's.
        narrow = pod_ip and not view.node_view and hop.kind != "host-interface"
        filt = _filter(view, hop, pod_ip) if narrow and pod_ip else ""
        row = {
            "hop": hop.kind,
            "netns": "host",
            "interface": hop.name,
            "owner": None,
            "command": f"tcpdump -i {hop.name} -n{filt}",
            "note": _note(view, hop, pod_ip),
        }
        rows.append(row)
    return rows


def _filter(view: View, hop: Hop, pod_ip: str) -> str:
    """Narrow to the pod's packets, by the address they really carry there.

    Past a masquerade rule the pod's packets carry the node's address, so a
    filter on the pod IP at the uplink would show nothing at all.
    """
    node = hop.details.get("node_address")
    if hop.kind != "uplink" or not node:
        return f" host {pod_ip}"
    state = masquerade(view.snapshot.host, pod_ip, hop.name).state
    if state == "yes":
        return f" host {node}"
    if state == "no":
        return f" host {pod_ip}"
    return f" host {pod_ip} or host {node}"


def _pod_point(view: View, hop: Hop, owner: str) -> Row:
    """Inside the pod: enter its network namespace only (the pod needs no tcpdump)."""
    pid = hop.details.get("pid")
    target = view.snapshot.target
    if pid:
        prefix = f"nsenter -t {pid} -n "
    elif target.netns_path and target.kind == "netns" and not view.node_view:
        name = target.netns_path
        if name.startswith("/run/netns/") or name.startswith("/var/run/netns/"):
            prefix = f"ip netns exec {os.path.basename(name)} "
        else:
            prefix = f"nsenter --net={name} "
    else:
        prefix = "nsenter --net=NETNS_PATH "
    return {
        "hop": hop.kind,
        "netns": "pod",
        "interface": hop.name,
        "owner": owner,
        "command": f"{prefix}tcpdump -i {hop.name} -n",
        "note": f"inside {owner}: sees what the pod sends before the host touches it",
    }


def _note(view: View, hop: Hop, pod_ip: str | None) -> str:
    if hop.kind == "host-interface":
        if hop.details.get("port_no") is not None:
            return "the pod's bridge port: only this pod's frames"
        return "the pod's host-side veth: only this pod's packets"
    if hop.kind == "bridge":
        return "the bridge: every pod on it, and frames for the node itself"
    node = hop.details.get("node_address")
    if not (node and pod_ip):
        return "leaving the node"
    answer = masquerade(view.snapshot.host, pod_ip, hop.name)
    if answer.state == "yes" and answer.decision is not None:
        return (
            f"leaving the node as {node}: masquerade rewrites the source {pod_ip} "
            f"({where(answer.decision)}); narrow to one peer with 'and host PEER_IP'"
        )
    if answer.state == "no":
        return f"leaving the node with the pod's own address {pod_ip} (no masquerade rule)"
    return (
        f"leaving the node; if masquerade applies (not known here) the source is the node "
        f"address {node} instead of {pod_ip}, so both are in the filter"
    )
