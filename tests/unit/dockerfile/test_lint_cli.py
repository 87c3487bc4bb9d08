"""`dockline lint` through click's CliRunner: inputs, exit codes, bad input, fixes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dockline.cli import cli

GOOD = (
    "FROM debian:12.7\n"
    "RUN useradd --system app\n"
    "USER 10001\n"
    'CMD ["/bin/true"]\n'
)
BAD = "FROM debian:12.7\nRUN cd /tmp && sudo make\nUSER 10001\n"


def run(args: list[str], input: str | bytes | None = None, cwd: Path | None = None):  # type: ignore[no-untyped-def]
    runner = CliRunner()
    if cwd is not None:
        with runner.isolated_filesystem(temp_dir=cwd):
            return runner.invoke(cli, ["lint", *args], input=input, catch_exceptions=False)
    return runner.invoke(cli, ["lint", *args], input=input, catch_exceptions=False)


@pytest.fixture()
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    return tmp_path


def test_clean_file_exits_0(work: Path) -> None:
    (work / "Dockerfile").write_text(GOOD)
    r = run(["Dockerfile"])
    assert r.exit_code == 0, r.output
    assert "1 file checked, 0 findings" in r.output


def test_findings_exit_1_with_location_and_source(work: Path) -> None:
    (work / "Dockerfile").write_text(BAD)
    r = run(["Dockerfile"])
    assert r.exit_code == 1
    assert "Dockerfile:2:1 DL3003 warning: Use WORKDIR" in r.output
    assert "DL3004 error" in r.output
    assert "RUN cd /tmp && sudo make" in r.output  # the source line


def test_threshold_and_no_fail(work: Path) -> None:
    (work / "Dockerfile").write_text("FROM debian:12.7\nRUN cd /tmp\nUSER 10001\n")  # a warning only
    assert run(["Dockerfile", "-t", "error"]).exit_code == 0
    assert run(["Dockerfile", "-t", "warning"]).exit_code == 1
    assert run(["Dockerfile", "--no-fail"]).exit_code == 0
    # ShellCheck (on by default when installed) says SC2164 on the same `cd`
    assert run(["Dockerfile", "--ignore", "DL3003"]).exit_code == 1
    assert run(["Dockerfile", "--ignore", "DL3003", "--ignore", "SC2164"]).exit_code == 0
    assert run(["Dockerfile", "--ignore", "DL3003", "--shellcheck", "never"]).exit_code == 0
    assert run(["Dockerfile", "--error", "DL3003", "-t", "error"]).exit_code == 1


def test_stdin(work: Path) -> None:
    r = run(["-", "-f", "json"], input=BAD)
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert {d["code"] for d in data} >= {"DL3003", "DL3004"}
    assert all(d["file"] == "-" for d in data)


def test_directory_discovery(work: Path) -> None:
    (work / "svc").mkdir()
    (work / "svc" / "Dockerfile").write_text(GOOD)
    (work / "svc" / "api.Dockerfile").write_text(BAD)
    (work / "svc" / "Dockerfile.dev").write_text(GOOD)
    (work / "svc" / "notes.txt").write_text("RUN sudo x")
    (work / "svc" / "Dockerfile.dockerignore").write_text("*.key\n")
    (work / "svc" / "node_modules").mkdir()
    (work / "svc" / "node_modules" / "Dockerfile").write_text(BAD)
    r = run(["svc", "-f", "json"])
    files = {Path(d["file"]).name for d in json.loads(r.stdout)}
    assert files == {"api.Dockerfile"}, r.stdout
    assert "3 files checked" in r.stderr


@pytest.mark.parametrize("content,message", [
    (b"", "file with no instructions"),
    (b"FROM a\x00b\n", "binary"),
    (b"FROM debian:12\nRUN <<EOF\necho\n", "heredoc"),
    (b"FROM debian:12\nFOO bar\n", "unknown instruction: FOO"),
    (b"\xff\xfe\xfa broken", "UTF-8"),
    (b"FROM debian:12\nSHELL ['/bin/bash', '-c']\n", "Dockerfile:2:1: SHELL requires the arguments in JSON form"),
])
def test_bad_input_exit_2_without_traceback(work: Path, content: bytes, message: str) -> None:
    (work / "Dockerfile").write_bytes(content)
    r = run(["Dockerfile"])
    assert r.exit_code == 2, r.output
    assert message.lower() in r.stderr.lower()
    assert "Dockerfile" in r.stderr
    assert "Traceback" not in r.output


def test_huge_file_and_missing_paths(work: Path) -> None:
    (work / "Dockerfile").write_bytes(b"FROM a\nRUN echo " + b"x" * (10 << 20) + b"\n")
    r = run(["Dockerfile"])
    assert r.exit_code == 2 and "too large" in r.stderr
    (work / "empty").mkdir()
    r = run(["empty"])
    assert r.exit_code == 2 and "no Dockerfile here" in r.stderr
    r = run(["nope"])
    assert r.exit_code == 2 and "no such file" in r.stderr


def test_unreadable_file(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root reads every file, so the permission error is injected at open()."""
    p = work / "Dockerfile"
    p.write_text(GOOD)
    real_open = Path.open

    def deny(self: Path, *a, **k):  # type: ignore[no-untyped-def]
        if self.name == "Dockerfile":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *a, **k)

    monkeypatch.setattr(Path, "open", deny)
    r = run(["Dockerfile"])
    assert r.exit_code == 2
    assert "Dockerfile: cannot read: Permission denied" in r.stderr


def test_some_parse_some_not_reports_both_and_exits_2(work: Path) -> None:
    (work / "a.Dockerfile").write_text(BAD)
    (work / "b.Dockerfile").write_text("FROM debian:12\nBOGUS x\n")
    r = run(["a.Dockerfile", "b.Dockerfile"])
    assert r.exit_code == 2
    assert "DL3004" in r.stdout
    assert "b.Dockerfile:2:1: unknown instruction: BOGUS" in r.stderr
    assert "1 of 2 files checked" in r.stderr


def test_usage_errors(work: Path) -> None:
    assert run([]).exit_code == 2
    assert run(["-f", "yaml", "x"]).exit_code == 2
    assert run(["--explain", "DL9999"]).exit_code == 2
    assert run(["-", "--fix"], input=BAD).exit_code == 2


def test_explain_list_docs(work: Path) -> None:
    r = run(["--explain", "DKL001"])
    assert r.exit_code == 0 and "## Why is this bad?" in r.stdout and "HEALTHCHECK" in r.stdout
    r = run(["--explain", "missing-healthcheck"])
    assert r.exit_code == 0 and "DKL001" in r.stdout
    r = run(["--list-rules"])
    assert "DL3008" in r.stdout and "DKL010" in r.stdout
    r = run(["--docs"])
    assert r.stdout.startswith("# dockline lint rules")


def test_fix_and_diff(work: Path) -> None:
    src = "FROM debian:12\r\nMAINTAINER Jane <j@example.com>\r\nRUN apt-get install -y curl\r\nCMD nginx -g 'daemon off;'\r\n"
    p = work / "Dockerfile"
    p.write_bytes(b"\xef\xbb\xbf" + src.encode())
    r = run(["--diff", "Dockerfile"])
    assert r.exit_code == 1
    assert '+CMD ["nginx", "-g", "daemon off;"]' in r.stdout
    assert p.read_bytes() == b"\xef\xbb\xbf" + src.encode()  # --diff writes nothing
    r = run(["--fix", "Dockerfile", "--no-fail"])
    assert r.exit_code == 0
    fixed = p.read_bytes()
    assert fixed.startswith(b"\xef\xbb\xbf") and b"\r\n" in fixed and b"\n" not in fixed.replace(b"\r\n", b"")
    assert b'LABEL maintainer="Jane <j@example.com>"' in fixed
    assert b"--no-install-recommends" in fixed
    r = run(["--diff", "Dockerfile"])
    assert r.exit_code == 0 and "nothing to fix" in r.stderr


def test_pre_commit_hook_file() -> None:
    import yaml

    repo = Path(__file__).resolve().parents[3]
    hooks = yaml.safe_load((repo / ".pre-commit-hooks.yaml").read_text())
    ids = {h["id"] for h in hooks}
    assert {"dockline-lint"} <= ids
    for h in hooks:
        assert h["entry"].startswith("dockline lint")
        assert h["language"] == "python"


def test_terminal_styling_only_when_asked(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (work / "Dockerfile").write_text(BAD)
    plain = run(["Dockerfile"])
    assert "\x1b[" not in plain.output
    monkeypatch.setenv("FORCE_COLOR", "1")
    styled = run(["Dockerfile"])
    assert "DL3004" in styled.stdout and "RUN cd /tmp && sudo make" in styled.stdout
    assert styled.exit_code == plain.exit_code == 1
