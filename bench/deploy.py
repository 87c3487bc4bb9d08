"""Deploy verdicts: how fast, and how right. Prints figures; asserts nothing.

Measures, on the demo stack (examples/stack-demo, 2 services with healthchecks and configs):

* verdict latency of a fresh healthy deploy: from the moment the last task turned healthy
  (swarm marks a task ``running`` only once its HEALTHCHECK passed; we take that task
  status timestamp) to the moment the waiting command exited;
* verdict latency of a never-healthy upgrade with ``failure_action: rollback``: from the
  moment the rollback completed and the previous version ran again to the exit; and the
  verdict each method gave (exit code);
* wall time of a no-change redeploy with ``dockline deploy``.

Methods compared in the same run: ``dockline deploy``, the talk's loop (``docker stack
deploy`` then replica counts from ``docker service ls`` every 5 s for up to 60 s), and
``docker stack deploy --detach=false`` (CLI 28.2 against the 20.10 engine).

    python bench/deploy.py --runs 10
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import yaml

from dockline.engine import Engine
from dockline.stack.deploy import prepare, remove_stack, swarm_document
from dockline.swarm.model import STACK_NAMESPACE_LABEL

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "stack-demo"
TALK_INTERVAL = 5.0
TALK_LIMIT = 60.0
VERBOSE = False


def sh(args: list[str], env: dict[str, str] | None = None) -> tuple[int, float]:
    """Run a command; returns (exit code, wall-clock time of its exit)."""
    res = subprocess.run(args, env={**os.environ, **(env or {})}, capture_output=True, text=True, check=False)
    t = time.time()
    if VERBOSE:
        print("    " + " ".join(args[:4]) + f" -> {res.returncode}: "
              + " | ".join((res.stdout + res.stderr).strip().splitlines()[-3:]), flush=True)
    return res.returncode, t


def resolved_file(name: str, env: dict[str, str], folder: Path) -> Path:
    p = prepare(name, [DEMO / "stack.yml"], environ=env)
    path = folder / f"{name}-{uuid.uuid4().hex[:6]}.yml"
    path.write_text(yaml.safe_dump(swarm_document(p.doc)))
    return path


def dockline_deploy(name: str, env: dict[str, str], folder: Path) -> tuple[int, float]:
    return sh([sys.executable, "-m", "dockline", "deploy", name, "-c", str(DEMO / "stack.yml"),
               "--resolve-image", "never", "--no-hooks", "--timeout", "120s"], env)


def detach_false(name: str, env: dict[str, str], folder: Path) -> tuple[int, float]:
    return sh(["docker", "stack", "deploy", "--detach=false", "--prune", "--resolve-image", "never",
               "-c", str(resolved_file(name, env, folder)), name])


def talk_loop(name: str, env: dict[str, str], folder: Path) -> tuple[int, float]:
    code, _ = sh(["docker", "stack", "deploy", "--prune", "--with-registry-auth", "--resolve-image", "never",
                  "-c", str(resolved_file(name, env, folder)), name])
    if code:
        return code, time.time()
    end = time.monotonic() + TALK_LIMIT
    while time.monotonic() < end:
        out = subprocess.run(["docker", "service", "ls", "--filter", f"label={STACK_NAMESPACE_LABEL}={name}",
                              "--format", "{{.Replicas}}"], capture_output=True, text=True, check=False).stdout
        counts = [line.split(" ")[0].split("/") for line in out.split()]
        if counts and all(a == b for a, b in counts):
            return 0, time.time()
        time.sleep(TALK_INTERVAL)
    return 1, time.time()


METHODS: dict[str, Callable[[str, dict[str, str], Path], tuple[int, float]]] = {
    "dockline": dockline_deploy,
    "talk-loop": talk_loop,
    "detach=false": detach_false,
}


def last_healthy(engine: Engine, name: str) -> float:
    """When the last task of the current spec turned running (= healthy)."""
    stamps = []
    for svc in engine.services(labels={STACK_NAMESPACE_LABEL: name}):
        for t in engine.tasks([svc.id]):
            if t.spec_key == svc.task_spec_key and t.state == "running" and t.timestamp:
                stamps.append(t.timestamp.timestamp())
    return max(stamps) if stamps else float("nan")


def rollback_done(engine: Engine, name: str, service: str, after: float, timeout: float = 90) -> float:
    """Wait until the service's rollback (started after ``after``) completed and the old
    version runs; return that moment."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        svc = engine.service(f"{name}_{service}")
        if (svc and svc.update and svc.update.state == "rollback_completed" and svc.update.completed_at
                and svc.update.started_at and svc.update.started_at.timestamp() > after):
            running = [t for t in engine.tasks([svc.id]) if t.spec_key == svc.task_spec_key
                       and t.state == "running" and t.timestamp]
            if running:
                return max(svc.update.completed_at.timestamp(), *(t.timestamp.timestamp() for t in running))
        time.sleep(0.2)
    return float("nan")


def fmt(values: list[float]) -> str:
    v = [x for x in values if not math.isnan(x)]
    if not v:
        return "n/a"
    return f"median {statistics.median(v):6.2f} s  min {min(v):6.2f}  max {max(v):6.2f}  (n={len(v)})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--only", choices=["healthy", "rollback", "nochange"], action="append")
    ap.add_argument("--verbose", action="store_true", help="print each command's last lines")
    args = ap.parse_args()
    global VERBOSE
    VERBOSE = args.verbose
    parts = args.only or ["healthy", "rollback", "nochange"]
    engine = Engine.connect()
    engine.require_manager()
    tag = uuid.uuid4().hex[:6]
    images = {"v1": f"dockline-bench/stack-demo:{tag}-v1", "never": f"dockline-bench/stack-demo:{tag}-never"}
    engine.build(str(DEMO), tag=images["v1"], buildargs={"BASE_IMAGE": "local/nginx:bookworm"})
    engine.build(str(DEMO), tag=images["never"],
                 buildargs={"BASE_IMAGE": "local/nginx:bookworm", "HEALTH_PATH": "/never", "PAGE_VERSION": "2"})
    ports = {"WEB_PORT": "18780", "API_PORT": "18781"}
    good = {"WEB_IMAGE": images["v1"], "API_IMAGE": images["v1"], **ports}
    bad = {**good, "WEB_IMAGE": images["never"]}
    name = f"bench-{tag}"
    print(f"stack {name}, {args.runs} runs per method; engine {engine.info().server_version}", flush=True)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            if "healthy" in parts:
                print("\nfresh healthy deploy: exit minus the moment the last task turned healthy", flush=True)
                for method, fn in METHODS.items():
                    lat, codes = [], []
                    for _ in range(args.runs):
                        code, t_exit = fn(name, good, folder)
                        lat.append(t_exit - last_healthy(engine, name))
                        codes.append(code)
                        remove_stack(engine, name)
                    print(f"  {method:13s} {fmt(lat)}  exit codes {sorted(set(codes))}", flush=True)
            if "rollback" in parts:
                print("\nnever-healthy upgrade (failure_action: rollback): exit minus rollback completed"
                      " and old version running", flush=True)
                dockline_deploy(name, good, folder)
                for method, fn in METHODS.items():
                    lat, codes = [], []
                    for _ in range(args.runs):
                        t_start = time.time()
                        code, t_exit = fn(name, bad, folder)
                        done = rollback_done(engine, name, "web", t_start)
                        lat.append(t_exit - done)
                        codes.append(code)
                    verdict = "right (failure)" if all(codes) else "WRONG (success on a rolled-back deploy)"
                    print(f"  {method:13s} {fmt(lat)}  exit codes {sorted(set(codes))}: {verdict}", flush=True)
                remove_stack(engine, name)
            if "nochange" in parts:
                print("\nno-change redeploy, wall time of `dockline deploy`", flush=True)
                dockline_deploy(name, good, folder)
                walls = []
                for _ in range(args.runs):
                    t0 = time.time()
                    code, t1 = dockline_deploy(name, good, folder)
                    walls.append(t1 - t0)
                print(f"  dockline      {fmt(walls)}", flush=True)
    finally:
        remove_stack(engine, name)
        for img in images.values():
            engine.remove_image(img, force=True)
    print(f"\nfinished {datetime.now(UTC).isoformat(timespec='seconds')}")


if __name__ == "__main__":
    main()
