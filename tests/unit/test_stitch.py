"""Stitching follows the kernel's links: bridge, routed veth, two bridges, Multus, hostNetwork."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path as FsPath

import pytest
import snapshots as S  # noqa: N812 - S: the snapshot builders

from kubectl_bridge import bridgeview, model, stitch

FIXTURES = FsPath(__file__).parents[1] / "fixtures"


def kinds(path: model.Path) -> list[tuple[str, str]]:
    return [(h.kind, h.name) for h in path.hops]


def test_seed_pod_path_is_the_seed_picture() -> None:
    (path,) = stitch.paths(S.seed_pod_snapshot())
    assert kinds(path) == [
        ("pod-interface", "eth0"),
        ("host-interface", "veth2482a36"),
        ("bridge", "docker0"),
        ("route", "172.17.0.0/16"),
        ("uplink", "eth0"),
    ]
    pod, veth, bridge, route, uplink = path.hops
    assert pod.details["display"] == "eth0@if5"
    assert pod.details["addresses"] == ["172.17.0.2/16"]
    assert pod.details["gateway"] == "172.17.0.1"
    assert veth.details["port_no"] == 1 and veth.details["port_state"] == "forwarding"
    assert bridge.details["bridge_id"] == "8000.0242a58591b6"
    assert bridge.details["pod_mac_learned"] is True
    assert bridge.details["learned_on"] == "veth2482a36"
    assert route.details["source"] == "lookup" and route.details["matches"] is True
    assert uplink.details["node_address"] == "192.168.0.10"
    assert uplink.details["gateway"] == "192.168.0.1"


def test_names_do_not_matter_only_links() -> None:
    """Rename everything: the path is the same, because ifindexes tie it together."""
    snap = S.seed_pod_snapshot()
    renamed = {"docker0": "kube-bridge", "veth2482a36": "zz-port", "eth0": "uplink9"}
    host_links = tuple(
        dataclasses.replace(lk, name=renamed.get(lk.name, lk.name)) for lk in snap.host.links
    )
    snap = dataclasses.replace(snap, host=dataclasses.replace(snap.host, links=host_links))
    (path,) = stitch.paths(snap)
    assert [h.name for h in path.hops] == [
        "eth0",
        "zz-port",
        "kube-bridge",
        "172.17.0.0/16",
        "uplink9",
    ]


def test_host_veth_must_point_back_at_the_pod() -> None:
    """An ifindex match alone is not enough: a host veth with another peer is not ours."""
    snap = S.seed_pod_snapshot()
    links = tuple(
        dataclasses.replace(lk, peer_ifindex=99) if lk.name == "veth2482a36" else lk
        for lk in snap.host.links
    )
    snap = dataclasses.replace(snap, host=dataclasses.replace(snap.host, links=links))
    (path,) = stitch.paths(snap)
    assert path.hops[0].details["peer"] is None
    assert [h.kind for h in path.hops] == ["pod-interface", "route", "uplink"]


def test_wrong_netnsid_is_not_followed() -> None:
    snap = S.seed_pod_snapshot(host_nsid=7)
    (path,) = stitch.paths(snap)
    assert "host-interface" not in [h.kind for h in path.hops]


def test_routed_veth_has_no_bridge_and_a_32_route() -> None:
    (path,) = stitch.paths(S.calico_snapshot())
    assert kinds(path) == [
        ("pod-interface", "eth0"),
        ("host-interface", "cali1a2b3c4d5e6"),
        ("route", "10.244.1.7/32"),
        ("uplink", "ens5"),
    ]
    assert path.hops[0].details["gateway"] == "169.254.1.1"
    assert path.hops[1].details["proxy_arp"] == 1
    assert path.hops[2].details["dev"] == "cali1a2b3c4d5e6"


def test_multus_gives_one_path_per_interface_on_its_own_bridge() -> None:
    eth0, net1 = stitch.paths(S.multus_snapshot())
    assert kinds(eth0) == [
        ("pod-interface", "eth0"),
        ("host-interface", "veth0a1b2c3d"),
        ("bridge", "cni0"),
        ("route", "10.244.0.0/24"),
        ("uplink", "eth0"),
    ]
    # net1 reaches only its own network: the pod's default route is on eth0.
    assert kinds(net1) == [
        ("pod-interface", "net1"),
        ("host-interface", "veth9f8e7d6c"),
        ("bridge", "br-storage"),
        ("route", "192.168.100.0/24"),
    ]


def test_route_lookup_wins_over_table_and_wrong_device_is_flagged() -> None:
    lookup = model.RouteLookup("172.17.0.2", 4, table=254, oif=2)
    snap = S.seed_pod_snapshot(host=S.seed_host(route_lookups=(lookup,)))
    route = next(h for h in stitch.paths(snap)[0].hops if h.kind == "route")
    assert route.details["dev"] == "eth0"
    assert route.details["matches"] is False
    assert route.details["expected"] == ["docker0", "veth2482a36"]


def test_without_lookup_the_longest_prefix_matches() -> None:
    host = S.seed_host(
        route_lookups=(),
        routes=(*S.seed_host().routes, model.Route(4, "172.17.0.2/32", oif=5, scope="link")),
    )
    route = next(
        h for h in stitch.paths(S.seed_pod_snapshot(host=host))[0].hops if h.kind == "route"
    )
    assert (route.name, route.details["dev"], route.details["source"]) == (
        "172.17.0.2/32",
        "veth2482a36",
        "table",
    )


def test_host_network_pod_has_no_veth() -> None:
    (path,) = stitch.paths(S.host_network_snapshot())
    assert kinds(path) == [("pod-interface", "hostNetwork"), ("uplink", "eth0")]
    assert path.hops[0].details["host_network"] is True


def test_node_view_maps_every_port_to_its_pod() -> None:
    snap = dataclasses.replace(S.seed_node_snapshot(), peers=S.named_peers())
    paths = stitch.paths(snap)
    owners = [p.hops[0].details["owner"] for p in paths]
    assert owners == ["pod default/nginx-2040093540-k0mv4", "pod default/nginx1-2621397958-auuga"]
    (docker0,) = bridgeview.bridges(snap)
    assert [(pv.port.name, pv.far_end.owner if pv.far_end else None) for pv in docker0.ports] == [
        ("veth2482a36", "pod default/nginx-2040093540-k0mv4"),
        ("veth1b74665", "pod default/nginx1-2621397958-auuga"),
    ]
    assert docker0.ports[1].far_end and docker0.ports[1].far_end.addresses == ("172.17.0.3/16",)


def test_two_bridges_on_a_node_and_an_empty_one() -> None:
    snap = S.seed_node_snapshot(
        links=(*S.seed_host().links, model.Link(20, "br-empty", kind="bridge", operstate="DOWN")),
        bridges=(*S.seed_host().bridges, model.Bridge(20, "br-empty", "8000.000000000020")),
    )
    names = [(b.bridge.name, len(b.ports)) for b in bridgeview.bridges(snap)]
    assert names == [("br-empty", 0), ("docker0", 2)]


def test_node_view_skips_an_uplink_that_is_a_veth() -> None:
    host = S.seed_host()
    links = tuple(
        dataclasses.replace(lk, kind="veth", peer_ifindex=2, link_netnsid=9)
        if lk.ifindex == 2
        else lk
        for lk in host.links
    )
    snap = S.seed_node_snapshot(links=links)
    assert [p.interface for p in stitch.paths(snap)] == ["eth0", "eth0"]
    assert all(p.hops[0].kind == "pod-interface" for p in stitch.paths(snap))


def test_mac_owners_name_pods_ports_and_bridges() -> None:
    owners = bridgeview.mac_owners(S.seed_pod_snapshot())
    assert owners["02:42:ac:11:00:02"] == "pod default/nginx-2040093540-k0mv4 eth0"
    assert owners["02:42:a5:85:91:b6"] == "bridge docker0"
    assert owners["9e:73:f4:f6:8c:8a"] == "host veth2482a36"


@pytest.mark.parametrize(
    "name", ["seed-nginx-before.json", "seed-nginx-after-ping.json", "seed-nginx1-after-ping.json"]
)
def test_recorded_pod_snapshots_stitch_to_the_seed_path(name: str) -> None:
    """Real kernel data (recorded by tests/fixtures/record.py) gives the same shape."""
    snap = model.parse((FIXTURES / name).read_text())
    (path,) = stitch.paths(snap)
    assert [h.kind for h in path.hops] == [
        "pod-interface",
        "host-interface",
        "bridge",
        "route",
        "uplink",
    ]
    assert path.hops[2].name == "docker0" and path.hops[-1].details["gateway"] == "192.168.0.1"
    pod_ip = path.hops[3].details["for"]
    assert pod_ip in snap.target.pod_ips


def test_recorded_node_snapshot_has_both_pods_on_docker0() -> None:
    raw = json.loads((FIXTURES / "seed-host-node.json").read_text())
    snap = model.parse(json.dumps(raw))
    paths = stitch.paths(snap)
    assert len(paths) == 2
    assert {p.hops[2].name for p in paths} == {"docker0"}
    addrs = sorted(p.hops[0].details["addresses"][0] for p in paths)
    assert addrs == ["172.17.0.2/16", "172.17.0.3/16"]
