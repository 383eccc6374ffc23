"""Register bytes as a person reads them: interface names, prefixes, ports.

nftables compares raw bytes: ``docker0`` plus a NUL for an exact interface name,
``b"cni"`` (no NUL) for iptables' ``cni+``, the leading bytes of an address
(with a ``bitwise`` mask when the prefix is not whole bytes).  Pure.
"""

from __future__ import annotations

import ipaddress
import struct

L4_NAMES = {1: "icmp", 6: "tcp", 17: "udp", 58: "ipv6-icmp", 132: "sctp"}


def words(what: str, value: bytes, negate: bool) -> str:
    """A condition as a person would read it: ``-p tcp``, ``--dport 53``, ``mark``."""
    bang = "! " if negate else ""
    if what == "l4proto" and len(value) == 1:
        return f"{bang}-p {L4_NAMES.get(value[0], value[0])}"
    if what in ("sport", "dport") and len(value) == 2:
        return f"{bang}--{what} {struct.unpack('>H', value)[0]}"
    if what in ("oif", "iif") and len(value) == 4:
        return f"{bang}{what} index {struct.unpack('=I', value)[0]}"
    return f"{bang}{what}"


def ifname(value: bytes) -> str:
    """A NUL-terminated name is exact (``docker0``); without the NUL, a prefix (``cni+``)."""
    if b"\x00" in value:
        return value.split(b"\x00", 1)[0].decode("utf-8", "replace")
    return value.decode("utf-8", "replace") + "+"


def cidr(family: int | None, value: bytes, mask: bytes | None) -> str | None:
    """A compared address prefix as CIDR text; None if the mask is not a prefix."""
    size = 16 if family == 6 else 4
    if not value or len(value) > size:
        return None
    bits = len(value) * 8
    if mask:
        number = int.from_bytes(mask, "big")
        ones = bin(number).count("1")
        if number != ((1 << ones) - 1) << (len(mask) * 8 - ones):
            return None
        bits = min(bits, ones)
    padded = value.ljust(size, b"\x00")
    network = ipaddress.ip_network((padded, bits), strict=False)
    return str(network)


def address(family: int, value: bytes | None) -> str | None:
    """A register's address (``snat to`` loads it with ``immediate``); None if too short."""
    if not value:
        return None
    size = 16 if family == 6 else 4
    if len(value) < size:
        return None
    return str(ipaddress.ip_address(value[:size]))
