"""Hand-built snapshots for the pure core's tests.

The seed topology is the one the seed note's author drew: node ``master1``,
uplink ``eth0`` 192.168.0.10/24, router 192.168.0.1, Docker bridge
``docker0`` 172.17.0.1/16 with pods ``nginx`` (172.17.0.2) on
``veth2482a36`` and ``nginx1`` (172.17.0.3) on ``veth1b74665``.  The others
cover what today's CNIs do: a Calico-like routed veth, two bridges, a pod
with a Multus secondary interface, a hostNetwork pod.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from kubectl_bridge.model import (
    Address,
    AgentInfo,
    Bridge,
    BridgePort,
    FdbEntry,
    InterfaceSysctls,
    Link,
    Neighbour,
    Netfilter,
    NetfilterChain,
    NetfilterRule,
    NetnsView,
    PeerNetns,
    Route,
    RouteLookup,
    SectionStatus,
    Snapshot,
    Stats,
    Sysctls,
    Target,
)

UP = ("BROADCAST", "MULTICAST", "UP", "LOWER_UP")
AGENT = AgentInfo(version="0.1.0", hostname="master1", kernel="3.10.0-327.el7.x86_64")
SECTIONS = tuple(
    SectionStatus(name, True)
    for name in ("links", "addresses", "routes", "neighbours", "bridges", "fdb", "sysctls")
)

# --- the seed ---------------------------------------------------------------

LO = Link(1, "lo", mac="00:00:00:00:00:00", mtu=65536, flags=("LOOPBACK", "UP", "LOWER_UP"))
UPLINK = Link(
    2,
    "eth0",
    mac="00:0c:29:18:5c:90",
    mtu=1500,
    operstate="UP",
    flags=UP,
    stats=Stats(rx_bytes=5_402_113, rx_packets=40_211, tx_bytes=1_203_332, tx_packets=9_876),
)
DOCKER0 = Link(
    3,
    "docker0",
    kind="bridge",
    mac="02:42:a5:85:91:b6",
    mtu=1500,
    operstate="UP",
    flags=UP,
    stats=Stats(rx_bytes=259_111, rx_packets=3_157, tx_bytes=666_135, tx_packets=3_035),
)
VETH_NGINX = Link(
    5,
    "veth2482a36",
    kind="veth",
    mac="9e:73:f4:f6:8c:8a",
    mtu=1500,
    operstate="UP",
    flags=UP,
    master=3,
    peer_ifindex=4,
    link_netnsid=0,
    slave_kind="bridge",
    stats=Stats(rx_bytes=1_512, rx_packets=18, tx_bytes=2_406, tx_packets=29),
)
VETH_NGINX1 = Link(
    7,
    "veth1b74665",
    kind="veth",
    mac="e6:64:d9:b4:2e:8c",
    mtu=1500,
    operstate="UP",
    flags=UP,
    master=3,
    peer_ifindex=6,
    link_netnsid=1,
    slave_kind="bridge",
    stats=Stats(rx_bytes=648, rx_packets=8, tx_bytes=1_300, tx_packets=16),
)
NGINX_ETH0 = Link(
    4,
    "eth0",
    kind="veth",
    mac="02:42:ac:11:00:02",
    mtu=1500,
    operstate="UP",
    flags=UP,
    peer_ifindex=5,
    link_netnsid=0,
    stats=Stats(rx_bytes=2_406, rx_packets=29, tx_bytes=1_512, tx_packets=18),
)
NGINX1_ETH0 = Link(
    6,
    "eth0",
    kind="veth",
    mac="02:42:ac:11:00:03",
    mtu=1500,
    operstate="UP",
    flags=UP,
    peer_ifindex=7,
    link_netnsid=0,
)


#: Docker's rules on the seed's node (``iptables -t nat -S``, ``iptables -S FORWARD``).
SEED_NETFILTER = Netfilter(
    source="nftables",
    chains=(
        NetfilterChain("ip", "nat", "POSTROUTING", "postrouting", "nat", 100, "accept", (
            NetfilterRule("masquerade", source="172.17.0.0/16", out_interface="docker0",
                          negate_out=True),
        )),
        NetfilterChain("ip", "filter", "FORWARD", "forward", "filter", 0, "accept", (
            NetfilterRule("jump", out_interface="docker0", target_chain="DOCKER"),
            NetfilterRule("accept", out_interface="docker0", conditions=("-m conntrack",)),
            NetfilterRule("accept", in_interface="docker0", out_interface="docker0",
                          negate_out=True),
            NetfilterRule("accept", in_interface="docker0", out_interface="docker0"),
        )),
        NetfilterChain("ip", "filter", "DOCKER"),
    ),
)  # fmt: skip


def seed_host(**overrides: Any) -> NetnsView:
    """The node's own namespace after ``ping -c 1 192.168.0.1`` from nginx."""
    view = NetnsView(
        links=(LO, UPLINK, DOCKER0, VETH_NGINX, VETH_NGINX1),
        addresses=(
            Address(1, 4, "127.0.0.1", 8, "host"),
            Address(2, 4, "192.168.0.10", 24),
            Address(3, 4, "172.17.0.1", 16),
        ),
        routes=(
            Route(4, "default", gateway="192.168.0.1", oif=2),
            Route(4, "172.17.0.0/16", oif=3, prefsrc="172.17.0.1", scope="link", protocol="kernel"),
            Route(
                4, "192.168.0.0/24", oif=2, prefsrc="192.168.0.10", scope="link", protocol="kernel"
            ),
        ),
        neighbours=(
            Neighbour(2, 4, "192.168.0.1", "00:50:56:e8:4a:01", "REACHABLE", is_router=False),
            Neighbour(3, 4, "172.17.0.2", "02:42:ac:11:00:02", "REACHABLE"),
        ),
        bridges=(Bridge(3, "docker0", "8000.0242a58591b6", stp=False, ageing_time=300.0),),
        ports=(
            BridgePort(5, "veth2482a36", 3, 1, "forwarding"),
            BridgePort(7, "veth1b74665", 3, 2, "forwarding"),
        ),
        fdb=(
            FdbEntry(3, 5, 1, "02:42:ac:11:00:02", False, 13.45),
            FdbEntry(3, 5, 1, "9e:73:f4:f6:8c:8a", True, 0.0),
            FdbEntry(3, 7, 2, "e6:64:d9:b4:2e:8c", True, 0.0),
        ),
        route_lookups=(RouteLookup("172.17.0.2", 4, table=254, oif=3, prefsrc="172.17.0.1"),),
        sysctls=Sysctls(
            ip_forward=1,
            bridge_nf_call_iptables=1,
            interfaces=(InterfaceSysctls("veth2482a36", proxy_arp=0, rp_filter=0),),
        ),
        sections=(*SECTIONS, SectionStatus("netfilter", True)),
        netfilter=SEED_NETFILTER,
    )
    return dataclasses.replace(view, **overrides)


def nginx_pod(**overrides: Any) -> NetnsView:
    """Pod nginx's namespace: ``eth0@if5`` 172.17.0.2/16."""
    view = NetnsView(
        links=(LO, NGINX_ETH0),
        addresses=(Address(1, 4, "127.0.0.1", 8, "host"), Address(4, 4, "172.17.0.2", 16)),
        routes=(
            Route(4, "default", gateway="172.17.0.1", oif=4),
            Route(4, "172.17.0.0/16", oif=4, prefsrc="172.17.0.2", scope="link", protocol="kernel"),
        ),
        neighbours=(Neighbour(4, 4, "172.17.0.1", "02:42:a5:85:91:b6", "REACHABLE"),),
        sections=SECTIONS[:4],
    )
    return dataclasses.replace(view, **overrides)


NGINX_TARGET = Target(
    kind="pod",
    found_by="cgroup:container-id",
    pid=4242,
    host_nsid=0,
    pod_name="nginx-2040093540-k0mv4",
    pod_namespace="default",
    pod_ips=("172.17.0.2",),
    container_id="containerd://ac566daf6351",
)


def seed_pod_snapshot(
    host: NetnsView | None = None, pod: NetnsView | None = None, **target: Any
) -> Snapshot:
    """``describe pod nginx`` on the seed's node."""
    return Snapshot(
        agent=AGENT,
        target=dataclasses.replace(NGINX_TARGET, **target),
        host=host or seed_host(),
        pod=pod or nginx_pod(),
    )


SEED_PEERS = (
    PeerNetns(
        0,
        pid=4242,
        container_id="containerd://ac566daf6351",
        pod_uid="066f518b",
        links=(LO, NGINX_ETH0),
        addresses=(Address(4, 4, "172.17.0.2", 16),),
    ),
    PeerNetns(
        1,
        pid=4343,
        container_id="containerd://2c46b426cde9",
        pod_uid="1f98b00b",
        links=(LO, NGINX1_ETH0),
        addresses=(Address(6, 4, "172.17.0.3", 16),),
    ),
)


def seed_node_snapshot(**host: Any) -> Snapshot:
    """``describe host`` on the seed's node: every bridge port with its pod."""
    return Snapshot(
        agent=dataclasses.replace(AGENT, scope="node"),
        target=Target(kind="host", found_by="host"),
        host=seed_host(**host),
        peers=SEED_PEERS,
    )


def named_peers() -> tuple[PeerNetns, ...]:
    """The seed's peers as the kube layer labels them (pod names known)."""
    names = ("nginx-2040093540-k0mv4", "nginx1-2621397958-auuga")
    return tuple(
        dataclasses.replace(p, pod_name=n, pod_namespace="default")
        for p, n in zip(SEED_PEERS, names, strict=True)
    )


# --- Calico-like routed veth -----------------------------------------------

CALI = Link(
    9,
    "cali1a2b3c4d5e6",
    kind="veth",
    mac="ee:ee:ee:ee:ee:ee",
    mtu=1480,
    operstate="UP",
    flags=UP,
    peer_ifindex=3,
    link_netnsid=2,
)


def calico_snapshot(proxy_arp: int = 1) -> Snapshot:
    """A Calico pod: no bridge, gateway 169.254.1.1 by proxy-ARP, a /32 route."""
    host = NetnsView(
        links=(
            LO,
            Link(2, "ens5", mac="0a:1b:2c:3d:4e:5f", mtu=1500, operstate="UP", flags=UP),
            Link(4, "tunl0", kind="ipip", mtu=1480, operstate="UNKNOWN", flags=("NOARP", "UP")),
            CALI,
        ),
        addresses=(Address(2, 4, "10.0.0.5", 24),),
        routes=(
            Route(4, "default", gateway="10.0.0.1", oif=2, protocol="dhcp", metric=100),
            Route(4, "10.0.0.0/24", oif=2, prefsrc="10.0.0.5", scope="link", protocol="kernel"),
            Route(4, "10.244.1.7/32", oif=9, scope="link", protocol="static"),
        ),
        neighbours=(Neighbour(9, 4, "10.244.1.7", "6a:01:02:03:04:05", "REACHABLE"),),
        route_lookups=(RouteLookup("10.244.1.7", 4, table=254, oif=9, prefsrc="10.0.0.5"),),
        sysctls=Sysctls(
            ip_forward=1,
            interfaces=(InterfaceSysctls("cali1a2b3c4d5e6", proxy_arp=proxy_arp, forwarding=1),),
        ),
        sections=SECTIONS,
    )
    pod = NetnsView(
        links=(
            LO,
            Link(
                3,
                "eth0",
                kind="veth",
                mac="6a:01:02:03:04:05",
                mtu=1480,
                operstate="UP",
                flags=UP,
                peer_ifindex=9,
                link_netnsid=0,
            ),
        ),
        addresses=(Address(3, 4, "10.244.1.7", 32),),
        routes=(
            Route(4, "default", gateway="169.254.1.1", oif=3),
            Route(4, "169.254.1.1/32", oif=3, scope="link"),
        ),
        neighbours=(Neighbour(3, 4, "169.254.1.1", "ee:ee:ee:ee:ee:ee", "REACHABLE"),),
        sections=SECTIONS[:4],
    )
    return Snapshot(
        agent=dataclasses.replace(AGENT, hostname="worker-2"),
        target=Target(
            kind="pod",
            found_by="cgroup:pod-uid",
            pid=777,
            host_nsid=2,
            pod_name="web-7d9c",
            pod_namespace="shop",
            pod_ips=("10.244.1.7",),
        ),
        host=host,
        pod=pod,
    )


# --- two bridges, two interfaces (Multus net1) -----------------------------


def multus_snapshot() -> Snapshot:
    """A pod with ``eth0`` on ``cni0`` and a Multus ``net1`` on ``br-storage``."""
    host = NetnsView(
        links=(
            LO,
            Link(2, "eth0", mac="52:54:00:12:34:56", mtu=1500, operstate="UP", flags=UP),
            Link(
                3,
                "cni0",
                kind="bridge",
                mac="0a:58:0a:f4:00:01",
                mtu=1450,
                operstate="UP",
                flags=UP,
            ),
            Link(
                4,
                "br-storage",
                kind="bridge",
                mac="0a:58:c0:a8:64:01",
                mtu=9000,
                operstate="UP",
                flags=UP,
            ),
            Link(
                11,
                "veth0a1b2c3d",
                kind="veth",
                mac="86:aa:bb:cc:dd:01",
                mtu=1450,
                operstate="UP",
                flags=UP,
                master=3,
                peer_ifindex=2,
                link_netnsid=5,
                slave_kind="bridge",
            ),
            Link(
                12,
                "veth9f8e7d6c",
                kind="veth",
                mac="86:aa:bb:cc:dd:02",
                mtu=9000,
                operstate="UP",
                flags=UP,
                master=4,
                peer_ifindex=3,
                link_netnsid=5,
                slave_kind="bridge",
            ),
        ),
        addresses=(
            Address(2, 4, "192.168.50.21", 24),
            Address(3, 4, "10.244.0.1", 24),
            Address(4, 4, "192.168.100.1", 24),
        ),
        routes=(
            Route(4, "default", gateway="192.168.50.1", oif=2),
            Route(4, "10.244.0.0/24", oif=3, scope="link", protocol="kernel"),
            Route(4, "192.168.50.0/24", oif=2, scope="link", protocol="kernel"),
            Route(4, "192.168.100.0/24", oif=4, scope="link", protocol="kernel"),
        ),
        bridges=(
            Bridge(3, "cni0", "8000.0a580af40001"),
            Bridge(4, "br-storage", "8000.0a58c0a86401", stp=True, ageing_time=30.0),
        ),
        ports=(
            BridgePort(11, "veth0a1b2c3d", 3, 1, "forwarding"),
            BridgePort(12, "veth9f8e7d6c", 4, 1, "forwarding"),
        ),
        fdb=(
            FdbEntry(3, 11, 1, "86:aa:bb:cc:dd:01", True),
            FdbEntry(3, 11, 1, "0a:58:0a:f4:00:0a", False, 4.2),
            FdbEntry(4, 12, 1, "86:aa:bb:cc:dd:02", True),
        ),
        sysctls=Sysctls(ip_forward=1),
        sections=SECTIONS,
    )
    pod = NetnsView(
        links=(
            LO,
            Link(
                2,
                "eth0",
                kind="veth",
                mac="0a:58:0a:f4:00:0a",
                mtu=1450,
                operstate="UP",
                flags=UP,
                peer_ifindex=11,
                link_netnsid=0,
            ),
            Link(
                3,
                "net1",
                kind="veth",
                mac="0a:58:c0:a8:64:0b",
                mtu=9000,
                operstate="UP",
                flags=UP,
                peer_ifindex=12,
                link_netnsid=0,
            ),
        ),
        addresses=(Address(2, 4, "10.244.0.10", 24), Address(3, 4, "192.168.100.11", 24)),
        routes=(
            Route(4, "default", gateway="10.244.0.1", oif=2),
            Route(4, "10.244.0.0/24", oif=2, scope="link", protocol="kernel"),
            Route(4, "192.168.100.0/24", oif=3, scope="link", protocol="kernel"),
        ),
        sections=SECTIONS[:4],
    )
    return Snapshot(
        agent=dataclasses.replace(AGENT, hostname="worker-1"),
        target=Target(
            kind="pod",
            found_by="cgroup:container-id",
            pid=900,
            host_nsid=5,
            pod_name="db-0",
            pod_namespace="data",
            pod_ips=("10.244.0.10",),
        ),
        host=host,
        pod=pod,
    )


def host_network_snapshot() -> Snapshot:
    """A hostNetwork pod: it has no namespace of its own, so no veth."""
    return Snapshot(
        agent=AGENT,
        target=Target(
            kind="pod",
            found_by="host",
            host_network=True,
            pod_name="kube-proxy-x7k2p",
            pod_namespace="kube-system",
            pod_ips=("192.168.0.10",),
        ),
        host=seed_host(),
    )
