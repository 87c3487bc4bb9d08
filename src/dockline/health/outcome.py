"""Probe outcomes: variants, not flags.

Every probe returns one of :class:`Healthy`, :class:`Unhealthy` or :class:`ProbeTimeout`.
Each renders as the one ``[HEALTHCHECK] ...`` line a Docker healthcheck prints, and maps
to exit 0 (healthy) or 1 (anything else): Docker reserves 2.

A message often quotes a server (a PostgreSQL ErrorResponse, an HTTP status line, a
command's output): that text is untrusted. :func:`line` is the one place it is made safe to
print: a newline cannot start a second ``[HEALTHCHECK]`` line, an escape sequence cannot
reach the terminal (both are shown escaped, as ``\\n`` or ``\\x1b``), and a 16 MiB message
is cut to :data:`MAX_MESSAGE` characters (Docker keeps 4096 bytes of a probe's output).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import timedelta

PREFIX = "[HEALTHCHECK]"
MAX_MESSAGE = 1000  # characters: with the prefix, at most 4 KiB of UTF-8 (Docker keeps 4096 bytes)


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


def safe_text(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` as part of one printed line: every character that is not printable (line
    breaks, tabs, ESC and the other controls, bidi overrides, lone surrogates) shown as its
    Python escape (``\\n``, ``\\x1b``, ``\\u202e``), and at most ``limit`` characters."""
    if len(text) <= limit and text.isprintable():
        return text
    out: list[str] = []
    size = 0
    for ch in text:
        shown = ch if ch.isprintable() else repr(ch)[1:-1]
        if size + len(shown) > limit:
            return "".join(out) + f"... (cut at {limit} of {len(text)} characters)"
        out.append(shown)
        size += len(shown)
    return "".join(out)


def line(outcome: ProbeOutcome) -> str:
    """The one line a healthcheck prints: ``[HEALTHCHECK] healthy: ...``, made safe by
    :func:`safe_text` (one line, no control characters, bounded length)."""
    word = "healthy" if isinstance(outcome, Healthy) else "unhealthy"
    return f"{PREFIX} {word}: {safe_text(outcome.message)}"


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
