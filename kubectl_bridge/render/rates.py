"""Two counter samples → per-second rates and which hop's errors or drops grew.

``ip -s link`` shows totals since the interface was created; an on-call
engineer needs to know what is happening now.  Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Row = dict[str, Any]


def rates(before: Sequence[Row], after: Sequence[Row], seconds: float) -> list[Row]:
    """Match the two samples' ``stats`` rows by (netns, name) and difference them.

    A counter that went backwards (the interface was recreated between the
    samples) counts as zero rather than as a huge negative rate.
    """
    old = {(r["netns"], r["name"]): r for r in before}
    span = seconds if seconds > 0 else 1.0
    result = []
    for row in after:
        prev = old.get((row["netns"], row["name"]))
        if prev is None:
            continue
        diff = {d: {k: max(0, row[d][k] - prev[d][k]) for k in row[d]} for d in ("rx", "tx")}
        grew = any(diff[d][k] for d in ("rx", "tx") for k in ("errors", "dropped"))
        result.append(
            {
                "netns": row["netns"],
                "name": row["name"],
                "display": row["display"],
                "rate": {
                    d: {"bytes": diff[d]["bytes"] / span, "packets": diff[d]["packets"] / span}
                    for d in ("rx", "tx")
                },
                "delta": {
                    "rx": {"errors": diff["rx"]["errors"], "dropped": diff["rx"]["dropped"]},
                    "tx": {"errors": diff["tx"]["errors"], "dropped": diff["tx"]["dropped"]},
                    "grew": grew,
                },
            }
        )
    return result
