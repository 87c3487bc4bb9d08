"""What the core asks of a Docker engine: one ``Protocol`` per capability, and the named
combinations a workflow needs.

The core (``stack/``, ``router/``, ``cluster/``, ``image/``) is written against these, never
against :class:`dockline.engine.Engine` itself; the real engine satisfies them structurally
(``dockline/engine/conformance.py`` is the mypy-checked proof) and the unit tests use the one
in-memory fake under ``tests/``. Each capability lists exactly the methods the core calls: a
new call is added here first, then to ``engine/`` and the fake.

A function takes the narrowest protocol that covers what it calls; a workflow that crosses
capabilities (deploy, route) takes a named combination (``DeployEngine``, ``RouterEngine``).
Importing this module loads no Docker SDK.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from dockline.swarm.model import (
    ConfigInfo,
    ContainerInfo,
    EngineEvent,
    EngineInfo,
    ImageInfo,
    NetworkInfo,
    NodeInfo,
    SecretInfo,
    ServiceInfo,
    TaskInfo,
)


# --------------------------------------------------------------------------- capabilities
class SwarmInfo(Protocol):
    """The engine's facts, and the gate every swarm change passes first."""

    def info(self) -> EngineInfo: ...

    def require_manager(self) -> EngineInfo: ...


class Services(Protocol):
    """Reading services (a stack's, or by exact name)."""

    def services(self, labels: Mapping[str, str] | None = ...,
                 names: Sequence[str] | None = ...) -> list[ServiceInfo]: ...

    def service(self, name_or_id: str) -> ServiceInfo | None: ...


class ServiceWiring(Protocol):
    """A service's networks, and swapping the configs mounted into it (the router)."""

    def service_networks(self, name_or_id: str) -> tuple[str, ...]: ...

    def set_service_configs(self, name_or_id: str, mounts: Sequence[tuple[str, str]],
                            expect: Sequence[str]) -> None: ...


class Tasks(Protocol):
    """Reading tasks: a set of services' (all states), or the running count per node."""

    def tasks(self, services: Sequence[str]) -> list[TaskInfo]: ...

    def running_tasks_by_node(self) -> dict[str, int]: ...


class Configs(Protocol):
    """Swarm configs: list by label, read, create, relabel, remove unless in use."""

    def configs(self, labels: Mapping[str, str] | None = ...) -> list[ConfigInfo]: ...

    def config_data(self, id_or_name: str) -> bytes | None: ...

    def create_config(self, name: str, data: bytes, labels: Mapping[str, str] | None = ...) -> str: ...

    def set_config_labels(self, id_or_name: str, labels: Mapping[str, str]) -> None: ...

    def remove_config(self, id_or_name: str) -> bool: ...


class Secrets(Protocol):
    """Swarm secrets: list by label, remove unless in use (content is never read back)."""

    def secrets(self, labels: Mapping[str, str] | None = ...) -> list[SecretInfo]: ...

    def remove_secret(self, id_or_name: str) -> bool: ...


class Networks(Protocol):
    """Networks: list by label, find by name, create an attachable overlay, remove."""

    def networks(self, labels: Mapping[str, str] | None = ...) -> list[NetworkInfo]: ...

    def network_id(self, name: str) -> str | None: ...

    def create_overlay_network(self, name: str, labels: Mapping[str, str]) -> str: ...

    def remove_network(self, name_or_id: str) -> bool: ...


class Nodes(Protocol):
    """Swarm nodes: list, inspect, relabel / drain."""

    def nodes(self) -> list[NodeInfo]: ...

    def node(self, id_or_name: str) -> NodeInfo | None: ...

    def update_node(self, node_id: str, *, labels: Mapping[str, str] | None = ...,
                    availability: str | None = ...) -> NodeInfo: ...


class Images(Protocol):
    """Local images (one inspect), the registry's digest of a reference, and builds."""

    def image(self, ref: str) -> ImageInfo | None: ...

    def registry_digest(self, ref: str) -> str | None: ...

    def build(self, context: str, *, tag: str | None = ..., dockerfile: str | None = ...,
              buildargs: Mapping[str, str] | None = ..., labels: Mapping[str, str] | None = ...,
              target: str | None = ..., on_line: Callable[[str], None] | None = ...,
              rm: bool = ...) -> str: ...


class ImageStore(Protocol):
    """Finding and removing local images by label (the demo's cleanup)."""

    def image_ids(self, labels: Mapping[str, str]) -> list[str]: ...

    def remove_image(self, ref: str, force: bool = ...) -> None: ...


class Volumes(Protocol):
    """Named volumes (the demo's database data)."""

    def volume_exists(self, name: str) -> bool: ...

    def remove_volume(self, name: str) -> bool: ...


class ContainerReader(Protocol):
    """Inspecting containers (one, or every one carrying some labels)."""

    def container(self, id_or_name: str) -> ContainerInfo | None: ...

    def containers(self, labels: Mapping[str, str] | None = ..., all: bool = ...) -> list[ContainerInfo]: ...


class Containers(ContainerReader, Protocol):
    """Running throw-away containers: start one, exec in it, read its logs, remove it."""

    def run_container(
        self,
        image: str,
        *,
        name: str | None = ...,
        environment: Mapping[str, str] | None = ...,
        labels: Mapping[str, str] | None = ...,
        ports: Mapping[str, int | None] | None = ...,
        healthcheck: Mapping[str, Any] | None = ...,
    ) -> ContainerInfo: ...

    def container_logs(self, id_or_name: str, tail: int = ...) -> str: ...

    def exec_in(self, id_or_name: str, cmd: Sequence[str], user: str | None = ...) -> tuple[int, str]: ...

    def remove_container(self, id_or_name: str, force: bool = ...) -> None: ...

    def run_check(self, image: str, files: Mapping[str, bytes], command: Sequence[str], *,
                  network: str | None = ..., timeout: timedelta = ...) -> tuple[int, str]: ...


class EventStream(Protocol):
    """An open event stream: iterate it (blocking); ``close()`` from any thread ends it."""

    def __iter__(self) -> Iterator[EngineEvent]: ...

    def close(self) -> None: ...


class Events(Protocol):
    """The engine's event stream."""

    def subscribe_events(self, filters: Mapping[str, Sequence[str]],
                         since: datetime | None = ...) -> EventStream: ...


class StackCli(Protocol):
    """``docker stack deploy`` / ``docker stack rm``: the engine's own compose converter."""

    def stack_deploy(self, name: str, compose_file: str, *, prune: bool, with_registry_auth: bool,
                     resolve_image: str, timeout: timedelta | None = ...) -> str: ...

    def stack_rm(self, name: str, timeout: timedelta | None = ...) -> str: ...


# --------------------------------------------------------------------------- combinations
class WaitEngine(Services, Tasks, ContainerReader, Events, Protocol):
    """What the convergence waiter reads (``swarm/wait.py``)."""


class HistoryEngine(Configs, Protocol):
    """Deploy records live in configs (``stack/history.py``)."""


class PlanEngine(Services, Configs, Secrets, Images, Protocol):
    """What a deploy plan compares against (``stack/plan.py``)."""


class DeployEngine(SwarmInfo, WaitEngine, HistoryEngine, PlanEngine, Networks, Nodes, StackCli, Protocol):
    """Deploy, roll back, remove and report stacks (``stack/deploy.py``)."""


class StatusEngine(Services, Tasks, HistoryEngine, Protocol):
    """What ``dockline status`` reads: services, their tasks, the deploy records."""


class NodeEngine(SwarmInfo, Nodes, Tasks, Protocol):
    """The cluster commands: nodes, their labels and load (``cluster/``)."""


class VerifyEngine(Images, Containers, Protocol):
    """``dockline verify``: an image's HEALTHCHECK and a container to judge (``image/verify.py``)."""


class BundleEngine(Services, Configs, Protocol):
    """Reading the bundle of route configs a router service mounts (``router/apply.py``)."""


class LockEngine(SwarmInfo, Configs, Protocol):
    """The router lock: a config, judged stale by the swarm's own clock (``router/apply.py``)."""


class ApplyEngine(SwarmInfo, WaitEngine, ServiceWiring, Configs, Containers, Protocol):
    """Swapping a router's bundle: lock, validate, mount, wait, restore (``router/apply.py``)."""


class DiscoverEngine(Services, Tasks, ServiceWiring, Nodes, Protocol):
    """Finding an app's route targets (``router/discover.py``)."""


class ProbeEngine(Services, Tasks, Nodes, Protocol):
    """Where the router answers, and its image (``router/stack.py``)."""


class RouterEngine(ApplyEngine, DiscoverEngine, Networks, Images, StackCli, Protocol):
    """The router: its stack, its configs, the apps it discovers and watches (``router/``)."""


class PipelineEngine(SwarmInfo, Services, ServiceWiring, Tasks, Configs, Secrets, Networks, Nodes, Images,
                     ImageStore, Volumes, Containers, Events, StackCli, Protocol):
    """Deploy then route, unroute then remove (``pipeline.py``, ``demo.py``): every capability.

    Listed flat rather than as ``(DeployEngine, RouterEngine)``: those two order their shared
    capabilities differently, so Python finds no consistent MRO for a class inheriting both;
    a Protocol is structural, so this one satisfies both wherever either is asked for.
    """
