"""Server-side printing: the ``Table`` kubectl asks for with ``as=Table``.

``kubectl get pods`` shows what the server prints; without a Table it falls
back to NAME and AGE.  The sandbox demo shows ``kubectl get pods -o wide``
as the seed's author would, so pods and nodes get kubectl's usual columns.
"""

from __future__ import annotations

import time
from typing import Any


def wants_table(accept: str) -> bool:
    """Whether the client asked for ``as=Table`` (kubectl get does)."""
    return "as=Table" in accept


def _age(created: str | None) -> str:
    if not created:
        return "<unknown>"
    from datetime import datetime

    secs = max(
        0, int(time.time() - datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp())
    )
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if secs >= size:
            return f"{secs // size}{unit}"
    return f"{secs}s"


def _column(name: str, priority: int = 0, kind: str = "string") -> dict[str, Any]:
    return {
        "name": name,
        "type": kind,
        "format": "name" if name == "Name" else "",
        "description": name,
        "priority": priority,
    }


def _pod_status(pod: dict[str, Any]) -> str:
    status = pod.get("status") or {}
    if pod["metadata"].get("deletionTimestamp"):
        return "Terminating"
    for cs in status.get("containerStatuses") or []:
        waiting = (cs.get("state") or {}).get("waiting")
        if waiting and waiting.get("reason"):
            return str(waiting["reason"])
    return str(status.get("reason") or status.get("phase") or "Unknown")


def _pod_row(pod: dict[str, Any]) -> list[Any]:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    total = len(pod["spec"].get("containers") or [])
    ready = sum(1 for cs in statuses if cs.get("ready"))
    restarts = sum(int(cs.get("restartCount") or 0) for cs in statuses)
    status = pod.get("status") or {}
    return [
        pod["metadata"]["name"],
        f"{ready}/{total}",
        _pod_status(pod),
        restarts,
        _age(pod["metadata"].get("creationTimestamp")),
        status.get("podIP") or "<none>",
        pod["spec"].get("nodeName") or "<none>",
    ]


def _node_row(node: dict[str, Any]) -> list[Any]:
    ready = "Unknown"
    for cond in (node.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            ready = "Ready" if cond.get("status") == "True" else "NotReady"
    info = (node.get("status") or {}).get("nodeInfo") or {}
    address = next(
        (
            a["address"]
            for a in node["status"].get("addresses", [])
            if a.get("type") == "InternalIP"
        ),
        "<none>",
    )
    return [
        node["metadata"]["name"],
        ready,
        "<none>",
        _age(node["metadata"].get("creationTimestamp")),
        info.get("kubeletVersion", ""),
        address,
        info.get("osImage", ""),
        info.get("kernelVersion", ""),
        info.get("containerRuntimeVersion", ""),
    ]


POD_COLUMNS = [
    _column("Name"),
    _column("Ready"),
    _column("Status"),
    _column("Restarts", kind="integer"),
    _column("Age"),
    _column("IP", 1),
    _column("Node", 1),
]
NODE_COLUMNS = [
    _column("Name"),
    _column("Status"),
    _column("Roles"),
    _column("Age"),
    _column("Version"),
    _column("Internal-IP", 1),
    _column("OS-Image", 1),
    _column("Kernel-Version", 1),
    _column("Container-Runtime", 1),
]


def table(items: list[dict[str, Any]], rv: str) -> dict[str, Any]:
    """A ``meta.k8s.io/v1`` Table for pods or nodes (by the items' kind)."""
    is_node = bool(items) and items[0].get("kind") == "Node"
    columns = NODE_COLUMNS if is_node else POD_COLUMNS
    row = _node_row if is_node else _pod_row
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": rv},
        "columnDefinitions": columns,
        "rows": [
            {
                "cells": row(item),
                "object": {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": item["metadata"],
                },
            }
            for item in items
        ],
    }
