"""Shell completion: the ``kubectl_complete-bridge`` executable.

kubectl (>= 1.26) completes ``kubectl bridge …`` by running
``kubectl_complete-bridge WORD… CURRENT`` — the words typed after ``bridge``,
the last one being the word under the cursor (possibly empty) — and reads
candidates one a line (``value<TAB>description``), then ``:<directive>``,
cobra's ShellCompDirective bit set.  The shell scripts of
``kubectl bridge completion`` use the same protocol.

Everything comes from ``cli.build_parser()`` (verbs, flags, choices), so the
completion cannot drift from the real command line.  Pod, node, namespace and
context names come from ``kubectl`` itself with a short timeout, honouring
``--kubeconfig``, ``--context`` and ``-n`` typed so far; any failure just
means no names.  Never import the API client (kube/) here: this runs on every
<TAB>.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from . import cli

#: cobra's ShellCompDirective bits.
DEFAULT = 0  # no special behaviour: the shell may fall back to file names
NO_SPACE = 2
NO_FILE = 4

#: Target kinds as ``targets.parse_target`` reads them (kept here, not
#: imported: importing ``targets`` loads the snapshot model on every <TAB>).
KINDS = {
    "pod": "a pod in the cluster",
    "node": "every bridge and port of a node",
    "pid": "the network namespace of a local process",
    "netns": "a local namespace under /run/netns, or a path",
    "host": "this machine's own namespace",
}
KIND_ALIASES = {"po": "pod", "pods": "pod", "no": "node", "nodes": "node"}
CLUSTER_FLAGS = {"kubeconfig": "--kubeconfig", "context": "--context"}
FILE_DESTS = frozenset({"kubeconfig", "from_file"})
NAMESPACE_DESTS = frozenset({"namespace", "debug_namespace"})
KUBECTL_TIMEOUT = 3.0

#: Runs ``kubectl ARGS…``; returns its stdout, or None on any failure.
Runner = Callable[[list[str]], str | None]


def kubectl_runner(timeout: float = KUBECTL_TIMEOUT) -> Runner:
    """The real runner: quiet, bounded, never reads the terminal."""

    def run(args: list[str]) -> str | None:
        kubectl = shutil.which("kubectl")
        if not kubectl:
            return None
        try:
            done = subprocess.run(
                [kubectl, *args],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout if done.returncode == 0 else None

    return run


@dataclass
class Line:
    """What the words before the cursor say: verb, flags given, positionals."""

    verb: str | None = None
    parser: argparse.ArgumentParser | None = None
    values: dict[str, str] = field(default_factory=dict)
    positionals: list[str] = field(default_factory=list)
    pending: argparse.Action | None = None  # a flag whose value is the current word
    stray: bool = False  # an unknown word before the verb: offer nothing


def _verbs(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {opt: a for a in parser._actions for opt in a.option_strings}


def _takes_value(action: argparse.Action) -> bool:
    return action.nargs != 0


def read_line(words: Sequence[str], parser: argparse.ArgumentParser) -> Line:
    """Walk the finished words the way argparse would, remembering flag values."""
    line = Line()
    verbs = _verbs(parser)
    options = _options(parser)
    for word in words:
        if line.pending is not None:
            line.values[line.pending.dest] = word
            line.pending = None
        elif word.startswith("-") and len(word) > 1:
            name, eq, value = word.partition("=")
            action = options.get(name) or options.get(word[:2])
            if action is None or not _takes_value(action):
                continue
            if eq:
                line.values[action.dest] = value
            elif name in options:
                line.pending = action
            else:  # -nweb: short flag with its value attached
                line.values[action.dest] = word[2:]
        elif line.verb is None:
            if word not in verbs:
                line.stray = True
                return line
            line.verb, line.parser = word, verbs[word]
            options = _options(verbs[word])
        else:
            line.positionals.append(word)
    return line


def _cluster_args(line: Line, *, namespaced: bool) -> list[str]:
    args = [
        f"{flag}={line.values[dest]}" for dest, flag in CLUSTER_FLAGS.items() if dest in line.values
    ]
    if namespaced and line.values.get("namespace"):
        args.append(f"--namespace={line.values['namespace']}")
    return [*args, "--request-timeout=2s"]


def _names(run: Runner, line: Line, resource: str) -> list[str]:
    """Names of a resource from kubectl's ``-o name`` (``pod/x`` → ``x``)."""
    namespaced = resource == "pods"
    out = run(["get", resource, "-o", "name", *_cluster_args(line, namespaced=namespaced)])
    return [row.partition("/")[2] for row in (out or "").splitlines() if "/" in row]


def _contexts(run: Runner, line: Line) -> list[str]:
    args = ["config", "get-contexts", "-o", "name"]
    if "kubeconfig" in line.values:
        args.append(f"--kubeconfig={line.values['kubeconfig']}")
    return [row.strip() for row in (run(args) or "").splitlines() if row.strip()]


def _local_netns() -> list[str]:
    try:
        return sorted(os.listdir("/run/netns"))
    except OSError:
        return []


def _local_pids() -> list[str]:
    """``PID<TAB>command`` for local processes: what ``pid`` targets usually want."""
    rows = []
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return []
    for pid in sorted(entries, key=int):
        try:
            with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as fh:
                rows.append(f"{pid}\t{fh.read().strip()}")
        except OSError:
            continue
    return rows


def _flag_values(action: argparse.Action, line: Line, run: Runner) -> tuple[list[str], int]:
    if action.choices:
        return [str(c) for c in action.choices], NO_FILE
    if action.dest in FILE_DESTS:
        return [], DEFAULT
    if action.dest in NAMESPACE_DESTS:
        return _names(run, line, "namespaces"), NO_FILE
    if action.dest == "context":
        return _contexts(run, line), NO_FILE
    return [], NO_FILE


def _flags(parser: argparse.ArgumentParser) -> list[str]:
    return [
        f"{opt}\t{action.help}" if action.help else opt
        for action in parser._actions
        for opt in action.option_strings
    ]


def _targets(line: Line, current: str, run: Runner) -> tuple[list[str], int]:
    if line.values.get("from_file") or line.values.get("selector"):
        return [], NO_FILE
    if not line.positionals:
        if "/" in current:
            typed = current.partition("/")[0]
            kind = KIND_ALIASES.get(typed, typed)
            if kind in ("pod", "node"):
                names = _names(run, line, f"{kind}s")
                return [f"{typed}/{n}" for n in names], NO_FILE
            return [], NO_FILE
        return [f"{k}\t{d}" for k, d in KINDS.items()], NO_FILE
    if len(line.positionals) > 1:
        return [], NO_FILE
    kind = KIND_ALIASES.get(line.positionals[0], line.positionals[0])
    if kind in ("pod", "node"):
        return _names(run, line, f"{kind}s"), NO_FILE
    if kind == "netns":
        return _local_netns(), DEFAULT  # a path is fine too
    if kind == "pid":
        return _local_pids(), NO_FILE
    return [], NO_FILE


def _positional(line: Line, current: str, run: Runner) -> tuple[list[str], int]:
    assert line.parser is not None
    slots = [a for a in line.parser._actions if not a.option_strings]
    if any(a.dest == "target" for a in slots):
        return _targets(line, current, run)
    if len(line.positionals) < len(slots) and slots[len(line.positionals)].choices:
        return [str(c) for c in slots[len(line.positionals)].choices or ()], NO_FILE
    return [], NO_FILE


def candidates(words: Sequence[str], run: Runner) -> tuple[list[str], int]:
    """Candidates (unfiltered) and directive for the last word of ``words``."""
    parser = cli.build_parser()
    *done, current = words or [""]
    line = read_line(done, parser)
    if line.stray:
        return [], NO_FILE
    if line.pending is not None:
        return _flag_values(line.pending, line, run)
    target_parser = line.parser or parser
    if current.startswith("--") and "=" in current:
        name = current.partition("=")[0]
        action = _options(target_parser).get(name)
        if action is None or not _takes_value(action):
            return [], NO_FILE
        values, directive = _flag_values(action, line, run)
        return [f"{name}={v}" for v in values], directive
    if current.startswith("-"):
        return _flags(target_parser), NO_FILE
    if line.verb is None:
        return [f"{name}\t{sub.description}" for name, sub in _verbs(parser).items()], NO_FILE
    return _positional(line, current, run)


def complete(words: Sequence[str], run: Runner) -> tuple[list[str], int]:
    """Candidates that start with the word being typed, and cobra's directive."""
    current = words[-1] if words else ""
    found, directive = candidates(words, run)
    return [c for c in found if c.split("\t", 1)[0].startswith(current)], directive


def main() -> None:
    """Console script ``kubectl_complete-bridge``: print candidates, then ``:directive``."""
    try:
        found, directive = complete(sys.argv[1:], kubectl_runner())
    except Exception:  # completion must never print a traceback into the shell
        found, directive = [], NO_FILE
    out = "".join(f"{c}\n" for c in found) + f":{directive}\n"
    try:
        sys.stdout.write(out)
        sys.stdout.flush()
    except BrokenPipeError:
        pass
