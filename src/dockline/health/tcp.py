"""TCP probe: a connection is accepted."""

from __future__ import annotations

import socket
import time
from datetime import timedelta

from dockline.health.outcome import Healthy, ProbeOutcome, network_failure

DEFAULT_TIMEOUT = timedelta(seconds=3)


def parse_target(text: str) -> tuple[str, int]:
    """``host:port`` or ``[v6]:port`` -> (host, port); ValueError with a reason otherwise."""
    t = text.strip()
    if t.startswith("["):
        host, sep, port = t[1:].partition("]:")
    else:
        host, sep, port = t.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"not HOST:PORT: {text}")
    n = int(port)
    if not 1 <= n <= 65535:
        raise ValueError(f"port out of range in {text}")
    return host, n


def probe_tcp(host: str, port: int, *, timeout: timedelta = DEFAULT_TIMEOUT) -> ProbeOutcome:
    """Healthy when ``host:port`` accepts a TCP connection within ``timeout``."""
    start = time.monotonic()
    seconds = max(timeout.total_seconds(), 0.001)
    where = f"{host}:{port}"

    def elapsed() -> timedelta:
        return timedelta(seconds=time.monotonic() - start)

    try:
        with socket.create_connection((host, port), timeout=seconds):
            pass
    except OSError as e:
        return network_failure(where, e, seconds, elapsed())
    took = elapsed()
    return Healthy(f"{where} accepts connections ({took.total_seconds() * 1000:.0f} ms)", took)
