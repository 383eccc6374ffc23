"""From the words on the command line to snapshots, wherever they come from.

A target is local (``pid``, ``netns``, ``host``: the agent runs in-process on
this machine), in the cluster (``pod``, ``node``: the agent runs in a debug
pod on the node), or a saved snapshot (``--from``).  Every verb that renders
a path gets its snapshots here, so all of them accept the same targets.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

from .errors import SnapshotError, UsageError
from .model import Request, SchemaError, Snapshot, parse

LOCAL_KINDS = ("pid", "netns", "host")
CLUSTER_KINDS = ("pod", "node")
KIND_ALIASES = {"po": "pod", "pods": "pod", "no": "node", "nodes": "node"}


@dataclass(frozen=True)
class TargetSpec:
    """A parsed target: its kind and, except for ``host``, its name."""

    kind: str  # pod, node, pid, netns, host, file, selector
    name: str | None = None


def parse_target(words: list[str], *, from_file: str | None, selector: str | None) -> TargetSpec:
    """Read ``pod NAME``, ``pod/NAME``, ``node NAME``, ``pid N``, ``netns X`` or ``host``."""
    if from_file:
        if words or selector:
            raise UsageError("--from renders a saved snapshot; give no other target with it")
        return TargetSpec("file", from_file)
    if selector:
        if words and words not in (["pod"], ["pods"]):
            raise UsageError("-l selects pods; give no pod name with it")
        return TargetSpec("selector", selector)
    if not words:
        raise UsageError(
            "no target given",
            "say what to look at, e.g. 'pod nginx', 'node worker-1', 'pid 4242' or 'host'",
        )
    first, rest = words[0], words[1:]
    if "/" in first and not rest:
        kind, _, name = first.partition("/")
        kind = KIND_ALIASES.get(kind, kind)
        if kind in CLUSTER_KINDS and name:
            return TargetSpec(kind, name)
        raise UsageError(f"cannot read target {first!r}", "use pod/NAME or node/NAME")
    kind = KIND_ALIASES.get(first, first)
    if kind == "host":
        if rest:
            raise UsageError("'host' takes no name")
        return TargetSpec("host")
    if kind not in CLUSTER_KINDS + LOCAL_KINDS:
        raise UsageError(
            f"unknown target kind {first!r}",
            "targets are: pod NAME, node NAME, pid PID, netns NAME|PATH, host, --from FILE",
        )
    if len(rest) != 1:
        raise UsageError(f"'{kind}' takes exactly one name", f"e.g. '{kind} NAME'")
    name = rest[0]
    if kind == "pid" and not name.isdigit():
        raise UsageError(f"{name!r} is not a process id", "pid takes a number, e.g. 'pid 4242'")
    return TargetSpec(kind, name)


def local_request(spec: TargetSpec, scope: str = "pod", host_netns: str | None = None) -> Request:
    """The agent request for a local target.

    ``host_netns`` names the namespace to treat as the node's when the node
    is itself a namespace (a kind node, the sandbox); ``None`` is this
    machine's own.
    """
    if spec.kind == "pid":
        return Request(kind="pid", pid=int(spec.name or 0), scope=scope, host_netns=host_netns)
    if spec.kind == "netns":
        return Request(kind="netns", netns=spec.name, scope=scope, host_netns=host_netns)
    return Request(kind="host", scope="node", host_netns=host_netns)


def read_snapshot_file(path: str) -> Snapshot:
    """Load a saved snapshot (``snapshot`` output or the ``snapshot`` key of ``-o json``)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SnapshotError(f"cannot read {path}: {exc.strerror}", "check the path") from exc
    try:
        return parse(_unwrap_view(text))
    except SchemaError as exc:
        raise SnapshotError(
            f"{path} is not a kubectl-bridge snapshot: {exc}",
            "save one with 'kubectl bridge snapshot TARGET > FILE'",
        ) from exc


def _unwrap_view(text: str) -> str:
    """``-o json`` output carries the snapshot under ``snapshot``; a bare snapshot is itself."""
    try:
        data = json.loads(text)
    except ValueError:
        return text  # parse() reports it
    if (
        isinstance(data, dict)
        and data.get("kind") == "List"
        and isinstance(data.get("items"), list)
    ):
        if len(data["items"]) != 1:
            raise SchemaError(
                f"a list of {len(data['items'])} views; pick one, e.g. jq '.items[0]' FILE"
            )
        data = data["items"][0]
    if isinstance(data, dict) and isinstance(data.get("snapshot"), dict):
        return json.dumps(data["snapshot"])
    return text


def acquire(args: argparse.Namespace, *, scope: str = "pod") -> list[Snapshot]:
    """Collect (or load) the snapshots the command line names.

    Cluster targets may yield several snapshots (``-l`` selects many pods);
    local and file targets yield one.
    """
    spec = parse_target(list(args.target), from_file=args.from_file, selector=args.selector)
    if spec.kind == "file":
        return [read_snapshot_file(spec.name or "")]
    if spec.kind in LOCAL_KINDS:
        from .agent.collect import collect

        host_netns = getattr(args, "host_netns", None)
        return [collect(local_request(spec, scope, host_netns))]
    from .kube.session import collect_cluster

    return collect_cluster(args, spec)
