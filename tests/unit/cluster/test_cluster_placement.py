"""Placement constraints: parsing, matching, and the refusal before deploy."""

from __future__ import annotations

import pytest
from clusterfakes import Clock, lab_nodes, node

from dockline.cluster.placement import (
    Demand,
    check_placement,
    check_placement_live,
    demand_of,
    matching_nodes,
    parse_constraint,
    parse_constraints,
    parse_cpus,
    parse_memory,
    unplaceable,
)
from dockline.errors import EXIT_BAD_INPUT, BadInputError, PlacementError


def names(cons: list[str]) -> list[str]:
    return [n.hostname for n in matching_nodes(parse_constraints(cons), lab_nodes())]


# --------------------------------------------------------------------------- parsing
@pytest.mark.parametrize(
    ("text", "key", "op", "value"),
    [
        ("node.labels.zone==east", "node.labels.zone", "==", "east"),
        ("node.labels.zone == east", "node.labels.zone", "==", "east"),
        ("  node.role != manager ", "node.role", "!=", "manager"),
        ("NODE.LABELS.Zone==East", "NODE.LABELS.Zone", "==", "East"),
        ("node.ip == 10.1.0.0/24", "node.ip", "==", "10.1.0.0/24"),
        ("engine.labels.os==linux-x86_64", "engine.labels.os", "==", "linux-x86_64"),
        ("node.hostname!=host.example.com", "node.hostname", "!=", "host.example.com"),
        ("node.labels.a==two words", "node.labels.a", "==", "two words"),
    ],
)
def test_parse_valid(text: str, key: str, op: str, value: str) -> None:
    c = parse_constraint(text)
    assert (c.key, c.operator, c.value, c.text) == (key, op, value, text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("node.labels.zone=east", "no operator"),
        ("node.labels.zone", "no operator"),
        ("", "no operator"),
        ("== east", "key '' is invalid"),
        ("node labels==east", "key 'node labels' is invalid"),
        ("1node.labels.x==a", "is invalid"),
        ("node.labels.zone==", "value '' is invalid"),
        ("node.labels.zone=='east'", "value \"'east'\" is invalid"),
        ("node.labels.zone==east!=west", "is invalid"),
        ("node.labels.zone==a;rm", "is invalid"),
        ("node.labels.==east", "label name is missing"),
        ("engine.labels.==east", "label name is missing"),
        ("node.zone==east", "unknown key 'node.zone'"),
        ("nodes.labels.zone==east", "unknown key"),
        ("node.role==managers", "manager or worker"),
        ("node.ip==10.1.0.999", "address or a CIDR"),
    ],
)
def test_parse_invalid(text: str, message: str) -> None:
    with pytest.raises(BadInputError, match=message.replace("(", r"\(")) as e:
        parse_constraint(text)
    assert e.value.exit_code == EXIT_BAD_INPUT


def test_unknown_key_hint() -> None:
    with pytest.raises(BadInputError) as e:
        parse_constraint("node.zone==east")
    assert e.value.hint and "did you mean node.labels.zone" in e.value.hint


def test_parse_non_string_and_bare_string_list() -> None:
    with pytest.raises(BadInputError):
        parse_constraint(3)  # type: ignore[arg-type]
    with pytest.raises(BadInputError, match="list of strings"):
        parse_constraints("node.role==worker")


def test_not_equal_is_not_parsed_as_equal() -> None:
    c = parse_constraint("node.labels.zone!=east")
    assert c.operator == "!=" and c.value == "east"


# --------------------------------------------------------------------------- matching
@pytest.mark.parametrize(
    ("cons", "expected"),
    [
        ([], ["m1", "m2", "m3", "w1", "w2"]),
        (["node.labels.zone==east"], ["m2", "w1"]),
        (["node.labels.zone == EAST"], ["m2", "w1"]),  # values compare case-insensitively
        (["node.labels.Zone==east"], []),  # label names are case-sensitive
        (["NODE.LABELS.zone==east"], ["m2", "w1"]),  # the prefix is not
        (["node.labels.zone!=east"], ["m1", "m3", "w2"]),  # missing label compares as ""
        (["node.labels.zone==east", "node.role==worker"], ["w1"]),
        (["node.role==manager"], ["m1", "m2", "m3"]),
        (["node.role==WORKER"], ["w1", "w2"]),
        (["node.role!=manager"], ["w1", "w2"]),
        (["node.hostname==w2"], ["w2"]),
        (["node.hostname!=w2"], ["m1", "m2", "m3", "w1"]),
        ([f"node.id=={lab_nodes()[3].id}"], ["w1"]),
        ([f"node.id!={lab_nodes()[3].id.upper()}"], ["m1", "m2", "m3", "w2"]),
        (["node.platform.arch==aarch64"], ["w2"]),
        (["node.platform.os==linux"], ["m1", "m2", "m3", "w1", "w2"]),
        (["node.platform.os!=linux"], []),
        (["engine.labels.gpu==yes"], ["w1"]),
        (["engine.labels.gpu!=yes"], ["m1", "m2", "m3", "w2"]),
        (["node.ip==10.1.0.21"], ["w1"]),
        (["node.ip==10.1.0.16/28"], ["w1", "w2"]),
        (["node.ip!=10.1.0.16/28"], ["m1", "m2", "m3"]),
        (["node.ip==fd00::/8"], []),  # other address family never matches
        (["node.labels.disk==ssd", "node.labels.zone==east"], ["w1"]),
        (["node.labels.disk==ssd", "node.labels.zone==west"], []),
    ],
)
def test_matching(cons: list[str], expected: list[str]) -> None:
    assert names(cons) == expected


def test_node_without_address_never_matches_ip() -> None:
    n = node("x", addr="")
    c = parse_constraint("node.ip==10.0.0.0/8")
    assert not c.matches(n)
    assert parse_constraint("node.ip!=10.0.0.0/8").matches(n)


def test_constraint_properties() -> None:
    c = parse_constraint("node.labels.Zone == east")
    assert c.kind == "node.labels" and c.label == "Zone" and str(c) == "node.labels.Zone == east"
    assert parse_constraint("node.role==worker").label is None


# --------------------------------------------------------------------------- check_placement
def test_check_placement_accepts_placeable_services() -> None:
    check_placement(
        {"web": ["node.labels.zone == east"], "edge": ["node.role == worker"], "free": []},
        lab_nodes(),
    )


def test_check_placement_refuses_with_constraint_and_labels() -> None:
    with pytest.raises(PlacementError) as e:
        check_placement({"web": ["node.labels.zone == mars"], "ok": []}, lab_nodes())
    err = e.value
    assert err.exit_code == EXIT_BAD_INPUT
    assert "1 service(s) cannot be placed (web)" in err.message
    assert "`node.labels.zone == mars`" in err.message
    assert "w1 (worker; disk=ssd, zone=east)" in err.message
    assert "m1 (manager; no labels)" in err.message
    assert err.hint and "nothing was deployed" in err.hint


def test_check_placement_lists_every_bad_service() -> None:
    with pytest.raises(PlacementError) as e:
        check_placement(
            {"b": ["node.role==worker", "node.labels.zone==north"], "a": ["node.hostname==nope"]},
            lab_nodes(),
        )
    assert "2 service(s) cannot be placed (a, b)" in e.value.message
    assert "`node.role == worker` and `node.labels.zone == north`" in e.value.message


def test_drained_or_down_nodes_take_no_tasks() -> None:
    nodes = [
        node("m1", "manager", leader=True),
        node("w1", labels={"zone": "east"}, availability="drain"),
        node("w2", labels={"zone": "east"}, state="down"),
    ]
    with pytest.raises(PlacementError) as e:
        check_placement({"web": ["node.labels.zone==east"]}, nodes)
    assert "matches only w1 (drain/ready), w2 (active/down)" in e.value.message
    bad = unplaceable({"web": ["node.labels.zone==east"]}, nodes)
    assert [n.hostname for n in bad[0].matching] == ["w1", "w2"]
    # one schedulable match is enough
    nodes.append(node("w3", labels={"zone": "east"}))
    check_placement({"web": ["node.labels.zone==east"]}, nodes)


def test_no_nodes_at_all() -> None:
    with pytest.raises(PlacementError, match="nodes: none"):
        check_placement({"web": []}, [])


def test_malformed_constraint_names_the_service() -> None:
    with pytest.raises(BadInputError, match="service web: placement constraint") as e:
        check_placement({"web": ["node.labels.zone=east"]}, lab_nodes())
    assert not isinstance(e.value, PlacementError)


def test_without_the_check_nothing_would_refuse() -> None:
    # the failure the check prevents: an unmatched constraint is not an error by itself
    assert matching_nodes(parse_constraints(["node.labels.zone==mars"]), lab_nodes()) == []


def _workers(state: str) -> list:
    return [node("m1", "manager", leader=True), node("w1", state=state), node("w2", state=state)]


def test_live_check_waits_out_a_leader_election() -> None:
    # after a leader change every worker is `unknown` until it re-registers: not a refusal
    reads = iter([_workers("unknown"), _workers("unknown"), _workers("ready")])
    clock, told = Clock(), []
    check_placement_live({"edge": ["node.role==worker"]}, lambda: next(reads),
                         clock=clock, sleep=clock.sleep, on_wait=told.append)
    assert clock.t == 2.0
    assert told == ["waiting (at most 30 s) for node(s) w1, w2 to report ready"]
    # the same node list, checked once, is refused: what the wait prevents
    with pytest.raises(PlacementError, match=r"w1 \(active/unknown\)"):
        check_placement({"edge": ["node.role==worker"]}, _workers("unknown"))


def test_live_check_is_bounded() -> None:
    clock = Clock()
    with pytest.raises(PlacementError, match="which take\\(s\\) no new tasks"):
        check_placement_live({"edge": ["node.role==worker"]}, lambda: _workers("unknown"),
                             settle=5, clock=clock, sleep=clock.sleep)
    assert clock.t == 5.0


def test_live_check_refuses_down_or_drained_at_once() -> None:
    clock = Clock()
    with pytest.raises(PlacementError):
        check_placement_live({"edge": ["node.role==worker"]}, lambda: _workers("down"),
                             clock=clock, sleep=clock.sleep)
    assert clock.t == 0.0
    check_placement_live({"edge": ["node.role==worker"]}, lambda: _workers("ready"), clock=clock, sleep=clock.sleep)


@pytest.mark.parametrize(("text", "expected"), [
    ("512M", 512 << 20), ("512m", 512 << 20), ("1g", 1 << 30), ("1.5GB", 3 << 29), ("2GiB", 2 << 30),
    ("100", 100), (2048, 2048), ("64k", 64 << 10), ("1 G", 1 << 30),
])
def test_parse_memory(text: object, expected: int) -> None:
    assert parse_memory(text) == expected


@pytest.mark.parametrize("text", ["lots", "1x", "-1G", "", True, None, "1.2.3G"])
def test_parse_memory_invalid(text: object) -> None:
    with pytest.raises(BadInputError, match="is not a size"):
        parse_memory(text, "services.web.deploy.resources.reservations.memory")


def test_parse_cpus() -> None:
    assert parse_cpus("0.5") == 500_000_000
    assert parse_cpus(2) == 2_000_000_000
    assert parse_cpus(" 0.25 ") == 250_000_000
    for bad in ("half", "-1", "inf", "nan", True, None):
        with pytest.raises(BadInputError, match="not a number of CPUs"):
            parse_cpus(bad)


def test_demand_of_compose_service() -> None:
    spec = {"deploy": {"replicas": "3", "placement": {"max_replicas_per_node": 1},
                       "resources": {"reservations": {"cpus": "0.5", "memory": "256M"}}}}
    assert demand_of("web", spec) == Demand(3, 1, 500_000_000, 256 << 20)
    assert demand_of("web", {}) == Demand(replicas=1)
    assert demand_of("web", {"deploy": {"mode": "global", "replicas": 5}}) == Demand(replicas=None)
    with pytest.raises(BadInputError, match=r"services\.web\.deploy\.replicas: 'many'"):
        demand_of("web", {"deploy": {"replicas": "many"}})
    with pytest.raises(BadInputError, match="max_replicas_per_node"):
        demand_of("web", {"deploy": {"placement": {"max_replicas_per_node": -1}}})


def test_max_replicas_per_node_needs_enough_nodes() -> None:
    nodes = [node("m1", "manager", leader=True), node("w1"), node("w2"), node("w3", availability="drain")]
    spread = {"web": Demand(replicas=3, max_per_node=1)}
    # without the demand, the constraint alone is satisfied: this is what would go pending
    check_placement({"web": ["node.role==worker"]}, nodes)
    with pytest.raises(PlacementError) as e:
        check_placement({"web": ["node.role==worker"]}, nodes, spread)
    assert ("3 replicas at max_replicas_per_node 1 need 3 nodes, but only 2 can take it (w1, w2); "
            "1 task(s) would stay pending") in e.value.message
    # no constraint: every schedulable node counts (m1, w1, w2)
    check_placement({}, nodes, spread)
    check_placement({"web": ["node.role==worker"]}, nodes, {"web": Demand(replicas=4, max_per_node=2)})
    check_placement({"web": ["node.role==worker"]}, nodes, {"web": Demand(replicas=0, max_per_node=1)})
    check_placement({"web": ["node.role==worker"]}, nodes, {"web": Demand(replicas=None, max_per_node=1)})


def test_reservation_larger_than_every_node() -> None:
    nodes = [node("m1", "manager", leader=True, cpus=2, memory=4 << 30), node("w1", cpus=4, memory=8 << 30),
             node("w2", cpus=8, memory=2 << 30)]
    big = {"db": Demand(replicas=1, nano_cpus=6_000_000_000, memory_bytes=6 << 30)}
    with pytest.raises(PlacementError) as e:
        check_placement({}, nodes, big)
    assert "each task reserves 6 CPUs and 6 GiB, more than any node that can take it has" in e.value.message
    assert "w1 (4 CPUs, 8 GiB)" in e.value.message
    check_placement({}, nodes, {"db": Demand(replicas=1, nano_cpus=4_000_000_000, memory_bytes=6 << 30)})
    # a node whose capacity is not reported is not refused
    check_placement({}, [node("x")], big)


def test_live_check_waits_for_enough_nodes_after_an_election() -> None:
    def read(state: str) -> list:
        return [node("m1", "manager", leader=True), node("w1"), node("w2", state=state)]

    reads = iter([read("unknown"), read("ready")])
    clock = Clock()
    check_placement_live({"web": ["node.role==worker"]}, lambda: next(reads),
                         {"web": Demand(replicas=2, max_per_node=1)}, clock=clock, sleep=clock.sleep)
    assert clock.t == 1.0
