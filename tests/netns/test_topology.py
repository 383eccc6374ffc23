"""The topology builder cleans up after itself, and after a crashed run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kubectl_bridge.sandbox import topology

pytestmark = pytest.mark.netns

CRASH = """
import os, sys
from kubectl_bridge.sandbox import topology as t
topo = t.build(t.seed_node_spec(sys.argv[1]), state_path=sys.argv[2])
os._exit(0)  # no teardown: a crash
"""


def netns_names(prefix: str) -> list[str]:
    return [n for n in os.listdir("/run/netns") if n.startswith(prefix)]


def test_teardown_from_state_after_a_crash(tmp_path: Path) -> None:
    prefix, state = topology.unique_prefix("kbt"), tmp_path / "state.json"
    subprocess.run([sys.executable, "-c", CRASH, prefix, str(state)], check=True, timeout=60)
    recorded = json.loads(state.read_text())
    pids = [p["pid"] for p in recorded["processes"]]
    assert len(netns_names(prefix)) == 4 and all(os.path.exists(f"/proc/{p}") for p in pids)
    assert all(os.path.isdir(d) for d in recorded["cgroup_dirs"][-2:])
    topology.teardown_from_state(str(state))
    assert netns_names(prefix) == []
    assert not any(os.path.exists(d) for d in recorded["cgroup_dirs"][-2:])
    assert not state.exists()
    topology.teardown_from_state(str(state))  # nothing left: still fine


def test_teardown_is_idempotent_and_complete(tmp_path: Path) -> None:
    spec = topology.seed_node_spec(topology.unique_prefix("kbt"), pods=3)
    topo = topology.build(spec, state_path=str(tmp_path / "s.json"))
    pids = [p.pid for p in topo.pods.values()]
    topo.teardown()
    topo.teardown()
    assert netns_names(spec.prefix) == []
    assert not any(os.path.exists(f"/proc/{p}") for p in pids)


def test_failed_build_removes_what_it_made(tmp_path: Path) -> None:
    base = topology.seed_node_spec(topology.unique_prefix("kbt"), pods=1)
    bad = topology.PodSpec(name="bad", ip="172.17.9.9/16", bridge="no-such-bridge")
    spec = topology.NodeSpec(prefix=base.prefix, bridges=base.bridges, pods=(*base.pods, bad))
    with pytest.raises(RuntimeError, match=r"no-such-bridge|Cannot find device"):
        topology.build(spec, state_path=str(tmp_path / "s.json"))
    assert netns_names(spec.prefix) == []
