"""``describe`` and the focused verbs: get snapshots, render them, print.

The focused verbs are links, ports, macs, neigh, stats, routes, inspect and
capture-points.  The only I/O here is ``targets.acquire`` (which runs the agent or reads a
file), the clock for ``stats --interval``, and writing to the injected
stdout; everything else is the pure core.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable

from .. import render, targets
from ..cli import Environment
from ..errors import EXIT_OK, UsageError
from ..model import Snapshot
from ..render.rates import rates
from ..render.sections import stats as stats_rows
from ..render.tables_more import render_rates

#: Seconds; ``stats --interval`` refuses to hang a terminal longer than this.
MAX_INTERVAL = 300.0
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m)?$")


def run(
    args: argparse.Namespace, env: Environment, *, sleep: Callable[[float], None] = time.sleep
) -> int:
    """Render the verb's view of every snapshot the target names."""
    style = render.make_style(
        output=args.output,
        no_color=bool(args.no_color),
        human=bool(getattr(args, "human_readable", False)),
        environ=env.environ,
        isatty=env.stdout_isatty,
    )
    scope = _scope(args)
    interval = _interval(args)
    snapshots = targets.acquire(args, scope=scope)
    if not snapshots:  # --dry-run: the debug pod manifest was printed instead
        return EXIT_OK
    if interval is not None:
        started = time.monotonic()
        sleep(interval)
        later = targets.acquire(args, scope=scope)
        measured = time.monotonic() - started
        text = _rates_output(args, style, snapshots, later, measured)
    else:
        text = _output(args, style, snapshots)
    env.stdout.write(text + "\n")
    return EXIT_OK


def _scope(args: argparse.Namespace) -> str:
    """Node scope (full dumps) for ``host``/``node`` targets, pod scope otherwise."""
    spec = targets.parse_target(
        list(args.target), from_file=args.from_file, selector=getattr(args, "selector", None)
    )
    return "node" if spec.kind in ("host", "node") else "pod"


def _interval(args: argparse.Namespace) -> float | None:
    """``--interval 1s`` → 1.0; only for ``stats`` on a live target."""
    raw = getattr(args, "interval", None)
    if raw is None:
        return None
    if args.from_file:
        raise UsageError("--interval needs a live target", "a saved snapshot has only one sample")
    match = _DURATION.match(str(raw).strip())
    if not match:
        raise UsageError(f"cannot read interval {raw!r}", "use e.g. 1s, 500ms or 2")
    value = float(match.group(1))
    value *= {"ms": 0.001, "m": 60.0}.get(match.group(2) or "s", 1.0)
    if not 0 < value <= MAX_INTERVAL:
        raise UsageError(f"interval {raw} is out of range", "use between 1ms and 5m")
    return value


def _output(args: argparse.Namespace, style: render.Style, snapshots: list[Snapshot]) -> str:
    views = [render.build_view(s) for s in snapshots]
    if args.output in ("json", "yaml"):
        names = (
            render.SECTION_NAMES if args.verb == "describe" else (render.VERB_SECTIONS[args.verb],)
        )
        return render.dumps([render.document(v, names) for v in views], args.output)
    if args.verb == "describe":
        return "\n\n".join(render.describe(v, style) for v in views)
    return "\n\n".join(render.focused(v, args.verb, style) for v in views)


def _rates_output(
    args: argparse.Namespace,
    style: render.Style,
    first: list[Snapshot],
    second: list[Snapshot],
    measured: float,
) -> str:
    """Pair the samples snapshot by snapshot and show rates and what grew."""
    docs, texts = [], []
    for a, b in zip(first, second, strict=False):
        va, vb = render.build_view(a), render.build_view(b)
        span = b.agent.collected_at - a.agent.collected_at
        seconds = span if a.agent.collected_at and span > 0 else measured
        rows = rates(stats_rows(va), stats_rows(vb), seconds)
        if args.output in ("json", "yaml"):
            doc = render.document(vb, ("stats",))
            doc["sections"]["rates"] = {"interval_seconds": seconds, "interfaces": rows}
            docs.append(doc)
        else:
            texts.append(render.header(vb) + "\n\n" + render_rates(rows, style, seconds))
    if args.output in ("json", "yaml"):
        return render.dumps(docs, args.output)
    return "\n\n".join(texts)
