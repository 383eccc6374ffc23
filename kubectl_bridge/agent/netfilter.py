"""Read the node's nat POSTROUTING and filter FORWARD chains (S10, S11).

Whether the uplink shows a pod's address or the node's (masquerade), and
whether pods on a bridge may talk to each other (Docker's ``enable_icc``),
are decided by netfilter rules.  We read them over nftables netlink, which
also shows iptables-nft's rules (Debian's ``iptables`` 1.8.9 is that
backend): first the tables, then only the base chains hooked at
postrouting (type nat) and forward (type filter), then the chains their
rules jump to, each by a rule dump the kernel filters by table and chain.
A node with tens of thousands of kube-proxy rules therefore costs a handful
of chains, not the whole ruleset.

Legacy x_tables (``iptables-legacy``) are invisible to netlink; their
presence shows in ``/proc/net/ip_tables_names``, and when an
``iptables-save`` binary is on PATH we read them with it (``iptsave``).
"""

from __future__ import annotations

import errno
from collections import deque
from typing import Any

from pyroute2.netlink.exceptions import NetlinkError

from ..model import Netfilter, NetfilterChain
from . import nftdecode
from .nfnl import Nftables
from .nsthread import run_in_netns
from .rtnl import strerror

HOOKS = ("prerouting", "input", "forward", "output", "postrouting")
#: The base chains that decide what we report: (hook, chain type).
WANTED = {("postrouting", "nat"), ("forward", "filter")}
#: iptables-nft's names for them, asked for directly (no chain dump).
IPTABLES_BASE = {"nat": ("POSTROUTING",), "filter": ("FORWARD",)}
IP_FAMILIES = {2: "ip", 10: "ip6", 1: "inet"}
POLICIES = {0: "drop", 1: "accept"}
#: Chains read at most; jump targets beyond it are listed in ``unread``.
MAX_CHAINS = 64
LEGACY_FILES = ("ip_tables_names", "ip6_tables_names")


def read(netns_path: str | None) -> Netfilter:
    """The chains that decide masquerade and forwarding, from the best source available."""
    legacy = legacy_tables(netns_path)
    chains: list[NetfilterChain] = []
    unread: list[str] = []
    failure: Exception | None = None
    try:
        with Nftables(netns_path) as nft:
            chains, unread = read_nftables(nft)
    except (OSError, NetlinkError) as exc:
        failure = exc
    if chains and not legacy:
        return Netfilter("nftables", tuple(chains), tuple(unread))
    return _with_iptables_save(netns_path, legacy, chains, unread, failure)


def _with_iptables_save(
    netns_path: str | None,
    legacy: tuple[str, ...],
    chains: list[NetfilterChain],
    unread: list[str],
    failure: Exception | None,
) -> Netfilter:
    """The fallback through ``iptables-save``, imported only when needed (~8 ms at start-up)."""
    import subprocess

    from . import iptsave

    try:
        saved = iptsave.run(netns_path, legacy=bool(legacy))
    except (OSError, subprocess.SubprocessError):
        saved = None  # the legacy tables stay unread; legacy_tables says they exist
    if saved is not None and iptsave.is_nft_variant(saved[1]) and failure is None:
        saved = None  # iptables-nft shows what netlink already showed
    if saved is not None:
        binary, text = saved
        source = f"nftables + {binary}" if chains else binary
        chains += prune(iptsave.parse(text), unread)
        return Netfilter(source, tuple(chains), tuple(unread), legacy)
    if failure is not None:
        raise failure
    return Netfilter("nftables", tuple(chains), tuple(unread), legacy)


def explain(exc: BaseException) -> str:
    """The section's error: nfnetlink refuses even reads without CAP_NET_ADMIN, so say so."""
    text = strerror(exc)
    code = getattr(exc, "code", None) or getattr(exc, "errno", None)
    if code == errno.EPERM:
        return f"{text}; reading nftables needs CAP_NET_ADMIN"
    return text


def legacy_tables(netns_path: str | None) -> tuple[str, ...]:
    """x_tables tables registered in the namespace (``/proc/net/ip_tables_names``).

    ``/proc/net`` follows the reading *thread's* namespace only through
    ``/proc/thread-self/net``, so that is the path read.
    """

    def work() -> tuple[str, ...]:
        names: list[str] = []
        for name in LEGACY_FILES:
            try:
                with open(f"/proc/thread-self/net/{name}", encoding="ascii") as f:
                    names += [f"{'ip6' if '6' in name else 'ip'}/{t}" for t in f.read().split()]
            except OSError:
                continue
        return tuple(names)

    return work() if netns_path is None else run_in_netns(netns_path, work)


def read_nftables(nft: Nftables) -> tuple[list[NetfilterChain], list[str]]:
    """Base chains at the wanted hooks, then what they jump to (breadth first)."""
    bases = base_chains(nft)
    queue: deque[tuple[int, str, str, Any]] = deque(bases)
    seen = {(f, t, n) for f, t, n, _ in bases}
    chains: list[NetfilterChain] = []
    unread: list[str] = []
    while queue:
        family, table, name, msg = queue.popleft()
        if len(chains) >= MAX_CHAINS:
            unread.append(f"{table}/{name}")
            continue
        family_name = IP_FAMILIES[family]
        rules = [nftdecode.decode_rule(m, family_name) for m in nft.rules(family, table, name)]
        chains.append(chain_of(family_name, table, name, msg, tuple(rules)))
        for rule in rules:
            key = (family, table, rule.target_chain or "")
            if rule.target_chain and key not in seen:
                seen.add(key)
                queue.append((family, table, rule.target_chain, None))
    return chains, unread


def base_chains(nft: Nftables) -> list[tuple[int, str, str, Any]]:
    """``(family, table, chain, message)`` of every wanted base chain, in priority order."""
    found: list[tuple[int, str, str, Any]] = []
    dumps: dict[int, list[Any]] = {}
    for msg in nft.tables():
        family, table = msg["nfgen_family"], msg.get_attr("NFTA_TABLE_NAME")
        if family not in IP_FAMILIES:
            continue
        named = [nft.chain(family, table, n) for n in IPTABLES_BASE.get(table, ())]
        candidates = [m for m in named if m is not None and _wanted(m)]
        if not candidates:  # native nftables: base chains may have any name
            if family not in dumps:
                dumps[family] = nft.chains(family)
            candidates = [m for m in dumps[family] if m.get_attr("NFTA_CHAIN_TABLE") == table]
        found += [
            (family, table, m.get_attr("NFTA_CHAIN_NAME"), m) for m in candidates if _wanted(m)
        ]
    return sorted(found, key=lambda c: _hook(c[3])[1])


def _hook(msg: Any) -> tuple[str | None, int]:
    hook = msg.get_attr("NFTA_CHAIN_HOOK")
    if hook is None:
        return None, 0
    number = hook.get_attr("NFTA_HOOK_HOOKNUM")
    name = HOOKS[number] if isinstance(number, int) and number < len(HOOKS) else None
    return name, hook.get_attr("NFTA_HOOK_PRIORITY") or 0


def _wanted(msg: Any) -> bool:
    return (_hook(msg)[0], msg.get_attr("NFTA_CHAIN_TYPE")) in WANTED


def chain_of(
    family: str, table: str, name: str, msg: Any, rules: tuple[Any, ...]
) -> NetfilterChain:
    """A model chain; ``msg`` (the chain message) is None for chains reached by a jump."""
    if msg is None:
        return NetfilterChain(family=family, table=table, name=name, rules=rules)
    hook, priority = _hook(msg)
    return NetfilterChain(
        family=family,
        table=table,
        name=name,
        hook=hook,
        type=msg.get_attr("NFTA_CHAIN_TYPE"),
        priority=priority,
        policy=POLICIES.get(msg.get_attr("NFTA_CHAIN_POLICY")),
        rules=rules,
    )


def prune(chains: list[NetfilterChain], unread: list[str]) -> list[NetfilterChain]:
    """Of parsed ``iptables-save`` chains, the wanted base chains and what they reach."""
    by_key = {(c.table, c.name): c for c in chains}
    queue = deque(c for c in chains if (c.hook, c.type) in WANTED)
    seen = {(c.table, c.name) for c in queue}
    out: list[NetfilterChain] = []
    while queue:
        chain = queue.popleft()
        if len(out) >= MAX_CHAINS:
            unread.append(f"{chain.table}/{chain.name}")
            continue
        out.append(chain)
        for rule in chain.rules:
            key = (chain.table, rule.target_chain or "")
            if key in by_key and key not in seen:
                seen.add(key)
                queue.append(by_key[key])
    return out
