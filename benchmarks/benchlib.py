"""Shared helpers for the benchmark scripts: timing, tables, clean interrupts.

Every benchmark measures its variants round-robin (one sample of each, then
the next round), so a noisy moment on the machine hits all of them alike,
and reports the median.  Ratios are computed from figures taken in the same
run, never from numbers remembered from another day.
"""

from __future__ import annotations

import contextlib
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import FrameType
from typing import NoReturn, TypeVar

Variant = Callable[[], object]
K = TypeVar("K")


def machine() -> str:
    """One line that says where the figures were taken."""
    return (
        f"{os.cpu_count()} cores, kernel {platform.release()}, Python {platform.python_version()}"
    )


def measure(variants: dict[K, Variant], repeat: int, warmup: int = 1) -> dict[K, float]:
    """Median wall time (seconds) of each variant, sampled round-robin."""
    for _ in range(warmup):
        for work in variants.values():
            work()
    samples: dict[K, list[float]] = {name: [] for name in variants}
    for _ in range(repeat):
        for name, work in variants.items():
            started = time.perf_counter()
            work()
            samples[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in samples.items()}


def run(argv: list[str], stdin: bytes | None = None, env: dict[str, str] | None = None) -> bytes:
    """Run a command to completion; its stdout, or an error with its stderr."""
    done = subprocess.run(argv, input=stdin, capture_output=True, env=env, check=False)
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"{' '.join(argv[:6])}… exited {done.returncode}: {err[-400:]}")
    return done.stdout


def ms(seconds: float) -> str:
    """A duration as the tables show it."""
    return f"{seconds * 1000:8.1f} ms"


def table(title: str, header: list[str], rows: list[list[str]]) -> str:
    """A plain left-aligned text table (markdown-compatible pipes)."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    out = [f"\n{title}", line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)


def verdict(ok: bool | None) -> str:
    """How a goal line reads (None: a figure to report, not a goal)."""
    if ok is None:
        return "reported"
    return "met" if ok else "NOT met"


@dataclass(frozen=True)
class Goal:
    """One goal of the issue, as measured in this run."""

    target: int
    what: str
    measured: str
    goal: str
    ok: bool | None  # None: reported only

    def line(self) -> str:
        """The goal as one line under a benchmark's table."""
        return (
            f"  [{self.target}] {self.what}: {self.measured} (goal {self.goal}: {verdict(self.ok)})"
        )


def goals_table(goals: list[Goal]) -> str:
    """Every goal in one table (``run_all``)."""
    rows = [[str(g.target), g.what, g.measured, g.goal, verdict(g.ok)] for g in goals]
    return table("Goals", ["#", "what", "measured", "goal", ""], rows)


@contextlib.contextmanager
def interrupts_unwind() -> Iterator[None]:
    """Turn SIGTERM (and SIGHUP) into KeyboardInterrupt so ``finally`` blocks tear down."""

    def raise_interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = {s: signal.signal(s, raise_interrupt) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def require_root() -> None:
    """Namespaces and cgroups need root: say so instead of failing half-way."""
    if os.geteuid() != 0:
        sys.exit("this benchmark builds network namespaces: run it as root")


def report(text: str, goals: list[Goal]) -> None:
    """One benchmark's output: where it ran, its tables, then its goals one a line."""
    print(f"machine: {machine()}")
    print(text)
    print()
    for goal in goals:
        print(goal.line())


def run_main(main: Callable[[], int]) -> NoReturn:
    """Exit with ``main()``'s status, and with 130 on Ctrl-C.

    Ctrl-C, or a signal ``interrupts_unwind`` turned into one, has already
    run the teardowns by the time it gets here: no traceback for it.
    """
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
