"""The host side of one pod's path, read with targeted queries only.

Starting from the pod's ``eth0`` (peer ifindex + link-netnsid) we ask the
node for exactly the objects on the path: the host veth by index, its
bridge by index, the kernel's route lookups for the pod IP and for the
pod's way out, the uplink those name, the FDB rows of the pod's port, the
ARP entries for the pod IP and the gateway.  Every request is a get or a
dump the kernel filters, so the cost does not grow with the pods on the node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pyroute2.netlink.exceptions import NetlinkError

from ..model import Address, BridgePort, FdbEntry, Link, NetnsView, RouteLookup
from . import convert, landmarks, queries, sysctl
from .rtnl import Netlink, strerror
from .views import Sections

RT_TABLE_MAIN = 254
#: Stands for "the internet" in the egress lookup: only the FIB is asked,
#: nothing is sent.  Its answer names the route and uplink pods leave by.
EGRESS_PROBE = {4: "1.1.1.1", 6: "2606:4700:4700::1111"}


@dataclass
class _Path:
    links: dict[int, Any] = field(default_factory=dict)  # ifindex -> raw link message
    lookups: list[RouteLookup] = field(default_factory=list)


def host_ifindexes(pod_nl: Netlink, pod: NetnsView, host_path: str | None) -> list[int]:
    """Host ifindexes of the pod's veth peers that really live in the host netns."""
    host_id = queries.nsid_of(pod_nl, host_path or "/proc/self/ns/net")
    return [
        lk.peer_ifindex
        for lk in pod.links
        if lk.peer_ifindex is not None and lk.link_netnsid is not None
        and lk.link_netnsid == host_id
    ]  # fmt: skip


def pod_ips(pod: NetnsView, wanted: tuple[str, ...]) -> list[str]:
    """The pod IPs the API named, else the pod's global addresses."""
    if wanted:
        return list(wanted)
    return [a.address for a in pod.addresses if a.scope == "global"]


def targeted_view(
    nl: Netlink, host_path: str | None, peers: list[int], ips: list[str]
) -> NetnsView:
    """Only what lies on the path from ``peers`` (host ifindexes) to the uplink."""
    s = Sections()
    p = _Path()
    s.run("links", lambda: _path_links(nl, p, peers))
    first_hop = _first_hops(p, peers)
    s.run("route_lookups", lambda: _lookups(nl, p, ips, first_hop))
    s.run("landmarks", lambda: landmarks.add(nl, p.links, p.lookups))
    links = tuple(convert.link(m) for m in p.links.values())
    bridges = tuple(
        convert.bridge(m) for m in p.links.values() if convert.linkinfo(m)[0] == "bridge"
    )
    ports = tuple(x for x in (convert.bridge_port(m) for m in p.links.values()) if x)
    s.same_as("bridges", "links")
    s.same_as("ports", "links")
    fdb = s.run("fdb", lambda: _port_fdb(nl, ports)) or ()
    addresses: tuple[Address, ...] = (
        s.run(
            "addresses",
            lambda: tuple(convert.address(m) for i in p.links for m in queries.addresses(nl, i)),
        )
        or ()
    )
    routes = (
        s.run(
            "routes",
            lambda: tuple(convert.route(m) for i in p.links for m in queries.routes(nl, i)),
        )
        or ()
    )
    routes += s.run("table_routes", lambda: landmarks.table_routes(nl, p.links, p.lookups)) or ()
    rules = s.run("rules", lambda: tuple(convert.rule(m) for m in queries.rules(nl))) or ()
    neighbours = s.run("neighbours", lambda: _neighbours(nl, p, ips, first_hop)) or ()
    neighbours += (
        s.run("overlay_neighbours", lambda: landmarks.overlay_neighbours(nl, p.links)) or ()
    )
    names = [lk.name for lk in links]
    sysctls = s.run("sysctls", lambda: sysctl.read(host_path, names))
    return NetnsView(
        links=links, addresses=addresses, routes=routes, rules=rules, neighbours=neighbours,
        bridges=bridges, ports=ports, fdb=fdb, route_lookups=tuple(p.lookups),
        sysctls=sysctls, sections=tuple(s.status),
    )  # fmt: skip


def _port_fdb(nl: Netlink, ports: tuple[BridgePort, ...]) -> tuple[FdbEntry, ...]:
    """FDB rows of the path's ports only: the kernel filters by bridge and port."""
    numbers = {x.ifindex: x.port_no for x in ports}
    rows = []
    for port in ports:
        for msg in queries.fdb(nl, port.bridge_ifindex, port.ifindex):
            entry = convert.fdb_entry(msg, numbers)
            if entry is not None:
                rows.append(entry)
    return tuple(rows)


def _path_links(nl: Netlink, p: _Path, peers: list[int]) -> None:
    for index in peers:
        _add_link(nl, p, index)
        master = p.links[index].get_attr("IFLA_MASTER") if index in p.links else None
        if master is not None:
            _add_link(nl, p, master)


def _add_link(nl: Netlink, p: _Path, index: int) -> None:
    if index not in p.links:
        msg = queries.link(nl, index)
        if msg is not None:
            p.links[index] = msg


def _first_hops(p: _Path, peers: list[int]) -> list[int]:
    """Where the pod's packets enter the host's routing: the bridge, or the veth itself."""
    hops = []
    for index in peers:
        msg = p.links.get(index)
        if msg is None:
            continue
        master = msg.get_attr("IFLA_MASTER")
        hops.append(master if master is not None else index)
    return hops


def _lookups(nl: Netlink, p: _Path, ips: list[str], first_hop: list[int]) -> None:
    """``ip route get POD_IP`` and the pod's way out; adds the uplink to the path."""
    for ip in ips:
        p.lookups.append(_lookup(nl, ip))
        fam = 6 if ":" in ip else 4
        probe = EGRESS_PROBE[fam]
        iif = first_hop[0] if first_hop else None
        out = _lookup(nl, probe, source=ip, iif=iif)
        if out.error:  # forwarding off or rp_filter: still find the uplink
            p.lookups.append(out)
            out = _lookup(nl, probe)
        p.lookups.append(out)
        if out.oif is not None:
            _add_link(nl, p, out.oif)
        if out.table not in (None, RT_TABLE_MAIN):  # policy routing: the node's own way out too
            own = _lookup(nl, probe)
            p.lookups.append(own)
            if own.oif is not None:
                _add_link(nl, p, own.oif)


def _lookup(
    nl: Netlink, dst: str, *, source: str | None = None, iif: int | None = None
) -> RouteLookup:
    try:
        msg = queries.route_get(nl, dst, source=source, iif=iif)
    except (OSError, NetlinkError) as exc:
        return convert.route_lookup(dst, None, strerror(exc))
    return convert.route_lookup(dst, msg, None)


def _neighbours(nl: Netlink, p: _Path, ips: list[str], first_hop: list[int]) -> tuple[Any, ...]:
    """ARP for the pod IPs where the host reaches them, and for the next-hop gateways."""
    wanted: list[tuple[int, str]] = [(dev, ip) for dev in first_hop for ip in ips]
    wanted += [(lk.oif, lk.gateway) for lk in p.lookups if lk.oif and lk.gateway]
    out = []
    for dev, ip in dict.fromkeys(wanted):
        msg = queries.neighbour(nl, dev, ip)
        if msg is not None:
            out.append(convert.neighbour(msg))
    return tuple(out)


def host_nsid(links: tuple[Link, ...], peers: list[int]) -> int | None:
    """The host's id for the pod netns: what the host veth's link_netnsid says."""
    for lk in links:
        if lk.ifindex in peers and lk.link_netnsid is not None:
            return lk.link_netnsid
    return None
