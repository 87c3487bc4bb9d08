"""``dockline verify IMAGE``: run it, wait for its HEALTHCHECK to decide, optionally run a
smoke command, remove the container.

The loop is written against the small :class:`dockline.swarm.protocols.VerifyEngine`
protocol (the real :class:`dockline.engine.Engine` satisfies it), so its decisions are unit-tested with an
in-memory fake and shown against real containers in tests/integration/image/.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from dockline.errors import BadInputError, EngineError
from dockline.retry import Backoff, DeadlinePassed, poll_until
from dockline.swarm.model import ContainerInfo, ImageHealthcheck
from dockline.swarm.protocols import VerifyEngine

LOG_TAIL = 30
#: Re-read the container after 0.25 s, then 1.5 times longer each time, at most every 2 s.
_BACKOFF = Backoff(first=timedelta(seconds=0.25), factor=1.5, most=timedelta(seconds=2))


@dataclass(frozen=True)
class VerifyRequest:
    """What to run and how long to wait."""

    image: str
    name: str
    env: Mapping[str, str] = field(default_factory=dict)
    ports: Mapping[str, int | None] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    health_cmd: str | None = None
    health_interval: timedelta | None = None
    deadline: timedelta = timedelta(minutes=2)
    smoke: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verified:
    """Healthy (and the smoke command, if any, exited 0)."""

    image: str
    waited: timedelta
    health_log: tuple[str, ...]
    smoke_output: str | None = None
    ok: bool = True


@dataclass(frozen=True)
class VerifyUnhealthy:
    """The HEALTHCHECK reported unhealthy."""

    image: str
    waited: timedelta
    health_log: tuple[str, ...]
    log_tail: str
    ok: bool = False


@dataclass(frozen=True)
class VerifyExited:
    """The container exited before it became healthy."""

    image: str
    waited: timedelta
    exit_code: int | None
    health_log: tuple[str, ...]
    log_tail: str
    ok: bool = False


@dataclass(frozen=True)
class VerifyDeadline:
    """Still not healthy when the deadline passed."""

    image: str
    waited: timedelta
    status: str | None
    health_log: tuple[str, ...]
    log_tail: str
    ok: bool = False


@dataclass(frozen=True)
class SmokeFailed:
    """Healthy, but the smoke command failed."""

    image: str
    waited: timedelta
    exit_code: int
    output: str
    health_log: tuple[str, ...]
    ok: bool = False


VerifyOutcome = Verified | VerifyUnhealthy | VerifyExited | VerifyDeadline | SmokeFailed


def healthcheck_spec(
    image_hc: ImageHealthcheck | None,
    health_cmd: str | None,
    interval: timedelta | None,
) -> dict[str, Any] | None:
    """The healthcheck to run with: ``--health-cmd`` replaces the image's; ``--health-interval``
    shortens its interval (so a 20 s image interval need not make verify slow). ``None``
    keeps the image's as is. Raises exit 2 when there is nothing to check."""
    if health_cmd is not None:
        if not health_cmd.strip():
            raise BadInputError("--health-cmd is empty")
        spec: dict[str, Any] = {"test": ["CMD-SHELL", health_cmd], "retries": 3,
                                "timeout": timedelta(seconds=5)}
        spec["interval"] = interval or timedelta(seconds=2)
        return spec
    if image_hc is None or image_hc.disabled:
        raise BadInputError(
            "the image has no HEALTHCHECK, so there is nothing to wait for",
            "add one (`dockline scaffold` writes probes and the line), or pass --health-cmd",
        )
    if interval is None:
        return None
    spec = {"test": list(image_hc.test), "interval": interval}
    if image_hc.timeout:
        spec["timeout"] = image_hc.timeout
    if image_hc.retries:
        spec["retries"] = image_hc.retries
    if image_hc.start_period:
        spec["start_period"] = image_hc.start_period
    return spec


def verify_image(
    engine: VerifyEngine,
    req: VerifyRequest,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    on_status: Callable[[str, tuple[str, ...]], None] | None = None,
) -> VerifyOutcome:
    """Run, wait, smoke, remove (also on failure). Raises only for bad input / engine errors."""
    image = engine.image(req.image)
    if image is None:
        raise EngineError(f"no such image: {req.image}")
    spec = healthcheck_spec(image.healthcheck, req.health_cmd, req.health_interval)
    start = clock()
    info = engine.run_container(req.image, name=req.name, environment=dict(req.env), labels=dict(req.labels),
                                ports=dict(req.ports), healthcheck=spec)
    try:
        return _wait(engine, req, info.id, start, clock, sleep, on_status)
    finally:
        engine.remove_container(info.id, force=True)


def _wait(
    engine: VerifyEngine,
    req: VerifyRequest,
    cid: str,
    start: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    on_status: Callable[[str, tuple[str, ...]], None] | None,
) -> VerifyOutcome:
    last_status: str | None = None
    last_log: tuple[str, ...] = ()
    last: ContainerInfo | None = None
    outcome: VerifyOutcome | None = None

    def decided() -> bool | None:
        """``True`` once ``outcome`` is known (``Verified``: healthy, the smoke test still to
        run), ``None`` while the container is starting."""
        nonlocal last_status, last_log, last, outcome
        c = engine.container(cid)
        waited = timedelta(seconds=clock() - start)
        if c is None:
            outcome = VerifyExited(req.image, waited, None, last_log, "(the container disappeared)")
            return True
        last = c
        last_log = c.health_log or last_log
        if on_status is not None and c.health != last_status:
            on_status(c.health or c.status, last_log)
        last_status = c.health
        if c.status in ("exited", "dead"):
            outcome = VerifyExited(req.image, waited, c.exit_code, last_log, _tail(engine, cid))
        elif c.health == "healthy":
            outcome = Verified(req.image, waited, last_log)
        elif c.health == "unhealthy":
            outcome = VerifyUnhealthy(req.image, waited, last_log, _tail(engine, cid))
        return True if outcome is not None else None

    try:
        # the deadline counts from before the container was started
        poll_until(decided, deadline=req.deadline - timedelta(seconds=clock() - start),
                   what=f"{req.image} to become healthy", backoff=_BACKOFF, clock=clock, sleep=sleep)
    except DeadlinePassed:
        assert last is not None  # a poll that saw no container has ended
        return VerifyDeadline(req.image, timedelta(seconds=clock() - start), last.health or last.status, last_log,
                              _tail(engine, cid))
    assert outcome is not None
    if not isinstance(outcome, Verified):
        return outcome
    waited = timedelta(seconds=clock() - start)
    if not req.smoke:
        return Verified(req.image, waited, last_log)
    code, out = engine.exec_in(cid, list(req.smoke))
    if code != 0:
        return SmokeFailed(req.image, waited, code, out.strip()[-2000:], last_log)
    return Verified(req.image, waited, last_log, out.strip()[-2000:])


def _tail(engine: VerifyEngine, cid: str) -> str:
    try:
        return engine.container_logs(cid, tail=LOG_TAIL).rstrip()
    except Exception:  # noqa: BLE001 - the log tail is a courtesy; the outcome stands without it
        return "(logs unavailable)"
