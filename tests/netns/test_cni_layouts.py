"""Every common CNI node layout on the real kernel: path, recognised CNI, findings.

Each layout (``sandbox.layouts_more.LAYOUTS``) is built in fresh namespaces
as that CNI sets it up, warmed with pings where the kernel can carry them,
collected by the real agent (pod scope, as ``describe pod`` does) and run
through the same stitch, recognition, findings and renderers as the CLI.
Then one real fault per CNI-specific rule is made and must be reported.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubectl_bridge import model, render
from kubectl_bridge.agent.collect import collect
from kubectl_bridge.render.style import Style
from kubectl_bridge.sandbox import topology
from kubectl_bridge.sandbox.layouts import LayoutSpec, build_layout, target_request
from kubectl_bridge.sandbox.layouts_more import LAYOUTS
from kubectl_bridge.sandbox.topology import Topology

pytestmark = pytest.mark.netns


def view_of(topo: Topology, spec: LayoutSpec) -> render.View:
    return render.build_view(collect(target_request(topo, spec)))


def hops(path: model.Path) -> tuple[tuple[str, str], ...]:
    return tuple((h.kind, h.name) for h in path.hops)


@pytest.fixture(scope="module", params=sorted(LAYOUTS))
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LayoutSpec, Topology, render.View]]:
    spec = LAYOUTS[request.param](topology.unique_prefix("kbt"))
    state = tmp_path_factory.mktemp("cni") / "topology.json"
    with build_layout(spec, str(state)) as topo:
        yield spec, topo, view_of(topo, spec)


def test_path_is_stitched_in_order(built: tuple[LayoutSpec, Topology, render.View]) -> None:
    spec, _topo, view = built
    assert hops(view.paths[0]) == spec.expect.hops
    assert tuple(hops(p) for p in view.paths[1:]) == spec.expect.other_paths


def test_cni_is_recognised(built: tuple[LayoutSpec, Topology, render.View]) -> None:
    spec, _topo, view = built
    assert view.cni is not None
    assert view.cni.key == spec.expect.cni
    assert view.cni.evidence  # which kernel facts decided it


def test_findings_are_exactly_the_real_ones(
    built: tuple[LayoutSpec, Topology, render.View],
) -> None:
    spec, _topo, view = built
    codes = {f.code for f in view.findings}
    assert spec.expect.findings <= codes <= spec.expect.findings | spec.expect.maybe, view.findings


def test_describe_and_json_name_the_cni(built: tuple[LayoutSpec, Topology, render.View]) -> None:
    _spec, _topo, view = built
    assert view.cni is not None
    text = render.describe(view, Style())
    assert text.splitlines()[1] == view.cni.line()
    assert "Network plugin (CNI)" in text
    doc = json.loads(render.dumps([render.document(view)], "json"))
    assert doc["cni"]["key"] == view.cni.key and doc["cni"]["evidence"]


# --- what each layout must show in particular ------------------------------------


def built_one(key: str, tmp_path: Path) -> tuple[LayoutSpec, Topology]:
    spec = LAYOUTS[key](topology.unique_prefix("kbt"))
    return spec, build_layout(spec, str(tmp_path / "topology.json"))


def test_calico_proxy_arp_off_and_missing_route(tmp_path: Path) -> None:
    spec, topo = built_one("calico", tmp_path)
    with topo:
        veth = topo.pod("web").host_veth
        topo.run(topo.node_netns, "sysctl", "-qw", f"net.ipv4.conf.{veth}.proxy_arp=0")
        view = view_of(topo, spec)
        assert view.cni is not None and view.cni.key == "calico"  # the MAC still says so
        assert {f.code for f in view.findings} == {"proxy-arp-off"}
        topo.run(topo.node_netns, "sysctl", "-qw", f"net.ipv4.conf.{veth}.proxy_arp=1")
        topo.run(topo.node_netns, "ip", "route", "del", "10.244.1.7/32", "dev", veth)
        assert {f.code for f in view_of(topo, spec).findings} == {"no-route"}


def test_flannel_overlay_down_then_vtep_missing(tmp_path: Path) -> None:
    spec, topo = built_one("flannel", tmp_path)
    with topo:
        view = view_of(topo, spec)
        flannel = next(lk for lk in view.snapshot.host.links if lk.name == "flannel.1")
        assert flannel.kind == "vxlan"
        vteps = {n.address for n in view.snapshot.host.neighbours if n.ifindex == flannel.ifindex}
        assert vteps == {"10.244.0.0", "10.244.2.0"}
        topo.run(topo.node_netns, "ip", "neigh", "del", "10.244.2.0", "dev", "flannel.1")
        found = view_of(topo, spec).findings
        assert [(f.code, f.hop) for f in found] == [("overlay-neighbour-missing", "flannel.1")]
        assert "10.244.2.0/24" in found[0].message
        topo.run(topo.node_netns, "ip", "link", "set", "flannel.1", "down")
        assert {f.code for f in view_of(topo, spec).findings} == {"overlay-down"}


def test_cilium_route_to_cilium_host_is_not_a_fault(tmp_path: Path) -> None:
    spec, topo = built_one("cilium", tmp_path)
    with topo:
        view = view_of(topo, spec)
        route = next(h for h in view.paths[0].hops if h.kind == "route")
        assert route.details["dev"] == "cilium_host" and route.details["matches"] is False
        assert view.cni is not None and view.cni.datapath == "ebpf"
        assert any("eBPF" in n for n in view.cni.notes)


def test_aws_policy_routing_and_stale_static_arp(tmp_path: Path) -> None:
    spec, topo = built_one("aws-vpc-cni", tmp_path)
    with topo:
        view = view_of(topo, spec)
        egress = [lk for lk in view.snapshot.host.route_lookups if lk.destination == "1.1.1.1"]
        assert egress[0].table == 2  # the kernel says which table the rules chose
        uplink = view.paths[0].hops[-1]
        assert (uplink.name, uplink.details["gateway"]) == ("eth1", "192.168.1.1")
        assert any(r.table == 2 and r.destination == "default" for r in view.snapshot.host.routes)
        # the other pod, on the primary ENI, leaves by the main table's eth0
        web = LayoutSpec(**{**spec.__dict__, "target": "web"})
        assert view_of(topo, web).paths[0].hops[-1].name == "eth0"
        topo.run(topo.pod("api").netns, "ip", "neigh", "replace", "169.254.1.1", "lladdr",
                 "4e:8a:11:22:33:99", "dev", "eth0", "nud", "permanent")  # fmt: skip
        assert {f.code for f in view_of(topo, spec).findings} == {"static-arp-stale"}


def test_dual_stack_has_ipv6_neighbours(tmp_path: Path) -> None:
    spec, topo = built_one("dual-stack", tmp_path)
    with topo:
        view = view_of(topo, spec)
        assert view.snapshot.pod is not None
        pod_v6 = {n.address for n in view.snapshot.pod.neighbours if n.family == 6}
        assert "fd00:10:244:1::1" in pod_v6  # learned by ND, not ARP
        host_v6 = {n.address for n in view.snapshot.host.neighbours if n.family == 6}
        assert "fd00:10:244:1::2" in host_v6
        assert view.cni is not None and any("neighbour discovery" in n for n in view.cni.notes)


def test_ovs_says_what_to_run_instead(tmp_path: Path) -> None:
    spec, topo = built_one("ovs", tmp_path)
    with topo:
        view = view_of(topo, spec)
        assert view.cni is not None
        assert "ovs-ofctl dump-flows br-int" in view.cni.commands
        (finding,) = view.findings
        assert "ovs-vsctl show" in finding.hint and finding.severity == "info"
