"""Wait until swarm services converge, fail, or roll back: the verdict of a deploy.

A service has **converged** when every task made from its current spec that should run is
running, every such task with a HEALTHCHECK is healthy, and its rolling update (if any) is
``completed``. It has **failed** when its update paused, a task cannot be placed on any
node ("no suitable node", e.g. a placement constraint no node matches or a host-mode port
already in use), or a task slot failed past the restart policy. It has **rolled back**
when the update turned ``rollback_completed`` (we wait for a started rollback to finish, so
the verdict says the old version is back and running). Anything else at the deadline is a time-out.

The verdict is a pure function of a snapshot (:func:`assess_service`), so it is unit-tested
without an engine; :func:`wait_services` takes snapshots when the engine reports a service
or container event, and otherwise polls with a short, growing interval (0.1 s to 0.5 s:
task state changes have no event on API 1.41).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from dockline.swarm.model import ServiceInfo, TaskInfo
from dockline.swarm.protocols import EventStream, WaitEngine

log = logging.getLogger("dockline.swarm.wait")

#: Without ``restart_policy.max_attempts``, a slot whose task failed this often counts as failing.
DEFAULT_FAILURE_LIMIT = 3
#: Tolerance between this machine's clock and the manager's when telling fresh from old updates.
CLOCK_SKEW = timedelta(seconds=2)
MIN_POLL = timedelta(seconds=0.1)
MAX_POLL = timedelta(seconds=0.5)

# Service verdicts (per service; the outcome classes below are for the whole wait).
CONVERGING = "converging"
CONVERGED = "converged"
FAILED = "failed"
ROLLING_BACK = "rolling_back"
ROLLED_BACK = "rolled_back"
MISSING = "missing"


@dataclass(frozen=True)
class TaskHealth:
    """What the engine knows of a task's container health (local containers only)."""

    status: str | None  # starting | healthy | unhealthy | None (no healthcheck)
    last_output: str | None


@dataclass(frozen=True)
class ServiceState:
    """One service at one moment of a wait."""

    name: str
    verdict: str  # converging | converged | failed | rolling_back | rolled_back | missing
    desired: int
    running: int
    healthy: int
    update_state: str | None
    update_message: str | None
    last_error: str | None
    last_health_output: str | None
    reason: str | None = None

    @property
    def decided(self) -> bool:
        return self.verdict in (CONVERGED, FAILED, ROLLED_BACK, MISSING)


@dataclass(frozen=True)
class ProgressSnapshot:
    """All services of a wait at one moment (handed to ``on_progress``)."""

    elapsed: timedelta
    services: tuple[ServiceState, ...]


@dataclass(frozen=True)
class Converged:
    """Every service converged: running == desired, healthy, update completed."""

    services: tuple[ServiceState, ...]
    elapsed: timedelta

    exit_code = 0
    kind = "converged"


@dataclass(frozen=True)
class _NotConverged:
    services: tuple[ServiceState, ...]
    elapsed: timedelta
    reasons: tuple[str, ...]  # one line per service that did not converge

    exit_code = 1


@dataclass(frozen=True)
class Failed(_NotConverged):
    """At least one service failed (update paused, unplaceable task, tasks failing)."""

    kind = "failed"


@dataclass(frozen=True)
class RolledBack(_NotConverged):
    """At least one service's update was rolled back by the swarm."""

    kind = "rolled_back"


@dataclass(frozen=True)
class TimedOut(_NotConverged):
    """The deadline passed before every service converged."""

    kind = "timed_out"


WaitOutcome = Converged | Failed | RolledBack | TimedOut


# --------------------------------------------------------------------------- the verdict
def _fresh(at: datetime | None, since: datetime | None) -> bool:
    return since is None or at is None or at >= since - CLOCK_SKEW


def assess_service(
    service: ServiceInfo,
    tasks: Sequence[TaskInfo],
    *,
    since: datetime | None,
    health: Mapping[str, TaskHealth] | None = None,
    failure_limit: int = DEFAULT_FAILURE_LIMIT,
) -> ServiceState:
    """The verdict for one service from its spec, its tasks and (optionally) the health of
    their containers. Pure."""
    health = health or {}
    current = [t for t in tasks if t.service_id == service.id and t.spec_key == service.task_spec_key]
    live = [t for t in current if t.desired_state == "running"]
    running = [t for t in live if t.state == "running"]
    healthy = [t for t in running if (health.get(t.id) or TaskHealth(None, None)).status in (None, "healthy")]
    if service.mode.startswith("global"):
        desired = len({t.node_id for t in live if t.node_id})
    else:
        desired = service.replicas if service.replicas is not None else 1

    mine = [t for t in tasks if t.service_id == service.id]
    errored = sorted((t for t in mine if t.error and _fresh(t.timestamp, since)),
                     key=lambda t: t.timestamp or datetime.min.replace(tzinfo=UTC))
    last_error = None
    last_health = None
    if errored:
        t = errored[-1]
        last_error = f"{t.error} ({t.state}: {t.message})" if t.message and t.message != t.error else t.error
    for t in sorted(mine, key=lambda t: t.timestamp or datetime.min.replace(tzinfo=UTC), reverse=True):
        h = health.get(t.id)
        if h is not None and h.last_output and (h.status != "healthy" or t.state != "running"):
            last_health = h.last_output
            break

    upd = service.update
    state = ServiceState(
        name=service.name,
        verdict=CONVERGING,
        desired=desired,
        running=len(running),
        healthy=len(healthy),
        update_state=upd.state if upd else None,
        update_message=(upd.message or None) if upd else None,
        last_error=last_error,
        last_health_output=last_health,
    )

    def verdict(v: str, reason: str | None = None) -> ServiceState:
        return replace(state, verdict=v, reason=reason)

    fresh_update = upd is not None and _fresh(upd.started_at, since)
    if upd is not None and upd.state == "rollback_completed" and fresh_update:
        if len(running) >= desired and len(healthy) == len(running):
            return verdict(ROLLED_BACK, f"{service.name}: update rolled back ({upd.message or 'rollback completed'})")
        return verdict(ROLLING_BACK, f"{service.name}: rolled back, waiting for the previous version to run again")
    if upd is not None and upd.state == "rollback_paused":
        return verdict(FAILED, f"{service.name}: rollback paused ({upd.message})")
    if upd is not None and upd.state == "paused":
        return verdict(FAILED, f"{service.name}: update paused ({upd.message})")
    if upd is not None and upd.state == "rollback_started":
        return verdict(ROLLING_BACK, f"{service.name}: rolling back ({upd.message})")

    # A task that no node can take stays pending: report it now, not at the deadline. While
    # an old task is still stopping (stop-first), its port or resources are not free yet.
    # The scheduler retries when they are freed, so an error older than a stop is stale too.
    stopped = [t for t in mine if t.desired_state in ("shutdown", "remove")]
    for t in live:
        stale = any(not o.terminal or (o.timestamp and t.timestamp and o.timestamp >= t.timestamp)
                    for o in stopped)
        if (t.state in ("pending", "new", "allocated") and t.error and "no suitable node" in t.error
                and not stale):
            return verdict(FAILED, f"{service.name}: no node can take task {t.slot or t.node_id or t.id[:12]}: {t.error}")

    # Tasks failing past the restart policy (only failures of this deploy count).
    limit = service.restart_max_attempts or failure_limit
    failures: dict[object, int] = defaultdict(int)
    # A long-running task that ended "complete" also died (an unhealthy nginx is killed and
    # exits 0); tasks stopped on purpose end "shutdown".
    ended = ("failed", "rejected") if service.mode.endswith("job") else ("failed", "rejected", "complete")
    for t in current:
        if t.state in ended and _fresh(t.timestamp, since):
            failures[t.slot if t.slot is not None else t.node_id] += 1
    for slot, n in failures.items():
        if n >= limit:
            pending_here = [t for t in live if (t.slot if t.slot is not None else t.node_id) == slot
                            and not t.terminal]
            if not pending_here or service.restart_max_attempts is None:
                why = last_error or (f"last healthcheck: {last_health.splitlines()[-1]}" if last_health
                                     else "no error reported")
                return verdict(FAILED, f"{service.name}: task slot {slot} failed {n} times ({why})")

    update_done = upd is None or upd.state == "completed" or not fresh_update
    if update_done and upd is not None and upd.state == "updating":
        update_done = False  # an update still running, however old
    if update_done and len(running) >= desired and len(healthy) == len(running) and desired > 0:
        return verdict(CONVERGED)
    if update_done and desired == 0 and not service.mode.startswith("global"):
        return verdict(CONVERGED)
    return state


def decide(snapshot: ProgressSnapshot, *, final: bool = False) -> WaitOutcome | None:
    """The outcome once every service is decided (or ``final``: the deadline passed)."""
    states = snapshot.services
    if not final and not all(s.decided for s in states):
        return None
    reasons = tuple(s.reason or f"{s.name}: {s.verdict}" for s in states if s.verdict != CONVERGED)
    if any(s.verdict in (FAILED, MISSING) for s in states):
        return Failed(states, snapshot.elapsed, reasons)
    if any(s.verdict == ROLLED_BACK for s in states):
        return RolledBack(states, snapshot.elapsed, reasons)
    if final and not all(s.verdict == CONVERGED for s in states):
        pending = tuple(
            s.reason or f"{s.name}: {s.running}/{s.desired} running, {s.healthy} healthy,"
                        f" update {s.update_state or 'none'}"
            for s in states if s.verdict != CONVERGED
        )
        return TimedOut(states, snapshot.elapsed, pending)
    return Converged(states, snapshot.elapsed)


# --------------------------------------------------------------------------- the loop
class _Snapshotter:
    """Takes snapshots through the engine; caches the health of finished tasks."""

    def __init__(self, engine: WaitEngine, names: Sequence[str], since: datetime | None):
        self.engine = engine
        self.names = list(names)
        self.since = since
        self._final_health: dict[str, TaskHealth] = {}

    def _health(self, t: TaskInfo) -> TaskHealth | None:
        if t.id in self._final_health:
            return self._final_health[t.id]
        if not t.container_id:
            return None
        c = self.engine.container(t.container_id)
        if c is None:  # on another node, or gone
            return None
        log_lines = tuple(getattr(c, "health_log", ()) or ())
        h = TaskHealth(status=getattr(c, "health", None), last_output=log_lines[-1] if log_lines else None)
        if t.terminal:
            self._final_health[t.id] = h
        return h

    def take(self, elapsed: timedelta) -> ProgressSnapshot:
        services = {s.name: s for s in self.engine.services(names=self.names)}
        tasks = self.engine.tasks([s.id for s in services.values()]) if services else []
        states = []
        for name in self.names:
            svc = services.get(name)
            if svc is None:
                states.append(ServiceState(name, MISSING, 0, 0, 0, None, None, None, None,
                                           f"{name}: the service does not exist"))
                continue
            mine = [t for t in tasks if t.service_id == svc.id]
            health: dict[str, TaskHealth] = {}
            # Health of live tasks of the current spec, and of the newest failed ones.
            interesting = [t for t in mine if t.spec_key == svc.task_spec_key and t.desired_state == "running"
                           and t.state in ("starting", "running")]
            failed = sorted((t for t in mine if t.terminal and _fresh(t.timestamp, self.since)),
                            key=lambda t: t.timestamp or datetime.min.replace(tzinfo=UTC))[-3:]
            for t in interesting + failed:
                h = self._health(t)
                if h is not None:
                    health[t.id] = h
            states.append(assess_service(svc, mine, since=self.since, health=health))
        return ProgressSnapshot(elapsed=elapsed, services=tuple(states))


def wait_services(
    engine: WaitEngine,
    services: Sequence[str],
    timeout: timedelta,
    *,
    on_progress: Callable[[ProgressSnapshot], None] | None = None,
    since: datetime | None = None,
) -> WaitOutcome:
    """Wait for all ``services`` (full swarm names, e.g. ``app_web``) in parallel.

    ``since`` is when the change being waited for was made (default: now); updates,
    rollbacks and task failures older than that belong to earlier deploys and are ignored.
    ``on_progress`` gets a :class:`ProgressSnapshot` whenever something changed.
    Returns :class:`Converged`, :class:`Failed`, :class:`RolledBack` or :class:`TimedOut`.
    """
    started = time.monotonic()
    since = since or datetime.now(UTC)
    deadline = started + timeout.total_seconds()
    names = list(dict.fromkeys(services))
    snap = _Snapshotter(engine, names, since)
    wake = threading.Event()
    sub = _watch_events(engine, names, wake)
    interval = MIN_POLL.total_seconds()
    last: tuple[ServiceState, ...] | None = None
    try:
        while True:
            now = time.monotonic()
            snapshot = snap.take(timedelta(seconds=now - started))
            if snapshot.services != last:
                if on_progress is not None:
                    on_progress(snapshot)
                interval = MIN_POLL.total_seconds()
                last = snapshot.services
            outcome = decide(snapshot)
            if outcome is not None:
                return outcome
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                final = decide(snapshot, final=True)
                assert final is not None
                return final
            if wake.wait(min(interval, remaining)):
                wake.clear()
                interval = MIN_POLL.total_seconds()
            else:
                interval = min(interval * 1.5, MAX_POLL.total_seconds())
    finally:
        if sub is not None:
            sub.close()


def _watch_events(engine: WaitEngine, names: Sequence[str], wake: threading.Event) -> EventStream | None:
    """Wake the loop on service events and on container events of these services."""
    wanted = set(names)
    try:
        sub = engine.subscribe_events({"type": ["service", "container"]})
    except Exception as e:  # noqa: BLE001 - polling alone still reaches a verdict
        log.debug("no event stream, polling only: %s", e)
        return None

    def run() -> None:
        for ev in sub:
            attrs = ev.attributes
            if attrs.get("name") in wanted or attrs.get("com.docker.swarm.service.name") in wanted:
                wake.set()

    threading.Thread(target=run, name="dockline-events", daemon=True).start()
    return sub
