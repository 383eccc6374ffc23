"""The debug pod as data: the manifest, its hash, and which live pods may be reused."""

from __future__ import annotations

import argparse
import copy
from typing import Any

import pytest
import yaml

from kubectl_bridge import __version__
from kubectl_bridge.errors import UsageError
from kubectl_bridge.kube import debugpod as dp

NOW = 1_800_000_000.0


def manifest(**options: Any) -> dict[str, Any]:
    return dp.debug_pod_manifest(
        "worker-1",
        dp.DebugPodOptions(**options),
        target="pod web/nginx",
        requested_by="jane",
    )


def test_manifest_is_what_the_issue_specifies() -> None:
    m = manifest()
    meta, spec = m["metadata"], m["spec"]
    assert m["apiVersion"] == "v1" and m["kind"] == "Pod"
    assert meta["generateName"] == "kubectl-bridge-" and "name" not in meta
    assert meta["namespace"] == dp.DEFAULT_NAMESPACE == "kube-system"
    assert meta["labels"] == {
        "app.kubernetes.io/name": "kubectl-bridge",
        "app.kubernetes.io/managed-by": "kubectl-bridge",
        "app.kubernetes.io/version": __version__,
        "kubectl-bridge.io/spec-hash": dp.spec_hash(spec),
    }
    assert meta["annotations"] == {
        "kubectl-bridge.io/node": "worker-1",
        "kubectl-bridge.io/target": "pod web/nginx",
        "kubectl-bridge.io/requested-by": "jane",
    }
    assert spec["nodeName"] == "worker-1"
    assert spec["tolerations"] == [{"operator": "Exists"}]
    assert spec["hostNetwork"] is True and spec["hostPID"] is True
    assert spec["restartPolicy"] == "Never"
    assert spec["activeDeadlineSeconds"] == 15 * 60
    assert spec["automountServiceAccountToken"] is False
    (container,) = spec["containers"]
    assert container["image"] == dp.DEFAULT_IMAGE
    assert container["image"].startswith("docker.io/library/python:3.")  # stock, pinned
    assert container["imagePullPolicy"] == "IfNotPresent"
    ctx = container["securityContext"]
    assert ctx["capabilities"] == {
        "drop": ["ALL"],
        "add": ["NET_ADMIN", "SYS_ADMIN", "SYS_PTRACE"],
    }
    assert ctx["privileged"] is False
    res = container["resources"]
    assert res["requests"] == {"cpu": "10m", "memory": "32Mi"}
    assert res["limits"] == {"cpu": "500m", "memory": "256Mi"}
    assert "imagePullSecrets" not in spec


def test_node_names_never_appear_in_label_values() -> None:
    m = dp.debug_pod_manifest(
        "ip-10-0-0-1.eu-west-1.compute.internal",
        dp.DebugPodOptions(),
        target="node ip-10-0-0-1.eu-west-1.compute.internal",
    )
    assert all("ip-10" not in v for v in m["metadata"]["labels"].values())
    assert m["metadata"]["annotations"]["kubectl-bridge.io/node"].startswith("ip-10")


def test_options_change_the_manifest_and_its_hash() -> None:
    base = manifest()
    custom = manifest(
        namespace="debug",
        image="registry.local/python:3.12",
        image_pull_secret="regcred",
        ttl_seconds=120,
        privileged=True,
    )
    spec = custom["spec"]
    assert custom["metadata"]["namespace"] == "debug"
    assert spec["imagePullSecrets"] == [{"name": "regcred"}]
    assert spec["activeDeadlineSeconds"] == 120
    ctx = spec["containers"][0]["securityContext"]
    assert ctx["privileged"] is True
    assert ctx["capabilities"]["add"] == ["NET_ADMIN", "SYS_ADMIN", "SYS_PTRACE"]  # never NET_RAW
    assert spec["containers"][0]["image"] == "registry.local/python:3.12"
    hash_of = lambda m: m["metadata"]["labels"][dp.LABEL_SPEC_HASH]  # noqa: E731
    assert hash_of(custom) != hash_of(base)
    assert hash_of(manifest()) == hash_of(base)  # stable across calls


def test_per_run_annotations_do_not_change_the_hash() -> None:
    a = dp.debug_pod_manifest("n", dp.DebugPodOptions(), target="pod a/b", requested_by="x")
    b = dp.debug_pod_manifest("n", dp.DebugPodOptions(), target="pod c/d", requested_by="y")
    assert a["metadata"]["labels"] == b["metadata"]["labels"]


def test_options_from_args_reads_the_flags_and_rejects_bad_durations() -> None:
    args = argparse.Namespace(
        debug_namespace="dbg",
        image=None,
        image_pull_secret=None,
        ttl="5m",
        privileged=False,
        timeout="90s",
        rm=True,
    )
    opts = dp.options_from_args(args)
    assert (opts.namespace, opts.image, opts.ttl_seconds, opts.wait_seconds, opts.remove) == (
        "dbg",
        dp.DEFAULT_IMAGE,
        300,
        90.0,
        True,
    )
    assert dp.options_from_args(argparse.Namespace()) == dp.DebugPodOptions()
    with pytest.raises(UsageError, match="--ttl"):
        dp.options_from_args(argparse.Namespace(ttl="soon"))


def live(m: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """What the API returns for a pod made from ``m``: defaults added, Running."""
    pod = copy.deepcopy(m)
    pod["metadata"].update(name="kubectl-bridge-x7k2p", uid="u1", resourceVersion="9")
    pod["spec"]["schedulerName"] = "default-scheduler"  # a server default we never set
    pod["spec"]["containers"][0]["terminationMessagePath"] = "/dev/termination-log"
    pod["status"] = {
        "phase": "Running",
        "startTime": "2027-01-15T08:00:00Z",
        "containerStatuses": [{"name": "bridge", "state": {"running": {}}}],
    }
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        cur = pod
        for p in parents:
            cur = cur[p]
        cur[leaf] = value
    return pod


def test_a_running_pod_from_the_same_manifest_is_reused() -> None:
    m = manifest()
    assert dp.is_reusable(live(m), m, now=NOW)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"metadata__namespace": "default"}, "another namespace"),
        ({"metadata__name": "debugger-abcde"}, "not our name prefix"),
        ({"metadata__deletionTimestamp": "2027-01-15T08:01:00Z"}, "being deleted"),
        ({"spec__nodeName": "worker-2"}, "another node"),
        ({"spec__hostPID": False}, "a look-alike: same labels, different spec"),
        ({"status__phase": "Pending"}, "not running yet"),
        ({"status__containerStatuses": [{"name": "bridge", "state": {"waiting": {}}}]}, "waiting"),
    ],
)
def test_look_alikes_are_not_reused(change: dict[str, Any], why: str) -> None:
    m = manifest()
    assert not dp.is_reusable(live(m, **change), m, now=NOW), why


def test_other_version_or_hash_labels_are_not_reused() -> None:
    m = manifest()
    for key in (dp.LABEL_VERSION, dp.LABEL_SPEC_HASH, dp.LABEL_MANAGED_BY):
        pod = live(m)
        pod["metadata"]["labels"][key] = "other"
        assert not dp.is_reusable(pod, m, now=NOW), key


def test_a_pod_near_its_deadline_is_not_reused() -> None:
    m = manifest(ttl_seconds=600)
    start = dp.parse_timestamp("2027-01-15T08:00:00Z")
    assert dp.is_reusable(live(m), m, now=start + 600 - 120)
    assert not dp.is_reusable(live(m), m, now=start + 600 - 30)


def test_reuse_selector_names_every_label() -> None:
    sel = dp.reuse_selector(manifest())
    assert sel.count(",") == 3
    assert f"app.kubernetes.io/version={__version__}" in sel


def test_dry_run_yaml_round_trips() -> None:
    m = manifest()
    text = dp.manifest_yaml(m)
    assert text.startswith("apiVersion: v1\nkind: Pod\n")
    assert yaml.safe_load(text) == m


@pytest.mark.parametrize("ttl", ["0", "0s", "500ms"])
def test_a_debug_pod_always_has_a_lifetime(ttl: str) -> None:
    with pytest.raises(UsageError, match="needs a lifetime"):
        dp.options_from_args(argparse.Namespace(ttl=ttl))
