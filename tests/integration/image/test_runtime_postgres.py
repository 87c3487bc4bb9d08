"""Postgres probe against a real postgres container: not healthy during initdb (while the
socket-only temporary server makes pg_isready pass), healthy after; a wrong password is
unhealthy with a clear line and no password; the Python probe authenticates (SCRAM)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from imagekit import Images, dockline, wait_for

pytestmark = pytest.mark.docker

PROBE = "/usr/local/bin/dockline-health-postgres.sh"
PASSWORD = "integration-pw-93"


def test_postgres_probe_during_and_after_initdb(engine: Any, images: Images, containers: Any) -> None:
    c = containers(
        images.pg,
        environment={"POSTGRES_USER": "app", "POSTGRES_DB": "appdb", "POSTGRES_PASSWORD": PASSWORD},
        healthcheck={"test": ["CMD", PROBE], "interval": timedelta(seconds=1), "timeout": timedelta(seconds=3),
                     "retries": 3, "start_period": timedelta(seconds=60)},
    )
    # During initdb (the init hook sleeps 12 s): pg_isready on the socket passes, ours does not.
    wait_for(lambda: "initdb hook: sleeping" in engine.container_logs(c.id), 60, "initdb to reach the hook")
    isready, _ = engine.exec_in(c.id, ["pg_isready", "-q"])
    code, out = engine.exec_in(c.id, [PROBE])
    assert "init process complete" not in engine.container_logs(c.id, tail=200)
    assert isready == 0  # the talk's fallback/other images' check would call this healthy
    assert code == 1, out
    assert out.strip().startswith("[HEALTHCHECK] unhealthy: postgres at 127.0.0.1:5432 (db appdb, user app)")
    assert engine.container(c.id).health != "healthy"

    wait_for(lambda: engine.container(c.id).health == "healthy", 90, "postgres to become healthy")
    code, out = engine.exec_in(c.id, [PROBE])
    assert (code, out.strip()) == (0, ("[HEALTHCHECK] healthy: postgres at 127.0.0.1:5432 (db appdb, user app) "
                                       "answered SELECT 1"))

    # wrong password: a clear line, and the password is not in it
    code, out = engine.exec_in(c.id, ["env", "POSTGRES_PASSWORD=wrong-pw-4711", PROBE])
    assert code == 1
    assert 'password authentication failed for user "app"' in out and "wrong-pw-4711" not in out

    # the Python probe from the host, over the container's address (SCRAM-SHA-256)
    ip = next(iter(engine.container(c.id).ip_addresses.values()))
    env_ok = {"POSTGRES_USER": "app", "POSTGRES_DB": "appdb", "POSTGRES_PASSWORD": PASSWORD}
    p = _health_postgres(ip, env_ok)
    assert p.returncode == 0 and "answered SELECT 1" in p.stdout, p.stdout
    p = _health_postgres(ip, {**env_ok, "POSTGRES_PASSWORD": "wrong-pw-4711"})
    assert p.returncode == 1 and 'password authentication failed for user "app"' in p.stdout
    assert "wrong-pw-4711" not in p.stdout + p.stderr


def _health_postgres(ip: str, env: dict[str, str]) -> Any:
    import os
    import subprocess
    import sys

    full = {k: v for k, v in os.environ.items() if not k.startswith("POSTGRES_")}
    full.update(env)
    return subprocess.run([sys.executable, "-m", "dockline", "health", "postgres", "--host", ip],
                          env=full, capture_output=True, text=True, timeout=60, check=False)


_ = dockline  # shared helper (kept imported for symmetry with the other modules)
