"""The one object every renderer reads: a snapshot with its paths and findings.

Stitching and the findings run once per snapshot; the diagram, the tables
and the JSON document all render from the same ``View`` so they cannot
disagree.  Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import cni as cni_mod
from .. import findings as findings_mod
from .. import stitch
from ..model import Finding, Hop, NetnsView, Path, Snapshot
from ..netindex import NetIndex, is_node_view


@dataclass(frozen=True)
class View:
    """A snapshot, the paths stitched from it and what looks wrong."""

    snapshot: Snapshot
    paths: list[Path]
    findings: list[Finding]
    host: NetIndex = field(compare=False)
    pod: NetIndex | None = field(compare=False, default=None)
    #: The recognised CNI layout (``cni.recognise``).
    cni: cni_mod.Cni | None = field(compare=False, default=None)

    @property
    def node_view(self) -> bool:
        """A whole node (``host``/``node``) rather than one pod."""
        return is_node_view(self.snapshot)

    def path_hops(self, kind: str) -> list[Hop]:
        """Every hop of this kind over all paths, first occurrence by name."""
        seen: dict[tuple[str, str], Hop] = {}
        for path in self.paths:
            for hop in path.hops:
                if hop.kind == kind:
                    seen.setdefault((hop.netns, hop.name), hop)
        return list(seen.values())

    def sides(self) -> list[tuple[str, NetnsView, NetIndex]]:
        """The pod's namespace (when it has one of its own), then the host's: table order."""
        found: list[tuple[str, NetnsView, NetIndex]] = []
        if self.snapshot.pod is not None and self.pod is not None:
            found.append(("pod", self.snapshot.pod, self.pod))
        found.append(("host", self.snapshot.host, self.host))
        return found

    def path_ifindexes(self) -> set[int]:
        """Host-side ifindexes of every interface, bridge and uplink on a path."""
        return {
            h.ifindex
            for p in self.paths
            for h in p.hops
            if h.netns == "host" and h.ifindex is not None and h.kind != "route"
        }


def build_view(snapshot: Snapshot) -> View:
    """Stitch the paths and evaluate the findings for one snapshot."""
    paths = stitch.paths(snapshot)
    pod = snapshot.pod
    return View(
        snapshot=snapshot,
        paths=paths,
        findings=findings_mod.evaluate(snapshot, paths),
        host=NetIndex(snapshot.host.links, snapshot.host.addresses),
        pod=NetIndex(pod.links, pod.addresses) if pod else None,
        cni=cni_mod.recognise(snapshot, paths),
    )
