#!/usr/bin/env python3
"""Cluster figures on the docker-in-docker lab: up/down time, memory, quorum-loss detection.

    python3 bench/cluster.py            # images cached (built if missing)
    python3 bench/cluster.py --cold     # remove the lab images first: build time included

Prints one line per figure. Scenarios, each on a healthy lab:
  followers  stop the two followers; ask the leader (`dockline cluster status`) until exit 3
  leader     stop the leader and one follower; ask the surviving follower until exit 3
For each: seconds from the second stop to the first exit 3, to the engine's own
"does not have a leader", the slowest single status call, and recovery after restart.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

# the lab is test tooling in testing/ (not installed with dockline)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "testing"))

from dockline.engine import Engine
from dockline_testing import lab


def status(node: lab.LabNode) -> tuple[int, str, float]:
    env = dict(os.environ, DOCKER_HOST=node.url)
    t = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "dockline", "cluster", "status", "--json"], env=env,
                       capture_output=True, text=True, timeout=120, check=False)
    return r.returncode, r.stderr, time.monotonic() - t


def host_used_mib() -> float:
    fields = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, v = line.split(":", 1)
            fields[k] = int(v.split()[0])
    return (fields["MemTotal"] - fields["MemAvailable"]) / 1024


def scenario(eng: Engine, running: lab.Lab, kind: str) -> None:
    probe = lab.node_engine(running.managers[0])
    try:
        leader_name = next(n.hostname for n in probe.nodes() if n.manager and n.manager.leader)
    finally:
        probe.close()
    leader = running.node(leader_name)
    followers = [m for m in running.managers if m is not leader]
    if kind == "followers":
        stop, ask = followers, leader
    else:
        stop, ask = [leader, followers[0]], followers[1]
    lab.stop_node(eng, stop[0])
    time.sleep(3)
    t0 = time.monotonic()
    lab.stop_node(eng, stop[1])
    stop_took = time.monotonic() - t0
    first_exit3 = no_leader = None
    slowest = 0.0
    while time.monotonic() - t0 < 120:
        rc, err, took = status(ask)
        slowest = max(slowest, took)
        now = time.monotonic() - t0
        if rc == 3 and first_exit3 is None:
            first_exit3 = now
        if "does not have a leader" in err:
            no_leader = now
            break
        time.sleep(0.5)
    t1 = time.monotonic()
    for n in stop:
        lab.start_node(eng, n)
    lab.wait_all_ready(running, via=ask)
    recovered = time.monotonic() - t1
    print(f"quorum[{kind}]: docker stop took {stop_took:.1f} s; status exit 3 after "
          f"{first_exit3 if first_exit3 is None else round(first_exit3, 1)} s; engine 'no leader' after "
          f"{no_leader if no_leader is None else round(no_leader, 1)} s; slowest status call "
          f"{slowest:.1f} s; all 5 ready {recovered:.1f} s after start")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cold", action="store_true", help="remove the lab images first")
    args = ap.parse_args()
    spec = lab.LabSpec.from_env()
    eng = Engine.connect()
    lab.down(eng, spec)
    if args.cold:
        for image in (lab.NODE_IMAGE, lab.APP_IMAGE):
            eng.remove_image(image, force=True)
    time.sleep(2)
    before = host_used_mib()
    running = lab.up(eng, spec)
    print("lab up: " + ", ".join(f"{k} {v:.1f} s" for k, v in running.timings.items()))
    time.sleep(5)
    per_node = lab.memory_mib(eng, running)
    print("memory per node (docker stats): " + ", ".join(f"{k} {v:.0f} MiB" for k, v in per_node.items())
          + f"; sum {sum(per_node.values()):.0f} MiB; host used +{host_used_mib() - before:.0f} MiB")
    try:
        scenario(eng, running, "followers")
        scenario(eng, running, "leader")
    finally:
        print(f"lab down: {lab.down(eng, spec):.1f} s")
        eng.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
