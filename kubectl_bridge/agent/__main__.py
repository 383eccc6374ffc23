"""``python -m kubectl_bridge.agent``: one request on stdin, one JSON document on stdout.

The request is length-prefixed (``protocol``): stdin is never read to EOF,
because exec streams cannot half-close it.  On failure the document is an
error object and the exit status is 3, so the plugin can tell "the agent
said no" from "the agent crashed".
"""

from __future__ import annotations

import sys

from ..errors import BridgeError, CollectError
from ..model import dump
from .protocol import EXIT_AGENT_ERROR, encode_error, read_request


def main() -> int:
    """Serve one request."""
    try:
        request = read_request(sys.stdin.buffer)
        from .collect import collect

        snapshot = collect(request)
    except BridgeError as exc:
        sys.stdout.write(encode_error(exc) + "\n")
        sys.stdout.flush()
        return EXIT_AGENT_ERROR
    except Exception as exc:  # still one JSON document, never a bare traceback
        err = CollectError(f"agent failed: {type(exc).__name__}: {exc}", "report this as a bug")
        sys.stdout.write(encode_error(err) + "\n")
        sys.stdout.flush()
        return EXIT_AGENT_ERROR
    sys.stdout.write(dump(snapshot) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
