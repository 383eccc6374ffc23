"""Run the shipped agent in a debug pod: bootstrap, payload if needed, request, snapshot.

One exec per request.  The bootstrap (``ship.BOOTSTRAP``) answers one byte:
``K`` when the pod has the payload cached under its hash, ``P`` when it
wants it; we then send the length-prefixed payload, then the
length-prefixed request, and read the agent's one JSON document.  A warm
run therefore costs one exec and a few hundred bytes.  A connection that
drops without an exit status is retried once, then reported.

With ``server_idle`` > 0 the first run in a pod also leaves an agent server
there (``agent/server.py``) and later runs are answered by it, skipping the
agent's own start-up; it exits after that many idle seconds.  ``--rm`` runs
pass 0: their pod is deleted right after.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from ..agent.protocol import EXIT_AGENT_ERROR, decode_response, encode_request
from ..errors import BridgeError, ClusterError, CollectError
from ..model import Request, Snapshot
from . import ship
from .config import ClusterConfig
from .debugpod import CONTAINER
from .exec import ExecDroppedError, ExecResult, ExecStream

DEFAULT_EXEC_TIMEOUT = 60.0
#: Seconds the debug pod's agent server waits for the next request.
DEFAULT_SERVER_IDLE = 600.0
#: Overrides it (seconds; 0: never start a server).
SERVER_IDLE_ENV = "KUBECTL_BRIDGE_AGENT_IDLE"


def server_idle(*, remove: bool) -> float:
    """How long the agent server this run may start should wait for the next one.

    0 when the debug pod is deleted after this run (``--rm``).
    """
    if remove:
        return 0.0
    text = os.environ.get(SERVER_IDLE_ENV, "")
    try:
        return max(float(text), 0.0) if text else DEFAULT_SERVER_IDLE
    except ValueError:
        return DEFAULT_SERVER_IDLE


@dataclass
class AgentRun:
    """What one agent run did: for ``--debug`` and the benchmarks."""

    uploaded: bool  # the payload had to be sent (cold pod)
    attempts: int
    protocol: str
    stderr: bytes


def run_agent(
    cfg: ClusterConfig,
    namespace: str,
    pod: str,
    request: Request,
    *,
    timeout: float = DEFAULT_EXEC_TIMEOUT,
    server_idle: float = 0.0,
) -> tuple[Snapshot, AgentRun]:
    """The agent's snapshot for ``request``, collected in debug pod ``namespace/pod``."""
    payload = ship.build_payload()
    command = ship.bootstrap_command(payload.sha256, server_idle)
    wire = encode_request(request)
    last: ExecDroppedError | None = None
    for attempt in (1, 2):
        try:
            result, uploaded, protocol = _once(
                cfg, (namespace, pod), command, payload, wire=wire, timeout=timeout
            )
        except ExecDroppedError as exc:
            last = exc
            continue
        run = AgentRun(uploaded, attempt, protocol, result.stderr)
        return _snapshot(result, namespace, pod), run
    assert last is not None
    raise ClusterError(
        f"{last.message} (after one retry)",
        "the connection to the API server or node keeps dropping; check them and run again",
    ) from last


def _once(
    cfg: ClusterConfig,
    where: tuple[str, str],
    command: list[str],
    payload: ship.Payload,
    *,
    wire: bytes,
    timeout: float,
) -> tuple[ExecResult, bool, str]:
    namespace, pod = where
    with ExecStream(cfg, namespace, pod, CONTAINER, command, timeout=timeout) as stream:
        marker = stream.read_stdout(1)
        if marker is None:  # the bootstrap ended (or the stream did) before answering
            return stream.finish(), False, stream.protocol
        uploaded = marker == ship.NEED_PAYLOAD
        if uploaded:
            stream.send(struct.pack(">Q", len(payload.data)) + payload.data)
        elif marker != ship.HAVE_PAYLOAD:
            raise CollectError(
                f"the debug pod's bootstrap answered {marker!r}",
                "the image's python3 may be unusual; try --image with a stock python image",
            )
        stream.send(wire)
        stream.close_stdin()
        return stream.finish(), uploaded, stream.protocol


def _snapshot(result: ExecResult, namespace: str, pod: str) -> Snapshot:
    """Turn the agent's answer into a snapshot, or the most useful error."""
    if result.exit_code in (0, EXIT_AGENT_ERROR) and result.stdout.strip():
        return decode_response(result.stdout)  # raises the agent's own error
    tail = result.stderr.decode("utf-8", "replace").strip().splitlines()
    last = tail[-1] if tail else "no output"
    if result.exit_code == 127:
        raise CollectError(
            f"python3 is missing in debug pod {namespace}/{pod}: {last}",
            "use --image with a stock python image (python3 >= 3.10)",
        )
    message = result.status.get("message") or f"exit status {result.exit_code}"
    error: BridgeError = CollectError(
        f"the agent in {namespace}/{pod} failed ({message}): {last}",
        "rerun with --debug; the pod's python3 must be >= 3.10",
    )
    raise error
