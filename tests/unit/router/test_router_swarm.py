"""router_up, route_stack, unroute_stack and router_down against the in-memory swarm
(tests/support): validate with ``nginx -t`` before rotating, wait for the router to take the
bundle, probe it, restore the previous bundle on any failure, collect what is unused, respect
the lock. The real thing: tests/integration/router.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from dockline.errors import BuildFailed, EngineError, LockHeld, RouterError
from dockline.router import apply
from dockline.router.apply import (
    LABEL_HOLDER,
    Applied,
    Router,
    Unchanged,
    current_bundle,
)
from dockline.router.flow import is_routed, route_stack, unroute_stack
from dockline.router.stack import router_down, router_up
from dockline.stack.deploy import DeployOptions, deploy_stack
from dockline.swarm.wait import Converged
from support.fakeswarm import CRASHING, FakeSwarm, Spec

R = Router("rt")
PORT = 18080

APP = """
services:
  web:
    image: shop:1
    networks: [rt]
    deploy:
      labels: {{dockline.route: {path}}}
networks:
  rt: {{external: true, name: rt-net}}
"""


def up(fake: FakeSwarm, **kw: Any) -> Any:
    return router_up(fake, R, port=PORT, base="nginx:fake", timeout=timedelta(seconds=60),
                     clock=fake.clock.now, sleep=fake.clock.sleep, **kw)


def deploy_app(fake: FakeSwarm, tmp_path: Path, path: str = "/shop") -> None:
    f = tmp_path / "shop.yml"
    f.write_text(APP.format(path=path))
    res = deploy_stack(fake, "shop", [f], environ={}, options=DeployOptions(resolve_image="never"))
    assert res.exit_code == 0


def route(fake: FakeSwarm, **kw: Any) -> Any:
    kw.setdefault("probe", False)
    return route_stack(fake, "shop", router=R, clock=fake.clock.now, sleep=fake.clock.sleep, **kw)


def mounted(fake: FakeSwarm) -> list[str]:
    """Config names the router's nginx service mounts."""
    return sorted(c for c, _ in fake.services_[R.service].spec.configs)


def running_bundle(fake: FakeSwarm) -> list[str]:
    """Config names the running nginx tasks were made with."""
    return sorted({c for t in fake.service_tasks(R.service) if t.state == "running" and t.desired_state == "running"
                   for c, _ in t.spec.configs})


@pytest.fixture()
def fake(tmp_path: Path) -> FakeSwarm:
    f = FakeSwarm()
    f.add_image("shop:1")
    assert isinstance(up(f).outcome, Converged)
    deploy_app(f, tmp_path)
    return f


# --------------------------------------------------------------------------- router up/down
def test_router_up_builds_creates_and_waits_for_both_services() -> None:
    fake = FakeSwarm()
    res = up(fake)
    assert isinstance(res.outcome, Converged) and res.image.startswith("dockline/router:")
    assert [a for a, _ in fake.called("build")]  # the image was missing
    assert fake.network_id(R.network) is not None
    for svc in (R.edge, R.service):
        assert [t.state for t in fake.service_tasks(svc) if t.desired_state == "running"] == ["running"]
    edge = fake.services_[R.edge].spec
    assert [(p.published, p.mode) for p in edge.ports] == [(PORT, "host")]
    assert [c.name for c in fake.configs() if c.labels.get("dockline.router.kind") == "edge"] == \
        [c for c, _ in edge.configs]


def test_router_up_retries_while_the_swarm_still_knows_the_old_network() -> None:
    fake = FakeSwarm()
    fake.script("stack_deploy", EngineError("Docker refused the stack deploy: network rt-net not found"))
    assert isinstance(up(fake).outcome, Converged)
    assert len(fake.called("stack_deploy")) == 2 and fake.clock.slept == [1.0]


def test_router_up_gives_up_after_five_tries() -> None:
    fake = FakeSwarm()
    fake.script("stack_deploy", *[EngineError("network rt-net not found")] * 5)
    with pytest.raises(EngineError, match="not found"):
        up(fake)
    assert len(fake.called("stack_deploy")) == 5 and fake.clock.slept == [1.0] * 4


def test_router_up_again_keeps_the_routes_it_serves(fake: FakeSwarm) -> None:
    assert isinstance(route(fake), Applied)
    before = mounted(fake)
    assert isinstance(up(fake).outcome, Converged)
    assert mounted(fake) == before and is_routed(fake, "shop", R)


def test_router_down_waits_until_everything_is_gone(fake: FakeSwarm) -> None:
    route(fake)
    fake.stack_rm("shop")  # the app is on the router's network: it would keep it
    removed = router_down(fake, R, clock=fake.clock.now, sleep=fake.clock.sleep)
    assert fake.clock.slept  # the tasks held the configs and the network for a while
    assert fake.service(R.service) is None and fake.network_id(R.network) is None
    assert not [c for c in fake.configs() if c.labels.get("dockline.router") == R.name]
    assert any("-loc-" in n for n in removed)


def test_router_up_without_a_registry_hints_at_the_base_image_setting_not_a_build_line() -> None:
    # issue 12: the hint was the builder's last line ("Step 1/6 : ARG NGINX_IMAGE=...").
    fake = FakeSwarm()
    fake.script("build", BuildFailed("build failed: failed to resolve source metadata for docker.io/library/nginx",
                                     "Step 1/6 : ARG NGINX_IMAGE=nginx:1.27-bookworm"))
    with pytest.raises(BuildFailed) as e:
        up(fake)
    assert e.value.message.startswith("could not build the router image from nginx:fake: build failed:")
    assert "`--base-image local/nginx:bookworm`" in (e.value.hint or "")
    assert "`DOCKLINE_NGINX_IMAGE`" in (e.value.hint or "") and "Step 1/6" not in (e.value.hint or "")


def test_router_up_command_prints_the_base_image_hint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from dockline.cli import cli

    fake = FakeSwarm()
    fake.script("build", BuildFailed("build failed: pull access denied for nginx", "Step 1/6 : ARG NGINX_IMAGE=x"))
    monkeypatch.setattr("dockline.engine.Engine.connect", classmethod(lambda cls, *a, **k: fake))
    monkeypatch.chdir(tmp_path)
    for var in ("DOCKLINE_NGINX_IMAGE", "DOCKLINE_ROUTER_BASE_IMAGE", "DOCKLINE_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    r = CliRunner().invoke(cli, ["router", "up", "--router", "rt", "--port", "18080"])
    assert r.exit_code == 1, r.output
    text = " ".join(r.stderr.split())
    assert "use a local nginx image: `--base-image local/nginx:bookworm` or `DOCKLINE_NGINX_IMAGE`" in text
    assert "Step 1/6" not in text


class LingeringNetworks(FakeSwarm):
    """A swarm whose removed networks are still listed for ``linger`` seconds (the manager
    answers `network rm` before every node has dropped it: issue 12, down then up)."""

    def __init__(self, linger: float = 3.0):
        super().__init__()
        self.linger = linger
        self.leaving: dict[str, tuple[str, float]] = {}  # name -> (id, listed until)

    def remove_network(self, name_or_id: str) -> bool:
        leaving = self.leaving.get(name_or_id)
        if leaving is not None and self.clock.t < leaving[1]:
            # what the engine answers for a network it lists but the manager already dropped
            raise EngineError(f"Docker refused the network removal: network {leaving[0]} not found")
        n = self._network(name_or_id)
        ok = super().remove_network(name_or_id)
        if ok and n is not None:
            self.leaving[n.name] = (n.id, self.clock.t + self.linger)
        return ok

    def network_id(self, name: str) -> str | None:
        found = super().network_id(name)
        leaving = self.leaving.get(name)
        if found is None and leaving is not None and self.clock.t < leaving[1]:
            return leaving[0]
        return found


def test_router_down_returns_only_when_the_network_is_no_longer_listed() -> None:
    fake = LingeringNetworks(linger=3.0)
    assert isinstance(up(fake).outcome, Converged)
    router_down(fake, R, clock=fake.clock.now, sleep=fake.clock.sleep)
    assert fake.network_id(R.network) is None
    assert isinstance(up(fake).outcome, Converged)  # at once: the network is made again
    assert R.network in fake.networks_


def test_router_up_makes_again_a_network_that_was_being_removed() -> None:
    fake = LingeringNetworks(linger=1.5)
    fake.create_overlay_network(R.network, {})
    fake.remove_network(R.network)  # another `router down` removes it: still listed for a moment
    assert fake.network_id(R.network) is not None
    res = up(fake)
    assert isinstance(res.outcome, Converged)
    # "declared as external, but could not be found" while it is still listed; made once it is not
    assert 1 < len(fake.called("stack_deploy")) < 5 and fake.called("create_overlay_network")
    assert R.network in fake.networks_


def test_router_down_is_bounded_when_the_network_never_goes() -> None:
    fake = LingeringNetworks(linger=1e9)
    up(fake)
    with pytest.raises(RouterError, match="not fully removed"):
        router_down(fake, R, timeout=timedelta(seconds=5), clock=fake.clock.now, sleep=fake.clock.sleep)


# --------------------------------------------------------------------------- route
def test_route_validates_the_whole_bundle_then_rotates_and_collects(fake: FakeSwarm) -> None:
    old = mounted(fake)
    start = len(fake.calls)
    res = route(fake)
    assert isinstance(res, Applied) and [t.servers for t in res.targets] == [("tasks.shop_web:80",)]
    order = [m for m, a, _ in fake.calls[start:] if m in ("run_check", "set_service_configs")
             or m == "create_config" and a[0] != R.lock]
    assert order[0] == "run_check" and order[-1] == "set_service_configs"  # nginx -t before anything changes
    [(image, files, command)] = [a for a, _ in fake.called("run_check")]
    assert command == ["nginx", "-t"] and image.startswith("dockline/router:")
    assert any("/shop/" in data.decode() for data in files.values())
    assert running_bundle(fake) == mounted(fake) != old  # the router runs the new bundle
    assert set(res.removed_configs) == set(old) and all(fake.config_data(c) is None for c in old)
    bundle, _ = current_bundle(fake, R)
    assert [t.route.path for t in bundle.table.targets] == ["/shop/"] and bundle.version == res.version


def test_the_same_routes_again_change_nothing(fake: FakeSwarm) -> None:
    route(fake)
    calls = len(fake.called("set_service_configs"))
    assert isinstance(route(fake), Unchanged)
    assert len(fake.called("set_service_configs")) == calls


def test_a_bundle_nginx_rejects_changes_nothing(fake: FakeSwarm) -> None:
    old = mounted(fake)
    fake.check = lambda image, files, cmd: (1, 'nginx: [emerg] unknown directive "proxy_passs" in x.conf:3')
    with pytest.raises(RouterError, match="nginx rejected the new bundle; nothing was changed") as e:
        route(fake)
    assert "proxy_passs" in (e.value.hint or "")
    assert fake.called("set_service_configs") == [] and mounted(fake) == old
    assert not is_routed(fake, "shop", R)


def test_a_bundle_the_router_does_not_take_is_rolled_back_and_its_configs_removed(fake: FakeSwarm) -> None:
    old = mounted(fake)

    def dies_on_routes(spec: Spec) -> Any:
        return CRASHING if any("-loc-" in c for c, _ in spec.configs) else None

    fake.behaviour_of = dies_on_routes
    with pytest.raises(RouterError, match="did not take bundle .*previous bundle empty restored"):
        route(fake)
    assert mounted(fake) == old and running_bundle(fake) == old
    assert not [c for c in fake.configs() if "-loc-" in c.name]  # nothing orphaned


def _probe_with(fake: FakeSwarm, monkeypatch: pytest.MonkeyPatch,
                answer: Callable[[str], tuple[int, bytes] | None] = lambda _url: None) -> None:
    """The router's HTTP side answered by the fake (``answer`` overrides some URLs)."""
    def get(url: str, timeout: float = 3.0) -> tuple[int, bytes]:
        return answer(url) or fake.http_get(url)

    monkeypatch.setattr(apply, "_get", get)


def test_route_probes_every_route_through_the_edge(fake: FakeSwarm, monkeypatch: pytest.MonkeyPatch) -> None:
    _probe_with(fake, monkeypatch)
    res = route(fake, probe=True)
    assert isinstance(res, Applied)
    urls = [a[0] for a, _ in fake.called("http_get")]
    assert urls.count(f"http://127.0.0.1:{PORT}/_dockline/status") >= 3 and urls[-1].endswith("/shop/")


def test_a_route_that_does_not_answer_restores_the_previous_bundle(fake: FakeSwarm,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    old = mounted(fake)
    _probe_with(fake, monkeypatch, lambda url: (502, b"") if url.endswith("/shop/") else None)
    with pytest.raises(RouterError, match=r"route /shop/ answers HTTP 502 through the router; previous bundle"):
        route(fake, probe=True)
    assert mounted(fake) == old and not [c for c in fake.configs() if "-loc-" in c.name]
    assert fake.clock.now() < 60  # the probe is bounded (15 s), in fake time


def test_a_router_serving_an_old_bundle_fails_the_probe(fake: FakeSwarm, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = fake.http_get(f"http://127.0.0.1:{PORT}/_dockline/status")
    _probe_with(fake, monkeypatch, lambda url: stale if url.endswith("/_dockline/status") else None)
    with pytest.raises(RouterError, match=r"does not serve bundle \w+ \(it answers empty\)"):
        route(fake, probe=True)


def test_a_held_lock_is_waited_for_then_refused(fake: FakeSwarm) -> None:
    fake.create_config(R.lock, b"", {"dockline.router": R.name, "dockline.router.kind": "lock",
                                     LABEL_HOLDER: "otherhost:123"})
    steps: list[str] = []
    with pytest.raises(LockHeld, match="being changed by otherhost:123; waited 2s"):
        route(fake, lock_wait=timedelta(seconds=2), on_step=steps.append)
    assert steps == ["waiting for the router lock held by otherhost:123"]
    assert sum(fake.clock.slept) == pytest.approx(2.0) and fake.called("run_check") == []


# --------------------------------------------------------------------------- unroute
def test_unroute_detaches_the_app_and_collects_its_configs(fake: FakeSwarm) -> None:
    routed = route(fake)
    res = unroute_stack(fake, "shop", router=R, probe=False, clock=fake.clock.now, sleep=fake.clock.sleep)
    assert isinstance(res, Applied) and res.targets == ()
    assert not is_routed(fake, "shop", R)
    assert not [c for c in mounted(fake) if "-loc-" in c] and running_bundle(fake) == mounted(fake)
    assert any("-loc-" in c for c in res.removed_configs) and res.previous_version == routed.version


def test_unroute_without_a_router_does_nothing() -> None:
    fake = FakeSwarm()
    assert unroute_stack(fake, "shop", router=R) is None
    assert fake.called("create_config") == []
