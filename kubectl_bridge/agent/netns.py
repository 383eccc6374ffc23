"""Find the network namespace a request names, and say how it was found.

A pod is found the way the kubelet placed it: its container ids (or its pod
UID) appear in ``/proc/PID/cgroup`` of its processes, whatever the cgroup
version (v1 ``N:ctrl:/path``, v2 ``0::/path``), driver (systemd
``kubepods-…-pod<uid_with_underscores>.slice/cri-containerd-<id>.scope``,
cgroupfs ``/kubepods/besteffort/pod<uid>/<id>``) or runtime naming.  The
pod IP is the last resort.  With the pod UID the kubelet's cgroup directory
is looked up directly (``cgroupdir``); the scan of every process is the
fallback.  A pod that is not hostNetwork must never be answered with the
node's own namespace: that would show the wrong picture with full
confidence, so it is an error.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import TargetError
from ..model import Request, Target
from . import cgroupdir

NETNS_DIR = "/run/netns"
NS_GET_NSTYPE = 0xB703
CLONE_NEWNET = 0x40000000
RUNTIME_PREFIXES = ("containerd://", "docker://", "cri-o://", "crio://")
MIN_ID_LEN = 12
UID_RE = re.compile(
    r"pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})$"
)
ID_RE = re.compile(r"(?:^|-)([0-9a-f]{12,})$")
ROOT_HINT = (
    "run as root (the agent needs CAP_SYS_ADMIN and CAP_SYS_PTRACE, "
    "and CAP_NET_ADMIN for the netfilter rules)"
)


@dataclass(frozen=True)
class Located:
    """The namespace to read as the pod's (None for the host) and the target."""

    target: Target
    netns_path: str | None


def netns_path(name: str) -> str:
    """A name under /run/netns, or a path as given."""
    return name if "/" in name else f"{NETNS_DIR}/{name}"


def check_netns(path: str, what: str) -> os.stat_result:
    """Stat ``path`` and make sure it is a network namespace, or raise TargetError."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise TargetError(f"{what}: {path} does not exist", "check the name or path") from None
    except PermissionError:
        raise TargetError(f"{what}: no permission to open {path}", ROOT_HINT) from None
    try:
        try:
            nstype = fcntl.ioctl(fd, NS_GET_NSTYPE)
        except OSError:
            nstype = 0
        if nstype != CLONE_NEWNET:
            raise TargetError(
                f"{what}: {path} is not a network namespace",
                "give a name under /run/netns or a path like /proc/PID/ns/net",
            )
        return os.fstat(fd)
    finally:
        os.close(fd)


def same_netns(a: os.stat_result, b: os.stat_result) -> bool:
    """Namespaces are the same inode on the nsfs device."""
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def locate(request: Request, host_path: str | None) -> Located:
    """Resolve the request's target; raise TargetError with a hint when it cannot be.

    ``host_path`` None means the agent's own namespace is the node's.
    """
    host = check_netns(host_path or "/proc/self/ns/net", "host namespace")
    if request.kind == "host":
        return Located(Target(kind="host", found_by="host", host_network=True), None)
    if request.kind == "pid":
        return _by_pid(request, host)
    if request.kind == "netns":
        if not request.netns:
            raise TargetError("no namespace given", "name one under /run/netns or give a path")
        path = netns_path(request.netns)
        st = check_netns(path, f"netns {request.netns}")
        target = Target(kind="netns", found_by="netns-path", netns_path=path)
        if same_netns(st, host):
            return Located(_replace_host(target), None)
        return Located(target, path)
    if request.kind == "pod":
        return _by_pod(request, host, host_path)
    raise TargetError(f"unknown target kind {request.kind!r}", "use pod, pid, netns or host")


def _replace_host(target: Target) -> Target:
    return Target(
        kind=target.kind, found_by=target.found_by, pid=target.pid,
        netns_path=target.netns_path, host_network=True,
    )  # fmt: skip


def _by_pid(request: Request, host: os.stat_result) -> Located:
    pid = request.pid
    if pid is None or pid <= 0 or not os.path.isdir(f"/proc/{pid}"):
        raise TargetError(f"no process with PID {pid}", "check the PID with 'ps -p PID'")
    path = f"/proc/{pid}/ns/net"
    st = check_netns(path, f"PID {pid}")
    target = Target(kind="pid", found_by="pid", pid=pid, netns_path=path)
    if same_netns(st, host):
        return Located(_replace_host(target), None)
    return Located(target, path)


def _by_pod(request: Request, host: os.stat_result, host_path: str | None) -> Located:
    if request.host_network:
        return Located(_pod_target(request, "host-network", host_network=True), None)
    ids = [strip_runtime(c) for c in request.container_ids]
    ids = [i for i in ids if len(i) >= MIN_ID_LEN]
    uids = _uid_forms(request.pod_uid)
    pids: list[tuple[int, str | None]] = []
    if request.pod_uid:  # the kubelet's cgroup directory: a lookup, not a scan
        # the named containers' processes first, then the pod's others (the pause
        # process): a crash-looping app, or CRI-O's conmon (in the node's namespace)
        # alone carrying the app's id, must not hide the pod sandbox
        pids = cgroupdir.container_pids(request.pod_uid, ids)
    if not pids and ids:
        pids = [(p, cid) for p, cid in scan_cgroups(ids) if cid]
    if not pids and uids:
        pids = [(p, None) for p, _ in scan_cgroups(uids)]
    for pid, cid in pids:
        how = "cgroup:container-id" if cid else "cgroup:pod-uid"
        path = f"/proc/{pid}/ns/net"
        try:
            st = os.stat(path)
        except OSError:
            continue  # exited meanwhile, or not ours to read
        if same_netns(st, host):
            continue
        named = next((c for c in request.container_ids if cid and c.endswith(cid)), cid)
        return Located(_pod_target(request, how, pid=pid, path=path, cid=named), path)
    if pids:
        raise TargetError(
            f"pod {_pod_label(request)}: its processes live in the node's own network namespace",
            "the pod is not hostNetwork, so this is not its namespace; check the pod's node",
        )
    if request.pod_ips:
        from .peers import find_by_ip

        found = find_by_ip(request.pod_ips, host_path)
        if found:
            ip_pid, path = found
            return Located(_pod_target(request, "pod-ip", pid=ip_pid, path=path), path)
    raise TargetError(
        f"pod {_pod_label(request)}: no process on this node matches its container ids, "
        "pod UID or IPs",
        "is the pod running, and on this node? ('kubectl get pod -o wide')",
    )


def _pod_target(
    request: Request,
    found_by: str,
    *,
    pid: int | None = None,
    path: str | None = None,
    cid: str | None = None,
    host_network: bool = False,
) -> Target:
    return Target(
        kind="pod",
        found_by=found_by,
        pid=pid,
        netns_path=path,
        host_network=host_network,
        pod_name=request.pod_name,
        pod_namespace=request.pod_namespace,
        pod_ips=request.pod_ips,
        container_id=cid,
    )


def _pod_label(request: Request) -> str:
    if request.pod_name:
        return f"{request.pod_namespace or 'default'}/{request.pod_name}"
    return request.pod_uid or ",".join(request.container_ids) or "?"


def strip_runtime(container_id: str) -> str:
    """``containerd://abc`` → ``abc``: cgroup paths carry the bare id."""
    for prefix in RUNTIME_PREFIXES:
        if container_id.startswith(prefix):
            return container_id[len(prefix) :]
    return container_id


def _uid_forms(uid: str | None) -> list[str]:
    """The cgroupfs driver writes ``pod<uid>``, systemd ``pod<uid with _ for ->``."""
    if not uid:
        return []
    return [f"pod{uid}", f"pod{uid.replace('-', '_')}"]


def scan_cgroups(needles: list[str]) -> Iterator[tuple[int, str | None]]:
    """PIDs whose /proc/PID/cgroup mentions one of ``needles``, with the needle."""
    for pid in _pids():
        try:
            with open(f"/proc/{pid}/cgroup", encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ESRCH, errno.EACCES):
                continue
            raise
        for needle in needles:
            if needle in text:
                yield pid, needle
                break


def _pids() -> Iterator[int]:
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            yield int(entry.name)


def cgroup_ids(pid: int) -> tuple[str | None, str | None]:
    """(container id, pod UID) as the cgroup path of ``pid`` names them, if it does."""
    try:
        with open(f"/proc/{pid}/cgroup", encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return None, None
    for line in lines:
        path = line.split(":", 2)[-1]
        if "kubepods" not in path:
            continue
        return _parse_kubepods_path(path)
    return None, None


def _parse_kubepods_path(path: str) -> tuple[str | None, str | None]:
    """The pod UID and the container id in a kubepods cgroup path, if present."""
    uid = cid = None
    for part in path.strip("/").split("/"):
        name = part.removesuffix(".slice").removesuffix(".scope")
        found = UID_RE.search(name)
        if found:
            uid = found.group(1).replace("_", "-")
        elif uid:
            leaf = ID_RE.search(name)
            cid = leaf.group(1) if leaf else cid
    return cid, uid
