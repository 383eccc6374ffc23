"""The few REST calls we make, as plain dicts, with errors a user can act on.

Transport (TLS, credentials, kept-alive connections) is ``transport``; here
are the calls and their errors.  We read JSON into dicts: no generated
models (slow on big lists, and strict about fields a server may omit).
Every failure becomes a ``ClusterError`` that says which request failed and
which right (verb, resource, namespace) a 403 is about.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.client import HTTPException
from typing import Any
from urllib.parse import quote, urlencode

from ..errors import ClusterError
from .config import ClusterConfig
from .transport import transport_error


class ApiStatusError(ClusterError):
    """The API server answered with an error status."""

    def __init__(self, message: str, hint: str, *, status: int, server_message: str) -> None:
        super().__init__(message, hint)
        self.status = status
        self.server_message = server_message


def _server_message(body: Any) -> str:
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        data = json.loads(body or "")
    except ValueError:
        return " ".join(str(body or "").split())[:300]
    return str(data.get("message", "")) if isinstance(data, dict) else ""


def describe_right(verb: str, resource: str, namespace: str | None) -> str:
    """``create pods/exec in namespace kube-system``: how errors name a right."""
    where = f" in namespace {namespace}" if namespace else " (cluster-wide)"
    return f"{verb} {resource}{where}"


class Api:
    """Thin, dict-based access to the core API for one ``ClusterConfig``."""

    def __init__(self, cfg: ClusterConfig) -> None:
        self.cfg = cfg
        self.transport = cfg.transport
        self.host = cfg.endpoint.server

    def call(
        self,
        method: str,
        path: str,
        right: tuple[str, str, str | None],
        *,
        query: dict[str, str] | None = None,
        body: Any = None,
        timeout: float | None = None,
        stream: bool = False,
    ) -> Any:
        """One request; the parsed JSON body (or the streaming ``Response`` when ``stream``)."""
        if query:
            path = f"{path}?{urlencode(query)}"
        data = None if body is None else json.dumps(body).encode()
        try:
            resp = self.transport.request(
                method,
                path,
                body=data,
                timeout=timeout if timeout is not None else self.cfg.request_timeout,
                stream=stream,
                retry=not (method == "POST" and right[:2] == ("create", "pods")),
            )
        except (OSError, HTTPException) as exc:
            raise transport_error(self.host, exc) from exc
        if resp.status >= 300:
            raise self._status_error(resp.status, resp.body, right)
        if stream:
            return resp
        try:
            return json.loads(resp.body)
        except ValueError as exc:
            raise ClusterError(
                f"the API server at {self.host} answered {path} with something not JSON",
                "check that the kubeconfig points at a Kubernetes API server",
            ) from exc

    def _status_error(
        self, status: int, body: Any, right: tuple[str, str, str | None]
    ) -> ApiStatusError:
        msg = _server_message(body)
        if status == 401:
            return ApiStatusError(
                f"the API server at {self.host} rejected our credentials (401)",
                "log in again or refresh the kubeconfig's token",
                status=status,
                server_message=msg,
            )
        if status == 403:
            return ApiStatusError(
                f"not allowed to {describe_right(*right)}: {msg}"
                if msg
                else f"not allowed to {describe_right(*right)}",
                "ask for that RBAC right (docs/cluster.md lists them all)",
                status=status,
                server_message=msg,
            )
        return ApiStatusError(
            f"{describe_right(*right)} failed ({status}): {msg or 'no message'}",
            "rerun with --debug for details",
            status=status,
            server_message=msg,
        )

    # --- the calls we make -------------------------------------------------

    def get_pod(self, namespace: str, name: str) -> dict[str, Any] | None:
        """A pod, or None when it does not exist."""
        return self._get_or_none(_pod_path(namespace, name), ("get", "pods", namespace))

    def list_pods(
        self, namespace: str | None, *, labels: str | None = None, fields: str | None = None
    ) -> list[dict[str, Any]]:
        """Pods of ``namespace`` (every namespace when None) matching the selectors."""
        path = f"/api/v1/namespaces/{quote(namespace)}/pods" if namespace else "/api/v1/pods"
        query = {k: v for k, v in (("labelSelector", labels), ("fieldSelector", fields)) if v}
        data = self.call("GET", path, ("list", "pods", namespace), query=query)
        return list(data.get("items") or [])

    def create_pod(self, namespace: str, manifest: dict[str, Any]) -> dict[str, Any]:
        """Create; the server's answer (with the generated name)."""
        path = f"/api/v1/namespaces/{quote(namespace)}/pods"
        result: dict[str, Any] = self.call(
            "POST", path, ("create", "pods", namespace), body=manifest
        )
        return result

    def delete_pod(self, namespace: str, name: str) -> None:
        """Delete now (1 s grace); a pod already gone is fine."""
        try:
            self.call(
                "DELETE",
                _pod_path(namespace, name),
                ("delete", "pods", namespace),
                body={"gracePeriodSeconds": 1, "propagationPolicy": "Background"},
            )
        except ApiStatusError as exc:
            if exc.status != 404:
                raise

    def watch_pod(
        self, namespace: str, name: str, resource_version: str, timeout: float
    ) -> Iterator[dict[str, Any]]:
        """Watch events (``{"type", "object"}``) for one pod, at most ``timeout`` seconds."""
        query = {
            "watch": "true",
            "fieldSelector": f"metadata.name={name}",
            "resourceVersion": resource_version,
            "timeoutSeconds": str(max(int(timeout), 1)),
            "allowWatchBookmarks": "false",
        }
        path = f"/api/v1/namespaces/{quote(namespace)}/pods"
        resp = self.call(
            "GET", path, ("watch", "pods", namespace), query=query, timeout=timeout + 5, stream=True
        )
        try:
            while True:
                try:
                    line = resp.raw.readline()
                except (OSError, HTTPException) as exc:
                    raise transport_error(self.host, exc) from exc
                if not line:
                    return
                if line.strip():
                    yield json.loads(line)
        finally:
            resp.release()

    def get_node(self, name: str) -> dict[str, Any] | None:
        """A node, or None."""
        return self._get_or_none(f"/api/v1/nodes/{quote(name)}", ("get", "nodes", None))

    def get_namespace(self, name: str) -> dict[str, Any] | None:
        """A namespace, or None."""
        return self._get_or_none(f"/api/v1/namespaces/{quote(name)}", ("get", "namespaces", None))

    def pod_events(self, namespace: str, name: str) -> list[dict[str, Any]]:
        """Events about one pod, oldest first."""
        path = f"/api/v1/namespaces/{quote(namespace)}/events"
        query = {"fieldSelector": f"involvedObject.name={name},involvedObject.kind=Pod"}
        data = self.call("GET", path, ("list", "events", namespace), query=query)
        items = list(data.get("items") or [])
        return sorted(items, key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")

    def access_review(self, verb: str, resource: str, namespace: str | None) -> bool | None:
        """SelfSubjectAccessReview: True/False, or None when the review itself failed."""
        group_resource, _, sub = resource.partition("/")
        attrs = {"verb": verb, "resource": group_resource, "group": ""}
        if sub:
            attrs["subresource"] = sub
        if namespace:
            attrs["namespace"] = namespace
        body = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attrs},
        }
        try:
            data = self.call(
                "POST",
                "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                ("create", "selfsubjectaccessreviews", None),
                body=body,
            )
        except ApiStatusError:
            return None
        return bool((data.get("status") or {}).get("allowed"))

    def _get_or_none(self, path: str, right: tuple[str, str, str | None]) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self.call("GET", path, right)
            return found
        except ApiStatusError as exc:
            if exc.status == 404:
                return None
            raise


def _pod_path(namespace: str, name: str) -> str:
    return f"/api/v1/namespaces/{quote(namespace)}/pods/{quote(name)}"
