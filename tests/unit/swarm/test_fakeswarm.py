"""The in-memory swarm of tests/support: it satisfies every Protocol (mypy-checked), and its
model behaves like the engine where the core's tests rely on it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support.fakeswarm import CRASHING, FakeSwarm, worker_node

ROOT = Path(__file__).resolve().parents[3]


def test_the_fake_satisfies_every_swarm_protocol() -> None:
    # MYPYPATH=src: the installed package has no py.typed, and ignore_missing_imports would
    # otherwise turn dockline into Any and pass anything.
    p = subprocess.run([sys.executable, "-m", "mypy", "tests/support/conformance.py"], cwd=ROOT,
                       capture_output=True, text=True, check=False, env={**os.environ, "MYPYPATH": "src"})
    assert p.returncode == 0, p.stdout + p.stderr


def test_tasks_move_on_a_tick_and_failed_ones_are_restarted() -> None:
    fake = FakeSwarm()
    fake.create_service("app_web", "app:1", replicas=2)
    states = []
    for _ in range(3):
        fake.tick()
        states.append(sorted(t.state for t in fake.service_tasks("app_web")))
    assert states == [["pending", "pending"], ["starting", "starting"], ["running", "running"]]
    fake.add_image("app:2", CRASHING)
    fake.create_service("app_bad", "app:2", restart_max_attempts=2)
    fake.settle()
    assert [t.state for t in fake.service_tasks("app_bad")] == ["failed", "failed"]  # then no more


def test_a_config_in_use_is_not_removed_until_its_tasks_stop() -> None:
    fake = FakeSwarm()
    cid = fake.create_config("conf-1", b"x", {})
    fake.create_service("app_web", "app:1", configs=(("conf-1", "/etc/x"),))
    fake.settle()
    assert not fake.remove_config(cid)
    fake.update_service("app_web", configs=())
    assert not fake.remove_config(cid)  # the old task still runs with it
    fake.settle()
    assert fake.remove_config(cid) and fake.config_data(cid) is None


def test_constraints_no_node_matches_leave_tasks_pending_with_the_reason() -> None:
    fake = FakeSwarm(nodes=[worker_node("w1", "10.0.0.2", labels={"zone": "west"})])
    fake.create_service("app_web", "app:1", constraints=("node.labels.zone==east",))
    fake.settle()
    [t] = fake.service_tasks("app_web")
    assert t.state == "pending" and "no suitable node" in (t.error or "")
