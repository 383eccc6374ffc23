"""Turn nftables rule messages back into iptables' terms: ``-s 172.17.0.0/16 ! -o docker0``.

The kernel holds a rule as a small register program: ``payload`` loads the
source address into a register, ``bitwise`` masks it, ``cmp`` compares it;
``meta`` loads the output interface name; ``masq``, ``nat`` or an
``immediate`` verdict ends it.  iptables-nft writes the same programs (a
``/16`` as a 2-byte payload load with no mask) and keeps what it cannot
express natively as ``xt`` compat expressions (``match``/``target`` with
the x_tables name and its binary info, e.g. target ``MASQUERADE``).  We
follow the registers, turn the matches we understand into fields and name
the rest in ``conditions``: a rule we only partly read says so, it is
never read as matching everything.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

from ..model import NetfilterRule
from . import nftvalues, xtinfo

FAMILY_NAMES = {1: "inet", 2: "ip", 3: "arp", 5: "netdev", 7: "bridge", 10: "ip6"}
IP_VERSION = {"ip": 4, "ip6": 6}
NFPROTO_VERSION = {2: 4, 10: 6}
ETHERTYPE_VERSION = {0x0800: 4, 0x86DD: 6}
VERDICTS = {
    "NF_ACCEPT": "accept",
    "NF_DROP": "drop",
    "NFT_RETURN": "return",
    "NFT_JUMP": "jump",
    "NFT_GOTO": "goto",
    "NFT_CONTINUE": "continue",
    "NF_QUEUE": "queue",
}
#: Expressions that neither match nor decide (statistics, logging).
PASSIVE = ("counter", "log", "notrack", "quota_counter")


@dataclass
class _Builder:
    """The rule being decoded: registers, fields found so far, the rest as words."""

    family: int | None
    regs: dict[str, tuple[str, bytes | None]] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)
    conditions: list[str] = field(default_factory=list)
    action: str = "continue"

    def load(self, reg: Any, what: str, data: bytes | None = None) -> None:
        self.regs[str(reg)] = (what, data)


def attr(nla: Any, name: str) -> Any:
    """``nla.get_attr(name)`` that tolerates undecoded (hex string) payloads."""
    return nla.get_attr(name) if hasattr(nla, "get_attr") else None


def data_value(nla: Any, name: str) -> bytes:
    """The bytes of an ``NFTA_DATA_VALUE`` nested under ``name``."""
    value = attr(attr(nla, name), "NFTA_DATA_VALUE")
    return bytes(value) if isinstance(value, (bytes, bytearray)) else b""


def decode_rule(msg: Any, family: str) -> NetfilterRule:
    """One ``nft_rule_msg`` of a table of nftables family ``family`` (ip, ip6, inet)."""
    b = _Builder(IP_VERSION.get(family))
    own_family = b.family
    for expr in msg.get_attr("NFTA_RULE_EXPRESSIONS") or []:
        name = expr.get_attr("NFTA_EXPR_NAME")
        data = expr.get_attr("NFTA_EXPR_DATA")
        handler = HANDLERS.get(name)
        if handler is not None:
            handler(b, data)
        elif name not in PASSIVE:
            b.conditions.append(str(name))
    comment = _comment(msg)
    if comment and "comment" not in b.fields:
        b.fields["comment"] = comment
    rule_family = b.family if b.family != own_family else None
    return NetfilterRule(
        action=b.action, family=rule_family, conditions=tuple(b.conditions), **b.fields
    )


def _comment(msg: Any) -> str | None:
    """A native nft rule comment (``NFTA_RULE_USERDATA``), when pyroute2 decoded it."""
    udata = msg.get_attr("NFTA_RULE_USERDATA")
    value = udata.get("value") if hasattr(udata, "get") else None
    return value.rstrip("\x00") or None if isinstance(value, str) else None


# --- loads -------------------------------------------------------------------


def _payload(b: _Builder, d: Any) -> None:
    base = attr(d, "NFTA_PAYLOAD_BASE")
    offset = attr(d, "NFTA_PAYLOAD_OFFSET")
    length = attr(d, "NFTA_PAYLOAD_LEN")
    if attr(d, "NFTA_PAYLOAD_SREG") is not None:  # a payload write (mangling)
        b.conditions.append("payload set")
        return
    b.load(attr(d, "NFTA_PAYLOAD_DREG"), _payload_field(b.family, base, offset, length))


def _payload_field(family: int | None, base: Any, offset: Any, length: Any) -> str:
    """What a load from the packet reads: ``saddr``, ``daddr``, ``l4proto``, ``dport``..."""
    if base == "NFT_PAYLOAD_NETWORK_HEADER":
        if family == 6:
            table = {(8, 16): "saddr", (24, 16): "daddr", (6, 1): "l4proto"}
        else:
            table = {(12, 4): "saddr", (16, 4): "daddr", (9, 1): "l4proto"}
        for (off, size), name in table.items():
            if offset == off and isinstance(length, int) and 0 < length <= size:
                return name
        return "ip header"
    if base == "NFT_PAYLOAD_TRANSPORT_HEADER" and length == 2 and offset in (0, 2):
        return "sport" if offset == 0 else "dport"
    return "payload"


def _meta(b: _Builder, d: Any) -> None:
    key = str(attr(d, "NFTA_META_KEY") or "")
    short = key.removeprefix("NFT_META_").lower()
    if attr(d, "NFTA_META_SREG") is not None:  # meta set (e.g. iptables-nft's MARK)
        b.action = "mark" if short == "mark" else b.action
        return
    b.load(attr(d, "NFTA_META_DREG"), short)


def _ct(b: _Builder, d: Any) -> None:
    key = str(attr(d, "NFTA_CT_KEY") or "").removeprefix("NFT_CT_").lower()
    if attr(d, "NFTA_CT_DREG") is not None:
        b.load(attr(d, "NFTA_CT_DREG"), f"ct {key}")


def _bitwise(b: _Builder, d: Any) -> None:
    src = b.regs.get(str(attr(d, "NFTA_BITWISE_SREG")))
    mask = data_value(d, "NFTA_BITWISE_MASK")
    what = src[0] if src else "value"
    b.load(attr(d, "NFTA_BITWISE_DREG"), what, mask or None)


def _immediate(b: _Builder, d: Any) -> None:
    reg = attr(d, "NFTA_IMMEDIATE_DREG")
    imm = attr(d, "NFTA_IMMEDIATE_DATA")
    verdict = attr(imm, "NFTA_DATA_VERDICT")
    if str(reg) == "NFT_REG_VERDICT" and verdict is not None:
        code = str(attr(verdict, "NFTA_VERDICT_CODE"))
        b.action = VERDICTS.get(code, code.lower())
        chain = attr(verdict, "NFTA_VERDICT_CHAIN")
        if chain:
            b.fields["target_chain"] = chain
        return
    b.load(reg, "data", data_value(d, "NFTA_IMMEDIATE_DATA"))


# --- matches -------------------------------------------------------------------


def _cmp(b: _Builder, d: Any) -> None:
    what, extra = b.regs.get(str(attr(d, "NFTA_CMP_SREG")), ("value", None))
    op = str(attr(d, "NFTA_CMP_OP"))
    value = data_value(d, "NFTA_CMP_DATA")
    if op not in ("NFT_CMP_EQ", "NFT_CMP_NEQ"):
        b.conditions.append(f"{what} range")
        return
    negate = op == "NFT_CMP_NEQ"
    if what in ("saddr", "daddr"):
        cidr = nftvalues.cidr(b.family, value, extra)
        if cidr is None:
            b.conditions.append(f"{what} {'!=' if negate else '=='} {value.hex()}")
            return
        key = "source" if what == "saddr" else "destination"
        b.fields[key] = cidr
        b.fields[f"negate_{key}"] = negate
    elif what in ("oifname", "iifname"):
        key = "out" if what == "oifname" else "in"
        b.fields[f"{key}_interface"] = nftvalues.ifname(value)
        b.fields[f"negate_{key}"] = negate
    elif what in ("nfproto", "protocol") and not negate and extra is None:
        _family_match(b, what, value)
    else:
        b.conditions.append(nftvalues.words(what, value, negate))


def _family_match(b: _Builder, what: str, value: bytes) -> None:
    """``meta nfproto ipv4`` / ``meta protocol ip``: the rule is for one IP version."""
    if what == "nfproto" and len(value) == 1:
        version = NFPROTO_VERSION.get(value[0])
    elif len(value) == 2:
        version = ETHERTYPE_VERSION.get(struct.unpack(">H", value)[0])
    else:
        version = None
    if version is None:
        b.conditions.append(f"{what} {value.hex()}")
    else:
        b.family = version


def _lookup(b: _Builder, d: Any) -> None:
    what = b.regs.get(str(attr(d, "NFTA_LOOKUP_SREG")), ("value", None))[0]
    name = attr(d, "NFTA_LOOKUP_SET") or "set"
    b.conditions.append(f"{what} in @{name}")


def _range(b: _Builder, d: Any) -> None:
    what = b.regs.get(str(attr(d, "NFTA_RANGE_SREG")), ("value", None))[0]
    b.conditions.append(f"{what} range")


def _match(b: _Builder, d: Any) -> None:
    """An x_tables match kept by iptables-nft: ``comment`` is only a label."""
    name = str(attr(d, "NFTA_MATCH_NAME") or "match")
    info = xtinfo.raw(attr(d, "NFTA_MATCH_INFO"))
    if name == "comment":
        b.fields["comment"] = xtinfo.comment(info)
    else:
        b.conditions.append(f"-m {name}")


# --- decisions -------------------------------------------------------------------


def _masq(b: _Builder, d: Any) -> None:
    del d
    b.action = "masquerade"


def _nat(b: _Builder, d: Any) -> None:
    kind = str(attr(d, "NFTA_NAT_TYPE") or "")
    b.action = "dnat" if kind == "NFT_NAT_DNAT" else "snat"
    family = NFPROTO_VERSION.get(attr(d, "NFTA_NAT_FAMILY") or 0, b.family or 4)
    low = b.regs.get(str(attr(d, "NFTA_NAT_REG_ADDR_MIN")))
    high = b.regs.get(str(attr(d, "NFTA_NAT_REG_ADDR_MAX")))
    first = nftvalues.address(family, low[1]) if low else None
    last = nftvalues.address(family, high[1]) if high else None
    if first:
        b.fields["to_address"] = first if last in (None, first) else f"{first}-{last}"


def _redir(b: _Builder, d: Any) -> None:
    del d
    b.action = "redirect"


def _reject(b: _Builder, d: Any) -> None:
    del d
    b.action = "reject"


def _target(b: _Builder, d: Any) -> None:
    """An x_tables target kept by iptables-nft (MASQUERADE, SNAT, DNAT, MARK...)."""
    name = str(attr(d, "NFTA_TARGET_NAME") or "target")
    info = xtinfo.raw(attr(d, "NFTA_TARGET_INFO"))
    revision = attr(d, "NFTA_TARGET_REV") or 0
    b.action = name.lower()
    if name in ("SNAT", "DNAT"):
        to = xtinfo.nat_range(info, revision, b.family or 4)
        if to:
            b.fields["to_address"] = to


HANDLERS = {
    "payload": _payload,
    "meta": _meta,
    "ct": _ct,
    "bitwise": _bitwise,
    "immediate": _immediate,
    "cmp": _cmp,
    "lookup": _lookup,
    "range": _range,
    "match": _match,
    "masq": _masq,
    "nat": _nat,
    "redir": _redir,
    "reject": _reject,
    "target": _target,
}
