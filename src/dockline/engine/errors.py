"""The one place that turns what the Docker SDK, ``requests`` and the docker CLI raise or
print into :mod:`dockline.errors`.

Every SDK call goes through :meth:`dockline.engine.base.ApiBase.call`, which lets only
:class:`NotFound` (the engine's 404, an answer the sections handle) through untranslated.
"""

from __future__ import annotations

from typing import Any

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
from dockline.swarm.model import NO_LEADER_TEXT

#: The engine's 404; the sections catch it where "absent" is an answer.
NotFound = docker.errors.NotFound

LOST_LEADER_TEXT = "lost leader status"  # raft, while the leader steps down (cluster)
NOT_MANAGER_TEXT = "not a swarm manager"
#: What the engine says when a config, secret, network or volume is still referenced.
IN_USE_TEXTS = ("in use", "active endpoints")

START_DOCKERD_HINT = "start dockerd (scripts/testbed up does it) or set DOCKER_HOST"
SWARM_INIT_HINT = "run `docker swarm init --advertise-addr 127.0.0.1`, or point DOCKER_HOST at a manager"
NO_LEADER_MESSAGE = "the swarm does not have a leader: too few managers are online"
NO_LEADER_HINT = "start the stopped managers; running replicas keep serving meanwhile"
LOST_LEADER_MESSAGE = "the swarm lost its leader during the request (raft: node lost leader status)"
LOST_LEADER_HINT = ("too few managers may be online (quorum lost), or a new leader is being elected; "
                    "start stopped managers, then retry")


def _swarm_text(text: str) -> DocklineError | None:
    """The swarm answers shared by the API and the CLI: no leader, lost leader, not a manager."""
    if NO_LEADER_TEXT in text:
        return QuorumLost(NO_LEADER_MESSAGE, NO_LEADER_HINT)
    if LOST_LEADER_TEXT in text:
        return QuorumLost(LOST_LEADER_MESSAGE, LOST_LEADER_HINT)
    if NOT_MANAGER_TEXT in text or "This node is not a swarm manager" in text:
        return NotSwarmManager("this engine is not a swarm manager", SWARM_INIT_HINT)
    return None


def translate(e: BaseException, what: str) -> DocklineError:
    """An SDK (or transport) exception as the dockline error a user sees."""
    if isinstance(e, DocklineError):
        return e
    if isinstance(e, (requests.exceptions.ReadTimeout, TimeoutError)):
        return EngineTimeout(
            f"the Docker engine did not answer {what} in time",
            "the engine may be overloaded, or the swarm may be changing leader; try again",
        )
    if isinstance(e, (requests.exceptions.ConnectionError, FileNotFoundError, ConnectionRefusedError)):
        return EngineUnavailable(f"cannot reach the Docker engine ({what})", START_DOCKERD_HINT)
    if isinstance(e, docker.errors.DockerException) and "Error while fetching server API version" in str(e):
        return EngineUnavailable("cannot reach the Docker engine", START_DOCKERD_HINT)
    if isinstance(e, docker.errors.APIError):
        text = api_text(e)
        return _swarm_text(text) or EngineError(f"Docker refused {what}: {text}")
    return EngineError(f"{what} failed: {type(e).__name__}: {e}")


def translate_cli(text: str, what: str) -> DocklineError:
    """The docker CLI's combined output of a failed command as a dockline error."""
    known = _swarm_text(text)
    if known is not None:
        return known
    if "Cannot connect to the Docker daemon" in text:
        return EngineUnavailable("cannot reach the Docker engine", "start dockerd or set DOCKER_HOST")
    return EngineError(f"{what} failed: {text.splitlines()[-1] if text else 'no output'}", text or None)


def api_text(e: Any) -> str:
    """The engine's message of an ``APIError`` (its ``explanation``), as text."""
    text = getattr(e, "explanation", None) or str(e)
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return str(text).strip()


def is_not_found(e: BaseException) -> bool:
    """Whether an exception is the engine's 404."""
    return isinstance(e, NotFound)


def is_in_use(e: EngineError) -> bool:
    """Whether the engine refused a removal because something still uses the object."""
    return any(t in e.message for t in IN_USE_TEXTS)


def unavailable(url: str) -> EngineUnavailable:
    """Nothing answered at ``url`` when connecting."""
    return EngineUnavailable(
        f"cannot reach the Docker engine at {url}",
        "start dockerd (`scripts/testbed up` installs and starts it) or set DOCKER_HOST",
    )
