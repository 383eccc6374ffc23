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
#: In CI a skipped test is a failed one: a missing tool (kubectl, openssl,
#: root) must not turn the real-kernel and real-kubectl tests into a green run
#: that tested nothing.
CI = bool(os.environ.get("CI"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="needs root: builds real network namespaces")
    for item in items:
        if "netns" in item.keywords and not IS_ROOT:
            item.add_marker(skip)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if CI and skipped and exitstatus == pytest.ExitCode.OK:
        reasons = sorted({str(r.longrepr[-1]) for r in skipped if isinstance(r.longrepr, tuple)})
        reporter.write_line(
            f"CI: {len(skipped)} test(s) skipped, which CI counts as failed: {reasons}"
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


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
