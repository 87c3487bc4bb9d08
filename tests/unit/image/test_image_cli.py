"""`dockline build` / `dockline verify` input handling (no engine is reached: bad input is
exit 2 with one error line, nothing started)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from dockline.cli import cli
from dockline.cli.image import _env_pairs, _ports
from dockline.errors import UsageError


@pytest.mark.parametrize(
    "args,expect",
    [
        (["verify", "img", "-p", "80:http"], "-p: expected"),
        (["verify", "img", "-p", "a:80"], "-p: expected"),
        (["verify", "img", "-e", "=x"], "-e: expected"),
        (["verify", "img", "-e", "DOCKLINE_SURELY_UNSET_VAR"], "not set in this environment"),
        (["verify", "img", "--timeout", "soon"], "should be a duration"),
        (["verify", "img", "--smoke", "unterminated 'q"], "--smoke"),
        (["build", "/nonexistent-dir"], "not a directory"),
        (["build", ".", "--build-arg", "NOEQUALS"], "expected KEY=VALUE"),
    ],
)
def test_bad_input_is_exit_2(args: list[str], expect: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")  # never reached
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2, res.output
    assert expect in res.output and "Traceback" not in res.output


def test_port_and_env_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _ports(("8080:80", "5432", "53:53/udp")) == {"80/tcp": 8080, "5432/tcp": None, "53/udp": 53}
    monkeypatch.setenv("FROM_HOST", "v")
    assert _env_pairs(("A=1", "B=", "FROM_HOST", "C=x=y")) == {"A": "1", "B": "", "FROM_HOST": "v", "C": "x=y"}
    with pytest.raises(UsageError):
        _ports(("80:",))
