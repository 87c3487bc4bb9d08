"""The deploy-then-route and unroute-then-remove pipelines against the in-memory swarm
(tests/support): only a healthy deploy is routed, a stack with routes but no router says so,
a removal unroutes first."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from dockline.pipeline import (
    RouterMissing,
    deploy_and_route,
    rollback_and_route,
    unroute_and_remove,
)
from dockline.router import apply
from dockline.router.apply import Applied, Router, Unchanged
from dockline.router.flow import is_routed
from dockline.router.stack import router_up
from dockline.stack.deploy import DeployOptions
from dockline.swarm.wait import Converged
from support.fakeswarm import CRASHING, FakeSwarm

R = Router("rt")
OPTS = DeployOptions(resolve_image="never", timeout=timedelta(seconds=30))
APP = """
services:
  web:
    image: {image}
    networks: [rt]
    deploy:
      labels: {{dockline.route: /shop}}
networks:
  rt: {{external: true, name: rt-net}}
"""


@pytest.fixture()
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeSwarm:
    f = FakeSwarm()
    f.add_image("shop:1")
    f.add_image("shop:2", CRASHING)
    up = router_up(f, R, port=18080, base="nginx:fake", timeout=timedelta(seconds=60),
                   clock=f.clock.now, sleep=f.clock.sleep)
    assert isinstance(up.outcome, Converged)
    monkeypatch.setattr(apply, "_get", lambda url, timeout=3.0: f.http_get(url))  # probes reach the fake
    return f


def stack(tmp_path: Path, image: str = "shop:1") -> list[Path]:
    path = tmp_path / "shop.yml"
    path.write_text(APP.format(image=image))
    return [path]


def test_a_healthy_deploy_is_routed(fake: FakeSwarm, tmp_path: Path) -> None:
    seen = []
    shipped = deploy_and_route(fake, "shop", stack(tmp_path), options=OPTS, router=R, environ={},
                               on_deployed=seen.append)
    assert shipped.exit_code == 0 and isinstance(shipped.routing, Applied)
    assert seen == [shipped.deploy] and is_routed(fake, "shop", R)


def test_a_failed_deploy_is_not_routed(fake: FakeSwarm, tmp_path: Path) -> None:
    shipped = deploy_and_route(fake, "shop", stack(tmp_path, "shop:2"), options=OPTS, router=R, environ={})
    assert shipped.exit_code == 1 and shipped.routing is None
    assert fake.called("set_service_configs") == [] and not is_routed(fake, "shop", R)


def test_declared_routes_without_a_router_are_reported(tmp_path: Path) -> None:
    fake = FakeSwarm()
    fake.create_overlay_network("rt-net", {})
    shipped = deploy_and_route(fake, "shop", stack(tmp_path), options=OPTS, router=R, environ={})
    assert shipped.exit_code == 0 and shipped.routing == RouterMissing("rt", ("shop_web",))


def test_rollback_is_routed_like_a_deploy(fake: FakeSwarm, tmp_path: Path) -> None:
    deploy_and_route(fake, "shop", stack(tmp_path), options=OPTS, router=R, environ={})
    assert deploy_and_route(fake, "shop", stack(tmp_path, "shop:2"), options=OPTS, router=R,
                            environ={}).exit_code == 1
    shipped = rollback_and_route(fake, "shop", options=OPTS, router=R)
    assert shipped.exit_code == 0 and shipped.deploy.version == 3
    assert isinstance(shipped.routing, Unchanged) and is_routed(fake, "shop", R)  # v1's routes were kept


def test_remove_unroutes_first(fake: FakeSwarm, tmp_path: Path) -> None:
    deploy_and_route(fake, "shop", stack(tmp_path), options=OPTS, router=R, environ={})
    unrouted = []
    removed = unroute_and_remove(fake, "shop", router=R, on_unrouted=unrouted.append, clock=fake.clock.now,
                                 sleep=fake.clock.sleep)
    assert isinstance(removed.unrouted, Applied) and unrouted == [removed.unrouted]
    assert removed.removed.complete and removed.removed.services == ("shop_web",)
    assert not is_routed(fake, "shop", R)
    steps = [m for m, _, _ in fake.calls if m in ("set_service_configs", "stack_rm")]
    assert steps[-2:] == ["set_service_configs", "stack_rm"]  # detached before the stack went
