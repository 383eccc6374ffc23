"""Kubeconfig, ``--context``, ``-n`` and ``--request-timeout`` as kubectl reads them.

kubectl passes none of its global flags to a plugin, so we implement them.
Two differences from the python client matter: with several files in
``KUBECONFIG`` kubectl takes ``current-context`` from the FIRST file that
sets it (the client takes the last), and the client reads ``KUBECONFIG`` once
at import (we read it when called, from the environment we are given).
Named clusters, users and contexts merge first-wins in both.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ClusterError, UsageError

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
    """The context kubectl would use and what it says (namespace, user)."""

    context: str
    namespace: str
    user: str | None


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
                return Selection(name, ctx.get("namespace") or "default", ctx.get("user"))
    raise ClusterError(
        f"context {name!r} not found in the kubeconfig",
        "list them with 'kubectl config get-contexts'",
    )


@dataclass
class ClusterConfig:
    """A ready API client plus the defaults kubectl would apply."""

    api_client: Any  # kubernetes.client.ApiClient
    namespace: str  # the target namespace: -n, else the context's, else "default"
    context: str  # context name, or "in-cluster"
    user: str | None
    request_timeout: float | None  # seconds; None: no timeout

    @property
    def configuration(self) -> Any:
        """The client's Configuration (host, TLS, credentials) for the exec stream."""
        return self.api_client.configuration


def load(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> ClusterConfig:
    """Build the API client the command line asks for."""
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


def _read_docs(paths: list[str]) -> list[dict[str, Any]]:
    import yaml

    docs = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as fh:
                doc = yaml.safe_load(fh)
        except (OSError, yaml.YAMLError) as exc:
            raise ClusterError(f"cannot read kubeconfig {path}: {exc}", "fix the file") from exc
        docs.append(doc if isinstance(doc, dict) else {})
    return docs


def _from_files(args: argparse.Namespace, paths: list[str], timeout: float | None) -> ClusterConfig:
    from kubernetes import client
    from kubernetes.config.config_exception import ConfigException
    from kubernetes.config.kube_config import KubeConfigLoader, KubeConfigMerger

    selection = select_context(_read_docs(paths), getattr(args, "context", None))
    merged = KubeConfigMerger(os.pathsep.join(paths))
    configuration = client.Configuration()
    try:
        loader = KubeConfigLoader(
            config_dict=merged.config, active_context=selection.context, config_base_path=None
        )
        loader.load_and_set(configuration)
    except ConfigException as exc:
        raise ClusterError(
            f"kubeconfig context {selection.context!r} is unusable: {exc}",
            "check it with 'kubectl config view --minify'",
        ) from exc
    namespace = getattr(args, "namespace", None) or selection.namespace
    return ClusterConfig(
        client.ApiClient(configuration), namespace, selection.context, selection.user, timeout
    )


def _in_cluster(
    args: argparse.Namespace, environ: Mapping[str, str], timeout: float | None
) -> ClusterConfig:
    from kubernetes import client
    from kubernetes.config.config_exception import ConfigException
    from kubernetes.config.incluster_config import InClusterConfigLoader

    sa_dir = environ.get("KUBECTL_BRIDGE_SA_DIR", SA_DIR)  # tests point this elsewhere
    configuration = client.Configuration()
    try:
        InClusterConfigLoader(
            token_filename=os.path.join(sa_dir, "token"),
            cert_filename=os.path.join(sa_dir, "ca.crt"),
            environ=environ,
        ).load_and_set(configuration)
    except ConfigException as exc:
        raise ClusterError(
            f"in-cluster configuration failed: {exc}",
            "mount the service account token or pass --kubeconfig",
        ) from exc
    namespace = getattr(args, "namespace", None)
    if not namespace:
        try:
            with open(os.path.join(sa_dir, "namespace"), encoding="utf-8") as fh:
                namespace = fh.read().strip()
        except OSError:
            namespace = ""
    return ClusterConfig(
        client.ApiClient(configuration), namespace or "default", "in-cluster", None, timeout
    )
