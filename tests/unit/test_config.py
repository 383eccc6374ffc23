"""Kubeconfig handling must match kubectl (the python client differed: last current-context won)."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubectl_bridge.errors import ClusterError, UsageError
from kubectl_bridge.kube import config


def kubeconfig(
    path: Path, current: str | None, contexts: dict[str, tuple[str, str | None]], **extra: Any
) -> Path:
    """A kubeconfig whose contexts map name → (cluster, namespace); one cluster per context."""
    clusters = extra.get("clusters") or [
        {"name": c, "cluster": {"server": f"https://{c}.example:6443"}}
        for c in dict.fromkeys(c for c, _ in contexts.values())
    ]
    doc: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": clusters,
        "users": [{"name": "u", "user": {"token": "t0k3n"}}],
        "contexts": [
            {"name": n, "context": {"cluster": c, "user": "u", **({"namespace": ns} if ns else {})}}
            for n, (c, ns) in contexts.items()
        ],
    }
    if current:
        doc["current-context"] = current
    path.write_text(yaml.safe_dump(doc))
    return path


def args(**kw: Any) -> argparse.Namespace:
    base = {"kubeconfig": None, "context": None, "namespace": None, "request_timeout": None}
    return argparse.Namespace(**{**base, **kw})


@pytest.fixture
def two_files(tmp_path: Path) -> str:
    a = kubeconfig(tmp_path / "a.yaml", "ctx-a", {"ctx-a": ("cluster-a", "team-a")})
    b = kubeconfig(
        tmp_path / "b.yaml",
        "ctx-b",
        {"ctx-b": ("cluster-b", None), "ctx-a": ("cluster-b", "shadowed")},
    )
    return f"{a}{os.pathsep}{b}"


def test_first_current_context_wins_like_kubectl(two_files: str) -> None:
    cfg = config.load(args(), {"KUBECONFIG": two_files})
    assert cfg.context == "ctx-a"
    assert cfg.namespace == "team-a"  # the first definition of ctx-a wins too
    assert cfg.endpoint.server == "https://cluster-a.example:6443"
    assert cfg.request_timeout == 30.0


@pytest.mark.skipif(not shutil.which("kubectl"), reason="needs kubectl")
def test_selection_agrees_with_real_kubectl(two_files: str) -> None:
    env = {"KUBECONFIG": two_files, "PATH": os.environ["PATH"], "HOME": "/nonexistent"}
    out = subprocess.run(
        ["kubectl", "config", "view", "--minify", "-o",
         "jsonpath={.current-context} {.contexts[0].context.namespace}"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    cfg = config.load(args(), {"KUBECONFIG": two_files})
    assert out.stdout.split() == [cfg.context, cfg.namespace]


def test_the_first_definition_of_a_cluster_and_a_user_wins(tmp_path: Path) -> None:
    users_a = [{"name": "u", "user": {"token": "from-a"}}]
    a = kubeconfig(tmp_path / "a.yaml", "ctx", {"ctx": ("shared", None)})
    b = kubeconfig(
        tmp_path / "b.yaml",
        None,
        {"ctx": ("shared", "from-b")},
        clusters=[{"name": "shared", "cluster": {"server": "https://second.example"}}],
    )
    doc = yaml.safe_load(a.read_text())
    doc["users"] = users_a
    a.write_text(yaml.safe_dump(doc))
    doc_b = yaml.safe_load(b.read_text())
    doc_b["users"] = [{"name": "u", "user": {"token": "from-b"}}]
    b.write_text(yaml.safe_dump(doc_b))
    cfg = config.load(args(), {"KUBECONFIG": f"{b}{os.pathsep}{a}"})
    assert cfg.context == "ctx"  # b sets no current-context: a's is the first
    assert cfg.namespace == "from-b"  # b defines ctx first
    assert cfg.endpoint.server == "https://second.example"
    assert cfg.endpoint.credentials.headers() == {"Authorization": "Bearer from-b"}


def test_flags_override_the_kubeconfig(two_files: str) -> None:
    env = {"KUBECONFIG": two_files}
    cfg = config.load(args(context="ctx-b", namespace="other", request_timeout="1m30s"), env)
    assert cfg.endpoint.server == "https://cluster-b.example:6443"
    assert cfg.namespace == "other"
    assert cfg.request_timeout == 90.0
    assert config.load(args(context="ctx-b"), env).namespace == "default"
    assert config.load(args(request_timeout="0"), env).request_timeout is None


def test_explicit_kubeconfig_ignores_the_environment(tmp_path: Path, two_files: str) -> None:
    only = kubeconfig(tmp_path / "only.yaml", "solo", {"solo": ("cluster-s", "s")})
    cfg = config.load(args(kubeconfig=str(only)), {"KUBECONFIG": two_files})
    assert (cfg.context, cfg.namespace) == ("solo", "s")
    with pytest.raises(ClusterError, match="does not exist"):
        config.load(args(kubeconfig=str(tmp_path / "nope")), {})


def test_relative_paths_resolve_against_the_file_that_names_them(tmp_path: Path) -> None:
    first = kubeconfig(tmp_path / "first.yaml", "ctx-a", {"ctx-a": ("cluster-a", None)})
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "ca.crt").write_text("not really a certificate\n")
    second = kubeconfig(
        other / "second.yaml",
        None,
        {"ctx-r": ("rel", None)},
        clusters=[
            {
                "name": "rel",
                "cluster": {"server": "https://r:6443", "certificate-authority": "ca.crt"},
            }
        ],
    )
    cfg = config.load(args(context="ctx-r"), {"KUBECONFIG": f"{first}{os.pathsep}{second}"})
    assert cfg.endpoint.ca_file == str(other / "ca.crt")


def test_errors_are_one_line_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match="no kubeconfig found"):
        config.load(args(), {"HOME": str(tmp_path)})
    none = kubeconfig(tmp_path / "none.yaml", None, {"x": ("c", None)})
    with pytest.raises(ClusterError, match="no current context") as err:
        config.load(args(), {"KUBECONFIG": str(none)})
    assert "--context" in err.value.hint
    with pytest.raises(ClusterError, match="context 'ghost' not found"):
        config.load(args(context="ghost"), {"KUBECONFIG": str(none)})
    with pytest.raises(UsageError, match="--request-timeout"):
        config.load(args(request_timeout="fast"), {"KUBECONFIG": str(none)})


def test_in_cluster_config_uses_the_service_account(tmp_path: Path) -> None:
    sa = tmp_path / "sa"
    sa.mkdir()
    (sa / "token").write_text("sa-token")
    (sa / "ca.crt").write_text("ca")
    (sa / "namespace").write_text("monitoring\n")
    env = {
        "HOME": str(tmp_path),
        "KUBERNETES_SERVICE_HOST": "10.96.0.1",
        "KUBERNETES_SERVICE_PORT": "443",
        "KUBECTL_BRIDGE_SA_DIR": str(sa),
    }
    cfg = config.load(args(), env)
    assert cfg.context == "in-cluster"
    assert cfg.namespace == "monitoring"
    assert cfg.endpoint.server == "https://10.96.0.1:443"
    assert cfg.endpoint.ca_file == str(sa / "ca.crt")
    assert cfg.endpoint.credentials.headers() == {"Authorization": "Bearer sa-token"}
    (sa / "token").unlink()
    with pytest.raises(ClusterError, match="in-cluster configuration failed"):
        config.load(args(), env)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30.0), ("1m", 60.0), ("1m30s", 90.0), ("500ms", 0.5), ("2h", 7200.0), ("15", 15.0)],
)
def test_durations(text: str, seconds: float) -> None:
    assert config.parse_duration(text, default=1.0, flag="--x") == seconds


@pytest.mark.parametrize("text", ["", None])
def test_duration_default(text: str | None) -> None:
    assert config.parse_duration(text, default=7.0, flag="--x") == 7.0


@pytest.mark.parametrize("text", ["30x", "s", "1m junk", "-5s"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(UsageError):
        config.parse_duration(text, default=1.0, flag="--x")
