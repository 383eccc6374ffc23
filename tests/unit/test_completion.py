"""kubectl_complete-bridge: verbs, kinds, flags, cluster names, and the wire format.

Most tests call ``complete`` with a recording fake runner; a few run the
real console script and the real ``kubectl`` to check the protocol kubectl
speaks (``kubectl __complete bridge …`` → our executable) and that a dead
cluster costs little and prints nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kubectl_bridge import cli, completion, targets
from kubectl_bridge.completion import DEFAULT, NO_FILE, complete

VENV_BIN = Path(sys.executable).parent
COMPLETER = VENV_BIN / "kubectl_complete-bridge"
KUBECTL = shutil.which("kubectl")


class FakeKubectl:
    """Answers like ``kubectl get … -o name`` and remembers what it was asked."""

    def __init__(self, answers: dict[str, str] | None = None) -> None:
        self.answers = answers if answers is not None else {}
        self.calls: list[list[str]] = []

    def __call__(self, args: list[str]) -> str | None:
        self.calls.append(args)
        key = " ".join(args[:2])
        return self.answers.get(key)


CLUSTER = {
    "get pods": "pod/nginx\npod/nginx1\npod/web-0\n",
    "get nodes": "node/master1\nnode/worker-1\n",
    "get namespaces": "namespace/default\nnamespace/kube-system\nnamespace/web\n",
    "config get-contexts": "kind-lab\nprod\n",
}


def values(words: list[str], run: FakeKubectl | None = None) -> tuple[list[str], int]:
    found, directive = complete(words, run or FakeKubectl(CLUSTER))
    return [c.split("\t")[0] for c in found], directive


def test_first_word_offers_every_verb_with_its_help() -> None:
    found, directive = complete([""], FakeKubectl())
    verbs = set(completion._verbs(cli.build_parser()))
    assert {c.split("\t")[0] for c in found} == verbs
    assert "describe\tthe pod's whole path as a diagram, tables and findings" in found
    assert directive == NO_FILE


def test_a_prefix_filters_the_verbs() -> None:
    assert values(["de"]) == (["describe", "demo"], NO_FILE)
    assert values(["capture"]) == (["capture-points"], NO_FILE)


def test_target_kinds_after_a_target_verb() -> None:
    for verb in ("describe", "macs", "snapshot", "capture-points"):
        assert values([verb, ""])[0] == ["pod", "node", "pid", "netns", "host"]
    assert values(["describe", "n"])[0] == ["node", "netns"]


def test_kinds_match_what_targets_accepts() -> None:
    assert set(completion.KINDS) == set(targets.CLUSTER_KINDS + targets.LOCAL_KINDS)
    assert completion.KIND_ALIASES == targets.KIND_ALIASES


def test_pod_names_come_from_kubectl_with_the_flags_typed_so_far() -> None:
    run = FakeKubectl(CLUSTER)
    words = ["describe", "--kubeconfig", "/k/config", "--context=prod", "-n", "web", "pod", "ng"]
    assert values(words, run) == (["nginx", "nginx1"], NO_FILE)
    (call,) = run.calls
    assert call[:4] == ["get", "pods", "-o", "name"]
    assert "--kubeconfig=/k/config" in call
    assert "--context=prod" in call
    assert "--namespace=web" in call
    assert any(a.startswith("--request-timeout=") for a in call)


def test_attached_short_flag_value_is_honoured() -> None:
    run = FakeKubectl(CLUSTER)
    values(["macs", "-nweb", "po", ""], run)
    assert "--namespace=web" in run.calls[0]


def test_pod_slash_form_and_aliases() -> None:
    assert values(["describe", "pod/ng"])[0] == ["pod/nginx", "pod/nginx1"]
    assert values(["describe", "po/w"])[0] == ["po/web-0"]
    assert values(["links", "no", ""])[0] == ["master1", "worker-1"]
    assert values(["links", "node/w"])[0] == ["node/worker-1"]


def test_node_names_are_not_namespaced() -> None:
    run = FakeKubectl(CLUSTER)
    values(["describe", "-n", "web", "node", ""], run)
    assert run.calls[0][:2] == ["get", "nodes"]
    assert not any(a.startswith("--namespace") for a in run.calls[0])


def test_a_dead_cluster_means_no_names_and_no_files() -> None:
    assert values(["describe", "pod", ""], FakeKubectl({})) == ([], NO_FILE)
    assert values(["describe", "pod/"], FakeKubectl({})) == ([], NO_FILE)


def test_nothing_after_a_complete_target() -> None:
    run = FakeKubectl(CLUSTER)
    assert values(["describe", "pod", "nginx", ""], run) == ([], NO_FILE)
    assert values(["describe", "host", ""], run) == ([], NO_FILE)
    assert run.calls == []


def test_no_target_completion_with_from_or_selector() -> None:
    assert values(["describe", "--from", "snap.json", ""]) == ([], NO_FILE)
    assert values(["describe", "-l", "app=web", ""]) == ([], NO_FILE)


def test_flags_of_the_verb_with_help() -> None:
    found, directive = complete(["describe", "--o"], FakeKubectl())
    assert found == ["--output\toutput format (default: diagram and tables)"]
    assert directive == NO_FILE
    names = values(["stats", "--"])[0]
    assert "--interval" in names and "--kubeconfig" in names and "--debug-namespace" in names
    assert "--interval" not in values(["describe", "--"])[0]
    assert values(["cleanup", "-"])[0].count("--all-namespaces") == 1


def test_top_level_flags_before_a_verb() -> None:
    assert values(["--v"])[0] == ["--version"]


def test_flag_values_from_choices() -> None:
    assert values(["describe", "-o", ""]) == (["table", "wide", "json", "yaml"], NO_FILE)
    assert values(["describe", "--output=j"]) == (["--output=json"], NO_FILE)
    assert values(["sandbox", "--cni", ""])[0] == ["bridge", "routed"]


def test_flag_values_from_the_cluster() -> None:
    run = FakeKubectl(CLUSTER)
    assert values(["describe", "-n", "k"], run)[0] == ["kube-system"]
    assert values(["describe", "--debug-namespace=k"], run)[0] == ["--debug-namespace=kube-system"]
    assert values(["describe", "--kubeconfig", "/x", "--context", ""], run)[0] == [
        "kind-lab",
        "prod",
    ]
    assert run.calls[-1] == ["config", "get-contexts", "-o", "name", "--kubeconfig=/x"]


def test_file_flags_let_the_shell_complete_files() -> None:
    assert values(["describe", "--kubeconfig", ""]) == ([], DEFAULT)
    assert values(["describe", "--from", ""]) == ([], DEFAULT)
    assert values(["describe", "--kubeconfig=~/"]) == ([], DEFAULT)


def test_positional_choices_of_other_verbs() -> None:
    assert values(["sandbox", ""])[0] == ["up", "down", "status"]
    assert values(["completion", "f"])[0] == ["fish"]
    assert values(["completion", "bash", ""]) == ([], NO_FILE)
    assert values(["version", ""]) == ([], NO_FILE)


def test_unknown_verb_offers_nothing() -> None:
    run = FakeKubectl(CLUSTER)
    assert values(["nosuch", ""], run) == ([], NO_FILE)
    assert values(["nosuch", "pod", ""], run) == ([], NO_FILE)
    assert run.calls == []


def test_pid_offers_local_processes_with_their_command() -> None:
    found, _ = complete(["describe", "pid", str(os.getpid())], FakeKubectl())
    comm = Path(f"/proc/{os.getpid()}/comm").read_text().strip()
    assert f"{os.getpid()}\t{comm}" in found


def test_netns_offers_run_netns_names_and_allows_paths() -> None:
    names, directive = values(["describe", "netns", ""])
    expected = sorted(os.listdir("/run/netns")) if os.path.isdir("/run/netns") else []
    assert names == expected
    assert directive == DEFAULT


def _fake_kubectl(tmp_path: Path, body: str) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "kubectl"
    script.write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/calls\n{body}\n')
    script.chmod(0o755)
    return {"PATH": f"{bin_dir}:/usr/bin:/bin"}


def test_runner_passes_arguments_and_reads_stdout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", _fake_kubectl(tmp_path, "echo pod/a; echo pod/b")["PATH"])
    run = completion.kubectl_runner()
    assert run(["get", "pods", "-o", "name"]) == "pod/a\npod/b\n"
    assert (tmp_path / "calls").read_text() == "get pods -o name\n"


def test_runner_is_quiet_on_failure_and_bounded_in_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", _fake_kubectl(tmp_path, "echo oops >&2; exit 1")["PATH"])
    assert completion.kubectl_runner()(["get", "pods"]) is None
    (tmp_path / "bin" / "kubectl").write_text("#!/bin/sh\nexec sleep 30\n")
    started = time.monotonic()
    assert completion.kubectl_runner(timeout=0.5)(["get", "pods"]) is None
    assert time.monotonic() - started < 5
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert completion.kubectl_runner()(["get", "pods"]) is None


def test_main_prints_candidates_then_the_directive(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["kubectl_complete-bridge", "sandbox", "st"])
    completion.main()
    assert capsys.readouterr().out == "status\n:4\n"


def test_main_never_prints_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(words: object, run: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(completion, "complete", broken)
    monkeypatch.setattr(sys, "argv", ["kubectl_complete-bridge", ""])
    completion.main()
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == (":4\n", "")


def _dead_cluster_env(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "config"
    config.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: dead\n"
        "clusters:\n- name: dead\n  cluster: {server: 'https://127.0.0.1:1'}\n"
        "contexts:\n- name: dead\n  context: {cluster: dead, user: u}\n"
        "users:\n- name: u\n  user: {token: x}\n"
    )
    return {"PATH": f"{VENV_BIN}:/usr/bin:/bin", "KUBECONFIG": str(config), "HOME": str(tmp_path)}


@pytest.mark.skipif(not KUBECTL, reason="needs kubectl")
def test_real_kubectl_against_a_dead_cluster_is_fast_and_quiet(tmp_path: Path) -> None:
    started = time.monotonic()
    done = subprocess.run(
        [str(COMPLETER), "describe", "pod", ""],
        env=_dead_cluster_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, ":4\n", "")
    # bounded by our own kubectl timeout (plus two interpreter starts on a busy machine)
    assert time.monotonic() - started < completion.KUBECTL_TIMEOUT + 4


@pytest.mark.skipif(not KUBECTL, reason="needs kubectl")
def test_kubectl_itself_calls_our_completer(tmp_path: Path) -> None:
    bin_dir = tmp_path / "plugins"
    bin_dir.mkdir()
    (bin_dir / "kubectl-bridge").symlink_to(VENV_BIN / "kubectl-bridge")
    (bin_dir / "kubectl_complete-bridge").symlink_to(COMPLETER)
    env = _dead_cluster_env(tmp_path)
    env["PATH"] = f"{bin_dir}:/usr/bin:/bin"
    done = subprocess.run(
        [str(KUBECTL), "__complete", "bridge", "describe", "--output=y"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2:] == ["--output=yaml", ":4"]
    done = subprocess.run(
        [str(KUBECTL), "__complete", "bridge", "de"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stdout.splitlines()[:2] == [
        "describe\tthe pod's whole path as a diagram, tables and findings",
        "demo\twalk through the seed's manual procedure on the sandbox, step by step (root)",
    ]
