"""Processes seen from /proc: what tests use to prove nothing was left running."""

from __future__ import annotations

import contextlib
import glob
import os
from pathlib import Path


def mentioning(text: str) -> list[int]:
    """Pids (other than this test's) whose command line contains ``text``."""
    pids = []
    for entry in glob.glob("/proc/[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if text.encode() in Path(entry).read_bytes():
                pids.append(int(entry.split("/")[2]))
    return [p for p in pids if p != os.getpid()]
