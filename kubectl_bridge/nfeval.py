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
from dataclasses import dataclass

from .model import NetfilterChain, NetfilterRule, NetnsView

IPNet = ipaddress.IPv4Network | ipaddress.IPv6Network
#: "The internet", as the agent's egress probe names it (``stitch_l3.EGRESS_PROBES``).
INTERNET = {4: ipaddress.ip_network("1.1.1.1/32"), 6: ipaddress.ip_network("2606:4700:4700::1111")}
NAT_ACTIONS = ("masquerade", "snat")
#: Actions that end a chain walk, per question.
NAT_STOP = ("masquerade", "snat", "accept", "drop", "reject")
FILTER_STOP = ("accept", "drop", "reject")
MAX_DEPTH = 16
MAX_BRANCHES = 256


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
    """One way the packet can end: the rule (or policy) that decides, and how surely.

    ``certain``: no "depends" on the way to it.  ``matched``: the deciding
    rule's own matches hold for the packet.  Actions besides the rules' own:
    ``fallthrough`` (the base chain ends without a verdict: its policy) and
    ``unread`` (a jump into a chain the snapshot does not hold).
    """

    action: str
    chain: NetfilterChain
    rule: NetfilterRule | None  # None: the chain's policy
    certain: bool
    matched: bool = True


Frames = tuple[tuple[NetfilterChain, int], ...]


@dataclass
class Walk:
    """Every way one packet can go through one base chain (and what it jumps to).

    A match that "depends" splits the walk: one branch takes the rule, one
    skips it.  The outcomes of all branches together say whether the answer
    is the same whatever the packet's mark or state (``yes``) or not
    (``conditional``).  ``MAX_BRANCHES`` bounds the splitting.
    """

    packet: Packet
    chains: dict[tuple[str, str, str], NetfilterChain]
    stops: tuple[str, ...]
    branches: int = 0

    def outcomes(self, base: NetfilterChain) -> list[Decision]:
        """All outcomes for the packet entering ``base``."""
        return self._explore(((base, 0),), base, certain=True)

    def _explore(self, frames: Frames, base: NetfilterChain, certain: bool) -> list[Decision]:
        while frames:
            chain, i = frames[-1]
            if i >= len(chain.rules):  # end of a chain: back to the rule after the jump
                frames = frames[:-1]
                continue
            rule = chain.rules[i]
            frames = (*frames[:-1], (chain, i + 1))
            m = matches(rule, self.packet, chain.family)
            if m is False or rule.action not in (*self.stops, "return", "jump", "goto"):
                continue
            if m is None:
                self.branches += 1
                if self.branches > MAX_BRANCHES:
                    return [Decision("unread", chain, rule, False, False)]
                taken = self._take(rule, chain, frames, base, certain=False, matched=False)
                return taken + self._explore(frames, base, certain=False)
            return self._take(rule, chain, frames, base, certain=certain, matched=True)
        return [Decision("fallthrough", base, None, certain)]

    def _take(
        self, rule: NetfilterRule, chain: NetfilterChain, frames: Frames, base: NetfilterChain,
        *, certain: bool, matched: bool,
    ) -> list[Decision]:  # fmt: skip
        if rule.action in self.stops:
            return [Decision(rule.action, chain, rule, certain, matched)]
        if rule.action == "return":
            return self._explore(frames[:-1], base, certain)
        target = self.chains.get((chain.family, chain.table, rule.target_chain or ""))
        if target is None or len(frames) > MAX_DEPTH:
            return [Decision("unread", chain, rule, certain, matched)]
        rest = frames if rule.action == "jump" else frames[:-1]
        return self._explore((*rest, (target, 0)), base, certain)


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


def walk(view: NetnsView, packet: Packet, hook: str, type_: str) -> list[list[Decision]]:
    """The outcomes in each base chain at ``hook``; a fall-through becomes the policy."""
    nf = view.netfilter
    index = {(c.family, c.table, c.name): c for c in (nf.chains if nf else ())}
    stops = NAT_STOP if type_ == "nat" else FILTER_STOP
    found = []
    for chain in base_chains(view, hook, type_, packet.family):
        outs = Walk(packet, index, stops).outcomes(chain)
        found.append([_policy(d) for d in outs])
    return found


def _policy(d: Decision) -> Decision:
    if d.action != "fallthrough" or d.chain.type == "nat":
        return d
    return Decision(d.chain.policy or "accept", d.chain, None, d.certain)


def unread(outcomes: list[Decision]) -> list[str]:
    """``table/chain`` of the jump targets the snapshot does not hold."""
    return [
        f"{d.chain.table}/{d.rule.target_chain if d.rule else '?'}"
        for d in outcomes
        if d.action == "unread"
    ]


def network(cidr: str) -> IPNet:
    """``172.17.0.1/16`` → ``172.17.0.0/16``; a bare address is a host network."""
    return ipaddress.ip_interface(cidr).network


def internet(family: int) -> IPNet:
    """The destination that stands for "anywhere beyond the node"."""
    return INTERNET[family]
