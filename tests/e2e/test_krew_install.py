"""The krew archive: built for real, installed the way krew installs, run through kubectl.

The build downloads the pinned wheels from PyPI once and keeps them in a
temporary cache (reused by later runs), so only the first run needs the
network.  The install mirrors krew: check the sha256, extract (krew accepts
only regular files and directories), apply the manifest's file operations
into ``store/bridge/vX``, symlink the bin into ``bin/``, and put that ``bin``
on a PATH with no virtualenv — only ``/usr/bin:/bin``.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubectl_bridge import __version__

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
WHEEL_CACHE = Path(tempfile.gettempdir()) / "kubectl-bridge-test-wheels"
KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"  # any kubectl: the plugin is found by PATH
SYSTEM_PATH = "/usr/bin:/bin"
ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def _load_build() -> Any:
    sys.path.insert(0, str(ROOT / "krew"))
    spec = importlib.util.spec_from_file_location("krew_build", ROOT / "krew" / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["krew_build"] = module
    spec.loader.exec_module(module)
    return module


krew_build = _load_build()


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A still copy of what the build reads: the work tree may change under us."""
    copy = tmp_path_factory.mktemp("source")
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("kubectl_bridge", "krew"):
        shutil.copytree(ROOT / folder, copy / folder, ignore=skip)
    for name in ("setup.cfg", "LICENSE"):
        shutil.copy2(ROOT / name, copy / name)
    return copy


@pytest.fixture(scope="module")
def built(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("release")
    return krew_build.build(out, out / "bridge.yaml", wheel_cache=WHEEL_CACHE, root=source)


def source_payload_hash(source: Path) -> str:
    """The agent payload hash of the copied sources, computed the pip-installed way."""
    code = "from kubectl_bridge.kube import ship; print(ship.payload_hash())"
    env = {**os.environ, "PYTHONPATH": str(source)}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def krew_install(archive: Path, manifest: Path, krew_root: Path) -> Path:
    """What ``kubectl krew install --manifest M --archive A`` does on linux."""
    doc = yaml.safe_load(manifest.read_text())
    want = {"os": "linux", "arch": ARCH[platform.machine().lower()]}
    (plat,) = [p for p in doc["spec"]["platforms"] if p["selector"]["matchLabels"] == want]
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == plat["sha256"]
    staging = krew_root / "downloads" / "bridge"
    staging.mkdir(parents=True)
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            assert member.isreg() or member.isdir(), f"krew cannot extract {member.name}"
            target = staging / member.name
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            source = tar.extractfile(member)
            assert source is not None
            target.write_bytes(source.read())
            target.chmod(member.mode)
    store = krew_root / "store" / doc["metadata"]["name"] / doc["spec"]["version"]
    store.mkdir(parents=True)
    for op in plat["files"]:
        for found in glob.glob(str(staging / op["from"])):
            shutil.move(found, store / op["to"] / Path(found).name)
    (krew_root / "bin").mkdir()
    (krew_root / "bin" / "kubectl-bridge").symlink_to(store / plat["bin"])
    return store


@pytest.fixture
def installed(built: Any, tmp_path: Path) -> dict[str, Any]:
    root = tmp_path / "krew"
    store = krew_install(built.archive, built.manifest, root)
    home = tmp_path / "home"
    home.mkdir()
    config = home / "config"
    config.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: dead\n"
        "clusters:\n- name: dead\n  cluster: {server: 'https://127.0.0.1:1'}\n"
        "contexts:\n- name: dead\n  context: {cluster: dead, user: u}\n"
        "users:\n- name: u\n  user: {token: x}\n"
    )
    env = {"PATH": f"{root / 'bin'}:{SYSTEM_PATH}", "HOME": str(home), "KUBECONFIG": str(config)}
    return {"root": root, "store": store, "env": env, "home": home}


def run(
    args: list[str], env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_building_twice_gives_the_same_bytes(built: Any, source: Path, tmp_path: Path) -> None:
    out = tmp_path / "again"
    again = krew_build.build(out, out / "bridge.yaml", wheel_cache=WHEEL_CACHE, root=source)
    assert again.sha256 == built.sha256
    assert again.archive.read_bytes() == built.archive.read_bytes()
    assert again.manifest.read_text() == built.manifest.read_text()


def test_archive_holds_only_regular_files_with_fixed_metadata(built: Any) -> None:
    data = built.archive.read_bytes()
    assert data[4:8] == b"\0\0\0\0", "gzip header mtime must be 0"
    with tarfile.open(built.archive) as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == ["LICENSE", "kubectl-bridge", "kubectl_complete-bridge"]
        modes = {m.name: m.mode for m in members}
        assert all(m.isreg() for m in members)
        assert {(m.uid, m.gid, m.uname, m.gname, m.mtime) for m in members} == {
            (0, 0, "", "", krew_build.TAR_MTIME)
        }
        license_file = tar.extractfile("LICENSE")
        assert license_file is not None
        assert license_file.read() == (ROOT / "LICENSE").read_bytes()
    assert modes == {"LICENSE": 0o644, "kubectl-bridge": 0o755, "kubectl_complete-bridge": 0o755}
    assert gzip.decompress(data)  # a whole gzip stream


def test_zipapp_is_pure_python_with_everything_it_imports(built: Any, tmp_path: Path) -> None:
    with tarfile.open(built.archive) as tar:
        tar.extract("kubectl-bridge", tmp_path, filter="data")
    app = tmp_path / "kubectl-bridge"
    assert app.read_bytes().startswith(b"#!/usr/bin/env python3\n")
    with zipfile.ZipFile(app) as bundle:
        names = bundle.namelist()
        main = bundle.read("__main__.py").decode()
    assert names == sorted(names)
    assert not [n for n in names if n.endswith((".so", ".pyd", ".dylib", ".pyc"))]
    assert not [n for n in names if n.endswith(("/RECORD", "/WHEEL"))]
    for needed in (
        "kubectl_bridge/cli.py",
        "kubectl_bridge/completion.py",
        "kubectl_bridge/kube/transport.py",
    ):
        assert needed in names
    assert not [n for n in names if n.split("/")[0] in ("kubernetes", "urllib3", "websocket")]
    for needed in ("yaml/__init__.py", "pyroute2/__init__.py", "tabulate/__init__.py"):
        assert needed in names
    assert "@BUILD_ID@" not in main
    assert sorted(built.dropped) == sorted(n for n in built.dropped if n.startswith("yaml/_yaml."))


def test_manifest_names_this_archive_and_version(built: Any) -> None:
    doc = yaml.safe_load(built.manifest.read_text())
    assert doc["spec"]["version"] == f"v{__version__}"
    sha = hashlib.sha256(built.archive.read_bytes()).hexdigest()
    assert {p["sha256"] for p in doc["spec"]["platforms"]} == {sha}
    assert sha == built.sha256


def _venv_free(env: dict[str, str]) -> str:
    python = shutil.which("python3", path=env["PATH"])
    if python is None:
        pytest.skip("no python3 on /usr/bin:/bin")
    assert ".venv" not in os.path.realpath(python)
    return python


@pytest.mark.skipif(not os.access(KUBECTL, os.X_OK), reason="needs kubectl")
def test_kubectl_runs_the_installed_plugin(installed: dict[str, Any], source: Path) -> None:
    env = installed["env"]
    python = _venv_free(env)
    done = run([KUBECTL, "bridge", "version"], env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"kubectl-bridge v{__version__}"
    assert re.fullmatch(r"agent payload sha256:[0-9a-f]{64}", lines[1])
    assert lines[2].endswith(f"({python})")
    unpacked = list((installed["home"] / ".cache" / "kubectl-bridge" / "app").iterdir())
    assert len(unpacked) == 1 and (unpacked[0] / ".complete").is_file()
    # the archive ships the same collector as a pip install of these sources
    # (when this venv has the pyroute2 the archive pins: it is part of the payload)
    pins = krew_build.read_pins(source / "krew" / "constraints.txt")
    if importlib.metadata.version("pyroute2") == pins["pyroute2"]:
        assert lines[1] == f"agent payload sha256:{source_payload_hash(source)}"


@pytest.mark.skipif(not os.access(KUBECTL, os.X_OK), reason="needs kubectl")
def test_kubectl_plugin_list_shows_it_without_warnings(installed: dict[str, Any]) -> None:
    done = run([KUBECTL, "plugin", "list"], installed["env"])
    bin_path = str(installed["root"] / "bin" / "kubectl-bridge")
    lines = (done.stdout + done.stderr).splitlines()
    assert bin_path in lines, lines
    after = lines[lines.index(bin_path) + 1 :]
    # kubectl lists a plugin's problems (not executable, shadowed) right under it
    assert not (after and after[0].lstrip().startswith("- warning")), after[0]


@pytest.mark.skipif(not os.access(KUBECTL, os.X_OK), reason="needs kubectl")
def test_completion_through_kubectl_with_the_linked_helper(installed: dict[str, Any]) -> None:
    root, store, env = installed["root"], installed["store"], installed["env"]
    (root / "bin" / "kubectl_complete-bridge").symlink_to(store / "kubectl_complete-bridge")
    done = run([KUBECTL, "__complete", "bridge", "describe", "po"], env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["pod\ta pod in the cluster", ":4"]
    done = run([KUBECTL, "__complete", "bridge", "describe", "pod", ""], env, timeout=30)
    assert done.stdout.splitlines() == [":4"]  # the cluster is dead: no names, no noise


def _pythons() -> dict[tuple[int, int], str]:
    """Every CPython 3 on this machine, by minor version."""
    roots = [os.environ.get("PYENV_ROOT", ""), str(Path.home() / ".pyenv")]
    candidates = glob.glob("/usr/bin/python3.*") + glob.glob("/usr/local/bin/python3.*")
    for root in filter(None, roots):
        candidates += glob.glob(f"{root}/versions/3.*/bin/python3")
    found: dict[tuple[int, int], str] = {}
    for path in sorted(candidates):
        if not re.search(r"python3(\.\d+)?$", path) or not os.access(path, os.X_OK):
            continue
        done = subprocess.run(
            [path, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode == 0:
            major, minor = map(int, done.stdout.split())
            found.setdefault((major, minor), path)
    return found


def test_runs_on_every_supported_python_in_isolated_mode(installed: dict[str, Any]) -> None:
    app = str(installed["store"] / "kubectl-bridge")
    pythons = {v: p for v, p in _pythons().items() if v >= (3, 10)}
    assert pythons, "no python3 >= 3.10 found"
    for version, python in sorted(pythons.items()):
        # -I: no user site, no PYTHON* variables; -S: not even site-packages
        done = run([python, "-I", "-S", app, "version"], installed["env"])
        assert done.returncode == 0, (version, done.stderr)
        assert done.stdout.startswith(f"kubectl-bridge v{__version__}\n"), version
        done = run([python, "-I", "-S", app, "__complete", "sandbox", ""], installed["env"])
        assert done.stdout == "up\ndown\nstatus\n:4\n", version


def test_an_older_python_is_told_what_it_needs(installed: dict[str, Any]) -> None:
    old = {v: p for v, p in _pythons().items() if (3, 6) <= v < (3, 10)}
    if not old:
        pytest.skip("no python3 older than 3.10 on this machine")
    app = str(installed["store"] / "kubectl-bridge")
    for python in old.values():
        done = run([python, "-I", "-S", app, "version"], installed["env"])
        assert done.returncode == 1
        assert done.stderr.startswith("kubectl-bridge needs python3 >= 3.10; this is 3.")


def test_runs_from_the_archive_when_the_cache_cannot_be_written(
    installed: dict[str, Any], tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    env = {**installed["env"], "KUBECTL_BRIDGE_CACHE_DIR": str(blocker / "cache")}
    done = run([str(installed["root"] / "bin" / "kubectl-bridge"), "version"], env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"kubectl-bridge v{__version__}\n")
    assert not (installed["home"] / ".cache" / "kubectl-bridge" / "app").exists()


def test_a_new_build_removes_only_older_builds(installed: dict[str, Any], tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    old_build = cache / ("0" * 32)
    (old_build / "kubectl_bridge").mkdir(parents=True)
    (old_build / ".complete").write_text("")
    unmarked = cache / ("1" * 32)
    unmarked.mkdir()
    other = cache / "payloads"
    other.mkdir()
    killed, fresh = cache / ".unpack-killed", cache / ".unpack-running"
    killed.mkdir()
    fresh.mkdir()
    os.utime(killed, (0, 0))
    env = {**installed["env"], "KUBECTL_BRIDGE_CACHE_DIR": str(cache)}
    done = run([str(installed["root"] / "bin" / "kubectl-bridge"), "--help"], env)
    assert done.returncode == 0, done.stderr
    left = sorted(p.name for p in cache.iterdir())
    (current,) = [n for n in left if n not in ("1" * 32, "payloads", fresh.name)]
    assert (cache / current / ".complete").is_file()
    assert left == sorted([current, "1" * 32, "payloads", fresh.name])


@pytest.mark.skipif(not Path("/proc/self/ns/net").exists(), reason="needs Linux namespaces")
def test_the_archive_collects_from_this_host_with_pyroute2(installed: dict[str, Any]) -> None:
    """The local path: agent + pyroute2 + render, all from the unpacked archive."""
    app = str(installed["root"] / "bin" / "kubectl-bridge")
    done = run([app, "snapshot", "host"], installed["env"])
    assert done.returncode == 0, done.stderr
    snapshot = json.loads(done.stdout)
    assert snapshot["agent"]["version"] == __version__
    names = [link["name"] for link in snapshot["host"]["links"]]
    assert "lo" in names
    assert sorted(names) == sorted(os.listdir("/sys/class/net"))
    done = run([app, "describe", "host", "--no-color"], installed["env"])
    assert done.returncode == 0, done.stderr
    assert "every bridge and port" in done.stdout
