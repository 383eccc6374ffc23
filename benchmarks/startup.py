"""Start-up cost of `kubectl bridge --help` and of one completion call.

Each command runs N times (after two warm-up runs) as a fresh process; the
script prints the median wall time of each, and the difference to
``python3 -c pass`` run by the same interpreter — that difference is what
kubectl-bridge itself adds.  Goal: at most 0.15 s above the bare interpreter.

    .venv/bin/python benchmarks/startup.py                  # the pip/venv install
    .venv/bin/python benchmarks/startup.py --archive dist/kubectl-bridge.tar.gz
    .venv/bin/python benchmarks/startup.py --kubectl        # also through kubectl

With ``--archive`` the krew archive is unpacked into a temporary folder and
run with /usr/bin/env python3 (its first run unpacks into a temporary cache;
that one-off cost is shown separately).  The archive's shebang finds
python3 on PATH=/usr/local/bin:/usr/bin:/bin, the interpreter of the
baseline.  ``--check`` exits 1 when a measurement is over the goal.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

GOAL_SECONDS = 0.15
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
BIN = Path(sys.executable).parent


def clean_env() -> dict[str, str]:
    """The environment minus PYTHON* settings and with no kubeconfig: start-up alone is timed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["KUBECONFIG"] = "/nonexistent"
    return env


def venv_commands() -> dict[str, list[str]]:
    """The two commands the goal is about, as the pip install's console scripts."""
    return {
        "kubectl-bridge --help": [str(BIN / "kubectl-bridge"), "--help"],
        "kubectl_complete-bridge describe --o": [
            str(BIN / "kubectl_complete-bridge"),
            "describe",
            "--o",
        ],
    }


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    return time.perf_counter() - started


def median(command: list[str], env: dict[str, str], repeat: int) -> float:
    for _ in range(2):
        timed(command, env)
    return statistics.median(timed(command, env) for _ in range(repeat))


def report(title: str, base: float, rows: list[tuple[str, float]]) -> bool:
    print(f"\n{title}")
    print(f"  {'python3 -c pass':<44} {base * 1000:7.1f} ms")
    ok = True
    for label, value in rows:
        extra = value - base
        ok &= extra <= GOAL_SECONDS
        verdict = "ok" if extra <= GOAL_SECONDS else f"OVER the {GOAL_SECONDS * 1000:.0f} ms goal"
        print(f"  {label:<44} {value * 1000:7.1f} ms  (+{extra * 1000:6.1f} ms, {verdict})")
    return ok


def bench_venv(repeat: int, env: dict[str, str]) -> bool:
    python = str(BIN / "python")
    base = median([python, "-c", "pass"], env, repeat)
    rows = [(label, median(argv, env, repeat)) for label, argv in venv_commands().items()]
    return report(f"pip install ({python}, {repeat} runs, median)", base, rows)


def bench_archive(archive: Path, repeat: int, env: dict[str, str]) -> bool:
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        app = str(Path(tmp) / "kubectl-bridge")
        # The shebang is `/usr/bin/env python3`: pin PATH so it finds the same
        # python3 as the baseline (a pyenv shim alone costs ~100 ms).
        env = {**env, "KUBECTL_BRIDGE_CACHE_DIR": str(Path(tmp) / "cache"), "PATH": SYSTEM_PATH}
        first = timed([app, "--help"], env)
        python = shutil.which("python3", path=SYSTEM_PATH) or "python3"
        base = median([python, "-c", "pass"], env, repeat)
        rows = [
            ("kubectl-bridge --help", median([app, "--help"], env, repeat)),
            (
                "kubectl-bridge __complete describe --o",
                median([app, "__complete", "describe", "--o"], env, repeat),
            ),
        ]
        ok = report(f"krew archive ({python}, {repeat} runs, median)", base, rows)
        print(f"  first run ever (unpacks the archive once)     {first * 1000:7.1f} ms")
    return ok


def bench_kubectl(repeat: int, env: dict[str, str]) -> None:
    """Through kubectl: its own start-up is added and is not ours to cut."""
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        for name in ("kubectl-bridge", "kubectl_complete-bridge"):
            os.symlink(BIN / name, Path(tmp) / name)
        env = {**env, "PATH": f"{tmp}:/usr/bin:/bin"}
        base = median(["kubectl", "version", "--client"], env, repeat)
        plugin = median(["kubectl", "bridge", "--help"], env, repeat)
        done = median(["kubectl", "__complete", "bridge", "describe", "--o"], env, repeat)
    print(f"\nthrough kubectl ({repeat} runs, median)")
    print(f"  {'kubectl version --client':<44} {base * 1000:7.1f} ms")
    print(f"  {'kubectl bridge --help':<44} {plugin * 1000:7.1f} ms")
    print(f"  {'kubectl __complete bridge describe --o':<44} {done * 1000:7.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--repeat", type=int, default=20)
    parser.add_argument("--archive", type=Path, help="also measure this krew archive")
    parser.add_argument("--kubectl", action="store_true", help="also measure through kubectl")
    parser.add_argument("--check", action="store_true", help="exit 1 if over the goal")
    args = parser.parse_args()
    env = clean_env()
    ok = bench_venv(args.repeat, env)
    if args.archive:
        ok &= bench_archive(args.archive, args.repeat, env)
    if args.kubectl:
        bench_kubectl(args.repeat, env)
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
