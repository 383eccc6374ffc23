"""Whole-namespace views: every link, address, route, bridge and FDB row.

Used for a pod's own namespace (a handful of interfaces) and for node-wide
snapshots.  Each section is collected on its own: a section that fails (no
permission, module not loaded) is reported in ``sections`` and the rest
still arrive.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ..model import (
    Bridge,
    BridgePort,
    FdbEntry,
    Link,
    Neighbour,
    NetnsView,
    SectionStatus,
    Sysctls,
)
from . import convert, queries, sysctl
from .rtnl import Netlink, strerror

T = TypeVar("T")
NUD_NOARP_NAME = "NOARP"


class Sections:
    """Runs each section, remembering whether it worked."""

    def __init__(self) -> None:
        self.status: list[SectionStatus] = []

    def run(self, name: str, work: Callable[[], T]) -> T | None:
        """``work()``, or None with the failure recorded under ``name``."""
        try:
            value = work()
        except Exception as exc:  # any failure belongs to this section only
            self.status.append(SectionStatus(name, ok=False, error=strerror(exc)))
            return None
        self.status.append(SectionStatus(name, ok=True))
        return value

    def same_as(self, name: str, source: str) -> None:
        """Record ``name`` as derived from section ``source``: it fares the same."""
        for st in self.status:
            if st.name == source:
                self.status.append(SectionStatus(name, ok=st.ok, error=st.error))
                return


def visible_neighbours(entries: list[Neighbour]) -> tuple[Neighbour, ...]:
    """As ``ip neigh`` shows them: NOARP (multicast/broadcast mappings) are hidden."""
    return tuple(n for n in entries if n.state != NUD_NOARP_NAME)


def fdb_rows(nl: Netlink, bridges: list[int], ports: dict[int, int]) -> tuple[FdbEntry, ...]:
    """The bridges' forwarding databases (rows of the bridge, not ``self`` rows)."""
    rows = []
    for br in bridges:
        for msg in queries.fdb(nl, br):
            entry = convert.fdb_entry(msg, ports)
            if entry is not None and entry.bridge_ifindex == br:
                rows.append(entry)
    return tuple(rows)


def full_view(nl: Netlink, netns_path: str | None) -> NetnsView:
    """Everything in one namespace (``netns_path`` None: the agent's own)."""
    s = Sections()
    raw = s.run("links", lambda: queries.links(nl)) or []
    links = tuple(convert.link(m) for m in raw)
    bridges: tuple[Bridge, ...] = tuple(convert.bridge(m) for m in raw if _kind(m) == "bridge")
    ports = tuple(p for p in (convert.bridge_port(m) for m in raw) if p is not None)
    addresses = (
        s.run("addresses", lambda: tuple(convert.address(m) for m in queries.addresses(nl))) or ()
    )
    routes = s.run("routes", lambda: tuple(convert.route(m) for m in queries.routes(nl))) or ()
    rules = s.run("rules", lambda: tuple(convert.rule(m) for m in queries.rules(nl))) or ()
    neighbours = (
        s.run(
            "neighbours",
            lambda: visible_neighbours([convert.neighbour(m) for m in queries.neighbours(nl)]),
        )
        or ()
    )
    s.same_as("bridges", "links")
    s.same_as("ports", "links")
    fdb = (
        s.run("fdb", lambda: fdb_rows(nl, [b.ifindex for b in bridges], _port_numbers(ports))) or ()
    )
    sysctls = read_sysctls(s, netns_path, links)
    return NetnsView(
        links=links,
        addresses=addresses,
        routes=routes,
        rules=rules,
        neighbours=neighbours,
        bridges=bridges,
        ports=ports,
        fdb=fdb,
        sysctls=sysctls,
        sections=tuple(s.status),
    )


def read_sysctls(s: Sections, netns_path: str | None, links: tuple[Link, ...]) -> Sysctls | None:
    """The sysctls section, for the interfaces given."""
    names = [lk.name for lk in links if lk.name != "lo"]
    return s.run("sysctls", lambda: sysctl.read(netns_path, names))


def _kind(msg: object) -> str:
    return convert.linkinfo(msg)[0]


def _port_numbers(ports: tuple[BridgePort, ...]) -> dict[int, int]:
    return {p.ifindex: p.port_no for p in ports}
