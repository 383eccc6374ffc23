"""``kubectl bridge snapshot TARGET``: the raw snapshot JSON, as the agent wrote it.

What a user saves to render later (``--from FILE``), attaches to a bug
report, or diffs before and after a change.  Output is always one JSON
document: a snapshot, or a list of them when ``-l`` selects several pods.
Errors are raised, never printed: ``cli.main`` turns them into one line.
"""

from __future__ import annotations

import argparse
import json

from ..cli import Environment
from ..model import dump, to_jsonable
from ..targets import acquire


def run(args: argparse.Namespace, env: Environment) -> int:
    """Collect the target and print its snapshot as indented JSON."""
    snapshots = acquire(args, scope="pod")
    if not snapshots:  # --dry-run: the debug pod manifest was printed instead
        return 0
    if len(snapshots) == 1:
        env.stdout.write(dump(snapshots[0], indent=2) + "\n")
    else:
        env.stdout.write(json.dumps(to_jsonable(snapshots), indent=2) + "\n")
    return 0
