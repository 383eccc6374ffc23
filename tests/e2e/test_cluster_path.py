"""``kubectl bridge … pod nginx`` through the real kubectl equals the local view of that pod.

The stand-in replaces only the control plane: the debug pod's exec runs the
shipped agent in the node's namespace, so the cluster snapshot must show
exactly what a local collection of the same pod shows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from standin_helpers import NEEDS, Cluster, one_json

from kubectl_bridge import render
from kubectl_bridge.agent.collect import collect
from kubectl_bridge.model import Request, Snapshot, parse
from kubectl_bridge.sandbox.topology import Topology

pytestmark = [pytest.mark.e2e, pytest.mark.netns, NEEDS]


def local_snapshot(node: Topology, pod: str) -> Snapshot:
    """What ``sudo kubectl bridge snapshot pid PID`` on the node would collect."""
    handle = node.pod(pod)
    return collect(Request(kind="pid", pid=handle.pid, host_netns=node.node_netns_path))


def link_facts(snap: Snapshot, netns: str) -> set[tuple[Any, ...]]:
    view = snap.pod if netns == "pod" else snap.host
    assert view is not None
    return {(lk.ifindex, lk.name, lk.kind, lk.mac, lk.mtu, lk.master, lk.peer_ifindex)
            for lk in view.links}  # fmt: skip


def hops(doc_path: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(h["kind"], h["name"], h["netns"], h["ifindex"]) for h in doc_path]


def test_snapshot_through_kubectl_matches_the_local_collection(
    cluster: Callable[..., Cluster],
) -> None:
    c = cluster()
    result = c.bridge("snapshot", "pod", "nginx")
    assert result.returncode == 0, result.stderr
    remote = parse(result.stdout)
    local = local_snapshot(c.node, "nginx")
    handle = c.node.pod("nginx")
    t = remote.target
    assert (t.kind, t.pod_name, t.pod_namespace, t.node_name) == ("pod", "nginx", "default",
                                                                  "master1")  # fmt: skip
    assert t.pod_ips == ("172.17.0.2",)
    assert t.container_id == handle.container_ref
    assert t.found_by == "cgroup:container-id" and t.pid == handle.pid
    assert t.host_nsid == local.target.host_nsid
    assert link_facts(remote, "pod") == link_facts(local, "pod")
    assert link_facts(remote, "host") == link_facts(local, "host")
    assert remote.host.routes == local.host.routes
    assert remote.host.bridges == local.host.bridges
    assert [p.name for p in remote.host.ports] == [p.name for p in local.host.ports]


def test_describe_through_kubectl_prints_the_local_path(cluster: Callable[..., Cluster]) -> None:
    c = cluster()
    local = local_snapshot(c.node, "nginx")
    # the same pod, named as the API names it (the local target only knows a PID)
    named = dataclasses.replace(local.target, kind="pod", pod_name="nginx",
                                pod_namespace="default", node_name="master1")  # fmt: skip
    local_view = render.build_view(dataclasses.replace(local, target=named))
    result = c.bridge("describe", "pod", "nginx", "-o", "json")
    assert result.returncode == 0, result.stderr
    doc = one_json(result.stdout)
    expected = render.document(local_view, {})
    assert hops(doc["path"]) == hops(expected["path"])
    assert [h[1] for h in hops(doc["path"])][:3] == ["eth0", "veth2482a36", "docker0"]
    text = c.bridge("describe", "pod", "nginx", "--no-color")
    assert text.returncode == 0, text.stderr
    diagram = render.render_diagram(local_view, 100, False)
    assert diagram in text.stdout


def test_second_run_reuses_the_pod_and_sends_only_the_request(
    cluster: Callable[..., Cluster],
) -> None:
    c = cluster()
    assert c.bridge("snapshot", "pod", "nginx").returncode == 0
    assert c.bridge("snapshot", "pod/nginx1").returncode == 0
    (pod,) = c.debug_pods()  # one debug pod for the node, kept and reused
    assert pod["metadata"]["namespace"] == "kube-system"
    cold, warm = c.state()["exec_log"]
    assert cold["pod"] == warm["pod"] == pod["metadata"]["name"]
    assert cold["protocol"] == "v5.channel.k8s.io"
    assert cold["stdin_bytes"] > 100_000  # the payload went over once
    assert warm["stdin_bytes"] < 2_000  # then only the request


def test_rm_deletes_the_debug_pod_after_use(cluster: Callable[..., Cluster]) -> None:
    c = cluster()
    result = c.bridge("snapshot", "pod", "nginx", "--rm")
    assert result.returncode == 0, result.stderr
    assert c.debug_pods() == []


def test_selector_collects_every_matching_pod(cluster: Callable[..., Cluster]) -> None:
    c = cluster()
    result = c.bridge("snapshot", "-l", "app in (nginx,nginx1)")
    assert result.returncode == 0, result.stderr
    names = sorted(s["target"]["pod_name"] for s in one_json(result.stdout))
    assert names == ["nginx", "nginx1"]
    assert len(c.debug_pods()) == 1


def test_node_view_maps_every_bridge_port_to_its_pod(cluster: Callable[..., Cluster]) -> None:
    c = cluster()
    result = c.bridge("snapshot", "node", "master1")
    assert result.returncode == 0, result.stderr
    snap = parse(result.stdout)
    assert snap.target.kind == "node" and snap.target.node_name == "master1"
    assert snap.agent.scope == "node"
    owners = {p.pod_name for p in snap.peers if p.pod_name}
    assert {"nginx", "nginx1"} <= owners
    ports = {p.name for p in snap.host.ports}
    assert {"veth2482a36", "veth1b74665"} <= ports


def test_dry_run_prints_the_manifest_and_creates_nothing(cluster: Callable[..., Cluster]) -> None:
    import yaml

    c = cluster()
    result = c.bridge("snapshot", "pod", "nginx", "--dry-run", "--ttl", "2m",
                      "--debug-namespace", "dbg")  # fmt: skip
    assert result.returncode == 0, result.stderr
    (manifest,) = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert manifest["metadata"]["namespace"] == "dbg"
    assert manifest["spec"]["nodeName"] == "master1"
    assert manifest["spec"]["activeDeadlineSeconds"] == 120
    assert c.debug_pods() == [] and c.state()["exec_log"] == []


def test_cleanup_lists_and_deletes_ours_only(cluster: Callable[..., Cluster]) -> None:
    c = cluster()
    assert c.bridge("snapshot", "pod", "nginx").returncode == 0
    (ours,) = c.debug_pods()
    listed = c.bridge("cleanup", "--dry-run")
    assert listed.returncode == 0, listed.stderr
    assert ours["metadata"]["name"] in listed.stdout and "would be deleted" in listed.stdout
    assert len(c.debug_pods()) == 1
    done = c.bridge("cleanup", "-A")
    assert done.returncode == 0, done.stderr
    assert "deleted 1 debug pod(s)" in done.stdout
    assert c.debug_pods() == []
    assert {p["metadata"]["name"] for p in c.state()["pods"]} == {"nginx", "nginx1"}


def test_pods_ended_by_their_deadline_are_deleted_not_reused(
    cluster: Callable[..., Cluster],
) -> None:
    import time

    c = cluster()
    assert c.bridge("snapshot", "pod", "nginx", "--ttl", "1s").returncode == 0
    (first,) = c.debug_pods()
    time.sleep(1.5)
    (ended,) = c.debug_pods()
    assert ended["status"]["phase"] == "Failed"
    assert ended["status"]["reason"] == "DeadlineExceeded"
    result = c.bridge("snapshot", "pod", "nginx", "--ttl", "1s")
    assert result.returncode == 0, result.stderr
    names = [p["metadata"]["name"] for p in c.debug_pods()]
    assert len(names) == 1 and names != [first["metadata"]["name"]]


def test_an_older_server_speaking_only_v4_works_without_closing_stdin(
    cluster: Callable[..., Cluster],
) -> None:
    c = cluster(faults={"exec_protocols": ["v4.channel.k8s.io"]})
    for _ in range(2):  # cold (payload) and warm (request only)
        result = c.bridge("snapshot", "pod", "nginx")
        assert result.returncode == 0, result.stderr
        assert parse(result.stdout).target.pod_name == "nginx"
    assert [e["protocol"] for e in c.state()["exec_log"]] == ["v4.channel.k8s.io"] * 2
