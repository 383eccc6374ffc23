"""Stitch a snapshot into paths: pod interface → host interface → bridge → route → uplink.

Everything here follows the kernel's own links, never names: a pod's
``eth0@ifN`` leads to the host interface whose ifindex is N (checked against
the link-netnsid the host knows the pod by), the host interface's ``master``
leads to its bridge, the route is the kernel's lookup of the pod's address
(or the longest match in the routing table), and the uplink is the default
route's device.  So ``docker0``, ``cni0``, ``kube-bridge``, Calico's routed
``cali…`` veths and several bridges on one node all come out right.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable

from .model import Hop, Link, Path, Snapshot
from .netindex import (
    NetIndex,
    display_name,
    is_host_network_pod,
    owner_of_peer,
    owner_of_target,
)
from .stitch_l3 import route_hop, uplink_hop

__all__ = ["host_peer", "paths", "route_hop", "uplink_hop"]

HOST_NETWORK = "hostNetwork"


def paths(snapshot: Snapshot) -> list[Path]:
    """One path per pod interface; for a node/host view one per pod on the node.

    A hostNetwork pod has no interface of its own: its single path starts
    at the node's own stack.
    """
    host = NetIndex(snapshot.host.links, snapshot.host.addresses)
    if is_host_network_pod(snapshot):
        return [_host_network_path(snapshot, host)]
    if snapshot.pod is not None:
        pod = NetIndex(snapshot.pod.links, snapshot.pod.addresses)
        owner = owner_of_target(snapshot.target)
        return [
            _path(
                snapshot,
                host,
                pod,
                link,
                owner=owner,
                nsid=snapshot.target.host_nsid,
                pid=snapshot.target.pid,
            )
            for link in _pod_interfaces(snapshot.pod.links)
        ]
    return _node_paths(snapshot, host)


def _pod_interfaces(links: Iterable[Link]) -> list[Link]:
    """The pod's interfaces worth a path: everything but loopback."""
    return sorted(
        (lk for lk in links if "LOOPBACK" not in lk.flags and lk.name != "lo"),
        key=lambda lk: lk.ifindex,
    )


def _node_paths(snapshot: Snapshot, host: NetIndex) -> list[Path]:
    """Node view: every host interface that leads into another namespace."""
    peers = {p.nsid: p for p in snapshot.peers}
    # The uplink may itself be a veth (a kind node, a lab): it is the way out, not a pod.
    uplinks = {r.oif for r in snapshot.host.routes if r.destination == "default"}
    result = []
    for link in sorted(snapshot.host.links, key=lambda lk: lk.ifindex):
        if link.link_netnsid is None or link.peer_ifindex is None or link.ifindex in uplinks:
            continue
        peer = peers.get(link.link_netnsid)
        if peer is not None:
            pod = NetIndex(peer.links, peer.addresses)
            pod_link = pod.link(link.peer_ifindex)
            if pod_link is not None:
                result.append(
                    _path(
                        snapshot,
                        host,
                        pod,
                        pod_link,
                        owner=owner_of_peer(peer),
                        nsid=peer.nsid,
                        pid=peer.pid,
                    )
                )
                continue
        result.append(_orphan_path(snapshot, host, link))
    return result


def _path(
    snapshot: Snapshot,
    host: NetIndex,
    pod: NetIndex,
    pod_link: Link,
    *,
    owner: str,
    nsid: int | None,
    pid: int | None,
) -> Path:
    """The hops of one pod interface, as far as the kernel's links lead."""
    host_link = host_peer(host, pod_link, nsid)
    gateway = _pod_gateway(snapshot, pod_link)
    first = Hop(
        kind="pod-interface",
        name=pod_link.name,
        netns="pod",
        ifindex=pod_link.ifindex,
        details={
            **pod.link_details(pod_link),
            "display": display_name(pod_link),
            "owner": owner,
            "pid": pid,
            "gateway": gateway,
            "peer": host_link.name if host_link else None,
        },
    )
    hops = [first]
    expected: set[int] = set()
    if host_link is not None:
        hops.extend(_host_hops(snapshot, host, host_link, pod_link.mac))
        expected = {h.ifindex for h in hops[1:] if h.ifindex is not None}
    addresses = [a for a in pod.addresses(pod_link.ifindex) if a.scope == "global"]
    for address in addresses:
        hops.append(route_hop(snapshot, host, address.address, address.family, expected))
    family = addresses[0].family if addresses else 4
    uplink = uplink_hop(snapshot, host, family) if _leaves_node(snapshot, pod_link) else None
    if uplink is not None:
        hops.append(uplink)
    return Path(interface=pod_link.name, hops=tuple(hops))


def _leaves_node(snapshot: Snapshot, link: Link) -> bool:
    """Whether the pod's traffic to the world goes out this interface.

    A Multus ``net1`` usually reaches only its own network: the pod's default
    route goes out ``eth0``, so the node's uplink is not on ``net1``'s path.
    Without the pod's routes (node views) every interface is assumed to.
    """
    if snapshot.pod is None:
        return True
    defaults = [r for r in snapshot.pod.routes if r.destination == "default"]
    return not defaults or any(r.oif == link.ifindex for r in defaults)


def host_peer(host: NetIndex, pod_link: Link, nsid: int | None) -> Link | None:
    """The host interface a pod interface is tied to, checked both ways.

    A veth's peer must point back at the pod interface, and when the host's
    id for the pod namespace is known the host link must carry it: an
    ifindex alone could be a coincidence in a stale or mixed snapshot.
    """
    if pod_link.peer_ifindex is None or pod_link.peer_ifindex == pod_link.ifindex:
        return None
    candidate = host.link(pod_link.peer_ifindex)
    if candidate is None:
        return None
    if candidate.kind == "veth" and candidate.peer_ifindex not in (None, pod_link.ifindex):
        return None
    if nsid is not None and candidate.link_netnsid not in (None, nsid):
        return None
    return candidate


def _host_hops(
    snapshot: Snapshot, host: NetIndex, link: Link, pod_mac: str | None = None
) -> list[Hop]:
    """The host interface, then its master: a Linux bridge, OVS, or another master."""
    port = next((p for p in snapshot.host.ports if p.ifindex == link.ifindex), None)
    details = host.link_details(link)
    details["master"] = host.name(link.master)
    details["proxy_arp"] = _iface_sysctl(snapshot, link.name, "proxy_arp")
    if port is not None:
        details.update(port_no=port.port_no, port_state=port.state, hairpin=port.hairpin)
    hops = [Hop("host-interface", link.name, ifindex=link.ifindex, details=details)]
    master = host.link(link.master) if link.master is not None else None
    if master is None:
        return hops
    bridge = next((b for b in snapshot.host.bridges if b.ifindex == master.ifindex), None)
    mdetails = host.link_details(master)
    if bridge is not None or master.kind == "bridge":
        mdetails["type"] = "linux-bridge"
        if bridge is not None:
            mdetails.update(
                bridge_id=bridge.bridge_id,
                stp=bridge.stp,
                ageing_time=bridge.ageing_time,
                vlan_filtering=bridge.vlan_filtering,
            )
        mdetails.update(_fdb_details(snapshot, host, master.ifindex, pod_mac))
        hops.append(Hop("bridge", master.name, ifindex=master.ifindex, details=mdetails))
    elif master.kind == "openvswitch":
        mdetails["type"] = "openvswitch"
        hops.append(Hop("bridge", master.name, ifindex=master.ifindex, details=mdetails))
    else:
        mdetails["role"] = f"master ({master.kind or 'device'})"
        hops.append(Hop("host-interface", master.name, ifindex=master.ifindex, details=mdetails))
    return hops


def _fdb_details(
    snapshot: Snapshot, host: NetIndex, bridge: int, pod_mac: str | None
) -> dict[str, object]:
    """Where the bridge has learned the pod's MAC, if it has (S3).

    Learned (not local) entries only: a local entry is the port's own MAC.
    """
    collected = all(s.ok for s in snapshot.host.sections if s.name == "fdb")
    if pod_mac is None:
        return {"fdb_collected": collected}
    entry = next(
        (
            e
            for e in snapshot.host.fdb
            if e.bridge_ifindex == bridge and e.mac == pod_mac.lower() and not e.is_local
        ),
        None,
    )
    return {
        "fdb_collected": collected,
        "pod_mac": pod_mac,
        "pod_mac_learned": entry is not None,
        "learned_on": host.name(entry.port_ifindex) if entry else None,
        "learned_port_no": entry.port_no if entry else None,
        "ageing": entry.ageing if entry else None,
    }


def _host_network_path(snapshot: Snapshot, host: NetIndex) -> Path:
    """A hostNetwork pod shares the node's interfaces: nothing to stitch."""
    target = snapshot.target
    first = Hop(
        "pod-interface",
        HOST_NETWORK,
        netns="host",
        details={
            "display": HOST_NETWORK,
            "owner": owner_of_target(target),
            "host_network": True,
            "addresses": list(target.pod_ips),
            "pid": target.pid,
        },
    )
    hops = [first]
    uplink = uplink_hop(snapshot, host, 6 if any(":" in ip for ip in target.pod_ips[:1]) else 4)
    if uplink is not None:
        hops.append(uplink)
    return Path(interface=HOST_NETWORK, hops=tuple(hops))


def _orphan_path(snapshot: Snapshot, host: NetIndex, link: Link) -> Path:
    """A host interface into a namespace the snapshot knows nothing else about."""
    hops = _host_hops(snapshot, host, link)
    uplink = uplink_hop(snapshot, host, 4)
    if uplink is not None:
        hops.append(uplink)
    return Path(interface=link.name, hops=tuple(hops))


def _pod_gateway(snapshot: Snapshot, link: Link) -> str | None:
    """The pod's default gateway through this interface, if it has one."""
    if snapshot.pod is None:
        return None
    for route in snapshot.pod.routes:
        if route.destination == "default" and route.oif == link.ifindex and route.gateway:
            return route.gateway
    return None


def _iface_sysctl(snapshot: Snapshot, name: str, key: str) -> int | None:
    """A per-interface sysctl of the host, when the agent read it."""
    sysctls = snapshot.host.sysctls
    if sysctls is None:
        return None
    for entry in sysctls.interfaces:
        if entry.name == name:
            value = getattr(entry, key)
            return value if isinstance(value, int) else None
    return None
