"""The client side of RFC 6455 framing: just enough websocket for ``pods/exec``.

The handshake is an ordinary HTTP request (``transport.upgrade``) on a
kept-alive connection; after the server's ``101`` the socket carries frames.
We send masked binary frames, read the server's unmasked ones (joining
fragments), answer pings, and close.  ~100 lines instead of a dependency
whose import alone costs ~30 ms on every run.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import socket
import struct
from typing import Any

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_MESSAGE = 256 << 20  # a snapshot of a big node is a few MB; refuse absurd lengths


class FrameError(OSError):
    """The peer broke the framing rules, or closed the socket mid-frame."""


def new_key() -> str:
    """A fresh ``Sec-WebSocket-Key``."""
    return base64.b64encode(os.urandom(16)).decode()


def accept_for(key: str) -> str:
    """The ``Sec-WebSocket-Accept`` a server must answer to ``key``."""
    return base64.b64encode(hashlib.sha1(key.encode() + _GUID).digest()).decode()


def encode_frame(opcode: int, payload: bytes, mask: bytes | None = None) -> bytes:
    """One final, masked client frame (``mask`` fixed only in tests)."""
    mask = os.urandom(4) if mask is None else mask
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    return head + mask + _xor(payload, mask)


def _xor(data: bytes, mask: bytes) -> bytes:
    if not data:
        return b""
    key = int.from_bytes((mask * (len(data) // 4 + 1))[: len(data)], "big")
    return (int.from_bytes(data, "big") ^ key).to_bytes(len(data), "big")


class WebSocket:
    """Frames over an upgraded connection: ``sock`` to write, ``reader`` (buffered) to read."""

    def __init__(self, sock: socket.socket, reader: Any) -> None:
        self.sock = sock
        self.reader = reader
        self.closed = False

    def settimeout(self, seconds: float) -> None:
        """Bound the next send or receive."""
        self.sock.settimeout(seconds)

    def send(self, opcode: int, payload: bytes) -> None:
        """Send one whole message."""
        self.sock.sendall(encode_frame(opcode, payload))

    def _exactly(self, size: int) -> bytes:
        data = self.reader.read(size) if size else b""
        if len(data) != size:
            raise FrameError("the connection closed in the middle of a frame")
        return bytes(data)

    def _frame(self) -> tuple[bool, int, bytes]:
        first, second = self._exactly(2)
        size = second & 0x7F
        if size == 126:
            (size,) = struct.unpack("!H", self._exactly(2))
        elif size == 127:
            (size,) = struct.unpack("!Q", self._exactly(8))
        if size > MAX_MESSAGE:
            raise FrameError(f"a websocket frame of {size} bytes is too big")
        mask = self._exactly(4) if second & 0x80 else None
        payload = self._exactly(size)
        return bool(first & 0x80), first & 0x0F, _xor(payload, mask) if mask else payload

    def recv(self) -> tuple[int, bytes]:
        """The next message (opcode, payload); pings are answered on the way.

        At the end of the stream (a close frame, or EOF between frames) the
        opcode is ``OP_CLOSE``.
        """
        parts: list[bytes] = []
        opcode = None
        while True:
            if not parts and not self.reader.peek(1):
                return OP_CLOSE, b""
            fin, op, payload = self._frame()
            if op == OP_PING:
                self.send(OP_PONG, payload)
                continue
            if op == OP_PONG:
                continue
            if op == OP_CLOSE:
                self.close()
                return OP_CLOSE, payload
            if op != OP_CONT:
                opcode = op
            parts.append(payload)
            total = sum(len(p) for p in parts)
            if total > MAX_MESSAGE:
                raise FrameError("a websocket message is too big")
            if fin and opcode is not None:
                return opcode, b"".join(parts)

    def close(self) -> None:
        """Say goodbye (best effort) and close the socket; safe to call twice."""
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(OSError):
            self.sock.settimeout(0.5)
            self.sock.sendall(encode_frame(OP_CLOSE, struct.pack("!H", 1000)))
        for thing in (self.reader, self.sock):
            with contextlib.suppress(OSError):
                thing.close()
