"""The REST subset kubectl-bridge (and kubectl itself) uses, as aiohttp handlers.

Discovery (``/version``, ``/api``, ``/api/v1``, ``/apis``), pods
get/list/watch/create/delete, ``pods/exec``, nodes, namespaces, events and
SelfSubjectAccessReview.  Every request needs the bearer token; RBAC and
Pod Security answer with the status bodies real servers send.  Three
``/_standin`` endpoints let tests look inside and change faults, and let the
sandbox demo add a pod later on.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from . import apiserver_objects as obj
from . import apiserver_resources as res
from . import podprocs
from .apiserver_exec import serve_exec
from .apiserver_select import SelectorError, fields_match, labels_match
from .apiserver_state import USER, Faults, State
from .apiserver_table import table, wants_table
from .apiserver_watch import watch

STATE: web.AppKey[State] = web.AppKey("state", State)
CHANGED: web.AppKey[asyncio.Condition] = web.AppKey("changed", asyncio.Condition)
Handler = Callable[[web.Request], Awaitable[web.Response]]


def _json(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


def _fail(body: dict[str, Any]) -> web.Response:
    return _json(body, status=int(body["code"]))


def _abort(error: type[web.HTTPError], body: dict[str, Any]) -> web.HTTPError:
    """A status body raised from deep in a handler (aiohttp sends it as the answer)."""
    return error(text=json.dumps(body), content_type="application/json")


@web.middleware
async def auth(request: web.Request, handler: Any) -> web.StreamResponse:
    """Bearer token or 401, like any API server; JSON bodies only (no protobuf)."""
    state = request.app[STATE]
    if state.token and request.headers.get("Authorization", "") != f"Bearer {state.token}":
        return _fail(obj.status_object(401, "Unauthorized", "Unauthorized"))
    if request.can_read_body and "protobuf" in request.content_type:
        msg = "the stand-in speaks JSON only: " + request.content_type
        return _fail(obj.status_object(415, "UnsupportedMediaType", msg))
    response: web.StreamResponse = await handler(request)
    return response


def _rbac(state: State, verb: str, resource: str, ns: str | None, name: str | None = None) -> None:
    if not state.allowed(verb, resource, ns):
        raise _abort(web.HTTPForbidden, obj.forbidden_rbac(USER, verb, resource, ns, name))


async def _notify(app: web.Application) -> None:
    async with app[CHANGED]:
        app[CHANGED].notify_all()


# --- discovery --------------------------------------------------------------


def _document(build: Callable[[], dict[str, Any]]) -> Handler:
    """A handler that serves one fixed document (``/version`` and discovery)."""

    async def serve(_: web.Request) -> web.Response:
        return _json(build())

    return serve


# --- pods -------------------------------------------------------------------


def _selected(request: web.Request, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    labels, fields = request.query.get("labelSelector"), request.query.get("fieldSelector")
    try:
        return [
            i
            for i in items
            if labels_match(labels, i["metadata"].get("labels") or {}) and fields_match(fields, i)
        ]
    except SelectorError as exc:
        raise _abort(web.HTTPBadRequest, obj.status_object(400, "BadRequest", str(exc))) from exc


async def list_pods(request: web.Request) -> web.StreamResponse:
    """Pods of a namespace (or all), with selectors; ``watch=true`` streams changes."""
    state = request.app[STATE]
    ns = request.match_info.get("ns")
    verb = "watch" if request.query.get("watch") in ("true", "1") else "list"
    _rbac(state, verb, "pods", ns)
    state.tick()

    def current() -> list[dict[str, Any]]:
        pods = [p for (pns, _), p in state.pods.items() if ns is None or pns == ns]
        return _selected(request, pods)

    if verb == "watch":
        return await watch(request, current, app_state=STATE, changed=CHANGED)
    return _listing(request, "PodList", current(), str(state.rv))


def _listing(request: web.Request, kind: str, items: list[dict[str, Any]], rv: str) -> web.Response:
    """A list, or the Table ``kubectl get`` asks for."""
    if wants_table(request.headers.get("Accept", "")):
        return _json(table(items, rv))
    return _json(res.list_object(kind, items, rv))


def _pod_or_404(state: State, ns: str, name: str) -> dict[str, Any]:
    state.tick()
    pod = state.pods.get((ns, name))
    if pod is None:
        raise _abort(web.HTTPNotFound, obj.not_found("pods", name))
    return pod


async def get_pod(request: web.Request) -> web.Response:
    """One pod."""
    state, ns, name = request.app[STATE], request.match_info["ns"], request.match_info["name"]
    _rbac(state, "get", "pods", ns, name)
    pod = _pod_or_404(state, ns, name)
    if wants_table(request.headers.get("Accept", "")):
        return _json(table([pod], str(state.rv)))
    return _json(pod)


async def create_pod(request: web.Request) -> web.Response:
    """Create (our debug pods): RBAC, then Pod Security, then store as Pending."""
    state, ns = request.app[STATE], request.match_info["ns"]
    _rbac(state, "create", "pods", ns)
    body = await request.json()
    if ns not in state.namespaces:
        return _fail(obj.not_found("namespaces", ns))
    if request.query.get("dryRun") == "All":
        return _json(body, status=201)
    candidate = {**body, "metadata": {**body.get("metadata", {}), "namespace": ns}}
    verdict = state.pod_security_violations(candidate)
    if verdict:
        level, found = verdict
        meta = body.get("metadata", {})
        name = meta.get("name") or obj.generated_name(meta.get("generateName", ""))
        why = ", ".join(found)
        msg = f'pods "{name}" is forbidden: violates PodSecurity "{level}:latest": {why}'
        return _fail(obj.status_object(403, "Forbidden", msg, name=name, kind="pods"))
    pod = state.create_pod(ns, body)
    await _notify(request.app)
    return _json(pod, status=201)


async def delete_pod(request: web.Request) -> web.Response:
    """Delete at once; answers with the deleted object like the API does."""
    state, ns, name = request.app[STATE], request.match_info["ns"], request.match_info["name"]
    _rbac(state, "delete", "pods", ns, name)
    _pod_or_404(state, ns, name)
    pod = state.delete_pod(ns, name)
    if pod is not None:  # what exec left running in it dies with it, as on a node
        uid = pod["metadata"]["uid"]
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, podprocs.kill_pod, state.cache_root, uid)
    await _notify(request.app)
    return _json(pod or {})


async def exec_pod(request: web.Request) -> web.StreamResponse:
    """``pods/exec``: needs create (and get, for websockets) on ``pods/exec``."""
    state, ns, name = request.app[STATE], request.match_info["ns"], request.match_info["name"]
    _rbac(state, "create", "pods/exec", ns, name)
    _rbac(state, "get", "pods/exec", ns, name)
    pod = _pod_or_404(state, ns, name)
    if pod["status"].get("phase") != "Running":
        phase = pod["status"].get("phase")
        msg = f"unable to upgrade connection: pod {name} is not running (phase {phase})"
        return _fail(obj.status_object(400, "BadRequest", msg))
    command = request.query.getall("command", [])
    if not command:
        return _fail(obj.status_object(400, "BadRequest", "you must specify at least 1 command"))
    return await serve_exec(request, state, pod, list(command))


# --- nodes, namespaces, events, access reviews -------------------------------


async def list_nodes(request: web.Request) -> web.Response:
    """Every node."""
    state = request.app[STATE]
    _rbac(state, "list", "nodes", None)
    items = _selected(request, list(state.nodes.values()))
    return _listing(request, "NodeList", items, str(state.rv))


async def get_node(request: web.Request) -> web.Response:
    """One node."""
    state, name = request.app[STATE], request.match_info["name"]
    _rbac(state, "get", "nodes", None, name)
    node = state.nodes.get(name)
    if node and wants_table(request.headers.get("Accept", "")):
        return _json(table([node], str(state.rv)))
    return _json(node) if node else _fail(obj.not_found("nodes", name))


async def get_namespace(request: web.Request) -> web.Response:
    """One namespace (its Pod Security labels)."""
    state, name = request.app[STATE], request.match_info["name"]
    _rbac(state, "get", "namespaces", None, name)
    ns = state.namespaces.get(name)
    return _json(ns) if ns else _fail(obj.not_found("namespaces", name))


async def list_events(request: web.Request) -> web.Response:
    """Events of a namespace, with field selectors (``involvedObject.name=…``)."""
    state, ns = request.app[STATE], request.match_info.get("ns")
    _rbac(state, "list", "events", ns)
    state.tick()
    events = [e for e in state.events if ns is None or e["metadata"]["namespace"] == ns]
    return _json(res.list_object("EventList", _selected(request, events), str(state.rv)))


async def access_review(request: web.Request) -> web.Response:
    """SelfSubjectAccessReview: answers from the same RBAC faults requests meet."""
    state = request.app[STATE]
    body = await request.json()
    attrs = (body.get("spec") or {}).get("resourceAttributes") or {}
    resource = attrs.get("resource", "")
    if attrs.get("subresource"):
        resource = f"{resource}/{attrs['subresource']}"
    allowed = state.allowed(attrs.get("verb", ""), resource, attrs.get("namespace") or None)
    reason = 'RBAC: allowed by ClusterRoleBinding "standin"' if allowed else ""
    status: dict[str, Any] = {"allowed": allowed, "reason": reason}
    return _json({**body, "metadata": {"creationTimestamp": None}, "status": status}, status=201)


# --- test hooks ---------------------------------------------------------------


async def standin_state(request: web.Request) -> web.Response:
    """Everything a test wants to assert on (``GET /_standin/state``)."""
    state = request.app[STATE]
    state.tick()
    return _json(state.snapshot())


async def standin_faults(request: web.Request) -> web.Response:
    """Replace the faults (``PUT /_standin/faults``)."""
    state = request.app[STATE]
    try:
        state.faults = Faults.from_dict(await request.json())
    except (TypeError, ValueError) as exc:
        return _fail(obj.status_object(400, "BadRequest", str(exc)))
    return _json(state.snapshot())


async def standin_add_pod(request: web.Request) -> web.Response:
    """Add a workload pod (``POST /_standin/pods``): the sandbox's ``kubectl run``."""
    state = request.app[STATE]
    body = await request.json()
    state.add_pod(body)
    await _notify(request.app)
    meta = body["metadata"]
    return _json(state.pods[(meta["namespace"], meta["name"])], status=201)


def add_routes(app: web.Application) -> None:
    """Wire every handler."""
    r = app.router
    r.add_get("/version", _document(lambda: obj.SERVER_VERSION))
    r.add_get("/api", _document(res.discovery_api))
    r.add_get("/api/v1", _document(res.discovery_api_v1))
    r.add_get("/apis", _document(res.discovery_apis))
    r.add_get("/apis/authorization.k8s.io/v1", _document(res.discovery_authorization_v1))
    r.add_get("/api/v1/pods", list_pods)
    r.add_get("/api/v1/namespaces/{ns}/pods", list_pods)
    r.add_post("/api/v1/namespaces/{ns}/pods", create_pod)
    r.add_get("/api/v1/namespaces/{ns}/pods/{name}", get_pod)
    r.add_delete("/api/v1/namespaces/{ns}/pods/{name}", delete_pod)
    r.add_get("/api/v1/namespaces/{ns}/pods/{name}/exec", exec_pod)
    r.add_post("/api/v1/namespaces/{ns}/pods/{name}/exec", exec_pod)
    r.add_get("/api/v1/nodes", list_nodes)
    r.add_get("/api/v1/nodes/{name}", get_node)
    r.add_get("/api/v1/namespaces/{name}", get_namespace)
    r.add_get("/api/v1/events", list_events)
    r.add_get("/api/v1/namespaces/{ns}/events", list_events)
    r.add_post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", access_review)
    r.add_get("/_standin/state", standin_state)
    r.add_put("/_standin/faults", standin_faults)
    r.add_post("/_standin/pods", standin_add_pod)
