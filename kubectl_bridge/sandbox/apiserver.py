r"""A stand-in Kubernetes control plane on loopback, for tests and the sandbox.

No cluster runs on our machines, so this small aiohttp server plays the API
server: it serves the REST subset kubectl-bridge and kubectl use, and its
"nodes" are network namespaces on this machine, so exec into a debug pod
runs the shipped agent against the real kernel.

Run it in the background::

    python -m kubectl_bridge.sandbox.apiserver --state STATE.json \\
        --ready-file READY [--port 0] [--kubeconfig KUBECONFIG]

It listens on 127.0.0.1 with TLS (a throw-away self-signed certificate made
with ``openssl`` next to the state file: kubectl will not send a bearer
token over plain HTTP), checks the bearer token from the state file, writes
``https://127.0.0.1:PORT`` to READY once it accepts connections, and writes
a kubeconfig (CA data and token) if asked.  SIGTERM stops it.  From Python,
:func:`start_background` does all of that and returns a handle; tests and
``kubectl bridge sandbox`` use it.  The state file format is in
``apiserver_state`` and ``docs/cluster.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import ssl
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .standin_launch import Caller, prepare

CONTEXT = "kubectl-bridge-standin"


def make_certificate(workdir: str) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 (its own CA); returns (cert, key) paths."""
    cert, key = os.path.join(workdir, "tls.crt"), os.path.join(workdir, "tls.key")
    if not (os.path.exists(cert) and os.path.exists(key)):
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                key,
                "-out",
                cert,
                "-days",
                "30",
                "-subj",
                "/CN=kubectl-bridge-standin",
                "-addext",
                "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
    return cert, key


def write_kubeconfig(
    path: str, server: str, token: str, namespace: str = "default", ca_file: str | None = None
) -> None:
    """A kubeconfig that points kubectl and the python client at the stand-in."""
    import base64

    import yaml

    cluster: dict[str, Any] = {"server": server}
    if ca_file:
        ca = Path(ca_file).read_bytes()
        cluster["certificate-authority-data"] = base64.b64encode(ca).decode()
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CONTEXT, "cluster": cluster}],
        "users": [{"name": CONTEXT, "user": {"token": token}}],
        "contexts": [
            {
                "name": CONTEXT,
                "context": {"cluster": CONTEXT, "user": CONTEXT, "namespace": namespace},
            }
        ],
        "current-context": CONTEXT,
        "preferences": {},
    }
    tmp = f"{path}.tmp"
    Path(tmp).write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


async def _ticker(app: Any) -> None:
    """Advance debug pods' clocks so watches see Pending → Running without a request."""
    from .apiserver_routes import CHANGED, STATE

    while True:
        await asyncio.sleep(0.05)
        if app[STATE].tick():
            async with app[CHANGED]:
                app[CHANGED].notify_all()


def make_app(state_path: str) -> Any:
    """The aiohttp application for a state file."""
    from aiohttp import web

    from . import podprocs
    from .apiserver_routes import CHANGED, STATE, add_routes, auth
    from .apiserver_state import State

    app = web.Application(middlewares=[auth], client_max_size=64 << 20)
    app[STATE] = State.load(state_path)
    app[CHANGED] = asyncio.Condition()
    add_routes(app)

    async def start_ticker(app: web.Application) -> Any:
        task = asyncio.ensure_future(_ticker(app))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        # what exec left running in any pod (the agent server) stops with us
        podprocs.kill_all(app[STATE].cache_root)

    app.cleanup_ctx.append(start_ticker)
    return app


async def _serve(args: argparse.Namespace) -> None:
    from aiohttp import web

    app = make_app(args.state)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    context, cert = None, None
    if not args.plain_http:
        cert, key = make_certificate(os.path.dirname(os.path.abspath(args.state)))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
    site = web.TCPSite(runner, args.host, args.port, ssl_context=context)
    await site.start()
    port = runner.addresses[0][1]
    url = f"{'http' if args.plain_http else 'https'}://{args.host}:{port}"
    if args.kubeconfig:
        with open(args.state, encoding="utf-8") as fh:
            token = json.load(fh).get("token", "")
        write_kubeconfig(args.kubeconfig, url, token, args.namespace, cert)
    if args.ready_file:
        Path(f"{args.ready_file}.tmp").write_text(url, encoding="utf-8")
        os.replace(f"{args.ready_file}.tmp", args.ready_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: serve until SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m kubectl_bridge.sandbox.apiserver")
    parser.add_argument("--state", required=True, help="state file (JSON)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--ready-file", help="write the server URL here once listening")
    parser.add_argument("--kubeconfig", help="write a kubeconfig for the server here")
    parser.add_argument("--namespace", default="default", help="the kubeconfig's namespace")
    parser.add_argument(
        "--plain-http",
        action="store_true",
        help="no TLS (kubectl then sends no token: use with an empty token)",
    )
    args = parser.parse_args(argv)
    asyncio.run(_serve(args))
    return 0


@dataclass
class StandIn(Caller):
    """A running stand-in server (a child process) and how to reach it."""

    process: subprocess.Popen[bytes]
    url: str
    token: str
    kubeconfig: str
    log_path: str

    ca_file: str | None = None
    cache_root: str = ""  # where its debug pods' processes are found (``podprocs``)

    def state(self) -> dict[str, Any]:
        """``GET /_standin/state``."""
        result: dict[str, Any] = self.request("GET", "/_standin/state")
        return result

    def set_faults(self, **faults: Any) -> None:
        """``PUT /_standin/faults``: replaces every fault."""
        self.request("PUT", "/_standin/faults", faults)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not go within 5 s.  Idempotent."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.cache_root:  # the server stops them itself unless it had to be killed
            from . import podprocs

            podprocs.kill_all(self.cache_root)


def start_background(
    state: dict[str, Any], workdir: str, *, namespace: str = "default", timeout: float = 15.0
) -> StandIn:
    """Write ``state`` to ``workdir``, start the server there, wait until it listens."""
    os.makedirs(workdir, exist_ok=True)
    launch = prepare(workdir, state)
    kubeconfig = os.path.join(workdir, "kubeconfig")
    with open(launch.log, "ab") as log:
        proc = subprocess.Popen(
            launch.argv(kubeconfig, "--namespace", namespace),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
    if not launch.wait(proc, timeout):
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait(timeout=5)
        raise RuntimeError(f"stand-in API server did not start:\n{launch.log_tail(2000)}")
    url, ca_file = launch.endpoint()
    token, cache_root = str(state.get("token", "")), str(state.get("cache_root", ""))
    return StandIn(proc, url, token, kubeconfig, launch.log, ca_file, cache_root)


if __name__ == "__main__":
    sys.exit(main())
