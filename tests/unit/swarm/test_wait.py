"""The deploy verdict, from snapshots (pure) and through the wait loop (fake engine)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from dockline.swarm.model import ServiceInfo, TaskInfo, UpdateStatus
from dockline.swarm.wait import (
    Converged,
    Failed,
    ProgressSnapshot,
    RolledBack,
    TaskHealth,
    TimedOut,
    assess_service,
    decide,
    wait_services,
)
from support.fakeswarm import HANGING, FakeSwarm

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
SINCE = T0


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


SVC = ServiceInfo(
    id="s1", name="app_web", labels={}, image="img:2", mode="replicated", replicas=1, update=None,
    task_spec_key="new", previous_task_spec_key="old", has_healthcheck=True, restart_condition="any",
    restart_max_attempts=None, configs=(), secrets=(), previous_configs=(), previous_secrets=(),
    published_ports=(), created_at=at(-100), updated_at=at(0),
)


def task(i: str, state: str, *, desired: str = "running", key: str = "new", slot: int = 1, ts: float = 1,
         error: str | None = None, node: str = "n1") -> TaskInfo:
    return TaskInfo(id=i, service_id="s1", slot=slot, node_id=node, desired_state=desired, state=state,
                    message=state, error=error, timestamp=at(ts), container_id=f"c{i}", exit_code=None,
                    spec_key=key)


def upd(state: str, started: float = 0.5) -> UpdateStatus:
    return UpdateStatus(state=state, message=state.replace("_", " "), started_at=at(started), completed_at=None)


def test_fresh_create_converges_when_running() -> None:
    assert assess_service(SVC, [task("a", "starting")], since=SINCE).verdict == "converging"
    st = assess_service(SVC, [task("a", "running")], since=SINCE)
    assert (st.verdict, st.desired, st.running, st.healthy) == ("converged", 1, 1, 1)


def test_old_tasks_running_do_not_count_before_the_update_starts() -> None:
    # the talk's loop sees 1/1 here; the spec already changed, the old task is not the new version
    tasks = [task("old", "running", key="old", ts=-50)]
    svc = replace(SVC, update=UpdateStatus("completed", "", at(-60), at(-55)))  # a previous update
    assert assess_service(svc, tasks, since=SINCE).verdict == "converging"


def test_update_must_complete() -> None:
    tasks = [task("a", "running"), task("old", "running", key="old", desired="shutdown", ts=-50)]
    assert assess_service(replace(SVC, update=upd("updating")), tasks, since=SINCE).verdict == "converging"
    assert assess_service(replace(SVC, update=upd("completed")), tasks, since=SINCE).verdict == "converged"


def test_unhealthy_container_is_not_healthy() -> None:
    st = assess_service(SVC, [task("a", "running")], since=SINCE,
                        health={"a": TaskHealth("unhealthy", "[HEALTHCHECK] down")})
    assert (st.verdict, st.running, st.healthy, st.last_health_output) == ("converging", 1, 0, "[HEALTHCHECK] down")


def test_rollback_started_then_completed() -> None:
    svc = replace(SVC, update=upd("rollback_started"))
    assert assess_service(svc, [task("old", "running", key="new")], since=SINCE).verdict == "rolling_back"
    done = replace(SVC, update=upd("rollback_completed"))
    st = assess_service(done, [task("old", "running")], since=SINCE)
    assert st.verdict == "rolled_back"
    # the previous version must run again before the verdict
    assert assess_service(done, [task("old", "starting")], since=SINCE).verdict == "rolling_back"


def test_stale_rollback_from_an_earlier_deploy_is_ignored() -> None:
    svc = replace(SVC, update=UpdateStatus("rollback_completed", "", at(-600), at(-590)))
    assert assess_service(svc, [task("a", "running", ts=-590)], since=SINCE).verdict == "converged"


@pytest.mark.parametrize("state", ["paused", "rollback_paused"])
def test_paused_is_failure(state: str) -> None:
    st = assess_service(replace(SVC, update=upd(state)), [task("a", "running")], since=SINCE)
    assert st.verdict == "failed" and "paused" in (st.reason or "")


def test_no_suitable_node_fails_at_once() -> None:
    err = "no suitable node (scheduling constraints not satisfied on 1 node)"
    st = assess_service(SVC, [task("a", "pending", error=err)], since=SINCE)
    assert st.verdict == "failed" and err in (st.reason or "")


def test_port_in_use_waits_while_the_old_task_stops() -> None:
    err = "no suitable node (host-mode port already in use on 1 node)"
    stopping = task("old", "running", key="old", desired="shutdown", ts=-50)
    assert assess_service(SVC, [task("a", "pending", error=err), stopping], since=SINCE).verdict == "converging"
    # the old task stopped after the scheduler gave up on the new one: it will retry
    stopped = task("old", "shutdown", key="old", desired="shutdown", ts=2)
    assert assess_service(SVC, [task("a", "pending", error=err), stopped], since=SINCE).verdict == "converging"
    long_gone = task("old", "shutdown", key="old", desired="shutdown", ts=-50)
    assert assess_service(SVC, [task("a", "pending", error=err), long_gone], since=SINCE).verdict == "failed"
    kept = task("old", "running", key="old", desired="running", ts=-50)  # start-first keeps it
    assert assess_service(SVC, [task("a", "pending", error=err), kept], since=SINCE).verdict == "failed"


def test_failures_past_the_restart_policy() -> None:
    fails = [task(str(i), "failed", ts=i, error="task: non-zero exit (1)") for i in range(1, 3)]
    svc = replace(SVC, restart_max_attempts=2)
    st = assess_service(svc, fails, since=SINCE)
    assert st.verdict == "failed" and "failed 2 times" in (st.reason or "")
    assert st.last_error == "task: non-zero exit (1) (failed: failed)"
    # without max_attempts, three failures of this deploy count as failing
    assert assess_service(SVC, fails, since=SINCE).verdict == "converging"
    three = [*fails, task("3", "failed", ts=3, error="x")]
    assert assess_service(SVC, [*three, task("4", "starting", ts=4)], since=SINCE).verdict == "failed"
    # an unhealthy task killed by swarm may end "complete" with no error: it died all the same
    done = [task(str(i), "complete", ts=i) for i in range(1, 4)]
    st = assess_service(SVC, done, since=SINCE, health={"3": TaskHealth("unhealthy", "[HEALTHCHECK] down")})
    assert st.verdict == "failed" and "last healthcheck: [HEALTHCHECK] down" in (st.reason or "")
    job = replace(SVC, mode="replicated-job")
    assert assess_service(job, done, since=SINCE).verdict != "failed"
    # failures before this deploy do not count
    old = [task(str(i), "failed", ts=-10 - i, error="x") for i in range(5)]
    assert assess_service(SVC, [*old, task("ok", "running")], since=SINCE).verdict == "converged"


def test_global_desired_counts_nodes() -> None:
    svc = replace(SVC, mode="global", replicas=None)
    tasks = [task("a", "running", node="n1"), task("b", "starting", node="n2")]
    st = assess_service(svc, tasks, since=SINCE)
    assert (st.desired, st.running, st.verdict) == (2, 1, "converging")


def test_zero_replicas_converge() -> None:
    assert assess_service(replace(SVC, replicas=0), [], since=SINCE).verdict == "converged"


def test_decide() -> None:
    ok = assess_service(SVC, [task("a", "running")], since=SINCE)
    bad = assess_service(replace(SVC, update=upd("paused")), [], since=SINCE)
    rb = assess_service(replace(SVC, update=upd("rollback_completed")), [task("a", "running")], since=SINCE)
    busy = assess_service(SVC, [], since=SINCE)
    e = timedelta(seconds=1)
    assert isinstance(decide(ProgressSnapshot(e, (ok,))), Converged)
    assert isinstance(decide(ProgressSnapshot(e, (ok, bad))), Failed)
    assert isinstance(decide(ProgressSnapshot(e, (ok, rb))), RolledBack)
    assert decide(ProgressSnapshot(e, (ok, busy))) is None
    final = decide(ProgressSnapshot(e, (ok, busy)), final=True)
    assert isinstance(final, TimedOut) and "0/1 running" in final.reasons[0]
    assert [o.exit_code for o in (Converged((), e), Failed((), e, ()), TimedOut((), e, ()))] == [0, 1, 1]


def test_wait_loop_reaches_a_verdict_and_reports_progress() -> None:
    eng = FakeSwarm()
    eng.create_service("app_web", "img:2")
    seen: list[ProgressSnapshot] = []
    out = wait_services(eng, ["app_web"], timedelta(seconds=10), on_progress=seen.append, since=SINCE)
    assert isinstance(out, Converged)
    assert [s.services[0].verdict for s in seen] == ["converging", "converged"]
    assert [t.state for t in eng.service_tasks("app_web")] == ["running"]
    assert eng.called("subscribe_events") and all(sub.closed for sub in eng._subs)


def test_wait_loop_times_out() -> None:
    eng = FakeSwarm()
    eng.add_image("img:2", HANGING)
    eng.create_service("app_web", "img:2")
    out = wait_services(eng, ["app_web"], timedelta(seconds=0.3), since=SINCE)
    assert isinstance(out, TimedOut)


def test_missing_service_fails() -> None:
    eng = FakeSwarm()
    eng.create_service("app_web", "img:2")
    out = wait_services(eng, ["app_other"], timedelta(seconds=1), since=SINCE)
    assert isinstance(out, Failed) and "does not exist" in out.reasons[0]
