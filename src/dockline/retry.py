"""One retry loop: ``poll_until`` asks a question until it is answered or a deadline passes.

Every "retry until gone / until ready" in dockline goes through here, so each has a deadline
(no loop spins forever), a growing interval (a slow engine is not hammered; a fast one is
noticed quickly) and a clock and sleep that unit tests replace. The check returns the answer,
or ``None`` for "not yet"; a falsy answer other than ``None`` (``0``, ``""``, ``[]``) counts as
an answer, so a check may report "nothing left" as an empty list.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from dockline.durations import format_duration
from dockline.errors import JobFailed

T = TypeVar("T")


class DeadlinePassed(JobFailed):
    """``poll_until`` ran out of time; the message says what was awaited and for how long."""


@dataclass(frozen=True)
class Backoff:
    """Intervals between tries: ``first``, then times ``factor``, at most ``most``."""

    first: timedelta = timedelta(milliseconds=100)
    factor: float = 1.5
    most: timedelta = timedelta(seconds=2)

    def interval(self, attempt: int) -> float:
        """Seconds to wait after try number ``attempt`` (0-based)."""
        return min(self.first.total_seconds() * self.factor ** attempt, self.most.total_seconds())


def poll_until(
    check: Callable[[], T | None],
    *,
    deadline: timedelta,
    what: str,
    backoff: Backoff = Backoff(),
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    hint: str | None = None,
) -> T:
    """Call ``check`` until it returns something other than ``None``, and return that.

    Raises ``DeadlinePassed`` ("<what>: not done after 30s") once ``deadline`` has passed
    since the first call. The last sleep is cut so the deadline is not overshot.
    """
    start = clock()
    end = start + deadline.total_seconds()
    attempt = 0
    while True:
        answer = check()
        if answer is not None:
            return answer
        now = clock()
        if now >= end:
            raise DeadlinePassed(f"{what}: not done after {format_duration(deadline)}", hint)
        sleep(min(backoff.interval(attempt), end - now))
        attempt += 1


