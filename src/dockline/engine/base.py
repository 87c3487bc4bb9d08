"""What every resource section of the engine shares: the SDK clients, the deadline, and
:meth:`ApiBase.call`, the one way an SDK call is made (errors translated by
:mod:`dockline.engine.errors`)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, TypeVar

from dockline.engine.errors import NotFound, is_in_use, translate
from dockline.errors import EngineError

DEFAULT_TIMEOUT = timedelta(seconds=30)
T = TypeVar("T")


class ApiBase:
    """The state the mixins (``ContainersMixin``, ``ImagesMixin``...) work on, as docker-py's
    ``api/`` mixins share its ``APIClient``. Every call has the client-side deadline given at
    connect time (a swarm that lost its leader can hang ``/info`` for 20 s, see
    testbed/swarm-lab.md §3.10)."""

    def __init__(self, client: Any, timeout: timedelta = DEFAULT_TIMEOUT):
        self._client = client  # docker.DockerClient (high-level: containers.run, wait)
        self._api = client.api  # docker.APIClient (low-level: one method per endpoint)
        self.timeout = timeout
        self._lock = threading.Lock()

    def call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one SDK call, translating errors; the engine's 404 (``NotFound``) passes."""
        try:
            return fn(*args, **kwargs)
        except NotFound:
            raise
        except Exception as e:
            raise translate(e, what) from e

    def _remove(self, what: str, fn: Callable[[str], Any], id_or_name: str, *, absent: bool = False) -> bool:
        """Remove an object unless something still uses it: ``True`` when removed, ``False``
        while in use; an absent object answers ``absent``."""
        try:
            self.call(what, fn, id_or_name)
            return True
        except NotFound:
            return absent
        except EngineError as e:
            if is_in_use(e):
                return False
            raise

    def _post_update(self, what: str, path: str, obj_id: str, version: int, spec: Mapping[str, Any]) -> None:
        """``POST {path}?version=N`` with a whole, modified spec: the Engine API's update of
        a service or a config (https://docs.docker.com/engine/api/v1.41/#tag/Service/operation/ServiceUpdate,
        .../#tag/Config/operation/ConfigUpdate). The version makes it a compare-and-swap.

        This uses three private ``APIClient`` helpers (``_url``, ``_post_json``,
        ``_raise_for_status``), because docker-py has no public call that sends a spec as is:
        it has no config update at all (docker/api/config.py: create, inspect, remove, list),
        and its ``update_service`` rebuilds the spec from keyword arguments, re-inspecting the
        service with ``insertDefaults`` under ``fetch_current_spec`` and merging the task
        template key by key (docker/api/service.py, ``update_service`` and
        ``_merge_task_template``, https://github.com/docker/docker-py/blob/7.1.0/docker/api/service.py),
        which would send defaults and fields the inspected spec did not have.
        """
        url = self._api._url(path, obj_id)
        res = self.call(what, self._api._post_json, url, data=spec, params={"version": version})
        self.call(what, self._api._raise_for_status, res)
