"""End to end through the real kubectl and the stand-in control plane (target 3).

The seed node is built in namespaces, a stand-in API server serves it
(``sandbox.apiserver``), and everything goes through ``/usr/bin/kubectl``
with plugin discovery, as an on-call engineer would type it.  Each round:

1. cold — no debug pod: ``kubectl bridge describe pod nginx`` creates one,
   waits for it, ships the agent payload, runs it;
2. warm — the same command again: the pod is reused, the payload cached
   on the node, one exec answered by the agent server the first run left
   in the pod (we wait, untimed, until it listens: a user types the next
   command seconds later); then once more with that server's directory
   removed, so the bootstrap runs the agent as a process, as before the
   server existed (and starts a new server);
3. baseline — ``kubectl exec`` into that same debug pod running ``ip -j link``;
4. where the warm time goes: ``kubectl exec`` running ``python3 -c pass`` (the
   floor of any Python agent), ``kubectl exec -i`` running our agent alone
   (bootstrap + cached payload + one request), ``kubectl bridge --help``
   (the floor of any kubectl plugin in Python: kubectl finds and starts it,
   Python starts) and on this machine importing what a ``describe`` loads;
5. ship — the node's payload cache deleted, the pod kept: warm + upload.

Between rounds the debug pod is deleted (not timed).  The stand-in's pods
start after a fixed delay (``--pod-start``, the ``debug_start_seconds``
fault); on a real cluster that part is the image pull and container start,
so it is reported apart: cold − start is what kubectl-bridge itself costs.
Goal: warm ≤ 1.5 × the ``kubectl exec`` baseline.  Run as root::

    .venv/bin/python benchmarks/e2e.py [--repeat 7] [--pod-start 0.2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib

from kubectl_bridge.agent.protocol import encode_request
from kubectl_bridge.kube import ship
from kubectl_bridge.model import Request
from kubectl_bridge.sandbox import topology
from kubectl_bridge.sandbox.apiserver import StandIn, start_background
from kubectl_bridge.sandbox.apiserver_topology import topology_state

GOAL = 1.5
DEBUG_NS = "kube-system"
CONSOLE = Path(sys.executable).with_name("kubectl-bridge")
DESCRIBE = ["kubectl", "bridge", "describe", "pod", "nginx"]


class Rig:
    """The stand-in, an environment that reaches it, and the commands we time."""

    def __init__(
        self, standin: StandIn, env: dict[str, str], cache_root: str, request: Request
    ) -> None:
        self.standin = standin
        self.env = env
        self.cache_root = cache_root
        self.request = encode_request(request)

    def run(self, argv: list[str], stdin: bytes | None = None) -> float:
        """Wall time of one command, which must succeed."""
        started = time.perf_counter()
        benchlib.run(argv, stdin, env=self.env)
        return time.perf_counter() - started

    def shipped_hash(self) -> str:
        """The payload the plugin last shipped to the debug pod (its cache folder's name).

        Read back rather than recomputed: the sources may change while we run.
        """
        ((_name, uid),) = self.debug_pods()
        folder = Path(self.cache_root, uid)
        shipped = [p for p in folder.iterdir() if p.is_dir() and "." not in p.name]
        return max(shipped, key=lambda p: p.stat().st_mtime).name

    def agent_alone(self) -> float:
        """The agent through ``kubectl exec -i``, exactly as the plugin starts it."""
        argv = self.exec_argv(*ship.bootstrap_command(self.shipped_hash()))
        argv.insert(2, "-i")
        started = time.perf_counter()
        out = benchlib.run(argv, self.request, env=self.env)
        took = time.perf_counter() - started
        if not out.startswith(b"K{"):  # cached payload, then the snapshot
            raise RuntimeError(f"the agent answered {out[:80]!r}")
        return took

    def debug_pods(self) -> list[tuple[str, str]]:
        """(name, uid) of every debug pod the stand-in holds."""
        pods = self.standin.state()["pods"]
        return [
            (p["metadata"]["name"], p["metadata"]["uid"])
            for p in pods
            if p["metadata"]["name"].startswith("kubectl-bridge-")
        ]

    def delete_debug_pods(self) -> None:
        """Start the next round cold (not timed)."""
        for name, uid in self.debug_pods():
            argv = ["kubectl", "delete", "pod", "-n", DEBUG_NS, name, "--wait=false"]
            benchlib.run(argv, env=self.env)
            shutil.rmtree(os.path.join(self.cache_root, uid), ignore_errors=True)

    def server_dirs(self) -> list[Path]:
        """The agent server directories of the current debug pod."""
        return [
            p for _n, uid in self.debug_pods() for p in Path(self.cache_root, uid).glob("*.srv")
        ]

    def wait_for_server(self, timeout: float = 10.0) -> None:
        """Until the agent server the last run started listens (not timed)."""
        deadline = time.monotonic() + timeout
        while not any((d / "sock").exists() for d in self.server_dirs()):
            if time.monotonic() > deadline:
                raise RuntimeError("no agent server started in the debug pod")
            time.sleep(0.02)

    def forget_server(self) -> None:
        """Hide the agent server: the next run starts the agent as a process (not timed)."""
        for d in self.server_dirs():
            shutil.rmtree(d, ignore_errors=True)

    def forget_payload(self) -> None:
        """Empty the node's payload cache of the current debug pod (not timed)."""
        for _name, uid in self.debug_pods():
            shutil.rmtree(os.path.join(self.cache_root, uid), ignore_errors=True)

    def exec_argv(self, *command: str) -> list[str]:
        """``kubectl exec`` into the (one) debug pod."""
        pods = self.debug_pods()
        if len(pods) != 1:
            raise RuntimeError(f"expected one debug pod, found {pods}")
        return ["kubectl", "exec", "-n", DEBUG_NS, pods[0][0], "--", *command]


@contextmanager
def rig(pod_start: float, workdir: str) -> Iterator[Rig]:
    """Seed node + stand-in + a PATH on which kubectl finds the plugin; all torn down."""
    spec = topology.seed_node_spec(topology.unique_prefix("kbb"))
    topo = topology.build(spec, state_path=f"{workdir}/topology.json")
    standin = None
    try:
        cache_root = os.path.join(workdir, "node-cache")
        state = topology_state(
            topo, cache_root=cache_root, faults={"debug_start_seconds": pod_start}
        )
        standin = start_background(state, os.path.join(workdir, "standin"))
        plugins = Path(workdir, "plugins")
        plugins.mkdir()
        script = plugins / "kubectl-bridge"
        script.write_text(f'#!/bin/sh\nexec "{CONSOLE}" "$@"\n')
        script.chmod(0o755)
        env = {
            **os.environ,
            "KUBECONFIG": standin.kubeconfig,
            "PATH": f"{plugins}{os.pathsep}{os.environ.get('PATH', '')}",
            "XDG_CACHE_HOME": os.path.join(workdir, "xdg-cache"),
        }
        # pip writes bytecode at install time (the krew archive on its first
        # run); a shell with PYTHONDONTWRITEBYTECODE would make the plugin
        # compile its ~100 modules on every run here, which no user sees.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        nginx = topo.pod("nginx")
        request = Request(
            kind="pod",
            container_ids=(nginx.container_ref,),
            pod_uid=nginx.uid,
            pod_ips=(nginx.ip,),
            pod_name="nginx",
            pod_namespace="default",
        )
        yield Rig(standin, env, cache_root, request)
    finally:
        if standin is not None:
            standin.stop()
        topo.teardown()


ROWS = (
    "cold: create + wait + ship + run",
    "ship: pod reused, payload uploaded",
    "warm: pod reused, payload cached",
    "warm, agent as a process (no server)",
    "kubectl exec POD -- ip -j link",
    "kubectl exec POD -- python3 -c pass",
    "kubectl exec -i POD -- agent (served)",
    "local: import what describe loads",
    "kubectl bridge --help",
)
IMPORT_CLIENT = [
    sys.executable,
    "-c",
    "import kubectl_bridge.cli, kubectl_bridge.commands.views, kubectl_bridge.kube.session",
]


def one_round(r: Rig, samples: dict[str, list[float]]) -> None:
    """One sample of each row, in the order that leaves the right state for the next."""
    r.delete_debug_pods()
    samples[ROWS[0]].append(r.run(DESCRIBE))
    r.wait_for_server()
    samples[ROWS[2]].append(r.run(DESCRIBE))
    r.forget_server()
    samples[ROWS[3]].append(r.run(DESCRIBE))
    r.wait_for_server()
    samples[ROWS[4]].append(r.run(r.exec_argv("ip", "-j", "link")))
    samples[ROWS[5]].append(r.run(r.exec_argv("python3", "-c", "pass")))
    samples[ROWS[6]].append(r.agent_alone())
    samples[ROWS[7]].append(r.run(IMPORT_CLIENT))
    samples[ROWS[8]].append(r.run(["kubectl", "bridge", "--help"]))
    r.forget_payload()
    samples[ROWS[1]].append(r.run(DESCRIBE))


def run_benchmark(repeat: int, pod_start: float) -> tuple[str, list[benchlib.Goal]]:
    """Warm-up round, then ``repeat`` rounds; the table and the goal lines."""
    samples: dict[str, list[float]] = {row: [] for row in ROWS}
    with (
        benchlib.interrupts_unwind(),
        tempfile.TemporaryDirectory(prefix="kbb-e2e-") as tmp,
        rig(pod_start, tmp) as r,
    ):
        one_round(r, {row: [] for row in ROWS})  # warm-up: local payload zip, bytecode
        for _ in range(repeat):
            one_round(r, samples)
    med = {row: statistics.median(v) for row, v in samples.items()}
    base = med[ROWS[4]]
    rows = [[row, benchlib.ms(t), f"{t / base:5.2f}×"] for row, t in med.items()]
    title = f"Target 3 — end to end via kubectl and the stand-in ({repeat} rounds, median)"
    text = benchlib.table(title, ["kubectl bridge describe pod nginx", "time", "vs exec"], rows)
    warm = med[ROWS[2]] / base
    cold, shipping = med[ROWS[0]], med[ROWS[1]]
    ship_ms, wait_ms = (shipping - med[ROWS[3]]) * 1000, (cold - shipping) * 1000
    goals = [
        benchlib.Goal(3, "warm describe vs kubectl exec ip -j link", f"{warm:.2f}×",
                      f"≤ {GOAL}×", warm <= GOAL),
        benchlib.Goal(
            3,
            f"cold describe (incl. the stand-in's {pod_start * 1000:.0f} ms pod start)",
            f"{cold * 1000:.0f} ms = warm (process) + {ship_ms:.0f} ms ship "
            f"+ {wait_ms:.0f} ms create/wait",
            "—",
            None,
        ),
    ]  # fmt: skip
    return text, goals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="rounds")
    parser.add_argument(
        "--pod-start", type=float, default=0.2, help="the stand-in's debug pod start delay (s)"
    )
    args = parser.parse_args(argv)
    benchlib.require_root()
    if not shutil.which("kubectl"):
        sys.exit("kubectl is not on PATH")
    text, goals = run_benchmark(args.repeat, args.pod_start)
    print(f"machine: {benchlib.machine()}")
    print(text)
    print()
    for goal in goals:
        print(goal.line())
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
