"""run_bounded: a timeout kills everything the command started; background children do not
turn a finished command into a timeout."""

from __future__ import annotations

import subprocess
import time
from datetime import timedelta
from pathlib import Path

from dockline.process import run_bounded


def test_a_finished_command_returns_its_code_and_output() -> None:
    ran = run_bounded(["sh", "-c", "echo out; echo err >&2; exit 3"], timeout=timedelta(seconds=10))
    assert (ran.returncode, ran.stdout, ran.stderr, ran.timed_out) == (3, "out\n", "err\n", False)


def test_a_background_child_holding_the_pipes_is_not_a_timeout() -> None:
    script = "sleep 30 & echo done"
    ran = run_bounded(["sh", "-c", script], timeout=timedelta(seconds=5))
    assert ran.returncode == 0 and ran.stdout == "done\n"
    assert ran.elapsed < timedelta(seconds=3)
    # without the group handling, subprocess.run waits for the pipes: the same command times out
    try:
        subprocess.run(["sh", "-c", script], capture_output=True, timeout=1.5, check=False)
        plain_timed_out = False
    except subprocess.TimeoutExpired:
        plain_timed_out = True
    assert plain_timed_out


def test_a_timeout_kills_the_children_too(tmp_path: Path) -> None:
    late = tmp_path / "written-after-the-timeout"
    script = f"(sleep 1; touch {late}) & sleep 30"
    ran = run_bounded(["sh", "-c", script], timeout=timedelta(milliseconds=300))
    assert ran.timed_out and ran.returncode == -9
    time.sleep(1.5)
    assert not late.exists()


def test_without_the_group_kill_the_child_lives_on(tmp_path: Path) -> None:
    # what run_bounded protects against: subprocess.run's timeout kills only the shell
    late = tmp_path / "written-after-the-timeout"
    try:
        subprocess.run(["sh", "-c", f"(sleep 1; touch {late}) & sleep 3"], timeout=0.3, check=False)
    except subprocess.TimeoutExpired:
        pass
    time.sleep(1.5)
    assert late.exists()


def test_output_is_bounded() -> None:
    ran = run_bounded(["sh", "-c", "head -c 3000000 /dev/zero"], timeout=timedelta(seconds=10), limit=1000)
    assert ran.returncode == 0 and len(ran.stdout) == 1000


def test_a_missing_program_raises_oserror() -> None:
    try:
        run_bounded(["/nonexistent/prog"], timeout=timedelta(seconds=1))
    except FileNotFoundError:
        return
    raise AssertionError("expected FileNotFoundError")
