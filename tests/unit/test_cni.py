"""CNI recognition and layout-aware findings on recorded snapshots (tests/fixtures/cni-*.json).

The fixtures were recorded from real namespaces by ``tests/fixtures/cni_record.py``;
each must still stitch, recognise and judge exactly as its layout expects.
The variations below change one kernel fact (or only a name) of a recording
to show what recognition rests on.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from kubectl_bridge import cni, model, render
from kubectl_bridge.model import Snapshot
from kubectl_bridge.sandbox.layouts_more import LAYOUTS

FIXTURES = Path(__file__).parent.parent / "fixtures"


def load(key: str) -> Snapshot:
    return model.parse((FIXTURES / f"cni-{key}.json").read_text(encoding="utf-8"))


def hops(path: model.Path) -> tuple[tuple[str, str], ...]:
    return tuple((h.kind, h.name) for h in path.hops)


def codes(snap: Snapshot) -> set[str]:
    return {f.code for f in render.build_view(snap).findings}


def with_host_links(snap: Snapshot, change: dict[str, dict[str, object]]) -> Snapshot:
    """The snapshot with some host links' fields replaced (by link name)."""
    links = tuple(
        dataclasses.replace(lk, **change[lk.name]) if lk.name in change else lk  # type: ignore[arg-type]
        for lk in snap.host.links
    )
    return dataclasses.replace(snap, host=dataclasses.replace(snap.host, links=links))


def renamed(snap: Snapshot, old: str, new: str) -> Snapshot:
    """Only a name changes: links, bridge ports, bridges and per-interface sysctls."""
    host = snap.host
    sysctls = host.sysctls
    if sysctls is not None:
        sysctls = dataclasses.replace(
            sysctls,
            interfaces=tuple(
                dataclasses.replace(i, name=new) if i.name == old else i for i in sysctls.interfaces
            ),
        )
    host = dataclasses.replace(
        host,
        links=tuple(dataclasses.replace(x, name=new) if x.name == old else x for x in host.links),
        ports=tuple(dataclasses.replace(x, name=new) if x.name == old else x for x in host.ports),
        bridges=tuple(
            dataclasses.replace(x, name=new) if x.name == old else x for x in host.bridges
        ),
        sysctls=sysctls,
    )
    return dataclasses.replace(snap, host=host)


@pytest.mark.parametrize("key", sorted(LAYOUTS))
def test_recorded_layout_is_recognised_and_judged(key: str) -> None:
    expect = LAYOUTS[key]("fixture").expect
    view = render.build_view(load(key))
    assert view.cni is not None and view.cni.key == expect.cni
    assert hops(view.paths[0]) == expect.hops
    assert tuple(hops(p) for p in view.paths[1:]) == expect.other_paths
    codes = {f.code for f in view.findings}
    assert expect.findings <= codes <= expect.findings | expect.maybe


def test_names_are_only_hints_calico() -> None:
    snap = renamed(load("calico"), "cali1a2b3c4d5e6", "veth0a1b2c3d")
    found = cni.recognise(snap, render.build_view(snap).paths)
    assert found.key == "calico" and found.hints == ()  # MAC + proxy-ARP decided it


def test_names_are_only_hints_flannel() -> None:
    snap = renamed(renamed(load("flannel"), "cni0", "br0"), "flannel.1", "overlay7")
    found = render.build_view(snap).cni
    assert found is not None and found.key == "flannel" and found.hints == ()
    assert any("overlay7" in e for e in found.evidence)


def test_calico_mac_alone_without_proxy_arp_is_still_calico_and_a_fault() -> None:
    snap = load("calico")
    host = snap.host
    assert host.sysctls is not None
    sysctls = dataclasses.replace(
        host.sysctls,
        interfaces=tuple(
            dataclasses.replace(i, proxy_arp=0) if i.name == "cali1a2b3c4d5e6" else i
            for i in host.sysctls.interfaces
        ),
    )
    snap = dataclasses.replace(snap, host=dataclasses.replace(host, sysctls=sysctls))
    view = render.build_view(snap)
    assert view.cni is not None and view.cni.key == "calico"
    assert {f.code for f in view.findings} == {"proxy-arp-off"}


def test_kernel_ovs_datapath_port() -> None:
    """What the openvswitch module would show: the veth's master is of kind openvswitch."""
    snap = load("docker")
    ovs = next(lk for lk in snap.host.links if lk.name == "docker0")
    snap = with_host_links(
        snap,
        {
            "docker0": {"kind": "openvswitch", "name": "ovs-system"},
            "veth2482a36": {"slave_kind": "openvswitch", "master": ovs.ifindex},
        },
    )
    snap = dataclasses.replace(
        snap, host=dataclasses.replace(snap.host, bridges=(), ports=(), fdb=())
    )
    view = render.build_view(snap)
    assert view.cni is not None and view.cni.key == "ovs"
    bridge = next(h for h in view.paths[0].hops if h.kind == "bridge")
    assert bridge.details["type"] == "openvswitch"
    assert "ovs-bridge" in {f.code for f in view.findings}
    assert not {"fdb-not-learned", "fdb-wrong-port"} & {f.code for f in view.findings}


def test_cilium_without_its_route_facts_falls_back_to_a_plain_routed_veth() -> None:
    snap = load("cilium")
    snap = dataclasses.replace(
        snap,
        host=dataclasses.replace(
            snap.host,
            links=tuple(lk for lk in snap.host.links if not lk.name.startswith("cilium")),
        ),
    )
    view = render.build_view(snap)
    assert view.cni is not None and view.cni.key == "routed"
    # without the eBPF layout the kernel tables are all there is: the route is a fault
    assert "route-wrong-device" in {f.code for f in view.findings}


def test_aws_pod_on_secondary_eni_leaves_by_its_table() -> None:
    view = render.build_view(load("aws-vpc-cni"))
    uplink = view.paths[0].hops[-1]
    assert (uplink.name, uplink.details["gateway"]) == ("eth1", "192.168.1.1")
    assert view.cni is not None and any("policy routing" in e for e in view.cni.evidence)


def test_node_view_counts_pod_interfaces() -> None:
    snap = model.parse((FIXTURES / "seed-host-node.json").read_text(encoding="utf-8"))
    found = render.build_view(snap).cni
    assert found is not None and found.key == "docker"
    assert "2 of 2 pod interfaces" in found.evidence[-1]


def test_json_document_carries_the_cni_object() -> None:
    view = render.build_view(load("multus"))
    doc = json.loads(render.dumps([render.document(view)], "json"))
    assert doc["cni"]["key"] == "bridge"
    assert doc["cni"]["secondary"] == [
        "net1: on bridge br-storage (a secondary network, e.g. Multus); not the default route"
    ]
    assert list(doc)[:5] == ["apiVersion", "kind", "node", "target", "cni"]


def test_every_layout_key_has_a_catalogue_entry() -> None:
    keys = {LAYOUTS[k]("x").expect.cni for k in LAYOUTS}
    assert keys <= set(cni.CATALOGUE)
