"""``dockline router watch``: keep published-port routes true while tasks move.

Overlay routes follow tasks by DNS and never need this. Host-mode (and ingress) routes are
a snapshot of where tasks run, so the watcher re-routes every routed app that has such a
route whenever the engine reports a service or container event (debounced), and on a
periodic resync (task moves on other nodes raise no event here). Routing an unchanged
app is a no-op, so the resync is cheap; failures are reported and the watch goes on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from dockline.errors import DocklineError
from dockline.router.apply import ApplyOutcome, Router, current_bundle
from dockline.router.flow import route_stack
from dockline.router.routes import TargetMode

if TYPE_CHECKING:
    from dockline.swarm.protocols import BundleEngine, RouterEngine

log = logging.getLogger("dockline.router.watch")


def apps_to_watch(engine: BundleEngine, router: Router) -> list[str]:
    """Routed apps with at least one host-mode or ingress route."""
    bundle, _ = current_bundle(engine, router)
    return sorted({t.route.app for t in bundle.table.targets if t.mode is not TargetMode.OVERLAY})


def watch(
    engine: RouterEngine,
    router: Router,
    *,
    stop: threading.Event,
    resync: timedelta = timedelta(seconds=30),
    debounce: timedelta = timedelta(seconds=1),
    probe: bool = True,
    on_result: Callable[[str, ApplyOutcome | DocklineError], None] | None = None,
) -> None:
    """Re-route on events and every ``resync`` until ``stop`` is set."""
    wake = threading.Event()
    sub = engine.subscribe_events({"type": ["service", "container"]})

    def listen() -> None:
        for ev in sub:
            if ev.type == "service" or ev.attributes.get("com.docker.swarm.service.name"):
                wake.set()

    threading.Thread(target=listen, name="dockline-router-watch", daemon=True).start()
    try:
        while not stop.is_set():
            wake.clear()
            for app in apps_to_watch(engine, router):
                try:
                    res: ApplyOutcome | DocklineError = route_stack(engine, app, router=router, probe=probe)
                except DocklineError as e:
                    res = e
                    log.warning("re-routing %s failed: %s", app, e.message)
                if on_result is not None:
                    on_result(app, res)
            if wake.wait(resync.total_seconds()):
                stop.wait(debounce.total_seconds())  # let a burst of events settle
    finally:
        sub.close()
