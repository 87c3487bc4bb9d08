"""`dockline router watch` keeps a host-mode route true while the service's tasks come and go.

On this one-node swarm the node address (127.0.0.1) is not reachable from inside the router
container, so this test checks the upstream servers the router serves (its status file), not
traffic; host-mode traffic is exercised on the multi-node lab (docs/router.md)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

import pytest
from routerkit import Apps, Images, RouterUnderTest, free_port, run_cli

from dockline.engine import Engine

pytestmark = [pytest.mark.docker, pytest.mark.swarm]


def servers(router: RouterUnderTest, path: str) -> list[str] | None:
    with urllib.request.urlopen(f"{router.url}/_dockline/status", timeout=5) as r:
        doc = json.loads(r.read())
    return next((x["servers"] for x in doc["routes"] if x["path"] == path), None)


def wait_servers(router: RouterUnderTest, path: str, want: list[str], timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    seen = None
    while time.monotonic() < end:
        seen = servers(router, path)
        if seen == want:
            return
        time.sleep(0.5)
    raise AssertionError(f"{path} serves {seen}, expected {want}")


def test_watch_follows_host_mode_tasks(swarm: Engine, router: RouterUnderTest, images: Images, apps: Apps,
                                       unique_name) -> None:
    stack, port = unique_name("hostm"), free_port()
    name = router.router.name
    apps.deploy(stack, images.app("hostm", "v1"), path="/hostm", overlay=False, host_port=port)
    res = run_cli("route", stack, "--router", name, "--no-probe")
    assert res.exit_code == 0, res.output
    live = [f"127.0.0.1:{port}"]
    wait_servers(router, "/hostm/", live, timeout=5)
    # Without the watcher, a task going away leaves the route pointing at it.
    swarm.cli(["service", "scale", "--detach", f"{stack}_web=0"])
    time.sleep(5)
    assert servers(router, "/hostm/") == live
    watcher = subprocess.Popen([sys.executable, "-m", "dockline", "router", "watch", "--router", name,
                                "--no-probe", "--resync", "5"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    try:
        wait_servers(router, "/hostm/", [])
        swarm.cli(["service", "scale", "--detach", f"{stack}_web=1"])
        wait_servers(router, "/hostm/", live)
    finally:
        watcher.terminate()
        out, _ = watcher.communicate(timeout=60)
    assert watcher.returncode == 0, out
    assert f"{stack} routed" in out
