"""Masquerade and FORWARD drops read from the real kernel on the seed's node (S10, S11).

``seed_node_spec`` installs Docker's masquerade with ``iptables`` (iptables-nft
on this machine) in the node namespace; the router namespace has no route
back to 172.17.0.0/16, so a ping from nginx to the router is answered only
while that rule rewrites the source: the kernel itself confirms each answer.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from seedpod import pod_request

from kubectl_bridge import model, render
from kubectl_bridge.agent.collect import collect
from kubectl_bridge.agent.protocol import decode_response, encode_request
from kubectl_bridge.model import NetfilterRule
from kubectl_bridge.render.capture import capture_points
from kubectl_bridge.render.network import networks
from kubectl_bridge.sandbox.topology import Topology

pytestmark = pytest.mark.netns

MASQ = ("-t", "nat", "POSTROUTING", "-s", "172.17.0.0/16", "-o", "eth0", "-j", "MASQUERADE")
SEED_RULE = NetfilterRule(action="masquerade", source="172.17.0.0/16", out_interface="eth0")


def iptables(topo: Topology, op: str, *argv: str, binary: str = "iptables") -> None:
    """``iptables -t T -A/-D CHAIN ...`` inside the node namespace."""
    table_opt, table, chain, *rest = argv
    topo.run(topo.node_netns, binary, table_opt, table, op, chain, *rest)


def section(snap: model.Snapshot) -> model.SectionStatus:
    (status,) = [s for s in snap.host.sections if s.name == "netfilter"]
    return status


def test_the_seed_masquerade_rule_is_found_and_really_applies(seed: Topology) -> None:
    snap = collect(pod_request(seed))
    assert section(snap).ok
    nf = snap.host.netfilter
    assert nf is not None and nf.source == "nftables" and nf.legacy_tables == ()
    (post,) = [c for c in nf.chains if c.hook == "postrouting"]
    assert (post.family, post.table, post.name, post.type) == ("ip", "nat", "POSTROUTING", "nat")
    assert post.rules == (SEED_RULE,)
    view = render.build_view(snap)
    (row,) = networks(view)
    assert (
        row["masquerade"] == "yes (iptables nat POSTROUTING: -s 172.17.0.0/16 -o eth0 MASQUERADE)"
    )
    (uplink,) = [p for p in capture_points(view) if p["hop"] == "uplink"]
    assert "as 192.168.0.10: masquerade rewrites the source 172.17.0.2" in uplink["note"]
    assert seed.ping("nginx", "192.168.0.1"), "the router answers only masqueraded pings"


def test_without_the_rule_no_rule_and_the_router_cannot_answer(seed: Topology) -> None:
    iptables(seed, "-D", *MASQ)
    snap = collect(pod_request(seed))
    assert section(snap).ok
    view = render.build_view(snap)
    (row,) = networks(view)
    assert row["masquerade"] == "no rule for 172.17.0.0/16 leaving by eth0"
    (uplink,) = [p for p in capture_points(view) if p["hop"] == "uplink"]
    assert uplink["note"].startswith("leaving the node with the pod's own address 172.17.0.2")
    codes = {f.code: f.severity for f in view.findings}
    assert codes.get("no-masquerade") == "info"
    assert not seed.ping("nginx", "192.168.0.1"), "no route back to 172.17.0.0/16 on the router"


def test_a_forward_drop_between_pods_is_read(seed: Topology) -> None:
    iptables(seed, "-A", "-t", "filter", "FORWARD", "-i", "docker0", "-o", "docker0", "-j", "DROP")
    snap = collect(model.Request(kind="host", scope="node", host_netns=seed.node_netns))
    nf = snap.host.netfilter
    assert nf is not None
    (forward,) = [c for c in nf.chains if c.hook == "forward"]
    assert forward.rules == (
        NetfilterRule(action="drop", in_interface="docker0", out_interface="docker0"),
    )
    (row,) = networks(render.build_view(snap))
    assert row["inter_pod"].startswith(
        "blocked (iptables filter FORWARD: -i docker0 -o docker0 DROP)"
    )


@pytest.mark.skipif(shutil.which("iptables-legacy") is None, reason="needs iptables-legacy")
def test_legacy_tables_are_noticed_and_read_with_iptables_legacy_save(
    seed: Topology, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    iptables(seed, "-D", *MASQ)
    iptables(seed, "-A", *MASQ, binary="iptables-legacy")
    snap = collect(pod_request(seed))
    nf = snap.host.netfilter
    assert nf is not None and nf.legacy_tables == ("ip/nat",)
    assert nf.source == "nftables + iptables-legacy-save"  # the emptied nft chain stays
    (row,) = networks(render.build_view(snap))
    assert (
        row["masquerade"] == "yes (iptables nat POSTROUTING: -s 172.17.0.0/16 -o eth0 MASQUERADE)"
    )
    # The debug pod image has no iptables binaries: then the answer is "unknown", with why.
    monkeypatch.setenv("PATH", str(tmp_path))
    snap = collect(pod_request(seed))
    (row,) = networks(render.build_view(snap))
    assert row["masquerade"].startswith("unknown (a legacy iptables nat table is in use")


def run_with_caps(seed: Topology, caps: str) -> model.Snapshot:
    """The agent in the node's namespace with only ``caps`` (as a debug pod's container has)."""
    nginx = seed.pod("nginx")
    request = model.Request(kind="pod", container_ids=(nginx.container_ref,), pod_uid=nginx.uid)
    ip, setpriv = shutil.which("ip") or "ip", shutil.which("setpriv") or "setpriv"
    argv = [ip, "netns", "exec", seed.node_netns, setpriv, f"--inh-caps={caps}",
            f"--bounding-set={caps}", sys.executable, "-m", "kubectl_bridge.agent"]  # fmt: skip
    done = subprocess.run(
        argv, input=encode_request(request), capture_output=True, timeout=60, check=False,
        env={**os.environ, "PATH": "/nonexistent"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return decode_response(done.stdout)


DEBUG_POD_CAPS = "-all,+net_admin,+sys_admin,+sys_ptrace,+dac_override,+dac_read_search"


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs util-linux setpriv")
def test_the_debug_pods_capabilities_read_the_rules(seed: Topology) -> None:
    """NET_ADMIN, SYS_ADMIN, SYS_PTRACE (kube/debugpod.py): every section reads."""
    snap = run_with_caps(seed, DEBUG_POD_CAPS)
    assert section(snap).ok and snap.host.netfilter is not None
    assert all(s.ok for s in snap.host.sections)
    (row,) = networks(render.build_view(snap))
    assert row["masquerade"].startswith("yes")


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs util-linux setpriv")
def test_without_net_admin_only_the_netfilter_section_fails(seed: Topology) -> None:
    """Where NET_ADMIN is refused (a runtime's policy): nfnetlink says EPERM."""
    snap = run_with_caps(seed, DEBUG_POD_CAPS.replace("+net_admin,", ""))
    status = section(snap)
    assert not status.ok
    assert status.error == ("Operation not permitted (EPERM); reading nftables needs CAP_NET_ADMIN")
    assert snap.host.netfilter is None and snap.host.links and snap.pod is not None
    assert all(s.ok for s in snap.host.sections if s.name != "netfilter")
    (row,) = networks(render.build_view(snap))
    assert row["masquerade"] == (
        "unknown (could not read the netfilter rules: Operation not permitted (EPERM); "
        "reading nftables needs CAP_NET_ADMIN)"
    )
