"""The namespaces the node's interfaces lead into, and who lives in each.

A host veth says only "my peer is ifindex N in the namespace I call nsid K".
To name the pod behind it we find a process whose namespace the host calls
K: every distinct namespace in ``/proc/*/ns/net`` (and ``/run/netns``) is
asked for with RTM_GETNSID, which reads the id without assigning one.  The
kernel assigns an id itself whenever it reports a veth whose peer is in a
namespace without one, so reading the host's links first is enough: every
namespace a host veth points into has an id by then.  Nothing is assigned
by us.  Node-wide views only: the walk is over every process.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from ..model import Address, Link, PeerNetns
from . import convert, queries
from .netns import NETNS_DIR, cgroup_ids
from .rtnl import Netlink


def namespaces() -> Iterator[tuple[str, int | None]]:
    """(path, pid or None) for each distinct network namespace on the machine."""
    seen: set[tuple[int, int]] = set()
    # processes first: a namespace held by a process can be tied to its pod
    candidates: list[tuple[str, int | None]] = [
        (f"/proc/{e.name}/ns/net", int(e.name)) for e in os.scandir("/proc") if e.name.isdigit()
    ]
    if os.path.isdir(NETNS_DIR):
        candidates += [(e.path, None) for e in os.scandir(NETNS_DIR)]
    for path, pid in candidates:
        try:
            st = os.stat(path)
        except OSError:
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen:
            continue
        seen.add(key)
        yield path, pid


def by_nsid(host: Netlink, wanted: set[int]) -> dict[int, tuple[str, int | None]]:
    """Map each wanted nsid (as the host knows it) to a namespace path and a PID."""
    found: dict[int, tuple[str, int | None]] = {}
    for path, pid in namespaces():
        if len(found) == len(wanted):
            break
        try:
            nsid = queries.nsid_of(host, path)
        except OSError:
            continue
        if nsid is not None and nsid in wanted:
            found.setdefault(nsid, (path, pid))
    return found


def collect_peers(host: Netlink, nsids: set[int]) -> tuple[PeerNetns, ...]:
    """One PeerNetns per nsid: its links and addresses and the pod it belongs to."""
    peers = []
    for nsid, (path, pid) in sorted(by_nsid(host, nsids).items()):
        container_id = pod_uid = None
        if pid is not None:
            # may be the pause container's id; the pod UID names the pod either way
            container_id, pod_uid = cgroup_ids(pid)
        links: tuple[Link, ...] = ()
        addresses: tuple[Address, ...] = ()
        try:
            with Netlink(path) as nl:
                links = tuple(convert.link(m) for m in queries.links(nl))
                addresses = tuple(convert.address(m) for m in queries.addresses(nl))
        except OSError:
            pass  # the namespace went away while we looked; keep what names it
        peers.append(
            PeerNetns(
                nsid=nsid,
                netns_path=path,
                pid=pid,
                container_id=container_id,
                pod_uid=pod_uid,
                links=links,
                addresses=addresses,
            )
        )
    return tuple(peers)


def find_by_ip(ips: tuple[str, ...], host_path: str | None) -> tuple[int | None, str] | None:
    """(pid, path) of the namespace behind a host veth that holds one of ``ips``.

    Only namespaces the node's own interfaces lead into are searched: another
    node (or test) on the same machine may reuse the same pod IP.
    """
    with Netlink(host_path) as host:
        nsids = {
            lk.link_netnsid
            for lk in (convert.link(m) for m in queries.links(host))
            if lk.link_netnsid is not None
        }
        for _nsid, (path, pid) in sorted(by_nsid(host, nsids).items()):
            try:
                with Netlink(path) as nl:
                    held = {convert.address(m).address for m in queries.addresses(nl)}
            except OSError:
                continue
            if held & set(ips):
                return pid, path
    return None
