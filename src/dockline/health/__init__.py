"""Health probes (http, tcp, postgres, exec), their outcomes, and a waiter.

Each probe returns an outcome variant (:class:`Healthy`, :class:`Unhealthy`,
:class:`ProbeTimeout`); :func:`line` renders the one ``[HEALTHCHECK] ...`` line and
:func:`exit_code` gives 0 or 1. The POSIX-sh twins that run inside images without Python
live in ``dockline/data/sh/`` (see :mod:`dockline.health.scripts`).
"""

from dockline.health.exec import probe_exec
from dockline.health.http import USER_AGENT, probe_http
from dockline.health.outcome import Healthy, ProbeOutcome, ProbeTimeout, Unhealthy, exit_code, line
from dockline.health.postgres import (
    PostgresTarget,
    SettingsError,
    probe_postgres,
    settings_from_env,
)
from dockline.health.tcp import parse_target, probe_tcp
from dockline.health.wait import Backoff, DeadlineExceeded, wait_healthy

__all__ = [
    "USER_AGENT",
    "Backoff",
    "DeadlineExceeded",
    "Healthy",
    "PostgresTarget",
    "ProbeOutcome",
    "ProbeTimeout",
    "SettingsError",
    "Unhealthy",
    "exit_code",
    "line",
    "parse_target",
    "probe_exec",
    "probe_http",
    "probe_postgres",
    "probe_tcp",
    "settings_from_env",
    "wait_healthy",
]
