#!/usr/bin/env python3
"""Parser fuzz and cost: many generated Dockerfiles, none may crash the parser.

    python bench/fuzz_parser.py [--inputs 100000] [--seed 1] [--corpus DIR] [--sizes 1000,10000,40000]
                                [--shapes mixed,chain,stages] [--no-cost] [--no-fuzz]

1. **Fuzz**: ``--inputs`` generated texts (mutations of corpus files — bytes flipped, lines
   cut, duplicated, shuffled, joined with continuations — and texts built from a small
   Dockerfile grammar with hostile pieces: heredocs, escape directives, unbalanced quotes and
   brackets, JSON arrays, NUL and control bytes, long lines, non-UTF-8). Each is parsed; a
   ``DockerfileSyntaxError`` is a handled answer, any other exception is a crash (printed with
   the input's seed, exit 1). Reports inputs/s and the peak traced memory of one parse.
2. **Cost**: files of N instructions (``--sizes``) in three shapes (``--shapes``): ``mixed``
   (independent stages with ARG/ENV/RUN/COPY --from), ``chain`` (the same, each stage FROM
   the one before, so every RUN sees every earlier ARG/ENV) and ``stages`` (N one-line
   stages, each FROM the one before: 40,000 stages at N=40000).  Each is parsed in-process
   (time, traced peak) and linted by the CLI (``dockline lint -f json --no-fail
   --shellcheck never``: wall time and the child's peak RSS); the ShellCheck scripts are
   built in-process and their total size reported (ShellCheck itself is not run).  Time,
   memory and script bytes per instruction should not grow with N (linear).

Deterministic for a given ``--seed``. Run by hand; figures go in docs/parser.md.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "dockerfiles"

PIECES = [
    "FROM debian:bookworm", "FROM --platform=$BUILDPLATFORM golang:1.22 AS build", "FROM scratch",
    "ARG VERSION=1.0", "ARG A", "ENV A=1 B=\"two words\" C='x'", "ENV OLD style", "LABEL a=b \"c d\"=e",
    "RUN apt-get update && apt-get install -y curl", "RUN [\"sh\", \"-c\", \"echo hi\"]", "RUN [\"unclosed",
    "RUN echo $A ${B:-x} ${C:+y} $$ \\$D", "RUN <<EOF\necho heredoc\nEOF", "RUN <<-'X' cat\n\tbody\nX",
    "COPY --from=build --chown=1:1 /a /b", "COPY [\"a b\", \"c\"]", "ADD --checksum=sha256:00 http://x/y /z",
    "WORKDIR /app", "USER 1000:1000", "EXPOSE 80/tcp 443", "VOLUME [\"/data\"]", "ONBUILD RUN x",
    "HEALTHCHECK --interval=5s CMD curl -f http://localhost/ || exit 1", "HEALTHCHECK NONE",
    "ENTRYPOINT [\"/entry\"]", "CMD exec app", "SHELL [\"/bin/bash\", \"-c\"]", "STOPSIGNAL SIGTERM",
    "MAINTAINER x", "# syntax=docker/dockerfile:1", "# escape=`", "# dockline ignore=DL3008",
    "RUN echo \\\n  continued \\\n  lines", "RUN echo 'unbalanced", "RUN echo \"also", "ENV", "ARG =",
    "RUN \x00nul", "RUN \x1b[31mred", "FROM " + "a" * 5000, "RUN " + "x " * 3000, "\ufeffFROM bom",
    "RUN echo ünïcödé", "COPY <<EOF /f\nline\nEOF", "RUN --mount=type=cache,target=/root/.cache pip install x",
]


def generated(rng: random.Random) -> bytes:
    lines = [rng.choice(PIECES) for _ in range(rng.randint(0, 30))]
    text = "\n".join(lines)
    if rng.random() < 0.3:
        text = text.replace("\n", rng.choice(["\r\n", "\\\n", "\n\n", " \\\n  "]))
    data = text.encode("utf-8", "surrogatepass")
    return mutate(data, rng) if rng.random() < 0.3 else data


def mutate(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(6)
        if op == 0 and b:  # flip a byte
            b[rng.randrange(len(b))] = rng.randrange(256)
        elif op == 1 and b:  # cut a range
            i = rng.randrange(len(b))
            del b[i:i + rng.randint(1, 200)]
        elif op == 2 and b:  # duplicate a range
            i = rng.randrange(len(b))
            b[i:i] = b[i:i + rng.randint(1, 200)]
        elif op == 3:  # insert a hostile piece
            i = rng.randrange(len(b) + 1)
            b[i:i] = rng.choice([b"\\\n", b"<<EOF\n", b"\n#escape=`\n", b"${", b"[\"", b"\x00", b"\xff\xfe", b"'", b'"'])
        elif op == 4:  # shuffle lines
            ls = bytes(b).split(b"\n")
            rng.shuffle(ls)
            b = bytearray(b"\n".join(ls))
        elif op == 5 and b:  # truncate
            del b[rng.randrange(len(b)):]
    return bytes(b)


def corpus_blobs(corpus: Path) -> list[bytes]:
    if not corpus.is_dir():
        return []
    return [p.read_bytes() for p in sorted(corpus.iterdir()) if p.is_file() and p.name != "MANIFEST.tsv"]


def fuzz(n: int, seed: int, corpus: Path) -> int:
    from dockline.dockerfile.parser import parse
    from dockline.errors import DockerfileSyntaxError

    blobs = corpus_blobs(corpus)
    crashes = handled = 0
    total_bytes = 0
    start = time.perf_counter()
    for i in range(n):
        rng = random.Random(seed * 1_000_003 + i)
        data = mutate(rng.choice(blobs), rng) if blobs and rng.random() < 0.5 else generated(rng)
        total_bytes += len(data)
        try:
            parse(data, path=f"fuzz-{i}")
        except DockerfileSyntaxError:
            handled += 1
        except Exception as e:  # noqa: BLE001 - the finding of a fuzzer
            crashes += 1
            if crashes <= 10:
                print(f"CRASH input {i} (seed {seed}): {type(e).__name__}: {e}", file=sys.stderr)
    took = time.perf_counter() - start
    print(f"fuzz: {n} inputs ({total_bytes / 1e6:.1f} MB) in {took:.1f} s = {n / took:,.0f}/s; "
          f"{handled} syntax errors (handled), {crashes} unhandled exceptions")
    return crashes


def big_file(n: int, shape: str = "mixed") -> str:
    """A Dockerfile of about ``n`` instructions (see the module doc for the shapes; ``chain``
    and ``stages`` are the ones that made lint quadratic)."""
    if shape == "stages":
        return "FROM scratch AS s0\n" + "".join(f"FROM s{i - 1} AS s{i}\n" for i in range(1, n))
    out = ["# syntax=docker/dockerfile:1", "ARG BASE=debian:bookworm"]
    i = 0
    while len(out) < n:
        out.append(f"FROM ${{BASE}} AS s{i}" if shape == "mixed" or i == 0 else f"FROM s{i - 1} AS s{i}")
        out.append(f"ARG V{i}=1")
        out.append(f"ENV E{i}=$V{i}")
        out.append(f"RUN echo $E{i} && test -n \"$V{i}\"")
        out.append(f"COPY --from=s{max(i - 1, 0)} /a /b{i}")
        i += 1
    return "\n".join(out[:n]) + "\n"


def script_bytes(text: str) -> int:
    """Total size of the ShellCheck scripts lint would hand to ShellCheck for ``text``."""
    from dockline.dockerfile.analysis import Analysis
    from dockline.dockerfile.parser import parse
    from dockline.dockerfile.shellcheck import scripts_for

    df = parse(text)
    return sum(len(s.text) for s in scripts_for(df, Analysis(df).runs))


# The lint child reports its own peak RSS (VmHWM: per address space, so what the forked
# bench process held before exec does not count, as it does in wait4's ru_maxrss).
_LINT_CHILD = """
import runpy, sys
sys.argv = ["dockline", "lint", "-f", "json", "--no-fail", "--shellcheck", "never", sys.argv[1]]
try:
    runpy.run_module("dockline", run_name="__main__")
except SystemExit as e:
    code = e.code
else:
    code = 0
hwm = next(ln.split()[1] for ln in open("/proc/self/status") if ln.startswith("VmHWM:"))
sys.stderr.write(f"\\nVmHWM {hwm}\\n")
sys.exit(code)
"""


def lint_child(path: Path) -> tuple[float, float, str]:
    """Wall seconds and peak RSS (MB) of one ``dockline lint`` process, and its status."""
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", _LINT_CHILD, str(path)], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, timeout=3600, check=False)
    took = time.perf_counter() - t0
    hwm = [ln.split()[1] for ln in p.stderr.splitlines() if ln.startswith("VmHWM ")]
    note = "" if p.returncode == 0 else f"  (exit {p.returncode}: {p.stderr.strip()[:80]})"
    return took, (int(hwm[-1]) / 1024 if hwm else float("nan")), note


def cost(sizes: list[int], shapes: list[str]) -> None:
    from dockline.dockerfile.parser import parse

    print(f"{'shape':>6} {'instructions':>12} {'parse s':>8} {'µs/instr':>9} {'peak MB':>8} {'lint s':>8} "
          f"{'µs/instr':>9} {'lint RSS MB':>11} {'sc scripts MB':>13}")
    with tempfile.TemporaryDirectory() as tmp:
        for shape in shapes:
            for n in sizes:
                text = big_file(n, shape)
                t0 = time.perf_counter()
                parse(text)
                parse_s = time.perf_counter() - t0
                tracemalloc.start()  # a second parse for memory: tracing slows the timed one
                parse(text)
                peak = tracemalloc.get_traced_memory()[1] / 1e6
                tracemalloc.stop()
                f = Path(tmp) / f"Dockerfile.{shape}.{n}"
                f.write_text(text)
                lint_s, rss, status = lint_child(f)
                sc_mb = script_bytes(text) / 1e6
                print(f"{shape:>6} {n:>12} {parse_s:>8.2f} {parse_s / n * 1e6:>9.1f} {peak:>8.1f} {lint_s:>8.2f} "
                      f"{lint_s / n * 1e6:>9.1f} {rss:>11.0f} {sc_mb:>13.2f}{status}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inputs", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--sizes", default="1000,10000,40000")
    ap.add_argument("--shapes", default="mixed,chain,stages")
    ap.add_argument("--no-cost", action="store_true")
    ap.add_argument("--no-fuzz", action="store_true")
    opts = ap.parse_args()
    crashes = 0 if opts.no_fuzz else fuzz(opts.inputs, opts.seed, opts.corpus)
    if not opts.no_cost:
        cost([int(s) for s in opts.sizes.split(",") if s], [s for s in opts.shapes.split(",") if s])
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
