"""Renderers: one ``View`` (snapshot + paths + findings) to diagram, tables, JSON or YAML.

The entry points others call::

    view = render.build_view(snapshot)             # stitch + findings, once
    render.describe(view, style)                   # diagram, every table, findings
    render.focused(view, "macs", style)            # one section (a focused verb)
    render.document(view)                          # the -o json/yaml data
    render.dumps([render.document(view)], "json")  # text

Pure: no I/O; the command layer prints.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import capture, cni_text, network, sections, tables, tables_more
from .diagram import render_diagram
from .structured import document as _document
from .structured import dumps
from .style import Style, make_style
from .view import View, build_view

__all__ = [
    "SECTION_NAMES",
    "VERB_SECTIONS",
    "Style",
    "View",
    "build_sections",
    "build_view",
    "describe",
    "document",
    "dumps",
    "focused",
    "header",
    "make_style",
    "render_diagram",
]

_BUILDERS: dict[str, Callable[[View], Any]] = {
    "interfaces": sections.interfaces,
    "ports": sections.ports,
    "macs": sections.macs,
    "neighbours": sections.neighbours,
    "stats": sections.stats,
    "routes": sections.routes,
    "capture_points": capture.capture_points,
    "networks": network.networks,
}
SECTION_NAMES = tuple(_BUILDERS)
VERB_SECTIONS = {
    "links": "interfaces",
    "ports": "ports",
    "macs": "macs",
    "neigh": "neighbours",
    "stats": "stats",
    "routes": "routes",
    "inspect": "networks",
    "capture-points": "capture_points",
}
#: Which findings a focused verb repeats under its table.
VERB_FINDINGS = {
    "interfaces": ("link-down", "mtu-mismatch", "mtu-above-uplink", "peer-not-found"),
    "ports": ("link-down", "port-not-forwarding"),
    "macs": ("fdb-not-learned", "fdb-wrong-port"),
    "neighbours": ("neigh-failed", "proxy-arp-off"),
    "stats": ("interface-errors", "interface-drops"),
    "routes": ("no-route", "route-wrong-device", "no-default-route", "ip-forward-off"),
    "networks": ("proxy-arp-off", "host-network", "ovs-bridge"),
    "capture_points": ("host-network", "ebpf-datapath"),
}


def build_sections(view: View, names: tuple[str, ...] = SECTION_NAMES) -> dict[str, Any]:
    """The tables' data (``sections`` in ``-o json``)."""
    return {name: _BUILDERS[name](view) for name in names}


def document(view: View, names: tuple[str, ...] = SECTION_NAMES) -> dict[str, Any]:
    """The ``-o json``/``-o yaml`` document of one view."""
    return _document(view, build_sections(view, names))


def header(view: View) -> str:
    """One line: what this is, where it ran and how the namespace was found."""
    snap = view.snapshot
    target = snap.target
    if view.node_view:
        what = f"node {snap.node_name}: every bridge and port"
        how = "node view"
    else:
        first = view.paths[0].hops[0].details.get("owner") if view.paths else target.kind
        what = f"{first} on node {snap.node_name}"
        how = f"found by {target.found_by}" + (f", pid {target.pid}" if target.pid else "")
    took = f", collected in {snap.agent.duration_ms:.0f} ms" if snap.agent.duration_ms else ""
    if snap.agent.served_by == "server":  # the debug pod's long-lived agent answered
        took += " by the agent server"
    return f"{what} ({how}{took})"


#: Sections that a pod view reads only along the pod's own path.
PATH_ONLY = frozenset({"ports", "macs", "networks"})


def _render_section(view: View, name: str, data: Any, style: Style) -> str:
    text = _render_table(view, name, data, style)
    snap = view.snapshot
    partial = snap.agent.scope == "pod" and not snap.target.host_network
    if name in PATH_ONLY and partial and snap.host.bridges:
        # A pod view reads only this pod's port (its cost must not grow with the
        # node's pods); say so, and where the whole bridge is.
        where = f"node {snap.node_name}" if snap.target.kind == "pod" else "host"
        text += f"\n  (this pod's port only; every port: kubectl bridge {_NODE_VERB[name]} {where})"
    return text


_NODE_VERB = {"ports": "ports", "macs": "macs", "networks": "inspect"}


def _render_table(view: View, name: str, data: Any, style: Style) -> str:
    if name == "interfaces":
        return tables.render_interfaces(data, style)
    if name == "ports":
        return tables.render_ports(data, style)
    if name == "macs":
        only = {r["bridge"] for r in sections.ports(view)}
        ageing = {
            b.name: b.ageing_time
            for b in sorted(view.snapshot.host.bridges, key=lambda b: b.name)
            if b.name in only
        }
        return tables.render_macs(data, style, ageing)
    if name == "neighbours":
        return tables.render_neighbours(data, style)
    if name == "stats":
        return tables_more.render_stats(data, style)
    if name == "routes":
        return tables_more.render_routes(data, style)
    if name == "capture_points":
        return tables_more.render_capture(data, style, view.snapshot.node_name)
    return tables_more.render_networks(data, style)


def describe(view: View, style: Style) -> str:
    """The default output: header, diagram, every table, findings."""
    parts = [header(view), *cni_text.summary(view.cni, style.width), ""]
    parts.append(render_diagram(view, style.width, style.wide))
    for name, data in build_sections(view).items():
        parts += ["", _render_section(view, name, data, style)]
    parts += ["", cni_text.render_cni(view.cni, style)]
    parts += ["", tables.render_findings(view.findings, style)]
    return "\n".join(parts)


def focused(view: View, verb: str, style: Style) -> str:
    """A focused verb: its one table and the findings that concern it."""
    name = VERB_SECTIONS[verb]
    data = _BUILDERS[name](view)
    parts = [header(view), "", _render_section(view, name, data, style)]
    related = [f for f in view.findings if f.code in VERB_FINDINGS.get(name, ())]
    if related:
        parts += ["", tables.render_findings(related, style)]
    return "\n".join(parts)
