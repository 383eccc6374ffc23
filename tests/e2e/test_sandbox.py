"""``kubectl bridge sandbox up|down|status`` for real: it leaves the machine as it found it.

Each test has its own state directory (``KUBECTL_BRIDGE_SANDBOX_DIR``) and
the sandbox picks a fresh namespace prefix, so a user's sandbox and other
test runs on the machine are never touched.  ``up`` and ``down`` run as the
console script in a subprocess, as users run them: the sandbox's processes
then belong to no test process.  What is compared before and after is what
belongs to the sandbox (its prefix, its state) plus the root namespace's
links, because concurrent test runs create namespaces of their own.
"""

from __future__ import annotations

import glob
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from procs import mentioning as processes_mentioning

from kubectl_bridge.cli import Environment, main
from kubectl_bridge.sandbox import lab
from kubectl_bridge.sandbox.netops import start_time

pytestmark = [pytest.mark.e2e, pytest.mark.netns]

CONSOLE = str(Path(sys.executable).with_name("kubectl-bridge"))


def run(state_dir: Path, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, lab.STATE_DIR_ENV: str(state_dir)}
    return subprocess.run(
        [CONSOLE, *argv], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def root_links() -> set[str]:
    out = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    return {line.split(":")[1].strip().split("@")[0] for line in out.splitlines()}


def netns_with(prefix: str) -> set[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    return {ln.split()[0] for ln in out.stdout.splitlines() if ln.startswith(prefix + "-")}


def alive(proc: dict[str, Any]) -> bool:
    """Still there, with the recorded start time, and not a zombie."""
    pid = int(proc["pid"])
    if start_time(pid) != proc.get("start"):
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def kubepods_dirs_with(uids: list[str]) -> list[str]:
    found = []
    for d in glob.glob("/sys/fs/cgroup/*/kubepods*/**/", recursive=True):
        if any(u in d or u.replace("-", "_") in d for u in uids):
            found.append(d)
    return found


class Made:
    """Everything one running sandbox recorded: what must be gone after ``down``."""

    def __init__(self, state_dir: Path) -> None:
        self.record = json.loads((state_dir / "sandbox.json").read_text())
        self.topology = json.loads((state_dir / "topology.json").read_text())
        self.prefix: str = self.record["prefix"]
        self.processes = [self.record["server"], *self.topology["processes"]]
        self.cgroup_dirs: list[str] = self.topology["cgroup_dirs"]
        self.uids: list[str] = [p["uid"] for p in self.record["pods"]]

    def assert_gone(self, state_dir: Path) -> None:
        assert netns_with(self.prefix) == set()
        assert [p for p in self.processes if alive(p)] == []
        assert [d for d in self.cgroup_dirs if os.path.exists(d)] == []
        assert kubepods_dirs_with(self.uids) == []
        assert processes_mentioning(str(state_dir)) == []
        assert not state_dir.exists()


def test_up_describe_down_leaves_the_machine_as_before(
    state_dir: Path, plugin_dir: Path, tmp_path: Path
) -> None:
    links_before = root_links()
    up = run(state_dir, "sandbox", "up")
    assert up.returncode == 0, up.stderr
    export = up.stdout.strip().splitlines()[-1]
    assert export == f"export KUBECONFIG={state_dir}/kubeconfig"
    assert "pod nginx: 172.17.0.2/16" in up.stdout and "pod nginx1: 172.17.0.3/16" in up.stdout

    made = Made(state_dir)
    assert netns_with(made.prefix) == {
        f"{made.prefix}-{n}" for n in ("node", "router", "nginx", "nginx1")
    }
    assert all(alive(p) for p in made.processes)
    assert made.cgroup_dirs and all(os.path.isdir(d) for d in made.cgroup_dirs)
    assert len(kubepods_dirs_with(made.uids)) >= 2

    status = run(state_dir, "sandbox", "status")
    assert status.returncode == 0 and "sandbox: up" in status.stdout

    # The user's command, through kubectl's plugin discovery and the sandbox's API server.
    env = {
        **os.environ,
        "KUBECONFIG": export.split("=", 1)[1],
        "PATH": f"{plugin_dir}{os.pathsep}{os.environ['PATH']}",
        "XDG_CACHE_HOME": str(tmp_path / "xdg"),
    }
    described = subprocess.run(
        ["kubectl", "bridge", "describe", "pod", "nginx"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert described.returncode == 0, described.stderr
    assert "pod default/nginx" in described.stdout
    assert re.search(r"veth2482a36 .*docker0", described.stdout)
    assert "02:42:ac:11:00:02" in described.stdout

    down = run(state_dir, "sandbox", "down")
    assert down.returncode == 0, down.stderr
    assert "removed API server" in down.stdout and f"{made.prefix}-node" in down.stdout
    made.assert_gone(state_dir)
    assert root_links() == links_before


def test_down_twice_and_up_twice_are_safe(state_dir: Path) -> None:
    assert run(state_dir, "sandbox", "up", "--pods", "1").returncode == 0
    again = run(state_dir, "sandbox", "up", "--pods", "1")
    assert again.returncode == 0 and "sandbox already up" in again.stdout
    assert again.stdout.strip().endswith(f"export KUBECONFIG={state_dir}/kubeconfig")
    made = Made(state_dir)
    assert len(made.uids) == 1

    first = run(state_dir, "sandbox", "down")
    second = run(state_dir, "sandbox", "down")
    assert first.returncode == 0 and "removed" in first.stdout
    assert second.returncode == 0 and "nothing to remove" in second.stdout
    status = run(state_dir, "sandbox", "status")
    assert status.returncode == 1 and "sandbox: down" in status.stdout
    made.assert_gone(state_dir)


def test_down_cleans_up_after_the_server_and_a_pod_were_killed(state_dir: Path) -> None:
    assert run(state_dir, "sandbox", "up").returncode == 0
    made = Made(state_dir)
    os.kill(int(made.record["server"]["pid"]), signal.SIGKILL)
    os.kill(int(made.topology["processes"][0]["pid"]), signal.SIGKILL)
    deadline = time.monotonic() + 5
    while alive(made.record["server"]) and time.monotonic() < deadline:
        time.sleep(0.02)

    status = run(state_dir, "sandbox", "status")
    assert status.returncode == 1
    assert "sandbox: broken" in status.stdout
    assert "the API server is not running" in status.stdout
    assert f"pod process {made.topology['processes'][0]['pid']} is gone" in status.stdout

    down = run(state_dir, "sandbox", "down")
    assert down.returncode == 0, down.stderr
    made.assert_gone(state_dir)


def test_down_cleans_up_after_up_was_killed_half_way(state_dir: Path) -> None:
    env = {**os.environ, lab.STATE_DIR_ENV: str(state_dir)}
    proc = subprocess.Popen(
        [CONSOLE, "sandbox", "up", "--pods", "3"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    topology = state_dir / "topology.json"
    deadline = time.monotonic() + 30
    while not topology.exists() and time.monotonic() < deadline:
        time.sleep(0.002)
    proc.kill()  # SIGKILL: no finally, no cleanup in the dying process
    proc.wait(timeout=10)
    assert topology.exists()
    recorded = json.loads(topology.read_text())
    prefix = json.loads((state_dir / "sandbox.json").read_text())["prefix"]

    # Whatever point it died at: status says so, down removes it all.
    status = run(state_dir, "sandbox", "status")
    assert status.returncode in (0, 1)
    assert run(state_dir, "sandbox", "down").returncode == 0
    recorded = json.loads(topology.read_text()) if topology.exists() else recorded
    assert netns_with(prefix) == set()
    assert [d for d in recorded.get("cgroup_dirs", []) if os.path.exists(d)] == []
    assert processes_mentioning(str(state_dir)) == []
    assert not state_dir.exists()


def test_routed_cni_sandbox(state_dir: Path, tmp_path: Path) -> None:
    up = run(state_dir, "sandbox", "up", "--pods", "1", "--cni", "routed")
    assert up.returncode == 0, up.stderr
    assert "routed pods (no bridge)" in up.stdout
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdout=out, stderr=err, environ={"XDG_CACHE_HOME": str(tmp_path / "xdg")})
    kubeconfig = str(state_dir / "kubeconfig")
    assert main(["links", "pod", "nginx", "--kubeconfig", kubeconfig], env) == 0, err.getvalue()
    assert "cali00000000000" in out.getvalue() and "10.244.0.2/32" in out.getvalue()
    assert "docker0" not in out.getvalue()
    made = Made(state_dir)
    assert run(state_dir, "sandbox", "down").returncode == 0
    made.assert_gone(state_dir)


def test_sandbox_needs_root_says_so_in_one_line(
    state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    for argv in (["sandbox", "up"], ["sandbox", "down"], ["sandbox", "status"], ["demo"]):
        out, err = io.StringIO(), io.StringIO()
        env = Environment(stdout=out, stderr=err, environ={lab.STATE_DIR_ENV: str(state_dir)})
        assert main(argv, env) == 1
        lines = err.getvalue().splitlines()
        assert len(lines) == 1 and "needs root" in lines[0] and "sudo" in lines[0]
        assert out.getvalue() == ""
    assert not state_dir.exists()


def test_pods_out_of_range_is_refused_before_anything_is_made(state_dir: Path) -> None:
    result = run(state_dir, "sandbox", "up", "--pods", "999")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["error: --pods 999 is out of range; use 0 to 250"]
    assert not state_dir.exists()


def test_a_missing_tool_is_one_line_and_nothing_is_left(state_dir: Path, tmp_path: Path) -> None:
    """Without iptables on PATH the build fails half-way: say what is needed, remove it all."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("ip", "bridge", "nsenter", "sleep", "ping"):
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    env = {**os.environ, lab.STATE_DIR_ENV: str(state_dir), "PATH": str(bin_dir)}
    result = subprocess.run(
        [CONSOLE, "sandbox", "up"], env=env, capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: could not build the sandbox: ")
    assert '"iptables"' in line and "it needs iproute2 (ip, bridge), iptables" in line
    prefix = re.search(r"\b(kbs-[0-9a-f]{6})-node\b", line)
    assert prefix and netns_with(prefix.group(1)) == set()
    assert not state_dir.exists()
