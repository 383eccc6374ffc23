"""The agent server's framing and hand-over, over a socket pair (no server process)."""

from __future__ import annotations

import io
import json
import os
import socket
import threading
from pathlib import Path

from kubectl_bridge.agent import server
from kubectl_bridge.agent.__main__ import answer
from kubectl_bridge.agent.protocol import EXIT_AGENT_ERROR, decode_response, encode_request
from kubectl_bridge.model import Request

NO_SUCH_PID = Request(kind="pid", pid=2**22 + 12345)  # above any pid_max default


def read_frame(sock: socket.socket) -> tuple[int, bytes]:
    """The server's answer as the bootstrap's client reads it."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    assert len(data) >= 9, data
    length = int.from_bytes(data[1:9], "big")
    assert len(data) == 9 + length, "the length must cover exactly the document"
    return data[0], data[9:]


def served(request_bytes: bytes, *, hang_up: bool = False) -> tuple[int, bytes] | None:
    """Hand ``request_bytes`` to ``server.handle`` over a socket pair."""
    ours, theirs = socket.socketpair()
    ours.settimeout(30)

    def handle_and_close() -> None:  # as ``serve`` does: one connection, one answer
        with theirs:
            server.handle(theirs)

    worker = threading.Thread(target=handle_and_close)
    worker.start()
    try:
        ours.sendall(request_bytes)
        if hang_up:
            ours.close()
            worker.join(10)
            return None
        result = read_frame(ours)
    finally:
        worker.join(10)
        ours.close()
    assert not worker.is_alive()
    return result


def test_frame_is_status_length_document_with_newline() -> None:
    framed = server.frame(3, '{"a": 1}')
    assert framed[0] == 3
    assert int.from_bytes(framed[1:9], "big") == len(b'{"a": 1}\n')
    assert framed[9:] == b'{"a": 1}\n'


def test_an_agent_error_comes_back_exactly_as_a_process_prints_it() -> None:
    wire = encode_request(NO_SUCH_PID)
    result = served(wire)
    assert result is not None
    code, body = result
    process_code, process_doc = answer(io.BytesIO(wire))
    assert code == process_code == EXIT_AGENT_ERROR
    assert body == (process_doc + "\n").encode()
    assert json.loads(body)["error"]["type"] == "TargetError"


def test_a_snapshot_is_marked_as_served_by_the_server() -> None:
    code, body = served(encode_request(Request(kind="host", scope="pod"))) or (None, b"")
    assert code == 0
    snap = decode_response(body)
    assert snap.agent.served_by == "server"
    _, process_doc = answer(io.BytesIO(encode_request(Request(kind="host", scope="pod"))))
    assert decode_response(process_doc.encode()).agent.served_by == "process"


def test_a_truncated_request_is_the_usual_error_and_a_hang_up_is_survived() -> None:
    wire = encode_request(NO_SUCH_PID)
    assert served(wire[:5], hang_up=True) is None  # handle() returned, nothing raised
    half = socket.socketpair()
    half[0].settimeout(30)
    half[0].sendall(wire[:12])
    half[0].shutdown(socket.SHUT_WR)
    server.handle(half[1])
    half[1].close()
    code, body = read_frame(half[0])
    assert code == EXIT_AGENT_ERROR
    assert "request ended after" in json.loads(body)["error"]["message"]
    for s in half:
        s.close()


def test_private_dir_is_created_0700_and_refuses_what_others_may_enter(tmp_path: Path) -> None:
    mine = tmp_path / "x.srv"
    assert server.private_dir(str(mine), create=True)
    assert mine.stat().st_mode & 0o777 == 0o700
    loose = tmp_path / "loose.srv"
    loose.mkdir(mode=0o755)
    os.chmod(loose, 0o755)
    assert not server.private_dir(str(loose), create=True)
    link = tmp_path / "link.srv"
    link.symlink_to(mine)
    assert not server.private_dir(str(link), create=True)
    assert not server.private_dir(str(tmp_path / "missing"), create=False)
