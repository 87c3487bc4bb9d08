"""Exec probe: a command exits 0 (its first output line explains)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta

from dockline.health.outcome import Healthy, ProbeOutcome, ProbeTimeout, Unhealthy
from dockline.process import run_bounded

DEFAULT_TIMEOUT = timedelta(seconds=10)


def _first_line(text: str) -> str:
    for raw in text.splitlines():
        s = raw.strip()
        if s:
            return s[:300]
    return ""


def probe_exec(argv: Sequence[str], *, timeout: timedelta = DEFAULT_TIMEOUT) -> ProbeOutcome:
    """Run ``argv`` (an argument list, never a shell string); healthy on exit 0."""
    start = time.monotonic()
    if not argv:
        return Unhealthy("no command given", timedelta(0))
    shown = " ".join(argv)[:120]
    try:
        # the whole process group dies with the timeout (a probe's children must not linger)
        proc = run_bounded(argv, timeout=timeout, limit=64 * 1024)
    except OSError as e:
        return Unhealthy(f"`{shown}` could not run: {e.strerror or e}",
                         timedelta(seconds=time.monotonic() - start))
    took = timedelta(seconds=time.monotonic() - start)
    if proc.timed_out:
        return ProbeTimeout(f"`{shown}` did not finish within {timeout.total_seconds():g}s", took)
    said = _first_line(proc.stdout) or _first_line(proc.stderr)
    # A probe script already prints "[HEALTHCHECK] ..."; do not double the prefix.
    for prefix in ("[HEALTHCHECK] healthy: ", "[HEALTHCHECK] unhealthy: ", "[HEALTHCHECK] "):
        if said.startswith(prefix):
            said = said[len(prefix):]
            break
    tail = f": {said}" if said else ""
    if proc.returncode == 0:
        return Healthy(f"`{shown}` exited 0{tail}", took)
    if proc.returncode < 0:
        return Unhealthy(f"`{shown}` was killed by signal {-proc.returncode}{tail}", took)
    return Unhealthy(f"`{shown}` exited {proc.returncode}{tail}", took)
