"""The debug pod's agent server through the real kubectl: warm runs skip the agent's start.

The first run in a debug pod answers in-process and leaves a server; the
next is answered by it (``agent.served_by``).  What the stand-in's exec
left running must die with the pod and with the stand-in, as on a node.
"""

from __future__ import annotations

import glob
import os
import signal
import time
from collections.abc import Callable

import pytest
from procs import mentioning
from standin_helpers import NEEDS, Cluster, one_json

from kubectl_bridge.kube.agentrun import SERVER_IDLE_ENV
from kubectl_bridge.sandbox import podprocs

pytestmark = [pytest.mark.e2e, pytest.mark.netns, NEEDS]


def wait_for(condition: Callable[[], object], seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def served_by(c: Cluster, *extra: str) -> str:
    result = c.bridge("snapshot", "pod", "nginx", *extra)
    assert result.returncode == 0, result.stderr
    return str(one_json(result.stdout)["agent"]["served_by"])


def debug_pod(c: Cluster) -> tuple[str, str]:
    ((pod,),) = [c.debug_pods()]
    return pod["metadata"]["name"], pod["metadata"]["uid"]


def server_dirs(c: Cluster) -> list[str]:
    return glob.glob(os.path.join(c.standin.cache_root, "*", "*.srv"))


def test_the_second_run_is_served_and_the_server_dies_with_the_pod(
    cluster: Callable[..., Cluster],
) -> None:
    c = cluster()
    assert served_by(c) == "process"
    name, uid = debug_pod(c)
    assert wait_for(lambda: [d for d in server_dirs(c) if os.path.exists(f"{d}/sock")])
    assert served_by(c) == "server"
    described = c.bridge("describe", "pod", "nginx")
    assert described.returncode == 0, described.stderr
    assert "by the agent server)" in described.stdout
    (srv,) = server_dirs(c)
    assert len(mentioning(srv)) == 1
    assert os.path.isdir(podprocs.pod_dir(c.standin.cache_root, uid))

    cleaned = c.bridge("cleanup")  # deletes the debug pod through the API
    assert cleaned.returncode == 0, cleaned.stderr
    assert name in cleaned.stdout + cleaned.stderr
    assert c.debug_pods() == []
    assert mentioning(srv) == []
    assert not os.path.exists(podprocs.pod_dir(c.standin.cache_root, uid))


def test_a_killed_server_falls_back_cleanly_and_is_replaced(
    cluster: Callable[..., Cluster],
) -> None:
    c = cluster()
    served_by(c)
    assert wait_for(lambda: [d for d in server_dirs(c) if os.path.exists(f"{d}/sock")])
    (srv,) = server_dirs(c)
    (pid,) = mentioning(srv)
    os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: not mentioning(srv))
    assert os.path.exists(f"{srv}/sock")  # stale
    assert served_by(c) == "process"
    assert wait_for(lambda: served_by(c) == "server")


def test_the_server_idles_out_and_rm_starts_none(
    cluster: Callable[..., Cluster],
) -> None:
    c = cluster()
    c.env[SERVER_IDLE_ENV] = "1"
    served_by(c)
    assert wait_for(lambda: server_dirs(c) and mentioning(server_dirs(c)[0]))
    (srv,) = server_dirs(c)
    assert wait_for(lambda: not mentioning(srv), seconds=10)
    assert not os.path.exists(f"{srv}/sock")

    c.env[SERVER_IDLE_ENV] = "600"
    assert served_by(c, "--rm") == "process"
    assert c.debug_pods() == []
    time.sleep(1)
    assert [d for d in server_dirs(c) if mentioning(d)] == []


def test_stopping_the_standin_kills_the_server(cluster: Callable[..., Cluster]) -> None:
    c = cluster()
    served_by(c)
    assert wait_for(lambda: server_dirs(c) and mentioning(server_dirs(c)[0]))
    (srv,) = server_dirs(c)
    c.standin.stop()
    assert mentioning(srv) == []
    assert not os.path.exists(podprocs.parent_dir(c.standin.cache_root))
