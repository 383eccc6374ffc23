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
from .nfeval import NAT_ACTIONS, Decision, Packet, internet, network, walk

UNKNOWN_NAT = "unknown (the snapshot holds no iptables/nftables nat rules)"
IPTABLES_TABLES = ("nat", "filter", "mangle", "raw", "security")
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
    """Whether traffic from ``cidr`` to the internet, leaving by ``out_interface``, is NATed."""
    reason = unreadable(view, "nat")
    if reason:
        return Answer("unknown", reason)
    net = network(cidr)
    packet = Packet(net, internet(net.version), out_interface=out_interface)
    decisions, w = walk(view, packet, "postrouting", "nat")
    for d in decisions:
        if d.certain and d.action in NAT_ACTIONS:
            return Answer("yes", f"yes ({where(d)})", d)
    maybe = [d for d in (*w.maybe, *decisions) if d.action in NAT_ACTIONS]
    if maybe:
        return Answer("conditional", f"conditional ({where(maybe[0])})", maybe[0])
    if w.unread:
        return Answer("unknown", f"unknown (jumps to chains not read: {', '.join(w.unread)})")
    via = f" leaving by {out_interface}" if out_interface else ""
    return Answer("no", f"no rule for {net}{via}")


def inter_pod(view: NetnsView, cidr: str, bridge: str) -> Answer:
    """What filter FORWARD does to ``cidr`` → ``cidr`` frames that enter and leave ``bridge``.

    The caller decides whether bridged frames reach iptables at all
    (br_netfilter); this only reads the chains.
    """
    reason = unreadable(view, "filter")
    if reason or view.netfilter is None:
        return Answer("unknown", reason or "unknown (FORWARD rules not collected)")
    net = network(cidr)
    packet = Packet(net, net, in_interface=bridge, out_interface=bridge)
    decisions, w = walk(view, packet, "forward", "filter")
    blocked = [d for d in decisions if d.action in ("drop", "reject")]
    if any(d.certain for d in blocked):
        d = next(d for d in blocked if d.certain)
        return Answer("blocked", f"blocked ({where(d)})", d)
    maybe = [d for d in (*w.maybe, *blocked) if d.action in ("drop", "reject")]
    if maybe:
        return Answer("conditional", f"conditional ({where(maybe[0])})", maybe[0])
    if w.unread:
        return Answer("unknown", f"unknown (jumps to chains not read: {', '.join(w.unread)})")
    if not decisions:
        return Answer("allowed", "allowed (no FORWARD chain filters them)")
    # Cite the rule that accepts them for sure, past conditional accepts before it.
    sure = [d for d in (*w.maybe, *decisions) if d.action == "accept" and d.matched and d.rule]
    cited = sure[0] if sure else decisions[0]
    return Answer("allowed", f"allowed ({where(cited)})", cited)


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
