"""How ``deploy``, ``rollback``, ``rm``, ``status`` and ``history`` read: live progress, the
report (for people or as JSON) and the tables. Rendering only: no engine, no decisions."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Self

from dockline import output
from dockline.durations import format_duration

if TYPE_CHECKING:
    from dockline.stack.deploy import DeployResult, RemoveResult, StackStatus
    from dockline.stack.model import HistoryRecord, Plan
    from dockline.swarm.wait import ProgressSnapshot, ServiceState


class Progress:
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
        self.close()

    def close(self) -> None:
        """End the live table (once)."""
        if self.live is not None:
            self.live.__exit__(None, None, None)
            self.live = None

    def finished(self, result: DeployResult, as_json: bool) -> None:
        """The deploy is over: end the live table, then print the report."""
        self.close()
        report(result, as_json)

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


def report(result: DeployResult, as_json: bool) -> None:
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
    from dockline.swarm.wait import Converged

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


def report_rm(result: RemoveResult, as_json: bool) -> None:
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


def status_tables(stacks: list[StackStatus]) -> None:
    """``dockline status``: services, then their tasks."""
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


def history_table(records: list[HistoryRecord]) -> None:
    """``dockline history``: one row per recorded deploy."""
    output.table(None, ["version", "created", "outcome", "source", "record"],
                 [[r.version, r.created_at.isoformat(timespec="seconds") if r.created_at else "", r.outcome,
                   r.source, r.config_name] for r in records])
