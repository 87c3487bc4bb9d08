"""``dockline router up|down|status|watch``, ``dockline routes``, ``dockline route``, ``dockline poll``,
and the routing hooks ``dockline deploy`` / ``rm`` call."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from typing import Any

import click

from dockline import output
from dockline.engine import Engine
from dockline.errors import DeployFailed, DocklineError, JobFailed, UsageError
from dockline.router.apply import Applied, ApplyOutcome, Router
from dockline.router.flow import is_routed, route_stack, unroute_stack
from dockline.router.poll import PollSummary, parse_target, poll
from dockline.router.routes import LABEL_PATH, parse_route_option
from dockline.router.stack import RouterStatus, router_down, router_status, router_up
from dockline.router.watch import watch
from dockline.swarm.model import STACK_NAMESPACE_LABEL

ROUTER_ENV = "DOCKLINE_ROUTER"


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT/SIGTERM set ``stop`` (a clean summary instead of a traceback); restored after."""
    old = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


def router_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--router", "router_name", envvar=ROUTER_ENV, default="dockline-router",
                        show_default=True, help=f"Router stack name (env {ROUTER_ENV}).")(f)


@click.group("router")
def router_group() -> None:
    """The nginx router stack in front of every routed app."""


@router_group.command("up")
@router_option
@click.option("--port", default=80, show_default=True, type=click.IntRange(1, 65535),
              help="Port the edge publishes (host mode).")
@click.option("--base-image", default=None, envvar="DOCKLINE_NGINX_IMAGE",
              help="nginx base image (default nginx:1.27-bookworm; env DOCKLINE_NGINX_IMAGE).")
@click.option("--timeout", default=120.0, show_default=True, type=float, help="Seconds to wait for convergence.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
def up(router_name: str, port: int, base_image: str | None, timeout: float, as_json: bool) -> None:
    """Build the router image (if needed) and deploy the router stack; wait like deploy."""
    eng = Engine.connect()
    router = Router(router_name)
    output.info(f"router {router.name}: building (if needed) and deploying on port {port}")
    res = router_up(eng, router, port=port, base=base_image, timeout=_seconds(timeout))
    if as_json:
        output.emit_json({"router": res.router, "image": res.image, "port": res.port,
                          "outcome": res.outcome.kind})
    if res.outcome.kind != "converged":
        raise DeployFailed(f"router {router.name} did not converge ({res.outcome.kind}): "
                           + "; ".join(getattr(res.outcome, "reasons", ())))
    output.success(f"router {router.name} is up: http://127.0.0.1:{port}/ (image {res.image},"
                   f" {res.outcome.elapsed.total_seconds():.1f}s)")


@router_group.command("down")
@router_option
def down(router_name: str) -> None:
    """Remove the router stack, its configs and its network."""
    eng = Engine.connect()
    removed = router_down(eng, Router(router_name))
    output.success(f"router {router_name} removed ({len(removed)} configs)")


@router_group.command("status")
@router_option
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON on stdout.")
def status(router_name: str, as_json: bool) -> None:
    """Router services, bundle version and routes. Exit 1 when the router is not running."""
    st = router_status(Engine.connect(), Router(router_name))
    if as_json:
        output.emit_json(st)
    elif st.running:
        output.table(f"router {st.router} (bundle {st.version}, {st.url or 'no published port'})",
                     ["service", "running", "desired", "update"],
                     [[s["service"], s["running"], s["desired"], s["update"]] for s in st.services])
        _routes_table(st.routes)
    _require_running(st)


def _require_running(st: RouterStatus) -> RouterStatus:
    if not st.running:
        raise JobFailed(f"router {st.router} is not running", "start it with `dockline router up`")
    return st


@router_group.command("watch")
@router_option
@click.option("--resync", default=30.0, show_default=True, type=float,
              help="Seconds between full resyncs (events trigger re-routing in between).")
@click.option("--no-probe", is_flag=True, help="Do not probe the routes through the router.")
def watch_cmd(router_name: str, resync: float, no_probe: bool) -> None:
    """Re-route host-mode/ingress apps when their tasks move, until stopped (Ctrl-C)."""
    eng = Engine.connect()
    stop = threading.Event()

    def report(app: str, res: ApplyOutcome | DocklineError) -> None:
        if isinstance(res, DocklineError):
            output.failure(f"re-routing {app} failed: {res.message}")
        elif isinstance(res, Applied):
            report_outcome(res, app)

    output.info(f"watching router {router_name} (resync every {resync:g}s; Ctrl-C stops)")
    with _stop_on_signals(stop):
        watch(eng, Router(router_name), stop=stop, resync=_seconds(resync), probe=not no_probe, on_result=report)


def _routes_table(routes: Sequence[dict[str, object]]) -> None:
    output.table(None, ["app", "path", "service", "mode", "upstream servers", "config version"],
                 [[r["app"], r["path"], r["service"], r["mode"], ", ".join(r["servers"]),  # type: ignore[arg-type]
                   r["version"]] for r in routes])


@click.command("routes")
@router_option
@click.option("--json", "as_json", is_flag=True, help="Print the routes as JSON on stdout.")
def routes_cmd(router_name: str, as_json: bool) -> None:
    """List what the router serves: app, path, service, upstream servers, config version."""
    st = _require_running(router_status(Engine.connect(), Router(router_name)))
    if as_json:
        output.emit_json(list(st.routes))
    else:
        _routes_table(st.routes)


def report_outcome(res: ApplyOutcome | None, app: str) -> None:
    """One summary line for a routing (used by route, deploy and rm)."""
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


@click.command("route")
@click.argument("name")
@router_option
@click.option("--route", "route_opts", multiple=True, metavar="PATH=SERVICE[:PORT]",
              help="Route PATH to SERVICE of the app (the talk's SERVICE_MAP); repeatable.")
@click.option("--target-host", "target_hosts", multiple=True,
              help="Upstream host for published-port routes (instead of the swarm's nodes); repeatable.")
@click.option("--remove", is_flag=True, help="Unroute the app instead.")
@click.option("--no-probe", is_flag=True, help="Do not probe the routes through the router.")
@click.option("--lock-wait", default=90.0, show_default=True, type=float,
              help="Seconds to wait for another routing to finish.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON on stdout.")
def route_cmd(name: str, router_name: str, route_opts: tuple[str, ...], target_hosts: tuple[str, ...],
              remove: bool, no_probe: bool, lock_wait: float, as_json: bool) -> None:
    """(Re-)route the app (stack) NAME through the router; exit 2 on a bad route (nothing applied)."""
    extra = [parse_route_option(name, r) for r in route_opts]
    if remove and (extra or target_hosts):
        raise UsageError("--remove takes no --route or --target-host")
    eng = Engine.connect()
    router = Router(router_name)
    step = output.info
    if remove:
        res = unroute_stack(eng, name, router=router, probe=not no_probe, lock_wait=_seconds(lock_wait),
                            on_step=step)
    else:
        res = route_stack(eng, name, router=router, extra=extra, target_hosts=target_hosts,
                          probe=not no_probe, lock_wait=_seconds(lock_wait), on_step=step)
    if as_json:
        output.emit_json(res)
    report_outcome(res, name)


@click.command("poll")
@click.argument("url")
@click.option("--rate", default=1.0, show_default=True, type=float, help="Requests per second.")
@click.option("--duration", default=None, type=float, help="Seconds to run (default: until stopped).")
@click.option("--timeout", default=5.0, show_default=True, type=float, help="Per-request timeout, seconds.")
@click.option("--allow-remote", is_flag=True, help="Allow a non-loopback target.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
def poll_cmd(url: str, rate: float, duration: float | None, timeout: float, allow_remote: bool,
             as_json: bool) -> None:
    """Request URL at --rate per second and count failures (exit 1 if any failed).

    Stops after --duration seconds, or on SIGINT/SIGTERM.
    """
    target = parse_target(url, allow_remote=allow_remote)
    stop = threading.Event()
    live = output.is_tty() and not as_json

    def tick(sent: int, ok: int, failed: int) -> None:
        if live:
            output.err_console().print(f"\rsent {sent}  ok {ok}  failed {failed}", end="")

    with _stop_on_signals(stop):
        summary = poll(target, rate=rate, duration=None if duration is None else _seconds(duration),
                       timeout=_seconds(timeout), stop=stop, on_tick=tick)
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


# ---- hooks used by `dockline deploy` / `dockline rm` (cli/deploy.py) ----------------
def no_route_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--no-route", is_flag=True,
                        help=f"Do not touch the router (env {ROUTER_ENV} names it).")(f)


def route_after_deploy(engine: Engine, name: str) -> None:
    """Route stack NAME after a healthy deploy (the talk's order). Without a router, a stack
    that declares routes gets a warning; routing failures raise (exit 1/2)."""
    router = Router(os.environ.get(ROUTER_ENV) or "dockline-router")
    if engine.service(router.service) is None:
        declared = [s.name for s in engine.services(labels={STACK_NAMESPACE_LABEL: name})
                    if LABEL_PATH in s.labels]
        if declared:
            output.warn(f"{', '.join(declared)} declare routes but router {router.name} is not running;"
                        f" run `dockline router up`, then `dockline route {name}`")
        return
    report_outcome(route_stack(engine, name, router=router, on_step=output.info), name)


def unroute_before_rm(engine: Engine, name: str) -> None:
    """Detach stack NAME's routes from the router before the stack is removed."""
    router = Router(os.environ.get(ROUTER_ENV) or "dockline-router")
    if is_routed(engine, name, router):
        report_outcome(unroute_stack(engine, name, router=router, on_step=output.info), name)


def register(cli: click.Group) -> None:
    cli.add_command(router_group)
    cli.add_command(routes_cmd)
    cli.add_command(route_cmd)
    cli.add_command(poll_cmd)
