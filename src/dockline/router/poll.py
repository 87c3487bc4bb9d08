"""``dockline poll``: the talk's poll-service.sh, made quantitative.

Requests go out at a fixed rate (each on a new connection, like the talk's curl loop,
so a request never rides a connection the server is closing), from a small thread pool
so one slow answer does not lower the rate. A request fails when it cannot connect,
times out, is reset, or answers outside 2xx/3xx; failures are counted by kind.
"""

from __future__ import annotations

import http.client
import ipaddress
import math
import socket
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from dockline.errors import UsageError


@dataclass(frozen=True)
class PollTarget:
    host: str
    port: int
    path: str
    url: str


@dataclass(frozen=True)
class PollSummary:
    """What a poll run saw."""

    url: str
    rate: float
    duration: timedelta
    sent: int
    ok: int
    failed: int
    failures: dict[str, int]
    p50_ms: float | None
    p99_ms: float | None
    max_ms: float | None


def parse_target(url: str, *, allow_remote: bool) -> PollTarget:
    """Validate the URL; refuse non-loopback hosts unless ``allow_remote``."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise UsageError(f"poll needs an http:// URL, not {url!r}")
    host = parts.hostname
    port = parts.port or 80
    try:
        addrs = {ai[4][0] for ai in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
    except socket.gaierror as e:
        raise UsageError(f"cannot resolve {host}: {e}") from e
    if not allow_remote and not all(ipaddress.ip_address(a).is_loopback for a in addrs):
        raise UsageError(f"{host} is not a loopback address; polling it needs --allow-remote",
                         "this workplace only sends test traffic to 127.0.0.0/8")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return PollTarget(host, port, path, url)


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..100)."""
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, math.ceil(q / 100 * len(s)) - 1))
    return s[k]


def _one(target: PollTarget, timeout: float) -> tuple[str | None, float]:
    t0 = time.monotonic()
    conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    try:
        conn.request("GET", target.path, headers={"Connection": "close", "User-Agent": "dockline-poll"})
        res = conn.getresponse()
        res.read()
        kind = None if 200 <= res.status < 400 else f"http_{res.status}"
    except ConnectionRefusedError:
        kind = "refused"
    except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
        kind = "reset"
    except TimeoutError:
        kind = "timeout"
    except OSError as e:
        kind = f"error_{type(e).__name__}"
    except http.client.HTTPException as e:
        kind = f"protocol_{type(e).__name__}"
    finally:
        conn.close()
    return kind, (time.monotonic() - t0) * 1000


def poll(
    target: PollTarget,
    *,
    rate: float,
    duration: timedelta | None,
    timeout: timedelta = timedelta(seconds=5),
    stop: threading.Event | None = None,
    on_tick: Callable[[int, int, int], None] | None = None,
) -> PollSummary:
    """Send requests at ``rate``/s for ``duration`` (``None``: until ``stop`` is set)."""
    if rate <= 0 or rate > 1000:
        raise UsageError("--rate must be between 0 and 1000 requests per second")
    stop = stop or threading.Event()
    lock = threading.Lock()
    failures: Counter[str] = Counter()
    latencies: list[float] = []
    counts = {"sent": 0, "ok": 0, "failed": 0}

    def done(kind: str | None, ms: float) -> None:
        with lock:
            if kind is None:
                counts["ok"] += 1
                latencies.append(ms)
            else:
                counts["failed"] += 1
                failures[kind] += 1

    start = time.monotonic()
    end = None if duration is None else start + duration.total_seconds()
    interval = 1.0 / rate
    next_tick = start + 1.0
    workers = max(4, min(256, int(rate * timeout.total_seconds()) + 4))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="poll") as pool:
        i = 0
        while not stop.is_set():
            due = start + i * interval
            if end is not None and due >= end:
                break
            wait = due - time.monotonic()
            if wait > 0 and stop.wait(wait):
                break
            counts["sent"] += 1
            fut = pool.submit(_one, target, timeout.total_seconds())
            fut.add_done_callback(lambda f: done(*f.result()))
            i += 1
            if on_tick is not None and time.monotonic() >= next_tick:
                next_tick += 1.0
                with lock:
                    on_tick(counts["sent"], counts["ok"], counts["failed"])
    elapsed = timedelta(seconds=time.monotonic() - start)
    return PollSummary(
        url=target.url, rate=rate, duration=elapsed, sent=counts["sent"], ok=counts["ok"],
        failed=counts["failed"], failures=dict(sorted(failures.items())),
        p50_ms=percentile(latencies, 50), p99_ms=percentile(latencies, 99),
        max_ms=max(latencies) if latencies else None,
    )
