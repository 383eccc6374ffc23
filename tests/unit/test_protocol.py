"""The agent's framing: length-prefixed request in, one JSON document out."""

from __future__ import annotations

import io
import json
import struct

import pytest

from kubectl_bridge import model
from kubectl_bridge.agent.protocol import (
    decode_response,
    encode_error,
    encode_request,
    read_request,
)
from kubectl_bridge.errors import CollectError, TargetError

REQ = model.Request(
    kind="pod",
    container_ids=("containerd://" + "ab" * 32,),
    pod_uid="8f4e2b4c-1d2e-4f5a-9b8c-7d6e5f4a3b2c",
    pod_ips=("10.244.1.7",),
    pod_name="nginx",
    pod_namespace="web",
)


class NoEof(io.RawIOBase):
    """A stream that blocks (fails the test) if read past what was written."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size < 0 or not self.data:
            raise AssertionError("read past the request: would wait for EOF")
        chunk, self.data = self.data[: min(size, 3)], self.data[min(size, 3) :]
        return chunk


def test_round_trip_reads_exactly_the_request() -> None:
    data = encode_request(REQ)
    (length,) = struct.unpack(">Q", data[:8])
    assert length == len(data) - 8
    assert json.loads(data[8:])["container_ids"] == list(REQ.container_ids)
    assert read_request(NoEof(data)) == REQ  # type: ignore[arg-type]


def test_trailing_bytes_are_left_unread() -> None:
    stream = io.BytesIO(encode_request(REQ) + b"garbage")
    assert read_request(stream) == REQ
    assert stream.read() == b"garbage"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x00", "ended after 2 of 8 bytes"),
        (struct.pack(">Q", 10) + b"{}", "ended after 2 of 10 bytes"),
        (struct.pack(">Q", 1 << 40), "implausible"),
        (struct.pack(">Q", 5) + b"nope!", "unreadable request"),
        (struct.pack(">Q", 2) + b"{}", "missing 'kind'"),
    ],
)
def test_bad_requests(data: bytes, message: str) -> None:
    with pytest.raises(CollectError, match=message):
        read_request(io.BytesIO(data))


def test_error_documents_come_back_as_the_right_class() -> None:
    doc = encode_error(TargetError("no pod", "check the node"))
    assert json.loads(doc) == {
        "error": {"type": "TargetError", "message": "no pod", "hint": "check the node"}
    }
    with pytest.raises(TargetError) as err:
        decode_response(doc.encode())
    assert (err.value.message, err.value.hint) == ("no pod", "check the node")
    with pytest.raises(CollectError, match="netlink"):
        decode_response(encode_error(CollectError("netlink failed")).encode())


def test_decode_rejects_garbage_and_foreign_versions() -> None:
    with pytest.raises(CollectError, match="not JSON"):
        decode_response(b"Traceback (most recent call last):")
    with pytest.raises(CollectError, match="schema version 99"):
        decode_response(b'{"schema_version": 99}')
