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
from datetime import UTC, datetime, timedelta
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
from dockline.swarm.model import (
    NO_LEADER_TEXT,
    ConfigInfo,
    ContainerInfo,
    EngineEvent,
    EngineInfo,
    ImageHealthcheck,
    ManagerStatus,
    NetworkInfo,
    NodeInfo,
    PublishedPort,
    SecretInfo,
    ServiceInfo,
    TaskInfo,
    UpdateStatus,
)

log = logging.getLogger("dockline.engine")

DEFAULT_TIMEOUT = timedelta(seconds=30)
LOST_LEADER_TEXT = "lost leader status"  # raft, while the leader steps down (cluster)
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

        dt = dt.replace(tzinfo=UTC)
    return dt


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
        if LOST_LEADER_TEXT in text:
            return QuorumLost(_LOST_LEADER_MESSAGE, _LOST_LEADER_HINT)
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
        except Exception as e:
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
        except Exception as e:
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

    def image_healthcheck(self, ref: str) -> ImageHealthcheck | None:
        """The image's HEALTHCHECK, ``None`` when it has none; raises ``EngineError`` when
        the image is absent (owner: image runtime)."""
        try:
            raw = self.call("the image inspect", self._api.inspect_image, ref)
        except docker.errors.NotFound:
            raise EngineError(f"no such image: {ref}") from None
        hc = (raw.get("Config") or {}).get("Healthcheck") or None
        if not hc or not hc.get("Test"):
            return None
        return ImageHealthcheck(
            test=tuple(str(t) for t in hc.get("Test") or ()),
            interval=from_nanos(hc.get("Interval") or None),
            timeout=from_nanos(hc.get("Timeout") or None),
            start_period=from_nanos(hc.get("StartPeriod") or None),
            retries=hc.get("Retries") or None,
        )

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
        last: list[str] = []
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
        except Exception as e:
            raise _translate(e, "the image build") from e
        if image_id is None and tag:
            image_id = self.image_id(tag)
        if image_id is None:
            raise BuildFailed("build finished without an image id", "\n".join(last[-10:]) or None)
        return str(image_id)

    def push_image(self, ref: str, *, on_line: Callable[[str], None] | None = None) -> str:
        """Push ``ref`` (``registry/repo:tag``) to its registry with the engine's stored
        credentials; stream status lines to ``on_line``. Returns the manifest digest the
        registry reports. Raises ``EngineError`` with the registry's message."""
        from dockline.errors import EngineError

        repository, tag = docker.utils.parse_repository_tag(ref)
        if tag is not None and tag.startswith("sha256:"):
            from dockline.errors import UsageError

            raise UsageError(f"push {ref}: push a tag, not a digest", "name the image as REGISTRY/REPO:TAG")
        stream = self.call("the image push", self._api.push, repository, tag=tag or "latest", stream=True,
                           decode=True)
        digest = None
        try:
            for chunk in stream:
                if "error" in chunk or "errorDetail" in chunk:
                    msg = str(chunk.get("error") or (chunk.get("errorDetail") or {}).get("message") or "").strip()
                    raise EngineError(f"push of {ref} failed: {msg}",
                                      "is the registry reachable, and are you logged in (docker login)?")
                status = str(chunk.get("status") or "")
                if status and on_line and chunk.get("id") is None:
                    on_line(status)
                aux = chunk.get("aux")
                if isinstance(aux, dict) and aux.get("Digest"):
                    digest = str(aux["Digest"])
        except DocklineError:
            raise
        except Exception as e:
            raise _translate(e, "the image push") from e
        if digest is None:
            raise EngineError(f"push of {ref} finished without a digest from the registry")
        return digest

    def tag_image(self, ref: str, repository: str, tag: str) -> None:
        self.call("the image tag", self._api.tag, ref, repository, tag)

    def remove_image(self, ref: str, force: bool = False) -> None:
        try:
            self.call("the image removal", self._api.remove_image, ref, force=force)
        except docker.errors.NotFound:
            pass

    def import_image(self, tarball: str, repository: str, tag: str) -> None:
        self.call("the image import", self._api.import_image_from_file, tarball, repository=repository, tag=tag)

    # ---- swarm objects: services, tasks, configs, secrets, networks, stacks, events ----
    # (owner: stack deploys; models in dockline.stack.model)
    def services(self, labels: Mapping[str, str] | None = None,
                 names: Sequence[str] | None = None) -> list[ServiceInfo]:
        """Services, filtered by labels (``{"k": "v"}``/``{"k": ""}``) and/or exact names."""
        filters: dict[str, Any] = {}
        if labels:
            filters["label"] = [f"{k}={v}" if v else k for k, v in labels.items()]
        if names:
            filters["name"] = list(names)
        rows = self.call("the service list", self._api.services, filters=filters or None)
        wanted = set(names) if names else None  # the name filter is a prefix match
        return [_service_info(r) for r in rows if wanted is None or r["Spec"]["Name"] in wanted]

    def service(self, name_or_id: str) -> ServiceInfo | None:
        """One service; ``None`` when it does not exist."""
        try:
            raw = self.call("the service inspect", self._api.inspect_service, name_or_id)
        except docker.errors.NotFound:
            return None
        return _service_info(raw)

    def tasks(self, services: Sequence[str]) -> list[TaskInfo]:
        """Tasks of the given services (names or ids), all states."""
        if not services:
            return []
        rows = self.call("the task list", self._api.tasks, filters={"service": list(services)})
        return [_task_info(r) for r in rows]

    def configs(self, labels: Mapping[str, str] | None = None) -> list[ConfigInfo]:
        filters = _label_filters(labels)
        rows = self.call("the config list", self._api.configs, filters=filters)
        return [_config_info(r) for r in rows]

    def config_data(self, id_or_name: str) -> bytes | None:
        """A config's content; ``None`` when it does not exist."""
        import base64

        try:
            raw = self.call("the config inspect", self._api.inspect_config, id_or_name)
        except docker.errors.NotFound:
            return None
        return base64.b64decode((raw.get("Spec") or {}).get("Data") or "")

    def create_config(self, name: str, data: bytes, labels: Mapping[str, str] | None = None) -> str:
        """Create a config; returns its id."""
        res = self.call("the config create", self._api.create_config, name, data, labels=dict(labels or {}))
        return str(res["ID"])

    def set_config_labels(self, id_or_name: str, labels: Mapping[str, str]) -> None:
        """Replace a config's labels (the only update swarm allows on a config)."""
        raw = self.call("the config inspect", self._api.inspect_config, id_or_name)
        spec = dict(raw["Spec"])
        spec["Labels"] = dict(labels)
        url = self._api._url("/configs/{0}/update", raw["ID"])
        res = self.call("the config update", self._api._post_json, url, data=spec,
                        params={"version": raw["Version"]["Index"]})
        self.call("the config update", self._api._raise_for_status, res)

    def _remove_unless_in_use(self, what: str, fn: Callable[[str], Any], id_or_name: str) -> bool:
        try:
            self.call(what, fn, id_or_name)
            return True
        except docker.errors.NotFound:
            return False
        except EngineError as e:
            if "in use" in e.message:
                return False
            raise

    def remove_config(self, id_or_name: str) -> bool:
        """Remove a config; ``False`` when it is absent or still in use."""
        return self._remove_unless_in_use("the config removal", self._api.remove_config, id_or_name)

    def secrets(self, labels: Mapping[str, str] | None = None) -> list[SecretInfo]:
        filters = _label_filters(labels)
        rows = self.call("the secret list", self._api.secrets, filters=filters)
        return [
            SecretInfo(id=str(r["ID"]), name=str(r["Spec"]["Name"]),
                       labels=dict(r["Spec"].get("Labels") or {}), created_at=parse_time(r.get("CreatedAt")))
            for r in rows
        ]

    def remove_secret(self, id_or_name: str) -> bool:
        """Remove a secret; ``False`` when it is absent or still in use."""
        return self._remove_unless_in_use("the secret removal", self._api.remove_secret, id_or_name)

    def networks(self, labels: Mapping[str, str] | None = None) -> list[NetworkInfo]:
        filters = _label_filters(labels)
        rows = self.call("the network list", self._api.networks, filters=filters)
        return [
            NetworkInfo(id=str(r["Id"]), name=str(r["Name"]), driver=str(r.get("Driver", "")),
                        scope=str(r.get("Scope", "")), labels=dict(r.get("Labels") or {}))
            for r in rows
        ]

    def image_digest(self, ref: str, *, registry: bool = False) -> str | None:
        """The digest an image reference resolves to: the registry's (``registry=True``,
        one bounded request) or the local image's repo digest / id; ``None`` when unknown."""
        if registry:
            try:
                raw = self.call("the registry lookup", self._api.inspect_distribution, ref)
                return str((raw.get("Descriptor") or {}).get("digest") or "") or None
            except Exception:  # noqa: BLE001 - no registry reachable is an answer, not an error
                return None
        try:
            raw = self.call("the image inspect", self._api.inspect_image, ref)
        except docker.errors.NotFound:
            return None
        digests = raw.get("RepoDigests") or []
        return str(digests[0].split("@", 1)[1]) if digests else str(raw["Id"])

    def stack_deploy(self, name: str, compose_file: str, *, prune: bool, with_registry_auth: bool,
                     resolve_image: str, timeout: timedelta | None = None) -> str:
        """``docker stack deploy`` (the engine's own converter) on a resolved file.
        Returns the CLI's output; raises ``EngineError`` with its message on failure."""
        args = ["stack", "deploy", "--resolve-image", resolve_image, "-c", compose_file]
        if prune:
            args.append("--prune")
        if with_registry_auth:
            args.append("--with-registry-auth")
        res = self.cli([*args, name], timeout=timeout or timedelta(minutes=2))
        text = (res.stdout + res.stderr).strip()
        if res.returncode != 0:
            raise _translate_cli(text, "the stack deploy")
        return text

    def stack_rm(self, name: str, timeout: timedelta | None = None) -> str:
        """``docker stack rm`` (returns at once; wait for the objects to go yourself)."""
        res = self.cli(["stack", "rm", name], timeout=timeout or timedelta(minutes=1))
        text = (res.stdout + res.stderr).strip()
        if res.returncode != 0 and "Nothing found in stack" not in text:
            raise _translate_cli(text, "the stack removal")
        return text

    def subscribe_events(self, filters: Mapping[str, Sequence[str]],
                         since: datetime | None = None) -> EventSubscription:
        """Open the engine's event stream; iterate it (blocking), ``close()`` from any thread."""
        stream = self.call("the event stream", self._api.events, since=since,
                           filters={k: list(v) for k, v in filters.items()}, decode=True)
        return EventSubscription(stream)

    # ---- volumes, images by label (owner: eventpage demo) -------------------------------
    def image_ids(self, labels: Mapping[str, str]) -> list[str]:
        """Ids of every local image (tagged or not) carrying ``labels``."""
        filters = {"label": [f"{k}={v}" if v else k for k, v in labels.items()]}
        rows = self.call("the image list", self._api.images, all=True, filters=filters)
        return sorted({str(r["Id"]) for r in rows})

    def volume_exists(self, name: str) -> bool:
        """Whether a local volume of that name exists."""
        try:
            self.call("the volume inspect", self._api.inspect_volume, name)
            return True
        except docker.errors.NotFound:
            return False

    def remove_volume(self, name: str) -> bool:
        """Remove a volume; True when gone (absent is gone), False while a container uses it."""
        try:
            self.call("the volume removal", self._api.remove_volume, name)
            return True
        except docker.errors.NotFound:
            return True
        except EngineError as e:
            if "in use" in e.message:
                return False
            raise

    # ---- swarm nodes (owner: cluster; models in dockline.cluster.nodes) -------------
    def nodes(self) -> list[NodeInfo]:
        """Every node of the swarm (needs a manager with quorum)."""
        rows = self.call("the node list", self._api.nodes)
        return [_node_info(r) for r in rows]

    def node(self, id_or_name: str) -> NodeInfo | None:
        """One node by id or hostname; ``None`` when it does not exist."""
        try:
            raw = self.call("the node inspect", self._api.inspect_node, id_or_name)
        except docker.errors.NotFound:
            return None
        return _node_info(raw)

    def update_node(self, node_id: str, *, labels: Mapping[str, str] | None = None,
                    availability: str | None = None) -> NodeInfo:
        """Replace a node's labels and/or set its availability (active|pause|drain).
        Re-reads the node's version and retries when another writer got there first."""
        for attempt in range(3):
            raw = self.call("the node inspect", self._api.inspect_node, node_id)
            spec = dict(raw["Spec"])
            if labels is not None:
                spec["Labels"] = dict(labels)
            if availability is not None:
                spec["Availability"] = availability
            try:
                self.call("the node update", self._api.update_node, raw["ID"], raw["Version"]["Index"], spec)
            except EngineError as e:
                if "out of sequence" in e.message and attempt < 2:
                    continue
                raise
            break
        return _node_info(self.call("the node inspect", self._api.inspect_node, node_id))

    def running_tasks_by_node(self) -> dict[str, int]:
        """Node id -> number of tasks running there (all services)."""
        rows = self.call("the task list", self._api.tasks, filters={"desired-state": "running"})
        counts: dict[str, int] = {}
        for r in rows:
            if (r.get("Status") or {}).get("State") == "running" and r.get("NodeID"):
                counts[str(r["NodeID"])] = counts.get(str(r["NodeID"]), 0) + 1
        return counts

    # ---- router (owner: router) --------------------------------------------------------
    def service_networks(self, name_or_id: str) -> tuple[str, ...]:
        """Ids of the networks a service's tasks join (empty when it does not exist)."""
        try:
            raw = self.call("the service inspect", self._api.inspect_service, name_or_id)
        except docker.errors.NotFound:
            return ()
        nets = ((raw.get("Spec") or {}).get("TaskTemplate") or {}).get("Networks") or []
        return tuple(str(n.get("Target", "")) for n in nets)

    def network_id(self, name: str) -> str | None:
        """A network's id by exact name; ``None`` when absent."""
        rows = self.call("the network list", self._api.networks, names=[name])
        return next((str(r["Id"]) for r in rows if r.get("Name") == name), None)

    def create_overlay_network(self, name: str, labels: Mapping[str, str]) -> str:
        """An attachable overlay network (standalone containers may join it too)."""
        res = self.call("the network create", self._api.create_network, name, driver="overlay",
                        attachable=True, labels=dict(labels), check_duplicate=True)
        return str(res["Id"])

    def remove_network(self, name_or_id: str) -> bool:
        """Remove a network; ``False`` when absent or still in use."""
        try:
            self.call("the network removal", self._api.remove_network, name_or_id)
            return True
        except docker.errors.NotFound:
            return False
        except EngineError as e:
            if "in use" in e.message or "active endpoints" in e.message:
                return False
            raise

    def set_service_configs(self, name_or_id: str, mounts: Sequence[tuple[str, str]],
                            expect: Sequence[str]) -> None:
        """Replace a service's configs with ``mounts`` ((config name, target path), files
        0444) in one update (the service's own update_config applies). Compare-and-swap:
        refuses with ``EngineError`` when the service no longer references exactly
        ``expect`` (another writer changed it), and the version check refuses a concurrent
        update."""
        raw = self.call("the service inspect", self._api.inspect_service, name_or_id)
        spec = raw["Spec"]
        cs = spec["TaskTemplate"]["ContainerSpec"]
        current = sorted(str(c.get("ConfigName", "")) for c in (cs.get("Configs") or []))
        if current != sorted(expect):
            raise EngineError(f"service {spec.get('Name')} changed under us (configs {current})")
        new = []
        for name, target in mounts:
            cfg = self.call("the config inspect", self._api.inspect_config, name)
            new.append({"ConfigID": cfg["ID"], "ConfigName": name,
                        "File": {"Name": target, "UID": "0", "GID": "0", "Mode": 0o444}})
        cs["Configs"] = new
        url = self._api._url("/services/{0}/update", raw["ID"])
        res = self.call("the service update", self._api._post_json, url, data=spec,
                        params={"version": raw["Version"]["Index"]})
        self.call("the service update", self._api._raise_for_status, res)

    def run_check(self, image: str, files: Mapping[str, bytes], command: Sequence[str], *,
                  network: str | None = None, timeout: timedelta = timedelta(seconds=30)) -> tuple[int, str]:
        """Run ``command`` once in a throw-away container of ``image`` with ``files``
        (absolute path -> content) copied in first; returns (exit code, output)."""
        import io
        import tarfile

        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            for path, data in files.items():
                info = tarfile.TarInfo(path.lstrip("/"))
                info.size = len(data)
                info.mode = 0o444
                tar.addfile(info, io.BytesIO(data))
        host_config = self._api.create_host_config(network_mode=network) if network else None
        c = self.call("the container create", self._api.create_container, image, command=list(command),
                      host_config=host_config, labels={"dockline.check": "1"})
        cid = c["Id"]
        try:
            self.call("the file copy", self._api.put_archive, cid, "/", buf.getvalue())
            self.call("the container start", self._api.start, cid)
            res = self.call("the container wait", self._api.wait, cid, timeout=timeout.total_seconds())
            out = self.call("the container logs", self._api.logs, cid, stdout=True, stderr=True)
            return int(res.get("StatusCode", -1)), out.decode(errors="replace")
        finally:
            self.remove_container(cid)

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


# --------------------------------------------------------------------------- swarm objects (stack deploys)
class EventSubscription:
    """An open event stream. Iterate for :class:`EngineEvent`; ``close()`` ends the iteration."""

    def __init__(self, stream: Any):
        self._stream = stream

    def __iter__(self) -> Any:
        try:
            for raw in self._stream:
                actor = raw.get("Actor") or {}
                yield EngineEvent(
                    type=str(raw.get("Type", "")),
                    action=str(raw.get("Action", "")),
                    actor_id=str(actor.get("ID", "")),
                    attributes={str(k): str(v) for k, v in (actor.get("Attributes") or {}).items()},
                    time=datetime.fromtimestamp(raw["timeNano"] / 1e9, tz=UTC) if raw.get("timeNano") else None,
                )
        except Exception as e:  # noqa: BLE001 - a closed stream ends the iteration
            log.debug("event stream ended: %s", e)

    def close(self) -> None:
        try:
            self._stream.close()
        except Exception as e:  # noqa: BLE001
            log.debug("closing the event stream: %s", e)


_LOST_LEADER_MESSAGE = "the swarm lost its leader during the request (raft: node lost leader status)"
_LOST_LEADER_HINT = ("too few managers may be online (quorum lost), or a new leader is being elected; "
                     "start stopped managers, then retry")


def _translate_cli(text: str, what: str) -> DocklineError:
    if NO_LEADER_TEXT in text:
        return QuorumLost("the swarm does not have a leader: too few managers are online",
                          "start the stopped managers; running replicas keep serving meanwhile")
    if LOST_LEADER_TEXT in text:
        return QuorumLost(_LOST_LEADER_MESSAGE, _LOST_LEADER_HINT)
    if NOT_MANAGER_TEXT in text or "This node is not a swarm manager" in text:
        return NotSwarmManager("this engine is not a swarm manager",
                               "run `docker swarm init --advertise-addr 127.0.0.1`, or point DOCKER_HOST at a manager")
    if "Cannot connect to the Docker daemon" in text:
        return EngineUnavailable("cannot reach the Docker engine", "start dockerd or set DOCKER_HOST")
    return EngineError(f"{what} failed: {text.splitlines()[-1] if text else 'no output'}", text or None)


def _label_filters(labels: Mapping[str, str] | None) -> dict[str, list[str]] | None:
    """``{"k": "v"}`` / ``{"k": ""}`` (presence) as the engine's label filter."""
    return {"label": [f"{k}={v}" if v else k for k, v in labels.items()]} if labels else None


def _spec_key(task_spec: Mapping[str, Any] | None) -> str:
    """Hash of a task template; a task carries the template it was made from
    (the service's copy adds the default ``Runtime``, which tasks omit)."""
    import hashlib
    import json

    spec = {k: v for k, v in (task_spec or {}).items() if k != "Runtime"}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def _refs(task_spec: Mapping[str, Any] | None, kind: str) -> tuple[str, ...]:
    cs = (task_spec or {}).get("ContainerSpec") or {}
    key = "ConfigName" if kind == "Configs" else "SecretName"
    return tuple(str(c.get(key, "")) for c in (cs.get(kind) or []))


def _service_info(raw: Mapping[str, Any]) -> ServiceInfo:
    spec = raw.get("Spec") or {}
    tmpl = spec.get("TaskTemplate") or {}
    prev = (raw.get("PreviousSpec") or {}).get("TaskTemplate")
    cs = tmpl.get("ContainerSpec") or {}
    mode_raw = spec.get("Mode") or {}
    mode = "replicated"
    replicas: int | None = None
    if "Replicated" in mode_raw:
        replicas = int((mode_raw["Replicated"] or {}).get("Replicas", 1))
    elif "Global" in mode_raw:
        mode = "global"
    elif "ReplicatedJob" in mode_raw:
        mode = "replicated-job"
    elif "GlobalJob" in mode_raw:
        mode = "global-job"
    us = raw.get("UpdateStatus") or None
    update = None
    if us and us.get("State"):
        update = UpdateStatus(state=str(us["State"]), message=str(us.get("Message", "")),
                              started_at=parse_time(us.get("StartedAt")),
                              completed_at=parse_time(us.get("CompletedAt")))
    hc = cs.get("Healthcheck")
    has_hc: bool | None = None
    if hc and hc.get("Test"):
        has_hc = hc["Test"] != ["NONE"]
    rp = tmpl.get("RestartPolicy") or {}
    ports = tuple(
        PublishedPort(target=int(p.get("TargetPort", 0)), published=p.get("PublishedPort"),
                      protocol=str(p.get("Protocol", "tcp")), mode=str(p.get("PublishMode", "ingress")))
        for p in ((spec.get("EndpointSpec") or {}).get("Ports") or [])
    )
    return ServiceInfo(
        id=str(raw["ID"]),
        name=str(spec.get("Name", "")),
        labels=dict(spec.get("Labels") or {}),
        image=str(cs.get("Image", "")),
        mode=mode,
        replicas=replicas,
        update=update,
        task_spec_key=_spec_key(tmpl),
        previous_task_spec_key=_spec_key(prev) if prev else None,
        has_healthcheck=has_hc,
        restart_condition=rp.get("Condition"),
        restart_max_attempts=int(rp["MaxAttempts"]) if rp.get("MaxAttempts") else None,
        configs=_refs(tmpl, "Configs"),
        secrets=_refs(tmpl, "Secrets"),
        previous_configs=_refs(prev, "Configs"),
        previous_secrets=_refs(prev, "Secrets"),
        published_ports=ports,
        created_at=parse_time(raw.get("CreatedAt")),
        updated_at=parse_time(raw.get("UpdatedAt")),
    )


def _task_info(raw: Mapping[str, Any]) -> TaskInfo:
    st = raw.get("Status") or {}
    cst = st.get("ContainerStatus") or {}
    return TaskInfo(
        id=str(raw["ID"]),
        service_id=str(raw.get("ServiceID", "")),
        slot=raw.get("Slot"),
        node_id=raw.get("NodeID") or None,
        desired_state=str(raw.get("DesiredState", "")),
        state=str(st.get("State", "")),
        message=str(st.get("Message", "")),
        error=st.get("Err") or None,
        timestamp=parse_time(st.get("Timestamp")),
        container_id=cst.get("ContainerID") or None,
        exit_code=cst.get("ExitCode"),
        spec_key=_spec_key(raw.get("Spec")),
    )


def _config_info(raw: Mapping[str, Any]) -> ConfigInfo:
    spec = raw.get("Spec") or {}
    return ConfigInfo(id=str(raw["ID"]), name=str(spec.get("Name", "")), labels=dict(spec.get("Labels") or {}),
                      created_at=parse_time(raw.get("CreatedAt")),
                      version=int((raw.get("Version") or {}).get("Index", 0)))


def _node_info(raw: Mapping[str, Any]) -> NodeInfo:
    spec = raw.get("Spec") or {}
    desc = raw.get("Description") or {}
    status = raw.get("Status") or {}
    platform = desc.get("Platform") or {}
    eng = desc.get("Engine") or {}
    ms = raw.get("ManagerStatus")
    return NodeInfo(
        id=str(raw["ID"]),
        hostname=str(desc.get("Hostname", "")),
        role=str(spec.get("Role", "")),
        availability=str(spec.get("Availability", "")),
        state=str(status.get("State", "")),
        addr=str(status.get("Addr", "")),
        engine_version=str(eng.get("EngineVersion", "")),
        platform_os=str(platform.get("OS", "")),
        platform_arch=str(platform.get("Architecture", "")),
        labels=dict(spec.get("Labels") or {}),
        engine_labels=dict(eng.get("Labels") or {}),
        manager=None if not ms else ManagerStatus(
            leader=bool(ms.get("Leader")), reachability=str(ms.get("Reachability", "unknown")),
            addr=str(ms.get("Addr", ""))),
        version=int((raw.get("Version") or {}).get("Index", 0)),
        nano_cpus=int((desc.get("Resources") or {}).get("NanoCPUs") or 0),
        memory_bytes=int((desc.get("Resources") or {}).get("MemoryBytes") or 0),
    )
