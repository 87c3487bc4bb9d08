#!/usr/bin/env python3
"""Parser fuzz and cost: many generated Dockerfiles, none may crash the parser.

    python bench/fuzz_parser.py [--inputs 100000] [--seed 1] [--corpus DIR] [--sizes 1000,10000,40000]

1. **Fuzz**: ``--inputs`` generated texts (mutations of corpus files — bytes flipped, lines
   cut, duplicated, shuffled, joined with continuations — and texts built from a small
   Dockerfile grammar with hostile pieces: heredocs, escape directives, unbalanced quotes and
   brackets, JSON arrays, NUL and control bytes, long lines, non-UTF-8). Each is parsed; a
   ``DockerfileSyntaxError`` is a handled answer, any other exception is a crash (printed with
   the input's seed, exit 1). Reports inputs/s and the peak traced memory of one parse.
2. **Cost**: files of N instructions (``--sizes``) are parsed in-process and linted by the CLI
   (``dockline lint -f json --no-fail``); the time per instruction should not grow with N
   (linear), and neither should memory per instruction.

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


def big_file(n: int) -> str:
    """A Dockerfile of about ``n`` instructions: many stages, ARG/ENV/RUN mixed (the shapes
    that made lint quadratic: later RUNs see every earlier ARG/ENV)."""
    out = ["# syntax=docker/dockerfile:1", "ARG BASE=debian:bookworm"]
    i = 0
    while len(out) < n:
        out.append(f"FROM ${{BASE}} AS s{i}")
        out.append(f"ARG V{i}=1")
        out.append(f"ENV E{i}=$V{i}")
        out.append(f"RUN echo $E{i} && test -n \"$V{i}\"")
        out.append(f"COPY --from=s{max(i - 1, 0)} /a /b{i}")
        i += 1
    return "\n".join(out[:n]) + "\n"


def cost(sizes: list[int]) -> None:
    from dockline.dockerfile.parser import parse

    print(f"{'instructions':>12} {'parse s':>8} {'µs/instr':>9} {'peak MB':>8} {'lint s':>8} {'µs/instr':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            text = big_file(n)
            t0 = time.perf_counter()
            parse(text)
            parse_s = time.perf_counter() - t0
            tracemalloc.start()  # a second parse for memory: tracing slows the timed one
            parse(text)
            peak = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
            f = Path(tmp) / f"Dockerfile.{n}"
            f.write_text(text)
            t0 = time.perf_counter()
            p = subprocess.run([sys.executable, "-m", "dockline", "lint", "-f", "json", "--no-fail",
                                "--shellcheck", "never", str(f)], capture_output=True, text=True, timeout=3600,
                               check=False)
            lint_s = time.perf_counter() - t0
            status = "" if p.returncode == 0 else f"  (exit {p.returncode}: {p.stderr.strip()[:80]})"
            print(f"{n:>12} {parse_s:>8.2f} {parse_s / n * 1e6:>9.1f} {peak:>8.1f} {lint_s:>8.2f} "
                  f"{lint_s / n * 1e6:>9.1f}{status}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inputs", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--sizes", default="1000,10000,40000")
    ap.add_argument("--no-cost", action="store_true")
    opts = ap.parse_args()
    crashes = fuzz(opts.inputs, opts.seed, opts.corpus)
    if not opts.no_cost:
        cost([int(s) for s in opts.sizes.split(",") if s])
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
