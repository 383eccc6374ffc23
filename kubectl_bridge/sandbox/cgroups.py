"""Kubelet-style cgroup directories for test pod processes.

The agent finds a pod's namespace by looking for its container id or pod UID
in ``/proc/PID/cgroup``, so the test topologies must put their processes
where a kubelet would: every combination of cgroup version (v1 controllers,
v2 unified), cgroup driver (systemd slices, cgroupfs paths) and runtime
naming (docker, containerd, cri-o) appears on real nodes.

Shared parents such as ``kubepods.slice`` are used by tests running at the
same time, so only directories this process created are removed, and a
parent still in use (EBUSY, ENOTEMPTY) is left alone.
"""

from __future__ import annotations

import errno
import os
import time
from dataclasses import dataclass

CGROUP_ROOT = "/sys/fs/cgroup"
RUNTIME_PREFIXES = {"docker": "docker://", "containerd": "containerd://", "cri-o": "cri-o://"}
# systemd driver: the scope unit each runtime creates for a container
SYSTEMD_SCOPES = {"docker": "docker-{}.scope", "containerd": "cri-containerd-{}.scope",
                  "cri-o": "crio-{}.scope"}  # fmt: skip
# cgroupfs driver: the leaf directory name
CGROUPFS_LEAVES = {"docker": "{}", "containerd": "{}", "cri-o": "crio-{}"}
QOS_CLASSES = ("guaranteed", "burstable", "besteffort")


@dataclass(frozen=True)
class CgroupSpec:
    """Where a pod's processes go.

    ``version`` "v1" joins the listed v1 ``controllers`` (``systemd`` is the
    named ``name=systemd`` hierarchy); "v2" joins the unified hierarchy only.
    The memory controller is left out by default: the test runner itself may
    be confined there.
    """

    version: str = "v1"  # v1 | v2
    driver: str = "systemd"  # systemd | cgroupfs
    qos: str = "besteffort"  # guaranteed | burstable | besteffort
    controllers: tuple[str, ...] = ("systemd", "pids")


def container_ref(runtime: str, container_id: str) -> str:
    """The id as the API shows it in containerStatuses: ``containerd://<64 hex>``."""
    return RUNTIME_PREFIXES[runtime] + container_id


def pod_dir(spec: CgroupSpec, pod_uid: str) -> str:
    """The pod's cgroup, relative to a hierarchy root, as the kubelet names it."""
    if spec.qos not in QOS_CLASSES:
        raise ValueError(f"unknown QoS class {spec.qos!r}")
    if spec.driver == "systemd":
        uid = pod_uid.replace("-", "_")
        if spec.qos == "guaranteed":
            return f"kubepods.slice/kubepods-pod{uid}.slice"
        qos = f"kubepods-{spec.qos}"
        return f"kubepods.slice/{qos}.slice/{qos}-pod{uid}.slice"
    if spec.driver == "cgroupfs":
        if spec.qos == "guaranteed":
            return f"kubepods/pod{pod_uid}"
        return f"kubepods/{spec.qos}/pod{pod_uid}"
    raise ValueError(f"unknown cgroup driver {spec.driver!r}")


def container_dir(spec: CgroupSpec, pod_uid: str, runtime: str, container_id: str) -> str:
    """The container's cgroup, relative to a hierarchy root."""
    names = SYSTEMD_SCOPES if spec.driver == "systemd" else CGROUPFS_LEAVES
    return f"{pod_dir(spec, pod_uid)}/{names[runtime].format(container_id)}"


def hierarchy_roots(spec: CgroupSpec) -> list[str]:
    """The mounted hierarchies a process of this spec joins."""
    if spec.version == "v2":
        if os.path.exists(os.path.join(CGROUP_ROOT, "cgroup.controllers")):
            return [CGROUP_ROOT]  # pure v2 (unified) host
        return [os.path.join(CGROUP_ROOT, "unified")]
    if spec.version == "v1":
        return [os.path.join(CGROUP_ROOT, c) for c in spec.controllers]
    raise ValueError(f"unknown cgroup version {spec.version!r}")


def place(pid: int, spec: CgroupSpec, relpath: str) -> list[str]:
    """Create ``relpath`` in each hierarchy and move ``pid`` there.

    Returns the directories this call created (parents first), so that the
    caller removes exactly those.  A concurrent teardown may remove a shared
    parent between our mkdir calls; that is retried.
    """
    created: list[str] = []
    for root in hierarchy_roots(spec):
        if not os.path.isdir(root):
            raise FileNotFoundError(errno.ENOENT, "cgroup hierarchy not mounted", root)
        for _attempt in range(20):
            try:
                created += _makedirs(root, relpath)
                with open(os.path.join(root, relpath, "cgroup.procs"), "w") as f:
                    f.write(str(pid))
                break
            except FileNotFoundError:
                time.sleep(0.01)
        else:
            raise OSError(errno.EAGAIN, "cgroup parent kept disappearing", relpath)
    return created


def _makedirs(root: str, relpath: str) -> list[str]:
    created = []
    path = root
    for part in relpath.split("/"):
        path = os.path.join(path, part)
        try:
            os.mkdir(path)
            created.append(path)
        except FileExistsError:
            pass
    return created


def remove_dirs(dirs: list[str]) -> None:
    """Remove cgroup dirs we created, deepest first; leave shared ones in use.

    A leaf whose processes were just killed can stay busy for a moment while
    they exit, so EBUSY on a directory without children is retried briefly.
    """
    for path in sorted(set(dirs), key=lambda p: p.count("/"), reverse=True):
        for _attempt in range(50):
            try:
                os.rmdir(path)
                break
            except FileNotFoundError:
                break
            except OSError as exc:
                if exc.errno not in (errno.EBUSY, errno.ENOTEMPTY) or _has_children(path):
                    break
                time.sleep(0.02)


def _has_children(path: str) -> bool:
    try:
        return any(e.is_dir() for e in os.scandir(path))
    except OSError:
        return False
