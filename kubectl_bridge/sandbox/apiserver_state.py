"""What the stand-in control plane knows, and how its debug pods come to life.

The state is loaded from a JSON file (see ``docs/cluster.md``):

``nodes``       ``[{"name", "netns", "address", "ready", "os"}]`` — each
                node is a network namespace on this machine
``namespaces``  ``[{"name", "labels"}]`` — Pod Security reads the labels
``pods``        complete pod objects; ``x-standin: {"netns": …}`` says
                which namespace ``kubectl exec`` into them enters
``faults``      what to break (see ``Faults``)

Pods created through the API (our debug pods) start ``Pending`` and become
``Running`` after ``debug_start_seconds``, or follow the injected fault:
image pull back-off, OutOfpods.  Transitions are computed from the clock,
bump the resourceVersion and emit events, so watches and events look real.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import sys
import time
import uuid
from dataclasses import dataclass, field, fields
from typing import Any

from . import apiserver_objects as obj
from . import apiserver_psa as psa
from . import apiserver_resources as res

USER = "kubectl-bridge-tester"
PSA_LEVEL = "pod-security.kubernetes.io/enforce"


@dataclass
class Faults:
    """Knobs a test turns to make the stand-in misbehave the way clusters do."""

    #: RBAC denials: ``{"verb": "create", "resource": "pods/exec", "namespace": "x"}``
    #: (namespace omitted: everywhere).
    deny: list[dict[str, str]] = field(default_factory=list)
    debug_start_seconds: float = 0.2
    image_pull_error: bool = False
    out_of_pods: bool = False
    #: Drop this many exec connections after the first stdin frame, without a status.
    exec_drops: int = 0
    #: Pod Security level for namespaces without the enforce label.
    psa_default: str = "privileged"
    #: Exec subprotocols the server speaks; ["v4.channel.k8s.io"] plays a
    #: server older than Kubernetes 1.30 (no stdin close).
    exec_protocols: list[str] = field(
        default_factory=lambda: ["v5.channel.k8s.io", "v4.channel.k8s.io"]
    )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Faults:
        """Known keys only: a typo in a test is an error, not a silent no-op."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault(s): {sorted(unknown)}")
        return cls(**data)


@dataclass
class DebugLife:
    """Clock of one pod created through the API."""

    created: float
    running_since: float | None = None
    events_sent: set[str] = field(default_factory=set)


class State:
    """Nodes, namespaces, pods and events, plus the injected faults."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.token: str = data.get("token", "")
        self.nodes: dict[str, dict[str, Any]] = {}
        self.node_netns: dict[str, str] = {}
        for node in data.get("nodes", []):
            self.add_node(node)
        self.namespaces = {
            ns["name"]: res.namespace_object(ns["name"], ns.get("labels"))
            for ns in data.get("namespaces", [])
        }
        for name in ("default", "kube-system"):
            self.namespaces.setdefault(name, res.namespace_object(name))
        self.pods: dict[tuple[str, str], dict[str, Any]] = {}
        self.pod_netns: dict[str, str] = {}  # pod uid -> netns name for exec
        self.life: dict[str, DebugLife] = {}  # pod uid -> clock (debug pods)
        self.events: list[dict[str, Any]] = []
        self.rv = 10
        for pod in data.get("pods", []):
            self.add_pod(pod)
        self.faults = Faults.from_dict(data.get("faults", {}))
        self.cache_root: str = data.get("cache_root", "/tmp/kubectl-bridge-standin")
        self.python: str = data.get("python") or _node_python()
        self.exec_count = 0
        self.exec_log: list[dict[str, Any]] = []  # per exec: pod, protocol, stdin bytes

    @classmethod
    def load(cls, path: str) -> State:
        """Read a state file."""
        with open(path, encoding="utf-8") as fh:
            return cls(json.load(fh))

    def next_rv(self) -> str:
        """A new resourceVersion (monotonic, as strings, like etcd revisions)."""
        self.rv += 1
        return str(self.rv)

    def add_node(self, spec: dict[str, Any]) -> None:
        """A node from its short form; ``netns`` is where debug-pod execs run."""
        node = res.node_object(
            spec["name"],
            address=spec.get("address", "192.168.0.10"),
            ready=spec.get("ready", True),
            os_name=spec.get("os", "linux"),
        )
        self.nodes[spec["name"]] = node
        if spec.get("netns"):
            self.node_netns[spec["name"]] = spec["netns"]

    def add_pod(self, pod: dict[str, Any]) -> None:
        """A complete pod object; ``x-standin.netns`` is kept aside, not served."""
        pod = copy.deepcopy(pod)
        extra = pod.pop("x-standin", {}) or {}
        meta = pod["metadata"]
        meta.setdefault("uid", str(uuid.uuid4()))
        meta["resourceVersion"] = self.next_rv()
        if extra.get("netns"):
            self.pod_netns[meta["uid"]] = extra["netns"]
        self.pods[(meta["namespace"], meta["name"])] = pod

    # --- authorization ----------------------------------------------------

    def allowed(self, verb: str, resource: str, namespace: str | None) -> bool:
        """RBAC as the faults say: everything is allowed unless a deny rule matches."""
        return not any(
            rule.get("verb") in (verb, "*")
            and rule.get("resource") == resource
            and rule.get("namespace") in (None, namespace)
            for rule in self.faults.deny
        )

    # --- Pod Security Admission -------------------------------------------

    def pod_security_violations(self, pod: dict[str, Any]) -> tuple[str, list[str]] | None:
        """(level, violations) if the namespace's enforce level forbids ``pod``."""
        ns = self.namespaces.get(pod["metadata"]["namespace"])
        labels = (ns or {}).get("metadata", {}).get("labels", {})
        level = labels.get(PSA_LEVEL, self.faults.psa_default)
        found = psa.violations(pod["spec"], level)
        return (level, found) if found else None

    # --- debug pod life ---------------------------------------------------

    def create_pod(self, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
        """Store a pod created through the API; it starts Pending."""
        pod = copy.deepcopy(body)
        meta = pod.setdefault("metadata", {})
        meta["namespace"] = namespace
        if not meta.get("name"):
            meta["name"] = obj.generated_name(meta.get("generateName", "pod-"))
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = obj.now_rfc3339()
        meta["resourceVersion"] = self.next_rv()
        meta.setdefault("labels", {})
        meta.setdefault("annotations", {})
        for c in pod["spec"]["containers"]:
            c.setdefault("terminationMessagePath", "/dev/termination-log")
            c.setdefault("terminationMessagePolicy", "File")
        pod["status"] = {"phase": "Pending", "qosClass": "Burstable"}
        self.life[meta["uid"]] = DebugLife(created=time.time())
        self.pods[(namespace, meta["name"])] = pod
        self.advance(pod)
        return pod

    def delete_pod(self, namespace: str, name: str) -> dict[str, Any] | None:
        """Remove at once (our pods have a 1 s grace period; nobody waits here)."""
        pod = self.pods.pop((namespace, name), None)
        if pod is not None:
            self.life.pop(pod["metadata"]["uid"], None)
            pod["metadata"]["resourceVersion"] = self.next_rv()
        return pod

    def tick(self) -> bool:
        """Advance every debug pod's clock; True if anything changed."""
        changed = False
        for pod in list(self.pods.values()):
            changed |= self.advance(pod)
        return changed

    def advance(self, pod: dict[str, Any]) -> bool:
        """Recompute one debug pod's status from its clock and the faults."""
        life = self.life.get(pod["metadata"]["uid"])
        if life is None:
            return False
        status = self._debug_status(pod, life, time.time())
        if status == pod.get("status"):
            return False
        pod["status"] = status
        pod["metadata"]["resourceVersion"] = self.next_rv()
        return True

    def _debug_status(self, pod: dict[str, Any], life: DebugLife, now: float) -> dict[str, Any]:
        spec = pod["spec"]
        cname, image = spec["containers"][0]["name"], spec["containers"][0]["image"]
        age = now - life.created
        node = self.nodes.get(spec.get("nodeName", ""))
        host_ip = node["status"]["addresses"][0]["address"] if node else ""
        base: dict[str, Any] = {
            "qosClass": "Burstable",
            "hostIP": host_ip,
            "hostIPs": [{"ip": host_ip}],
            "podIP": host_ip,
            "podIPs": [{"ip": host_ip}],
            "startTime": obj.now_rfc3339(life.created),
        }
        if self.faults.out_of_pods:
            self._event(pod, life, "OutOfpods", "Node didn't have enough resource: pods", True)
            return {
                "phase": "Failed",
                "reason": "OutOfpods",
                "message": "Pod was rejected: Node didn't have enough resource: pods, "
                "requested: 1, used: 110, capacity: 110",
                "startTime": base["startTime"],
            }
        deadline = spec.get("activeDeadlineSeconds")
        if deadline and age > float(deadline):
            return {
                **base,
                "phase": "Failed",
                "reason": "DeadlineExceeded",
                "message": "Pod was active on the node longer than the specified deadline",
            }
        if self.faults.image_pull_error:
            return {
                **base,
                "phase": "Pending",
                "containerStatuses": [self._pull_failure(pod, life, cname, image, age)],
            }
        if age < self.faults.debug_start_seconds:
            self._event(pod, life, "Pulled", f'Container image "{image}" already present', False)
            waiting = obj.waiting_state("ContainerCreating")
            cs = obj.container_status(cname, image, None, state=waiting, ready=False)
            return {**base, "phase": "Pending", "containerStatuses": [cs]}
        if life.running_since is None:
            life.running_since = life.created + self.faults.debug_start_seconds
            self._event(pod, life, "Started", f"Started container {cname}", False)
        ref = f"containerd://{uuid.uuid5(uuid.NAMESPACE_OID, pod['metadata']['uid']).hex * 2}"
        cs = obj.container_status(
            cname, image, ref, state=obj.running_state(life.running_since), ready=True
        )
        return {**base, "phase": "Running", "containerStatuses": [cs]}

    def _pull_failure(
        self, pod: dict[str, Any], life: DebugLife, cname: str, image: str, age: float
    ) -> dict[str, Any]:
        self._event(pod, life, "Pulling", f'Pulling image "{image}"', False)
        failed = (
            f'Failed to pull image "{image}": rpc error: code = NotFound desc = failed to '
            f'pull and unpack image "{image}": not found'
        )
        self._event(pod, life, "Failed", failed, True)
        if age < 0.3:
            state = obj.waiting_state("ErrImagePull", failed)
        else:
            self._event(pod, life, "BackOff", f'Back-off pulling image "{image}"', True)
            state = obj.waiting_state("ImagePullBackOff", f'Back-off pulling image "{image}"')
        return obj.container_status(cname, image, None, state=state, ready=False)

    def _event(
        self, pod: dict[str, Any], life: DebugLife, reason: str, message: str, warning: bool
    ) -> None:
        if reason in life.events_sent:
            return
        life.events_sent.add(reason)
        self.events.append(
            res.event_object(pod, reason, message, warning=warning, rv=self.next_rv())
        )

    def snapshot(self) -> dict[str, Any]:
        """What the tests inspect: every pod, the exec count, the faults."""
        return {
            "pods": list(self.pods.values()),
            "exec_count": self.exec_count,
            "exec_log": self.exec_log,
            "faults": self.faults.__dict__,
        }


def _node_python() -> str:
    """The interpreter debug pods run: the system one, like a stock image's."""
    if os.path.exists("/usr/bin/python3"):
        return "/usr/bin/python3"
    return shutil.which("python3") or sys.executable
