"""Safety on the real swarm: crafted inputs refused (exit 2, router untouched), a bundle
nginx rejects (nothing rotated), a bundle that breaks a route once live (restored), and
five apps routed at once by parallel processes (none lost)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

import pytest
from routerkit import Apps, Images, RouterUnderTest, free_port, router_configs, run_cli

from dockline.engine import Engine
from dockline.router.apply import (
    LABEL_HOLDER,
    LABEL_KIND,
    LABEL_ROUTER,
    LABEL_TTL,
    current_bundle,
)

pytestmark = [pytest.mark.docker, pytest.mark.swarm]

# --route values (PATH=SERVICE[:PORT]) an attacker or a typo could pass.
BAD_ROUTE_OPTIONS = [
    "/a;b=web", "/a{b=web", "/a}b=web", "/a b=web", "/a\nb=web", '/a"b=web', "/a'b=web", "/a$uri=web",
    "/../etc=web", "/a/../../b=web", "/a\\b=web", "/ａ=web", "/caf\u00e9=web", "/_dockline/status=web",
    "/a#b=web", "/ok=we;b", "/ok=web:80;", "/ok=web:99999", "/ok=web}", "/ok=$web", "/ok", "/ok=",
]
# Deploy labels on the service (the other way routes are declared).
BAD_LABELS = [
    {"dockline.route": "/x;return 200"},
    {"dockline.route": "/x", "dockline.route.host": "evil.com;"},
    {"dockline.route": "/x", "dockline.route.host": "a b"},
    {"dockline.route": "/x", "dockline.route.header.X-A": "v;"},
    {"dockline.route": "/x", "dockline.route.header.X-A": "${x}"},
    {"dockline.route": "/x", "dockline.route.header.X-A": 'a"b'},
    {"dockline.route": "/x", "dockline.route.header.X-A": "a}b"},
    {"dockline.route": "/x", "dockline.route.header.X-A;": "v"},
    {"dockline.route": "/x", "dockline.route.header.Host": "evil"},
    {"dockline.route": "/x", "dockline.route.port": "80;"},
    {"dockline.route": "/x", "dockline.route.mode": "vip"},
    {"dockline.route": "/x", "dockline.route.evil": "1"},
]
BAD_NAMES = ["bad;app", "bad app", "-app", "a$pp"]
BAD_TARGET_HOSTS = ["evil;host", "a b", "1.2.3.999"]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, ""


def route_good_app(router: RouterUnderTest, images: Images, apps: Apps, stack: str, path: str) -> None:
    """An app that serves through the router: it must keep serving whatever fails next."""
    apps.deploy(stack, images.app("app-a", "v1"), path=path)
    assert run_cli("route", stack, "--router", router.router.name).exit_code == 0
    assert "app-a v1" in get(f"{router.url}{path}/")[1]


def snapshot(engine: Engine, router: RouterUnderTest) -> tuple[object, ...]:
    bundle, names = current_bundle(engine, router.router)
    svc = engine.service(router.router.service)
    assert svc is not None
    return bundle.version, tuple(sorted(names)), svc.task_spec_key, tuple(router_configs(engine, router.router))


def test_injection_and_conflicts_are_refused_and_router_untouched(
    swarm: Engine, router: RouterUnderTest, images: Images, apps: Apps, unique_name
) -> None:
    name = router.router.name
    owner, intruder = unique_name("own"), unique_name("intr")
    apps.deploy(owner, images.app("app-a", "v1"), path="/owned")
    assert run_cli("route", owner, "--router", name).exit_code == 0
    apps.deploy(intruder, images.app("app-b", "v1"), path=None)
    before = snapshot(swarm, router)
    cases = 0
    for opt in BAD_ROUTE_OPTIONS:
        res = run_cli("route", intruder, "--router", name, "--route", opt)
        assert res.exit_code == 2, (opt, res.output)
        cases += 1
    for bad in BAD_NAMES:
        res = run_cli("route", bad, "--router", name)
        assert res.exit_code == 2, (bad, res.output)
        cases += 1
    for host in BAD_TARGET_HOSTS:
        res = run_cli("route", intruder, "--router", name, "--route", "/fine=web", "--target-host", host)
        assert res.exit_code == 2, (host, res.output)
        cases += 1
    for labels in BAD_LABELS:
        svc = swarm.service(f"{intruder}_web")
        assert svc is not None
        keep = {k: v for k, v in svc.labels.items() if not k.startswith("dockline.route")}
        apps.deploy(intruder, images.app("app-b", "v1"), path=None, labels={**keep, **labels}, wait=False)
        res = run_cli("route", intruder, "--router", name)
        assert res.exit_code == 2, (labels, res.output)
        cases += 1
    # A path another app owns, exactly or nested: refused, naming both apps.
    for path in ("/owned", "/owned/admin"):
        res = run_cli("route", intruder, "--router", name, "--route", f"{path}=web")
        assert res.exit_code == 2, res.output
        assert owner in res.output and intruder in res.output
        cases += 1
    assert cases >= 30
    assert snapshot(swarm, router) == before
    assert "app-a v1" in get(f"{router.url}/owned/")[1]


def test_bundle_nginx_rejects_is_never_rotated(
    swarm: Engine, router: RouterUnderTest, images: Images, apps: Apps, unique_name
) -> None:
    name = router.router.name
    bad = unique_name("bad")
    route_good_app(router, images, apps, unique_name("good"), "/good")
    # A host-mode service routed to a target host that passes validation (a well-formed
    # name) but does not resolve: nginx refuses the upstream at load time.
    apps.deploy(bad, images.app("app-b", "v1"), path="/bad", overlay=False, host_port=free_port())
    before = snapshot(swarm, router)
    res = run_cli("route", bad, "--router", name, "--target-host", "no-such-host.invalid")
    assert res.exit_code == 1, res.output
    assert "nginx rejected" in res.output and "host not found" in res.output
    assert snapshot(swarm, router) == before
    assert "app-a v1" in get(f"{router.url}/good/")[1]


def test_bundle_that_fails_its_probe_is_rolled_back_without_orphans(
    swarm: Engine, router: RouterUnderTest, images: Images, apps: Apps, unique_name
) -> None:
    name = router.router.name
    broken = unique_name("brk")
    route_good_app(router, images, apps, unique_name("good"), "/good2")
    # Valid nginx, but nothing listens on port 81: the route answers 502 once live.
    apps.deploy(broken, images.app("app-b", "v1"), path="/broken", labels={"dockline.route.port": "81"})
    before = snapshot(swarm, router)
    res = run_cli("route", broken, "--router", name)
    assert res.exit_code == 1, res.output
    assert "/broken/" in res.output and "restored" in res.output
    assert snapshot(swarm, router)[:2] == before[:2]  # same bundle referenced again
    assert router_configs(swarm, router.router) == list(before[3])  # nothing orphaned
    assert "app-a v1" in get(f"{router.url}/good2/")[1]


def test_five_apps_routed_at_once(
    swarm: Engine, router: RouterUnderTest, images: Images, apps: Apps, unique_name
) -> None:
    name = router.router.name
    stacks = [unique_name(f"five{i}") for i in range(5)]
    for i, s in enumerate(stacks):
        apps.deploy(s, images.app("app-a", "v1"), path=f"/five-{i}", wait=False)
    for s in stacks:
        apps.wait(s)
    procs = [subprocess.Popen([sys.executable, "-m", "dockline", "route", s, "--router", name],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for s in stacks]
    outs = [(p.wait(timeout=300), p.stdout.read() if p.stdout else "") for p in procs]
    assert all(code == 0 for code, _ in outs), outs
    status = json.loads(get(f"{router.url}/_dockline/status")[1])
    assert {r["path"] for r in status["routes"]} >= {f"/five-{i}/" for i in range(5)}
    for i in range(5):
        assert get(f"{router.url}/five-{i}/")[0] == 200


def test_held_lock_waits_bounded_and_a_crashed_holder_is_broken(
    swarm: Engine, router: RouterUnderTest, images: Images, apps: Apps, unique_name
) -> None:
    r = router.router
    stack = unique_name("lck")
    apps.deploy(stack, images.app("app-a", "v1"), path="/lck")
    base = {LABEL_ROUTER: r.name, LABEL_KIND: "lock", LABEL_HOLDER: "otherhost:4242"}
    lock_id = swarm.create_config(r.lock, b"x", {**base, LABEL_TTL: "600"})
    try:
        t0 = time.monotonic()
        res = run_cli("route", stack, "--router", r.name, "--lock-wait", "2")
        assert res.exit_code == 1, res.output
        assert "otherhost:4242" in res.output and "expires" in res.output
        assert time.monotonic() - t0 < 30
        assert servers_of(router, "/lck/") is None  # nothing applied
    finally:
        swarm.remove_config(lock_id)
    # The same holder, crashed: its lock is not renewed for its TTL (by the swarm's clock), so
    # the next routing breaks it.
    swarm.create_config(r.lock, b"x", {**base, LABEL_TTL: "1"})
    time.sleep(2)
    res = run_cli("route", stack, "--router", r.name)
    assert res.exit_code == 0, res.output
    assert servers_of(router, "/lck/") == [f"tasks.{stack}_web:80"]
    assert [c.name for c in swarm.configs(labels={LABEL_ROUTER: r.name, LABEL_KIND: "lock"})] == []


def servers_of(router: RouterUnderTest, path: str) -> list[str] | None:
    doc = json.loads(get(f"{router.url}/_dockline/status")[1])
    return next((x["servers"] for x in doc["routes"] if x["path"] == path), None)
