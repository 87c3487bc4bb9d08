"""The entrypoint as PID 1 in real containers: `docker stop` waits for a child that needs
2 s to shut down (its exit code comes back) where the talk's entrypoint exits at once and
the child is killed; 128+n for a signal death under an init; a missing variable fails at
start with one line; a *_FILE swarm secret reaches the process."""

from __future__ import annotations

import hashlib
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from imagekit import Images, wait_for

pytestmark = pytest.mark.docker


def _stop(engine: Any, cid: str) -> tuple[float, Any]:
    wait_for(lambda: "child: running" in engine.container_logs(cid), 30, "the child to start")
    t0 = time.monotonic()
    engine.stop_container(cid, timeout=timedelta(seconds=10))
    took = time.monotonic() - t0
    return took, engine.container(cid)


def test_stop_waits_for_clean_shutdown_with_dockline_entrypoint(engine: Any, images: Images,
                                                                containers: Any) -> None:
    c = containers(images.slow)
    took, info = _stop(engine, c.id)
    logs = engine.container_logs(c.id)
    print(f"docker stop with dockline-entrypoint: {took:.2f}s, exit {info.exit_code}")
    assert info.exit_code == 3, logs  # the child's own code: it finished, nothing killed it (137)
    assert "child: clean shutdown" in logs


def test_talk_entrypoint_kills_the_child(engine: Any, images: Images, containers: Any) -> None:
    """Without the protection: trap + `wait` under `bash -e` exits 143 right after SIGTERM."""
    c = containers(images.slow, entrypoint=["/usr/local/bin/talk/docker-entrypoint.sh"],
                   command=["/usr/local/bin/slow-child.sh"])
    took, info = _stop(engine, c.id)
    logs = engine.container_logs(c.id)
    print(f"docker stop with the talk's entrypoint: {took:.2f}s, exit {info.exit_code}")
    assert info.exit_code == 143, logs
    assert "Caught SIGTERM" in logs
    assert "child: clean shutdown" not in logs


def test_signal_death_is_128_plus_n_under_init(engine: Any, images: Images, containers: Any) -> None:
    """With an init (`init: true`) the main process is a child; killed by SIGUSR1 (10) the
    container exits 138. As PID 1 without an init, the same signal is ignored (no handler):
    the reason to use an init for processes that do not handle signals."""
    cmd = ["sh", "-c", "kill -USR1 $$; sleep 1; echo survived"]
    with_init = containers(images.slow, command=cmd, init=True)
    without = containers(images.slow, command=cmd)
    assert engine.wait_container(with_init.id, timedelta(seconds=30)) == 128 + 10
    assert engine.wait_container(without.id, timedelta(seconds=30)) == 0
    assert "survived" in engine.container_logs(without.id)
    assert "survived" not in engine.container_logs(with_init.id)


def test_missing_required_variable_fails_at_start(engine: Any, images: Images, containers: Any) -> None:
    c = containers(images.slow, environment={"DOCKLINE_REQUIRED_ENV": "DB_HOST"})
    assert engine.wait_container(c.id, timedelta(seconds=30)) == 78
    logs = engine.container_logs(c.id).strip().splitlines()
    assert logs == ["dockline-entrypoint: error: required variable(s) not set: DB_HOST (set them, or NAME_FILE)"]


@pytest.mark.swarm
def test_file_variable_from_swarm_secret(swarm: Any, images: Images, test_labels: dict[str, str]) -> None:
    engine = swarm
    secret_value = f"pw-{uuid.uuid4().hex}"
    name = f"dl-img-{uuid.uuid4().hex[:8]}"
    label_args = [a for k, v in test_labels.items() for a in ("--label", f"{k}={v}")]
    p = engine.cli(["secret", "create", *label_args, name, "-"], input=secret_value)
    assert p.returncode == 0, p.stderr
    try:
        p = engine.cli([
            "service", "create", "--detach", "--name", name, *label_args, "--no-resolve-image",
            "--restart-condition", "none", "--secret", f"source={name},target=db_password",
            "--env", "DB_PASSWORD_FILE=/run/secrets/db_password", "--env", "DOCKLINE_REQUIRED_ENV=DB_PASSWORD",
            images.slow, "sh", "-c",
            'echo "sha=$(printf %s "$DB_PASSWORD" | sha256sum | cut -c1-16) file=${DB_PASSWORD_FILE-unset}"; sleep 60',
        ])
        assert p.returncode == 0, p.stderr
        want = hashlib.sha256(secret_value.encode()).hexdigest()[:16]

        def logged() -> str | None:
            out = engine.cli(["service", "logs", "--raw", name])
            return out.stdout if "sha=" in out.stdout else None

        out = wait_for(logged, 90, "the service task to log")
        assert f"sha={want} file=unset" in out
        assert secret_value not in out
    finally:
        engine.cli(["service", "rm", name])
        wait_for(lambda: engine.cli(["secret", "rm", name]).returncode == 0, 30, "the secret to be free")
