"""Settings: every setting has its variable, unknown keys name the closest one, sources are
tracked, retired keys warn, and ``dockline docs settings|config`` tell the truth."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from dockline import config
from dockline.cli import cli
from dockline.config import (
    DEFAULT,
    ENV,
    ENV_ALIASES,
    FILE,
    FLAG,
    NOT_SETTINGS,
    RETIRED,
    Settings,
    deploy_settings,
    env_var,
    example_text,
    load_settings,
    resolve_settings,
    router_settings,
    setting_types,
)
from dockline.errors import ConfigError

# Enumerated settings: a value that is not the default.
_CHOSEN = {"deploy.resolve_image": "never", "lint.failure_threshold": "error", "lint.format": "json"}


def _sample(path: str, typ: Any) -> tuple[str, Any]:
    """A value other than the default, as text (file and environment alike) and as read."""
    default = _get(Settings(), path)
    if typ is timedelta:
        return "1m31s", timedelta(seconds=91)
    if typ is bool:
        return str(not default).lower(), not default
    if typ is int:
        return str(default + 1), default + 1
    value = _CHOSEN.get(path, f"{default}-x")
    return value, value


def _get(settings: Settings, path: str) -> Any:
    sec, _, key = path.partition(".")
    return getattr(getattr(settings, sec), key)


@pytest.mark.parametrize(("path", "typ"), list(setting_types().items()))
def test_every_setting_has_its_env_var(tmp_path: Path, path: str, typ: Any) -> None:
    text, expected = _sample(path, typ)
    assert _get(Settings(), path) != expected  # the sample is not the default
    assert env_var(path) == "DOCKLINE_" + path.replace(".", "_").upper()
    loaded = resolve_settings(env={env_var(path): text}, cwd=tmp_path)
    assert _get(loaded.settings, path) == expected
    assert loaded.sources[path] == ENV
    assert loaded.variables[path] == env_var(path)


@pytest.mark.parametrize(("path", "typ"), list(setting_types().items()))
def test_every_setting_is_read_from_the_file(tmp_path: Path, path: str, typ: Any) -> None:
    text, expected = _sample(path, typ)
    sec, _, key = path.partition(".")
    (tmp_path / "dockline.yaml").write_text(yaml.safe_dump({sec: {key: text}}))
    loaded = resolve_settings(env={}, cwd=tmp_path)
    assert _get(loaded.settings, path) == expected
    assert loaded.sources[path] == FILE
    assert loaded.file == tmp_path / "dockline.yaml"


def test_sources_follow_the_layers(tmp_path: Path) -> None:
    (tmp_path / "dockline.yaml").write_text("deploy:\n  timeout: 2m\n  prune: false\n")
    loaded = resolve_settings({"deploy": {"prune": True, "route": None}},
                              env={"DOCKLINE_DEPLOY_TIMEOUT": "30s"}, cwd=tmp_path)
    assert loaded.sources["deploy.timeout"] == ENV
    assert loaded.sources["deploy.prune"] == FLAG
    assert loaded.sources["deploy.route"] == DEFAULT
    assert loaded.settings.deploy.timeout == timedelta(seconds=30) and loaded.settings.deploy.prune is True
    assert set(loaded.sources) == set(setting_types())


# --------------------------------------------------------------------------- unknown keys
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("deploy:\n  timout: 90s\n", "deploy.timout: unknown setting in {file}; did you mean deploy.timeout?"),
        ("deploy:\n  resolve-image: never\n",
         "deploy.resolve-image: unknown setting in {file}; did you mean deploy.resolve_image?"),
        ("deploy:\n  lock_wait: 1m\n", "deploy.lock_wait: unknown setting in {file}; did you mean router.lock_wait?"),
        ("lint:\n  fromat: json\n", "lint.fromat: unknown setting in {file}; did you mean lint.format?"),
        ("deploy:\n  speed: 3\n", "deploy.speed: unknown setting in {file}"),
        ("deplyo:\n  timeout: 3\n", "deplyo: unknown section in {file}; did you mean deploy?"),
    ],
)
def test_unknown_keys_name_the_closest_key(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "dockline.yaml").write_text(content)
    with pytest.raises(ConfigError) as ei:
        load_settings(env={}, cwd=tmp_path)
    assert ei.value.message == message.format(file=tmp_path / "dockline.yaml")
    assert ei.value.exit_code == 2


def test_an_unknown_key_lists_its_sections_keys(tmp_path: Path) -> None:
    (tmp_path / "dockline.yaml").write_text("router:\n  prot: 80\n")
    with pytest.raises(ConfigError, match=r"router.prot: unknown setting .*; did you mean router.port\?") as ei:
        load_settings(env={}, cwd=tmp_path)
    assert ei.value.hint is not None and "name, port, base_image, timeout, lock_wait" in ei.value.hint


@pytest.mark.parametrize(
    ("var", "message"),
    [
        ("DOCKLINE_DEPLOY_TIMOUT", ("DOCKLINE_DEPLOY_TIMOUT: unknown setting deploy.timout;"
                                    " did you mean DOCKLINE_DEPLOY_TIMEOUT?")),
        ("DOCKLINE_ROUTER_PROT", "DOCKLINE_ROUTER_PROT: unknown setting router.prot; did you mean DOCKLINE_ROUTER_PORT?"),
        ("DOCKLINE_LINT_FROMAT", "DOCKLINE_LINT_FROMAT: unknown setting lint.fromat; did you mean DOCKLINE_LINT_FORMAT?"),
        ("DOCKLINE_DEPLOY_SPEED", "DOCKLINE_DEPLOY_SPEED: unknown setting deploy.speed"),
    ],
)
def test_unknown_env_vars_name_the_closest_variable(tmp_path: Path, var: str, message: str) -> None:
    with pytest.raises(ConfigError) as ei:
        load_settings(env={var: "1"}, cwd=tmp_path)
    assert ei.value.message == message
    assert ei.value.exit_code == 2


def test_variables_that_are_not_settings_are_ignored(tmp_path: Path) -> None:
    env = dict.fromkeys(NOT_SETTINGS, "1") | {"DOCKLINE_TEST_NGINX_IMAGE": "x", "DOCKLINE_LAB_PREFIX": "y",
                                              "DOCKLINE_DEPLOY_TIMOUT": "", "DOCKLINE_SOMETHING": "z"}
    env.pop("DOCKLINE_CONFIG")  # names the file: tested on its own
    assert load_settings(env=env, cwd=tmp_path) == Settings()


def test_the_non_settings_include_what_the_cli_reads() -> None:
    assert {"DOCKLINE_CONFIG", "DOCKLINE_DEBUG", "DOCKLINE_LOG_LEVEL", "DOCKLINE_CACHE"} <= NOT_SETTINGS
    # none of them is a setting's variable or an alias
    assert not NOT_SETTINGS & ({env_var(p) for p in setting_types()} | set(ENV_ALIASES))


# --------------------------------------------------------------------------- aliases, retired keys
@pytest.mark.parametrize(
    ("alias", "path", "value"),
    [("DOCKLINE_RESOLVE_IMAGE", "deploy.resolve_image", "never"), ("DOCKLINE_ROUTER", "router.name", "r2"),
     ("DOCKLINE_NGINX_IMAGE", "router.base_image", "local/nginx:bookworm")],
)
def test_aliases_and_the_longer_name_wins(tmp_path: Path, alias: str, path: str, value: str) -> None:
    assert ENV_ALIASES[alias] == env_var(path)
    loaded = resolve_settings(env={alias: value}, cwd=tmp_path)
    assert _get(loaded.settings, path) == value
    assert loaded.variables[path] == alias
    full = "changed" if path == "deploy.resolve_image" else "full"
    both = load_settings(env={alias: value, env_var(path): full}, cwd=tmp_path)
    assert _get(both, path) == full


@pytest.mark.parametrize("path", sorted(RETIRED))
def test_retired_router_keys_are_ignored_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                         monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    """The old router schema named things no code read; a copy of the old example still loads."""
    monkeypatch.setattr(config, "_warned", set())  # each warning is given once per process
    sec, _, key = path.partition(".")
    (tmp_path / "dockline.yaml").write_text(f"{sec}:\n  {key}: something\n")
    with caplog.at_level(logging.WARNING, logger="dockline.config"):
        assert load_settings(env={}, cwd=tmp_path) == Settings()
        (tmp_path / "dockline.yaml").unlink()
        assert load_settings(env={env_var(path): "something"}, cwd=tmp_path) == Settings()
    text = caplog.text
    assert f"{path} (set in {tmp_path / 'dockline.yaml'}) is ignored" in text
    assert f"{path} (set by {env_var(path)}) is ignored" in text
    assert RETIRED[path] in text


def test_the_old_example_still_loads(tmp_path: Path) -> None:
    old = ("deploy:\n  timeout: 5m\nrouter:\n  stack: router\n  port: 80\n  target: overlay\n"
           "  network: dockline-routing\n  lock_timeout: 60s\n")
    (tmp_path / "dockline.yaml").write_text(old)
    assert load_settings(env={}, cwd=tmp_path) == Settings()


# --------------------------------------------------------------------------- accessors for commands
def test_accessors_let_flags_win(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for var in [env_var(p) for p in setting_types()] + list(ENV_ALIASES) + ["DOCKLINE_CONFIG"]:
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "dockline.yaml").write_text("router:\n  name: from-file\n  port: 8080\n")
    monkeypatch.setenv("DOCKLINE_ROUTER", "from-env")
    r = router_settings(name=None, port=9090, timeout=timedelta(seconds=5))
    assert (r.name, r.port, r.timeout, r.network) == ("from-env", 9090, timedelta(seconds=5), "from-env-net")
    assert router_settings(name="flag").name == "flag"
    d = deploy_settings(timeout="1m30s", prune=None)
    assert d.timeout == timedelta(seconds=90) and d.prune is True
    with pytest.raises(ConfigError, match="router.timeout: should not be negative"):
        router_settings(timeout=timedelta(seconds=-1))


# --------------------------------------------------------------------------- docs
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for var in [env_var(p) for p in setting_types()] + list(ENV_ALIASES) + ["DOCKLINE_CONFIG"]:
        monkeypatch.delenv(var, raising=False)


def test_docs_settings_shows_values_sources_and_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _isolated(monkeypatch, tmp_path)
    (tmp_path / "dockline.yaml").write_text("deploy:\n  timeout: 90\n")
    monkeypatch.setenv("DOCKLINE_ROUTER", "r7")
    monkeypatch.setenv("COLUMNS", "200")
    res = CliRunner().invoke(cli, ["docs", "settings"])
    assert res.exit_code == 0, res.output
    lines = {line.split()[1]: line for line in res.output.splitlines() if line.startswith("│")}
    assert set(lines) == set(setting_types())  # every setting, and only those
    assert "1m30s" in lines["deploy.timeout"] and "file" in lines["deploy.timeout"]
    assert "r7" in lines["router.name"] and "env (DOCKLINE_ROUTER)" in lines["router.name"]
    assert "default" in lines["router.port"] and "DOCKLINE_ROUTER_PORT" in lines["router.port"]
    assert "dockline-routing" not in res.output and "router.target" not in res.output


def test_docs_settings_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _isolated(monkeypatch, tmp_path)
    monkeypatch.setenv("DOCKLINE_ROUTER_LOCK_WAIT", "2m")
    res = CliRunner().invoke(cli, ["docs", "settings", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["file"] is None
    assert data["settings"]["router"]["lock_wait"] == 120.0
    assert data["settings"]["router"]["name"] == "dockline-router"
    assert data["sources"]["router.lock_wait"] == "env" and data["sources"]["deploy.timeout"] == "default"
    assert data["env"]["deploy.with_registry_auth"] == "DOCKLINE_DEPLOY_WITH_REGISTRY_AUTH"
    assert data["derived"] == {"router.network": "dockline-router-net"}


def test_docs_settings_reports_a_bad_file_with_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _isolated(monkeypatch, tmp_path)
    (tmp_path / "dockline.yaml").write_text("deploy:\n  timout: 90\n")
    res = CliRunner().invoke(cli, ["docs", "settings"])
    assert res.exit_code == 2
    assert "deploy.timout: unknown setting" in res.output and "did you mean deploy.timeout?" in res.output


def test_docs_config_prints_the_example_and_it_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _isolated(monkeypatch, tmp_path)
    res = CliRunner().invoke(cli, ["docs", "config"])
    assert res.exit_code == 0
    assert res.stdout.strip() == example_text().strip()
    (tmp_path / "dockline.yaml").write_text(res.stdout)
    loaded = resolve_settings()
    assert loaded.settings == Settings()
    assert set(loaded.sources.values()) == {FILE}  # the example sets every key


def test_the_example_documents_every_setting_with_a_comment() -> None:
    text = example_text()
    doc = yaml.safe_load(text)
    assert {f"{s}.{k}" for s, keys in doc.items() for k in keys} == set(setting_types())
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("  ") and not line.lstrip().startswith("#"):
            assert lines[i - 1].lstrip().startswith("#"), f"no comment above {line.strip()!r}"


def test_config_stays_light(tmp_path: Path) -> None:
    """``dockline lint`` loads the settings on every run: no YAML parser, SDK or router code
    until a settings file is actually read."""
    import subprocess
    import sys

    code = ("import sys, dockline.config as c; c.load_settings(env={}); "
            "print(sorted(m for m in ('yaml', 'docker', 'rich', 'dockline.router', 'dockline.stack',"
            " 'dockline.engine') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=tmp_path).stdout
    assert out.strip() == "[]"
