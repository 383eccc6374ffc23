"""``python -m kubectl_bridge.agent`` over its wire protocol, as the debug pod runs it."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from kubectl_bridge import model
from kubectl_bridge.agent.protocol import decode_response, encode_request
from kubectl_bridge.errors import TargetError
from kubectl_bridge.sandbox.topology import Topology

pytestmark = pytest.mark.netns


def agent(topo: Topology, request: model.Request) -> subprocess.CompletedProcess[bytes]:
    """Run the agent inside the node namespace, stdin left open (no EOF ever sent)."""
    proc = subprocess.Popen(
        ["ip", "netns", "exec", topo.node_netns, sys.executable, "-m", "kubectl_bridge.agent"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None
    proc.stdin.write(encode_request(request))
    proc.stdin.flush()
    deadline = time.monotonic() + 30
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proc.poll() is not None, "agent waited for EOF"
    out, err = proc.communicate()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_agent_answers_without_eof(seed: Topology) -> None:
    nginx = seed.pod("nginx")
    req = model.Request(kind="pod", container_ids=(nginx.container_ref,), pod_uid=nginx.uid)
    done = agent(seed, req)
    assert done.returncode == 0, done.stderr
    snap = decode_response(done.stdout)
    assert snap.target.found_by == "cgroup:container-id"
    assert {lk.name for lk in snap.host.links} == {"veth2482a36", "docker0", "eth0"}


def test_agent_error_document(seed: Topology) -> None:
    done = agent(
        seed,
        model.Request(
            kind="pod", pod_name="ghost", pod_uid="0" * 8 + "-0000-0000-0000-" + "0" * 12
        ),
    )
    assert done.returncode == 3
    with pytest.raises(TargetError, match="ghost"):
        decode_response(done.stdout)
