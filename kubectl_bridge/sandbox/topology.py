"""Declarative, disposable network topologies on the real kernel.

A node is a network namespace of its own (so interface names can be the
seed's exact ``docker0``, ``eth0``, ``veth2482a36`` without touching the
machine), with bridges, an uplink to a router namespace, routes, sysctls and
pods.  Each pod is a namespace with a veth into the node and, like a real
container, a process living in it that sits in a kubelet-style cgroup.

``build(spec)`` creates it all and returns a ``Topology``; ``teardown()``
removes exactly what was made.  Every step is recorded in a JSON state file
as it happens, so ``teardown_from_state(path)`` can clean up after a crash.
Namespace names carry the caller's unique prefix because tests run at the
same time on one machine.  The sandbox, benchmarks and tests all build on it.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from ..agent.nsthread import write_sysctl_in
from . import cgroups, netops
from .cgroups import CgroupSpec
from .netops import NETNS_DIR, teardown_from_state
from .specs import BridgeSpec, NodeSpec, PodSpec, RouteSpec, UplinkSpec, seed_node_spec

__all__ = [
    "BridgeSpec",
    "CgroupSpec",
    "NodeSpec",
    "PodHandle",
    "PodSpec",
    "RouteSpec",
    "Topology",
    "UplinkSpec",
    "build",
    "seed_node_spec",
    "teardown_from_state",
    "unique_prefix",
]

NO_IPV6 = {"net.ipv6.conf.all.disable_ipv6": "1", "net.ipv6.conf.default.disable_ipv6": "1"}


@dataclass
class PodHandle:
    """A built pod: where it lives and how the kubelet would name it."""

    spec: PodSpec
    netns: str
    uid: str
    container_id: str
    host_veth: str
    pid: int | None = None
    pause_pid: int | None = None
    pause_container_id: str | None = None
    cgroup_paths: list[str] = field(default_factory=list)  # as /proc/PID/cgroup shows them

    @property
    def netns_path(self) -> str:
        """The bind mount that names the pod's namespace."""
        return f"{NETNS_DIR}/{self.netns}"

    @property
    def ip(self) -> str:
        """The pod IP without its prefix length."""
        return self.spec.ip.split("/")[0]

    @property
    def container_ref(self) -> str:
        """The id as containerStatuses shows it: ``docker://<64 hex>``."""
        return cgroups.container_ref(self.spec.runtime, self.container_id)


class Topology:
    """A built topology; a context manager whose exit tears it down."""

    def __init__(self, spec: NodeSpec, state_path: str | None) -> None:
        self.spec = spec
        self.state_path = state_path
        self.node_netns = f"{spec.prefix}-node"
        self.router_netns: str | None = None
        self.pods: dict[str, PodHandle] = {}
        self._procs: list[subprocess.Popen[bytes]] = []
        self._state: dict[str, list[Any]] = {"netns": [], "processes": [], "cgroup_dirs": []}
        self._torn_down = False

    @property
    def node_netns_path(self) -> str:
        """Path of the node namespace (what the agent treats as the host)."""
        return f"{NETNS_DIR}/{self.node_netns}"

    def pod(self, name: str) -> PodHandle:
        """The built pod called ``name``."""
        return self.pods[name]

    def run(
        self, netns: str, *argv: str, check: bool = True, timeout: float = 10
    ) -> subprocess.CompletedProcess[str]:
        """Run a command inside one of this topology's namespaces (by name)."""
        return subprocess.run(
            ["ip", "netns", "exec", netns, *argv],
            check=check,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def ping(self, pod: str, dst: str, count: int = 1) -> bool:
        """Ping ``dst`` from inside pod ``pod``; True if it answered."""
        ns = self.pods[pod].netns
        result = self.run(ns, "ping", "-c", str(count), "-W", "1", dst, check=False)
        return result.returncode == 0

    def add_pod(self, pod: PodSpec) -> PodHandle:
        """Attach one more pod to the built node, as ``kubectl run`` would later on."""
        _build_pod(self, pod)
        return self.pods[pod.name]

    def teardown(self) -> None:
        """Remove every process, cgroup directory and namespace made.  Idempotent."""
        if self._torn_down:
            return
        for proc in self._procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
        netops.teardown_state(self._state)
        self._torn_down = True
        if self.state_path:
            Path(self.state_path).unlink(missing_ok=True)

    def __enter__(self) -> Topology:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.teardown()

    # --- building ---------------------------------------------------------

    def _record(self, key: str, value: Any) -> None:
        self._state[key].append(value)
        if self.state_path:
            tmp = f"{self.state_path}.tmp"
            Path(tmp).write_text(json.dumps(self._state), encoding="utf-8")
            os.replace(tmp, self.state_path)

    def _add_netns(self, name: str) -> str:
        self._record("netns", name)
        netops.ip("netns", "add", name)
        path = f"{NETNS_DIR}/{name}"
        settings = {} if self.spec.ipv6 else dict(NO_IPV6)
        write_sysctl_in(path, settings)
        return path

    def _spawn(self, netns_path: str) -> int:
        """A process living in the namespace, like a container's."""
        proc = subprocess.Popen(
            ["nsenter", f"--net={netns_path}", "sleep", "infinity"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._procs.append(proc)
        self._record("processes", {"pid": proc.pid, "start": netops.start_time(proc.pid)})
        want = os.stat(netns_path).st_ino
        deadline = time.monotonic() + 5
        while os.stat(f"/proc/{proc.pid}/ns/net").st_ino != want:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"process did not enter {netns_path}")
            time.sleep(0.002)
        return proc.pid


def build(spec: NodeSpec, state_path: str | None = None) -> Topology:
    """Create the topology; on any failure remove what was made and re-raise."""
    topo = Topology(spec, state_path)
    try:
        _build_node(topo)
        for pod in spec.pods:
            _build_pod(topo, pod)
        node_lines = [r.ip_line() for r in spec.routes]
        if node_lines:
            netops.batch(topo.node_netns, node_lines)
        if spec.uplink and spec.uplink.masquerade:
            for cidr in spec.uplink.masquerade:
                topo.run(topo.node_netns, "iptables", "-t", "nat", "-A", "POSTROUTING",
                         "-s", cidr, "-o", spec.uplink.name, "-j", "MASQUERADE")  # fmt: skip
    except BaseException:
        topo.teardown()
        raise
    return topo


def _build_node(topo: Topology) -> None:
    spec = topo.spec
    path = topo._add_netns(topo.node_netns)
    write_sysctl_in(path, dict(spec.sysctls))
    lines = ["link set lo up"]
    for br in spec.bridges:
        mac = f" address {br.mac}" if br.mac else ""
        lines.append(f"link add {br.name}{mac} type bridge stp_state {int(br.stp)}")
        if br.address:
            lines.append(f"addr add {br.address} dev {br.name}")
        if br.up:
            lines.append(f"link set {br.name} up")
    up = spec.uplink
    if up:
        topo.router_netns = f"{spec.prefix}-router"
        rpath = topo._add_netns(topo.router_netns)
        mac = f" address {up.mac}" if up.mac else ""
        lines += [
            f"link add {up.name}{mac} type veth peer name {up.router_ifname} netns {rpath}",
            f"addr add {up.address} dev {up.name}",
            f"link set {up.name} up",
        ]
    netops.batch(topo.node_netns, lines)
    if up and topo.router_netns:
        node_ip = up.address.split("/")[0]
        rlines = [
            "link set lo up",
            f"addr add {up.router_address} dev {up.router_ifname}",
            f"link set {up.router_ifname} up",
        ]
        rlines += [f"route add {cidr} via {node_ip}" for cidr in up.return_routes]
        netops.batch(topo.router_netns, rlines)


def _build_pod(topo: Topology, pod: PodSpec) -> None:
    netns = f"{topo.spec.prefix}-{pod.name}"
    handle = PodHandle(
        spec=pod,
        netns=netns,
        uid=pod.uid or str(uuid.uuid4()),
        container_id=pod.container_id or secrets.token_hex(32),
        host_veth=pod.host_veth or "veth" + hashlib.sha256(netns.encode()).hexdigest()[:7],
    )
    topo.pods[pod.name] = handle
    path = topo._add_netns(netns)
    ip = pod.ip.split("/")[0]
    hmac = f" address {pod.host_veth_mac}" if pod.host_veth_mac else ""
    pmac = f" address {pod.mac}" if pod.mac else ""
    lines = [
        f"link add {handle.host_veth}{hmac} type veth peer name {pod.ifname}{pmac} netns {path}"
    ]
    if pod.bridge:
        lines.append(f"link set {handle.host_veth} master {pod.bridge}")
    lines.append(f"link set {handle.host_veth} up")
    if not pod.bridge:
        lines.append(f"route add {ip}/32 dev {handle.host_veth} scope link")
    netops.batch(topo.node_netns, lines)
    if not pod.bridge:
        write_sysctl_in(topo.node_netns_path, {f"net/ipv4/conf/{handle.host_veth}/proxy_arp": "1"})
    gateway = topo.spec.gateway_for(pod)
    plines = ["link set lo up", f"addr add {pod.ip} dev {pod.ifname}", f"link set {pod.ifname} up"]
    if gateway:
        if not pod.bridge:
            plines.append(f"route add {gateway} dev {pod.ifname} scope link")
        plines.append(f"route add default via {gateway} dev {pod.ifname}")
    netops.batch(netns, plines)
    if pod.cgroup is not None:
        _start_processes(topo, handle, pod.cgroup, path)


def _start_processes(topo: Topology, handle: PodHandle, cg: CgroupSpec, path: str) -> None:
    """The app container's process, then the pause container's when the spec asks for one."""
    handle.pid = _container_process(topo, handle, cg, path, handle.container_id)
    if handle.spec.pause:
        handle.pause_container_id = secrets.token_hex(32)
        handle.pause_pid = _container_process(topo, handle, cg, path, handle.pause_container_id)


def _container_process(
    topo: Topology, handle: PodHandle, cg: CgroupSpec, path: str, container_id: str
) -> int:
    """A process in the pod's namespace, in the cgroup the kubelet gives ``container_id``."""
    pid = topo._spawn(path)
    rel = cgroups.container_dir(cg, handle.uid, handle.spec.runtime, container_id)
    for d in cgroups.place(pid, cg, rel):
        topo._record("cgroup_dirs", d)
    handle.cgroup_paths.append("/" + rel)
    return pid


def unique_prefix(tag: str = "kbt") -> str:
    """A namespace-name prefix no concurrent test will share: ``kbt-a1b2c3``."""
    return f"{tag}-{secrets.token_hex(3)}"
