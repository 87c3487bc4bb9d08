"""``dockline cluster`` through click's CliRunner (risk is pure; status/label use a fake engine)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from clusterfakes import lab_nodes

from dockline.cli import cli
from dockline.errors import QuorumLost
from support.fakeswarm import FakeSwarm


def run(*args: str) -> tuple[int, str, str]:
    res = CliRunner(env={"COLUMNS": "200"}).invoke(cli, list(args))
    return res.exit_code, res.stdout, res.stderr


def test_risk_table_matches_exact_values() -> None:
    code, out, _err = run("cluster", "risk", "-n", "1,3,5,7", "-p", "0.01,0.05,0.1", "--json")
    assert code == 0
    data = json.loads(out)
    rows = {(r["managers"], r["p"]): r for r in data["rows"]}
    assert len(rows) == 12
    assert rows[(3, 0.1)]["slide"] == pytest.approx(0.03)
    assert rows[(3, 0.1)]["exact"] == pytest.approx(0.028)
    assert rows[(5, 0.1)]["exact"] == pytest.approx(0.00856)
    assert rows[(1, 0.05)]["exact"] == pytest.approx(0.05)
    assert data["slide_exceeds_one_above"]["3"] == pytest.approx(0.57735, abs=1e-5)


def test_risk_people_output() -> None:
    code, out, err = run("cluster", "risk", "-n", "3", "-n", "4", "-p", "0.1", "--target", "0.001",
                         "--zones", "3,1,1", "--zone-p", "0.01")
    assert code == 0, err
    assert "0.0300" in out and "0.0280" in out  # slide and exact, side by side
    assert "even: same K as N=3, more risk" in out
    assert "N=3: the slide's value exceeds 1 for P > 0.577" in err
    assert "N=4 (even) tolerates no more than N=3" in err
    assert "run 9 manager(s)" in err and "would ask for 11" in err
    assert "zone(s) #1 hold more than K=2 managers" in err


def test_risk_default_range_and_high_p() -> None:
    _, out, err = run("cluster", "risk", "-p", "0.6", "--json")
    data = json.loads(out)
    assert [r["managers"] for r in data["rows"]] == list(range(1, 10))
    assert data["rows"][2]["slide"] > 1 and data["rows"][2]["misleads"]
    _code, out, err = run("cluster", "risk", "-p", "0.6")
    assert "slide > 1: not a probability" in out
    assert "union bound" in err


def test_risk_tolerance_filters_default_range() -> None:
    _code, out, _ = run("cluster", "risk", "-k", "2", "-p", "0.1", "--json")
    assert [r["managers"] for r in json.loads(out)["rows"]] == [5, 6, 7, 8, 9]


@pytest.mark.parametrize(
    "args",
    [
        ["-n", "3", "-k", "2"],
        ["-p", "1.5"],
        ["-p", "abc"],
        ["-n", "0"],
        ["--zones", "2,2"],
        ["-k", "9"],
        ["--target", "2"],
    ],
)
def test_risk_bad_input_exits_2(args: list[str]) -> None:
    code, _, err = run("cluster", "risk", *args)
    assert code == 2, err
    assert "error:" in err and "Traceback" not in err


def test_risk_unreachable_target() -> None:
    code, _, err = run("cluster", "risk", "-p", "0.5", "--target", "0.01", "-n", "3")
    assert code == 0 and "half the time" in err


@pytest.fixture()
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeSwarm:
    from dockline import engine

    eng = FakeSwarm(nodes=lab_nodes())
    monkeypatch.setattr(engine.Engine, "connect", classmethod(lambda cls, *a, **k: eng))
    return eng


def test_status_json(fake: FakeSwarm) -> None:
    code, out, err = run("cluster", "status", "--json", "-p", "0.1")
    assert code == 0, err
    data = json.loads(out)
    assert data["quorum"] == {"managers": 3, "reachable": 3, "tolerance": 1, "needed": 2, "margin": 1,
                              "leader": "m1", "lost": False}
    assert data["risk"]["exact"] == pytest.approx(0.028)
    assert [n["hostname"] for n in data["nodes"]] == ["m1", "m2", "m3", "w1", "w2"]


def test_status_people(fake: FakeSwarm) -> None:
    code, out, err = run("cluster", "status")
    assert code == 0
    assert "m1" in out and "leader" in out
    assert "tolerance 1, margin 1, leader m1" in err


def test_status_quorum_lost_from_engine(fake: FakeSwarm) -> None:
    fake.script("info", fake.engine_info(swarm_error="The swarm does not have a leader."))
    code, out, err = run("cluster", "status", "--json")
    assert code == 3
    assert json.loads(out)["quorum"]["lost"] is True
    assert "quorum lost: the swarm does not have a leader" in err


def test_status_quorum_lost_by_reachability(fake: FakeSwarm) -> None:
    from dataclasses import replace

    nodes = lab_nodes()
    for i in (1, 2):
        assert nodes[i].manager is not None
        nodes[i] = replace(nodes[i], state="down", manager=replace(nodes[i].manager, reachability="unreachable"))
    fake.set_nodes(nodes)
    code, _out, err = run("cluster", "status")
    assert code == 3
    assert "quorum lost: 1 of 3 managers reachable, 2 needed" in err


def test_status_bad_options(fake: FakeSwarm) -> None:
    assert run("cluster", "status", "-p", "2")[0] == 2
    assert run("cluster", "status", "--timeout", "0")[0] == 2


def test_label_dry_run_apply_and_idempotence(fake: FakeSwarm, tmp_path: Path) -> None:
    f = tmp_path / "nodes.yml"
    f.write_text("nodes:\n  w2: {zone: east, disk: hdd}\n  m2: {zone: east}\n")
    code, out, err = run("cluster", "label", "-f", str(f), "--dry-run")
    assert code == 0 and fake.called("update_node") == []
    assert "+ disk=hdd" in err and "~ zone: west -> east" in err and "nothing was applied" in err
    code, out, err = run("cluster", "label", "-f", str(f), "--json")
    assert code == 0 and len(fake.called("update_node")) == 1
    assert json.loads(out)["applied"] is True
    assert fake.node(lab_nodes()[4].id).labels == {"zone": "east", "disk": "hdd"}  # type: ignore[union-attr]
    code, out, err = run("cluster", "label", "-f", str(f))  # the swarm has them now
    assert code == 0 and len(fake.called("update_node")) == 1
    assert "nothing to change" in err


def test_label_errors(fake: FakeSwarm, tmp_path: Path) -> None:
    code, _, err = run("cluster", "label", "-f", str(tmp_path / "missing.yml"))
    assert code == 2 and "cannot read" in err
    f = tmp_path / "nodes.yml"
    f.write_text("nodes:\n  ghost: {zone: east}\n")
    code, _, err = run("cluster", "label", "-f", str(f))
    assert code == 2 and "'ghost' is not in the swarm" in err
    fake.script("nodes", QuorumLost("the swarm does not have a leader"))
    f.write_text("nodes:\n  w1: {zone: east}\n")
    code, _, err = run("cluster", "label", "-f", str(f))
    assert code == 3


def test_risk_findings_in_people_output() -> None:
    code, _, err = run("cluster", "risk", "-p", "0.3", "-n", "3,,5")
    assert code == 0
    assert "P=0.3: the slide ranks N=5 no safer than N=3 (0.2700 vs 0.2700)" in err
    from dockline.cli._render_cluster import fmt

    assert (fmt(0.0), fmt(0.0123), fmt(1.5e-5)) == ("0", "0.0123", "1.500e-05")
    code, _, err = run("cluster", "risk", "-n", "5", "-p", "0.01", "--zones", "2,2,1", "--zone-p", "0.01")
    assert code == 0 and "zones 2+2+1" in err and "hold more than" not in err
    _, _, err = run("cluster", "risk", "-n", "5", "-p", "0.01", "--zones", "3,2", "--zone-p", "0.01")
    assert "spread them as 2+2+1" in err
    code, _out, err = run("cluster", "risk", "-n", "1", "-p", "0.01", "--zones", "1", "--zone-p", "0.01")
    assert "run at least 3 managers in 3 zones" in err


def test_risk_json_recommendations_and_zones() -> None:
    _code, out, _ = run("cluster", "risk", "-p", "0.1,0.5", "-n", "3", "--target", "0.001", "--json",
                       "--zones", "2,1", "--zone-p", "0.001")
    data = json.loads(out)
    kinds = [(r["kind"], r.get("managers")) for r in data["recommendations"]]
    assert kinds == [("recommended", 9), ("unreachable", None)]
    assert data["zones"][0]["zones"] == [2, 1] and data["zones"][0]["majority_zones"] == [0]


def test_status_without_leader_and_with_labels(fake: FakeSwarm) -> None:
    from dataclasses import replace

    nodes = lab_nodes()
    assert nodes[0].manager is not None
    nodes[0] = replace(nodes[0], manager=replace(nodes[0].manager, leader=False))
    fake.set_nodes(nodes)
    code, out, err = run("cluster", "status", "-p", "0.01")
    assert code == 0
    assert "leader none" in err and "zone=east" in out and "risk at P=0.01: exact 2.980e-04" in err
