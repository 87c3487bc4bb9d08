"""``dockline router up|down|status|watch``, ``dockline routes``, ``dockline route``, ``dockline poll``.

The routing that ``dockline deploy`` / ``rm`` do is ``dockline.pipeline``; the flags and the
summary they share with these commands are in ``cli/_routing.py``.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import TYPE_CHECKING

import click

from dockline import output
from dockline.cli._options import DURATION
from dockline.cli._routing import report_outcome, router_option, routes_table, stop_on_signals
from dockline.errors import DeployFailed, DocklineError, JobFailed, UsageError

if TYPE_CHECKING:
    from dockline.router.apply import ApplyOutcome, Router
    from dockline.router.poll import PollSummary
    from dockline.router.stack import RouterStatus


def _router(name: str | None) -> Router:
    from dockline.config import router_settings
    from dockline.router.apply import Router

    return Router(router_settings(name=name).name)


@click.group("router")
def router_group() -> None:
    """The nginx router stack in front of every routed app."""


@router_group.command("up")
@router_option
@click.option("--port", default=None, type=click.IntRange(1, 65535),
              help="Port the edge publishes (host mode) [default: router.port, 80].")
@click.option("--base-image", default=None,
              help="nginx base image [default: router.base_image (env DOCKLINE_NGINX_IMAGE), nginx:1.27-bookworm].")
@click.option("--timeout", default=None, type=DURATION,
              help="How long to wait for convergence, e.g. 90s, 2m [default: router.timeout, 2m].")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
def up(router_name: str | None, port: int | None, base_image: str | None, timeout: timedelta | None,
       as_json: bool) -> None:
    """Build the router image (if needed) and deploy the router stack; wait like deploy."""
    from dockline.config import router_settings
    from dockline.engine import Engine
    from dockline.router.apply import Router
    from dockline.router.stack import router_up

    settings = router_settings(name=router_name, port=port, base_image=base_image, timeout=timeout)
    router = Router(settings.name)
    eng = Engine.connect()
    output.info(f"router {router.name}: building (if needed) and deploying on port {settings.port}")
    res = router_up(eng, router, port=settings.port, base=settings.base_image, timeout=settings.timeout)
    if as_json:
        output.emit_json({"router": res.router, "image": res.image, "port": res.port,
                          "outcome": res.outcome.kind})
    if res.outcome.kind != "converged":
        raise DeployFailed(f"router {router.name} did not converge ({res.outcome.kind}): "
                           + "; ".join(getattr(res.outcome, "reasons", ())))
    output.success(f"router {router.name} is up: http://127.0.0.1:{settings.port}/ (image {res.image},"
                   f" {res.outcome.elapsed.total_seconds():.1f}s)")


@router_group.command("down")
@router_option
def down(router_name: str | None) -> None:
    """Remove the router stack, its configs and its network."""
    from dockline.engine import Engine
    from dockline.router.stack import router_down

    router = _router(router_name)
    removed = router_down(Engine.connect(), router)
    output.success(f"router {router.name} removed ({len(removed)} configs)")


def _status(router_name: str | None) -> RouterStatus:
    from dockline.engine import Engine
    from dockline.router.stack import router_status

    return router_status(Engine.connect(), _router(router_name))


@router_group.command("status")
@router_option
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON on stdout.")
def status(router_name: str | None, as_json: bool) -> None:
    """Router services, bundle version and routes. Exit 1 when the router is not running."""
    st = _status(router_name)
    if as_json:
        output.emit_json(st)
    elif st.running:
        output.table(f"router {st.router} (bundle {st.version}, {st.url or 'no published port'})",
                     ["service", "running", "desired", "update"],
                     [[s["service"], s["running"], s["desired"], s["update"]] for s in st.services])
        routes_table(st.routes)
    _require_running(st)


def _require_running(st: RouterStatus) -> RouterStatus:
    if not st.running:
        raise JobFailed(f"router {st.router} is not running", "start it with `dockline router up`")
    return st


@router_group.command("watch")
@router_option
@click.option("--resync", default="30s", show_default=True, type=DURATION,
              help="How often to resync in full, e.g. 30s, 2m (events trigger re-routing in between).")
@click.option("--no-probe", is_flag=True, help="Do not probe the routes through the router.")
def watch_cmd(router_name: str | None, resync: timedelta, no_probe: bool) -> None:
    """Re-route host-mode/ingress apps when their tasks move, until stopped (Ctrl-C)."""
    from dockline.engine import Engine
    from dockline.router.apply import Applied
    from dockline.router.watch import watch

    router = _router(router_name)
    eng = Engine.connect()
    stop = threading.Event()

    def report(app: str, res: ApplyOutcome | DocklineError) -> None:
        if isinstance(res, DocklineError):
            output.failure(f"re-routing {app} failed: {res.message}")
        elif isinstance(res, Applied):
            report_outcome(res, app)

    output.info(f"watching router {router.name} (resync every {resync.total_seconds():g}s; Ctrl-C stops)")
    with stop_on_signals(stop):
        watch(eng, router, stop=stop, resync=resync, probe=not no_probe, on_result=report)


@click.command("routes")
@router_option
@click.option("--json", "as_json", is_flag=True, help="Print the routes as JSON on stdout.")
def routes_cmd(router_name: str | None, as_json: bool) -> None:
    """List what the router serves: app, path, service, upstream servers, config version."""
    st = _require_running(_status(router_name))
    if as_json:
        output.emit_json(list(st.routes))
    else:
        routes_table(st.routes)


@click.command("route")
@click.argument("name")
@router_option
@click.option("--route", "route_opts", multiple=True, metavar="PATH=SERVICE[:PORT]",
              help="Route PATH to SERVICE of the app (the talk's SERVICE_MAP); repeatable.")
@click.option("--target-host", "target_hosts", multiple=True,
              help="Upstream host for published-port routes (instead of the swarm's nodes); repeatable.")
@click.option("--remove", is_flag=True, help="Unroute the app instead.")
@click.option("--no-probe", is_flag=True, help="Do not probe the routes through the router.")
@click.option("--lock-wait", default=None, type=DURATION,
              help="How long to wait for another routing to finish, e.g. 90s [default: router.lock_wait, 90s].")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON on stdout.")
def route_cmd(name: str, router_name: str | None, route_opts: tuple[str, ...], target_hosts: tuple[str, ...],
              remove: bool, no_probe: bool, lock_wait: timedelta | None, as_json: bool) -> None:
    """(Re-)route the app (stack) NAME through the router; exit 2 on a bad route (nothing applied)."""
    from dockline.config import router_settings
    from dockline.engine import Engine
    from dockline.router.apply import Router
    from dockline.router.flow import route_stack, unroute_stack
    from dockline.router.routes import parse_route_option

    extra = [parse_route_option(name, r) for r in route_opts]
    if remove and (extra or target_hosts):
        raise UsageError("--remove takes no --route or --target-host")
    settings = router_settings(name=router_name, lock_wait=lock_wait)
    eng = Engine.connect()
    router = Router(settings.name)
    step = output.info
    res: ApplyOutcome | None
    if remove:
        res = unroute_stack(eng, name, router=router, probe=not no_probe, lock_wait=settings.lock_wait,
                            on_step=step)
    else:
        res = route_stack(eng, name, router=router, extra=extra, target_hosts=target_hosts,
                          probe=not no_probe, lock_wait=settings.lock_wait, on_step=step)
    if as_json:
        output.emit_json(res)
    report_outcome(res, name)


@click.command("poll")
@click.argument("url")
@click.option("--rate", default=1.0, show_default=True, type=float, help="Requests per second.")
@click.option("--duration", default=None, type=DURATION, help="How long to run, e.g. 30s (default: until stopped).")
@click.option("--timeout", default="5s", show_default=True, type=DURATION, help="Per-request timeout.")
@click.option("--allow-remote", is_flag=True, help="Allow a non-loopback target.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
def poll_cmd(url: str, rate: float, duration: timedelta | None, timeout: timedelta, allow_remote: bool,
             as_json: bool) -> None:
    """Request URL at --rate per second and count failures (exit 1 if any failed).

    Stops after --duration, or on SIGINT/SIGTERM.
    """
    from dockline.router.poll import parse_target, poll

    target = parse_target(url, allow_remote=allow_remote)
    stop = threading.Event()
    live = output.is_tty() and not as_json

    def tick(sent: int, ok: int, failed: int) -> None:
        if live:
            output.err_console().print(f"\rsent {sent}  ok {ok}  failed {failed}", end="")

    with stop_on_signals(stop):
        summary = poll(target, rate=rate, duration=duration, timeout=timeout, stop=stop, on_tick=tick)
    if live:
        output.err_console().print()
    _report_poll(summary, as_json)
    if summary.failed:
        raise JobFailed(f"{summary.failed} of {summary.sent} requests failed")


def _report_poll(s: PollSummary, as_json: bool) -> None:
    if as_json:
        output.emit_json(s)
    kinds = ", ".join(f"{k} {v}" for k, v in s.failures.items()) or "none"
    lat = "-" if s.p50_ms is None else f"p50 {s.p50_ms:.1f} ms, p99 {s.p99_ms:.1f} ms"
    output.info(f"poll {s.url}: sent {s.sent}, ok {s.ok}, failed {s.failed} ({kinds}); {lat};"
                f" {s.duration.total_seconds():.1f}s at {s.rate:g}/s")


def register(cli: click.Group) -> None:
    cli.add_command(router_group)
    cli.add_command(routes_cmd)
    cli.add_command(route_cmd)
    cli.add_command(poll_cmd)
