"""Declarative node labels: file validation, diff, prune, idempotence."""

from __future__ import annotations

from dataclasses import replace

import pytest
from clusterfakes import lab_nodes, node

from dockline.cluster.labels import (
    LabelAdded,
    LabelChanged,
    LabelRemoved,
    load_label_file,
    plan_labels,
    render_change,
)
from dockline.errors import BadInputError, ConfigError
from dockline.swarm.model import NodeInfo

FILE = """
nodes:
  m2: {zone: east}
  w1:
    zone: east
    rack: 7
  w2:
    zone: west
"""


def test_load_valid() -> None:
    assert load_label_file(FILE) == {"m2": {"zone": "east"}, "w1": {"zone": "east", "rack": "7"},
                                     "w2": {"zone": "west"}}
    assert load_label_file("nodes:\n  w1:\n") == {"w1": {}}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nodes: [", "not valid YAML"),
        ("- a", "one top-level key `nodes`"),
        ("nodes: {}\nother: 1", "one top-level key `nodes`"),
        ("nodes: [a]", "nodes: should be a mapping"),
        ("nodes:\n  1: {zone: a}", "node names must be strings"),
        ("nodes:\n  w1: [zone]", "nodes.w1: should be a mapping"),
        ("nodes:\n  w1: {'bad key': a}", "label key 'bad key' is invalid"),
        ("nodes:\n  w1: {'-x': a}", "label key '-x' is invalid"),
        ("nodes:\n  w1: {ssd: yes}", "nodes.w1.ssd: should be a string"),
        ("nodes:\n  w1: {ssd: null}", "nodes.w1.ssd: should be a string"),
        ("nodes:\n  w1: {ssd: [1]}", "nodes.w1.ssd: should be a string"),
        ('nodes:\n  w1: {a: "x\\ny"}', "one line"),
    ],
)
def test_load_invalid(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")) as e:
        load_label_file(text, "n.yml")
    assert e.value.message.startswith("n.yml")
    assert e.value.exit_code == 2


def test_plan_adds_and_changes_but_keeps_undeclared_without_prune() -> None:
    nodes = lab_nodes()
    plans = plan_labels(load_label_file(FILE), nodes)
    by = {p.node.hostname: p for p in plans}
    assert by["m2"].changes == ()  # already zone=east
    assert by["w1"].changes == (LabelAdded("rack", "7"),)
    assert dict(by["w1"].desired) == {"zone": "east", "disk": "ssd", "rack": "7"}
    assert by["w2"].changes == ()
    plans = plan_labels({"w2": {"zone": "north"}}, nodes)
    assert plans[0].changes == (LabelChanged("zone", "west", "north"),)


def test_prune_removes_only_on_listed_nodes() -> None:
    plans = plan_labels(load_label_file(FILE), lab_nodes(), prune=True)
    by = {p.node.hostname: p for p in plans}
    assert by["w1"].changes == (LabelAdded("rack", "7"), LabelRemoved("disk", "ssd"))
    assert dict(by["w1"].desired) == {"zone": "east", "rack": "7"}
    assert "m1" not in by  # unlisted nodes are never touched
    plans = plan_labels({"w1": {}}, lab_nodes(), prune=True)
    assert dict(plans[0].desired) == {}
    assert {c.key for c in plans[0].changes} == {"zone", "disk"}


def apply(nodes: list[NodeInfo], plans: list) -> list[NodeInfo]:  # type: ignore[type-arg]
    want = {p.node.id: p.desired for p in plans}
    return [replace(n, labels=dict(want.get(n.id, n.labels))) for n in nodes]


def test_applying_twice_changes_nothing() -> None:
    declared = load_label_file(FILE)
    nodes = lab_nodes()
    first = plan_labels(declared, nodes, prune=True)
    assert any(p.changed for p in first)
    nodes = apply(nodes, first)
    second = plan_labels(declared, nodes, prune=True)
    assert not any(p.changed for p in second)


def test_node_references() -> None:
    nodes = [node("a", id="abc123def456ghi789jkl0000"), node("b", id="abd999"), node("dup", id="x1"),
             node("dup", id="x2")]
    assert plan_labels({"abc123": {"k": "v"}}, nodes)[0].node.hostname == "a"
    assert plan_labels({"abd999": {"k": "v"}}, nodes)[0].node.hostname == "b"
    with pytest.raises(BadInputError, match="'nope' is not in the swarm") as e:
        plan_labels({"nope": {}}, nodes)
    assert e.value.hint and "a, b, dup, dup" in e.value.hint
    with pytest.raises(BadInputError, match="not in the swarm"):
        plan_labels({"ab": {}}, nodes)  # prefixes shorter than 3 characters are not looked up
    with pytest.raises(BadInputError, match="ambiguous"):
        plan_labels({"dup": {}}, nodes)
    with pytest.raises(BadInputError, match="ambiguous"):
        plan_labels({"abx": {}}, [node("p", id="abx1"), node("q", id="abx2")])
    with pytest.raises(BadInputError, match="declared twice"):
        plan_labels({"a": {}, "abc123": {}}, nodes)


def test_render() -> None:
    assert render_change(LabelAdded("zone", "east")) == "+ zone=east"
    assert render_change(LabelChanged("zone", "west", "east")) == "~ zone: west -> east"
    assert render_change(LabelRemoved("disk", "ssd")) == "- disk=ssd"
