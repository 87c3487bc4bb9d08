"""Settings from the environment (pure: takes a mapping, returns a frozen model).

Secrets come as ``NAME`` or, from a swarm secret, ``NAME_FILE`` (a path); the
image's entrypoint normally resolves ``*_FILE`` already, the service accepts both.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

_MOUNT = re.compile(r"^(/[A-Za-z0-9][A-Za-z0-9._-]*)+$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class SettingsError(ValueError):
    """An environment variable is missing or invalid."""


@dataclass(frozen=True)
class Settings:
    """What the service needs to run."""

    mount_path: str = "/ws/designmaps"
    port: int = 8000
    version: str = "1"
    db_host: str = "db"
    db_port: int = 5432
    db_name: str = "eventpage"
    db_user: str = "eventpage_ws"
    db_password: str = field(default="", repr=False)
    db_admin_user: str = "postgres"
    db_admin_password: str = field(default="", repr=False)
    db_wait_seconds: float = 90.0


def _secret(env: Mapping[str, str], name: str, read: Callable[[str], str]) -> str:
    direct = env.get(name)
    path = env.get(f"{name}_FILE")
    if direct and path:
        raise SettingsError(f"both {name} and {name}_FILE are set (they are exclusive)")
    if direct:
        return direct
    if path:
        try:
            return read(path).rstrip("\r\n")
        except OSError as e:
            raise SettingsError(f"{name}_FILE names an unreadable file: {e.strerror}") from None
    return ""


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise SettingsError(f"{name} should be a whole number between {low} and {high}")
    return int(raw)


def _read_file(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def load_settings(env: Mapping[str, str], read: Callable[[str], str] = _read_file) -> Settings:
    """Environment -> :class:`Settings` (raises SettingsError naming the variable)."""
    mount = (env.get("MOUNT_PATH") or "/ws/designmaps").rstrip("/")
    if not _MOUNT.match(mount):
        raise SettingsError("MOUNT_PATH should be an absolute path like /ws/designmaps")
    for name, default in (("DB_USER", "eventpage_ws"), ("DB_ADMIN_USER", "postgres"), ("DB_NAME", "eventpage")):
        if not _NAME.match(env.get(name) or default):
            raise SettingsError(f"{name} should be a plain SQL identifier")
    password = _secret(env, "DB_PASSWORD", read)
    if not password:
        raise SettingsError("DB_PASSWORD (or DB_PASSWORD_FILE) is required")
    return Settings(
        mount_path=mount,
        port=_int(env, "PORT", 8000, 1, 65535),
        version=env.get("VERSION") or "1",
        db_host=env.get("DB_HOST") or "db",
        db_port=_int(env, "DB_PORT", 5432, 1, 65535),
        db_name=env.get("DB_NAME") or "eventpage",
        db_user=env.get("DB_USER") or "eventpage_ws",
        db_password=password,
        db_admin_user=env.get("DB_ADMIN_USER") or "postgres",
        db_admin_password=_secret(env, "DB_ADMIN_PASSWORD", read),
        db_wait_seconds=float(_int(env, "DB_WAIT_SECONDS", 90, 0, 3600)),
    )
