"""``pipeline.deploy_and_route`` against the in-memory swarm: what routing needs is checked
before the stack is applied (exit 2, nothing changed); what routing finds only after the
apply is exit 1 (the deploy happened), never 2 (issue 12)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from dockline.errors import RouteError, RouterError
from dockline.pipeline import deploy_and_route
from dockline.router import apply
from dockline.router.apply import Applied, Router
from dockline.router.discover import PlannedService, check_planned_routes, planned_services
from dockline.router.flow import is_routed
from dockline.router.stack import router_up
from dockline.stack.deploy import DeployOptions
from dockline.swarm.model import PublishedPort
from dockline.swarm.wait import Converged
from support.fakeswarm import FakeSwarm

R = Router("rt")
ON_NET = """
services:
  web:
    image: shop:1
    networks: [rt]
    deploy:
      labels: {{dockline.route: {path}}}
networks:
  rt: {{external: true, name: rt-net}}
"""
OFF_NET = """
services:
  web:
    image: shop:1
    deploy:
      labels: {dockline.route: /shop}
"""
OPTIONS = DeployOptions(resolve_image="never", timeout=timedelta(seconds=60))


@pytest.fixture()
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeSwarm:
    f = FakeSwarm()
    monkeypatch.setattr(apply, "_get", lambda url, timeout=3.0: f.http_get(url))  # the router's HTTP side
    f.add_image("shop:1")
    res = router_up(f, R, port=18080, base="nginx:fake", timeout=timedelta(seconds=60), clock=f.clock.now,
                    sleep=f.clock.sleep)
    assert isinstance(res.outcome, Converged)
    return f


def ship(fake: FakeSwarm, tmp_path: Path, name: str, text: str, **kw: object) -> object:
    f = tmp_path / f"{name}.yml"
    f.write_text(text)
    return deploy_and_route(fake, name, [f], options=OPTIONS, router=R, environ={}, **kw)  # type: ignore[arg-type]


def nothing_changed(fake: FakeSwarm, stack: str) -> None:
    assert not [c for c in fake.called("stack_deploy") if c[0][0] == stack]
    assert not [s for s in fake.services_ if s.startswith(f"{stack}_")]
    assert not [c for c in fake.configs() if c.labels.get("dockline.history.stack") == stack]


def test_a_routed_service_off_the_router_network_is_refused_before_the_deploy(
        fake: FakeSwarm, tmp_path: Path) -> None:
    with pytest.raises(RouteError, match="shop_web is neither on the router network nor publishing a port") as e:
        ship(fake, tmp_path, "shop", OFF_NET)
    assert e.value.exit_code == 2
    nothing_changed(fake, "shop")


def test_a_path_another_app_holds_is_refused_before_the_deploy(fake: FakeSwarm, tmp_path: Path) -> None:
    assert isinstance(ship(fake, tmp_path, "other", ON_NET.format(path="/shop")).routing, Applied)  # type: ignore[attr-defined]
    with pytest.raises(RouteError, match="other.*shop|shop.*other") as e:
        ship(fake, tmp_path, "shop", ON_NET.format(path="/shop"))
    assert e.value.exit_code == 2
    nothing_changed(fake, "shop")


def test_the_root_path_is_refused_before_the_deploy(fake: FakeSwarm, tmp_path: Path) -> None:
    with pytest.raises(RouteError, match="reserved") as e:
        ship(fake, tmp_path, "shop", ON_NET.format(path="/"))
    assert e.value.exit_code == 2
    nothing_changed(fake, "shop")


def test_a_routing_failure_after_the_apply_is_exit_1_not_2(fake: FakeSwarm, tmp_path: Path) -> None:
    # Between the check and the routing another process routes the same path: routing finds
    # the conflict only after the stack was applied.
    def meanwhile(_result: object) -> None:
        ship(fake, tmp_path, "other", ON_NET.format(path="/shop"))

    with pytest.raises(RouterError, match="stack shop was deployed .* but not routed") as e:
        ship(fake, tmp_path, "shop", ON_NET.format(path="/shop"), on_deployed=meanwhile)
    assert e.value.exit_code == 1
    assert "shop_web" in fake.services_ and not is_routed(fake, "shop", R) and is_routed(fake, "other", R)


def test_a_stack_that_can_be_routed_is_deployed_then_routed(fake: FakeSwarm, tmp_path: Path) -> None:
    shipped = ship(fake, tmp_path, "shop", ON_NET.format(path="/shop"))
    assert shipped.exit_code == 0 and isinstance(shipped.routing, Applied)  # type: ignore[attr-defined]
    assert is_routed(fake, "shop", R)


def test_without_a_running_router_nothing_is_checked_or_routed(tmp_path: Path) -> None:
    fake = FakeSwarm()
    fake.add_image("shop:1")
    shipped = ship(fake, tmp_path, "shop", OFF_NET)
    assert shipped.exit_code == 0 and shipped.routing is not None  # type: ignore[attr-defined]
    assert "shop_web" in fake.services_


# --------------------------------------------------------------------------- the pure check
def test_planned_services_name_services_networks_and_ports_as_the_swarm_will() -> None:
    doc = {
        "services": {
            "web": {"networks": ["rt", "back"], "deploy": {"labels": ["dockline.route=/a", "x"]},
                    "ports": ["8080:80", "127.0.0.1:9000:90/udp", {"target": 81, "published": 8081, "mode": "host"},
                              "82"]},
            "db": {},
        },
        "networks": {"rt": {"external": True, "name": "rt-net"}, "back": {}},
    }
    web, db = planned_services("shop", doc)
    assert web.name == "shop_web" and web.labels == {"dockline.route": "/a", "x": ""}
    assert web.networks == ("rt-net", "shop_back")
    assert web.ports == (PublishedPort(80, 8080, "tcp", "ingress"), PublishedPort(90, 9000, "udp", "ingress"),
                         PublishedPort(81, 8081, "tcp", "host"), PublishedPort(82, 0, "tcp", "ingress"))
    assert db.networks == ("shop_default",) and db.ports == ()


@pytest.mark.parametrize(("labels", "networks", "ports", "error"), [
    ({"dockline.route": "/a"}, ("rt-net",), (), None),
    ({"dockline.route": "/a"}, (), (PublishedPort(80, 0, "tcp", "ingress"),), None),
    ({"dockline.route": "/a"}, (), (), "neither on the router network nor publishing a port"),
    ({"dockline.route": "/a", "dockline.route.mode": "overlay"}, ("x",), (PublishedPort(80, 80, "tcp", "host"),),
     "is not on the router network"),
    ({"dockline.route": "/a", "dockline.route.mode": "host"}, (), (PublishedPort(80, 80, "tcp", "ingress"),),
     "publishes no host-mode tcp port"),
    ({"dockline.route": "/a"}, (), (PublishedPort(80, 80, "tcp", "ingress"), PublishedPort(81, 81, "tcp", "ingress")),
     "several ingress-mode ports"),
    ({"dockline.route": "/a;"}, ("rt-net",), (), "not allowed"),
])
def test_the_check_before_a_deploy_applies_the_rules_of_discovery(
        labels: dict[str, str], networks: tuple[str, ...], ports: tuple[PublishedPort, ...], error: str | None) -> None:
    svc = PlannedService("shop_web", labels, networks, ports)
    if error is None:
        assert [r.path for r in check_planned_routes("shop", [svc], "rt-net")] == ["/a/"]
    else:
        with pytest.raises(RouteError, match=error):
            check_planned_routes("shop", [svc], "rt-net")
