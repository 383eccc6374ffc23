"""Complete API objects for the stand-in control plane.

Real clients deserialize what they get: the python client's models want
``image``, ``imageID`` and ``restartCount`` in every container status, and
kubectl wants discovery documents before it does anything.  So every object
built here has every field a real API server would fill in, and the error
bodies are ``metav1.Status`` with the messages real servers write.
"""

from __future__ import annotations

import secrets
import time
import uuid
from typing import Any

SERVER_VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0-standin",
    "gitCommit": "0" * 40,
    "gitTreeState": "clean",
    "buildDate": "2024-12-11T00:00:00Z",
    "goVersion": "go1.23.4",
    "compiler": "gc",
    "platform": "linux/amd64",
}

#: Characters Kubernetes uses for generateName suffixes (no vowels, no 0/1/3).
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"


def now_rfc3339(at: float | None = None) -> str:
    """A timestamp as the API writes it: second precision, UTC, ``Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if at is None else at))


def generated_name(prefix: str) -> str:
    """``prefix`` + 5 random characters, as the API server does for generateName."""
    return prefix + "".join(secrets.choice(_NAME_CHARS) for _ in range(5))


def status_object(code: int, reason: str, message: str, **details: Any) -> dict[str, Any]:
    """A ``metav1.Status`` failure body."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return body


def not_found(resource: str, name: str) -> dict[str, Any]:
    """404 body: ``pods "nginx" not found``."""
    return status_object(
        404, "NotFound", f'{resource} "{name}" not found', name=name, kind=resource
    )


def forbidden_rbac(
    user: str, verb: str, resource: str, namespace: str | None, name: str | None = None
) -> dict[str, Any]:
    """403 body in the RBAC authorizer's words (``resource`` may be ``pods/exec``)."""
    kind = resource.split("/", 1)[0]
    subject = f'{kind} "{name}"' if name else kind
    where = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
    msg = (
        f'{subject} is forbidden: User "{user}" cannot {verb} resource "{resource}" '
        f'in API group ""{where}'
    )
    return status_object(403, "Forbidden", msg, kind=kind, **({"name": name} if name else {}))


def container_status(
    name: str,
    image: str,
    container_ref: str | None,
    *,
    state: dict[str, Any],
    ready: bool,
    restart_count: int = 0,
    last_state: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A complete container status (image, imageID, restartCount all set)."""
    status: dict[str, Any] = {
        "name": name,
        "image": image,
        "imageID": f"{image.split(':', maxsplit=1)[0]}@sha256:{'ab' * 32}" if container_ref else "",
        "ready": ready,
        "restartCount": restart_count,
        "started": bool(state.get("running")),
        "state": state,
        "lastState": last_state or {},
    }
    if container_ref:
        status["containerID"] = container_ref
    return status


def running_state(started: float) -> dict[str, Any]:
    """``state.running`` with its start time."""
    return {"running": {"startedAt": now_rfc3339(started)}}


def waiting_state(reason: str, message: str = "") -> dict[str, Any]:
    """``state.waiting`` with reason (and message, when there is one)."""
    waiting: dict[str, Any] = {"reason": reason}
    if message:
        waiting["message"] = message
    return {"waiting": waiting}


def workload_pod(
    name: str,
    *,
    namespace: str = "default",
    node: str | None,
    ips: tuple[str, ...] = (),
    host_ip: str = "192.168.0.10",
    uid: str | None = None,
    containers: tuple[tuple[str, str], ...] = (("app", ""),),
    image: str = "docker.io/library/nginx:1.27",
    phase: str = "Running",
    host_network: bool = False,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    crashloop: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A pod as a kubelet would have reported it: complete status, dual-stack podIPs.

    ``containers`` pairs each name with its runtime-prefixed id
    (``containerd://…``); ``crashloop`` names containers in CrashLoopBackOff.
    """
    created = time.time() - 3600
    spec: dict[str, Any] = {
        "containers": [_container(c, image) for c, _ in containers],
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst",
        "serviceAccountName": "default",
        "schedulerName": "default-scheduler",
        "enableServiceLinks": True,
        "priority": 0,
        "tolerations": [],
    }
    if node:
        spec["nodeName"] = node
    if host_network:
        spec["hostNetwork"] = True
    statuses = []
    for cname, ref in containers:
        if cname in crashloop:
            back_off = f"back-off 5m0s restarting failed container={cname} pod={name}"
            statuses.append(
                container_status(
                    cname,
                    image,
                    ref,
                    state=waiting_state("CrashLoopBackOff", back_off),
                    ready=False,
                    restart_count=7,
                    last_state={
                        "terminated": {
                            "exitCode": 1,
                            "reason": "Error",
                            "startedAt": now_rfc3339(created),
                            "finishedAt": now_rfc3339(created + 1),
                            "containerID": ref,
                        }
                    },
                )
            )
        elif phase == "Running":
            statuses.append(
                container_status(cname, image, ref, state=running_state(created), ready=True)
            )
        elif phase in ("Succeeded", "Failed"):
            code = 0 if phase == "Succeeded" else 1
            term = {
                "exitCode": code,
                "reason": "Completed" if code == 0 else "Error",
                "startedAt": now_rfc3339(created),
                "finishedAt": now_rfc3339(created + 5),
                "containerID": ref,
            }
            statuses.append(
                container_status(cname, image, ref, state={"terminated": term}, ready=False)
            )
        else:
            statuses.append(
                container_status(
                    cname, image, None, state=waiting_state("ContainerCreating"), ready=False
                )
            )
    status: dict[str, Any] = {
        "phase": phase,
        "qosClass": "BestEffort",
        "conditions": _conditions(phase, scheduled=bool(node)),
    }
    if node:
        status.update(hostIP=host_ip, hostIPs=[{"ip": host_ip}], startTime=now_rfc3339(created))
        status["containerStatuses"] = statuses
    if ips:
        status["podIP"] = ips[0]
        status["podIPs"] = [{"ip": ip} for ip in ips]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": uid or str(uuid.uuid4()),
            "resourceVersion": "1",
            "creationTimestamp": now_rfc3339(created),
            "labels": dict(labels or {"app": name}),
            "annotations": dict(annotations or {}),
        },
        "spec": spec,
        "status": status,
    }


def _container(name: str, image: str) -> dict[str, Any]:
    return {
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "resources": {},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }


def _conditions(phase: str, *, scheduled: bool) -> list[dict[str, Any]]:
    stamp = now_rfc3339()
    ready = "True" if phase == "Running" else "False"
    conds = [
        {
            "type": "PodScheduled",
            "status": "True" if scheduled else "False",
            "lastTransitionTime": stamp,
            "lastProbeTime": None,
        },
    ]
    if not scheduled:
        conds[0].update(
            reason="Unschedulable",
            message="0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are "
            "available: 1 No preemption victims found for incoming pod.",
        )
        return conds
    for ctype in ("Initialized", "ContainersReady", "Ready"):
        conds.append(
            {
                "type": ctype,
                "status": "True" if ctype == "Initialized" else ready,
                "lastTransitionTime": stamp,
                "lastProbeTime": None,
            }
        )
    return conds


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
