"""Each rule, one broken thing at a time: the right finding and nothing else."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import snapshots as S  # noqa: N812 - S: the snapshot builders

from kubectl_bridge import findings, model, stitch


def evaluate(snap: model.Snapshot) -> list[model.Finding]:
    return findings.evaluate(snap, stitch.paths(snap))


def codes(snap: model.Snapshot) -> list[str]:
    return [f.code for f in evaluate(snap)]


def replace_link(view: model.NetnsView, name: str, **changes: Any) -> model.NetnsView:
    links = tuple(
        dataclasses.replace(lk, **changes) if lk.name == name else lk for lk in view.links
    )
    return dataclasses.replace(view, links=links)


def test_healthy_seed_has_no_findings() -> None:
    assert evaluate(S.seed_pod_snapshot()) == []
    assert evaluate(S.calico_snapshot()) == []


def test_port_down_is_one_finding_at_its_cause() -> None:
    """Down veth: the pod loses carrier, the port is disabled, the MAC is flushed; one finding."""
    host = replace_link(S.seed_host(), "veth2482a36", flags=("BROADCAST", "MULTICAST"),
                        operstate="DOWN")  # fmt: skip
    host = dataclasses.replace(
        host,
        ports=(dataclasses.replace(host.ports[0], state="disabled"), host.ports[1]),
        fdb=tuple(e for e in host.fdb if e.mac != "02:42:ac:11:00:02"),
    )
    pod = replace_link(S.nginx_pod(), "eth0", operstate="LOWERLAYERDOWN",
                       flags=("BROADCAST", "MULTICAST", "UP"))  # fmt: skip
    (finding,) = evaluate(S.seed_pod_snapshot(host=host, pod=pod))
    assert (finding.severity, finding.code, finding.hop) == ("error", "link-down", "veth2482a36")
    assert "administratively down" in finding.message and "eth0 lost carrier" in finding.message
    assert finding.hint == "bring it up: ip link set veth2482a36 up"


def test_pod_side_down_hint_enters_the_pod() -> None:
    pod = replace_link(S.nginx_pod(), "eth0", flags=("BROADCAST",), operstate="DOWN")
    (finding,) = evaluate(S.seed_pod_snapshot(pod=pod))
    assert finding.hint == "bring it up: nsenter -t 4242 -n ip link set eth0 up"


@pytest.mark.parametrize(("state", "severity"), [("blocking", "error"), ("learning", "warning")])
def test_port_not_forwarding(state: str, severity: str) -> None:
    host = S.seed_host()
    host = dataclasses.replace(host, ports=(dataclasses.replace(host.ports[0], state=state),))
    (finding,) = evaluate(S.seed_pod_snapshot(host=host))
    assert (finding.code, finding.severity) == ("port-not-forwarding", severity)
    assert state in finding.message


def test_mtu_mismatch_names_every_hop() -> None:
    host = replace_link(S.seed_host(), "veth2482a36", mtu=1400)
    (finding,) = evaluate(S.seed_pod_snapshot(host=host))
    assert finding.code == "mtu-mismatch"
    assert (
        finding.message == "MTU differs along the path: eth0 1500, veth2482a36 1400, docker0 1500"
    )


def test_pod_mtu_above_uplink() -> None:
    host = replace_link(S.seed_host(), "eth0", mtu=1450)
    assert codes(S.seed_pod_snapshot(host=host)) == ["mtu-above-uplink"]


def test_fdb_not_learned_explains_learning_and_ageing() -> None:
    host = S.seed_host()
    host = dataclasses.replace(host, fdb=tuple(e for e in host.fdb if e.is_local))
    (finding,) = evaluate(S.seed_pod_snapshot(host=host))
    assert (finding.severity, finding.code) == ("info", "fdb-not-learned")
    assert "02:42:ac:11:00:02" in finding.message
    assert "first frame" in finding.hint and "300 s (its ageing time)" in finding.hint


def test_fdb_learned_on_another_port() -> None:
    host = S.seed_host()
    moved = model.FdbEntry(3, 7, 2, "02:42:ac:11:00:02", False, 2.0)
    host = dataclasses.replace(host, fdb=(moved, *[e for e in host.fdb if e.is_local]))
    (finding,) = evaluate(S.seed_pod_snapshot(host=host))
    assert finding.code == "fdb-wrong-port"
    assert "veth1b74665" in finding.message and "behind veth2482a36" in finding.message


def test_fdb_not_judged_when_not_collected() -> None:
    host = S.seed_host(
        fdb=(),
        sections=(*S.SECTIONS[:5], model.SectionStatus("fdb", False, "EPERM"), S.SECTIONS[6]),
    )
    assert codes(S.seed_pod_snapshot(host=host)) == ["not-collected"]


def test_neighbour_failed() -> None:
    host = S.seed_host(
        neighbours=(
            S.seed_host().neighbours[0],
            model.Neighbour(3, 4, "172.17.0.2", None, "FAILED"),
        )
    )
    (finding,) = evaluate(S.seed_pod_snapshot(host=host))
    assert finding.code == "neigh-failed" and "172.17.0.2 is FAILED" in finding.message


def test_route_removed_means_no_route_back() -> None:
    host = S.seed_host(
        routes=tuple(r for r in S.seed_host().routes if r.destination != "172.17.0.0/16"),
        route_lookups=(
            model.RouteLookup("172.17.0.2", 4, table=254, gateway="192.168.0.1", oif=2),
        ),
    )
    (finding,) = evaluate(S.seed_pod_snapshot(host=host))
    assert finding.code == "no-route"
    assert "172.17.0.2" in finding.message and "default route" in finding.message


def test_route_through_the_wrong_device() -> None:
    host = S.seed_host(
        routes=(*S.seed_host().routes, model.Route(4, "172.17.0.0/24", oif=2, scope="link")),
        route_lookups=(),
    )
    (finding,) = evaluate(S.seed_pod_snapshot(host=host))
    assert finding.code == "route-wrong-device"
    assert finding.message == (
        "the node routes 172.17.0.2 through eth0, not through docker0 or veth2482a36"
    )


def test_ip_forward_off() -> None:
    host = S.seed_host(sysctls=model.Sysctls(ip_forward=0))
    assert codes(S.seed_pod_snapshot(host=host)) == ["ip-forward-off"]


def test_no_default_route() -> None:
    host = S.seed_host(routes=S.seed_host().routes[1:])
    snap = S.seed_pod_snapshot(host=host)
    assert codes(snap) == ["no-default-route"]
    assert "uplink" not in [h.kind for h in stitch.paths(snap)[0].hops]


def test_errors_are_warnings_and_drops_are_info() -> None:
    stats = model.Stats(rx_errors=3, tx_dropped=5)
    host = replace_link(S.seed_host(), "docker0", stats=stats)
    found = evaluate(S.seed_pod_snapshot(host=host))
    assert [(f.severity, f.code) for f in found] == [
        ("warning", "interface-errors"),
        ("info", "interface-drops"),
    ]


def test_host_network_pod_is_explained() -> None:
    (finding,) = evaluate(S.host_network_snapshot())
    assert (finding.severity, finding.code) == ("info", "host-network")
    assert "no veth" in finding.message


def test_calico_without_proxy_arp() -> None:
    (finding,) = evaluate(S.calico_snapshot(proxy_arp=0))
    assert finding.code == "proxy-arp-off"
    assert "net.ipv4.conf.cali1a2b3c4d5e6.proxy_arp=1" in finding.hint


def test_peer_not_found() -> None:
    pod = replace_link(S.nginx_pod(), "eth0", peer_ifindex=42)
    (finding,) = evaluate(S.seed_pod_snapshot(pod=pod))
    assert finding.code == "peer-not-found" and "eth0@if42" in finding.message


def test_ovs_master_is_recognised() -> None:
    host = replace_link(S.seed_host(), "docker0", kind="openvswitch")
    host = dataclasses.replace(host, bridges=())
    assert codes(S.seed_pod_snapshot(host=host)) == ["ovs-bridge"]


def test_node_view_reports_a_shared_hop_once_and_names_pods() -> None:
    host = replace_link(S.seed_host(), "docker0", stats=model.Stats(rx_dropped=2))
    host = dataclasses.replace(host, fdb=tuple(e for e in host.fdb if e.is_local))
    found = evaluate(S.seed_node_snapshot(**{f: getattr(host, f) for f in ("links", "fdb")}))
    assert [f.code for f in found].count("interface-drops") == 1
    learned = [f.message for f in found if f.code == "fdb-not-learned"]
    assert learned == [
        "container ac566daf6351: docker0 has not learned the pod's MAC 02:42:ac:11:00:02 yet",
        "container 2c46b426cde9: docker0 has not learned the pod's MAC 02:42:ac:11:00:03 yet",
    ]


def test_errors_sort_before_warnings_before_info() -> None:
    host = S.seed_host(sysctls=model.Sysctls(ip_forward=0))
    host = replace_link(host, "eth0", mtu=1450, stats=model.Stats(tx_dropped=1))
    severities = [f.severity for f in evaluate(S.seed_pod_snapshot(host=host))]
    assert severities == ["error", "warning", "info"]
