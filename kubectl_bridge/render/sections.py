"""The tables' data (S1–S9) as plain rows: what ``-o json`` puts under ``sections``.

Each builder returns JSON-ready dicts with raw values (bytes, not "259k");
the table renderer decides how to show them.  A pod view keeps to the
interfaces on the pod's path; a node view lists everything on the node.
Pure.
"""

from __future__ import annotations

from typing import Any

from ..bridgeview import bridges, far_end, mac_owners
from ..model import Link, Stats
from ..netindex import LOCAL_TABLE, NetIndex, display_name, route_text
from ..stitch import host_peer
from .view import View

Row = dict[str, Any]
#: The rules every namespace starts with (local, main, default): not worth a line.
DEFAULT_RULES = {(0, 255), (32766, 254), (32767, 253)}


def interfaces(view: View) -> list[Row]:
    """``ip link`` + ``ip addr`` on both sides, each link tied to its peer (S1/S6/S7)."""
    snap = view.snapshot
    rows: list[Row] = []
    if snap.pod is not None and view.pod is not None:
        for link in snap.pod.links:
            if link.name != "lo":
                host_link = host_peer(view.host, link, snap.target.host_nsid)
                name = host_link.name if host_link else None
                rows.append(_link_row("pod", link, view.pod, name))
    wanted = view.path_ifindexes()
    for link in sorted(snap.host.links, key=lambda lk: lk.ifindex):
        if link.name == "lo" or (not view.node_view and link.ifindex not in wanted):
            continue
        end = far_end(snap, link)
        peer = f"{end.owner} {end.link.name}" if end and end.link else end.owner if end else None
        rows.append(_link_row("host", link, view.host, peer))
    return rows


def _link_row(netns: str, link: Link, index: NetIndex, peer: str | None) -> Row:
    return {
        "netns": netns,
        "ifindex": link.ifindex,
        "name": link.name,
        "display": display_name(link),
        "kind": link.kind or "device",
        "state": link.operstate,
        "flags": list(link.flags),
        "mtu": link.mtu,
        "mac": link.mac,
        "addresses": index.cidrs(link.ifindex),
        "master": index.name(link.master),
        "peer": peer,
        "link_netnsid": link.link_netnsid,
    }


def ports(view: View) -> list[Row]:
    """``brctl show``: each bridge with its ports, and the pod behind each port (S2)."""
    rows: list[Row] = []
    only = None if view.node_view else {h.ifindex for h in view.path_hops("bridge") if h.ifindex}
    for bv in bridges(view.snapshot, only):
        base = {
            "bridge": bv.bridge.name,
            "bridge_id": bv.bridge.bridge_id,
            "stp": bv.bridge.stp,
            "addresses": list(bv.addresses),
        }
        if not bv.ports:
            rows.append({**base, "port_no": None, "port": None})
        for pv in bv.ports:
            end = pv.far_end
            rows.append(
                {
                    **base,
                    "port_no": pv.port.port_no,
                    "port": pv.port.name,
                    "state": pv.port.state,
                    "mac": pv.link.mac if pv.link else None,
                    "hairpin": pv.port.hairpin,
                    "learning": pv.port.learning,
                    "pod": end.owner if end else None,
                    "pod_interface": end.link.name if end and end.link else None,
                    "pod_mac": end.link.mac if end and end.link else None,
                    "pod_addresses": list(end.addresses) if end else [],
                }
            )
    return rows


def macs(view: View) -> list[Row]:
    """``brctl showmacs``: the learning table, each MAC with its owner (S3)."""
    snap = view.snapshot
    owners = mac_owners(snap)
    only = None if view.node_view else {h.ifindex for h in view.path_hops("bridge")}
    names = {b.ifindex: b for b in snap.host.bridges}
    rows: list[Row] = []
    entries = [e for e in snap.host.fdb if e.bridge_ifindex in names]
    for e in sorted(entries, key=lambda e: (names[e.bridge_ifindex].name, e.port_no, e.mac)):
        if only is not None and e.bridge_ifindex not in only:
            continue
        port = view.host.name(e.port_ifindex)
        owner: str | None
        if e.is_local:
            what = "bridge" if e.port_ifindex == e.bridge_ifindex else "port"
            owner = f"{what} {port} (its own MAC)"
        else:
            owner = owners.get(e.mac.lower())
        rows.append(
            {
                "bridge": names[e.bridge_ifindex].name,
                "port_no": e.port_no,
                "port": port,
                "mac": e.mac,
                "is_local": e.is_local,
                "ageing": e.ageing,
                "vlan": e.vlan,
                "owner": owner,
            }
        )
    return rows


def neighbours(view: View) -> list[Row]:
    """``ip neigh``: the pod's own table and the host's on the path's devices (S4)."""
    snap = view.snapshot
    owners = mac_owners(snap)
    rows: list[Row] = []
    wanted = view.path_ifindexes()
    for side, ns, index in view.sides():
        for n in ns.neighbours:
            if side == "host" and not view.node_view and n.ifindex not in wanted:
                continue
            rows.append(
                {
                    "netns": side,
                    "dev": index.name(n.ifindex),
                    "address": n.address,
                    "mac": n.mac,
                    "state": n.state,
                    "router": n.is_router,
                    "proxy": n.is_proxy,
                    "owner": _owner(owners, n.mac),
                }
            )
    return rows


def _owner(owners: dict[str, str], mac: str | None) -> str | None:
    """Whose MAC a neighbour entry has, unless all we know is the entry itself."""
    owner = owners.get(mac.lower()) if mac else None
    return None if owner is None or owner.startswith("neighbour ") else owner


def stats(view: View) -> list[Row]:
    """``ip -s link``: the counters of every interface on the path (S5)."""
    rows: list[Row] = []
    for netns, link in _stat_links(view):
        s = link.stats or Stats()
        rows.append(
            {
                "netns": netns,
                "name": link.name,
                "display": display_name(link) if netns == "pod" else link.name,
                "collected": link.stats is not None,
                "rx": {
                    "bytes": s.rx_bytes,
                    "packets": s.rx_packets,
                    "errors": s.rx_errors,
                    "dropped": s.rx_dropped,
                    "overrun": s.rx_overrun,
                    "mcast": s.rx_multicast,
                },
                "tx": {
                    "bytes": s.tx_bytes,
                    "packets": s.tx_packets,
                    "errors": s.tx_errors,
                    "dropped": s.tx_dropped,
                    "carrier": s.tx_carrier,
                    "collsns": s.tx_collisions,
                },
            }
        )
    return rows


def _stat_links(view: View) -> list[tuple[str, Link]]:
    """The links worth counting, pod side first, in path order."""
    snap = view.snapshot
    found: list[tuple[str, Link]] = []
    if snap.pod is not None:
        found += [("pod", lk) for lk in snap.pod.links if lk.name != "lo"]
    wanted = view.path_ifindexes()
    order = {ifindex: i for i, ifindex in enumerate(_path_order(view))}
    host = [lk for lk in snap.host.links if lk.name != "lo"]
    if not view.node_view:
        host = [lk for lk in host if lk.ifindex in wanted]
    host.sort(key=lambda lk: (order.get(lk.ifindex, len(order)), lk.ifindex))
    return found + [("host", lk) for lk in host]


def _path_order(view: View) -> list[int]:
    return [
        h.ifindex
        for p in view.paths
        for h in p.hops
        if h.netns == "host" and h.ifindex is not None and h.kind != "route"
    ]


def routes(view: View) -> dict[str, list[Row]]:
    """``ip route``, ``ip rule`` and ``ip route get`` for both sides (S9)."""
    snap = view.snapshot
    used = {
        (h.details.get("table") or 254, h.name): str(h.details.get("for"))
        for h in view.path_hops("route")
    }
    defaults = {str(h.details.get("default_route")): str(h.name) for h in view.path_hops("uplink")}
    rows: list[Row] = []
    for side, ns, index in view.sides():
        for r in ns.routes:
            if r.table == LOCAL_TABLE and not view.node_view:
                continue
            text = route_text(r, index)
            role = None
            if side == "host" and (r.table, r.destination) in used:
                role = f"back to the pod {used[(r.table, r.destination)]}"
            elif side == "host" and route_text(r, index, short=True) in defaults:
                role = "uplink"
            rows.append({"netns": side, "table": r.table, "text": text, "role": role})
    lookups = [
        {
            "destination": lk.destination,
            "dev": view.host.name(lk.oif),
            "gateway": lk.gateway,
            "prefsrc": lk.prefsrc,
            "table": lk.table,
            "type": lk.type,
            "error": lk.error,
        }
        for lk in snap.host.route_lookups
    ]
    rules = [
        {"priority": r.priority, "table": r.table, "src": r.src, "dst": r.dst, "iif": r.iif}
        for r in snap.host.rules
        if (r.priority, r.table) not in DEFAULT_RULES or r.src or r.dst or r.iif or r.fwmark
    ]
    return {"routes": rows, "lookups": lookups, "rules": rules}
