"""Hooks and exec probes end with everything they started (process groups)."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from dockline.health.exec import probe_exec
from dockline.health.outcome import Healthy, ProbeTimeout
from dockline.stack.hooks import Hook, run_hook


def test_a_hook_timeout_kills_what_the_hook_started(tmp_path: Path) -> None:
    late = tmp_path / "late"
    hook = Hook.from_value("pre", f"(sleep 1; touch {late}) & sleep 30", "x-dockline.hooks.pre[0]")
    run = run_hook(hook, stack="s", version=1, files=(), cwd=tmp_path, timeout=timedelta(milliseconds=300))
    assert run.exit_code == 124 and "timed out" in run.output
    time.sleep(1.5)
    assert not late.exists(), "a child of the hook went on after the timeout"


def test_a_hook_that_leaves_a_background_child_is_not_a_timeout(tmp_path: Path) -> None:
    hook = Hook.from_value("post", "sleep 30 & echo started", "x-dockline.hooks.post[0]")
    run = run_hook(hook, stack="s", version=1, files=(), cwd=tmp_path, timeout=timedelta(seconds=5))
    assert (run.exit_code, run.output) == (0, "started")
    assert run.elapsed < timedelta(seconds=3)


def test_an_exec_probe_timeout_kills_its_children(tmp_path: Path) -> None:
    late = tmp_path / "late"
    outcome = probe_exec(["sh", "-c", f"(sleep 1; touch {late}) & sleep 30"], timeout=timedelta(milliseconds=300))
    assert isinstance(outcome, ProbeTimeout)
    time.sleep(1.5)
    assert not late.exists()


def test_an_exec_probe_with_a_background_child_is_healthy_at_once() -> None:
    outcome = probe_exec(["sh", "-c", "sleep 30 & echo ok"], timeout=timedelta(seconds=5))
    assert isinstance(outcome, Healthy) and outcome.elapsed < timedelta(seconds=3)
