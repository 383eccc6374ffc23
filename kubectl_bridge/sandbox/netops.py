"""Running ``ip`` and undoing what a topology made, even from another process.

Kept apart from ``topology`` so that cleanup after a crash
(``teardown_from_state``) needs nothing but the state file.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

from . import cgroups

NETNS_DIR = "/run/netns"


def ip(*argv: str, stdin: str | None = None) -> None:
    """Run ``ip``; its own error message becomes the exception's."""
    result = subprocess.run(
        ["ip", *argv], check=False, input=stdin, capture_output=True, text=True, timeout=30
    )
    if result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(argv)}: {result.stderr.strip() or result.stdout.strip()}")


def batch(netns: str, lines: list[str]) -> None:
    """One ``ip`` process per namespace: fast enough for hundreds of pods."""
    ip("-n", netns, "-batch", "-", stdin="\n".join(lines) + "\n")


def start_time(pid: int) -> str | None:
    """Field 22 of /proc/PID/stat: tells a reused PID from ours after a crash."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def teardown_state(state: dict[str, list[Any]]) -> None:
    """Kill recorded processes (if still ours), remove cgroup dirs, delete namespaces."""
    for proc in state.get("processes", []):
        pid, start = int(proc["pid"]), proc.get("start")
        if start is not None and start_time(pid) == start:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    cgroups.remove_dirs([str(d) for d in state.get("cgroup_dirs", [])])
    for name in reversed(state.get("netns", [])):
        if os.path.exists(f"{NETNS_DIR}/{name}"):
            subprocess.run(
                ["ip", "netns", "del", str(name)], check=False, capture_output=True, timeout=30
            )


def teardown_from_state(path: str) -> None:
    """Clean up after a crashed run from the state file ``build`` kept."""
    try:
        state = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return
    teardown_state(state)
    Path(path).unlink(missing_ok=True)
