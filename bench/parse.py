"""Parser throughput over the corpus: files/s, median of 5 runs, in one process.

    python bench/parse.py [CORPUS_DIR] [--runs N] [--semantic]

Reads every file once into memory, then parses all of them RUNS times and prints
the median files/s (and ms per file).  ``--semantic`` also computes the ARG/ENV
scope of every stage, as the linter does.  A second figure gives the single-file
wall time of ``python -c 'parse one file'`` including interpreter start-up
(median of 5 processes).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

DEFAULT = Path("/work/shared/corpus/dockerfiles")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--semantic", action="store_true", help="also compute stage scopes")
    opts = ap.parse_args()

    from dockline.dockerfile.parser import parse
    from dockline.dockerfile.semantic import stage_scopes
    from dockline.errors import DockerfileSyntaxError

    files = [p for p in sorted(opts.corpus.iterdir()) if p.is_file() and p.name != "MANIFEST.tsv"]
    blobs = [(str(p), p.read_bytes()) for p in files]
    size = sum(len(b) for _, b in blobs)
    rates: list[float] = []
    cpu_rates: list[float] = []
    rejected = 0
    for _ in range(opts.runs):
        rejected = 0
        start = time.perf_counter()
        cpu_start = time.process_time()
        for name, data in blobs:
            try:
                df = parse(data, name)
            except DockerfileSyntaxError:
                rejected += 1
                continue
            if opts.semantic:
                for stage in df.stages:
                    stage_scopes(df, stage.index)
        elapsed = time.perf_counter() - start
        rates.append(len(blobs) / elapsed)
        cpu_rates.append(len(blobs) / max(time.process_time() - cpu_start, 1e-9))
    rate = statistics.median(rates)
    cpu_rate = statistics.median(cpu_rates)
    print(
        f"parse{' + scopes' if opts.semantic else ''}: {len(blobs)} files, {size / 1e6:.1f} MB, "
        f"{rejected} rejected; median of {opts.runs}: {rate:.0f} files/s wall "
        f"({1000 / rate:.2f} ms/file), {cpu_rate:.0f} files/s of CPU time"
    )

    biggest = max(files, key=lambda p: p.stat().st_size)
    code = (
        "import sys; from dockline.dockerfile.parser import parse; "
        "parse(open(sys.argv[1], 'rb').read(), sys.argv[1])"
    )
    walls, cpus = [], []
    for _ in range(5):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code, str(biggest)], check=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    print(
        f"single file ({biggest.name}, {biggest.stat().st_size} bytes) with interpreter start: "
        f"median wall {statistics.median(walls) * 1000:.0f} ms, "
        f"CPU {statistics.median(cpus) * 1000:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
