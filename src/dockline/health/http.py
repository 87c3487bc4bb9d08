"""HTTP probe: one request, no redirects followed, status in an expected set."""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import urlsplit

from dockline.health.outcome import Healthy, ProbeOutcome, Unhealthy, network_failure

USER_AGENT = "Internal Healthcheck"
DEFAULT_TIMEOUT = timedelta(seconds=3)


def shown_url(url: str) -> str:
    """The URL without ``user:password@`` (credentials never reach output)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]).geturl()


def probe_http(
    url: str,
    *,
    expected: Iterable[int] = (200,),
    host_header: str | None = None,
    timeout: timedelta = DEFAULT_TIMEOUT,
    verify_tls: bool = True,
) -> ProbeOutcome:
    """GET ``url`` once with User-Agent ``Internal Healthcheck``; healthy when the status is
    in ``expected``. Redirects are not followed (a 301 is an answer, like curl without -L)."""
    want = sorted(set(expected))
    start = time.monotonic()
    shown = shown_url(url)

    def elapsed() -> timedelta:
        return timedelta(seconds=time.monotonic() - start)

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        return Unhealthy(f"{shown}: invalid URL ({e})", elapsed())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Unhealthy(f"not an http(s) URL: {shown}", elapsed())
    if host_header is not None and any(c in host_header for c in "\r\n \t"):
        return Unhealthy("the Host header must be a host name", elapsed())
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    seconds = max(timeout.total_seconds(), 0.001)
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        ctx = ssl.create_default_context()
        if not verify_tls:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection(parts.hostname, port, timeout=seconds, context=ctx)
    else:
        conn = http.client.HTTPConnection(parts.hostname, port, timeout=seconds)
    headers = {"User-Agent": USER_AGENT, "Connection": "close"}
    if host_header:
        headers["Host"] = host_header
    try:
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        status = resp.status
        resp.read(65536)
    except ssl.SSLError as e:
        return Unhealthy(f"{shown}: TLS handshake failed ({e.reason or e})", elapsed())
    except (TimeoutError, ConnectionRefusedError, socket.gaierror) as e:
        return network_failure(shown, e, seconds, elapsed())
    except (OSError, http.client.HTTPException) as e:
        return Unhealthy(f"{shown}: {type(e).__name__}: {e}".rstrip(": "), elapsed())
    finally:
        conn.close()
    took = elapsed()
    ms = took.total_seconds() * 1000
    if status in want:
        return Healthy(f"{shown} answered {status} in {ms:.0f} ms", took)
    return Unhealthy(f"{shown} answered {status}, expected {','.join(map(str, want))}", took)
