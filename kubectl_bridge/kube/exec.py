"""``pods/exec`` as a binary-safe stream, with the exit status read by us.

We speak the channel protocol ourselves (``wsframe`` over the transport's
connection).  The python client's ``kubernetes.stream`` decoded text, raised
``KeyError`` when a failure had no exit code, and could not half-close
stdin.  Here:

- ``v5.channel.k8s.io`` is offered first (it can close stdin: channel 255),
  ``v4.channel.k8s.io`` second (it cannot, so what we send is length-prefixed
  and the node side never waits for EOF);
- every byte is binary; channel 1 is stdout, 2 stderr, 3 the final status;
- the exit status comes from the status channel; a stream that ends without
  one is a failure (``ExecDroppedError``), which callers retry once;
- one deadline bounds the whole call, connect included.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from http.client import HTTPException
from typing import Any
from urllib.parse import quote, urlencode

from ..errors import ClusterError
from . import wsframe
from .api import describe_right
from .config import ClusterConfig
from .transport import transport_error

V5, V4 = "v5.channel.k8s.io", "v4.channel.k8s.io"
STDIN, STDOUT, STDERR, STATUS, CLOSE = 0, 1, 2, 3, 255
CHUNK = 64 * 1024


class ExecDroppedError(ClusterError):
    """The stream ended without an exit status: the connection was lost."""


@dataclass
class ExecResult:
    """What came back: stdout, stderr and the exit code from the status channel."""

    stdout: bytes
    stderr: bytes
    exit_code: int
    status: dict[str, Any] = field(default_factory=dict)


def exit_code_of(status: dict[str, Any]) -> int:
    """0 for Success; the ExitCode cause for NonZeroExitCode; -1 for other failures."""
    if status.get("status") == "Success":
        return 0
    for cause in (status.get("details") or {}).get("causes") or []:
        if cause.get("reason") == "ExitCode":
            try:
                return int(cause.get("message", ""))
            except ValueError:
                break
    return -1


class ExecStream:
    """One exec call into one container, used as a context manager."""

    def __init__(
        self,
        cfg: ClusterConfig,
        namespace: str,
        pod: str,
        container: str,
        command: list[str],
        *,
        timeout: float,
        protocols: tuple[str, ...] = (V5, V4),
    ) -> None:
        self.cfg, self.namespace, self.pod = cfg, namespace, pod
        self.protocols = protocols
        self.container, self.command = container, command
        self.deadline = time.monotonic() + timeout
        self.timeout = timeout
        self.ws: Any = None
        self.protocol = ""
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.status: dict[str, Any] | None = None

    # --- connection ---------------------------------------------------------

    def path(self) -> str:
        """The exec request's path and query (the transport adds the server)."""
        query = [("command", c) for c in self.command]
        query += [
            ("container", self.container),
            ("stdin", "true"),
            ("stdout", "true"),
            ("stderr", "true"),
            ("tty", "false"),
        ]
        ns, pod = quote(self.namespace), quote(self.pod)
        return f"/api/v1/namespaces/{ns}/pods/{pod}/exec?{urlencode(query)}"

    def open(self) -> ExecStream:
        """Connect and negotiate the protocol; errors name the pod and the right.

        The upgrade takes over a kept-alive connection of the run's transport
        when there is one: no second TLS handshake.
        """
        key = wsframe.new_key()
        try:
            status, headers, body, sock, reader = self.cfg.transport.upgrade(
                self.path(), list(self.protocols), key, self._remaining()
            )
        except TimeoutError as exc:
            raise self._timeout() from exc
        except (OSError, HTTPException) as exc:
            raise ExecDroppedError(
                f"exec into {self.namespace}/{self.pod} could not connect: "
                f"{transport_error(self.cfg.endpoint.server, exc).message}",
                "check the network to the API server",
            ) from exc
        if status != 101:
            raise self._handshake_error(status, body)
        self.ws = wsframe.WebSocket(sock, reader)
        if headers.get("sec-websocket-accept") != wsframe.accept_for(key):
            self.close()
            raise ClusterError(
                f"exec into {self.namespace}/{self.pod}: the server's websocket answer is wrong",
                "a proxy between us and the API server may be mangling the upgrade",
            )
        self.protocol = headers.get("sec-websocket-protocol", "")
        if self.protocol not in (V5, V4):
            self.close()
            raise ClusterError(
                f"the API server offered exec protocol {self.protocol or 'none'!r}",
                "kubectl-bridge needs v4.channel.k8s.io or newer (Kubernetes >= 1.4)",
            )
        return self

    def _handshake_error(self, status: int, body: Any) -> ClusterError:
        try:
            msg = str(json.loads(body or b"{}").get("message", ""))
        except (ValueError, AttributeError):
            msg = " ".join(str(body or "").split())[:200]
        ref = f"{self.namespace}/{self.pod}"
        if status == 403:
            right = describe_right("create", "pods/exec", self.namespace)
            return ClusterError(
                f"not allowed to {right}: {msg}",
                "ask for create and get on pods/exec in that namespace",
            )
        if status == 404:
            return ClusterError(f"pod {ref} disappeared before exec", "run the command again")
        return ClusterError(
            f"exec into {ref} refused ({status}): {msg or 'no message'}",
            "rerun with --debug for details",
        )

    def _remaining(self) -> float:
        return max(self.deadline - time.monotonic(), 0.001)

    def _timeout(self) -> ClusterError:
        return ClusterError(
            f"exec into {self.namespace}/{self.pod} did not finish within {self.timeout:g}s",
            "the node may be overloaded; raise --request-timeout",
        )

    def close(self) -> None:
        """Close the websocket (safe to call twice)."""
        if self.ws is not None:
            self.ws.close()
            self.ws = None

    def __enter__(self) -> ExecStream:
        return self.open()

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- data -----------------------------------------------------------------

    def send(self, data: bytes) -> None:
        """Write to the process's stdin, in frames of at most 64 KiB."""
        try:
            for start in range(0, len(data), CHUNK):
                self.ws.settimeout(self._remaining())
                self.ws.send(wsframe.OP_BINARY, bytes([STDIN]) + data[start : start + CHUNK])
        except TimeoutError as exc:
            raise self._timeout() from exc
        except OSError as exc:
            raise ExecDroppedError(
                f"exec into {self.namespace}/{self.pod} dropped while sending",
                "run the command again",
            ) from exc

    def close_stdin(self) -> None:
        """v5 only: tell the process stdin is done (v4 cannot; harmless to skip)."""
        if self.protocol == V5:
            self.ws.send(wsframe.OP_BINARY, bytes([CLOSE, STDIN]))

    def pump(self) -> bool:
        """Receive one message into the buffers; False once the stream has ended."""
        self.ws.settimeout(self._remaining())
        try:
            opcode, data = self.ws.recv()
        except TimeoutError as exc:
            raise self._timeout() from exc
        except OSError:
            return False
        if opcode == wsframe.OP_CLOSE:
            return False
        if data:
            channel, body = data[0], bytes(data[1:])
            if channel == STDOUT:
                self.stdout += body
            elif channel == STDERR:
                self.stderr += body
            elif channel == STATUS and body:
                self.status = _parse_status(body)
        return True

    def read_stdout(self, size: int) -> bytes | None:
        """Wait for ``size`` bytes of stdout and take them; None if the process ended first."""
        while len(self.stdout) < size:
            if self.status is not None or not self.pump():
                return None
        out = bytes(self.stdout[:size])
        del self.stdout[:size]
        return out

    def finish(self) -> ExecResult:
        """Read to the end; the result, or ``ExecDroppedError`` if no status came."""
        while self.status is None and self.pump():
            pass
        if self.status is None:
            raise ExecDroppedError(
                f"exec into {self.namespace}/{self.pod} ended without an exit status",
                "the connection to the node was lost; run the command again",
            )
        return ExecResult(
            bytes(self.stdout), bytes(self.stderr), exit_code_of(self.status), self.status
        )


def _parse_status(body: bytes) -> dict[str, Any]:
    try:
        status = json.loads(body)
    except ValueError:
        return {"status": "Failure", "message": body.decode("utf-8", "replace")}
    return status if isinstance(status, dict) else {"status": "Failure"}
