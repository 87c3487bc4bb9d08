"""``dockline poll``: the talk's poll-service.sh, made quantitative.

Requests go out at a fixed rate (each on a new connection, like the talk's curl loop,
so a request never rides a connection the server is closing), from a small thread pool
so one slow answer does not lower the rate. A request fails when it cannot connect,
times out, is reset, or answers outside 2xx/3xx; failures are counted by kind. A request
that fails in a way nobody foresaw (an exception in the worker) is a failure too, counted
as ``exception_<Type>``: it is never silently neither ok nor failed.

The host is resolved once, when the target is checked: every request connects to that
checked address (with the URL's host in the Host header), so a name that answers 127.0.0.1
to the check and another address afterwards (DNS rebinding) cannot lead the poller off the
loopback.
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
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from dockline.errors import UsageError


@dataclass(frozen=True)
class PollTarget:
    """Where to poll: ``address`` is the one resolved (and checked) IP every request
    connects to; ``host_header`` is the URL's ``host[:port]``."""

    host: str
    port: int
    path: str
    url: str
    address: str = ""
    host_header: str = ""

    def connect_to(self) -> str:
        return self.address or self.host


MAX_RATE = 1000.0  # requests per second
MIN_RATE = 0.01  # one request every 100 s
MAX_TIMEOUT = timedelta(hours=1)


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
    if not url.isprintable() or " " in url:
        raise UsageError(f"the URL contains a space or control character: {url!r}")
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError as e:
        raise UsageError(f"poll needs an http:// URL, not {url!r} ({e})") from None
    if parts.scheme != "http" or not parts.hostname:
        raise UsageError(f"poll needs an http:// URL, not {url!r}")
    host = parts.hostname
    try:
        port = parts.port or 80
    except ValueError:
        raise UsageError(f"poll needs an http:// URL with a valid port, not {url!r}") from None
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise UsageError(f"cannot resolve {host}: {e}") from e
    addrs = [str(ai[4][0]) for ai in infos]
    if not allow_remote and not all(ipaddress.ip_address(a.split("%", 1)[0]).is_loopback for a in addrs):
        raise UsageError(f"{host} is not a loopback address; polling it needs --allow-remote",
                         "this workplace only sends test traffic to 127.0.0.0/8")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    # resolved once: every request goes to this (checked) address, never to a fresh lookup
    return PollTarget(host, port, path, url, address=addrs[0], host_header=parts.netloc.rpartition("@")[2])


def check_numbers(rate: float, duration: timedelta | None, timeout: timedelta) -> None:
    """``UsageError`` (exit 2) naming the flag when a number makes no sense for a poll."""
    if not math.isfinite(rate) or not MIN_RATE <= rate <= MAX_RATE:
        raise UsageError(f"--rate must be between {MIN_RATE:g} and {MAX_RATE:g} requests per second (got {rate:g})")
    if duration is not None and duration <= timedelta(0):
        raise UsageError("--duration must be more than 0 (leave it out to poll until stopped)")
    if not timedelta(0) < timeout <= MAX_TIMEOUT:
        raise UsageError(f"--timeout must be more than 0 and at most {MAX_TIMEOUT.total_seconds() / 3600:g}h"
                         f" (got {timeout.total_seconds():g}s)")


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..100)."""
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, math.ceil(q / 100 * len(s)) - 1))
    return s[k]


def _one(target: PollTarget, timeout: float) -> tuple[str | None, float]:
    t0 = time.monotonic()
    conn = http.client.HTTPConnection(target.connect_to(), target.port, timeout=timeout)
    headers = {"Connection": "close", "User-Agent": "dockline-poll"}
    if target.host_header:
        headers["Host"] = target.host_header
    try:
        conn.request("GET", target.path, headers=headers)
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
    except Exception as e:  # noqa: BLE001 - an unforeseen failure is still a failure, by its kind
        kind = f"exception_{type(e).__name__}"
    finally:
        conn.close()
    return kind, (time.monotonic() - t0) * 1000


def _outcome(fut: Future[tuple[str | None, float]]) -> tuple[str | None, float]:
    """A worker's (kind, ms); a worker that raised is a failure of its exception's kind."""
    e = fut.exception()
    if e is not None:
        return f"exception_{type(e).__name__}", 0.0
    return fut.result()


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
    check_numbers(rate, duration, timeout)
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
            fut.add_done_callback(lambda f: done(*_outcome(f)))
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
