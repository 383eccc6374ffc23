"""The fallback reader: ``iptables-save`` output, parsed.

Netlink shows nftables (iptables-nft included) but not the legacy x_tables
that ``iptables-legacy`` programs; those are only readable through the
binary's own socket options.  When a node has such tables, or netlink gave
nothing, and an ``iptables-save`` binary is on PATH (a node's shell via a
local target; the debug pod image has none), we run it inside the node's
namespace and parse its text.  ``parse`` is pure and tested on recorded
output.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Any

from ..model import NetfilterChain, NetfilterRule
from .nsthread import setns_fd

#: Built-in chains of the tables we read: (hook, chain type, priority).
BUILTIN = {
    ("nat", "POSTROUTING"): ("postrouting", "nat", 100),
    ("filter", "FORWARD"): ("forward", "filter", 0),
}
TABLES = ("nat", "filter")
VERDICT_TARGETS = {"ACCEPT": "accept", "DROP": "drop", "RETURN": "return"}
TIMEOUT = 5.0


def run(netns_path: str | None, *, legacy: bool) -> tuple[str, str] | None:
    """``(binary, text)`` of ``iptables-save`` in the namespace; None without a binary.

    With ``legacy`` the legacy variant is preferred: the default one may be
    iptables-nft, which shows the nftables rules netlink already gave us.
    """
    names = ("iptables-legacy-save", "iptables-save") if legacy else ("iptables-save",)
    binary = next((b for b in (shutil.which(n) for n in names) if b), None)
    if binary is None:
        return None
    fd = os.open(netns_path, os.O_RDONLY | os.O_CLOEXEC) if netns_path else None
    try:
        out = subprocess.run(
            [binary],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=True,
            pass_fds=(fd,) if fd is not None else (),
            preexec_fn=(lambda: setns_fd(fd)) if fd is not None else None,
        )
    finally:
        if fd is not None:
            os.close(fd)
    return os.path.basename(binary), out.stdout


def is_nft_variant(text: str) -> bool:
    """iptables-nft's save writes ``(nf_tables)`` in its header."""
    return "(nf_tables)" in text.split("\n*", 1)[0]


@dataclass
class _Chain:
    name: str
    policy: str | None
    rules: list[NetfilterRule] = field(default_factory=list)


def parse(text: str, family: str = "ip") -> list[NetfilterChain]:
    """Every chain of the ``nat`` and ``filter`` tables, rules in order."""
    out: list[NetfilterChain] = []
    table: str | None = None
    chains: dict[str, _Chain] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("*"):
            table, chains = line[1:], {}
        elif line == "COMMIT" and table is not None:
            if table in TABLES:
                out += [_chain(family, table, c) for c in chains.values()]
            table = None
        elif line.startswith(":") and table is not None:
            name, policy = [*line[1:].split(), "-"][:2]
            chains[name] = _Chain(name, None if policy == "-" else policy.lower())
        elif line.startswith("-A ") and table is not None:
            words = shlex.split(line)
            chain = chains.setdefault(words[1], _Chain(words[1], None))
            chain.rules.append(parse_rule(words[2:], set(chains)))
    return out


def _chain(family: str, table: str, chain: _Chain) -> NetfilterChain:
    hook, type_, priority = BUILTIN.get((table, chain.name), (None, None, None))
    return NetfilterChain(
        family=family,
        table=table,
        name=chain.name,
        hook=hook,
        type=type_,
        priority=priority,
        policy=chain.policy if hook else None,
        rules=tuple(chain.rules),
    )


ADDRESS_OPTS = {
    "-s": "source",
    "--source": "source",
    "-d": "destination",
    "--destination": "destination",
}
IFACE_OPTS = {"-i": "in", "--in-interface": "in", "-o": "out", "--out-interface": "out"}
TO_OPTS = ("--to-source", "--to-destination", "--to")


def parse_rule(words: list[str], user_chains: set[str]) -> NetfilterRule:
    """The words after ``-A CHAIN``: matches, then ``-j TARGET`` and its options."""
    fields: dict[str, Any] = {}
    conditions: list[str] = []
    action = "continue"
    negate = False
    i = 0
    while i < len(words):
        word, arg = words[i], words[i + 1] if i + 1 < len(words) else ""
        i += 2
        if word == "!":
            negate, i = True, i - 1
            continue
        if word in ADDRESS_OPTS:
            key = ADDRESS_OPTS[word]
            fields[key], fields[f"negate_{key}"] = _cidr(arg), negate
        elif word in IFACE_OPTS:
            key = IFACE_OPTS[word]
            fields[f"{key}_interface"], fields[f"negate_{key}"] = arg, negate
        elif word in ("-p", "--protocol"):
            conditions.append(f"{'! ' if negate else ''}-p {arg}")
        elif word in ("-m", "--match"):
            if arg != "comment":
                conditions.append(f"-m {arg}")
        elif word == "--comment":
            fields["comment"] = arg
        elif word in ("-j", "--jump", "-g", "--goto"):
            action, target = _target(word, arg, user_chains)
            if target:
                fields["target_chain"] = target
        elif word in TO_OPTS:
            fields["to_address"] = arg.split(":", 1)[0]
        else:  # an option of the last -m module or of the target: already named
            i -= 1 if arg.startswith("-") or not arg else 0
        negate = False
    return NetfilterRule(action=action, conditions=tuple(conditions), **fields)


def _target(word: str, target: str, user_chains: set[str]) -> tuple[str, str | None]:
    if word in ("-g", "--goto"):
        return "goto", target
    if target in VERDICT_TARGETS:
        return VERDICT_TARGETS[target], None
    if target in user_chains:
        return "jump", target
    return target.lower(), None


def _cidr(text: str) -> str:
    return text if "/" in text else (f"{text}/128" if ":" in text else f"{text}/32")
