"""Cluster features on a real multi-node swarm (the docker-in-docker lab).

Order matters and is the file order: labels, placement, then the destructive quorum test
last (it stops managers; the lab is healthy again when it ends).
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from labtools import Run, dockline

from dockline.engine import Engine
from dockline_testing import lab as labmod

pytestmark = [pytest.mark.docker, pytest.mark.lab]

NODES_YML = """\
nodes:
  {p}-m2: {{zone: east}}
  {p}-w1: {{zone: east}}
  {p}-w2: {{zone: west}}
"""

SERVICE = """\
    image: dockline-lab/busybox:1
    command: ["sh", "-c", "echo node=$$NODE > /www/index.html; exec httpd -f -p 8080 -h /www"]
    environment:
      NODE: "{{{{.Node.Hostname}}}}"
    init: true
    stop_grace_period: 2s
"""

STACK = """\
version: "3.8"
services:
  web:
{service}    deploy:
      replicas: {replicas}
      endpoint_mode: dnsrr
      placement:
        constraints: ["node.labels.zone == {zone}"]
  edge:
{service}    ports:
      - {{target: 8080, published: 18080, protocol: tcp, mode: host}}
    deploy:
      mode: global
      endpoint_mode: dnsrr
      placement:
        constraints: ["node.role == worker"]
"""


def stack_file(tmp: Path, name: str, zone: str = "east", replicas: int = 3) -> str:
    path = tmp / f"{name}.yml"
    path.write_text(STACK.format(service=SERVICE.format(), replicas=replicas, zone=zone))
    return str(path)


def live_nodes(node: labmod.LabNode) -> dict[str, dict[str, str]]:
    eng = labmod.node_engine(node)
    try:
        return {n.hostname: dict(n.labels) for n in eng.nodes()}
    finally:
        eng.close()


def running_on(lab: labmod.Lab, service: str) -> dict[str, int]:
    """Node name -> running task containers of ``service``, asked of each node's own engine."""
    out = {}
    for n in lab.nodes:
        eng = labmod.node_engine(n)
        try:
            found = [c for c in eng.containers({"com.docker.swarm.service.name": service}) if c.status == "running"]
        finally:
            eng.close()
        if found:
            out[n.name] = len(found)
    return out


def until(what: str, probe: Callable[[], Run], ok: Callable[[Run], bool], timeout: float = 90) -> tuple[Run, float]:
    """Run ``probe`` until ``ok``; every single run must end within 30 s (never hang)."""
    t0 = time.monotonic()
    while True:
        r = probe()
        assert r.seconds < 30, f"{what}: one call took {r.seconds:.1f} s: {r.err[-300:]}"
        if ok(r):
            return r, time.monotonic() - t0
        assert time.monotonic() - t0 < timeout, f"{what}: not within {timeout} s; last: rc={r.rc} {r.err[-400:]}"
        time.sleep(0.5)


def http_get(ip: str, port: int) -> tuple[int, str]:
    with urllib.request.urlopen(f"http://{ip}:{port}/", timeout=3) as resp:
        return resp.status, resp.read().decode()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cluster-lab")


@pytest.fixture(scope="module")
def labelled(lab: labmod.Lab, workdir: Path) -> str:
    """The zone labels, applied from a file (idempotent: later tests re-apply it freely)."""
    path = workdir / "nodes.yml"
    path.write_text(NODES_YML.format(p=lab.spec.prefix))
    r = dockline(lab.managers[0], "cluster", "label", "-f", str(path))
    assert r.rc == 0, r.err
    return str(path)


def test_status_of_a_healthy_lab(lab: labmod.Lab) -> None:
    r = dockline(lab.managers[0], "cluster", "status", "--json", "-p", "0.1")
    assert r.rc == 0, r.err
    data = json.loads(r.out)
    assert len(data["nodes"]) == 5
    q = data["quorum"]
    assert (q["managers"], q["reachable"], q["tolerance"], q["margin"], q["lost"]) == (3, 3, 1, 1, False)
    assert q["leader"] in {n.name for n in lab.managers}
    assert data["risk"]["slide"] == pytest.approx(0.03) and data["risk"]["exact"] == pytest.approx(0.028)
    roles = {n["hostname"]: n["role"] for n in data["nodes"]}
    assert roles == {n.name: n.role for n in lab.nodes}
    assert all(n["engine_version"] for n in data["nodes"])
    # a worker knows no node list: exit 3 with a clear message
    r = dockline(lab.workers[0], "cluster", "status")
    assert r.rc == 3 and "worker" in r.err


def test_labels_from_file(lab: labmod.Lab, workdir: Path) -> None:
    m1, p = lab.managers[0], lab.spec.prefix
    eng = labmod.node_engine(m1)
    try:  # a stray label the file does not declare
        eng.update_node(f"{p}-w1", labels={"disk": "hdd"})
    finally:
        eng.close()
    path = workdir / "labels-test.yml"
    path.write_text(NODES_YML.format(p=p))

    r = dockline(m1, "cluster", "label", "-f", str(path), "--dry-run")
    assert r.rc == 0, r.err
    assert "+ zone=east" in r.err and "nothing was applied" in r.err
    assert live_nodes(m1)[f"{p}-m2"] == {}

    r = dockline(m1, "cluster", "label", "-f", str(path))
    assert r.rc == 0, r.err
    labels = live_nodes(m1)
    assert labels[f"{p}-m2"] == {"zone": "east"}
    assert labels[f"{p}-w1"] == {"zone": "east", "disk": "hdd"}  # kept without --prune
    assert labels[f"{p}-w2"] == {"zone": "west"}
    assert labels[f"{p}-m1"] == {}

    r = dockline(m1, "cluster", "label", "-f", str(path), "--json")
    assert r.rc == 0 and json.loads(r.out)["applied"] is False  # idempotent

    r = dockline(m1, "cluster", "label", "-f", str(path), "--prune")
    assert r.rc == 0 and "- disk=hdd" in r.err
    assert live_nodes(m1)[f"{p}-w1"] == {"zone": "east"}

    path.write_text(f"nodes:\n  {p}-nowhere: {{zone: east}}\n")
    r = dockline(m1, "cluster", "label", "-f", str(path))
    assert r.rc == 2 and "is not in the swarm" in r.err


def test_stack_lands_only_on_east_nodes(lab: labmod.Lab, labelled: str, workdir: Path) -> None:
    m1, p = lab.managers[0], lab.spec.prefix
    r = dockline(m1, "deploy", "-c", stack_file(workdir, "east"), "--resolve-image", "never",
                 "--timeout", "90s", "east", cwd=str(workdir))
    assert r.rc == 0, r.err
    placed = running_on(lab, "east_web")
    assert sum(placed.values()) == 3
    assert set(placed) <= {f"{p}-m2", f"{p}-w1"}, placed
    for w in lab.workers:  # the global host-port service answers on each worker
        assert http_get(w.ip, 18080) == (200, f"node={w.name}\n")


def test_unmatched_constraint_is_refused_before_deploy(lab: labmod.Lab, labelled: str, workdir: Path,
                                                       engine: Engine) -> None:
    m1, p = lab.managers[0], lab.spec.prefix
    mars = stack_file(workdir, "mars", zone="mars")
    r = dockline(m1, "deploy", "-c", mars, "--resolve-image", "never", "--timeout", "30s", "mars",
                 cwd=str(workdir))
    assert r.rc == 2, r.err
    assert "`node.labels.zone == mars`" in r.err
    assert f"{p}-w1 (worker; zone=east)" in r.err and f"{p}-w2 (worker; zone=west)" in r.err
    eng = labmod.node_engine(m1)
    try:
        assert eng.service("mars_web") is None and eng.service("mars_edge") is None  # nothing applied
    finally:
        eng.close()

    # Without the check: the swarm accepts the stack and the task waits forever.
    res = engine.cli(["stack", "deploy", "--resolve-image", "never", "-c", mars, "bare"],
                     env={"DOCKER_HOST": m1.url}, timeout=timedelta(seconds=60))
    assert res.returncode == 0, res.stderr
    eng = labmod.node_engine(m1)
    try:
        deadline = time.monotonic() + 30
        tasks = []
        while time.monotonic() < deadline:
            tasks = eng.tasks(["bare_web"])
            if len(tasks) == 3 and all("no suitable node" in t.message or t.error for t in tasks):
                break
            time.sleep(0.5)
        assert len(tasks) == 3
        assert all(t.state == "pending" for t in tasks), [(t.state, t.message) for t in tasks]
        assert any("no suitable node" in (t.error or t.message) for t in tasks)
    finally:
        eng.close()
        engine.cli(["stack", "rm", "bare"], env={"DOCKER_HOST": m1.url}, timeout=timedelta(seconds=60))


def test_quorum_loss_and_recovery(lab: labmod.Lab, labelled: str, workdir: Path, engine: Engine) -> None:
    eng = labmod.node_engine(lab.managers[0])
    try:
        leader_name = next(n.hostname for n in eng.nodes() if n.manager and n.manager.leader)
    finally:
        eng.close()
    leader = lab.node(leader_name)
    first, second = [m for m in lab.managers if m is not leader]
    east = stack_file(workdir, "east")
    status = lambda: dockline(leader, "cluster", "status", "--json")
    stopped: list[labmod.LabNode] = []
    try:
        # -- 1 of 3 managers down: margin 0, a warning, deploys still work
        labmod.stop_node(engine, first)
        stopped.append(first)
        r, _ = until("margin 0", status, lambda r: r.rc == 0 and json.loads(r.out)["quorum"]["margin"] == 0)
        codes = [w["code"] for w in json.loads(r.out)["warnings"]]
        assert "no-margin" in codes and "manager-down" in codes
        r = dockline(leader, "deploy", "-c", stack_file(workdir, "east2", replicas=2), "--resolve-image", "never",
                     "--timeout", "90s", "east", cwd=str(workdir))
        assert r.rc == 0, r.err

        # -- 2 of 3 down: status and deploy exit 3 within 30 s; replicas keep serving
        t0 = time.monotonic()
        labmod.stop_node(engine, second)
        stopped.append(second)
        r, _ = until("quorum lost", status, lambda r: r.rc == 3)
        detected = time.monotonic() - t0
        assert "quorum lost" in r.err
        assert json.loads(r.out)["quorum"]["lost"] is True
        r, _ = until("no leader", status, lambda r: "does not have a leader" in r.err)
        no_leader = time.monotonic() - t0
        assert r.rc == 3
        r = dockline(leader, "deploy", "-c", east, "--resolve-image", "never", "--timeout", "90s", "east",
                     cwd=str(workdir), timeout=60)
        assert r.rc == 3, r.err
        assert r.seconds < 30 and "does not have a leader" in r.err
        for w in lab.workers:
            assert http_get(w.ip, 18080) == (200, f"node={w.name}\n")
    finally:
        for n in stopped:
            labmod.start_node(engine, n)

    # -- managers back: status recovers
    r, took = until("recovery", status,
                    lambda r: r.rc == 0 and json.loads(r.out)["quorum"]["margin"] == 1, timeout=120)
    assert json.loads(r.out)["quorum"]["reachable"] == 3
    r = dockline(leader, "deploy", "-c", east, "--resolve-image", "never", "--timeout", "90s", "east",
                 cwd=str(workdir))
    assert r.rc == 0, r.err
    print(f"quorum: lost detected {detected:.1f} s, engine says no leader {no_leader:.1f} s, "
          f"recovered {took:.1f} s after start")
