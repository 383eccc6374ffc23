"""Errors a user can cause or meet, each with what happened and what to do.

Only ``cli.main`` turns these into output and an exit status; everything
else raises.  The client library's own exception is chained as ``__cause__``
so ``--debug`` can still show it.
"""

from __future__ import annotations

#: Exit statuses.  kubectl plugins have no convention beyond "non-zero is
#: failure"; we keep usage errors apart so scripts can tell them from a
#: cluster that said no.
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class BridgeError(Exception):
    """Base of every error shown to the user as one line plus a hint."""

    exit_status = EXIT_FAILURE

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UsageError(BridgeError):
    """The command line asks for something that cannot be done as written."""

    exit_status = EXIT_USAGE


class TargetError(BridgeError):
    """The pod, process or namespace named does not exist or cannot be read."""


class CollectError(BridgeError):
    """The agent could not read the kernel's view."""


class ClusterError(BridgeError):
    """The API server refused or failed a request."""


class SnapshotError(BridgeError):
    """A saved or received snapshot could not be read."""
