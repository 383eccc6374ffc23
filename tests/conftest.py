"""Shared fixtures: real-kernel topologies that are always torn down.

Tests marked ``netns`` need root; they are skipped cleanly without it.
Every namespace name carries a random prefix because other test runs use
the same machine at the same time.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

IS_ROOT = os.geteuid() == 0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="needs root: builds real network namespaces")
    for item in items:
        if "netns" in item.keywords and not IS_ROOT:
            item.add_marker(skip)


@pytest.fixture
def seed(tmp_path: Path) -> Iterator[object]:
    """The seed's node (docker0, nginx, nginx1, eth0 → router), built fresh."""
    from kubectl_bridge.sandbox import topology

    spec = topology.seed_node_spec(topology.unique_prefix("kbt"))
    topo = topology.build(spec, state_path=str(tmp_path / "topology.json"))
    try:
        yield topo
    finally:
        topo.teardown()
