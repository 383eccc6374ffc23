"""The sysctls that decide whether a hop forwards, filters or answers ARP.

``/proc/sys/net`` shows the namespace of the *thread* that opens it, so a
namespace other than our own is read from a worker thread that joined it.
A missing key (``br_netfilter`` not loaded) is None, not an error.
"""

from __future__ import annotations

from ..model import InterfaceSysctls, Sysctls
from .nsthread import read_sysctl_in, read_sysctls

GLOBAL_KEYS = {
    "ip_forward": "net/ipv4/ip_forward",
    "ipv6_forwarding": "net/ipv6/conf/all/forwarding",
    "bridge_nf_call_iptables": "net/bridge/bridge-nf-call-iptables",
    "bridge_nf_call_ip6tables": "net/bridge/bridge-nf-call-ip6tables",
}
PER_INTERFACE = ("proxy_arp", "rp_filter", "forwarding")


def _keys(names: list[str]) -> list[str]:
    keys = list(GLOBAL_KEYS.values())
    for name in names:
        keys += [f"net/ipv4/conf/{name}/{k}" for k in PER_INTERFACE]
    return keys


def read(netns_path: str | None, interfaces: list[str]) -> Sysctls:
    """Namespace-wide switches plus ``all`` and each named interface's settings."""
    names = ["all", *interfaces]
    keys = _keys(names)
    values = read_sysctls(keys) if netns_path is None else read_sysctl_in(netns_path, keys)

    def num(key: str) -> int | None:
        value = values.get(key)
        return int(value) if value is not None and value.lstrip("-").isdigit() else None

    per_if = tuple(
        InterfaceSysctls(name, **{k: num(f"net/ipv4/conf/{name}/{k}") for k in PER_INTERFACE})
        for name in names
        if num(f"net/ipv4/conf/{name}/forwarding") is not None
    )
    return Sysctls(**{field: num(key) for field, key in GLOBAL_KEYS.items()}, interfaces=per_if)
