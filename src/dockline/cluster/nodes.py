"""Swarm nodes as dockline sees them, and the pure assessment behind ``cluster status``.

:class:`~dockline.swarm.model.NodeInfo` (in ``swarm/model.py``) is what the engine's
``nodes()`` returns. :func:`assess` turns a node
list into the quorum state and the warnings an operator should see.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dockline.cluster import quorum
from dockline.cluster.quorum import RiskRow
from dockline.swarm.model import NodeInfo


@dataclass(frozen=True)
class QuorumState:
    """Managers, how many take part in Raft, and how many more may fail."""

    managers: int
    reachable: int
    tolerance: int  # (N-1)//2
    needed: int  # majority: N//2 + 1
    leader: str | None  # hostname

    @property
    def margin(self) -> int:
        """Further manager failures the swarm survives now (negative: quorum lost)."""
        return self.reachable - self.needed

    @property
    def lost(self) -> bool:
        return self.managers > 0 and self.reachable < self.needed


@dataclass(frozen=True)
class ClusterWarning:
    """Something an operator should act on. ``code`` is stable (for --json consumers)."""

    code: str
    message: str


@dataclass(frozen=True)
class ClusterReport:
    """What ``dockline cluster status`` shows."""

    nodes: tuple[NodeInfo, ...]
    quorum: QuorumState
    warnings: tuple[ClusterWarning, ...]
    running_tasks: Mapping[str, int]  # node id -> running tasks
    risk: RiskRow | None  # for the given P, with N and default K


def quorum_state(nodes: Sequence[NodeInfo]) -> QuorumState:
    """Count managers and reachable managers; name the leader."""
    managers = [n for n in nodes if n.is_manager]
    count = len(managers)
    leader = next((n.hostname for n in managers if n.manager is not None and n.manager.leader), None)
    if count == 0:
        return QuorumState(0, 0, 0, 0, None)
    return QuorumState(
        managers=count,
        reachable=sum(1 for n in managers if n.reachable),
        tolerance=quorum.default_tolerance(count),
        needed=quorum.majority(count),
        leader=leader,
    )


def assess(
    nodes: Sequence[NodeInfo],
    running_tasks: Mapping[str, int] | None = None,
    p: float | None = None,
) -> ClusterReport:
    """Quorum state plus warnings for a node list (pure)."""
    tasks = dict(running_tasks or {})
    q = quorum_state(nodes)
    warnings: list[ClusterWarning] = []
    managers = [n for n in nodes if n.is_manager]
    workers = [n for n in nodes if not n.is_manager]
    if q.lost:
        warnings.append(ClusterWarning(
            "quorum-lost",
            f"quorum lost: {q.reachable} of {q.managers} managers reachable, {q.needed} needed; "
            "no change can be made to the swarm (running replicas keep serving)",
        ))
    elif q.managers and q.margin == 0 and q.managers > 1:
        warnings.append(ClusterWarning(
            "no-margin",
            f"margin 0: {q.reachable} of {q.managers} managers reachable; one more manager failure "
            "loses quorum",
        ))
    if q.managers == 1:
        warnings.append(ClusterWarning(
            "single-manager",
            "a single manager: losing it loses control of the swarm (tolerance 0); run 3 managers",
        ))
    if q.managers and q.managers % 2 == 0:
        warnings.append(ClusterWarning(
            "even-managers",
            f"{q.managers} managers tolerate {q.tolerance} failure(s), no more than "
            f"{q.managers - 1} would, and add one more node that can fail: use an odd count",
        ))
    if q.managers > quorum.DOCKER_MAX_MANAGERS:
        warnings.append(ClusterWarning(
            "many-managers",
            f"{q.managers} managers: Docker recommends at most {quorum.DOCKER_MAX_MANAGERS} "
            "(every manager adds Raft traffic)",
        ))
    for n in managers:
        if n.state != "ready" or (n.manager is not None and not n.reachable):
            reach = n.manager.reachability if n.manager is not None else "?"
            warnings.append(ClusterWarning("manager-down", f"manager {n.hostname} is {n.state} ({reach})"))
    for n in workers:
        if n.state != "ready":
            warnings.append(ClusterWarning("node-down", f"worker {n.hostname} is {n.state}"))
    if workers:
        busy = [n for n in managers if tasks.get(n.id, 0) > 0]
        if busy:
            names = ", ".join(f"{n.hostname} ({tasks[n.id]} task(s))" for n in busy)
            warnings.append(ClusterWarning(
                "manager-workloads",
                f"managers run workloads: {names}; drain them "
                "(`docker node update --availability drain <node>`) so tasks cannot starve Raft",
            ))
    for n in nodes:
        if n.availability != "active":
            warnings.append(ClusterWarning(
                "node-drained" if n.availability == "drain" else "node-paused",
                f"{n.role} {n.hostname} is {n.availability}: it takes no new tasks",
            ))
    risk = None
    if p is not None and q.managers:
        risk = quorum.risk_row(q.managers, p)
    return ClusterReport(tuple(nodes), q, tuple(warnings), tasks, risk)


def resolve_node(ref: str, nodes: Sequence[NodeInfo]) -> NodeInfo | None | tuple[NodeInfo, ...]:
    """A node by hostname, full id or unique id prefix (like the docker CLI).

    Returns the node, ``None`` when nothing matches, or the candidates when ambiguous.
    """
    exact = [n for n in nodes if n.id == ref]
    if exact:
        return exact[0]
    by_name = [n for n in nodes if n.hostname == ref]
    if len(by_name) == 1:
        return by_name[0]
    if len(by_name) > 1:
        return tuple(by_name)
    by_prefix = [n for n in nodes if n.id.startswith(ref)] if len(ref) >= 3 else []
    if len(by_prefix) == 1:
        return by_prefix[0]
    if len(by_prefix) > 1:
        return tuple(by_prefix)
    return None
