"""Typed settings, loaded in layers: defaults < file < environment < flags.

One schema per section (a frozen dataclass). The file is ``dockline.yaml`` in the current
folder, or the path in ``DOCKLINE_CONFIG``; environment variables are
``DOCKLINE_<SECTION>_<KEY>`` (e.g. ``DOCKLINE_DEPLOY_TIMEOUT=90s``); flags are passed by the
CLI as overrides. Every error names its key path:
``deploy.timeout: should be a duration like 90s, 5m or 1h30m``.

The commented example (``data/dockline.example.yaml``) is printed by ``dockline docs config``
and validated by the tests.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any, get_type_hints

from dockline.durations import parse_duration
from dockline.errors import ConfigError


@dataclass(frozen=True)
class DeploySettings:
    """``deploy``: how stacks are applied and waited on."""

    timeout: timedelta = timedelta(minutes=5)
    resolve_image: str = "always"  # always | changed | never
    prune: bool = True
    with_registry_auth: bool = True
    route: bool = True  # route the stack through the router after it is healthy


@dataclass(frozen=True)
class RouterSettings:
    """``router``: the nginx stack in front of every app."""

    stack: str = "router"
    port: int = 80
    target: str = "overlay"  # overlay | host | ingress
    network: str = "dockline-routing"
    lock_timeout: timedelta = timedelta(seconds=60)


@dataclass(frozen=True)
class LintSettings:
    """``lint``: defaults for ``dockline lint`` (a .dockline.yaml next to Dockerfiles wins)."""

    failure_threshold: str = "info"  # error | warning | info | style | none
    format: str = "human"


@dataclass(frozen=True)
class Settings:
    """All sections."""

    deploy: DeploySettings = field(default_factory=DeploySettings)
    router: RouterSettings = field(default_factory=RouterSettings)
    lint: LintSettings = field(default_factory=LintSettings)


_CHOICES: dict[str, tuple[str, ...]] = {
    "deploy.resolve_image": ("always", "changed", "never"),
    "router.target": ("overlay", "host", "ingress"),
    "lint.failure_threshold": ("error", "warning", "info", "style", "none"),
    "lint.format": ("human", "json", "sarif", "checkstyle", "codeclimate", "gitlab", "github"),
}


def _coerce(value: Any, typ: Any, key: str) -> Any:
    if typ is timedelta:
        return parse_duration(value, key)
    if typ is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on"):
            return True
        if isinstance(value, str) and value.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{key}: should be true or false (got {value!r})")
    if typ is int:
        if isinstance(value, bool):
            raise ConfigError(f"{key}: should be an integer (got {value!r})")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{key}: should be an integer (got {value!r})") from None
    if typ is str:
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ConfigError(f"{key}: should be a string (got {value!r})")
        s = str(value)
        choices = _CHOICES.get(key)
        if choices and s not in choices:
            raise ConfigError(f"{key}: should be one of {', '.join(choices)} (got {s!r})")
        return s
    raise ConfigError(f"{key}: unsupported setting type")  # pragma: no cover - schema bug


def _section_types(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def _apply(settings: Settings, values: Mapping[str, Any], origin: str) -> Settings:
    """Apply ``{"section": {"key": value}}`` to settings, naming key paths in errors."""
    sections = {f.name: f for f in fields(Settings)}
    updated: dict[str, Any] = {}
    for sec_name, sec_values in values.items():
        if sec_name not in sections:
            raise ConfigError(f"{sec_name}: unknown section in {origin}",
                              f"known sections: {', '.join(sections)}")
        if sec_values is None:
            continue
        if not isinstance(sec_values, Mapping):
            raise ConfigError(f"{sec_name}: should be a mapping in {origin}")
        current = getattr(settings, sec_name)
        types = _section_types(type(current))
        changes: dict[str, Any] = {}
        for key, raw in sec_values.items():
            path = f"{sec_name}.{key}"
            if key not in types:
                raise ConfigError(f"{path}: unknown key in {origin}", f"known keys: {', '.join(types)}")
            if key == "port" or (types[key] is int):
                v = _coerce(raw, int, path)
                if key == "port" and not 1 <= v <= 65535:
                    raise ConfigError(f"{path}: should be a port between 1 and 65535 (got {v})")
                changes[key] = v
            else:
                changes[key] = _coerce(raw, types[key], path)
        updated[sec_name] = dataclasses.replace(current, **changes)
    return dataclasses.replace(settings, **updated)


# Short names kept as aliases of DOCKLINE_<SECTION>_<KEY> (the longer name wins when both are set).
ENV_ALIASES = {"DOCKLINE_RESOLVE_IMAGE": "DOCKLINE_DEPLOY_RESOLVE_IMAGE"}


def _env_values(env: Mapping[str, str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    env = dict(env)
    for short, full in ENV_ALIASES.items():
        if env.get(short) and not env.get(full):
            env[full] = env[short]
    for f in fields(Settings):
        types = _section_types(type(getattr(Settings(), f.name)))
        for key in types:
            var = f"DOCKLINE_{f.name.upper()}_{key.upper()}"
            if var in env and env[var] != "":
                out.setdefault(f.name, {})[key] = env[var]
    return out


def config_path(env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path | None:
    """The settings file in use, if any."""
    e = os.environ if env is None else env
    if e.get("DOCKLINE_CONFIG"):
        return Path(e["DOCKLINE_CONFIG"])
    p = (cwd or Path.cwd()) / "dockline.yaml"
    return p if p.is_file() else None


def load_file(path: Path) -> dict[str, Any]:
    """Read a settings file; errors name the file."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"cannot read settings file {path}: {e.strerror}",
                          "fix DOCKLINE_CONFIG or create the file") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: not valid YAML") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: should be a mapping of sections")
    return data


def load_settings(
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Defaults < file < environment < flags (``overrides``, None values ignored)."""
    e = os.environ if env is None else env
    settings = Settings()
    path = config_path(e, cwd)
    if path is not None:
        settings = _apply(settings, load_file(path), str(path))
    settings = _apply(settings, _env_values(e), "the environment")
    if overrides:
        clean = {s: {k: v for k, v in vals.items() if v is not None} for s, vals in overrides.items()}
        settings = _apply(settings, clean, "the command line")
    return settings


def example_text() -> str:
    """The commented example settings file shipped as package data."""
    from importlib.resources import files

    return (files("dockline") / "data" / "dockline.example.yaml").read_text(encoding="utf-8")
