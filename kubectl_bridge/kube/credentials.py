"""Who we are to the API server: a kubeconfig user, resolved into headers and a certificate.

Supported as kubectl does: ``token``, ``tokenFile``, ``username``/``password``,
``client-certificate``/``client-key`` (files or ``*-data``), ``as`` /
``as-groups`` (impersonation), and exec credential plugins
(``client.authentication.k8s.io/v1`` and ``v1beta1``: ``env``, ``args``,
``interactiveMode``, ``provideClusterInfo``; the answer is kept for the
process and renewed when its ``expirationTimestamp`` passes).  The legacy
``auth-provider`` entries (gcp, azure, …) were removed from kubectl itself;
they get a one-line error naming the exec plugin that replaced them.  An
``oidc`` provider's ``id-token`` is used while it is valid.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ..errors import ClusterError

EXEC_VERSIONS = ("client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1")
INTERACTIVE_MODES = ("Never", "IfAvailable", "Always")
#: What replaced each removed auth-provider.
PROVIDER_FIXES = {
    "gcp": "install gke-gcloud-auth-plugin and run 'gcloud container clusters get-credentials' "
    "again (it writes an exec entry)",
    "azure": "install kubelogin and run 'kubelogin convert-kubeconfig' (it writes an exec entry)",
    "oidc": "run any kubectl command once to refresh the token, or switch to an exec plugin "
    "such as kubelogin (int128/kubelogin)",
}


@dataclass(frozen=True)
class ExecConfig:
    """``users[].user.exec`` of a kubeconfig."""

    command: str
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    api_version: str = EXEC_VERSIONS[1]
    interactive_mode: str = "IfAvailable"
    provide_cluster_info: bool = False
    install_hint: str | None = None
    cluster_info: tuple[tuple[str, Any], ...] = ()  # spec.cluster, when provideClusterInfo


@dataclass
class Credentials:
    """One kubeconfig user; the exec plugin runs at most once per expiry."""

    token: str | None = None
    token_file: str | None = None
    username: str | None = None
    password: str | None = None
    cert: bytes | str | None = None  # PEM data, or a file path
    key: bytes | str | None = None
    exec: ExecConfig | None = None
    provider: dict[str, Any] | None = None  # a legacy auth-provider entry
    impersonate: str | None = None
    impersonate_groups: tuple[str, ...] = ()
    _issued: dict[str, Any] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def headers(self) -> dict[str, str]:
        """``Authorization`` (if any) and impersonation headers."""
        out: dict[str, str] = {}
        auth = self._authorization()
        if auth:
            out["Authorization"] = auth
        if self.impersonate:
            out["Impersonate-User"] = self.impersonate
        if self.impersonate_groups:
            out["Impersonate-Group"] = ",".join(self.impersonate_groups)
        return out

    def client_cert(self) -> tuple[bytes | str | None, bytes | str | None]:
        """The client certificate and key: the kubeconfig's, or the exec plugin's."""
        if self.exec is not None:
            issued = self._exec_status()
            cert, key = issued.get("clientCertificateData"), issued.get("clientKeyData")
            if cert and key:
                return str(cert).encode(), str(key).encode()
        return self.cert, self.key

    def _authorization(self) -> str | None:
        if self.exec is not None:
            token = self._exec_status().get("token")
            if token:
                return f"Bearer {token}"
        if self.provider is not None:
            return f"Bearer {provider_token(self.provider)}"
        if self.token:
            return f"Bearer {self.token}"
        if self.token_file:
            return f"Bearer {_read_token(self.token_file)}"
        if self.username is not None and self.password is not None:
            pair = f"{self.username}:{self.password}".encode()
            return "Basic " + base64.b64encode(pair).decode()
        return None

    def _exec_status(self) -> dict[str, Any]:
        assert self.exec is not None
        with self._lock:  # parallel requests must not start the plugin twice
            if self._issued is None or _expired(self._issued):
                self._issued = run_exec_plugin(self.exec)
            return self._issued


def _read_token(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read().strip()
    except OSError as exc:
        raise ClusterError(
            f"cannot read the token file {path}: {exc.strerror}",
            "check tokenFile of the kubeconfig user",
        ) from exc


def _expired(status: dict[str, Any]) -> bool:
    stamp = status.get("expirationTimestamp")
    if not stamp:
        return False
    from datetime import datetime

    try:
        when = datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return False
    return when <= time.time()


def exec_info(cfg: ExecConfig, interactive: bool) -> dict[str, Any]:
    """``KUBERNETES_EXEC_INFO``: what kubectl tells a plugin about the call."""
    spec: dict[str, Any] = {"interactive": interactive}
    if cfg.provide_cluster_info:
        spec["cluster"] = dict(cfg.cluster_info)
    return {"apiVersion": cfg.api_version, "kind": "ExecCredential", "spec": spec}


def _interactive(cfg: ExecConfig) -> bool:
    tty = bool(sys.stdin) and sys.stdin.isatty()
    if cfg.interactive_mode == "Always" and not tty:
        raise ClusterError(
            f"the exec credential plugin {cfg.command} needs a terminal "
            "(interactiveMode: Always) and stdin is not one",
            "run kubectl bridge from a terminal, or log in first so the plugin needs no input",
        )
    return tty and cfg.interactive_mode != "Never"


def run_exec_plugin(cfg: ExecConfig) -> dict[str, Any]:
    """Run the plugin as kubectl does; its ``status`` (token or client certificate)."""
    if cfg.api_version not in EXEC_VERSIONS:
        raise ClusterError(
            f"exec credential plugin {cfg.command} uses apiVersion {cfg.api_version or '(none)'}",
            f"supported: {', '.join(EXEC_VERSIONS)}; update the plugin or the kubeconfig",
        )
    import subprocess  # only with an exec plugin

    interactive = _interactive(cfg)
    env = {**os.environ, **dict(cfg.env)}
    env["KUBERNETES_EXEC_INFO"] = json.dumps(exec_info(cfg, interactive))
    try:
        done = subprocess.run(
            [cfg.command, *cfg.args],
            env=env,
            stdin=None if interactive else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            check=False,
        )
    except OSError as exc:
        raise ClusterError(
            f"cannot run the exec credential plugin {cfg.command}: {exc.strerror}",
            cfg.install_hint.strip().splitlines()[0]
            if cfg.install_hint
            else "install it, or check users[].user.exec.command in the kubeconfig",
        ) from exc
    if done.returncode != 0:
        raise ClusterError(
            f"the exec credential plugin {cfg.command} failed (exit status {done.returncode})",
            "its own message is above; log in again with the tool that wrote the kubeconfig",
        )
    return _status_of(cfg, done.stdout)


def _status_of(cfg: ExecConfig, out: bytes) -> dict[str, Any]:
    try:
        answer = json.loads(out)
    except ValueError:
        answer = None
    status = answer.get("status") if isinstance(answer, dict) else None
    usable = isinstance(status, dict) and (
        status.get("token") or (status.get("clientCertificateData") and status.get("clientKeyData"))
    )
    if not usable:
        raise ClusterError(
            f"the exec credential plugin {cfg.command} returned no token or client certificate",
            "run it by hand to see what it prints; it must print an ExecCredential",
        )
    assert isinstance(answer, dict) and isinstance(status, dict)
    if answer.get("apiVersion") != cfg.api_version:
        raise ClusterError(
            f"the exec credential plugin {cfg.command} answered apiVersion "
            f"{answer.get('apiVersion')} to a {cfg.api_version} request",
            "set users[].user.exec.apiVersion to what the plugin speaks",
        )
    return status


def provider_token(provider: dict[str, Any]) -> str:
    """An ``oidc`` provider's valid ``id-token``; any other provider is an error."""
    name = str(provider.get("name") or "?")
    config = provider.get("config") or {}
    token = str(config.get("id-token") or "")
    if name == "oidc" and token and not _jwt_expired(token):
        return token
    fix = PROVIDER_FIXES.get(name, "replace it with the provider's exec credential plugin")
    why = "its id-token is missing or expired" if name == "oidc" else "it was removed from kubectl"
    raise ClusterError(
        f"the kubeconfig user authenticates with auth-provider {name!r}, which kubectl-bridge "
        f"cannot use ({why})",
        fix,
    )


def _jwt_expired(token: str) -> bool:
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims.get("exp", 0)) <= time.time()
    except (IndexError, ValueError, TypeError, AttributeError):
        return True
