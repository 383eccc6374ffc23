"""Compact tables for the sections (S1–S4) and the findings, kubectl-style.

Plain columns with upper-case headers, like ``kubectl get``.  A table that
would not fit the width drops its least important columns first (they are
still in ``-o wide`` and ``-o json``), so the default output stays inside
100 columns whatever the pod names.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from typing import Any

from tabulate import tabulate

from ..model import Finding
from .style import Style

Row = dict[str, Any]
#: A column: header, how to get the cell from a row, and its drop rank: 0 stays,
#: otherwise the highest rank goes first when the table is too wide.
Column = tuple[str, Callable[[Row], Any], int]
NONE = "-"


def table(columns: Sequence[Column], rows: Sequence[Row], style: Style, indent: str = "") -> str:
    """Rows as a plain table; droppable columns go (highest rank first) until it fits."""
    cols = list(columns)
    while True:
        body = [[_cell(get(row)) for _, get, _ in cols] for row in rows]
        # Headers as a plain first row: tabulate pads real headers by two extra spaces.
        head = [h or " " for h, _, _ in cols]
        text = tabulate([head, *body], tablefmt="plain", disable_numparse=True)
        lines = [indent + line.rstrip() for line in text.splitlines()]
        ranks = [rank for _, _, rank in cols]
        if max((len(line) for line in lines), default=0) <= style.width or not any(ranks):
            return "\n".join(lines)
        del cols[max(range(len(cols)), key=lambda i: (ranks[i], i))]


def _cell(value: Any) -> str:
    if value is None or value in ("", []):
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def section(title: str, body: str, style: Style, notes: Sequence[str] = ()) -> str:
    """A titled block: the heading, the table, then wrapped notes."""
    out = [style.heading(title), body] if body else [style.heading(title)]
    for note in notes:
        out.append(textwrap.fill(note, style.width, initial_indent="  ", subsequent_indent="     "))
    return "\n".join(out)


def render_interfaces(rows: Sequence[Row], style: Style) -> str:
    """S1/S6/S7: every interface, the pod's ``eth0@ifN`` tied to its host veth."""
    columns: list[Column] = [
        ("NETNS", lambda r: r["netns"], 0),
        ("NAME", lambda r: r["display"], 0),
        ("KIND", lambda r: r["kind"], 3),
        ("STATE", lambda r: style.state(r["state"]), 0),
        ("MTU", lambda r: r["mtu"], 0),
        ("MAC", lambda r: r["mac"], 0),
        ("ADDRESS", lambda r: r["addresses"], 0),
        ("PEER", lambda r: r["peer"] if style.wide else _short(r["peer"]), 1),
        ("MASTER", lambda r: r["master"], 2),
    ]
    if all(r["netns"] == "host" for r in rows):
        del columns[0]  # a node view: every row is the host's
    if style.wide:
        columns[1:1] = [("IFINDEX", lambda r: r["ifindex"], 0)]
        columns += [
            ("NSID", lambda r: r["link_netnsid"], 0),
            ("FLAGS", lambda r: r["flags"], 0),
        ]
    return section("Interfaces (ip link, ip addr)", table(columns, rows, style), style)


def render_ports(rows: Sequence[Row], style: Style) -> str:
    """S2: ``brctl show``, each port with the pod behind it."""
    blocks = []
    for name in dict.fromkeys(r["bridge"] for r in rows):
        mine = [r for r in rows if r["bridge"] == name]
        head = mine[0]
        title = (
            f"{name}  bridge id {head['bridge_id']}  STP {_cell(head['stp'])}"
            f"  {_cell(head['addresses'])}"
        )
        ports = [r for r in mine if r.get("port")]
        if not ports:
            blocks.append(f"  {title}\n    (no ports: no pod is attached yet)")
            continue
        columns: list[Column] = [
            ("NO", lambda r: r["port_no"], 0),
            ("PORT", lambda r: r["port"], 0),
            ("STATE", lambda r: style.state(r["state"]), 0),
            ("MAC", lambda r: r["mac"], 2),
            ("POD", lambda r: _pod(r["pod"]), 0),
            ("POD IF", lambda r: r["pod_interface"], 3),
            ("POD IP", lambda r: r["pod_addresses"], 1),
        ]
        if style.wide:
            columns += [
                ("POD MAC", lambda r: r["pod_mac"], 0),
                ("HAIRPIN", lambda r: r["hairpin"], 0),
            ]
        blocks.append(f"  {title}\n" + table(columns, ports, style, indent="    "))
    body = "\n".join(blocks) if blocks else "  (no bridges)"
    return section("Bridge ports (brctl show)", body, style)


def render_macs(rows: Sequence[Row], style: Style, ageing: dict[str, float]) -> str:
    """S3: ``brctl showmacs`` with the owner of every MAC."""
    columns: list[Column] = [
        ("PORT NO", lambda r: r["port_no"], 0),
        ("PORT", lambda r: r["port"], 1),
        ("MAC ADDR", lambda r: r["mac"], 0),
        ("IS LOCAL?", lambda r: r["is_local"], 0),
        ("AGEING TIMER", lambda r: f"{r['ageing']:.2f}", 0),
        ("OWNER", lambda r: _pod(r["owner"]), 1),
    ]
    if style.wide:
        columns.append(("VLAN", lambda r: r["vlan"], 0))
    blocks = []
    for name, seconds in ageing.items():
        mine = [r for r in rows if r["bridge"] == name]
        head = f"  {name}  (learned entries age out {seconds:g} s after the pod's last frame)"
        body = table(columns, mine, style, indent="    ") if mine else "    (empty)"
        blocks.append(head + "\n" + body)
    return section(
        "MAC learning table (brctl showmacs)", "\n".join(blocks) or "  (no bridge)", style
    )


def render_neighbours(rows: Sequence[Row], style: Style) -> str:
    """S4: ``ip neigh`` on both sides, with whose MAC each entry is."""
    columns: list[Column] = [
        ("NETNS", lambda r: r["netns"], 0),
        ("DEV", lambda r: r["dev"], 0),
        ("ADDRESS", lambda r: r["address"], 0),
        ("LLADDR", lambda r: r["mac"], 0),
        ("STATE", lambda r: style.state(r["state"]), 0),
        ("OWNER", lambda r: _pod(r["owner"]), 1),
    ]
    if style.wide:
        columns += [
            ("ROUTER", lambda r: r["router"], 0),
            ("PROXY", lambda r: r["proxy"], 0),
        ]
    if not rows:
        return section(
            "Neighbours (ip neigh)",
            "  (empty: entries appear when traffic flows)",
            style,
        )
    return section("Neighbours (ip neigh)", table(columns, rows, style), style)


def render_findings(found: Sequence[Finding], style: Style) -> str:
    """What looks wrong, each with its explanation and what to do."""
    if not found:
        return section("Findings", "  none: nothing on the path looks wrong", style)
    lines = []
    for f in found:
        lead = f"  {style.severity(f.severity.upper())} {f.code}: "
        plain = f"  {f.severity.upper()} {f.code}: "
        wrapped = textwrap.wrap(f.message, style.width - len(plain)) or [""]
        lines.append(lead + wrapped[0])
        lines += [" " * len(plain) + w for w in wrapped[1:]]
        if f.hint:
            lines += textwrap.wrap(
                f.hint, style.width, initial_indent="    hint: ", subsequent_indent="          "
            )
    return section("Findings", "\n".join(lines), style)


def _short(owner: Any) -> Any:
    """``pod default/nginx eth0`` → ``nginx eth0``: narrow columns keep the name only."""
    if isinstance(owner, str) and owner.startswith("pod "):
        return owner[4:].partition("/")[2] or owner[4:]
    return owner


def _pod(owner: Any) -> Any:
    """``pod default/nginx`` → ``default/nginx``: the column already says POD."""
    if isinstance(owner, str) and owner.startswith("pod "):
        return owner[4:]
    return owner
