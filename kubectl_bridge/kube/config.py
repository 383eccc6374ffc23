"""Kubeconfig, ``--context``, ``-n`` and ``--request-timeout`` as kubectl reads them.

kubectl passes none of its global flags to a plugin, so we implement them,
with kubectl's rules: with several files in ``KUBECONFIG`` the FIRST file
that sets ``current-context`` wins (the python client took the last), named
clusters, users and contexts merge first-wins, and ``KUBECONFIG`` is read
when called, from the environment we are given.  Inside a pod with no
kubeconfig, the service account is used (in-cluster config).
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import ClusterError, UsageError

if TYPE_CHECKING:
    from .transport import Endpoint, Transport

DEFAULT_REQUEST_TIMEOUT = 30.0
DEFAULT_KUBECONFIG = "~/.kube/config"
SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")


def parse_duration(text: str | None, *, default: float, flag: str) -> float:
    """Seconds from a kubectl-style duration: ``30s``, ``1m30s``, ``500ms``, ``10``.

    ``0`` means "no timeout" as in kubectl; callers treat 0.0 as None.
    """
    if text is None or text == "":
        return default
    text = text.strip()
    if text.isdigit():
        return float(text)
    pos, total = 0, 0.0
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    for match in _DURATION.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * scale[match.group(2)]
        pos = match.end()
    if pos != len(text) or pos == 0:
        raise UsageError(
            f"{flag} {text!r} is not a duration", "use a number with a unit, e.g. 30s, 2m, 500ms"
        )
    return total


def kubeconfig_paths(explicit: str | None, environ: Mapping[str, str]) -> list[str]:
    """The files kubectl would read, in order; missing ones are skipped like kubectl does."""
    if explicit:
        path = os.path.expanduser(explicit)
        if not os.path.isfile(path):
            raise ClusterError(f"kubeconfig {explicit} does not exist", "check --kubeconfig")
        return [path]
    listed = environ.get("KUBECONFIG")
    if listed:
        candidates = [os.path.expanduser(p) for p in listed.split(os.pathsep) if p]
    else:
        home = environ.get("HOME")
        base = os.path.join(home, ".kube", "config") if home else DEFAULT_KUBECONFIG
        candidates = [os.path.expanduser(base)]
    return [p for p in candidates if os.path.isfile(p)]


@dataclass(frozen=True)
class Selection:
    """The context kubectl would use and what it says (namespace, user, cluster)."""

    context: str
    namespace: str
    user: str | None
    cluster: str | None = None


def select_context(docs: list[dict[str, Any]], wanted: str | None) -> Selection:
    """Pick the context from parsed kubeconfig documents, kubectl's way.

    ``current-context`` comes from the first document that sets it; a named
    context from the first document that defines that name.
    """
    name = wanted
    if not name:
        name = next((d.get("current-context") for d in docs if d.get("current-context")), None)
    if not name:
        raise ClusterError(
            "no current context in the kubeconfig",
            "pass --context NAME or run 'kubectl config use-context NAME'",
        )
    for doc in docs:
        for entry in doc.get("contexts") or []:
            if isinstance(entry, dict) and entry.get("name") == name:
                ctx = entry.get("context") or {}
                return Selection(
                    name, ctx.get("namespace") or "default", ctx.get("user"), ctx.get("cluster")
                )
    raise ClusterError(
        f"context {name!r} not found in the kubeconfig",
        "list them with 'kubectl config get-contexts'",
    )


@dataclass
class ClusterConfig:
    """Where the API server is, who we are, and the defaults kubectl would apply."""

    endpoint: Endpoint
    namespace: str  # the target namespace: -n, else the context's, else "default"
    context: str  # context name, or "in-cluster"
    user: str | None
    request_timeout: float | None  # seconds; None: no timeout
    _transport: Transport | None = field(default=None, repr=False)

    @property
    def transport(self) -> Transport:
        """The one transport of this run: REST calls and exec share its connections."""
        if self._transport is None:
            from .transport import Transport

            self._transport = Transport(self.endpoint)
        return self._transport


def load(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> ClusterConfig:
    """The cluster the command line asks for."""
    environ = os.environ if environ is None else environ
    timeout = parse_duration(
        getattr(args, "request_timeout", None),
        default=DEFAULT_REQUEST_TIMEOUT,
        flag="--request-timeout",
    )
    explicit = getattr(args, "kubeconfig", None)
    paths = kubeconfig_paths(explicit, environ)
    if not paths and not explicit and environ.get("KUBERNETES_SERVICE_HOST"):
        return _in_cluster(args, environ, timeout or None)
    if not paths:
        raise ClusterError(
            "no kubeconfig found",
            "set KUBECONFIG or pass --kubeconfig (inside a pod, the service account is used)",
        )
    return _from_files(args, paths, timeout or None)


def _from_files(args: argparse.Namespace, paths: list[str], timeout: float | None) -> ClusterConfig:
    from .kubeconfig import endpoint_for, read_docs

    docs = read_docs(paths)
    selection = select_context([d.data for d in docs], getattr(args, "context", None))
    endpoint = endpoint_for(docs, selection.context, selection.cluster, selection.user)
    namespace = getattr(args, "namespace", None) or selection.namespace
    return ClusterConfig(endpoint, namespace, selection.context, selection.user, timeout)


def _in_cluster(
    args: argparse.Namespace, environ: Mapping[str, str], timeout: float | None
) -> ClusterConfig:
    """The pod's service account: its token (re-read when used), CA and namespace."""
    from .credentials import Credentials
    from .transport import Endpoint

    sa_dir = environ.get("KUBECTL_BRIDGE_SA_DIR", SA_DIR)  # tests point this elsewhere
    host, port = environ.get("KUBERNETES_SERVICE_HOST", ""), environ.get("KUBERNETES_SERVICE_PORT")
    token, ca = os.path.join(sa_dir, "token"), os.path.join(sa_dir, "ca.crt")
    problem = None
    if not port:
        problem = "KUBERNETES_SERVICE_PORT is not set"
    elif not (os.path.isfile(token) and os.path.getsize(token) > 0):
        problem = f"no service account token at {token}"
    elif not os.path.isfile(ca):
        problem = f"no service account CA at {ca}"
    if problem:
        raise ClusterError(
            f"in-cluster configuration failed: {problem}",
            "mount the service account token or pass --kubeconfig",
        )
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    endpoint = Endpoint(
        server=f"https://{host}:{port}", ca_file=ca, credentials=Credentials(token_file=token)
    )
    namespace = getattr(args, "namespace", None)
    if not namespace:
        try:
            with open(os.path.join(sa_dir, "namespace"), encoding="utf-8") as fh:
                namespace = fh.read().strip()
        except OSError:
            namespace = ""
    return ClusterConfig(endpoint, namespace or "default", "in-cluster", None, timeout)
