"""krew's own manifest rules, applied to krew/bridge.yaml and to krew/manifest.py's output.

The rules are krew's ``pkg/index/validation`` (ValidatePlugin, validatePlatform,
validateFiles, validateSelector, semver.Parse → apimachinery ParseSemantic)
and krew-index's ``validate-krew-manifest`` (file name = plugin name, every
platform matches a supported os/arch pair, no pair matched twice, line
lengths).  A few are ours and say so: no unknown fields (krew silently drops
them), shortDescription ≤ 50 characters, LICENSE installed, bin installed.
"""

from __future__ import annotations

import copy
import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import kubectl_bridge

ROOT = Path(__file__).resolve().parents[2]
MANIFEST_FILE = ROOT / "krew" / "bridge.yaml"

API_VERSION = "krew.googlecontainertools.github.com/v1alpha2"
SAFE_NAME = re.compile(r"^[\w-]+$")
WINDOWS_FORBIDDEN = {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(1, 10)}
WINDOWS_FORBIDDEN |= {f"lpt{i}" for i in range(1, 10)}
SHA256 = re.compile(r"^[a-f0-9]{64}$")
# apimachinery util/version ParseSemantic: exactly three numeric components
# without leading zeros, optional -pre.release and +build metadata.
SEMVER = re.compile(
    r"^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$"
)
SUPPORTED = [
    (o, a)
    for o, arches in {
        "darwin": ("amd64", "arm64"),
        "linux": ("386", "amd64", "arm", "arm64", "ppc64le", "s390x"),
        "windows": ("386", "amd64", "arm64"),
    }.items()
    for a in arches
]
KNOWN = {
    "top": {"apiVersion", "kind", "metadata", "spec"},
    "spec": {"version", "homepage", "shortDescription", "description", "caveats", "platforms"},
    "platform": {"selector", "uri", "sha256", "bin", "files"},
    "file": {"from", "to"},
}


def _load_writer() -> Any:
    spec = importlib.util.spec_from_file_location("krew_manifest", ROOT / "krew" / "manifest.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("krew_manifest", module)
    spec.loader.exec_module(module)
    return module


writer = _load_writer()


class InvalidError(Exception):
    pass


def _selector_matches(selector: dict[str, Any], os_name: str, arch: str) -> bool:
    labels = {"os": os_name, "arch": arch}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        value, values = labels.get(expr["key"]), expr.get("values") or []
        op = expr["operator"]
        if (op == "In" and value not in values) or (op == "NotIn" and value in values):
            return False
        if (op == "Exists" and value is None) or (op == "DoesNotExist" and value is not None):
            return False
    return True


def validate_selector(selector: Any) -> None:
    if selector is None:
        raise InvalidError("nil selector is not supported")
    labels, exprs = selector.get("matchLabels"), selector.get("matchExpressions")
    if labels is None and not exprs:
        raise InvalidError("empty selector is not supported")
    keys = list(labels or {}) + [e["key"] for e in exprs or []]
    for key in keys:
        if key not in ("os", "arch"):
            raise InvalidError(f"key {key!r} not supported")
    if labels is not None and len(labels) == 0:
        raise InvalidError("matchLabels specified but empty")
    if exprs is not None and len(exprs) == 0:
        raise InvalidError("matchExpressions specified but empty")


def validate_platform(p: dict[str, Any]) -> None:
    if set(p) - KNOWN["platform"]:
        raise InvalidError(f"unknown platform fields {set(p) - KNOWN['platform']}")
    if not p.get("uri"):
        raise InvalidError("uri has to be set")
    if not p.get("sha256"):
        raise InvalidError("sha256 has to be set")
    if not SHA256.match(str(p["sha256"])):
        raise InvalidError(f"sha256 {p['sha256']} must match {SHA256.pattern}")
    if not p.get("bin"):
        raise InvalidError("bin has to be set")
    files = p.get("files")
    if files is not None:
        if len(files) == 0:
            raise InvalidError("files has to be unspecified or non-empty")
        for op in files:
            if set(op) - KNOWN["file"]:
                raise InvalidError(f"unknown file fields {set(op) - KNOWN['file']}")
            if not op.get("from") or not op.get("to"):
                raise InvalidError("from and to have to be set")
    validate_selector(p.get("selector"))


def _line_lengths_ok(text: str, limit: int) -> bool:
    return all(len(line) <= limit or " " not in line.strip() for line in text.split("\n"))


def validate(doc: dict[str, Any], file_name: str) -> None:
    """Raise InvalidError on the first rule ``doc`` breaks."""
    name = file_name.removesuffix(".yaml")
    if not file_name.endswith(".yaml"):
        raise InvalidError("manifest extension must be .yaml")
    if set(doc) - KNOWN["top"]:
        raise InvalidError(f"unknown fields {set(doc) - KNOWN['top']}")
    if doc.get("apiVersion") != API_VERSION:
        raise InvalidError(f"apiVersion {doc.get('apiVersion')!r} not supported")
    if doc.get("kind") != "Plugin":
        raise InvalidError(f"kind {doc.get('kind')!r}: only Plugin")
    if not SAFE_NAME.match(name) or name.lower() in WINDOWS_FORBIDDEN:
        raise InvalidError(f"plugin name {name!r} not allowed")
    if (doc.get("metadata") or {}).get("name") != name:
        raise InvalidError(f"plugin should be named {name!r}")
    spec = doc.get("spec") or {}
    if set(spec) - KNOWN["spec"]:
        raise InvalidError(f"unknown spec fields {set(spec) - KNOWN['spec']}")
    if not spec.get("shortDescription"):
        raise InvalidError("should have a short description")
    if not spec.get("platforms"):
        raise InvalidError("should have a platform specified")
    if not spec.get("version"):
        raise InvalidError("should have a version specified")
    if not SEMVER.match(str(spec["version"])):
        raise InvalidError(f"version {spec['version']!r} is not semver with a leading v")
    for platform in spec["platforms"]:
        validate_platform(platform)
    for i, platform in enumerate(spec["platforms"]):
        if not any(_selector_matches(platform["selector"], o, a) for o, a in SUPPORTED):
            raise InvalidError(f"platforms[{i}] matches no supported platform")
    for os_name, arch in SUPPORTED:
        hits = [p for p in spec["platforms"] if _selector_matches(p["selector"], os_name, arch)]
        if len(hits) > 1:
            raise InvalidError(f"overlapping selectors for {os_name}/{arch}")
    for field, limit in (("description", 80), ("shortDescription", 70), ("caveats", 80)):
        if not _line_lengths_ok(str(spec.get(field, "")), limit):
            raise InvalidError(f"a line of {field} exceeds {limit} characters")


def validate_ours(doc: dict[str, Any]) -> None:
    """Our own bar on top of krew's."""
    spec = doc["spec"]
    if len(spec["shortDescription"]) > 50:
        raise InvalidError("shortDescription longer than 50 characters")
    for platform in spec["platforms"]:
        installed = {Path(op["from"]).name for op in platform["files"] if op["to"] == "."}
        if platform["bin"].removeprefix("./") not in installed:
            raise InvalidError("bin is not among the installed files")
        if "LICENSE" not in installed:
            raise InvalidError("LICENSE is not installed")
    pairs = {
        (p["selector"]["matchLabels"]["os"], p["selector"]["matchLabels"]["arch"])
        for p in spec["platforms"]
    }
    if pairs != {(o, a) for o in ("darwin", "linux") for a in ("amd64", "arm64")}:
        raise InvalidError(f"platforms {pairs} are not darwin/linux x amd64/arm64")


def _rendered() -> dict[str, Any]:
    text = writer.render(kubectl_bridge.__version__, "ab" * 32)
    return yaml.safe_load(text)


def test_committed_manifest_passes_krew_validation() -> None:
    doc = yaml.safe_load(MANIFEST_FILE.read_text(encoding="utf-8"))
    validate(doc, MANIFEST_FILE.name)
    validate_ours(doc)


def test_committed_manifest_is_for_this_version() -> None:
    doc = yaml.safe_load(MANIFEST_FILE.read_text(encoding="utf-8"))
    version = f"v{kubectl_bridge.__version__}"
    assert doc["spec"]["version"] == version, "run `python3 krew/build.py` after a version bump"
    for platform in doc["spec"]["platforms"]:
        assert f"/{version}/" in platform["uri"]


def test_rendered_manifest_passes_krew_validation() -> None:
    doc = _rendered()
    validate(doc, "bridge.yaml")
    validate_ours(doc)


def test_rendered_manifest_says_what_the_cluster_must_allow() -> None:
    spec = _rendered()["spec"]
    description = " ".join(spec["description"].split())
    for needed in ("RBAC", "pods/exec", "Pod Security", "privileged", "hostNetwork", "hostPID"):
        assert needed in description
    assert all(cap in description for cap in ("SYS_ADMIN", "SYS_PTRACE", "NET_ADMIN"))
    caveats = " ".join(spec["caveats"].split())
    assert "python3 >= 3.10" in caveats
    assert f"/store/bridge/v{kubectl_bridge.__version__}/kubectl_complete-bridge" in caveats


def test_rendered_manifest_lowercases_the_sha256() -> None:
    doc = yaml.safe_load(writer.render("0.1.0", "AB" * 32))
    assert {p["sha256"] for p in doc["spec"]["platforms"]} == {"ab" * 32}
    assert doc["spec"]["version"] == "v0.1.0"


def _broken(path: list[Any], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(_rendered())
    node = doc
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["apiVersion"], "krew.googlecontainertools.github.com/v1alpha1", "apiVersion"),
        (["kind"], "Plugins", "kind"),
        (["metadata", "name"], "kubectl-bridge", "named"),
        (["spec", "version"], "0.1.0", "semver"),
        (["spec", "version"], "v0.1", "semver"),
        (["spec", "version"], "v01.1.0", "semver"),
        (["spec", "shortDescription"], KeyError, "short description"),
        (["spec", "platforms"], [], "platform"),
        (["spec", "platforms", 0, "sha256"], "AB" * 32, "sha256"),
        (["spec", "platforms", 0, "sha256"], "ab" * 31, "sha256"),
        (["spec", "platforms", 0, "bin"], "", "bin"),
        (["spec", "platforms", 0, "uri"], KeyError, "uri"),
        (["spec", "platforms", 0, "files"], [], "files"),
        (["spec", "platforms", 0, "files", 0, "to"], "", "from and to"),
        (["spec", "platforms", 0, "selector"], None, "nil selector"),
        (["spec", "platforms", 0, "selector"], {"matchLabels": {}}, "empty"),
        (["spec", "platforms", 0, "selector", "matchLabels", "cpu"], "x86", "not supported"),
        (["spec", "platforms", 0, "selector", "matchLabels", "os"], "plan9", "no supported"),
        (["spec", "platforms", 1, "selector"], {"matchLabels": {"os": "darwin"}}, "overlapping"),
        (["spec", "homePage"], "https://example.invalid", "unknown spec fields"),
    ],
)
def test_validator_rejects_what_krew_rejects(path: list[Any], value: Any, message: str) -> None:
    with pytest.raises(InvalidError, match=message):
        validate(_broken(path, value), "bridge.yaml")


def test_validator_rejects_a_file_named_unlike_the_plugin() -> None:
    with pytest.raises(InvalidError, match="named"):
        validate(_rendered(), "kubectl-bridge.yaml")
    with pytest.raises(InvalidError, match="not allowed"):
        validate(_broken(["metadata", "name"], "aux"), "aux.yaml")


def test_our_rules_reject_a_missing_license_or_a_long_summary() -> None:
    doc = _broken(["spec", "shortDescription"], "x" * 51)
    with pytest.raises(InvalidError, match="50"):
        validate_ours(doc)
    doc = _rendered()
    for platform in doc["spec"]["platforms"]:
        platform["files"] = [op for op in platform["files"] if op["from"] != "LICENSE"]
    with pytest.raises(InvalidError, match="LICENSE"):
        validate_ours(doc)
