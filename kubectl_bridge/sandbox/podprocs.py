"""A cgroup per stand-in pod for what exec started there, killed when the pod goes.

On a real node an exec'd process lives in its container's cgroup and dies
with the container, even if it detached itself (a new session, a double
fork) — the agent server does exactly that (``agent/server.py``).  The
stand-in runs exec'd commands on this machine, so it gives every pod a
cgroup of its own, puts each exec there before the command starts, and on
pod delete, shutdown and ``sandbox down`` kills whatever is in it.

Layout: ``<pids hierarchy>/kubectl-bridge-standin-<12 hex of the cache
root>/<pod uid>``.  The parent is named after the stand-in's cache root (a
directory of its own), so ``sandbox down`` finds it again after the
server was killed, and concurrent stand-ins never touch each other's.
The pids controller (or the unified hierarchy on a pure v2 host) is used
only for membership: nothing is limited.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import time
from collections.abc import Callable

CGROUP_ROOT = "/sys/fs/cgroup"
PREFIX = "kubectl-bridge-standin-"
#: How long to keep killing what a dying pod's processes may still fork.
KILL_WAIT = 5.0


def hierarchy() -> str:
    """The hierarchy the stand-in's pod cgroups live in."""
    if os.path.exists(os.path.join(CGROUP_ROOT, "cgroup.controllers")):
        return CGROUP_ROOT  # pure v2
    for name in ("pids", "unified"):
        path = os.path.join(CGROUP_ROOT, name)
        if os.path.isdir(path):
            return path
    return os.path.join(CGROUP_ROOT, "pids")


def parent_dir(cache_root: str) -> str:
    """The stand-in's own cgroup: every pod's is below it."""
    digest = hashlib.sha256(os.path.abspath(cache_root).encode()).hexdigest()[:12]
    return os.path.join(hierarchy(), PREFIX + digest)


def pod_dir(cache_root: str, uid: str) -> str:
    """Pod ``uid``'s cgroup."""
    return os.path.join(parent_dir(cache_root), uid)


def joiner(cache_root: str, uid: str) -> Callable[[], None] | None:
    """A ``preexec_fn`` that puts the child in the pod's cgroup (None if there is none).

    Joining in the child, before ``exec``, leaves no moment in which the
    command or anything it starts is outside the cgroup.
    """
    path = pod_dir(cache_root, uid)
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return None
    procs = os.path.join(path, "cgroup.procs")

    def join() -> None:
        with open(procs, "w", encoding="ascii") as fh:
            fh.write("0")

    return join


def kill_pod(cache_root: str, uid: str) -> int:
    """Kill everything in pod ``uid``'s cgroup and remove it; how many were killed."""
    return _kill_dir(pod_dir(cache_root, uid))


def kill_all(cache_root: str) -> int:
    """Kill the processes of every pod of the stand-in for ``cache_root``, remove the cgroups."""
    parent = parent_dir(cache_root)
    try:
        uids = [e.name for e in os.scandir(parent) if e.is_dir()]
    except OSError:
        return 0
    killed = sum(_kill_dir(os.path.join(parent, uid)) for uid in uids)
    with contextlib.suppress(OSError):
        os.rmdir(parent)
    return killed


def _members(path: str) -> list[int]:
    try:
        with open(os.path.join(path, "cgroup.procs"), encoding="ascii") as fh:
            return [int(line) for line in fh if line.strip()]
    except OSError:
        return []


def _kill_dir(path: str) -> int:
    """SIGKILL until the cgroup is empty (a process may fork meanwhile), then rmdir it."""
    killed: set[int] = set()
    deadline = time.monotonic() + KILL_WAIT
    while time.monotonic() < deadline:
        pids = _members(path)
        if not pids:
            break
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            killed.add(pid)
        time.sleep(0.01)
    while True:  # a killed child not yet reaped may keep the cgroup busy a moment
        try:
            os.rmdir(path)
        except FileNotFoundError:
            break
        except OSError:
            if time.monotonic() > deadline:
                break
            time.sleep(0.01)
            continue
        break
    return len(killed)
