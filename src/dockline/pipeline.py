"""The pipeline across packages: deploy then route, roll back then route, unroute then remove.

``dockline deploy`` / ``rollback`` / ``rm`` each call one function here with explicit
arguments: the deploy options (built from the settings in force by ``deploy_options``) and the
router to route through (``None``: leave the router alone). Nothing here reads the
environment or prints; progress goes to callbacks and the result says what happened, so the
command only renders it.

The order is the talk's: a stack's routes are checked before it is applied (a stack that could
not be routed is refused with nothing changed), it is routed only after it is healthy (a failed,
rolled-back or timed-out deploy, and a dry run, are not routed), and its routes are detached
before it is removed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the heavy packages load when a function runs, not when a command module is imported
    from collections.abc import Mapping

    from dockline.config import DeploySettings
    from dockline.router.apply import ApplyOutcome, Router
    from dockline.stack.deploy import DeployOptions, DeployResult, RemoveResult
    from dockline.stack.hooks import Hook
    from dockline.swarm.protocols import PipelineEngine
    from dockline.swarm.wait import ProgressSnapshot

Say = Callable[[str], None]


def _quiet(_message: str) -> None:
    pass


@dataclass(frozen=True)
class RouterMissing:
    """The stack's services declare routes, but the router is not running (nothing routed)."""

    router: str
    declared: tuple[str, ...]  # the services with a ``dockline.route`` label


@dataclass(frozen=True)
class Shipped:
    """What ``deploy_and_route`` / ``rollback_and_route`` did.

    ``routing`` is the router's outcome, ``RouterMissing``, or ``None`` when routing was not
    attempted (a dry run, a deploy that is not healthy, no router given, or no router running
    and no route declared)."""

    deploy: DeployResult
    routing: ApplyOutcome | RouterMissing | None

    @property
    def exit_code(self) -> int:
        return self.deploy.exit_code


@dataclass(frozen=True)
class Removed:
    """What ``unroute_and_remove`` did: the unrouting (``None``: the stack was not routed, or
    no router given) and the removal."""

    unrouted: ApplyOutcome | None
    removed: RemoveResult


def deploy_options(settings: DeploySettings, *, placement_check: bool = True, dry_run: bool = False,
                   hooks: tuple[Hook, ...] = (), run_hooks: bool = True) -> DeployOptions:
    """The options of a deploy: the ``deploy`` settings in force (flags already merged in by
    ``config.deploy_settings``) plus the flags that are not settings."""
    from dockline.stack.deploy import DeployOptions

    return DeployOptions(prune=settings.prune, with_registry_auth=settings.with_registry_auth,
                         resolve_image=settings.resolve_image, timeout=settings.timeout, dry_run=dry_run,
                         hooks=hooks, run_hooks=run_hooks, placement_check=placement_check)


def route_after_deploy(engine: PipelineEngine, name: str, router: Router, *,
                       on_step: Say = _quiet) -> ApplyOutcome | RouterMissing | None:
    """Route stack ``name`` after a healthy deploy. Without a running router, a stack whose
    services declare routes gets ``RouterMissing``, one that declares none ``None``; routing
    failures raise (exit 1/2)."""
    from dockline.router.flow import route_stack
    from dockline.router.routes import LABEL_PATH
    from dockline.swarm.model import STACK_NAMESPACE_LABEL

    if engine.service(router.service) is None:
        declared = tuple(s.name for s in engine.services(labels={STACK_NAMESPACE_LABEL: name})
                         if LABEL_PATH in s.labels)
        return RouterMissing(router.name, declared) if declared else None
    return route_stack(engine, name, router=router, on_step=on_step)


def check_routes_before_deploy(engine: PipelineEngine, name: str, files: Sequence[Path], router: Router, *,
                               env_files: Sequence[Path] = (), environ: Mapping[str, str] | None = None) -> None:
    """When ``router`` runs: refuse (``RouteError``, exit 2, nothing changed) a stack whose
    routes could not be applied after its deploy -- a bad route label, a path another app
    holds, a routed service neither on the router's network nor publishing a port."""
    from dockline.router.flow import check_stack_routes
    from dockline.stack.deploy import prepare
    from dockline.stack.secretnames import throwaway_key

    if engine.service(router.service) is None:
        return  # nothing will be routed (a warning after the deploy says so)
    # the secrets' names do not matter here: no key is read or made before the real deploy
    prepared = prepare(name, files, env_files=env_files, environ=environ, secret_key=throwaway_key)
    check_stack_routes(engine, name, prepared.doc, router)


def _then_route(engine: PipelineEngine, result: DeployResult, router: Router | None, on_deployed: Callable[
        [DeployResult], None], on_step: Say) -> Shipped:
    from dockline.errors import BadInputError, RouterError

    on_deployed(result)
    if result.exit_code or result.outcome is None or router is None:
        return Shipped(result, None)
    try:
        return Shipped(result, route_after_deploy(engine, result.stack, router, on_step=on_step))
    except BadInputError as e:
        # The stack is applied: whatever routing finds now is a failure (exit 1), never the
        # "bad input, nothing was changed" of exit 2.
        raise RouterError(f"stack {result.stack} was deployed (version {result.version}) but not routed:"
                          f" {e.message}", e.hint or f"fix it, then run `dockline route {result.stack}`") from e


def deploy_and_route(
    engine: PipelineEngine,
    name: str,
    files: Sequence[Path],
    *,
    options: DeployOptions,
    router: Router | None,
    env_files: Sequence[Path] = (),
    environ: Mapping[str, str] | None = None,
    on_progress: Callable[[ProgressSnapshot], None] | None = None,
    on_event: Say | None = None,
    on_deployed: Callable[[DeployResult], None] = lambda _r: None,
    on_step: Say = _quiet,
) -> Shipped:
    """Deploy stack ``name`` from compose ``files``, wait for the verdict, then (when it is
    healthy and ``router`` is given) route it. When ``router`` runs, the routes the files
    declare are checked first, so a stack that could not be routed is refused (exit 2) before
    anything changes; a routing failure after the deploy is exit 1. ``on_deployed`` sees the deploy's result before
    routing starts (the CLI prints its report there). ``environ`` is the interpolation
    environment (``None``: the process's, as ``deploy_stack`` takes it)."""
    from dockline.stack.deploy import deploy_stack

    if router is not None and not options.dry_run:
        check_routes_before_deploy(engine, name, files, router, env_files=env_files, environ=environ)
    result = deploy_stack(engine, name, files, env_files=env_files, environ=environ, options=options,
                          on_progress=on_progress, on_event=on_event)
    return _then_route(engine, result, router, on_deployed, on_step)


def rollback_and_route(
    engine: PipelineEngine,
    name: str,
    *,
    options: DeployOptions,
    router: Router | None,
    to_version: int | None = None,
    on_progress: Callable[[ProgressSnapshot], None] | None = None,
    on_event: Say | None = None,
    on_deployed: Callable[[DeployResult], None] = lambda _r: None,
    on_step: Say = _quiet,
) -> Shipped:
    """Redeploy a recorded version of stack ``name`` (default: the previous one), then route it
    like ``deploy_and_route`` (its routes are those of the version rolled back to)."""
    from dockline.stack.deploy import rollback_stack

    result = rollback_stack(engine, name, to_version=to_version, options=options, on_progress=on_progress,
                            on_event=on_event)
    return _then_route(engine, result, router, on_deployed, on_step)


def unroute_and_remove(
    engine: PipelineEngine,
    name: str,
    *,
    router: Router | None,
    timeout: timedelta = timedelta(minutes=2),
    on_step: Say = _quiet,
    on_unrouted: Callable[[ApplyOutcome], None] = lambda _o: None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Removed:
    """Detach stack ``name``'s routes from ``router`` (when it serves any; ``None``: leave the
    router alone), then remove the stack and wait (bounded by ``timeout``) until it is gone.
    ``on_unrouted`` sees the unrouting before the removal starts; ``clock`` and ``sleep`` time
    the wait for the removal (unit tests pass a fake clock)."""
    from dockline.router.flow import is_routed, unroute_stack
    from dockline.stack.deploy import remove_stack

    unrouted = None
    if router is not None and is_routed(engine, name, router):
        unrouted = unroute_stack(engine, name, router=router, on_step=on_step)
        if unrouted is not None:
            on_unrouted(unrouted)
    return Removed(unrouted, remove_stack(engine, name, timeout, clock=clock, sleep=sleep))
