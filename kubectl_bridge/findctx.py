"""The context the finding rules share: one path and how to talk about it.

Split from ``findings`` so the rule modules can import it without a cycle.
Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .model import Finding, Hop, Path, Snapshot

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
INTERFACE_KINDS = ("pod-interface", "host-interface", "bridge", "uplink")
DOWN_STATES = ("DOWN", "LOWERLAYERDOWN", "NOTPRESENT", "DORMANT")
BAD_NEIGHBOUR = ("FAILED", "INCOMPLETE")
#: Codes about one pod even when reported on a shared hop (its MAC on the bridge).
PERSONAL = ("fdb-not-learned", "fdb-wrong-port", "neigh-failed")


@dataclass(frozen=True)
class PathContext:
    """One path plus what several rules need to know about it."""

    snapshot: Snapshot
    path: Path
    who: str  # "" for a single-pod view, "pod ns/name: " on a node view

    def hops(self, *kinds: str) -> list[Hop]:
        """The path's hops of these kinds, in order."""
        return [h for h in self.path.hops if h.kind in kinds]

    @property
    def broken_links(self) -> list[Hop]:
        """Interfaces on the path that are down for any reason."""
        return [h for h in self.hops(*INTERFACE_KINDS) if is_down(h)]

    def finding(self, severity: str, code: str, message: str, hint: str, hop: Hop) -> Finding:
        """A finding about this path, prefixed with its pod on a node view.

        Shared hops (the bridge, the uplink) are not the pod's own: their
        findings carry no prefix, so one fault on them is reported once.
        """
        personal = hop.kind in ("pod-interface", "host-interface", "route") or code in PERSONAL
        return Finding(severity, code, (self.who if personal else "") + message, hint, hop.name)


def is_down(hop: Hop) -> bool:
    """Whether an interface hop cannot pass packets (admin down or no carrier)."""
    flags = hop.details.get("flags") or []
    state = hop.details.get("operstate")
    return (bool(flags) and "UP" not in flags) or state in DOWN_STATES


def admin_down(hop: Hop) -> bool:
    """Whether someone (or something) set the interface down: the cause, not an effect."""
    flags = hop.details.get("flags") or []
    return bool(flags) and "UP" not in flags


def ip_command(ctx: PathContext, hop: Hop) -> str:
    """``ip`` for the host, ``nsenter -t PID -n ip`` for the pod side."""
    if hop.netns != "pod":
        return "ip"
    first = ctx.path.hops[0]
    pid = first.details.get("pid")
    return f"nsenter -t {pid} -n ip" if pid else "ip netns exec NETNS ip"


def as_int(value: Any) -> int:
    """Details are JSON-ish; treat anything that is not an int as 0."""
    return value if isinstance(value, int) else 0


def seconds(value: Any) -> str:
    """``300 s``, ``2.5 s``: a duration from the details, as a person writes it."""
    number = float(value) if isinstance(value, (int, float)) else 0.0
    return f"{number:g} s"
