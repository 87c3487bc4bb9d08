"""``dockline.pipeline``: deploy then route, roll back then route, unroute then remove -- and
the commands that call it (``deploy``, ``rollback``, ``rm``, ``router up``, ``route``) with the
settings passed in explicitly. The steps the pipeline orders (``deploy_stack``, ``route_stack``,
``remove_stack``, ...) are replaced by recorders: what is pinned here is the order, which step
runs when, and which router and durations reach them. The steps themselves have their own tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

from dockline import pipeline
from dockline.cli import cli
from dockline.config import DeploySettings
from dockline.router.apply import Applied, Router, Timings, Unchanged
from dockline.router.routes import LABEL_PATH
from dockline.stack.deploy import DeployOptions, DeployResult, RemoveResult
from dockline.stack.model import Plan
from dockline.swarm.wait import Converged, RolledBack, ServiceState

OK = ServiceState("app_web", "converged", 1, 1, 1, None, None, None, None)
BAD = ServiceState("app_web", "rolled_back", 1, 1, 0, "rollback_completed", "rollback completed",
                   "task: non-zero exit (1)", None, "app_web: update rolled back")
ROUTER = Router("edge-r")


def result(outcome: object, stack: str = "app") -> DeployResult:
    return DeployResult(stack, None if outcome is None else 3, Plan(stack, (), ()), outcome,  # type: ignore[arg-type]
                        (), (f"{stack}_web",))


HEALTHY = result(Converged((OK,), timedelta(seconds=2)))
ROLLED_BACK = result(RolledBack((BAD,), timedelta(seconds=9), ("app_web: update rolled back",)))
DRY_RUN = result(None)
ROUTED = Applied("app", "v2", "v1", (), (), Timings())
REMOVED = RemoveResult("app", ("app_web",), ("app_default",), (), (), 1, (), timedelta(seconds=1))


class Calls(list[tuple[Any, ...]]):
    def names(self) -> list[str]:
        return [c[0] for c in self]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Calls]:
    """Every step the pipeline may take, recorded in order."""
    seen = Calls()
    state: dict[str, Any] = {"deploy": HEALTHY, "routed": True}

    def deploy_stack(engine: object, name: str, files: Any, **kw: Any) -> DeployResult:
        seen.append(("deploy", name, tuple(files), kw["options"], kw.get("environ")))
        return state["deploy"]  # type: ignore[no-any-return]

    def rollback_stack(engine: object, name: str, **kw: Any) -> DeployResult:
        seen.append(("rollback", name, kw["to_version"], kw["options"]))
        return state["deploy"]  # type: ignore[no-any-return]

    def route_stack(engine: object, name: str, **kw: Any) -> Applied:
        seen.append(("route", name, kw["router"]))
        kw["on_step"]("routing step")
        return ROUTED

    def unroute_stack(engine: object, name: str, **kw: Any) -> Applied:
        seen.append(("unroute", name, kw["router"]))
        return ROUTED

    def is_routed(engine: object, name: str, router: Router) -> bool:
        seen.append(("is_routed", name, router))
        return bool(state["routed"])

    def remove_stack(engine: object, name: str, timeout: timedelta, **_clock: Any) -> RemoveResult:
        seen.append(("remove", name, timeout))
        return REMOVED

    monkeypatch.setattr("dockline.stack.deploy.deploy_stack", deploy_stack)
    monkeypatch.setattr("dockline.stack.deploy.rollback_stack", rollback_stack)
    monkeypatch.setattr("dockline.stack.deploy.remove_stack", remove_stack)
    monkeypatch.setattr("dockline.router.flow.route_stack", route_stack)
    monkeypatch.setattr("dockline.router.flow.unroute_stack", unroute_stack)
    monkeypatch.setattr("dockline.router.flow.is_routed", is_routed)
    monkeypatch.setattr("dockline.pipeline.check_routes_before_deploy", lambda *a, **k: None)  # tested in unit/router
    seen.state = state  # type: ignore[attr-defined]
    yield seen


def swarm(router_running: bool = True, declared: tuple[str, ...] = ()) -> Any:
    """The two questions ``route_after_deploy`` asks the engine: is the router's service
    there, and which of the stack's services carry a route label."""
    services = [SimpleNamespace(name=n, labels={LABEL_PATH: "/x"}) for n in declared]
    services.append(SimpleNamespace(name="app_db", labels={}))
    return SimpleNamespace(service=lambda name: object() if router_running else None,
                           services=lambda labels=None: services)


# --------------------------------------------------------------------------- deploy then route
def test_a_healthy_deploy_is_reported_then_routed(calls: Calls) -> None:
    order: list[str] = []
    shipped = pipeline.deploy_and_route(swarm(), "app", [Path("stack.yml")], options=DeployOptions(),
                                        router=ROUTER, on_deployed=lambda r: order.append(f"report {r.stack}"),
                                        on_step=order.append)
    assert calls.names() == ["deploy", "route"]
    assert calls[1] == ("route", "app", ROUTER)
    assert order == ["report app", "routing step"]  # the report comes before any routing line
    assert shipped.routing is ROUTED and shipped.exit_code == 0


@pytest.mark.parametrize("outcome", [ROLLED_BACK, DRY_RUN], ids=["rolled-back", "dry-run"])
def test_a_deploy_that_is_not_healthy_is_not_routed(calls: Calls, outcome: DeployResult) -> None:
    calls.state["deploy"] = outcome  # type: ignore[attr-defined]
    reported: list[DeployResult] = []
    shipped = pipeline.deploy_and_route(swarm(), "app", [Path("stack.yml")], options=DeployOptions(),
                                        router=ROUTER, on_deployed=reported.append)
    assert calls.names() == ["deploy"] and reported == [outcome]
    assert shipped.routing is None and shipped.exit_code == outcome.exit_code


def test_no_router_given_means_the_router_is_not_touched(calls: Calls) -> None:
    shipped = pipeline.deploy_and_route(swarm(), "app", [Path("stack.yml")], options=DeployOptions(), router=None)
    assert calls.names() == ["deploy"] and shipped.routing is None


def test_a_missing_router_is_a_warning_only_when_routes_are_declared(calls: Calls) -> None:
    shipped = pipeline.deploy_and_route(swarm(router_running=False, declared=("app_web",)), "app",
                                        [Path("stack.yml")], options=DeployOptions(), router=ROUTER)
    assert shipped.routing == pipeline.RouterMissing("edge-r", ("app_web",))
    shipped = pipeline.deploy_and_route(swarm(router_running=False), "app", [Path("stack.yml")],
                                        options=DeployOptions(), router=ROUTER)
    assert shipped.routing is None
    assert "route" not in calls.names()


def test_the_interpolation_environment_is_passed_through(calls: Calls) -> None:
    pipeline.deploy_and_route(swarm(), "app", [Path("a.yml"), Path("b.yml")], options=DeployOptions(),
                              router=None, environ={"TAG": "2"})
    assert calls[0][2] == (Path("a.yml"), Path("b.yml")) and calls[0][4] == {"TAG": "2"}


def test_rollback_routes_the_version_it_went_back_to(calls: Calls) -> None:
    shipped = pipeline.rollback_and_route(swarm(), "app", to_version=2, options=DeployOptions(), router=ROUTER)
    assert calls.names() == ["rollback", "route"] and calls[0][2] == 2
    assert shipped.routing is ROUTED


def test_deploy_options_come_from_the_settings() -> None:
    settings = DeploySettings(timeout=timedelta(seconds=42), resolve_image="never", prune=False,
                              with_registry_auth=False)
    opts = pipeline.deploy_options(settings, placement_check=False, dry_run=True, run_hooks=False)
    assert opts == DeployOptions(prune=False, with_registry_auth=False, resolve_image="never",
                                 timeout=timedelta(seconds=42), dry_run=True, run_hooks=False,
                                 placement_check=False)


# --------------------------------------------------------------------------- unroute then remove
def test_a_routed_stack_is_unrouted_before_it_is_removed(calls: Calls) -> None:
    seen: list[object] = []
    done = pipeline.unroute_and_remove(swarm(), "app", router=ROUTER, timeout=timedelta(seconds=30),
                                       on_unrouted=seen.append)
    assert calls.names() == ["is_routed", "unroute", "remove"]
    assert calls[2] == ("remove", "app", timedelta(seconds=30))
    assert seen == [ROUTED] and done == pipeline.Removed(ROUTED, REMOVED)


def test_an_unrouted_stack_or_no_router_goes_straight_to_removal(calls: Calls) -> None:
    calls.state["routed"] = False  # type: ignore[attr-defined]
    assert pipeline.unroute_and_remove(swarm(), "app", router=ROUTER).unrouted is None
    assert calls.names() == ["is_routed", "remove"]
    calls.clear()
    pipeline.unroute_and_remove(swarm(), "app", router=None)
    assert calls.names() == ["remove"]


# --------------------------------------------------------------------------- the commands
@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    eng = swarm()
    monkeypatch.setattr("dockline.engine.Engine.connect", classmethod(lambda cls, *a, **k: eng))
    monkeypatch.chdir(tmp_path)  # no dockline.yaml
    for var in ("DOCKLINE_ROUTER", "DOCKLINE_ROUTER_NAME", "DOCKLINE_CONFIG", "DOCKLINE_DEPLOY_TIMEOUT",
                "DOCKLINE_ROUTER_TIMEOUT", "DOCKLINE_DEPLOY_ROUTE"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "stack.yml").write_text("services: {}\n")
    return eng


def test_deploy_takes_the_settings_and_routes_through_the_router_they_name(
        calls: Calls, engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKLINE_ROUTER", "edge-r")
    monkeypatch.setenv("DOCKLINE_DEPLOY_TIMEOUT", "90s")
    r = CliRunner().invoke(cli, ["deploy", "app", "-c", "stack.yml", "--json"])
    assert r.exit_code == 0, r.output
    assert calls.names() == ["deploy", "route"] and calls[1][2] == Router("edge-r")
    assert calls[0][3].timeout == timedelta(seconds=90)
    r = CliRunner().invoke(cli, ["deploy", "app", "-c", "stack.yml", "--timeout", "2m", "--no-route", "--json"])
    assert r.exit_code == 0, r.output
    assert calls.names()[2:] == ["deploy"] and calls[2][3].timeout == timedelta(minutes=2)


def test_deploy_exits_with_the_verdict_and_does_not_route(calls: Calls, engine: Any) -> None:
    calls.state["deploy"] = ROLLED_BACK  # type: ignore[attr-defined]
    r = CliRunner().invoke(cli, ["deploy", "app", "-c", "stack.yml"])
    assert r.exit_code == 1
    assert "stack app version 3 was rolled back by the swarm" in r.stderr
    assert calls.names() == ["deploy"]


def test_deploy_warns_when_routes_are_declared_but_no_router_runs(calls: Calls, engine: Any,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    eng = swarm(router_running=False, declared=("app_web",))
    monkeypatch.setattr("dockline.engine.Engine.connect", classmethod(lambda cls, *a, **k: eng))
    r = CliRunner().invoke(cli, ["deploy", "app", "-c", "stack.yml"])
    assert r.exit_code == 0, r.output
    assert ("warning: app_web declare routes but router dockline-router is not running; run "
            "`dockline router up`, then `dockline route app`") in " ".join(r.stderr.split())


def test_rm_unroutes_then_removes_within_the_timeout(calls: Calls, engine: Any) -> None:
    r = CliRunner().invoke(cli, ["rm", "app", "--timeout", "1m30s"])
    assert r.exit_code == 0, r.output
    assert calls.names() == ["is_routed", "unroute", "remove"]
    assert calls[2][2] == timedelta(seconds=90)
    assert "router bundle v1 -> v2: app unrouted" in r.stderr and "stack app removed" in r.stderr
    calls.clear()
    assert CliRunner().invoke(cli, ["rm", "app", "--no-route"]).exit_code == 0
    assert calls == [("remove", "app", timedelta(minutes=2))]


def test_router_up_takes_a_duration_and_its_defaults_from_the_settings(engine: Any,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, Any]] = []

    def router_up(eng: object, router: Router, **kw: Any) -> Any:
        seen.append({"router": router, **kw})
        return SimpleNamespace(router=router.name, image="dockline/router:x", port=kw["port"],
                               outcome=Converged((), timedelta(seconds=1)))

    monkeypatch.setattr("dockline.router.stack.router_up", router_up)
    r = CliRunner().invoke(cli, ["router", "up", "--timeout", "2m", "--router", "r2", "--port", "8081"])
    assert r.exit_code == 0, r.output
    assert seen[-1]["timeout"] == timedelta(minutes=2) and seen[-1]["router"] == Router("r2")
    assert seen[-1]["port"] == 8081
    monkeypatch.setenv("DOCKLINE_ROUTER_TIMEOUT", "45s")
    r = CliRunner().invoke(cli, ["router", "up"])
    assert r.exit_code == 0, r.output
    assert seen[-1]["timeout"] == timedelta(seconds=45) and seen[-1]["port"] == 80
    assert seen[-1]["router"] == Router("dockline-router")
    r = CliRunner().invoke(cli, ["router", "up", "--timeout", "soon"])
    assert r.exit_code == 2 and "should be a duration" in r.output


def test_route_lock_wait_is_a_duration(engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []

    def route_stack(eng: object, name: str, **kw: Any) -> Unchanged:
        seen.append(kw)
        return Unchanged(name, "v1", ())

    monkeypatch.setattr("dockline.router.flow.route_stack", route_stack)
    r = CliRunner().invoke(cli, ["route", "app", "--lock-wait", "2m"])
    assert r.exit_code == 0, r.output
    assert seen[-1]["lock_wait"] == timedelta(minutes=2)
    assert "router unchanged for app (bundle v1)" in r.stderr
    assert CliRunner().invoke(cli, ["route", "app"]).exit_code == 0
    assert seen[-1]["lock_wait"] == timedelta(seconds=90)


# --------------------------------------------------------------------------- against the in-memory swarm
ROUTED_STACK = """
services:
  web:
    image: app:1
    deploy:
      labels: {dockline.route: /app/}
  db:
    image: app:1
"""


def test_against_the_swarm_a_healthy_stack_without_a_router_is_deployed_and_warned_about(tmp_path: Path) -> None:
    from support.fakeswarm import FakeSwarm

    fake = FakeSwarm()
    fake.add_image("app:1")
    (tmp_path / "stack.yml").write_text(ROUTED_STACK)
    shipped = pipeline.deploy_and_route(fake, "app", [tmp_path / "stack.yml"], environ={}, router=ROUTER,
                                        options=DeployOptions(resolve_image="never", timeout=timedelta(seconds=30)))
    assert isinstance(shipped.deploy.outcome, Converged) and shipped.exit_code == 0
    assert shipped.routing == pipeline.RouterMissing("edge-r", ("app_web",))
    done = pipeline.unroute_and_remove(fake, "app", router=ROUTER, clock=fake.clock.now, sleep=fake.clock.sleep)
    assert done.unrouted is None and done.removed.complete
    assert sorted(done.removed.services) == ["app_db", "app_web"] and fake.services() == []
