"""Watches: one JSON event per line, from the state's resourceVersions.

Each watcher keeps the resourceVersion it last sent per object and diffs
against the current list whenever the state says something changed (or
every 50 ms, when debug pods' clocks move), until ``timeoutSeconds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .apiserver_state import State


async def watch(
    request: web.Request,
    current: Callable[[], list[dict[str, Any]]],
    *,
    app_state: web.AppKey[State],
    changed: web.AppKey[asyncio.Condition],
) -> web.StreamResponse:
    """A watch stream: one JSON event per line until ``timeoutSeconds``."""
    app = request.app
    timeout = float(request.query.get("timeoutSeconds", "1800"))
    since = int(request.query.get("resourceVersion") or 0)
    known: dict[str, tuple[str, dict[str, Any]]] = {}
    if since:
        known = {
            p["metadata"]["uid"]: (p["metadata"]["resourceVersion"], p)
            for p in current()
            if int(p["metadata"]["resourceVersion"]) <= since
        }
    resp = web.StreamResponse(headers={"Content-Type": "application/json"})
    await resp.prepare(request)
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        items = {p["metadata"]["uid"]: p for p in current()}
        for uid, pod in items.items():
            rv = pod["metadata"]["resourceVersion"]
            if uid not in known or known[uid][0] != rv:
                kind = "ADDED" if uid not in known else "MODIFIED"
                await resp.write(json.dumps({"type": kind, "object": pod}).encode() + b"\n")
                known[uid] = (rv, pod)
        for uid in set(known) - set(items):
            gone = known.pop(uid)[1]
            await resp.write(json.dumps({"type": "DELETED", "object": gone}).encode() + b"\n")
        async with app[changed]:
            with contextlib.suppress(asyncio.TimeoutError, ValueError):
                await asyncio.wait_for(app[changed].wait(), timeout=min(0.05, end - loop.time()))
        app[app_state].tick()
    await resp.write_eof()
    return resp
