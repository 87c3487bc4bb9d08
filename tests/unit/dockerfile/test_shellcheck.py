"""ShellCheck on RUN bodies: the scripts dockline builds (pure), the mapping back to the
Dockerfile, the engine's ignores/overrides/pragmas, and the real `shellcheck` binary
(installed by scripts/test, like hadolint embeds it)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

from dockline.cli import cli
from dockline.dockerfile.analysis import Analysis
from dockline.dockerfile.check import RuleSettings, check_dockerfile
from dockline.dockerfile.findings import Severity
from dockline.dockerfile.parser import parse
from dockline.dockerfile.shellcheck import (
    ScFinding,
    ShellCheck,
    ShScript,
    findings_for,
    scripts_for,
)

DOCKERFILE = """\
FROM debian:bookworm AS base
ARG VERSION
ENV APP_HOME=/app
RUN --mount=type=cache,target=/var/cache/apt apt-get update \\
    # a comment Docker drops
    && cd $APP_HOME \\

    && rm -rf $APP_HOME/$dir/*
FROM base
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN echo `date`
RUN <<EOF
set -e
echo $nope
EOF
RUN <<EOF
#!/usr/bin/env python3
print("$not_shell")
EOF
RUN ["sh", "-c", "echo $x"]
"""


def scripts(text: str) -> list[ShScript]:
    df = parse(text, "Dockerfile")
    return scripts_for(df, Analysis(df).runs)


def body(s: ShScript) -> list[tuple[int, str]]:
    """Script lines that come from the Dockerfile, with their line numbers."""
    return [(ln, t) for ln, t in zip(s.lines, s.text.split("\n"), strict=False) if ln]


def test_scripts_keep_lines_and_columns() -> None:
    first, bash, heredoc = scripts(DOCKERFILE)  # the python heredoc and the exec form are not shell
    assert body(first) == [
        (4, " " * len("RUN --mount=type=cache,target=/var/cache/apt ") + "apt-get update \\"),
        (6, "    && cd $APP_HOME \\"),
        (8, "    && rm -rf $APP_HOME/$dir/*"),
    ]
    # only the ARG/ENV names the body mentions are exported (VERSION is declared, not used here)
    assert first.text.startswith("#!/bin/sh\nexport APP_HOME=1\nexport HTTP_PROXY=1\n")
    assert "VERSION" not in first.text
    assert bash.dialect == "bash" and bash.text.startswith("#!/bin/bash\n")
    assert "APP_HOME" not in bash.text  # inherited, but `echo `date`` does not mention it
    assert body(heredoc) == [(13, "set -e"), (14, "echo $nope")]


def test_other_shells_and_windows_are_not_checked() -> None:
    assert scripts('FROM alpine\nSHELL ["/bin/zsh", "-c"]\nRUN echo $x\n') == []
    assert scripts('FROM mcr.microsoft.com/windows/servercore:ltsc2022\nSHELL ["powershell", "-Command"]\n'
                   "RUN if ((Get-FileHash a).Hash -ne 1) { exit 1 }\n") == []
    assert scripts("# escape=`\nFROM alpine\nRUN echo `\n  $x\n")[0].lines[-1] == 3  # joined line


def test_findings_map_back_and_skip_hadolint_exclusions() -> None:
    first = scripts(DOCKERFILE)[0]
    at = first.lines.index(4) + 1  # the script line of Dockerfile line 4
    got = findings_for(first, [
        {"code": 2115, "level": "warning", "message": 'Use "${var:?}"', "line": at + 2, "endLine": at + 2,
         "column": 15},
        {"code": 1091, "level": "info", "message": "not following", "line": at, "column": 1},
        {"code": 9999, "level": "error", "message": "header?", "line": 1, "column": 3},
    ])
    assert got == [ScFinding("SC2115", "warning", 'Use "${var:?}"', 8, 15, 8),
                   ScFinding("SC9999", "error", "header?", 4, 1, 4)]


class FakeShellCheck:
    def __init__(self, code: str, line: int, level: str = "warning") -> None:
        self.result = [ScFinding(code, level, "fake", line, 1, line)]
        self.seen: list[ShScript] = []

    def __call__(self, s: Sequence[ShScript]) -> list[ScFinding]:
        self.seen.extend(s)
        return self.result


def sc_only(findings: list) -> list:  # type: ignore[type-arg]
    return [f for f in findings if f.rule.startswith("SC")]


def test_engine_applies_ignores_overrides_and_pragmas() -> None:
    df = parse("FROM debian:12\n# hadolint ignore=SC2034\nRUN a=1\nRUN b=2\n", "Dockerfile")
    fake = FakeShellCheck("SC2154", 4)
    found = sc_only(check_dockerfile(df, RuleSettings(shellcheck=fake)))
    assert [(f.rule, f.severity, f.line, f.name) for f in found] == [("SC2154", Severity.WARNING, 4, "shellcheck")]
    assert len(fake.seen) == 2
    assert not sc_only(check_dockerfile(df, RuleSettings(shellcheck=fake, ignored=frozenset({"SC2154"}))))
    over = check_dockerfile(df, RuleSettings(shellcheck=fake, overrides={"SC2154": Severity.ERROR}))
    assert [f.severity for f in over if f.rule == "SC2154"] == [Severity.ERROR]
    assert not sc_only(check_dockerfile(df, RuleSettings(shellcheck=FakeShellCheck("SC2034", 3))))  # the pragma
    assert sc_only(check_dockerfile(df, RuleSettings(shellcheck=FakeShellCheck("SC2034", 4))))  # not its line
    assert not sc_only(check_dockerfile(df))  # no runner, no SC findings


# ---- the real shellcheck binary -----------------------------------------------------------


@pytest.fixture(scope="module")
def real() -> ShellCheck:
    found = ShellCheck.find()
    assert found is not None, "shellcheck is not installed: scripts/test installs it (apt install shellcheck)"
    return found


def test_real_shellcheck_positions(real: ShellCheck) -> None:
    df = parse(DOCKERFILE, "Dockerfile")
    got = {(f.rule, f.line, f.column) for f in sc_only(check_dockerfile(df, RuleSettings(shellcheck=real)))}
    assert ("SC2115", 8, 15) in got  # rm -rf $APP_HOME/$dir/*, on its own line and column
    assert ("SC2154", 8, 25) in got  # $dir: not an ARG or ENV
    assert ("SC2006", 11, 10) in got  # backticks, in the bash stage
    assert ("SC2154", 14, 6) in got  # heredoc body
    assert not any(line in (17, 18, 20) for _, line, _ in got)  # python heredoc, exec form
    assert not any(code == "SC2154" and line == 6 for code, line, _ in got)  # APP_HOME is an ENV


def test_real_shellcheck_without_exports_would_flag_build_args(real: ShellCheck) -> None:
    # what the export lines prevent: an ARG used in RUN is "referenced but not assigned"
    plain = ShScript(parse("FROM a\nRUN echo $version\n", "D").instructions[1], "sh",
                     '#!/bin/sh\necho "$version"\n', (0, 2))
    assert [f.code for f in real([plain])] == ["SC2154"]
    df = parse('FROM a\nARG version\nRUN echo "$version"\n', "D")
    assert sc_only(check_dockerfile(df, RuleSettings(shellcheck=real))) == []


def test_cli_shellcheck_modes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real: ShellCheck) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "Dockerfile").write_text("FROM debian:12.7\nUSER 10001\nRUN echo $1 `id -u`\n")
    runner = CliRunner()
    r = runner.invoke(cli, ["lint", "-f", "json", "Dockerfile"])
    codes = {f["code"] for f in json.loads(r.stdout)}
    assert {"SC2086", "SC2046", "SC2006"} <= codes
    r = runner.invoke(cli, ["lint", "-f", "json", "--shellcheck", "never", "Dockerfile"])
    assert not any(f["code"].startswith("SC") for f in json.loads(r.stdout))
    (tmp_path / ".dockline.yaml").write_text("lint:\n  shellcheck: never\n")
    r = runner.invoke(cli, ["lint", "-f", "json", "Dockerfile"])
    assert not any(f["code"].startswith("SC") for f in json.loads(r.stdout))
    r = runner.invoke(cli, ["lint", "-f", "sarif", "--shellcheck", "auto", "Dockerfile"])
    rules = {d["id"]: d for d in json.loads(r.stdout)["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["SC2086"]["helpUri"] == "https://www.shellcheck.net/wiki/SC2086"
    r = runner.invoke(cli, ["lint", "--explain", "SC2086"])
    assert r.exit_code == 0 and "shellcheck.net/wiki/SC2086" in r.stdout
    # `always` without the binary: exit 2 with a hint
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    r = runner.invoke(cli, ["lint", "--shellcheck", "always", "Dockerfile"])
    assert r.exit_code == 2 and "no shellcheck on PATH" in r.stderr
