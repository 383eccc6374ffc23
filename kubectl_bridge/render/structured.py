"""``-o json`` and ``-o yaml``: the path, findings, tables' data and the raw snapshot.

The document is a stable contract (``docs/output.md``): ``path`` is the
ordered list of hops of the pod's primary interface, ``paths`` every
interface's, ``findings`` what looks wrong, ``sections`` the tables' data,
and ``snapshot`` what the agent collected, so ``--from`` can re-render a
saved ``-o json`` output.  Pure: returns text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import yaml

from ..model import Hop, to_jsonable
from .view import View

API_VERSION = "kubectl-bridge/v1"


class _NoAliases(yaml.SafeDumper):
    """``path`` and ``paths[0].hops`` are the same list: write it twice, not as &id001."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def hop_data(hop: Hop) -> dict[str, Any]:
    """One hop: ``kind`` and ``name`` first, its details nested (they have a ``kind`` too)."""
    return {
        "kind": hop.kind,
        "name": hop.name,
        "netns": hop.netns,
        "ifindex": hop.ifindex,
        "details": to_jsonable(hop.details),
    }


def document(view: View, sections: dict[str, Any]) -> dict[str, Any]:
    """The whole view of one snapshot as plain data."""
    paths = [
        {
            "interface": p.interface,
            "owner": p.hops[0].details.get("owner") if p.hops else None,
            "hops": [hop_data(h) for h in p.hops],
        }
        for p in view.paths
    ]
    return {
        "apiVersion": API_VERSION,
        "kind": "PathView",
        "node": view.snapshot.node_name,
        "target": to_jsonable(view.snapshot.target),
        "cni": view.cni.to_json() if view.cni else None,
        "path": paths[0]["hops"] if paths else [],
        "paths": paths,
        "findings": [
            {
                "severity": f.severity,
                "code": f.code,
                "message": f.message,
                "hint": f.hint,
                "hop": f.hop,
            }
            for f in view.findings
        ],
        "sections": sections,
        "snapshot": to_jsonable(view.snapshot),
    }


def dumps(documents: Sequence[dict[str, Any]], fmt: str) -> str:
    """One document as itself, several as a ``List`` (like ``kubectl get -o json``)."""
    data: dict[str, Any] = (
        documents[0]
        if len(documents) == 1
        else {"apiVersion": API_VERSION, "kind": "List", "items": list(documents)}
    )
    if fmt == "yaml":
        text = yaml.dump(data, Dumper=_NoAliases, sort_keys=False, default_flow_style=False)
        return text.rstrip("\n")
    return json.dumps(data, indent=2)
