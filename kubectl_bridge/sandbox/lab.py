"""``kubectl bridge sandbox up|down|status``: the seed's node, on this machine.

A newcomer with no cluster should see the tool work: ``up`` builds the seed's
node ``master1`` from network namespaces (``docker0`` 172.17.0.1/16, uplink
``eth0`` 192.168.0.10/24 masqueraded towards a router 192.168.0.1, pods
``nginx`` and ``nginx1``), starts the stand-in API server on loopback as a
detached process and writes a kubeconfig for it.

Everything is recorded on disk *before* it is made, so ``down`` — from
another process, after a crash, twice — removes exactly what was made::

    STATE/sandbox.json    prefix, node, pods, the server's pid and start time
    STATE/topology.json   the topology's own log: namespaces, processes, cgroups
    STATE/apiserver/      the stand-in's state, TLS certificate, log, payload cache
    STATE/kubeconfig      what ``export KUBECONFIG=`` points at

``STATE`` is ``$KUBECTL_BRIDGE_SANDBOX_DIR`` or ``/run/kubectl-bridge-sandbox``
(a tmpfs, cleared at boot together with the namespaces it describes).
Namespace names carry a fresh random prefix, so tests with their own state
directory never meet a user's sandbox.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import labserver, netops, podprocs
from .labserver import SandboxError
from .labspec import NODE, check_args, node_spec, pod_specs
from .specs import PodSpec
from .topology import PodHandle, Topology, build, unique_prefix

STATE_DIR_ENV = "KUBECTL_BRIDGE_SANDBOX_DIR"
DEFAULT_STATE_DIR = "/run/kubectl-bridge-sandbox"


@dataclass(frozen=True)
class Paths:
    """Where one sandbox keeps its state."""

    root: str

    @property
    def record(self) -> str:
        """The sandbox's own record."""
        return os.path.join(self.root, "sandbox.json")

    @property
    def topology(self) -> str:
        """The topology's step log (``teardown_from_state`` reads it)."""
        return os.path.join(self.root, "topology.json")

    @property
    def server_dir(self) -> str:
        """The stand-in API server's working directory."""
        return os.path.join(self.root, "apiserver")

    @property
    def kubeconfig(self) -> str:
        """The kubeconfig for the sandbox's API server."""
        return os.path.join(self.root, "kubeconfig")


def paths_from(environ: Mapping[str, str]) -> Paths:
    """The state directory: ``$KUBECTL_BRIDGE_SANDBOX_DIR`` or the default."""
    return Paths(os.path.abspath(environ.get(STATE_DIR_ENV) or DEFAULT_STATE_DIR))


def require_root(what: str) -> None:
    """Namespaces, veths and cgroups need root; say so before touching anything."""
    if os.geteuid() != 0:
        raise SandboxError(
            f"{what} needs root (it creates network namespaces, veths and cgroups)",
            f"run it as root: sudo kubectl bridge {what}",
        )


# --- the record -----------------------------------------------------------


def load_record(paths: Paths) -> dict[str, Any] | None:
    """The record ``up`` keeps, or None when no sandbox lives here."""
    try:
        data: dict[str, Any] = json.loads(Path(paths.record).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {"phase": "unreadable"}
    return data


def save_record(paths: Paths, record: dict[str, Any]) -> None:
    """Atomically: a crash leaves the old record or the new one, never half."""
    tmp = f"{paths.record}.tmp"
    Path(tmp).write_text(json.dumps(record, indent=1), encoding="utf-8")
    os.replace(tmp, paths.record)


# --- up -------------------------------------------------------------------


@dataclass
class Sandbox:
    """A sandbox as the process that built it holds it (the demo adds pods)."""

    paths: Paths
    record: dict[str, Any]
    topology: Topology
    server: labserver.Server
    handles: list[PodHandle] = field(default_factory=list)

    @property
    def kubeconfig(self) -> str:
        """The kubeconfig path (``export KUBECONFIG=...``)."""
        return self.paths.kubeconfig

    def add_pod(self, spec: PodSpec) -> PodHandle:
        """Build one more pod and announce it to the API server (``kubectl run``)."""
        handle = self.topology.add_pod(spec)
        self.handles.append(handle)
        self.record["pods"].append(_pod_entry(handle))
        save_record(self.paths, self.record)
        self.server.add_pod(self.topology, NODE, spec.name)
        return handle

    def close(self) -> list[str]:
        """Remove everything (``down``) and reap this process's children."""
        removed = down(self.paths)
        self.server.reap()
        self.topology.teardown()
        return removed


def _pod_entry(handle: PodHandle) -> dict[str, Any]:
    return {"name": handle.spec.name, "netns": handle.netns, "ip": handle.spec.ip,
            "host_veth": handle.host_veth, "uid": handle.uid}  # fmt: skip


def up(paths: Paths, *, pods: int = 2, cni: str = "bridge") -> Sandbox:
    """Build the node and its pods, start the API server, write the kubeconfig.

    The caller checks first that no sandbox is up here (``status``).  On any
    failure whatever was made is removed again before the error propagates.
    """
    require_root("sandbox up")
    check_args(pods, cni)
    labserver.check_available()
    os.makedirs(paths.root, mode=0o700, exist_ok=True)
    prefix = unique_prefix("kbs")
    record: dict[str, Any] = {
        "version": 1, "phase": "building", "created": time.time(), "prefix": prefix,
        "node": NODE, "cni": cni, "node_netns": f"{prefix}-node", "pods": [], "server": None,
    }  # fmt: skip
    save_record(paths, record)
    try:
        topo = build(node_spec(prefix, cni), state_path=paths.topology)
        record["router_netns"] = topo.router_netns
        save_record(paths, record)

        def spawned(pid: int, start: str | None) -> None:
            record["server"] = {"pid": pid, "start": start}
            save_record(paths, record)

        server = labserver.start(
            paths.server_dir,
            topo,
            node=NODE,
            cache_root=os.path.join(paths.server_dir, "cache"),
            kubeconfig=paths.kubeconfig,
            spawned=spawned,
        )
        record["server"]["url"] = server.url
        sandbox = Sandbox(paths, record, topo, server)
        for spec in pod_specs(pods, cni):
            sandbox.add_pod(spec)
        record["phase"] = "up"
        save_record(paths, record)
    except BaseException as exc:
        down(paths)
        if isinstance(exc, (OSError, RuntimeError, subprocess.SubprocessError)):
            raise build_error(exc) from exc
        raise
    return sandbox


def build_error(exc: Exception) -> SandboxError:
    """A command or call that failed while building, as one line with what the sandbox needs."""
    detail = str(exc)
    if isinstance(exc, subprocess.CalledProcessError):
        said = exc.stderr.strip() if isinstance(exc.stderr, str) else ""
        detail = f"{' '.join(map(str, exc.cmd))}: {said or f'exit status {exc.returncode}'}"
    return SandboxError(
        "could not build the sandbox: " + "; ".join(detail.split("\n")),
        "it needs iproute2 (ip, bridge), iptables, util-linux nsenter and ping; "
        "what was made has been removed",
    )


# --- down -----------------------------------------------------------------


def down(paths: Paths) -> list[str]:
    """Remove every process, namespace, cgroup and file recorded.  Safe to repeat."""
    record = load_record(paths) or {}
    removed: list[str] = []
    server = record.get("server") or {}
    if server.get("pid") and labserver.stop_process(int(server["pid"]), server.get("start")):
        removed.append(f"API server (pid {server['pid']})")
    # a killed server could not stop what exec left running in its debug pods
    if killed := podprocs.kill_all(os.path.join(paths.server_dir, "cache")):
        removed.append(f"{killed} processes the debug pods left running")
    if os.path.exists(paths.topology):
        names = [str(n) for n in _recorded(paths.topology, "netns")]
        netops.teardown_from_state(paths.topology)
        if names:
            removed.append(f"{len(names)} namespaces ({', '.join(names)}) and their processes")
    for path in (paths.kubeconfig, paths.record, f"{paths.record}.tmp", f"{paths.topology}.tmp"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
            if path == paths.kubeconfig:
                removed.append(path)
    if os.path.isdir(paths.server_dir):
        shutil.rmtree(paths.server_dir, ignore_errors=True)
    with contextlib.suppress(FileNotFoundError, OSError):
        os.rmdir(paths.root)  # only if empty: never more than we made
    return removed


def _recorded(path: str, key: str) -> list[Any]:
    """One list from the topology's step log (empty if it is missing or torn)."""
    try:
        items = json.loads(Path(path).read_text(encoding="utf-8")).get(key, [])
    except (OSError, ValueError):
        return []
    return list(items)


# --- status ---------------------------------------------------------------


@dataclass
class Status:
    """What is up: ``up``, ``down`` (nothing recorded) or ``broken``."""

    state: str
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def status(paths: Paths) -> Status:
    """Check every recorded part is still there and say what is up."""
    record = load_record(paths)
    if record is None:
        leftovers = os.path.exists(paths.topology) or os.path.isdir(paths.server_dir)
        if leftovers:
            return Status("broken", problems=["leftovers of a sandbox without its record"])
        return Status("down")
    problems: list[str] = []
    if record.get("phase") != "up":
        problems.append(f"the sandbox was left half-built (phase {record.get('phase')})")
    netns = [record.get("node_netns"), record.get("router_netns")]
    netns += [p["netns"] for p in record.get("pods", [])]
    for name in filter(None, netns):
        if not os.path.exists(f"{netops.NETNS_DIR}/{name}"):
            problems.append(f"namespace {name} is gone")
    server = record.get("server") or {}
    alive = bool(server.get("pid")) and labserver.is_running(
        int(server["pid"]), server.get("start")
    )
    if not alive:
        problems.append("the API server is not running")
    for proc in _recorded(paths.topology, "processes"):
        if not labserver.is_running(int(proc["pid"]), proc.get("start")):
            problems.append(f"pod process {proc['pid']} is gone")
    if not os.path.exists(paths.kubeconfig):
        problems.append(f"{paths.kubeconfig} is missing")
    lines = _describe(record, alive)
    return Status("broken" if problems else "up", lines, problems)


def _describe(record: dict[str, Any], alive: bool) -> list[str]:
    node = f"node {record.get('node')}: netns {record.get('node_netns')}"
    node += (
        ", docker0 172.17.0.1/16" if record.get("cni") == "bridge" else ", routed pods (no bridge)"
    )
    lines = [node + ", eth0 192.168.0.10/24 (masquerade)"]
    lines.append(f"router 192.168.0.1: netns {record.get('router_netns')}")
    for pod in record.get("pods", []):
        lines.append(
            f"pod {pod['name']}: {pod['ip']} (netns {pod['netns']}, host side {pod['host_veth']})"
        )
    server = record.get("server") or {}
    state = "running" if alive else "not running"
    lines.append(f"API server: {server.get('url', '?')} (pid {server.get('pid', '?')}, {state})")
    return lines
