"""``kubectl bridge cleanup``: list and delete the debug pods kubectl-bridge made.

Kept debug pods end by their ``activeDeadlineSeconds``, but the pod objects
stay (Failed) until someone deletes them; this removes them all, of every
version, on every node.  Only pods carrying both of our labels
(``app.kubernetes.io/name`` and ``managed-by`` = kubectl-bridge) and our name
prefix are touched.
"""

from __future__ import annotations

import argparse
import time

from ..cli import Environment
from ..errors import EXIT_OK


def run(args: argparse.Namespace, env: Environment) -> int:
    """List ours in the debug namespace (or all with ``-A``), delete unless ``--dry-run``."""
    from ..kube import config
    from ..kube import debugpod as dp
    from ..kube.api import Api

    cfg = config.load(args, env.environ)
    api = Api(cfg)
    namespace = None if args.all_namespaces else (args.debug_namespace or dp.DEFAULT_NAMESPACE)
    pods = [
        p
        for p in api.list_pods(namespace, labels=dp.OWNED_SELECTOR)
        if str(p["metadata"].get("name", "")).startswith(dp.NAME_PREFIX)
    ]
    where = "any namespace" if namespace is None else f"namespace {namespace}"
    if not pods:
        env.stdout.write(f"no kubectl-bridge debug pods in {where}\n")
        return EXIT_OK
    rows = [("NAMESPACE", "NAME", "NODE", "PHASE", "VERSION", "AGE")]
    now = time.time()
    for pod in sorted(pods, key=lambda p: (p["metadata"]["namespace"], p["metadata"]["name"])):
        meta = pod["metadata"]
        created = meta.get("creationTimestamp")
        age = _age(now - dp.parse_timestamp(created)) if created else "?"
        rows.append(
            (
                meta["namespace"],
                meta["name"],
                (pod.get("spec") or {}).get("nodeName", ""),
                (pod.get("status") or {}).get("phase", ""),
                (meta.get("labels") or {}).get(dp.LABEL_VERSION, ""),
                age,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        env.stdout.write("   ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        env.stdout.write("\n")
    if args.dry_run:
        env.stdout.write(f"{len(pods)} debug pod(s) would be deleted (--dry-run)\n")
        return EXIT_OK
    for pod in pods:
        api.delete_pod(pod["metadata"]["namespace"], pod["metadata"]["name"])
    env.stdout.write(f"deleted {len(pods)} debug pod(s)\n")
    return EXIT_OK


def _age(seconds: float) -> str:
    """Age as kubectl prints it: 45s, 12m, 3h, 2d."""
    seconds = max(seconds, 0)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"
