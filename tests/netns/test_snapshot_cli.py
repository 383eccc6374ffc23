"""``kubectl bridge snapshot``: in-process through cli.main, and as the console script."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys

import pytest

from kubectl_bridge import model
from kubectl_bridge.cli import Environment, main
from kubectl_bridge.sandbox.topology import Topology

pytestmark = pytest.mark.netns


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Environment(stdout=out, stderr=err, environ={}))
    return code, out.getvalue(), err.getvalue()


def test_snapshot_pid_prints_the_snapshot(seed: Topology) -> None:
    code, out, err = run(["snapshot", "pid", str(seed.pod("nginx").pid)])
    assert (code, err) == (0, "")
    snap = model.parse(out)
    assert snap.target.kind == "pid" and snap.pod is not None
    assert any(lk.mac == "02:42:ac:11:00:02" for lk in snap.pod.links)
    assert out.startswith('{\n  "agent"')  # indent 2


def test_snapshot_netns_by_name_and_path(seed: Topology) -> None:
    for name in (seed.pod("nginx1").netns, seed.pod("nginx1").netns_path):
        code, out, _ = run(["snapshot", "netns", name])
        assert code == 0
        pod = model.parse(out).pod
        assert pod is not None and any(a.address == "172.17.0.3" for a in pod.addresses)


def test_snapshot_host() -> None:
    code, out, err = run(["snapshot", "host"])
    assert (code, err) == (0, "")
    snap = model.parse(out)
    assert snap.target.kind == "host" and snap.agent.scope == "node"
    assert any(lk.name == "lo" for lk in snap.host.links)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["snapshot", "pid", "4194311"], "error: no process with PID 4194311"),
        (["snapshot", "netns", "kbt-nope-nope"], "does not exist"),
        (["snapshot", "netns", "/etc/hostname"], "is not a network namespace"),
    ],
)
def test_bad_targets_are_one_line(argv: list[str], message: str) -> None:
    code, out, err = run(argv)
    assert code == 1 and out == ""
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def console_script() -> str:
    found = shutil.which("kubectl-bridge", path=os.path.dirname(sys.executable))
    if not found:
        pytest.skip("console script not installed (pip install -e .)")
    return found


def test_console_script(seed: Topology) -> None:
    exe = console_script()
    ok = subprocess.run([exe, "snapshot", "pid", str(seed.pod("nginx").pid)],
                        capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["target"]["pid"] == seed.pod("nginx").pid
    bad = subprocess.run([exe, "snapshot", "netns", "/etc/hostname"],
                         capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.startswith("error: ") and bad.stderr.count("\n") == 1
