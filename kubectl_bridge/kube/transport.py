"""HTTPS to the API server: one TLS setup, kept-alive connections, an upgrade for exec.

Why our own and not the kubernetes client: importing that client costs
0.4-0.5 s (every API class and model is loaded), more than the rest of a
warm ``describe``; ``http.client`` and ``ssl`` cost ~25 ms.  We need very
little of HTTP: JSON requests, one streamed watch, and the websocket upgrade
that ``pods/exec`` starts with.

Connections are kept alive and reused, so a warm run pays for one TLS
handshake: the REST calls share a connection, and the exec upgrade takes
that same connection over (:meth:`Transport.upgrade`).  Threads (the
preflight's parallel reviews) each take their own from the idle pool.
"""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from ..errors import ClusterError
from .credentials import Credentials


@dataclass(frozen=True)
class Endpoint:
    """Where the API server is and how to trust it (a kubeconfig cluster, resolved)."""

    server: str  # https://host:port[/prefix]
    ca_file: str | None = None
    ca_data: bytes | None = None  # PEM
    insecure: bool = False
    tls_server_name: str | None = None
    proxy_url: str | None = None
    credentials: Credentials = field(default_factory=Credentials)

    @property
    def url(self) -> Any:
        """The parsed server URL."""
        return urlparse(self.server)


class Response:
    """One finished (or, for a watch, streaming) response."""

    def __init__(self, status: int, body: bytes, raw: http.client.HTTPResponse | None) -> None:
        self.status = status
        self.body = body
        self.raw = raw  # set only for a stream: read it, then release()
        self._release: Any = None

    def release(self) -> None:
        """Done with a stream: its connection cannot be reused mid-body, so close it."""
        if self.raw is not None:
            self.raw.close()
        if self._release is not None:
            self._release()


class _Connection(http.client.HTTPSConnection):
    """An HTTPS connection whose certificate check may use ``tls-server-name``."""

    def __init__(self, host: str, port: int | None, *, sni: str | None, **kw: Any) -> None:
        super().__init__(host, port, **kw)
        self.sni = sni

    def connect(self) -> None:
        """Like ``HTTPSConnection.connect``, with the name to verify chosen by us."""
        http.client.HTTPConnection.connect(self)
        name = self.sni or self._tunnel_host or self.host  # type: ignore[attr-defined]
        self.sock = self._context.wrap_socket(  # type: ignore[attr-defined]
            self.sock, server_hostname=name
        )


def ssl_context(endpoint: Endpoint) -> ssl.SSLContext:
    """Trust the kubeconfig's CA (or the system's), present a client certificate if any."""
    ca_text = endpoint.ca_data.decode("ascii", "replace") if endpoint.ca_data else None
    try:
        ctx = ssl.create_default_context(cafile=endpoint.ca_file, cadata=ca_text)
    except (OSError, ssl.SSLError, ValueError) as exc:
        raise ClusterError(
            f"cannot load the certificate authority for {endpoint.server}: {_one_line(exc)}",
            "check certificate-authority(-data) of the cluster in the kubeconfig",
        ) from exc
    if endpoint.insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    cert, key = endpoint.credentials.client_cert()
    if cert is not None and key is not None:
        _load_cert_chain(ctx, cert, key)
    return ctx


def _load_cert_chain(ctx: ssl.SSLContext, cert: bytes | str, key: bytes | str) -> None:
    """``ssl`` reads certificates only from files: write ``*-data`` to a private temp dir."""
    import tempfile  # only with a client certificate

    with tempfile.TemporaryDirectory(prefix="kubectl-bridge-tls-") as tmp:
        paths = []
        for name, value in (("cert.pem", cert), ("key.pem", key)):
            if isinstance(value, str):
                paths.append(value)
                continue
            path = os.path.join(tmp, name)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(value)
            paths.append(path)
        try:
            ctx.load_cert_chain(paths[0], paths[1])
        except (OSError, ssl.SSLError) as exc:
            raise ClusterError(
                f"cannot load the client certificate and key: {_one_line(exc)}",
                "check client-certificate(-data) and client-key(-data) of the kubeconfig user",
            ) from exc


class Transport:
    """Requests to one API server over a small pool of kept-alive connections."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        url = endpoint.url
        if url.scheme not in ("https", "http"):
            raise ClusterError(
                f"the API server address {endpoint.server!r} is not an http(s) URL",
                "check the cluster's server in the kubeconfig",
            )
        self.host = url.hostname or ""
        self.port = url.port or (443 if url.scheme == "https" else 80)
        self.prefix = url.path.rstrip("/")
        self._context: ssl.SSLContext | None = None
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    # --- connections --------------------------------------------------------

    def _new_connection(self, timeout: float | None) -> http.client.HTTPConnection:
        proxy = self.endpoint.proxy_url
        host, port = self.host, self.port
        if proxy:
            purl = urlparse(proxy)
            if purl.scheme != "http":
                raise ClusterError(
                    f"proxy-url {proxy} is not supported (only http:// proxies are)",
                    "use an http:// proxy, or reach the API server directly",
                )
            host, port = purl.hostname or "", purl.port or 80
        conn: http.client.HTTPConnection
        if self.endpoint.url.scheme == "http":
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
        else:
            with self._lock:
                if self._context is None:
                    self._context = ssl_context(self.endpoint)
                context = self._context
            conn = _Connection(
                host, port, sni=self.endpoint.tls_server_name, timeout=timeout, context=context
            )
        if proxy:
            conn.set_tunnel(self.host, self.port)
        return conn

    def _take(self, timeout: float | None) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            if self._idle:
                conn = self._idle.pop()
                conn.timeout = timeout
                if conn.sock is not None:
                    conn.sock.settimeout(timeout)
                return conn, True
        return self._new_connection(timeout), False

    def _give_back(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            self._idle.append(conn)

    def close(self) -> None:
        """Close every idle connection."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    # --- requests -----------------------------------------------------------

    def headers(self) -> dict[str, str]:
        """Authentication and impersonation headers for every request (exec included)."""
        return self.endpoint.credentials.headers()

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        timeout: float | None = None,
        stream: bool = False,
        retry: bool = True,
    ) -> Response:
        """Send one request; a kept-alive connection the server closed is retried once.

        ``retry`` False for requests that must not be sent twice (creating a pod).
        """
        headers = {"Accept": "application/json", **self.headers()}
        if body is not None:
            headers["Content-Type"] = "application/json"
        while True:
            conn, reused = self._take(timeout)
            try:
                conn.request(method, self.prefix + path, body=body, headers=headers)
                raw = conn.getresponse()
                if stream and raw.status < 300:
                    resp = Response(raw.status, b"", raw)
                    resp._release = conn.close
                    return resp
                data = raw.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                conn.close()
                if reused and retry:
                    continue  # the server closed an idle connection: try a fresh one
                raise
            except BaseException:
                conn.close()
                raise
            if raw.will_close:
                conn.close()
            else:
                self._give_back(conn)
            return Response(raw.status, data, None)

    def upgrade(
        self, path: str, protocols: list[str], key: str, timeout: float | None
    ) -> tuple[int, dict[str, str], bytes, socket.socket, Any]:
        """Start a websocket on a (preferably already open) connection.

        Returns status, headers, the body of a refusal, and the socket with
        its buffered reader — the connection now belongs to the caller.
        """
        headers = {
            **self.headers(),
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": key,
            "Sec-WebSocket-Protocol": ", ".join(protocols),
        }
        while True:
            conn, reused = self._take(timeout)
            try:
                conn.request("GET", self.prefix + path, headers=headers)
                raw = conn.getresponse()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                conn.close()
                if reused:
                    continue
                raise
            except BaseException:
                conn.close()
                raise
            found = {k.lower(): v for k, v in raw.getheaders()}
            if raw.status != 101:
                try:
                    body = raw.read()
                finally:
                    conn.close()
                return raw.status, found, body, None, None  # type: ignore[return-value]
            sock, reader = conn.sock, raw.fp
            conn.sock = None  # detached: the websocket owns the socket now,
            raw.fp = None  # type: ignore[assignment]  # closing the response would close it
            return raw.status, found, b"", sock, reader


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def transport_error(server: str, exc: BaseException) -> ClusterError:
    """One line naming the server for a failure below HTTP (connect, TLS, timeout)."""
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return ClusterError(
            f"the API server at {server} did not answer in time",
            "check the network, or raise --request-timeout",
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return ClusterError(
            f"cannot reach the API server at {server}: its certificate is not trusted "
            f"({exc.verify_message or _one_line(exc)})",
            "check certificate-authority(-data) and tls-server-name of the cluster in the "
            "kubeconfig",
        )
    if isinstance(exc, ConnectionRefusedError):
        text = "connection refused"
    elif isinstance(exc, socket.gaierror):
        text = f"name not resolved ({exc.strerror})"
    else:
        text = _one_line(exc)
    return ClusterError(
        f"cannot reach the API server at {server}: {text}",
        "check the kubeconfig context and that the cluster is up",
    )
