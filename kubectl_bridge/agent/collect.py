"""``collect(request) -> Snapshot``: the agent's one entry point.

Runs in-process (local targets, tests) and inside the debug pod.  The
calling process never changes namespace: other namespaces are read through
netlink sockets opened by short-lived worker threads (see ``nsthread``).

Scope "pod" reads the pod's namespace whole (a few interfaces) and the
node's only along the pod's path (``path``); scope "node", and the ``host``
target, dump every bridge, port and FDB row and name the namespace behind
every host veth (``peers``).
"""

from __future__ import annotations

import dataclasses
import platform
import socket
import time

from pyroute2.netlink.exceptions import NetlinkError

from .. import __version__
from ..errors import CollectError, TargetError
from ..model import AgentInfo, NetnsView, PeerNetns, Request, SectionStatus, Snapshot, Target
from . import netfilter, netns, path, peers, queries, views
from .rtnl import Netlink, strerror


def collect(request: Request) -> Snapshot:
    """Locate the request's target and read the kernel's view of it."""
    started, clock = time.time(), time.perf_counter()
    host_path = netns.netns_path(request.host_netns) if request.host_netns else None
    located = netns.locate(request, host_path)
    target = located.target
    node_scope = request.scope == "node" or located.netns_path is None
    try:
        with Netlink(host_path) as host_nl:
            if node_scope:
                host, pod, peer_list = _node(host_nl, host_path, located.netns_path)
            else:
                host, pod, target = _pod(host_nl, host_path, located.netns_path or "", target)
                peer_list = ()
    except PermissionError as exc:
        raise TargetError(f"cannot read the namespace: {strerror(exc)}", netns.ROOT_HINT) from exc
    except (OSError, NetlinkError) as exc:
        raise CollectError(f"netlink failed: {strerror(exc)}", "rerun with --debug") from exc
    host = with_netfilter(host, host_path)
    info = AgentInfo(
        version=__version__,
        hostname=socket.gethostname(),
        kernel=platform.release(),
        collected_at=started,
        duration_ms=round((time.perf_counter() - clock) * 1000, 3),
        scope="node" if node_scope else "pod",
    )
    return Snapshot(agent=info, target=target, host=host, pod=pod, peers=peer_list)


def _node(
    host_nl: Netlink, host_path: str | None, pod_path: str | None
) -> tuple[NetnsView, NetnsView | None, tuple[PeerNetns, ...]]:
    host = views.full_view(host_nl, host_path)
    nsids = {lk.link_netnsid for lk in host.links if lk.link_netnsid is not None}
    peer_list = peers.collect_peers(host_nl, nsids) if nsids else ()
    pod = None
    if pod_path:
        with Netlink(pod_path) as pod_nl:
            pod = views.full_view(pod_nl, pod_path)
    return host, pod, peer_list


def _pod(
    host_nl: Netlink, host_path: str | None, pod_path: str, target: Target
) -> tuple[NetnsView, NetnsView, Target]:
    with Netlink(pod_path) as pod_nl:
        pod = views.full_view(pod_nl, pod_path)
        peer_indexes = path.host_ifindexes(pod_nl, pod, host_path)
    ips = path.pod_ips(pod, target.pod_ips)
    host = path.targeted_view(host_nl, host_path, peer_indexes, ips)
    nsid = path.host_nsid(host.links, peer_indexes)
    if nsid is None:
        nsid = queries.nsid_of(host_nl, pod_path)
    return host, pod, _with(target, host_nsid=nsid, pod_ips=tuple(ips))


def with_netfilter(host: NetnsView, host_path: str | None) -> NetnsView:
    """Add the node's nat/forward chains as a section of their own: a failure costs only it."""
    try:
        rules = netfilter.read(host_path)
    except Exception as exc:  # any failure belongs to this section only
        status = SectionStatus("netfilter", ok=False, error=netfilter.explain(exc))
        return dataclasses.replace(host, sections=(*host.sections, status))
    status = SectionStatus("netfilter", ok=True)
    return dataclasses.replace(host, netfilter=rules, sections=(*host.sections, status))


def _with(target: Target, *, host_nsid: int | None, pod_ips: tuple[str, ...]) -> Target:
    return dataclasses.replace(target, host_nsid=host_nsid, pod_ips=pod_ips)
