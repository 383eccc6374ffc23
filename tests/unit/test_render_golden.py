"""Every renderer against exact expected text (tests/unit/golden/).

Regenerate after an intended change with
``UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_render_golden.py`` and
review the diff: the golden files are the output contract people read.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

import pytest
import snapshots as S  # noqa: N812 - S: the snapshot builders

from kubectl_bridge import model, render
from kubectl_bridge.render.style import Style

GOLDEN = Path(__file__).parent / "golden"


def seed_node_named() -> model.Snapshot:
    return dataclasses.replace(S.seed_node_snapshot(), peers=S.named_peers())


SNAPSHOTS: dict[str, Callable[[], model.Snapshot]] = {
    "seed-pod": S.seed_pod_snapshot,
    "seed-node": seed_node_named,
    "calico": S.calico_snapshot,
    "multus": S.multus_snapshot,
    "host-network": S.host_network_snapshot,
}
VERBS = tuple(render.VERB_SECTIONS)


def check(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
    assert text + "\n" == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("snap", SNAPSHOTS)
def test_describe(snap: str) -> None:
    check(f"describe-{snap}.txt", render.describe(render.build_view(SNAPSHOTS[snap]()), Style()))


@pytest.mark.parametrize("verb", VERBS)
def test_focused_verbs_on_the_seed_pod(verb: str) -> None:
    view = render.build_view(S.seed_pod_snapshot())
    check(f"{verb}-seed-pod.txt", render.focused(view, verb, Style()))


def test_ports_on_the_seed_node() -> None:
    view = render.build_view(seed_node_named())
    check("ports-seed-node.txt", render.focused(view, "ports", Style()))


def test_stats_human_units_like_ip_s_h() -> None:
    view = render.build_view(S.seed_pod_snapshot())
    text = render.focused(view, "stats", Style(human=True))
    check("stats-human-seed-pod.txt", text)
    docker0 = [line.split() for line in text.splitlines() if "docker0" in line]
    assert docker0[0][3:5] == ["259k", "3.16k"]


def test_wide_seed_pod() -> None:
    view = render.build_view(S.seed_pod_snapshot())
    check("describe-seed-pod-wide.txt", render.describe(view, Style(width=200, wide=True)))


@pytest.mark.parametrize("snap", SNAPSHOTS)
def test_default_output_fits_100_columns(snap: str) -> None:
    text = render.describe(render.build_view(SNAPSHOTS[snap]()), Style())
    assert max(len(line) for line in text.splitlines()) <= 100


def test_many_pods_still_fit_and_say_what_was_left_out() -> None:
    base = S.seed_node_snapshot()
    links, ports, peers = list(base.host.links), list(base.host.ports), []
    for i in range(8):
        ifindex, nsid = 30 + i, 10 + i
        links.append(
            model.Link(ifindex, f"veth{i:07x}", kind="veth", mac=f"aa:bb:cc:00:00:{i:02x}",
                       mtu=1500, operstate="UP", flags=S.UP, master=3, peer_ifindex=2,
                       link_netnsid=nsid, slave_kind="bridge")
        )  # fmt: skip
        ports.append(model.BridgePort(ifindex, f"veth{i:07x}", 3, 3 + i, "forwarding"))
        pod_link = model.Link(
            2, "eth0", kind="veth", mac=f"02:42:ac:11:01:{i:02x}", mtu=1500,
            operstate="UP", flags=S.UP, peer_ifindex=ifindex, link_netnsid=0,
        )  # fmt: skip
        peers.append(
            model.PeerNetns(nsid, pid=5000 + i, links=(pod_link,),
                            addresses=(model.Address(2, 4, f"172.17.1.{i}", 16),),
                            pod_name=f"web-{i}", pod_namespace="shop")
        )  # fmt: skip
    snap = dataclasses.replace(
        base,
        host=dataclasses.replace(base.host, links=tuple(links), ports=tuple(ports)),
        peers=(*base.peers, *peers),
    )
    text = render.describe(render.build_view(snap), Style())
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "more pod interfaces not drawn" in text
    assert "shop/web-7" in text  # the tables still list every port
