"""Render nginx files from routes with crossplane (pure; no string pasting).

Per app the router gets up to two files, like the talk: an ``upstream`` file (http
context, ``/etc/nginx/conf.d/dockline-<app>.conf``) when a route targets published ports,
and a ``location`` file (server context, ``/etc/nginx/conf.d/locations/<app>.conf``).
Routes in overlay mode need no upstream block: their ``proxy_pass`` names the tasks'
DNS name through a variable, so nginx resolves it per request (``resolver`` in the
router's base file, ``valid=1s``) and follows tasks as they come and go without a
reconfiguration. One status file (``/etc/nginx/conf.d/status/routes.json``) lists the
whole table and the bundle version; the router serves it at ``/_dockline/status``.

Values reach crossplane only after :mod:`dockline.router.routes` validated them;
crossplane quotes arguments as a second line of defence.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import crossplane

from dockline.router.routes import RouteTable, RouteTarget, TargetMode

CONF_DIR = "/etc/nginx/conf.d"
LOCATION_DIR = f"{CONF_DIR}/locations"
STATUS_TARGET = f"{CONF_DIR}/status/routes.json"
ROUTER_PORT = 8080  # the router's nginx listens here inside the overlay network
EDGE_HEALTH = "/_dockline/health"


@dataclass(frozen=True)
class Timeouts:
    """Proxy timeouts of every route."""

    connect: timedelta = timedelta(seconds=2)
    send: timedelta = timedelta(seconds=30)
    read: timedelta = timedelta(seconds=30)
    next_upstream: timedelta = timedelta(seconds=10)
    next_upstream_tries: int = 3


DEFAULT_TIMEOUTS = Timeouts()


@dataclass(frozen=True)
class RenderedFile:
    """One file of the bundle: which app, where it is mounted, what it says."""

    app: str | None  # None: the status file (the whole table)
    kind: str  # upstream | location | status
    target: str  # absolute path inside the router container
    content: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.content.encode()).hexdigest()


def _d(directive: str, *args: str, block: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    stmt: dict[str, Any] = {"directive": directive, "args": list(args)}
    if block is not None:
        stmt["block"] = block
    return stmt


def _secs(d: timedelta) -> str:
    return f"{max(1, int(d.total_seconds()))}s"


def _route_id(t: RouteTarget) -> str:
    return hashlib.sha256(f"{t.route.service}\0{t.route.path}".encode()).hexdigest()[:8]


def upstream_name(t: RouteTarget) -> str:
    """The upstream block's name: readable, and unique per (service, path)."""
    return f"dockline_{t.route.service}_{_route_id(t)}"


def _header(t: RouteTarget) -> list[dict[str, Any]]:
    host = t.route.host if t.route.host is not None else "$dockline_host"
    out = [
        _d("proxy_set_header", "Host", host),
        _d("proxy_set_header", "X-Real-IP", "$remote_addr"),
        _d("proxy_set_header", "X-Forwarded-For", "$proxy_add_x_forwarded_for"),
        _d("proxy_set_header", "X-Forwarded-Proto", "$dockline_proto"),
        _d("proxy_set_header", "X-Forwarded-Host", "$dockline_host"),
        _d("proxy_set_header", "X-Client-IP", "$remote_addr"),
    ]
    out += [_d("proxy_set_header", name, value) for name, value in t.route.headers]
    return out


def _location(t: RouteTarget, timeouts: Timeouts) -> dict[str, Any]:
    body: list[dict[str, Any]] = []
    if t.mode is TargetMode.OVERLAY:
        var = f"dockline_backend_{_route_id(t)}"
        body.append(_d("set", f"${var}", t.servers[0]))
        body.append(_d("proxy_pass", f"http://${var}"))
    else:
        body.append(_d("proxy_pass", f"http://{upstream_name(t)}"))
    body += [
        _d("proxy_http_version", "1.1"),
        _d("proxy_set_header", "Connection", ""),
        *_header(t),
        _d("proxy_connect_timeout", _secs(timeouts.connect)),
        _d("proxy_send_timeout", _secs(timeouts.send)),
        _d("proxy_read_timeout", _secs(timeouts.read)),
        _d("proxy_next_upstream", "error", "timeout", "http_502", "http_503", "http_504"),
        _d("proxy_next_upstream_tries", str(timeouts.next_upstream_tries)),
        _d("proxy_next_upstream_timeout", _secs(timeouts.next_upstream)),
    ]
    return _d("location", t.route.path, block=body)


def _upstream(t: RouteTarget) -> dict[str, Any]:
    servers = [_d("server", s, "max_fails=1", "fail_timeout=2s") for s in t.servers]
    if not servers:
        # No target is up: keep nginx valid, answer 502 fast until the next routing.
        servers = [_d("server", "127.0.0.1:9", "down")]
    return _d("upstream", upstream_name(t), block=servers)


def _header_comment(app: str, kind: str) -> dict[str, Any]:
    return {"directive": "#", "args": [], "comment": f" dockline router: {kind} of app {app} (generated)"}


def render_app(app: str, targets: Iterable[RouteTarget], timeouts: Timeouts = DEFAULT_TIMEOUTS) -> list[RenderedFile]:
    """The files of one app: its upstream file (if any) and its location file."""
    ts = sorted((t for t in targets if t.route.app == app), key=lambda t: t.route.path)
    if not ts:
        return []
    files = []
    ups = [_upstream(t) for t in ts if t.mode is not TargetMode.OVERLAY]
    if ups:
        files.append(RenderedFile(app, "upstream", f"{CONF_DIR}/dockline-{app}.conf",
                                  crossplane.build([_header_comment(app, "upstreams"), *ups]) + "\n"))
    locs = [_location(t, timeouts) for t in ts]
    files.append(RenderedFile(app, "location", f"{LOCATION_DIR}/{app}.conf",
                              crossplane.build([_header_comment(app, "locations"), *locs]) + "\n"))
    return files


def table_version(files: Iterable[RenderedFile]) -> str:
    """The bundle version: a digest of every app file (order-independent)."""
    h = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.target):
        h.update(f.target.encode() + b"\0" + f.content.encode() + b"\0")
    return h.hexdigest()[:12]


def render_status(table: RouteTable, version: str) -> RenderedFile:
    """The status file: every route the bundle serves, and the bundle version."""
    doc = {
        "version": version,
        "routes": [
            {
                "app": t.route.app,
                "path": t.route.path,
                "service": t.route.service,
                "mode": t.mode.value,
                "servers": list(t.servers),
            }
            for t in sorted(table.targets, key=lambda t: t.route.path)
        ],
    }
    return RenderedFile(None, "status", STATUS_TARGET, json.dumps(doc, indent=1, sort_keys=True) + "\n")


def render_table(table: RouteTable, timeouts: Timeouts = DEFAULT_TIMEOUTS) -> tuple[list[RenderedFile], str]:
    """All files of the bundle (apps + status) and its version."""
    files: list[RenderedFile] = []
    for app in table.apps():
        files += render_app(app, table.targets, timeouts)
    version = table_version(files)
    return [*files, render_status(table, version)], version


def render_edge(router_service: str, listen_port: int = 80) -> str:
    """The edge's whole nginx.conf: it owns the published port and forwards every request
    to the router's tasks, resolved per request on the overlay network, retrying the other
    task when one is going away (that is what makes a router reconfiguration invisible)."""
    var = "$dockline_router"
    server = _d("server", block=[
        _d("listen", str(listen_port), "default_server"),
        _d("listen", str(ROUTER_PORT)),
        _d("location", "=", EDGE_HEALTH, block=[
            _d("access_log", "off"), _d("default_type", "text/plain"), _d("return", "200", "ok")]),
        _d("location", "/", block=[
            _d("set", var, f"tasks.{router_service}:{ROUTER_PORT}"),
            _d("proxy_pass", f"http://{var}"),
            _d("proxy_http_version", "1.1"),
            _d("proxy_set_header", "Connection", ""),
            _d("proxy_set_header", "Host", "$dockline_host"),
            _d("proxy_set_header", "X-Real-IP", "$remote_addr"),
            _d("proxy_set_header", "X-Forwarded-For", "$http_x_forwarded_for"),
            _d("proxy_set_header", "X-Forwarded-Proto", "$scheme"),
            _d("proxy_connect_timeout", "2s"),
            _d("proxy_read_timeout", "60s"),
            _d("proxy_next_upstream", "error", "timeout", "http_502", "http_503", "http_504"),
            _d("proxy_next_upstream_tries", "4"),
            _d("proxy_next_upstream_timeout", "15s"),
        ]),
    ])
    conf = [
        {"directive": "#", "args": [], "comment": f" dockline edge for router {router_service} (generated)"},
        _d("worker_processes", "auto"),
        _d("error_log", "/dev/stderr", "warn"),
        _d("pid", "/tmp/dockline-edge.pid"),
        _d("events", block=[_d("worker_connections", "4096")]),
        _d("http", block=[
            _d("access_log", "off"),
            _d("server_tokens", "off"),
            _d("resolver", "127.0.0.11", "valid=1s", "ipv6=off"),
            _d("resolver_timeout", "2s"),
            _d("map", "$http_host", "$dockline_host", block=[
                _d("default", "$http_host"), _d("", "$host")]),
            server,
        ]),
    ]
    return crossplane.build(conf) + "\n"
