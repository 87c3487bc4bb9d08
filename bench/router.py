#!/usr/bin/env python3
"""Router figures on the local swarm: failed requests during app upgrades and router
reconfigurations, and the time from a healthy app to a live route.

    python3 bench/router.py [--rate 60] [--upgrades 10] [--reconfigs 10] [--min-requests 10000]
                            [--base-image local/nginx:bookworm]

One router stack on a free loopback port, one app (overlay mode, start-first, HEALTHCHECK).
A poller sends --rate req/s through the router to the app for the whole run (and longer,
until --min-requests were sent). Meanwhile:
  upgrades    redeploy the app with the other image (v1 <-> v2), wait for convergence, re-route
  reconfigs   change the route's extra header label and re-route: a new bundle is rendered,
              validated (nginx -t), rotated into the router (start-first), converged, probed
  new app     deploy a second app, then time "healthy -> route live" (route_stack end to end)
Prints the poll summary (goal: 0 failed of >= 10,000) and the timing split per reconfiguration
(render, validate, rotate, converge, probe; goal: healthy -> live <= 10 s). Removes everything.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import yaml

from dockline.engine import Engine
from dockline.router.apply import Applied, Router
from dockline.router.flow import route_stack, unroute_stack
from dockline.router.poll import parse_target, poll
from dockline.router.stack import router_down, router_up
from dockline.swarm.wait import Converged, wait_services

DEMO = Path(__file__).resolve().parents[1] / "examples" / "router-demo" / "app"
LABELS = {"dockline.bench": "router"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def deploy(eng: Engine, stack: str, image: str, path: str, network: str, header: str = "0") -> None:
    doc = {
        "version": "3.8",
        "services": {"web": {
            "image": image, "networks": ["router"], "stop_grace_period": "5s",
            "deploy": {
                "replicas": 1, "endpoint_mode": "dnsrr",
                "labels": {**LABELS, "dockline.route": path, "dockline.route.header.X-Bench": header},
                "update_config": {"parallelism": 1, "delay": "0s", "order": "start-first",
                                  "failure_action": "rollback", "monitor": "2s"},
                "restart_policy": {"condition": "any", "delay": "1s"},
            },
        }},
        "networks": {"router": {"external": True, "name": network}},
    }
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "stack.yml"
        f.write_text(yaml.safe_dump(doc))
        eng.stack_deploy(stack, str(f), prune=True, with_registry_auth=False, resolve_image="never")
    out = wait_services(eng, [f"{stack}_web"], timedelta(seconds=120))
    if not isinstance(out, Converged):
        raise SystemExit(f"{stack} did not converge: {out}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=float, default=60)
    ap.add_argument("--upgrades", type=int, default=10)
    ap.add_argument("--reconfigs", type=int, default=10)
    ap.add_argument("--min-requests", type=int, default=10_000)
    ap.add_argument("--base-image", default="local/nginx:bookworm")
    args = ap.parse_args()

    eng = Engine.connect()
    router = Router(f"bench-rt-{int(time.time()) % 100000}")
    port = free_port()
    app, app2 = f"{router.name}-app", f"{router.name}-new"
    tags = {v: f"dockline-bench/app:{v}" for v in ("v1", "v2")}
    for v, tag in tags.items():
        eng.build(str(DEMO), tag=tag, labels=LABELS,
                  buildargs={"BASE_IMAGE": args.base_image, "APP_NAME": "bench", "APP_VERSION": v})
    t = time.monotonic()
    up = router_up(eng, router, port=port, base=args.base_image, timeout=timedelta(seconds=120), labels=LABELS)
    print(f"router up: {up.outcome.kind} in {time.monotonic() - t:.1f}s (port {port})")
    reconfig: list[Applied] = []
    upgrade_s: list[float] = []
    try:
        deploy(eng, app, tags["v1"], "/bench", router.network)
        route_stack(eng, app, router=router)
        stop = threading.Event()
        result: dict[str, object] = {}
        target = parse_target(f"http://127.0.0.1:{port}/bench/", allow_remote=False)
        th = threading.Thread(target=lambda: result.setdefault(
            "s", poll(target, rate=args.rate, duration=None, stop=stop, timeout=timedelta(seconds=5))))
        th.start()
        t_start = time.monotonic()
        for i in range(max(args.upgrades, args.reconfigs)):
            if i < args.upgrades:
                t = time.monotonic()
                deploy(eng, app, tags["v2" if i % 2 == 0 else "v1"], "/bench", router.network, header=str(len(reconfig)))
                route_stack(eng, app, router=router)
                upgrade_s.append(time.monotonic() - t)
                print(f"upgrade {i + 1}: {upgrade_s[-1]:.1f}s", flush=True)
            if i < args.reconfigs:
                eng_svc = f"{app}_web"
                eng.cli(["service", "update", "--quiet", "--detach", "--label-add",
                         f"dockline.route.header.X-Bench={len(reconfig) + 1}", eng_svc])
                res = route_stack(eng, app, router=router)
                assert isinstance(res, Applied), res
                reconfig.append(res)
                tm = res.timings
                print(f"reconfig {i + 1}: total {tm.total.total_seconds():.2f}s (render {tm.render.total_seconds():.2f},"
                      f" validate {tm.validate.total_seconds():.2f}, rotate {tm.rotate.total_seconds():.2f},"
                      f" converge {tm.converge.total_seconds():.2f}, probe {tm.probe.total_seconds():.2f})", flush=True)
        # healthy -> live for a new app
        deploy(eng, app2, tags["v1"], "/bench-new", router.network)
        t = time.monotonic()
        new = route_stack(eng, app2, router=router)
        healthy_to_live = time.monotonic() - t
        sent_rate = args.rate
        while True:
            elapsed = time.monotonic() - t_start
            if elapsed * sent_rate >= args.min_requests + sent_rate:
                break
            time.sleep(1)
        stop.set()
        th.join(60)
        s = result["s"]
        print()
        print(f"poll: sent {s.sent}, ok {s.ok}, failed {s.failed} {s.failures or ''}; "  # type: ignore[attr-defined]
              f"p50 {s.p50_ms:.1f} ms, p99 {s.p99_ms:.1f} ms, max {s.max_ms:.1f} ms; "  # type: ignore[attr-defined]
              f"{s.duration.total_seconds():.0f}s at {s.rate:g}/s")  # type: ignore[attr-defined]
        tot = [r.timings.total.total_seconds() for r in reconfig]

        def med(attr: str) -> float:
            return statistics.median(getattr(r.timings, attr).total_seconds() for r in reconfig)

        print(f"reconfigurations: {len(reconfig)}; healthy->live median {statistics.median(tot):.2f}s, max {max(tot):.2f}s;"
              f" split (median) lock {med('lock'):.2f} render {med('render'):.2f} validate {med('validate'):.2f}"
              f" rotate {med('rotate'):.2f} converge {med('converge'):.2f} probe {med('probe'):.2f}")
        print(f"app upgrades: {len(upgrade_s)}; median {statistics.median(upgrade_s):.1f}s (deploy + converge + re-route)")
        assert isinstance(new, Applied)
        print(f"new app healthy -> route live: {healthy_to_live:.2f}s "
              f"(converge {new.timings.converge.total_seconds():.2f}s)")
        return 0 if s.failed == 0 else 1  # type: ignore[attr-defined]
    finally:
        for stack in (app2, app):
            try:
                unroute_stack(eng, stack, router=router, probe=False)
            except Exception as e:  # noqa: BLE001 - best effort cleanup
                print(f"cleanup: {e}", file=sys.stderr)
            eng.stack_rm(stack)
        time.sleep(3)
        router_down(eng, router)
        for tag in tags.values():
            eng.remove_image(tag, force=True)


if __name__ == "__main__":
    sys.exit(main())
