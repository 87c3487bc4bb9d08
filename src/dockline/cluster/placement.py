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
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from dockline.errors import BadInputError, PlacementError
from dockline.retry import Backoff, DeadlinePassed, poll_until
from dockline.swarm.model import NodeInfo

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


_MEMORY = re.compile(r"(\d+(?:\.\d+)?) ?([kmgtp])?i?b?", re.IGNORECASE)
_MEMORY_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}


def parse_memory(value: object, where: str = "memory") -> int:
    """Bytes of a compose memory value (``512M``, ``1.5g``, ``1024``), the way ``docker stack
    deploy`` reads it (binary multiples; case, ``b`` and ``ib`` suffixes ignored)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise BadInputError(f"{where}: {value!r} is not a size", "write a size such as 512M or 2G")
    m = _MEMORY.fullmatch(str(value).strip())
    if m is None:
        raise BadInputError(f"{where}: {value!r} is not a size", "write a size such as 512M or 2G")
    return int(float(m.group(1)) * _MEMORY_UNITS[(m.group(2) or "").lower()])


def parse_cpus(value: object, where: str = "cpus") -> int:
    """Nano-CPUs of a compose ``cpus`` value (``0.5`` → 500000000)."""
    bad = BadInputError(f"{where}: {value!r} is not a number of CPUs", "write a number such as 0.5 or 2")
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise bad
    try:
        cpus = float(str(value).strip())
    except ValueError:
        raise bad from None
    if cpus < 0 or not math.isfinite(cpus):
        raise bad
    return round(cpus * 1e9)


@dataclass(frozen=True)
class Demand:
    """What a service asks of the nodes beyond its constraints."""

    replicas: int | None = None  # replicated mode; None for global
    max_per_node: int | None = None  # deploy.placement.max_replicas_per_node (0/None: no limit)
    nano_cpus: int = 0  # deploy.resources.reservations.cpus, per task
    memory_bytes: int = 0  # deploy.resources.reservations.memory, per task

    def fits(self, node: NodeInfo) -> bool:
        """One task's reservation fits the node's capacity (an unknown capacity fits)."""
        return (not self.nano_cpus or not node.nano_cpus or self.nano_cpus <= node.nano_cpus) and (
            not self.memory_bytes or not node.memory_bytes or self.memory_bytes <= node.memory_bytes)

    def describe_reservation(self) -> str:
        parts = []
        if self.nano_cpus:
            parts.append(f"{self.nano_cpus / 1e9:g} CPUs")
        if self.memory_bytes:
            parts.append(_size(self.memory_bytes))
        return " and ".join(parts)


def _size(n: int) -> str:
    for unit, mult in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= mult:
            return f"{n / mult:.4g} {unit}"
    return f"{n} B"


def _capacity(node: NodeInfo) -> str:
    return f"{node.hostname} ({node.nano_cpus / 1e9:g} CPUs, {_size(node.memory_bytes)})"


def demand_of(service: str, spec: Mapping[str, object]) -> Demand:
    """The :class:`Demand` of one compose service (``services.NAME`` after interpolation)."""
    deploy = spec.get("deploy") if isinstance(spec, Mapping) else None
    deploy = deploy if isinstance(deploy, Mapping) else {}
    where = f"services.{service}.deploy"
    replicated = str(deploy.get("mode") or "replicated") == "replicated"
    replicas = deploy.get("replicas", 1)
    placement = deploy.get("placement") if isinstance(deploy.get("placement"), Mapping) else {}
    max_per_node = placement.get("max_replicas_per_node") if isinstance(placement, Mapping) else None
    resources = deploy.get("resources") if isinstance(deploy.get("resources"), Mapping) else {}
    reservations = resources.get("reservations") if isinstance(resources, Mapping) else None
    reservations = reservations if isinstance(reservations, Mapping) else {}
    cpus, memory = reservations.get("cpus"), reservations.get("memory")
    return Demand(
        replicas=_count(replicas, f"{where}.replicas") if replicated else None,
        max_per_node=_count(max_per_node, f"{where}.placement.max_replicas_per_node") if max_per_node is not None
        else None,
        nano_cpus=parse_cpus(cpus, f"{where}.resources.reservations.cpus") if cpus is not None else 0,
        memory_bytes=parse_memory(memory, f"{where}.resources.reservations.memory") if memory is not None else 0,
    )


def _count(value: object, where: str) -> int:
    bad = BadInputError(f"{where}: {value!r} is not a whole number", "write a number such as 2")
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise bad
    try:
        n = int(str(value).strip())
    except ValueError:
        raise bad from None
    if n < 0:
        raise bad
    return n


def matching_nodes(constraints: Sequence[Constraint], nodes: Sequence[NodeInfo]) -> list[NodeInfo]:
    """Nodes that satisfy every constraint (regardless of availability)."""
    return [n for n in nodes if all(c.matches(n) for c in constraints)]


@dataclass(frozen=True)
class Unplaceable:
    """A service no node can take, with why."""

    service: str
    constraints: tuple[Constraint, ...]
    matching: tuple[NodeInfo, ...]  # nodes that match but take no new tasks (drained, down)
    reason: str | None = None  # set when nodes match but cannot take every task (size, spread)

    def describe(self, nodes: Sequence[NodeInfo]) -> str:
        cons = " and ".join(f"`{c}`" for c in self.constraints) or "no constraint"
        if self.reason:
            why = self.reason
        elif self.matching:
            why = (
                f"{cons} matches only "
                + ", ".join(f"{n.hostname} ({n.availability}/{n.state})" for n in self.matching)
                + ", which take(s) no new tasks"
            )
        else:
            why = f"no node satisfies {cons}"
        listing = "; ".join(n.describe() for n in sorted(nodes, key=lambda n: n.hostname)) or "none"
        return f"service {self.service}: {why}; nodes: {listing}"


def unplaceable(services: Mapping[str, Sequence[str]], nodes: Sequence[NodeInfo],
                demands: Mapping[str, Demand] | None = None) -> list[Unplaceable]:
    """Services whose constraints no schedulable node satisfies (pure); with ``demands``,
    also services whose reservation no matching node is large enough for, or whose replicas
    exceed what ``max_replicas_per_node`` lets the matching nodes hold.

    Raises :class:`BadInputError` naming the service when a constraint is malformed.
    """
    out = []
    for name in sorted(set(services) | set(demands or {})):
        try:
            cons = parse_constraints(services.get(name, ()))
        except BadInputError as e:
            raise BadInputError(f"service {name}: {e.message}", e.hint) from e
        match = matching_nodes(cons, nodes)
        ready = [n for n in match if n.schedulable]
        if not ready:
            out.append(Unplaceable(name, cons, tuple(match)))
            continue
        demand = (demands or {}).get(name)
        if demand is None:
            continue
        if demand.replicas == 0:
            continue  # scaled to zero: nothing to place
        fit = [n for n in ready if demand.fits(n)]
        if not fit:
            biggest = ", ".join(_capacity(n) for n in ready)
            out.append(Unplaceable(name, cons, tuple(ready), reason=(
                f"each task reserves {demand.describe_reservation()}, more than any node that can take it has: "
                f"{biggest}")))
        elif demand.replicas and demand.max_per_node and len(fit) * demand.max_per_node < demand.replicas:
            need = -(-demand.replicas // demand.max_per_node)
            out.append(Unplaceable(name, cons, tuple(fit), reason=(
                f"{demand.replicas} replicas at max_replicas_per_node {demand.max_per_node} need {need} nodes, "
                f"but only {len(fit)} can take it ({', '.join(n.hostname for n in fit)}); "
                f"{demand.replicas - len(fit) * demand.max_per_node} task(s) would stay pending")))
    return out


def check_placement(services: Mapping[str, Sequence[str]], nodes: Sequence[NodeInfo],
                    demands: Mapping[str, Demand] | None = None) -> None:
    """Refuse (``PlacementError``, exit 2) when a service's constraints fit no live node.

    ``services`` maps a service name to its constraint strings; ``nodes`` is the live
    node list (``Engine.nodes()``). Malformed constraints raise ``BadInputError``.
    """
    bad = unplaceable(services, nodes, demands)
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


def _transient(bad: Sequence[Unplaceable], nodes: Sequence[NodeInfo]) -> list[str]:
    """Active nodes in a transient state that some refused service could use."""
    return sorted({n.hostname for u in bad for n in matching_nodes(u.constraints, nodes)
                   if n.availability == "active" and n.state in TRANSIENT_STATES})


def check_placement_live(
    services: Mapping[str, Sequence[str]],
    read_nodes: Callable[[], Sequence[NodeInfo]],
    demands: Mapping[str, Demand] | None = None,
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
    told = False
    last: tuple[list[Unplaceable], Sequence[NodeInfo]] = ([], ())
    waiting: list[str] = []

    def placeable() -> bool | None:
        nonlocal last, waiting
        nodes = read_nodes()
        bad = unplaceable(services, nodes, demands)
        if not bad:
            return True
        waiting = _transient(bad, nodes)
        if not waiting:
            _refuse(bad, nodes)
        last = (bad, nodes)
        return None

    def pause(seconds: float) -> None:
        nonlocal told
        if on_wait is not None and not told:  # told once, before the first wait
            on_wait(f"waiting (at most {settle:.0f} s) for node(s) {', '.join(waiting)} to report ready")
            told = True
        sleep(seconds)

    steady = timedelta(seconds=interval)
    try:
        poll_until(placeable, deadline=timedelta(seconds=settle), what="nodes to report ready",
                   backoff=Backoff(first=steady, factor=1.0, most=steady), clock=clock, sleep=pause)
    except DeadlinePassed:
        _refuse(*last)
