"""The pod's cgroup directory is looked up by UID, never by scanning every process."""

from __future__ import annotations

import dataclasses
import itertools
import os
from collections.abc import Iterator

import pytest

from kubectl_bridge import model
from kubectl_bridge.agent import cgroupdir, netns
from kubectl_bridge.agent.collect import collect
from kubectl_bridge.sandbox import topology
from kubectl_bridge.sandbox.topology import CgroupSpec, PodSpec, Topology

pytestmark = pytest.mark.netns

LAYOUTS = [
    CgroupSpec(version=v, driver=d, qos=q)
    for v, d, q in [
        ("v1", "systemd", "besteffort"),
        ("v1", "cgroupfs", "guaranteed"),
        ("v2", "systemd", "burstable"),
        ("v2", "cgroupfs", "besteffort"),
    ]
]
RUNTIMES = ("docker", "containerd", "cri-o")
CASES = list(itertools.product(range(len(LAYOUTS)), RUNTIMES))


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    base = topology.seed_node_spec(topology.unique_prefix("kbt"), pods=0)
    pods = [
        PodSpec(name=f"c{i}", ip=f"172.17.3.{i + 2}/16", runtime=rt, cgroup=LAYOUTS[li],
                host_veth=f"vc{i}", pause=(i == 0))
        for i, (li, rt) in enumerate(CASES)
    ]  # fmt: skip
    spec = dataclasses.replace(base, pods=tuple(pods))
    state = tmp_path_factory.mktemp("cglookup") / "topology.json"
    with topology.build(spec, state_path=str(state)) as topo:
        yield topo


@pytest.fixture
def no_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(needles: list[str]) -> Iterator[tuple[int, str | None]]:
        raise AssertionError(f"scanned /proc for {needles}")

    monkeypatch.setattr(netns, "scan_cgroups", refuse)


@pytest.mark.parametrize("index", range(len(CASES)))
@pytest.mark.usefixtures("no_scan")
def test_container_id_and_uid_need_no_scan(node: Topology, index: int) -> None:
    pod = node.pod(f"c{index}")
    req = model.Request(
        kind="pod",
        container_ids=(pod.container_ref,),
        pod_uid=pod.uid,
        host_netns=node.node_netns,
    )
    snap = collect(req)
    assert snap.target.found_by == "cgroup:container-id"
    assert snap.target.pid == pod.pid
    assert snap.target.container_id == pod.container_ref
    assert snap.target.netns_path is not None
    assert os.stat(snap.target.netns_path).st_ino == os.stat(pod.netns_path).st_ino


@pytest.mark.usefixtures("no_scan")
def test_stale_container_id_falls_back_to_the_pods_other_processes(node: Topology) -> None:
    pod = node.pod("c3")
    req = model.Request(
        kind="pod",
        container_ids=("containerd://" + "e" * 64,),  # restarted: the API shows an old id
        pod_uid=pod.uid,
        host_netns=node.node_netns,
    )
    snap = collect(req)
    assert snap.target.found_by == "cgroup:pod-uid"
    assert snap.target.pid == pod.pid


def test_pause_container_and_app_container_both_listed(node: Topology) -> None:
    pod = node.pod("c0")
    found = cgroupdir.container_pids(pod.uid, [pod.container_id])
    assert found[0] == (pod.pid, pod.container_id)
    assert (pod.pause_pid, None) in found


def test_unknown_uid_and_non_uuid_find_nothing() -> None:
    assert cgroupdir.container_pids("00000000-0000-0000-0000-000000000000", []) == []
    assert cgroupdir.container_pids("../../etc", ["x" * 64]) == []


def test_unknown_uid_still_falls_back_to_the_scan(node: Topology) -> None:
    # a kubelet with another --cgroup-root: the UID path misses, the scan finds the id
    pod = node.pod("c1")
    req = model.Request(
        kind="pod",
        container_ids=(pod.container_ref,),
        pod_uid="00000000-0000-0000-0000-000000000000",
        host_netns=node.node_netns,
    )
    snap = collect(req)
    assert snap.target.found_by == "cgroup:container-id"
    assert snap.target.pid == pod.pid
