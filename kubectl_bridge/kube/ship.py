"""The agent payload: agent + model + errors + pyroute2 as one deterministic zip.

No custom image: the debug pod runs a stock Python image, and the agent
arrives over exec stdin.  The zip is built from the *installed* package
through ``importlib.resources`` traversables, so it works the same whether
kubectl-bridge runs from site-packages or from a zipapp.  Entries are
sorted and carry a fixed timestamp and mode, so the same sources give the
same bytes and the same sha256 — the hash names the cached copy on the node
(``/tmp/kubectl-bridge/<hash>.pyz``) and a warm run sends only the request.

This module must not import the kubernetes client: ``kubectl bridge
version`` prints :func:`payload_hash`.
"""

from __future__ import annotations

import functools
import hashlib
import io
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

#: Runs on the node as ``python3 -c BOOTSTRAP HASH``.  It answers one byte on
#: stdout: ``K`` (payload cached) or ``P`` (send it: 8-byte big-endian
#: length + bytes), checks the hash, caches atomically, then runs the agent
#: in-process with the same stdin, where the length-prefixed request follows.
#: It reads with ``os.read`` so no byte meant for the agent is buffered away.
BOOTSTRAP = """\
import hashlib,os,runpy,sys
h=sys.argv[1];d=os.environ.get("KUBECTL_BRIDGE_CACHE","/tmp/kubectl-bridge")
p=os.path.join(d,h+".pyz")
def rd(n):
    b=bytearray()
    while len(b)<n:
        c=os.read(0,min(n-len(b),1<<20))
        if not c:
            sys.stderr.write("kubectl-bridge bootstrap: stdin closed early\\n");sys.exit(3)
        b+=c
    return bytes(b)
if os.path.isfile(p):
    os.write(1,b"K")
else:
    os.write(1,b"P")
    data=rd(int.from_bytes(rd(8),"big"))
    if hashlib.sha256(data).hexdigest()!=h:
        sys.stderr.write("kubectl-bridge bootstrap: payload hash mismatch\\n");sys.exit(4)
    os.makedirs(d,exist_ok=True);t="%s.%d"%(p,os.getpid())
    with open(t,"wb") as f:
        f.write(data)
    os.replace(t,p)
sys.path.insert(0,p);sys.argv=[p]
runpy.run_module("kubectl_bridge.agent",run_name="__main__",alter_sys=True)
"""

#: The bootstrap's one-byte answers.
HAVE_PAYLOAD = b"K"
NEED_PAYLOAD = b"P"


@dataclass(frozen=True)
class Payload:
    """The zip bytes and their sha256 (hex, lowercase)."""

    data: bytes
    sha256: str


def bootstrap_command(digest: str) -> list[str]:
    """The exec command line that runs the agent from the payload ``digest``."""
    return ["python3", "-c", BOOTSTRAP, digest]


def _walk(node: Traversable, prefix: str) -> Iterator[tuple[str, Traversable]]:
    for child in node.iterdir():
        name = f"{prefix}/{child.name}"
        if child.is_dir():
            if child.name not in _SKIP_DIRS:
                yield from _walk(child, name)
        elif child.name.endswith(".py"):
            yield name, child


def payload_files() -> list[tuple[str, bytes]]:
    """Every (archive name, content) of the payload, sorted by name."""
    own = resources.files("kubectl_bridge")
    entries: list[tuple[str, Traversable]] = [
        (f"kubectl_bridge/{name}", own.joinpath(name)) for name in OWN_FILES
    ]
    for sub in OWN_DIRS:
        entries.extend(_walk(own.joinpath(sub), f"kubectl_bridge/{sub}"))
    for package in VENDORED:
        entries.extend(_walk(resources.files(package), package))
    return sorted((name, item.read_bytes()) for name, item in entries)


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
    data = zip_files(payload_files())
    return Payload(data=data, sha256=hashlib.sha256(data).hexdigest())


def payload_hash() -> str:
    """The payload's sha256, as ``kubectl bridge version`` prints it."""
    return build_payload().sha256
