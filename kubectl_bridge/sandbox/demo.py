"""``kubectl bridge demo``: the seed's manual walk, replayed on the sandbox.

The seed's engineer needed a dozen commands, two shells and a hand-drawn
diagram to learn how a pod reaches the network through ``docker0``.  The
demo retells that walk in the seed's order (S1–S11 of the design card) on
a fresh sandbox: for each step it runs the manual command the seed used —
on the node (inside the sandbox's node namespace) or in the pod (through
real ``kubectl exec`` against the stand-in API server) — and then the
``kubectl bridge`` command that answers the same question, run for real
through the same API server (debug pod, agent, netlink).  Nothing shown is
canned: every output is what the command printed just now, and the ✓/✗
lines are checks computed from those outputs.

The sandbox starts with the node alone (no pod), as the seed's node was
before ``kubectl run``; pods join one by one.  All traffic stays inside the
sandbox's namespaces.  ``--keep`` leaves the sandbox up afterwards.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import textwrap
import time
from dataclasses import dataclass, field
from typing import IO

from . import lab
from .labserver import SandboxError

WIDTH = 88
RULE = "─" * WIDTH


@dataclass
class Demo:
    """A running demo: the sandbox, where output goes, and how commands run."""

    sandbox: lab.Sandbox
    out: IO[str]
    kubectl: str | None
    #: what one step learned and a later one needs (the pod's peer ifindex)
    facts: dict[str, str] = field(default_factory=dict)

    @property
    def node_netns(self) -> str:
        """The sandbox node's namespace: where "[root@master1 ~]#" commands run."""
        return self.sandbox.topology.node_netns

    # --- running ----------------------------------------------------------

    def node(self, command: str, timeout: float = 10) -> str:
        """Run a shell command as root on the node (its namespace); stdout + stderr."""
        argv = ["ip", "netns", "exec", self.node_netns, "sh", "-c", command]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
        return (done.stdout + done.stderr).rstrip("\n")

    def pod_exec(self, pod: str, command: str) -> tuple[str, str]:
        """Run ``command`` in a pod the way the seed did (kubectl exec); (shown, output)."""
        if self.kubectl:
            shown = f"kubectl exec {pod} -- {command}"
            argv = [self.kubectl, "--kubeconfig", self.sandbox.kubeconfig, "exec", pod, "--"]
            argv += command.split()
        else:
            netns = self.sandbox.topology.pod(pod).netns
            shown = f"ip netns exec {netns} {command}   (kubectl is not installed)"
            argv = ["ip", "netns", "exec", netns, *command.split()]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
        return shown, (done.stdout + done.stderr).rstrip("\n")

    def kubectl_get(self, *argv: str) -> tuple[str, str]:
        """``kubectl ARGS`` against the sandbox; (shown, output)."""
        shown = "kubectl " + " ".join(argv)
        if not self.kubectl:
            return shown, "(kubectl is not installed: skipped)"
        full = [self.kubectl, "--kubeconfig", self.sandbox.kubeconfig, *argv]
        done = subprocess.run(full, capture_output=True, text=True, timeout=20, check=False)
        return shown, (done.stdout + done.stderr).rstrip("\n")

    def bridge(self, *argv: str) -> str:
        """Run ``kubectl bridge ARGS`` for real (the CLI's own ``main``) against the sandbox."""
        from ..cli import Environment, main

        out, err = io.StringIO(), io.StringIO()
        env = Environment(stdout=out, stderr=err, environ={"KUBECONFIG": self.sandbox.kubeconfig})
        status = main([*argv, "--kubeconfig", self.sandbox.kubeconfig], env)
        if status != 0:
            said = err.getvalue().strip().removeprefix("error: ")
            raise SandboxError(
                f"kubectl bridge {' '.join(argv)} failed in the demo: {said}",
                "rerun with: sudo kubectl bridge demo --keep, then run the command yourself",
            )
        return out.getvalue().rstrip("\n")

    # --- showing ----------------------------------------------------------

    def heading(self, tag: str, title: str, seed: str) -> None:
        """``── S1 · title`` plus where the seed did it."""
        self.out.write(f"\n{RULE}\n── {tag} · {title}\n   (seed: {seed})\n{RULE}\n")
        self.out.flush()

    def say(self, text: str) -> None:
        """A paragraph of explanation, wrapped."""
        self.out.write(textwrap.fill(text, WIDTH, initial_indent="", subsequent_indent="") + "\n")

    def manual(self, shown: str, output: str, where: str = "[root@master1 ~]#") -> None:
        """The seed's way: the command as the seed typed it, and what it printed here."""
        self.out.write(f"\n  by hand ({'on the node' if where.startswith('[') else where}):\n")
        self.out.write(f"    {where} {shown}\n" if where.startswith("[") else f"    $ {shown}\n")
        self._block(output)

    def tool(self, argv: str, output: str) -> None:
        """What ``kubectl bridge`` printed for the same question."""
        self.out.write("\n  kubectl bridge (from anywhere with the kubeconfig):\n")
        self.out.write(f"    $ kubectl bridge {argv}\n")
        self._block(output)

    def check(self, ok: bool, text: str) -> None:
        """A fact computed from the outputs above, marked ✓ or ✗."""
        self.out.write(f"  {'✓' if ok else '✗'} {text}\n")

    def _block(self, output: str) -> None:
        lines = output.splitlines() or ["(no output)"]
        self.out.write("".join(f"    │ {line}\n" for line in lines))
        self.out.flush()


def run(paths: lab.Paths, out: IO[str], *, keep: bool = False, isatty: bool = False) -> int:
    """Sandbox up, the seed's walk, sandbox down (unless ``keep``).  0 on success."""
    from . import demo_steps

    del isatty  # outputs are captured, so the tool prints without colour either way
    lab.require_root("demo")
    current = lab.status(paths)
    if current.state != "down":
        raise SandboxError(
            f"a sandbox is already {current.state} in {paths.root}",
            "remove it first: sudo kubectl bridge sandbox down",
        )
    started = time.monotonic()
    sandbox = lab.up(paths, pods=0)
    demo = Demo(sandbox, out, shutil.which("kubectl"))
    try:
        demo_steps.intro(demo)
        for step in demo_steps.STEPS:
            step(demo)
    except BaseException:
        if not keep:
            sandbox.close()
        raise
    elapsed = time.monotonic() - started
    out.write(f"\n{RULE}\n")
    if keep:
        out.write(f"The sandbox stays up (--keep); the walk took {elapsed:.1f} s.\n")
        out.write("Explore as root: paste the line below, then e.g.\n")
        out.write("  kubectl bridge describe pod nginx1\n  kubectl exec nginx -- ip route\n")
        out.write("  kubectl bridge stats pod nginx --interval 1s\n")
        out.write("Remove it all: sudo kubectl bridge sandbox down\n")
        out.write(f"export KUBECONFIG={paths.kubeconfig}\n")
        return 0
    removed = sandbox.close()
    out.write(f"sandbox down: removed {'; '.join(removed)}\n")
    out.write(f"The walk took {time.monotonic() - started:.1f} s (sandbox up and down included).\n")
    return 0
