"""Lint config: .dockline.yaml (lint:), .hadolint.yaml, key-path errors, effect on rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockline.dockerfile.findings import Severity
from dockline.dockerfile.lint import lint_bytes
from dockline.dockerfile.lintconfig import find_config, load_config, parse_config
from dockline.errors import ConfigError

HADOLINT_YAML = """
failure-threshold: warning
ignored: [DL3008, SC2086]
override:
  error: [DL3003]
  info: [DL3004]
trustedRegistries:
  - docker.io
  - "*.example.com"
label-schema:
  org.opencontainers.image.version: semver
strict-labels: true
no-fail: false
"""


def test_hadolint_yaml_is_honoured(tmp_path: Path) -> None:
    p = tmp_path / ".hadolint.yaml"
    p.write_text(HADOLINT_YAML)
    assert find_config(tmp_path) == p
    cfg = load_config(p)
    assert cfg.failure_threshold == "warning"
    assert cfg.ignored == {"DL3008", "SC2086"}
    assert cfg.override == {"DL3003": "error", "DL3004": "info"}
    assert cfg.trusted_registries == ("docker.io", "*.example.com")
    settings = cfg.rule_settings()
    src = (b"FROM quay.io/x/y:1\nLABEL org.opencontainers.image.version=one extra=1\n"
           b"RUN cd /x && sudo apt-get install -y curl\n")
    found = {f.rule: f for f in lint_bytes(src, "D", settings).findings}
    assert found["DL3003"].severity is Severity.ERROR
    assert found["DL3004"].severity is Severity.INFO
    assert "DL3008" not in found
    assert "DL3026" in found and "DL3056" in found and "DL3050" in found


def test_dockline_yaml_uses_lint_section_and_wins(tmp_path: Path) -> None:
    (tmp_path / ".hadolint.yaml").write_text("ignored: [DL3003]\n")
    (tmp_path / ".dockline.yaml").write_text("stack: {anything: 1}\nlint:\n  ignored: [DL3004]\n")
    p = find_config(tmp_path)
    assert p is not None and p.name == ".dockline.yaml"
    assert load_config(p).ignored == {"DL3004"}


@pytest.mark.parametrize("text,path", [
    ("lint:\n  failure-threshold: loud\n", "lint.failure-threshold"),
    ("lint:\n  override:\n    error: [DL3003, nope]\n", "lint.override.error[1]"),
    ("lint:\n  override:\n    fatal: [DL3003]\n", "lint.override.fatal"),
    ("lint:\n  ignored: DL3003\n", "lint.ignored"),
    ("lint:\n  label-schema:\n    version: number\n", "lint.label-schema.version"),
    ("lint:\n  trustedRegistries: 5\n", "lint.trustedRegistries"),
    ("lint:\n  no-fail: maybe\n", "lint.no-fail"),
    ("lint:\n  colour: red\n", "lint.colour"),
    ("lint: [1, 2]\n", "lint.(section)"),
    ("lint:\n  ignored: [DL3003\n", ".dockline.yaml:"),
])
def test_errors_name_the_key_path(tmp_path: Path, text: str, path: str) -> None:
    p = tmp_path / ".dockline.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert path in str(e.value)
    assert e.value.exit_code == 2


def test_empty_and_missing(tmp_path: Path) -> None:
    (tmp_path / ".hadolint.yml").write_text("")
    assert load_config(tmp_path / ".hadolint.yml").failure_threshold == "info"
    assert load_config(None).ignored == frozenset()
    assert parse_config({"trustedRegistries": "r.example.com"}).trusted_registries == ("r.example.com",)


def test_disable_ignore_pragma(tmp_path: Path) -> None:
    src = b"FROM debian:12\n# hadolint ignore=DL3003\nRUN cd /x\n"
    assert not [f for f in lint_bytes(src, "D").findings if f.rule == "DL3003"]
    settings = parse_config({"disable-ignore-pragma": True}).rule_settings()
    assert [f for f in lint_bytes(src, "D", settings).findings if f.rule == "DL3003"]


def test_file_keys_override_base_only_where_set(tmp_path: Path) -> None:
    from dockline.dockerfile.lintconfig import LintConfig

    base = LintConfig(failure_threshold="error", format="json", ignored=frozenset({"DL3003"}))
    p = tmp_path / ".hadolint.yaml"
    p.write_text("override:\n  style: [DL3004]\n")
    cfg = load_config(p, base)
    assert cfg.failure_threshold == "error" and cfg.format == "json"
    assert cfg.ignored == {"DL3003"} and cfg.override == {"DL3004": "style"}
    p.write_text("failure-threshold: style\nignored: []\n")
    cfg = load_config(p, base)
    assert cfg.failure_threshold == "style" and cfg.ignored == frozenset()


def test_cli_layers_settings_env_file_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """dockline.yaml < DOCKLINE_LINT_* < .hadolint.yaml < flags."""
    from click.testing import CliRunner

    from dockline.cli import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("DOCKLINE_CONFIG", raising=False)
    (tmp_path / "Dockerfile").write_text("FROM debian:12.7\nRUN cd /x\nUSER 1000\n")  # one warning
    (tmp_path / "dockline.yaml").write_text("lint:\n  failure_threshold: error\n")
    runner = CliRunner()
    assert runner.invoke(cli, ["lint", "Dockerfile"]).exit_code == 0
    monkeypatch.setenv("DOCKLINE_LINT_FAILURE_THRESHOLD", "warning")
    assert runner.invoke(cli, ["lint", "Dockerfile"]).exit_code == 1
    (tmp_path / ".hadolint.yaml").write_text("failure-threshold: error\n")
    assert runner.invoke(cli, ["lint", "Dockerfile"]).exit_code == 0
    assert runner.invoke(cli, ["lint", "Dockerfile", "-t", "warning"]).exit_code == 1


def test_hadolint_env_vars() -> None:
    from dockline.dockerfile.lintconfig import LintConfig, apply_hadolint_env

    base = LintConfig(ignored=frozenset({"DL3003"}))
    cfg = apply_hadolint_env(base, {
        "HADOLINT_NOFAIL": "1", "HADOLINT_FAILURE_THRESHOLD": "Warning", "HADOLINT_FORMAT": "codeclimate",
        "HADOLINT_IGNORE": "DL3008, DL3009", "HADOLINT_OVERRIDE_ERROR": "DL3015",
        "HADOLINT_TRUSTED_REGISTRIES": "a.example.com,b.example.com", "HADOLINT_STRICT_LABELS": "true",
        "HADOLINT_DISABLE_IGNORE_PRAGMA": "yes",
    })
    assert cfg.no_fail and cfg.failure_threshold == "warning" and cfg.format == "gitlab"
    assert cfg.ignored == {"DL3003", "DL3008", "DL3009"} and cfg.override == {"DL3015": "error"}
    assert cfg.trusted_registries == ("a.example.com", "b.example.com")
    assert cfg.strict_labels and cfg.disable_ignore_pragma
    assert apply_hadolint_env(base, {}) is base
    with pytest.raises(ConfigError, match="HADOLINT_IGNORE"):
        apply_hadolint_env(base, {"HADOLINT_IGNORE": "not-a-rule"})
    with pytest.raises(ConfigError, match="HADOLINT_FAILURE_THRESHOLD"):
        apply_hadolint_env(base, {"HADOLINT_FAILURE_THRESHOLD": "loud"})


def test_every_format_is_accepted_in_every_layer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One list of formats: DOCKLINE_LINT_FORMAT, dockline.yaml, .dockline.yaml and HADOLINT_FORMAT
    take every name; ``--format`` every name but the settings-only spellings."""
    from click.testing import CliRunner

    from dockline.cli import cli
    from dockline.cli.lint import lint_command
    from dockline.config import load_settings
    from dockline.dockerfile.formats import render
    from dockline.dockerfile.lintconfig import apply_hadolint_env
    from dockline.dockerfile.vocabulary import (
        CLI_FORMATS,
        FORMAT_ALIASES,
        FORMATS,
        SETTING_FORMATS,
        canonical_format,
    )

    assert set(FORMATS) | set(FORMAT_ALIASES) == set(CLI_FORMATS) and set(CLI_FORMATS) < set(SETTING_FORMATS)
    for fmt in FORMATS[1:]:  # every machine format renders (human is the CLI's)
        assert isinstance(render(fmt, [], {}), str)
    with pytest.raises(ValueError, match="unknown format"):
        render("yaml", [], {})
    for name in SETTING_FORMATS:
        assert canonical_format(name) in FORMATS
        assert load_settings(env={"DOCKLINE_LINT_FORMAT": name}, cwd=tmp_path).lint.format == name
        assert parse_config({"format": name}).format == canonical_format(name)
        assert apply_hadolint_env(parse_config({}), {"HADOLINT_FORMAT": name}).format == canonical_format(name)
    options = {p.name: p for p in lint_command.params}
    assert tuple(options["fmt"].type.choices) == CLI_FORMATS  # type: ignore[attr-defined]

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("DOCKLINE_CONFIG", raising=False)
    monkeypatch.setenv("DOCKLINE_LINT_FORMAT", "gnu")  # refused before the format list was one
    (tmp_path / "Dockerfile").write_text("FROM debian:12.7\nRUN cd /x\nUSER 1000\n")
    r = CliRunner().invoke(cli, ["lint", "--shellcheck", "never", "Dockerfile"])
    assert r.exit_code == 1 and r.output.startswith("dockline:Dockerfile:2:1: DL3003 warning: ")


def test_cli_choices_are_the_one_lists() -> None:
    from dockline.cli.lint import lint_command
    from dockline.dockerfile.vocabulary import SHELLCHECK_MODES, THRESHOLDS

    options = {p.name: p for p in lint_command.params}
    assert tuple(options["failure_threshold"].type.choices) == THRESHOLDS  # type: ignore[attr-defined]
    assert tuple(options["shellcheck_mode"].type.choices) == SHELLCHECK_MODES  # type: ignore[attr-defined]
