"""Measure the flagship example: the main job (``dockline demo up``) cold and warm, and the
page and query latency through the router at 50 requests/s (``dockline poll``).

    python bench/eventpage.py [--rate 50] [--duration 30] [--keep]

Run on the test bed (``scripts/testbed up``). It uses its own stack, router and port, so a
running ``dockline demo`` is not touched, and removes everything at the end (unless --keep).

* cold: no image built from the example exists (every image labelled with the example's
  titles is removed first, cached layers included), the base images and the router image
  do; every build step of the three images runs. Images a running container uses are kept:
  the bench then says the cold figure is not cold.
* warm (from down): ``demo down`` then ``demo up``: images cached, stack, volume, secrets
  and router created again.
* warm (rerun): ``demo up`` on the running demo (idempotent: nothing changes).

Prints one table; ``--json`` prints the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

NAME = "eventpage-bench"
ROUTER = "dockline-bench-router"


def dockline(*args: str, timeout: float = 1200) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dockline", *args], capture_output=True, text=True,
                          timeout=timeout, check=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


TITLES = ("eventpage-page", "eventpage-service", "eventpage-db")


def remove_example_images() -> int:
    """Remove every image built from the example (children first, never forced);
    returns how many are left (in use by a container)."""
    from dockline.engine import Engine
    from dockline.errors import DocklineError

    eng = Engine.connect()
    left: list[str] = []
    for _ in range(6):
        left = [i for t in TITLES for i in eng.image_ids({"org.opencontainers.image.title": t})]
        for image in left:
            try:
                eng.remove_image(image)
            except DocklineError:
                pass  # a child first, or in use: the next pass (or the report) sees it
        if not left:
            break
    return len(left)


def timed_up(common: list[str], port: int) -> tuple[float, dict[str, Any]]:
    t0 = time.monotonic()
    proc = dockline("demo", "up", *common, "--port", str(port), "--json")
    wall = time.monotonic() - t0
    if proc.returncode != 0:
        sys.exit(f"demo up failed:\n{proc.stderr[-3000:]}")
    return wall, json.loads(proc.stdout)


def poll(url: str, rate: float, duration: float) -> dict[str, Any]:
    proc = dockline("poll", url, "--rate", str(rate), "--duration", str(duration), "--json",
                    timeout=duration + 60)
    if not proc.stdout.strip():
        sys.exit(f"dockline poll printed nothing:\n{proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=50.0)
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--keep", action="store_true", help="leave the bench demo running")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    state = Path(tempfile.mkdtemp(prefix="dockline-bench-eventpage-"))
    port = free_port()
    common = ["--name", NAME, "--router", ROUTER, "--state-dir", str(state)]
    figures: dict[str, Any] = {}

    dockline("demo", "down", *common, "--images", timeout=600)  # start cold
    figures["cold_images_left"] = remove_example_images()
    figures["cold"], report = timed_up(common, port)
    figures["cold_steps"] = report["timings"]
    figures["warm_rerun"], report = timed_up(common, port)
    figures["warm_rerun_steps"] = report["timings"]
    down = dockline("demo", "down", *common, "--keep-router", timeout=600)
    if down.returncode != 0:
        sys.exit(f"demo down failed:\n{down.stderr[-3000:]}")
    figures["warm_from_down"], report = timed_up(common, port)
    figures["warm_from_down_steps"] = report["timings"]

    urls = report["urls"]
    figures["page"] = poll(urls["page"], args.rate, args.duration)
    figures["query"] = poll(urls["nearby"], args.rate, args.duration)

    if not args.keep:
        dockline("demo", "down", *common, "--images", timeout=600)

    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"dockline demo up (eventpage), {time.strftime('%Y-%m-%d %H:%M')}")
    if figures["cold_images_left"]:
        print(f"  note: {figures['cold_images_left']} example image(s) in use were kept: 'cold' is warmer")
    for key, label in (("cold", "cold (images built)"), ("warm_from_down", "warm (after demo down)"),
                       ("warm_rerun", "warm (rerun, running)")):
        steps = ", ".join(f"{k} {v:.1f}s" for k, v in figures[f"{key}_steps"].items() if k != "total")
        print(f"  {label:26} {figures[key]:6.1f} s   ({steps})")
    print(f"through the router at {args.rate:g} req/s for {args.duration:g} s (dockline poll):")
    for key in ("page", "query"):
        p = figures[key]
        print(f"  {key:6} sent {p['sent']:5}  failed {p['failed']:3}  p50 {p['p50_ms']:7.1f} ms"
              f"  p99 {p['p99_ms']:7.1f} ms  max {p['max_ms']:7.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
