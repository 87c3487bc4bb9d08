"""Typed models of swarm objects (what ``engine.py`` returns) and of stack deploys.

Everything here is a frozen dataclass. ``engine.py`` converts the engine's JSON into these
models; nothing outside ``engine.py`` ever sees a raw engine dict. Durations are
``timedelta``; timestamps are timezone-aware ``datetime``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

STACK_NAMESPACE_LABEL = "com.docker.stack.namespace"
"""The label ``docker stack deploy`` puts on every object of a stack."""

#: Task states in which a task will not run again.
TERMINAL_TASK_STATES = frozenset({"complete", "shutdown", "failed", "rejected", "remove", "orphaned"})


# --------------------------------------------------------------------------- swarm objects
@dataclass(frozen=True)
class UpdateStatus:
    """A service's rolling update (or rollback) as the orchestrator reports it."""

    state: str  # updating | paused | completed | rollback_started | rollback_paused | rollback_completed
    message: str
    started_at: datetime | None
    completed_at: datetime | None

    @property
    def is_rollback(self) -> bool:
        return self.state.startswith("rollback")


@dataclass(frozen=True)
class ServiceInfo:
    """A swarm service, as dockline needs it."""

    id: str
    name: str
    labels: Mapping[str, str]
    image: str
    mode: str  # replicated | global | replicated-job | global-job
    replicas: int | None  # None for global services
    update: UpdateStatus | None
    task_spec_key: str  # hash of the current task template (tasks created from it carry the same key)
    previous_task_spec_key: str | None
    has_healthcheck: bool | None  # True/False from the spec, None when the image decides
    restart_condition: str | None
    restart_max_attempts: int | None
    configs: tuple[str, ...]  # config names the current spec references
    secrets: tuple[str, ...]
    previous_configs: tuple[str, ...]  # referenced by the previous spec (rollback needs them)
    previous_secrets: tuple[str, ...]
    published_ports: tuple[PublishedPort, ...]
    created_at: datetime | None
    updated_at: datetime | None

    @property
    def stack(self) -> str | None:
        return self.labels.get(STACK_NAMESPACE_LABEL)


@dataclass(frozen=True)
class PublishedPort:
    """One published port of a service endpoint."""

    target: int
    published: int | None
    protocol: str
    mode: str  # ingress | host


@dataclass(frozen=True)
class TaskInfo:
    """One task of a service."""

    id: str
    service_id: str
    slot: int | None
    node_id: str | None
    desired_state: str
    state: str
    message: str
    error: str | None
    timestamp: datetime | None
    container_id: str | None
    exit_code: int | None
    spec_key: str  # compare with ServiceInfo.task_spec_key

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL_TASK_STATES


@dataclass(frozen=True)
class ConfigInfo:
    """A swarm config (its data is read separately, on purpose)."""

    id: str
    name: str
    labels: Mapping[str, str]
    created_at: datetime | None
    version: int


@dataclass(frozen=True)
class SecretInfo:
    """A swarm secret. Its value is never read back: the engine does not give it."""

    id: str
    name: str
    labels: Mapping[str, str]
    created_at: datetime | None


@dataclass(frozen=True)
class NetworkInfo:
    """A network."""

    id: str
    name: str
    driver: str
    scope: str
    labels: Mapping[str, str]


@dataclass(frozen=True)
class EngineEvent:
    """One event from the engine's event stream."""

    type: str  # service | container | config | ...
    action: str  # create | update | remove | health_status: healthy | ...
    actor_id: str
    attributes: Mapping[str, str]
    time: datetime | None


# --------------------------------------------------------------------------- durations
_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNIT = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}


def parse_duration(text: str) -> timedelta:
    """Parse a Go-style duration (``90s``, ``1m30s``, ``500ms``; a bare number is seconds).

    Raises ``ValueError`` with a readable message otherwise.
    """
    s = text.strip()
    if not s:
        raise ValueError("empty duration")
    try:
        return timedelta(seconds=float(s))
    except ValueError:
        pass
    pos = 0
    total = 0.0
    for m in _DURATION_RE.finditer(s):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNIT[m.group(2)]
        pos = m.end()
    if pos != len(s) or pos == 0:
        raise ValueError(f"{text!r} is not a duration (use e.g. 90s, 5m, 1m30s)")
    return timedelta(seconds=total)


def format_duration(d: timedelta) -> str:
    """``timedelta`` as a short human duration (``1m30s``, ``2.5s``, ``300ms``)."""
    secs = d.total_seconds()
    if secs < 1:
        return f"{round(secs * 1000)}ms"
    if secs < 60:
        return f"{secs:.1f}s".replace(".0s", "s")
    m, s = divmod(round(secs), 60)
    return f"{m}m{s}s" if s else f"{m}m"


# --------------------------------------------------------------------------- deploy records
@dataclass(frozen=True)
class HistoryRecord:
    """One deploy of a stack, as recorded in the swarm (a labelled config)."""

    stack: str
    version: int
    created_at: datetime | None
    outcome: str  # pending | converged | failed | rolled_back | timed_out
    config_id: str
    config_name: str
    source: str  # "deploy" | "rollback:<version>"


@dataclass(frozen=True)
class ServiceChange:
    """One service in a plan."""

    service: str
    action: str  # create | update | remove | unchanged
    changed_fields: tuple[str, ...] = ()
    image: str | None = None
    image_digest: str | None = None


@dataclass(frozen=True)
class ObjectChange:
    """One config or secret version in a plan (names only, never values)."""

    kind: str  # config | secret
    key: str  # the stack's key for it
    name: str  # the content-addressed name
    action: str  # create | keep


@dataclass(frozen=True)
class Plan:
    """What a deploy would change."""

    stack: str
    services: tuple[ServiceChange, ...]
    objects: tuple[ObjectChange, ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def has_changes(self) -> bool:
        return any(s.action != "unchanged" for s in self.services) or any(
            o.action != "keep" for o in self.objects
        )
