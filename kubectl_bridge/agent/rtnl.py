"""A small, synchronous rtnetlink client over pyroute2's message classes.

pyroute2 0.9's synchronous wrapper is built on an asyncio core and its raw
``nlm_request`` is broken (``KeyError: 'nlm_generator'``); its high-level
calls also filter some dumps in Python, which would make a pod's query cost
grow with the pods on the node.  So we encode requests with pyroute2's
message classes, send them on our own socket with ``NETLINK_GET_STRICT_CHK``
(the kernel then filters dumps by ifindex, master, table and oif itself),
and decode the answers with pyroute2's generic marshal, told only about the
message classes we ask for (``MarshalRtnl`` would import pyroute2's socket
layer and asyncio: ~40 ms of start-up for nothing).  ``requests`` and
``messages`` count what was exchanged, so a test can prove the cost.
"""

from __future__ import annotations

import errno
import os
import socket
from typing import Any

from pyroute2.netlink import NLM_F_DUMP, NLM_F_REQUEST
from pyroute2.netlink.exceptions import NetlinkError
from pyroute2.netlink.marshal import Marshal
from pyroute2.netlink.rtnl import (
    RTM_GETADDR,
    RTM_GETLINK,
    RTM_GETNEIGH,
    RTM_GETNSID,
    RTM_GETROUTE,
    RTM_GETRULE,
    RTM_NEWADDR,
    RTM_NEWLINK,
    RTM_NEWNEIGH,
    RTM_NEWNSID,
    RTM_NEWROUTE,
    RTM_NEWRULE,
)
from pyroute2.netlink.rtnl.fibmsg import fibmsg
from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
from pyroute2.netlink.rtnl.ndmsg import ndmsg
from pyroute2.netlink.rtnl.nsidmsg import nsidmsg
from pyroute2.netlink.rtnl.rtmsg import rtmsg

from .nsthread import NETLINK_ROUTE, SocketOwner, netlink_socket_in

SOL_NETLINK = 270
NETLINK_EXT_ACK = 11
NETLINK_GET_STRICT_CHK = 12


class MarshalRoute(Marshal):  # type: ignore[misc]  # pyroute2 has no type hints
    """Decodes the answers (and the errors) of the requests in ``queries``."""

    msg_map = {  # noqa: RUF012 - pyroute2's Marshal copies it per instance
        RTM_NEWLINK: ifinfmsg,
        RTM_GETLINK: ifinfmsg,
        RTM_NEWADDR: ifaddrmsg,
        RTM_GETADDR: ifaddrmsg,
        RTM_NEWROUTE: rtmsg,
        RTM_GETROUTE: rtmsg,
        RTM_NEWRULE: fibmsg,
        RTM_GETRULE: fibmsg,
        RTM_NEWNEIGH: ndmsg,
        RTM_GETNEIGH: ndmsg,
        RTM_NEWNSID: nsidmsg,
        RTM_GETNSID: nsidmsg,
    }


class Netlink(SocketOwner):
    """One NETLINK_ROUTE socket, bound to one network namespace."""

    def __init__(self, netns_path: str | None = None) -> None:
        if netns_path is None:
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_ROUTE)
        else:
            sock = netlink_socket_in(netns_path)
        sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        sock.setsockopt(SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        sock.bind((0, 0))
        self.sock = sock
        self.marshal = MarshalRoute()
        self.seq = 0
        self.requests = 0
        self.messages = 0

    def dump(self, msg: Any, msg_type: int) -> list[Any]:
        """A dump request; the kernel applies the filters set in ``msg``."""
        return self._request(msg, msg_type, NLM_F_REQUEST | NLM_F_DUMP)

    def get(self, msg: Any, msg_type: int) -> Any | None:
        """A single-object request; None when the kernel says it does not exist."""
        try:
            answers = self._request(msg, msg_type, NLM_F_REQUEST)
        except NetlinkError as exc:
            if exc.code in (errno.ENOENT, errno.ENODEV, errno.ESRCH, errno.EADDRNOTAVAIL):
                return None
            raise
        return answers[0] if answers else None

    def _request(self, msg: Any, msg_type: int, flags: int) -> list[Any]:
        self.seq += 1
        self.requests += 1
        msg["header"]["type"] = msg_type
        msg["header"]["flags"] = flags
        msg["header"]["sequence_number"] = self.seq
        msg["header"]["pid"] = 0
        msg.encode()
        self.sock.send(msg.data)
        return self.collect(self.seq, dump=bool(flags & NLM_F_DUMP))


def strerror(exc: BaseException) -> str:
    """A short reason for a section status: 'Operation not permitted' rather than a repr."""
    code = getattr(exc, "code", None) or getattr(exc, "errno", None)
    if isinstance(code, int) and code > 0:
        return f"{os.strerror(code)} ({errno.errorcode.get(code, code)})"
    return f"{type(exc).__name__}: {exc}"
