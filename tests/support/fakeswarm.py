"""An in-memory swarm: the one fake engine behind the unit tests.

``FakeSwarm`` implements the capability Protocols of :mod:`dockline.swarm.protocols` with a
small model of what Docker does, not with scripted answers, so a test pins behaviour (a deploy
waits for its tasks, a route is validated before it rotates, a config in use is not removed)
and fails when the code under test stops doing it:

* **services** have a spec (image, configs, secrets, networks, ports, healthcheck, update and
  restart policy), a version, the previous spec and an update status; ``docker stack deploy``
  is modelled by reading the compose file the core writes (external objects must exist, a
  config's content cannot change under its name, ``--prune`` removes what the file dropped);
* **tasks** move through ``pending -> starting -> running`` (or ``failed``) on a *tick*, as
  the image's :class:`Behaviour` says; updates replace them start-first or stop-first and a
  failed update pauses or rolls back, as its ``failure_action`` says; restarts honour
  ``max_attempts``; constraints that no node matches leave a task pending ("no suitable node");
* **configs/secrets** refuse to go while a service or a live task references them;
  **networks** likewise; **nodes** carry role, availability, state, labels and a version;
* **events** stream to subscribers (each change of a task or service, and the healthcheck
  execs of starting containers) so the convergence waiter wakes at once and never sleeps;
* **time**: one tick is one second of fake time. A tick runs on every ``tasks()`` read (the
  waiter's poll) and on every whole second that ``clock.sleep`` passes, so ``poll_until``
  loops given ``clock=fake.clock.now, sleep=fake.clock.sleep`` run instantly.

Faults are injected per method with :meth:`FakeSwarm.script` (the next calls raise or answer
what the test says); every call is logged in :attr:`FakeSwarm.calls`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import queue
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from dockline.errors import EngineError, NotSwarmManager, QuorumLost
from dockline.swarm.model import (
    STACK_NAMESPACE_LABEL,
    TERMINAL_TASK_STATES,
    ConfigInfo,
    ContainerInfo,
    EngineEvent,
    EngineInfo,
    ImageHealthcheck,
    ImageInfo,
    ManagerStatus,
    NetworkInfo,
    NodeInfo,
    PublishedPort,
    SecretInfo,
    ServiceInfo,
    TaskInfo,
    UpdateStatus,
)

TICK = 1.0  # seconds of fake time per orchestrator step
SERVICE_NAME_LABEL = "com.docker.swarm.service.name"
TASK_ID_LABEL = "com.docker.swarm.task.id"
EMPTY_STATUS = b'{"routes": [], "version": "empty"}'
NGINX_OK = ("nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n"
            "nginx: configuration file /etc/nginx/nginx.conf test is successful\n")


# --------------------------------------------------------------------------- behaviour of images
@dataclass(frozen=True)
class Behaviour:
    """What a container of an image does: ``starting_ticks`` ticks starting, then ``outcome``:
    ``healthy`` (runs; healthy when it has a healthcheck), ``unhealthy`` (its healthcheck fails
    and the swarm kills it), ``exit`` (exits with ``exit_code``) or ``hang`` (never gets past
    starting)."""

    outcome: str = "healthy"
    starting_ticks: int = 1
    exit_code: int = 1
    health_output: str = "ok"
    logs: str = "log line 1\nlog line 2\n"
    exec_result: tuple[int, str] = (0, "ok")


HEALTHY = Behaviour()
CRASHING = Behaviour("exit", exit_code=1)
UNHEALTHY = Behaviour("unhealthy", health_output="probe failed: HTTP 503")
HANGING = Behaviour("hang")


@dataclass
class FakeImage:
    ref: str
    id: str
    behaviour: Behaviour = HEALTHY
    healthcheck: ImageHealthcheck | None = None
    labels: dict[str, str] = field(default_factory=dict)
    registry_digest: str | None = None  # what the registry serves for this tag (None: unknown)


# --------------------------------------------------------------------------- swarm objects
@dataclass(frozen=True)
class Spec:
    """A service spec, as far as the fake models it."""

    image: str
    mode: str = "replicated"  # replicated | global
    replicas: int | None = 1
    labels: Mapping[str, str] = field(default_factory=dict)
    configs: tuple[tuple[str, str], ...] = ()  # (config name, target path)
    secrets: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()  # network ids
    ports: tuple[PublishedPort, ...] = ()
    healthcheck: bool | None = None  # True/False from the file, None: the image decides
    order: str = "stop-first"
    failure_action: str = "pause"  # pause | rollback | continue
    restart_max_attempts: int | None = None
    constraints: tuple[str, ...] = ()
    container: str = ""  # the rest of the task template (env, command, ...) as JSON

    @property
    def key(self) -> str:
        """The task template's hash (tasks made from it carry it)."""
        template = [self.image, sorted(self.configs), sorted(self.secrets), sorted(self.networks),
                    self.healthcheck, sorted(self.constraints), self.container]
        return hashlib.sha256(json.dumps(template).encode()).hexdigest()[:16]


@dataclass
class FakeService:
    id: str
    name: str
    spec: Spec
    previous: Spec | None = None
    version: int = 1
    update: UpdateStatus | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass
class FakeTask:
    id: str
    service_id: str
    slot: int | None
    node_id: str | None
    spec: Spec
    behaviour: Behaviour
    desired_state: str = "running"
    state: str = "pending"
    message: str = "pending task scheduling"
    error: str | None = None
    timestamp: datetime | None = None
    container_id: str | None = None
    exit_code: int | None = None
    ticks: int = 0  # ticks spent in the current state

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL_TASK_STATES

    def info(self) -> TaskInfo:
        return TaskInfo(self.id, self.service_id, self.slot, self.node_id, self.desired_state, self.state,
                        self.message, self.error, self.timestamp, self.container_id, self.exit_code, self.spec.key)


@dataclass
class FakeContainer:
    id: str
    name: str
    image: str
    behaviour: Behaviour
    has_health: bool
    labels: dict[str, str] = field(default_factory=dict)
    status: str = "running"
    health: str | None = None
    health_log: tuple[str, ...] = ()
    exit_code: int | None = None
    ticks: int = 0
    task_id: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)  # what run_container was given

    def info(self) -> ContainerInfo:
        return ContainerInfo(self.id, self.name, self.image, self.status, self.exit_code, self.health,
                             self.health_log, dict(self.labels), {}, {}, None, None, 1)


@dataclass
class FakeConfig:
    id: str
    name: str
    data: bytes
    labels: dict[str, str]
    created_at: datetime
    version: int = 1
    updated_at: datetime | None = None  # set on every relabel (the lock's heartbeat)


@dataclass
class FakeNetwork:
    id: str
    name: str
    labels: dict[str, str]
    driver: str = "overlay"
    scope: str = "swarm"


class FakeClock:
    """Monotonic fake time: ``sleep`` advances it and lets the swarm run meanwhile."""

    def __init__(self, swarm: FakeSwarm):
        self._swarm = swarm
        self.t = 0.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self._swarm.advance(seconds)


class _Subscription:
    """An open event stream: blocking iteration until ``close``."""

    _END = object()

    def __init__(self, types: set[str] | None):
        self.types = types
        self.q: queue.Queue[object] = queue.Queue()
        self.closed = False

    def push(self, ev: EngineEvent) -> None:
        if not self.closed and (self.types is None or ev.type in self.types):
            self.q.put(ev)

    def __iter__(self) -> Iterator[EngineEvent]:
        while True:
            ev = self.q.get()
            if ev is self._END:
                return
            assert isinstance(ev, EngineEvent)
            yield ev

    def close(self) -> None:
        self.closed = True
        self.q.put(self._END)


# --------------------------------------------------------------------------- the fake
class FakeSwarm:
    """A single-process model of a swarm, its engine and its registry (see the module doc)."""

    def __init__(self, *, nodes: Sequence[NodeInfo] | None = None, auto_tick: bool = True):
        self._mu = threading.RLock()
        self._ids = itertools.count(1)
        self.auto_tick = auto_tick
        self.clock = FakeClock(self)
        self._ticked = 0.0  # fake time up to which the orchestrator has run
        self.ticks = 0
        self.services_: dict[str, FakeService] = {}
        self.tasks_: list[FakeTask] = []
        self.containers_: dict[str, FakeContainer] = {}
        self.configs_: dict[str, FakeConfig] = {}
        self.secrets_: dict[str, FakeConfig] = {}
        self.networks_: dict[str, FakeNetwork] = {}
        self.images: dict[str, FakeImage] = {}
        self.volumes_: set[str] = set()
        self.nodes_: dict[str, NodeInfo] = {}
        self.swarm_state = "active"
        self.control_available = True
        self.swarm_error: str | None = None
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.deployed_files: list[dict[str, Any]] = []  # every compose document stack_deploy read
        self.check: Callable[[str, Mapping[str, bytes], Sequence[str]], tuple[int, str]] = nginx_check
        #: How tasks made from a spec behave (``None``: as their image does), e.g. a bundle nginx dies on.
        self.behaviour_of: Callable[[Spec], Behaviour | None] = lambda _spec: None
        self._scripts: dict[str, list[object]] = {}
        self._subs: list[_Subscription] = []
        for n in nodes if nodes is not None else [manager_node("fake-1", "127.0.0.1")]:
            self.nodes_[n.id] = n
        self.networks_["ingress"] = FakeNetwork("ingress", "ingress", {})

    # ---- test-side helpers (not part of any Protocol) ----------------------------------
    def add_image(self, ref: str, behaviour: Behaviour = HEALTHY, *, healthcheck: ImageHealthcheck | None = None,
                  labels: Mapping[str, str] | None = None, registry_digest: str | None = None) -> FakeImage:
        img = FakeImage(ref, "sha256:" + hashlib.sha256(ref.encode()).hexdigest(), behaviour, healthcheck,
                        dict(labels or {}), registry_digest)
        self.images[_with_tag(ref)] = img
        return img

    def create_service(self, name: str, image: str, **spec: Any) -> FakeService:
        """A service made directly (``docker service create``), ``spec``: :class:`Spec` fields."""
        with self._mu:
            svc = FakeService(self._id("svc"), name, Spec(image=image, **spec), created_at=self.now(),
                              updated_at=self.now())
            self.services_[name] = svc
            self._emit("service", "create", svc.id, name=name)
            return svc

    def update_service(self, name: str, **spec: Any) -> FakeService:
        """``docker service update``: ``spec`` replaces :class:`Spec` fields."""
        with self._mu:
            svc = self.services_[name]
            self._update_service(svc, replace(svc.spec, **spec))
            return svc

    def set_nodes(self, nodes: Sequence[NodeInfo]) -> None:
        """Replace the swarm's nodes (a node went down, lost its leadership, ...)."""
        with self._mu:
            self.nodes_ = {n.id: n for n in nodes}

    def close(self) -> None:
        """The engine's ``close`` (nothing to close here)."""
        self._call("close")

    def script(self, method: str, *steps: object) -> None:
        """The next calls of ``method`` raise (an exception), answer (a value) or call (a
        callable, whose result is the answer) ``steps``, in order; then the model answers again."""
        self._scripts.setdefault(method, []).extend(steps)

    def called(self, method: str) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        return [(a, k) for m, a, k in self.calls if m == method]

    def service_tasks(self, name: str) -> list[FakeTask]:
        """A service's tasks, without a tick."""
        svc = self._service(name)
        return [t for t in self.tasks_ if svc is not None and t.service_id == svc.id]

    def settle(self, max_ticks: int = 50) -> None:
        """Tick until nothing changes (or ``max_ticks``)."""
        for _ in range(max_ticks):
            if not self.tick():
                return

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` of fake time pass (a tick per whole second)."""
        with self._mu:
            self.clock.t += seconds
            while self._ticked + TICK <= self.clock.t:
                self._ticked += TICK
                self._step()

    def tick(self) -> bool:
        """One orchestrator step (a second of fake time); whether anything changed."""
        with self._mu:
            self.clock.t += TICK
            self._ticked = self.clock.t
            return self._step()

    # ---- bookkeeping -------------------------------------------------------------------
    def _call(self, method: str, *args: Any, **kwargs: Any) -> tuple[bool, Any]:
        self.calls.append((method, args, kwargs))
        steps = self._scripts.get(method)
        if steps:
            step = steps.pop(0)
            if isinstance(step, BaseException):
                raise step
            if callable(step):  # a side effect first (e.g. a call that takes time), then its answer
                step = step()
            return True, step
        return False, None

    def _id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):04d}"

    def now(self) -> datetime:
        """Wall time: real now plus the fake time that passed (never before a real ``since``)."""
        return datetime.now(UTC) + timedelta(seconds=self.clock.t)

    def _emit(self, type_: str, action: str, actor: str, **attributes: str) -> None:
        ev = EngineEvent(type_, action, actor, attributes, self.now())
        for s in self._subs:
            s.push(ev)

    def _service(self, name_or_id: str) -> FakeService | None:
        return self.services_.get(name_or_id) or next(
            (s for s in self.services_.values() if s.id == name_or_id), None)

    def _config(self, store: dict[str, FakeConfig], id_or_name: str) -> FakeConfig | None:
        return store.get(id_or_name) or next((c for c in store.values() if c.id == id_or_name), None)

    def _network(self, name_or_id: str) -> FakeNetwork | None:
        return self.networks_.get(name_or_id) or next(
            (n for n in self.networks_.values() if n.id == name_or_id), None)

    def _behaviour(self, image: str) -> tuple[Behaviour, bool]:
        img = self.images.get(_with_tag(image.split("@", 1)[0]))
        if img is None:
            return HEALTHY, False
        return img.behaviour, img.healthcheck is not None and not img.healthcheck.disabled

    # ---- SwarmInfo -----------------------------------------------------------------------
    def info(self) -> EngineInfo:
        with self._mu:
            scripted, value = self._call("info")
            if scripted:
                assert isinstance(value, EngineInfo)
                return value
            return self.engine_info()

    def engine_info(self, **changes: Any) -> EngineInfo:
        """What ``info()`` answers now, with ``changes`` (for scripting ``info``)."""
        managers = [n for n in self.nodes_.values() if n.is_manager]
        me = managers[0] if managers else None
        role = ("manager" if self.control_available else "worker") if self.swarm_state == "active" else None
        info = EngineInfo("27.0-fake", "1.46", "linux/amd64", self.swarm_state, me.id if me else None, role,
                          self.control_available, self.swarm_error, len(managers), len(self.nodes_),
                          system_time=self.now())
        return replace(info, **changes)

    def require_manager(self) -> EngineInfo:
        with self._mu:
            self._call("require_manager")
            info = self.info()
            if info.quorum_lost:
                raise QuorumLost("the swarm does not have a leader: too few managers are online",
                                 "start the stopped managers; running replicas keep serving meanwhile")
            if info.swarm_state != "active":
                raise NotSwarmManager(f"this engine is not in a swarm (state: {info.swarm_state})")
            if not info.control_available:
                raise NotSwarmManager("this engine is a swarm worker, not a manager")
            return info

    # ---- Services ------------------------------------------------------------------------
    def services(self, labels: Mapping[str, str] | None = None,
                 names: Sequence[str] | None = None) -> list[ServiceInfo]:
        with self._mu:
            scripted, value = self._call("services", labels=labels, names=names)
            if scripted:
                return list(value)
            return [self._service_info(s) for s in self.services_.values()
                    if _labels_match(s.spec.labels, labels) and (not names or s.name in names)]

    def service(self, name_or_id: str) -> ServiceInfo | None:
        with self._mu:
            self._call("service", name_or_id)
            svc = self._service(name_or_id)
            return self._service_info(svc) if svc is not None else None

    def _service_info(self, s: FakeService) -> ServiceInfo:
        spec, prev = s.spec, s.previous
        return ServiceInfo(
            id=s.id, name=s.name, labels=dict(spec.labels), image=spec.image, mode=spec.mode,
            replicas=spec.replicas if spec.mode == "replicated" else None, update=s.update,
            task_spec_key=spec.key, previous_task_spec_key=prev.key if prev else None,
            has_healthcheck=spec.healthcheck, restart_condition="any", restart_max_attempts=spec.restart_max_attempts,
            configs=tuple(c for c, _ in spec.configs), secrets=spec.secrets,
            previous_configs=tuple(c for c, _ in prev.configs) if prev else (),
            previous_secrets=prev.secrets if prev else (), published_ports=spec.ports,
            created_at=s.created_at, updated_at=s.updated_at)

    # ---- ServiceWiring -------------------------------------------------------------------
    def service_networks(self, name_or_id: str) -> tuple[str, ...]:
        with self._mu:
            self._call("service_networks", name_or_id)
            svc = self._service(name_or_id)
            return svc.spec.networks if svc is not None else ()

    def set_service_configs(self, name_or_id: str, mounts: Sequence[tuple[str, str]],
                            expect: Sequence[str]) -> None:
        with self._mu:
            self._call("set_service_configs", name_or_id, list(mounts), expect=list(expect))
            svc = self._service(name_or_id)
            if svc is None:
                raise EngineError(f"Docker refused the service inspect: service {name_or_id} not found")
            current = sorted(c for c, _ in svc.spec.configs)
            if current != sorted(expect):
                raise EngineError(f"service {svc.name} changed under us (configs {current})")
            for name, _ in mounts:
                if name not in self.configs_:
                    raise EngineError(f"Docker refused the config inspect: config {name} not found")
            self._update_service(svc, replace(svc.spec, configs=tuple(mounts)))

    # ---- Tasks ---------------------------------------------------------------------------
    def tasks(self, services: Sequence[str]) -> list[TaskInfo]:
        with self._mu:
            scripted, value = self._call("tasks", list(services))
            if scripted:
                return list(value)
            if self.auto_tick:
                self.tick()
            ids = {s.id for s in (self._service(n) for n in services) if s is not None} | set(services)
            return [t.info() for t in self.tasks_ if t.service_id in ids]

    def running_tasks_by_node(self) -> dict[str, int]:
        with self._mu:
            scripted, value = self._call("running_tasks_by_node")
            if scripted:
                return dict(value)
            counts: dict[str, int] = {}
            for t in self.tasks_:
                if t.state == "running" and t.desired_state == "running" and t.node_id:
                    counts[t.node_id] = counts.get(t.node_id, 0) + 1
            return counts

    # ---- Configs and Secrets -------------------------------------------------------------
    def configs(self, labels: Mapping[str, str] | None = None) -> list[ConfigInfo]:
        with self._mu:
            self._call("configs", labels)
            return [ConfigInfo(c.id, c.name, dict(c.labels), c.created_at, c.version, c.updated_at or c.created_at)
                    for c in self.configs_.values() if _labels_match(c.labels, labels)]

    def config_data(self, id_or_name: str) -> bytes | None:
        with self._mu:
            self._call("config_data", id_or_name)
            c = self._config(self.configs_, id_or_name)
            return c.data if c is not None else None

    def create_config(self, name: str, data: bytes, labels: Mapping[str, str] | None = None) -> str:
        with self._mu:
            scripted, value = self._call("create_config", name, data, labels)
            if scripted:
                return str(value)
            if name in self.configs_:
                raise EngineError(f"Docker refused the config create: rpc error: code = AlreadyExists "
                                  f"desc = config {name} already exists")
            c = FakeConfig(self._id("cfg"), name, bytes(data), dict(labels or {}), self.now())
            self.configs_[name] = c
            self._emit("config", "create", c.id, name=name)
            return c.id

    def set_config_labels(self, id_or_name: str, labels: Mapping[str, str]) -> None:
        with self._mu:
            self._call("set_config_labels", id_or_name, dict(labels))
            c = self._config(self.configs_, id_or_name)
            if c is None:
                raise EngineError(f"Docker refused the config inspect: config {id_or_name} not found")
            c.labels = dict(labels)
            c.version += 1
            c.updated_at = self.now()

    def remove_config(self, id_or_name: str) -> bool:
        with self._mu:
            self._call("remove_config", id_or_name)
            return self._remove_object(self.configs_, id_or_name, "config")

    def secrets(self, labels: Mapping[str, str] | None = None) -> list[SecretInfo]:
        with self._mu:
            self._call("secrets", labels)
            return [SecretInfo(s.id, s.name, dict(s.labels), s.created_at)
                    for s in self.secrets_.values() if _labels_match(s.labels, labels)]

    def remove_secret(self, id_or_name: str) -> bool:
        with self._mu:
            self._call("remove_secret", id_or_name)
            return self._remove_object(self.secrets_, id_or_name, "secret")

    def config_in_use(self, name: str) -> list[str]:
        """Who holds config ``name``: services whose spec mounts it, live tasks made with it."""
        users = [s.name for s in self.services_.values() if name in (c for c, _ in s.spec.configs)]
        users += [t.id for t in self.tasks_ if not t.terminal and name in (c for c, _ in t.spec.configs)]
        return users

    def _remove_object(self, store: dict[str, FakeConfig], id_or_name: str, kind: str) -> bool:
        obj = self._config(store, id_or_name)
        if obj is None:
            return False
        users = (self.config_in_use(obj.name) if kind == "config" else
                 [s.name for s in self.services_.values() if obj.name in s.spec.secrets]
                 + [t.id for t in self.tasks_ if not t.terminal and obj.name in t.spec.secrets])
        if users:
            return False  # "... is in use by the following service: ..."
        del store[obj.name]
        self._emit(kind, "remove", obj.id, name=obj.name)
        return True

    # ---- Networks ------------------------------------------------------------------------
    def networks(self, labels: Mapping[str, str] | None = None) -> list[NetworkInfo]:
        with self._mu:
            self._call("networks", labels)
            return [NetworkInfo(n.id, n.name, n.driver, n.scope, dict(n.labels))
                    for n in self.networks_.values() if _labels_match(n.labels, labels)]

    def network_id(self, name: str) -> str | None:
        with self._mu:
            self._call("network_id", name)
            n = self.networks_.get(name)
            return n.id if n is not None else None

    def create_overlay_network(self, name: str, labels: Mapping[str, str]) -> str:
        with self._mu:
            self._call("create_overlay_network", name, dict(labels))
            if name in self.networks_:
                raise EngineError(f"Docker refused the network create: network with name {name} already exists")
            n = FakeNetwork(self._id("net"), name, dict(labels))
            self.networks_[name] = n
            return n.id

    def remove_network(self, name_or_id: str) -> bool:
        with self._mu:
            self._call("remove_network", name_or_id)
            n = self._network(name_or_id)
            if n is None:
                return False
            if any(n.id in s.spec.networks for s in self.services_.values()) or any(
                    n.id in t.spec.networks for t in self.tasks_ if not t.terminal):
                return False  # "network ... has active endpoints"
            del self.networks_[n.name]
            return True

    # ---- Nodes ---------------------------------------------------------------------------
    def nodes(self) -> list[NodeInfo]:
        with self._mu:
            scripted, value = self._call("nodes")
            if scripted:
                return list(value)
            return list(self.nodes_.values())

    def node(self, id_or_name: str) -> NodeInfo | None:
        with self._mu:
            self._call("node", id_or_name)
            return self.nodes_.get(id_or_name) or next(
                (n for n in self.nodes_.values() if n.hostname == id_or_name), None)

    def update_node(self, node_id: str, *, labels: Mapping[str, str] | None = None,
                    availability: str | None = None) -> NodeInfo:
        with self._mu:
            self._call("update_node", node_id, labels=labels, availability=availability)
            n = self.nodes_.get(node_id)
            if n is None:
                raise EngineError(f"Docker refused the node inspect: node {node_id} not found")
            n = replace(n, labels=dict(labels) if labels is not None else n.labels,
                        availability=availability or n.availability, version=n.version + 1)
            self.nodes_[node_id] = n
            return n

    # ---- Images --------------------------------------------------------------------------
    def image(self, ref: str) -> ImageInfo | None:
        with self._mu:
            self._call("image", ref)
            img = self.images.get(_with_tag(ref))
            if img is None:
                return None
            repo = _with_tag(ref).rsplit(":", 1)[0]
            digests = (f"{repo}@{img.registry_digest}",) if img.registry_digest else ()
            return ImageInfo(img.id, dict(img.labels), img.healthcheck, digests)

    def registry_digest(self, ref: str) -> str | None:
        with self._mu:
            self._call("registry_digest", ref)
            img = self.images.get(_with_tag(ref))
            return img.registry_digest if img is not None else None

    def build(self, context: str, *, tag: str | None = None, dockerfile: str | None = None,
              buildargs: Mapping[str, str] | None = None, labels: Mapping[str, str] | None = None,
              target: str | None = None, on_line: Callable[[str], None] | None = None,
              rm: bool = True) -> str:
        with self._mu:
            self._call("build", context, tag=tag, buildargs=buildargs, labels=labels)
            img = self.add_image(tag or f"built-{next(self._ids)}", labels=labels)
            if on_line is not None:
                on_line(f"Successfully built {img.id[7:19]}")
            return img.id

    # ---- ImageStore, Volumes ---------------------------------------------------------------
    def image_ids(self, labels: Mapping[str, str]) -> list[str]:
        with self._mu:
            self._call("image_ids", dict(labels))
            return sorted({i.id for i in self.images.values()
                           if all(i.labels.get(k) == v for k, v in labels.items())})

    def remove_image(self, ref: str, force: bool = False) -> None:
        with self._mu:
            self._call("remove_image", ref, force=force)
            self.images = {k: i for k, i in self.images.items() if k != _with_tag(ref) and i.id != ref}

    def volume_exists(self, name: str) -> bool:
        with self._mu:
            self._call("volume_exists", name)
            return name in self.volumes_

    def remove_volume(self, name: str) -> bool:
        with self._mu:
            self._call("remove_volume", name)
            self.volumes_.discard(name)
            return True

    # ---- Containers ----------------------------------------------------------------------
    def container(self, id_or_name: str) -> ContainerInfo | None:
        with self._mu:
            scripted, value = self._call("container", id_or_name)
            if scripted:
                return value  # type: ignore[no-any-return]
            c = self.containers_.get(id_or_name) or next(
                (c for c in self.containers_.values() if c.name == id_or_name), None)
            if c is None:
                return None
            if c.task_id is None and self.auto_tick:  # a standalone container lives on reads
                self._step_container(c)
            return c.info()

    def containers(self, labels: Mapping[str, str] | None = None, all: bool = True) -> list[ContainerInfo]:
        with self._mu:
            self._call("containers", labels)
            return [c.info() for c in self.containers_.values()
                    if _labels_match(c.labels, labels) and (all or c.status == "running")]

    def run_container(self, image: str, *, name: str | None = None, environment: Mapping[str, str] | None = None,
                      labels: Mapping[str, str] | None = None, ports: Mapping[str, int | None] | None = None,
                      healthcheck: Mapping[str, Any] | None = None) -> ContainerInfo:
        with self._mu:
            self._call("run_container", image, name=name, environment=environment, labels=labels, ports=ports,
                       healthcheck=healthcheck)
            behaviour, has_health = self._behaviour(image)
            c = FakeContainer(self._id("ctr"), name or f"c{next(self._ids)}", image, behaviour,
                              has_health or healthcheck is not None, dict(labels or {}),
                              kwargs={"environment": environment, "ports": ports, "healthcheck": healthcheck})
            c.health = "starting" if c.has_health else None
            self.containers_[c.id] = c
            return c.info()

    def container_logs(self, id_or_name: str, tail: int = 50) -> str:
        with self._mu:
            self._call("container_logs", id_or_name, tail=tail)
            c = self.containers_.get(id_or_name)
            return "\n".join(c.behaviour.logs.splitlines()[-tail:]) + "\n" if c is not None else ""

    def exec_in(self, id_or_name: str, cmd: Sequence[str], user: str | None = None) -> tuple[int, str]:
        with self._mu:
            self._call("exec_in", id_or_name, list(cmd), user=user)
            c = self.containers_.get(id_or_name)
            if c is None or c.status != "running":
                raise EngineError(f"Docker refused the exec: container {id_or_name} is not running")
            return c.behaviour.exec_result

    def remove_container(self, id_or_name: str, force: bool = True) -> None:
        with self._mu:
            self._call("remove_container", id_or_name, force=force)
            self.containers_.pop(id_or_name, None)

    def run_check(self, image: str, files: Mapping[str, bytes], command: Sequence[str], *,
                  network: str | None = None, timeout: timedelta = timedelta(seconds=30)) -> tuple[int, str]:
        with self._mu:
            scripted, value = self._call("run_check", image, dict(files), list(command), network=network)
            if scripted:
                return value  # type: ignore[no-any-return]
            return self.check(image, files, command)

    # ---- Events --------------------------------------------------------------------------
    def subscribe_events(self, filters: Mapping[str, Sequence[str]],
                         since: datetime | None = None) -> _Subscription:
        with self._mu:
            self._call("subscribe_events", dict(filters), since=since)
            types = set(filters.get("type", ())) or None
            sub = _Subscription(types)
            self._subs = [s for s in self._subs if not s.closed] + [sub]
            return sub

    # ---- StackCli: the engine's compose converter, modelled ------------------------------
    def stack_deploy(self, name: str, compose_file: str, *, prune: bool, with_registry_auth: bool,
                     resolve_image: str, timeout: timedelta | None = None) -> str:
        with self._mu:
            scripted, value = self._call("stack_deploy", name, compose_file, prune=prune,
                                         with_registry_auth=with_registry_auth, resolve_image=resolve_image)
            if scripted:
                return str(value)
            doc = yaml.safe_load(Path(compose_file).read_text(encoding="utf-8")) or {}
            doc = _unescape(doc)
            self.deployed_files.append(doc)
            return self._converge_stack(name, doc, Path(compose_file).parent, prune=prune, resolve=resolve_image)

    def stack_rm(self, name: str, timeout: timedelta | None = None) -> str:
        with self._mu:
            self._call("stack_rm", name)
            ns = {STACK_NAMESPACE_LABEL: name}
            out = []
            for svc in [s for s in self.services_.values() if _labels_match(s.spec.labels, ns)]:
                self._remove_service(svc)
                out.append(f"Removing service {svc.name}")
            for store, kind in ((self.configs_, "config"), (self.secrets_, "secret")):
                for obj in [o for o in store.values() if _labels_match(o.labels, ns)]:
                    if self._remove_object(store, obj.id, kind):
                        out.append(f"Removing {kind} {obj.name}")
            for n in [n for n in self.networks_.values() if _labels_match(n.labels, ns)]:
                if not any(n.id in t.spec.networks for t in self.tasks_ if not t.terminal):
                    del self.networks_[n.name]
                    out.append(f"Removing network {n.name}")
            return "\n".join(out) if out else f"Nothing found in stack: {name}"

    def _converge_stack(self, stack: str, doc: Mapping[str, Any], here: Path, *, prune: bool, resolve: str) -> str:
        ns = {STACK_NAMESPACE_LABEL: stack}
        out: list[str] = []
        # networks: external ones must exist; the others are created (with the default one)
        nets: dict[str, str] = {}
        declared = dict(doc.get("networks") or {})
        services = dict(doc.get("services") or {})
        if any(not (svc or {}).get("networks") for svc in services.values()):
            declared.setdefault("default", {})
        for key, spec in declared.items():
            spec = dict(spec or {})
            nname = str(spec.get("name") or f"{stack}_{key}")
            if spec.get("external"):
                if nname not in self.networks_:
                    raise EngineError(f'network "{nname}" is declared as external, but could not be found. '
                                      "You need to create a swarm-scoped network before the stack is deployed")
            elif nname not in self.networks_:
                self.networks_[nname] = FakeNetwork(self._id("net"), nname, {**_as_dict(spec.get("labels")), **ns})
                out.append(f"Creating network {nname}")
            nets[key] = self.networks_[nname].id
        # configs and secrets: a name's content never changes (moby/moby#35048)
        refs: dict[str, dict[str, str]] = {"configs": {}, "secrets": {}}
        for section, store in (("configs", self.configs_), ("secrets", self.secrets_)):
            for key, spec in dict(doc.get(section) or {}).items():
                spec = dict(spec or {})
                oname = str(spec.get("name") or f"{stack}_{key}")
                refs[section][key] = oname
                if spec.get("external"):
                    if oname not in store:
                        raise EngineError(f"{section[:-1]} not found: {oname}")
                    continue
                path = Path(str(spec["file"]))
                data = (path if path.is_absolute() else here / path).read_bytes()
                have = store.get(oname)
                if have is not None:
                    if have.data != data:
                        raise EngineError(f"failed to update {section[:-1]} {oname}: Error response from daemon: "
                                          "rpc error: code = InvalidArgument desc = only updates to Labels are allowed")
                    continue
                store[oname] = FakeConfig(self._id(section[:3]), oname, data,
                                          {**_as_dict(spec.get("labels")), **ns}, self.now())
                out.append(f"Creating {section[:-1]} {oname}")
        # services
        wanted = set()
        for key, raw in services.items():
            raw = dict(raw or {})
            full = f"{stack}_{key}"
            wanted.add(full)
            spec = self._spec_from(raw, stack, nets, refs, resolve)
            svc = self.services_.get(full)
            if svc is None:
                svc = FakeService(self._id("svc"), full, spec, created_at=self.now(), updated_at=self.now())
                self.services_[full] = svc
                self._emit("service", "create", svc.id, name=full)
                out.append(f"Creating service {full}")
            else:
                if spec != svc.spec:
                    self._update_service(svc, spec)
                out.append(f"Updating service {full} (id: {svc.id})")
        if prune:
            for svc in [s for s in self.services_.values()
                        if _labels_match(s.spec.labels, ns) and s.name not in wanted]:
                self._remove_service(svc)
                out.append(f"Removing service {svc.name}")
        return "\n".join(out)

    def _spec_from(self, raw: Mapping[str, Any], stack: str, nets: Mapping[str, str],
                   refs: Mapping[str, Mapping[str, str]], resolve: str) -> Spec:
        deploy = dict(raw.get("deploy") or {})
        image = str(raw.get("image", ""))
        img = self.images.get(_with_tag(image))
        if resolve != "never" and img is not None and img.registry_digest and "@" not in image:
            image = f"{_with_tag(image)}@{img.registry_digest}"  # the swarm pins what it resolved
        mode = "global" if deploy.get("mode") == "global" else "replicated"
        replicas = int(deploy.get("replicas", 1)) if mode == "replicated" else None
        configs = []
        for ref in raw.get("configs") or []:
            src, target = (ref, f"/{ref}") if isinstance(ref, str) else (ref["source"], ref.get("target") or
                                                                          f"/{ref['source']}")
            if src not in refs["configs"]:
                raise EngineError(f"service refers to undefined config {src}")
            configs.append((refs["configs"][src], str(target)))
        secrets = []
        for ref in raw.get("secrets") or []:
            src = ref if isinstance(ref, str) else ref["source"]
            if src not in refs["secrets"]:
                raise EngineError(f"service refers to undefined secret {src}")
            secrets.append(refs["secrets"][src])
        svc_nets = raw.get("networks") or ["default"]
        networks = tuple(nets[n] for n in (svc_nets if isinstance(svc_nets, list) else list(svc_nets)))
        hc = raw.get("healthcheck")
        healthcheck = None if hc is None else not bool(hc.get("disable")) and hc.get("test") != ["NONE"]
        update = dict(deploy.get("update_config") or {})
        restart = dict(deploy.get("restart_policy") or {})
        rest = {k: v for k, v in raw.items() if k in ("command", "entrypoint", "environment", "user", "volumes")}
        rest["resources"] = deploy.get("resources")
        return Spec(
            image=image, mode=mode, replicas=replicas,
            labels={**_as_dict(deploy.get("labels")), STACK_NAMESPACE_LABEL: stack},
            configs=tuple(configs), secrets=tuple(secrets), networks=networks,
            ports=tuple(_port(p) for p in raw.get("ports") or []), healthcheck=healthcheck,
            order=str(update.get("order", "stop-first")), failure_action=str(update.get("failure_action", "pause")),
            restart_max_attempts=int(restart["max_attempts"]) if "max_attempts" in restart else None,
            constraints=tuple((deploy.get("placement") or {}).get("constraints") or ()),
            container=json.dumps(rest, sort_keys=True, default=str))

    def _update_service(self, svc: FakeService, spec: Spec) -> None:
        """A service update: a new task template rolls out; replicas and labels alone do not."""
        template_changed = spec.key != svc.spec.key
        svc.previous, svc.spec = svc.spec, spec
        svc.version += 1
        svc.updated_at = self.now()
        if template_changed:
            svc.update = UpdateStatus("updating", "update in progress", self.now(), None)
        self._emit("service", "update", svc.id, name=svc.name)

    def _remove_service(self, svc: FakeService) -> None:
        del self.services_[svc.name]
        for t in self.tasks_:
            if t.service_id == svc.id:
                t.desired_state = "remove"
        self._emit("service", "remove", svc.id, name=svc.name)

    # ---- the orchestrator ----------------------------------------------------------------
    def _step(self) -> bool:
        """One tick: advance tasks and containers, then reconcile every service."""
        self.ticks += 1
        before = self._fingerprint()
        for t in list(self.tasks_):
            self._step_task(t)
        for svc in list(self.services_.values()):
            self._reconcile(svc)
        # a removed service's tasks are gone once stopped; their containers a tick later
        gone = {t.id for t in self.tasks_ if t.desired_state == "remove" and t.terminal}
        self.tasks_ = [t for t in self.tasks_ if t.id not in gone]
        for c in [c for c in self.containers_.values() if c.task_id is not None and c.status != "running"
                  and not any(t.id == c.task_id for t in self.tasks_)]:
            del self.containers_[c.id]
        changed = self._fingerprint() != before
        for c in self.containers_.values():
            if c.status == "running" and c.health == "starting":  # the healthcheck's exec
                self._emit("container", "exec_start: /probe", c.id, name=c.name, **c.labels)
        return changed

    def _fingerprint(self) -> object:
        return ([(t.id, t.state, t.desired_state) for t in self.tasks_],
                [(s.name, s.version, s.update.state if s.update else None) for s in self.services_.values()],
                [(c.id, c.status, c.health) for c in self.containers_.values()])

    def _set_state(self, t: FakeTask, state: str, message: str, error: str | None = None) -> None:
        t.state, t.message, t.error, t.timestamp, t.ticks = state, message, error, self.now(), 0
        c = self.containers_.get(t.container_id or "")
        attrs = {"name": c.name if c else t.id, SERVICE_NAME_LABEL: self._service_name(t.service_id)}
        self._emit("container", state, t.container_id or t.id, **attrs)

    def _service_name(self, service_id: str) -> str:
        return next((s.name for s in self.services_.values() if s.id == service_id), "")

    def _step_task(self, t: FakeTask) -> None:
        t.ticks += 1
        if t.terminal:
            return
        c = self.containers_.get(t.container_id or "")
        if t.desired_state != "running":
            if c is not None:
                c.status, c.exit_code = "exited", 0
            self._set_state(t, "shutdown", "shutdown")
            return
        if t.state == "pending":
            node = self._place(t)
            if node is None:
                if t.error is None:
                    t.error = f"no suitable node (scheduling constraints not satisfied on {len(self.nodes_)} nodes)"
                    t.message = "pending task scheduling"
                    t.timestamp = self.now()
                return
            t.node_id = node.id
            svc_name = self._service_name(t.service_id)
            _, image_health = self._behaviour(t.spec.image)
            has_health = t.spec.healthcheck if t.spec.healthcheck is not None else image_health
            c = FakeContainer(self._id("ctr"), f"{svc_name}.{t.slot or t.node_id}.{t.id}", t.spec.image, t.behaviour,
                              has_health, {SERVICE_NAME_LABEL: svc_name, TASK_ID_LABEL: t.id,
                                           **{k: v for k, v in t.spec.labels.items()
                                              if k == STACK_NAMESPACE_LABEL}}, task_id=t.id)
            c.health = "starting" if has_health else None
            self.containers_[c.id] = c
            t.container_id = c.id
            self._set_state(t, "starting", "starting")
            return
        assert c is not None
        self._step_container(c)
        if c.status == "exited":
            code = c.exit_code or 0
            if code == 0:
                self._set_state(t, "complete", "finished")
            else:
                why = "dockerexec: unhealthy container" if c.health == "unhealthy" else ""
                self._set_state(t, "failed", "started", f"task: non-zero exit ({code}){': ' + why if why else ''}")
            t.exit_code = code
        elif (t.state == "starting" and c.status == "running" and c.health in (None, "healthy")
              and t.behaviour.outcome != "hang"):  # (a hanging start never gets there, healthcheck or not)
            self._set_state(t, "running", "started")

    def _step_container(self, c: FakeContainer) -> None:
        if c.status != "running":
            return
        c.ticks += 1
        b = c.behaviour
        if c.health == "unhealthy":  # the swarm (or restart policy) kills it
            c.status, c.exit_code = "exited", 137
            return
        if c.ticks < b.starting_ticks or b.outcome == "hang":
            return
        if b.outcome == "exit":
            c.status, c.exit_code = "exited", b.exit_code
        elif b.outcome == "unhealthy" and c.has_health:
            c.health = "unhealthy"
            c.health_log = (*c.health_log, f"[HEALTHCHECK] unhealthy: {b.health_output}")
        elif c.has_health:
            c.health = "healthy"
            c.health_log = (*c.health_log, f"[HEALTHCHECK] healthy: {b.health_output}")

    def _place(self, t: FakeTask) -> NodeInfo | None:
        if t.node_id is not None:  # a global task belongs to its node
            n = self.nodes_.get(t.node_id)
            return n if n is not None and n.schedulable else None
        nodes = [n for n in self.nodes_.values() if n.schedulable and _satisfies(n, t.spec.constraints)]
        if not nodes:
            return None
        load = self.running_load()
        return min(nodes, key=lambda n: (load.get(n.id, 0), n.hostname))

    def running_load(self) -> dict[str, int]:
        load: dict[str, int] = {}
        for t in self.tasks_:
            if not t.terminal and t.node_id:
                load[t.node_id] = load.get(t.node_id, 0) + 1
        return load

    def _new_task(self, svc: FakeService, slot: int | None, node_id: str | None) -> FakeTask:
        behaviour = self.behaviour_of(svc.spec) or self._behaviour(svc.spec.image)[0]
        t = FakeTask(self._id("task"), svc.id, slot, node_id, svc.spec, behaviour, timestamp=self.now())
        self.tasks_.append(t)
        # (the engine says "container create" once the task is assigned; a tick earlier here)
        self._emit("container", "create", t.id, name=f"{svc.name}.{slot or node_id}.{t.id}",
                   **{SERVICE_NAME_LABEL: svc.name})
        return t

    def _reconcile(self, svc: FakeService) -> None:
        spec, key = svc.spec, svc.spec.key
        mine = [t for t in self.tasks_ if t.service_id == svc.id]
        upd = svc.update
        # a failed task of the new template stops the update (pause) or turns it back (rollback)
        if upd is not None and upd.state == "updating":
            failed = next((t for t in mine if t.spec.key == key and t.state in ("failed", "rejected")
                           and t.timestamp and upd.started_at and t.timestamp >= upd.started_at), None)
            if failed is not None and spec.failure_action == "rollback" and svc.previous is not None:
                svc.spec, svc.previous = svc.previous, svc.spec
                svc.version += 1
                svc.update = UpdateStatus("rollback_started",
                                          f"update rolled back due to failure or early termination of task {failed.id}",
                                          upd.started_at, None)
                self._emit("service", "update", svc.id, name=svc.name)
                spec, key = svc.spec, svc.spec.key
            elif failed is not None and spec.failure_action == "pause":
                svc.update = UpdateStatus("paused",
                                          f"update paused due to failure or early termination of task {failed.id}",
                                          upd.started_at, None)
                self._emit("service", "update", svc.id, name=svc.name)
        paused = svc.update is not None and svc.update.state == "paused"
        if spec.mode == "global":
            slots: list[tuple[int | None, str | None]] = [
                (None, n.id) for n in self.nodes_.values() if n.schedulable and _satisfies(n, spec.constraints)]
        else:
            slots = [(i, None) for i in range(1, (spec.replicas or 0) + 1)]
        wanted = set(slots)
        for slot, node in slots:
            here = [t for t in mine if (t.slot, t.node_id if slot is None else None) == (slot, node)]
            live = [t for t in here if t.desired_state == "running" and not t.terminal]
            new = [t for t in live if t.spec.key == key]
            old = [t for t in live if t.spec.key != key]
            for t in here:  # a replaced failed task is not wanted any more
                if t.terminal and t.desired_state == "running" and (live or not paused):
                    t.desired_state = "shutdown"
            if old and not new:
                if paused:
                    continue
                if spec.order == "stop-first":
                    for t in old:
                        t.desired_state = "shutdown"
                self._new_task(svc, slot, node)
            elif old and any(t.state == "running" for t in new):
                for t in old:
                    t.desired_state = "shutdown"
            elif not live:
                failures = sum(1 for t in here if t.spec.key == key and t.state in ("failed", "rejected", "complete"))
                if spec.restart_max_attempts is not None and failures >= spec.restart_max_attempts:
                    continue
                if paused and any(t.spec.key == key for t in here):
                    continue
                self._new_task(svc, slot, node)
        for t in mine:  # scaled down, or a node left the global set
            key_of = (t.slot, t.node_id) if t.slot is None else (t.slot, None)
            if key_of not in wanted and t.desired_state == "running":
                t.desired_state = "shutdown"
        # the update is done when every slot runs the new template and no old task is left
        upd = svc.update
        if upd is not None and upd.state in ("updating", "rollback_started"):
            live_all = [t for t in self.tasks_ if t.service_id == svc.id and not t.terminal]
            done = all(any(t.spec.key == key and t.state == "running" and t.desired_state == "running"
                           and (t.slot, t.node_id if s is None else None) == (s, n) for t in live_all)
                       for s, n in slots) and not any(t.spec.key != key for t in live_all)
            if done:
                state = "completed" if upd.state == "updating" else "rollback_completed"
                message = "update completed" if state == "completed" else "rollback completed"
                svc.update = UpdateStatus(state, message, upd.started_at, self.now())
                self._emit("service", "update", svc.id, name=svc.name)

    # ---- the router's HTTP side, modelled ------------------------------------------------
    def http_get(self, url: str) -> tuple[int, bytes]:
        """What the router's edge answers: the status file of the bundle the running nginx
        task was made with; 200 for a routed path with servers, 502 without, 404 otherwise."""
        with self._mu:
            self._call("http_get", url)
            path = "/" + url.split("://", 1)[-1].split("/", 1)[-1]
            nginx = next((s for s in self.services_.values() if s.name.endswith("_nginx")), None)
            if nginx is None:
                return 0, b""
            running = [t for t in self.tasks_ if t.service_id == nginx.id and t.state == "running"]
            if not running:
                return 0, b""
            status = next((self.configs_[c].data for c, target in running[-1].spec.configs
                           if target.endswith("routes.json") and c in self.configs_),
                          EMPTY_STATUS)  # the image's own routes.json
            if path == "/_dockline/status":
                return 200, status
            routes = json.loads(status or b"{}").get("routes", [])
            for r in routes:
                if path.startswith(r["path"].rstrip("/")):
                    return (200, b"ok") if r["servers"] else (502, b"")
            return 404, b""


# --------------------------------------------------------------------------- helpers
def manager_node(hostname: str, addr: str, *, leader: bool = True, labels: Mapping[str, str] | None = None,
                 state: str = "ready", availability: str = "active") -> NodeInfo:
    return NodeInfo(f"node-{hostname}", hostname, "manager", availability, state, addr, "27.0", "linux", "x86_64",
                    dict(labels or {}), {}, ManagerStatus(leader, "reachable", f"{addr}:2377"), 1, 2_000_000_000,
                    4 << 30)


def worker_node(hostname: str, addr: str, *, labels: Mapping[str, str] | None = None,
                state: str = "ready", availability: str = "active") -> NodeInfo:
    return NodeInfo(f"node-{hostname}", hostname, "worker", availability, state, addr, "27.0", "linux", "x86_64",
                    dict(labels or {}), {}, None, 1, 2_000_000_000, 4 << 30)


def nginx_check(image: str, files: Mapping[str, bytes], command: Sequence[str]) -> tuple[int, str]:
    """``nginx -t``, roughly: every file's braces balance and no directive is left open."""
    for path, data in sorted(files.items()):
        text = re.sub(r"#[^\n]*", "", data.decode(errors="replace"))
        if not path.endswith(".conf"):
            continue
        depth = 0
        for line_no, line in enumerate(text.splitlines(), 1):
            depth += line.count("{") - line.count("}")
            if depth < 0:
                return 1, f'nginx: [emerg] unexpected "}}" in {path}:{line_no}\nnginx: configuration file test failed\n'
        if depth != 0:
            return 1, (f'nginx: [emerg] unexpected end of file, expecting "}}" in {path}\n'
                       "nginx: configuration file test failed\n")
    return 0, NGINX_OK


def _with_tag(ref: str) -> str:
    return ref if ":" in ref.rsplit("/", 1)[-1] else f"{ref}:latest"


def _labels_match(have: Mapping[str, str], want: Mapping[str, str] | None) -> bool:
    """The engine's label filter: ``{"k": "v"}`` equality, ``{"k": ""}`` presence."""
    return all(k in have and (not v or have[k] == v) for k, v in (want or {}).items())


def _as_dict(value: Any) -> dict[str, str]:
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    pairs = (str(x).partition("=") for x in value or [])
    return {k: v for k, _, v in pairs}


def _unescape(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("$$", "$")
    if isinstance(value, Mapping):
        return {k: _unescape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unescape(v) for v in value]
    return value


def _port(p: Any) -> PublishedPort:
    if isinstance(p, Mapping):
        published = p.get("published")
        return PublishedPort(int(p["target"]), int(str(published)) if published not in (None, "") else None,
                             str(p.get("protocol", "tcp")), str(p.get("mode", "ingress")))
    text, _, proto = str(p).partition("/")
    published, _, target = text.rpartition(":")
    return PublishedPort(int(target), int(published) if published else None, proto or "tcp", "ingress")


def _satisfies(node: NodeInfo, constraints: Sequence[str]) -> bool:
    for c in constraints:
        m = re.fullmatch(r"\s*([\w.\-]+)\s*(==|!=)\s*(\S+)\s*", c)
        if m is None:
            return False
        key, op, value = m.groups()
        if key == "node.role":
            have: str | None = node.role
        elif key == "node.hostname":
            have = node.hostname
        elif key == "node.id":
            have = node.id
        elif key.startswith("node.labels."):
            have = node.labels.get(key[len("node.labels."):])
        else:
            have = None
        if (have == value) != (op == "=="):
            return False
    return True
