"""A small, synchronous nftables netlink client over pyroute2's message classes.

The same approach as ``rtnl``: pyroute2 0.9's ``NFTSocket`` is built on an
asyncio core that opens its socket on an event loop of its own, so the
namespace it lands in is not obviously the calling thread's.  We open a
``NETLINK_NETFILTER`` socket in a worker thread that joined the node's
namespace (``nsthread``), encode requests with pyroute2's ``nft_*_msg``
classes and decode the answers with a pyroute2 ``Marshal``.  Rule dumps are
filtered by table and chain in the kernel, so only the chains we follow are
ever read.

Those classes live in ``nftsocket``, whose module also defines the socket
classes and so imports pyroute2's socket layer (``nlsocket``: asyncio, ssl,
multiprocessing) — 35-40 ms of every agent start for code we never run.
``nft_messages`` executes that module with a placeholder for ``nlsocket``
into a private module object, leaving ``sys.modules`` as it was.
"""

from __future__ import annotations

import errno
import importlib
import importlib.util
import socket
import sys
import types
from typing import Any

from pyroute2.netlink import (
    NETLINK_NETFILTER,
    NLM_F_DUMP,
    NLM_F_REQUEST,
    NLMSG_DONE,
    NLMSG_ERROR,
)
from pyroute2.netlink.exceptions import NetlinkError
from pyroute2.netlink.marshal import Marshal
from pyroute2.netlink.nfnetlink import NFNL_SUBSYS_NFTABLES

from .nsthread import SocketOwner, run_in_netns

NFPROTO_UNSPEC = 0
NFTSOCKET = "pyroute2.netlink.nfnetlink.nftsocket"
NLSOCKET = "pyroute2.netlink.nlsocket"


def nft_messages() -> types.ModuleType:
    """pyroute2's ``nftsocket`` module, without importing its socket layer when we can.

    Whoever already imported the real thing (pyroute2's own ``NFTables``)
    gets it; otherwise the module runs against a placeholder ``nlsocket``
    whose two socket base classes are empty, into a module object that is
    not registered, so a later ``import`` of it still gets the real one.
    If a pyroute2 release needs more of ``nlsocket`` at import time, we fall
    back to the plain import (slower, same result).
    """
    if NFTSOCKET in sys.modules or NLSOCKET in sys.modules:
        return importlib.import_module(NFTSOCKET)
    spec = importlib.util.find_spec(NFTSOCKET)
    if spec is None or spec.loader is None:
        return importlib.import_module(NFTSOCKET)
    module = importlib.util.module_from_spec(spec)
    placeholder = types.ModuleType(NLSOCKET)
    placeholder.NetlinkSocket = type("NetlinkSocket", (), {})  # type: ignore[attr-defined]
    placeholder.AsyncNetlinkSocket = type("AsyncNetlinkSocket", (), {})  # type: ignore[attr-defined]
    sys.modules[NLSOCKET] = placeholder
    try:
        spec.loader.exec_module(module)
    except (ImportError, AttributeError):
        module = None  # type: ignore[assignment]
    finally:
        del sys.modules[NLSOCKET]
    return module if module is not None else importlib.import_module(NFTSOCKET)


_nft = nft_messages()
NFT_MSG_GETCHAIN = _nft.NFT_MSG_GETCHAIN
NFT_MSG_GETRULE = _nft.NFT_MSG_GETRULE
NFT_MSG_GETTABLE = _nft.NFT_MSG_GETTABLE
NFT_MSG_NEWCHAIN = _nft.NFT_MSG_NEWCHAIN
NFT_MSG_NEWRULE = _nft.NFT_MSG_NEWRULE
NFT_MSG_NEWTABLE = _nft.NFT_MSG_NEWTABLE
nft_chain_msg = _nft.nft_chain_msg
nft_rule_msg = _nft.nft_rule_msg
nft_table_msg = _nft.nft_table_msg


def _type(msg_type: int) -> int:
    return int((NFNL_SUBSYS_NFTABLES << 8) | msg_type)


def marshal_nft() -> Any:
    """A pyroute2 ``Marshal`` that decodes the three kinds of answer we ask for."""
    marshal = Marshal()
    marshal.msg_map = {
        _type(NFT_MSG_NEWTABLE): nft_table_msg,
        _type(NFT_MSG_NEWCHAIN): nft_chain_msg,
        _type(NFT_MSG_NEWRULE): nft_rule_msg,
    }
    return marshal


def _open(netns_path: str | None) -> socket.socket:
    def make() -> socket.socket:
        return socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_NETFILTER)

    return make() if netns_path is None else run_in_netns(netns_path, make)


class Nftables(SocketOwner):
    """One NETLINK_NETFILTER socket, bound to one network namespace."""

    def __init__(self, netns_path: str | None = None, *, sock: Any = None) -> None:
        """Open a socket in ``netns_path``; ``sock`` replaces it (recorded answers in tests)."""
        if sock is None:
            sock = _open(netns_path)
            sock.bind((0, 0))
        self.sock = sock
        self.marshal = marshal_nft()
        self.seq = 0
        self.requests = 0
        #: every answer's raw bytes, when a recorder wants them (tests/fixtures)
        self.recorded: list[bytes] | None = None

    def tables(self) -> list[Any]:
        """Every table of every family."""
        return self._request(nft_table_msg(), NFT_MSG_GETTABLE, NFPROTO_UNSPEC, [], dump=True)

    def chains(self, family: int) -> list[Any]:
        """Every chain of one family (the kernel cannot filter chain dumps by table)."""
        return self._request(nft_chain_msg(), NFT_MSG_GETCHAIN, family, [], dump=True)

    def chain(self, family: int, table: str, name: str) -> Any | None:
        """One chain by name; None if it does not exist."""
        attrs = [("NFTA_CHAIN_TABLE", table), ("NFTA_CHAIN_NAME", name)]
        try:
            found = self._request(nft_chain_msg(), NFT_MSG_GETCHAIN, family, attrs, dump=False)
        except NetlinkError as exc:
            if exc.code == errno.ENOENT:
                return None
            raise
        return found[0] if found else None

    def rules(self, family: int, table: str, chain: str) -> list[Any]:
        """The rules of one chain, in order (filtered by the kernel)."""
        attrs = [("NFTA_RULE_TABLE", table), ("NFTA_RULE_CHAIN", chain)]
        try:
            return self._request(nft_rule_msg(), NFT_MSG_GETRULE, family, attrs, dump=True)
        except NetlinkError as exc:
            if exc.code == errno.ENOENT:
                return []
            raise

    def _request(
        self, msg: Any, msg_type: int, family: int, attrs: list[Any], *, dump: bool
    ) -> list[Any]:
        self.seq += 1
        self.requests += 1
        msg["nfgen_family"] = family
        msg["version"] = 0
        msg["res_id"] = 0
        msg["attrs"] = attrs
        msg["header"]["type"] = _type(msg_type)
        msg["header"]["flags"] = NLM_F_REQUEST | (NLM_F_DUMP if dump else 0)
        msg["header"]["sequence_number"] = self.seq
        msg["header"]["pid"] = 0
        msg.encode()
        self.sock.send(msg.data)
        return self.collect(self.seq, dump=dump)


def parse_recorded(chunks: list[bytes]) -> list[Any]:
    """Decode recorded answers again (the unit tests' fixtures)."""
    marshal = marshal_nft()
    return [
        m
        for data in chunks
        for m in marshal.parse(data)
        if m["header"]["type"] not in (NLMSG_DONE, NLMSG_ERROR)
    ]
