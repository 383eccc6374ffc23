"""Kubeconfig files → the API server endpoint and credentials of one context.

kubectl's merge rules, which we follow: with several files in ``KUBECONFIG``
the first file that sets ``current-context`` wins, and each named cluster,
user and context comes from the first file that defines that name.  Paths
in an entry (CA, client certificate and key, token file, a relative exec
command) are relative to the file that defined the entry.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import os
from dataclasses import dataclass
from typing import Any

from ..errors import ClusterError
from .credentials import INTERACTIVE_MODES, Credentials, ExecConfig
from .transport import Endpoint

EXEC_EXTENSION = "client.authentication.k8s.io/exec"


@dataclass(frozen=True)
class Doc:
    """One parsed kubeconfig file and where it lives."""

    path: str
    data: dict[str, Any]

    @property
    def base(self) -> str:
        """The directory relative paths in this file are resolved against."""
        return os.path.dirname(os.path.abspath(self.path))


def read_docs(paths: list[str]) -> list[Doc]:
    """Parse every file (JSON quickly; YAML otherwise, with libyaml when installed)."""
    docs = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
            data = _parse(text)
        except (OSError, ValueError) as exc:
            raise ClusterError(f"cannot read kubeconfig {path}: {exc}", "fix the file") from exc
        docs.append(Doc(path, data if isinstance(data, dict) else {}))
    return docs


def _parse(text: str) -> Any:
    if text.lstrip().startswith("{"):
        import json

        try:
            return json.loads(text)
        except ValueError:
            pass  # YAML flow style can look like JSON
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)  # a safe loader
    except yaml.YAMLError as exc:
        raise ValueError(" ".join(str(exc).split())) from exc


def find_entry(docs: list[Doc], section: str, name: str) -> tuple[dict[str, Any], Doc] | None:
    """The first definition of ``name`` in ``section`` (clusters, users, contexts)."""
    key = section[:-1]  # clusters → cluster
    for doc in docs:
        for entry in doc.data.get(section) or []:
            if isinstance(entry, dict) and entry.get("name") == name:
                body = entry.get(key)
                return (body if isinstance(body, dict) else {}), doc
    return None


def _path(doc: Doc, value: Any) -> str | None:
    if not value:
        return None
    path = os.path.expanduser(str(value))
    return path if os.path.isabs(path) else os.path.join(doc.base, path)


def _data(value: Any, what: str) -> bytes | None:
    if not value:
        return None
    try:
        return base64.b64decode(str(value), validate=False)
    except (binascii.Error, ValueError) as exc:
        raise ClusterError(f"{what} in the kubeconfig is not base64", "fix the kubeconfig") from exc


def endpoint_for(docs: list[Doc], context: str, cluster: str | None, user: str | None) -> Endpoint:
    """The endpoint (server, TLS, credentials) of ``context``."""
    if not cluster:
        raise ClusterError(
            f"kubeconfig context {context!r} names no cluster",
            "check it with 'kubectl config view --minify'",
        )
    found = find_entry(docs, "clusters", cluster)
    if found is None:
        raise ClusterError(
            f"kubeconfig context {context!r} uses cluster {cluster!r}, which is not defined",
            "check it with 'kubectl config view'",
        )
    entry, doc = found
    server = str(entry.get("server") or "")
    if not server:
        raise ClusterError(
            f"cluster {cluster!r} in the kubeconfig has no server", "set clusters[].cluster.server"
        )
    ca_data = _data(entry.get("certificate-authority-data"), "certificate-authority-data")
    ca_file = None if ca_data else _path(doc, entry.get("certificate-authority"))
    endpoint = Endpoint(
        server=server,
        ca_file=ca_file,
        ca_data=ca_data,
        insecure=bool(entry.get("insecure-skip-tls-verify")),
        tls_server_name=entry.get("tls-server-name") or None,
        proxy_url=entry.get("proxy-url") or None,
    )
    creds = _credentials(docs, context, user, _cluster_info(entry, endpoint))
    return dataclasses.replace(endpoint, credentials=creds)


def _cluster_info(entry: dict[str, Any], endpoint: Endpoint) -> dict[str, Any]:
    """``spec.cluster`` for exec plugins that ask for it (``provideClusterInfo``)."""
    info: dict[str, Any] = {"server": endpoint.server}
    ca = endpoint.ca_data
    if ca is None and endpoint.ca_file:
        try:
            with open(endpoint.ca_file, "rb") as fh:
                ca = fh.read()
        except OSError:
            ca = None
    if ca:
        info["certificate-authority-data"] = base64.b64encode(ca).decode()
    for key in ("tls-server-name", "insecure-skip-tls-verify", "proxy-url"):
        if entry.get(key):
            info[key] = entry[key]
    for ext in entry.get("extensions") or []:
        if isinstance(ext, dict) and ext.get("name") == EXEC_EXTENSION:
            info["config"] = ext.get("extension")
    return info


def _credentials(
    docs: list[Doc], context: str, user: str | None, cluster_info: dict[str, Any]
) -> Credentials:
    if not user:
        return Credentials()  # anonymous, as kubectl would be
    found = find_entry(docs, "users", user)
    if found is None:
        raise ClusterError(
            f"kubeconfig context {context!r} uses user {user!r}, which is not defined",
            "check it with 'kubectl config view'",
        )
    entry, doc = found
    cert_data = _data(entry.get("client-certificate-data"), "client-certificate-data")
    key_data = _data(entry.get("client-key-data"), "client-key-data")
    groups = entry.get("as-groups") or []
    return Credentials(
        token=entry.get("token") or None,
        token_file=_path(doc, entry.get("tokenFile")),
        username=entry.get("username"),
        password=entry.get("password"),
        cert=cert_data or _path(doc, entry.get("client-certificate")),
        key=key_data or _path(doc, entry.get("client-key")),
        exec=_exec(entry.get("exec"), doc, cluster_info),
        provider=entry.get("auth-provider") or None,
        impersonate=entry.get("as") or None,
        impersonate_groups=tuple(str(g) for g in groups),
    )


def _exec(raw: Any, doc: Doc, cluster_info: dict[str, Any]) -> ExecConfig | None:
    if not isinstance(raw, dict):
        return None
    command = str(raw.get("command") or "")
    if not command:
        raise ClusterError("the kubeconfig's exec entry has no command", "set user.exec.command")
    if os.sep in command and not os.path.isabs(command):
        command = os.path.join(doc.base, command)  # kubectl resolves these like other paths
    mode = str(raw.get("interactiveMode") or "IfAvailable")
    if mode not in INTERACTIVE_MODES:
        raise ClusterError(
            f"exec interactiveMode {mode!r} is not one of {', '.join(INTERACTIVE_MODES)}",
            "fix users[].user.exec.interactiveMode",
        )
    env = tuple(
        (str(e.get("name")), str(e.get("value", "")))
        for e in raw.get("env") or []
        if isinstance(e, dict) and e.get("name")
    )
    provide = bool(raw.get("provideClusterInfo"))
    return ExecConfig(
        command=command,
        args=tuple(str(a) for a in raw.get("args") or []),
        env=env,
        api_version=str(raw.get("apiVersion") or ""),
        interactive_mode=mode,
        provide_cluster_info=provide,
        install_hint=raw.get("installHint") or None,
        cluster_info=tuple(cluster_info.items()) if provide else (),
    )
