"""The seed engineer's observations, re-made on the real kernel (S1–S9)."""

from __future__ import annotations

import pytest
from seedpod import pod_request

from kubectl_bridge import model
from kubectl_bridge.agent.collect import collect
from kubectl_bridge.sandbox.topology import Topology

pytestmark = pytest.mark.netns

NGINX_MAC = "02:42:ac:11:00:02"


def link(view: model.NetnsView, name: str) -> model.Link:
    (found,) = [lk for lk in view.links if lk.name == name]
    return found


def test_pod_path_matches_the_seed(seed: Topology) -> None:
    snap = collect(pod_request(seed))
    assert snap.target.found_by == "cgroup:container-id"
    assert snap.target.pod_ips == ("172.17.0.2",)
    assert all(s.ok for s in snap.host.sections), snap.host.sections
    assert snap.pod is not None
    eth0 = link(snap.pod, "eth0")
    assert eth0.mac == NGINX_MAC
    veth = link(snap.host, "veth2482a36")
    assert eth0.peer_ifindex == veth.ifindex  # the seed's eth0@ifN ↔ veth (S7)
    assert veth.peer_ifindex == eth0.ifindex
    assert snap.target.host_nsid == veth.link_netnsid is not None
    (bridge,) = snap.host.bridges
    assert (bridge.name, bridge.bridge_id, bridge.stp) == ("docker0", "8000.0242a58591b6", False)
    assert bridge.ageing_time == 300.0
    (port,) = snap.host.ports
    assert (port.name, port.state, port.bridge_ifindex) == (
        "veth2482a36",
        "forwarding",
        bridge.ifindex,
    )
    addrs = {(a.address, a.prefixlen) for a in snap.pod.addresses if a.family == 4}
    assert ("172.17.0.2", 16) in addrs
    routes = {(r.destination, r.gateway, r.oif) for r in snap.host.routes}
    eth0_host = link(snap.host, "eth0")
    assert ("default", "192.168.0.1", eth0_host.ifindex) in routes
    assert ("172.17.0.0/16", None, bridge.ifindex) in routes
    assert ("192.168.0.0/24", None, eth0_host.ifindex) in routes
    to_pod, egress = snap.host.route_lookups
    assert (to_pod.destination, to_pod.oif) == ("172.17.0.2", bridge.ifindex)
    assert (egress.gateway, egress.oif, egress.error) == ("192.168.0.1", eth0_host.ifindex, None)
    assert snap.host.sysctls is not None and snap.host.sysctls.ip_forward == 1


def test_fdb_and_arp_before_and_after_a_ping(seed: Topology) -> None:
    before = collect(pod_request(seed))
    assert before.host.fdb and all(e.is_local for e in before.host.fdb)
    assert before.host.neighbours == ()
    veth_before = link(before.host, "veth2482a36").stats
    assert seed.ping("nginx", "192.168.0.1")
    after = collect(pod_request(seed))
    port = link(after.host, "veth2482a36")
    learned = [e for e in after.host.fdb if e.mac == NGINX_MAC]
    assert len(learned) == 1
    assert learned[0].is_local is False
    assert learned[0].port_ifindex == port.ifindex and learned[0].port_no == 1
    assert 0 <= learned[0].ageing < 300
    arp = {(n.address, n.mac) for n in after.host.neighbours}
    assert ("172.17.0.2", NGINX_MAC) in arp
    assert port.stats is not None and veth_before is not None
    assert port.stats.rx_packets > veth_before.rx_packets
    assert port.stats.rx_bytes > veth_before.rx_bytes


def test_pod_scope_reads_only_the_path(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from kubectl_bridge.sandbox import topology

    spec = topology.seed_node_spec(topology.unique_prefix("kbt"), pods=6)
    with topology.build(spec, state_path=str(tmp_path / "t.json")) as topo:
        snap = collect(pod_request(topo, "nginx3"))
        names = {lk.name for lk in snap.host.links}
        assert names == {topo.pod("nginx3").host_veth, "docker0", "eth0"}
        assert {e.port_ifindex for e in snap.host.fdb} == {
            link(snap.host, topo.pod("nginx3").host_veth).ifindex
        }
        node = collect(model.Request(kind="host", scope="node", host_netns=topo.node_netns))
        veths = [lk for lk in node.host.links if lk.kind == "veth" and lk.master]
        assert len(veths) == 6


def test_node_scope_maps_every_port_to_its_pod(seed: Topology) -> None:
    snap = collect(model.Request(kind="host", host_netns=seed.node_netns))
    assert snap.agent.scope == "node" and snap.pod is None
    assert {p.name for p in snap.host.ports} == {"veth2482a36", "veth1b74665"}
    by_nsid = {p.nsid: p for p in snap.peers}
    for pod in ("nginx", "nginx1"):
        handle = seed.pod(pod)
        veth = link(snap.host, handle.host_veth)
        peer = by_nsid[veth.link_netnsid]  # type: ignore[index]
        assert peer.pod_uid == handle.uid
        assert peer.container_id == handle.container_id
        assert any(a.address == handle.ip for a in peer.addresses)
    assert {
        e.mac
        for e in snap.host.fdb
        if e.is_local and e.port_ifindex == link(snap.host, "docker0").ifindex
    } == {"02:42:a5:85:91:b6"}


def test_pod_scope_netlink_cost_does_not_grow_with_pods(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from kubectl_bridge.agent import rtnl
    from kubectl_bridge.sandbox import topology

    seen = {"requests": 0, "messages": 0}
    original = rtnl.Netlink._request

    def counting(self, msg, msg_type, flags):  # type: ignore[no-untyped-def]
        answers = original(self, msg, msg_type, flags)
        seen["requests"] += 1
        seen["messages"] += len(answers)
        return answers

    monkeypatch.setattr(rtnl.Netlink, "_request", counting)
    costs = []
    for pods in (2, 12):
        spec = topology.seed_node_spec(topology.unique_prefix("kbt"), pods=pods)
        with topology.build(spec, state_path=str(tmp_path / f"{pods}.json")) as topo:
            seen.update(requests=0, messages=0)
            collect(pod_request(topo, "nginx1"))
            costs.append(dict(seen))
            seen.update(requests=0, messages=0)
            collect(model.Request(kind="host", host_netns=topo.node_netns))
            costs.append(dict(seen))
    pod_small, node_small, pod_big, node_big = costs
    assert pod_small == pod_big  # same requests, same answers: nothing walks the other pods
    assert node_big["messages"] > node_small["messages"]  # while a node view does dump
