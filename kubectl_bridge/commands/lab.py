"""``sandbox up|down|status`` and ``demo``: print what the sandbox module did.

The work is in ``kubectl_bridge.sandbox.lab`` (and ``.demo``); this module
only turns results into the lines a user reads, ending ``up`` with the
``export KUBECONFIG=...`` line to paste.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..cli import Environment
from ..errors import EXIT_FAILURE, EXIT_OK

if TYPE_CHECKING:
    from ..sandbox.lab import Paths


def run(args: argparse.Namespace, env: Environment) -> int:
    """Dispatch ``sandbox ACTION`` and ``demo``."""
    from ..sandbox import lab

    paths = lab.paths_from(env.environ)
    if args.verb == "demo":
        from ..sandbox import demo

        return demo.run(paths, env.stdout, keep=bool(args.keep), isatty=env.stdout_isatty)
    if args.action == "status":
        return _status(paths, env)
    if args.action == "down":
        return _down(paths, env)
    return _up(paths, env, pods=int(args.pods), cni=str(args.cni))


def export_line(paths: Paths) -> str:
    """The line to paste so kubectl and kubectl bridge talk to the sandbox."""
    return f"export KUBECONFIG={paths.kubeconfig}"


def _up(paths: Paths, env: Environment, *, pods: int, cni: str) -> int:
    from ..sandbox import lab

    lab.require_root("sandbox up")
    current = lab.status(paths)
    out = env.stdout
    if current.state == "up":
        out.write(f"sandbox already up (state in {paths.root}):\n")
        out.writelines(f"  {line}\n" for line in current.lines)
        out.write(f"{export_line(paths)}\n")
        return EXIT_OK
    if current.state == "broken":
        removed = lab.down(paths)
        out.write(f"removed a broken sandbox first ({'; '.join(removed) or 'leftover files'})\n")
    sandbox = lab.up(paths, pods=pods, cni=cni)
    out.write(f"sandbox up (state in {paths.root}):\n")
    out.writelines(f"  {line}\n" for line in lab.status(paths).lines)
    look = "describe pod nginx" if pods else "describe node master1"
    out.write(
        "as root (the kubeconfig is root's: its token lets exec run commands as root), paste\n"
        f"the line below, then: kubectl bridge {look}; remove it all: sandbox down\n"
    )
    out.write(f"{export_line(sandbox.paths)}\n")
    return EXIT_OK


def _down(paths: Paths, env: Environment) -> int:
    from ..sandbox import lab

    lab.require_root("sandbox down")
    removed = lab.down(paths)
    if not removed:
        env.stdout.write(f"no sandbox was up (state dir {paths.root}); nothing to remove\n")
        return EXIT_OK
    env.stdout.write("sandbox down: removed " + "; ".join(removed) + "\n")
    return EXIT_OK


def _status(paths: Paths, env: Environment) -> int:
    from ..sandbox import lab

    lab.require_root("sandbox status")
    current = lab.status(paths)
    out = env.stdout
    if current.state == "down":
        out.write(f"sandbox: down (no sandbox recorded in {paths.root})\n")
        return EXIT_FAILURE
    out.write(f"sandbox: {current.state} (state in {paths.root})\n")
    out.writelines(f"  {line}\n" for line in current.lines)
    for problem in current.problems:
        out.write(f"  problem: {problem}\n")
    if current.state == "up":
        out.write(f"{export_line(paths)}\n")
        return EXIT_OK
    out.write("  fix: sudo kubectl bridge sandbox down (removes what is left)\n")
    return EXIT_FAILURE
