"""The few objects off a pod's path that tell which CNI built it.

A pod-scope snapshot reads only the pod's path, but naming the CNI (and
judging it fairly) needs a little more, still without walking the other
pods:

* the device the kernel routes the pod's address to, when it is not the
  pod's own veth (Cilium's ``cilium_host``, OVN's ``ovn-k8s-mp0``): one get;
* the CNIs' own node devices (overlays, datapath devices), fetched by name:
  one get each, so the cost is fixed whatever the node runs.  The name only
  decides what to fetch; ``cni.recognise`` judges what came back by its
  kind, routes and neighbours;
* routes of the policy-routing tables the kernel's lookups used (AWS VPC
  CNI's per-ENI tables), only through the path's devices;
* the static neighbours of overlay devices (one per remote node): flannel
  programs the remote VTEPs there.
"""

from __future__ import annotations

import errno
import socket
from typing import Any

from pyroute2.netlink.exceptions import NetlinkError
from pyroute2.netlink.rtnl import RTM_GETLINK, RTM_GETROUTE
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
from pyroute2.netlink.rtnl.rtmsg import rtmsg

from ..model import Neighbour, Route, RouteLookup
from . import convert, queries
from .rtnl import Netlink

#: CNI-owned node devices worth one look each (overlays, datapaths, host ends).
NAMES = (
    "flannel.1",  # flannel VXLAN backend
    "vxlan.calico",  # Calico VXLAN
    "vxlan-v6.calico",
    "tunl0",  # Calico IP-in-IP
    "cilium_host",  # Cilium's host end (a veth whose peer is cilium_net)
    "cilium_net",
    "cilium_vxlan",
    "cilium_geneve",
    "kube-ipvs0",  # kube-proxy/kube-router IPVS service addresses
    "datapath",  # Weave fast datapath (Open vSwitch)
    "vxlan-6784",
    "ovs-system",  # Open vSwitch kernel datapath
    "br-int",  # OVS integration bridge (OVN, Antrea, Kube-OVN)
    "ovn-k8s-mp0",  # OVN-Kubernetes management port
    "antrea-gw0",
)
OVERLAY_KINDS = ("vxlan", "geneve", "ipip", "wireguard")
RT_TABLE_MAIN, RT_TABLE_LOCAL = 254, 255


def link_by_name(nl: Netlink, name: str) -> Any | None:
    """``ip link show NAME``: one get; None when there is no such device."""
    msg = ifinfmsg()
    msg["attrs"] = [("IFLA_IFNAME", name)]
    return nl.get(msg, RTM_GETLINK)


def add(nl: Netlink, links: dict[int, Any], lookups: list[RouteLookup]) -> None:
    """Add the lookups' devices and the CNI devices present to ``links`` (by ifindex)."""
    for lookup in lookups:
        if lookup.oif is not None and lookup.oif not in links:
            msg = queries.link(nl, lookup.oif)
            if msg is not None:
                links[lookup.oif] = msg
    for name in NAMES:
        msg = link_by_name(nl, name)
        if msg is not None:
            links.setdefault(msg["index"], msg)


def table_routes(
    nl: Netlink, links: dict[int, Any], lookups: list[RouteLookup]
) -> tuple[Route, ...]:
    """Routes of the non-main tables the kernel's lookups chose, through the path's devices."""
    tables = sorted(
        {lk.table for lk in lookups if lk.table not in (None, RT_TABLE_MAIN, RT_TABLE_LOCAL)}
    )
    return tuple(
        convert.route(m)
        for table in tables
        if table is not None
        for index in links
        for family in (socket.AF_INET, socket.AF_INET6)
        for m in _table_dump(nl, index, table, family)
    )


def _table_dump(nl: Netlink, oif: int, table: int, family: int) -> list[Any]:
    """One family's routes of ``table`` through ``oif``; a table one family lacks is empty."""
    msg = rtmsg()
    msg["family"] = family
    msg["table"] = table if table < 256 else 0
    msg["attrs"] = [("RTA_TABLE", table), ("RTA_OIF", oif)]
    try:
        return nl.dump(msg, RTM_GETROUTE)
    except NetlinkError as exc:
        if exc.code == errno.ENOENT:  # "FIB table does not exist" (e.g. no IPv6 routes in it)
            return []
        raise


def overlay_neighbours(nl: Netlink, links: dict[int, Any]) -> tuple[Neighbour, ...]:
    """Neighbour entries of overlay devices: the remote nodes' tunnel endpoints."""
    return tuple(
        convert.neighbour(m)
        for index, msg in links.items()
        if convert.linkinfo(msg)[0] in OVERLAY_KINDS
        for m in queries.neighbours(nl, index)
        if convert.neighbour(m).state != "NOARP"
    )
