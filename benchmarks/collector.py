"""Collector speed on real namespaces: one pod (target 1) and a whole node (target 2).

For each node size (default 10, 100 and 250 pods on ``docker0``, built with
``sandbox.topology``) this times, round-robin in one run:

one pod (target 1)
  * ``collect()`` in-process, the pod named by PID and by container id
    (the id is looked up in the kubelet's cgroup tree, falling back to a
    scan of ``/proc/*/cgroup``);
  * the agent as the debug pod runs it: ``python3 -c BOOTSTRAP HASH`` with
    the payload already cached (the node's ``/usr/bin/python3``, the zip
    built from this tree and unpacked once), request on stdin, by container id;
  * the same request answered by the agent server a debug pod keeps after
    its first run (``agent/server.py``): the bootstrap is then only a client
    that hands the request over a UNIX socket;
  * the usual way: ``nsenter -t PID -n ip -j addr/route/neigh`` into the pod,
    and on the node ``ip -j link/addr/neigh/route/rule``, ``bridge -j fdb``,
    ``bridge -j link``, two ``ip route get`` and one ``sysctl`` read of the
    path's switches — 13 commands, run one after another.

whole node (target 2)
  * ``collect()`` with scope "node" (every port mapped to its pod's namespace);
  * the usual way: the node's dumps as above (sysctls of every interface)
    plus ``nsenter -t PID -n ip -j addr`` for every pod.  The baseline is
    handed the pods' PIDs for free; finding them is part of our time.

Goals: one pod no slower than the usual way at 250 pods, and flat —
250 pods ≤ 1.3 × 10 pods; the node view ≤ 2 × its baseline.  Run as root::

    .venv/bin/python benchmarks/collector.py [--pods 10,100,250] [--repeat 15]

The node namespace stands in for the host (``Request.host_netns``); the
node-side commands use ``ip -n``/``bridge -n``, which enter it without an
extra process, and ``sysctl`` runs under ``nsenter --net`` (one exec more
than on a real node).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib

from kubectl_bridge.agent import server as agent_server
from kubectl_bridge.agent.collect import collect
from kubectl_bridge.agent.protocol import encode_request
from kubectl_bridge.kube import ship
from kubectl_bridge.model import Request, Snapshot
from kubectl_bridge.sandbox import topology

PATH_KEYS = ("forwarding", "proxy_arp", "rp_filter")
GLOBAL_KEYS = ("net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding")
FLAT_GOAL = 1.3
#: What the stand-in's debug pods run (a stock image's python3, not our venv).
NODE_PYTHON = shutil.which("python3", path="/usr/bin:/bin") or sys.executable
NODE_GOAL = 2.0


@dataclass
class SizeResult:
    """Medians (seconds) for one node size."""

    pods: int
    pod: dict[str, float] = field(default_factory=dict)
    node: dict[str, float] = field(default_factory=dict)


def sysctl_argv(netns: str, interfaces: list[str]) -> list[str]:
    """One ``sysctl`` read of the global and per-interface switches, inside ``netns``."""
    keys = list(GLOBAL_KEYS)
    for name in ["all", *interfaces]:
        keys += [f"net.ipv4.conf.{name}.{k}" for k in PATH_KEYS]
    return ["nsenter", f"--net=/run/netns/{netns}", "sysctl", *keys]


def pod_baseline(topo: topology.Topology, pod: topology.PodHandle) -> list[list[str]]:
    """The commands an engineer runs for one pod: into the pod, then along its path."""
    node = topo.node_netns
    inside = ["nsenter", "-t", str(pod.pid), "-n", "ip", "-j"]
    on_node = ["ip", "-n", node, "-j"]
    way_out = ["route", "get", "1.1.1.1", "from", pod.ip, "iif", "docker0"]
    return [
        [*inside, "addr"],
        [*inside, "route"],
        [*inside, "neigh"],
        *node_dumps(node),
        [*on_node, "route", "get", pod.ip],
        [*on_node, *way_out],
        sysctl_argv(node, ["docker0", pod.host_veth, "eth0"]),
    ]


def node_dumps(node: str, *link_flags: str) -> list[list[str]]:
    """The node's own tables, dumped as an engineer would for one pod or for all."""
    on_node = ["ip", "-n", node, "-j"]
    bridge = ["bridge", "-n", node, "-j"]
    return [
        [*on_node, *link_flags, "link"],
        [*on_node, "addr"],
        [*bridge, "link"],
        [*bridge, "fdb", "show"],
        [*on_node, "neigh"],
        [*on_node, "route"],
        [*on_node, "rule"],
    ]


def node_baseline(topo: topology.Topology) -> list[list[str]]:
    """Every port and every pod behind it, the usual way (PIDs given for free)."""
    node = topo.node_netns
    names = ["docker0", "eth0", *(p.host_veth for p in topo.pods.values())]
    cmds = [*node_dumps(node, "-s", "-d"), sysctl_argv(node, names)]
    cmds += [["nsenter", "-t", str(p.pid), "-n", "ip", "-j", "addr"] for p in topo.pods.values()]
    return cmds


def run_all(commands: list[list[str]]) -> None:
    """One command after another, each output parsed as an engineer's script would."""
    for argv in commands:
        out = benchlib.run(argv)
        if "-j" in argv:
            json.loads(out)


class ShippedAgent:
    """The agent exactly as a warm debug pod starts it: bootstrap, cached payload."""

    def __init__(self, workdir: str, cache: str = "node-cache") -> None:
        payload = ship.build_payload()
        self.argv = [NODE_PYTHON, *ship.bootstrap_command(payload.sha256)[1:]]
        self.cache = f"{workdir}/{cache}"
        self.env = {"PATH": "/usr/bin:/bin", "KUBECTL_BRIDGE_CACHE": self.cache}
        first = struct.pack(">Q", len(payload.data)) + payload.data
        probe = encode_request(Request(kind="host", scope="pod"))
        if not benchlib.run(self.argv, first + probe, env=self.env).startswith(b"P{"):
            raise RuntimeError("the bootstrap did not take the payload")

    def __call__(self, request: Request) -> bytes:
        """One run; stdout is ``K`` (payload cached) and the snapshot."""
        out = benchlib.run(self.argv, encode_request(request), env=self.env)
        if not out.startswith(b"K{"):
            raise RuntimeError(f"the shipped agent answered {out[:80]!r}")
        return out


class ServedAgent(ShippedAgent):
    """The bootstrap as a warm debug pod's later runs use it: an agent server answers.

    The server is started here (as the first run would) on a cache of its
    own, and stopped by ``stack`` whatever happens.
    """

    def __init__(self, workdir: str, stack: contextlib.ExitStack) -> None:
        super().__init__(workdir, "served-cache")
        payload_dir = f"{self.cache}/{ship.build_payload().sha256}"
        argv = [NODE_PYTHON, "-I", "-c", agent_server.SERVE, payload_dir, f"{payload_dir}.srv"]
        proc = subprocess.Popen([*argv, "600"], env=self.env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        stack.callback(proc.wait, 10)
        stack.callback(proc.kill)
        deadline = time.monotonic() + 15
        while not Path(f"{payload_dir}.srv/sock").exists():
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("the agent server did not start")
            time.sleep(0.02)
        probe = self(Request(kind="host", scope="pod"))
        if json.loads(probe[1:])["agent"]["served_by"] != "server":
            raise RuntimeError("the agent server did not answer")


def pod_requests(topo: topology.Topology, pod: topology.PodHandle) -> dict[str, Request]:
    """The same pod named two ways."""
    return {
        "pid": Request(kind="pid", pid=pod.pid, host_netns=topo.node_netns),
        "cid": Request(
            kind="pod",
            container_ids=(pod.container_ref,),
            pod_uid=pod.uid,
            pod_ips=(pod.ip,),
            pod_name=pod.spec.name,
            pod_namespace=pod.spec.namespace,
            host_netns=topo.node_netns,
        ),
    }


def check_pod(snap: Snapshot, pod: topology.PodHandle) -> None:
    """The benchmark is only worth something if the collector found the right path."""
    names = {lk.name for lk in snap.host.links}
    if pod.host_veth not in names or "docker0" not in names:
        raise RuntimeError(f"collector missed the path of {pod.spec.name}: {sorted(names)}")


def check_node(snap: Snapshot, topo: topology.Topology) -> None:
    """Every pod's namespace must be among the peers, tied to its process."""
    pids = {p.pid for p in snap.peers}
    missing = [p.spec.name for p in topo.pods.values() if p.pid not in pids]
    if missing:
        raise RuntimeError(f"node view did not map {len(missing)} pods, e.g. {missing[:3]}")


def pod_variants(
    topo: topology.Topology, agent: ShippedAgent, served: ShippedAgent
) -> dict[str, benchlib.Variant]:
    """Target 1's contenders on one node (checked once before they are timed)."""
    pod = topo.pod("nginx")
    reqs = pod_requests(topo, pod)
    for req in reqs.values():
        check_pod(collect(req), pod)
    base = pod_baseline(topo, pod)
    return {
        "collect() by pid": lambda: collect(reqs["pid"]),
        "collect() by container id": lambda: collect(reqs["cid"]),
        AGENT_POD: lambda: agent(reqs["cid"]),
        SERVED_POD: lambda: served(reqs["cid"]),
        BASE_POD: lambda: run_all(base),
    }


def node_variants(
    topo: topology.Topology, agent: ShippedAgent, served: ShippedAgent
) -> dict[str, benchlib.Variant]:
    """Target 2's contenders on one node."""
    req = Request(kind="host", scope="node", host_netns=topo.node_netns)
    check_node(collect(req), topo)
    base = node_baseline(topo)
    return {
        "collect() scope node": lambda: collect(req),
        AGENT_NODE: lambda: agent(req),
        SERVED_NODE: lambda: served(req),
        BASE_NODE: lambda: run_all(base),
    }


def measure_sizes(sizes: list[int], repeat: int, workdir: str) -> list[SizeResult]:
    """Build every node first, then time all sizes round-robin.

    Sampling the sizes in one rotation means a busy moment on the machine
    lands on 10 and 250 pods alike, so the flatness ratio measures the
    collector, not the neighbours.
    """
    with contextlib.ExitStack() as stack:
        topos = {}
        for n in sizes:
            prefix = topology.unique_prefix("kbb")
            print(f"… building a node with {n} pods: {prefix}-*", file=sys.stderr, flush=True)
            spec = topology.seed_node_spec(prefix, pods=n)
            topo = topology.build(spec, state_path=f"{workdir}/topology-{n}.json")
            stack.callback(topo.teardown)
            topos[n] = topo
        print("… timing", file=sys.stderr, flush=True)
        agents = (ShippedAgent(workdir), ServedAgent(workdir, stack))
        pod = {(n, k): v for n, t in topos.items() for k, v in pod_variants(t, *agents).items()}
        node = {(n, k): v for n, t in topos.items() for k, v in node_variants(t, *agents).items()}
        pod_times = benchlib.measure(pod, repeat)
        node_times = benchlib.measure(node, max(3, repeat // 3))
    return [
        SizeResult(
            n,
            pod={k: v for (m, k), v in pod_times.items() if m == n},
            node={k: v for (m, k), v in node_times.items() if m == n},
        )
        for n in sizes
    ]


AGENT_POD = "agent as shipped, by container id"
AGENT_NODE = "agent as shipped, scope node"
SERVED_POD = "agent server's client, by container id"
SERVED_NODE = "agent server's client, scope node"
BASE_POD = "usual way (13 commands)"
BASE_NODE = "usual way (dumps + ip addr per pod)"


def pod_table(results: list[SizeResult]) -> tuple[str, list[benchlib.Goal]]:
    """Target 1: times per size, ratio to the baseline, and flatness."""
    sizes = [r.pods for r in results]
    header = ["one pod", *(f"{n} pods" for n in sizes), "vs usual", f"{sizes[-1]}/{sizes[0]}"]
    rows, goals = [], []
    for name in results[0].pod:
        times = [r.pod[name] for r in results]
        vs = times[-1] / results[-1].pod[BASE_POD]
        flat = times[-1] / times[0]
        rows.append([name, *(benchlib.ms(t) for t in times), f"{vs:5.2f}×", f"{flat:5.2f}×"])
        if name == BASE_POD:
            continue
        goals.append(
            benchlib.Goal(1, f"{name}, {sizes[-1]} pods, vs the usual way", f"{vs:.2f}×",
                          "≤ 1×", vs <= 1)
        )  # fmt: skip
        goals.append(
            benchlib.Goal(1, f"{name}, {sizes[-1]} pods / {sizes[0]} pods", f"{flat:.2f}×",
                          f"≤ {FLAT_GOAL}×", flat <= FLAT_GOAL)
        )  # fmt: skip
    return benchlib.table("Target 1 — collector, one pod", header, rows), goals


def node_table(results: list[SizeResult]) -> tuple[str, list[benchlib.Goal]]:
    """Target 2: the node view against its baseline, per size."""
    header = ["whole node", *(f"{r.pods} pods" for r in results), "vs usual"]
    rows, goals = [], []
    for name in results[0].node:
        times = [r.node[name] for r in results]
        vs = times[-1] / results[-1].node[BASE_NODE]
        rows.append([name, *(benchlib.ms(t) for t in times), f"{vs:5.2f}×"])
        if name != BASE_NODE:
            goals.append(
                benchlib.Goal(2, f"{name}, {results[-1].pods} pods, vs the usual way",
                              f"{vs:.2f}×", f"≤ {NODE_GOAL}×", vs <= NODE_GOAL)
            )  # fmt: skip
    return benchlib.table("Target 2 — node view, every port mapped to its pod", header, rows), goals


def run_benchmark(sizes: list[int], repeat: int) -> tuple[str, list[benchlib.Goal]]:
    """All sizes, then both tables and the goals."""
    with benchlib.interrupts_unwind(), tempfile.TemporaryDirectory(prefix="kbb-") as tmp:
        results = measure_sizes(sizes, repeat, tmp)
    pod_text, pod_goals = pod_table(results)
    node_text, node_goals = node_table(results)
    return pod_text + "\n" + node_text, pod_goals + node_goals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pods", default="10,100,250", help="node sizes, comma-separated")
    parser.add_argument("--repeat", type=int, default=15, help="samples per variant")
    args = parser.parse_args(argv)
    benchlib.require_root()
    sizes = [int(n) for n in args.pods.split(",")]
    benchlib.report(*run_benchmark(sizes, args.repeat))
    return 0


if __name__ == "__main__":
    benchlib.run_main(main)
