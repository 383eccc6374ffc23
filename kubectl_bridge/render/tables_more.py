"""Tables for counters, routes, capture points and the bridge network (S5, S9–S11)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from .style import Style, human_number
from .tables import Column, Row, section, table

RX = ("bytes", "packets", "errors", "dropped", "overrun", "mcast")
TX = ("bytes", "packets", "errors", "dropped", "carrier", "collsns")


#: Two lines an interface (RX, TX): only the first names it, as ``ip -s link`` does.
LEAD_COLUMNS: list[Column] = [
    ("NETNS", lambda r: r["netns"] or " ", 0),
    ("IFACE", lambda r: r["name"] or " ", 0),
    ("", lambda r: r["dir"], 0),
]


def _lead(r: Row, direction: str) -> Row:
    """The leading cells of an interface's RX or TX line."""
    first = direction == "RX"
    return {
        "netns": r["netns"] if first else "",
        "name": r["display"] if first else "",
        "dir": direction,
    }


def render_stats(rows: Sequence[Row], style: Style) -> str:
    """S5: ``ip -s link`` for every interface on the path, RX and TX lines."""
    h = style.human
    body: list[Row] = []
    for r in rows:
        for direction, keys in (("RX", RX), ("TX", TX)):
            c = r[direction.lower()]
            body.append(
                {
                    **_lead(r, direction),
                    **{
                        f"c{i}": human_number(c[k], human=h) if r["collected"] else "-"
                        for i, k in enumerate(keys)
                    },
                }
            )
    columns: list[Column] = [
        *LEAD_COLUMNS,
        ("BYTES", lambda r: r["c0"], 0),
        ("PACKETS", lambda r: r["c1"], 0),
        ("ERRORS", lambda r: r["c2"], 0),
        ("DROPPED", lambda r: r["c3"], 0),
        ("OVERRUN/CARRIER", lambda r: r["c4"], 1),
        ("MCAST/COLLSNS", lambda r: r["c5"], 1),
    ]
    title = "Counters (ip -s -h link)" if h else "Counters (ip -s link)"
    return section(title, table(columns, body, style), style)


def render_rates(rows: Sequence[Row], style: Style, seconds: float) -> str:
    """``stats --interval``: per-second rates and what grew between the samples."""
    body: list[Row] = []
    for r in rows:
        for direction in ("rx", "tx"):
            rate = r["rate"][direction]
            delta = r["delta"][direction]
            body.append(
                {
                    **_lead(r, direction.upper()),
                    "bps": human_number(round(rate["bytes"]), human=True) + "B/s",
                    "pps": f"{rate['packets']:.1f}/s",
                    "errors": _grew(delta["errors"]),
                    "dropped": _grew(delta["dropped"]),
                }
            )
    columns: list[Column] = [
        *LEAD_COLUMNS,
        ("BYTES/S", lambda r: r["bps"], 0),
        ("PACKETS/S", lambda r: r["pps"], 0),
        ("NEW ERRORS", lambda r: style.paint(r["errors"], "red") if r["errors"] != "0" else "0",
         0),
        ("NEW DROPS", lambda r: style.paint(r["dropped"], "yellow")
         if r["dropped"] != "0" else "0", 0),
    ]  # fmt: skip
    grew = [r["display"] for r in rows if r["delta"]["grew"]]
    notes = (
        [f"errors or drops grew on: {', '.join(grew)}"]
        if grew
        else ["no errors or drops were added on any hop during the interval"]
    )
    title = f"Rates over {seconds:.3g} s (two samples)"
    return section(title, table(columns, body, style), style, notes)


def _grew(value: int) -> str:
    return f"+{value}" if value else "0"


def render_routes(data: dict[str, list[Row]], style: Style) -> str:
    """S9: ``ip route show`` per side, the route each path uses marked, and the kernel's lookups."""
    lines: list[str] = []
    for side in ("pod", "host"):
        mine = [r for r in data["routes"] if r["netns"] == side]
        if not mine:
            continue
        lines.append(f"  {side}: # ip route show" + (" table all" if style.wide else ""))
        width = max(len(r["text"]) for r in mine)
        for r in mine:
            mark = f"  <- {r['role']}" if r.get("role") else ""
            lines.append(f"    {r['text'].ljust(width) if mark else r['text']}{mark}")
    for lk in data["lookups"]:
        got = lk["error"] or " ".join(
            p
            for p in (
                f"via {lk['gateway']}" if lk["gateway"] else "",
                f"dev {lk['dev']}" if lk["dev"] else "",
                f"src {lk['prefsrc']}" if lk["prefsrc"] else "",
                f"table {lk['table']}" if lk["table"] not in (None, 254) else "",
            )
            if p
        )
        lines.append(f"  host: # ip route get {lk['destination']}\n    {got}")
    if data["rules"]:
        lines.append("  host: # ip rule")
        for rule in data["rules"]:
            sel = " ".join(f"{k} {rule[k]}" for k in ("src", "dst", "iif") if rule.get(k))
            lines.append(f"    {rule['priority']}: from {sel or 'all'} lookup {rule['table']}")
    return section("Routes (ip route)", "\n".join(lines) or "  (none)", style)


def render_capture(rows: Sequence[Row], style: Style, hostname: str) -> str:
    """S10: where tcpdump sees the pod's packets, ready to paste."""
    columns: list[Column] = [
        ("#", lambda r: r["n"], 0),
        ("WHERE", lambda r: r["where"], 0),
        ("COMMAND", lambda r: r["command"], 0),
    ]
    body = []
    for i, r in enumerate(rows, 1):
        where = f"{r['interface']} ({_hop_word(r['hop'])})"
        body.append({"n": i, "where": where, "command": r["command"]})
    text = table(columns, body, style, indent="  ")
    notes = [f"{i}. {r['note']}" for i, r in enumerate(rows, 1) if r.get("note")]
    title = f"Capture points (run as root on node {hostname})"
    return section(title, text, style, notes)


def _hop_word(kind: str) -> str:
    return {
        "pod-interface": "pod side",
        "host-interface": "host side",
        "bridge": "bridge",
        "uplink": "uplink",
    }.get(kind, kind)


def render_networks(rows: Sequence[Row], style: Style) -> str:
    """S11: each bridge network like ``docker network inspect``, for any CNI."""
    blocks = []
    for n in rows:
        pairs: list[tuple[str, Any]] = [
            ("driver", n["driver"] + (f" (id {n['bridge_id']})" if n.get("bridge_id") else "")),
            ("subnet", n["subnets"]),
            ("gateway", n["gateways"]),
        ]
        if "gateway_answered_by" in n:
            pairs.append(("gateway answered by", n["gateway_answered_by"]))
        pairs.append(("mtu", n["mtu"]))
        if "stp" in n:
            pairs += [
                ("stp", "yes" if n["stp"] else "no"),
                ("ageing time", f"{n['ageing_time']:g} s"),
                ("vlan filtering", "yes" if n["vlan_filtering"] else "no"),
                ("hairpin ports", n["hairpin_ports"] or "none"),
            ]
        pairs += [("masquerade", n["masquerade"]), ("inter-pod traffic", n["inter_pod"])]
        lines = [f"  {n['name']}"]
        lines += [_pair(k, v, style.width) for k, v in pairs]
        columns: list[Column] = [
            ("POD", lambda r: str(r["pod"] or "-").removeprefix("pod "), 0),
            ("IF", lambda r: r["interface"], 1),
            ("PORT", lambda r: r["port"], 0),
            ("MAC", lambda r: r["mac"], 0),
            ("ADDRESS", lambda r: r["addresses"], 0),
        ]
        if n["endpoints"]:
            lines.append(table(columns, n["endpoints"], style, indent="    "))
        else:
            lines.append("    (no endpoints)")
        blocks.append("\n".join(lines))
    return section("Pod network (docker network inspect)", "\n".join(blocks) or "  (none)", style)


def _pair(key: str, value: Any, width: int) -> str:
    """``    masquerade:          yes (...)``, long values wrapped under the value column."""
    return textwrap.fill(
        f"{key + ':':<20} {_join(value)}",
        width,
        initial_indent="    ",
        subsequent_indent=" " * 25,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _join(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or "-"
    return "-" if value is None else str(value)
