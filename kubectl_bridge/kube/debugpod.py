"""The debug pod as plain data: what we create on a node, and what we may reuse.

Pure: no client, no I/O.  Tests check the manifest as a dict, ``--dry-run``
prints it as YAML, and the lifecycle module sends it unchanged.

Why each choice:

- ``hostNetwork`` + ``hostPID``: the agent reads the node's netlink view and
  finds pod namespaces through ``/proc/PID/ns/net`` of host processes.
- capabilities: drop ALL, add SYS_ADMIN (``setns`` into a pod's namespace),
  SYS_PTRACE (open ``/proc/PID/ns/net`` of another user's process) and
  NET_ADMIN (nfnetlink refuses even reads of the nftables rules without it:
  the masquerade and forwarding answers).  Reading rtnetlink needs nothing
  more, and NET_RAW is never added: the tool prints tcpdump commands for
  the user to run, it does not capture.  Pod Security's "baseline" already
  forbids SYS_ADMIN, so NET_ADMIN does not change the level a namespace
  needs ("privileged").  ``--privileged`` exists for runtimes whose
  default profile still refuses.
- a stock Python image pinned by version: the agent ships over exec stdin,
  so no custom image has to be built, mirrored or trusted.
- ``nodeName`` (no scheduler), tolerate every taint: a NotReady-ish or
  tainted node is exactly the one being debugged.
- ``activeDeadlineSeconds``: the server ends a forgotten pod by itself.
- node names live in annotations, never in label values (length and
  character rules differ, and names can leak into selectors by accident).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from .. import __version__
from ..errors import UsageError
from .config import parse_duration

#: Pod Security Admission enforces "privileged" on kube-system on stock
#: clusters and the common cluster-wide defaults exempt it: kube-proxy and
#: the CNI's host-network daemonsets must run there.  ``default`` is
#: privileged only while nobody labels it.  See docs/cluster.md.
DEFAULT_NAMESPACE = "kube-system"
DEFAULT_IMAGE = "docker.io/library/python:3.12.8-alpine3.21"
DEFAULT_TTL_SECONDS = 15 * 60
#: The debug pod always has a deadline: "0 = no limit", as some kubectl flags
#: read it, would leave a privileged pod running forever.
MIN_TTL_SECONDS = 1
DEFAULT_WAIT_SECONDS = 60.0
CONTAINER = "bridge"
CACHE_DIR = "/tmp/kubectl-bridge"
NAME_PREFIX = "kubectl-bridge-"

LABEL_NAME = "app.kubernetes.io/name"
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
LABEL_VERSION = "app.kubernetes.io/version"
LABEL_SPEC_HASH = "kubectl-bridge.io/spec-hash"
ANNOTATION_NODE = "kubectl-bridge.io/node"
ANNOTATION_TARGET = "kubectl-bridge.io/target"
ANNOTATION_REQUESTED_BY = "kubectl-bridge.io/requested-by"
OURS = "kubectl-bridge"

#: Selects every debug pod we made, whatever its version: for ``cleanup``.
OWNED_SELECTOR = f"{LABEL_NAME}={OURS},{LABEL_MANAGED_BY}={OURS}"

#: How much lifetime a pod must have left to be worth reusing.
REUSE_MARGIN_SECONDS = 60


@dataclass(frozen=True)
class DebugPodOptions:
    """What the user may choose about the debug pod."""

    namespace: str = DEFAULT_NAMESPACE
    image: str = DEFAULT_IMAGE
    image_pull_secret: str | None = None
    ttl_seconds: int = DEFAULT_TTL_SECONDS
    privileged: bool = False
    wait_seconds: float = DEFAULT_WAIT_SECONDS
    remove: bool = False  # --rm


def options_from_args(args: argparse.Namespace) -> DebugPodOptions:
    """Read the debug-pod flags; absent flags keep the documented defaults."""
    ttl = parse_duration(getattr(args, "ttl", None), default=DEFAULT_TTL_SECONDS, flag="--ttl")
    if ttl < MIN_TTL_SECONDS:
        raise UsageError(
            f"--ttl {getattr(args, 'ttl', '')}: the debug pod needs a lifetime",
            "give a duration such as --ttl 15m (the pod ends by then; 0 is not 'no limit')",
        )
    wait = parse_duration(
        getattr(args, "timeout", None), default=DEFAULT_WAIT_SECONDS, flag="--timeout"
    )
    return DebugPodOptions(
        namespace=getattr(args, "debug_namespace", None) or DEFAULT_NAMESPACE,
        image=getattr(args, "image", None) or DEFAULT_IMAGE,
        image_pull_secret=getattr(args, "image_pull_secret", None),
        ttl_seconds=int(ttl),
        privileged=bool(getattr(args, "privileged", False)),
        wait_seconds=wait,
        remove=bool(getattr(args, "rm", False)),
    )


def _security_context(options: DebugPodOptions) -> dict[str, Any]:
    add = ["NET_ADMIN", "SYS_ADMIN", "SYS_PTRACE"]
    ctx: dict[str, Any] = {
        "capabilities": {"drop": ["ALL"], "add": add},
        "privileged": options.privileged,
        "readOnlyRootFilesystem": True,
        "runAsUser": 0,
        "runAsNonRoot": False,
    }
    return ctx


def _spec(node: str, options: DebugPodOptions) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "nodeName": node,
        "hostNetwork": True,
        "hostPID": True,
        "dnsPolicy": "ClusterFirstWithHostNet",
        "restartPolicy": "Never",
        "activeDeadlineSeconds": options.ttl_seconds,
        "terminationGracePeriodSeconds": 1,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "tolerations": [{"operator": "Exists"}],
        "containers": [
            {
                "name": CONTAINER,
                "image": options.image,
                "imagePullPolicy": "IfNotPresent",
                # Idle until exec'd into; the deadline ends it server-side.
                "command": ["sleep", str(options.ttl_seconds)],
                "securityContext": _security_context(options),
                "resources": {
                    "requests": {"cpu": "10m", "memory": "32Mi"},
                    "limits": {"cpu": "500m", "memory": "256Mi"},
                },
                "volumeMounts": [{"name": "cache", "mountPath": CACHE_DIR}],
            }
        ],
        "volumes": [{"name": "cache", "emptyDir": {"sizeLimit": "64Mi"}}],
    }
    if options.image_pull_secret:
        spec["imagePullSecrets"] = [{"name": options.image_pull_secret}]
    return spec


def spec_hash(spec: dict[str, Any]) -> str:
    """A short, stable fingerprint of a pod spec: reuse only what we would create."""
    canonical = json.dumps(spec, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def debug_pod_manifest(
    node: str,
    options: DebugPodOptions,
    *,
    target: str,
    requested_by: str | None = None,
    version: str = __version__,
) -> dict[str, Any]:
    """The debug pod for ``node`` as the API expects it (``generateName``, no name)."""
    spec = _spec(node, options)
    annotations = {ANNOTATION_NODE: node, ANNOTATION_TARGET: target}
    if requested_by:
        annotations[ANNOTATION_REQUESTED_BY] = requested_by
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "generateName": NAME_PREFIX,
            "namespace": options.namespace,
            "labels": {
                LABEL_NAME: OURS,
                LABEL_MANAGED_BY: OURS,
                LABEL_VERSION: version,
                LABEL_SPEC_HASH: spec_hash(spec),
            },
            "annotations": annotations,
        },
        "spec": spec,
    }


def reuse_selector(manifest: dict[str, Any]) -> str:
    """The label selector that finds pods made from this exact manifest."""
    labels = manifest["metadata"]["labels"]
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def is_reusable(pod: dict[str, Any], manifest: dict[str, Any], *, now: float) -> bool:
    """Whether ``pod`` is one of ours, made from ``manifest``, Running, with time left.

    Every condition is checked here, not only in the selector: a look-alike
    (copied labels, another namespace or node, a different spec) is ignored.
    """
    meta, want = pod.get("metadata") or {}, manifest["metadata"]
    labels = meta.get("labels") or {}
    if meta.get("namespace") != want["namespace"] or meta.get("deletionTimestamp"):
        return False
    if not str(meta.get("name", "")).startswith(NAME_PREFIX):
        return False
    if any(labels.get(k) != v for k, v in want["labels"].items()):
        return False
    spec = pod.get("spec") or {}
    if spec.get("nodeName") != manifest["spec"]["nodeName"]:
        return False
    if spec_hash(_comparable(spec, manifest["spec"])) != want["labels"][LABEL_SPEC_HASH]:
        return False
    status = pod.get("status") or {}
    if status.get("phase") != "Running" or not _container_running(status):
        return False
    return remaining_seconds(pod, now=now) > REUSE_MARGIN_SECONDS


def _comparable(actual: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """The live spec restricted to the keys we set: the server adds defaults of its own."""
    out: dict[str, Any] = {}
    for key, value in wanted.items():
        have = actual.get(key)
        if isinstance(value, dict) and isinstance(have, dict):
            out[key] = _comparable(have, value)
        elif isinstance(value, list) and isinstance(have, list) and len(value) == len(have):
            out[key] = [
                _comparable(h, v) if isinstance(v, dict) and isinstance(h, dict) else h
                for h, v in zip(have, value, strict=True)
            ]
        else:
            out[key] = have
    return out


def _container_running(status: dict[str, Any]) -> bool:
    for cs in status.get("containerStatuses") or []:
        if cs.get("name") == CONTAINER:
            return (cs.get("state") or {}).get("running") is not None
    return False


def remaining_seconds(pod: dict[str, Any], *, now: float) -> float:
    """Seconds until the pod's deadline ends it (inf when it has none or has not started)."""
    deadline = (pod.get("spec") or {}).get("activeDeadlineSeconds")
    started = (pod.get("status") or {}).get("startTime")
    if not deadline or not started:
        return float("inf")
    return parse_timestamp(started) + float(deadline) - now


def parse_timestamp(text: str) -> float:
    """Unix seconds from an RFC 3339 timestamp as the API writes it."""
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def manifest_yaml(manifest: dict[str, Any]) -> str:
    """The manifest as ``--dry-run`` prints it."""
    import yaml

    return str(yaml.safe_dump(manifest, sort_keys=False, default_flow_style=False))
