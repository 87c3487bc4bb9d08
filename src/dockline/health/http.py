"""HTTP probe: one request, no redirects followed, status in an expected set."""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import urlsplit

from dockline.health import net
from dockline.health.outcome import Healthy, ProbeOutcome, Unhealthy, network_failure

USER_AGENT = "Internal Healthcheck"
DEFAULT_TIMEOUT = timedelta(seconds=3)


def shown_url(url: str) -> str:
    """The URL without ``user:password@`` (credentials never reach output)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]).geturl()


class _Connection(http.client.HTTPConnection):
    """``http.client`` over a :class:`BoundedStream`: one deadline for the whole request
    (resolve, connect, TLS, send, headers, body) and a cap on what the server may send."""

    def __init__(self, host: str, port: int, *, default_port: int, deadline: float,
                 tls: ssl.SSLContext | None) -> None:
        super().__init__(host, port)
        self.default_port = default_port  # the Host header omits the scheme's own port
        self._deadline = deadline
        self._tls = tls

    def connect(self) -> None:
        sock = net.connect(self.host, self.port, self._deadline)
        try:
            if self._tls is not None:
                sock = net.start_tls(sock, self._tls, self.host, self._deadline)
        except BaseException:
            sock.close()
            raise
        # http.client uses only sendall/makefile/close of its socket: the stream offers those
        self.sock = net.BoundedStream(sock, self._deadline)  # type: ignore[assignment]


def probe_http(
    url: str,
    *,
    expected: Iterable[int] = (200,),
    host_header: str | None = None,
    timeout: timedelta = DEFAULT_TIMEOUT,
    verify_tls: bool = True,
) -> ProbeOutcome:
    """GET ``url`` once with User-Agent ``Internal Healthcheck``; healthy when the status is
    in ``expected``. Redirects are not followed (a 301 is an answer, like curl without -L).

    ``timeout`` is a deadline for the whole request: resolving, connecting, the TLS
    handshake, sending, the status line, the headers and (up to 64 KiB of) the body."""
    want = sorted(set(expected))
    start = time.monotonic()
    seconds = max(timeout.total_seconds(), 0.001)
    deadline = start + seconds

    def elapsed() -> timedelta:
        return timedelta(seconds=time.monotonic() - start)

    shown = shown_url(url)
    if not url.isprintable() or " " in url:
        # urlsplit would drop a newline silently; it is a forged line or a typo, never a URL
        return Unhealthy(f"the URL contains a space or control character: {shown!r}", elapsed())
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        return Unhealthy(f"{shown}: invalid URL ({e})", elapsed())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Unhealthy(f"not an http(s) URL: {shown}", elapsed())
    why = net.bad_host(parts.hostname)
    if why is not None:
        return Unhealthy(f"{shown}: {why}", elapsed())
    if host_header is not None and (any(c in host_header for c in "\r\n \t") or not host_header.isprintable()):
        return Unhealthy("the Host header must be a host name", elapsed())
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    tls: ssl.SSLContext | None = None
    if parts.scheme == "https":
        tls = ssl.create_default_context()
        if not verify_tls:
            tls.check_hostname = False
            tls.verify_mode = ssl.CERT_NONE
    default_port = 443 if tls is not None else 80
    conn = _Connection(parts.hostname, port or default_port, default_port=default_port, deadline=deadline, tls=tls)
    headers = {"User-Agent": USER_AGENT, "Connection": "close"}
    if host_header:
        headers["Host"] = host_header
    resp: http.client.HTTPResponse | None = None
    try:
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        status = resp.status
        resp.read(65536)
    except ssl.SSLError as e:
        return Unhealthy(f"{shown}: TLS handshake failed ({e.reason or e})", elapsed())
    except (TimeoutError, ConnectionRefusedError, socket.gaierror) as e:
        return network_failure(shown, e, seconds, elapsed())
    except net.TooMuchData as e:
        return Unhealthy(f"{shown}: {e}", elapsed())
    except (OSError, http.client.HTTPException) as e:
        return Unhealthy(f"{shown}: {type(e).__name__}: {e}".rstrip(": "), elapsed())
    finally:
        if resp is not None:
            resp.close()
        conn.close()
    took = elapsed()
    ms = took.total_seconds() * 1000
    if status in want:
        return Healthy(f"{shown} answered {status} in {ms:.0f} ms", took)
    return Unhealthy(f"{shown} answered {status}, expected {','.join(map(str, want))}", took)
