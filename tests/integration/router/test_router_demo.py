"""The talk's two demos on the real swarm: the router demo (app-a, app-b, upgrade under
traffic, removal) and the healthcheck demo (start-first without and with a HEALTHCHECK)."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from routerkit import DEMO, Apps, Images, Poller, RouterUnderTest, router_configs, run_cli

from dockline.engine import Engine

pytestmark = [pytest.mark.docker, pytest.mark.swarm]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, ""


def wait_body(url: str, text: str, timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if text in get(url)[1]:
            return
        time.sleep(0.3)
    raise AssertionError(f"{url} never answered {text!r}")


def status(router: RouterUnderTest) -> dict:
    return json.loads(get(f"{router.url}/_dockline/status")[1])


def test_router_demo(swarm: Engine, router: RouterUnderTest, images: Images, apps: Apps, unique_name) -> None:
    """The talk's demo through the pipeline: `dockline deploy` routes after the stack is
    healthy, `dockline rm` unroutes first, then removes."""
    name = router.router.name
    a, b = unique_name("app-a"), unique_name("app-b")
    stack_file = str(DEMO / "stack.yml")

    def deploy(stack: str, image: str, path: str) -> None:
        apps.stacks.append(stack)  # teardown removes it even if the test fails
        env = {"DOCKLINE_ROUTER": name, "APP_IMAGE": image, "APP_PATH": path, "ROUTER_NETWORK": router.network}
        res = run_cli("deploy", stack, "-c", stack_file, "--resolve-image", "never", "--no-registry-auth", env=env)
        assert res.exit_code == 0, res.output
        assert f"{stack} routed" in res.output or "unchanged" in res.output, res.output

    deploy(a, images.app("app-a", "v1"), "/app-a")
    deploy(b, images.app("app-b", "v1"), "/app-b")
    assert "app-a v1" in get(f"{router.url}/app-a/")[1]
    assert "app-b v1" in get(f"{router.url}/app-b/")[1]
    listed = json.loads(run_cli("routes", "--router", name, "--json").stdout)
    assert {(r["app"], r["path"], r["mode"]) for r in listed} >= {(a, "/app-a/", "overlay"), (b, "/app-b/", "overlay")}

    # Upgrade app-a to v2 under traffic through the router.
    poller = Poller(f"{router.url}/app-a/", rate=50)
    try:
        time.sleep(1)
        deploy(a, images.app("app-a", "v2"), "/app-a")
        wait_body(f"{router.url}/app-a/", "app-a v2")
        time.sleep(1)
    finally:
        summary = poller.finish()
    assert summary.sent >= 100
    assert summary.failed == 0, summary.failures

    # Move app-a to another path, then roll back: the rollback re-routes to the old path.
    deploy(a, images.app("app-a", "v2"), "/app-a-moved")
    assert "app-a v2" in get(f"{router.url}/app-a-moved/")[1]
    assert get(f"{router.url}/app-a/")[0] == 404
    res = run_cli("rollback", a, "--no-route", "--resolve-image", "never", "--no-registry-auth",
                  env={"DOCKLINE_ROUTER": name})
    assert res.exit_code == 0, res.output
    # without re-routing (what `rollback` did before): the router still serves the moved path
    assert get(f"{router.url}/app-a/")[0] == 404
    assert "app-a v2" in get(f"{router.url}/app-a-moved/")[1]
    deploy(a, images.app("app-a", "v2"), "/app-a-moved")
    res = run_cli("rollback", a, "--resolve-image", "never", "--no-registry-auth", env={"DOCKLINE_ROUTER": name})
    assert res.exit_code == 0, res.output
    assert f"{a} routed" in res.output, res.output
    assert "app-a v2" in get(f"{router.url}/app-a/")[1]
    assert get(f"{router.url}/app-a-moved/")[0] == 404

    # Remove both: routes and their configs are gone.
    for app in (a, b):
        res = run_cli("rm", app, env={"DOCKLINE_ROUTER": name})
        assert res.exit_code == 0, res.output
        assert f"{app} unrouted" in res.output
        apps.stacks.remove(app)
    paths = {r["path"] for r in status(router)["routes"]}
    assert "/app-a/" not in paths and "/app-b/" not in paths
    assert get(f"{router.url}/app-a/")[0] == 404
    assert router_configs(swarm, router.router, a) == [] and router_configs(swarm, router.router, b) == []


def _upgrade_under_poll(apps: Apps, router: RouterUnderTest, stack: str, image: str, healthcheck: bool) -> int:
    poller = Poller(f"{router.url}/slow/", rate=20)
    try:
        time.sleep(1)
        apps.deploy(stack, image, path="/slow", healthcheck=healthcheck, wait=False)
        apps.wait(stack, timeout=90)
        wait_body(f"{router.url}/slow/", image.split(":")[1].split("-")[0], timeout=30)
        time.sleep(2)
    finally:
        summary = poller.finish()
    assert summary.sent >= 100
    return summary.failed


def test_healthcheck_demo(router: RouterUnderTest, images: Images, apps: Apps, unique_name) -> None:
    stack = unique_name("slow")
    name = router.router.name
    # Without a HEALTHCHECK swarm calls the new task ready as soon as its process runs.
    apps.deploy(stack, images.slow("v1"), path="/slow", healthcheck=False)
    assert run_cli("route", stack, "--router", name, "--no-probe").exit_code == 0
    wait_body(f"{router.url}/slow/", "slow v1", timeout=30)
    without = _upgrade_under_poll(apps, router, stack, images.slow("v2"), healthcheck=False)
    # With the image's HEALTHCHECK swarm waits until nginx answers before stopping the old task.
    with_hc = _upgrade_under_poll(apps, router, stack, images.slow("v3"), healthcheck=True)
    assert without > 0, "the upgrade without HEALTHCHECK should have dropped requests"
    assert with_hc == 0
