"""The benchmark scripts still run (tiny sizes, one sample; no timing is judged)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks"

pytestmark = pytest.mark.netns


def run(*argv: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def test_collector_prints_both_tables_and_every_goal() -> None:
    done = run(str(BENCH / "collector.py"), "--pods", "2,3", "--repeat", "1")
    out = done.stdout
    assert "machine: " in out and "cores, kernel" in out
    assert "Target 1 — collector, one pod" in out
    assert "Target 2 — node view" in out
    for row in (
        "collect() by pid",
        "collect() by container id",
        "agent as shipped, by container id",
        "usual way (13 commands)",
        "collect() scope node",
        "agent as shipped, scope node",
        "agent server's client, by container id",
        "agent server's client, scope node",
    ):
        assert row in out
    assert out.count("[1] ") == 8 and out.count("[2] ") == 3
    prefixes = re.findall(r"(kbb-[0-9a-f]{6})-\*", done.stderr)
    assert len(prefixes) == 2
    left = os.listdir("/run/netns") if os.path.isdir("/run/netns") else []
    assert not [n for n in left if n.startswith(tuple(prefixes))]  # all torn down


@pytest.mark.e2e
@pytest.mark.skipif(
    not shutil.which("kubectl") or not shutil.which("openssl"), reason="needs kubectl and openssl"
)
def test_end_to_end_benchmark_runs_through_kubectl() -> None:
    out = run(str(BENCH / "e2e.py"), "--repeat", "1", "--pod-start", "0.05").stdout
    for row in (
        "cold: create",
        "warm: pod reused",
        "kubectl exec POD -- ip -j link",
        "warm, agent as a process (no server)",
        "kubectl exec -i POD -- agent (served)",
    ):
        assert row in out
    assert "[3] warm describe vs kubectl exec ip -j link" in out
