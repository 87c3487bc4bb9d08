"""The nearby-seismicity web service (standard library HTTP server).

Routes, under MOUNT_PATH (default ``/ws/designmaps``):

* ``GET MOUNT_PATH/``: status (200 when the database answers ``SELECT 1``, else 503);
  the image's HEALTHCHECK asks for this path, as in the talk.
* ``GET MOUNT_PATH/query?...``: GeoJSON FeatureCollection of catalog events
  (FDSN-style parameters, see query.py); 400 with a JSON error for a bad query,
  503 when the database is down.
* anything else: 404 (405 for other methods), JSON.

Why the standard library: the service has two read-only routes and no templates or
sessions; ``http.server.ThreadingHTTPServer`` answers them with no dependency to pin
and patch, behind nginx (the router) which handles slow clients and TLS.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from eventservice.errors import DatabaseUnavailable
from eventservice.query import QueryError, feature_collection, parse_query, to_sql
from eventservice.settings import Settings, SettingsError, load_settings

log = logging.getLogger("eventservice")


class Service:
    """Request handling independent of the socket layer (so it is testable)."""

    def __init__(self, settings: Settings, pool: Any):
        self.settings = settings
        self.pool = pool

    def handle(self, method: str, target: str) -> tuple[int, dict[str, object]]:
        """(status, JSON body) for one request."""
        parts = urlsplit(target)
        mount = self.settings.mount_path
        if method not in ("GET", "HEAD"):
            return 405, _error(405, "only GET is supported")
        if parts.path in (mount, mount + "/"):
            return self.status()
        if parts.path in (mount + "/query", mount + "/query/"):
            return self.query(parts.query, target)
        return 404, _error(404, f"no such resource; try {mount}/query")

    def status(self) -> tuple[int, dict[str, object]]:
        body: dict[str, object] = {
            "service": "eventpage nearby seismicity",
            "version": self.settings.version,
            "mount_path": self.settings.mount_path,
        }
        try:
            rows = self.pool.fetch("SELECT 1")
            body["database"] = "up" if rows and rows[0][0] == 1 else "unexpected answer"
        except DatabaseUnavailable as e:
            body["database"] = f"down: {e}"
            return 503, body
        return (200 if body["database"] == "up" else 503), body

    def query(self, raw_query: str, target: str) -> tuple[int, dict[str, object]]:
        try:
            params = parse_qs(raw_query, keep_blank_values=True, strict_parsing=False,
                              max_num_fields=32)
            query = parse_query(params)
        except QueryError as e:
            return 400, e.as_json()
        except ValueError:
            return 400, _error(400, "the query string could not be parsed")
        statement, args = to_sql(query)
        try:
            rows = self.pool.fetch(statement, args)
        except DatabaseUnavailable:
            return 503, _error(503, "the catalog database is unavailable; try again shortly")
        return 200, feature_collection(rows, target, datetime.now(UTC))


def _error(code: int, message: str) -> dict[str, object]:
    return {"error": {"code": code, "message": message}}


class InFlight:
    """Counts requests being answered, so a stopping server can let them finish."""

    def __init__(self) -> None:
        self._count = 0
        self._cond = threading.Condition()

    def __enter__(self) -> None:
        with self._cond:
            self._count += 1

    def __exit__(self, *_exc: object) -> None:
        with self._cond:
            self._count -= 1
            self._cond.notify_all()

    def drain(self, timeout: float) -> bool:
        """Wait until no request is in flight; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._count == 0, timeout=timeout)


def make_handler(service: Service, in_flight: InFlight) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to ``service``."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "eventservice"
        sys_version = ""
        timeout = 15  # idle keep-alive connections do not hold a thread forever

        def _answer(self, head_only: bool) -> None:
            with in_flight:
                self._send(head_only)

        def _send(self, head_only: bool) -> None:
            status, body = service.handle("GET", self.path)
            payload = json.dumps(body, separators=(",", ":")).encode()
            ctype = "application/geo+json" if body.get("type") == "FeatureCollection" else "application/json"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Service-Version", service.settings.version)
            self.end_headers()
            if not head_only:
                self.wfile.write(payload)

        def do_GET(self) -> None:
            self._answer(False)

        def do_HEAD(self) -> None:
            self._answer(True)

        def _refuse(self) -> None:
            status, body = service.handle(self.command, self.path)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Allow", "GET, HEAD")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_POST = do_PUT = do_DELETE = do_PATCH = _refuse

        def log_message(self, format: str, *args: Any) -> None:
            if os.environ.get("ACCESS_LOG") == "1":
                log.info("%s %s", self.address_string(), format % args)

    return Handler


def main() -> int:
    """Run the service until SIGTERM/SIGINT (exit 0), 1 on bad settings or no database."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from eventservice.db import Pool, provision_role  # the driver is needed only to serve

    try:
        settings = load_settings(os.environ)
    except SettingsError as e:
        log.error("configuration: %s", e)
        return 1
    try:
        provision_role(settings)
    except DatabaseUnavailable as e:
        log.error("%s", e)
        return 1
    pool = Pool(settings)
    in_flight = InFlight()
    server = ThreadingHTTPServer(
        ("0.0.0.0", settings.port), make_handler(Service(settings, pool), in_flight)
    )
    server.daemon_threads = True

    def stop(signum: int, _frame: object) -> None:
        log.info("signal %d: shutting down", signum)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("serving %s on port %d (version %s)", settings.mount_path, settings.port, settings.version)
    try:
        server.serve_forever(poll_interval=0.5)
    finally:
        server.server_close()  # stop accepting; let requests in flight finish
        if not in_flight.drain(timeout=10):
            log.warning("stopping with requests still in flight")
        pool.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
