"""The exec stream on its own, and the stand-in as real clients see it.

Binary safety, the exit status from the status channel, a missing status,
v4 (no stdin close) and v5 (stdin close), RBAC on ``pods/exec``, timeouts;
then the real ``kubectl exec``/``get``/``describe`` and complete objects
from the stand-in, so the sandbox can rely on them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import pytest
from standin_helpers import NEEDS, Cluster

from kubectl_bridge.errors import ClusterError
from kubectl_bridge.kube import config
from kubectl_bridge.kube.exec import V4, V5, ExecDroppedError, ExecStream

pytestmark = [pytest.mark.e2e, pytest.mark.netns, NEEDS]
ALL_BYTES = bytes(range(256)) * 64  # every byte value, 16 KiB


def stream(c: Cluster, command: list[str], **kw: object) -> ExecStream:
    ns = argparse.Namespace(kubeconfig=c.standin.kubeconfig, context=None, namespace=None,
                            request_timeout=None)  # fmt: skip
    cfg = config.load(ns, {})
    timeout = float(kw.pop("timeout", 20.0))  # type: ignore[arg-type]
    return ExecStream(cfg, "default", "nginx", "nginx", command, timeout=timeout, **kw)  # type: ignore[arg-type]


def test_v4_is_binary_safe_without_closing_stdin(cluster: Callable[..., Cluster]) -> None:
    c = cluster()
    with stream(c, ["head", "-c", str(len(ALL_BYTES))], protocols=(V4,)) as s:
        assert s.protocol == V4
        s.send(ALL_BYTES)
        s.close_stdin()  # a no-op on v4: head stops by itself after N bytes
        result = s.finish()
    assert result.exit_code == 0
    assert result.stdout == ALL_BYTES


def test_v5_closes_stdin(cluster: Callable[..., Cluster]) -> None:
    c = cluster()
    with stream(c, ["cat"]) as s:
        assert s.protocol == V5
        s.send(ALL_BYTES)
        s.close_stdin()  # without it, cat would wait forever
        result = s.finish()
    assert (result.exit_code, result.stdout) == (0, ALL_BYTES)


def test_exit_status_and_stderr_come_back(cluster: Callable[..., Cluster]) -> None:
    c = cluster()
    with stream(c, ["sh", "-c", "printf oops >&2; exit 7"]) as s:
        result = s.finish()
    assert result.exit_code == 7
    assert result.stderr == b"oops"
    assert result.status["reason"] == "NonZeroExitCode"


def test_a_stream_without_status_is_a_failure(cluster: Callable[..., Cluster]) -> None:
    c = cluster(faults={"exec_drops": 1})
    with stream(c, ["cat"]) as s:
        s.send(b"x")
        with pytest.raises(ExecDroppedError, match="ended without an exit status"):
            s.finish()


def test_exec_forbidden_names_the_right(cluster: Callable[..., Cluster]) -> None:
    c = cluster(faults={"deny": [{"verb": "create", "resource": "pods/exec"}]})
    with pytest.raises(ClusterError) as err:
        stream(c, ["true"]).open()
    assert err.value.message.startswith(
        'not allowed to create pods/exec in namespace default: pods "nginx" is forbidden'
    )


def test_every_call_has_a_timeout(cluster: Callable[..., Cluster]) -> None:
    c = cluster()
    with stream(c, ["sleep", "10"], timeout=0.5) as s, pytest.raises(ClusterError) as err:
        s.finish()
    assert err.value.message == "exec into default/nginx did not finish within 0.5s"


def test_real_kubectl_exec_get_and_describe(cluster: Callable[..., Cluster]) -> None:
    import subprocess

    c = cluster()

    def kubectl(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(["kubectl", *args], env=c.env, input=stdin, capture_output=True,
                              text=True, timeout=30, check=False)  # fmt: skip

    link = kubectl("exec", "nginx", "--", "ip", "-o", "link", "show", "eth0")
    assert link.returncode == 0, link.stderr
    assert "eth0@if" in link.stdout and "02:42:ac:11:00:02" in link.stdout
    echo = kubectl("exec", "-i", "nginx", "--", "cat", stdin="hello\n")
    assert (echo.returncode, echo.stdout) == (0, "hello\n")
    failing = kubectl("exec", "nginx", "--", "sh", "-c", "exit 3")
    assert failing.returncode == 3
    ips = kubectl("get", "pod", "nginx", "-o", "jsonpath={.status.podIPs[*].ip}")
    assert ips.stdout == "172.17.0.2"
    described = kubectl("describe", "pod", "nginx")
    assert (
        described.returncode == 0 and "Node:             master1/192.168.0.10" in described.stdout
    )
    wide = kubectl("get", "pods", "-o", "wide").stdout.splitlines()
    assert wide[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"]
    assert wide[1].split()[:3] + wide[1].split()[-2:] == [
        "nginx",
        "1/1",
        "Running",
        "172.17.0.2",
        "master1",
    ]
    nodes = kubectl("get", "nodes").stdout.splitlines()
    assert nodes[1].split()[:2] == ["master1", "Ready"]


def test_every_object_is_complete_as_a_real_servers(cluster: Callable[..., Cluster]) -> None:
    """Typed clients choke on incomplete objects (design §6): the stand-in's are complete."""
    from kubectl_bridge.kube.api import Api

    c = cluster()
    api = Api(config.load(argparse.Namespace(kubeconfig=c.standin.kubeconfig), {}))
    pod = api.get_pod("default", "nginx")
    assert pod is not None
    status = pod["status"]["containerStatuses"][0]
    assert status["image"] and status["imageID"] and status["restartCount"] == 0
    assert status["containerID"] == c.node.pod("nginx").container_ref
    node = api.get_node("master1")
    assert node is not None and node["status"]["nodeInfo"]["operatingSystem"] == "linux"
    namespace = api.get_namespace("kube-system")
    assert namespace is not None and namespace["metadata"]["labels"]
    pods = api.list_pods(None, fields="spec.nodeName=master1")
    assert {p["metadata"]["name"] for p in pods} == {"nginx", "nginx1"}
    assert api.get_pod("default", "ghost") is None
