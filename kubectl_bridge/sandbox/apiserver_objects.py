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
