"""``version``, ``completion SHELL`` and the help every verb prints.

The bash script is exercised for real: bash sources it, gets a fake
COMP_LINE, runs the completion function and prints COMPREPLY.  zsh and fish
are syntax-checked when installed.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kubectl_bridge import __version__, cli
from kubectl_bridge.commands import meta
from kubectl_bridge.kube import ship

VENV_BIN = Path(sys.executable).parent


def run_main(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = cli.main(argv, cli.Environment(stdout=out, stderr=err))
    return status, out.getvalue(), err.getvalue()


def test_version_prints_plugin_version_and_payload_hash() -> None:
    status, out, err = run_main(["version"])
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"kubectl-bridge v{__version__}"
    assert lines[1] == f"agent payload sha256:{ship.payload_hash()}"
    assert re.fullmatch(r"agent payload sha256:[0-9a-f]{64}", lines[1])
    assert lines[2].startswith(f"python {sys.version.split()[0]} ")


def test_version_turns_a_missing_agent_into_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> str:
        raise ModuleNotFoundError("No module named 'pyroute2'")

    monkeypatch.setattr(ship, "payload_hash", missing)
    status, out, err = run_main(["version"])
    assert (status, out) == (1, "")
    assert err.startswith("error: cannot build the agent payload: No module named 'pyroute2'; ")
    assert err.count("\n") == 1


@pytest.mark.parametrize("verb", ["--help", "version", "completion bash", "sandbox -h"])
def test_cheap_verbs_never_import_the_api_client(verb: str) -> None:
    code = (
        "import sys, io\n"
        "from kubectl_bridge import cli\n"
        f"cli.main({verb.split()!r}, cli.Environment(stdout=io.StringIO(), stderr=io.StringIO()))\n"
        "from kubectl_bridge import completion\n"
        "completion.complete(['describe', '--o'], lambda args: None)\n"
        "client = ('http', 'ssl', 'yaml', 'kubectl_bridge.kube.transport', 'websocket')\n"
        "print(sorted(m for m in sys.modules if m in client or m.split('.')[0] in client))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_every_verb_help_shows_kubectl_bridge_usage_and_examples() -> None:
    verbs = sorted(cli.build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    assert len(verbs) >= 15
    for verb in verbs:
        status, out, _ = run_main([verb, "-h"])
        assert status == 0
        assert out.startswith(f"usage: kubectl bridge {verb} "), verb
        examples = out.split("\nexamples:\n", 1)[1].splitlines()
        assert examples, verb
        for line in examples:
            assert re.match(r"  (sudo )?(source <\()?kubectl bridge ", line), (verb, line)
        assert any(f"kubectl bridge {verb}" in line for line in examples), verb


def test_completion_scripts_wire_the_shell_to_the_completer() -> None:
    for shell in ("bash", "zsh", "fish"):
        status, out, _ = run_main(["completion", shell])
        assert status == 0
        assert out == meta.SCRIPTS[shell]
        assert "kubectl_complete-bridge" in out
        assert "kubectl-bridge" in out


def _bash_complete(line: str) -> list[str]:
    script = meta.SCRIPTS["bash"]
    probe = (
        f"{script}\n"
        f"COMP_LINE={line!r}; COMP_POINT=${{#COMP_LINE}}\n"
        "_kubectl_bridge_complete 2>/dev/null\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", probe],
        env={"PATH": f"{VENV_BIN}:/usr/bin:/bin", "KUBECONFIG": "/nonexistent"},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return [row for row in done.stdout.splitlines() if row]


def test_bash_script_completes_verbs_flags_and_values() -> None:
    assert _bash_complete("kubectl-bridge de") == ["describe", "demo"]
    assert _bash_complete("kubectl-bridge describe ") == ["pod", "node", "pid", "netns", "host"]
    assert _bash_complete("kubectl-bridge describe --out") == ["--output"]
    # bash splits words at '=': it wants only the part after it
    assert _bash_complete("kubectl-bridge describe --output=j") == ["json"]
    assert _bash_complete("kubectl-bridge completion ") == ["bash", "zsh", "fish"]


def _shell(name: str, script: str) -> str:
    if not shutil.which(name):
        pytest.skip(f"{name} is not installed")
    done = subprocess.run(
        [name, "-c", script] if name == "fish" else [name, "-f", "-c", script],
        env={"PATH": f"{VENV_BIN}:/usr/bin:/bin", "KUBECONFIG": "/nonexistent"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_fish_script_completes_through_the_completer(tmp_path: Path) -> None:
    path = tmp_path / "kubectl-bridge.fish"
    path.write_text(meta.SCRIPTS["fish"])
    out = _shell("fish", f"source {path}; complete -C 'kubectl-bridge describe --output=j'")
    assert out.splitlines() == ["--output=json"]
    out = _shell("fish", f"source {path}; complete -C 'kubectl-bridge sandbox '")
    assert sorted(out.splitlines()) == ["down", "status", "up"]


def test_zsh_script_hands_candidates_to_describe(tmp_path: Path) -> None:
    """zsh's completion system needs a terminal; stub _describe/_files and call our function."""
    path = tmp_path / "_kubectl-bridge"
    path.write_text(meta.SCRIPTS["zsh"])
    stubs = (
        f"source {path}\n"
        "_describe() { local n=$4; print -l -- ${(P)n}; print -- opts:${@[5,-1]} }\n"
        "_files() { print FILES }\n"
    )
    out = _shell("zsh", stubs + "words=(kubectl-bridge de); CURRENT=2; _kubectl_bridge")
    assert out.splitlines() == [
        "describe:the pod's whole path as a diagram, tables and findings",
        "demo:walk through the seed's manual procedure on the sandbox, step by step (root)",
        "opts:",
    ]
    out = _shell(
        "zsh", stubs + "words=(kubectl-bridge describe --kubeconfig ''); CURRENT=4; _kubectl_bridge"
    )
    assert out.splitlines() == ["FILES"]
