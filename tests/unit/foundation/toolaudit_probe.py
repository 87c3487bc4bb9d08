"""Run only by test_toolaudit.py (not collected: the name does not start with test_)."""

import subprocess


def test_runs_a_program_from_the_system() -> None:
    subprocess.run(["true"], check=True)
