"""Ask the API which rights we have before creating anything.

A run that creates a debug pod and then finds it may not exec into it leaves
a pod behind and wastes a minute.  SelfSubjectAccessReview answers "may I?"
for each right without side effects; the reviews run in parallel, and every
missing right is named in one message.
"""

from __future__ import annotations

from ..errors import ClusterError
from .api import Api, describe_right

Right = tuple[str, str, str | None]  # verb, resource[/subresource], namespace


def required_rights(target_namespace: str | None, debug_namespace: str) -> list[Right]:
    """Every right one run needs (target namespace None: a node target)."""
    rights: list[Right] = []
    if target_namespace:
        rights.append(("get", "pods", target_namespace))
    rights += [
        ("create", "pods", debug_namespace),
        ("get", "pods", debug_namespace),
        ("list", "pods", debug_namespace),
        ("delete", "pods", debug_namespace),
        ("create", "pods/exec", debug_namespace),
        ("get", "pods/exec", debug_namespace),
        ("get", "nodes", None),
    ]
    return rights


def missing_rights(api: Api, rights: list[Right]) -> list[Right]:
    """The rights the server says we lack (a review that itself fails counts as granted)."""
    from concurrent.futures import ThreadPoolExecutor  # only before a create: not when warm

    with ThreadPoolExecutor(max_workers=min(8, len(rights))) as pool:
        answers = list(pool.map(lambda r: api.access_review(*r), rights))
    return [right for right, ok in zip(rights, answers, strict=True) if ok is False]


def preflight(api: Api, target_namespace: str | None, debug_namespace: str) -> None:
    """Raise naming every missing right; return quietly when all are granted."""
    missing = missing_rights(api, required_rights(target_namespace, debug_namespace))
    if not missing:
        return
    named = "; ".join(describe_right(*r) for r in missing)
    raise ClusterError(
        f"missing RBAC rights: {named}",
        "ask a cluster admin for them (docs/cluster.md has a ready Role), "
        "or pass --debug-namespace NAMESPACE where you have them",
    )
