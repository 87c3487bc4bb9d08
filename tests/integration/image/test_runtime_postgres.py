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


def _health_postgres(ip: str, env: dict[str, str], *args: str) -> Any:
    import os
    import subprocess
    import sys

    full = {k: v for k, v in os.environ.items() if not k.startswith("POSTGRES_")}
    full.update(env)
    return subprocess.run([sys.executable, "-m", "dockline", "health", "postgres", "--host", ip, *args],
                          env=full, capture_output=True, text=True, timeout=60, check=False)


_ = dockline  # shared helper (kept imported for symmetry with the other modules)


TLS_ONLY_HBA = """\
cat > "$PGDATA/pg_hba.conf" <<'HBA'
local all all trust
hostssl all all all scram-sha-256
hostnossl all all all reject
HBA
"""
SNAKEOIL = ("-c", "ssl=on", "-c", "ssl_cert_file=/etc/ssl/certs/ssl-cert-snakeoil.pem",
            "-c", "ssl_key_file=/etc/ssl/private/ssl-cert-snakeoil.key")


def test_python_probe_over_tls(engine: Any, containers: Any, tmp_path: Any) -> None:
    """A server that accepts TLS connections only (hostssl, hostnossl reject): the probe
    negotiates TLS like libpq's sslmode; in plaintext the server refuses it."""
    initdb = tmp_path / "initdb"
    initdb.mkdir()
    (initdb / "10-tls-only.sh").write_text(TLS_ONLY_HBA)
    (initdb / "10-tls-only.sh").chmod(0o755)
    initdb.chmod(0o755)
    c = containers("local/postgres:bookworm", command=["postgres", *SNAKEOIL],
                   environment={"POSTGRES_USER": "app", "POSTGRES_DB": "appdb", "POSTGRES_PASSWORD": PASSWORD},
                   volumes={str(initdb): {"bind": "/docker-entrypoint-initdb.d", "mode": "ro"}})
    wait_for(lambda: "database system is ready to accept connections" in engine.container_logs(c.id, tail=50)
             and "init process complete" in engine.container_logs(c.id, tail=200), 90, "postgres to start")
    ip = next(iter(engine.container(c.id).ip_addresses.values()))
    env = {"POSTGRES_USER": "app", "POSTGRES_DB": "appdb", "POSTGRES_PASSWORD": PASSWORD}

    def probe(*args: str) -> Any:
        return _health_postgres(ip, env, *args)

    # without TLS the server refuses: what the negotiation is for
    p = probe("--sslmode", "disable")
    assert p.returncode == 1 and "no encryption" in p.stdout, p.stdout
    p = probe()  # prefer (the default)
    assert p.returncode == 0 and "answered SELECT 1 over TLSv1." in p.stdout, p.stdout
    p = probe("--sslmode", "require")
    assert p.returncode == 0 and "over TLSv1." in p.stdout, p.stdout
    # the snakeoil certificate is self-signed: not trusted by the system store
    p = probe("--sslmode", "verify-ca")
    assert p.returncode == 1 and "TLS certificate not trusted (sslmode=verify-ca)" in p.stdout, p.stdout
    code, pem = engine.exec_in(c.id, ["cat", "/etc/ssl/certs/ssl-cert-snakeoil.pem"])
    assert code == 0
    ca = tmp_path / "snakeoil.pem"
    ca.write_text(pem)
    p = probe("--sslmode", "verify-ca", "--sslrootcert", str(ca))
    assert p.returncode == 0 and "over TLSv1." in p.stdout, p.stdout
    # verify-full also checks the name: the certificate is not for this address
    p = probe("--sslmode", "verify-full", "--sslrootcert", str(ca))
    assert p.returncode == 1 and "TLS certificate not trusted (sslmode=verify-full)" in p.stdout, p.stdout
    assert PASSWORD not in p.stdout + p.stderr
