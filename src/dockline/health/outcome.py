"""Probe outcomes: variants, not flags.

Every probe returns one of :class:`Healthy`, :class:`Unhealthy` or :class:`ProbeTimeout`.
Each renders as the one ``[HEALTHCHECK] ...`` line a Docker healthcheck prints, and maps
to exit 0 (healthy) or 1 (anything else): Docker reserves 2.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import timedelta

PREFIX = "[HEALTHCHECK]"


@dataclass(frozen=True)
class Healthy:
    """The service answered as expected."""

    message: str
    elapsed: timedelta

    @property
    def ok(self) -> bool:
        return True


@dataclass(frozen=True)
class Unhealthy:
    """The service answered wrongly, refused, or the probe could not run."""

    message: str
    elapsed: timedelta

    @property
    def ok(self) -> bool:
        return False


@dataclass(frozen=True)
class ProbeTimeout:
    """The service did not answer within the probe's timeout."""

    message: str
    elapsed: timedelta

    @property
    def ok(self) -> bool:
        return False


ProbeOutcome = Healthy | Unhealthy | ProbeTimeout


def line(outcome: ProbeOutcome) -> str:
    """The one line a healthcheck prints: ``[HEALTHCHECK] healthy: ...``."""
    word = "healthy" if isinstance(outcome, Healthy) else "unhealthy"
    return f"{PREFIX} {word}: {outcome.message}"


def exit_code(outcome: ProbeOutcome) -> int:
    """0 for :class:`Healthy`, 1 otherwise (never 2: Docker reserves it)."""
    return 0 if isinstance(outcome, Healthy) else 1


def network_failure(where: str, e: OSError, timeout_seconds: float, elapsed: timedelta) -> ProbeOutcome:
    """The outcome for a socket error while reaching ``where`` (shared by the probes)."""
    if isinstance(e, TimeoutError | socket.timeout):
        return ProbeTimeout(f"{where}: no answer within {timeout_seconds:g}s", elapsed)
    if isinstance(e, ConnectionRefusedError):
        return Unhealthy(f"{where}: connection refused", elapsed)
    if isinstance(e, socket.gaierror):
        return Unhealthy(f"{where}: could not resolve host", elapsed)
    return Unhealthy(f"{where}: {e.strerror or e}", elapsed)
