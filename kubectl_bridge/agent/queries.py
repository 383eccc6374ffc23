"""The netlink requests the collector makes, each one kernel round trip.

Dumps name their filters in the request (ifindex, master, table, oif), and
the socket has strict checking on, so the kernel filters: a pod's query
never walks the other pods' links, FDB rows or routes.
"""

from __future__ import annotations

import os
import socket
from typing import Any

from pyroute2.netlink.rtnl import (
    RTM_GETADDR,
    RTM_GETLINK,
    RTM_GETNEIGH,
    RTM_GETNSID,
    RTM_GETROUTE,
    RTM_GETRULE,
)
from pyroute2.netlink.rtnl.fibmsg import fibmsg
from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
from pyroute2.netlink.rtnl.ndmsg import ndmsg
from pyroute2.netlink.rtnl.nsidmsg import nsidmsg
from pyroute2.netlink.rtnl.rtmsg import rtmsg

from .convert import AF_BRIDGE
from .rtnl import Netlink

RT_TABLE_MAIN = 254
RTM_F_LOOKUP_TABLE = 0x1000
NETNSA_NSID_NOT_ASSIGNED = -1  # arrives as 0xffffffff: the attribute is a u32


def links(nl: Netlink) -> list[Any]:
    """Every link of the namespace."""
    return nl.dump(ifinfmsg(), RTM_GETLINK)


def link(nl: Netlink, ifindex: int) -> Any | None:
    """One link by index."""
    msg = ifinfmsg()
    msg["index"] = ifindex
    return nl.get(msg, RTM_GETLINK)


def addresses(nl: Netlink, ifindex: int = 0) -> list[Any]:
    """Addresses of one interface (or all, for ifindex 0), both families."""
    out = []
    for af in (socket.AF_INET, socket.AF_INET6):
        msg = ifaddrmsg()
        msg["family"] = af
        msg["index"] = ifindex
        out += nl.dump(msg, RTM_GETADDR)
    return out


def routes(nl: Netlink, oif: int | None = None, table: int = RT_TABLE_MAIN) -> list[Any]:
    """Routes of one table, optionally only those leaving through ``oif``."""
    out = []
    for af in (socket.AF_INET, socket.AF_INET6):
        msg = rtmsg()
        msg["family"] = af
        msg["table"] = table if table < 256 else 0
        attrs: list[tuple[str, int]] = [("RTA_TABLE", table)]
        if oif is not None:
            attrs.append(("RTA_OIF", oif))
        msg["attrs"] = attrs
        out += nl.dump(msg, RTM_GETROUTE)
    return out


def rules(nl: Netlink) -> list[Any]:
    """Policy routing rules, both families."""
    out = []
    for af in (socket.AF_INET, socket.AF_INET6):
        msg = fibmsg()
        msg["family"] = af
        out += nl.dump(msg, RTM_GETRULE)
    return out


def neighbours(nl: Netlink, ifindex: int = 0) -> list[Any]:
    """ARP and NDP entries, of one interface or all."""
    out = []
    for af in (socket.AF_INET, socket.AF_INET6):
        msg = ndmsg()
        msg["family"] = af
        if ifindex:  # strict dumps take the filter as an attribute, not in the header
            msg["attrs"] = [("NDA_IFINDEX", ifindex)]
        out += nl.dump(msg, RTM_GETNEIGH)
    return out


def neighbour(nl: Netlink, ifindex: int, address: str) -> Any | None:
    """One neighbour entry: ``ip neigh get ADDRESS dev IFINDEX``."""
    msg = ndmsg()
    msg["family"] = socket.AF_INET6 if ":" in address else socket.AF_INET
    msg["ifindex"] = ifindex
    msg["attrs"] = [("NDA_DST", address)]
    return nl.get(msg, RTM_GETNEIGH)


def fdb(nl: Netlink, bridge: int, port: int = 0) -> list[Any]:
    """A bridge's forwarding database, or only the rows on one of its ports."""
    msg = ndmsg()
    msg["family"] = AF_BRIDGE
    msg["ifindex"] = port
    msg["attrs"] = [("NDA_MASTER", bridge)]
    return nl.dump(msg, RTM_GETNEIGH)


def route_get(
    nl: Netlink, destination: str, *, source: str | None = None, iif: int | None = None
) -> Any | None:
    """The kernel's own lookup: ``ip route get DEST [from SRC iif DEV]``."""
    msg = rtmsg()
    v6 = ":" in destination
    msg["family"] = socket.AF_INET6 if v6 else socket.AF_INET
    msg["dst_len"] = 128 if v6 else 32
    attrs: list[tuple[str, Any]] = [("RTA_DST", destination)]
    if source:
        msg["src_len"] = msg["dst_len"]
        attrs.append(("RTA_SRC", source))
    if iif is not None:
        attrs.append(("RTA_IIF", iif))
    msg["attrs"] = attrs
    if not v6:
        # without it IPv4 reports every answer as table main, even when a policy
        # rule chose another (``ip route get`` sets it); IPv6 always reports the
        # real table and refuses the flag
        msg["flags"] = RTM_F_LOOKUP_TABLE
    return nl.get(msg, RTM_GETROUTE)


def nsid_of(nl: Netlink, netns_path: str) -> int | None:
    """The id this socket's namespace has for the one at ``netns_path``.

    A read: no id is assigned when there is none (the kernel assigns one
    itself when it reports a veth whose peer lives there).
    """
    fd = os.open(netns_path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        msg = nsidmsg()
        msg["attrs"] = [("NETNSA_FD", fd)]
        answer = nl.get(msg, RTM_GETNSID)
    finally:
        os.close(fd)
    if answer is None:
        return None
    nsid = answer.get_attr("NETNSA_NSID")
    if nsid is None or nsid in (NETNSA_NSID_NOT_ASSIGNED, 0xFFFFFFFF):
        return None
    return int(nsid)
