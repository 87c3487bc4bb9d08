"""The one door to Docker. Nothing else in dockline imports ``docker``.

The adapter wraps the docker SDK (and, where the engine's own converter is wanted, the
docker CLI) behind the typed values of :mod:`dockline.swarm.model`: no raw engine dict leaves
this package. It satisfies the capability Protocols of :mod:`dockline.swarm.protocols`
(``conformance.py`` is the mypy-checked proof), which is all the core depends on.

Modules, one per resource as docker-py's own ``api/`` package is built from mixins:
``client`` (:class:`Engine`: connect, info, the manager gate), ``base`` (the shared SDK
clients, deadline and ``call``), ``errors`` (the one translation of SDK, transport and CLI
errors), ``convert`` (the one conversion of API dicts to models, durations and filters),
``containers``, ``images``, ``services`` (services, tasks, stack deploy/rm), ``objects``
(configs, secrets), ``networks``, ``volumes``, ``nodes``, ``events``, ``cli`` (the docker
CLI subprocess). A new call goes into its resource's mixin, and into the Protocol the core
uses it through.
"""

from __future__ import annotations

from dockline.engine.base import DEFAULT_TIMEOUT
from dockline.engine.client import Engine
from dockline.engine.convert import from_nanos, parse_time, to_nanos
from dockline.engine.errors import is_not_found
from dockline.engine.events import EventSubscription

__all__ = ["DEFAULT_TIMEOUT", "Engine", "EventSubscription", "from_nanos", "is_not_found", "parse_time", "to_nanos"]
