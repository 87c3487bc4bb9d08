"""Bundle planning (pure) and the swarm lock (against an in-memory fake of the config API)."""

from __future__ import annotations

import os
import socket
import threading
import time
from datetime import timedelta

import pytest

from dockline.errors import LockHeld, RouteError
from dockline.router.apply import (
    LABEL_EXPIRES,
    LABEL_HOLDER,
    Bundle,
    BundleEntry,
    Router,
    SwarmLock,
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


def test_held_lock_gives_a_clear_message_after_a_bounded_wait() -> None:
    eng = FakeSwarm()
    eng.create_config(R.lock, b"", {"dockline.router": "rt", "dockline.router.kind": "lock",
                                    LABEL_HOLDER: "otherhost:123", LABEL_EXPIRES: f"{time.time() + 600:.0f}"})
    seen = []
    t0 = time.monotonic()
    with pytest.raises(LockHeld) as e:
        SwarmLock(eng, R, ttl=timedelta(minutes=1), wait=timedelta(seconds=0.5),
                  on_wait=seen.append).acquire()
    assert time.monotonic() - t0 < 3
    assert "otherhost:123" in e.value.message and "expires" in (e.value.hint or "")
    assert seen == ["otherhost:123"]


@pytest.mark.parametrize("labels", [
    {LABEL_HOLDER: "otherhost:123", LABEL_EXPIRES: "1"},  # expired
    {LABEL_HOLDER: f"{socket.gethostname()}:999999", LABEL_EXPIRES: "9999999999"},  # holder process gone
])
def test_a_crashed_holder_does_not_block_forever(labels: dict[str, str]) -> None:
    eng = FakeSwarm()
    eng.create_config(R.lock, b"", {"dockline.router": "rt", "dockline.router.kind": "lock", **labels})
    lock = SwarmLock(eng, R, ttl=timedelta(minutes=1), wait=timedelta(seconds=1))
    lock.acquire()
    [held] = eng.configs()
    assert held.labels[LABEL_HOLDER] == f"{socket.gethostname()}:{os.getpid()}"
    lock.release()
    assert eng.configs() == []


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
