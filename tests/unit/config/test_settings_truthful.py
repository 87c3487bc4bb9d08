"""The settings' defaults are what the code uses when nothing is set.

config.py cannot import the modules that use its values (they load YAML, subprocess and the
router machinery, and ``dockline lint`` starts with config.py), so these tests keep the two in
step: ``dockline docs settings`` must never again show names or values the code does not use.
"""

from __future__ import annotations

import dataclasses
import inspect
from datetime import timedelta
from typing import Any

import click
import pytest

from dockline.cli import load_module_commands
from dockline.config import RESOLVE_IMAGE_MODES, DeploySettings, RouterSettings
from dockline.durations import parse_duration


def _option(module: str, path: tuple[str, ...], flag: str) -> click.Option:
    cmd: click.Command = load_module_commands(module)[path[0]]
    for name in path[1:]:
        assert isinstance(cmd, click.Group)
        cmd = cmd.commands[name]
    for p in cmd.params:
        if isinstance(p, click.Option) and flag in p.opts:
            return p
    raise AssertionError(f"{' '.join(path)} has no {flag}")


def _as_duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    return parse_duration(value if isinstance(value, (int, float)) else str(value))


def _field_default(cls: type, name: str) -> Any:
    return next(f.default for f in dataclasses.fields(cls) if f.name == name)


# --------------------------------------------------------------------------- router
def test_router_name_and_its_objects() -> None:
    from dockline.router.apply import DEFAULT_ROUTER, Router

    assert RouterSettings().name == DEFAULT_ROUTER.name == Router().name
    for name in ("dockline-router", "r2"):
        assert RouterSettings(name=name).network == Router(name).network


@pytest.mark.parametrize(("module", "path"), [("router", ("router", "up")), ("router", ("route",)),
                                              ("router", ("routes",)), ("demo", ("demo", "up"))])
def test_the_router_flag_defaults_to_router_name(module: str, path: tuple[str, ...]) -> None:
    opt = _option(module, path, "--router")
    # None: the command reads router_settings(name=...) (the settings supply the default)
    assert opt.default in (None, RouterSettings().name)


def test_router_port() -> None:
    opt = _option("router", ("router", "up"), "--port")
    assert opt.default in (None, RouterSettings().port)


def test_router_base_image() -> None:
    from dockline.router import stack

    assert RouterSettings().base_image == stack.DEFAULT_BASE


def test_router_timeout() -> None:
    opt = _option("router", ("router", "up"), "--timeout")
    assert opt.default is None or _as_duration(opt.default) == RouterSettings().timeout


def test_router_lock_wait() -> None:
    from dockline.router import flow
    from dockline.router.apply import ApplySettings

    want = RouterSettings().lock_wait
    opt = _option("router", ("route",), "--lock-wait")
    assert opt.default is None or _as_duration(opt.default) == want
    assert _field_default(ApplySettings, "lock_wait") == want
    for fn in (flow.route_stack, flow.unroute_stack, flow.settings_for):
        param = inspect.signature(fn).parameters.get("lock_wait")
        if param is not None and param.default is not inspect.Parameter.empty and param.default is not None:
            assert param.default == want, fn.__name__


# --------------------------------------------------------------------------- deploy
def test_deploy_defaults_are_the_deploy_options_defaults() -> None:
    from dockline.stack import deploy

    d = DeploySettings()
    assert d.timeout == deploy.DEFAULT_TIMEOUT
    for name in ("prune", "with_registry_auth", "resolve_image", "timeout"):
        assert getattr(d, name) == _field_default(deploy.DeployOptions, name), name


def test_resolve_image_modes_are_listed_once() -> None:
    from dockline.stack import deploy

    assert not hasattr(deploy, "RESOLVE_CHOICES")  # the list lives in config only
    assert deploy.RESOLVE_IMAGE_MODES is RESOLVE_IMAGE_MODES
    for cmd in ("deploy", "rollback"):
        opt = _option("deploy", (cmd,), "--resolve-image")
        assert isinstance(opt.type, click.Choice)
        assert tuple(opt.type.choices) == RESOLVE_IMAGE_MODES
    assert DeploySettings().resolve_image in RESOLVE_IMAGE_MODES
