"""``Engine``: the Docker adapter, composed of one mixin per resource (as docker-py builds its
``APIClient`` from ``ContainerApiMixin``, ``ImageApiMixin``...), with the connection, the
engine's facts and the swarm-manager gate."""

from __future__ import annotations

import os
from datetime import timedelta

import docker

from dockline.engine.base import DEFAULT_TIMEOUT, ApiBase
from dockline.engine.cli import CliMixin
from dockline.engine.containers import ContainersMixin
from dockline.engine.convert import engine_info
from dockline.engine.errors import NO_LEADER_HINT, NO_LEADER_MESSAGE, SWARM_INIT_HINT, unavailable
from dockline.engine.events import EventsMixin
from dockline.engine.images import ImagesMixin
from dockline.engine.networks import NetworksMixin
from dockline.engine.nodes import NodesMixin
from dockline.engine.objects import ObjectsMixin
from dockline.engine.services import ServicesMixin
from dockline.engine.volumes import VolumesMixin
from dockline.errors import NotSwarmManager, QuorumLost
from dockline.swarm.model import EngineInfo


class Engine(
    ContainersMixin,
    ImagesMixin,
    ServicesMixin,
    ObjectsMixin,
    NetworksMixin,
    VolumesMixin,
    NodesMixin,
    EventsMixin,
    CliMixin,
    ApiBase,
):
    """The Docker adapter. Construct with :meth:`connect`."""

    @classmethod
    def connect(cls, base_url: str | None = None, timeout: timedelta = DEFAULT_TIMEOUT) -> Engine:
        """Connect to ``base_url`` or ``DOCKER_HOST`` (default unix socket); raise
        :class:`EngineUnavailable` with a hint when nothing answers."""
        url = base_url or os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
        try:
            client = docker.DockerClient(base_url=url, version="auto", timeout=int(timeout.total_seconds()))
        except Exception as e:
            raise unavailable(url) from e
        return cls(client, timeout)

    def info(self) -> EngineInfo:
        """Engine and swarm facts."""
        version = self.call("the version request", self._api.version)
        raw = self.call("the info request", self._api.info)
        return engine_info(version, raw, str(self._api.api_version))

    def require_manager(self) -> EngineInfo:
        """Raise ``NotSwarmManager`` / ``QuorumLost`` unless this engine can change the swarm."""
        info = self.info()
        if info.quorum_lost:
            raise QuorumLost(NO_LEADER_MESSAGE, NO_LEADER_HINT)
        if info.swarm_state != "active":
            raise NotSwarmManager(f"this engine is not in a swarm (state: {info.swarm_state})", SWARM_INIT_HINT)
        if not info.control_available:
            raise NotSwarmManager("this engine is a swarm worker, not a manager", "point DOCKER_HOST at a manager node")
        return info

    def close(self) -> None:
        self._client.close()
