"""Every benchmark in one run, ending with one table of the issue's goals.

    sudo .venv/bin/python benchmarks/run_all.py            # full sizes (~3 minutes)
    sudo .venv/bin/python benchmarks/run_all.py --quick    # small sizes, few samples

Runs, in this order: the collector on real namespaces (targets 1 and 2,
``collector.py``), end to end through kubectl and the stand-in control plane
(target 3, ``e2e.py``), and start-up of ``--help`` and a completion call
(target 4, the same commands as ``startup.py``).  Each part prints its own
table; the last table lists every goal with the figure measured in this run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib
import collector
import e2e
import startup


def startup_goals(repeat: int) -> tuple[str, list[benchlib.Goal]]:
    """Target 4 with startup.py's commands and method (fresh processes, medians)."""
    env = startup.clean_env()
    base = startup.median([str(startup.BIN / "python"), "-c", "pass"], env, repeat)
    rows = [["python3 -c pass", benchlib.ms(base), ""]]
    goals = []
    limit = startup.GOAL_SECONDS
    for label, argv in startup.venv_commands().items():
        took = startup.median(argv, env, repeat)
        extra = took - base
        rows.append([label, benchlib.ms(took), f"+{extra * 1000:.1f} ms"])
        goals.append(
            benchlib.Goal(4, f"{label} above python3 -c pass", f"+{extra * 1000:.0f} ms",
                          f"≤ +{limit * 1000:.0f} ms", extra <= limit)
        )  # fmt: skip
    title = f"Target 4 — start-up (pip install, {repeat} runs, median)"
    return benchlib.table(title, ["command", "time", "above python"], rows), goals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few samples")
    parser.add_argument("--pods", help="collector node sizes (default 10,100,250)")
    parser.add_argument("--skip-e2e", action="store_true", help="no stand-in / kubectl part")
    args = parser.parse_args(argv)
    benchlib.require_root()
    sizes = args.pods or ("2,6" if args.quick else "10,100,250")
    repeat = 3 if args.quick else 15
    print(f"machine: {benchlib.machine()}", flush=True)
    goals: list[benchlib.Goal] = []
    text, found = collector.run_benchmark([int(n) for n in sizes.split(",")], repeat)
    print(text, flush=True)
    goals += found
    if not args.skip_e2e:
        text, found = e2e.run_benchmark(2 if args.quick else 7, 0.2)
        print(text, flush=True)
        goals += found
    text, found = startup_goals(5 if args.quick else 20)
    print(text)
    goals += found
    print(benchlib.goals_table(goals))
    return 0


if __name__ == "__main__":
    benchlib.run_main(main)
