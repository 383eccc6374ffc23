"""The verbs through the real ``cli.main``: --from, -o json/yaml round trip, colour, --interval."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pytest
import snapshots as S  # noqa: N812 - S: the snapshot builders
import yaml

from kubectl_bridge import cli, model, targets
from kubectl_bridge.commands import views


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(
    argv: list[str], environ: dict[str, str] | None = None, tty: bool = False
) -> tuple[int, str, str]:
    out = Tty() if tty else io.StringIO()
    err = io.StringIO()
    env = cli.Environment(stdout=out, stderr=err, environ=environ or {})
    status = cli.main(argv, env)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def saved(tmp_path: Path) -> str:
    path = tmp_path / "nginx.json"
    path.write_text(model.dump(S.seed_pod_snapshot()), encoding="utf-8")
    return str(path)


def test_describe_from_file_prints_diagram_tables_findings(saved: str) -> None:
    status, out, err = run(["describe", "--from", saved])
    assert (status, err) == (0, "")
    for needle in (
        "| |       < 172.17.0.2 >        |",
        "+--------- eth0@if5 ----------+",
        "docker0 <172.17.0.1/16>",
        "default via 192.168.0.1 dev eth0",
        "nsenter -t 4242 -n tcpdump -i eth0 -n",
        "Findings",
    ):
        assert needle in out
    assert "\033[" not in out


def test_json_contract_and_from_rerenders_it(saved: str, tmp_path: Path) -> None:
    status, out, _ = run(["describe", "-o", "json", "--from", saved])
    doc = json.loads(out)
    assert status == 0
    assert [h["kind"] for h in doc["path"]] == [
        "pod-interface",
        "host-interface",
        "bridge",
        "route",
        "uplink",
    ]
    assert doc["path"][1]["name"] == "veth2482a36"
    assert doc["path"][0]["details"]["display"] == "eth0@if5"
    assert doc["findings"] == []
    assert set(doc["sections"]) == {
        "interfaces",
        "ports",
        "macs",
        "neighbours",
        "stats",
        "routes",
        "capture_points",
        "networks",
    }
    assert doc["sections"]["stats"][2]["rx"]["bytes"] == 259111  # raw numbers, not 259k
    again = tmp_path / "view.json"
    again.write_text(out, encoding="utf-8")
    assert targets.read_snapshot_file(str(again)) == S.seed_pod_snapshot()
    _, text_from_view, _ = run(["describe", "--from", str(again)])
    _, text_from_snapshot, _ = run(["describe", "--from", saved])
    assert text_from_view == text_from_snapshot


def test_focused_yaml_has_only_its_section(saved: str) -> None:
    status, out, _ = run(["macs", "-o", "yaml", "--from", saved])
    doc = yaml.safe_load(out)
    assert status == 0 and list(doc["sections"]) == ["macs"]
    learned = [r for r in doc["sections"]["macs"] if not r["is_local"]]
    assert learned == [
        {
            "bridge": "docker0",
            "port_no": 1,
            "port": "veth2482a36",
            "mac": "02:42:ac:11:00:02",
            "is_local": False,
            "ageing": 13.45,
            "vlan": None,
            "owner": "pod default/nginx-2040093540-k0mv4 eth0",
        }
    ]


def test_colour_only_on_a_tty_and_never_with_no_color(saved: str, tmp_path: Path) -> None:
    host = S.seed_host(sysctls=model.Sysctls(ip_forward=0))
    path = tmp_path / "broken.json"
    path.write_text(model.dump(S.seed_pod_snapshot(host=host)), encoding="utf-8")
    argv = ["describe", "--from", str(path)]
    assert "\033[31mERROR\033[0m" in run(argv, tty=True)[1]
    assert "\033[" not in run(argv, tty=False)[1]
    assert "\033[" not in run(argv, {"NO_COLOR": "1"}, tty=True)[1]
    assert "\033[" not in run([*argv, "--no-color"], tty=True)[1]


def test_wide_is_wider(saved: str) -> None:
    _, normal, _ = run(["links", "--from", saved])
    _, wide, _ = run(["links", "-o", "wide", "--from", saved])
    assert "IFINDEX" in wide and "FLAGS" in wide and "IFINDEX" not in normal


def test_interval_needs_a_live_target(saved: str) -> None:
    status, _, err = run(["stats", "--interval", "1s", "--from", saved])
    assert status == 2 and "--interval needs a live target" in err


def test_stats_interval_samples_twice_and_names_the_hop_that_grew(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = S.seed_pod_snapshot()
    grown = model.Stats(rx_bytes=259111 + 2000, rx_packets=3157 + 20, tx_bytes=666135,
                        tx_packets=3035, tx_dropped=3)  # fmt: skip
    host = S.seed_host(
        links=tuple(
            dataclasses.replace(lk, stats=grown) if lk.name == "docker0" else lk
            for lk in S.seed_host().links
        )
    )
    second = S.seed_pod_snapshot(host=host)
    first = dataclasses.replace(first, agent=dataclasses.replace(first.agent, collected_at=100.0))
    second = dataclasses.replace(
        second, agent=dataclasses.replace(second.agent, collected_at=102.0)
    )
    samples = iter([[first], [second]])
    monkeypatch.setattr(targets, "acquire", lambda args, scope: next(samples))
    slept: list[float] = []
    out = io.StringIO()
    args = cli.build_parser().parse_args(["stats", "pid", "4242", "--interval", "2s"])
    status = views.run(args, cli.Environment(stdout=out, environ={}), sleep=slept.append)
    text = out.getvalue()
    assert (status, slept) == (0, [2.0])
    assert "Rates over 2 s (two samples)" in text
    docker0 = next(line for line in text.splitlines() if "docker0" in line).split()
    assert docker0[3:5] == ["1.00kB/s", "10.0/s"]  # 2000 bytes, 20 packets in 2 s
    assert "errors or drops grew on: docker0" in text
    assert "+3" in text


@pytest.mark.parametrize(
    ("raw", "seconds"), [("1s", 1.0), ("500ms", 0.5), ("2", 2.0), ("1m", 60.0)]
)
def test_interval_parsing(raw: str, seconds: float) -> None:
    args = cli.build_parser().parse_args(["stats", "host", "--interval", raw])
    assert views._interval(args) == seconds


def test_bad_interval_is_a_usage_error() -> None:
    status, _, err = run(["stats", "host", "--interval", "soon"])
    assert status == 2 and "cannot read interval 'soon'" in err
