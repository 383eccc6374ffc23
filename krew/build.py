#!/usr/bin/env python3
"""Build the krew release: dist/kubectl-bridge.tar.gz and krew/bridge.yaml.

The archive holds ``kubectl-bridge``, one zipapp (``#!/usr/bin/env python3``)
with kubectl_bridge and every runtime dependency, the completion helper
``kubectl_complete-bridge`` and ``LICENSE``.  A zipapp cannot import compiled
modules, so every dependency must work as pure Python: the plugin has its
own API client instead of the kubernetes package (whose newer releases need
aiohttp and pydantic, both compiled), and a wheel that carries an optional
accelerator (PyYAML) loses it here.  With no compiled code left, one
archive serves every OS and CPU.

Reproducible: wheels pinned in krew/constraints.txt, entries sorted, fixed
timestamps, modes and owners, gzip mtime 0 — the same inputs give the same
sha256 (tests/e2e/test_krew_install.py builds twice and compares).

Usage: python3 krew/build.py [--out dist] [--wheel-cache DIR] [--uri URL]
Needs pip and PyPI (for the wheels) only; nothing else.
"""

from __future__ import annotations

import argparse
import ast
import configparser
import gzip
import hashlib
import io
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import manifest  # krew/ is a folder of scripts, not a package

ROOT = Path(__file__).resolve().parent.parent
KREW = ROOT / "krew"
PACKAGE = "kubectl_bridge"
ARCHIVE = "kubectl-bridge.tar.gz"
PYTHON_FLOOR = (3, 10)
SHEBANG = b"#!/usr/bin/env python3\n"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
TAR_MTIME = 315532800  # 1980-01-01T00:00:00Z, the same instant as the zip entries
COMPILED = (".so", ".pyd", ".dylib")
#: Compiled modules with no .py twin whose package imports them optionally.
OPTIONAL_COMPILED = frozenset({"yaml/_yaml"})
LICENSE_NAMES = re.compile(r"(?i)(licen[cs]e|copying|notice|authors)")


class BuildError(Exception):
    """The archive cannot be built as promised (unpinned or compiled-only dependency)."""


@dataclass
class Bundle:
    """What goes into the zipapp, and what was left out and why."""

    files: dict[str, bytes] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)

    def add(self, name: str, data: bytes, origin: str) -> None:
        """Add one file; two wheels writing one path differently is a build error."""
        if name in self.files and self.files[name] != data:
            raise BuildError(f"{name} comes from two places (last: {origin})")
        self.files[name] = data


@dataclass(frozen=True)
class Result:
    """A finished build."""

    archive: Path
    manifest: Path
    sha256: str
    version: str
    dropped: list[str]
    wheels: list[str]


def package_version(root: Path = ROOT) -> str:
    """The version in kubectl_bridge/__init__.py, read without importing it."""
    text = (root / PACKAGE / "__init__.py").read_text(encoding="utf-8")
    found = re.search(r'^__version__ = "([^"]+)"', text, re.M)
    if not found:
        raise BuildError("no __version__ in kubectl_bridge/__init__.py")
    return found.group(1)


def runtime_requirements(root: Path = ROOT) -> list[str]:
    """install_requires from setup.cfg: the one list of runtime dependencies."""
    cfg = configparser.ConfigParser()
    cfg.read(root / "setup.cfg", encoding="utf-8")
    raw = cfg.get("options", "install_requires")
    return [line.split("#")[0].strip() for line in raw.splitlines() if line.split("#")[0].strip()]


def normalize(name: str) -> str:
    """PEP 503 project name normalisation (wheel file names use ``_``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path: Path) -> dict[str, str]:
    """``name==version`` lines of krew/constraints.txt."""
    pins = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[normalize(name)] = version.strip()
    return pins


def _pip_download(requirements: list[str], constraints: Path, dest: Path, extra: list[str]) -> bool:
    floor = ".".join(map(str, PYTHON_FLOOR))
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check"]
    command += ["--dest", str(dest), "--only-binary=:all:", "--python-version", floor]
    command += ["-c", str(constraints), *extra, *requirements]
    return subprocess.run(command, check=False, stdout=subprocess.DEVNULL).returncode == 0


def download_wheels(
    requirements: list[str], constraints: Path, dest: Path, cache: Path | None
) -> list[Path]:
    """Resolve for the oldest supported Python; offline from ``cache`` when it has them all."""
    offline = ["--no-index", "--find-links", str(cache)] if cache and cache.is_dir() else None
    if not (offline and _pip_download(requirements, constraints, dest, offline)):
        for stale in dest.glob("*.whl"):
            stale.unlink()
        if not _pip_download(requirements, constraints, dest, []):
            raise BuildError("pip could not download the wheels (see its output above)")
    wheels = sorted(dest.glob("*.whl"))
    if cache:
        cache.mkdir(parents=True, exist_ok=True)
        for wheel in wheels:
            if not (cache / wheel.name).exists():
                partial = cache / f".{wheel.name}.part"
                shutil.copyfile(wheel, partial)
                partial.replace(cache / wheel.name)
    pins = read_pins(constraints)
    for wheel in wheels:
        name, version = wheel.name.split("-")[:2]
        if pins.get(normalize(name)) != version:
            raise BuildError(f"{name} {version} is not pinned in {constraints.name}; pin it there")
    return wheels


def _keep_metadata(member: str) -> bool:
    """From .dist-info keep METADATA and the licences.

    RECORD and WHEEL name platform-specific files: keeping them would make the
    archive depend on the machine that built it.
    """
    leaf = member.split("/", 1)[1]
    return leaf == "METADATA" or bool(LICENSE_NAMES.search(leaf))


def add_wheel(bundle: Bundle, wheel: Path) -> None:
    """Unpack a wheel's pure-Python files into the bundle; drop compiled accelerators."""
    with zipfile.ZipFile(wheel) as archive:
        names = {info.filename for info in archive.infolist() if not info.is_dir()}
        for name in sorted(names):
            top = name.split("/", 1)[0]
            if top.endswith(".dist-info"):
                if _keep_metadata(name):
                    bundle.add(name, archive.read(name), wheel.name)
            elif top.endswith(".data"):
                if "/purelib/" in name or "/platlib/" in name:
                    raise BuildError(f"{wheel.name}: .data/purelib is not supported")
            elif name.endswith(COMPILED):
                stem = name.split(".", 1)[0]
                if f"{stem}.py" not in names and stem not in OPTIONAL_COMPILED:
                    raise BuildError(f"{wheel.name}: {name} has no pure-Python fallback")
                bundle.dropped.append(name)
            elif "__pycache__/" not in name and not name.endswith(".pyc"):
                bundle.add(name, archive.read(name), wheel.name)


def add_package(bundle: Bundle, root: Path = ROOT) -> None:
    """kubectl_bridge itself: the files a wheel of it would hold (*.py and py.typed)."""
    base = root / PACKAGE
    for path in sorted(base.rglob("*")):
        wanted = path.suffix == ".py" or path.name == "py.typed"
        if wanted and path.is_file() and "__pycache__" not in path.parts:
            bundle.add(path.relative_to(root).as_posix(), path.read_bytes(), "source tree")


def check_python_floor(bundle: Bundle) -> None:
    """Every bundled module must at least parse as Python 3.10."""
    for name, data in bundle.files.items():
        if name.endswith(".py"):
            try:
                ast.parse(data, filename=name, feature_version=PYTHON_FLOOR)
            except SyntaxError as exc:
                raise BuildError(f"{name} is not Python {PYTHON_FLOOR}: {exc}") from exc


def build_id(files: dict[str, bytes]) -> str:
    """A digest of the bundle's content: names the unpacked copy on the user's disk."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()[:32]


def zipapp_bytes(files: dict[str, bytes], bootstrap: str) -> bytes:
    """The executable zipapp: shebang, then a zip with sorted, time-fixed entries."""
    main = bootstrap.replace("@BUILD_ID@", build_id(files)).encode()
    out = io.BytesIO()
    out.write(SHEBANG)
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in sorted({**files, "__main__.py": main}.items()):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            archive.writestr(info, data, compresslevel=9)
    return out.getvalue()


def tarball_bytes(members: dict[str, tuple[bytes, int]]) -> bytes:
    """A tar.gz of regular files only, sorted, with fixed owner, time and gzip header."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, (data, mode) in sorted(members.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, TAR_MTIME
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    packed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=packed, mtime=0, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return packed.getvalue()


def build(
    out_dir: Path,
    manifest_path: Path,
    *,
    wheel_cache: Path | None = None,
    uri: str = manifest.DEFAULT_URI,
    homepage: str = manifest.DEFAULT_HOMEPAGE,
    root: Path = ROOT,
) -> Result:
    """Download, bundle, pack, and write the archive and its manifest."""
    bundle = Bundle()
    with tempfile.TemporaryDirectory(prefix="kubectl-bridge-wheels-") as tmp:
        wheels = download_wheels(
            runtime_requirements(root), root / "krew" / "constraints.txt", Path(tmp), wheel_cache
        )
        for wheel in wheels:
            add_wheel(bundle, wheel)
    add_package(bundle, root)
    check_python_floor(bundle)
    app = zipapp_bytes(bundle.files, (root / "krew" / "bootstrap.py").read_text(encoding="utf-8"))
    members = {
        manifest.BIN: (app, 0o755),
        manifest.COMPLETER: ((root / "krew" / manifest.COMPLETER).read_bytes(), 0o755),
        manifest.LICENSE: ((root / "LICENSE").read_bytes(), 0o644),
    }
    data = tarball_bytes(members)
    out_dir.mkdir(parents=True, exist_ok=True)
    archive = out_dir / ARCHIVE
    archive.write_bytes(data)
    sha256 = hashlib.sha256(data).hexdigest()
    version = package_version(root)
    manifest_path.parent.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(manifest.render(version, sha256, uri=uri, homepage=homepage))
    return Result(archive, manifest_path, sha256, version, bundle.dropped, [w.name for w in wheels])


def main(argv: list[str] | None = None) -> int:
    """Command line: build, then say what was built and what was dropped."""
    parser = argparse.ArgumentParser(prog="krew/build.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="archive folder (dist)")
    parser.add_argument("--manifest", type=Path, default=KREW / "bridge.yaml", help="manifest path")
    parser.add_argument("--wheel-cache", type=Path, help="reuse/keep downloaded wheels here")
    parser.add_argument("--uri", default=manifest.DEFAULT_URI, help="download URL ({version})")
    parser.add_argument("--homepage", default=manifest.DEFAULT_HOMEPAGE)
    args = parser.parse_args(argv)
    try:
        result = build(
            args.out,
            args.manifest,
            wheel_cache=args.wheel_cache,
            uri=args.uri,
            homepage=args.homepage,
        )
    except BuildError as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        return 1
    size = result.archive.stat().st_size
    print(f"{result.archive}  {size / 1e6:.2f} MB  sha256 {result.sha256}")
    print(f"{result.manifest}  version {manifest.tag(result.version)}")
    print(f"bundled: {', '.join(result.wheels)}")
    for name in result.dropped:
        print(f"dropped compiled accelerator {name} (its package falls back to pure Python)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
