"""The seed's hand-drawn picture, drawn from the snapshot (S8).

Layout, top to bottom, as in the seed: one box per pod interface with its
``< IP >`` and ``(MAC)``, ``eth0@ifN`` on its bottom edge; below it the
host side, whose top edge names the host interface right under the pod's
(a bridge box spans all its ports, with its address, id and MAC table; a
routed veth gets its own box); the routing-table excerpt the paths use; the
node's edge labelled with the uplink; then the node address and gateway.
Pure: returns text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..findctx import is_down
from ..model import Hop, Path
from ..netindex import route_text
from .canvas import Canvas
from .view import View

POD_MIN = 25
GAP = 3
LEFT = 2
MAX_TITLE = 34
MAX_ROUTES = 8
MAC_TABLE_ROWS = 8
MAC_HEADER = "port  mac addr           is local?  ageing timer"
LEGEND = "( ) MAC address   < > IP address"


@dataclass
class Column:
    """One pod interface: a pod box and, below it, its host interface."""

    hop: Hop
    title: str
    lines: list[str]
    bottom: str
    port: str | None
    port_mac: str | None
    width: int
    x: int = 0

    @property
    def center(self) -> int:
        """Where the connector leaves the box: under the interface name."""
        return self.x + self.width // 2


@dataclass
class Group:
    """The host side shared by some columns: a bridge, a routed veth, or nothing."""

    kind: str  # bridge, routed, hostnet
    name: str
    columns: list[Column] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    table: list[str] = field(default_factory=list)
    width: int = 0
    x: int = 0

    @property
    def center(self) -> int:
        """Where the connector to the routing table leaves the box."""
        if self.kind == "hostnet" and self.columns:
            return self.columns[0].center
        return self.x + self.width // 2

    @property
    def height(self) -> int:
        """Rows of the host box (0: no box)."""
        return 0 if self.kind == "hostnet" else 3 + len(self.lines) + len(self.table)


def render_diagram(view: View, width: int, wide: bool = False) -> str:
    """The diagram, shrunk (MAC table first, then pods) until it fits ``width``."""
    paths = list(view.paths)
    for tables, keep in [(True, len(paths)), *[(False, n) for n in range(len(paths), 0, -1)]]:
        groups = _groups(view, paths[:keep], tables)
        text = _draw(view, groups)
        if wide or max(len(line) for line in text.splitlines()) <= width:
            break
    omitted = len(paths) - keep
    tail = [f"({omitted} more pod interfaces not drawn: see Bridge ports, or -o wide)"]
    return "\n".join([text, LEGEND] + (tail if omitted else []))


def _groups(view: View, paths: list[Path], tables: bool) -> list[Group]:
    groups: dict[tuple[str, str], Group] = {}
    for path in paths:
        kinds = {h.kind: h for h in reversed(path.hops)}
        if "bridge" in kinds:
            key = ("bridge", kinds["bridge"].name)
        elif "host-interface" in kinds:
            key = ("routed", kinds["host-interface"].name)
        else:
            key = ("hostnet", path.interface + str(len(groups)))
        group = groups.setdefault(key, Group(key[0], key[1]))
        group.columns.append(_column(path))
    if view.node_view:
        for bridge in sorted(view.snapshot.host.bridges, key=lambda b: b.name):
            groups.setdefault(("bridge", bridge.name), Group("bridge", bridge.name))
    x = LEFT
    for group in groups.values():
        _fill(view, group, tables)
        group.x = x
        cx = x
        for col in group.columns:
            col.x = cx
            cx += col.width + GAP
        span = cx - GAP - x if group.columns else 0
        longest = max((len(s) for s in group.lines + group.table), default=0)
        group.width = max(span, longest + 4, len(group.name) + 8)
        x += group.width + GAP
    return list(groups.values())


def _column(path: Path) -> Column:
    first = path.hops[0]
    d = first.details
    host = next((h for h in path.hops if h.kind == "host-interface"), None)
    if first.kind == "pod-interface":
        title = _title(str(d.get("owner") or "pod"))
        lines = [""] + [f"< {str(a).split('/')[0]} >" for a in d.get("addresses") or []]
        lines += [f"({d['mac']})"] if d.get("mac") else []
        bottom = str(d.get("display") or first.name) + (" [down]" if is_down(first) else "")
    else:
        title, lines, bottom = f"netns id {d.get('link_netnsid')}", ["", "(not collected)"], "?"
    port = host.name + (" [down]" if is_down(host) else "") if host else None
    port_mac = f"({host.details['mac']})" if host and host.details.get("mac") else None
    width = max(
        POD_MIN,
        len(title) + 4,
        max(len(s) for s in lines) + 4,
        len(bottom) + 6,
        len(port or "") + 6,
        len(port_mac or "") + 4,
    )
    return Column(first, title, lines, bottom, port, port_mac, width)


def _title(owner: str) -> str:
    """``pod default/nginx`` → ``Pod(nginx)`` as the seed writes it."""
    if owner.startswith("pod "):
        owner = f"Pod({owner[4:].rpartition('/')[2]})"
    return owner if len(owner) <= MAX_TITLE else owner[: MAX_TITLE - 3] + "..."


def _fill(view: View, group: Group, tables: bool) -> None:
    """The host box's text: the bridge and its MAC table, or the routed veth."""
    if group.kind == "hostnet":
        return
    host = view.host
    link = next((lk for lk in view.snapshot.host.links if lk.name == group.name), None)
    if group.kind == "routed":
        hop = _hop(view, "host-interface", group.name)
        proxy = hop.details.get("proxy_arp") if hop else None
        group.lines = ["routed: no bridge"]
        if proxy is not None:
            group.lines.append(f"proxy_arp {'on' if proxy else 'off'}")
        group.lines += [f"<{c}>" for c in (host.cidrs(link.ifindex) if link else [])]
        return
    addrs = " ".join(f"<{c}>" for c in (host.cidrs(link.ifindex) if link else []))
    bridge = next((b for b in view.snapshot.host.bridges if b.name == group.name), None)
    group.lines = ["", f"{group.name} {addrs}".strip()]
    if bridge is not None:
        group.lines.append(f"bridge id {bridge.bridge_id}, STP {'yes' if bridge.stp else 'no'}")
    if not group.columns:
        group.lines.append("(no ports)")
    entries = [e for e in view.snapshot.host.fdb if bridge and e.bridge_ifindex == bridge.ifindex]
    if tables and entries and len(entries) <= MAC_TABLE_ROWS:
        title = " MAC address table ".center(len(MAC_HEADER), "=")
        group.table = ["", title, MAC_HEADER, "-" * len(MAC_HEADER)]
        for e in sorted(entries, key=lambda e: (e.port_no, e.mac)):
            local = "yes" if e.is_local else "no"
            group.table.append(f"{e.port_no:<4}  {e.mac:<17}  {local:<9}  {e.ageing:.2f}")


def _hop(view: View, kind: str, name: str) -> Hop | None:
    return next((h for h in view.path_hops(kind) if h.name == name), None)


def _draw(view: View, groups: list[Group]) -> str:
    canvas = Canvas()
    columns = [c for g in groups for c in g.columns]
    y = 2
    if columns:
        height = 3 + max(len(c.lines) for c in columns)
        for col in columns:
            canvas.box(col.x, y, col.width, height)
            canvas.center(col.x, col.width, y + 1, col.title)
            for i, line in enumerate(col.lines):
                canvas.center(col.x, col.width, y + 2 + i, line)
            canvas.label(col.center, y + height - 1, col.bottom)
        y += height + 2
        for col in columns:
            canvas.vline(col.center, y - 2, y - 1)
    bottom = y - 1
    for group in groups:
        if group.kind == "hostnet":
            continue
        canvas.box(group.x, y, group.width, group.height)
        for col in group.columns:
            canvas.label(col.center, y, col.port or "?")
            canvas.center(col.center - 12, 25, y + 1, col.port_mac or "")
        for i, line in enumerate(group.lines + group.table):
            if i >= len(group.lines):
                canvas.put(group.x + 2, y + 2 + i, line)
            else:
                canvas.center(group.x, group.width, y + 2 + i, line)
        bottom = max(bottom, y + group.height - 1)
    route_top = bottom + 3
    for group in groups:
        start = y + group.height if group.kind != "hostnet" else y - 2
        canvas.joint(group.center, start - 1)
        canvas.vline(group.center, start, route_top - 1)
    return _draw_lower(view, canvas, groups, route_top)


def _draw_lower(view: View, canvas: Canvas, groups: list[Group], top: int) -> str:
    """The routing table, the node's edge with the uplink, the gateway."""
    lines = ["# ip route show", *_route_lines(view)]
    right = max([g.center + 3 for g in groups], default=0)
    width = max(max(len(s) for s in lines) + 4, right - LEFT, 39)
    height = len(lines) + 2
    canvas.box(LEFT, top, width, height, edge="=")
    canvas.put(_title_x(width, [g.center for g in groups]), top, " routing table ")
    for group in groups:
        canvas.joint(group.center, top)
    for i, line in enumerate(lines):
        canvas.put(LEFT + 2, top + 1 + i, line)
    ux = LEFT + width // 2
    bottom = top + height - 1
    canvas.joint(ux, bottom)
    canvas.vline(ux, bottom + 1, bottom + 2)
    edge = bottom + 3
    node_w = max(LEFT + max([g.x + g.width for g in groups] + [LEFT + width]), 51)
    canvas.box(0, 0, node_w + 2, edge + 1)
    node, kernel = view.snapshot.node_name, view.snapshot.agent.kernel
    title = f"{node} ({kernel})" if kernel else node
    canvas.label((node_w + 2) // 2, 0, title)
    uplink = next(iter(view.path_hops("uplink")), None)
    if uplink is None:
        canvas.label(ux, edge, "no default route")
        return canvas.text()
    canvas.label(ux, edge, uplink.name)
    d = uplink.details
    mac = f" ({d['mac']})" if d.get("mac") else ""
    canvas.put(ux, edge + 1, f"| <{d.get('node_address') or '?'}>{mac}")
    canvas.put(ux, edge + 2, "|")
    canvas.put(ux, edge + 3, f"| <{d.get('gateway')}>" if d.get("gateway") else "|")
    canvas.box(ux - 8, edge + 4, 17, 3)
    canvas.joint(ux, edge + 4)
    canvas.center(ux - 8, 17, edge + 5, "gateway" if d.get("gateway") else "on-link")
    return canvas.text()


def _title_x(width: int, connectors: list[int]) -> int:
    """Where the routing table's title goes: centred, unless a connector lands there."""
    size = len(" routing table ")
    starts = range(LEFT + 2, LEFT + width - size - 1)
    centred = LEFT + (width - size) // 2
    free = [x for x in starts if not any(x - 3 <= c <= x + size + 2 for c in connectors)]
    return min(free, key=lambda x: abs(x - centred), default=centred)


def _route_lines(view: View) -> list[str]:
    """The routes the picture needs: default, the ones back to the pods, the uplink's."""
    host = view.host
    used = {h.name for h in view.path_hops("route")}
    uplinks = {h.ifindex for h in view.path_hops("uplink")}
    bridges = {b.ifindex for b in view.snapshot.host.bridges} if view.node_view else set()
    chosen = [
        route_text(r, host, short=True)
        for r in view.snapshot.host.routes
        if r.table == 254
        and (
            r.destination in used
            or r.destination == "default"
            or r.oif in uplinks
            or (r.oif in bridges and r.scope == "link")
        )
    ]
    if len(chosen) > MAX_ROUTES:
        more = len(chosen) - MAX_ROUTES + 1
        chosen = [*chosen[: MAX_ROUTES - 1], f"... {more} more (see Routes)"]
    return chosen
