"""Starting the stand-in API server process and calling it: what tests and the sandbox share.

Tests start the server as a child that dies with them
(``apiserver.start_background``); ``kubectl bridge sandbox up`` starts it
detached and records it first (``labserver.start``).  Either way it is handed
a state file, announces its URL in a ready file, and is called with the
bearer token from the state: those steps live here once.
"""

from __future__ import annotations

import contextlib
import json
import os
import ssl
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Launch:
    """The files of one server run, all in its work directory."""

    workdir: str
    state: str
    ready: str
    log: str

    def argv(self, kubeconfig: str, *extra: str) -> list[str]:
        """``python -m kubectl_bridge.sandbox.apiserver`` on these files."""
        return [sys.executable, "-m", "kubectl_bridge.sandbox.apiserver", "--state", self.state,
                "--ready-file", self.ready, "--kubeconfig", kubeconfig, *extra]  # fmt: skip

    def wait(self, proc: subprocess.Popen[bytes], timeout: float) -> bool:
        """True once the server listens; False if it exited or ``timeout`` passed first."""
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.ready):
            if proc.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def endpoint(self) -> tuple[str, str | None]:
        """(URL, CA file): a TLS server made its certificate in the work directory."""
        url = Path(self.ready).read_text(encoding="utf-8").strip()
        ca_file = os.path.join(self.workdir, "tls.crt") if url.startswith("https:") else None
        return url, ca_file

    def log_tail(self, chars: int) -> str:
        """The end of the server's log, for the error that says it did not start."""
        return Path(self.log).read_text(encoding="utf-8", errors="replace")[-chars:]


def prepare(workdir: str, state: dict[str, Any]) -> Launch:
    """Write ``state`` and remove a ready file a previous run left behind."""
    launch = Launch(
        workdir,
        state=os.path.join(workdir, "state.json"),
        ready=os.path.join(workdir, "ready"),
        log=os.path.join(workdir, "apiserver.log"),
    )
    Path(launch.state).write_text(json.dumps(state), encoding="utf-8")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(launch.ready)
    return launch


class Caller:
    """``request()`` for a handle that knows the server's URL, token and CA file."""

    url: str
    token: str
    ca_file: str | None

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """Call the server (admin hooks included) with the token; the parsed JSON answer."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.token}")
        req.add_header("Content-Type", "application/json")
        context = ssl.create_default_context(cafile=self.ca_file) if self.ca_file else None
        with urllib.request.urlopen(req, timeout=10, context=context) as resp:
            return json.loads(resp.read())
