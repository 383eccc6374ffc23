"""The agent payload: agent + model + errors + pyroute2 as one deterministic zip.

No custom image: the debug pod runs a stock Python image, and the agent
arrives over exec stdin.  The zip is built from the *installed* package
through ``importlib.resources`` traversables, so it works the same whether
kubectl-bridge runs from site-packages or from a zipapp.  Entries are
sorted and carry a fixed timestamp and mode, so the same sources give the
same bytes and the same sha256 — the hash names the cached copy on the node
(``/tmp/kubectl-bridge/<hash>/``) and a warm run sends only the request.
Building the zip costs ~50 ms of compression per run, so it is also cached
on this machine under ``~/.cache/kubectl-bridge/`` by a digest of the
sources (reading and hashing them: a few ms).

This module must not import the kubernetes client: ``kubectl bridge
version`` prints :func:`payload_hash`.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import io
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

#: What the node needs from our own package; the agent imports nothing else.
OWN_FILES = ("__init__.py", "model.py", "errors.py")
OWN_DIRS = ("agent",)
#: Third-party packages shipped whole (pure Python).
VENDORED = ("pyroute2",)
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_SKIP_DIRS = frozenset({"__pycache__", "tests", "test"})
#: Bumped when the zip layout changes, so a stale local cache is not reused.
FORMAT = "kubectl-bridge-payload-1"

#: Runs on the node as ``python3 -c BOOTSTRAP HASH [IDLE]``.  It answers one
#: byte on stdout: ``K`` (payload cached) or ``P`` (send it: 8-byte big-endian
#: length + bytes), checks the hash, unpacks it into ``<cache>/<hash>/``
#: (atomically: a rename; a concurrent run that loses the race just uses the
#: winner's copy).  Unpacked rather than imported from the zip so Python
#: caches bytecode next to it: a warm run skips compiling pyroute2 (about
#: 0.25 s), even where PYTHONDONTWRITEBYTECODE is set.  It reads with
#: ``os.read`` so no byte meant for the agent is buffered away.
#:
#: With the payload cached it is first a tiny client (``os``, ``sys`` and
#: ``_socket`` only): if the pod's agent server (``agent/server.py``) answers
#: on ``<cache>/<hash>.srv/sock``, the length-prefixed request goes there and
#: the answer (status byte, 8-byte length, document) comes back to stdout.
#: If no server answers — no socket, a stale one, a refusal, a hang-up
#: before the first byte — the agent runs in-process as before, with the
#: request already read, and then starts a server that exits after IDLE
#: seconds without a request (``0``, the default: none, as for ``--rm``).
#: Uploading imports ``hashlib`` and friends; a warm run never does.
BOOTSTRAP = """\
import os,sys
h=sys.argv[1];d=os.environ.get("KUBECTL_BRIDGE_CACHE","/tmp/kubectl-bridge")
p=os.path.join(d,h);s=p+".srv";q=b""
def rd(n):
    b=bytearray()
    while len(b)<n:
        c=os.read(0,min(n-len(b),1<<20))
        if not c:break
        b+=c
    return bytes(b)
def need(n):
    b=rd(n)
    if len(b)<n:
        sys.stderr.write("kubectl-bridge bootstrap: stdin closed early\\n");sys.exit(3)
    return b
def ask():
    global q
    import _socket as S
    try:
        t=os.lstat(s)
        if t.st_uid!=os.geteuid() or t.st_mode&0o40077!=0o40000:return
        c=S.socket(S.AF_UNIX,S.SOCK_STREAM);o=os.getcwd();os.chdir(s)
        try:c.connect("sock")
        finally:os.chdir(o)
    except OSError:return
    q=rd(8)
    if len(q)<8 or int.from_bytes(q,"big")>1<<20:return
    q+=rd(int.from_bytes(q,"big"));b=b""
    try:
        c.sendall(q)
        while len(b)<9:
            x=c.recv(9-len(b))
            if not x:break
            b+=x
    except OSError:pass
    if len(b)<9:return
    n=int.from_bytes(b[1:],"big")
    while n>0:
        try:x=c.recv(min(n,1<<16))
        except OSError:x=b""
        if not x:
            sys.stderr.write("kubectl-bridge: the agent server ended early\\n");sys.exit(5)
        n-=len(x)
        while x:x=x[os.write(1,x):]
    sys.exit(b[0])
if os.path.isdir(p):
    os.write(1,b"K");ask()
else:
    os.write(1,b"P")
    data=need(int.from_bytes(need(8),"big"))
    import hashlib,io,shutil,zipfile
    if hashlib.sha256(data).hexdigest()!=h:
        sys.stderr.write("kubectl-bridge bootstrap: payload hash mismatch\\n");sys.exit(4)
    t="%s.%d"%(p,os.getpid())
    zipfile.ZipFile(io.BytesIO(data)).extractall(t)
    try:
        os.rename(t,p)
    except OSError:
        shutil.rmtree(t,ignore_errors=True)
i=float(sys.argv[2]) if len(sys.argv)>2 else 0.0
sys.path.insert(0,p);sys.argv=[p];sys.dont_write_bytecode=False
from kubectl_bridge.agent.server import run_once
sys.exit(run_once(p,s,q,i))
"""

#: The bootstrap's one-byte answers.
HAVE_PAYLOAD = b"K"
NEED_PAYLOAD = b"P"


@dataclass(frozen=True)
class Payload:
    """The zip bytes and their sha256 (hex, lowercase)."""

    data: bytes
    sha256: str


def bootstrap_command(digest: str, server_idle: float = 0.0) -> list[str]:
    """The exec command line that runs the agent from the payload ``digest``.

    ``server_idle`` > 0: if no agent server answers in the pod, start one
    that exits after that many idle seconds (see ``agent/server.py``).
    """
    command = ["python3", "-c", BOOTSTRAP, digest]
    if server_idle > 0:
        command.append(f"{server_idle:g}")
    return command


def _walk(node: Traversable, prefix: str) -> Iterator[tuple[str, Traversable]]:
    for child in node.iterdir():
        name = f"{prefix}/{child.name}"
        if child.is_dir():
            if child.name not in _SKIP_DIRS:
                yield from _walk(child, name)
        elif child.name.endswith(".py"):
            yield name, child


def _package_root(name: str) -> Traversable:
    """A package's directory without importing it (importing pyroute2 costs ~100 ms).

    Through the loader's resource reader, this is a ``pathlib.Path`` in
    site-packages and a ``zipfile.Path`` inside a zipapp.
    """
    spec = importlib.util.find_spec(name)
    loader = spec.loader if spec else None
    get_reader = getattr(loader, "get_resource_reader", None)
    reader = get_reader(name) if get_reader else None
    if reader is not None and hasattr(reader, "files"):
        root: Traversable = reader.files()
        return root
    return resources.files(name)


def payload_files() -> list[tuple[str, bytes]]:
    """Every (archive name, content) of the payload, sorted by name."""
    own = _package_root("kubectl_bridge")
    entries: list[tuple[str, Traversable]] = [
        (f"kubectl_bridge/{name}", own.joinpath(name)) for name in OWN_FILES
    ]
    for sub in OWN_DIRS:
        entries.extend(_walk(own.joinpath(sub), f"kubectl_bridge/{sub}"))
    for package in VENDORED:
        entries.extend(_walk(_package_root(package), package))
    return sorted((name, item.read_bytes()) for name, item in entries)


def source_digest(files: list[tuple[str, bytes]]) -> str:
    """A digest of the sources (not the zip): the key of the local payload cache."""
    digest = hashlib.sha256(FORMAT.encode())
    for name, content in files:
        digest.update(f"{name}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()


def _cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "kubectl-bridge", "payloads")


def _cached_zip(files: list[tuple[str, bytes]]) -> bytes:
    """The zip for ``files``, from the local cache when it has it; cache failures are ignored."""
    path = os.path.join(_cache_dir(), source_digest(files) + ".zip")
    with contextlib.suppress(OSError, zipfile.BadZipFile), open(path, "rb") as fh:
        cached = fh.read()
        with zipfile.ZipFile(io.BytesIO(cached)) as archive:  # a torn write is rebuilt
            if archive.namelist() == [name for name, _ in files]:
                return cached
    data = zip_files(files)
    with contextlib.suppress(OSError):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}"
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    return data


def zip_files(files: list[tuple[str, bytes]]) -> bytes:
    """A deterministic zip: fixed timestamps and modes, entries in the given order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files:
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3  # unix, whatever the building machine is
            archive.writestr(info, content, compresslevel=6)
    return buffer.getvalue()


@functools.lru_cache(maxsize=1)
def build_payload() -> Payload:
    """The payload of the installed package (built once per process)."""
    data = _cached_zip(payload_files())
    return Payload(data=data, sha256=hashlib.sha256(data).hexdigest())


def payload_hash() -> str:
    """The payload's sha256, as ``kubectl bridge version`` prints it."""
    return build_payload().sha256
