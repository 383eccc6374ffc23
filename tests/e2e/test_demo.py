"""``kubectl bridge demo`` as CI runs it: no TTY, no input, every step, well under a minute.

The demo is the README's main command, so this runs the console script the
way the README says, with a private state directory, and checks the walk:
every step S1–S11 in the seed's order, the checks it computes all ✓, the
facts the seed learned visible in the real outputs, and nothing left over.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from kubectl_bridge.sandbox import demo_capture, lab

pytestmark = pytest.mark.e2e

CONSOLE = str(Path(sys.executable).with_name("kubectl-bridge"))
HEADING = re.compile(r"^── (S[\d·S]+) · ", re.MULTILINE)


def demo(
    state_dir: Path, tmp_path: Path, *argv: str
) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {**os.environ, lab.STATE_DIR_ENV: str(state_dir), "XDG_CACHE_HOME": str(tmp_path)}
    started = time.monotonic()
    result = subprocess.run(
        [CONSOLE, "demo", *argv], env=env, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    return result, time.monotonic() - started


def netns_with(prefix: str) -> list[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    return [ln.split()[0] for ln in out.stdout.splitlines() if ln.startswith(prefix + "-")]


@pytest.mark.netns
def test_demo_walks_every_step_and_leaves_nothing(state_dir: Path, tmp_path: Path) -> None:
    result, elapsed = demo(state_dir, tmp_path)
    out = result.stdout
    assert result.returncode == 0, result.stderr + out[-3000:]
    assert result.stderr == ""
    assert elapsed < 60, f"the demo took {elapsed:.1f} s"

    tags = HEADING.findall(out)
    steps = [int(n) for tag in tags for n in re.findall(r"\d+", tag)]
    assert set(steps) == set(range(1, 12)), tags
    first = [tags.index(f"S{n}") for n in range(1, 12)]
    assert first == sorted(first), "steps out of the seed's order"

    assert "✗" not in out
    assert out.count("✓") >= 8
    # the seed's facts, in the real outputs
    assert "$ kubectl bridge links node master1" in out
    assert re.search(r"docker0: <NO-CARRIER,[^>]*> .* state DOWN", out)
    assert re.search(r"1\s+veth2482a36\s+02:42:ac:11:00:02\s+no\s+\d", out)  # learned on port 1
    assert "172.17.0.2 lladdr 02:42:ac:11:00:02" in out
    assert "pod default/nginx" in out and "veth1b74665" in out
    if shutil.which("tcpdump"):
        assert "IP 172.17.0.2 > 192.168.0.1: ICMP echo request" in out
        assert "IP 192.168.0.10 > 192.168.0.1: ICMP echo request" in out
    assert "-A POSTROUTING -s 172.17.0.0/16 -o eth0 -j MASQUERADE" in out

    prefix = re.search(r"\b(kbs-[0-9a-f]{6})-node\b", out)
    assert prefix
    assert "sandbox down: removed API server" in out
    assert netns_with(prefix.group(1)) == []
    assert not state_dir.exists()


@pytest.mark.netns
def test_demo_keep_leaves_the_sandbox_up_and_refuses_a_second_run(
    state_dir: Path, tmp_path: Path
) -> None:
    result, _ = demo(state_dir, tmp_path, "--keep")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(f"export KUBECONFIG={state_dir}/kubeconfig")
    status = lab.status(lab.Paths(str(state_dir)))
    assert status.state == "up", status.problems
    assert [line.split(":")[0] for line in status.lines if line.startswith("pod ")] == [
        "pod nginx",
        "pod nginx1",
    ]

    again, _ = demo(state_dir, tmp_path)
    assert again.returncode == 1
    assert again.stderr.strip().splitlines() == [
        f"error: a sandbox is already up in {state_dir}; "
        "remove it first: sudo kubectl bridge sandbox down"
    ]
    assert lab.down(lab.Paths(str(state_dir)))
    assert not state_dir.exists()


class _Say:
    def __init__(self) -> None:
        self.out = io.StringIO()

    def say(self, text: str) -> None:
        self.out.write(text + "\n")

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"nothing but a note expected, got {name}")


def test_capture_without_tcpdump_is_skipped_with_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo_capture.shutil, "which", lambda name: None)
    note = _Say()
    demo_capture.show(note, "nginx", "192.168.0.1", "192.168.0.10")  # type: ignore[arg-type]
    assert "tcpdump is not installed here" in note.out.getvalue()


@pytest.mark.netns
def test_a_failing_step_still_removes_the_sandbox(
    state_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kubectl_bridge.sandbox import demo as demo_module
    from kubectl_bridge.sandbox import demo_steps
    from kubectl_bridge.sandbox.labserver import SandboxError

    seen: list[str] = []

    def broken(d: demo_module.Demo) -> None:
        seen.append(d.sandbox.record["prefix"])
        raise SandboxError("step failed on purpose")

    monkeypatch.setattr(demo_steps, "STEPS", (demo_steps.s4_neigh, broken))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    out = io.StringIO()
    with pytest.raises(SandboxError, match="on purpose"):
        demo_module.run(lab.Paths(str(state_dir)), out)
    assert "── S4 · " in out.getvalue()
    assert netns_with(seen[0]) == []
    assert not state_dir.exists()
