"""The agent's wire format: one length-prefixed request in, one JSON document out.

Exec over the Kubernetes v4 stream protocol cannot half-close stdin, so the
agent must never wait for EOF: the request is an 8-byte big-endian length
followed by exactly that many bytes of JSON.  The reply is one JSON document
on stdout: a snapshot, or ``{"error": {"type", "message", "hint"}}`` with
exit status 3.  Standard library only: this ships to the node.
"""

from __future__ import annotations

import json
import struct
from typing import IO, Any

from ..errors import BridgeError, CollectError, TargetError
from ..model import Request, SchemaError, Snapshot, from_jsonable, parse, to_jsonable

#: Exit status of the agent when it answers with an error document.
EXIT_AGENT_ERROR = 3
#: A request is a few hundred bytes; anything near this is not a request.
MAX_REQUEST = 1 << 20
HEADER = struct.Struct(">Q")
ERROR_TYPES: dict[str, type[BridgeError]] = {
    "TargetError": TargetError,
    "CollectError": CollectError,
}


def encode_request(request: Request) -> bytes:
    """The bytes to write to the agent's stdin."""
    body = json.dumps(to_jsonable(request)).encode("utf-8")
    return HEADER.pack(len(body)) + body


def read_request(stream: IO[bytes]) -> Request:
    """Read exactly one request from a binary stream, never past its end."""
    header = _read_exactly(stream, HEADER.size)
    (length,) = HEADER.unpack(header)
    if length > MAX_REQUEST:
        raise CollectError(
            f"request length {length} is implausible",
            "the plugin and agent disagree on the protocol; use the same version of both",
        )
    body = _read_exactly(stream, length)
    try:
        return from_jsonable(Request, json.loads(body))
    except (ValueError, SchemaError) as exc:
        raise CollectError(f"unreadable request: {exc}", "use the same plugin and agent") from exc


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            raise CollectError(
                f"request ended after {size - remaining} of {size} bytes",
                "the request must be an 8-byte big-endian length and that many bytes of JSON",
            )
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def encode_error(exc: BridgeError) -> str:
    """The error document the agent prints instead of a snapshot."""
    kind = "TargetError" if isinstance(exc, TargetError) else "CollectError"
    doc: dict[str, Any] = {"error": {"type": kind, "message": exc.message, "hint": exc.hint}}
    return json.dumps(doc)


def decode_response(data: bytes) -> Snapshot:
    """The agent's stdout as a snapshot, or its error raised as the right class."""
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise CollectError(
            f"the agent's answer is not JSON: {_preview(data)}",
            "rerun with --debug to see the agent's output",
        ) from exc
    if isinstance(doc, dict) and isinstance(doc.get("error"), dict):
        err = doc["error"]
        cls = ERROR_TYPES.get(str(err.get("type")), CollectError)
        raise cls(str(err.get("message", "the agent failed")), str(err.get("hint") or ""))
    try:
        return parse(data)
    except SchemaError as exc:
        raise CollectError(
            f"the agent's snapshot cannot be read: {exc}",
            "the plugin and agent versions differ; upgrade the plugin",
        ) from exc


def _preview(data: bytes, size: int = 80) -> str:
    text = data[:size].decode("utf-8", "replace")
    return repr(text + ("…" if len(data) > size else ""))
