"""Code gates (STYLE.md §14): ruff on the whole tree, mypy with untyped defs disallowed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ruff_is_clean() -> None:
    p = subprocess.run([sys.executable, "-m", "ruff", "check", "src", "tests", "bench", "testing", "scripts/lab"],
                       cwd=ROOT,
                       capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stdout + p.stderr


def test_mypy_is_clean() -> None:
    p = subprocess.run([sys.executable, "-m", "mypy", "src", "testing"], cwd=ROOT, capture_output=True, text=True,
                       check=False)
    assert p.returncode == 0, p.stdout + p.stderr
