"""The agent server: a long-lived agent in the debug pod, so a warm run skips its start-up.

A warm ``kubectl bridge describe`` used to start a second Python on the
node and import the model and pyroute2's message classes (~110 ms) for
~20 ms of netlink reads.  Now the first exec that runs the agent in a debug
pod (``ship.BOOTSTRAP``, in-process) also starts this server in the
background; later execs run only the bootstrap's tiny client, which hands
the length-prefixed request to the server over a UNIX socket and copies the
answer to stdout.

Where: ``<cache>/<payload hash>.srv/sock``, in a directory only root may
enter (mode 0700, checked by both sides).  Never a TCP port: the debug pod
shares the node's network.  A new payload is a new directory, so an old
server simply idles out.  Both sides use the socket by its relative name
from inside the directory: a UNIX socket path is limited to 107 bytes and a
cache directory may be long.

Wire format, after the client's request (exactly the agent's stdin
request): one byte exit status, an 8-byte big-endian length, the JSON
document — the same document and status a process would give.  Requests
are served one at a time: collection enters namespaces from worker threads
(``nsthread``) and pyroute2's sockets are not shared between requests.

The server exits after ``idle`` seconds without a request, and with the
pod.  One server per directory: it holds an exclusive ``flock`` for its
life; a second one started by a racing run gives up.
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import sys
import time

from .__main__ import answer

#: The socket's and the lock's names inside the server directory.
SOCKET = "sock"
LOCK = "lock"
#: Seconds a connected client may take to send its request.
REQUEST_TIMEOUT = 30.0
#: How long a new server waits for a previous one that is on its way out.
LOCK_WAIT = 2.0
#: Started as ``python3 -c SERVE PAYLOAD_DIR SERVER_DIR IDLE``.
SERVE = (
    "import sys;sys.path.insert(0,sys.argv[1]);sys.dont_write_bytecode=False\n"
    "from kubectl_bridge.agent.server import serve\n"
    "sys.exit(serve(sys.argv[2],float(sys.argv[3])))\n"
)


def frame(code: int, document: str) -> bytes:
    """The server's answer: exit status, length, document (with its newline)."""
    body = (document + "\n").encode("utf-8")
    return bytes([code]) + len(body).to_bytes(8, "big") + body


def private_dir(path: str, *, create: bool) -> bool:
    """True if ``path`` is a real directory of ours that nobody else may enter."""
    if create:
        with contextlib.suppress(FileExistsError):
            os.mkdir(path, 0o700)
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid() and not st.st_mode & 0o077


def run_once(payload_dir: str, server_dir: str, request: bytes, idle: float) -> int:
    """The agent in this process (no server answered), then start one if ``idle`` > 0.

    ``request`` is what the bootstrap's client already read from stdin
    while trying a server (possibly nothing); the rest comes from stdin.
    """
    import io

    from .__main__ import main

    code = main(io.BytesIO(request) if request else None)
    if idle > 0:
        with contextlib.suppress(OSError):
            spawn(payload_dir, server_dir, idle)
    return code


def spawn(payload_dir: str, server_dir: str, idle: float) -> int:
    """Start a detached server (own session, stdio on /dev/null); its pid.

    Nothing of the exec's may stay open in it: the exec ends only when every
    holder of its stdout has gone.
    """
    python = sys.executable or "python3"
    argv = [python, "-c", SERVE, payload_dir, server_dir, repr(float(idle))]
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDWR, 0),
        (os.POSIX_SPAWN_DUP2, 0, 1),
        (os.POSIX_SPAWN_DUP2, 0, 2),
    ]
    return os.posix_spawn(python, argv, dict(os.environ), file_actions=actions, setsid=True)


def serve(server_dir: str, idle: float) -> int:
    """Answer requests on ``server_dir``'s socket until ``idle`` seconds pass without one."""
    if not private_dir(server_dir, create=True):
        return 1
    os.chdir(server_dir)
    lock = _lock()
    if lock is None:
        return 0  # another server answers here
    with contextlib.suppress(FileNotFoundError):
        os.unlink(SOCKET)  # stale: its server is gone (we hold the lock)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(SOCKET)
    bound = os.stat(SOCKET).st_ino
    listener.listen(16)
    listener.settimeout(idle)
    from . import collect  # noqa: F401 - the imports a request would pay, paid now

    try:
        while True:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                return 0
            with conn:
                handle(conn)
    finally:
        listener.close()
        with contextlib.suppress(OSError):
            if os.stat(SOCKET).st_ino == bound:
                os.unlink(SOCKET)
        os.close(lock)


def _lock() -> int | None:
    """The server lock of the current directory, or None if another live server holds it."""
    import fcntl

    fd = os.open(LOCK, os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                return None
            time.sleep(0.05)


def handle(conn: socket.socket) -> None:
    """One request in, one framed answer out; a client that went away is no error."""
    conn.settimeout(REQUEST_TIMEOUT)
    try:
        with conn.makefile("rb") as stream:
            code, document = answer(stream, served_by="server")
        conn.sendall(frame(code, document))
    except OSError:
        return
