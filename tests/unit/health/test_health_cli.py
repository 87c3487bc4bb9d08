"""`dockline health ...` through click's CliRunner: one line, exit 0 or 1, never 2, never a
traceback (usage errors included)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from healthfakes import PgBehaviour, closed_port, fake_postgres, http_server

from dockline.cli import cli


def invoke(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    res = CliRunner().invoke(cli, ["health", *args], env=env, catch_exceptions=False)
    return res.exit_code, res.output


def assert_one_line(out: str) -> str:
    lines = [ln for ln in out.splitlines() if ln.strip()]
    assert len(lines) == 1, out
    assert lines[0].startswith("[HEALTHCHECK] ")
    assert "Traceback" not in out
    return lines[0]


def test_http_healthy_and_status_set() -> None:
    with http_server({"/": 200, "/x": 204}) as (port, log):
        code, out = invoke(["http", f"http://127.0.0.1:{port}/", "--host-header", "svc"])
        assert code == 0 and "healthy:" in assert_one_line(out)
        assert log.requests[0]["host"] == "svc" and log.requests[0]["user-agent"] == "Internal Healthcheck"
        code, out = invoke(["http", f"http://127.0.0.1:{port}/x", "--status", "200", "--status", "204"])
        assert code == 0
        code, out = invoke(["http", f"http://127.0.0.1:{port}/x"])
        assert code == 1 and "expected 200" in assert_one_line(out)


@pytest.mark.parametrize(
    "args,expect",
    [
        ([], "usage:"),
        (["nope"], "No such command"),
        (["http"], "Missing argument"),
        (["http", "--bogus", "x"], "No such option"),
        (["http", "http://127.0.0.1:1/", "--status", "abc"], "not an HTTP status code"),
        (["http", "http://127.0.0.1:1/", "--timeout", "soon"], "should be a duration"),
        (["http", "http://127.0.0.1:1/", "--timeout", "0s"], "more than 0"),
        (["tcp", "no-port"], "not HOST:PORT"),
        (["tcp"], "Missing argument"),
        (["postgres", "--port", "x"], "usage:"),
        (["exec"], "Missing argument"),
    ],
)
def test_usage_errors_are_exit_1_with_a_line(args: list[str], expect: str) -> None:
    code, out = invoke(args)
    assert code == 1
    assert expect in assert_one_line(out)


def test_tcp_refused() -> None:
    code, out = invoke(["tcp", f"127.0.0.1:{closed_port()}"])
    assert code == 1 and "connection refused" in assert_one_line(out)


def test_postgres_reads_env_and_file(tmp_path: Path) -> None:
    pw = tmp_path / "pw"
    pw.write_text("s3cret-pw")
    with fake_postgres(PgBehaviour(auth="md5")) as port:
        code, out = invoke(["postgres", "--port", str(port)], env={"POSTGRES_PASSWORD_FILE": str(pw)})
        assert code == 0 and "answered SELECT 1" in assert_one_line(out)
        code, out = invoke(["postgres", "--port", str(port)], env={"POSTGRES_PASSWORD": "bad-password"})
        assert code == 1 and "password authentication failed" in assert_one_line(out)
        assert "bad-password" not in out
        code, out = invoke(["postgres", "--port", str(port)],
                           env={"POSTGRES_PASSWORD": "a", "POSTGRES_PASSWORD_FILE": str(pw)})
        assert code == 1 and "both POSTGRES_PASSWORD" in assert_one_line(out)


def test_exec() -> None:
    code, out = invoke(["exec", "--", "sh", "-c", "echo fine"])
    assert code == 0 and "exited 0: fine" in assert_one_line(out)
    code, out = invoke(["exec", "--", "sh", "-c", "exit 2"])
    assert code == 1  # never 2, even when the command exits 2
    assert_one_line(out)
