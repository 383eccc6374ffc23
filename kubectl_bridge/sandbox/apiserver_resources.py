"""Nodes, namespaces, events, lists and discovery documents of the stand-in.

Complete like the pods in ``apiserver_objects``: typed clients and kubectl
read every field they expect.
"""

from __future__ import annotations

import secrets
import time
import uuid
from typing import Any

from .apiserver_objects import now_rfc3339


def node_object(
    name: str,
    *,
    address: str = "192.168.0.10",
    ready: bool = True,
    os_name: str = "linux",
    kernel: str = "",
) -> dict[str, Any]:
    """A node with complete status (nodeInfo, conditions, addresses)."""
    stamp = now_rfc3339()
    cond = {
        "type": "Ready",
        "status": "True" if ready else "Unknown",
        "reason": "KubeletReady" if ready else "NodeStatusUnknown",
        "message": "kubelet is posting ready status"
        if ready
        else "Kubelet stopped posting node status.",
        "lastHeartbeatTime": stamp,
        "lastTransitionTime": stamp,
    }
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "uid": str(uuid.uuid5(uuid.NAMESPACE_DNS, name)),
            "resourceVersion": "1",
            "creationTimestamp": now_rfc3339(time.time() - 86400),
            "labels": {
                "kubernetes.io/os": os_name,
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/hostname": name,
                "beta.kubernetes.io/os": os_name,
            },
            "annotations": {},
        },
        "spec": {"podCIDR": "172.17.0.0/16", "podCIDRs": ["172.17.0.0/16"]},
        "status": {
            "conditions": [cond],
            "addresses": [
                {"type": "InternalIP", "address": address},
                {"type": "Hostname", "address": name},
            ],
            "capacity": {"cpu": "2", "memory": "4Gi", "pods": "110"},
            "allocatable": {"cpu": "2", "memory": "4Gi", "pods": "110"},
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": str(uuid.uuid4()),
                "containerRuntimeVersion": "containerd://1.7.24",
                "kernelVersion": kernel or "6.1.0",
                "kubeProxyVersion": "v1.32.0",
                "kubeletVersion": "v1.32.0",
                "machineID": "0" * 32,
                "operatingSystem": os_name,
                "osImage": "Debian GNU/Linux 12 (bookworm)"
                if os_name == "linux"
                else "Windows Server 2022 Datacenter",
                "systemUUID": str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
            },
        },
    }


def namespace_object(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A namespace; Pod Security Admission reads its labels."""
    all_labels = {"kubernetes.io/metadata.name": name, **(labels or {})}
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "uid": str(uuid.uuid5(uuid.NAMESPACE_OID, name)),
            "resourceVersion": "1",
            "creationTimestamp": now_rfc3339(time.time() - 86400),
            "labels": all_labels,
        },
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def event_object(
    pod: dict[str, Any], reason: str, message: str, *, warning: bool, rv: str
) -> dict[str, Any]:
    """A core/v1 Event about ``pod`` (what ``kubectl describe pod`` lists)."""
    meta = pod["metadata"]
    stamp = now_rfc3339()
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": f"{meta['name']}.{secrets.token_hex(8)}",
            "namespace": meta["namespace"],
            "uid": str(uuid.uuid4()),
            "resourceVersion": rv,
            "creationTimestamp": stamp,
        },
        "involvedObject": {
            "apiVersion": "v1",
            "kind": "Pod",
            "name": meta["name"],
            "namespace": meta["namespace"],
            "uid": meta["uid"],
            "fieldPath": "spec.containers{bridge}",
        },
        "reason": reason,
        "message": message,
        "source": {"component": "kubelet", "host": pod["spec"].get("nodeName", "")},
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
        "type": "Warning" if warning else "Normal",
        "reportingComponent": "kubelet",
        "reportingInstance": pod["spec"].get("nodeName", ""),
    }


def list_object(kind: str, items: list[dict[str, Any]], rv: str) -> dict[str, Any]:
    """A ``PodList``-style collection."""
    return {"apiVersion": "v1", "kind": kind, "metadata": {"resourceVersion": rv}, "items": items}


CORE_RESOURCES = [
    {
        "name": "pods",
        "singularName": "pod",
        "namespaced": True,
        "kind": "Pod",
        "verbs": ["create", "delete", "get", "list", "watch"],
        "shortNames": ["po"],
        "categories": ["all"],
    },
    {
        "name": "pods/exec",
        "singularName": "",
        "namespaced": True,
        "kind": "PodExecOptions",
        "verbs": ["create", "get"],
    },
    {"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod", "verbs": ["get"]},
    {
        "name": "nodes",
        "singularName": "node",
        "namespaced": False,
        "kind": "Node",
        "verbs": ["get", "list"],
        "shortNames": ["no"],
    },
    {
        "name": "namespaces",
        "singularName": "namespace",
        "namespaced": False,
        "kind": "Namespace",
        "verbs": ["get", "list"],
        "shortNames": ["ns"],
    },
    {
        "name": "events",
        "singularName": "event",
        "namespaced": True,
        "kind": "Event",
        "verbs": ["list"],
        "shortNames": ["ev"],
    },
]


def discovery_api() -> dict[str, Any]:
    """``/api``: the legacy core group's versions."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": ""}],
    }


def discovery_api_v1() -> dict[str, Any]:
    """``/api/v1``: the core resources we serve."""
    return {"kind": "APIResourceList", "groupVersion": "v1", "resources": CORE_RESOURCES}


def discovery_apis() -> dict[str, Any]:
    """``/apis``: only authorization.k8s.io (SelfSubjectAccessReview)."""
    version = {"groupVersion": "authorization.k8s.io/v1", "version": "v1"}
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [
            {"name": "authorization.k8s.io", "versions": [version], "preferredVersion": version}
        ],
    }


def discovery_authorization_v1() -> dict[str, Any]:
    """``/apis/authorization.k8s.io/v1``."""
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": "authorization.k8s.io/v1",
        "resources": [
            {
                "name": "selfsubjectaccessreviews",
                "singularName": "selfsubjectaccessreview",
                "namespaced": False,
                "kind": "SelfSubjectAccessReview",
                "verbs": ["create"],
            },
        ],
    }
