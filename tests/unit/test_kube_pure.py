"""The pure parts of the cluster layer: pod verdicts, event summaries, rights, peers, selectors."""

from __future__ import annotations

from typing import Any

import pytest

from kubectl_bridge.kube.exec import exit_code_of
from kubectl_bridge.kube.podstate import judge, summarize_events, waiting_reason
from kubectl_bridge.kube.preflight import required_rights
from kubectl_bridge.kube.session import map_peer
from kubectl_bridge.model import PeerNetns
from kubectl_bridge.sandbox.apiserver_exec import exit_status
from kubectl_bridge.sandbox.apiserver_select import SelectorError, fields_match, labels_match


def pod(phase: str, *states: dict[str, Any], **status: Any) -> dict[str, Any]:
    statuses = [{"name": "bridge", "state": s} for s in states]
    return {"status": {"phase": phase, "containerStatuses": statuses, **status}}


@pytest.mark.parametrize(
    ("p", "verdict"),
    [
        (pod("Running", {"running": {"startedAt": "x"}}), "running"),
        (pod("Pending", {"waiting": {"reason": "ContainerCreating"}}), "pending"),
        (pod("Pending"), "pending"),
        (pod("Pending", {"waiting": {"reason": "ImagePullBackOff"}}), "ImagePullBackOff"),
        (pod("Pending", {"waiting": {"reason": "CreateContainerConfigError"}}),
         "CreateContainerConfigError"),
        (pod("Failed", reason="OutOfpods"), "OutOfpods"),
        (pod("Failed", reason="DeadlineExceeded"), "DeadlineExceeded"),
        (pod("Succeeded"), "Succeeded"),
        (pod("Running", {"terminated": {"reason": "OOMKilled"}}), "OOMKilled"),
    ],
)  # fmt: skip
def test_judge(p: dict[str, Any], verdict: str) -> None:
    assert judge(p) == verdict


def test_waiting_reason_prefers_the_container_then_the_pod() -> None:
    waiting = {"waiting": {"reason": "ErrImagePull", "message": "rpc error:\n not found"}}
    assert waiting_reason(pod("Pending", waiting)["status"]) == (
        "ErrImagePull",
        "rpc error: not found",
    )
    failed = pod("Failed", reason="OutOfcpu", message="Node didn't have enough resource: cpu")
    assert waiting_reason(failed["status"]) == ("OutOfcpu", "Node didn't have enough resource: cpu")
    assert waiting_reason({"phase": "Pending"}) == ("Pending", "")


def test_event_summary_keeps_warnings_one_per_reason() -> None:
    events = [
        {"type": "Normal", "reason": "Pulling", "message": "Pulling image x"},
        {"type": "Warning", "reason": "Failed", "message": "first"},
        {"type": "Warning", "reason": "BackOff", "message": "Back-off pulling image x"},
        {"type": "Warning", "reason": "Failed", "message": "Error: ImagePullBackOff"},
    ]
    assert summarize_events(events) == (
        "Failed: Error: ImagePullBackOff; BackOff: Back-off pulling image x"
    )
    normal = [{"type": "Normal", "reason": "Pulled", "message": "already present"}]
    assert summarize_events(normal) == "Pulled: already present"
    assert summarize_events([]) == ""


def test_required_rights_cover_the_issue_list() -> None:
    assert required_rights("web", "kube-system") == [
        ("get", "pods", "web"),
        ("create", "pods", "kube-system"),
        ("get", "pods", "kube-system"),
        ("list", "pods", "kube-system"),
        ("delete", "pods", "kube-system"),
        ("create", "pods/exec", "kube-system"),
        ("get", "pods/exec", "kube-system"),
        ("get", "nodes", None),
    ]
    assert ("get", "pods", None) not in required_rights(None, "dbg")


def test_exit_codes_from_the_status_channel_round_trip() -> None:
    for code in (0, 1, 3, 127):
        assert exit_code_of(exit_status(code)) == code
    assert exit_code_of({"status": "Failure", "reason": "InternalError"}) == -1
    assert exit_code_of({}) == -1


def test_peers_map_to_pods_by_uid_or_container_id() -> None:
    pods = [
        {"metadata": {"name": "a", "namespace": "x", "uid": "1111-22"},
         "status": {"containerStatuses": [{"containerID": "containerd://abc123abc123"}]}},
        {"metadata": {"name": "b", "namespace": "y", "uid": "3333-44"},
         "status": {"containerStatuses": [{"containerID": "docker://def456def456"}]}},
    ]  # fmt: skip
    by_uid = map_peer(PeerNetns(nsid=1, pod_uid="1111_22"), pods)
    assert (by_uid.pod_name, by_uid.pod_namespace) == ("a", "x")
    by_id = map_peer(PeerNetns(nsid=2, container_id="def456def456"), pods)
    assert (by_id.pod_name, by_id.pod_namespace) == ("b", "y")
    stranger = PeerNetns(nsid=3, container_id="ffff", pod_uid="9999")
    assert map_peer(stranger, pods) == stranger


@pytest.mark.parametrize(
    ("selector", "labels", "ok"),
    [
        ("app=nginx", {"app": "nginx"}, True),
        ("app==nginx,tier=web", {"app": "nginx"}, False),
        ("app!=nginx", {"app": "db"}, True),
        ("app in (nginx, nginx1)", {"app": "nginx1"}, True),
        ("app notin (nginx)", {"app": "nginx"}, False),
        ("app", {"app": ""}, True),
        ("!app", {"app": "x"}, False),
        ("", {}, True),
    ],
)
def test_label_selectors(selector: str, labels: dict[str, str], ok: bool) -> None:
    assert labels_match(selector, labels) is ok


def test_field_selectors_and_errors() -> None:
    obj = {"spec": {"nodeName": "master1"}, "metadata": {"name": "p"}}
    assert fields_match("spec.nodeName=master1,metadata.name=p", obj)
    assert not fields_match("spec.nodeName!=master1", obj)
    assert fields_match("status.phase!=Running", obj)
    with pytest.raises(SelectorError):
        labels_match("app in nginx", {})
