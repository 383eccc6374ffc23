"""Every way a cluster says no: one line on stderr, the exit status, and no debug pod left.

The faults are injected by the stand-in (pod and node states, RBAC, Pod
Security, image pulls, slow starts, dropped exec streams); the plugin runs
through the real kubectl each time.
"""

from __future__ import annotations

import json
import re
import signal
import time
from collections.abc import Callable

import pytest
from standin_helpers import NEEDS, Cluster, one_json

from kubectl_bridge.sandbox.apiserver_objects import workload_pod
from kubectl_bridge.sandbox.topology import Topology

pytestmark = [pytest.mark.e2e, pytest.mark.netns, NEEDS]
FAKE_ID = "containerd://" + "c" * 64


def refused(c: Cluster, args: list[str], line: str | re.Pattern[str], status: int = 1) -> None:
    """The run fails with exactly one stderr line, and nothing is left in the cluster."""
    result = c.bridge(*args)
    assert result.returncode == status, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    if isinstance(line, str):
        assert lines[0] == line
    else:
        assert line.fullmatch(lines[0]), lines[0]
    assert c.debug_pods() == []


def test_pod_not_found(cluster: Callable[..., Cluster]) -> None:
    refused(
        cluster(),
        ["describe", "pod", "ghost", "-n", "web"],
        'error: pod "ghost" not found in namespace "web"; check the name, or pass '
        "-n NAMESPACE (list them: kubectl get pods -n web)",
    )


def test_pending_pod_not_scheduled(cluster: Callable[..., Cluster]) -> None:
    c = cluster(extra_pods=[workload_pod("big", node=None, phase="Pending")])
    refused(
        c,
        ["describe", "pod", "big"],
        re.compile(
            r"error: pod default/big is not scheduled to a node yet \(Pending: Unschedulable: "
            r"0/1 nodes are available: 1 Insufficient cpu\..*\); wait until it is scheduled; "
            r"'kubectl describe pod big' says why not"
        ),
    )


def test_succeeded_pod(cluster: Callable[..., Cluster]) -> None:
    done = workload_pod("job", node="master1", phase="Succeeded", containers=(("c", FAKE_ID),))
    refused(
        cluster(extra_pods=[done]),
        ["describe", "pod", "job"],
        "error: pod default/job has finished (phase Succeeded): its network namespace is "
        "gone; look at a running pod; 'kubectl get pods' shows which are",
    )


def test_windows_node(cluster: Callable[..., Cluster]) -> None:
    c = cluster(
        extra_nodes=[{"name": "win1", "os": "windows"}],
        extra_pods=[workload_pod("iis", node="win1", ips=("10.1.0.5",))],
    )
    refused(
        c,
        ["describe", "pod", "iis"],
        "error: node win1 runs windows: kubectl-bridge reads Linux bridges and netlink; "
        "pick a pod on a Linux node",
    )


def test_node_not_ready(cluster: Callable[..., Cluster]) -> None:
    c = cluster(
        extra_nodes=[{"name": "sick", "ready": False}],
        extra_pods=[workload_pod("stuck", node="sick", ips=("10.1.0.6",))],
    )
    refused(
        c,
        ["describe", "pod", "stuck"],
        "error: node sick is NotReady (NodeStatusUnknown): a debug pod cannot start there; "
        "check 'kubectl describe node sick'; on the node itself run "
        "'sudo kubectl bridge describe pid PID'",
    )
    refused(c, ["describe", "node", "sick"], re.compile(r"error: node sick is NotReady .*"))


def test_rbac_denial_is_named_before_anything_is_created(cluster: Callable[..., Cluster]) -> None:
    c = cluster(
        faults={
            "deny": [
                {"verb": "create", "resource": "pods/exec", "namespace": "kube-system"},
                {"verb": "delete", "resource": "pods"},
            ]
        }
    )
    refused(
        c,
        ["describe", "pod", "nginx"],
        "error: missing RBAC rights: delete pods in namespace kube-system; create pods/exec "
        "in namespace kube-system; ask a cluster admin for them (docs/cluster.md has a ready "
        "Role), or pass --debug-namespace NAMESPACE where you have them",
    )
    assert c.state()["exec_log"] == []


def test_rbac_denial_on_the_target_pod(cluster: Callable[..., Cluster]) -> None:
    c = cluster(faults={"deny": [{"verb": "get", "resource": "pods", "namespace": "default"}]})
    refused(
        c,
        ["describe", "pod", "nginx"],
        'error: not allowed to get pods in namespace default: pods "nginx" is forbidden: '
        'User "kubectl-bridge-tester" cannot get resource "pods" in API group "" in the '
        'namespace "default"; ask for that RBAC right (docs/cluster.md lists them all)',
    )


def test_pod_security_names_the_label_that_fixes_it(cluster: Callable[..., Cluster]) -> None:
    enforce = "pod-security.kubernetes.io/enforce"
    c = cluster(
        namespaces=[
            {"name": "kube-system", "labels": {enforce: "baseline"}},
            {"name": "debug", "labels": {enforce: "privileged"}},
        ]
    )
    refused(
        c,
        ["describe", "pod", "nginx"],
        re.compile(
            r"error: Pod Security admission refused the debug pod in namespace kube-system "
            r'\(violates PodSecurity "baseline:latest": host namespaces \(hostNetwork=true, '
            r'hostPID=true\), non-default capabilities \(container "bridge" must not include '
            r'"NET_ADMIN", "SYS_ADMIN", "SYS_PTRACE" in securityContext\.capabilities\.add\)\); '
            r"namespace kube-system has pod-security\.kubernetes\.io/enforce=baseline: label it "
            r"privileged \('kubectl label --overwrite ns kube-system "
            r"pod-security\.kubernetes\.io/enforce=privileged'\) or pass --debug-namespace .*"
        ),
    )
    ok = c.bridge("snapshot", "pod", "nginx", "--debug-namespace", "debug", "--rm")
    assert ok.returncode == 0, ok.stderr
    assert c.debug_pods() == []


def test_pod_security_cluster_default(cluster: Callable[..., Cluster]) -> None:
    c = cluster(faults={"psa_default": "restricted"})
    refused(
        c,
        ["describe", "pod", "nginx"],
        re.compile(
            r'error: Pod Security admission refused .*"restricted:latest".*; namespace kube-system '
            r"has no pod-security\.kubernetes\.io/enforce label, so the cluster default applies: .*"
        ),
    )


def test_image_pull_backoff_reports_reason_and_events(cluster: Callable[..., Cluster]) -> None:
    c = cluster(faults={"image_pull_error": True})
    refused(
        c,
        ["describe", "pod", "nginx", "--image", "registry.local/python:nope"],
        re.compile(
            r"error: debug pod kube-system/kubectl-bridge-\w{5} did not start on node master1: "
            r"(ImagePullBackOff|ErrImagePull): .*registry\.local/python:nope.* \(events: .*Failed: "
            r'Failed to pull image "registry\.local/python:nope".*\); node master1 cannot pull '
            r"registry\.local/python:nope: mirror it and pass --image .*"
        ),
    )


def test_out_of_pods(cluster: Callable[..., Cluster]) -> None:
    c = cluster(faults={"out_of_pods": True})
    refused(
        c,
        ["describe", "pod", "nginx"],
        re.compile(
            r"error: debug pod kube-system/kubectl-bridge-\w{5} did not start on node master1: "
            r"OutOfpods: Pod was rejected: Node didn't have enough resource: pods.*"
        ),
    )


def test_slow_start_past_the_timeout(cluster: Callable[..., Cluster]) -> None:
    c = cluster(faults={"debug_start_seconds": 30})
    started = time.monotonic()
    refused(
        c,
        ["describe", "pod", "nginx", "--timeout", "1s"],
        re.compile(
            r"error: debug pod kube-system/kubectl-bridge-\w{5} not Running on node master1 after "
            r"1s \(ContainerCreating\) \(events: Pulled: .*\); raise --timeout, or look at the "
            r"node; the pod was deleted"
        ),
    )
    assert time.monotonic() - started < 15


def test_exec_dropped_once_is_retried(cluster: Callable[..., Cluster]) -> None:
    c = cluster(faults={"exec_drops": 1})
    result = c.bridge("snapshot", "pod", "nginx", "--rm")
    assert result.returncode == 0, result.stderr
    assert one_json(result.stdout)["target"]["pod_name"] == "nginx"
    assert [e["dropped"] for e in c.state()["exec_log"]] == [True, False]
    assert c.debug_pods() == []


def test_exec_dropped_twice_fails_and_cleans_up(cluster: Callable[..., Cluster]) -> None:
    c = cluster(faults={"exec_drops": 2})
    refused(
        c,
        ["describe", "pod", "nginx"],
        re.compile(
            r"error: exec into kube-system/kubectl-bridge-\w{5} ended without an exit status "
            r"\(after one retry\); the connection to the API server or node keeps dropping; .*"
        ),
    )
    assert len(c.state()["exec_log"]) == 2


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_during_the_wait_deletes_the_pod(
    cluster: Callable[..., Cluster], sig: signal.Signals
) -> None:
    c = cluster(faults={"debug_start_seconds": 60})
    proc = c.popen("describe", "pod", "nginx", "--timeout", "2m")
    deadline = time.monotonic() + 30
    while not c.debug_pods():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the debug pod never appeared"
        time.sleep(0.05)
    time.sleep(0.3)  # inside the watch
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert err.strip() == "interrupted"
    assert c.debug_pods() == []


def test_host_network_pod_shows_the_node_path(cluster: Callable[..., Cluster]) -> None:
    pod = workload_pod("agent", node="master1", ips=("192.168.0.10",), host_network=True)
    c = cluster(extra_pods=[pod])
    result = c.bridge("snapshot", "pod", "agent", "--rm")
    assert result.returncode == 0, result.stderr
    assert "hostNetwork" in result.stderr  # the note says what that means
    target = one_json(result.stdout)["target"]
    assert target["host_network"] is True and target["found_by"] == "host-network"
    assert c.debug_pods() == []


def test_crashloop_uses_the_pod_sandbox_and_says_so(
    cluster: Callable[..., Cluster], seed_node: Topology
) -> None:
    """The container is dead (its id matches no process), but the sandbox holds the netns."""
    nginx1 = seed_node.pod("nginx1")
    crashy = workload_pod(
        "crashy",
        node="master1",
        ips=(nginx1.ip,),
        uid=nginx1.uid,
        containers=(("app", FAKE_ID),),
        crashloop=("app",),
    )
    c = cluster(extra_pods=[crashy])
    result = c.bridge("snapshot", "pod", "crashy", "--rm")
    assert result.returncode == 0, result.stderr
    assert "CrashLoopBackOff" in result.stderr and "sandbox" in result.stderr
    target = json.loads(result.stdout)["target"]
    assert target["found_by"] == "cgroup:pod-uid"
    assert target["pid"] == nginx1.pid
    assert c.debug_pods() == []


def test_without_watch_and_events_rights_it_polls_and_still_explains(
    cluster: Callable[..., Cluster],
) -> None:
    c = cluster(faults={"deny": [{"verb": "watch", "resource": "pods"}]})
    ok = c.bridge("snapshot", "pod", "nginx", "--rm")
    assert ok.returncode == 0, ok.stderr
    c.standin.set_faults(image_pull_error=True, deny=[{"verb": "list", "resource": "events"}])
    refused(
        c,
        ["describe", "pod", "nginx"],
        re.compile(
            r"error: debug pod kube-system/kubectl-bridge-\w{5} did not start on node master1: "
            r"(ImagePullBackOff|ErrImagePull): [^(]*; node master1 cannot pull .*"
        ),
    )
