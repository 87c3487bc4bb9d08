"""Settings: layers, key paths in errors, the shipped example."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from dockline.config import Settings, example_text, load_settings, parse_duration
from dockline.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90s", timedelta(seconds=90)), ("5m", timedelta(minutes=5)), ("1h30m", timedelta(minutes=90)),
     ("250ms", timedelta(milliseconds=250)), (12, timedelta(seconds=12)), ("1.5s", timedelta(seconds=1.5)), ("90", timedelta(seconds=90)),
     ("1m30s", timedelta(seconds=90))],
)
def test_parse_duration(text: str | int, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["", "m", "5x", "-5s", "-5", -5, "s5", True])
def test_parse_duration_rejects(bad: object) -> None:
    with pytest.raises(ConfigError):
        parse_duration(bad)  # type: ignore[arg-type]


def test_defaults_without_file_or_env(tmp_path: Path) -> None:
    assert load_settings(env={}, cwd=tmp_path) == Settings()


def test_layers_file_then_env_then_flags(tmp_path: Path) -> None:
    (tmp_path / "dockline.yaml").write_text("deploy:\n  timeout: 2m\n  prune: false\nrouter:\n  port: 8080\n")
    s = load_settings(env={}, cwd=tmp_path)
    assert s.deploy.timeout == timedelta(minutes=2) and s.deploy.prune is False and s.router.port == 8080
    s = load_settings(env={"DOCKLINE_DEPLOY_TIMEOUT": "30s"}, cwd=tmp_path)
    assert s.deploy.timeout == timedelta(seconds=30) and s.deploy.prune is False
    s = load_settings({"deploy": {"timeout": "10s", "prune": None}}, env={"DOCKLINE_DEPLOY_TIMEOUT": "30s"},
                      cwd=tmp_path)
    assert s.deploy.timeout == timedelta(seconds=10) and s.deploy.prune is False


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("deploy:\n  timeout: soon\n", "deploy.timeout: should be a duration"),
        ("deploy:\n  resolve_image: sometimes\n", "deploy.resolve_image: should be one of"),
        ("router:\n  port: 70000\n", "router.port: should be a port"),
        ("router:\n  port: eighty\n", "router.port: should be an integer"),
        ("deploy:\n  prune: maybe\n", "deploy.prune: should be true or false"),
        ("deploy:\n  speed: 3\n", "deploy.speed: unknown setting"),
        ("nope:\n  a: 1\n", "nope: unknown section"),
        ("- a\n- b\n", "should be a mapping of sections"),
        ("deploy: [1, 2]\n", "deploy: should be a mapping"),
        ("deploy: {timeout: [\n", "not valid YAML"),
    ],
)
def test_errors_name_the_key_path(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "dockline.yaml").write_text(content)
    with pytest.raises(ConfigError) as ei:
        load_settings(env={}, cwd=tmp_path)
    assert message in ei.value.message
    assert ei.value.exit_code == 2


@pytest.mark.parametrize(
    ("var", "value", "message"),
    [
        ("DOCKLINE_DEPLOY_RESOLVE_IMAGE", "carrier-pigeon", "deploy.resolve_image: should be one of"),
        ("DOCKLINE_ROUTER_PORT", "eighty", "router.port: should be an integer"),
        ("DOCKLINE_ROUTER_TIMEOUT", "soon", "router.timeout: should be a duration"),
    ],
)
def test_env_errors_name_the_key_path(tmp_path: Path, var: str, value: str, message: str) -> None:
    # (router.target, used here before, was never read by the code and is retired: see
    # test_settings.py)
    with pytest.raises(ConfigError, match=message) as ei:
        load_settings(env={var: value}, cwd=tmp_path)
    assert ei.value.hint == f"set by {var}"


def test_config_env_var_names_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read settings file"):
        load_settings(env={"DOCKLINE_CONFIG": str(tmp_path / "none.yaml")}, cwd=tmp_path)


def test_shipped_example_is_valid_and_equals_defaults(tmp_path: Path) -> None:
    text = example_text()
    assert yaml.safe_load(text)  # parses
    (tmp_path / "dockline.yaml").write_text(text)
    assert load_settings(env={}, cwd=tmp_path) == Settings()


@pytest.mark.parametrize("huge", ["99999999999999", "100000h", float("inf"), float("nan"), 1e300])
def test_parse_duration_refuses_overflowing_values(huge: object) -> None:
    # timedelta would raise OverflowError (exit 70) on these; a duration flag must say exit 2
    with pytest.raises(ConfigError, match="at most"):
        parse_duration(huge)  # type: ignore[arg-type]
