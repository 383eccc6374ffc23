"""The binary ``info`` of the x_tables matches and targets iptables-nft keeps.

iptables-nft cannot express every iptables extension as native nftables
expressions; it stores those as ``xt`` compat expressions that carry the
extension's C struct verbatim.  Only the few we report are read: the
``comment`` match's text and the address range of ``SNAT``/``DNAT``
(``struct nf_nat_ipv4_multi_range_compat`` in revision 0, ``struct
nf_nat_range`` / ``nf_nat_range2`` from revision 1 on; see
``include/uapi/linux/netfilter/nf_nat.h``).
"""

from __future__ import annotations

import ipaddress
import struct
from typing import Any

NF_NAT_RANGE_MAP_IPS = 1
COMPAT_HEAD = struct.Struct("=II4s4s")  # rangesize, flags, min_ip, max_ip
RANGE_HEAD = struct.Struct("=I16s16s")  # flags, min_addr, max_addr


def raw(value: Any) -> bytes:
    """pyroute2 shows unknown binary attributes as ``"01:00:..."``; give the bytes."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str) and value:
        try:
            return bytes.fromhex(value.replace(":", ""))
        except ValueError:
            return b""
    return b""


def comment(info: bytes) -> str | None:
    """``-m comment --comment TEXT``: a NUL-padded string (XT_MAX_COMMENT_LEN 256)."""
    text = info.split(b"\x00", 1)[0].decode("utf-8", "replace")
    return text or None


def nat_range(info: bytes, revision: int, family: int) -> str | None:
    """``--to-source``/``--to-destination`` addresses: ``A`` or ``A-B``; None if not mapped."""
    if revision == 0:
        if len(info) < COMPAT_HEAD.size:
            return None
        _, flags, low, high = COMPAT_HEAD.unpack_from(info)
        size = 4
    else:
        if len(info) < RANGE_HEAD.size:
            return None
        flags, low, high = RANGE_HEAD.unpack_from(info)
        size = 16 if family == 6 else 4
    if not flags & NF_NAT_RANGE_MAP_IPS:
        return None
    first = str(ipaddress.ip_address(low[:size]))
    last = str(ipaddress.ip_address(high[:size]))
    return first if first == last else f"{first}-{last}"
