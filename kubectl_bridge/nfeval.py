"""Run a packet through the snapshot's netfilter chains, on paper.

Two questions from the seed (S10, S11): does the node masquerade a pod
subnet on its way out of the uplink (Docker's ``enable_ip_masquerade``),
and does the node's FORWARD chain drop frames between pods on a bridge
(``enable_icc``)?  The answer follows the chains as the kernel does: base
chains in priority order, rules in order, jumps and gotos, RETURN, the
policy at the end.  Each match is true, false or "depends" (a mark, a
conntrack state, a set, an unread chain): a decision reached through a
"depends" is reported as conditional, never as certain.  Pure.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from .model import NetfilterChain, NetfilterRule, NetnsView

IPNet = ipaddress.IPv4Network | ipaddress.IPv6Network
#: "The internet", as the agent's egress probe names it (``stitch_l3.EGRESS_PROBES``).
INTERNET = {4: ipaddress.ip_network("1.1.1.1/32"), 6: ipaddress.ip_network("2606:4700:4700::1111")}
NAT_ACTIONS = ("masquerade", "snat")
#: Actions that end a chain walk, per question.
NAT_STOP = ("masquerade", "snat", "accept", "drop", "reject")
FILTER_STOP = ("accept", "drop", "reject")
MAX_DEPTH = 16


@dataclass(frozen=True)
class Packet:
    """What the kernel would see: addresses (a subnet stands for any of its pods) and devices."""

    source: IPNet
    destination: IPNet
    in_interface: str | None = None
    out_interface: str | None = None

    @property
    def family(self) -> int:
        """4 or 6."""
        return self.source.version


@dataclass(frozen=True)
class Decision:
    """The rule that decided, and whether every match on the way to it was certain."""

    action: str
    chain: NetfilterChain
    rule: NetfilterRule | None  # None: the chain's policy
    certain: bool
    #: the rule's own matches hold for the packet (``certain`` also needs the way there)
    matched: bool = True


@dataclass
class Walk:
    """One packet through one hook's chains; remembers the "depends" on the way."""

    packet: Packet
    chains: dict[tuple[str, str, str], NetfilterChain]
    stops: tuple[str, ...]
    certain: bool = True
    maybe: list[Decision] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)

    def run(self, chain: NetfilterChain, depth: int = 0) -> Decision | None:
        """The decision in ``chain`` (and what it jumps to); None if it falls through."""
        for rule in chain.rules:
            m = matches(rule, self.packet, chain.family)
            if m is False:
                continue
            if rule.action in self.stops:
                decision = Decision(rule.action, chain, rule, self.certain and m is True, m is True)
                if decision.certain:
                    return decision
                self.maybe.append(decision)
                self.certain = False
            elif rule.action == "return":
                if m is True:
                    return None
                self.certain = False
            elif rule.action in ("jump", "goto"):
                found = self._jump(chain, rule, m is True, depth)
                if found is not None or (rule.action == "goto" and m is True):
                    return found
        return None

    def _jump(
        self, chain: NetfilterChain, rule: NetfilterRule, sure: bool, depth: int
    ) -> Decision | None:
        target = self.chains.get((chain.family, chain.table, rule.target_chain or ""))
        if target is None or depth >= MAX_DEPTH:
            self.unread.append(f"{chain.table}/{rule.target_chain}")
            self.certain = False
            return None
        if sure:
            return self.run(target, depth + 1)
        # Only some packets jump: what the target decides is conditional for all.
        before, seen = self.certain, (len(self.maybe), len(self.unread))
        self.certain = False
        self.run(target, depth + 1)
        self.certain = before and (len(self.maybe), len(self.unread)) == seen
        return None


def matches(rule: NetfilterRule, packet: Packet, chain_family: str) -> bool | None:
    """True, False, or None for "depends" (a match we cannot decide for the packet)."""
    if rule.family is not None and rule.family != packet.family:
        return False
    if chain_family in ("ip", "ip6") and {"ip": 4, "ip6": 6}[chain_family] != packet.family:
        return False
    results = [
        _net(rule.source, rule.negate_source, packet.source),
        _net(rule.destination, rule.negate_destination, packet.destination),
        _iface(rule.in_interface, rule.negate_in, packet.in_interface),
        _iface(rule.out_interface, rule.negate_out, packet.out_interface),
        None if rule.conditions else True,
    ]
    if False in results:
        return False
    return None if None in results else True


def _net(cidr: str | None, negate: bool, net: IPNet) -> bool | None:
    if cidr is None:
        return True
    rule_net = ipaddress.ip_network(cidr, strict=False)
    if rule_net.version != net.version:
        return negate
    if net.subnet_of(rule_net):  # type: ignore[arg-type]
        return not negate
    if not net.overlaps(rule_net):
        return negate
    return None  # some of the subnet's pods match, some do not


def _iface(pattern: str | None, negate: bool, name: str | None) -> bool | None:
    if pattern is None:
        return True
    if name is None:
        return None
    hit = name.startswith(pattern[:-1]) if pattern.endswith("+") else name == pattern
    return hit != negate


def base_chains(view: NetnsView, hook: str, type_: str, family: int) -> list[NetfilterChain]:
    """The base chains a packet of ``family`` meets at ``hook``, in priority order."""
    nf = view.netfilter
    if nf is None:
        return []
    fams = ("ip" if family == 4 else "ip6", "inet")
    found = [c for c in nf.chains if c.hook == hook and c.type == type_ and c.family in fams]
    return sorted(found, key=lambda c: c.priority or 0)


def walk(view: NetnsView, packet: Packet, hook: str, type_: str) -> tuple[list[Decision], Walk]:
    """Every base chain's decision (policy included for filter chains)."""
    nf = view.netfilter
    index = {(c.family, c.table, c.name): c for c in (nf.chains if nf else ())}
    w = Walk(packet, index, NAT_STOP if type_ == "nat" else FILTER_STOP)
    decisions = []
    for chain in base_chains(view, hook, type_, packet.family):
        w.certain = True  # each base chain sees the packet afresh
        decision = w.run(chain)
        if decision is None and type_ == "filter" and chain.policy:
            decision = Decision(chain.policy, chain, None, w.certain)
        if decision is not None:
            decisions.append(decision)
    return decisions, w


def network(cidr: str) -> IPNet:
    """``172.17.0.1/16`` → ``172.17.0.0/16``; a bare address is a host network."""
    return ipaddress.ip_interface(cidr).network


def internet(family: int) -> IPNet:
    """The destination that stands for "anywhere beyond the node"."""
    return INTERNET[family]
