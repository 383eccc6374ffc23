"""Start kubectl-bridge from its one-file archive (becomes the zipapp's ``__main__``).

Why unpack: Python cannot cache compiled bytecode for modules it imports
from a zip, so importing what a ``describe`` needs straight from the archive
costs about 0.3 s on every run, 0.13 s from a directory with ``__pycache__``
(2.8 s and 0.45 s while the archive carried the kubernetes client).
The first run therefore copies the archive's contents once into a per-build
cache directory and imports from there; every later run costs one ``stat``.
If the cache cannot be written (read-only home, no HOME), the plugin still
runs, straight from the archive, only slower.

Keep this file free of syntax newer than Python 3.6 so an old ``python3``
reads it far enough to say which version is needed.
"""

import contextlib
import os
import sys

#: Replaced by krew/build.py with the sha256 of the archive's other entries.
BUILD_ID = "@BUILD_ID@"
MIN_PYTHON = (3, 10)
COMPLETE_MARK = ".complete"
STALE_SECONDS = 3600


def _cache_root():
    """Where unpacked builds live: ``app/`` in the platform's per-user cache directory.

    Other parts of kubectl-bridge keep their own caches beside it (payloads/),
    so pruning old builds stays inside ``app/``.
    """
    override = os.environ.get("KUBECTL_BRIDGE_CACHE_DIR")
    if override:
        return override
    home = os.path.expanduser("~")
    if home == "~":
        return None
    if sys.platform == "darwin":
        base = os.path.join(home, "Library", "Caches")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(home, ".cache")
    return os.path.join(base, "kubectl-bridge", "app")


def _age(path):
    """Seconds since ``path`` last changed (0 if it is gone)."""
    import time

    try:
        return time.time() - os.stat(path).st_mtime
    except OSError:
        return 0


def _prune(root, keep):
    """Remove other builds' directories: an upgrade should not leave 25 MB behind.

    Only folders that are certainly ours go: a build id for a name and our
    marker inside, so a cache folder pointed at something shared stays intact.
    """
    import shutil

    for name in os.listdir(root):
        path = os.path.join(root, name)
        ours = len(name) == len(keep) and all(c in "0123456789abcdef" for c in name)
        if name != keep and ours and os.path.isfile(os.path.join(path, COMPLETE_MARK)):
            shutil.rmtree(path, ignore_errors=True)
        elif name.startswith(".unpack-") and _age(path) > STALE_SECONDS:
            shutil.rmtree(path, ignore_errors=True)  # an unpack that was killed


def _unpack(archive, root):
    """Copy the archive into ``root/BUILD_ID`` once; return that directory or None."""
    import tempfile
    import zipfile

    os.makedirs(root, mode=0o700, exist_ok=True)
    target = os.path.join(root, BUILD_ID)
    staging = tempfile.mkdtemp(prefix=".unpack-", dir=root)
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = [n for n in bundle.namelist() if n != "__main__.py"]
            bundle.extractall(staging, members)
        open(os.path.join(staging, COMPLETE_MARK), "w").close()
        # A concurrent first run may have won the race: then use its copy.
        with contextlib.suppress(OSError):
            os.rename(staging, target)
    finally:
        if os.path.isdir(staging):
            import shutil

            shutil.rmtree(staging, ignore_errors=True)
    if not os.path.isfile(os.path.join(target, COMPLETE_MARK)):
        return None
    _prune(root, BUILD_ID)
    return target


def _import_root(archive):
    """The directory to import from, or None to import from the archive itself."""
    root = _cache_root()
    if root is None:
        return None
    ready = os.path.join(root, BUILD_ID)
    if os.path.isfile(os.path.join(ready, COMPLETE_MARK)):
        return ready
    try:
        return _unpack(archive, root)
    except OSError:
        return None


def main():
    """Check the interpreter, pick where to import from, run the plugin or completion."""
    if sys.version_info < MIN_PYTHON:
        need = ".".join(map(str, MIN_PYTHON))
        have = sys.version.split()[0]
        sys.stderr.write(
            f"kubectl-bridge needs python3 >= {need}; this is {have} ({sys.executable})\n"
        )
        sys.exit(1)
    archive = os.path.dirname(os.path.abspath(__file__))
    unpacked = _import_root(archive)
    if unpacked:
        sys.path.insert(0, unpacked)
    if sys.argv[1:2] == ["__complete"]:  # what kubectl_complete-bridge runs
        del sys.argv[1]
        from kubectl_bridge import completion

        completion.main()
        return
    from kubectl_bridge.cli import entrypoint

    entrypoint()


if __name__ == "__main__":
    main()
