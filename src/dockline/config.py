"""Typed settings, loaded in layers: defaults < file < environment < flags.

One schema per section (a frozen dataclass) and one merge (``resolve_settings``). The file is
``dockline.yaml`` in the current folder, or the path in ``DOCKLINE_CONFIG``; every setting has
its environment variable ``DOCKLINE_<SECTION>_<KEY>`` (e.g. ``DOCKLINE_DEPLOY_TIMEOUT=90s``);
flags are passed by the CLI as overrides. Durations take the one syntax of
:mod:`dockline.durations` (``90``, ``90s``, ``2m``, ``1m30s``) in every layer. Every error names
its key path: ``deploy.timeout: should be a duration like 90, 90s, 2m or 1m30s``; an unknown key
names the closest known one: ``deploy.timout: unknown setting; did you mean deploy.timeout?``.

The defaults are the values the code uses when nothing is set (``dockline docs settings`` shows
them with where each value in force came from); a unit test checks them against the modules
that use them, which are too heavy to import from here (``dockline lint`` starts with this
module).

The commented example (``data/dockline.example.yaml``) is printed by ``dockline docs config``
and validated by the tests.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any, get_type_hints

from dockline.dockerfile.vocabulary import SETTING_FORMATS, THRESHOLDS
from dockline.durations import parse_duration
from dockline.errors import ConfigError

log = logging.getLogger("dockline.config")

# ``docker stack deploy --resolve-image``: the one list (``dockline deploy --resolve-image``,
# ``DeployOptions`` and ``deploy.resolve_image`` take it). Its users in stack/ and cli/ import
# it from here: stack/deploy.py loads the YAML and subprocess machinery this module must not.
RESOLVE_IMAGE_MODES: tuple[str, ...] = ("always", "changed", "never")


@dataclass(frozen=True)
class DeploySettings:
    """``deploy``: how ``dockline deploy`` / ``rollback`` apply stacks and wait on them."""

    timeout: timedelta = timedelta(minutes=5)  # stack/deploy.py DEFAULT_TIMEOUT
    resolve_image: str = "always"  # RESOLVE_IMAGE_MODES
    prune: bool = True
    with_registry_auth: bool = True
    route: bool = True  # route the stack through the router after it is healthy


@dataclass(frozen=True)
class RouterSettings:
    """``router``: the nginx router stack in front of every app (``dockline router up``,
    ``route``, ``routes``, and the routing ``deploy`` / ``rm`` do).

    ``name`` names every swarm object of the router: services ``<name>_nginx`` and
    ``<name>_edge``, overlay network ``<name>-net``, lock config ``<name>.lock``
    (router/apply.py ``Router``).
    """

    name: str = "dockline-router"  # router/apply.py Router.name; --router
    port: int = 80  # the port the edge publishes (host mode); router up --port
    base_image: str = "nginx:1.27-bookworm"  # router/stack.py DEFAULT_BASE; router up --base-image
    timeout: timedelta = timedelta(minutes=2)  # router up --timeout: wait for convergence
    lock_wait: timedelta = timedelta(seconds=90)  # route --lock-wait; router/flow.py lock_wait

    @property
    def network(self) -> str:
        """The overlay network the router and overlay-routed services share (derived)."""
        return f"{self.name}-net"


@dataclass(frozen=True)
class LintSettings:
    """``lint``: defaults for ``dockline lint`` (a .dockline.yaml next to Dockerfiles wins)."""

    failure_threshold: str = "info"  # dockerfile/vocabulary.py THRESHOLDS
    format: str = "human"  # dockerfile/vocabulary.py SETTING_FORMATS (every format and its aliases)


@dataclass(frozen=True)
class Settings:
    """All sections."""

    deploy: DeploySettings = field(default_factory=DeploySettings)
    router: RouterSettings = field(default_factory=RouterSettings)
    lint: LintSettings = field(default_factory=LintSettings)


_CHOICES: dict[str, tuple[str, ...]] = {
    "deploy.resolve_image": RESOLVE_IMAGE_MODES,
    "lint.failure_threshold": THRESHOLDS,
    "lint.format": SETTING_FORMATS,
}


def _coerce(value: Any, typ: Any, key: str) -> Any:
    if typ is timedelta:
        if isinstance(value, timedelta):  # a flag already parsed by cli._options.DURATION
            if value < timedelta(0):
                raise ConfigError(f"{key}: should not be negative")
            return value
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


@cache
def _section_types(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def sections() -> dict[str, type]:
    """Section name -> its schema (``{"deploy": DeploySettings, ...}``)."""
    return {f.name: type(getattr(Settings(), f.name)) for f in fields(Settings)}


def setting_types() -> dict[str, Any]:
    """Every setting's key path and type: ``{"deploy.timeout": timedelta, ...}``."""
    return {f"{sec}.{key}": typ for sec, cls in sections().items() for key, typ in _section_types(cls).items()}


def env_var(path: str) -> str:
    """The environment variable of a setting: ``deploy.timeout`` -> ``DOCKLINE_DEPLOY_TIMEOUT``."""
    sec, _, key = path.partition(".")
    return f"DOCKLINE_{sec.upper()}_{key.upper()}"


# Keys of the router section before issue 11 that no code ever read: a file (or a copy of the
# old example) that sets them still loads; they are ignored with a warning naming what is used.
RETIRED: dict[str, str] = {
    "router.stack": "the router's stack name is router.name (default dockline-router)",
    "router.network": "the router's network is <router.name>-net",
    "router.target": "each route picks its mode with the label dockline.route.mode (default auto)",
    "router.lock_timeout": "the wait for the routing lock is router.lock_wait",
}

# Short names kept as aliases of DOCKLINE_<SECTION>_<KEY> (the longer name wins when both are set).
ENV_ALIASES = {
    "DOCKLINE_RESOLVE_IMAGE": "DOCKLINE_DEPLOY_RESOLVE_IMAGE",
    "DOCKLINE_ROUTER": "DOCKLINE_ROUTER_NAME",
    "DOCKLINE_NGINX_IMAGE": "DOCKLINE_ROUTER_BASE_IMAGE",
}

# DOCKLINE_* variables that are not settings: the CLI (DOCKLINE_CONFIG, _DEBUG, _LOG_LEVEL), the
# deploy hooks (DOCKLINE_STACK*, DOCKLINE_HOOK), the image entrypoint (data/entrypoint), the lab
# and the test suite read or set them. Only a variable under a section's prefix
# (DOCKLINE_DEPLOY_, DOCKLINE_ROUTER_, DOCKLINE_LINT_) is checked against the settings; these are
# never taken for a mistyped setting, whatever sections are added.
NOT_SETTINGS = frozenset({
    "DOCKLINE_CONFIG", "DOCKLINE_DEBUG", "DOCKLINE_LOG_LEVEL", "DOCKLINE_CACHE", "DOCKLINE_QUIET",
    "DOCKLINE_STACK", "DOCKLINE_STACK_VERSION", "DOCKLINE_STACK_FILES", "DOCKLINE_HOOK",
    "DOCKLINE_HOOKS_DIR", "DOCKLINE_USER", "DOCKLINE_WAIT_FOR", "DOCKLINE_WAIT_TIMEOUT",
    "DOCKLINE_WAIT_STATUS", "DOCKLINE_REQUIRED_ENV", "DOCKLINE_FILE_VARS", "DOCKLINE_TEMPLATE_DIR",
    "DOCKLINE_TEMPLATE_OUT", "DOCKLINE_TEMPLATE_VARS", "DOCKLINE_HTTP_CLIENT", "DOCKLINE_TCP_CLIENT",
    "DOCKLINE_CORPUS", "DOCKLINE_UPDATE_SNAPSHOTS", "DOCKLINE_DOCKERD", "DOCKLINE_NO_INSTALL",
})
NOT_SETTINGS_PREFIXES = ("DOCKLINE_TEST_", "DOCKLINE_LAB_")

# Where a value in force came from (``LoadedSettings.sources``).
DEFAULT, FILE, ENV, FLAG = "default", "file", "env", "flag"


def _closest(word: str, candidates: Sequence[str]) -> str | None:
    import difflib  # only on the error path

    best = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return best[0] if best else None


def _closest_path(path: str) -> str | None:
    """The known key path nearest to ``path``: a key of its own section, else of another one."""
    sec, _, key = path.partition(".")
    known = list(setting_types())
    own = [p.partition(".")[2] for p in known if p.startswith(f"{sec}.")]
    close = _closest(key, own)
    if close:
        return f"{sec}.{close}"
    others = {p.partition(".")[2]: p for p in known if not p.startswith(f"{sec}.")}
    close = _closest(key, list(others))
    return others[close] if close else None


def _unknown_key(path: str, origin: str) -> ConfigError:
    sec = path.partition(".")[0]
    own = [p.partition(".")[2] for p in setting_types() if p.startswith(f"{sec}.")]
    hint = f"the settings of {sec}: {', '.join(own)} (`dockline docs settings` lists them all)"
    close = _closest_path(path)
    return ConfigError(f"{path}: unknown setting in {origin}" + (f"; did you mean {close}?" if close else ""),
                       hint)


_warned: set[tuple[str, str]] = set()


def _retired(path: str, where: str) -> None:
    if (path, where) not in _warned:  # once per process: a command may load the settings twice
        _warned.add((path, where))
        log.warning("%s (%s) is ignored: dockline never read it; %s", path, where, RETIRED[path])


def _apply(settings: Settings, values: Mapping[str, Any], origin: str,
           where: Callable[[str], str] | None = None) -> tuple[Settings, list[str]]:
    """Apply ``{"section": {"key": value}}`` to settings, naming key paths in errors (and, in
    the hint, ``where(path)`` the value came from). Returns the settings and the paths it set."""
    where = where or (lambda _path: f"set in {origin}")
    schemas = sections()
    updated: dict[str, Any] = {}
    applied: list[str] = []
    for sec_name, sec_values in values.items():
        if sec_name not in schemas:
            close = _closest(str(sec_name), list(schemas))
            raise ConfigError(f"{sec_name}: unknown section in {origin}"
                              + (f"; did you mean {close}?" if close else ""),
                              f"known sections: {', '.join(schemas)}")
        if sec_values is None:
            continue
        if not isinstance(sec_values, Mapping):
            raise ConfigError(f"{sec_name}: should be a mapping in {origin}")
        current = getattr(settings, sec_name)
        types = _section_types(schemas[sec_name])
        changes: dict[str, Any] = {}
        for key, raw in sec_values.items():
            path = f"{sec_name}.{key}"
            if path in RETIRED:
                _retired(path, where(path))
                continue
            if key not in types:
                raise _unknown_key(path, origin)
            try:
                if key == "port" or (types[key] is int):
                    v = _coerce(raw, int, path)
                    if key == "port" and not 1 <= v <= 65535:
                        raise ConfigError(f"{path}: should be a port between 1 and 65535 (got {v})")
                    changes[key] = v
                else:
                    changes[key] = _coerce(raw, types[key], path)
            except ConfigError as e:
                raise ConfigError(e.message, e.hint or where(path)) from None
            applied.append(path)
        updated[sec_name] = dataclasses.replace(current, **changes)
    return dataclasses.replace(settings, **updated), applied


def _env_values(env: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """``{"section": {"key": text}}`` from DOCKLINE_<SECTION>_<KEY> (and the aliases); an
    unknown variable under a section's prefix names the closest setting."""
    by_var = {env_var(p): p for p in setting_types()}
    retired = {env_var(p): p for p in RETIRED}
    prefixes = tuple(f"DOCKLINE_{sec.upper()}_" for sec in sections())
    chosen: dict[str, tuple[str, str]] = {}  # key path -> (text, variable)
    for var, text in env.items():
        if text == "" or var in NOT_SETTINGS or var.startswith(NOT_SETTINGS_PREFIXES):
            continue
        if var in by_var:
            chosen[by_var[var]] = (text, var)
        elif var in retired:
            _retired(retired[var], f"set by {var}")
        elif var.startswith(prefixes):
            sec = next(s for s in sections() if var.startswith(f"DOCKLINE_{s.upper()}_"))
            path = f"{sec}.{var.removeprefix(f'DOCKLINE_{sec.upper()}_').lower()}"
            close = _closest_path(path)
            raise ConfigError(f"{var}: unknown setting {path}"
                              + (f"; did you mean {env_var(close)}?" if close else ""),
                              "`dockline docs settings` lists every setting and its variable")
    for short, full in ENV_ALIASES.items():
        if env.get(short) and not env.get(full):
            chosen[by_var[full]] = (env[short], short)
    out: dict[str, dict[str, str]] = {}
    for path, (text, _var) in chosen.items():
        sec, _, key = path.partition(".")
        out.setdefault(sec, {})[key] = text
    return out


def _env_origin(env: Mapping[str, str], path: str) -> str:
    var = env_var(path)
    if not env.get(var):
        var = next((s for s, f in ENV_ALIASES.items() if f == var and env.get(s)), var)
    return var


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


@dataclass(frozen=True)
class LoadedSettings:
    """The settings in force and where each value came from."""

    settings: Settings
    sources: Mapping[str, str]  # key path -> default | file | env | flag
    file: Path | None  # the settings file read, if any
    variables: Mapping[str, str] = field(default_factory=dict)  # key path -> the variable that set it


def resolve_settings(
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> LoadedSettings:
    """The one merge: defaults < file < environment < flags (``overrides``, None values ignored)."""
    e = os.environ if env is None else env
    settings = Settings()
    sources = dict.fromkeys(setting_types(), DEFAULT)
    path = config_path(e, cwd)
    if path is not None:
        settings, applied = _apply(settings, load_file(path), str(path))
        sources.update(dict.fromkeys(applied, FILE))
    settings, applied = _apply(settings, _env_values(e), "the environment",
                               lambda p: f"set by {_env_origin(e, p)}")
    sources.update(dict.fromkeys(applied, ENV))
    variables = {p: _env_origin(e, p) for p in applied}
    if overrides:
        clean = {s: {k: v for k, v in vals.items() if v is not None} for s, vals in overrides.items()}
        settings, applied = _apply(settings, clean, "the command line")
        sources.update(dict.fromkeys(applied, FLAG))
    return LoadedSettings(settings, sources, path, variables)


def load_settings(
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Defaults < file < environment < flags (``overrides``, None values ignored)."""
    return resolve_settings(overrides, env=env, cwd=cwd).settings


def deploy_settings(**flags: Any) -> DeploySettings:
    """``deploy`` in force; ``flags`` (command-line values, None = not given) win.

    ``deploy_settings(timeout=timeout, prune=prune)`` is the whole merge a command needs."""
    return load_settings({"deploy": flags}).deploy


def router_settings(**flags: Any) -> RouterSettings:
    """``router`` in force; ``flags`` (command-line values, None = not given) win.

    ``Router(router_settings(name=router_name).name)`` names the router a command works on."""
    return load_settings({"router": flags}).router


def example_text() -> str:
    """The commented example settings file shipped as package data."""
    from importlib.resources import files

    return (files("dockline") / "data" / "dockline.example.yaml").read_text(encoding="utf-8")
