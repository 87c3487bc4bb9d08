"""Helpers and fixtures of the router's integration tests (conftest.py exposes them):
images built once, one router stack per session on a free high port, and app stacks
deployed on its overlay network."""

from __future__ import annotations

import os
import socket
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from dockline.cli import cli
from dockline.engine import Engine
from dockline.router.apply import LABEL_ROUTER, Router
from dockline.router.poll import PollSummary, parse_target, poll
from dockline.router.stack import ensure_image, router_down, router_up
from dockline.swarm.wait import Converged, wait_services

BASE = os.environ.get("DOCKLINE_TEST_NGINX_IMAGE", "local/nginx:bookworm")
DEMO = Path(__file__).resolve().parents[3] / "examples" / "router-demo"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Images:
    router: str
    app: Callable[[str, str], str]  # (name, version) -> tag
    slow: Callable[[str], str]  # version -> tag


@pytest.fixture(scope="session")
def images(swarm: Engine, test_labels: dict[str, str], run_id: str) -> Iterator[Images]:
    eng = swarm
    built: dict[tuple[str, str], str] = {}
    lock = threading.Lock()

    def build(kind: str, name: str, version: str) -> str:
        with lock:
            key = (kind + name, version)
            if key not in built:
                tag = f"dockline-test/{kind}{name}:{version}-{run_id}"
                ctx = DEMO / ("app" if kind == "app-" else "healthcheck-demo")
                eng.build(str(ctx), tag=tag, labels=test_labels,
                          buildargs={"BASE_IMAGE": BASE, "APP_NAME": name, "APP_VERSION": version})
                built[key] = tag
            return built[key]

    router_image = ensure_image(eng, BASE)
    yield Images(router_image, lambda n, v: build("app-", n, v), lambda v: build("slow", "", v))
    for tag in built.values():
        eng.remove_image(tag, force=True)


@dataclass(frozen=True)
class RouterUnderTest:
    router: Router
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def network(self) -> str:
        return self.router.network


@pytest.fixture(scope="session")
def router(swarm: Engine, images: Images, test_labels: dict[str, str], run_id: str) -> Iterator[RouterUnderTest]:
    r = Router(f"rt-{run_id[:6]}")
    port = free_port()
    try:
        res = router_up(swarm, r, port=port, base=BASE, timeout=timedelta(seconds=120), labels=test_labels)
        assert isinstance(res.outcome, Converged), res.outcome
        yield RouterUnderTest(r, port)
    finally:
        router_down(swarm, r)


def run_cli(*args: str, env: dict[str, str] | None = None) -> Result:
    """Run a dockline command in-process; exit code and output as a user sees them."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)


class Apps:
    """Deploys app stacks (uniquely named, labelled) and removes them in teardown."""

    def __init__(self, engine: Engine, router: RouterUnderTest, labels: dict[str, str]):
        self.engine = engine
        self.router = router
        self.labels = labels
        self.stacks: list[str] = []

    def deploy(self, stack: str, image: str, *, path: str | None, healthcheck: bool = True,
               labels: dict[str, str] | None = None, host_port: int | None = None, overlay: bool = True,
               wait: bool = True) -> None:
        svc: dict[str, Any] = {
            "image": image,
            "stop_grace_period": "5s",
            "deploy": {
                "replicas": 1,
                "endpoint_mode": "dnsrr",
                "labels": {**self.labels, **({"dockline.route": path} if path else {}), **(labels or {})},
                "update_config": {"parallelism": 1, "delay": "0s", "order": "start-first",
                                  "failure_action": "rollback", "monitor": "2s"},
                "restart_policy": {"condition": "any", "delay": "1s"},
            },
        }
        doc: dict[str, Any] = {"version": "3.8", "services": {"web": svc}}
        if overlay:
            svc["networks"] = ["router"]
            doc["networks"] = {"router": {"external": True, "name": self.router.network}}
        if not healthcheck:
            svc["healthcheck"] = {"disable": True}
        if host_port is not None:
            svc["ports"] = [{"target": 80, "published": host_port, "protocol": "tcp", "mode": "host"}]
            svc["deploy"]["update_config"]["order"] = "stop-first"
        if stack not in self.stacks:
            self.stacks.append(stack)
        with tempfile.TemporaryDirectory() as d:
            f = Path(d) / "stack.yml"
            f.write_text(yaml.safe_dump(doc))
            self.engine.stack_deploy(stack, str(f), prune=True, with_registry_auth=False, resolve_image="never")
        if wait:
            self.wait(stack)

    def wait(self, stack: str, timeout: float = 90) -> None:
        out = wait_services(self.engine, [f"{stack}_web"], timedelta(seconds=timeout))
        assert isinstance(out, Converged), out

    def remove(self, stack: str) -> None:
        self.engine.stack_rm(stack)
        if stack in self.stacks:
            self.stacks.remove(stack)

    def cleanup(self) -> None:
        for s in list(self.stacks):
            run_cli("route", s, "--remove", "--router", self.router.router.name, "--no-probe")
            self.remove(s)


@pytest.fixture()
def apps(swarm: Engine, router: RouterUnderTest, test_labels: dict[str, str]) -> Iterator[Apps]:
    a = Apps(swarm, router, test_labels)
    yield a
    a.cleanup()


class Poller:
    """``dockline poll``'s engine in a thread, for traffic during an upgrade."""

    def __init__(self, url: str, rate: float = 50):
        self.stop = threading.Event()
        self.result: PollSummary | None = None
        target = parse_target(url, allow_remote=False)
        self.thread = threading.Thread(
            target=lambda: setattr(self, "result", poll(target, rate=rate, duration=None, stop=self.stop,
                                                        timeout=timedelta(seconds=5))))
        self.thread.start()

    def finish(self) -> PollSummary:
        self.stop.set()
        self.thread.join(30)
        assert self.result is not None
        return self.result


def router_configs(engine: Engine, router: Router, app: str | None = None) -> list[str]:
    labels = {LABEL_ROUTER: router.name}
    if app is not None:
        labels["dockline.router.app"] = app
    return sorted(c.name for c in engine.configs(labels=labels))
