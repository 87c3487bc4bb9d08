#!/usr/bin/env python3
"""`docker stop` latency and outcome: dockline's entrypoint vs the talk's vs tini.

    python3 bench/stop.py [--runs 3] [--base-image local/debian:bookworm]

Builds one small image (the base + dockline's scripts + the talk's entrypoint + a main
process that needs 2 s to shut down after SIGTERM and then exits 3), then for each variant
starts --runs containers, waits until the child runs, and times `docker stop -t 10`:
  dockline entrypoint       ENTRYPOINT dockline-entrypoint.sh, exec "$@" (the child is PID 1)
  talk entrypoint           bash -e, trap TERM + `wait` (exits 143 at once; the child is killed)
  tini + dockline           `--init` (docker-init, i.e. tini) in front of dockline's entrypoint
  tini alone                `--init`, the child started directly
Prints per variant: median/max stop seconds, exit codes, and whether the child logged its
clean shutdown. Removes the containers and the image.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from dockline.engine import Engine
from dockline.entrypoint.scaffold import ScaffoldRequest, plan_scaffold, write_scaffold

ROOT = Path(__file__).resolve().parents[1]
TALK_ENTRYPOINT = ROOT / "tests" / "integration" / "image" / "talk" / "docker-entrypoint.sh"
CHILD = (ROOT / "tests" / "integration" / "image" / "files" / "slow-child.sh").read_text()
DOCKERFILE = """\
ARG BASE_IMAGE=debian:bookworm
FROM ${BASE_IMAGE}
COPY --chown=root:root dockline/ /usr/local/bin/
COPY --chown=root:root talk-entrypoint.sh slow-child.sh /usr/local/bin/
ENTRYPOINT ["/usr/local/bin/dockline-entrypoint.sh"]
CMD ["/usr/local/bin/slow-child.sh"]
"""
VARIANTS: list[tuple[str, dict[str, Any]]] = [
    ("dockline entrypoint", {}),
    ("talk entrypoint", {"entrypoint": ["/usr/local/bin/talk-entrypoint.sh"],
                         "command": ["/usr/local/bin/slow-child.sh"]}),
    ("tini + dockline", {"init": True}),
    ("tini alone", {"init": True, "entrypoint": ["/usr/local/bin/slow-child.sh"], "command": []}),
]


def wait_running(eng: Engine, cid: str, timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while "child: running" not in eng.container_logs(cid):
        if time.monotonic() > end:
            raise SystemExit(f"container {cid[:12]} did not start its child: {eng.container_logs(cid)}")
        time.sleep(0.1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--base-image", default="local/debian:bookworm")
    args = ap.parse_args()

    eng = Engine.connect()
    tag = f"dockline-bench/stop:{uuid.uuid4().hex[:8]}"
    ctx = Path(tempfile.mkdtemp(prefix="dockline-bench-stop-"))
    labels = {"dockline.bench": "stop"}
    made: list[str] = []
    try:
        write_scaffold(ctx, plan_scaffold(ScaffoldRequest(probe="none", cmd=("/usr/local/bin/slow-child.sh",))))
        shutil.copy(TALK_ENTRYPOINT, ctx / "talk-entrypoint.sh")
        (ctx / "talk-entrypoint.sh").chmod(0o755)
        (ctx / "slow-child.sh").write_text(CHILD)
        (ctx / "slow-child.sh").chmod(0o755)
        (ctx / "Dockerfile").write_text(DOCKERFILE)
        eng.build(str(ctx), tag=tag, buildargs={"BASE_IMAGE": args.base_image}, labels=labels)
        rows = []
        for name, kwargs in VARIANTS:
            secs, codes, clean = [], [], 0
            for _ in range(args.runs):
                c = eng.run_container(tag, labels=labels, **kwargs)
                made.append(c.id)
                wait_running(eng, c.id)
                t0 = time.monotonic()
                eng.stop_container(c.id, timeout=timedelta(seconds=10))
                secs.append(time.monotonic() - t0)
                info = eng.container(c.id)
                codes.append(info.exit_code if info else None)
                clean += "child: clean shutdown" in eng.container_logs(c.id)
                eng.remove_container(c.id)
            rows.append((name, statistics.median(secs), max(secs), sorted(set(codes), key=str), clean))
    finally:
        for cid in made:
            eng.remove_container(cid)
        eng.remove_image(tag, force=True)
        shutil.rmtree(ctx, ignore_errors=True)
    print(f"docker stop -t 10 of a main process that needs 2 s to shut down ({args.runs} runs each)")
    print(f"{'variant':<22} {'median s':>9} {'max s':>7} {'exit codes':>11} {'clean shutdowns':>16}")
    for name, med, mx, codes, clean in rows:
        print(f"{name:<22} {med:>9.2f} {mx:>7.2f} {','.join(map(str, codes)):>11} {clean:>13}/{args.runs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
