"""Pod Security Admission as the stand-in enforces it (``baseline`` and ``restricted``).

Only the checks a debug pod can trip are modelled, with the messages the
real admission plugin writes, so the plugin's 403 handling is tested
against the real wording.
"""

from __future__ import annotations

from typing import Any

PSA_BASELINE_CAPS = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)


def violations(spec: dict[str, Any], level: str) -> list[str]:
    """What ``level`` forbids in a pod spec (empty: admitted)."""
    if level == "privileged":
        return []
    found = _baseline_violations(spec)
    if level == "restricted":
        found += _restricted_violations(spec)
    return found


def _baseline_violations(spec: dict[str, Any]) -> list[str]:
    found = []
    hosts = [f"{k}=true" for k in ("hostNetwork", "hostPID", "hostIPC") if spec.get(k)]
    if hosts:
        found.append(f"host namespaces ({', '.join(hosts)})")
    containers = spec.get("containers", [])
    priv = [c["name"] for c in containers if (c.get("securityContext") or {}).get("privileged")]
    if priv:
        found.append(f"privileged ({_who(priv)} must not set securityContext.privileged=true)")
    for c in containers:
        add = ((c.get("securityContext") or {}).get("capabilities") or {}).get("add") or []
        extra = [cap for cap in add if cap not in PSA_BASELINE_CAPS]
        if extra:
            caps = ", ".join(f'"{cap}"' for cap in extra)
            found.append(
                f'non-default capabilities (container "{c["name"]}" must not include {caps} '
                "in securityContext.capabilities.add)"
            )
    return found


def _restricted_violations(spec: dict[str, Any]) -> list[str]:
    found = []
    for c in spec.get("containers", []):
        ctx = c.get("securityContext") or {}
        if ctx.get("allowPrivilegeEscalation") is not False:
            found.append(
                f'allowPrivilegeEscalation != false (container "{c["name"]}" must set '
                "securityContext.allowPrivilegeEscalation=false)"
            )
        if ctx.get("runAsUser") == 0:
            found.append(f'runAsUser=0 (container "{c["name"]}" must not set runAsUser=0)')
    return found


def _who(names: list[str]) -> str:
    quoted = ", ".join(f'"{n}"' for n in names)
    return f"container {quoted}" if len(names) == 1 else f"containers {quoted}"
