"""Host-mode routing on a real multi-node swarm (the docker-in-docker lab: 3 managers, 2
workers): the router sends traffic to the host-mode published port of each worker running a
task, and a re-route after a node is drained drops that node. This lab is the router's own
(prefix ``...-<run>r``, its own subnet), torn down when the module ends."""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from routerkit import BASE, Images

from dockline.engine import Engine
from dockline.router.apply import Applied, Router
from dockline.router.flow import route_stack
from dockline.router.routes import TargetMode
from dockline.router.stack import probe_url, router_up
from dockline.swarm.wait import Converged, wait_services
from dockline_testing import lab as labmod

pytestmark = [pytest.mark.docker, pytest.mark.swarm, pytest.mark.lab]

ROUTER_PORT = 18080
APP_PORT = 18081


@pytest.fixture(scope="module")
def router_lab(engine: Engine, images: Images, run_id: str, test_labels: dict[str, str]) -> Iterator[labmod.Lab]:
    base = labmod.LabSpec.from_env()
    octet = 20 + (int(hashlib.sha256(run_id.encode()).hexdigest(), 16) + 100) % 200
    octet += octet == 77  # 10.199.77.0/24 is scripts/lab's
    spec = replace(base, prefix=f"{base.prefix}-{run_id[:4]}r", subnet=f"10.199.{octet}.0/24",
                   extra_labels=test_labels)
    try:
        lab = labmod.up(engine, spec)
        for image in (images.router, images.app("labapp", "v1")):
            labmod.load_image(engine, lab, image)
        yield lab
    finally:
        labmod.down(engine, spec)


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, ""


def test_host_mode_routes_follow_the_workers(router_lab: labmod.Lab, images: Images,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    manager = router_lab.managers[0]
    monkeypatch.setenv("DOCKER_HOST", manager.url)  # the docker CLI (stack deploy) too
    eng = Engine.connect(manager.url)
    router = Router("rtlab")
    up = router_up(eng, router, port=ROUTER_PORT, base=BASE, timeout=timedelta(seconds=120))
    assert isinstance(up.outcome, Converged), up.outcome

    # One task per worker, each publishing APP_PORT in host mode on its node.
    doc = {"version": "3.8", "services": {"web": {
        "image": images.app("labapp", "v1"), "stop_grace_period": "2s",
        "ports": [{"target": 80, "published": APP_PORT, "protocol": "tcp", "mode": "host"}],
        "deploy": {"mode": "global", "placement": {"constraints": ["node.role == worker"]},
                   "labels": {"dockline.route": "/labapp"}},
    }}}
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "app.yml"
        f.write_text(yaml.safe_dump(doc))
        eng.stack_deploy("labapp", str(f), prune=True, with_registry_auth=False, resolve_image="never")
    assert isinstance(wait_services(eng, ["labapp_web"], timedelta(seconds=90)), Converged)

    res = route_stack(eng, "labapp", router=router)  # probes through the edge, on its node
    assert isinstance(res, Applied), res
    [target] = res.targets
    workers = sorted(f"{w.ip}:{APP_PORT}" for w in router_lab.workers)
    assert target.mode is TargetMode.HOST and sorted(target.servers) == workers
    url = probe_url(eng, router)
    assert url is not None and not url.startswith("http://127.")
    seen = {get(f"{url}/labapp/")[1] for _ in range(10)}
    assert seen == {"<h1>labapp v1</h1>\n"}

    # Drain worker 2: its task stops; re-routing leaves worker 1 only, and traffic still flows.
    w2 = router_lab.workers[1]
    node = eng.node(w2.name)
    assert node is not None
    eng.update_node(node.id, availability="drain")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        live = [t for t in eng.tasks(["labapp_web"]) if t.node_id == node.id and t.state == "running"]
        if not live:
            break
        time.sleep(0.5)
    res = route_stack(eng, "labapp", router=router)
    assert isinstance(res, Applied), res
    assert res.targets[0].servers == (f"{router_lab.workers[0].ip}:{APP_PORT}",)
    url = probe_url(eng, router)  # the edge itself may have run on the drained node and moved
    assert url is not None and not url.startswith("http://127.")
    assert all(get(f"{url}/labapp/")[0] == 200 for _ in range(10))
    status = json.loads(get(f"{url}/_dockline/status")[1])
    assert status["routes"][0]["servers"] == [f"{router_lab.workers[0].ip}:{APP_PORT}"]
