"""Containers: inspect, list by label, run, stop, kill, wait, logs, exec, remove; and the
one-shot check container the router validates its bundle in."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from dockline.engine.base import ApiBase
from dockline.engine.convert import container_info, label_filter, to_nanos
from dockline.engine.errors import NotFound
from dockline.swarm.model import ContainerInfo


class ContainersMixin(ApiBase):
    """The container endpoints (docker-py's ``ContainerApiMixin`` and ``ExecApiMixin``)."""

    def container(self, id_or_name: str) -> ContainerInfo | None:
        """Inspect one container; ``None`` when it does not exist."""
        try:
            raw = self.call("the container inspect", self._api.inspect_container, id_or_name)
        except NotFound:
            return None
        return container_info(raw)

    def containers(self, labels: Mapping[str, str] | None = None, all: bool = True) -> list[ContainerInfo]:
        """Containers, filtered by labels (``{"k": "v"}`` or ``{"k": ""}`` for presence)."""
        rows = self.call("the container list", self._api.containers, all=all, filters=label_filter(labels) or None)
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
        """Remove a container (and its anonymous volumes); absent is fine."""
        try:
            self.call("the container removal", self._api.remove_container, id_or_name, force=force, v=True)
        except NotFound:
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

    def run_check(self, image: str, files: Mapping[str, bytes], command: Sequence[str], *,
                  network: str | None = None, timeout: timedelta = timedelta(seconds=30)) -> tuple[int, str]:
        """Run ``command`` once in a throw-away container of ``image`` with ``files``
        (absolute path -> content) copied in first; returns (exit code, output)."""
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
