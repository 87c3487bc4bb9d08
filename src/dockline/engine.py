"""The one door to Docker. Nothing else in dockline imports ``docker``.

The adapter wraps the docker SDK (and, where the engine's own converter is wanted, the
docker CLI) behind small typed models: no raw engine dict leaves this module. Every call
has a client-side deadline (a swarm that lost its leader can hang ``/info`` for 20 s,
see testbed/swarm-lab.md §3.10), and ``docker.errors.*`` are translated into
``dockline.errors``. Durations cross this boundary as ``timedelta`` and become
nanoseconds only here.

Sections: connection and info; containers; images and builds; swarm objects
(services, tasks, configs, secrets, networks, nodes); events; the docker CLI.
Each capability adds what it needs in its section; keep methods small and typed.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import docker
import docker.errors
import requests.exceptions

from dockline.errors import (
    DocklineError,
    EngineError,
    EngineTimeout,
    EngineUnavailable,
    NotSwarmManager,
    QuorumLost,
)

log = logging.getLogger("dockline.engine")

DEFAULT_TIMEOUT = timedelta(seconds=30)
NO_LEADER_TEXT = "does not have a leader"
NOT_MANAGER_TEXT = "not a swarm manager"
T = TypeVar("T")


def to_nanos(d: timedelta) -> int:
    """Docker's duration unit."""
    return int(d.total_seconds() * 1_000_000_000)


def from_nanos(n: int | None) -> timedelta | None:
    """Inverse of :func:`to_nanos`; ``None`` stays ``None``."""
    return None if n is None else timedelta(microseconds=n / 1000)


def parse_time(value: str | None) -> datetime | None:
    """Docker's RFC 3339 timestamps with nanoseconds."""
    if not value or value.startswith("0001-01-01"):
        return None
    v = value.rstrip("Z")
    if "." in v:
        head, frac = v.split(".", 1)
        tz = ""
        for sep in ("+", "-"):
            if sep in frac:
                frac, tz = frac.split(sep, 1)
                tz = sep + tz
                break
        v = f"{head}.{frac[:6]}{tz}"
    try:
        dt = datetime.fromisoformat(v)
    except ValueError:
        return None
    if dt.tzinfo is None:
        from datetime import timezone

        dt = dt.replace(tzinfo=timezone.utc)
    return dt


# --------------------------------------------------------------------------- models
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


# --------------------------------------------------------------------------- helpers
def _translate(e: BaseException, what: str) -> DocklineError:
    if isinstance(e, DocklineError):
        return e
    if isinstance(e, (requests.exceptions.ReadTimeout, TimeoutError)):
        return EngineTimeout(
            f"the Docker engine did not answer {what} in time",
            "the engine may be overloaded, or the swarm may be changing leader; try again",
        )
    if isinstance(e, (requests.exceptions.ConnectionError, FileNotFoundError, ConnectionRefusedError)):
        return EngineUnavailable(
            f"cannot reach the Docker engine ({what})",
            "start dockerd (scripts/testbed up does it) or set DOCKER_HOST",
        )
    if isinstance(e, docker.errors.DockerException) and "Error while fetching server API version" in str(e):
        return EngineUnavailable(
            "cannot reach the Docker engine",
            "start dockerd (scripts/testbed up does it) or set DOCKER_HOST",
        )
    if isinstance(e, docker.errors.APIError):
        text = _api_text(e)
        if NO_LEADER_TEXT in text:
            return QuorumLost(
                "the swarm does not have a leader: too few managers are online",
                "start the stopped managers; running replicas keep serving meanwhile",
            )
        if NOT_MANAGER_TEXT in text or "This node is not a swarm manager" in text:
            return NotSwarmManager(
                "this engine is not a swarm manager",
                "run `docker swarm init --advertise-addr 127.0.0.1`, or point DOCKER_HOST at a manager",
            )
        return EngineError(f"Docker refused {what}: {text}")
    return EngineError(f"{what} failed: {type(e).__name__}: {e}")


def _api_text(e: Any) -> str:
    text = getattr(e, "explanation", None) or str(e)
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return str(text).strip()


def is_not_found(e: BaseException) -> bool:
    """Whether an exception is the engine's 404."""
    return isinstance(e, docker.errors.NotFound)


# --------------------------------------------------------------------------- engine
class Engine:
    """The Docker adapter. Construct with :meth:`connect`."""

    def __init__(self, client: docker.DockerClient, timeout: timedelta = DEFAULT_TIMEOUT):
        self._client = client
        self._api = client.api
        self.timeout = timeout
        self._lock = threading.Lock()

    # ---- connection and info ------------------------------------------------------
    @classmethod
    def connect(cls, base_url: str | None = None, timeout: timedelta = DEFAULT_TIMEOUT) -> Engine:
        """Connect to ``base_url`` or ``DOCKER_HOST`` (default unix socket); raise
        :class:`EngineUnavailable` with a hint when nothing answers."""
        url = base_url or os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
        try:
            client = docker.DockerClient(base_url=url, version="auto", timeout=int(timeout.total_seconds()))
        except Exception as e:  # noqa: BLE001 - the SDK raises DockerException for "no answer"
            raise EngineUnavailable(
                f"cannot reach the Docker engine at {url}",
                "start dockerd (`scripts/testbed up` installs and starts it) or set DOCKER_HOST",
            ) from e
        return cls(client, timeout)

    def call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one SDK call, translating errors. Public so sections stay one-liners."""
        try:
            return fn(*args, **kwargs)
        except docker.errors.NotFound:
            raise
        except Exception as e:  # noqa: BLE001
            raise _translate(e, what) from e

    def info(self) -> EngineInfo:
        """Engine and swarm facts."""
        version = self.call("the version request", self._api.version)
        raw = self.call("the info request", self._api.info)
        swarm = raw.get("Swarm") or {}
        node_id = swarm.get("NodeID") or None
        control = bool(swarm.get("ControlAvailable"))
        role = None
        if swarm.get("LocalNodeState") == "active":
            role = "manager" if control else "worker"
        return EngineInfo(
            server_version=str(version.get("Version", "?")),
            api_version=str(self._api.api_version),
            os=f"{version.get('Os', '?')}/{version.get('Arch', '?')}",
            swarm_state=str(swarm.get("LocalNodeState") or "inactive"),
            node_id=node_id,
            node_role=role,
            control_available=control,
            swarm_error=(swarm.get("Error") or None),
            managers=swarm.get("Managers"),
            nodes=swarm.get("Nodes"),
        )

    def require_manager(self) -> EngineInfo:
        """Raise ``NotSwarmManager`` / ``QuorumLost`` unless this engine can change the swarm."""
        info = self.info()
        if info.quorum_lost:
            raise QuorumLost(
                "the swarm does not have a leader: too few managers are online",
                "start the stopped managers; running replicas keep serving meanwhile",
            )
        if info.swarm_state != "active":
            raise NotSwarmManager(
                f"this engine is not in a swarm (state: {info.swarm_state})",
                "run `docker swarm init --advertise-addr 127.0.0.1`, or point DOCKER_HOST at a manager",
            )
        if not info.control_available:
            raise NotSwarmManager(
                "this engine is a swarm worker, not a manager",
                "point DOCKER_HOST at a manager node",
            )
        return info

    @property
    def api(self) -> Any:
        """The low-level SDK client, for use inside this module's sections only."""
        return self._api

    def close(self) -> None:
        self._client.close()

    # ---- containers -----------------------------------------------------------------
    def container(self, id_or_name: str) -> ContainerInfo | None:
        """Inspect one container; ``None`` when it does not exist."""
        try:
            raw = self.call("the container inspect", self._api.inspect_container, id_or_name)
        except docker.errors.NotFound:
            return None
        return _container_info(raw)

    def containers(self, labels: Mapping[str, str] | None = None, all: bool = True) -> list[ContainerInfo]:
        """Containers, filtered by labels (``{"k": "v"}`` or ``{"k": ""}`` for presence)."""
        filters = {"label": [f"{k}={v}" if v else k for k, v in (labels or {}).items()]}
        rows = self.call("the container list", self._api.containers, all=all, filters=filters)
        out = []
        for r in rows:
            c = self.container(r["Id"])
            if c is not None:
                out.append(c)
        return out

    def run_container(
        self,
        image: str,
        *,
        name: str | None = None,
        command: Sequence[str] | None = None,
        entrypoint: Sequence[str] | None = None,
        environment: Mapping[str, str] | None = None,
        labels: Mapping[str, str] | None = None,
        ports: Mapping[str, int | None] | None = None,
        network: str | None = None,
        init: bool | None = None,
        user: str | None = None,
        stop_signal: str | None = None,
        healthcheck: Mapping[str, Any] | None = None,
        volumes: Mapping[str, Mapping[str, str]] | None = None,
    ) -> ContainerInfo:
        """Create and start a detached container. ``healthcheck`` durations are timedeltas."""
        hc = None
        if healthcheck is not None:
            hc = {k: (to_nanos(v) if isinstance(v, timedelta) else v) for k, v in healthcheck.items()}
        container = self.call(
            "the container run",
            self._client.containers.run,
            image,
            command=list(command) if command is not None else None,
            entrypoint=list(entrypoint) if entrypoint is not None else None,
            name=name,
            environment=dict(environment or {}),
            labels=dict(labels or {}),
            ports=dict(ports or {}),
            network=network,
            init=init,
            user=user,
            stop_signal=stop_signal,
            healthcheck=hc,
            volumes=dict(volumes) if volumes else None,
            detach=True,
        )
        info = self.container(container.id)
        assert info is not None
        return info

    def stop_container(self, id_or_name: str, timeout: timedelta = timedelta(seconds=10)) -> None:
        self.call("the container stop", self._api.stop, id_or_name, timeout=int(timeout.total_seconds()))

    def kill_container(self, id_or_name: str, signal: str = "SIGKILL") -> None:
        self.call("the container kill", self._api.kill, id_or_name, signal=signal)

    def remove_container(self, id_or_name: str, force: bool = True) -> None:
        """Remove a container; absent is fine."""
        try:
            self.call("the container removal", self._api.remove_container, id_or_name, force=force, v=True)
        except docker.errors.NotFound:
            pass

    def wait_container(self, id_or_name: str, timeout: timedelta) -> int:
        """Wait for a container to exit; returns its exit code."""
        res = self.call(
            "the container wait", self._client.containers.get(id_or_name).wait, timeout=timeout.total_seconds()
        )
        return int(res.get("StatusCode", -1))

    def container_logs(self, id_or_name: str, tail: int = 50) -> str:
        raw = self.call("the container logs", self._api.logs, id_or_name, tail=tail, stdout=True, stderr=True)
        return raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)

    def exec_in(self, id_or_name: str, cmd: Sequence[str], user: str | None = None) -> tuple[int, str]:
        """Run a command in a running container; returns (exit code, combined output)."""
        ex = self.call("the exec create", self._api.exec_create, id_or_name, list(cmd), user=user or "")
        out = self.call("the exec start", self._api.exec_start, ex["Id"])
        res = self.call("the exec inspect", self._api.exec_inspect, ex["Id"])
        text = out.decode(errors="replace") if isinstance(out, bytes) else str(out)
        return int(res.get("ExitCode") or 0), text

    # ---- images and builds -----------------------------------------------------------
    def image_exists(self, ref: str) -> bool:
        try:
            self.call("the image inspect", self._api.inspect_image, ref)
            return True
        except docker.errors.NotFound:
            return False

    def image_labels(self, ref: str) -> Mapping[str, str] | None:
        """Labels of a local image; ``None`` when absent."""
        try:
            raw = self.call("the image inspect", self._api.inspect_image, ref)
        except docker.errors.NotFound:
            return None
        return dict((raw.get("Config") or {}).get("Labels") or {})

    def image_id(self, ref: str) -> str | None:
        try:
            raw = self.call("the image inspect", self._api.inspect_image, ref)
        except docker.errors.NotFound:
            return None
        return str(raw["Id"])

    def build(
        self,
        context: str,
        *,
        tag: str | None = None,
        dockerfile: str | None = None,
        buildargs: Mapping[str, str] | None = None,
        labels: Mapping[str, str] | None = None,
        target: str | None = None,
        on_line: Callable[[str], None] | None = None,
        rm: bool = True,
    ) -> str:
        """Build an image with the engine's builder; stream lines to ``on_line``.
        Returns the image id. Raises ``BuildFailed`` with the builder's message."""
        from dockline.errors import BuildFailed

        stream = self.call(
            "the image build",
            self._api.build,
            path=context,
            tag=tag,
            dockerfile=dockerfile,
            buildargs=dict(buildargs or {}),
            labels=dict(labels or {}),
            target=target,
            rm=rm,
            forcerm=True,
            decode=True,
        )
        image_id = None
        last = []
        try:
            for chunk in stream:
                if "error" in chunk:
                    msg = str(chunk.get("error", "")).strip()
                    raise BuildFailed(f"build failed: {msg}", "\n".join(last[-10:]) or None)
                text = chunk.get("stream")
                if text:
                    for line in text.splitlines():
                        last.append(line)
                        if on_line:
                            on_line(line)
                aux = chunk.get("aux")
                if isinstance(aux, dict) and "ID" in aux:
                    image_id = aux["ID"]
        except DocklineError:
            raise
        except Exception as e:  # noqa: BLE001
            raise _translate(e, "the image build") from e
        if image_id is None and tag:
            image_id = self.image_id(tag)
        if image_id is None:
            raise BuildFailed("build finished without an image id", "\n".join(last[-10:]) or None)
        return str(image_id)

    def tag_image(self, ref: str, repository: str, tag: str) -> None:
        self.call("the image tag", self._api.tag, ref, repository, tag)

    def remove_image(self, ref: str, force: bool = False) -> None:
        try:
            self.call("the image removal", self._api.remove_image, ref, force=force)
        except docker.errors.NotFound:
            pass

    def import_image(self, tarball: str, repository: str, tag: str) -> None:
        self.call("the image import", self._api.import_image_from_file, tarball, repository=repository, tag=tag)

    # ---- the docker CLI --------------------------------------------------------------
    def cli(
        self,
        args: Sequence[str],
        *,
        input: str | None = None,
        timeout: timedelta | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run the docker CLI with an argument list (never a shell)."""
        exe = shutil.which("docker")
        if exe is None:
            raise EngineUnavailable("the docker CLI is not installed", "install docker.io (scripts/testbed up)")
        full_env = dict(os.environ)
        full_env.update(env or {})
        try:
            return subprocess.run(
                [exe, *args],
                input=input,
                capture_output=True,
                text=True,
                timeout=(timeout or self.timeout * 4).total_seconds(),
                env=full_env,
                cwd=cwd,
                check=False,
            )
        except subprocess.TimeoutExpired as e:
            raise EngineTimeout(f"`docker {' '.join(args[:3])}` did not finish in time") from e


def _container_info(raw: Mapping[str, Any]) -> ContainerInfo:
    state = raw.get("State") or {}
    health = state.get("Health") or None
    nets = ((raw.get("NetworkSettings") or {}).get("Networks")) or {}
    ports_raw = ((raw.get("NetworkSettings") or {}).get("Ports")) or {}
    ports: dict[str, tuple[str, ...]] = {}
    for k, v in ports_raw.items():
        ports[k] = tuple(f"{b.get('HostIp', '')}:{b.get('HostPort', '')}" for b in (v or []))
    return ContainerInfo(
        id=str(raw["Id"]),
        name=str(raw.get("Name", "")).lstrip("/"),
        image=str((raw.get("Config") or {}).get("Image", "")),
        status=str(state.get("Status", "")),
        exit_code=state.get("ExitCode"),
        health=(health or {}).get("Status"),
        health_log=tuple(str(h.get("Output", "")).strip() for h in ((health or {}).get("Log") or [])),
        labels=dict((raw.get("Config") or {}).get("Labels") or {}),
        ip_addresses={n: str(v.get("IPAddress", "")) for n, v in nets.items()},
        ports=ports,
        started_at=parse_time(state.get("StartedAt")),
        finished_at=parse_time(state.get("FinishedAt")),
        pid=state.get("Pid") or None,
    )

