"""The debug pod's life: reuse or create, wait, explain failures, delete.

Rules:

- reuse only a Running pod of ours on the same node, in the debug
  namespace, with our version and the same spec hash (``debugpod.is_reusable``);
- a pod we create is deleted again if anything fails — including Ctrl-C or
  SIGTERM at any moment, even in the middle of the create call (each run
  marks its pods with a run id, so a create whose answer never arrived is
  still found and deleted);
- ``--rm`` deletes every pod this run used; otherwise the pod is kept for
  the next run and ends by its ``activeDeadlineSeconds``.
"""

from __future__ import annotations

import contextlib
import itertools
import secrets
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import ClusterError
from . import debugpod as dp
from .api import Api, ApiStatusError
from .podstate import judge, summarize_events, waiting_reason

ANNOTATION_RUN = "kubectl-bridge.io/run"
PSA_ENFORCE = "pod-security.kubernetes.io/enforce"
PULL_REASONS = frozenset({"ImagePullBackOff", "ErrImagePull", "InvalidImageName"})


class DebugPods:
    """Debug pods used by one run, and the promise to clean up after it."""

    def __init__(
        self,
        api: Api,
        options: dp.DebugPodOptions,
        *,
        requested_by: str | None = None,
        before_create: Callable[[], None] | None = None,
    ) -> None:
        self.api = api
        self.options = options
        self.requested_by = requested_by
        self.before_create = before_create
        self.run_id = secrets.token_hex(6)
        self.created: list[str] = []
        self.used: list[str] = []
        self._creating_on: list[str] = []

    def manifest(self, node: str, target: str) -> dict[str, Any]:
        """The manifest this run would create on ``node``."""
        return dp.debug_pod_manifest(
            node, self.options, target=target, requested_by=self.requested_by
        )

    def ensure(self, node: str, target: str) -> str:
        """The name of a Running debug pod on ``node``: reused, or created and waited for."""
        manifest = self.manifest(node, target)
        ns = self.options.namespace
        found = self.api.list_pods(
            ns, labels=dp.reuse_selector(manifest), fields=f"spec.nodeName={node}"
        )
        now = time.time()
        self._collect_dead(found)
        usable = [p for p in found if dp.is_reusable(p, manifest, now=now)]
        if usable:
            best = max(usable, key=lambda p: p["metadata"].get("creationTimestamp", ""))
            name = str(best["metadata"]["name"])
            self.used.append(name)
            return name
        if self.before_create is not None:
            self.before_create()
            self.before_create = None  # preflight once per run
        name = self._create(manifest)
        self.used.append(name)
        self._wait(name)
        return name

    def _collect_dead(self, pods: list[dict[str, Any]]) -> None:
        """Delete our pods on this node that their deadline (or anything else) ended.

        The kubelet stops a pod at its deadline but the object stays, Failed,
        until deleted; ``cleanup`` does it for all nodes, this for the one in use.
        """
        for pod in pods:
            meta = pod["metadata"]
            phase = (pod.get("status") or {}).get("phase")
            if phase in ("Failed", "Succeeded") and str(meta.get("name", "")).startswith(
                dp.NAME_PREFIX
            ):
                with contextlib.suppress(ClusterError):
                    self.api.delete_pod(meta["namespace"], meta["name"])

    def _create(self, manifest: dict[str, Any]) -> str:
        manifest["metadata"]["annotations"][ANNOTATION_RUN] = self.run_id
        node = manifest["spec"]["nodeName"]
        self._creating_on.append(node)
        try:
            pod = self.api.create_pod(self.options.namespace, manifest)
        except ApiStatusError as exc:
            self._creating_on.remove(node)  # the server answered: nothing was created
            if exc.status == 403 and "PodSecurity" in exc.server_message:
                raise self._pod_security_error(exc) from exc
            raise
        name = str(pod["metadata"]["name"])
        self.created.append(name)
        self._creating_on.remove(node)
        return name

    def _pod_security_error(self, exc: ApiStatusError) -> ClusterError:
        ns = self.options.namespace
        level = None
        with contextlib.suppress(ClusterError):
            obj = self.api.get_namespace(ns)
            level = ((obj or {}).get("metadata", {}).get("labels") or {}).get(PSA_ENFORCE)
        why = exc.server_message.split(": ", 1)[-1]
        fix = f"kubectl label --overwrite ns {ns} {PSA_ENFORCE}=privileged"
        if level:
            said = f"namespace {ns} has {PSA_ENFORCE}={level}"
        else:
            said = f"namespace {ns} has no {PSA_ENFORCE} label, so the cluster default applies"
        return ClusterError(
            f"Pod Security admission refused the debug pod in namespace {ns} ({why})",
            f"{said}: label it privileged ('{fix}') or pass --debug-namespace with a "
            "namespace that allows privileged pods (see docs/cluster.md)",
        )

    # --- waiting ---------------------------------------------------------------

    def _wait(self, name: str) -> None:
        ns = self.options.namespace
        deadline = time.monotonic() + self.options.wait_seconds
        pod = self.api.get_pod(ns, name)
        while True:
            if pod is None:
                raise ClusterError(
                    f"debug pod {ns}/{name} was deleted while starting",
                    "someone else removed it; run the command again",
                )
            verdict = judge(pod)
            if verdict == "running":
                return
            if verdict != "pending":
                raise self._start_failure(pod, verdict)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._start_failure(pod, "timeout")
            pod = self._next_state(ns, name, pod, remaining)

    def _next_state(
        self, ns: str, name: str, pod: dict[str, Any], remaining: float
    ) -> dict[str, Any] | None:
        rv = str(pod["metadata"].get("resourceVersion", ""))
        try:
            events = list_or_watch(self.api, ns, name, rv, remaining)
        except ApiStatusError as exc:
            if exc.status != 403:
                raise
            time.sleep(min(0.5, remaining))  # no right to watch: poll
            return self.api.get_pod(ns, name)
        for event in events:
            kind, obj = event.get("type"), event.get("object") or {}
            if kind == "DELETED":
                return None
            if kind == "ERROR":  # e.g. 410 Gone: start over from a fresh read
                return self.api.get_pod(ns, name)
            if judge(obj) != "pending":
                return dict(obj)
            pod = obj
        return self.api.get_pod(ns, name)

    def _start_failure(self, pod: dict[str, Any], verdict: str) -> ClusterError:
        meta, status = pod["metadata"], pod.get("status") or {}
        ref = f"{meta['namespace']}/{meta['name']}"
        node = pod.get("spec", {}).get("nodeName", "?")
        reason, message = waiting_reason(status)
        events = ""
        with contextlib.suppress(ClusterError):  # no right to list events: say what we know
            events = summarize_events(self.api.pod_events(meta["namespace"], meta["name"]))
        detail = f"{reason}: {message}" if message else reason
        tail = f" (events: {events})" if events else ""
        if verdict == "timeout":
            return ClusterError(
                f"debug pod {ref} not Running on node {node} after "
                f"{self.options.wait_seconds:g}s ({detail}){tail}",
                "raise --timeout, or look at the node; the pod was deleted",
            )
        if reason in PULL_REASONS:
            hint = (
                f"node {node} cannot pull {self.options.image}: mirror it and pass --image "
                "(and --image-pull-secret if the registry needs one)"
            )
        else:
            hint = "the node refused or killed the pod; the events say why"
        return ClusterError(f"debug pod {ref} did not start on node {node}: {detail}{tail}", hint)

    # --- cleaning up -----------------------------------------------------------

    def release(self, *, success: bool) -> list[str]:
        """Delete what must not outlive this run; returns the names deleted."""
        doomed = list(self.used if self.options.remove else [])
        if not success:
            doomed += self.created
        with _shielded():
            doomed += self._orphans()
            deleted = []
            for name in dict.fromkeys(doomed):
                with contextlib.suppress(ClusterError):
                    self.api.delete_pod(self.options.namespace, name)
                    deleted.append(name)
        return deleted

    def _orphans(self) -> list[str]:
        """Pods whose create was interrupted before we learnt their names."""
        if not self._creating_on:
            return []
        with contextlib.suppress(ClusterError):
            pods = self.api.list_pods(self.options.namespace, labels=dp.OWNED_SELECTOR)
            return [
                p["metadata"]["name"]
                for p in pods
                if (p["metadata"].get("annotations") or {}).get(ANNOTATION_RUN) == self.run_id
            ]
        return []


def list_or_watch(
    api: Api, ns: str, name: str, rv: str, remaining: float
) -> Iterator[dict[str, Any]]:
    """Start the watch now (so a 403 surfaces here), yield its events lazily."""
    stream = api.watch_pod(ns, name, rv, remaining)
    first = next(stream, None)
    if first is None:
        return iter(())
    return itertools.chain([first], stream)


@contextlib.contextmanager
def _shielded() -> Iterator[None]:
    """Let cleanup finish: a second Ctrl-C (or SIGTERM) must not leave a pod behind."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
