"""Wait until a probe is healthy, against a deadline, with growing backoff.

The library API for other waiters (stack deploys, ``verify``, the entrypoint's peers):

    outcome = wait_healthy(lambda: probe_tcp("127.0.0.1", 5432), deadline=timedelta(seconds=60))
    if isinstance(outcome, Healthy): ...
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from dockline import retry
from dockline.health.outcome import Healthy, ProbeOutcome
from dockline.retry import poll_until


@dataclass(frozen=True)
class DeadlineExceeded:
    """The probe never passed before the deadline; ``last`` is its final outcome."""

    last: ProbeOutcome
    attempts: int
    waited: timedelta

    @property
    def ok(self) -> bool:
        return False

    @property
    def message(self) -> str:
        return f"not healthy after {self.waited.total_seconds():.1f}s and {self.attempts} tries: {self.last.message}"


@dataclass(frozen=True)
class Backoff:
    """Delay between tries: ``first``, multiplied by ``factor``, capped at ``cap``."""

    first: timedelta = timedelta(milliseconds=200)
    factor: float = 1.5
    cap: timedelta = timedelta(seconds=5)

    def delays(self) -> Callable[[int], timedelta]:
        def delay(attempt: int) -> timedelta:
            seconds = self.first.total_seconds() * (self.factor ** max(attempt - 1, 0))
            return timedelta(seconds=min(seconds, self.cap.total_seconds()))

        return delay


def wait_healthy(
    probe: Callable[[], ProbeOutcome],
    *,
    deadline: timedelta,
    backoff: Backoff = Backoff(),
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    on_attempt: Callable[[int, ProbeOutcome], None] | None = None,
) -> Healthy | DeadlineExceeded:
    """Call ``probe`` until it returns :class:`Healthy` or ``deadline`` has passed.

    The last try starts no later than the deadline; sleeps never overshoot it."""
    start = clock()
    attempt = 0
    last: ProbeOutcome | None = None

    def healthy() -> Healthy | None:
        nonlocal attempt, last
        attempt += 1
        last = probe()
        if on_attempt is not None:
            on_attempt(attempt, last)
        return last if isinstance(last, Healthy) else None

    try:
        return poll_until(healthy, deadline=deadline, what="the probe to pass",
                          backoff=retry.Backoff(first=backoff.first, factor=backoff.factor, most=backoff.cap),
                          clock=clock, sleep=sleep)
    except retry.DeadlinePassed:
        assert last is not None
        return DeadlineExceeded(last, attempt, timedelta(seconds=clock() - start))
