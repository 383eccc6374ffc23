"""Decoded netlink messages → model objects, with the names ``ip`` and ``brctl`` print.

Pure functions over pyroute2 messages (anything with ``get_attr`` and item
access), so the names and units live in one place: flags as ``ip link``
lists them, route scopes and protocols as ``ip route`` words, ageing timers
in seconds (``NDA_CACHEINFO`` counts USER_HZ ticks), bridge ids in brctl
form (``8000.0242a58591b6``).
"""

from __future__ import annotations

import socket
from typing import Any

from .. import model

USER_HZ = 100
AF_BRIDGE = 7
NUD_PERMANENT = 0x80
NTF_PROXY = 0x08
NTF_ROUTER = 0x80

IFF_NAMES = (  # bit, name, in the order ip link prints them
    (0x8, "LOOPBACK"), (0x2, "BROADCAST"), (0x10, "POINTOPOINT"), (0x1000, "MULTICAST"),
    (0x80, "NOARP"), (0x200, "ALLMULTI"), (0x100, "PROMISC"), (0x400, "MASTER"),
    (0x800, "SLAVE"), (0x1, "UP"), (0x10000, "LOWER_UP"), (0x20000, "DORMANT"),
)  # fmt: skip
IFF_UP, IFF_LOWER_UP = 0x1, 0x10000
NUD_NAMES = ((0x01, "INCOMPLETE"), (0x02, "REACHABLE"), (0x04, "STALE"), (0x08, "DELAY"),
             (0x10, "PROBE"), (0x20, "FAILED"), (0x40, "NOARP"), (0x80, "PERMANENT"))  # fmt: skip
SCOPES = {0: "universe", 200: "site", 253: "link", 254: "host", 255: "nowhere"}
PROTOCOLS = {0: "unspec", 1: "redirect", 2: "kernel", 3: "boot", 4: "static", 8: "gated",
             9: "ra", 10: "mrt", 11: "zebra", 12: "bird", 16: "dhcp", 42: "babel",
             186: "bgp", 187: "isis", 188: "ospf", 189: "rip", 192: "eigrp"}  # fmt: skip
ROUTE_TYPES = {0: "unspec", 1: "unicast", 2: "local", 3: "broadcast", 4: "anycast",
               5: "multicast", 6: "blackhole", 7: "unreachable", 8: "prohibit", 9: "throw",
               10: "nat"}  # fmt: skip
RULE_ACTIONS = {1: "lookup", 2: "goto", 3: "nop", 6: "blackhole", 7: "unreachable",
                8: "prohibit"}  # fmt: skip
PORT_STATES = {0: "disabled", 1: "listening", 2: "learning", 3: "forwarding", 4: "blocking"}
STATS_FIELDS = {  # model.Stats field: IFLA_STATS64 key
    "rx_bytes": "rx_bytes", "rx_packets": "rx_packets", "rx_errors": "rx_errors",
    "rx_dropped": "rx_dropped", "rx_overrun": "rx_over_errors", "rx_multicast": "multicast",
    "tx_bytes": "tx_bytes", "tx_packets": "tx_packets", "tx_errors": "tx_errors",
    "tx_dropped": "tx_dropped", "tx_carrier": "tx_carrier_errors", "tx_collisions": "collisions",
}  # fmt: skip


def family(af: int) -> int:
    """Address family as the model spells it: 4 or 6."""
    return 6 if af == socket.AF_INET6 else 4


def link_flags(flags: int) -> tuple[str, ...]:
    """``<NO-CARRIER,BROADCAST,MULTICAST,UP>`` as a tuple, like ``ip link``."""
    names = tuple(name for bit, name in IFF_NAMES if flags & bit)
    if flags & IFF_UP and not flags & IFF_LOWER_UP:
        names = ("NO-CARRIER", *names)
    return names


def linkinfo(msg: Any) -> tuple[str, str, Any, Any]:
    """(kind, slave kind, info data, slave data) from IFLA_LINKINFO."""
    info = msg.get_attr("IFLA_LINKINFO")
    if info is None:
        return "", "", None, None
    return (
        info.get_attr("IFLA_INFO_KIND") or "",
        info.get_attr("IFLA_INFO_SLAVE_KIND") or "",
        info.get_attr("IFLA_INFO_DATA"),
        info.get_attr("IFLA_INFO_SLAVE_DATA"),
    )


def link(msg: Any) -> model.Link:
    """An RTM_NEWLINK message as a ``model.Link``."""
    kind, slave_kind, _, _ = linkinfo(msg)
    index = msg["index"]
    peer = msg.get_attr("IFLA_LINK")
    netnsid = msg.get_attr("IFLA_LINK_NETNSID")
    raw = msg.get_attr("IFLA_STATS64")
    stats = None
    if raw is not None:
        stats = model.Stats(**{k: int(raw.get(v, 0)) for k, v in STATS_FIELDS.items()})
    return model.Link(
        ifindex=index,
        name=msg.get_attr("IFLA_IFNAME") or f"if{index}",
        kind=kind,
        mac=msg.get_attr("IFLA_ADDRESS"),
        mtu=msg.get_attr("IFLA_MTU") or 0,
        operstate=msg.get_attr("IFLA_OPERSTATE") or "UNKNOWN",
        flags=link_flags(msg["flags"]),
        master=msg.get_attr("IFLA_MASTER"),
        peer_ifindex=peer if peer is not None and (peer != index or netnsid is not None) else None,
        link_netnsid=netnsid,
        slave_kind=slave_kind,
        stats=stats,
    )


def bridge(msg: Any) -> model.Bridge:
    """A bridge's own settings; the bridge id is priority (hex 4) + MAC."""
    _, _, data, _ = linkinfo(msg)
    attr = data.get_attr if data is not None else (lambda _name: None)
    priority = attr("IFLA_BR_PRIORITY")
    mac = (msg.get_attr("IFLA_ADDRESS") or "").replace(":", "")
    nf_call = attr("IFLA_BR_NF_CALL_IPTABLES")
    return model.Bridge(
        ifindex=msg["index"],
        name=msg.get_attr("IFLA_IFNAME") or "",
        bridge_id=f"{priority if priority is not None else 0x8000:04x}.{mac}",
        stp=bool(attr("IFLA_BR_STP_STATE")),
        ageing_time=(attr("IFLA_BR_AGEING_TIME") or 0) / USER_HZ,
        vlan_filtering=bool(attr("IFLA_BR_VLAN_FILTERING")),
        nf_call_iptables=None if nf_call is None else bool(nf_call),
        forward_delay=(attr("IFLA_BR_FORWARD_DELAY") or 0) / USER_HZ,
    )


def bridge_port(msg: Any) -> model.BridgePort | None:
    """A bridge port from IFLA_INFO_SLAVE_DATA; None if the link is not one."""
    _, slave_kind, _, data = linkinfo(msg)
    master = msg.get_attr("IFLA_MASTER")
    if slave_kind != "bridge" or data is None or master is None:
        return None
    return model.BridgePort(
        ifindex=msg["index"],
        name=msg.get_attr("IFLA_IFNAME") or "",
        bridge_ifindex=master,
        port_no=data.get_attr("IFLA_BRPORT_NO") or 0,
        state=PORT_STATES.get(data.get_attr("IFLA_BRPORT_STATE"), "unknown"),
        learning=bool(data.get_attr("IFLA_BRPORT_LEARNING")),
        hairpin=bool(data.get_attr("IFLA_BRPORT_MODE")),
    )


def address(msg: Any) -> model.Address:
    """An RTM_NEWADDR message; IFA_LOCAL is the local end on point-to-point links."""
    return model.Address(
        ifindex=msg["index"],
        family=family(msg["family"]),
        address=msg.get_attr("IFA_LOCAL") or msg.get_attr("IFA_ADDRESS") or "",
        prefixlen=msg["prefixlen"],
        scope="global" if msg["scope"] == 0 else SCOPES.get(msg["scope"], str(msg["scope"])),
    )


def route(msg: Any) -> model.Route:
    """An RTM_NEWROUTE message; ``destination`` is "default" or a CIDR."""
    dst = msg.get_attr("RTA_DST")
    return model.Route(
        family=family(msg["family"]),
        destination=f"{dst}/{msg['dst_len']}" if dst else "default",
        table=msg.get_attr("RTA_TABLE") or msg["table"],
        gateway=msg.get_attr("RTA_GATEWAY"),
        oif=msg.get_attr("RTA_OIF"),
        prefsrc=msg.get_attr("RTA_PREFSRC"),
        scope=SCOPES.get(msg["scope"], str(msg["scope"])),
        protocol=PROTOCOLS.get(msg["proto"], str(msg["proto"])),
        type=ROUTE_TYPES.get(msg["type"], str(msg["type"])),
        metric=msg.get_attr("RTA_PRIORITY"),
    )


def rule(msg: Any) -> model.Rule:
    """An RTM_NEWRULE message (``ip rule``)."""
    src, dst = msg.get_attr("FRA_SRC"), msg.get_attr("FRA_DST")
    return model.Rule(
        family=family(msg["family"]),
        priority=msg.get_attr("FRA_PRIORITY") or 0,
        table=msg.get_attr("FRA_TABLE") or msg["table"],
        action=RULE_ACTIONS.get(msg["action"], str(msg["action"])),
        src=f"{src}/{msg['src_len']}" if src else None,
        dst=f"{dst}/{msg['dst_len']}" if dst else None,
        iif=msg.get_attr("FRA_IIFNAME"),
        oif=msg.get_attr("FRA_OIFNAME"),
        fwmark=msg.get_attr("FRA_FWMARK"),
    )


def nud_state(state: int) -> str:
    """NUD bits as ``ip neigh`` words; 0 is NONE."""
    names = [name for bit, name in NUD_NAMES if state & bit]
    return ",".join(names) if names else "NONE"


def neighbour(msg: Any) -> model.Neighbour:
    """An ARP/NDP entry (RTM_NEWNEIGH, family inet/inet6)."""
    return model.Neighbour(
        ifindex=msg["ifindex"],
        family=family(msg["family"]),
        address=msg.get_attr("NDA_DST") or "",
        mac=msg.get_attr("NDA_LLADDR"),
        state=nud_state(msg["state"]),
        is_router=bool(msg["flags"] & NTF_ROUTER),
        is_proxy=bool(msg["flags"] & NTF_PROXY),
    )


def fdb_entry(msg: Any, port_numbers: dict[int, int]) -> model.FdbEntry | None:
    """A bridge FDB row as brctl showmacs prints it.

    None for a port's own (``self``) address-list rows: not the bridge's table.
    """
    master = msg.get_attr("NDA_MASTER")
    if master is None:
        return None
    cache = msg.get_attr("NDA_CACHEINFO") or {}
    port = msg["ifindex"]
    is_local = bool(msg["state"] & NUD_PERMANENT)
    return model.FdbEntry(
        bridge_ifindex=master,
        port_ifindex=port,
        port_no=port_numbers.get(port, 0),
        mac=msg.get_attr("NDA_LLADDR") or "",
        is_local=is_local,
        # brctl shows 0.00 for local entries: they never age
        ageing=0.0 if is_local else round(cache.get("ndm_updated", 0) / USER_HZ, 2),
        vlan=msg.get_attr("NDA_VLAN"),
    )


def route_lookup(destination: str, msg: Any | None, error: str | None) -> model.RouteLookup:
    """The answer to ``ip route get`` (or why there is none)."""
    fam = 6 if ":" in destination else 4
    if msg is None:
        return model.RouteLookup(destination, fam, type="", error=error or "no route")
    return model.RouteLookup(
        destination=destination,
        family=fam,
        type=ROUTE_TYPES.get(msg["type"], str(msg["type"])),
        table=msg.get_attr("RTA_TABLE") or msg["table"],
        gateway=msg.get_attr("RTA_GATEWAY"),
        oif=msg.get_attr("RTA_OIF"),
        prefsrc=msg.get_attr("RTA_PREFSRC"),
        error=None,
    )
