"""``dockline deploy``, ``rm``, ``status``, ``history``, ``rollback``: stacks on the swarm.

Deploy-then-route and unroute-then-remove are ``dockline.pipeline``; the report is
``cli/_render_deploy.py``.

Exit codes: 0 healthy; 1 failed, rolled back or timed out (each failing task's error and the
last healthcheck output are printed); 2 bad input (nothing changed); 3 environment.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from dockline import output
from dockline.cli._options import DURATION
from dockline.cli._render_deploy import Progress, history_table, report_rm, status_tables
from dockline.cli._routing import no_route_option, report_outcome, report_routing
from dockline.config import RESOLVE_IMAGE_MODES

if TYPE_CHECKING:
    from dockline.config import DeploySettings
    from dockline.pipeline import Shipped
    from dockline.router.apply import Router
    from dockline.stack.hooks import Hook


def _apply_options(f: Any) -> Any:
    for opt in reversed([
        click.option("--prune/--no-prune", default=None,
                     help="Remove services no longer in the file [default: deploy.prune, true]."),
        click.option("--with-registry-auth/--no-registry-auth", default=None,
                     help="Send registry credentials to the swarm agents [default: deploy.with_registry_auth, true]."),
        click.option("--resolve-image", type=click.Choice(RESOLVE_IMAGE_MODES), default=None,
                     help="Resolve image digests against the registry [default: deploy.resolve_image, always]."),
        click.option("--timeout", default=None, type=DURATION,
                     help="Deadline of the wait for a verdict, e.g. 90s, 5m [default: deploy.timeout, 5m]."),
        click.option("--placement-check/--no-placement-check", default=True, show_default=True,
                     help="Refuse before applying when no node matches a placement constraint."),
        click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout."),
    ]):
        f = opt(f)
    return f


def _settings(prune: bool | None, with_registry_auth: bool | None, resolve_image: str | None,
              timeout: timedelta | None) -> DeploySettings:
    """Flags win over the settings (defaults < dockline.yaml < DOCKLINE_DEPLOY_* environment)."""
    from dockline.config import deploy_settings

    return deploy_settings(prune=prune, with_registry_auth=with_registry_auth, resolve_image=resolve_image,
                           timeout=timeout)


def _route_through(settings: DeploySettings, no_route: bool) -> Router | None:
    """The router a healthy deploy is routed through (``router.name``), or None."""
    from dockline.config import router_settings
    from dockline.router.apply import Router

    return None if no_route or not settings.route else Router(router_settings().name)


def _finish(shipped: Shipped) -> None:
    if shipped.exit_code:
        click.get_current_context().exit(shipped.exit_code)
    report_routing(shipped.routing, shipped.deploy.stack)


@click.command("deploy")
@click.argument("name")
@click.option("-c", "--compose-file", "files", multiple=True, required=True, type=click.Path(path_type=Path),
              help="Compose file (repeatable; merged in order).")
@click.option("--env-file", "env_files", multiple=True, type=click.Path(path_type=Path),
              help="Variables for interpolation (repeatable; the process environment wins).")
@click.option("--dry-run", is_flag=True, help="Print what would change; change nothing.")
@click.option("--pre-hook", multiple=True, help="Command run (sh -c) before anything changes; failing aborts.")
@click.option("--post-hook", multiple=True, help="Command run (sh -c) after a healthy deploy.")
@click.option("--no-hooks", is_flag=True, help="Run no hooks (neither flags nor x-dockline.hooks).")
@_apply_options
@no_route_option
def deploy_cmd(name: str, files: tuple[Path, ...], env_files: tuple[Path, ...], dry_run: bool,
               pre_hook: tuple[str, ...], post_hook: tuple[str, ...], no_hooks: bool, prune: bool | None,
               with_registry_auth: bool | None, resolve_image: str | None, timeout: timedelta | None,
               placement_check: bool, as_json: bool, no_route: bool) -> None:
    """Deploy stack NAME from compose files and wait until it is healthy (or not)."""
    from dockline.engine import Engine
    from dockline.pipeline import deploy_and_route, deploy_options
    from dockline.stack.hooks import Hook

    hooks: tuple[Hook, ...] = tuple(Hook.from_value("pre", h, "--pre-hook") for h in pre_hook) + tuple(
        Hook.from_value("post", h, "--post-hook") for h in post_hook)
    settings = _settings(prune, with_registry_auth, resolve_image, timeout)
    options = deploy_options(settings, placement_check=placement_check, dry_run=dry_run, hooks=hooks,
                             run_hooks=not no_hooks)
    engine = Engine.connect()
    with Progress(enabled=not as_json) as progress:
        shipped = deploy_and_route(engine, name, files, env_files=env_files, options=options,
                                   router=_route_through(settings, no_route), on_progress=progress.update,
                                   on_event=progress.say, on_deployed=lambda r: progress.finished(r, as_json),
                                   on_step=output.info)
    _finish(shipped)


@click.command("rollback")
@click.argument("name")
@click.option("--to", "to_version", type=int, default=None, help="The recorded version to redeploy.")
@_apply_options
@no_route_option
def rollback_cmd(name: str, to_version: int | None, prune: bool | None, with_registry_auth: bool | None,
                 resolve_image: str | None, timeout: timedelta | None, placement_check: bool, as_json: bool,
                 no_route: bool) -> None:
    """Redeploy the previous recorded version of stack NAME (see `dockline history`), then
    route it again like `deploy` does (its routes are those of the version rolled back to)."""
    from dockline.engine import Engine
    from dockline.pipeline import deploy_options, rollback_and_route

    settings = _settings(prune, with_registry_auth, resolve_image, timeout)
    options = deploy_options(settings, placement_check=placement_check, run_hooks=False)
    engine = Engine.connect()
    with Progress(enabled=not as_json) as progress:
        shipped = rollback_and_route(engine, name, to_version=to_version, options=options,
                                     router=_route_through(settings, no_route), on_progress=progress.update,
                                     on_event=progress.say, on_deployed=lambda r: progress.finished(r, as_json),
                                     on_step=output.info)
    _finish(shipped)


@click.command("rm")
@click.argument("name")
@click.option("--timeout", default="2m", show_default=True, type=DURATION,
              help="How long to wait for everything to be gone.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
@no_route_option
def rm_cmd(name: str, timeout: timedelta, as_json: bool, no_route: bool) -> None:
    """Remove stack NAME and wait until its services, tasks and networks are gone."""
    from dockline.config import router_settings
    from dockline.engine import Engine
    from dockline.pipeline import unroute_and_remove
    from dockline.router.apply import Router

    router = None if no_route else Router(router_settings().name)
    done = unroute_and_remove(Engine.connect(), name, router=router, timeout=timeout, on_step=output.info,
                              on_unrouted=lambda res: report_outcome(res, name))
    report_rm(done.removed, as_json)
    if not done.removed.complete:
        click.get_current_context().exit(1)


@click.command("status")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON on stdout.")
def status_cmd(name: str | None, as_json: bool) -> None:
    """Stacks, their services, tasks, health and recorded version."""
    from dockline.engine import Engine
    from dockline.stack.deploy import stack_status

    engine = Engine.connect()
    engine.require_manager()
    stacks = stack_status(engine, name)
    if as_json:
        output.emit_json([asdict(s) for s in stacks])
    elif name and not stacks:
        output.info(f"no stack named {name}")
    else:
        status_tables(stacks)


@click.command("history")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the records as JSON on stdout.")
def history_cmd(name: str, as_json: bool) -> None:
    """Deploys of stack NAME recorded in the swarm (newest last)."""
    from dockline.engine import Engine
    from dockline.stack import history

    engine = Engine.connect()
    engine.require_manager()
    records = history.list_records(engine, name)
    if as_json:
        output.emit_json([asdict(r) for r in records])
    else:
        history_table(records)


def register(cli: click.Group) -> None:
    for cmd in (deploy_cmd, rm_cmd, status_cmd, history_cmd, rollback_cmd):
        cli.add_command(cmd)
