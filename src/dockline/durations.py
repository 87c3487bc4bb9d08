"""Durations: the one syntax every flag, setting and environment variable takes.

``90`` (seconds), ``90s``, ``2m``, ``1m30s``, ``1h30m``, ``250ms``, ``1.5s``; Go's units
(``ns``, ``us``/``µs``, ``ms``, ``s``, ``m``, ``h``) in any combination without spaces, as
``docker service create --update-delay`` and compose files write them. Numbers in a YAML file
are seconds. Negative durations are refused everywhere (a deadline in the past is a typo).
Errors are ``ConfigError`` (exit 2) naming the key, flag or variable they came from.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta

from dockline.errors import ConfigError

_PART = re.compile(r"(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
EXAMPLES = "90, 90s, 2m or 1m30s"


def parse_duration(text: str | float, key: str = "value") -> timedelta:
    """``text`` as a ``timedelta``; ``key`` names where it came from in the error."""
    if isinstance(text, bool):
        raise ConfigError(f"{key}: should be a duration like {EXAMPLES}")
    if isinstance(text, (int, float)):
        if text < 0:
            raise ConfigError(f"{key}: should not be negative (got {text})")
        return _seconds(text, key)
    s = str(text).strip()
    if s.startswith("-"):
        raise ConfigError(f"{key}: should not be negative (got {_shown(s)})")
    if _NUMBER.fullmatch(s):
        return _seconds(float(s), key)
    pos = 0
    total = 0.0
    for m in _PART.finditer(s):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
        pos = m.end()
    if not s or pos != len(s):
        raise ConfigError(f"{key}: should be a duration like {EXAMPLES} (got {_shown(s)})")
    return _seconds(total, key)


_MOST = timedelta(days=3650)  # ten years: past this a "duration" is a typo, and timedelta overflows


def _seconds(value: float, key: str) -> timedelta:
    if math.isnan(value) or value > _MOST.total_seconds():  # NaN, inf, or absurdly long
        raise ConfigError(f"{key}: should be at most {_MOST.days} days")
    return timedelta(seconds=value)


def parse_positive_duration(text: str | float, key: str = "value") -> timedelta:
    """Like ``parse_duration``, and more than zero (a timeout of 0 would never wait)."""
    d = parse_duration(text, key)
    if d <= timedelta(0):
        raise ConfigError(f"{key}: should be more than 0")
    return d


def format_duration(d: timedelta) -> str:
    """``timedelta`` as a short human duration (``1m30s``, ``2.5s``, ``300ms``)."""
    secs = d.total_seconds()
    if secs < 1:
        return f"{round(secs * 1000)}ms"
    if secs < 60:
        return f"{secs:.1f}s".replace(".0s", "s")
    m, s = divmod(round(secs), 60)
    return f"{m}m{s}s" if s else f"{m}m"


def _shown(s: str) -> str:
    # the value is a user's typo, not a secret, but keep a pasted blob from filling the screen
    return repr(s if len(s) <= 40 else s[:40] + "…")
