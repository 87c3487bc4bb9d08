"""The value types of every Docker object dockline reads: frozen, typed, no SDK behind them.

``dockline.engine`` converts the engine's JSON into these; nothing outside ``engine/`` ever sees
a raw engine dict, and importing a model never loads the docker SDK (a lint run, a probe or a
unit test with the in-memory fake pays nothing for Docker). Durations are ``timedelta``;
timestamps are timezone-aware ``datetime``.

Sections: the engine and containers; images; swarm services, tasks, configs, secrets,
networks, events; nodes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

STACK_NAMESPACE_LABEL = "com.docker.stack.namespace"
"""The label ``docker stack deploy`` puts on every object of a stack."""

#: Task states in which a task will not run again.
TERMINAL_TASK_STATES = frozenset({"complete", "shutdown", "failed", "rejected", "remove", "orphaned"})

NO_LEADER_TEXT = "does not have a leader"
"""What the engine says in ``/info`` (and errors) when the swarm has no leader."""


# --------------------------------------------------------------------------- engine, containers, images
@dataclass(frozen=True)
class EngineInfo:
    """What ``dockline engine check`` reports."""

    server_version: str
    api_version: str
    os: str
    swarm_state: str  # inactive | pending | active | error | locked
    node_id: str | None
    node_role: str | None  # manager | worker | None
    control_available: bool
    swarm_error: str | None
    managers: int | None
    nodes: int | None
    #: The engine's own clock (``/info`` ``SystemTime``): the router lock judges staleness by it.
    system_time: datetime | None = None

    @property
    def is_manager(self) -> bool:
        return self.swarm_state == "active" and self.control_available

    @property
    def quorum_lost(self) -> bool:
        return bool(self.swarm_error and NO_LEADER_TEXT in self.swarm_error)


@dataclass(frozen=True)
class ContainerInfo:
    """A container, as dockline needs it."""

    id: str
    name: str
    image: str
    status: str  # created | running | exited | ...
    exit_code: int | None
    health: str | None  # starting | healthy | unhealthy | None (no healthcheck)
    health_log: tuple[str, ...]
    labels: Mapping[str, str]
    ip_addresses: Mapping[str, str]  # network name -> address
    ports: Mapping[str, tuple[str, ...]]  # "80/tcp" -> ("0.0.0.0:32768", ...)
    started_at: datetime | None
    finished_at: datetime | None
    pid: int | None


@dataclass(frozen=True)
class ImageHealthcheck:
    """An image's HEALTHCHECK (owner: image runtime). ``test`` is Docker's list form:
    ``("CMD", ...)``, ``("CMD-SHELL", "...")`` or ``("NONE",)``."""

    test: tuple[str, ...]
    interval: timedelta | None
    timeout: timedelta | None
    start_period: timedelta | None
    retries: int | None

    @property
    def disabled(self) -> bool:
        return not self.test or self.test[0] == "NONE"


@dataclass(frozen=True)
class ImageInfo:
    """A local image, from one inspect: its id, labels, HEALTHCHECK (``None`` when it has
    none) and the digests it was pulled or pushed as (``repo@sha256:...``)."""

    id: str
    labels: Mapping[str, str] = field(default_factory=dict)
    healthcheck: ImageHealthcheck | None = None
    repo_digests: tuple[str, ...] = ()

    @property
    def digest(self) -> str:
        """The first repo digest's ``sha256:...`` part, else the image id."""
        return self.repo_digests[0].split("@", 1)[1] if self.repo_digests else self.id


# --------------------------------------------------------------------------- services, tasks, configs, secrets, networks, events
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
    updated_at: datetime | None = None  # set by the swarm on every change (a relabel, too)


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


# --------------------------------------------------------------------------- nodes
@dataclass(frozen=True)
class ManagerStatus:
    """Raft membership of a manager node."""

    leader: bool
    reachability: str  # reachable | unreachable | unknown
    addr: str


@dataclass(frozen=True)
class NodeInfo:
    """One swarm node."""

    id: str
    hostname: str
    role: str  # manager | worker
    availability: str  # active | pause | drain
    state: str  # ready | down | unknown | disconnected
    addr: str
    engine_version: str
    platform_os: str
    platform_arch: str
    labels: Mapping[str, str] = field(default_factory=dict)  # node labels (node.labels.*)
    engine_labels: Mapping[str, str] = field(default_factory=dict)  # engine.labels.*
    manager: ManagerStatus | None = None
    version: int = 0  # the object version the engine needs for an update
    nano_cpus: int = 0  # the node's CPUs x 1e9 (0: unknown)
    memory_bytes: int = 0  # the node's memory (0: unknown)

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"

    @property
    def reachable(self) -> bool:
        """A manager that takes part in Raft (the leader counts as reachable)."""
        return self.manager is not None and (self.manager.leader or self.manager.reachability == "reachable")

    @property
    def schedulable(self) -> bool:
        """The scheduler may put new tasks here."""
        return self.availability == "active" and self.state == "ready"

    def describe(self) -> str:
        """``lab-w1 (worker, zone=east)``: for messages."""
        labels = ", ".join(f"{k}={v}" for k, v in sorted(self.labels.items())) or "no labels"
        extra = "" if self.schedulable else f", {self.availability}/{self.state}"
        return f"{self.hostname} ({self.role}{extra}; {labels})"
