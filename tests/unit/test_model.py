"""The snapshot model: dump/parse are loss-free and strict about versions and types."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kubectl_bridge import model

FIXTURES = Path(__file__).parent.parent / "fixtures"


def small() -> model.Snapshot:
    link = model.Link(ifindex=4, name="veth2482a36", kind="veth", mac="8a:9f:a7:b6:99:8f",
                      flags=("BROADCAST", "UP"), master=2, peer_ifindex=2, link_netnsid=1,
                      slave_kind="bridge", stats=model.Stats(rx_bytes=2 ** 40))  # fmt: skip
    host = model.NetnsView(
        links=(link,),
        fdb=(model.FdbEntry(2, 4, 1, "02:42:ac:11:00:02", is_local=False, ageing=13.45),),
        sysctls=model.Sysctls(
            ip_forward=1, interfaces=(model.InterfaceSysctls("docker0", 0, 1, 1),)
        ),
        sections=(model.SectionStatus("fdb", ok=False, error="Operation not permitted (EPERM)"),),
    )
    return model.Snapshot(
        agent=model.AgentInfo(version="0.1.0", hostname="master1"),
        target=model.Target(kind="pod", found_by="cgroup:pod-uid", pod_ips=("172.17.0.2",)),
        host=host,
        peers=(model.PeerNetns(nsid=1, pid=42, pod_uid="u"),),
    )


def test_round_trip() -> None:
    snap = small()
    assert model.parse(model.dump(snap)) == snap
    assert model.parse(model.dump(snap, indent=2).encode()) == snap


def test_unknown_keys_are_ignored_and_versions_checked() -> None:
    data = json.loads(model.dump(small()))
    data["_fixture"] = {"how": "by hand"}
    data["host"]["future_field"] = 1
    assert model.parse(json.dumps(data)) == small()
    data["schema_version"] = model.SCHEMA_VERSION + 1
    with pytest.raises(model.SchemaError, match="schema version"):
        model.parse(json.dumps(data))


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("host", "links", 0, "ifindex"), "4", "expected int"),
        (("host", "links", 0, "ifindex"), True, "expected int, got bool"),
        (("host", "links"), {}, "expected a list"),
        (("agent", "hostname"), None, "expected str, got NoneType"),
        (("host", "sysctls"), 5, "expected an object"),
    ],
)
def test_wrong_types_are_refused(path: tuple[object, ...], value: object, message: str) -> None:
    data = json.loads(model.dump(small()))
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(model.SchemaError, match=message):
        model.parse(json.dumps(data))


def test_missing_required_field() -> None:
    data = json.loads(model.dump(small()))
    del data["host"]["links"][0]["name"]
    with pytest.raises(model.SchemaError, match="missing 'name'"):
        model.parse(json.dumps(data))


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.json")))
def test_recorded_fixtures_parse_and_say_how_they_were_made(name: str) -> None:
    text = (FIXTURES / name).read_text()
    header = json.loads(text)["_fixture"]
    assert "record.py" in header["command"] and header["recorded_at"]
    snap = model.parse(text)
    assert json.loads(model.dump(snap)) == {
        k: v for k, v in json.loads(text).items() if k != "_fixture"
    }
