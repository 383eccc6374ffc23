"""Target parsing: every way a user names what to look at, and every mistake."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from kubectl_bridge.cli import Environment, hoist_leading_flags, main
from kubectl_bridge.errors import SnapshotError, UsageError
from kubectl_bridge.model import AgentInfo, NetnsView, Snapshot, Target, dump
from kubectl_bridge.targets import TargetSpec, local_request, parse_target, read_snapshot_file


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["pod", "nginx"], TargetSpec("pod", "nginx")),
        (["pod/nginx"], TargetSpec("pod", "nginx")),
        (["po/nginx"], TargetSpec("pod", "nginx")),
        (["node", "worker-1"], TargetSpec("node", "worker-1")),
        (["nodes/worker-1"], TargetSpec("node", "worker-1")),
        (["pid", "4242"], TargetSpec("pid", "4242")),
        (["netns", "/proc/1/ns/net"], TargetSpec("netns", "/proc/1/ns/net")),
        (["host"], TargetSpec("host")),
    ],
)
def test_parse_target_accepts_kubectl_forms(words: list[str], expected: TargetSpec) -> None:
    assert parse_target(words, from_file=None, selector=None) == expected


@pytest.mark.parametrize(
    ("words", "fragment"),
    [
        ([], "no target given"),
        (["pod"], "exactly one name"),
        (["pod", "a", "b"], "exactly one name"),
        (["deployment", "x"], "unknown target kind"),
        (["pid", "abc"], "not a process id"),
        (["host", "x"], "takes no name"),
        (["svc/x"], "cannot read target"),
    ],
)
def test_parse_target_refuses_with_a_reason(words: list[str], fragment: str) -> None:
    with pytest.raises(UsageError, match=fragment):
        parse_target(words, from_file=None, selector=None)


def test_from_file_and_selector_exclude_names() -> None:
    assert parse_target([], from_file="s.json", selector=None) == TargetSpec("file", "s.json")
    assert parse_target(["pod"], from_file=None, selector="app=web") == TargetSpec(
        "selector", "app=web"
    )
    with pytest.raises(UsageError):
        parse_target(["pod", "x"], from_file="s.json", selector=None)
    with pytest.raises(UsageError):
        parse_target(["pod", "x"], from_file=None, selector="app=web")


def test_local_requests() -> None:
    assert local_request(TargetSpec("pid", "7")).pid == 7
    assert local_request(TargetSpec("netns", "blue")).netns == "blue"
    host = local_request(TargetSpec("host"))
    assert (host.kind, host.scope) == ("host", "node")


def test_read_snapshot_file_round_trip(tmp_path: Path) -> None:
    snap = Snapshot(AgentInfo("0.1.0", "master1"), Target("host", "host"), NetnsView())
    path = tmp_path / "s.json"
    path.write_text(dump(snap))
    assert read_snapshot_file(str(path)) == snap


def test_read_snapshot_file_errors(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(SnapshotError, match="cannot read"):
        read_snapshot_file(str(missing))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schema_version": 99}))
    with pytest.raises(SnapshotError, match="schema version 99"):
        read_snapshot_file(str(bad))


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), Environment(stdout=out, stderr=err, environ={}))
    return status, out.getvalue(), err.getvalue()


def test_cli_usage_error_is_one_line_and_exit_2() -> None:
    status, out, err = run_cli("snapshot", "deployment", "x")
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("error: unknown target kind 'deployment'")


def test_cli_without_verb_prints_help_and_fails() -> None:
    status, out, _ = run_cli()
    assert status == 2
    assert "describe" in out


def test_cli_argparse_errors_go_to_injected_stderr() -> None:
    status, _, err = run_cli("describe", "-o", "xml", "host")
    assert status == 2
    assert err.startswith("error: argument -o/--output: invalid choice: 'xml'")
    assert err.endswith("see 'kubectl bridge describe -h'\n")
    assert err.count("\n") == 1


def test_local_requests_carry_the_node_namespace() -> None:
    for spec in (TargetSpec("pid", "7"), TargetSpec("netns", "blue"), TargetSpec("host")):
        assert local_request(spec, host_netns="/run/netns/node").host_netns == "/run/netns/node"
    assert local_request(TargetSpec("host")).host_netns is None


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["-n", "web", "describe", "pod", "x"], ["describe", "-n", "web", "pod", "x"]),
        (["--context=c", "--debug", "macs", "host"], ["macs", "--context=c", "--debug", "host"]),
        (["describe", "-n", "web", "pod", "x"], ["describe", "-n", "web", "pod", "x"]),
        (["--version"], ["--version"]),
        (["-n", "web"], ["-n", "web"]),
    ],
)
def test_flags_before_the_verb_are_moved_after_it(argv: list[str], expected: list[str]) -> None:
    assert hoist_leading_flags(argv) == expected


def test_flags_before_the_verb_reach_the_verb() -> None:
    status, _, err = run_cli("--kubeconfig", "/nonexistent", "describe", "pod", "x")
    assert status == 1
    assert err.startswith("error: kubeconfig /nonexistent does not exist")


def test_local_verbs_do_not_offer_cluster_flags() -> None:
    status, _, err = run_cli("sandbox", "status", "-n", "web")
    assert status == 2
    assert "unrecognized arguments: -n web" in err
