"""A throw-away PKI and small HTTPS servers on loopback, for the API client's tests.

``openssl`` makes a CA, a server certificate (for 127.0.0.1 and
``kube.internal``, or for the name only), a client certificate and a second,
unrelated CA.  ``Server`` answers JSON like an API server, records each
request with the client port (one port = one connection) and the client
certificate's CN, and can close kept-alive connections to test retries.
``Proxy`` is an HTTP CONNECT proxy that counts tunnels.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
NEEDS_OPENSSL = pytest.mark.skipif(not shutil.which("openssl"), reason="needs openssl")


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)


def _leaf(d: Path, name: str, cn: str, ca: str, ext: str) -> None:
    key, csr, crt = d / f"{name}.key", d / f"{name}.csr", d / f"{name}.crt"
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={cn}")  # fmt: skip
    (d / f"{name}.ext").write_text(ext)
    _openssl("x509", "-req", "-in", str(csr), "-CA", str(d / f"{ca}.crt"),
             "-CAkey", str(d / f"{ca}.key"), "-CAcreateserial", "-out", str(crt),
             "-days", "2", "-extfile", str(d / f"{name}.ext"))  # fmt: skip


def make_pki(d: Path) -> Path:
    """ca, other-ca, server (IP + name), named (name only), client: .crt/.key in ``d``."""
    for ca in ("ca", "other-ca"):
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                 "-nodes", "-keyout", str(d / f"{ca}.key"), "-out", str(d / f"{ca}.crt"),
                 "-days", "2", "-subj", f"/CN={ca}",
                 "-addext", "basicConstraints=critical,CA:TRUE")  # fmt: skip
    _leaf(d, "server", "kube-apiserver", "ca",
          "subjectAltName=IP:127.0.0.1,DNS:kube.internal\n")  # fmt: skip
    _leaf(d, "named", "kube-apiserver", "ca", "subjectAltName=DNS:kube.internal\n")
    _leaf(d, "client", "alice", "ca", "extendedKeyUsage=clientAuth\n")
    return d


@dataclass
class Seen:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    port: int  # the client's port: one per connection
    client_cn: str | None
    body: bytes


@dataclass
class Server:
    """An HTTPS server on 127.0.0.1 that answers like a tiny API server."""

    pki: Path
    cert: str = "server"
    require_client_cert: bool = False
    answer: Callable[[Seen], tuple[int, Any]] = lambda seen: (200, {"kind": "Pod"})
    close_after: int = 0  # close each connection after this many requests (0: never)
    frames: list[bytes] = field(default_factory=list)  # sent after a websocket upgrade
    seen: list[Seen] = field(default_factory=list)

    def __enter__(self) -> Server:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(self.pki / "ca.crt"))
        ctx.load_cert_chain(str(self.pki / f"{self.cert}.crt"), str(self.pki / f"{self.cert}.key"))
        ctx.verify_mode = ssl.CERT_REQUIRED if self.require_client_cert else ssl.CERT_OPTIONAL
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: Any) -> None:
                pass

            def _serve(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                peer = self.connection.getpeercert()  # type: ignore[attr-defined]
                cn = None
                for rdn in (peer or {}).get("subject", ()):
                    for key, value in rdn:
                        cn = value if key == "commonName" else cn
                seen = Seen(self.command, self.path, dict(self.headers.items()),
                            self.client_address[1], cn, self.rfile.read(size))  # fmt: skip
                owner.seen.append(seen)
                if self.headers.get("Upgrade") == "websocket":
                    self._upgrade()
                    return
                status, body = owner.answer(seen)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                mine = [s for s in owner.seen if s.port == seen.port]
                if owner.close_after and len(mine) >= owner.close_after:
                    self.close_connection = True  # but say nothing: a silent idle close
                self.end_headers()
                self.wfile.write(data)

            def _upgrade(self) -> None:
                """Accept, send the scripted frames (server frames: unmasked), close."""
                key = self.headers["Sec-WebSocket-Key"].encode()
                accept = base64.b64encode(hashlib.sha1(key + WS_GUID).digest()).decode()
                self.send_response(101)
                self.send_header("Upgrade", "websocket")
                self.send_header("Connection", "Upgrade")
                self.send_header("Sec-WebSocket-Accept", accept)
                self.send_header("Sec-WebSocket-Protocol", "v5.channel.k8s.io")
                self.end_headers()
                for frame in owner.frames:
                    self.wfile.write(frame)
                self.wfile.flush()
                self.close_connection = True

            do_GET = do_POST = do_DELETE = _serve  # noqa: N815

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        """``https://127.0.0.1:PORT``."""
        return f"https://127.0.0.1:{self.port}"

    def __exit__(self, *_: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class Proxy:
    """An HTTP CONNECT proxy on 127.0.0.1 that counts the tunnels it opened."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.tunnels: list[str] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(4096)
            if not chunk:
                return
            head += chunk
        target = head.split(b" ")[1].decode()
        self.tunnels.append(target)
        host, port = target.rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)))
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=_pipe, args=(a, b), daemon=True).start()

    def close(self) -> None:
        """Stop accepting."""
        self.listener.close()


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := src.recv(65536):
            dst.sendall(data)
    for s in (src, dst):
        with contextlib.suppress(OSError):
            s.shutdown(socket.SHUT_RDWR)
