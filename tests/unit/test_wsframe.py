"""Websocket framing for exec: RFC 6455's own examples, fragments, pings, the end of a stream."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator

import pytest

from kubectl_bridge.kube import wsframe


def test_accept_key_from_the_rfc() -> None:
    assert wsframe.accept_for("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_masked_hello_from_the_rfc() -> None:
    frame = wsframe.encode_frame(wsframe.OP_TEXT, b"Hello", mask=bytes.fromhex("37fa213d"))
    assert frame == bytes.fromhex("818537fa213d7f9f4d5158")


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
def test_length_encodings(size: int) -> None:
    frame = wsframe.encode_frame(wsframe.OP_BINARY, b"x" * size, mask=b"\0\0\0\0")
    header = {0: 2, 125: 2, 126: 4, 65535: 4, 65536: 10}[size]
    assert len(frame) == header + 4 + size
    assert frame[header + 4 :] == b"x" * size  # a zero mask leaves the payload as is


def server_frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    head = (0x80 if fin else 0) | opcode
    if len(payload) < 126:
        return struct.pack("!BB", head, len(payload)) + payload
    return struct.pack("!BBQ", head, 127, len(payload)) + payload


@pytest.fixture
def pair() -> Iterator[tuple[wsframe.WebSocket, socket.socket]]:
    ours, theirs = socket.socketpair()
    ws = wsframe.WebSocket(ours, ours.makefile("rb"))
    ws.settimeout(5)
    try:
        yield ws, theirs
    finally:
        ws.close()
        theirs.close()


def read_client_frame(sock: socket.socket) -> tuple[int, bytes]:
    first, second = sock.recv(2)
    size = second & 0x7F
    assert second & 0x80, "client frames are masked"
    mask = sock.recv(4)
    data = b""
    while len(data) < size:
        data += sock.recv(size - len(data))
    return first & 0x0F, bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def test_fragments_are_joined_and_pings_answered(
    pair: tuple[wsframe.WebSocket, socket.socket],
) -> None:
    ws, peer = pair
    big = bytes(range(256)) * 1000
    peer.sendall(
        server_frame(wsframe.OP_BINARY, b"\x01part-", fin=False)
        + server_frame(wsframe.OP_PING, b"hi")
        + server_frame(wsframe.OP_CONT, b"two")
    )
    assert ws.recv() == (wsframe.OP_BINARY, b"\x01part-two")
    assert read_client_frame(peer) == (wsframe.OP_PONG, b"hi")
    sender = threading.Thread(target=peer.sendall, args=(server_frame(wsframe.OP_BINARY, big),))
    sender.start()  # bigger than the socket buffer
    assert ws.recv() == (wsframe.OP_BINARY, big)
    sender.join()
    ws.send(wsframe.OP_BINARY, b"\x00stdin")
    assert read_client_frame(peer) == (wsframe.OP_BINARY, b"\x00stdin")


def test_close_frame_and_eof_end_the_stream(pair: tuple[wsframe.WebSocket, socket.socket]) -> None:
    ws, peer = pair
    peer.sendall(server_frame(wsframe.OP_CLOSE, struct.pack("!H", 1000)))
    assert ws.recv()[0] == wsframe.OP_CLOSE
    assert read_client_frame(peer) == (wsframe.OP_CLOSE, struct.pack("!H", 1000))  # answered


def test_eof_between_frames_ends_and_mid_frame_fails(
    pair: tuple[wsframe.WebSocket, socket.socket],
) -> None:
    ws, peer = pair
    peer.sendall(server_frame(wsframe.OP_BINARY, b"\x01whole") + b"\x82\x10short")
    peer.shutdown(socket.SHUT_WR)
    assert ws.recv() == (wsframe.OP_BINARY, b"\x01whole")
    with pytest.raises(wsframe.FrameError, match="middle of a frame"):
        ws.recv()


def test_eof_at_a_frame_boundary() -> None:
    ours, theirs = socket.socketpair()
    ws = wsframe.WebSocket(ours, ours.makefile("rb"))
    theirs.close()
    assert ws.recv() == (wsframe.OP_CLOSE, b"")
    ws.close()
