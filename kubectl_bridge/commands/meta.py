"""``version`` and ``completion``: what is installed, and how shells complete it.

``version`` prints the agent payload's hash because that hash names the
copy cached on every node (``/tmp/kubectl-bridge/<hash>.pyz``): two laptops
that print the same hash run the same collector.  Neither verb touches the
cluster or imports the API client.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from .. import __version__
from ..errors import CollectError, UsageError

if TYPE_CHECKING:
    from ..cli import Environment

_NOTE = """\
# `kubectl bridge <TAB>` is completed by kubectl's own completion (kubectl >= 1.26)
# which runs kubectl_complete-bridge: keep that on PATH (pip installs it; after
# `kubectl krew install` link it, see docs/install.md).  This script completes
# the plugin when run directly as `kubectl-bridge <TAB>`, with the same helper.
"""

BASH = (
    "# kubectl-bridge completion for bash.\n"
    + _NOTE
    + r"""#
#   source <(kubectl bridge completion bash)
#   kubectl bridge completion bash > ~/.local/share/bash-completion/completions/kubectl-bridge

_kubectl_bridge_complete() {
    local line=${COMP_LINE:0:COMP_POINT} out directive cur c
    local -a words
    read -r -a words <<<"$line"
    [[ $line =~ [[:space:]]$ ]] && words+=("")
    cur=${words[${#words[@]}-1]}
    out=$(kubectl_complete-bridge "${words[@]:1}" 2>/dev/null) || return 0
    directive=${out##*:}
    COMPREPLY=()
    while IFS= read -r c; do
        [[ -z $c || $c == :* ]] && continue
        c=${c%%$'\t'*}
        [[ $cur == *=* ]] && c=${c#*=}   # bash completes the part after '='
        COMPREPLY+=("$c")
    done <<<"$out"
    if (( directive & 2 )); then compopt -o nospace; fi
    if (( directive & 4 )); then compopt +o default; fi
    return 0
}
complete -o default -F _kubectl_bridge_complete kubectl-bridge
"""
)

ZSH = (
    "#compdef kubectl-bridge\n# kubectl-bridge completion for zsh.\n"
    + _NOTE
    + r"""#
#   source <(kubectl bridge completion zsh)     # needs compinit loaded

_kubectl_bridge() {
    local out directive line value desc
    local -a lines comps
    out=$(kubectl_complete-bridge "${(@)words[2,CURRENT]}" 2>/dev/null) || return 1
    lines=("${(@f)out}")
    directive=${lines[-1]#:}
    for line in "${(@)lines[1,-2]}"; do
        [[ -z $line ]] && continue
        value=${line%%$'\t'*}
        desc=
        [[ $line == *$'\t'* ]] && desc=${line#*$'\t'}
        comps+=("${value//:/\\:}${desc:+:$desc}")
    done
    if (( ${#comps} )); then
        if (( directive & 2 )); then
            _describe -t values kubectl-bridge comps -S ''
        else
            _describe -t values kubectl-bridge comps
        fi
    elif (( ! (directive & 4) )); then
        _files
    fi
}
if (( $+functions[compdef] )); then
    compdef _kubectl_bridge kubectl-bridge
fi
"""
)

FISH = (
    "# kubectl-bridge completion for fish.\n"
    + _NOTE
    + r"""#
#   kubectl bridge completion fish | source
#   kubectl bridge completion fish > ~/.config/fish/completions/kubectl-bridge.fish

function __kubectl_bridge_complete
    set -l args (commandline -opc)
    set -e args[1]
    set -l out (kubectl_complete-bridge $args (commandline -ct) 2>/dev/null)
    or return
    set -l directive (string replace -r '^:' '' -- $out[-1])
    set -e out[-1]
    if test (count $out) -gt 0
        printf '%s\n' $out
    else if test (math "floor($directive / 4) % 2") -eq 0
        __fish_complete_path (commandline -ct)
    end
end
complete -c kubectl-bridge -f -a '(__kubectl_bridge_complete)'
"""
)

SCRIPTS = {"bash": BASH, "zsh": ZSH, "fish": FISH}


def version_lines() -> list[str]:
    """Plugin version, agent payload hash, and the Python running it."""
    from ..kube import ship

    try:
        digest = ship.payload_hash()
    except (ImportError, OSError) as exc:
        raise CollectError(
            f"cannot build the agent payload: {exc}",
            "reinstall kubectl-bridge: the agent sources or pyroute2 are missing",
        ) from exc
    return [
        f"kubectl-bridge v{__version__}",
        f"agent payload sha256:{digest}",
        f"python {sys.version.split()[0]} ({sys.executable})",
    ]


def run(args: argparse.Namespace, env: Environment) -> int:
    """Dispatch ``version`` and ``completion SHELL``."""
    if args.verb == "version":
        env.stdout.write("".join(f"{line}\n" for line in version_lines()))
        return 0
    if args.verb == "completion":
        env.stdout.write(SCRIPTS[args.shell])
        return 0
    raise UsageError(f"unknown verb {args.verb!r}", "see kubectl bridge --help")
