"""A cluster target from start to snapshots: resolve, debug pod, agent, clean up.

``targets.acquire`` calls :func:`collect_cluster` for ``pod NAME``, ``-l
SELECTOR`` and ``node NAME``.  Pods are grouped by node so each node gets one
debug pod and every pod one agent run.  Whatever happens, the ``finally``
hands back to ``DebugPods.release``: nothing this run created outlives a
failure or an interrupt.
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import sys
from typing import Any

from ..errors import TargetError
from ..model import PeerNetns, Request, Snapshot
from ..targets import TargetSpec
from . import config
from . import debugpod as dp
from .agentrun import DEFAULT_EXEC_TIMEOUT, run_agent, server_idle
from .api import Api, ApiStatusError
from .lifecycle import DebugPods
from .preflight import preflight
from .resolve import ResolvedPod, check_node, not_found, resolve_pod


@dataclasses.dataclass
class Plan:
    """What one run will look at, grouped by node."""

    nodes: dict[str, list[ResolvedPod]]
    target_namespace: str | None  # None for a node target
    describe: str  # for the debug pod's target annotation


def collect_cluster(args: argparse.Namespace, spec: TargetSpec) -> list[Snapshot]:
    """Snapshots for a cluster target (``--dry-run``: print the debug pod YAML, return [])."""
    cfg = config.load(args)
    options = dp.options_from_args(args)
    api = Api(cfg)
    plan = make_plan(api, cfg.namespace, spec, getattr(args, "container", None))
    for node in plan.nodes:
        check_node(api.get_node(node), node)
    requested_by = cfg.user or _login()
    pods = DebugPods(
        api,
        options,
        requested_by=requested_by,
        before_create=lambda: preflight(api, plan.target_namespace, options.namespace),
    )
    if getattr(args, "dry_run", False):
        for node in plan.nodes:
            sys.stdout.write("---\n" + dp.manifest_yaml(pods.manifest(node, plan.describe)))
        return []
    timeout = cfg.request_timeout or DEFAULT_EXEC_TIMEOUT
    idle = server_idle(remove=options.remove)
    snapshots: list[Snapshot] = []
    ok = False
    try:
        for node, resolved in plan.nodes.items():
            debug_pod = pods.ensure(node, plan.describe)
            if not resolved:  # a node target
                snap, _ = run_agent(
                    cfg,
                    options.namespace,
                    debug_pod,
                    Request(kind="host", scope="node"),
                    timeout=timeout,
                    server_idle=idle,
                )
                snapshots.append(_label_node(api, snap, node))
                continue
            for rp in resolved:
                snap, _ = run_agent(
                    cfg,
                    options.namespace,
                    debug_pod,
                    pod_request(rp),
                    timeout=timeout,
                    server_idle=idle,
                )
                snapshots.append(_label_pod(snap, rp))
        ok = True
    finally:
        pods.release(success=ok)
    return snapshots


def _login() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def make_plan(api: Api, namespace: str, spec: TargetSpec, container: str | None) -> Plan:
    """Resolve the target to pods grouped by node (a node target: no pods)."""
    if spec.kind == "node":
        return Plan({spec.name or "": []}, None, f"node {spec.name}")
    if spec.kind == "pod":
        pod = api.get_pod(namespace, spec.name or "")
        if pod is None:
            raise not_found(spec.name or "", namespace)
        resolved = [resolve_pod(pod, container)]
        describe = f"pod {namespace}/{spec.name}"
    else:
        resolved = _select(api, namespace, spec.name or "", container)
        describe = f"pods {spec.name} in {namespace}"
    nodes: dict[str, list[ResolvedPod]] = {}
    for rp in resolved:
        nodes.setdefault(rp.node, []).append(rp)
    return Plan(nodes, namespace, describe)


def _select(api: Api, namespace: str, selector: str, container: str | None) -> list[ResolvedPod]:
    """Every pod matching ``-l``; pods that cannot be looked at are skipped with a note."""
    found = sorted(api.list_pods(namespace, labels=selector), key=lambda p: p["metadata"]["name"])
    if not found:
        raise TargetError(
            f"no pods match -l {selector} in namespace {namespace}",
            "check the selector: kubectl get pods -l SELECTOR -n NAMESPACE",
        )
    usable, refused = [], []
    for pod in found:
        try:
            usable.append(resolve_pod(pod, container))
        except TargetError as exc:
            refused.append(exc)
    if not usable:
        raise refused[0]
    for refusal in refused:
        sys.stderr.write(f"note: skipped: {refusal.message}\n")
    return usable


def pod_request(rp: ResolvedPod, scope: str = "pod") -> Request:
    """The agent request for a resolved pod."""
    return Request(
        kind="pod",
        scope=scope,
        container_ids=rp.container_ids,
        pod_uid=rp.uid or None,
        pod_ips=rp.pod_ips,
        pod_name=rp.name,
        pod_namespace=rp.namespace,
        host_network=rp.host_network,
    )


def _label_pod(snap: Snapshot, rp: ResolvedPod) -> Snapshot:
    """Put what the API knows about the pod into the snapshot's target."""
    for note in rp.notes:
        sys.stderr.write(f"note: {note}\n")
    target = dataclasses.replace(
        snap.target,
        pod_name=rp.name,
        pod_namespace=rp.namespace,
        pod_ips=snap.target.pod_ips or rp.pod_ips,
        host_network=snap.target.host_network or rp.host_network,
        container_id=snap.target.container_id or (rp.container_ids or (None,))[0],
        node_name=rp.node,
        notes=snap.target.notes + rp.notes,
    )
    return dataclasses.replace(snap, target=target)


def _label_node(api: Api, snap: Snapshot, node: str) -> Snapshot:
    """Name the pod behind every peer namespace, from the pods the API puts on the node."""
    notes: tuple[str, ...] = ()
    try:
        pods = api.list_pods(None, fields=f"spec.nodeName={node}")
    except ApiStatusError as exc:
        pods = []
        notes = (f"ports are not mapped to pods: {exc.message}",)
    peers = tuple(map_peer(peer, pods) for peer in snap.peers)
    target = dataclasses.replace(
        snap.target, kind="node", node_name=node, notes=snap.target.notes + notes
    )
    return dataclasses.replace(snap, target=target, peers=peers)


def map_peer(peer: PeerNetns, pods: list[dict[str, Any]]) -> PeerNetns:
    """The peer with ``pod_name``/``pod_namespace`` set when a pod's ids match."""
    uid = (peer.pod_uid or "").replace("_", "-")
    cid = (peer.container_id or "").rsplit("://", 1)[-1]
    for pod in pods:
        meta = pod["metadata"]
        if uid and meta.get("uid") == uid:
            return dataclasses.replace(peer, pod_name=meta["name"], pod_namespace=meta["namespace"])
        statuses = (pod.get("status") or {}).get("containerStatuses") or []
        ids = {str(cs.get("containerID", "")).rsplit("://", 1)[-1] for cs in statuses}
        if cid and cid in ids:
            return dataclasses.replace(peer, pod_name=meta["name"], pod_namespace=meta["namespace"])
    return peer
