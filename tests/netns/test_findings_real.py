"""Break one thing at a time on a real seed node: the right finding, and nothing else.

Each test builds the seed's node (docker0, nginx, nginx1, eth0 to a router)
in fresh namespaces, lets nginx ping the router so the MAC table and ARP
are warm, checks the healthy baseline, breaks exactly one thing with the
same command an engineer would use, and collects again.
"""

from __future__ import annotations

import pytest
from seedpod import pod_request

from kubectl_bridge import findings, model, stitch
from kubectl_bridge.agent.collect import collect
from kubectl_bridge.sandbox.topology import Topology

pytestmark = pytest.mark.netns

SERIOUS = ("error", "warning")


def snapshot(topo: Topology) -> model.Snapshot:
    return collect(pod_request(topo))


def evaluate(topo: Topology) -> list[model.Finding]:
    snap = snapshot(topo)
    return findings.evaluate(snap, stitch.paths(snap))


def warm_baseline(topo: Topology) -> set[str]:
    """Ping so the bridge has learned nginx's MAC; the healthy node has nothing serious."""
    assert topo.ping("nginx", "192.168.0.1")
    found = evaluate(topo)
    assert [f for f in found if f.severity in SERIOUS] == []
    assert "fdb-not-learned" not in {f.code for f in found}
    return {f.code for f in found}


def broken(topo: Topology, *argv: str) -> list[model.Finding]:
    baseline = warm_baseline(topo)
    topo.run(topo.node_netns, *argv)
    found = evaluate(topo)
    new = [f for f in found if f.code not in baseline]
    serious_before = [f for f in found if f.code in baseline and f.severity in SERIOUS]
    assert serious_before == []
    return new


def test_port_down(seed: Topology) -> None:
    (finding,) = broken(seed, "ip", "link", "set", "veth2482a36", "down")
    assert (finding.severity, finding.code, finding.hop) == ("error", "link-down", "veth2482a36")
    assert "administratively down" in finding.message


def test_mtu_mismatch(seed: Topology) -> None:
    (finding,) = broken(seed, "ip", "link", "set", "veth2482a36", "mtu", "1400")
    assert finding.code == "mtu-mismatch"
    assert "eth0 1500" in finding.message and "veth2482a36 1400" in finding.message


def test_route_removed(seed: Topology) -> None:
    (finding,) = broken(seed, "ip", "route", "del", "172.17.0.0/16", "dev", "docker0")
    assert (finding.severity, finding.code) == ("error", "no-route")
    assert "172.17.0.2" in finding.message


def test_fdb_entry_flushed(seed: Topology) -> None:
    (finding,) = broken(
        seed, "bridge", "fdb", "del", "02:42:ac:11:00:02", "dev", "veth2482a36", "master"
    )
    assert (finding.severity, finding.code) == ("info", "fdb-not-learned")
    assert "300 s" in finding.hint


def test_ip_forward_off(seed: Topology) -> None:
    (finding,) = broken(seed, "sysctl", "-qw", "net.ipv4.ip_forward=0")
    assert (finding.severity, finding.code) == ("error", "ip-forward-off")
