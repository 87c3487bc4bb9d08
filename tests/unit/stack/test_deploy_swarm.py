"""deploy_stack, rollback_stack and remove_stack against the in-memory swarm (tests/support).

Each test pins one behaviour the real-engine suite (tests/integration/stack) shows end to end:
the deploy waits for a verdict, versioned configs rotate and are collected, placement is
checked before anything changes, a rollback redeploys a recorded version, a removal waits
until the stack's objects are gone.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from dockline.errors import EngineError, PlacementError, StackError
from dockline.stack import history
from dockline.stack.deploy import DeployOptions, deploy_stack, remove_stack, rollback_stack
from dockline.swarm.wait import Converged, Failed, RolledBack, TimedOut
from support.fakeswarm import CRASHING, HANGING, FakeSwarm, worker_node

OPTS = DeployOptions(resolve_image="never", timeout=timedelta(seconds=30))

STACK = """
services:
  web:
    image: {image}
    configs:
      - source: conf
        target: /etc/app.conf
    deploy:
      replicas: 2
      update_config: {{order: start-first, failure_action: {failure_action}}}
configs:
  conf:
    file: ./app.conf
"""


def write(tmp_path: Path, image: str = "app:1", conf: str = "a=1\n", failure_action: str = "pause") -> Path:
    (tmp_path / "app.conf").write_text(conf)
    path = tmp_path / "stack.yml"
    path.write_text(STACK.format(image=image, failure_action=failure_action))
    return path


def deploy(fake: FakeSwarm, path: Path, options: DeployOptions = OPTS):  # type: ignore[no-untyped-def]
    return deploy_stack(fake, "app", [path], environ={}, options=options)


def running(fake: FakeSwarm, service: str = "app_web") -> list[str]:
    """Images of the service's running tasks made from its current spec."""
    svc = fake.services_[service]
    return sorted(t.spec.image for t in fake.service_tasks(service)
                  if t.state == "running" and t.desired_state == "running" and t.spec.key == svc.spec.key)


def outcomes(fake: FakeSwarm) -> list[tuple[int, str, str]]:
    return [(r.version, r.outcome, r.source) for r in history.list_records(fake, "app")]


@pytest.fixture()
def fake() -> FakeSwarm:
    f = FakeSwarm()
    f.add_image("app:1")
    f.add_image("app:2")
    return f


# --------------------------------------------------------------------------- deploy
def test_deploy_returns_once_every_task_runs(fake: FakeSwarm, tmp_path: Path) -> None:
    res = deploy(fake, write(tmp_path))
    assert isinstance(res.outcome, Converged) and res.exit_code == 0
    assert running(fake) == ["app:1", "app:1"]  # not just applied: running when it returns
    assert res.version == 1 and outcomes(fake) == [(1, "converged", "deploy")]
    assert [a[0] for a, _ in fake.called("stack_deploy")] == ["app"]


def test_a_crashing_image_fails_the_deploy_with_the_task_error(fake: FakeSwarm, tmp_path: Path) -> None:
    fake.add_image("app:1", CRASHING)
    res = deploy(fake, write(tmp_path))
    assert isinstance(res.outcome, Failed) and res.exit_code == 1
    assert "non-zero exit (1)" in "; ".join(res.outcome.reasons)
    assert outcomes(fake) == [(1, "failed", "deploy")]
    assert res.collected == ()  # nothing is collected after a failed deploy


def test_a_failed_update_rolled_back_by_the_swarm_is_reported(fake: FakeSwarm, tmp_path: Path) -> None:
    assert deploy(fake, write(tmp_path, failure_action="rollback")).exit_code == 0
    fake.add_image("app:2", CRASHING)
    res = deploy(fake, write(tmp_path, image="app:2", failure_action="rollback"))
    assert isinstance(res.outcome, RolledBack) and res.exit_code == 1
    assert "rolled back" in res.outcome.reasons[0]
    assert running(fake) == ["app:1", "app:1"]  # the previous version serves again
    assert outcomes(fake) == [(1, "converged", "deploy"), (2, "rolled_back", "deploy")]


def test_a_paused_update_fails_the_deploy(fake: FakeSwarm, tmp_path: Path) -> None:
    deploy(fake, write(tmp_path))
    fake.add_image("app:2", CRASHING)
    res = deploy(fake, write(tmp_path, image="app:2"))
    assert isinstance(res.outcome, Failed) and "update paused" in res.outcome.reasons[0]


def test_the_deadline_turns_a_hanging_start_into_timed_out(fake: FakeSwarm, tmp_path: Path) -> None:
    fake.add_image("app:1", HANGING)
    res = deploy(fake, write(tmp_path), DeployOptions(resolve_image="never", timeout=timedelta(0)))
    assert isinstance(res.outcome, TimedOut) and "0/2 running" in res.outcome.reasons[0]
    assert outcomes(fake) == [(1, "timed_out", "deploy")]


def test_a_changed_config_file_rotates_a_new_version_and_collects_old_ones(fake: FakeSwarm, tmp_path: Path) -> None:
    r1 = deploy(fake, write(tmp_path, conf="a=1\n"))
    v1 = fake.services_["app_web"].spec.configs[0][0]
    r2 = deploy(fake, write(tmp_path, conf="a=2\n"))  # the swarm refuses new data under an old name
    v2 = fake.services_["app_web"].spec.configs[0][0]
    assert r1.exit_code == r2.exit_code == 0 and v1 != v2
    assert fake.config_data(v2) == b"a=2\n"
    assert r2.collected == () and fake.config_data(v1) == b"a=1\n"  # the previous spec needs v1 (rollback)
    r3 = deploy(fake, write(tmp_path, conf="a=3\n"))
    assert r3.collected == (v1,) and fake.config_data(v1) is None
    assert [c for c in r2.plan.services[0].changed_fields if c.startswith("configs")] == ["configs.conf"]


def test_placement_is_refused_before_anything_changes(fake: FakeSwarm, tmp_path: Path) -> None:
    fake.nodes_["node-w1"] = worker_node("w1", "10.0.0.2", labels={"zone": "west"})
    path = write(tmp_path)
    path.write_text(path.read_text().replace("replicas: 2", "replicas: 2\n      placement:\n"
                                             "        constraints: [node.labels.zone==east]"))
    with pytest.raises(PlacementError, match="no node satisfies `node.labels.zone == east`"):
        deploy(fake, path)
    assert fake.called("stack_deploy") == [] and fake.configs() == []


def test_an_engine_refusal_marks_the_record_refused(fake: FakeSwarm, tmp_path: Path) -> None:
    fake.script("stack_deploy", EngineError("Docker refused the stack deploy: image app:1 not found"))
    with pytest.raises(EngineError, match="refused"):
        deploy(fake, write(tmp_path))
    assert outcomes(fake) == [(1, "refused", "deploy")]


def test_a_dry_run_changes_nothing(fake: FakeSwarm, tmp_path: Path) -> None:
    res = deploy(fake, write(tmp_path), DeployOptions(resolve_image="never", dry_run=True))
    assert res.outcome is None and res.plan.services[0].action == "create"
    assert fake.called("stack_deploy") == [] and fake.configs() == []


# --------------------------------------------------------------------------- rollback
def test_rollback_redeploys_the_newest_converged_version(fake: FakeSwarm, tmp_path: Path) -> None:
    deploy(fake, write(tmp_path))
    fake.add_image("app:2", CRASHING)
    assert deploy(fake, write(tmp_path, image="app:2")).exit_code == 1
    fake.add_image("app:2")
    res = rollback_stack(fake, "app", options=OPTS)
    assert isinstance(res.outcome, Converged) and res.version == 3
    assert running(fake) == ["app:1", "app:1"]
    assert outcomes(fake)[-1] == (3, "converged", "rollback:1")


def test_rollback_recreates_a_collected_config_version_from_the_record(fake: FakeSwarm, tmp_path: Path) -> None:
    deploy(fake, write(tmp_path, conf="a=1\n"))
    v1 = fake.services_["app_web"].spec.configs[0][0]
    deploy(fake, write(tmp_path, conf="a=2\n"))
    assert deploy(fake, write(tmp_path, conf="a=3\n")).collected == (v1,)
    res = rollback_stack(fake, "app", to_version=1, options=OPTS)
    assert res.exit_code == 0
    assert fake.services_["app_web"].spec.configs[0][0] == v1 and fake.config_data(v1) == b"a=1\n"


def test_rollback_without_a_previous_record_is_bad_input(fake: FakeSwarm, tmp_path: Path) -> None:
    deploy(fake, write(tmp_path))
    with pytest.raises(StackError, match="no record of a previous deploy"):
        rollback_stack(fake, "app", options=OPTS)
    with pytest.raises(StackError, match="no record of version 7"):
        rollback_stack(fake, "app", to_version=7, options=OPTS)


# --------------------------------------------------------------------------- remove
def test_remove_waits_until_the_stack_is_gone_then_drops_its_records(fake: FakeSwarm, tmp_path: Path) -> None:
    deploy(fake, write(tmp_path))
    res = remove_stack(fake, "app", clock=fake.clock.now, sleep=fake.clock.sleep)
    assert res.complete and res.services == ("app_web",) and res.networks == ("app_default",)
    assert fake.clock.slept  # the task containers outlive `docker stack rm`: it waited for them
    assert fake.services() == [] and fake.containers() == [] and fake.configs() == []
    assert [n.name for n in fake.networks()] == ["ingress"]
    assert res.records == 1 and outcomes(fake) == []


def test_remove_reports_what_is_left_when_time_runs_out(fake: FakeSwarm, tmp_path: Path) -> None:
    deploy(fake, write(tmp_path))
    res = remove_stack(fake, "app", timeout=timedelta(seconds=0.5), clock=fake.clock.now, sleep=fake.clock.sleep)
    assert not res.complete and any(x.startswith("container app_web.") for x in res.leftovers)
    assert res.elapsed == timedelta(seconds=0.5)  # bounded: no sleep past the deadline
    assert res.records == 0 and len(outcomes(fake)) == 1  # records stay while objects are left
