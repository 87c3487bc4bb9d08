"""Issue 12 on the real swarm: `router down` then `router up` at once, a deploy whose routes
could not be applied refused before anything changes, and the router lock judged by the
swarm's own clock."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from routerkit import BASE, Images, RouterUnderTest, free_port, run_cli

from dockline.engine import Engine
from dockline.errors import LockHeld, RouterError
from dockline.router.apply import LABEL_KIND, LABEL_ROUTER, Router, SwarmLock
from dockline.router.stack import router_down, router_up
from dockline.stack.history import LABEL_STACK
from dockline.swarm.model import STACK_NAMESPACE_LABEL
from dockline.swarm.wait import Converged

pytestmark = [pytest.mark.docker, pytest.mark.swarm]


def test_router_down_then_up_at_once_works_every_time(swarm: Engine, images: Images, test_labels: dict[str, str],
                                                      run_id: str) -> None:
    r = Router(f"du-{run_id[:6]}")
    port = free_port()
    try:
        for attempt in range(3):
            res = router_up(swarm, r, port=port, base=BASE, timeout=timedelta(seconds=120), labels=test_labels)
            assert isinstance(res.outcome, Converged), (attempt, res.outcome)
            router_down(swarm, r)
            # down returned: nothing of the router is listed any more, so an up at once starts clean
            assert swarm.network_id(r.network) is None, attempt
            assert swarm.services(names=[r.edge, r.service]) == [], attempt
    finally:
        router_down(swarm, r)


def test_a_deploy_whose_routes_cannot_be_applied_is_refused_with_nothing_changed(
        swarm: Engine, router: RouterUnderTest, images: Images, tmp_path: Path, unique_name,
        test_labels: dict[str, str]) -> None:
    stack = unique_name("off")
    doc = {"version": "3.8", "services": {"web": {
        "image": images.app("app-a", "v1"),
        "deploy": {"labels": {**test_labels, "dockline.route": "/off-net"}},  # not on the router network
    }}}
    f = tmp_path / "stack.yml"
    f.write_text(yaml.safe_dump(doc))
    try:
        res = run_cli("deploy", stack, "-c", str(f), "--resolve-image", "never",
                      env={"DOCKLINE_ROUTER": router.router.name})
        assert res.exit_code == 2, res.output
        assert f"service {stack}_web is neither on the router network nor publishing a port" in " ".join(
            res.output.split())
        assert swarm.services(labels={STACK_NAMESPACE_LABEL: stack}) == []
        assert swarm.configs(labels={LABEL_STACK: stack}) == []
    finally:
        swarm.stack_rm(stack)


def test_the_lock_is_stamped_and_judged_by_the_swarms_clock(swarm: Engine, router: RouterUnderTest) -> None:
    r = router.router
    lock = SwarmLock(swarm, r, ttl=timedelta(seconds=1.5), wait=timedelta(seconds=5))
    with lock:
        [held] = [c for c in swarm.configs(labels={LABEL_ROUTER: r.name, LABEL_KIND: "lock"})]
        assert held.created_at is not None and swarm.info().system_time is not None
        time.sleep(2.5)  # longer than the TTL: only the heartbeat keeps it
        with pytest.raises(LockHeld, match="being changed by"):
            SwarmLock(swarm, r, ttl=timedelta(seconds=1.5), wait=timedelta(seconds=1)).acquire()
        [renewed] = [c for c in swarm.configs(labels={LABEL_ROUTER: r.name, LABEL_KIND: "lock"})]
        assert renewed.id == held.id and renewed.version > held.version
        assert renewed.updated_at is not None and held.updated_at is not None and renewed.updated_at > held.updated_at
        lock.ensure_held()
        assert lock.id is not None
        swarm.remove_config(lock.id)  # broken by someone else: the heartbeat notices, the holder stops
        time.sleep(1.5)
        with pytest.raises(RouterError, match="lost the lock"):
            lock.ensure_held()
    assert swarm.configs(labels={LABEL_ROUTER: r.name, LABEL_KIND: "lock"}) == []
