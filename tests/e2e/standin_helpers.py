"""Helpers for the stand-in end-to-end tests (fixtures live in ``conftest.py``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

import pytest

from kubectl_bridge.sandbox import topology
from kubectl_bridge.sandbox.apiserver import StandIn

NEEDS = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("kubectl") or not shutil.which("openssl"),
    reason="needs root (namespaces), kubectl and openssl",
)


@dataclass
class Cluster:
    """One stand-in server and how to drive the plugin against it."""

    standin: StandIn
    env: dict[str, str]
    node: topology.Topology

    def bridge(self, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
        """``kubectl bridge ARGS`` through the real kubectl."""
        return subprocess.run(
            ["kubectl", "bridge", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def popen(self, *args: str) -> subprocess.Popen[str]:
        """``kubectl bridge ARGS`` in the background (for signals)."""
        return subprocess.Popen(
            ["kubectl", "bridge", *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def state(self) -> dict[str, Any]:
        """The stand-in's view: pods, exec log, faults."""
        return self.standin.state()

    def debug_pods(self) -> list[dict[str, Any]]:
        """Every debug pod the stand-in holds, in any namespace."""
        return [
            p for p in self.state()["pods"] if p["metadata"]["name"].startswith("kubectl-bridge-")
        ]


def one_json(text: str) -> Any:
    """Parse the plugin's stdout, failing with the text when it is not JSON."""
    try:
        return json.loads(text)
    except ValueError:
        pytest.fail(f"not JSON:\n{text[:2000]}")
