"""Masquerade and inter-pod answers, the renderers' use of them and the findings.

The chains come from the recorded kernel answers (``test_nat_decode``): the
rules Docker, the CNI bridge plugin and kube-proxy write, plus a native
``inet`` table, so every answer below is computed from real decoded rules.
"""

from __future__ import annotations

import dataclasses

import pytest
import snapshots as S  # noqa: N812 - S: the snapshot builders
from test_nat_decode import ANSWERS, ReplaySocket

from kubectl_bridge import findings, render, stitch
from kubectl_bridge.agent import netfilter
from kubectl_bridge.agent.nfnl import Nftables
from kubectl_bridge.model import (
    Netfilter,
    NetfilterChain,
    NetfilterRule,
    NetnsView,
    SectionStatus,
    Snapshot,
)
from kubectl_bridge.nfanswer import UNKNOWN_NAT, inter_pod, masquerade
from kubectl_bridge.render.capture import capture_points
from kubectl_bridge.render.network import networks
from kubectl_bridge.render.style import Style


@pytest.fixture(scope="module")
def recorded() -> NetnsView:
    chains, unread = netfilter.read_nftables(Nftables(sock=ReplaySocket(ANSWERS)))
    return NetnsView(netfilter=Netfilter("nftables", tuple(chains), tuple(unread)))


@pytest.mark.parametrize(
    ("subnet", "out", "state", "text"),
    [
        ("172.17.0.1/16", "eth0", "yes",
         "yes (iptables nat POSTROUTING: -s 172.17.0.0/16 ! -o docker0 MASQUERADE)"),
        ("172.17.0.1/16", "docker0", "no", "no rule for 172.17.0.0/16 leaving by docker0"),
        ("10.88.0.0/20", "eth0", "yes", "yes (iptables nat CNI-abc: ! -d 224.0.0.0/4 MASQUERADE)"),
        ("10.88.3.7", "eth0", "yes", "yes (iptables nat CNI-abc: ! -d 224.0.0.0/4 MASQUERADE)"),
        ("10.244.0.0/16", "cni0", "conditional",
         "conditional (iptables nat POSTROUTING: -o cni+ mark MASQUERADE)"),
        ("10.1.0.0/24", "eth0", "yes", "yes (iptables nat POSTROUTING: -s 10.1.0.0/24 -o eth0 "
         "SNAT --to-source 192.168.0.10-192.168.0.12)"),
        ("10.9.0.0/16", "eth0", "no", "no rule for 10.9.0.0/16 leaving by eth0"),
        ("10.99.0.0/24", "eth0", "yes",
         "yes (nft inet kbt post: -s 10.99.0.0/24 SNAT --to-source 192.0.2.7)"),
        ("fd00::/64", "eth0", "no", "no rule for fd00::/64 leaving by eth0"),
    ],
)  # fmt: skip
def test_masquerade_on_recorded_rules(
    recorded: NetnsView, subnet: str, out: str, state: str, text: str
) -> None:
    answer = masquerade(recorded, subnet, out)
    assert (answer.state, answer.text) == (state, text)


def test_a_partly_matching_jump_is_conditional_not_yes(recorded: NetnsView) -> None:
    """10.88.0.0/16 is wider than the /20 the CNI chain jumps for: only some pods masquerade."""
    answer = masquerade(recorded, "10.88.0.0/16", "eth0")
    # The native inet table masquerades all of 10.88.0.0/16 (! -o cni0): that one is certain.
    assert answer.text == "yes (nft inet kbt post: -s 10.88.0.0/16 ! -o cni0 MASQUERADE)"
    only_ip = NetnsView(
        netfilter=Netfilter(
            "nftables", tuple(c for c in recorded.netfilter.chains if c.family == "ip")
        )
    )
    answer = masquerade(only_ip, "10.88.0.0/16", "eth0")
    assert answer.state == "conditional"
    assert "CNI-abc" in answer.text


def test_unknown_out_interface_makes_interface_rules_conditional(recorded: NetnsView) -> None:
    answer = masquerade(recorded, "172.17.0.0/16", None)
    assert answer.state == "conditional"


@pytest.mark.parametrize(
    ("subnet", "bridge", "state", "text"),
    [
        ("172.17.0.0/16", "docker0", "blocked",
         "blocked (iptables filter DOCKER-ISOLATION: -i docker0 -o docker0 DROP)"),
        ("172.18.0.0/16", "br0", "blocked", "blocked (iptables filter FORWARD policy DROP)"),
    ],
)  # fmt: skip
def test_inter_pod_on_recorded_rules(
    recorded: NetnsView, subnet: str, bridge: str, state: str, text: str
) -> None:
    answer = inter_pod(recorded, subnet, bridge)
    assert (answer.state, answer.text) == (state, text)


def chain(name: str, *rules: NetfilterRule, hook: str | None = None) -> NetfilterChain:
    type_ = {"postrouting": "nat", "forward": "filter"}.get(hook or "")
    return NetfilterChain("ip", "nat" if type_ != "filter" else "filter", name, hook, type_,
                          0 if hook else None, "accept" if hook else None, rules)  # fmt: skip


def test_accept_before_masquerade_ends_nat_and_unread_chains_are_unknown() -> None:
    accept_first = NetnsView(netfilter=Netfilter("nftables", (chain(
        "POSTROUTING", NetfilterRule("accept", destination="0.0.0.0/0"),
        NetfilterRule("masquerade"), hook="postrouting"),)))  # fmt: skip
    assert masquerade(accept_first, "10.0.0.0/8", "eth0").state == "no"
    unread = NetnsView(netfilter=Netfilter("nftables", (chain(
        "POSTROUTING", NetfilterRule("jump", target_chain="KUBE-POSTROUTING"),
        hook="postrouting"),), unread=("nat/KUBE-POSTROUTING",)))  # fmt: skip
    answer = masquerade(unread, "10.0.0.0/8", "eth0")
    assert answer.text == "unknown (jumps to chains not read: nat/KUBE-POSTROUTING)"


def test_unknown_reasons() -> None:
    assert masquerade(NetnsView(), "10.0.0.0/8", "eth0").text == UNKNOWN_NAT
    failed = NetnsView(sections=(SectionStatus("netfilter", False, "Operation not permitted"),))
    assert masquerade(failed, "10.0.0.0/8", "eth0").text == (
        "unknown (could not read the netfilter rules: Operation not permitted)"
    )
    legacy = NetnsView(netfilter=Netfilter("nftables", legacy_tables=("ip/nat",)))
    answer = masquerade(legacy, "10.0.0.0/8", "eth0")
    assert answer.state == "unknown" and "iptables-legacy-save -t nat" in answer.text
    empty = NetnsView(netfilter=Netfilter("nftables"))
    assert masquerade(empty, "10.0.0.0/8", "eth0").text == "no rule for 10.0.0.0/8 leaving by eth0"


# --- renderers and findings on the seed --------------------------------------------------

NO_NAT = dataclasses.replace(
    S.SEED_NETFILTER, chains=tuple(c for c in S.SEED_NETFILTER.chains if c.table != "nat")
)


def seed(netfilter_: Netfilter | None) -> Snapshot:
    return S.seed_pod_snapshot(host=S.seed_host(netfilter=netfilter_))


def test_seed_network_row_and_uplink_note_with_docker_masquerade() -> None:
    view = render.build_view(seed(S.SEED_NETFILTER))
    (row,) = networks(view)
    assert row["masquerade"] == (
        "yes (iptables nat POSTROUTING: -s 172.17.0.0/16 ! -o docker0 MASQUERADE)"
    )
    uplink = [p for p in capture_points(view) if p["hop"] == "uplink"]
    assert "leaving the node as 192.168.0.10: masquerade rewrites the source" in uplink[0]["note"]
    assert uplink[0]["command"] == "tcpdump -i eth0 -n host 192.168.0.10"
    assert not [f for f in view.findings if f.code == "no-masquerade"]


def test_seed_without_the_rule_says_no_and_finds_it() -> None:
    view = render.build_view(seed(NO_NAT))
    (row,) = networks(view)
    assert row["masquerade"] == "no rule for 172.17.0.0/16 leaving by eth0"
    uplink = [p for p in capture_points(view) if p["hop"] == "uplink"]
    assert uplink[0]["note"] == (
        "leaving the node with the pod's own address 172.17.0.2 (no masquerade rule)"
    )
    (found,) = [f for f in view.findings if f.code == "no-masquerade"]
    assert found.severity == "info" and found.hop == "docker0"
    assert "172.17.0.0/16 on docker0 leaves by eth0" in found.message


def test_routed_pods_get_no_masquerade_finding() -> None:
    snap = S.calico_snapshot()
    snap = dataclasses.replace(snap, host=dataclasses.replace(snap.host, netfilter=NO_NAT))
    paths = stitch.paths(snap)
    assert not [f for f in findings.evaluate(snap, paths) if f.code == "no-masquerade"]
    (row,) = networks(render.build_view(snap))
    assert row["masquerade"].startswith("no rule for 10.244.1.7/32")


def test_icc_drop_is_an_info_finding_and_the_row_says_blocked() -> None:
    icc_off = dataclasses.replace(S.SEED_NETFILTER, chains=(
        *S.SEED_NETFILTER.chains[:1],
        NetfilterChain("ip", "filter", "FORWARD", "forward", "filter", 0, "accept", (
            NetfilterRule("drop", in_interface="docker0", out_interface="docker0"),)),
    ))  # fmt: skip
    view = render.build_view(seed(icc_off))
    (row,) = networks(view)
    assert row["inter_pod"] == "blocked (iptables filter FORWARD: -i docker0 -o docker0 DROP)"
    (found,) = [f for f in view.findings if f.code == "inter-pod-blocked"]
    assert found.severity == "info"
    no_br_nf = S.seed_host(netfilter=icc_off, sysctls=S.seed_host().sysctls.__class__(
        ip_forward=1, bridge_nf_call_iptables=0))  # fmt: skip
    view = render.build_view(S.seed_pod_snapshot(host=no_br_nf))
    assert networks(view)[0]["inter_pod"].startswith("allowed (bridged frames bypass iptables")
    assert not [f for f in view.findings if f.code == "inter-pod-blocked"]


def test_every_branch_masquerades_so_the_answer_is_yes() -> None:
    """kube-proxy's mark-gated MASQUERADE, then Docker's: masqueraded whatever the mark."""
    view = NetnsView(netfilter=Netfilter("nftables", (
        chain("POSTROUTING", NetfilterRule("jump", target_chain="KUBE-POSTROUTING"),
              NetfilterRule("masquerade", source="172.17.0.0/16", out_interface="docker0",
                            negate_out=True), hook="postrouting"),
        chain("KUBE-POSTROUTING", NetfilterRule("return", conditions=("! mark",)),
              NetfilterRule("masquerade")),
    )))  # fmt: skip
    answer = masquerade(view, "172.17.0.0/16", "eth0")
    assert answer.text == "yes (iptables nat POSTROUTING: -s 172.17.0.0/16 ! -o docker0 MASQUERADE)"
    # Another subnet is masqueraded only when marked (a Service's traffic): conditional.
    assert masquerade(view, "10.244.0.0/16", "eth0").text == (
        "conditional (iptables nat KUBE-POSTROUTING: MASQUERADE)"
    )


def test_a_failed_section_is_the_reason_everywhere_and_fits_100_columns() -> None:
    error = "Operation not permitted (EPERM); reading nftables needs CAP_NET_ADMIN"
    host = S.seed_host(
        netfilter=None, sections=(*S.SECTIONS, SectionStatus("netfilter", False, error))
    )
    view = render.build_view(S.seed_pod_snapshot(host=host))
    (row,) = networks(view)
    reason = f"unknown (could not read the netfilter rules: {error})"
    assert (row["masquerade"], row["inter_pod"]) == (reason, reason)
    text = render.describe(view, Style())
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "                         (EPERM); reading nftables needs CAP_NET_ADMIN)" in text
    assert "not-collected" in {f.code for f in view.findings}
