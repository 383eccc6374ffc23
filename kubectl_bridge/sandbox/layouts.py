"""CNI node layouts on the real kernel: a ``NodeSpec`` plus the CNI's own touches.

``topology.build`` makes the node, its bridges, uplink and pods.  A CNI then
does more: an overlay device with routes and static neighbours (flannel), a
veth pair for its host end (Cilium), an address on every host veth
(kindnet/ptp), policy rules and per-ENI tables (AWS VPC CNI), a second
interface in a pod (Multus), IPv6 (dual-stack), sysctls.  A ``LayoutSpec``
lists those touches as ``ip``/``bridge`` batch lines and sysctls, applied
after the build; ``build_layout`` returns the ``Topology``, whose teardown
removes everything (it all lives in the namespaces the build made).

Lines are ``str.format`` templates: ``{veth_NAME}`` is pod NAME's host veth,
``{ns_NAME}`` the path of its namespace, ``{router}`` the router's.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from ..agent.nsthread import write_sysctl_in
from ..model import Request
from . import netops, topology
from .specs import NodeSpec
from .topology import Topology


@dataclass(frozen=True)
class Expect:
    """What ``describe`` must show for the layout's target pod."""

    cni: str  # cni.Cni.key
    hops: tuple[tuple[str, str], ...]  # (kind, name) of the primary path, in order
    findings: frozenset[str] = frozenset()  # the exact set of finding codes
    other_paths: tuple[tuple[tuple[str, str], ...], ...] = ()  # e.g. Multus net1
    #: codes that may or may not appear: counters that depend on what the
    #: kernel happened to send while the topology came up
    maybe: frozenset[str] = frozenset()


@dataclass(frozen=True)
class LayoutSpec:
    """A CNI's node: the base node plus what the CNI adds, and what to expect."""

    key: str
    title: str
    node: NodeSpec
    target: str  # the pod to describe
    expect: Expect
    node_lines: tuple[str, ...] = ()  # ``ip -batch`` in the node namespace
    bridge_lines: tuple[str, ...] = ()  # ``bridge -batch`` in the node namespace
    router_lines: tuple[str, ...] = ()
    pod_lines: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (pod, ip -batch lines)
    sysctls: tuple[tuple[str, str], ...] = ()  # node namespace, "net/ipv4/..." keys
    warm: tuple[tuple[str, str], ...] = ()  # (pod, address) pings that must answer
    host_network: bool = False  # describe the target as a hostNetwork pod


def names(topo: Topology) -> dict[str, str]:
    """The template names a layout's lines may use."""
    found = {f"veth_{n}": h.host_veth for n, h in topo.pods.items()}
    found.update({f"ns_{n}": h.netns_path for n, h in topo.pods.items()})
    found["router"] = f"{netops.NETNS_DIR}/{topo.router_netns}" if topo.router_netns else ""
    return found


def target_request(topo: Topology, spec: LayoutSpec) -> Request:
    """What the kube layer sends for the layout's target pod (tests and fixture recorder)."""
    if spec.host_network:
        return Request(
            kind="pod", host_network=True, pod_name="kube-proxy", pod_namespace="kube-system",
            pod_ips=("192.168.0.10",), host_netns=topo.node_netns,
        )  # fmt: skip
    pod = topo.pod(spec.target)
    return Request(
        kind="pod", container_ids=(pod.container_ref,), pod_uid=pod.uid,
        pod_name=spec.target, pod_namespace="default", host_netns=topo.node_netns,
    )  # fmt: skip


def build_layout(spec: LayoutSpec, state_path: str | None = None) -> Topology:
    """Build the node, apply the CNI's touches and warm the tables; tear down on failure."""
    topo = topology.build(spec.node, state_path)
    try:
        apply(topo, spec)
        for pod, address in spec.warm:
            if not topo.ping(pod, address, count=2):
                raise RuntimeError(f"{spec.key}: {pod} cannot reach {address}")
    except BaseException:
        topo.teardown()
        raise
    return topo


def apply(topo: Topology, spec: LayoutSpec) -> None:
    """The CNI's own objects, in order: node links/routes, bridge FDB, router, pods, sysctls."""
    n = names(topo)
    if spec.node_lines:
        netops.batch(topo.node_netns, [line.format(**n) for line in spec.node_lines])
    if spec.bridge_lines:
        lines = "\n".join(line.format(**n) for line in spec.bridge_lines) + "\n"
        _bridge_batch(topo, lines)
    if spec.router_lines and topo.router_netns:
        netops.batch(topo.router_netns, [line.format(**n) for line in spec.router_lines])
    for pod, pod_lines in spec.pod_lines:
        netops.batch(topo.pods[pod].netns, [line.format(**n) for line in pod_lines])
    if spec.sysctls:
        write_sysctl_in(topo.node_netns_path, {k.format(**n): v for k, v in spec.sysctls})


def _bridge_batch(topo: Topology, text: str) -> None:
    """``bridge -batch`` (FDB rows for VXLAN devices): ``ip`` cannot write those."""
    result = subprocess.run(
        ["bridge", "-n", topo.node_netns, "-batch", "-"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    if result.returncode != 0:
        raise RuntimeError(f"bridge -batch: {result.stderr.strip()}")
