"""Every bridge with each port mapped to the pod behind it (``brctl show``, better).

``brctl show`` lists port names; the engineer in the seed then matched each
``vethX`` to a pod by hand through ``eth0@ifN``.  Here the far end of every
port is found by the kernel's links: the port's peer ifindex inside the
namespace its link-netnsid names, which is the snapshot's pod namespace or
one of the node's peer namespaces.  Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Bridge, BridgePort, Link, Snapshot
from .netindex import NetIndex, owner_of_peer, owner_of_target


@dataclass(frozen=True)
class FarEnd:
    """What sits at the other end of a host veth: a pod's interface."""

    owner: str
    link: Link | None
    addresses: tuple[str, ...] = ()


@dataclass(frozen=True)
class PortView:
    """One bridge port and, where known, the pod behind it."""

    port: BridgePort
    link: Link | None
    far_end: FarEnd | None


@dataclass(frozen=True)
class BridgeView:
    """A bridge, its own link and addresses, and its ports."""

    bridge: Bridge
    link: Link | None
    addresses: tuple[str, ...]
    ports: tuple[PortView, ...]


def far_end(snapshot: Snapshot, link: Link) -> FarEnd | None:
    """The pod interface at the other end of a host link, followed by ifindex + nsid."""
    if link.link_netnsid is None or link.peer_ifindex is None:
        return None
    nsid = link.link_netnsid
    if snapshot.pod is not None and snapshot.target.host_nsid == nsid:
        index = NetIndex(snapshot.pod.links, snapshot.pod.addresses)
        owner = owner_of_target(snapshot.target)
    else:
        peer = next((p for p in snapshot.peers if p.nsid == nsid), None)
        if peer is None:
            return FarEnd(owner=f"netns id {nsid}", link=None)
        index = NetIndex(peer.links, peer.addresses)
        owner = owner_of_peer(peer)
    pod_link = index.link(link.peer_ifindex)
    cidrs = tuple(index.cidrs(pod_link.ifindex)) if pod_link else ()
    return FarEnd(owner=owner, link=pod_link, addresses=cidrs)


def bridges(snapshot: Snapshot, only: set[int] | None = None) -> list[BridgeView]:
    """Every bridge of the host namespace (or those in ``only``), ports by number."""
    host = NetIndex(snapshot.host.links, snapshot.host.addresses)
    result = []
    for bridge in sorted(snapshot.host.bridges, key=lambda b: b.name):
        if only is not None and bridge.ifindex not in only:
            continue
        ports = []
        for port in sorted(
            (p for p in snapshot.host.ports if p.bridge_ifindex == bridge.ifindex),
            key=lambda p: (p.port_no, p.name),
        ):
            link = host.link(port.ifindex)
            ports.append(PortView(port, link, far_end(snapshot, link) if link else None))
        result.append(
            BridgeView(
                bridge=bridge,
                link=host.link(bridge.ifindex),
                addresses=tuple(host.cidrs(bridge.ifindex)),
                ports=tuple(ports),
            )
        )
    return result


def mac_owners(snapshot: Snapshot) -> dict[str, str]:
    """Who each known MAC belongs to: a pod's interface, a host port, a bridge.

    This answers the question ``brctl showmacs`` leaves open: whose MAC is
    that learned entry?
    """
    owners: dict[str, str] = {}
    for link in snapshot.host.links:
        if link.mac is None or link.mac == "00:00:00:00:00:00":
            continue
        role = "bridge" if link.kind == "bridge" else "host"
        owners.setdefault(link.mac.lower(), f"{role} {link.name}")
        end = far_end(snapshot, link)
        if end is not None and end.link is not None and end.link.mac:
            owners[end.link.mac.lower()] = f"{end.owner} {end.link.name}"
    if snapshot.pod is not None:
        owner = owner_of_target(snapshot.target)
        for link in snapshot.pod.links:
            if link.mac and link.mac != "00:00:00:00:00:00":
                owners[link.mac.lower()] = f"{owner} {link.name}"
    for neighbour in snapshot.host.neighbours:
        if neighbour.mac and neighbour.mac.lower() not in owners:
            owners[neighbour.mac.lower()] = f"neighbour {neighbour.address}"
    return owners
