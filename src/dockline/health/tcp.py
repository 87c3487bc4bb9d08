"""TCP probe: a connection is accepted."""

from __future__ import annotations

import time
from datetime import timedelta

from dockline.health.net import bad_host, connect
from dockline.health.outcome import Healthy, ProbeOutcome, Unhealthy, network_failure

DEFAULT_TIMEOUT = timedelta(seconds=3)


def parse_target(text: str) -> tuple[str, int]:
    """``host:port`` or ``[v6]:port`` -> (host, port); ValueError with a reason otherwise."""
    t = text.strip()
    if t.startswith("["):
        host, sep, port = t[1:].partition("]:")
    else:
        host, sep, port = t.rpartition(":")
    if not sep or not host or not (port.isascii() and port.isdigit()):
        raise ValueError(f"not HOST:PORT: {text}")
    why = bad_host(host)
    if why is not None:
        raise ValueError(why)
    n = int(port)
    if not 1 <= n <= 65535:
        raise ValueError(f"port out of range in {text}")
    return host, n


def probe_tcp(host: str, port: int, *, timeout: timedelta = DEFAULT_TIMEOUT) -> ProbeOutcome:
    """Healthy when ``host:port`` accepts a TCP connection within ``timeout`` (one deadline
    for resolving and every address tried)."""
    start = time.monotonic()
    seconds = max(timeout.total_seconds(), 0.001)
    where = f"{host}:{port}"

    def elapsed() -> timedelta:
        return timedelta(seconds=time.monotonic() - start)

    why = bad_host(host)
    if why is not None:
        return Unhealthy(why, elapsed())
    try:
        connect(host, port, start + seconds).close()
    except OSError as e:
        return network_failure(where, e, seconds, elapsed())
    took = elapsed()
    return Healthy(f"{where} accepts connections ({took.total_seconds() * 1000:.0f} ms)", took)
