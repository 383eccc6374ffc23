"""``python -m kubectl_bridge.agent``: one request on stdin, one JSON document on stdout.

The request is length-prefixed (``protocol``): stdin is never read to EOF,
because exec streams cannot half-close it.  On failure the document is an
error object and the exit status is 3, so the plugin can tell "the agent
said no" from "the agent crashed".  :func:`answer` is the same work without
the stdio, so the agent server (``server``) answers exactly as a process does.
"""

from __future__ import annotations

import dataclasses
import sys
from typing import IO

from ..errors import BridgeError, CollectError
from ..model import dump
from .protocol import EXIT_AGENT_ERROR, encode_error, read_request


def answer(stream: IO[bytes], *, served_by: str = "process") -> tuple[int, str]:
    """(exit status, JSON document) for the one request read from ``stream``."""
    try:
        request = read_request(stream)
        from .collect import collect

        snapshot = collect(request)
    except BridgeError as exc:
        return EXIT_AGENT_ERROR, encode_error(exc)
    except Exception as exc:  # still one JSON document, never a bare traceback
        err = CollectError(f"agent failed: {type(exc).__name__}: {exc}", "report this as a bug")
        return EXIT_AGENT_ERROR, encode_error(err)
    if served_by != snapshot.agent.served_by:
        agent = dataclasses.replace(snapshot.agent, served_by=served_by)
        snapshot = dataclasses.replace(snapshot, agent=agent)
    return 0, dump(snapshot)


def main(stream: IO[bytes] | None = None) -> int:
    """Serve one request (from ``stream``, else stdin)."""
    code, document = answer(stream or sys.stdin.buffer)
    sys.stdout.write(document + "\n")
    sys.stdout.flush()
    return code


if __name__ == "__main__":
    sys.exit(main())
