"""The live side of ``cluster status`` and ``cluster label``: read nodes, apply labels.

The engine is passed in (anything with :class:`dockline.swarm.protocols.NodeEngine`'s methods), so the retry and
deadline logic here is tested with a fake and, for real, on the multi-node lab.

A swarm that is losing its leader does not fail fast: for ~15 s the old leader still
answers, then ``/info`` can hang ~20 s and calls fail with "context deadline exceeded"
or "lost leader status" before they settle on "The swarm does not have a leader"
(testbed/swarm-lab.md §3.10). :func:`read_report` therefore retries those transitional
answers until one overall deadline and then reports the quorum as lost, never hangs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import timedelta

from dockline.cluster.labels import NodeLabelPlan
from dockline.cluster.nodes import ClusterReport, assess
from dockline.errors import EngineError, EngineTimeout, NotSwarmManager, QuorumLost
from dockline.retry import Backoff, DeadlinePassed, poll_until
from dockline.swarm.model import NodeInfo
from dockline.swarm.protocols import NodeEngine, Nodes

log = logging.getLogger("dockline.cluster")

NO_LEADER_MESSAGE = "quorum lost: the swarm does not have a leader (too few managers are online)"
QUORUM_HINT = (
    "start the stopped managers (more than half must be online); running replicas keep "
    "serving, but no change can be made until then"
)
# Engine answers seen while Raft changes (or loses) its leader: worth a retry.
_TRANSITIONAL = (
    "deadline exceeded", "lost leader", "leadership", "raft", "no elected cluster leader",
    "context canceled", "code = unavailable", "proposal dropped", "transport is closing",
)
_RETRY = Backoff(first=timedelta(seconds=0.5), factor=1.0, most=timedelta(seconds=0.5))


def _transitional(e: EngineError) -> bool:
    text = e.message.lower()
    return any(t in text for t in _TRANSITIONAL)


def read_nodes(
    engine: NodeEngine,
    timeout: timedelta = timedelta(seconds=20),
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[list[NodeInfo], dict[str, int]]:
    """Nodes and running tasks per node from a manager, within ``timeout`` overall.

    Raises ``QuorumLost`` (no leader, or none within the deadline), ``NotSwarmManager``.
    """
    last = ""

    def answer() -> tuple[list[NodeInfo], dict[str, int]] | None:
        nonlocal last
        try:
            info = engine.info()
            if info.quorum_lost:
                raise QuorumLost(NO_LEADER_MESSAGE, QUORUM_HINT)
            state = info.swarm_state
            if state != "active":
                raise NotSwarmManager(
                    f"this engine is not in a swarm (state: {state})",
                    "point DOCKER_HOST at a swarm manager",
                )
            if not info.control_available:
                raise NotSwarmManager(
                    "this engine is a swarm worker: only managers know the nodes",
                    "point DOCKER_HOST at a manager node",
                )
            error = info.swarm_error
            if error:
                # e.g. "...DeadlineExceeded..." while the managers look for a leader
                raise EngineError(f"the swarm reports: {error}")
            return engine.nodes(), engine.running_tasks_by_node()
        except EngineTimeout as e:
            last = e.message
        except QuorumLost as e:
            # "node lost leader status": the leader stepped down mid-request. Either a new
            # one is being elected (retry succeeds) or quorum is gone (retry says so).
            if "lost its leader" not in e.message:
                raise
            last = e.message
        except EngineError as e:
            if not _transitional(e) and "the swarm reports" not in e.message:
                raise
            last = e.message
        log.debug("swarm not answering yet: %s", last)
        return None

    try:
        return poll_until(answer, deadline=timeout, what="reading the swarm's nodes", backoff=_RETRY,
                          clock=clock, sleep=sleep)
    except DeadlinePassed:
        raise QuorumLost(
            f"quorum lost: no manager leader answered within {timeout.total_seconds():.0f} s "
            f"(last answer: {last})",
            QUORUM_HINT,
        ) from None


def read_report(
    engine: NodeEngine,
    *,
    p: float | None = None,
    timeout: timedelta = timedelta(seconds=20),
) -> ClusterReport:
    """Everything ``cluster status`` shows (the report says itself when quorum is lost)."""
    nodes, tasks = read_nodes(engine, timeout)
    return assess(nodes, tasks, p)


def apply_labels(engine: Nodes, plans: Sequence[NodeLabelPlan]) -> list[NodeInfo]:
    """Write the desired label sets of the plans that change something."""
    done = []
    for plan in plans:
        if plan.changed:
            log.info("labels of %s -> %s", plan.node.hostname, dict(plan.desired))
            done.append(engine.update_node(plan.node.id, labels=dict(plan.desired)))
    return done
