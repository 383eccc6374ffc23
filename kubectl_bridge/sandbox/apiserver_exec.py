"""``pods/exec`` over websocket, as the kubelet streams it.

Protocols ``v5.channel.k8s.io`` and ``v4.channel.k8s.io``: every binary
message is one channel byte and data — 0 stdin, 1 stdout, 2 stderr, 3 the
final ``metav1.Status`` (exit code), 255 (v5 only) "close this stream".
The command runs for real on this machine: a debug pod's command inside its
node's network namespace (``ip netns exec``), a workload pod's inside the
pod's namespace, and in the pod's cgroup (``podprocs``), so that what it
leaves running dies with the pod.  So the agent reads the real kernel; only the control plane
is stood in.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from typing import Any

from aiohttp import WSMsgType, web

from . import podprocs
from .apiserver_state import State

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDIN, STDOUT, STDERR, STATUS, CLOSE = 0, 1, 2, 3, 255


def exit_status(code: int) -> dict[str, Any]:
    """The status-channel message for an exit code, exactly as the kubelet writes it."""
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"command terminated with non-zero exit code: exit status {code}",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
    }


def node_bin(state: State) -> str:
    """A directory whose ``python3`` is the node's interpreter, put first on PATH.

    A stock image's ``python3`` is a plain binary; on a developer machine the
    first ``python3`` on PATH may be a pyenv shim (0.3 s per start) or a
    virtualenv that already has pyroute2 (hiding a payload that lacks it).
    The state's ``python`` (default ``/usr/bin/python3``) avoids both.
    """
    directory = os.path.join(state.cache_root, "bin")
    link = os.path.join(directory, "python3")
    if not os.path.islink(link):
        os.makedirs(directory, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.symlink(state.python, link)
    return directory


def exec_argv(state: State, pod: dict[str, Any], command: list[str]) -> list[str] | None:
    """Where the command runs: the node's namespace for hostNetwork pods, else the pod's."""
    if pod["spec"].get("hostNetwork"):
        netns = state.node_netns.get(pod["spec"].get("nodeName", ""))
    else:
        netns = state.pod_netns.get(pod["metadata"]["uid"])
    if not netns:
        return None
    return ["ip", "netns", "exec", netns, *command]


async def serve_exec(
    request: web.Request, state: State, pod: dict[str, Any], command: list[str]
) -> web.StreamResponse:
    """Upgrade, run, pump the channels, send the status, close."""
    argv = exec_argv(state, pod, command)
    if argv is None:
        raise web.HTTPBadRequest(text="stand-in: no namespace to exec in for this pod")
    protocols = [p for p in PROTOCOLS if p in state.faults.exec_protocols]
    ws = web.WebSocketResponse(protocols=protocols, max_msg_size=64 << 20, autoping=True)
    await ws.prepare(request)
    v5 = ws.ws_protocol == PROTOCOLS[0]
    state.exec_count += 1
    drop = state.faults.exec_drops > 0
    if drop:
        state.faults.exec_drops -= 1
    record: dict[str, Any] = {
        "pod": pod["metadata"]["name"],
        "protocol": ws.ws_protocol,
        "stdin_bytes": 0,
        "dropped": drop,
    }
    state.exec_log.append(record)
    env = dict(os.environ)
    env["KUBECTL_BRIDGE_CACHE"] = os.path.join(state.cache_root, pod["metadata"]["uid"])
    env["PATH"] = f"{node_bin(state)}{os.pathsep}{env.get('PATH', '')}"
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            start_new_session=True,
            # the pod's cgroup: what the command leaves behind dies with the pod
            preexec_fn=podprocs.joiner(state.cache_root, pod["metadata"]["uid"]),
        )
    except OSError as exc:
        await _send(ws, STDERR, f"{exc}\n".encode())
        await _send(ws, STATUS, json.dumps(exit_status(126)).encode())
        await ws.close()
        return ws
    pumps = [
        asyncio.ensure_future(_pump_out(proc.stdout, ws, STDOUT)),
        asyncio.ensure_future(_pump_out(proc.stderr, ws, STDERR)),
    ]
    reader = asyncio.ensure_future(_pump_in(ws, proc, record, v5=v5, drop=drop))
    try:
        waiter = asyncio.ensure_future(proc.wait())
        done, _ = await asyncio.wait({waiter, reader}, return_when=asyncio.FIRST_COMPLETED)
        if (reader in done and reader.result() == "dropped") or waiter not in done:
            _kill(proc)
            await proc.wait()
            await asyncio.gather(*pumps, return_exceptions=True)
            await ws.close()  # no status: the client must treat this as a failure
            return ws
        await asyncio.gather(*pumps, return_exceptions=True)
        await _send(ws, STATUS, json.dumps(exit_status(proc.returncode or 0)).encode())
        await ws.close()
    finally:
        reader.cancel()
        _kill(proc)
    return ws


def _kill(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 9)


async def _send(ws: web.WebSocketResponse, channel: int, data: bytes) -> None:
    if not ws.closed:
        await ws.send_bytes(bytes([channel]) + data)


async def _pump_out(
    stream: asyncio.StreamReader | None, ws: web.WebSocketResponse, ch: int
) -> None:
    if stream is None:
        return
    while True:
        chunk = await stream.read(65536)
        if not chunk:
            return
        await _send(ws, ch, chunk)


async def _pump_in(
    ws: web.WebSocketResponse,
    proc: asyncio.subprocess.Process,
    record: dict[str, Any],
    *,
    v5: bool,
    drop: bool,
) -> str:
    """Client → stdin.  Returns "closed" when the client goes away, "dropped" on the fault."""
    stdin = proc.stdin
    async for msg in ws:
        if msg.type != WSMsgType.BINARY or not msg.data:
            continue
        channel, data = msg.data[0], msg.data[1:]
        if channel == STDIN and stdin is not None:
            record["stdin_bytes"] += len(data)
            if drop:
                return "dropped"
            with contextlib.suppress(ConnectionError):
                stdin.write(data)
                await stdin.drain()
        elif channel == CLOSE and v5 and data[:1] == bytes([STDIN]) and stdin is not None:
            stdin.close()
    return "closed"
