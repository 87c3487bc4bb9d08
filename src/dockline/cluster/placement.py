"""Placement constraints, evaluated the way the swarm scheduler does, before a deploy.

A service whose constraints no node satisfies does not fail in Docker: its task stays
``pending`` forever ("no suitable node"). :func:`check_placement` finds that before
anything is applied and refuses with the constraint and every node's labels.

Semantics follow swarmkit's ``manager/constraint`` package: an expression is
``key == value`` or ``key != value`` (spaces around the operator are allowed); several
constraints on one service must all hold; keys are case-insensitive except the label
name after ``node.labels.`` / ``engine.labels.``; values compare case-insensitively and
literally (no globbing); a missing label compares as the empty string (so ``!=`` holds);
``node.ip`` takes an address or a CIDR. swarmkit silently matches *no* node for an
unknown key or a malformed ``node.ip``; here those are bad input.
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from dockline.cluster.nodes import NodeInfo
from dockline.errors import BadInputError, PlacementError

# The key and value patterns of swarmkit (manager/constraint/constraint.go).
_KEY = re.compile(r"[a-z_][a-z0-9\-_.]+", re.IGNORECASE)
_VALUE = re.compile(r"[a-z0-9:\-_\s.*()?+\[\]\\^$|/]+", re.IGNORECASE)
_OPERATORS = ("==", "!=")
_FIXED_KEYS = ("node.id", "node.hostname", "node.ip", "node.role", "node.platform.os", "node.platform.arch")
_NODE_LABELS = "node.labels."
_ENGINE_LABELS = "engine.labels."
_ROLES = ("manager", "worker")


@dataclass(frozen=True)
class Constraint:
    """One parsed placement constraint."""

    key: str  # as written, trimmed (label names keep their case)
    operator: str  # "==" | "!="
    value: str
    text: str  # the expression as given

    @property
    def kind(self) -> str:
        """``node.labels``, ``engine.labels`` or the fixed key in lower case."""
        low = self.key.lower()
        if low.startswith(_NODE_LABELS):
            return "node.labels"
        if low.startswith(_ENGINE_LABELS):
            return "engine.labels"
        return low

    @property
    def label(self) -> str | None:
        """The label name for ``node.labels.*`` / ``engine.labels.*`` keys."""
        if self.kind in ("node.labels", "engine.labels"):
            return self.key.split(".", 2)[2]
        return None

    def __str__(self) -> str:
        return f"{self.key} {self.operator} {self.value}"

    def matches(self, node: NodeInfo) -> bool:
        """Whether ``node`` satisfies this constraint."""
        kind = self.kind
        if kind == "node.ip":
            return self._match_ip(node.addr)
        if kind == "node.labels":
            actual = node.labels.get(self.label or "", "")
        elif kind == "engine.labels":
            actual = node.engine_labels.get(self.label or "", "")
        else:
            actual = {
                "node.id": node.id,
                "node.hostname": node.hostname,
                "node.role": node.role,
                "node.platform.os": node.platform_os,
                "node.platform.arch": node.platform_arch,
            }[kind]
        equal = self.value.casefold() == actual.casefold()
        return equal if self.operator == "==" else not equal

    def _match_ip(self, addr: str) -> bool:
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            inside = False
        else:
            net = ipaddress.ip_network(self.value, strict=False)
            inside = ip.version == net.version and ip in net
        return inside if self.operator == "==" else not inside


def parse_constraint(text: str) -> Constraint:
    """Parse ``key == value`` / ``key != value``; raise :class:`BadInputError` when malformed."""
    if not isinstance(text, str):
        raise BadInputError(f"a placement constraint must be a string, got {text!r}")
    for op in _OPERATORS:
        if op not in text:
            continue
        raw_key, raw_value = text.split(op, 1)
        key, value = raw_key.strip(), raw_value.strip()
        if not _KEY.fullmatch(key):
            raise BadInputError(
                f"placement constraint {text!r}: key {key!r} is invalid",
                "keys look like node.labels.zone, node.role, node.hostname",
            )
        if not _VALUE.fullmatch(value):
            raise BadInputError(
                f"placement constraint {text!r}: value {value!r} is invalid",
                "values are letters, digits and : - _ . / (no quotes, no operators)",
            )
        c = Constraint(key, op, value, text)
        _check_key(c)
        return c
    raise BadInputError(
        f"placement constraint {text!r} has no operator",
        "write `key == value` or `key != value`, e.g. node.labels.zone == east",
    )


def _check_key(c: Constraint) -> None:
    low = c.key.lower()
    if low in _FIXED_KEYS:
        if low == "node.role" and c.value.lower() not in _ROLES:
            raise BadInputError(
                f"placement constraint {c.text!r}: node.role is manager or worker, not {c.value!r}"
            )
        if low == "node.ip":
            try:
                ipaddress.ip_network(c.value, strict=False)
            except ValueError:
                raise BadInputError(
                    f"placement constraint {c.text!r}: node.ip takes an address or a CIDR, "
                    f"not {c.value!r}"
                ) from None
        return
    for prefix in (_NODE_LABELS, _ENGINE_LABELS):
        if low.startswith(prefix):
            if len(c.key) == len(prefix):
                raise BadInputError(f"placement constraint {c.text!r}: the label name is missing")
            return
    hint = "known keys: " + ", ".join((*_FIXED_KEYS, "node.labels.<name>", "engine.labels.<name>"))
    if low.startswith("node.") and low.count(".") == 1:
        hint = f"did you mean node.labels.{c.key.split('.', 1)[1]}? " + hint
    raise BadInputError(
        f"placement constraint {c.text!r}: unknown key {c.key!r} (the swarm would match no node)",
        hint,
    )


def parse_constraints(texts: Sequence[str]) -> tuple[Constraint, ...]:
    """Parse a service's constraint list (all must hold)."""
    if isinstance(texts, str):
        raise BadInputError(f"placement constraints must be a list of strings, got {texts!r}")
    return tuple(parse_constraint(t) for t in texts)


def matching_nodes(constraints: Sequence[Constraint], nodes: Sequence[NodeInfo]) -> list[NodeInfo]:
    """Nodes that satisfy every constraint (regardless of availability)."""
    return [n for n in nodes if all(c.matches(n) for c in constraints)]


@dataclass(frozen=True)
class Unplaceable:
    """A service no node can take, with why."""

    service: str
    constraints: tuple[Constraint, ...]
    matching: tuple[NodeInfo, ...]  # nodes that match but take no new tasks (drained, down)

    def describe(self, nodes: Sequence[NodeInfo]) -> str:
        cons = " and ".join(f"`{c}`" for c in self.constraints) or "no constraint"
        if self.matching:
            why = (
                f"{cons} matches only "
                + ", ".join(f"{n.hostname} ({n.availability}/{n.state})" for n in self.matching)
                + ", which take(s) no new tasks"
            )
        else:
            why = f"no node satisfies {cons}"
        listing = "; ".join(n.describe() for n in sorted(nodes, key=lambda n: n.hostname)) or "none"
        return f"service {self.service}: {why}; nodes: {listing}"


def unplaceable(services: Mapping[str, Sequence[str]], nodes: Sequence[NodeInfo]) -> list[Unplaceable]:
    """Services whose constraints no schedulable node satisfies (pure).

    Raises :class:`BadInputError` naming the service when a constraint is malformed.
    """
    out = []
    for name in sorted(services):
        try:
            cons = parse_constraints(services[name])
        except BadInputError as e:
            raise BadInputError(f"service {name}: {e.message}", e.hint) from e
        match = matching_nodes(cons, nodes)
        if not any(n.schedulable for n in match):
            out.append(Unplaceable(name, cons, tuple(match)))
    return out


def check_placement(services: Mapping[str, Sequence[str]], nodes: Sequence[NodeInfo]) -> None:
    """Refuse (``PlacementError``, exit 2) when a service's constraints fit no live node.

    ``services`` maps a service name to its constraint strings; ``nodes`` is the live
    node list (``Engine.nodes()``). Malformed constraints raise ``BadInputError``.
    """
    bad = unplaceable(services, nodes)
    if not bad:
        return
    _refuse(bad, nodes)


def _refuse(bad: Sequence[Unplaceable], nodes: Sequence[NodeInfo]) -> None:
    names = ", ".join(u.service for u in bad)
    raise PlacementError(
        f"{len(bad)} service(s) cannot be placed ({names}): "
        + " | ".join(u.describe(nodes) for u in bad),
        "label the nodes (`dockline cluster label -f nodes.yml`) or fix the constraint; "
        "nothing was deployed",
    )


# Node states that resolve by themselves within seconds: after a leader election the new
# leader marks every node ``unknown`` until it re-registers (swarmkit's dispatcher), and a
# node that reconnects passes through ``disconnected``. A service whose only candidates
# are in such a state is not refused at once: the check re-reads the nodes for a while.
TRANSIENT_STATES = ("unknown", "disconnected")


def _waiting_on_transient(bad: Sequence[Unplaceable]) -> bool:
    return any(n.availability == "active" and n.state in TRANSIENT_STATES for u in bad for n in u.matching)


def check_placement_live(
    services: Mapping[str, Sequence[str]],
    read_nodes: Callable[[], Sequence[NodeInfo]],
    *,
    settle: float = 30.0,
    interval: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    on_wait: Callable[[str], None] | None = None,
) -> None:
    """:func:`check_placement` against live nodes, riding out transient node states.

    When every node that could take a service is active but ``unknown``/``disconnected``
    (the swarm has just elected a leader, or a node is reconnecting), the nodes are
    re-read every ``interval`` seconds for at most ``settle`` seconds; the check then
    passes as soon as a candidate is ready, and refuses (exit 2) with the last node list
    when none became ready. Drained, paused and down nodes are refused at once.
    """
    deadline = clock() + settle
    told = False
    while True:
        nodes = read_nodes()
        bad = unplaceable(services, nodes)
        if not bad:
            return
        if not _waiting_on_transient(bad) or clock() >= deadline:
            _refuse(bad, nodes)
        if on_wait is not None and not told:
            waiting = sorted({n.hostname for u in bad for n in u.matching if n.state in TRANSIENT_STATES})
            on_wait(f"waiting (at most {settle:.0f} s) for node(s) {', '.join(waiting)} to report ready")
            told = True
        sleep(interval)
