"""Swarm services and tasks, the router's edits of a service, and ``docker stack deploy`` /
``docker stack rm`` (the engine's own compose converter, through the docker CLI)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from dockline.engine.base import ApiBase
from dockline.engine.cli import run_cli
from dockline.engine.convert import label_filter, service_info, task_info
from dockline.engine.errors import NotFound, translate_cli
from dockline.errors import EngineError
from dockline.swarm.model import ServiceInfo, TaskInfo


class ServicesMixin(ApiBase):
    """The service and task endpoints (docker-py's ``ServiceApiMixin``), and stacks."""

    def services(self, labels: Mapping[str, str] | None = None,
                 names: Sequence[str] | None = None) -> list[ServiceInfo]:
        """Services, filtered by labels (``{"k": "v"}``/``{"k": ""}``) and/or exact names."""
        filters: dict[str, Any] = label_filter(labels)
        if names:
            filters["name"] = list(names)
        rows = self.call("the service list", self._api.services, filters=filters or None)
        wanted = set(names) if names else None  # the name filter is a prefix match
        return [service_info(r) for r in rows if wanted is None or r["Spec"]["Name"] in wanted]

    def service(self, name_or_id: str) -> ServiceInfo | None:
        """One service; ``None`` when it does not exist."""
        try:
            raw = self.call("the service inspect", self._api.inspect_service, name_or_id)
        except NotFound:
            return None
        return service_info(raw)

    def tasks(self, services: Sequence[str]) -> list[TaskInfo]:
        """Tasks of the given services (names or ids), all states."""
        if not services:
            return []
        rows = self.call("the task list", self._api.tasks, filters={"service": list(services)})
        return [task_info(r) for r in rows]

    def running_tasks_by_node(self) -> dict[str, int]:
        """Node id -> number of tasks running there (all services)."""
        rows = self.call("the task list", self._api.tasks, filters={"desired-state": "running"})
        counts: dict[str, int] = {}
        for r in rows:
            if (r.get("Status") or {}).get("State") == "running" and r.get("NodeID"):
                counts[str(r["NodeID"])] = counts.get(str(r["NodeID"]), 0) + 1
        return counts

    def service_networks(self, name_or_id: str) -> tuple[str, ...]:
        """Ids of the networks a service's tasks join (empty when it does not exist)."""
        try:
            raw = self.call("the service inspect", self._api.inspect_service, name_or_id)
        except NotFound:
            return ()
        nets = ((raw.get("Spec") or {}).get("TaskTemplate") or {}).get("Networks") or []
        return tuple(str(n.get("Target", "")) for n in nets)

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
        self._post_update("the service update", "/services/{0}/update", raw["ID"], raw["Version"]["Index"], spec)

    # ---- stacks: the docker CLI's converter ------------------------------------------
    def stack_deploy(self, name: str, compose_file: str, *, prune: bool, with_registry_auth: bool,
                     resolve_image: str, timeout: timedelta | None = None) -> str:
        """``docker stack deploy`` (the engine's own converter) on a resolved file.
        Returns the CLI's output; raises ``EngineError`` with its message on failure."""
        args = ["stack", "deploy", "--resolve-image", resolve_image, "-c", compose_file]
        if prune:
            args.append("--prune")
        if with_registry_auth:
            args.append("--with-registry-auth")
        res = run_cli([*args, name], timeout=timeout or timedelta(minutes=2))
        text = (res.stdout + res.stderr).strip()
        if res.returncode != 0:
            raise translate_cli(text, "the stack deploy")
        return text

    def stack_rm(self, name: str, timeout: timedelta | None = None) -> str:
        """``docker stack rm`` (returns at once; wait for the objects to go yourself)."""
        res = run_cli(["stack", "rm", name], timeout=timeout or timedelta(minutes=1))
        text = (res.stdout + res.stderr).strip()
        if res.returncode != 0 and "Nothing found in stack" not in text:
            raise translate_cli(text, "the stack removal")
        return text
