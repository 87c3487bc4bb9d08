"""``cluster status`` logic: quorum state, warnings, deadlines (fake engine)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from clusterfakes import Clock, lab_nodes, node

from dockline.cluster.labels import plan_labels
from dockline.cluster.live import apply_labels, read_nodes, read_report
from dockline.cluster.nodes import assess, quorum_state
from dockline.errors import EngineError, EngineTimeout, NotSwarmManager, QuorumLost
from dockline.swarm.model import NodeInfo
from support.fakeswarm import FakeSwarm


def codes(nodes: list[NodeInfo], tasks: dict[str, int] | None = None) -> list[str]:
    return [w.code for w in assess(nodes, tasks).warnings]


def test_healthy_lab_quorum() -> None:
    q = quorum_state(lab_nodes())
    assert (q.managers, q.reachable, q.tolerance, q.needed, q.margin, q.leader) == (3, 3, 1, 2, 1, "m1")
    assert not q.lost
    assert codes(lab_nodes()) == []


def test_one_manager_down_leaves_margin_zero() -> None:
    nodes = lab_nodes()
    nodes[2] = node("m3", "manager", state="down", reachability="unreachable")
    report = assess(nodes)
    assert report.quorum.margin == 0 and not report.quorum.lost
    assert [w.code for w in report.warnings] == ["no-margin", "manager-down"]
    assert "one more manager failure loses quorum" in report.warnings[0].message
    assert "manager m3 is down (unreachable)" in report.warnings[1].message


def test_two_managers_down_is_quorum_lost() -> None:
    nodes = lab_nodes()
    nodes[1] = node("m2", "manager", state="down", reachability="unreachable")
    nodes[2] = node("m3", "manager", state="down", reachability="unreachable")
    report = assess(nodes)
    assert report.quorum.lost and report.quorum.margin == -1
    assert report.warnings[0].code == "quorum-lost"
    assert "1 of 3 managers reachable, 2 needed" in report.warnings[0].message


def test_single_and_even_and_many_managers() -> None:
    assert codes([node("m1", "manager", leader=True)]) == ["single-manager"]
    two = [node("m1", "manager", leader=True), node("m2", "manager")]
    assert codes(two) == ["no-margin", "even-managers"]  # 2 managers: both needed
    eight = [node(f"m{i}", "manager", leader=i == 0) for i in range(8)]
    assert codes(eight) == ["even-managers", "many-managers"]
    assert quorum_state([]).managers == 0 and not quorum_state([]).lost


def test_managers_running_workloads_only_with_workers() -> None:
    nodes = lab_nodes()
    tasks = {nodes[0].id: 2, nodes[3].id: 5}
    report = assess(nodes, tasks)
    assert [w.code for w in report.warnings] == ["manager-workloads"]
    assert "m1 (2 task(s))" in report.warnings[0].message
    # a lone manager has to run the workloads: no warning for that
    assert codes([node("m1", "manager", leader=True)], {lab_nodes()[0].id: 3}) == ["single-manager"]


def test_drained_paused_and_down_nodes() -> None:
    nodes = lab_nodes()
    nodes[3] = node("w1", availability="drain")
    nodes[4] = node("w2", availability="pause", state="down")
    assert codes(nodes) == ["node-down", "node-drained", "node-paused"]


def test_risk_for_given_p() -> None:
    report = assess(lab_nodes(), p=0.1)
    assert report.risk is not None
    assert report.risk.slide == pytest.approx(0.03) and report.risk.exact == pytest.approx(0.028)
    assert assess(lab_nodes()).risk is None


# --------------------------------------------------------------------------- against the in-memory swarm
def lab() -> FakeSwarm:
    return FakeSwarm(nodes=lab_nodes())


def test_no_leader_in_info_is_quorum_lost_at_once() -> None:
    eng = lab()
    eng.script("info", eng.engine_info(swarm_error="rpc error: The swarm does not have a leader. It's possible"))
    with pytest.raises(QuorumLost, match="does not have a leader") as e:
        read_report(eng)
    assert e.value.exit_code == 3 and len(eng.called("info")) == 1


def test_no_leader_from_node_list() -> None:
    eng = lab()
    eng.script("nodes", QuorumLost("the swarm does not have a leader"))
    with pytest.raises(QuorumLost):
        read_report(eng)


def test_transitional_answers_are_retried_until_they_settle() -> None:
    clock = Clock()
    eng = lab()
    eng.script("info",
               EngineTimeout("the Docker engine did not answer the info request in time"),
               eng.engine_info(swarm_error="rpc error: code = DeadlineExceeded desc = context deadline exceeded"),
               EngineError("Docker refused the node list: raft: node lost leader status"),
               eng.engine_info(swarm_error="The swarm does not have a leader"))
    with pytest.raises(QuorumLost, match="does not have a leader"):
        read_nodes(eng, timedelta(seconds=20), clock=clock, sleep=clock.sleep)
    assert len(eng.called("info")) == 4 and clock.t == pytest.approx(1.5)


def test_deadline_turns_endless_timeouts_into_quorum_lost() -> None:
    clock = Clock()
    eng = lab()

    def hanging() -> None:
        clock.t += 8  # each call burns its per-call deadline
        raise EngineTimeout("the Docker engine did not answer the info request in time")

    eng.script("info", *[hanging] * 10)
    with pytest.raises(QuorumLost, match="no manager leader answered within 20 s") as e:
        read_nodes(eng, timedelta(seconds=20), clock=clock, sleep=clock.sleep)
    assert "did not answer" in e.value.message
    assert clock.t <= 20 + 8 + 0.5


def test_recovers_after_a_transition() -> None:
    clock = Clock()
    eng = lab()
    eng.script("info", EngineTimeout("slow"))
    nodes, tasks = read_nodes(eng, timedelta(seconds=20), clock=clock, sleep=clock.sleep)
    assert len(nodes) == 5 and tasks == {}


def test_other_engine_errors_are_not_retried() -> None:
    eng = lab()
    eng.script("nodes", EngineError("Docker refused the node list: permission denied"))
    with pytest.raises(EngineError, match="permission denied"):
        read_nodes(eng)


def test_workers_and_non_swarm_engines() -> None:
    worker, outside = lab(), lab()
    worker.script("info", worker.engine_info(control_available=False))
    outside.script("info", outside.engine_info(swarm_state="inactive"))
    with pytest.raises(NotSwarmManager, match="worker"):
        read_nodes(worker)
    with pytest.raises(NotSwarmManager, match="not in a swarm"):
        read_nodes(outside)


def test_apply_labels_writes_only_changed_nodes() -> None:
    eng = lab()
    plans = plan_labels({"w1": {"zone": "east"}, "w2": {"zone": "east"}}, eng.nodes())
    apply_labels(eng, plans)
    w2 = lab_nodes()[4]
    assert [(a[0], k["labels"]) for a, k in eng.called("update_node")] == [(w2.id, {"zone": "east"})]
    assert eng.node(w2.id).labels == {"zone": "east"}  # type: ignore[union-attr]


def test_lost_leader_mid_request_is_retried() -> None:
    clock = Clock()
    eng = lab()
    eng.script("info", QuorumLost("the swarm lost its leader during the request (raft: node lost leader status)"))
    nodes, _ = read_nodes(eng, timedelta(seconds=20), clock=clock, sleep=clock.sleep)
    assert len(nodes) == 5 and len(eng.called("info")) == 2
