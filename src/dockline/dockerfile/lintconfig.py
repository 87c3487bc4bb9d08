"""The compat layer: ``.dockline.yaml`` (section ``lint:``) and hadolint's ``.hadolint.yaml``
mapped into :class:`LintConfig`, the effective lint settings.

dockline's own settings (``dockline.yaml`` section ``lint``, ``DOCKLINE_LINT_*``:
:class:`dockline.config.LintSettings`) give the defaults of ``failure-threshold`` and ``format``; the lint file found here
overrides them key by key, hadolint's ``HADOLINT_*`` environment variables apply over
the file (:func:`apply_hadolint_env`), and command-line flags win over everything
(:func:`lint_config` builds the first three layers).

Keys (hadolint's names, so a ``.hadolint.yaml`` works unchanged)::

    lint:
      failure-threshold: info        # error | warning | info | style | none
      no-fail: false
      ignored: [DL3008, DKL004]
      override:
        error: [DL3015]
        warning: []
        info: []
        style: []
      trustedRegistries: [registry.example.com, "*.gcr.io"]
      label-schema:
        org.opencontainers.image.version: semver   # text|url|semver|hash|rfc3339|spdx|email
      strict-labels: false
      disable-ignore-pragma: false
      format: human
      shellcheck: auto               # auto (when installed) | always | never: SC findings on RUN

Files searched when no ``--config`` is given (first found wins): ``.dockline.yaml``,
``.dockline.yml``, ``.hadolint.yaml``, ``.hadolint.yml`` in the current directory,
then ``$XDG_CONFIG_HOME/hadolint.yaml``, ``~/.config/hadolint.yaml``,
``~/.hadolint.yaml``.  Errors name the key path: ``lint.override.error[1]: ...``.
The names of severities, formats, ShellCheck modes and label types are
:mod:`~dockline.dockerfile.vocabulary`'s, shared with the CLI and the settings.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockline.dockerfile.check import RuleSettings
from dockline.dockerfile.findings import Severity
from dockline.dockerfile.shellcheck import ShellCheck
from dockline.dockerfile.vocabulary import (
    FORMATS,
    LABEL_TYPES,
    LEVELS,
    SETTING_FORMATS,
    SEVERITY_NAMES,
    SHELLCHECK_MODES,
    canonical_format,
)
from dockline.errors import ConfigError, UsageError

_KNOWN_KEYS = {
    "failure-threshold", "no-fail", "ignored", "override", "trustedRegistries", "trusted-registries",
    "label-schema", "strict-labels", "disable-ignore-pragma", "format", "no-color", "verbose", "shellcheck",
}
_RULE_ID = re.compile(r"^[A-Z]{2,4}\d{3,5}$")


@dataclass(frozen=True)
class LintConfig:
    """The effective lint settings (defaults < file < HADOLINT_* < command line), in the
    schema's spelling (``failure_threshold``, ``trusted_registries``...)."""

    failure_threshold: str = "info"
    no_fail: bool = False
    ignored: frozenset[str] = frozenset()
    override: Mapping[str, str] = field(default_factory=dict)  # rule id → severity name
    trusted_registries: tuple[str, ...] = ()
    label_schema: Mapping[str, str] = field(default_factory=dict)
    strict_labels: bool = False
    disable_ignore_pragma: bool = False
    format: str | None = None
    shellcheck: str = "auto"  # auto | always | never
    source: str | None = None  # the file it came from

    def rule_settings(self, shellcheck: ShellCheck | None = None) -> RuleSettings:
        """The engine's :class:`~dockline.dockerfile.check.RuleSettings` (``shellcheck``: the
        runner for SC findings, see :func:`shellcheck_runner`)."""
        label_opts = {"label_schema": dict(self.label_schema), "strict_labels": self.strict_labels}
        options: dict[str, dict[str, Any]] = {
            rid: label_opts for rid in ("DL3049", "DL3050", "DL3051", "DL3052", "DL3053", "DL3054",
                                        "DL3055", "DL3056", "DL3058")
        }
        options["DL3026"] = {"trusted_registries": list(self.trusted_registries)}
        return RuleSettings(
            ignored=self.ignored,
            overrides={k: Severity.parse(v) for k, v in self.override.items()},
            options=options,
            disable_pragmas=self.disable_ignore_pragma,
            shellcheck=shellcheck,
        )

    def shellcheck_runner(self) -> ShellCheck | None:
        """The ShellCheck runner ``shellcheck`` asks for: ``None`` for never, or for auto when
        ``shellcheck`` is not installed; ``always`` without it is a usage error."""
        if self.shellcheck == "never":
            return None
        found = ShellCheck.find()
        if found is None and self.shellcheck == "always":
            raise UsageError("shellcheck: `always` but no shellcheck on PATH",
                             "install it (apt install shellcheck) or use --shellcheck auto|never")
        return found


def find_config(cwd: Path) -> Path | None:
    """The first config file found (see the module docstring)."""
    for name in (".dockline.yaml", ".dockline.yml", ".hadolint.yaml", ".hadolint.yml"):
        p = cwd / name
        if p.is_file():
            return p
    home = Path(os.environ.get("HOME", "~")).expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME")
    candidates = []
    if xdg:
        candidates += [Path(xdg) / "hadolint.yaml", Path(xdg) / "hadolint.yml"]
    candidates += [home / ".config" / "hadolint.yaml", home / ".config" / "hadolint.yml",
                   home / ".hadolint" / "hadolint.yaml", home / "hadolint" / "config.yaml",
                   home / ".hadolint.yaml", home / ".hadolint.yml"]
    for p in candidates:
        if p.is_file():
            return p
    return None


def load_config(path: Path | None, base: LintConfig | None = None) -> LintConfig:
    """Load ``path`` over ``base`` (``None``: defaults); keys the file does not set keep
    ``base``'s values.  Raises :class:`ConfigError` naming the key path."""
    base = base or LintConfig()
    if path is None:
        return base
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"{path}: cannot read config: {e.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: invalid YAML: {getattr(e, 'problem', e)}") from None
    if data is None:
        return dataclasses.replace(base, source=str(path))
    prefix = ""
    if path.name.startswith(".dockline"):
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: top level: should be a mapping")
        data = data.get("lint")
        prefix = "lint."
        if data is None:
            return dataclasses.replace(base, source=str(path))
    return parse_config(data, prefix=prefix, source=str(path), base=base)


def parse_config(data: Any, *, prefix: str = "", source: str | None = None,
                 base: LintConfig | None = None) -> LintConfig:
    """Validate a config mapping over ``base``; errors name ``prefix`` + the key path."""
    base = base or LintConfig()
    where = f"{source}: " if source else ""

    def err(key: str, msg: str) -> ConfigError:
        return ConfigError(f"{where}{prefix}{key}: {msg}")

    if not isinstance(data, dict):
        raise err("(section)" if prefix else "(top level)", "should be a mapping")
    for k in data:
        if k not in _KNOWN_KEYS:
            raise err(str(k), f"unknown key (known: {', '.join(sorted(_KNOWN_KEYS))})")

    def severity(key: str, v: Any) -> str:
        if not isinstance(v, str) or v.lower() not in SEVERITY_NAMES:
            raise err(key, f"should be one of {', '.join(SEVERITY_NAMES)}")
        return v.lower()

    def boolean(key: str, default: bool) -> bool:
        v = data.get(key, default)
        if not isinstance(v, bool):
            raise err(key, "should be true or false")
        return v

    def rule_list(key: str, v: Any) -> list[str]:
        if v is None:
            return []
        if not isinstance(v, list):
            raise err(key, "should be a list of rule ids")
        out = []
        for i, item in enumerate(v):
            if not isinstance(item, str) or not _RULE_ID.match(item.strip().upper()):
                raise err(f"{key}[{i}]", f"{item!r} is not a rule id (like DL3008 or DKL001)")
            out.append(item.strip().upper())
        return out

    threshold = (severity("failure-threshold", data["failure-threshold"]) if "failure-threshold" in data
                 else base.failure_threshold)
    ignored = rule_list("ignored", data.get("ignored")) if "ignored" in data else list(base.ignored)
    override: dict[str, str] = dict(base.override)
    ov = data.get("override") or {}
    if not isinstance(ov, dict):
        raise err("override", "should be a mapping of error/warning/info/style to rule ids")
    for level, ids in ov.items():
        if level not in SEVERITY_NAMES:
            raise err(f"override.{level}", "unknown severity (error, warning, info, style)")
        for rid in rule_list(f"override.{level}", ids):
            override[rid] = level
    tr = data.get("trustedRegistries", data.get("trusted-registries"))
    key_tr = "trustedRegistries" if "trustedRegistries" in data else "trusted-registries"
    if tr is None:
        trusted: tuple[str, ...] = base.trusted_registries
    elif isinstance(tr, str):
        trusted = (tr,)
    elif isinstance(tr, list) and all(isinstance(x, str) for x in tr):
        trusted = tuple(tr)
    else:
        raise err(key_tr, "should be a registry name or a list of them")
    ls = data.get("label-schema") or {}
    if not isinstance(ls, dict):
        raise err("label-schema", "should be a mapping of label name to type")
    schema: dict[str, str] = dict(base.label_schema)
    for name, kind in ls.items():
        if not isinstance(kind, str) or kind not in LABEL_TYPES:
            raise err(f"label-schema.{name}", f"should be one of {', '.join(LABEL_TYPES)}")
        schema[str(name)] = kind
    sc = data.get("shellcheck", base.shellcheck)
    if isinstance(sc, bool):
        sc = "auto" if sc else "never"
    if sc not in SHELLCHECK_MODES:
        raise err("shellcheck", f"should be one of {', '.join(SHELLCHECK_MODES)}")
    fmt = data.get("format", base.format)
    if fmt is not None:
        if not isinstance(fmt, str) or fmt not in SETTING_FORMATS:
            raise err("format", f"should be one of {', '.join(FORMATS)}")
        fmt = canonical_format(fmt)
    return LintConfig(
        failure_threshold=threshold,
        no_fail=boolean("no-fail", base.no_fail),
        ignored=frozenset(ignored),
        override=override,
        trusted_registries=trusted,
        label_schema=schema,
        strict_labels=boolean("strict-labels", base.strict_labels),
        disable_ignore_pragma=boolean("disable-ignore-pragma", base.disable_ignore_pragma),
        format=fmt,
        shellcheck=sc,
        source=source,
    )


_TRUE = ("1", "true", "yes", "on")


def apply_hadolint_env(cfg: LintConfig, env: Mapping[str, str]) -> LintConfig:
    """hadolint's environment variables over the file config (CI setups migrating from
    hadolint keep working): ``HADOLINT_NOFAIL``, ``HADOLINT_FAILURE_THRESHOLD``,
    ``HADOLINT_FORMAT``, ``HADOLINT_IGNORE``, ``HADOLINT_OVERRIDE_{ERROR,WARNING,INFO,STYLE}``,
    ``HADOLINT_TRUSTED_REGISTRIES``, ``HADOLINT_STRICT_LABELS``,
    ``HADOLINT_DISABLE_IGNORE_PRAGMA`` (lists are comma-separated)."""

    def ids(var: str) -> list[str]:
        out = []
        for x in env.get(var, "").split(","):
            x = x.strip().upper()
            if not x:
                continue
            if not _RULE_ID.match(x):
                raise ConfigError(f"{var}: {x!r} is not a rule id (like DL3008 or DKL001)")
            out.append(x)
        return out

    changes: dict[str, Any] = {}
    if env.get("HADOLINT_NOFAIL", "").lower() in _TRUE:
        changes["no_fail"] = True
    if env.get("HADOLINT_FAILURE_THRESHOLD"):
        v = env["HADOLINT_FAILURE_THRESHOLD"].strip().lower()
        if v not in SEVERITY_NAMES:
            raise ConfigError(f"HADOLINT_FAILURE_THRESHOLD: should be one of {', '.join(SEVERITY_NAMES)}")
        changes["failure_threshold"] = v
    if env.get("HADOLINT_FORMAT"):
        v = env["HADOLINT_FORMAT"].strip()
        if v not in SETTING_FORMATS:
            raise ConfigError(f"HADOLINT_FORMAT: should be one of {', '.join(FORMATS)}")
        changes["format"] = canonical_format(v)
    if env.get("HADOLINT_IGNORE"):
        changes["ignored"] = cfg.ignored | set(ids("HADOLINT_IGNORE"))
    override = dict(cfg.override)
    for level in LEVELS:
        for rid in ids(f"HADOLINT_OVERRIDE_{level.upper()}"):
            override[rid] = level
    if override != cfg.override:
        changes["override"] = override
    if env.get("HADOLINT_TRUSTED_REGISTRIES"):
        regs = tuple(x.strip() for x in env["HADOLINT_TRUSTED_REGISTRIES"].split(",") if x.strip())
        changes["trusted_registries"] = cfg.trusted_registries + regs
    if env.get("HADOLINT_STRICT_LABELS", "").lower() in _TRUE:
        changes["strict_labels"] = True
    if env.get("HADOLINT_DISABLE_IGNORE_PRAGMA", "").lower() in _TRUE:
        changes["disable_ignore_pragma"] = True
    return dataclasses.replace(cfg, **changes) if changes else cfg


def lint_config(path: Path | None, env: Mapping[str, str] | None = None, *, failure_threshold: str = "info",
                format: str | None = None) -> LintConfig:
    """dockline's settings (``failure_threshold``, ``format``: :class:`dockline.config.LintSettings`,
    from dockline.yaml's ``lint`` and ``DOCKLINE_LINT_*``) < the lint file at ``path`` <
    hadolint's environment variables in ``env`` (default: ``os.environ``).  Command-line
    flags go on top (``dataclasses.replace``).  (dockline.config imports this package's
    format and severity lists, so the settings come in as values, not as the class.)"""
    base = LintConfig(failure_threshold=failure_threshold, format=canonical_format(format) if format else None)
    return apply_hadolint_env(load_config(path, base), os.environ if env is None else env)
