"""The stand-in control plane over a real seed node, and the real kubectl in front.

``seed_node`` builds the seed's node (docker0, nginx, nginx1, eth0 → router)
in namespaces with a unique prefix, once per module.  ``cluster`` starts a
stand-in API server for it (per test, so each test sets its own faults) and
gives a ``Cluster`` that runs ``kubectl bridge …`` through the real kubectl:
plugin discovery finds a ``kubectl-bridge`` script on PATH that runs the
virtualenv's console script.  ``state_dir`` is a private sandbox state
directory for ``kubectl bridge sandbox``/``demo``.  Everything is stopped and
removed on teardown.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from standin_helpers import Cluster

from kubectl_bridge.sandbox import lab, topology
from kubectl_bridge.sandbox.apiserver import StandIn, start_background
from kubectl_bridge.sandbox.apiserver_topology import topology_state

CONSOLE_SCRIPT = Path(sys.executable).with_name("kubectl-bridge")


@pytest.fixture(scope="session")
def plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PATH entry holding ``kubectl-bridge``, the way krew or pip would put it."""
    d = tmp_path_factory.mktemp("plugins")
    script = d / "kubectl-bridge"
    script.write_text(f'#!/bin/sh\nexec "{CONSOLE_SCRIPT}" "$@"\n')
    script.chmod(0o755)
    return d


@pytest.fixture(scope="module")
def seed_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[topology.Topology]:
    """The seed's node, built once per module and always torn down."""
    if os.geteuid() != 0:
        pytest.skip("needs root: builds real network namespaces")
    state = tmp_path_factory.mktemp("topology") / "state.json"
    topo = topology.build(topology.seed_node_spec(topology.unique_prefix("kbe")), str(state))
    try:
        yield topo
    finally:
        topo.teardown()


@pytest.fixture
def cluster(
    seed_node: topology.Topology, plugin_dir: Path, tmp_path: Path
) -> Iterator[Callable[..., Cluster]]:
    """Start a stand-in for the seed node; keyword args go to ``topology_state``."""
    started: list[StandIn] = []

    def start(**kw: Any) -> Cluster:
        work = tmp_path / f"standin{len(started)}"
        state = topology_state(seed_node, cache_root=str(work / "node-cache"), **kw)
        standin = start_background(state, str(work))
        started.append(standin)
        env = {
            **os.environ,
            "KUBECONFIG": standin.kubeconfig,
            "PATH": f"{plugin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "XDG_CACHE_HOME": str(tmp_path / "xdg-cache"),
        }
        return Cluster(standin, env, seed_node)

    try:
        yield start
    finally:
        for standin in started:
            standin.stop()


@pytest.fixture
def state_dir(tmp_path: Path) -> Iterator[Path]:
    """A private sandbox state dir; whatever a test leaves behind is removed."""
    d = tmp_path / "sandbox"
    try:
        yield d
    finally:
        lab.down(lab.Paths(str(d)))
