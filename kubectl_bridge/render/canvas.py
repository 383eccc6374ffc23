"""A character grid to draw boxes and lines on, for the seed-style diagram.

The diagram is laid out in absolute positions (a pod's interface sits right
above its bridge port), which is easiest to get right on a grid: put text
at (x, y), draw boxes, then read the lines back.  ASCII only, so it pastes
anywhere an on-call engineer pastes things.
"""

from __future__ import annotations


class Canvas:
    """A growable grid of characters."""

    def __init__(self) -> None:
        self._rows: list[list[str]] = []

    def put(self, x: int, y: int, text: str) -> None:
        """Write ``text`` starting at column ``x`` of row ``y``."""
        while len(self._rows) <= y:
            self._rows.append([])
        row = self._rows[y]
        if len(row) < x + len(text):
            row.extend(" " * (x + len(text) - len(row)))
        for i, ch in enumerate(text):
            row[x + i] = ch

    def get(self, x: int, y: int) -> str:
        """The character at (x, y), a space when nothing is there."""
        if y < len(self._rows) and x < len(self._rows[y]):
            return self._rows[y][x]
        return " "

    def vline(self, x: int, y0: int, y1: int) -> None:
        """A vertical connector from row ``y0`` to ``y1`` inclusive."""
        for y in range(y0, y1 + 1):
            self.put(x, y, "|")

    def box(self, x: int, y: int, width: int, height: int, edge: str = "-") -> None:
        """A box with ``+`` corners; ``edge`` draws its top and bottom."""
        self.put(x, y, "+" + edge * (width - 2) + "+")
        for row in range(y + 1, y + height - 1):
            self.put(x, row, "|")
            self.put(x + width - 1, row, "|")
        self.put(x, y + height - 1, "+" + edge * (width - 2) + "+")

    def label(self, center: int, y: int, text: str) -> None:
        """Text on a border, centred on ``center``, padded by one space each side."""
        padded = f" {text} "
        self.put(center - len(padded) // 2, y, padded)

    def center(self, left: int, width: int, y: int, text: str) -> None:
        """Text centred between ``left`` and ``left + width``."""
        self.put(left + max(0, (width - len(text)) // 2), y, text)

    def joint(self, x: int, y: int) -> None:
        """Mark where a connector meets a border (``+``), unless text is there."""
        if self.get(x, y) in "-=":
            self.put(x, y, "+")

    def text(self) -> str:
        """The drawing, trailing spaces removed."""
        return "\n".join("".join(row).rstrip() for row in self._rows)
