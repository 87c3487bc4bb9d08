"""What the operator reads after a deploy (rendering only; no engine)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from dockline.cli._render_deploy import report as _report
from dockline.stack.deploy import DeployResult
from dockline.stack.hooks import Hook, HookRun
from dockline.stack.model import Plan, ServiceChange
from dockline.swarm.wait import Converged, RolledBack, ServiceState

PLAN = Plan("app", (ServiceChange("web", "update", ("image",), "img:2", "sha256:abc"),), ())
OK = ServiceState("app_api", "converged", 1, 1, 1, None, None, None, None)
BAD = ServiceState("app_web", "rolled_back", 1, 1, 1, "rollback_completed", "rollback completed",
                   "task: non-zero exit (143): dockerexec: unhealthy container",
                   "[HEALTHCHECK] web not healthy: GET /never failed",
                   "app_web: update rolled back (rollback completed)")


def result(outcome: object, hooks: tuple[HookRun, ...] = ()) -> DeployResult:
    return DeployResult("app", 2, PLAN, outcome, ("services.web.build: ignored",), ("app_web", "app_api"),  # type: ignore[arg-type]
                        hooks=hooks, elapsed=timedelta(seconds=12))


def test_rolled_back_names_service_error_and_healthcheck(capsys: pytest.CaptureFixture[str]) -> None:
    r = result(RolledBack((BAD, OK), timedelta(seconds=11), (BAD.reason or "",)))
    assert r.exit_code == 1
    _report(r, as_json=False)
    err = capsys.readouterr().err
    assert "stack app version 2 was rolled back by the swarm" in err
    assert "app_web: update rolled back" in err
    assert "last task error: task: non-zero exit (143)" in err
    assert "last healthcheck output: [HEALTHCHECK] web not healthy: GET /never failed" in err
    assert "app_api" not in err  # converged services are not listed as failing
    assert "warning: services.web.build: ignored" in err


def test_converged_and_failed_post_hook(capsys: pytest.CaptureFixture[str]) -> None:
    hook = HookRun(Hook("post", ("sh", "-c", "notify"), "flag"), 3, "boom", timedelta(seconds=1))
    r = result(Converged((OK,), timedelta(seconds=3)), (hook,))
    assert r.exit_code == 1
    _report(r, as_json=False)
    err = capsys.readouterr().err
    assert "stack app version 2 is healthy" in err
    assert "post-deploy hook failed (exit 3): notify" in err and "post-hook| boom" in err


def test_json_is_the_same_as_data(capsys: pytest.CaptureFixture[str]) -> None:
    r = result(RolledBack((BAD,), timedelta(seconds=11), ("x",)))
    _report(r, as_json=True)
    data = json.loads(capsys.readouterr().out)
    assert data["outcome"] == "rolled_back" and data["exit_code"] == 1
    assert data["services"][0]["last_health_output"].startswith("[HEALTHCHECK]")
    assert data["plan"]["services"][0]["image_digest"] == "sha256:abc"


def test_dry_run_prints_the_plan(capsys: pytest.CaptureFixture[str]) -> None:
    r = DeployResult("app", None, PLAN, None, (), ("app_web",))
    assert r.exit_code == 0
    _report(r, as_json=False)
    err = capsys.readouterr().err
    assert "dry run, nothing changed" in err and "service app_web: update: image  image img:2 (sha256:abc)" in err
