"""One duration syntax everywhere: every duration flag of every command, every duration
setting in dockline.yaml and every duration environment variable take ``90``, ``90s``, ``2m``,
``1m30s`` and refuse ``-5`` and ``5x`` (exit 2 -- 1 for the healthcheck probes -- naming the
flag, key or variable).

Table-driven over what the CLI and the schema declare, so a new flag or setting is covered
the day it is added. The commands' callbacks are replaced by a recorder: only parsing runs,
nothing reaches an engine.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from dockline.cli import COMMANDS, DocklineGroup, load_module_commands
from dockline.cli._options import DurationParam
from dockline.config import env_var, load_settings, setting_types
from dockline.errors import ConfigError

GOOD = [("90", timedelta(seconds=90)), ("90s", timedelta(seconds=90)), ("2m", timedelta(minutes=2)),
        ("1m30s", timedelta(seconds=90))]
BAD = ["-5", "5x"]

# A name that says "this is a duration": --timeout, --interval, --health-interval, --deadline,
# --start-period, --lock-timeout, --lock-wait, --update-delay, --resync, --duration, ...
_DURATION_NAME = re.compile(r"(^|_)(timeout|interval|deadline|period|delay|wait|duration|resync|ttl)$")


@dataclass(frozen=True)
class Flag:
    path: tuple[str, ...]  # ("router", "up")
    command: click.Command
    option: click.Option

    @property
    def id(self) -> str:
        return f"{' '.join(self.path)} {self.option.opts[-1]}"


def _leaves(cmd: click.Command, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    if isinstance(cmd, click.Group):
        for name, sub in sorted(cmd.commands.items()):
            yield from _leaves(sub, (*path, name))
    else:
        yield path, cmd


def _commands() -> list[tuple[tuple[str, ...], click.Command]]:
    out = []
    for module in sorted(set(COMMANDS.values())):
        for name, cmd in sorted(load_module_commands(module).items()):
            out.extend(_leaves(cmd, (name,)))
    return out


def _names(opt: click.Option) -> list[str]:
    return [opt.name or "", *(o.lstrip("-").replace("-", "_") for o in opt.opts)]


def is_duration_option(opt: click.Option) -> bool:
    """By name (the flag or its parameter), or by a help text that counts seconds."""
    if opt.is_flag or opt.count:
        return False
    if any(_DURATION_NAME.search(n) for n in _names(opt)):
        return True
    return bool(re.search(r"\bseconds\b", opt.help or "", re.IGNORECASE))


DURATION_FLAGS = [Flag(path, cmd, opt) for path, cmd in _commands() for opt in cmd.params
                  if isinstance(opt, click.Option) and is_duration_option(opt)]


def test_the_walk_finds_the_known_duration_flags() -> None:
    """The table is not empty by accident: the flags the issue names are in it."""
    ids = {f.id for f in DURATION_FLAGS}
    for known in ("deploy --timeout", "router up --timeout", "route --lock-wait", "rm --timeout",
                  "health http --timeout", "scaffold --interval", "scaffold --start-period",
                  "verify --health-interval", "verify --timeout", "poll --timeout"):
        assert known in ids, f"{known} not found among {sorted(ids)}"


@pytest.mark.parametrize("flag", DURATION_FLAGS, ids=lambda f: f.id)
def test_every_duration_flag_uses_the_duration_type(flag: Flag) -> None:
    assert isinstance(flag.option.type, DurationParam), (
        f"{flag.id} is {flag.option.type!r}; use dockline.cli._options.DURATION (or POSITIVE_DURATION)")


# --------------------------------------------------------------------------- through CliRunner
def _required_args(cmd: click.Command, flag: click.Option) -> list[str]:
    """Placeholder values for what the command requires (arguments, required options)."""
    args: list[str] = []
    for p in cmd.params:
        if p is flag:
            continue
        if isinstance(p, click.Argument) and p.required:
            args.append("x")
        elif isinstance(p, click.Option) and p.required:
            args += [p.opts[-1], "x"]
    return args


def _run(flag: Flag, value: str) -> tuple[Any, dict[str, Any]]:
    """Invoke the command through a dockline group with ``--flag=value``; its callback only
    records the parsed parameters."""
    seen: dict[str, Any] = {}
    cmd = copy.copy(flag.command)
    cmd.callback = lambda **kwargs: seen.update(kwargs)
    group = DocklineGroup("dockline")
    group.add_command(cmd, flag.path[-1])
    args = [flag.path[-1], *_required_args(flag.command, flag.option), f"{flag.option.opts[-1]}={value}"]
    return CliRunner().invoke(group, args), seen


@pytest.mark.parametrize(("text", "expected"), GOOD)
@pytest.mark.parametrize("flag", DURATION_FLAGS, ids=lambda f: f.id)
def test_every_duration_flag_parses_the_syntax(flag: Flag, text: str, expected: timedelta) -> None:
    res, seen = _run(flag, text)
    assert res.exit_code == 0, f"{flag.id}={text}: exit {res.exit_code}: {res.output}"
    assert seen[flag.option.name or ""] == expected


# Bad input exits 2, except in the healthcheck probes: Docker reserves 2, so their usage errors
# are an unhealthy line and exit 1 (errors.py, cli/health.py).
_USAGE_EXIT = {"health": 1}


@pytest.mark.parametrize("text", BAD)
@pytest.mark.parametrize("flag", DURATION_FLAGS, ids=lambda f: f.id)
def test_every_duration_flag_refuses_bad_values_with_exit_2(flag: Flag, text: str) -> None:
    res, seen = _run(flag, text)
    want = _USAGE_EXIT.get(flag.path[0], 2)
    assert res.exit_code == want, f"{flag.id}={text}: exit {res.exit_code}, not {want}: {res.output}"
    assert not seen, "the command ran with a bad duration"
    assert flag.option.opts[-1] in res.output


# --------------------------------------------------------------------------- settings and env vars
DURATION_SETTINGS = [path for path, typ in setting_types().items() if typ is timedelta]


def test_the_schema_has_duration_settings() -> None:
    assert {"deploy.timeout", "router.timeout", "router.lock_wait"} <= set(DURATION_SETTINGS)


def _value(path: str, **kwargs: Any) -> Any:
    sec, _, key = path.partition(".")
    return getattr(getattr(load_settings(**kwargs), sec), key)


def _file(tmp_path: Path, path: str, text: str) -> Path:
    sec, _, key = path.partition(".")
    (tmp_path / "dockline.yaml").write_text(f"{sec}:\n  {key}: {text}\n")
    return tmp_path


@pytest.mark.parametrize(("text", "expected"), [*GOOD, ("'90'", timedelta(seconds=90))])
@pytest.mark.parametrize("path", DURATION_SETTINGS)
def test_every_duration_setting_takes_the_syntax_from_the_file(tmp_path: Path, path: str, text: str,
                                                                 expected: timedelta) -> None:
    assert _value(path, env={}, cwd=_file(tmp_path, path, text)) == expected


@pytest.mark.parametrize(("text", "expected"), GOOD)
@pytest.mark.parametrize("path", DURATION_SETTINGS)
def test_every_duration_setting_takes_the_syntax_from_its_env_var(tmp_path: Path, path: str, text: str,
                                                                    expected: timedelta) -> None:
    assert _value(path, env={env_var(path): text}, cwd=tmp_path) == expected


@pytest.mark.parametrize(("text", "expected"), [*GOOD, (timedelta(seconds=7), timedelta(seconds=7))])
@pytest.mark.parametrize("path", DURATION_SETTINGS)
def test_every_duration_setting_takes_the_syntax_from_a_flag(tmp_path: Path, path: str, text: Any,
                                                               expected: timedelta) -> None:
    sec, _, key = path.partition(".")
    assert _value(path, overrides={sec: {key: text}}, env={}, cwd=tmp_path) == expected


@pytest.mark.parametrize("text", BAD)
@pytest.mark.parametrize("path", DURATION_SETTINGS)
def test_every_duration_setting_refuses_bad_values(tmp_path: Path, path: str, text: str) -> None:
    with pytest.raises(ConfigError) as from_file:
        load_settings(env={}, cwd=_file(tmp_path, path, text))
    (tmp_path / "dockline.yaml").unlink()
    with pytest.raises(ConfigError) as from_env:
        load_settings(env={env_var(path): text}, cwd=tmp_path)
    for ei in (from_file, from_env):
        assert ei.value.message.startswith(f"{path}: should"), ei.value.message
        assert ei.value.exit_code == 2
    assert env_var(path) in (from_env.value.hint or "")
