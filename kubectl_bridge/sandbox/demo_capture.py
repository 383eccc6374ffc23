"""S10 for real: tcpdump on the pod's veth, the bridge and the uplink during one ping.

The seed found by trial that all three see the pod's ping and that at
``eth0`` the source is already the node's address (masquerade).  Here the
three captures run at once inside the sandbox's node namespace while the
pod pings the router, and the sources they saw are read from their output.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .demo import Demo

READY_TIMEOUT = 5.0
_REQUEST = re.compile(r"IP (\S+) > (\S+): ICMP echo request")


def show(demo: Demo, pod: str, dst: str, node_ip: str) -> None:
    """Capture on the three points during ``ping -c 1 dst`` from ``pod``; show and check."""
    if not shutil.which("tcpdump"):
        demo.say(
            "tcpdump is not installed here, so the live capture is skipped "
            "(apt-get install tcpdump; scripts/bootstrap installs it)."
        )
        return
    handle = demo.sandbox.topology.pod(pod)
    points = [handle.host_veth, "docker0", "eth0"]
    demo.say(
        f"Now the seed's three captures, all at once in the node's namespace, while {pod} "
        f"pings the router {dst}:"
    )
    procs = [_start(demo.node_netns, iface) for iface in points]
    try:
        started = _wait_listening(procs)
        shown, output = demo.pod_exec(pod, f"ping -c 1 -W 2 {dst}")
        demo.manual(shown, output, where="in the pod")
        sources = {}
        for iface, proc, head in zip(points, procs, started, strict=True):
            out, err = _finish(proc)
            listening = [ln for ln in (head + err).splitlines() if "listening on" in ln]
            demo.manual(f"tcpdump -i {iface} -n -c 2 icmp", "\n".join([*listening, out.strip()]))
            found = _REQUEST.search(out)
            sources[iface] = found.group(1) if found else None
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=5)
    pod_ip = handle.ip
    demo.check(
        sources[handle.host_veth] == pod_ip and sources["docker0"] == pod_ip,
        f"at {handle.host_veth} and docker0 the echo request's source is the pod, {pod_ip}",
    )
    demo.check(
        sources["eth0"] == node_ip,
        f"at eth0 the source is {sources['eth0']}: masquerade rewrote {pod_ip} to the node's "
        f"{node_ip}, so filter the uplink on the remote end (icmp, host {dst})",
    )


def _start(netns: str, iface: str) -> subprocess.Popen[bytes]:
    argv = ["ip", "netns", "exec", netns, "tcpdump", "-i", iface, "-n", "-l", "-c", "2", "icmp"]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_listening(procs: list[subprocess.Popen[bytes]]) -> list[str]:
    """Block until every tcpdump says "listening on" (else a fast ping is missed).

    Returns what each wrote to stderr so far; the caller joins the rest.
    """
    buffers = {id(p): b"" for p in procs}
    deadline = time.monotonic() + READY_TIMEOUT
    pending = list(procs)
    while pending and time.monotonic() < deadline:
        fds = {p.stderr.fileno(): p for p in pending if p.stderr is not None}
        ready, _, _ = select.select(list(fds), [], [], max(0.0, deadline - time.monotonic()))
        for fd in ready:
            proc = fds[fd]
            chunk = os.read(fd, 4096)
            buffers[id(proc)] += chunk
            if b"listening on" in buffers[id(proc)] or not chunk:
                pending.remove(proc)
    return [buffers[id(p)].decode(errors="replace") for p in procs]


def _finish(proc: subprocess.Popen[bytes]) -> tuple[str, str]:
    """What tcpdump printed (stdout, the rest of stderr) once it saw two packets or timed out."""
    try:
        out, err = proc.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate(timeout=5)
    return out.decode(errors="replace"), err.decode(errors="replace")
