"""Compose files for swarm: load, merge, interpolate, validate. Pure apart from reading files.

* ``-c FILE`` is repeatable; files merge in order like compose (mappings deep-merge,
  ``environment``/``labels``-style entries merge by key, ``ports``/``configs``/``secrets``/
  ``volumes`` append, everything else is replaced by the later file).
* Interpolation agrees with ``docker stack config`` (the oracle its tests run), plus compose's
  ``${VAR:+r}``/``${VAR+r}`` and nesting inside defaults: ``$VAR``, ``${VAR}``,
  ``${VAR:-d}``, ``${VAR-d}``, ``${VAR:?msg}``, ``${VAR?msg}``, and ``$$`` for a literal
  ``$``. Values only, never keys, and not in ``x-dockline`` (hook commands read their
  variables themselves, from their environment). Errors never show the value.
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
_INLINE_SOURCES = frozenset({"content", "environment"})
_DOLLAR = "$"


@dataclass(frozen=True)
class LoadedStack:
    """A merged, interpolated and validated compose document."""

    doc: Mapping[str, Any]
    files: tuple[Path, ...]
    project_dir: Path
    warnings: tuple[str, ...]


# --------------------------------------------------------------------------- interpolation
# The oracle is ``docker stack config`` (tests/unit/stack/test_interpolate_oracle.py runs it on
# a table of cases). dockline agrees with it wherever it gives a value, with two documented
# extensions from the compose specification: ``${VAR:+r}``/``${VAR+r}`` (the docker CLI refuses
# them) and interpolation inside defaults and messages (the docker CLI keeps ``${A:-${B}}``
# literally; compose resolves it). Where the two tools read one text differently and the docker
# CLI's reading is surely not what was meant, dockline refuses the text with a hint instead of
# guessing: ``$NAME-x`` is ``${NAME}-x`` in compose but ``${NAME-x}`` to the docker CLI.
# Errors name the key path and the character, never the value: values come from ``.env``
# files and the environment, and are often passwords.
_UNBRACED_OPERATORS = (":-", ":?", "-", "?")


def interpolate_string(value: str, env: Mapping[str, str], path: str, warnings: list[str] | None = None,
                       *, in_default: bool = False) -> str:
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
                raise InterpolationError(f"{path}: invalid interpolation format at character {i + 1}: unclosed '${{'",
                                         "close it with '}', or write '$$' for a literal '$'")
            out.append(_braced(value[i + 2:end], env, path, i + 1, warnings))
            i = end + 1
            continue
        m = re.match(_NAME_RE, value[i + 1:])
        if m is None:
            if in_default:
                # a '$' that starts no reference inside a default is literal, as in both tools
                out.append(_DOLLAR)
                i += 1
                continue
            raise InterpolationError(
                f"{path}: invalid interpolation format at character {i + 1}: "
                "'$' is not followed by a variable name, '{' or '$'",
                "write '$$' for a literal '$'")
        name = m.group(0)
        after = value[i + 1 + len(name):]
        if not in_default and after.startswith(_UNBRACED_OPERATORS):
            op = next(o for o in _UNBRACED_OPERATORS if after.startswith(o))
            raise InterpolationError(
                f"{path}: ambiguous interpolation at character {i + 1}: ${name}{op}… is "
                f"${{{name}}}{op}… to compose but ${{{name}{op}…}} to docker stack deploy",
                f"write ${{{name}}}{op}… or ${{{name}{op}…}} to say which")
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


def _braced(body: str, env: Mapping[str, str], path: str, column: int, warnings: list[str] | None) -> str:
    m = re.match(_NAME_RE, body)
    if m is None:
        raise InterpolationError(f"{path}: invalid interpolation format at character {column}: "
                                 "'${' is not followed by a variable name",
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
        raise InterpolationError(f"{path}: invalid interpolation format at character {column}: "
                                 f"unknown operator after ${{{name}",
                                 "use ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR:+value}")
    is_set = name in env
    non_empty = is_set and env[name] != ""
    ok = non_empty if op.startswith(":") else is_set
    kind = op[-1]
    if kind == "-":
        return env[name] if ok else interpolate_string(arg, env, path, warnings, in_default=True)
    if kind == "+":
        return interpolate_string(arg, env, path, warnings, in_default=True) if ok else ""
    # kind == "?"
    if ok:
        return env[name]
    msg = _printable(interpolate_string(arg, env, path, warnings, in_default=True)) if arg else ""
    state = "not set" if not is_set else "empty"
    raise InterpolationError(
        f"{path}: required variable {name} is {state}" + (f": {msg}" if msg else ""),
        f"set {name} in the environment, in .env beside the file, or in an --env-file",
    )


def _printable(text: str) -> str:
    """A message from the file, safe for a terminal: control characters shown as escapes."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text[:200])


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
    """Parse a ``.env`` file by compose's rules (docs.docker.com/compose/env-file):

    * ``KEY=VALUE`` or ``export KEY=VALUE``; ``#`` lines and blank lines are skipped;
    * unquoted: trimmed; ``#`` starts a comment only after white space (``VAL# x`` keeps it);
    * single quotes: literal, ``\\'`` is a quote; double quotes: ``\\n \\r \\t \\\\ \\"``
      escapes; both may span lines, and a comment may follow the closing quote;
    * unquoted and double-quoted values are interpolated with the variables seen so far (and
      ``base``); single-quoted ones are not.

    Errors name the file and line, never the value (``.env`` files hold passwords).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise StackError(f"cannot read env file {path}: {e.strerror}") from e
    except UnicodeDecodeError as e:
        raise StackError(f"env file {path} is not UTF-8 (byte {e.start})") from e
    out: dict[str, str] = {}
    lines = text.replace("\r\n", "\n").split("\n")
    i = 0
    while i < len(lines):
        lineno = i + 1
        line = lines[i].strip()
        i += 1
        if not line or line.startswith("#"):
            continue
        if line.startswith(("export ", "export\t")):
            line = line[len("export"):].lstrip()
        key, sep, rest = line.partition("=")
        key = key.strip()
        if not sep or not re.fullmatch(_NAME_RE, key):
            raise StackError(f"{path}:{lineno}: expected KEY=VALUE", "variable names start with a letter or '_'")
        rest = rest.lstrip()
        where = f"{path}:{lineno}"
        if rest[:1] in ("'", '"'):
            quote = rest[0]
            body = rest[1:]
            while True:
                close = _closing_quote(body, quote)
                if close >= 0:
                    break
                if i >= len(lines):
                    raise StackError(f"{where}: the {'single' if quote == chr(39) else 'double'} quote of {key} "
                                     "is never closed", f"end the value with {quote}")
                body += "\n" + lines[i]
                i += 1
            value, after = body[:close], body[close + 1:].strip()
            if after and not after.startswith("#"):
                raise StackError(f"{where}: unexpected text after the closing quote of {key}",
                                 "put a comment after ' #', or quote the whole value")
            if quote == "'":
                out[key] = value.replace("\\'", "'")
                continue
            value = _unescape_double(value)
        else:
            value = re.sub(r"\s#.*$", "", rest).strip()
        out[key] = interpolate_string(value, {**(base or {}), **out}, where)
    return out


def _closing_quote(body: str, quote: str) -> int:
    """Index of the first unescaped ``quote`` in ``body`` (-1: none)."""
    j = 0
    while j < len(body):
        if body[j] == "\\" and j + 1 < len(body):
            j += 2
            continue
        if body[j] == quote:
            return j
        j += 1
    return -1


_DOUBLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"'}


def _unescape_double(value: str) -> str:
    out: list[str] = []
    j = 0
    while j < len(value):
        c = value[j]
        if c == "\\" and j + 1 < len(value) and value[j + 1] in _DOUBLE_ESCAPES:
            out.append(_DOUBLE_ESCAPES[value[j + 1]])
            j += 2
            continue
        out.append(c)
        j += 1
    return "".join(out)


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
        where = list(error.absolute_path)
        if len(where) == 2 and where[0] in ("configs", "secrets") and extras[0] in _INLINE_SOURCES:
            # compose has these; docker stack deploy refuses them, and an inline secret would
            # land in the deploy record (which everyone with access to the swarm can read)
            return _join(path, extras[0]), ("not supported by docker stack deploy: give the value in a file "
                                            "(file: PATH) or create it beforehand (external: true)")
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
    # jsonschema's own message quotes the value, which may be a secret: name the rule only
    return path, f"is not valid here (schema rule: {v})"


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
