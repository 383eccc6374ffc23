"""The snapshot model: what the agent collects and what the pure core consumes.

The agent on the node and the plugin on the laptop may be different versions,
so the snapshot crosses a process boundary as versioned JSON.  Everything here
is a frozen dataclass with a loss-free ``dump``/``parse`` pair, so a recorded
snapshot is a readable fixture and a test can build one by hand.

This module imports only the standard library: it is shipped to the node
inside the agent payload.  ``docs/snapshot-schema.md`` documents the format.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass, field
from typing import Any, TypeVar

#: Bumped on any incompatible change of the JSON layout.  Additive fields do
#: not bump it; readers ignore unknown keys so an older plugin can still read
#: a newer agent's snapshot.
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Stats:
    """64-bit interface counters as ``ip -s link`` shows them (S5)."""

    rx_bytes: int = 0
    rx_packets: int = 0
    rx_errors: int = 0
    rx_dropped: int = 0
    rx_overrun: int = 0
    rx_multicast: int = 0
    tx_bytes: int = 0
    tx_packets: int = 0
    tx_errors: int = 0
    tx_dropped: int = 0
    tx_carrier: int = 0
    tx_collisions: int = 0


@dataclass(frozen=True)
class Link:
    """One network interface as netlink reports it (S1, S6).

    ``peer_ifindex`` is IFLA_LINK: for a veth the ifindex of its peer, which
    lives in the namespace ``link_netnsid`` names (relative to the namespace
    this link was read in).  That pair is how a pod's ``eth0@ifN`` is tied to
    its host veth without trusting interface names.
    """

    ifindex: int
    name: str
    kind: str = ""  # IFLA_INFO_KIND: veth, bridge, vxlan, ... ; "" for plain devices
    mac: str | None = None
    mtu: int = 0
    operstate: str = "UNKNOWN"
    flags: tuple[str, ...] = ()
    master: int | None = None  # ifindex of the bridge (or other master)
    peer_ifindex: int | None = None
    link_netnsid: int | None = None
    slave_kind: str = ""  # IFLA_INFO_SLAVE_KIND: "bridge" for a bridge port
    stats: Stats | None = None


@dataclass(frozen=True)
class Address:
    """An IP address on an interface (``ip addr``)."""

    ifindex: int
    family: int  # 4 or 6
    address: str
    prefixlen: int
    scope: str = "global"


@dataclass(frozen=True)
class Bridge:
    """A Linux bridge's own settings (S2, S11)."""

    ifindex: int
    name: str
    bridge_id: str  # brctl form: "8000.0242a58591b6"
    stp: bool = False
    ageing_time: float = 300.0  # seconds
    vlan_filtering: bool = False
    nf_call_iptables: bool | None = None
    forward_delay: float = 0.0


@dataclass(frozen=True)
class BridgePort:
    """One port of a bridge (``brctl show`` interfaces, ``bridge link``)."""

    ifindex: int
    name: str
    bridge_ifindex: int
    port_no: int
    state: str  # disabled, listening, learning, forwarding, blocking
    learning: bool = True
    hairpin: bool = False


@dataclass(frozen=True)
class FdbEntry:
    """One row of the MAC learning table (``brctl showmacs``, S3).

    ``is_local`` is NUD_PERMANENT: the port's own MAC.  ``ageing`` is the
    seconds since the entry was last refreshed, as brctl prints it.
    """

    bridge_ifindex: int
    port_ifindex: int
    port_no: int
    mac: str
    is_local: bool
    ageing: float = 0.0
    vlan: int | None = None


@dataclass(frozen=True)
class Neighbour:
    """An ARP (IPv4) or NDP (IPv6) entry (``ip neigh``, S4)."""

    ifindex: int
    family: int
    address: str
    mac: str | None
    state: str  # REACHABLE, STALE, PERMANENT, FAILED, INCOMPLETE, NOARP, ...
    is_router: bool = False
    is_proxy: bool = False


@dataclass(frozen=True)
class Route:
    """A routing table entry (``ip route show``, S9).

    ``destination`` is ``"default"`` or a CIDR string.
    """

    family: int
    destination: str
    table: int = 254
    gateway: str | None = None
    oif: int | None = None
    prefsrc: str | None = None
    scope: str = "universe"
    protocol: str = "boot"
    type: str = "unicast"
    metric: int | None = None


@dataclass(frozen=True)
class Rule:
    """A policy routing rule (``ip rule``)."""

    family: int
    priority: int
    table: int
    action: str = "lookup"
    src: str | None = None
    dst: str | None = None
    iif: str | None = None
    oif: str | None = None
    fwmark: int | None = None


@dataclass(frozen=True)
class RouteLookup:
    """The kernel's own answer to ``ip route get DEST`` (policy routing included)."""

    destination: str
    family: int
    type: str = "unicast"
    table: int | None = None
    gateway: str | None = None
    oif: int | None = None
    prefsrc: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class InterfaceSysctls:
    """Per-interface sysctls that decide whether a hop forwards or answers ARP."""

    name: str
    proxy_arp: int | None = None
    rp_filter: int | None = None
    forwarding: int | None = None


@dataclass(frozen=True)
class Sysctls:
    """Namespace-wide forwarding switches."""

    ip_forward: int | None = None
    ipv6_forwarding: int | None = None
    bridge_nf_call_iptables: int | None = None
    bridge_nf_call_ip6tables: int | None = None
    interfaces: tuple[InterfaceSysctls, ...] = ()


@dataclass(frozen=True)
class NetfilterRule:
    """One netfilter rule, decoded into iptables' own terms as far as they go.

    Masquerade (S10, S11's ``enable_ip_masquerade``) and pod-to-pod drops
    (``enable_icc``) are decided by rules, not by links or routes.  Matches
    the decoder understands become fields (``! -o docker0`` is
    ``out_interface="docker0", negate_out=True``; ``cni+`` keeps iptables'
    wildcard); any other match is named in ``conditions`` (``mark``,
    ``ct state``, ``-p tcp``), meaning the rule applies only when it holds.
    ``action``: ``masquerade``, ``snat``, ``dnat``, ``redirect``, ``accept``,
    ``drop``, ``reject``, ``return``, ``jump``, ``goto``, ``continue`` (no
    verdict: counters, marks, logging) or another target's lower-case name.
    """

    action: str
    #: 4 or 6 when the rule matches one IP version only (``meta nfproto`` in
    #: an ``inet`` table); None: the chain's family decides.
    family: int | None = None
    source: str | None = None  # CIDR
    negate_source: bool = False
    destination: str | None = None  # CIDR
    negate_destination: bool = False
    in_interface: str | None = None
    negate_in: bool = False
    out_interface: str | None = None
    negate_out: bool = False
    to_address: str | None = None  # SNAT/DNAT --to-source/--to-destination
    target_chain: str | None = None  # jump/goto
    conditions: tuple[str, ...] = ()
    comment: str | None = None


@dataclass(frozen=True)
class NetfilterChain:
    """A chain with its rules, in evaluation order.

    ``hook`` (``prerouting``, ``input``, ``forward``, ``output``,
    ``postrouting``), ``type``, ``priority`` and ``policy`` (``accept``,
    ``drop``) are set for base chains only: the ones the kernel runs
    packets through; the others are reached by jump/goto.  ``family`` is
    the nftables family (``ip``, ``ip6``, ``inet``).
    """

    family: str
    table: str
    name: str
    hook: str | None = None
    type: str | None = None
    priority: int | None = None
    policy: str | None = None
    rules: tuple[NetfilterRule, ...] = ()


@dataclass(frozen=True)
class Netfilter:
    """The nat POSTROUTING and filter FORWARD chains, and what they jump to.

    ``source`` says how they were read: ``nftables`` (netlink; this includes
    iptables-nft rules) or ``iptables-save`` / ``iptables-legacy-save``
    (text, when netlink showed nothing usable or legacy tables are in use).
    ``unread`` lists ``table/chain`` jump targets left unread (a limit keeps
    a large ruleset from costing seconds).  ``legacy_tables`` are x_tables
    (iptables-legacy) tables in use in the namespace, whose rules netlink
    cannot show.
    """

    source: str
    chains: tuple[NetfilterChain, ...] = ()
    unread: tuple[str, ...] = ()
    legacy_tables: tuple[str, ...] = ()


@dataclass(frozen=True)
class SectionStatus:
    """Whether one section of a snapshot was collected.

    One failing section (no permission, module not loaded) must not cost the
    user the rest of the picture, so each section reports on its own.
    """

    name: str
    ok: bool
    error: str | None = None


@dataclass(frozen=True)
class NetnsView:
    """Everything read from one network namespace."""

    links: tuple[Link, ...] = ()
    addresses: tuple[Address, ...] = ()
    routes: tuple[Route, ...] = ()
    rules: tuple[Rule, ...] = ()
    neighbours: tuple[Neighbour, ...] = ()
    bridges: tuple[Bridge, ...] = ()
    ports: tuple[BridgePort, ...] = ()
    fdb: tuple[FdbEntry, ...] = ()
    route_lookups: tuple[RouteLookup, ...] = ()
    sysctls: Sysctls | None = None
    sections: tuple[SectionStatus, ...] = ()
    #: nat/forward rules (host view only); None: not collected.
    netfilter: Netfilter | None = None


@dataclass(frozen=True)
class Target:
    """What was asked for and how the agent found its namespace.

    ``found_by`` says which way the netns was located (``cgroup:container-id``,
    ``cgroup:pod-uid``, ``pod-ip``, ``pid``, ``netns-path``, ``host``) so a
    user can judge how much to trust it.  ``host_nsid`` is the id under which
    the host namespace knows the pod namespace: the value the host veth's
    ``link_netnsid`` carries.
    """

    kind: str  # pod, pid, netns, host
    found_by: str
    pid: int | None = None
    netns_path: str | None = None
    host_network: bool = False
    host_nsid: int | None = None
    pod_name: str | None = None
    pod_namespace: str | None = None
    pod_ips: tuple[str, ...] = ()
    container_id: str | None = None
    #: Set by the kube layer: the node the pod (or node target) is on, and
    #: what the API told us that the user should know (e.g. "container app
    #: is in CrashLoopBackOff; its pod sandbox's namespace is used").
    node_name: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AgentInfo:
    """Who collected the snapshot, where and how long it took."""

    version: str
    hostname: str
    kernel: str = ""
    collected_at: float = 0.0  # unix time
    duration_ms: float = 0.0
    scope: str = "pod"  # "pod": targeted queries; "node": full dumps
    #: "process": an agent process started for this request (or in-process
    #: for local targets); "server": the debug pod's long-lived agent server.
    served_by: str = "process"


@dataclass(frozen=True)
class PeerNetns:
    """A namespace that host interfaces lead into, and who lives there.

    Filled for node-scope snapshots so every bridge port can be mapped to
    its pod: the kube layer matches ``container_id``/``pod_uid`` against the
    pods the API says run on the node; locally they are shown as they are.
    """

    nsid: int
    netns_path: str | None = None
    pid: int | None = None
    container_id: str | None = None
    pod_uid: str | None = None
    links: tuple[Link, ...] = ()
    addresses: tuple[Address, ...] = ()
    #: Set by the kube layer once it has matched the ids above to a pod, so
    #: renderers can label a bridge port with its pod (``stitch.owner``).
    pod_name: str | None = None
    pod_namespace: str | None = None


@dataclass(frozen=True)
class Snapshot:
    """One collection: the host namespace and, for a pod, the pod's namespace."""

    agent: AgentInfo
    target: Target
    host: NetnsView
    pod: NetnsView | None = None
    peers: tuple[PeerNetns, ...] = ()
    schema_version: int = SCHEMA_VERSION

    @property
    def node_name(self) -> str:
        """The node as the user knows it: the API's name, else the agent's hostname.

        A debug pod shares its node's hostname on a real cluster, but not on
        kind nodes or the sandbox, where every node is this machine.
        """
        return self.target.node_name or self.agent.hostname


@dataclass(frozen=True)
class Request:
    """What the plugin asks the agent for; sent length-prefixed on stdin.

    A pod is named by what the kubelet knows (container ids with their
    runtime prefix, pod UID, pod IPs); a local target by PID or netns.
    ``scope`` "pod" asks for targeted queries along one pod's path, "node"
    for full dumps of every bridge and port.
    """

    kind: str  # pod, pid, netns, host
    scope: str = "pod"
    container_ids: tuple[str, ...] = ()
    pod_uid: str | None = None
    pod_ips: tuple[str, ...] = ()
    pod_name: str | None = None
    pod_namespace: str | None = None
    host_network: bool = False
    pid: int | None = None
    netns: str | None = None  # a name under /run/netns or a path
    #: The namespace to treat as the node's own (a name under /run/netns or a
    #: path); None means the agent's.  Sandboxes and tests model a node as a
    #: namespace of its own, so the agent can run anywhere on the machine.
    host_netns: str | None = None


# --- the pure core's output ------------------------------------------------


@dataclass(frozen=True)
class Hop:
    """One step of a pod's path: an interface, a bridge, a route or the uplink."""

    kind: str  # pod-interface, host-interface, bridge, route, uplink
    name: str
    netns: str = "host"  # "pod" or "host"
    ifindex: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Path:
    """The ordered hops from one pod interface to the node's uplink."""

    interface: str
    hops: tuple[Hop, ...] = ()


@dataclass(frozen=True)
class Finding:
    """Something that looks wrong, with why and what to do."""

    severity: str  # error, warning, info
    code: str
    message: str
    hint: str = ""
    hop: str | None = None


# --- JSON ------------------------------------------------------------------

T = TypeVar("T")


def to_jsonable(value: Any) -> Any:
    """Turn model objects into plain JSON data (tuples become lists)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    return value


def dump(snapshot: Snapshot, *, indent: int | None = None) -> str:
    """Serialise a snapshot to JSON text."""
    return json.dumps(to_jsonable(snapshot), indent=indent, sort_keys=False)


class SchemaError(ValueError):
    """The JSON is not a snapshot this version of the plugin can read."""


def parse(text: str | bytes) -> Snapshot:
    """Read a snapshot from JSON text, refusing an unknown schema version."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SchemaError(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise SchemaError("a snapshot is a JSON object")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise SchemaError(
            f"snapshot schema version {version!r}; this plugin reads version {SCHEMA_VERSION}"
        )
    return from_jsonable(Snapshot, data)


def from_jsonable(cls: type[T], data: Any) -> T:
    """Build dataclass ``cls`` from plain data, following its type hints."""
    return typing.cast(T, _convert(cls, data, cls.__name__))


def _convert(hint: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        if value is None:
            if type(None) in args:
                return None
            raise SchemaError(f"{where}: null is not allowed")
        non_none = [a for a in args if a is not type(None)]
        return _convert(non_none[0], value, where)
    if origin is tuple:
        if not isinstance(value, list):
            raise SchemaError(f"{where}: expected a list")
        (item,) = typing.get_args(hint)[:1]
        return tuple(_convert(item, v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise SchemaError(f"{where}: expected an object")
        return dict(value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise SchemaError(f"{where}: expected an object")
        hints = typing.get_type_hints(hint)
        kwargs = {}
        for f in dataclasses.fields(hint):
            if f.name in value:
                kwargs[f.name] = _convert(hints[f.name], value[f.name], f"{where}.{f.name}")
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise SchemaError(f"{where}: missing {f.name!r}")
        return hint(**kwargs)
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if hint in (int, str, bool) and not isinstance(value, hint):
        raise SchemaError(f"{where}: expected {hint.__name__}, got {type(value).__name__}")
    if hint is int and isinstance(value, bool):
        raise SchemaError(f"{where}: expected int, got bool")
    return value
