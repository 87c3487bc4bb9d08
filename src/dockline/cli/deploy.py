"""``dockline deploy``, ``rm``, ``status``, ``history``, ``rollback``: stacks on the swarm.

Exit codes: 0 healthy; 1 failed, rolled back or timed out (each failing task's error and the
last healthcheck output are printed); 2 bad input (nothing changed); 3 environment.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any, Self

import click

from dockline import output
from dockline.cli.router import no_route_option, route_after_deploy, unroute_before_rm
from dockline.config import load_settings
from dockline.durations import format_duration, parse_duration
from dockline.engine import Engine
from dockline.errors import ConfigError, UsageError
from dockline.stack import history
from dockline.stack.deploy import (
    RESOLVE_CHOICES,
    DeployOptions,
    DeployResult,
    RemoveResult,
    deploy_stack,
    remove_stack,
    rollback_stack,
    stack_status,
)
from dockline.stack.hooks import Hook
from dockline.stack.model import Plan
from dockline.stack.wait import Converged, ProgressSnapshot, ServiceState


def _duration(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    try:
        return parse_duration(value, "--timeout")
    except ConfigError as e:
        raise UsageError(f"--timeout: {e}") from e


def _apply_options(f: Any) -> Any:
    for opt in reversed([
        click.option("--prune/--no-prune", default=None,
                     help="Remove services no longer in the file [default: deploy.prune, true]."),
        click.option("--with-registry-auth/--no-registry-auth", default=None,
                     help="Send registry credentials to the swarm agents [default: deploy.with_registry_auth, true]."),
        click.option("--resolve-image", type=click.Choice(RESOLVE_CHOICES), default=None,
                     help="Resolve image digests against the registry [default: deploy.resolve_image, always]."),
        click.option("--timeout", default=None, callback=_duration,
                     help="Deadline of the wait for a verdict, e.g. 90s, 5m [default: deploy.timeout, 5m]."),
        click.option("--placement-check/--no-placement-check", default=True, show_default=True,
                     help="Refuse before applying when no node matches a placement constraint."),
        click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout."),
    ]):
        f = opt(f)
    return f


def _options(prune: bool | None, with_registry_auth: bool | None, resolve_image: str | None, timeout: Any,
             placement_check: bool, dry_run: bool = False, hooks: tuple[Hook, ...] = (),
             run_hooks: bool = True) -> DeployOptions:
    """Flags win over the settings (defaults < dockline.yaml < DOCKLINE_DEPLOY_* environment)."""
    settings = load_settings().deploy
    return DeployOptions(
        prune=settings.prune if prune is None else prune,
        with_registry_auth=settings.with_registry_auth if with_registry_auth is None else with_registry_auth,
        resolve_image=resolve_image or settings.resolve_image,
        timeout=settings.timeout if timeout is None else timeout,
        dry_run=dry_run, hooks=hooks, run_hooks=run_hooks, placement_check=placement_check)


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
               pre_hook: tuple[str, ...], post_hook: tuple[str, ...], no_hooks: bool, prune: bool,
               with_registry_auth: bool, resolve_image: str | None, timeout: Any, placement_check: bool,
               as_json: bool, no_route: bool) -> None:
    """Deploy stack NAME from compose files and wait until it is healthy (or not)."""
    hooks = tuple(Hook.from_value("pre", h, "--pre-hook") for h in pre_hook) + tuple(
        Hook.from_value("post", h, "--post-hook") for h in post_hook)
    options = _options(prune, with_registry_auth, resolve_image, timeout, placement_check, dry_run, hooks,
                       not no_hooks)
    engine = Engine.connect()
    with _Progress(enabled=not as_json) as progress:
        result = deploy_stack(engine, name, files, env_files=env_files, options=options,
                              on_progress=progress.update, on_event=progress.say)
    _report(result, as_json)
    if result.exit_code:
        click.get_current_context().exit(result.exit_code)
    if result.outcome is not None and not no_route and load_settings().deploy.route:
        route_after_deploy(engine, name)  # after the stack is healthy (the talk's order)


@click.command("rollback")
@click.argument("name")
@click.option("--to", "to_version", type=int, default=None, help="The recorded version to redeploy.")
@_apply_options
@no_route_option
def rollback_cmd(name: str, to_version: int | None, prune: bool, with_registry_auth: bool,
                 resolve_image: str | None, timeout: Any, placement_check: bool, as_json: bool,
                 no_route: bool) -> None:
    """Redeploy the previous recorded version of stack NAME (see `dockline history`), then
    route it again like `deploy` does (its routes are those of the version rolled back to)."""
    options = _options(prune, with_registry_auth, resolve_image, timeout, placement_check, run_hooks=False)
    engine = Engine.connect()
    with _Progress(enabled=not as_json) as progress:
        result = rollback_stack(engine, name, to_version=to_version, options=options,
                                on_progress=progress.update, on_event=progress.say)
    _report(result, as_json)
    if result.exit_code:
        click.get_current_context().exit(result.exit_code)
    if not no_route and load_settings().deploy.route:
        route_after_deploy(engine, name)  # the labels are the old version's: its routes come back


@click.command("rm")
@click.argument("name")
@click.option("--timeout", default="2m", show_default=True, callback=_duration,
              help="How long to wait for everything to be gone.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
@no_route_option
def rm_cmd(name: str, timeout: Any, as_json: bool, no_route: bool) -> None:
    """Remove stack NAME and wait until its services, tasks and networks are gone."""
    engine = Engine.connect()
    if not no_route:
        unroute_before_rm(engine, name)  # detach its routes first, then remove
    result = remove_stack(engine, name, timeout)
    _report_rm(result, as_json)
    if not result.complete:
        click.get_current_context().exit(1)


@click.command("status")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON on stdout.")
def status_cmd(name: str | None, as_json: bool) -> None:
    """Stacks, their services, tasks, health and recorded version."""
    engine = Engine.connect()
    engine.require_manager()
    stacks = stack_status(engine, name)
    if as_json:
        output.emit_json([asdict(s) for s in stacks])
        return
    if name and not stacks:
        output.info(f"no stack named {name}")
        return
    rows = []
    for st in stacks:
        for svc in st.services:
            s = svc.state
            rows.append([st.name, svc.name, svc.image, f"{s.running}/{s.desired}", s.healthy, s.verdict,
                         s.update_state or "", ", ".join(svc.ports), st.version or "", st.outcome or ""])
    output.table(None, ["stack", "service", "image", "running", "healthy", "state", "update", "ports",
                        "version", "recorded"], rows)
    tasks = [[svc.name, t.id[:12], t.slot or "", t.node_id[:12] if t.node_id else "", t.state, t.desired_state,
              "current" if t.current else "previous", t.error or ""]
             for st in stacks for svc in st.services for t in svc.tasks]
    if tasks:
        output.table("tasks", ["service", "task", "slot", "node", "state", "desired", "spec", "error"], tasks)


@click.command("history")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the records as JSON on stdout.")
def history_cmd(name: str, as_json: bool) -> None:
    """Deploys of stack NAME recorded in the swarm (newest last)."""
    engine = Engine.connect()
    engine.require_manager()
    records = history.list_records(engine, name)
    if as_json:
        output.emit_json([asdict(r) for r in records])
        return
    output.table(None, ["version", "created", "outcome", "source", "record"],
                 [[r.version, r.created_at.isoformat(timespec="seconds") if r.created_at else "", r.outcome,
                   r.source, r.config_name] for r in records])


# --------------------------------------------------------------------------- rendering
class _Progress:
    """Live per-service progress on stderr (a rich table on a terminal, lines otherwise)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.live: Any = None
        self._last: dict[str, tuple[Any, ...]] = {}

    def __enter__(self) -> Self:
        if self.enabled and output.is_tty():
            from rich.live import Live

            self.live = Live(console=output.err_console(), refresh_per_second=8, transient=False)
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.__exit__(None, None, None)

    def say(self, message: str) -> None:
        if self.enabled:
            output.info(message)

    def update(self, snap: ProgressSnapshot) -> None:
        if not self.enabled:
            return
        if self.live is not None:
            from rich.table import Table

            t = Table(title=f"waiting ({format_duration(snap.elapsed)})", header_style="bold")
            for col in ("service", "desired", "running", "healthy", "update", "state", "last error / health"):
                t.add_column(col, overflow="fold")
            for s in snap.services:
                t.add_row(s.name, str(s.desired), str(s.running), str(s.healthy), s.update_state or "-",
                          s.verdict, s.last_error or s.last_health_output or "")
            self.live.update(t)
            return
        for s in snap.services:
            key = (s.desired, s.running, s.healthy, s.update_state, s.verdict, s.last_error)
            if self._last.get(s.name) != key:
                self._last[s.name] = key
                err = f", last error: {s.last_error}" if s.last_error else ""
                output.info(f"  {s.name}: {s.running}/{s.desired} running, {s.healthy} healthy, "
                            f"update {s.update_state or '-'}, {s.verdict}{err} [{format_duration(snap.elapsed)}]")


def _plan_dict(plan: Plan) -> dict[str, Any]:
    return asdict(plan)


def _print_plan(plan: Plan) -> None:
    for ch in plan.services:
        digest = f" ({ch.image_digest})" if ch.image_digest else ""
        fields = f": {', '.join(ch.changed_fields)}" if ch.changed_fields else ""
        output.info(f"  service {plan.stack}_{ch.service}: {ch.action}{fields}  image {ch.image}{digest}")
    for ob in plan.objects:
        output.info(f"  {ob.kind} {ob.key}: {'new version' if ob.action == 'create' else 'unchanged'} {ob.name}")
    if not plan.has_changes:
        output.info("  no changes")


def _state_dict(s: ServiceState) -> dict[str, Any]:
    return asdict(s)


def result_dict(result: DeployResult) -> dict[str, Any]:
    """The JSON form of a deploy (no secret value is in it: secrets appear by name)."""
    o = result.outcome
    return {
        "stack": result.stack,
        "version": result.version,
        "dry_run": o is None,
        "outcome": o.kind if o is not None else None,
        "exit_code": result.exit_code,
        "elapsed": result.elapsed,
        "services": [_state_dict(s) for s in o.services] if o is not None else [],
        "reasons": list(getattr(o, "reasons", ())),
        "plan": _plan_dict(result.plan),
        "warnings": list(result.warnings),
        "collected": list(result.collected),
        "hooks": [{"phase": h.hook.phase, "command": h.hook.describe(), "exit_code": h.exit_code,
                   "output": h.output} for h in result.hooks],
    }


def _report(result: DeployResult, as_json: bool) -> None:
    if as_json:
        output.emit_json(result_dict(result))
        return
    for w in result.warnings:
        output.warn(w)
    o = result.outcome
    if o is None:
        output.info(f"plan for stack {result.stack} (dry run, nothing changed):")
        _print_plan(result.plan)
        return
    for h in result.hooks:
        if not h.ok:
            output.failure(f"{h.hook.phase}-deploy hook failed (exit {h.exit_code}): {h.hook.describe()}")
        if h.output:
            output.info("\n".join(f"  {h.hook.phase}-hook| {line}" for line in h.output[-2000:].splitlines()))
    if isinstance(o, Converged):
        gone = f"; removed unused {', '.join(result.collected)}" if result.collected else ""
        output.success(f"stack {result.stack} version {result.version} is healthy "
                       f"({len(o.services)} services, {format_duration(result.elapsed)}){gone}")
        return
    headline = {"failed": "failed", "rolled_back": "was rolled back by the swarm",
                "timed_out": "did not converge in time"}[o.kind]
    output.failure(f"stack {result.stack} version {result.version} {headline}")
    for s in o.services:
        if s.verdict == "converged":
            continue
        output.failure(s.reason or f"{s.name}: {s.verdict}")
        output.info(f"    {s.running}/{s.desired} running, {s.healthy} healthy, update {s.update_state or '-'}"
                    + (f" ({s.update_message})" if s.update_message else ""))
        if s.last_error:
            output.info(f"    last task error: {s.last_error}")
        if s.last_health_output:
            health = s.last_health_output.replace("\n", "\n      ")
            output.info(f"    last healthcheck output: {health}")
    if o.kind == "rolled_back":
        output.info(f"the previous version still serves; see `dockline history {result.stack}`")


def _report_rm(result: RemoveResult, as_json: bool) -> None:
    if as_json:
        output.emit_json({**asdict(result), "complete": result.complete})
        return
    if not (result.services or result.networks or result.configs or result.secrets or result.records):
        output.info(f"nothing found in stack {result.stack}")
        return
    if result.complete:
        output.success(f"stack {result.stack} removed: {len(result.services)} services, "
                       f"{len(result.networks)} networks, {len(result.configs)} configs, "
                       f"{len(result.secrets)} secrets, {result.records} deploy records "
                       f"({format_duration(result.elapsed)})")
    else:
        output.failure(f"stack {result.stack} not fully removed after {format_duration(result.elapsed)}: "
                       + ", ".join(result.leftovers))


def register(cli: click.Group) -> None:
    for cmd in (deploy_cmd, rm_cmd, status_cmd, history_cmd, rollback_cmd):
        cli.add_command(cmd)
