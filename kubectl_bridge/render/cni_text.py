"""The recognised CNI in ``describe``: a line under the header and a short section.

The line and its notes come before the diagram because they change how the
diagram must be read (no bridge to expect; eBPF or OVS forwarding outside
the kernel tables).  The section after the tables says which kernel facts
decided it and what to run where the picture ends.  Pure.
"""

from __future__ import annotations

import textwrap

from ..cni import Cni
from .style import Style
from .tables import section


def summary(cni: Cni | None, width: int) -> list[str]:
    """``CNI: Calico (routed veth, no bridge)`` and its notes, wrapped to ``width``."""
    if cni is None:
        return []
    return [cni.line(), *(_wrap(n, width, "  note: ") for n in cni.notes)]


def _wrap(text: str, width: int, first: str, rest: str = "        ") -> str:
    return textwrap.fill(text, width, initial_indent=first, subsequent_indent=rest)


def render_cni(cni: Cni | None, style: Style) -> str:
    """The ``Network plugin (CNI)`` section: evidence, name hints, other interfaces, commands."""
    if cni is None:
        return section("Network plugin (CNI)", "  not recognised", style)
    lines = [f"  {cni.name}: recognised from"]
    w = style.width
    lines += [_wrap(e, w, "    - ", "      ") for e in cni.evidence]
    if cni.hints:
        lines.append(_wrap(", ".join(cni.hints), w, "  names that agree: ", "    "))
    lines += [_wrap(s, w, "  also: ", "    ") for s in cni.secondary]
    if cni.commands:
        lines.append(_wrap("; ".join(cni.commands), w, "  beyond this picture: ", "    "))
    return section("Network plugin (CNI)", "\n".join(lines), style)
