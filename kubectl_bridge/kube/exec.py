"""``pods/exec`` as a binary-safe stream, with the exit status read by us.

We speak the channel protocol over websocket-client ourselves instead of
using ``kubernetes.stream``: that one decodes text, raises ``KeyError`` when
a failure has no exit code, and cannot half-close stdin.  Here:

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
import ssl
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlparse

from ..errors import ClusterError
from .api import describe_right
from .config import ClusterConfig

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

    def url(self) -> str:
        """The websocket URL of this exec call."""
        host = self.cfg.configuration.host.rstrip("/")
        scheme = {"https": "wss", "http": "ws"}.get(urlparse(host).scheme, "wss")
        base = scheme + host[host.index(":") :]
        query = [("command", c) for c in self.command]
        query += [
            ("container", self.container),
            ("stdin", "true"),
            ("stdout", "true"),
            ("stderr", "true"),
            ("tty", "false"),
        ]
        return f"{base}/api/v1/namespaces/{self.namespace}/pods/{self.pod}/exec?{urlencode(query)}"

    def _options(self) -> tuple[dict[str, Any], dict[str, Any]]:
        conf = self.cfg.configuration
        sslopt: dict[str, Any] = {"cert_reqs": ssl.CERT_NONE}
        if conf.verify_ssl:
            import certifi

            sslopt = {
                "cert_reqs": ssl.CERT_REQUIRED,
                "ca_certs": conf.ssl_ca_cert or certifi.where(),
            }
            if conf.assert_hostname is not None:
                sslopt["check_hostname"] = conf.assert_hostname
        if conf.cert_file:
            sslopt["certfile"] = conf.cert_file
        if conf.key_file:
            sslopt["keyfile"] = conf.key_file
        if getattr(conf, "tls_server_name", None):
            sslopt["server_hostname"] = conf.tls_server_name
        headers = []
        token = conf.get_api_key_with_prefix("authorization")
        if token:
            headers.append(f"Authorization: {token}")
        connect: dict[str, Any] = {"header": headers, "subprotocols": list(self.protocols)}
        if conf.proxy:
            proxy = urlparse(conf.proxy)
            connect.update(
                http_proxy_host=proxy.hostname, http_proxy_port=proxy.port, proxy_type="http"
            )
            if conf.no_proxy:
                connect["http_no_proxy"] = conf.no_proxy.split(",")
        return sslopt, connect

    def open(self) -> ExecStream:
        """Connect and negotiate the protocol; errors name the pod and the right."""
        import websocket

        sslopt, connect = self._options()
        self.ws = websocket.WebSocket(sslopt=sslopt, skip_utf8_validation=True)
        self.ws.settimeout(self._remaining())
        try:
            self.ws.connect(self.url(), **connect)
        except websocket.WebSocketBadStatusException as exc:
            raise self._handshake_error(exc.status_code, exc.resp_body) from exc
        except websocket.WebSocketTimeoutException as exc:
            raise self._timeout() from exc
        except (OSError, websocket.WebSocketException) as exc:
            raise ExecDroppedError(
                f"exec into {self.namespace}/{self.pod} could not connect: {exc}",
                "check the network to the API server",
            ) from exc
        self.protocol = self.ws.getsubprotocol() or ""
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
            try:
                self.ws.close(timeout=0.5)
            except Exception:
                self.ws.shutdown()
            self.ws = None

    def __enter__(self) -> ExecStream:
        return self.open()

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- data -----------------------------------------------------------------

    def send(self, data: bytes) -> None:
        """Write to the process's stdin, in frames of at most 64 KiB."""
        import websocket

        try:
            for start in range(0, len(data), CHUNK):
                self.ws.settimeout(self._remaining())
                self.ws.send_bytes(bytes([STDIN]) + data[start : start + CHUNK])
        except websocket.WebSocketTimeoutException as exc:
            raise self._timeout() from exc
        except (OSError, websocket.WebSocketException) as exc:
            raise ExecDroppedError(
                f"exec into {self.namespace}/{self.pod} dropped while sending",
                "run the command again",
            ) from exc

    def close_stdin(self) -> None:
        """v5 only: tell the process stdin is done (v4 cannot; harmless to skip)."""
        if self.protocol == V5:
            self.ws.send_bytes(bytes([CLOSE, STDIN]))

    def pump(self) -> bool:
        """Receive one frame into the buffers; False once the stream has ended."""
        import websocket

        self.ws.settimeout(self._remaining())
        try:
            opcode, data = self.ws.recv_data(control_frame=True)
        except websocket.WebSocketTimeoutException as exc:
            raise self._timeout() from exc
        except (OSError, websocket.WebSocketException):
            return False
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return False
        if opcode in (websocket.ABNF.OPCODE_BINARY, websocket.ABNF.OPCODE_TEXT) and data:
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
