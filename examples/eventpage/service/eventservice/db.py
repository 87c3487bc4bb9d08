"""PostgreSQL access: a small pool of long-lived connections, and the start-up step
that sets the service role's password from the current swarm secret.

Why the service sets its own role's password (with the admin secret, once, at start):
a password rotation must not restart the database (a restart is an outage for every
request in flight). So the rotated secret is mounted only into the service; each new
service task, during its rolling update, connects as the admin, runs
``ALTER ROLE <service role> PASSWORD <new>`` and then serves with the new password.
Tasks of the previous version keep their already authenticated connections until
swarm stops them, so no request fails during the rotation. This is the talk's
"take action during container startup ... update deployment".
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import connection as Connection

from eventservice.errors import DatabaseUnavailable
from eventservice.settings import Settings

log = logging.getLogger("eventservice.db")
__all__ = ["DatabaseUnavailable", "Pool", "provision_role"]


# What a dropped or refused connection raises (InterfaceError: used after close).
DB_ERRORS = (psycopg2.OperationalError, psycopg2.InterfaceError)


def _connect(settings: Settings, user: str, password: str) -> Connection:
    conn = psycopg2.connect(
        host=settings.db_host,
        port=settings.db_port,
        dbname=settings.db_name,
        user=user,
        password=password,
        connect_timeout=3,
        application_name=f"eventservice-{settings.version}",
        # A killed database sends no RST: without these, a query on a pooled connection
        # would wait for TCP's retransmission timeout (minutes). Unacknowledged data fails
        # the connection after 2 s; idle ones are probed by keepalives.
        tcp_user_timeout=2000,
        keepalives=1,
        keepalives_idle=5,
        keepalives_interval=1,
        keepalives_count=2,
        options="-c statement_timeout=5000",
    )
    conn.autocommit = True
    return conn


def provision_role(settings: Settings, deadline_seconds: float | None = None) -> bool:
    """Set the service role's password from the current secret, waiting for the database.

    Returns False when no admin password is configured (nothing to do). Raises
    DatabaseUnavailable when the database stays unreachable past the deadline.
    """
    if not settings.db_admin_password:
        return False
    wait = settings.db_wait_seconds if deadline_seconds is None else deadline_seconds
    end = time.monotonic() + wait
    delay = 0.25
    while True:
        try:
            conn = _connect(settings, settings.db_admin_user, settings.db_admin_password)
            try:
                with conn.cursor() as cur:
                    cur.execute(
                        sql.SQL("ALTER ROLE {} WITH LOGIN PASSWORD {}").format(
                            sql.Identifier(settings.db_user), sql.Literal(settings.db_password)
                        )
                    )
            finally:
                conn.close()
            log.info("role %s: password set from the current secret", settings.db_user)
            return True
        except DB_ERRORS as e:
            if time.monotonic() >= end:
                raise DatabaseUnavailable(f"database not reachable for provisioning: {e}") from None
            log.info("waiting for the database (%s)", str(e).strip().splitlines()[0] if str(e) else e)
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


class Pool:
    """A LIFO pool of autocommit connections; a broken connection is dropped and the
    query retried once on a fresh one (so a database restart costs no request that
    arrives after the database is back)."""

    def __init__(self, settings: Settings, size: int = 8):
        self._settings = settings
        self._size = size
        self._idle: list[Connection] = []
        self._lock = threading.Lock()

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = _connect(self._settings, self._settings.db_user, self._settings.db_password)
        ok = False
        try:
            yield conn
            ok = True
        finally:
            if ok and not conn.closed:  # psycopg2: closed is 0 while open
                with self._lock:
                    if len(self._idle) < self._size:
                        self._idle.append(conn)
                        conn = None  # type: ignore[assignment]
            if conn is not None:
                conn.close()

    def fetch(self, query: str, args: dict[str, object] | None = None) -> Sequence[Sequence[Any]]:
        """Run a SELECT; raises DatabaseUnavailable after one retry on a new connection."""
        last: Exception | None = None
        for _attempt in range(2):
            try:
                with self._connection() as conn, conn.cursor() as cur:
                    cur.execute(query, args or {})
                    return cur.fetchall()
            except DB_ERRORS as e:
                last = e
                continue
        raise DatabaseUnavailable(str(last).strip().splitlines()[0] if str(last) else "database error")

    def close(self) -> None:
        with self._lock:
            conns, self._idle = self._idle, []
        for c in conns:
            c.close()
