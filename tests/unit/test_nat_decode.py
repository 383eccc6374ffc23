"""Decoding netfilter rules from recorded kernel answers and iptables-save text.

``tests/fixtures/netfilter/nft-rules.json`` holds every raw nftables netlink answer
of one ``read_nftables`` run on a namespace with iptables-nft rules (xt
compat MASQUERADE/SNAT, comment and mark matches, a wildcard, a /20) and a
native ``inet`` table (masq, snat through a register, a forward jump); see
``tests/fixtures/record_nft.py``.  Replaying them through a fake socket
runs the real decoder and chain walk on real kernel bytes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kubectl_bridge.agent import iptsave, netfilter, nftdecode, nftvalues, xtinfo
from kubectl_bridge.agent.nfnl import Nftables, parse_recorded
from kubectl_bridge.model import NetfilterChain, NetfilterRule

FIXTURE = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "netfilter" / "nft-rules.json").read_text()
)
ANSWERS = [bytes.fromhex(h) for h in FIXTURE["netlink_answers"]]


class ReplaySocket:
    """Hands the recorded answers back in order; sending is a no-op."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = list(chunks)

    def send(self, data: bytes) -> int:
        return len(data)

    def recv(self, size: int) -> bytes:
        del size
        if not self.chunks:
            raise AssertionError("the code asked for more than was recorded")
        return self.chunks.pop(0)

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def chains() -> dict[tuple[str, str, str], NetfilterChain]:
    found, unread = netfilter.read_nftables(Nftables(sock=ReplaySocket(ANSWERS)))
    assert unread == []
    return {(c.family, c.table, c.name): c for c in found}


def test_the_recording_says_how_it_was_made() -> None:
    header = FIXTURE["_fixture"]
    assert "record_nft.py" in header["command"] and header["recorded_at"]


def test_only_the_wanted_base_chains_and_their_jump_targets_are_read(
    chains: dict[tuple[str, str, str], NetfilterChain],
) -> None:
    assert sorted(chains) == [
        ("inet", "kbt", "fwd"),
        ("inet", "kbt", "pods"),
        ("inet", "kbt", "post"),
        ("ip", "filter", "DOCKER-ISOLATION"),
        ("ip", "filter", "FORWARD"),
        ("ip", "nat", "CNI-abc"),
        ("ip", "nat", "POSTROUTING"),
    ]
    post = chains["ip", "nat", "POSTROUTING"]
    assert (post.hook, post.type, post.priority, post.policy) == (
        "postrouting",
        "nat",
        100,
        "accept",
    )
    forward = chains["ip", "filter", "FORWARD"]
    assert (forward.hook, forward.policy) == ("forward", "drop")
    assert chains["ip", "nat", "CNI-abc"].hook is None


def test_iptables_nft_masquerade_with_negated_out_interface(
    chains: dict[tuple[str, str, str], NetfilterChain],
) -> None:
    docker = chains["ip", "nat", "POSTROUTING"].rules[0]
    assert docker == NetfilterRule(
        action="masquerade", source="172.17.0.0/16", out_interface="docker0", negate_out=True
    )


def test_iptables_nft_jump_comment_prefix_mark_wildcard_return_snat(
    chains: dict[tuple[str, str, str], NetfilterChain],
) -> None:
    _, jump, marked, ret, snat = chains["ip", "nat", "POSTROUTING"].rules
    assert (jump.action, jump.target_chain, jump.source, jump.comment) == (
        "jump", "CNI-abc", "10.88.0.0/20", "cni-bridge",
    )  # fmt: skip
    assert jump.conditions == ()  # a comment is a label, not a condition
    assert (marked.out_interface, marked.conditions) == ("cni+", ("mark",))
    assert (ret.action, ret.source) == ("return", "10.9.0.0/16")
    assert (snat.action, snat.to_address, snat.out_interface) == (
        "snat", "192.168.0.10-192.168.0.12", "eth0",
    )  # fmt: skip
    accept, masq = chains["ip", "nat", "CNI-abc"].rules
    assert (accept.action, accept.destination) == ("accept", "10.88.0.0/16")
    assert (masq.action, masq.destination, masq.negate_destination) == (
        "masquerade", "224.0.0.0/4", True,
    )  # fmt: skip


def test_iptables_nft_forward_chain(chains: dict[tuple[str, str, str], NetfilterChain]) -> None:
    jump, tcp, accept = chains["ip", "filter", "FORWARD"].rules
    assert (jump.action, jump.target_chain) == ("jump", "DOCKER-ISOLATION")
    assert (tcp.source, tcp.conditions) == ("10.0.0.5/32", ("-p tcp", "--dport 80"))
    assert (accept.in_interface, accept.action) == ("docker0", "accept")
    drop, ret = chains["ip", "filter", "DOCKER-ISOLATION"].rules
    assert drop == NetfilterRule(action="drop", in_interface="docker0", out_interface="docker0")
    assert ret.action == "return"


def test_native_nft_masq_snat_and_forward(
    chains: dict[tuple[str, str, str], NetfilterChain],
) -> None:
    masq, snat = chains["inet", "kbt", "post"].rules
    assert masq == NetfilterRule(
        action="masquerade", family=4, source="10.88.0.0/16", out_interface="cni0", negate_out=True
    )
    assert snat == NetfilterRule(
        action="snat", family=4, source="10.99.0.0/24", to_address="192.0.2.7"
    )
    fwd = chains["inet", "kbt", "fwd"]
    assert (fwd.hook, fwd.policy) == ("forward", "drop")
    icc, jump = fwd.rules
    assert icc == NetfilterRule(action="drop", in_interface="br-x", out_interface="br-x")
    assert (jump.action, jump.target_chain) == ("jump", "pods")
    (pod,) = chains["inet", "kbt", "pods"].rules
    assert (pod.action, pod.source, pod.family) == ("accept", "10.88.0.5/32", 4)


def test_every_recorded_rule_decodes_without_leftovers() -> None:
    rules = [m for m in parse_recorded(ANSWERS) if m.get_attr("NFTA_RULE_CHAIN")]
    assert len(rules) == 12 + 5  # iptables-nft + native
    for msg in rules:
        family = nftdecode.FAMILY_NAMES[msg["nfgen_family"]]
        rule = nftdecode.decode_rule(msg, family)
        assert rule.action != "continue"
        assert all(c in ("mark", "-p tcp", "--dport 80") for c in rule.conditions)


def test_iptables_save_parses_to_what_netlink_decodes(
    chains: dict[tuple[str, str, str], NetfilterChain],
) -> None:
    parsed = {(c.family, c.table, c.name): c for c in iptsave.parse(FIXTURE["iptables_save"])}
    for key in [k for k in chains if k[0] == "ip"]:
        ours, theirs = chains[key], parsed[key]
        assert (ours.hook, ours.type, ours.policy) == (theirs.hook, theirs.type, theirs.policy)
        strip = [r.__class__(**{**r.__dict__, "conditions": ()}) for r in ours.rules]
        assert strip == [r.__class__(**{**r.__dict__, "conditions": ()}) for r in theirs.rules]
    assert iptsave.is_nft_variant(FIXTURE["iptables_save"])
    assert not iptsave.is_nft_variant(FIXTURE["iptables_legacy_save"])


def test_iptables_legacy_save_and_pruning() -> None:
    parsed = iptsave.parse(FIXTURE["iptables_legacy_save"])
    unread: list[str] = []
    kept = netfilter.prune(parsed, unread)
    assert sorted((c.table, c.name, c.policy) for c in kept) == [
        ("filter", "FORWARD", "drop"),
        ("nat", "POSTROUTING", "accept"),
    ]
    assert unread == []
    nat = next(c for c in kept if c.table == "nat")
    assert nat.rules == (
        NetfilterRule(action="masquerade", source="10.1.0.0/16", out_interface="br0",
                      negate_out=True),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("-s 10.0.0.1 -j ACCEPT", NetfilterRule(action="accept", source="10.0.0.1/32")),
        ("! -s 10.0.0.0/8 -o eth+ -j MASQUERADE --random-fully",
         NetfilterRule(action="masquerade", source="10.0.0.0/8", negate_source=True,
                       out_interface="eth+")),
        ("-m physdev --physdev-is-bridged -j KUBE-FW", NetfilterRule(
            action="jump", target_chain="KUBE-FW", conditions=("-m physdev",))),
        ("-d 10.96.0.10/32 -p udp -j DNAT --to-destination 10.244.1.5:53",
         NetfilterRule(action="dnat", destination="10.96.0.10/32", conditions=("-p udp",),
                       to_address="10.244.1.5")),
        ("-g OTHER", NetfilterRule(action="goto", target_chain="OTHER")),
    ],
)  # fmt: skip
def test_iptables_save_rule_words(words: str, expected: NetfilterRule) -> None:
    assert iptsave.parse_rule(words.split(), {"KUBE-FW"}) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [(b"docker0\x00", "docker0"), (b"br-x".ljust(16, b"\x00"), "br-x"), (b"cni", "cni+")],
)
def test_interface_names_and_wildcards(name: bytes, expected: str) -> None:
    assert nftvalues.ifname(name) == expected


def test_xt_nat_range_revisions() -> None:
    compat = bytes.fromhex("0100000001000000c0a8000ac0a8000a") + bytes(8)
    assert xtinfo.nat_range(compat, 0, 4) == "192.168.0.10"
    unmapped = bytes.fromhex("0100000000000000") + bytes(16)
    assert xtinfo.nat_range(unmapped, 0, 4) is None
    v6 = (1).to_bytes(4, "little") + bytes.fromhex("20010db8" + "00" * 11 + "01") * 2 + bytes(4)
    assert xtinfo.nat_range(v6, 1, 6) == "2001:db8::1"
    assert xtinfo.raw("01:02") == b"\x01\x02"
    assert xtinfo.comment(b"hello\x00\x00") == "hello"
