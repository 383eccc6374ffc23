"""The bootstrap's client and the agent server it starts, as real processes.

Run as the debug pod runs them: the system python3 with ``-I`` (only the
payload is importable), in a fresh network namespace (``unshare --net``) so
the answers are predictable.  The server starts from the first run and
lives in that namespace; every test kills whatever mentions its directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import struct
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from procs import mentioning

from kubectl_bridge.agent.protocol import encode_request
from kubectl_bridge.kube import ship
from kubectl_bridge.model import Request

SYSTEM_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else "python3"
HOST = encode_request(Request(kind="host", scope="pod"))
NO_SUCH_PID = encode_request(Request(kind="pid", pid=2**22 + 12345))

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(
        os.geteuid() != 0 or not shutil.which("unshare"), reason="needs root and unshare"
    ),
]


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Path]:
    """The node's payload cache; any server started in it is killed afterwards."""
    d = tmp_path / "node-cache"
    d.mkdir()
    try:
        yield d
    finally:
        for pid in mentioning(str(d)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def run(
    cache: Path, request: bytes, idle: float = 30, *, upload: bool = False
) -> tuple[int, bytes]:
    """One bootstrap run: (exit status, stdout)."""
    payload = ship.build_payload()
    argv = [
        "unshare",
        "--net",
        SYSTEM_PYTHON,
        "-I",
        *ship.bootstrap_command(payload.sha256, idle)[1:],
    ]
    env = {"KUBECTL_BRIDGE_CACHE": str(cache), "PATH": os.environ["PATH"]}
    first = struct.pack(">Q", len(payload.data)) + payload.data if upload else b""
    done = subprocess.run(argv, input=first + request, capture_output=True, env=env, timeout=60,
                          check=False)  # fmt: skip
    return done.returncode, done.stdout


def served_by(out: bytes) -> str:
    return str(json.loads(out[1:])["agent"]["served_by"])


def server_dir(cache: Path) -> Path:
    return cache / (ship.build_payload().sha256 + ".srv")


def wait_for(condition: object, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_first_run_starts_a_server_that_answers_the_next_runs(cache: Path) -> None:
    code, out = run(cache, HOST, upload=True)
    assert code == 0 and out[:1] == b"P" and served_by(out) == "process"
    sock = server_dir(cache) / "sock"
    assert wait_for(sock.exists)
    assert server_dir(cache).stat().st_mode & 0o777 == 0o700
    for _ in range(2):
        code, out = run(cache, HOST)
        assert code == 0 and out[:1] == b"K" and served_by(out) == "server"
    assert len(mentioning(str(server_dir(cache)))) == 1  # one server, not one per run


def test_an_agent_error_is_the_same_bytes_and_status_from_the_server(cache: Path) -> None:
    code, by_process = run(cache, NO_SUCH_PID, upload=True)
    assert code == 3
    assert wait_for((server_dir(cache) / "sock").exists)
    code, by_server = run(cache, NO_SUCH_PID)
    assert code == 3
    assert by_server == by_process.replace(b"P", b"K", 1)
    assert json.loads(by_server[1:])["error"]["type"] == "TargetError"


def test_a_stale_socket_falls_back_to_a_process_and_a_new_server(cache: Path) -> None:
    run(cache, HOST, upload=True)
    sock = server_dir(cache) / "sock"
    assert wait_for(sock.exists)
    (pid,) = mentioning(str(server_dir(cache)))
    os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: not mentioning(str(server_dir(cache))))
    assert sock.exists()  # killed: nobody removed it
    code, out = run(cache, HOST)
    assert code == 0 and served_by(out) == "process"
    assert wait_for(lambda: served_by(run(cache, HOST)[1]) == "server")
    assert wait_for(lambda: len(mentioning(str(server_dir(cache)))) == 1)


def test_the_server_exits_after_its_idle_time_and_removes_its_socket(cache: Path) -> None:
    run(cache, HOST, idle=1, upload=True)
    sock = server_dir(cache) / "sock"
    assert wait_for(sock.exists)
    assert served_by(run(cache, HOST, idle=1)[1]) == "server"
    assert wait_for(lambda: not mentioning(str(server_dir(cache))), seconds=10)
    assert not sock.exists()
    code, out = run(cache, HOST, idle=0)  # as --rm runs: none started
    assert code == 0 and served_by(out) == "process"
    time.sleep(0.5)
    assert mentioning(str(server_dir(cache))) == []


def test_a_socket_dir_others_may_enter_is_not_used(cache: Path) -> None:
    run(cache, HOST, idle=0, upload=True)
    loose = server_dir(cache)
    loose.mkdir(mode=0o755)
    os.chmod(loose, 0o755)
    code, out = run(cache, HOST)
    assert code == 0 and served_by(out) == "process"
    time.sleep(1.5)  # a server would have refused the directory and exited
    assert mentioning(str(loose)) == []
    assert not (loose / "sock").exists()
