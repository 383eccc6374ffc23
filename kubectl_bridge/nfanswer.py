"""Masquerade and inter-pod traffic, answered from the snapshot's netfilter chains.

The renderers and findings ask two questions: is this pod subnet
masqueraded when it leaves by the uplink, and may pods on this bridge talk
to each other?  Each answer is ``yes``/``no`` (``allowed``/``blocked``),
``conditional`` (a rule decides only for some packets: a mark, a set, a
partial subnet) or ``unknown`` with the reason, and its text names the rule
in iptables' words, the way an engineer would have found it with
``iptables -t nat -S``.  Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import NetfilterChain, NetfilterRule, NetnsView
from .nfeval import NAT_ACTIONS, Decision, IPNet, Packet, internet, network, unread, walk

UNKNOWN_NAT = "unknown (the snapshot holds no iptables/nftables nat rules)"
IPTABLES_TABLES = ("nat", "filter", "mangle", "raw", "security")
DROPS = ("drop", "reject")
TARGET_WORDS = {"masquerade": "MASQUERADE", "snat": "SNAT", "dnat": "DNAT"}


@dataclass(frozen=True)
class Answer:
    """One answer: ``state`` for code, ``text`` for people, the deciding rule if any."""

    state: str  # yes, no, allowed, blocked, conditional, unknown
    text: str
    decision: Decision | None = None


def unreadable(view: NetnsView, table: str) -> str | None:
    """Why the rules cannot answer (not collected, failed, legacy tables unread); else None."""
    nf = view.netfilter
    if nf is None:
        status = next((s for s in view.sections if s.name == "netfilter"), None)
        if status is not None and not status.ok:
            return f"unknown (could not read the netfilter rules: {status.error})"
        return UNKNOWN_NAT if table == "nat" else None
    legacy_read = "save" in nf.source
    if f"ip/{table}" in nf.legacy_tables and not legacy_read:
        return (
            f"unknown (a legacy iptables {table} table is in use; netlink cannot show it: "
            f"run 'iptables-legacy-save -t {table}' on the node)"
        )
    return None


def masquerade(view: NetnsView, cidr: str, out_interface: str | None) -> Answer:
    """Whether traffic from ``cidr`` to the internet, leaving by ``out_interface``, is NATed.

    ``yes`` when some nat base chain NATs it on every branch (whatever the
    marks and states that split the walk); ``conditional`` when only some
    branches do.
    """
    reason = unreadable(view, "nat")
    if reason:
        return Answer("unknown", reason)
    net = network(cidr)
    packet = Packet(net, internet(net.version), out_interface=out_interface)
    decided = _decide(walk(view, packet, "postrouting", "nat"), NAT_ACTIONS, "yes", net)
    if decided:
        return decided
    via = f" leaving by {out_interface}" if out_interface else ""
    return Answer("no", f"no rule for {net}{via}")


def inter_pod(view: NetnsView, cidr: str, bridge: str) -> Answer:
    """What filter FORWARD does to ``cidr`` → ``cidr`` frames that enter and leave ``bridge``.

    The caller decides whether bridged frames reach iptables at all
    (br_netfilter); this only reads the chains.  Every forward base chain
    must let a packet pass; one that drops it on every branch blocks it.
    """
    reason = unreadable(view, "filter")
    if reason or view.netfilter is None:
        return Answer("unknown", reason or "unknown (FORWARD rules not collected)")
    net = network(cidr)
    packet = Packet(net, net, in_interface=bridge, out_interface=bridge)
    per_base = walk(view, packet, "forward", "filter")
    decided = _decide(per_base, DROPS, "blocked", net)
    if decided:
        return decided
    if not per_base:
        return Answer("allowed", "allowed (no FORWARD chain filters them)")
    best = _cite([d for outs in per_base for d in outs], net)
    return Answer("allowed", f"allowed ({where(best)})", best)


def _decide(
    per_base: list[list[Decision]], actions: tuple[str, ...], sure: str, net: IPNet
) -> Answer | None:
    """``sure`` when one base chain takes ``actions`` on every branch, else ``conditional``.

    Both questions share this reading of a walk: one base chain that always
    acts settles it; an action on only some branches (a mark, a set) makes
    it conditional; a jump into a chain we did not read makes it unknown.
    None when no rule takes any of ``actions``: the caller words the "no".
    """
    for outs in per_base:
        if all(d.action in actions for d in outs):
            best = _cite(outs, net)
            return Answer(sure, f"{sure} ({where(best)})", best)
    hits = [d for outs in per_base for d in outs if d.action in actions]
    if hits:
        best = _cite(hits, net)
        return Answer("conditional", f"conditional ({where(best)})", best)
    missing = [name for outs in per_base for name in unread(outs)]
    if missing:
        return Answer("unknown", f"unknown (jumps to chains not read: {', '.join(missing)})")
    return None


def _cite(decisions: list[Decision], net: IPNet) -> Decision:
    """The decision to name: a sure one, a rule naming the subnet, a rule over a policy."""

    def rank(d: Decision) -> tuple[bool, bool, bool, bool]:
        source = d.rule.source if d.rule and not d.rule.negate_source else None
        other = network(source) if source else None
        own = other is not None and other.version == net.version and net.subnet_of(other)  # type: ignore[arg-type]
        return (not d.certain, not own, not d.matched, d.rule is None)

    return min(decisions, key=rank)


def where(d: Decision) -> str:
    """``iptables nat POSTROUTING: -s 172.17.0.0/16 ! -o docker0 MASQUERADE``."""
    if d.rule is None:
        return f"{chain_label(d.chain)} policy {d.action.upper()}"
    return f"{chain_label(d.chain)}: {rule_text(d.rule)}"


def chain_label(chain: NetfilterChain) -> str:
    """The name iptables gives iptables-nft and legacy chains; nft's for native ones."""
    if chain.family in ("ip", "ip6") and chain.table in IPTABLES_TABLES:
        tool = "iptables" if chain.family == "ip" else "ip6tables"
        return f"{tool} {chain.table} {chain.name}"
    return f"nft {chain.family} {chain.table} {chain.name}"


def rule_text(rule: NetfilterRule) -> str:
    """A rule as ``iptables -S`` would print it, without ``-A CHAIN`` and ``-j``."""
    words: list[str] = []
    for value, negate, flag in (
        (rule.source, rule.negate_source, "-s"),
        (rule.destination, rule.negate_destination, "-d"),
        (rule.in_interface, rule.negate_in, "-i"),
        (rule.out_interface, rule.negate_out, "-o"),
    ):
        if value is not None:
            words.append(f"{'! ' if negate else ''}{flag} {value}")
    words += list(rule.conditions)
    words.append(_target(rule))
    return " ".join(words)


def _target(rule: NetfilterRule) -> str:
    if rule.action in ("jump", "goto"):
        return f"{'-j' if rule.action == 'jump' else '-g'} {rule.target_chain}"
    word = TARGET_WORDS.get(rule.action, rule.action.upper())
    if rule.to_address:
        option = "--to-destination" if rule.action == "dnat" else "--to-source"
        return f"{word} {option} {rule.to_address}"
    return word
