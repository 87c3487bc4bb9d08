"""The tool audit fails a run that starts a program scripts/test did not provide."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import toolaudit
from toolaudit import Use, read_manifest, violations

ROOT = Path(__file__).resolve().parents[3]
PROBE = Path(__file__).with_name("toolaudit_probe.py")


def test_manifest_lines() -> None:
    text = "# comment\n\nshellcheck\t/usr/bin/shellcheck\nhadolint\t/venv/bin/hadolint\n"
    assert read_manifest(text) == {"shellcheck": "/usr/bin/shellcheck", "hadolint": "/venv/bin/hadolint"}


def test_a_program_outside_the_manifest_is_a_violation(tmp_path: Path) -> None:
    uses = [Use("hadolint", "/usr/local/bin/hadolint", "t::a"), Use("sh", "/bin/sh", "t::b"),
            Use("python", str(tmp_path / "venv/bin/python"), "t::c"), Use("nope", None, "t::d")]
    bad = violations(uses, {"sh": "/bin/sh"}, [str(tmp_path / "venv")])
    assert [u.name for u in bad] == ["hadolint"]  # sh is provided, python is in the venv, nope not found


def test_a_symlinked_path_counts_as_the_manifest_path(tmp_path: Path) -> None:
    real = tmp_path / "real-tool"
    real.write_text("#!/bin/sh\n")
    link = tmp_path / "bin-tool"
    link.symlink_to(real)
    assert violations([Use("tool", str(link), "t")], {"tool": str(real)}, []) == []


def test_shell_strings_record_the_shell_and_the_first_word() -> None:
    audit = toolaudit.Audit()
    audit._record_popen(None, "FOO=1 x", None)
    audit._record_popen(None, "ls -l | wc -l", None)
    assert [u.name for u in audit.uses] == ["sh", "sh", "ls"]


def _probe(manifest: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, toolaudit.MANIFEST_ENV: str(manifest)}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(PROBE)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_the_run_fails_when_a_test_starts_an_unlisted_program(tmp_path: Path) -> None:
    manifest = tmp_path / "tools.tsv"
    manifest.write_text("# nothing provided\n")
    p = _probe(manifest)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "tool audit: FAILED" in p.stdout and "ran true" in p.stdout


def test_the_same_run_passes_once_the_program_is_provided(tmp_path: Path) -> None:
    manifest = tmp_path / "tools.tsv"
    manifest.write_text(f"true\t{shutil.which('true')}\n")
    p = _probe(manifest)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "tool audit: FAILED" not in p.stdout
