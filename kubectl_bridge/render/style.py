"""Colour and width: decided once per run from the terminal and the user's wishes.

Colour goes only to a terminal, never into a pipe or a file, and is off
whenever ``--no-color`` is given or ``NO_COLOR`` is set (no-color.org).
Output fits 100 columns unless the user asked for ``-o wide``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_WIDTH = 100
WIDE_WIDTH = 200

_CODES = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "cyan": "36",
}
SEVERITY_COLOUR = {"error": "red", "warning": "yellow", "info": "cyan"}
STATE_COLOUR = {
    "UP": "green",
    "forwarding": "green",
    "REACHABLE": "green",
    "DOWN": "red",
    "LOWERLAYERDOWN": "red",
    "disabled": "red",
    "blocking": "red",
    "FAILED": "red",
    "INCOMPLETE": "yellow",
    "STALE": "yellow",
    "learning": "yellow",
    "listening": "yellow",
}


@dataclass(frozen=True)
class Style:
    """How to decorate text: colour on or off, and the width to fit."""

    color: bool = False
    width: int = DEFAULT_WIDTH
    human: bool = False
    wide: bool = False

    def paint(self, text: str, colour: str) -> str:
        """``text`` in ``colour`` (a name from ``_CODES``), or unchanged without colour."""
        code = _CODES.get(colour)
        if not self.color or not code or not text:
            return text
        return f"\033[{code}m{text}\033[0m"

    def state(self, text: str) -> str:
        """An interface, port or neighbour state, coloured by how healthy it is."""
        return self.paint(text, STATE_COLOUR.get(text, ""))

    def severity(self, text: str) -> str:
        """A finding's severity, coloured."""
        return self.paint(text, SEVERITY_COLOUR.get(text.lower(), ""))

    def heading(self, text: str) -> str:
        """A section title."""
        return self.paint(text, "bold")


def use_color(*, no_color: bool, environ: Mapping[str, str], isatty: bool) -> bool:
    """Colour only on a terminal, and never when the user said no."""
    return isatty and not no_color and not environ.get("NO_COLOR") and environ.get("TERM") != "dumb"


def make_style(
    *, output: str, no_color: bool, human: bool, environ: Mapping[str, str], isatty: bool
) -> Style:
    """The style for one command's output."""
    wide = output == "wide"
    return Style(
        color=use_color(no_color=no_color, environ=environ, isatty=isatty),
        width=WIDE_WIDTH if wide else DEFAULT_WIDTH,
        human=human,
        wide=wide,
    )


def human_number(count: int, *, human: bool = True) -> str:
    """A counter the way ``ip -s -h link`` prints it: 259111 → 259k, 3157 → 3.16k.

    Same rules as iproute2's ``print_num``: base 1000, the largest prefix
    that keeps the value below 1000, two decimals at most, fewer as the
    integer part grows.
    """
    base = 1000
    if not human or count < base:
        return str(count)
    prefixes = "kMGTPE"
    power = 1
    index = 0
    while True:
        power *= base
        if count // base < power or index == len(prefixes) - 1:
            break
        index += 1
    precision = 2
    scale = 1
    while precision > 0:
        scale *= 10
        if count // power < scale:
            break
        precision -= 1
    return f"{count / power:.{precision}f}{prefixes[index]}"
