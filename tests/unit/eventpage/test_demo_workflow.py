"""``dockline.demo``: the workflows (``demo_up``, ``demo_down``) in order, the data-volume retry on
an injected clock, where the example is found, and the ``demo`` commands' flags -- without an
engine: the steps it orders (router, deploy, route, remove) are replaced by recorders."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

from dockline import demo
from dockline.cli import cli
from dockline.errors import DeployFailed, EnvironmentProblem, UsageError
from dockline.router.apply import Router
from dockline.stack.deploy import DeployResult, RemoveResult
from dockline.stack.model import Plan
from dockline.swarm.wait import Converged, TimedOut

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "eventpage"


class Clock:
    """A clock that moves only when the workflow sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Engine:
    """The few engine calls the demo itself makes (everything else goes through recorders)."""

    def __init__(self, busy: int = 0, images: tuple[str, ...] = tuple(demo.LOCAL_BASES.values())) -> None:
        self.busy = busy  # how many volume removals fail first (a task still holds it)
        self.images = set(images)
        self.calls: list[tuple[Any, ...]] = []

    def require_manager(self) -> None:
        self.calls.append(("require_manager",))

    def image(self, ref: str) -> object | None:
        return object() if ref in self.images else None

    def build(self, path: str, **kw: Any) -> str:
        self.calls.append(("build", kw["tag"]))
        return f"sha256:{kw['tag']}"

    def remove_volume(self, name: str) -> bool:
        self.calls.append(("remove_volume", name))
        if self.busy:
            self.busy -= 1
            return False
        return True

    def remove_image(self, ref: str, force: bool = False) -> None:
        self.calls.append(("remove_image", ref))


def plan(tmp_path: Path) -> demo.DemoPlan:
    return demo.plan_demo("ep", "r", 8080, "1", demo.LOCAL_BASES, example_dir=EXAMPLE, state_dir=tmp_path,
                          labels=("dockline.test=1",), cwd=tmp_path, environ={})


# --------------------------------------------------------------------------- the data volume
def test_the_volume_is_retried_until_it_is_free_then_the_secrets_go(tmp_path: Path) -> None:
    p = plan(tmp_path)
    demo.ensure_secrets(p.secrets_dir)
    eng, clock = Engine(busy=3), Clock()
    assert demo.remove_data(eng, p, timedelta(seconds=30), clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    assert [c[0] for c in eng.calls] == ["remove_volume"] * 4
    assert clock.sleeps == sorted(clock.sleeps) and max(clock.sleeps) <= 1.0
    assert not any((p.secrets_dir / n).exists() for n in demo.SECRET_FILES)


def test_a_volume_still_in_use_after_the_timeout_keeps_the_secrets(tmp_path: Path) -> None:
    p = plan(tmp_path)
    demo.ensure_secrets(p.secrets_dir)
    eng, clock = Engine(busy=10_000), Clock()
    assert not demo.remove_data(eng, p, timedelta(seconds=5), clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    assert clock.now == pytest.approx(105.0)  # the deadline, not overshot
    assert all((p.secrets_dir / n).exists() for n in demo.SECRET_FILES)


# --------------------------------------------------------------------------- the workflows
class Steps:
    """What the workflow asked the router and stack steps (``calls``), and what they answer."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.state: dict[str, Any] = {"outcome": Converged((), timedelta(seconds=1)), "routes": ()}

    def names(self) -> list[str]:
        return [c[0] for c in self.calls]


@pytest.fixture
def steps(monkeypatch: pytest.MonkeyPatch) -> Steps:
    rec = Steps()
    seen, state = rec.calls, rec.state

    def router_up(eng: object, router: Router, **kw: Any) -> Any:
        seen.append(("router_up", router.name, kw["port"], kw["base"], kw["timeout"]))
        return SimpleNamespace(outcome=Converged((), timedelta(seconds=1)))

    def deploy_stack(eng: object, name: str, files: Any, **kw: Any) -> DeployResult:
        seen.append(("deploy", name, tuple(f.name for f in files), kw["environ"], kw["options"].timeout))
        return DeployResult(name, 4, Plan(name, (), ()), state["outcome"], (), ())

    def route_stack(eng: object, name: str, **kw: Any) -> Any:
        seen.append(("route", name, kw["router"].name))
        return SimpleNamespace(version="b1")

    def unroute_stack(eng: object, name: str, **kw: Any) -> None:
        seen.append(("unroute", name, kw["probe"]))

    def remove_stack(eng: object, name: str, timeout: timedelta) -> RemoveResult:
        seen.append(("remove", name, timeout))
        return RemoveResult(name, (), (), (), (), 0, (), timedelta(0))

    def router_status(eng: object, router: Router) -> Any:
        return SimpleNamespace(routes=state["routes"], running=True, configs=())

    def router_down(eng: object, router: Router) -> tuple[str, ...]:
        seen.append(("router_down", router.name))
        return ()

    monkeypatch.setattr("dockline.router.stack.router_up", router_up)
    monkeypatch.setattr("dockline.router.stack.router_status", router_status)
    monkeypatch.setattr("dockline.router.stack.router_down", router_down)
    monkeypatch.setattr("dockline.router.flow.route_stack", route_stack)
    monkeypatch.setattr("dockline.router.flow.unroute_stack", unroute_stack)
    monkeypatch.setattr("dockline.stack.deploy.deploy_stack", deploy_stack)
    monkeypatch.setattr("dockline.stack.deploy.remove_stack", remove_stack)
    monkeypatch.setattr("dockline.demo.scaffold_runtime", lambda example_dir: ())
    return rec


def test_demo_up_builds_then_starts_the_router_deploys_and_routes(tmp_path: Path,
                                                                  steps: Steps) -> None:
    eng, clock, said = Engine(), Clock(), []
    p = demo.write_labels_override(plan(tmp_path))
    report = demo.demo_up(eng, p, timeout=timedelta(minutes=3), bases=demo.LOCAL_BASES,  # type: ignore[arg-type]
                          environ={"KEEP": "me", "PAGE_IMAGE": "overridden"}, say=said.append, clock=clock)
    assert [c[1] for c in eng.calls if c[0] == "build"] == [i.tag for i in p.images]
    assert steps.names() == ["router_up", "deploy", "route"]
    assert steps.calls[0] == ("router_up", "r", 8080, "local/nginx:bookworm", timedelta(minutes=3))
    _, name, files, environ, timeout = steps.calls[1]
    assert (name, files, timeout) == ("ep", ("stack.yml", "labels.override.yml"), timedelta(minutes=3))
    assert environ["KEEP"] == "me" and environ["PAGE_IMAGE"] == "dockline-demo/ep-page:1"  # the demo's win
    assert environ["ROUTER_NETWORK"] == Router("r").network
    assert list(report) == ["stack", "router", "version", "router_bundle", "images", "urls", "timings", "elapsed"]
    assert report["version"] == 4 and report["router_bundle"] == "b1"
    assert set(report["timings"]) == {"check", "scaffold", "build", "secrets", "router", "deploy", "route", "total"}
    assert said[0] == "▸ checking the engine, the swarm and the base images"
    assert "  created db_admin_password, db_password (random, mode 0600)" in said
    json.dumps(report)


def test_demo_up_stops_on_missing_bases_and_on_an_unhealthy_stack(tmp_path: Path,
                                                                  steps: Steps) -> None:
    state = steps.state
    p = demo.write_labels_override(plan(tmp_path))
    with pytest.raises(EnvironmentProblem, match="base image.s. not found: local/postgres:bookworm"):
        demo.demo_up(Engine(images=("local/nginx:bookworm", "local/python:bookworm")), p,  # type: ignore[arg-type]
                     timeout=timedelta(seconds=5), bases=demo.LOCAL_BASES, environ={})
    assert steps.calls == []
    state["outcome"] = TimedOut((), timedelta(seconds=5), ("ep_db: 0/1 running",))
    with pytest.raises(DeployFailed, match="stack ep did not become healthy: ep_db: 0/1 running"):
        demo.demo_up(Engine(), p, timeout=timedelta(seconds=5), bases=demo.LOCAL_BASES, environ={})  # type: ignore[arg-type]
    assert steps.names() == ["router_up", "deploy"]  # never routed


def test_demo_down_unroutes_removes_and_keeps_a_router_that_serves_others(tmp_path: Path,
                                                                         steps: Steps) -> None:
    state = steps.state
    eng, clock, said = Engine(busy=1), Clock(), []
    report = demo.demo_down(eng, plan(tmp_path), keep_data=False, keep_router=False, images=True,  # type: ignore[arg-type]
                            timeout=timedelta(seconds=20), say=said.append, clock=clock, sleep=clock.sleep)
    assert steps.names() == ["unroute", "remove", "router_down"]
    assert steps.calls[0] == ("unroute", "ep", False) and steps.calls[1] == ("remove", "ep", timedelta(seconds=20))
    assert report["leftovers"] == [] and len(report["images_removed"]) == 3
    steps.calls.clear()
    state["routes"] = ({"app": "other"}, {"app": "ep"})
    report = demo.demo_down(Engine(busy=10_000), plan(tmp_path), keep_data=False, keep_router=False,  # type: ignore[arg-type]
                            images=False, timeout=timedelta(seconds=2), say=said.append, clock=clock,
                            sleep=clock.sleep)
    assert report["router_kept"] == ["other"] and "router_down" not in steps.names()
    assert report["leftovers"] == ["volume ep_catalog (still in use)"]
    assert "  keeping router r: it still routes other" in said


# --------------------------------------------------------------------------- the example, the flags
def test_the_example_is_found_from_anywhere_in_the_checkout(tmp_path: Path) -> None:
    assert demo.find_example_dir(None, ROOT / "src" / "dockline") == EXAMPLE.resolve()  # a folder above
    assert demo.find_example_dir(None, tmp_path) == EXAMPLE.resolve()  # the checkout installed from
    assert demo.find_example_dir(EXAMPLE, tmp_path) == EXAMPLE.resolve()
    with pytest.raises(UsageError, match="cannot find examples/eventpage"):
        demo.find_example_dir(tmp_path, ROOT)  # an explicit folder is the only candidate


def test_a_wheel_without_a_checkout_finds_no_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "_checkout_of_package", lambda: None)
    with pytest.raises(UsageError):
        demo.find_example_dir(None, tmp_path)


def test_demo_commands_take_durations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def demo_down(eng: object, p: demo.DemoPlan, **kw: Any) -> dict[str, Any]:
        seen.update(kw, plan=p)
        return {"leftovers": [], "timings": {}}

    monkeypatch.setattr("dockline.demo.demo_down", demo_down)
    monkeypatch.setattr("dockline.engine.Engine.connect", classmethod(lambda cls, *a, **k: object()))
    r = CliRunner().invoke(cli, ["demo", "down", "--timeout", "1m30s", "--state-dir", str(tmp_path),
                                 "--keep-router"])
    assert r.exit_code == 0, r.output
    assert seen["timeout"] == timedelta(seconds=90) and seen["keep_router"] is True
    assert seen["plan"].state_dir == tmp_path.resolve() and "demo eventpage removed" in r.stderr
    r = CliRunner().invoke(cli, ["demo", "down", "--state-dir", str(tmp_path)])
    assert r.exit_code == 0 and seen["timeout"] == timedelta(minutes=5)
    r = CliRunner().invoke(cli, ["demo", "up", "--timeout", "-5", "--state-dir", str(tmp_path)])
    assert r.exit_code == 2 and "--timeout" in r.output
