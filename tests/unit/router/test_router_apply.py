"""Bundle planning (pure) and the swarm lock (against an in-memory fake of the config API)."""

from __future__ import annotations

import os
import socket
import threading
import time
from datetime import timedelta

import pytest

from dockline.errors import EngineError, LockHeld, RouteError, RouterError
from dockline.router.apply import (
    LABEL_HOLDER,
    LABEL_TTL,
    Bundle,
    BundleEntry,
    LockOwner,
    Router,
    SwarmLock,
    _boot,
    config_name,
    plan_bundle,
    table_from_status,
)
from dockline.router.routes import RouteTarget, TargetMode, make_route
from support.fakeswarm import FakeSwarm

R = Router("rt")


def tgt(app: str, path: str, port: int = 80) -> RouteTarget:
    return RouteTarget(make_route(app, f"{app}_web", path), TargetMode.OVERLAY, (f"tasks.{app}_web:{port}",))


def test_plan_adds_an_app_and_keeps_the_others_byte_for_byte() -> None:
    b1 = plan_bundle(R, Bundle(), "app-a", [tgt("app-a", "/a")])
    b2 = plan_bundle(R, b1, "app-b", [tgt("app-b", "/b")])
    a_files = {e.config for e in b1.entries if e.file.app == "app-a"}
    assert a_files <= {e.config for e in b2.entries}
    assert sorted(t.route.path for t in b2.table.targets) == ["/a/", "/b/"]
    assert len([e for e in b2.entries if e.file.kind == "status"]) == 1
    # the status file round-trips into the same table
    status = next(e for e in b2.entries if e.file.kind == "status")
    table, version = table_from_status(status.file.content)
    assert version == b2.version and [t.route.path for t in table.targets] == ["/a/", "/b/"]


def test_replanning_the_same_routes_changes_nothing() -> None:
    b1 = plan_bundle(R, Bundle(), "app-a", [tgt("app-a", "/a")])
    assert plan_bundle(R, b1, "app-a", [tgt("app-a", "/a")]).names == b1.names


def test_removing_an_app_drops_its_files() -> None:
    b = plan_bundle(R, plan_bundle(R, Bundle(), "app-a", [tgt("app-a", "/a")]), "app-b", [tgt("app-b", "/b")])
    after = plan_bundle(R, b, "app-a", None)
    assert {e.file.app for e in after.entries} == {"app-b", None}
    assert [t.route.app for t in after.table.targets] == ["app-b"]


def test_a_path_of_another_app_is_refused_naming_both() -> None:
    b1 = plan_bundle(R, Bundle(), "app-a", [tgt("app-a", "/shop")])
    with pytest.raises(RouteError, match="app-a.*app-b"):
        plan_bundle(R, b1, "app-b", [tgt("app-b", "/shop")])


def test_config_names_are_content_addressed_and_short() -> None:
    b = plan_bundle(Router("r" * 60), Bundle(), "a" * 59, [tgt("a" * 59, "/a")])
    assert all(len(e.config) <= 64 for e in b.entries)
    e = b.entries[0]
    other = BundleEntry(e.config, e.file)
    assert config_name(R, other.file) == config_name(R, e.file)


# ---------------------------------------------------------------- lock
def test_lock_serialises_two_holders() -> None:
    eng = FakeSwarm()
    inside = []
    overlap = []

    def work() -> None:
        with SwarmLock(eng, R, ttl=timedelta(minutes=1), wait=timedelta(seconds=10)):
            inside.append(1)
            if len(inside) > 1:
                overlap.append(1)
            time.sleep(0.2)
            inside.pop()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlap == [] and eng.configs() == []


LOCK_LABELS = {"dockline.router": "rt", "dockline.router.kind": "lock"}


def test_held_lock_gives_a_clear_message_after_a_bounded_wait() -> None:
    eng = FakeSwarm()
    eng.create_config(R.lock, b"", {**LOCK_LABELS, LABEL_HOLDER: "otherhost:123"})
    seen = []
    t0 = time.monotonic()
    with pytest.raises(LockHeld) as e:
        SwarmLock(eng, R, ttl=timedelta(minutes=1), wait=timedelta(seconds=0.5),
                  on_wait=seen.append).acquire()
    assert time.monotonic() - t0 < 3
    assert "otherhost:123" in e.value.message and "expires 60s after it was last renewed" in (e.value.hint or "")
    assert seen == ["otherhost:123"]


def test_a_lock_not_renewed_for_its_ttl_by_the_swarms_clock_is_broken() -> None:
    eng = FakeSwarm()
    eng.create_config(R.lock, b"x", {**LOCK_LABELS, LABEL_HOLDER: "otherhost:123", LABEL_TTL: "30"})
    eng.advance(31)  # the swarm's clock: 31 s since the lock was made, no renewal
    lock = SwarmLock(eng, R, ttl=timedelta(minutes=1), wait=timedelta(seconds=1))
    lock.acquire()
    [held] = eng.configs()
    assert held.labels[LABEL_HOLDER] == f"{socket.gethostname()}:{os.getpid()}"
    assert LockOwner.from_bytes(eng.config_data(held.id)) == lock.owner
    lock.release()
    assert eng.configs() == []


def test_a_crashed_holder_on_this_kernel_does_not_block_until_its_ttl() -> None:
    eng = FakeSwarm()
    dead = LockOwner("t0ken", socket.gethostname(), 999_999, _boot(), "12345")  # pid 999999: no such process
    eng.create_config(R.lock, dead.to_bytes(), {**LOCK_LABELS, LABEL_HOLDER: dead.holder})
    with SwarmLock(eng, R, ttl=timedelta(minutes=1), wait=timedelta(seconds=1)) as lock:
        [held] = eng.configs()
        assert held.labels[LABEL_HOLDER] == lock.owner.holder
    assert eng.configs() == []


def test_a_live_lock_of_another_machine_with_the_same_hostname_is_not_broken() -> None:
    # issue 12: the holder was judged by hostname:pid, so a machine with the same hostname
    # (a cloned VM, a container's default name) whose pid is free here lost its live lock.
    eng = FakeSwarm()
    twin = LockOwner("t0ken", socket.gethostname(), 999_999, "another-boot/pid:[4026531836]", "12345")
    eng.create_config(R.lock, twin.to_bytes(), {**LOCK_LABELS, LABEL_HOLDER: twin.holder})
    with pytest.raises(LockHeld, match=twin.holder):
        SwarmLock(eng, R, ttl=timedelta(minutes=1), wait=timedelta(seconds=0.3)).acquire()
    assert [c.name for c in eng.configs()] == [R.lock]


def test_the_local_clock_does_not_decide_whether_another_hosts_lock_expired(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # issue 12: expiry was the holder's wall clock + TTL compared with ours: a host whose
    # clock runs an hour ahead broke every live lock.
    eng = FakeSwarm()
    eng.create_config(R.lock, b"x", {**LOCK_LABELS, LABEL_HOLDER: "otherhost:123",
                                     "dockline.lock.expires": f"{time.time() + 300:.0f}"})
    ahead = time.time() + 3600
    monkeypatch.setattr(time, "time", lambda: ahead)
    with pytest.raises(LockHeld):
        SwarmLock(eng, R, ttl=timedelta(minutes=5), wait=timedelta(seconds=0.3)).acquire()


def test_a_conflict_without_a_listed_lock_backs_off_and_is_bounded() -> None:
    # issue 12: create conflicted, the labelled list was empty, and acquire looped at once,
    # without a pause or a deadline.
    eng = FakeSwarm()
    conflict = EngineError("Docker refused the config create: config rt.lock already exists")
    eng.script("create_config", *[conflict] * 10_000)
    with pytest.raises(LockHeld):
        SwarmLock(eng, R, ttl=timedelta(minutes=1), wait=timedelta(seconds=5), clock=eng.clock.now,
                  sleep=eng.clock.sleep).acquire()
    assert len(eng.called("create_config")) < 50
    assert len(eng.clock.slept) == len(eng.called("create_config")) - 1 and sum(eng.clock.slept) >= 5


def test_the_holder_renews_the_lock_so_a_slow_apply_is_not_broken_into() -> None:
    eng = FakeSwarm()
    ttl = timedelta(seconds=0.6)
    with SwarmLock(eng, R, ttl=ttl, wait=timedelta(seconds=1)) as slow:
        time.sleep(1.5)  # 2.5 TTLs of work under the lock
        with pytest.raises(LockHeld):
            SwarmLock(eng, R, ttl=ttl, wait=timedelta(seconds=0.2)).acquire()
        [held] = eng.configs()
        assert held.id == slow.id and held.version > 2
        slow.ensure_held()
    assert eng.configs() == []


def test_a_holder_whose_lock_was_broken_stops_before_touching_the_router() -> None:
    eng = FakeSwarm()
    lock = SwarmLock(eng, R, ttl=timedelta(seconds=0.15), wait=timedelta(seconds=1))
    lock.acquire()
    assert lock.id is not None
    eng.remove_config(lock.id)  # broken by another process (this one stalled past its TTL)
    time.sleep(0.3)
    with pytest.raises(RouterError, match="lost the lock"):
        lock.ensure_held()
    lock.release()


def test_a_renewal_that_fails_while_the_lock_stands_is_retried_not_lost() -> None:
    eng = FakeSwarm()
    eng.script("set_config_labels", RuntimeError("the engine timed out"))  # any error, not only DocklineError
    with SwarmLock(eng, R, ttl=timedelta(seconds=0.15), wait=timedelta(seconds=1)) as lock:
        time.sleep(0.4)
        assert lock.lost is None and len(eng.called("set_config_labels")) >= 2
        lock.ensure_held()


def test_router_stack_keeps_the_routes_it_serves() -> None:
    from dockline.router.stack import render_stack

    bundle = plan_bundle(R, Bundle(), "app-a", [tgt("app-a", "/a")])
    doc = render_stack(R, image="dockline/router:x", port=18081, edge_config="rt-edg-1", bundle=bundle,
                       labels={"dockline.test": "1"})
    edge, nginx = doc["services"]["edge"], doc["services"]["nginx"]
    assert edge["ports"][0] == {"target": 80, "published": 18081, "protocol": "tcp", "mode": "host"}
    assert doc["networks"]["router"] == {"external": True, "name": "rt-net"}
    assert nginx["deploy"]["update_config"]["order"] == "start-first"
    assert nginx["deploy"]["labels"]["dockline.test"] == "1"
    mounted = {doc["configs"][m["source"]]["name"]: m["target"] for m in nginx["configs"]}
    assert mounted == dict(bundle.mounts)
    assert all(doc["configs"][m["source"]]["external"] for m in nginx["configs"])
