"""Routes: the model and its validation (pure; no Docker).

A route says "requests under PATH go to SERVICE of APP (a stack)". Routes come from
deploy labels on services (``dockline.route=/app-a`` ...) or from the command line
(``--route /app-a=nginx``, the talk's SERVICE_MAP). Everything a route carries ends up
in an nginx file, so every field is validated here against a strict allow-list before
anything is rendered: nothing that could close a directive (``;``), open or close a
block (``{`` ``}``), quote, expand a variable (``$``), break a line, climb a path
(``..``) or smuggle look-alike characters (non-ASCII) gets through. Invalid input raises
:class:`RouteError` (exit 2) and nothing is applied.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from dockline.errors import RouteError

LABEL_PATH = "dockline.route"
LABEL_PORT = "dockline.route.port"
LABEL_HOST = "dockline.route.host"
LABEL_MODE = "dockline.route.mode"
LABEL_HEADER_PREFIX = "dockline.route.header."
_KNOWN_LABELS = {LABEL_PATH, LABEL_PORT, LABEL_HOST, LABEL_MODE}

RESERVED_PREFIX = "/_dockline/"
MAX_PATH = 200
MAX_HEADER_VALUE = 256
MAX_HEADERS = 16

# Headers dockline sets itself on every route; a label may not override them.
MANAGED_HEADERS = frozenset(
    h.lower()
    for h in (
        "Host", "X-Real-IP", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host",
        "X-Client-IP", "Connection", "Upgrade", "Content-Length", "Transfer-Encoding",
    )
)

_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
_STACK = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}")
_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_HEADER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")
# Printable ASCII without quotes, backslash, ';', '{', '}', '$' and '#'.
_HEADER_VALUE = re.compile(r"[A-Za-z0-9 !%&()*+,./:<=>?@\[\]^_`|~-]{1," + str(MAX_HEADER_VALUE) + "}")


class TargetMode(Enum):
    """How the router reaches a service (see docs/router.md, "Targets")."""

    AUTO = "auto"  # overlay when the service is on the router network, else host, else ingress
    OVERLAY = "overlay"  # the tasks themselves on the shared overlay network (DNS at request time)
    HOST = "host"  # host-mode published port on the nodes running healthy tasks
    INGRESS = "ingress"  # ingress-published port on every node that takes traffic (the talk)


@dataclass(frozen=True)
class Route:
    """One declared route, validated."""

    app: str  # the stack
    service: str  # full service name (``<stack>_<service>``)
    path: str  # normalised: starts and ends with "/"
    port: int | None = None  # target (container) port; None: the only one, or 80
    host: str | None = None  # Host header sent upstream; None passes the client's through
    headers: tuple[tuple[str, str], ...] = ()
    mode: TargetMode = TargetMode.AUTO


@dataclass(frozen=True)
class RouteTarget:
    """A route with the upstream servers it resolved to."""

    route: Route
    mode: TargetMode  # never AUTO
    servers: tuple[str, ...]  # "addr:port"; for OVERLAY one DNS name resolved per request
    note: str | None = None


@dataclass(frozen=True)
class RouteTable:
    """All routes of all apps the router serves (the whole bundle's source)."""

    targets: tuple[RouteTarget, ...] = field(default_factory=tuple)

    def apps(self) -> tuple[str, ...]:
        return tuple(sorted({t.route.app for t in self.targets}))

    def for_app(self, app: str) -> tuple[RouteTarget, ...]:
        return tuple(t for t in self.targets if t.route.app == app)

    def without_app(self, app: str) -> RouteTable:
        return RouteTable(tuple(t for t in self.targets if t.route.app != app))


# ------------------------------------------------------------------- field validators
def _ascii_printable(value: str) -> bool:
    return all(0x21 <= ord(c) <= 0x7E for c in value)


def validate_path(raw: str) -> str:
    """Normalise and validate a route path: ``app-a`` or ``/app-a`` -> ``/app-a/``."""
    if not isinstance(raw, str) or not raw:
        raise RouteError("route path is empty", "give a path like /app-a")
    if not _ascii_printable(raw):
        raise RouteError(
            f"route path {raw!r} contains whitespace, control or non-ASCII characters",
            "paths may use letters, digits and . _ ~ - between slashes",
        )
    if len(raw) > MAX_PATH:
        raise RouteError(f"route path is longer than {MAX_PATH} characters")
    path = raw if raw.startswith("/") else "/" + raw
    if not path.endswith("/"):
        path += "/"
    if path == "/":
        # The router's base config owns `location /` (404 "no route" for every path no app
        # holds); a route there would collide with it at `nginx -t` (exit 1) after the deploy.
        raise RouteError(
            f"route path {raw!r} is reserved: the router answers every unrouted path itself (404 \"no route\")",
            "route the app under a path of its own, e.g. dockline.route=/shop",
        )
    segments = path[1:-1].split("/")
    for seg in segments:
        if not seg or not _SEGMENT.fullmatch(seg):
            raise RouteError(
                f"route path {raw!r} is not allowed",
                "paths may use letters, digits and . _ ~ - between single slashes",
            )
        if seg in (".", "..") or set(seg) == {"."}:
            raise RouteError(f"route path {raw!r} contains a '.' or '..' segment")
    if path.startswith(RESERVED_PREFIX):
        raise RouteError(f"route path {raw!r} is reserved for the router itself ({RESERVED_PREFIX})")
    return path


def validate_service_name(name: str, what: str = "service") -> str:
    if not isinstance(name, str) or not name.isascii() or not _NAME.fullmatch(name):
        raise RouteError(
            f"{what} name {name!r} is not allowed",
            "names use letters, digits, '_', '.' and '-', start with a letter or digit, <= 63 chars",
        )
    return name


def validate_stack_name(name: str) -> str:
    if not isinstance(name, str) or not name.isascii() or not _STACK.fullmatch(name):
        raise RouteError(
            f"app (stack) name {name!r} is not allowed",
            "stack names use letters, digits, '_' and '-', start with a letter or digit, <= 63 chars",
        )
    return name


def validate_host(raw: str, *, allow_port: bool = True, what: str = "host") -> str:
    """A DNS name or IPv4 address, optionally with ``:port``."""
    if not isinstance(raw, str) or not raw or not _ascii_printable(raw) or len(raw) > 259:
        raise RouteError(f"{what} {raw!r} is not a valid host name")
    host, port = raw, None
    if ":" in raw:
        if not allow_port:
            raise RouteError(f"{what} {raw!r} must not carry a port")
        host, _, port = raw.rpartition(":")
        validate_port(port, what=f"{what} port")
    try:
        ipaddress.IPv4Address(host)
        return raw
    except ValueError:
        pass
    labels = host.split(".")
    numeric = host.replace(".", "").isdigit()  # looks like an address but is not a valid one
    if len(host) > 253 or numeric or not all(_LABEL.fullmatch(lbl) for lbl in labels):
        raise RouteError(f"{what} {raw!r} is not a valid host name", "use a DNS name or an IPv4 address")
    return raw


def validate_port(raw: str | int, what: str = "port") -> int:
    text = str(raw)
    if not text.isascii() or not text.isdigit() or len(text) > 5:
        raise RouteError(f"{what} {raw!r} is not a number")
    port = int(text)
    if not 1 <= port <= 65535:
        raise RouteError(f"{what} {port} is out of range (1-65535)")
    return port


def validate_header(name: str, value: str) -> tuple[str, str]:
    if not isinstance(name, str) or not name.isascii() or not _HEADER_NAME.fullmatch(name):
        raise RouteError(f"header name {name!r} is not allowed", "use letters, digits and '-'")
    if name.lower() in MANAGED_HEADERS:
        raise RouteError(
            f"header {name} is set by the router itself",
            "use the dockline.route.host label to choose the Host sent upstream",
        )
    if (
        not isinstance(value, str)
        or not value.isascii()
        or not _HEADER_VALUE.fullmatch(value)
        or value != value.strip()
    ):
        raise RouteError(
            f"value of header {name} is not allowed",
            "printable ASCII without quotes, backslash, ';', '{', '}', '$' or '#', <= 256 chars",
        )
    return name, value


def validate_mode(raw: str) -> TargetMode:
    try:
        return TargetMode(raw)
    except ValueError:
        raise RouteError(
            f"route mode {raw!r} is not known", "use one of: auto, overlay, host, ingress"
        ) from None


def make_route(
    app: str,
    service: str,
    path: str,
    *,
    port: str | int | None = None,
    host: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
    mode: str | TargetMode = TargetMode.AUTO,
) -> Route:
    """Build a validated :class:`Route` (raises :class:`RouteError`)."""
    validate_stack_name(app)
    validate_service_name(service)
    hdrs = tuple(validate_header(n, v) for n, v in headers)
    if len(hdrs) > MAX_HEADERS:
        raise RouteError(f"too many extra headers ({len(hdrs)} > {MAX_HEADERS})")
    names = [n.lower() for n, _ in hdrs]
    if len(set(names)) != len(names):
        raise RouteError(f"a header is given twice on the route of {service}")
    return Route(
        app=app,
        service=service,
        path=validate_path(path),
        port=None if port is None else validate_port(port),
        host=None if host is None else validate_host(host, what="route host"),
        headers=tuple(sorted(hdrs, key=lambda h: h[0].lower())),
        mode=mode if isinstance(mode, TargetMode) else validate_mode(mode),
    )


def routes_from_labels(app: str, service: str, labels: Mapping[str, str]) -> list[Route]:
    """The route a service declares with deploy labels (none when it has no
    ``dockline.route`` label)."""
    if LABEL_PATH not in labels:
        stray = [k for k in labels if k.startswith(LABEL_PATH + ".")]
        if stray:
            raise RouteError(
                f"service {service} has {stray[0]} but no {LABEL_PATH} label",
                f"add {LABEL_PATH}=/path, or remove the route labels",
            )
        return []
    headers: list[tuple[str, str]] = []
    for key, value in sorted(labels.items()):
        if key.startswith(LABEL_HEADER_PREFIX):
            headers.append((key[len(LABEL_HEADER_PREFIX):], value))
        elif key.startswith(LABEL_PATH + ".") and key not in _KNOWN_LABELS:
            raise RouteError(
                f"unknown route label {key!r} on service {service}",
                "known: dockline.route, .port, .host, .mode, .header.<Name>",
            )
    return [
        make_route(
            app,
            service,
            labels[LABEL_PATH],
            port=labels.get(LABEL_PORT),
            host=labels.get(LABEL_HOST),
            headers=headers,
            mode=labels.get(LABEL_MODE, TargetMode.AUTO.value),
        )
    ]


def parse_route_option(app: str, text: str) -> Route:
    """``--route /app-a=nginx`` or ``/app-a=nginx:8080`` (service short name within the app)."""
    if "=" not in text:
        raise RouteError(f"--route {text!r} should be PATH=SERVICE[:PORT]", "example: --route /app-a=nginx")
    path, _, target = text.partition("=")
    service, _, port = target.partition(":")
    validate_stack_name(app)
    validate_service_name(service)
    full = service if service.startswith(app + "_") else f"{app}_{service}"
    return make_route(app, full, path, port=port or None)


def check_conflicts(routes: Sequence[Route]) -> None:
    """Refuse a path owned twice, or a path of one app nested under another app's."""
    by_path: dict[str, Route] = {}
    for r in routes:
        other = by_path.get(r.path)
        if other is not None:
            raise RouteError(
                f"path {r.path} is claimed by both {other.app} ({other.service}) and {r.app} ({r.service})",
                "give each route its own path, or remove the other app's route first",
            )
        by_path[r.path] = r
    ordered = sorted(by_path.values(), key=lambda r: r.path)
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            if a.app != b.app and a.path != "/" and b.path.startswith(a.path):
                raise RouteError(
                    f"path {b.path} of {b.app} lies under path {a.path} of {a.app}",
                    "one app may not take over part of another app's path",
                )
