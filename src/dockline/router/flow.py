"""Routing as the pipeline uses it: route a stack after a healthy deploy, unroute it
before removal (``dockline deploy`` / ``rm`` and ``dockline route`` call these)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from dockline.router.apply import (
    DEFAULT_ROUTER,
    ApplyOutcome,
    ApplySettings,
    Router,
    apply_app,
    current_bundle,
)
from dockline.router.discover import check_planned_routes, discover_app, planned_services
from dockline.router.routes import (
    Route,
    RouteTarget,
    check_conflicts,
    validate_host,
    validate_stack_name,
)
from dockline.router.stack import probe_url, router_image

if TYPE_CHECKING:
    from dockline.swarm.protocols import BundleEngine, ProbeEngine, RouterEngine


def settings_for(engine: ProbeEngine, router: Router, *, probe: bool = True,
                 lock_wait: timedelta = timedelta(seconds=90), clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> ApplySettings:
    return ApplySettings(image=router_image(engine, router),
                         probe_url=probe_url(engine, router, clock=clock, sleep=sleep) if probe else None,
                         lock_wait=lock_wait)


def route_stack(
    engine: RouterEngine,
    app: str,
    *,
    router: Router = DEFAULT_ROUTER,
    extra: Sequence[Route] = (),
    target_hosts: Sequence[str] = (),
    probe: bool = True,
    lock_wait: timedelta = timedelta(seconds=90),
    on_step: Callable[[str], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> ApplyOutcome:
    """Route ``app``'s services (labels + ``extra``) through ``router``."""
    validate_stack_name(app)
    for h in target_hosts:
        validate_host(h, allow_port=False, what="target host")
    settings = settings_for(engine, router, probe=probe, lock_wait=lock_wait, clock=clock, sleep=sleep)
    net = engine.network_id(router.network)

    def resolve() -> Sequence[RouteTarget]:
        return discover_app(engine, app, net, extra=extra, target_hosts=target_hosts)

    return apply_app(engine, router, app, resolve, settings, on_step=on_step, clock=clock, sleep=sleep)


def unroute_stack(
    engine: RouterEngine,
    app: str,
    *,
    router: Router = DEFAULT_ROUTER,
    probe: bool = True,
    lock_wait: timedelta = timedelta(seconds=90),
    on_step: Callable[[str], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> ApplyOutcome | None:
    """Detach ``app``'s configs from the router (``None`` when there is no router)."""
    validate_stack_name(app)
    if engine.service(router.service) is None:
        return None
    settings = settings_for(engine, router, probe=probe, lock_wait=lock_wait, clock=clock, sleep=sleep)
    return apply_app(engine, router, app, None, settings, on_step=on_step, clock=clock, sleep=sleep)


def is_routed(engine: BundleEngine, app: str, router: Router = DEFAULT_ROUTER) -> bool:
    """Whether the router currently serves a route of ``app``."""
    if engine.service(router.service) is None:
        return False
    bundle, _ = current_bundle(engine, router)
    return any(t.route.app == app for t in bundle.table.targets)


def check_stack_routes(engine: BundleEngine, app: str, doc: Mapping[str, Any], router: Router = DEFAULT_ROUTER
                       ) -> tuple[Route, ...]:
    """Before stack ``app`` is deployed from ``doc`` (``stack.deploy.prepare``'s document):
    the routes it declares, checked as routing will check them after the deploy, and against
    the paths other apps hold on ``router``. Raises :class:`RouteError` (exit 2) so a deploy
    that could not be routed is refused while nothing was changed."""
    validate_stack_name(app)
    routes = check_planned_routes(app, planned_services(app, doc), router.network)
    if routes and engine.service(router.service) is not None:
        bundle, _ = current_bundle(engine, router)
        check_conflicts([t.route for t in bundle.table.without_app(app).targets] + list(routes))
    return routes
