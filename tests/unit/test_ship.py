"""The agent payload: deterministic, complete, cheap to hash, and runnable by the bootstrap."""

from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kubectl_bridge.agent.protocol import decode_response, encode_request
from kubectl_bridge.kube import ship
from kubectl_bridge.model import Request

ROOT = Path(__file__).resolve().parents[2]
SYSTEM_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_zip_is_deterministic_sorted_and_timestamp_free() -> None:
    files = ship.payload_files()
    first, second = ship.zip_files(files), ship.zip_files(list(files))
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        infos = archive.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o644}


def test_payload_holds_agent_model_errors_and_pyroute2_only() -> None:
    names = {name for name, _ in ship.payload_files()}
    for needed in (
        "kubectl_bridge/__init__.py",
        "kubectl_bridge/model.py",
        "kubectl_bridge/errors.py",
        "kubectl_bridge/agent/__main__.py",
        "kubectl_bridge/agent/protocol.py",
        "kubectl_bridge/agent/collect.py",
        "pyroute2/__init__.py",
        "pyroute2/iproute/linux.py",
    ):
        assert needed in names
    assert not any("__pycache__" in n or not n.endswith(".py") for n in names)
    assert not any(n.startswith(("kubectl_bridge/kube/", "kubectl_bridge/render/")) for n in names)
    assert {n.split("/")[0] for n in names} == {"kubectl_bridge", "pyroute2"}


def test_build_payload_is_memoised_and_hashed() -> None:
    import hashlib

    payload = ship.build_payload()
    assert ship.build_payload() is payload
    assert payload.sha256 == hashlib.sha256(payload.data).hexdigest() == ship.payload_hash()
    assert len(payload.sha256) == 64 and payload.sha256 == payload.sha256.lower()


def test_local_cache_is_used_and_a_torn_file_is_rebuilt(cache_home: Path) -> None:
    files = ship.payload_files()
    data = ship._cached_zip(files)
    (cached,) = (cache_home / "kubectl-bridge" / "payloads").iterdir()
    assert cached.read_bytes() == data
    cached.write_bytes(data[: len(data) // 2])  # a crash mid-write
    assert ship._cached_zip(files) == data
    assert cached.read_bytes() == data


def test_hashing_imports_neither_kubernetes_nor_pyroute2(tmp_path: Path) -> None:
    code = (
        "import sys; from kubectl_bridge.kube import ship; print(ship.payload_hash()); "
        "print(sorted(m for m in ('kubernetes', 'pyroute2') if m in sys.modules))"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.split("\n")  # fmt: skip
    assert out[0] == ship.payload_hash()
    assert out[1] == "[]"


def test_same_payload_from_a_zipapp(tmp_path: Path) -> None:
    """kubectl-bridge shipped as a zipapp must build the very same payload."""
    import pyroute2

    app = tmp_path / "app.pyz"
    with zipfile.ZipFile(app, "w") as z:
        for pkg in (ROOT / "kubectl_bridge", Path(pyroute2.__file__).parent):
            for path in sorted(pkg.rglob("*.py")):
                if "__pycache__" not in path.parts:
                    z.write(path, str(path.relative_to(pkg.parent)))
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); from kubectl_bridge.kube import ship; "
        "assert ship.__file__.startswith(sys.argv[1]), ship.__file__; print(ship.payload_hash())"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    out = subprocess.run([SYSTEM_PYTHON, "-I", "-c", code, str(app)], env=env, check=False,
                         capture_output=True, text=True)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ship.payload_hash()


def _bootstrap(cache: Path, digest: str) -> subprocess.Popen[bytes]:
    """The bootstrap as the debug pod runs it, in a fresh empty network namespace.

    ``-I``: no site-packages, so everything the agent imports must come from
    the payload, as in a stock python image.
    """
    argv = ["unshare", "--net", SYSTEM_PYTHON, "-I", "-c", ship.BOOTSTRAP, digest]
    env = {"KUBECTL_BRIDGE_CACHE": str(cache), "PATH": os.environ["PATH"]}
    return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)  # fmt: skip


def _read_exactly(stream: io.BufferedReader, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = stream.read(n - len(data))
        assert chunk, "bootstrap closed stdout early"
        data += chunk
    return data


needs_unshare = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("unshare"), reason="needs root and unshare"
)


@pytest.mark.netns
@needs_unshare
def test_bootstrap_cold_then_warm_without_ever_closing_stdin(tmp_path: Path) -> None:
    payload = ship.build_payload()
    request = encode_request(Request(kind="host", scope="node"))
    for expect, sends in ((b"P", True), (b"K", False)):
        proc = _bootstrap(tmp_path, payload.sha256)
        assert proc.stdin is not None and proc.stdout is not None
        assert _read_exactly(proc.stdout, 1) == expect  # type: ignore[arg-type]
        if sends:
            proc.stdin.write(struct.pack(">Q", len(payload.data)) + payload.data)
        proc.stdin.write(request)
        proc.stdin.flush()  # stdin stays open: v4 exec cannot half-close it
        out = proc.stdout.read()
        proc.wait(timeout=30)
        stderr = proc.stderr.read() if proc.stderr else b""
        assert proc.returncode == 0, stderr
        snap = decode_response(out)
        assert [link.name for link in snap.host.links] == ["lo"]
        proc.stdin.close()
    assert (tmp_path / payload.sha256 / "kubectl_bridge" / "agent" / "__main__.py").exists()
    assert list(tmp_path.iterdir()) == [tmp_path / payload.sha256]  # no temp dirs left


@pytest.mark.netns
@needs_unshare
def test_bootstrap_refuses_a_payload_that_does_not_match_its_hash(tmp_path: Path) -> None:
    proc = _bootstrap(tmp_path, "0" * 64)
    data = b"not the payload"
    out, err = proc.communicate(struct.pack(">Q", len(data)) + data, timeout=30)
    assert out == b"P"
    assert proc.returncode == 4
    assert b"payload hash mismatch" in err
    assert list(tmp_path.iterdir()) == []
