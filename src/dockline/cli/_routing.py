"""What the router commands and ``deploy`` / ``rollback`` / ``rm`` share: the router flags,
the routing summary, the routes table, and SIGINT/SIGTERM as a clean stop."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import click

from dockline import output

if TYPE_CHECKING:
    from dockline.pipeline import RouterMissing
    from dockline.router.apply import ApplyOutcome

ROUTER_ENV = "DOCKLINE_ROUTER"


def router_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--router NAME``; not given: the setting ``router.name`` (env DOCKLINE_ROUTER)."""
    return click.option("--router", "router_name", default=None,
                        help=f"Router stack name [default: router.name (env {ROUTER_ENV}), dockline-router].")(f)


def no_route_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--no-route", is_flag=True,
                        help=f"Do not touch the router (env {ROUTER_ENV} names it).")(f)


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT/SIGTERM set ``stop`` (a clean summary instead of a traceback); restored after."""
    old = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


def report_outcome(res: ApplyOutcome | None, app: str) -> None:
    """One summary line for a routing (used by route, deploy and rm)."""
    from dockline.router.apply import Applied

    if res is None:
        return
    if isinstance(res, Applied):
        t = res.timings
        what = f"{app} routed ({len(res.targets)} route(s)" if res.targets else f"{app} unrouted ("
        output.success(
            f"router bundle {res.previous_version} -> {res.version}: {what}; render {t.render.total_seconds():.2f}s,"
            f" validate {t.validate.total_seconds():.2f}s, rotate {t.rotate.total_seconds():.2f}s,"
            f" converge {t.converge.total_seconds():.2f}s, probe {t.probe.total_seconds():.2f}s)")
    else:
        output.info(f"router unchanged for {app} (bundle {res.version})")
    for tg in res.targets:
        output.info(f"  {tg.route.path} -> {tg.route.service} [{tg.mode.value}] {', '.join(tg.servers) or '-'}"
                    + (f" ({tg.note})" if tg.note else ""))


def report_routing(res: ApplyOutcome | RouterMissing | None, app: str) -> None:
    """The routing after a deploy: the summary, or the warning that the router is missing."""
    from dockline.pipeline import RouterMissing

    if isinstance(res, RouterMissing):
        output.warn(f"{', '.join(res.declared)} declare routes but router {res.router} is not running;"
                    f" run `dockline router up`, then `dockline route {app}`")
        return
    report_outcome(res, app)


def routes_table(routes: Sequence[dict[str, object]]) -> None:
    output.table(None, ["app", "path", "service", "mode", "upstream servers", "config version"],
                 [[r["app"], r["path"], r["service"], r["mode"], ", ".join(r["servers"]),  # type: ignore[arg-type]
                   r["version"]] for r in routes])
