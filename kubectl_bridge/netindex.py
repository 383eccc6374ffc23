"""Look-ups over one namespace's links and addresses, shared by stitch and render.

A snapshot is lists; stitching and rendering ask "which link has ifindex
N", "what addresses does it carry", "which route matches this address" and
"whose namespace is this" over and over.  Answering those in one place keeps
``stitch`` about the path and the renderers about presentation.  Pure.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable
from typing import Any

from .model import Address, Link, PeerNetns, Route, Snapshot, Target

#: Tables an on-call engineer never needs to see by default (``local``).
LOCAL_TABLE = 255


class NetIndex:
    """Links and addresses of one namespace, by ifindex."""

    def __init__(self, links: Iterable[Link], addresses: Iterable[Address]) -> None:
        self._links = {lk.ifindex: lk for lk in links}
        self._addresses: dict[int, list[Address]] = {}
        for address in addresses:
            self._addresses.setdefault(address.ifindex, []).append(address)

    def link(self, ifindex: int | None) -> Link | None:
        """The link with this ifindex, if the snapshot has it."""
        return None if ifindex is None else self._links.get(ifindex)

    def name(self, ifindex: int | None) -> str | None:
        """The link's name, ``ifN`` when unknown, None for no ifindex."""
        if ifindex is None:
            return None
        link = self._links.get(ifindex)
        return link.name if link else f"if{ifindex}"

    def addresses(self, ifindex: int, family: int | None = None) -> list[Address]:
        """The link's addresses, IPv4 before IPv6, in the kernel's order."""
        found = self._addresses.get(ifindex, [])
        return sorted(
            (a for a in found if family is None or a.family == family), key=lambda a: a.family
        )

    def cidrs(self, ifindex: int) -> list[str]:
        """``172.17.0.1/16`` strings of the link's non-host-scope addresses."""
        return [f"{a.address}/{a.prefixlen}" for a in self.addresses(ifindex) if a.scope != "host"]

    def link_details(self, link: Link) -> dict[str, Any]:
        """The JSON details every interface hop carries."""
        return {
            "kind": link.kind or "device",
            "mac": link.mac,
            "mtu": link.mtu,
            "operstate": link.operstate,
            "flags": list(link.flags),
            "addresses": self.cidrs(link.ifindex),
            "peer_ifindex": link.peer_ifindex,
            "link_netnsid": link.link_netnsid,
        }


def longest_match(
    routes: Iterable[Route], ip: str, family: int, table: int | None = None
) -> Route | None:
    """The route the kernel would pick from the routing table for ``ip``.

    Only unicast routes of ``table`` (the main table when not given) count;
    ties on prefix length go to the lowest metric.
    """
    address = ipaddress.ip_address(ip)
    want = 254 if table is None else table
    best: tuple[int, int, Route] | None = None
    for route in routes:
        if route.family != family or route.table != want or route.type != "unicast":
            continue
        network = _network(route.destination, family)
        if network is None or address not in network:
            continue
        key = (network.prefixlen, -(route.metric or 0))
        if best is None or key > best[:2]:
            best = (key[0], key[1], route)
    return best[2] if best else None


def _network(destination: str, family: int) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    if destination == "default":
        return ipaddress.ip_network("0.0.0.0/0" if family == 4 else "::/0")
    try:
        return ipaddress.ip_network(destination, strict=False)
    except ValueError:
        return None


def route_text(route: Route, index: NetIndex, *, short: bool = False) -> str:
    """A route as ``ip route show`` prints it; ``short`` as the seed's diagram does."""
    parts = [route.destination]
    if route.gateway:
        parts += ["via", route.gateway]
    if route.oif is not None:
        parts += ["dev", index.name(route.oif) or ""]
    if short:
        return " ".join(parts)
    if route.table not in (254, LOCAL_TABLE):
        parts += ["table", str(route.table)]
    if route.protocol not in ("boot", ""):
        parts += ["proto", route.protocol]
    if route.scope not in ("universe", ""):
        parts += ["scope", route.scope]
    if route.prefsrc:
        parts += ["src", route.prefsrc]
    if route.metric:
        parts += ["metric", str(route.metric)]
    if route.type != "unicast":
        parts.insert(0, route.type)
    return " ".join(parts)


def owner_of_target(target: Target) -> str:
    """Who the snapshot was taken for, as the user would name it."""
    if target.pod_name:
        ns = f"{target.pod_namespace}/" if target.pod_namespace else ""
        return f"pod {ns}{target.pod_name}"
    if target.kind == "netns" and target.netns_path:
        return f"netns {os.path.basename(target.netns_path)}"
    if target.pid is not None:
        return f"pid {target.pid}"
    return target.kind


def owner_of_peer(peer: PeerNetns) -> str:
    """Who lives in a peer namespace: the pod when known, else what identifies it."""
    if peer.pod_name:
        ns = f"{peer.pod_namespace}/" if peer.pod_namespace else ""
        return f"pod {ns}{peer.pod_name}"
    if peer.container_id:
        return f"container {peer.container_id.rpartition('://')[2][:12]}"
    if peer.netns_path:
        return f"netns {os.path.basename(peer.netns_path)}"
    if peer.pid is not None:
        return f"pid {peer.pid}"
    return f"netns id {peer.nsid}"


def default_route(routes: Iterable[Route], family: int) -> Route | None:
    """The main table's default route with the lowest metric."""
    defaults = [
        r
        for r in routes
        if r.destination == "default" and r.family == family and r.table == 254
        if r.type == "unicast"
    ]
    return min(defaults, key=lambda r: r.metric or 0, default=None)


def display_name(link: Link) -> str:
    """``eth0@if5``: the name as ``ip link`` shows it inside the pod."""
    if link.peer_ifindex is not None and link.peer_ifindex != link.ifindex:
        return f"{link.name}@if{link.peer_ifindex}"
    return link.name


def is_host_network_pod(snapshot: Snapshot) -> bool:
    """A pod with ``hostNetwork: true``: it was asked for, but has no namespace of its own.

    The agent also marks ``host`` targets as host-network (it read the host
    namespace); those are node views, not pods.
    """
    target = snapshot.target
    return snapshot.pod is None and target.host_network and target.kind not in ("host", "node")


def is_node_view(snapshot: Snapshot) -> bool:
    """Whether this snapshot is of a whole node rather than one pod."""
    return snapshot.pod is None and not is_host_network_pod(snapshot)
