"""Command-line front: kubectl-style flags, and the one exit funnel.

Every verb's work lives in its own module and is imported lazily, so
``kubectl bridge --help`` and completion never import the API client (kube/).
This is the only place that turns a ``BridgeError`` into a message and an
exit status; nothing below it prints errors or calls ``sys.exit``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, NoReturn

from . import __version__
from .errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, BridgeError

PROG = "kubectl bridge"


@dataclass
class Environment:
    """The process's outside world, injected so tests call the real ``main``."""

    stdout: IO[str] = field(default_factory=lambda: sys.stdout)
    stderr: IO[str] = field(default_factory=lambda: sys.stderr)
    stdin: IO[bytes] = field(default_factory=lambda: sys.stdin.buffer)
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))

    @property
    def stdout_isatty(self) -> bool:
        """Whether colour and terminal widths make sense on stdout."""
        isatty = getattr(self.stdout, "isatty", None)
        return bool(isatty and isatty())


Handler = Callable[[argparse.Namespace, Environment], int]

TARGET_HELP = """\
targets:
  pod NAME | pod/NAME   a pod in the cluster (-n NAMESPACE, -c CONTAINER, -l SELECTOR)
  node NAME | node/NAME every bridge and port of a node, mapped to its pods
  pid PID               the network namespace of a local process (run on the node)
  netns NAME|PATH       a local namespace: a name under /run/netns or a path
  host                  this machine's own namespace: every bridge and port
  --from FILE           a snapshot saved with `snapshot` or `-o json`, rendered offline
"""

FOCUSED_VERBS: dict[str, str] = {
    "links": "interfaces along the path (ip link, S1/S6/S7)",
    "ports": "bridge ports (brctl show, S2)",
    "macs": "the bridge's MAC learning table (brctl showmacs, S3)",
    "neigh": "ARP / NDP neighbours (ip neigh, S4)",
    "stats": "interface counters (ip -s link, S5); --interval samples rates",
    "routes": "host and pod routes, rules and the kernel's lookup (ip route, S9)",
    "inspect": "the bridge network as docker network inspect shows it (S11)",
    "capture-points": "where tcpdump sees the pod's packets, ready to paste (S10)",
}


class _Parser(argparse.ArgumentParser):
    """argparse, but a command-line mistake is one line like every other error."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"error: {message}; see '{self.prog} -h'\n")


def _output_flags() -> _Parser:
    """Flags every verb accepts."""
    common = _Parser(add_help=False)
    o = common.add_argument_group("output")
    o.add_argument("--debug", action="store_true", help="show tracebacks and protocol details")
    o.add_argument("--no-color", action="store_true", help="no colour (NO_COLOR is respected too)")
    return common


def _cluster_flags() -> _Parser:
    """The cluster flags of kubectl, which it passes none of to a plugin."""
    common = _Parser(add_help=False)
    g = common.add_argument_group("cluster")
    g.add_argument("--kubeconfig", help="path to the kubeconfig file")
    g.add_argument("--context", help="the kubeconfig context to use")
    g.add_argument("-n", "--namespace", help="namespace of the target pod")
    g.add_argument(
        "--request-timeout", default=None, help="per-request timeout, e.g. 10s, 1m (default 30s)"
    )
    return common


#: Flags a user may put before the verb, as in ``kubectl bridge -n web describe pod x``
#: (kubectl itself refuses flags before a plugin's name, so they land here), and
#: whether each takes a value.
LEADING_FLAGS = {
    "--kubeconfig": True,
    "--context": True,
    "-n": True,
    "--namespace": True,
    "--request-timeout": True,
    "--debug": False,
    "--no-color": False,
}


def hoist_leading_flags(argv: Sequence[str]) -> list[str]:
    """Move global flags written before the verb to just after it."""
    words, moved = list(argv), []
    while words and words[0].split("=", 1)[0] in LEADING_FLAGS:
        flag = words.pop(0)
        moved.append(flag)
        if LEADING_FLAGS[flag.split("=", 1)[0]] and "=" not in flag and words:
            moved.append(words.pop(0))
    if not moved or not words:
        return moved + words
    return [words[0], *moved, *words[1:]]


def _target_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", nargs="*", metavar="TARGET", help="see 'targets' below")
    parser.add_argument("--from", dest="from_file", metavar="FILE", help="render a saved snapshot")
    parser.add_argument(
        "--host-netns",
        metavar="NAME|PATH",
        help="local targets: treat this namespace as the node's (a kind node, the sandbox)",
    )
    parser.add_argument("-c", "--container", help="container of the pod (default: the first)")
    parser.add_argument("-l", "--selector", help="label selector: every matching pod")
    parser.add_argument(
        "-o",
        "--output",
        choices=("table", "wide", "json", "yaml"),
        default="table",
        help="output format (default: diagram and tables)",
    )
    parser.add_argument(
        "-H", "--human-readable", action="store_true", help="counters in human units like ip -h"
    )
    k = parser.add_argument_group("debug pod")
    k.add_argument("--debug-namespace", help="namespace for the debug pod")
    k.add_argument("--image", help="image of the debug pod (a stock python image)")
    k.add_argument("--image-pull-secret", help="pull secret for --image")
    k.add_argument("--ttl", default=None, help="server-side lifetime of the debug pod (def. 15m)")
    k.add_argument("--rm", action="store_true", help="delete the debug pod after use")
    k.add_argument("--privileged", action="store_true", help="run the debug pod privileged")
    k.add_argument("--dry-run", action="store_true", help="print the debug pod YAML and stop")
    k.add_argument("--timeout", default=None, help="how long to wait for the debug pod (def. 60s)")


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; built without importing any verb's module."""
    output, cluster = _output_flags(), _cluster_flags()
    parser = _Parser(
        prog=PROG,
        description=textwrap.fill(
            "Show a pod's whole network path: eth0@ifN → host veth → bridge → "
            "route → uplink, with the MAC table, ARP, counters, routes, capture points and "
            "what looks wrong.",
            width=79,
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=TARGET_HELP + "\nexamples:\n  kubectl bridge describe pod nginx\n"
        "  kubectl bridge macs pod/nginx -n web\n  sudo kubectl bridge describe host\n"
        "  kubectl bridge demo",
    )
    parser.add_argument("--version", action="version", version=f"kubectl-bridge {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")

    def verb(
        name: str, help_text: str, examples: str, *, local: bool = False, **kw: Any
    ) -> argparse.ArgumentParser:
        return verbs.add_parser(
            name,
            help=help_text,
            description=help_text,
            parents=[output] if local else [cluster, output],
            formatter_class=argparse.RawDescriptionHelpFormatter,
            epilog="examples:\n" + examples,
            **kw,
        )

    p = verb(
        "describe",
        "the pod's whole path as a diagram, tables and findings",
        "  kubectl bridge describe pod nginx\n  kubectl bridge describe pid 4242\n"
        "  kubectl bridge describe node worker-1\n  kubectl bridge describe --from snap.json",
    )
    _target_flags(p)
    p.epilog = TARGET_HELP + "\n" + (p.epilog or "")
    for name, text in FOCUSED_VERBS.items():
        p = verb(name, text, f"  kubectl bridge {name} pod nginx\n  kubectl bridge {name} host")
        _target_flags(p)
        if name == "stats":
            p.add_argument("--interval", help="sample twice this far apart and show rates (1s)")

    p = verb(
        "snapshot",
        "print the raw snapshot JSON (what the agent collected)",
        "  sudo kubectl bridge snapshot pid 4242 > nginx.json\n  kubectl bridge snapshot host",
    )
    _target_flags(p)

    p = verb(
        "cleanup",
        "list and delete the debug pods kubectl-bridge created",
        "  kubectl bridge cleanup\n  kubectl bridge cleanup --all-namespaces",
    )
    p.add_argument("-A", "--all-namespaces", action="store_true", help="look in every namespace")
    p.add_argument("--debug-namespace", help="namespace of the debug pods")
    p.add_argument("--dry-run", action="store_true", help="only list what would be deleted")

    p = verb(
        "sandbox",
        "the seed's lab on this machine: namespaces + a stand-in API server (root)",
        "  sudo kubectl bridge sandbox up --pods 3\n  sudo kubectl bridge sandbox down",
        local=True,
    )
    p.add_argument("action", choices=("up", "down", "status"))
    p.add_argument("--pods", type=int, default=2, help="how many pods (default 2)")
    p.add_argument(
        "--cni",
        choices=("bridge", "routed"),
        default="bridge",
        help="bridge: docker0 as in the seed (default); routed: Calico-style veths, no bridge",
    )

    p = verb(
        "demo",
        "walk through the seed's manual procedure on the sandbox, step by step (root)",
        "  sudo kubectl bridge demo\n  sudo kubectl bridge demo --keep",
        local=True,
    )
    p.add_argument("--keep", action="store_true", help="leave the sandbox up afterwards")

    verb(
        "version",
        "the plugin version and the agent payload hash",
        "  kubectl bridge version",
        local=True,
    )
    p = verb(
        "completion",
        "print a shell completion script",
        "  source <(kubectl bridge completion bash)",
        local=True,
    )
    p.add_argument("shell", choices=("bash", "zsh", "fish"))
    return parser


def _handler(verb: str) -> Handler:
    """Import the verb's module only now: start-up stays cheap."""
    if verb == "snapshot":
        from .commands import snapshot

        return snapshot.run
    if verb == "describe" or verb in FOCUSED_VERBS:
        from .commands import views

        return views.run
    if verb == "cleanup":
        from .commands import cleanup

        return cleanup.run
    if verb in ("sandbox", "demo"):
        from .commands import lab

        return lab.run
    from .commands import meta

    return meta.run


def format_error(exc: BridgeError) -> str:
    """One line: what happened, then what to do."""
    return f"error: {exc.message}; {exc.hint}" if exc.hint else f"error: {exc.message}"


def main(argv: Sequence[str] | None = None, env: Environment | None = None) -> int:
    """Run one command; return its exit status.  Errors end here, as one line."""
    env = env or Environment()
    parser = build_parser()
    try:
        with contextlib.redirect_stdout(env.stdout), contextlib.redirect_stderr(env.stderr):
            args = parser.parse_args(hoist_leading_flags(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # argparse has printed usage or help already
        return EXIT_USAGE if exc.code else EXIT_OK
    if not args.verb:
        parser.print_help(env.stdout)
        return EXIT_USAGE
    debug = bool(getattr(args, "debug", False))
    try:
        return _handler(args.verb)(args, env)
    except BridgeError as exc:
        if debug:
            import traceback

            traceback.print_exc(file=env.stderr)
        env.stderr.write(f"{format_error(exc)}\n")
        return exc.exit_status
    except KeyboardInterrupt:
        env.stderr.write("interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        if debug:
            raise
        env.stderr.write(
            f"error: unexpected {type(exc).__name__}: {exc} (rerun with --debug and report it)\n"
        )
        return EXIT_FAILURE


def entrypoint() -> None:
    """Console-script entry: SIGTERM behaves like Ctrl-C so cleanup runs."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    sys.exit(main())
