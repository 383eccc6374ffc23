"""From a pod or node object to what the agent needs, or a one-line refusal.

Pure: takes the API's objects as dicts, returns plain data or raises a
``TargetError``.  The agent finds a pod's namespace by container id (cgroup
scan), then pod UID, then pod IP, so we hand it all three; what the API
knows that the kernel cannot tell (CrashLoopBackOff, Multus networks) goes
into notes the user sees.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..errors import TargetError

MULTUS_STATUS = "k8s.v1.cni.cncf.io/network-status"
DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container"


@dataclass(frozen=True)
class ResolvedPod:
    """A pod the agent can look at, and how to find it on the node."""

    name: str
    namespace: str
    uid: str
    node: str
    host_network: bool
    pod_ips: tuple[str, ...]
    container: str
    container_ids: tuple[str, ...]  # runtime-prefixed; the chosen container first
    notes: tuple[str, ...] = ()


def not_found(name: str, namespace: str) -> TargetError:
    """The refusal for a pod that does not exist."""
    return TargetError(
        f'pod "{name}" not found in namespace "{namespace}"',
        f"check the name, or pass -n NAMESPACE (list them: kubectl get pods -n {namespace})",
    )


def resolve_pod(pod: dict[str, Any], container: str | None = None) -> ResolvedPod:
    """Check a pod can be looked at and say how the agent finds its namespace."""
    meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    ref = f"{meta['namespace']}/{meta['name']}"
    phase = status.get("phase", "Unknown")
    if phase in ("Succeeded", "Failed"):
        raise TargetError(
            f"pod {ref} has finished (phase {phase}): its network namespace is gone",
            "look at a running pod; 'kubectl get pods' shows which are",
        )
    node = spec.get("nodeName")
    if not node:
        raise TargetError(
            f"pod {ref} is not scheduled to a node yet (Pending{_unscheduled_why(status)})",
            f"wait until it is scheduled; 'kubectl describe pod {meta['name']}' says why not",
        )
    chosen = _choose_container(pod, container)
    ids, notes = _container_ids(status, chosen)
    ips = tuple(p["ip"] for p in status.get("podIPs") or [] if p.get("ip"))
    if not ips and status.get("podIP"):
        ips = (status["podIP"],)
    extra_ips, multus_notes = multus_networks(meta.get("annotations") or {})
    host_network = bool(spec.get("hostNetwork"))
    if host_network:
        notes.append(
            "the pod uses the node's network namespace (hostNetwork): it has no veth or "
            "bridge of its own, so its path is the node's"
        )
    return ResolvedPod(
        name=meta["name"],
        namespace=meta["namespace"],
        uid=meta.get("uid", ""),
        node=node,
        host_network=host_network,
        pod_ips=ips + tuple(ip for ip in extra_ips if ip not in ips),
        container=chosen,
        container_ids=ids,
        notes=tuple(notes + multus_notes),
    )


def _unscheduled_why(status: dict[str, Any]) -> str:
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("status") != "True":
            why = cond.get("reason") or ""
            msg = " ".join(str(cond.get("message") or "").split())
            return f": {why}: {msg}" if msg else (f": {why}" if why else "")
    return ""


def _choose_container(pod: dict[str, Any], wanted: str | None) -> str:
    spec = pod.get("spec") or {}
    names = [c["name"] for c in spec.get("containers") or []]
    inits = [c["name"] for c in spec.get("initContainers") or []]
    if wanted:
        if wanted not in names + inits:
            meta = pod["metadata"]
            raise TargetError(
                f'pod {meta["namespace"]}/{meta["name"]} has no container "{wanted}"',
                f"its containers: {', '.join(names + inits) or 'none'}",
            )
        return wanted
    default = ((pod["metadata"].get("annotations") or {}).get(DEFAULT_CONTAINER)) or ""
    if default in names:
        return default
    return names[0] if names else ""


def _container_ids(status: dict[str, Any], chosen: str) -> tuple[tuple[str, ...], list[str]]:
    """Ids to look for, best first: the chosen container's, then any other running one.

    A container in CrashLoopBackOff has no process, but the pod sandbox keeps
    the network namespace alive: the agent then finds it by pod UID or IP.
    """
    notes: list[str] = []
    mine: list[str] = []
    running: list[str] = []
    others: list[str] = []
    statuses = (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or [])
    for cs in statuses:
        cid, state = cs.get("containerID"), cs.get("state") or {}
        waiting = (state.get("waiting") or {}).get("reason")
        if cs.get("name") == chosen and waiting == "CrashLoopBackOff":
            notes.append(
                f'container "{chosen}" is in CrashLoopBackOff: its network namespace belongs '
                "to the pod sandbox and still exists, so that one is used"
            )
        if not cid:
            continue
        if state.get("running") is None:
            others.append(cid)
        elif cs.get("name") == chosen:
            mine.append(cid)
        else:
            running.append(cid)
    return tuple(dict.fromkeys(mine + running + others)), notes


def multus_networks(annotations: dict[str, str]) -> tuple[tuple[str, ...], list[str]]:
    """IPs and one note per secondary network from Multus' ``network-status``."""
    raw = annotations.get(MULTUS_STATUS)
    if not raw:
        return (), []
    try:
        entries = json.loads(raw)
    except ValueError:
        return (), [f"the {MULTUS_STATUS} annotation is not JSON; secondary networks unknown"]
    ips: list[str] = []
    notes: list[str] = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or entry.get("default"):
            continue
        addrs = [str(ip) for ip in entry.get("ips") or []]
        ips.extend(addrs)
        iface = entry.get("interface") or "?"
        notes.append(
            f"Multus network {entry.get('name', '?')} on {iface}"
            + (f" ({', '.join(addrs)})" if addrs else "")
        )
    return tuple(ips), notes


def check_node(node: dict[str, Any] | None, name: str) -> None:
    """Refuse a node that is missing, not Linux, or not Ready."""
    if node is None:
        raise TargetError(f'node "{name}" not found', "list nodes: kubectl get nodes")
    labels = node["metadata"].get("labels") or {}
    os_name = labels.get("kubernetes.io/os") or labels.get("beta.kubernetes.io/os") or "linux"
    if os_name != "linux":
        raise TargetError(
            f"node {name} runs {os_name}: kubectl-bridge reads Linux bridges and netlink",
            "pick a pod on a Linux node",
        )
    for cond in (node.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready" and cond.get("status") != "True":
            why = cond.get("reason") or cond.get("status")
            raise TargetError(
                f"node {name} is NotReady ({why}): a debug pod cannot start there",
                f"check 'kubectl describe node {name}'; on the node itself run "
                "'sudo kubectl bridge describe pid PID'",
            )
