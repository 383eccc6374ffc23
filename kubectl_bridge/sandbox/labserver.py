"""The stand-in API server as the sandbox runs it: detached, recorded, stoppable.

``apiserver.start_background`` suits tests (a child that dies with them);
the sandbox's server must outlive ``kubectl bridge sandbox up``, so it runs
in a session of its own, and its pid (with its start time, so a reused pid
is never killed) is recorded *before* waiting for it, so ``down`` finds it
even if ``up`` is killed half-way.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import secrets
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import BridgeError
from .apiserver_topology import topology_pods, topology_state
from .netops import start_time
from .standin_launch import Caller, prepare
from .topology import Topology

#: The stand-in keeps nothing worth a graceful stop, and aiohttp takes 2 s or
#: more to stop serving: after this long it is killed.
STOP_WAIT = 1.0


class SandboxError(BridgeError):
    """The sandbox cannot be built, reached or removed."""


def check_available() -> None:
    """The stand-in server runs on aiohttp, a development dependency."""
    if importlib.util.find_spec("aiohttp") is None:
        raise SandboxError(
            "the sandbox's stand-in API server needs aiohttp, which is not installed",
            "install the development extras: bash scripts/bootstrap (or pip install aiohttp)",
        )


@dataclass
class Server(Caller):
    """A running stand-in server and how to call its admin hooks."""

    process: subprocess.Popen[bytes] | None
    url: str
    token: str
    ca_file: str | None

    def add_pod(self, topo: Topology, node: str, name: str) -> None:
        """Register the topology's pod ``name`` (``POST /_standin/pods``)."""
        pod = next(p for p in topology_pods(topo, node) if p["metadata"]["name"] == name)
        self.request("POST", "/_standin/pods", pod)

    def reap(self) -> None:
        """Collect the exit status of a server this process started (no zombie)."""
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=STOP_WAIT)


def start(
    workdir: str,
    topo: Topology,
    *,
    node: str,
    cache_root: str,
    kubeconfig: str,
    spawned: Callable[[int, str | None], None],
    timeout: float = 15.0,
) -> Server:
    """Start the server for ``topo`` detached; ``spawned(pid, start)`` records it at once."""
    os.makedirs(workdir, mode=0o700, exist_ok=True)
    token = secrets.token_hex(16)
    state = topology_state(topo, node=node, token=token, cache_root=cache_root)
    launch = prepare(workdir, state)
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    with open(launch.log, "ab") as log:
        proc = subprocess.Popen(
            launch.argv(kubeconfig), stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd="/",
            env=env, start_new_session=True,
        )  # fmt: skip
    spawned(proc.pid, start_time(proc.pid))  # an unreaped child cannot vanish yet
    if not launch.wait(proc, timeout):
        tail = launch.log_tail(1500).strip()[-300:]
        raise SandboxError(
            "the stand-in API server did not start",
            f"its log ({launch.log}) ends with: {tail or '(empty)'}",
        )
    url, ca_file = launch.endpoint()
    return Server(proc, url, token, ca_file)


def is_running(pid: int, start: str | None) -> bool:
    """The recorded process is alive: same pid *and* start time, and not a zombie."""
    return start is not None and start_time(pid) == start and not _is_zombie(pid)


def stop_process(pid: int, start: str | None) -> bool:
    """SIGTERM the recorded process if it is still ours, SIGKILL if it lingers."""
    if not is_running(pid, start):
        return False
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + STOP_WAIT
        while is_running(pid, start):
            if time.monotonic() > deadline:
                break
            time.sleep(0.01)
        else:
            return True
    return True


def _is_zombie(pid: int) -> bool:
    """An exited child of a live parent stays a zombie until reaped: it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"
