"""Pod and node checks: what the agent is told, and every one-line refusal."""

from __future__ import annotations

import json

import pytest

from kubectl_bridge.errors import TargetError
from kubectl_bridge.kube.resolve import check_node, multus_networks, not_found, resolve_pod
from kubectl_bridge.sandbox.apiserver_objects import workload_pod
from kubectl_bridge.sandbox.apiserver_resources import node_object

CID = "containerd://" + "a" * 64
SIDECAR = "containerd://" + "b" * 64


def test_running_pod_gives_ids_uid_and_every_ip() -> None:
    pod = workload_pod(
        "nginx",
        namespace="web",
        node="worker-1",
        ips=("10.244.1.5", "fd00:10:244:1::5"),
        uid="11111111-2222-3333-4444-555555555555",
        containers=(("nginx", CID), ("envoy", SIDECAR)),
    )
    rp = resolve_pod(pod)
    assert rp.node == "worker-1" and rp.namespace == "web"
    assert rp.uid == "11111111-2222-3333-4444-555555555555"
    assert rp.pod_ips == ("10.244.1.5", "fd00:10:244:1::5")
    assert rp.container == "nginx"
    assert rp.container_ids == (CID, SIDECAR)
    assert not rp.host_network and rp.notes == ()


def test_dash_c_puts_that_container_first_and_rejects_unknown_names() -> None:
    pod = workload_pod("p", node="n", ips=("10.0.0.1",), containers=(("a", CID), ("b", SIDECAR)))
    assert resolve_pod(pod, "b").container_ids == (SIDECAR, CID)
    with pytest.raises(TargetError, match=r'has no container "c"') as err:
        resolve_pod(pod, "c")
    assert "a, b" in err.value.hint


def test_default_container_annotation_is_respected() -> None:
    pod = workload_pod(
        "p",
        node="n",
        containers=(("a", CID), ("b", SIDECAR)),
        annotations={"kubectl.kubernetes.io/default-container": "b"},
    )
    assert resolve_pod(pod).container == "b"


def test_pod_ip_without_pod_ips_list() -> None:
    pod = workload_pod("p", node="n", ips=("10.0.0.9",))
    del pod["status"]["podIPs"]
    assert resolve_pod(pod).pod_ips == ("10.0.0.9",)


def test_crashloop_uses_the_sandbox_and_says_so() -> None:
    pod = workload_pod("p", node="n", ips=("10.0.0.2",), containers=(("app", CID),),
                       crashloop=("app",))  # fmt: skip
    rp = resolve_pod(pod)
    assert rp.container_ids == (CID,)  # the dead container's id, tried last
    assert any("CrashLoopBackOff" in n and "sandbox" in n for n in rp.notes)


def test_host_network_pod_is_accepted_with_a_note() -> None:
    pod = workload_pod("p", node="n", ips=("192.168.0.10",), host_network=True)
    rp = resolve_pod(pod)
    assert rp.host_network
    assert any("hostNetwork" in n for n in rp.notes)


@pytest.mark.parametrize("phase", ["Succeeded", "Failed"])
def test_finished_pods_are_refused(phase: str) -> None:
    pod = workload_pod("job", namespace="batch", node="n", phase=phase, containers=(("c", CID),))
    with pytest.raises(TargetError) as err:
        resolve_pod(pod)
    assert str(err.value.message) == (
        f"pod batch/job has finished (phase {phase}): its network namespace is gone"
    )


def test_unscheduled_pod_is_refused_with_the_scheduler_reason() -> None:
    pod = workload_pod("big", node=None, phase="Pending")
    with pytest.raises(TargetError) as err:
        resolve_pod(pod)
    assert err.value.message.startswith(
        "pod default/big is not scheduled to a node yet (Pending: Unschedulable: 0/1 nodes"
    )
    assert "kubectl describe pod big" in err.value.hint


def test_not_found_names_the_namespace() -> None:
    err = not_found("nginx", "web")
    assert err.message == 'pod "nginx" not found in namespace "web"'
    assert "-n NAMESPACE" in err.hint


def test_multus_secondary_networks_add_ips_and_notes() -> None:
    status = [
        {"name": "cbr0", "interface": "eth0", "ips": ["10.244.0.7"], "default": True},
        {"name": "macvlan-conf", "interface": "net1", "ips": ["192.168.50.7"], "mac": "x"},
    ]
    pod = workload_pod(
        "p",
        node="n",
        ips=("10.244.0.7",),
        annotations={"k8s.v1.cni.cncf.io/network-status": json.dumps(status)},
    )
    rp = resolve_pod(pod)
    assert rp.pod_ips == ("10.244.0.7", "192.168.50.7")
    assert rp.notes == ("Multus network macvlan-conf on net1 (192.168.50.7)",)
    ips, notes = multus_networks({"k8s.v1.cni.cncf.io/network-status": "{broken"})
    assert ips == () and "not JSON" in notes[0]


def test_node_checks() -> None:
    check_node(node_object("w1"), "w1")  # Ready linux: fine
    with pytest.raises(TargetError, match='node "w9" not found'):
        check_node(None, "w9")
    with pytest.raises(TargetError) as err:
        check_node(node_object("win", os_name="windows"), "win")
    assert (
        err.value.message == "node win runs windows: kubectl-bridge reads Linux bridges and netlink"
    )
    with pytest.raises(TargetError) as err:
        check_node(node_object("w2", ready=False), "w2")
    assert err.value.message == (
        "node w2 is NotReady (NodeStatusUnknown): a debug pod cannot start there"
    )
