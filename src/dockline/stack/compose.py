"""Compose files for swarm: load, merge, interpolate, validate. Pure apart from reading files.

* ``-c FILE`` is repeatable; files merge in order like compose (mappings deep-merge,
  ``environment``/``labels``-style entries merge by key, ``ports``/``configs``/``secrets``/
  ``volumes`` append, everything else is replaced by the later file).
* Interpolation is compose's: ``$VAR``, ``${VAR}``, ``${VAR:-d}``, ``${VAR-d}``,
  ``${VAR:+r}``, ``${VAR+r}``, ``${VAR:?msg}``, ``${VAR?msg}``, nesting inside defaults, and
  ``$$`` for a literal ``$``. Values only, never keys, and not in ``x-dockline`` (hook
  commands read their variables themselves, from their environment).
* Variables: ``.env`` beside the first file, then each ``--env-file`` (later wins), then the
  process environment, which wins over both (as in compose).
* Validation: against ``data/compose-spec.json`` (the subset of the compose spec that
  ``docker stack deploy`` uses); errors name the key path
  (``services.web.deploy.replicas: should be an integer``). Keys swarm ignores are warnings
  that name the key path, and are left out of the file handed to the engine.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from dockline.errors import InterpolationError, StackError

#: Service keys ``docker stack deploy`` ignores (compose file v3 reference, "not supported for
#: docker stack deploy"); dockline warns and drops them.
IGNORED_SERVICE_KEYS = (
    "build",
    "cgroup_parent",
    "container_name",
    "cpu_shares",
    "cpus",
    "cpuset",
    "depends_on",
    "devices",
    "external_links",
    "ipc",
    "links",
    "mac_address",
    "mem_limit",
    "memswap_limit",
    "network_mode",
    "pid",
    "platform",
    "privileged",
    "profiles",
    "pull_policy",
    "restart",
    "security_opt",
    "shm_size",
    "userns_mode",
    "volumes_from",
)
_APPEND_KEYS = frozenset({"ports", "expose", "dns", "dns_search", "dns_opt", "cap_add", "cap_drop",
                          "configs", "secrets", "volumes", "extra_hosts_list"})
_BY_KEY = frozenset({"environment", "labels", "extra_hosts", "sysctls"})
_NAME_RE = r"[_a-zA-Z][_a-zA-Z0-9]*"
_DOLLAR = "$"


@dataclass(frozen=True)
class LoadedStack:
    """A merged, interpolated and validated compose document."""

    doc: Mapping[str, Any]
    files: tuple[Path, ...]
    project_dir: Path
    warnings: tuple[str, ...]


# --------------------------------------------------------------------------- interpolation
def interpolate_string(value: str, env: Mapping[str, str], path: str, warnings: list[str] | None = None) -> str:
    """Interpolate one string value; ``path`` names it in errors."""
    out: list[str] = []
    i = 0
    n = len(value)
    while i < n:
        c = value[i]
        if c != _DOLLAR:
            out.append(c)
            i += 1
            continue
        if i + 1 < n and value[i + 1] == _DOLLAR:
            out.append(_DOLLAR)
            i += 2
            continue
        if i + 1 < n and value[i + 1] == "{":
            end = _matching_brace(value, i + 1)
            if end < 0:
                raise InterpolationError(f"{path}: invalid interpolation format in {value!r}: unclosed '${{'",
                                         "close it with '}', or write '$$' for a literal '$'")
            out.append(_braced(value[i + 2:end], env, path, value, warnings))
            i = end + 1
            continue
        m = re.match(_NAME_RE, value[i + 1:])
        if m is None:
            raise InterpolationError(f"{path}: invalid interpolation format in {value!r}",
                                     "write '$$' for a literal '$'")
        name = m.group(0)
        out.append(_lookup(name, env, path, warnings))
        i += 1 + len(name)
    return "".join(out)


def _matching_brace(s: str, open_at: int) -> int:
    depth = 0
    i = open_at
    while i < len(s):
        if s[i] == "$" and i + 1 < len(s) and s[i + 1] == "$":
            i += 2
            continue
        if s[i] == "{":
            depth += 1
        elif s[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _lookup(name: str, env: Mapping[str, str], path: str, warnings: list[str] | None) -> str:
    if name in env:
        return env[name]
    if warnings is not None:
        warnings.append(f"{path}: variable {name} is not set; using an empty string")
    return ""


def _braced(body: str, env: Mapping[str, str], path: str, whole: str, warnings: list[str] | None) -> str:
    m = re.match(_NAME_RE, body)
    if m is None:
        raise InterpolationError(f"{path}: invalid interpolation format in {whole!r}: '${{{body}}}'",
                                 "a variable name starts with a letter or '_'")
    name = m.group(0)
    rest = body[len(name):]
    if rest == "":
        return _lookup(name, env, path, warnings)
    for op in (":-", ":?", ":+", "-", "?", "+"):
        if rest.startswith(op):
            arg = rest[len(op):]
            break
    else:
        raise InterpolationError(f"{path}: invalid interpolation format in {whole!r}: '${{{body}}}'",
                                 "use ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR:+value}")
    is_set = name in env
    non_empty = is_set and env[name] != ""
    ok = non_empty if op.startswith(":") else is_set
    kind = op[-1]
    if kind == "-":
        return env[name] if ok else interpolate_string(arg, env, path, warnings)
    if kind == "+":
        return interpolate_string(arg, env, path, warnings) if ok else ""
    # kind == "?"
    if ok:
        return env[name]
    msg = interpolate_string(arg, env, path, warnings) if arg else ""
    state = "not set" if not is_set else "empty"
    raise InterpolationError(
        f"{path}: required variable {name} is {state}" + (f": {msg}" if msg else ""),
        f"set {name} in the environment, in .env beside the file, or in an --env-file",
    )


def interpolate(obj: Any, env: Mapping[str, str], path: str = "", warnings: list[str] | None = None) -> Any:
    """Interpolate every string value of a YAML tree (keys are left alone)."""
    if isinstance(obj, str):
        return interpolate_string(obj, env, path or "(top)", warnings)
    if isinstance(obj, Mapping):
        return {k: interpolate(v, env, _join(path, k), warnings) for k, v in obj.items()}
    if isinstance(obj, list):
        return [interpolate(v, env, _join(path, i), warnings) for i, v in enumerate(obj)]
    return obj


def escape_dollars(obj: Any) -> Any:
    """The inverse of interpolation for a resolved tree: every literal ``$`` becomes ``$$``,
    so a second interpolation (``docker stack deploy`` does one) leaves values unchanged."""
    if isinstance(obj, str):
        return obj.replace("$", "$$")
    if isinstance(obj, Mapping):
        return {k: escape_dollars(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [escape_dollars(v) for v in obj]
    return obj


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


# --------------------------------------------------------------------------- variables
def read_env_file(path: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Parse a ``.env`` file: ``KEY=VALUE``, ``export KEY=VALUE``, ``#`` comments, single
    quotes literal, double quotes with ``\\n``/``\\"`` escapes; unquoted and double-quoted
    values are interpolated with the variables seen so far (and ``base``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise StackError(f"cannot read env file {path}: {e.strerror}") from e
    out: dict[str, str] = {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not re.fullmatch(_NAME_RE, key):
            raise StackError(f"{path}:{lineno}: expected KEY=VALUE", "variable names start with a letter or '_'")
        value = value.strip()
        where = f"{path}:{lineno}"
        if len(value) >= 2 and value[0] == value[-1] == "'":
            out[key] = value[1:-1]
            continue
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1].replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")
        else:
            value = re.sub(r"\s+#.*$", "", value)
        out[key] = interpolate_string(value, {**(base or {}), **out}, where)
    return out


def build_environment(project_dir: Path, env_files: Sequence[Path], environ: Mapping[str, str]) -> dict[str, str]:
    """``.env`` beside the first file < ``--env-file`` (in order) < the process environment."""
    env: dict[str, str] = {}
    dot = project_dir / ".env"
    if dot.is_file():
        env.update(read_env_file(dot, environ))
    for f in env_files:
        env.update(read_env_file(Path(f), {**env, **environ}))
    env.update(environ)
    return env


# --------------------------------------------------------------------------- loading and merging
def load_yaml(path: Path) -> dict[str, Any]:
    """One compose file as a mapping; errors say file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise StackError(f"cannot read {path}: {e.strerror}", "check the -c path") from e
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
        problem = getattr(e, "problem", None) or str(e)
        raise StackError(f"{where}: invalid YAML: {problem}") from e
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise StackError(f"{path}: a compose file is a mapping at the top level")
    return doc


def merge(base: Any, override: Any, key: str | None = None) -> Any:
    """Merge two compose trees like ``docker compose -f a -f b``."""
    if key in _BY_KEY:
        return {**_as_dict(base), **_as_dict(override)}
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for k, v in override.items():
            out[k] = merge(base[k], v, str(k)) if k in base else v
        return out
    if key in _APPEND_KEYS and isinstance(base, list) and isinstance(override, list):
        return base + [v for v in override if v not in base]
    return override


def _as_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return dict(value)
    out: dict[str, Any] = {}
    for item in value or []:
        k, sep, v = str(item).partition("=")
        out[k] = v if sep else None
    return out


# --------------------------------------------------------------------------- validation
_schema_cache: dict[str, Any] = {}


def schema() -> Mapping[str, Any]:
    """The packaged compose schema (subset used by swarm)."""
    if "s" not in _schema_cache:
        text = resources.files("dockline").joinpath("data/compose-spec.json").read_text(encoding="utf-8")
        _schema_cache["s"] = json.loads(text)
    return _schema_cache["s"]


_TYPE_WORDS = {
    "integer": "an integer",
    "string": "a string",
    "number": "a number",
    "boolean": "a boolean (true or false)",
    "object": "a mapping",
    "array": "a list",
    "null": "empty",
}


def _describe(error: Any) -> tuple[str, str]:
    """(key path, message) for one jsonschema error."""
    path = ".".join(str(p) for p in error.absolute_path)
    v = error.validator
    if v == "type":
        types = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return path, "should be " + " or ".join(_TYPE_WORDS.get(str(t), str(t)) for t in types)
    if v == "additionalProperties":
        extras = re.findall(r"'([^']+)'", error.message.split("(")[-1]) or ["?"]
        return _join(path, extras[0]), "unknown key" + ("" if len(extras) == 1 else f" (also: {', '.join(extras[1:])})")
    if v == "enum":
        return path, "should be one of " + ", ".join(str(x) for x in error.validator_value)
    if v == "required":
        missing = re.findall(r"'([^']+)'", error.message) or ["?"]
        return _join(path, missing[0]), "is required"
    if v == "minimum":
        return path, f"should be at least {error.validator_value}"
    if v == "pattern":
        return path, "should be a duration (e.g. 500ms, 10s, 1m30s)"
    if v == "oneOf" and error.context:
        from jsonschema.exceptions import best_match

        # The branch whose type fits the value failed deeper: that is the real problem.
        deeper = [c for c in error.context if c.validator != "type" or list(c.absolute_path) != list(error.absolute_path)]
        inner = best_match(deeper) if deeper else None
        if inner is not None:
            return _describe(inner)
        return path, "has an invalid value (" + ", ".join(
            sorted({_describe(c)[1] for c in error.context if c.validator == "type"})) + ")"
    return path, error.message


def validate(doc: Mapping[str, Any]) -> list[str]:
    """Validate against the schema; raise ``StackError`` naming every bad key path.
    Returns the warnings (keys swarm ignores)."""
    from jsonschema import Draft7Validator

    validator = Draft7Validator(schema())
    problems = sorted({": ".join(_describe(e)) for e in validator.iter_errors(doc)})
    if problems:
        raise StackError(problems[0] if len(problems) == 1 else f"{len(problems)} problems: " + "; ".join(problems),
                         "fix the compose file; nothing was changed")
    warnings = []
    for name, svc in (doc.get("services") or {}).items():
        for key in IGNORED_SERVICE_KEYS:
            if key in (svc or {}):
                warnings.append(f"services.{name}.{key}: ignored by swarm (docker stack deploy); left out")
    if not doc.get("services"):
        raise StackError("the stack has no services", "add a `services:` section")
    for name, svc in (doc.get("services") or {}).items():
        if not (svc or {}).get("image"):
            raise StackError(f"services.{name}.image: is required for a swarm service",
                             "build and push the image first (`dockline build`); swarm cannot build")
    return warnings


def strip_ignored(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The document without keys swarm ignores and without ``x-`` sections."""
    out = {k: v for k, v in doc.items() if not str(k).startswith("x-")}
    services = {}
    for name, svc in (doc.get("services") or {}).items():
        services[name] = {k: v for k, v in (svc or {}).items() if k not in IGNORED_SERVICE_KEYS}
    out["services"] = services
    return out


_INT_KEYS = frozenset({"replicas", "retries", "parallelism", "max_attempts", "max_replicas_per_node",
                       "target", "published"})
_BOOL_KEYS = frozenset({"init", "read_only", "attachable", "internal", "external", "disable", "tty",
                        "stdin_open"})


def _cast(obj: Any, key: str | None = None) -> Any:
    """Typed values that came out of interpolation as strings (``replicas: ${N}``), as compose
    casts them: integers and booleans for the keys that take them."""
    if isinstance(obj, dict):
        return {k: _cast(v, str(k)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_cast(v) for v in obj]
    if isinstance(obj, str) and key in _INT_KEYS and re.fullmatch(r"-?\d+", obj.strip()):
        return int(obj)
    if isinstance(obj, str) and key in _BOOL_KEYS and obj.strip().lower() in ("true", "false"):
        return obj.strip().lower() == "true"
    return obj


# --------------------------------------------------------------------------- the whole load
def load_stack(files: Sequence[Path], *, env_files: Sequence[Path] = (),
               environ: Mapping[str, str] | None = None) -> LoadedStack:
    """Load, merge, interpolate and validate; raise ``StackError``/``InterpolationError``
    (exit 2) on bad input. Relative paths resolve against the first file's folder."""
    if not files:
        raise StackError("no compose file given", "pass -c FILE (repeatable)")
    paths = tuple(Path(f).resolve() for f in files)
    project_dir = paths[0].parent
    env = build_environment(project_dir, env_files, dict(environ or {}))
    warnings: list[str] = []
    merged: dict[str, Any] = {}
    for p in paths:
        raw = load_yaml(p)
        hooks = raw.pop("x-dockline", None)  # the user's commands: they read $VARs themselves
        resolved = _cast(interpolate(raw, env, "", warnings))
        if hooks is not None:
            resolved["x-dockline"] = hooks
        merged = merge(merged, resolved)
    warnings = list(dict.fromkeys(warnings))
    warnings += validate(merged)
    return LoadedStack(doc=merged, files=paths, project_dir=project_dir, warnings=tuple(warnings))
