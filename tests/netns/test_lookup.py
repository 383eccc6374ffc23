"""Finding a pod's namespace the way the kubelet left it (design §3, issue 2)."""

from __future__ import annotations

import dataclasses
import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubectl_bridge import model
from kubectl_bridge.agent.collect import collect
from kubectl_bridge.errors import TargetError
from kubectl_bridge.sandbox import topology
from kubectl_bridge.sandbox.topology import CgroupSpec, PodSpec, Topology

pytestmark = pytest.mark.netns

LAYOUTS = [
    CgroupSpec(version=v, driver=d, qos=q)
    for v, d, q in [
        ("v1", "systemd", "besteffort"),
        ("v1", "cgroupfs", "burstable"),
        ("v2", "systemd", "guaranteed"),
        ("v2", "cgroupfs", "besteffort"),
    ]
]
RUNTIMES = ("docker", "containerd", "cri-o")


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    """One node with a pod for every cgroup layout × runtime, plus a pause pod."""
    base = topology.seed_node_spec(topology.unique_prefix("kbt"), pods=0)
    pods = [
        PodSpec(name=f"p{i}", ip=f"172.17.1.{i + 2}/16", runtime=rt, cgroup=cg, host_veth=f"vp{i}")
        for i, (cg, rt) in enumerate(itertools.product(LAYOUTS, RUNTIMES))
    ]
    pods.append(PodSpec(name="paused", ip="172.17.2.2/16", runtime="containerd", pause=True))
    pods.append(PodSpec(name="noproc", ip="172.17.2.3/16", cgroup=None))
    spec = dataclasses.replace(base, pods=tuple(pods))
    state = tmp_path_factory.mktemp("lookup") / "topology.json"
    with topology.build(spec, state_path=str(state)) as topo:
        yield topo


def request(topo: Topology, **kw: object) -> model.Request:
    return model.Request(kind="pod", host_netns=topo.node_netns, **kw)  # type: ignore[arg-type]


def same_ns(path: str | None, other: str) -> bool:
    assert path is not None
    return os.stat(path).st_ino == os.stat(other).st_ino


@pytest.mark.parametrize("index", range(len(LAYOUTS) * len(RUNTIMES)))
def test_by_container_id(node: Topology, index: int) -> None:
    pod = node.pod(f"p{index}")
    snap = collect(request(node, container_ids=(pod.container_ref,)))
    assert snap.target.found_by == "cgroup:container-id"
    assert snap.target.container_id == pod.container_ref
    assert snap.target.pid == pod.pid
    assert same_ns(snap.target.netns_path, pod.netns_path)
    assert snap.target.pod_ips == (pod.ip,)


def test_cgroup_paths_look_like_the_kubelets(node: Topology) -> None:
    cgroup = Path(f"/proc/{node.pod('p0').pid}/cgroup").read_text()
    assert "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" in cgroup
    assert f"/docker-{node.pod('p0').container_id}.scope" in cgroup
    cgroup = Path(f"/proc/{node.pod('p5').pid}/cgroup").read_text()  # v1 cgroupfs cri-o
    assert (
        f"/kubepods/burstable/pod{node.pod('p5').uid}/crio-{node.pod('p5').container_id}" in cgroup
    )
    cgroup = Path(f"/proc/{node.pod('p7').pid}/cgroup").read_text()  # v2 systemd containerd
    assert "0::/kubepods.slice/kubepods-pod" in cgroup and "cri-containerd-" in cgroup


@pytest.mark.parametrize("name", ["p0", "p4", "p8", "p11", "paused"])
def test_by_pod_uid(node: Topology, name: str) -> None:
    pod = node.pod(name)
    snap = collect(request(node, pod_uid=pod.uid))
    assert snap.target.found_by == "cgroup:pod-uid"
    assert same_ns(snap.target.netns_path, pod.netns_path)


def test_by_ip_when_no_process_is_known(node: Topology) -> None:
    pod = node.pod("noproc")
    snap = collect(request(node, pod_ips=(pod.ip,), container_ids=("docker://" + "0" * 64,)))
    assert snap.target.found_by == "pod-ip"
    assert same_ns(snap.target.netns_path, pod.netns_path)
    assert {lk.name for lk in snap.host.links} == {pod.host_veth, "docker0", "eth0"}


def test_unknown_pod_is_a_clear_error(node: Topology) -> None:
    with pytest.raises(TargetError) as err:
        collect(
            request(
                node,
                pod_name="ghost",
                container_ids=("containerd://" + "f" * 64,),
                pod_uid="00000000-0000-0000-0000-000000000000",
                pod_ips=("10.99.0.1",),
            )
        )
    assert "default/ghost" in err.value.message
    assert "no process on this node" in err.value.message
    assert err.value.hint


def test_never_the_host_netns_for_a_pod(node: Topology, tmp_path: Path) -> None:
    # a process that looks like a pod's but sits in the node's own namespace
    spec = topology.NodeSpec(prefix=topology.unique_prefix("kbt"))
    with topology.build(spec, state_path=str(tmp_path / "t.json")) as other:
        pid = other._spawn(node.node_netns_path)
        from kubectl_bridge.sandbox import cgroups

        uid = "11111111-2222-3333-4444-555555555555"
        dirs = cgroups.place(
            pid, CgroupSpec(), cgroups.container_dir(CgroupSpec(), uid, "docker", "a" * 64)
        )
        try:
            with pytest.raises(TargetError, match="node's own network namespace"):
                collect(request(node, container_ids=("docker://" + "a" * 64,)))
        finally:
            other.teardown()
            cgroups.remove_dirs(dirs)


def test_host_network_pod_reads_the_node(node: Topology) -> None:
    snap = collect(request(node, host_network=True, pod_name="kube-proxy"))
    assert snap.target.host_network and snap.target.found_by == "host-network"
    assert snap.pod is None and snap.agent.scope == "node"


def test_pid_and_netns_targets(node: Topology) -> None:
    pod = node.pod("p1")
    by_pid = collect(model.Request(kind="pid", pid=pod.pid, host_netns=node.node_netns))
    by_name = collect(model.Request(kind="netns", netns=pod.netns, host_netns=node.node_netns))
    for snap in (by_pid, by_name):
        assert snap.pod is not None
        assert {lk.name for lk in snap.host.links} == {pod.host_veth, "docker0", "eth0"}
    assert by_pid.target.found_by == "pid" and by_name.target.found_by == "netns-path"


@pytest.mark.parametrize(
    ("req", "message"),
    [
        (model.Request(kind="pid", pid=2**22 + 7), "no process with PID"),
        (model.Request(kind="netns", netns="kbt-does-not-exist"), "does not exist"),
        (model.Request(kind="netns", netns="/etc/hostname"), "not a network namespace"),
    ],
)
def test_bad_local_targets(req: model.Request, message: str) -> None:
    with pytest.raises(TargetError, match=message):
        collect(req)


# --- a crash-looping app container: only the pod sandbox holds the namespace ----


@pytest.fixture(scope="module")
def crashing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    """A pod with a pause process for every cgroup layout × runtime; each app has exited."""
    base = topology.seed_node_spec(topology.unique_prefix("kbt"), pods=0)
    pods = [
        PodSpec(name=f"c{i}", ip=f"172.17.3.{i + 2}/16", runtime=rt, cgroup=cg, pause=True,
                host_veth=f"vc{i}")
        for i, (cg, rt) in enumerate(itertools.product(LAYOUTS, RUNTIMES))
    ]  # fmt: skip
    spec = dataclasses.replace(base, pods=tuple(pods))
    state = tmp_path_factory.mktemp("crash") / "topology.json"
    with topology.build(spec, state_path=str(state)) as topo:
        for handle in topo.pods.values():
            proc = next(p for p in topo._procs if p.pid == handle.pid)
            proc.kill()  # the app container crashed; CrashLoopBackOff keeps it down
            proc.wait(timeout=10)
        yield topo


@pytest.mark.parametrize("index", range(len(LAYOUTS) * len(RUNTIMES)))
def test_crash_looping_app_is_found_through_the_pause_process(
    crashing: Topology, index: int
) -> None:
    pod = crashing.pod(f"c{index}")
    assert pod.pid is not None and not os.path.exists(f"/proc/{pod.pid}/ns/net")
    # the API still names the dead app container (lastState.terminated.containerID)
    snap = collect(request(crashing, container_ids=(pod.container_ref,), pod_uid=pod.uid))
    assert snap.target.found_by == "cgroup:pod-uid"
    assert snap.target.pid == pod.pause_pid
    assert same_ns(snap.target.netns_path, pod.netns_path)
    assert snap.pod is not None and any(a.address == pod.ip for a in snap.pod.addresses)


def test_crio_conmon_in_the_node_namespace_is_skipped(crashing: Topology) -> None:
    """CRI-O's conmon sits in the pod's cgroup (crio-conmon-ID.scope) but in the node's netns.

    While the crashed app's conmon still runs it is the only process whose
    cgroup names the app's container id: the lookup must fall back to the
    pod UID (the pause process), not conclude the pod lives in the node.
    """
    from kubectl_bridge.sandbox import cgroups

    pod = next(h for h in crashing.pods.values() if h.spec.runtime == "cri-o")
    cg = pod.spec.cgroup
    assert cg is not None
    conmon = crashing._spawn(crashing.node_netns_path)
    leaf = "crio-conmon-{}.scope" if cg.driver == "systemd" else "crio-conmon-{}"
    rel = f"{cgroups.pod_dir(cg, pod.uid)}/{leaf.format(pod.container_id)}"
    for d in cgroups.place(conmon, cg, rel):
        crashing._record("cgroup_dirs", d)
    snap = collect(request(crashing, container_ids=(pod.container_ref,), pod_uid=pod.uid))
    assert snap.target.found_by == "cgroup:pod-uid"
    assert snap.target.pid == pod.pause_pid  # not conmon, whose namespace is the node's
    assert same_ns(snap.target.netns_path, pod.netns_path)
