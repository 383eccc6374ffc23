"""The krew plugin manifest (krew/bridge.yaml), written from a finished build.

Written by hand rather than with a YAML library so the file is byte-stable
(same build → same manifest) and reads like the manifests in krew-index:
block scalars for the long texts, one platform per os/arch pair.  One
archive serves every platform because it holds only pure Python; krew still
needs a platform entry per os/arch to offer the plugin there.
"""

from __future__ import annotations

API_VERSION = "krew.googlecontainertools.github.com/v1alpha2"
KIND = "Plugin"
NAME = "bridge"
BIN = "kubectl-bridge"
COMPLETER = "kubectl_complete-bridge"
LICENSE = "LICENSE"
#: Where the project lives and where releases are downloaded from.  Change
#: both (or pass --homepage / --uri to krew/build.py) when publishing
#: elsewhere; ``{version}`` is replaced by the tag, e.g. ``v0.1.0``.
DEFAULT_HOMEPAGE = "https://github.com/kubectl-bridge/kubectl-bridge"
DEFAULT_URI = DEFAULT_HOMEPAGE + "/releases/download/{version}/kubectl-bridge.tar.gz"

#: (os, arch) pairs offered.  Windows is left out: the agent side needs
#: Linux namespaces and the plugin's local targets need Linux too.
PLATFORMS = (("darwin", "amd64"), ("darwin", "arm64"), ("linux", "amd64"), ("linux", "arm64"))

SHORT_DESCRIPTION = "Show a pod's network path: veth, bridge, routes"

DESCRIPTION = """\
Shows a pod's whole network path as its node's kernel sees it:
eth0@ifN -> host veth -> bridge -> host route -> uplink, with the bridge's
MAC learning table (FDB), ARP/NDP neighbours, interface counters, routes,
where tcpdump can capture the pod's packets, and findings that say what
looks wrong.  Follows the kernel's links, so docker0/cni0 bridges, Calico,
Cilium, kindnet and other CNIs all work.

  kubectl bridge describe pod nginx

How it works: it starts (or reuses) a debug pod on the pod's node from a
stock python image, with hostNetwork and hostPID and the capabilities
SYS_ADMIN and SYS_PTRACE (to enter the pod's network namespace) and
NET_ADMIN (to read the nftables NAT rules), and streams a small netlink
collector into it over exec.  Nothing is installed on the node; the API
server ends the pod after its TTL (15m) and `kubectl bridge cleanup`
deletes what is left.

What it needs on the cluster:
- RBAC: get/list pods and nodes for the target; create, get, list,
  delete pods and create pods/exec in the debug pod's namespace
  (kube-system by default, or --debug-namespace).
- Pod Security: that namespace must allow the "privileged" level
  (pod-security.kubernetes.io/enforce=privileged): "baseline" and
  "restricted" forbid hostNetwork, hostPID and added capabilities.
  kube-system allows it on stock clusters.
"""

CAVEATS = """\
kubectl-bridge is a Python program: it needs python3 >= 3.10 on PATH and
nothing else (its libraries are inside the download).  The first run
unpacks them once into ~/.cache/kubectl-bridge/app (macOS:
~/Library/Caches/kubectl-bridge/app).  Tested on linux/amd64; the other
platforms run the same pure-Python archive.

Shell completion of `kubectl bridge` (kubectl >= 1.26) needs the helper
on PATH; krew does not link it, so once after install or upgrade run:
  K="${{KREW_ROOT:-$HOME/.krew}}"
  ln -sf "$K/store/bridge/{version}/{completer}" "$K/bin/"
"""


def _block(text: str, indent: str) -> str:
    """A YAML literal block scalar body, every line indented."""
    return "".join(f"{indent}{line}\n" if line else "\n" for line in text.splitlines())


def tag(version: str) -> str:
    """The krew version string for a package version: krew wants a leading ``v``."""
    return version if version.startswith("v") else f"v{version}"


def render(
    version: str,
    sha256: str,
    *,
    uri: str = DEFAULT_URI,
    homepage: str = DEFAULT_HOMEPAGE,
) -> str:
    """The manifest text for one archive (its sha256) offered on every platform."""
    ver = tag(version)
    link = uri.format(version=ver)
    lines = [
        f"apiVersion: {API_VERSION}",
        f"kind: {KIND}",
        "metadata:",
        f"  name: {NAME}",
        "spec:",
        f"  version: {ver}",
        f"  homepage: {homepage}",
        f'  shortDescription: "{SHORT_DESCRIPTION}"',
        "  description: |",
        _block(DESCRIPTION, "    ").rstrip("\n"),
        "  caveats: |",
        _block(CAVEATS.format(version=ver, completer=COMPLETER), "    ").rstrip("\n"),
        "  platforms:",
    ]
    for os_name, arch in PLATFORMS:
        lines += [
            "  - selector:",
            "      matchLabels:",
            f"        os: {os_name}",
            f"        arch: {arch}",
            f"    uri: {link}",
            f"    sha256: {sha256.lower()}",
            f"    bin: {BIN}",
            "    files:",
            *(f"    - from: {name}\n      to: ." for name in (BIN, COMPLETER, LICENSE)),
        ]
    return "\n".join(lines) + "\n"
