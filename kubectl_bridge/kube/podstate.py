"""Reading a starting pod's status: running, still pending, or never going to run.

Pure functions over the API's pod and event dicts, used while waiting for
a debug pod and to explain why it did not start.
"""

from __future__ import annotations

from typing import Any

#: Waiting reasons that will not fix themselves within our timeout.
HOPELESS = frozenset(
    {
        "ImagePullBackOff",
        "ErrImagePull",
        "InvalidImageName",
        "ErrImageNeverPull",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
    }
)


def judge(pod: dict[str, Any]) -> str:
    """``running``, ``pending``, or why it will never run (a waiting reason or phase)."""
    status = pod.get("status") or {}
    phase = status.get("phase")
    if phase in ("Failed", "Succeeded"):
        return str(status.get("reason") or phase)
    for cs in status.get("containerStatuses") or []:
        state = cs.get("state") or {}
        if state.get("terminated"):
            return str(state["terminated"].get("reason") or "Terminated")
        reason = (state.get("waiting") or {}).get("reason")
        if reason in HOPELESS:
            return str(reason)
        if phase == "Running" and state.get("running") is not None:
            return "running"
    return "pending"


def waiting_reason(status: dict[str, Any]) -> tuple[str, str]:
    """The most telling (reason, message) of a pod that is not running."""
    if status.get("phase") in ("Failed", "Succeeded"):
        return str(status.get("reason") or status["phase"]), _one_line(status.get("message"))
    for cs in status.get("containerStatuses") or []:
        state = cs.get("state") or {}
        for key in ("waiting", "terminated"):
            if state.get(key):
                return str(state[key].get("reason") or key), _one_line(state[key].get("message"))
    return str(status.get("phase") or "Pending"), ""


def summarize_events(events: list[dict[str, Any]], limit: int = 3) -> str:
    """Warnings first, one per reason, newest wins: ``Failed: …; BackOff: …``."""
    by_reason: dict[str, str] = {}
    for ev in events:
        if ev.get("type") == "Warning":
            by_reason[str(ev.get("reason"))] = _one_line(ev.get("message"))
    if not by_reason:
        for ev in events[-limit:]:
            by_reason[str(ev.get("reason"))] = _one_line(ev.get("message"))
    parts = [f"{r}: {m}" for r, m in list(by_reason.items())[-limit:]]
    return "; ".join(parts)


def _one_line(text: Any, limit: int = 200) -> str:
    flat = " ".join(str(text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
