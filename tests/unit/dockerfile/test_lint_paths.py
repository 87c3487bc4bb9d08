"""``lint_paths``: the pipeline the CLI, the pre-commit hook and library users call --
inputs in order, fixes written (or diffed), and the exit policy."""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from dockline.dockerfile.check import RuleSettings
from dockline.dockerfile.findings import FileResult, Finding, Severity
from dockline.dockerfile.lint import (
    EXIT_BAD_INPUT,
    EXIT_CLEAN,
    EXIT_FINDINGS,
    exit_status,
    lint_paths,
)
from dockline.dockerfile.shellcheck import ScFinding, ShScript
from dockline.errors import UsageError

CLEAN = 'FROM debian:12.7\nRUN useradd --system app\nUSER 10001\nCMD ["/bin/true"]\n'
WARNING = 'FROM debian:12.7\nUSER 10001\nWORKDIR /app\nRUN cd /tmp\nCMD ["/bin/true"]\n'  # DL3003 only
SAFE_FIX = 'FROM debian:12.7\nUSER 10001\nWORKDIR app\nCMD ["/bin/true"]\n'  # DL3000, fixed to /app
SAFE_FIXED = 'FROM debian:12.7\nUSER 10001\nWORKDIR /app\nCMD ["/bin/true"]\n'
UNSAFE_FIX = ('FROM debian:12.7\nRUN apt-get update && apt-get install -y --no-install-recommends curl=8.0\n'
              'USER 10001\nCMD ["/bin/true"]\n')  # DL3009 (info), an unsafe fix


def _write(tmp_path: Path, name: str, text: str | bytes) -> str:
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text)
    return str(p)


# ---- multi-file -------------------------------------------------------------------------


def test_results_in_the_order_given_and_discovered(tmp_path: Path) -> None:
    a = _write(tmp_path, "a.Dockerfile", WARNING)
    _write(tmp_path, "dir/Dockerfile", CLEAN)
    _write(tmp_path, "dir/sub/Dockerfile.web", WARNING)
    _write(tmp_path, "dir/Dockerfile.dockerignore", "*\n")  # not a Dockerfile
    missing = str(tmp_path / "nope")
    report = lint_paths([missing, a, str(tmp_path / "dir")])
    assert [r.path for r in report.results] == [
        missing, a, str(tmp_path / "dir" / "Dockerfile"), str(tmp_path / "dir" / "sub" / "Dockerfile.web")]
    assert report.results[0].error == "no such file or directory"
    assert [r.path for r in report.errors] == [missing]
    assert [f.rule for f in report.results[1].findings] == ["DL3003"]
    assert report.results[2].findings == ()
    assert report.exit_code == EXIT_BAD_INPUT  # an input that could not be checked wins over findings


def test_error_of_a_later_path_comes_after_an_earlier_file(tmp_path: Path) -> None:
    a = _write(tmp_path, "a.Dockerfile", WARNING)
    missing = str(tmp_path / "nope")
    assert [r.path for r in lint_paths([a, missing]).results] == [a, missing]


def test_unparsable_file_is_reported_with_the_others(tmp_path: Path) -> None:
    bad = _write(tmp_path, "bad.Dockerfile", "FROM debian:12.7\nFROOM x\n")
    good = _write(tmp_path, "good.Dockerfile", WARNING)
    report = lint_paths([bad, good])
    assert report.results[0].error == "unknown instruction: FROOM"
    assert (report.results[0].error_line, report.results[0].error_column) == (2, 1)
    assert [f.rule for f in report.results[1].findings] == ["DL3003"]
    assert report.exit_code == EXIT_BAD_INPUT


def test_stdin(tmp_path: Path) -> None:
    report = lint_paths(["-"], stdin=io.BytesIO(WARNING.encode()))
    assert [(r.path, [f.rule for f in r.findings]) for r in report.results] == [("-", ["DL3003"])]
    assert report.exit_code == EXIT_FINDINGS


def test_side_by_side_with_shellcheck_keeps_the_input_order(tmp_path: Path) -> None:
    """With a ShellCheck runner and several files, files are linted in threads; the
    report is still in input order and every file's SC findings are merged into it."""
    threads: set[str] = set()
    lock = threading.Lock()

    def runner(scripts: Sequence[ShScript]) -> list[ScFinding]:
        with lock:
            threads.add(threading.current_thread().name)
        return [ScFinding("SC2164", "warning", "Use 'cd ... || exit'", s.instruction.pos.line, 5,
                          s.instruction.pos.line) for s in scripts]

    paths = [_write(tmp_path, f"f{i}.Dockerfile", WARNING) for i in range(6)]
    report = lint_paths(paths, RuleSettings(shellcheck=runner))
    assert [r.path for r in report.results] == paths
    for r in report.results:
        assert [(f.rule, f.line) for f in r.findings] == [("DL3003", 4), ("SC2164", 4)]
    assert threads and threading.main_thread().name not in threads


# ---- fixes ------------------------------------------------------------------------------


def test_fix_writes_the_file_and_reports_what_is_left(tmp_path: Path) -> None:
    p = _write(tmp_path, "Dockerfile", SAFE_FIX)
    report = lint_paths([p], fix=True)
    assert Path(p).read_text() == SAFE_FIXED
    assert report.fixes == 1 and report.files_fixed == 1 and report.diffs == ()
    assert report.results[0].findings == ()
    assert report.exit_code == EXIT_CLEAN
    assert not list(tmp_path.glob("*.dockline-fix"))  # the temporary file is gone


def test_fix_keeps_bom_and_crlf(tmp_path: Path) -> None:
    p = _write(tmp_path, "Dockerfile", b"\xef\xbb\xbf" + SAFE_FIX.replace("\n", "\r\n").encode())
    lint_paths([p], fix=True)
    assert Path(p).read_bytes() == b"\xef\xbb\xbf" + SAFE_FIXED.replace("\n", "\r\n").encode()


def test_without_fix_nothing_is_written(tmp_path: Path) -> None:
    p = _write(tmp_path, "Dockerfile", SAFE_FIX)
    report = lint_paths([p])
    assert Path(p).read_text() == SAFE_FIX
    assert report.fixes == 0 and [f.rule for f in report.results[0].findings] == ["DL3000"]
    assert report.results[0].findings[0].fix is not None
    assert report.exit_code == EXIT_FINDINGS


def test_unsafe_fixes_need_opt_in(tmp_path: Path) -> None:
    p = _write(tmp_path, "Dockerfile", UNSAFE_FIX)
    assert lint_paths([p], fix=True).fixes == 0
    assert Path(p).read_text() == UNSAFE_FIX
    report = lint_paths([p], fix=True, unsafe_fixes=True)
    assert report.fixes == 1
    assert "rm -rf /var/lib/apt/lists/*" in Path(p).read_text()


def test_diff_writes_nothing_and_returns_the_diff(tmp_path: Path) -> None:
    p = _write(tmp_path, "Dockerfile", SAFE_FIX)
    clean = _write(tmp_path, "clean.Dockerfile", CLEAN)
    report = lint_paths([p, clean], diff=True)
    assert Path(p).read_text() == SAFE_FIX
    assert len(report.diffs) == 1
    assert report.diffs[0].startswith(f"--- a/{p.lstrip('/')}\n+++ b/{p.lstrip('/')}\n")
    assert "-WORKDIR app\n+WORKDIR /app\n" in report.diffs[0]
    assert report.exit_code == EXIT_FINDINGS  # something to fix
    assert lint_paths([clean], diff=True).exit_code == EXIT_CLEAN


def test_diff_of_stdin_but_no_fix_of_stdin() -> None:
    report = lint_paths(["-"], diff=True, stdin=io.BytesIO(SAFE_FIX.encode()))
    assert report.diffs and report.diffs[0].startswith("--- a/-\n")
    with pytest.raises(UsageError, match="cannot write to stdin"):
        lint_paths(["-"], fix=True, stdin=io.BytesIO(SAFE_FIX.encode()))


# ---- exit policy ------------------------------------------------------------------------


@pytest.mark.parametrize(("severity", "threshold", "code"), [
    (Severity.WARNING, "info", EXIT_FINDINGS),
    (Severity.WARNING, "warning", EXIT_FINDINGS),
    (Severity.WARNING, "error", EXIT_CLEAN),
    (Severity.STYLE, "info", EXIT_CLEAN),
    (Severity.STYLE, "style", EXIT_FINDINGS),
    (Severity.ERROR, "none", EXIT_CLEAN),
    (Severity.ERROR, "error", EXIT_FINDINGS),
])
def test_failure_threshold(tmp_path: Path, severity: Severity, threshold: str, code: int) -> None:
    p = _write(tmp_path, "Dockerfile", WARNING)
    report = lint_paths([p], RuleSettings(overrides={"DL3003": severity}), failure_threshold=threshold)
    assert [f.severity for f in report.results[0].findings] == [severity]
    assert report.exit_code == code


def test_no_fail_exits_clean_with_findings_but_not_with_bad_input(tmp_path: Path) -> None:
    p = _write(tmp_path, "Dockerfile", WARNING)
    assert lint_paths([p], no_fail=True).exit_code == EXIT_CLEAN
    assert lint_paths([p, str(tmp_path / "missing")], no_fail=True).exit_code == EXIT_BAD_INPUT


def test_exit_status_pure() -> None:
    finding = Finding("DL3003", Severity.INFO, "m", "Dockerfile", 1, 1, 1)
    ok = FileResult("a", (finding,))
    assert exit_status([ok]) == EXIT_FINDINGS
    assert exit_status([ok], failure_threshold="warning") == EXIT_CLEAN
    assert exit_status([ok], failure_threshold="ignore") == EXIT_CLEAN  # hadolint's word for none
    assert exit_status([ok, FileResult("b", error="no such file or directory")]) == EXIT_BAD_INPUT
    assert exit_status([ok], diff=True) == EXIT_CLEAN  # --diff: only fixes count
    assert exit_status([FileResult("a", fixed=2)], diff=True) == EXIT_FINDINGS
    assert exit_status([]) == EXIT_CLEAN
