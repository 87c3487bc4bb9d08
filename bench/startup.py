#!/usr/bin/env python3
"""Start-up of `dockline --help` and `dockline lint FILE`, and the unit suite's wall time, in
this tree and (optionally) in an older one, side by side. Run by hand:

    git worktree add /tmp/before 5660d8f
    python bench/startup.py --before /tmp/before [--runs 10] [--suite] [--file DOCKERFILE]
    git worktree remove --force /tmp/before

Each command runs as a fresh process with ``PYTHONPATH=<tree>/src`` (so an installed or
editable dockline is not what is measured) from an empty directory (no ``dockline.yaml``);
the figure is the best of ``--runs`` wall times, which is the least disturbed by other load on
the machine. ``lint`` runs twice: as a user runs it (ShellCheck on RUN bodies when installed)
and with ``--shellcheck never`` (dockline's own start-up and rules only). ``--suite`` also
times ``pytest tests/unit tests/rules -q -p no:cacheprovider`` in each tree, from the tree, best
of ``--suite-runs`` (default 2: the first run may pay for a cold mypy cache in the gate tests,
which says nothing about the suite).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FILE = "adoptium__containers__21__jdk__ubuntu__noble__Dockerfile"


def corpus_file(arg: str | None) -> Path:
    if arg:
        return Path(arg).resolve()
    env = os.environ.get("DOCKLINE_CORPUS")
    base = Path(env) if env else REPO.parent / "shared" / "corpus"
    return base / "dockerfiles" / DEFAULT_FILE


def env_for(tree: Path) -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(tree / "src"), NO_COLOR="1", COLUMNS="100")


def best_of(tree: Path, args: list[str], runs: int, cwd: str) -> float:
    """Best wall time of ``python -m dockline ARGS``, in seconds; fails on a crash (exit > 1)."""
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        p = subprocess.run([sys.executable, "-m", "dockline", *args], cwd=cwd, env=env_for(tree),
                           capture_output=True, text=True, check=False)
        took = time.perf_counter() - t
        if p.returncode > 1:
            raise SystemExit(f"{tree}: dockline {' '.join(args)} exited {p.returncode}:\n{p.stderr}")
        best = min(best, took)
    return best


def suite(tree: Path) -> tuple[float, str]:
    """Wall time of the unit suite in ``tree`` and pytest's summary line."""
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "pytest", "tests/unit", "tests/rules", "-q",
                        "-p", "no:cacheprovider"], cwd=tree, env=env_for(tree),
                       capture_output=True, text=True, check=False)
    took = time.perf_counter() - t
    lines = [line for line in p.stdout.splitlines() if re.search(r"\d+ (passed|failed)", line)]
    return took, (lines[-1].strip("= ") if lines else f"exit {p.returncode}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", type=Path, help="an older tree (a git worktree) to compare with")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--file", help="the Dockerfile to lint (default: one from the corpus)")
    ap.add_argument("--suite", action="store_true", help="also time the unit suite (minutes)")
    ap.add_argument("--suite-runs", type=int, default=2)
    a = ap.parse_args()
    dockerfile = corpus_file(a.file)
    trees = [("before", a.before.resolve())] if a.before else []
    trees.append(("after", REPO))
    commands = {
        "dockline --help": ["--help"],
        "dockline lint FILE": ["lint", str(dockerfile)],
        "dockline lint --shellcheck never FILE": ["lint", "--shellcheck", "never", str(dockerfile)],
    }
    print(f"file: {dockerfile.name}; best of {a.runs}; python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as empty:
        for label, args in commands.items():
            row = {name: best_of(tree, args, a.runs, empty) for name, tree in trees}
            print(f"{label:<40} " + "  ".join(f"{n} {s * 1000:6.0f} ms" for n, s in row.items()))
    if a.suite:
        for name, tree in trees:
            took, summary = min(suite(tree) for _ in range(a.suite_runs))
            print(f"{'unit suite (' + name + ')':<40} {took:6.1f} s   {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
