"""What ``lint`` reads and writes on disk (issue 12, *Files*): ``--fix`` writes through no
planted file or symlink and keeps the file's mode; directory discovery stays in the tree
given and never shows the content of a file outside it."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from dockline.dockerfile.inputs import discover, read_input
from dockline.dockerfile.lint import EXIT_BAD_INPUT, EXIT_CLEAN, EXIT_FINDINGS, lint_paths

SAFE_FIX = 'FROM debian:12.7\nUSER 10001\nWORKDIR app\nCMD ["/bin/true"]\n'  # DL3000, fixed to /app
SAFE_FIXED = 'FROM debian:12.7\nUSER 10001\nWORKDIR /app\nCMD ["/bin/true"]\n'
SECRET = "root:x:0:0:TOPSECRET:/root:/bin/bash\n"  # not a Dockerfile: its first line would be the error


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    """A repository and, beside it, a directory outside it."""
    repo, outside = tmp_path / "repo", tmp_path / "outside"
    repo.mkdir()
    outside.mkdir()
    return repo, outside


# ---- --fix ----------------------------------------------------------------------------


def test_fix_does_not_write_through_a_planted_temporary_name(tree: tuple[Path, Path]) -> None:
    repo, outside = tree
    victim = outside / "victim"
    victim.write_text("precious\n")
    (repo / "Dockerfile").write_text(SAFE_FIX)
    (repo / "Dockerfile.dockline-fix").symlink_to(victim)  # the old fixed temporary name
    report = lint_paths([str(repo / "Dockerfile")], fix=True)
    assert report.fixes == 1
    assert (repo / "Dockerfile").read_text() == SAFE_FIXED
    assert victim.read_text() == "precious\n"
    assert (repo / "Dockerfile.dockline-fix").is_symlink()  # not ours: left alone
    assert sorted(p.name for p in repo.iterdir()) == ["Dockerfile", "Dockerfile.dockline-fix"]


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o755])
def test_fix_keeps_the_mode(tree: tuple[Path, Path], mode: int) -> None:
    repo, _ = tree
    p = repo / "Dockerfile"
    p.write_text(SAFE_FIX)
    p.chmod(mode)
    lint_paths([str(p)], fix=True)
    assert p.read_text() == SAFE_FIXED
    assert stat.S_IMODE(p.stat().st_mode) == mode


def test_fix_keeps_the_owner(tree: tuple[Path, Path]) -> None:
    repo, _ = tree
    p = repo / "Dockerfile"
    p.write_text(SAFE_FIX)
    before = p.stat()
    lint_paths([str(p)], fix=True)
    after = p.stat()
    assert (after.st_uid, after.st_gid) == (before.st_uid, before.st_gid)


def test_fix_of_a_symlink_inside_the_tree_fixes_its_target(tree: tuple[Path, Path],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """What an editor does: the link stays a link, the file it names is fixed."""
    repo, _ = tree
    (repo / "docker").mkdir()
    target = repo / "docker" / "prod.Dockerfile"
    target.write_text(SAFE_FIX)
    target.chmod(0o640)
    (repo / "Dockerfile").symlink_to("docker/prod.Dockerfile")
    monkeypatch.chdir(repo)
    report = lint_paths(["Dockerfile"], fix=True)
    assert report.fixes == 1 and report.exit_code == EXIT_CLEAN
    assert (repo / "Dockerfile").is_symlink()
    assert target.read_text() == SAFE_FIXED and stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in (repo / "docker").iterdir()) == ["prod.Dockerfile"]


def test_fix_refuses_a_symlink_out_of_the_tree(tree: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture) -> None:
    """The pre-commit hook runs ``lint --fix`` on staged names: a link in the repository to a
    file elsewhere is linted (findings as on disk) but never written."""
    repo, outside = tree
    elsewhere = outside / "Dockerfile"
    elsewhere.write_text(SAFE_FIX)
    (repo / "Dockerfile").symlink_to(elsewhere)
    monkeypatch.chdir(repo)
    with caplog.at_level(logging.WARNING, logger="dockline.lint"):
        report = lint_paths(["Dockerfile"], fix=True)
    assert elsewhere.read_text() == SAFE_FIX
    assert (repo / "Dockerfile").is_symlink()
    assert report.fixes == 0
    assert [f.rule for f in report.results[0].findings] == ["DL3000"]  # what is on disk
    assert report.exit_code == EXIT_FINDINGS
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [f"Dockerfile: not fixed: a symlink to a file outside {repo} (run --fix on the file itself)"]


def test_diff_of_a_symlink_out_of_the_tree_still_shows_the_fix(tree: tuple[Path, Path],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    repo, outside = tree
    (outside / "Dockerfile").write_text(SAFE_FIX)
    (repo / "Dockerfile").symlink_to(outside / "Dockerfile")
    monkeypatch.chdir(repo)
    report = lint_paths(["Dockerfile"], diff=True)
    assert len(report.diffs) == 1 and "+WORKDIR /app" in report.diffs[0]
    assert (outside / "Dockerfile").read_text() == SAFE_FIX


# ---- discovery ------------------------------------------------------------------------


def test_discovery_skips_a_symlinked_dockerfile_out_of_the_tree(tree: tuple[Path, Path],
                                                                caplog: pytest.LogCaptureFixture) -> None:
    repo, outside = tree
    (outside / "passwd").write_text(SECRET)
    (repo / "app").mkdir()
    (repo / "app" / "Dockerfile").symlink_to(outside / "passwd")
    (repo / "Dockerfile").write_text(SAFE_FIXED)
    with caplog.at_level(logging.WARNING, logger="dockline.lint"):
        report = lint_paths([str(repo)])
    assert [r.path for r in report.results] == [str(repo / "Dockerfile")]
    assert report.exit_code == EXIT_CLEAN
    shown = repr(report) + "".join(r.getMessage() for r in caplog.records)
    assert "TOPSECRET" not in shown
    assert [r.getMessage() for r in caplog.records] == [
        f"{repo / 'app' / 'Dockerfile'}: skipped: a symlink to a file outside {repo}"]


def test_discovery_does_not_descend_into_a_symlinked_directory(tree: tuple[Path, Path]) -> None:
    repo, outside = tree
    (outside / "Dockerfile").write_text(SAFE_FIXED)
    (repo / "vendor").symlink_to(outside, target_is_directory=True)
    (repo / "loop").symlink_to(repo, target_is_directory=True)
    (repo / "Dockerfile").write_text(SAFE_FIXED)
    assert discover([str(repo)])[0] == [str(repo / "Dockerfile")]


def test_discovery_keeps_a_symlink_inside_the_tree(tree: tuple[Path, Path]) -> None:
    repo, _ = tree
    (repo / "docker").mkdir()
    (repo / "docker" / "real.Dockerfile").write_text(SAFE_FIXED)
    (repo / "Dockerfile").symlink_to("docker/real.Dockerfile")
    assert discover([str(repo)])[0] == [str(repo / "Dockerfile"), str(repo / "docker" / "real.Dockerfile")]


def test_a_file_named_on_the_command_line_is_the_users_choice(tree: tuple[Path, Path]) -> None:
    repo, outside = tree
    (outside / "Dockerfile").write_text(SAFE_FIXED)
    (repo / "Dockerfile").symlink_to(outside / "Dockerfile")
    report = lint_paths([str(repo / "Dockerfile")])
    assert [r.path for r in report.results] == [str(repo / "Dockerfile")]
    assert report.results[0].error is None and report.exit_code == EXIT_CLEAN


def test_a_found_file_swapped_for_a_symlink_before_it_is_read_is_not_read(tree: tuple[Path, Path]) -> None:
    """Between discovery and reading, the file may be replaced by a link out of the tree."""
    repo, outside = tree
    (outside / "passwd").write_text(SECRET)
    p = repo / "Dockerfile"
    p.write_text(SAFE_FIXED)
    assert discover([str(repo)])[0] == [str(p)]
    p.unlink()
    p.symlink_to(outside / "passwd")
    got = read_input(str(p), root=repo)
    assert not isinstance(got, bytes)
    assert got.error == f"not read: a symlink to a file outside {repo}"
    assert "TOPSECRET" not in repr(got)


def test_a_found_file_is_read_without_following_a_final_symlink(tree: tuple[Path, Path],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    repo, _ = tree
    p = repo / "Dockerfile"
    p.write_text(SAFE_FIXED)
    flags: list[int] = []
    real_open = os.open

    def spy(path: str | os.PathLike[str], fl: int, *a: int) -> int:
        flags.append(fl)
        return real_open(path, fl, *a)

    monkeypatch.setattr(os, "open", spy)
    assert read_input(str(p), root=repo) == SAFE_FIXED.encode()
    assert flags and all(f & os.O_NOFOLLOW for f in flags)


def test_an_unreadable_tree_entry_is_an_error_not_a_crash(tree: tuple[Path, Path]) -> None:
    repo, _ = tree
    (repo / "Dockerfile").symlink_to(repo / "missing")  # dangling, inside
    report = lint_paths([str(repo)])
    assert report.exit_code == EXIT_BAD_INPUT  # nothing to check there
