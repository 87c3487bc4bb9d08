"""``dockline cluster risk | status | label``."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from dockline import output
from dockline.cluster import quorum
from dockline.cluster.labels import load_label_file, plan_labels, render_change
from dockline.cluster.live import (
    QUORUM_HINT,
    apply_labels,
    read_nodes,
    read_report,
)
from dockline.cluster.nodes import ClusterReport
from dockline.errors import BadInputError, ConfigError, QuorumLost, UsageError

DEFAULT_PS = (0.01, 0.05, 0.1)
FORMULA = "slide: C(N, K+1)·P^(K+1)    exact: Σ_{i=K+1..N} C(N,i)·P^i·(1-P)^(N-i)    K = (N-1)//2"


def _numbers(values: tuple[str, ...], kind: type, what: str) -> list[Any]:
    out = []
    for v in values:
        for part in v.split(","):
            part = part.strip()
            if not part:
                continue
            try:
                out.append(kind(part))
            except ValueError:
                raise UsageError(f"{what}: {part!r} is not a number") from None
    return out


def fmt(x: float) -> str:
    """Probabilities: 4 decimals from 0.001 up, scientific below."""
    if x == 0:
        return "0"
    if x >= 0.001:
        return f"{x:.4f}"
    return f"{x:.3e}"


def _row_note(r: quorum.RiskRow) -> str:
    notes = []
    if r.slide_above_one:
        notes.append("slide > 1: not a probability")
    elif r.misleads and r.ratio is not None:
        notes.append(f"slide overstates by {100 * (r.ratio - 1):.0f}%")
    if r.even and r.tolerance == quorum.default_tolerance(r.managers):
        notes.append(f"even: same K as N={r.managers - 1}, more risk")
    return "; ".join(notes)


@click.group("cluster")
def cluster_group() -> None:
    """The swarm: quorum risk, node status, node labels."""


# --------------------------------------------------------------------------- risk
@cluster_group.command("risk")
@click.option("-n", "--managers", "managers_opt", multiple=True, metavar="N[,N...]",
              help="Manager counts (default 1..9).")
@click.option("-k", "--tolerance", type=int, default=None, help="Tolerance K (default (N-1)//2).")
@click.option("-p", "--p", "p_opt", multiple=True, metavar="P[,P...]",
              help="One node's failure probability (default 0.01, 0.05, 0.1).")
@click.option("--target", type=float, default=None,
              help="Recommend the smallest odd N whose exact risk is at most this.")
@click.option("--zones", default=None, metavar="A,B,...",
              help="Managers per failure zone (e.g. 2,2,1) for correlated failures.")
@click.option("--zone-p", type=float, default=None, help="Probability that a whole zone fails.")
@click.option("--json", "as_json", is_flag=True, help="Machine output on stdout.")
def risk(managers_opt: tuple[str, ...], tolerance: int | None, p_opt: tuple[str, ...],
         target: float | None, zones: str | None, zone_p: float | None, as_json: bool) -> None:
    """Quorum-loss risk: the talk's formula next to the exact binomial tail.

    No engine needed. The slide's C(N, K+1)·P^(K+1) is a union bound: it is never below
    the exact value and exceeds 1 for large P.
    """
    ps = _numbers(p_opt, float, "--p") or list(DEFAULT_PS)
    managers = _numbers(managers_opt, int, "--managers")
    if not managers:
        managers = quorum.managers_for_tolerance(tolerance) if tolerance is not None else list(range(1, 10))
        if not managers:
            raise BadInputError(f"no manager count from 1 to 9 tolerates K={tolerance}")
    if (zones is None) != (zone_p is None):
        raise UsageError("--zones and --zone-p go together")
    rows = quorum.risk_table(managers, ps, tolerance)
    thresholds = {
        n: quorum.slide_exceeds_one_above(n, quorum.default_tolerance(n) if tolerance is None else tolerance)
        for n in sorted(set(managers)) if n > 1
    }
    evens = quorum.even_penalties(rows)
    ranks = quorum.rank_misleads(ps)
    recs = [quorum.recommend_managers(p, target) for p in ps] if target is not None else []
    zone = None
    if zones is not None and zone_p is not None:
        counts = _numbers((zones,), int, "--zones")
        zone = [quorum.zone_risk(counts, zone_p, p) for p in ps]

    if as_json:
        output.emit_json({
            "formula": FORMULA,
            "rows": [
                {"managers": r.managers, "tolerance": r.tolerance, "p": r.p, "slide": r.slide,
                 "exact": r.exact, "ratio": r.ratio, "misleads": r.misleads, "even": r.even}
                for r in rows
            ],
            "slide_exceeds_one_above": {str(n): t for n, t in thresholds.items()},
            "even_penalties": evens,
            "rank_misleads": ranks,
            "recommendations": [{"kind": type(x).__name__.lower(), **_asdict(x)} for x in recs],
            "zones": zone,
        })
        return

    output.info(FORMULA)
    output.table(
        None,
        ["P", "N", "K", "slide", "exact", "slide/exact", "note"],
        [[f"{r.p:g}", r.managers, r.tolerance, fmt(r.slide), fmt(r.exact),
          "-" if r.ratio is None else f"{r.ratio:.3f}", _row_note(r)] for r in rows],
    )
    if any(r.misleads for r in rows):
        output.warn(
            "the slide's value is a union bound: it counts every set of K+1 failed managers once, "
            "so cases with more failures are counted several times; it is never below the exact "
            "risk and is misleading where marked"
        )
    for n, t in thresholds.items():
        if t < 1:
            output.info(f"N={n}: the slide's value exceeds 1 for P > {t:.3f}")
    for e in evens:
        output.info(
            f"N={e.managers} (even) tolerates no more than N={e.managers - 1} but its risk at "
            f"P={e.p:g} is {fmt(e.risk)} against {fmt(e.risk_one_less)}: an even count adds risk"
        )
    for m in ranks:
        output.info(
            f"P={m.p:g}: the slide ranks N={m.managers + 2} no safer than N={m.managers} "
            f"({fmt(m.slide[1])} vs {fmt(m.slide[0])}); exactly it is ({fmt(m.exact[1])} vs "
            f"{fmt(m.exact[0])})"
        )
    for rec in recs:
        if isinstance(rec, quorum.Recommended):
            line = (f"P={rec.p:g}, target {rec.target:g}: run {rec.managers} manager(s) "
                    f"(exact risk {fmt(rec.risk)})")
            if rec.slide_managers != rec.managers:
                line += f"; the slide's formula would ask for {rec.slide_managers or 'more than 99'}"
            output.success(line)
            if rec.above_docker_limit:
                output.warn(f"Docker recommends at most {quorum.DOCKER_MAX_MANAGERS} managers: "
                            "make the nodes more reliable instead")
        else:
            output.failure(f"P={rec.p:g}, target {rec.target:g}: {rec.reason} "
                           f"(best: N={rec.best_managers}, {fmt(rec.best_risk)})")
    for z in zone or []:
        spread = "+".join(str(c) for c in z.zones)
        output.info(
            f"zones {spread} (zone failure {z.zone_p:g}, node P={z.node_p:g}): quorum-loss risk "
            f"{fmt(z.risk)} (independent failures only: {fmt(z.independent_risk)})"
        )
        if z.majority_zones:
            if z.managers >= 3:
                better = "+".join(str(c) for c in quorum.spread_managers(z.managers, max(3, len(z.zones))))
                advice = f"spread them as {better}"
            else:
                advice = "run at least 3 managers in 3 zones"
            output.warn(
                f"zone(s) {', '.join('#' + str(i + 1) for i in z.majority_zones)} hold more than "
                f"K={z.tolerance} managers: losing one of them loses quorum (risk "
                f"{fmt(z.majority_zone_risk)}); {advice}"
            )


def _asdict(x: object) -> dict[str, Any]:
    from dataclasses import asdict, is_dataclass

    assert is_dataclass(x) and not isinstance(x, type)
    return asdict(x)


# --------------------------------------------------------------------------- status
@cluster_group.command("status")
@click.option("-p", "--p", "p", type=float, default=None,
              help="One node's failure probability: show the quorum-loss risk for it.")
@click.option("--timeout", type=float, default=20.0, show_default=True,
              help="Seconds to wait for the swarm in total (it never hangs longer).")
@click.option("--json", "as_json", is_flag=True, help="Machine output on stdout.")
def status(p: float | None, timeout: float, as_json: bool) -> None:
    """Nodes, managers and quorum of the swarm at DOCKER_HOST.

    Exit 3 when the swarm has lost quorum (no leader), within --timeout.
    """
    from dockline.engine import Engine

    if p is not None and not 0 <= p <= 1:
        raise BadInputError(f"--p is a probability, got {p}")
    if timeout <= 0:
        raise UsageError("--timeout must be positive")
    per_call = timedelta(seconds=max(1.0, min(8.0, timeout / 2)))
    eng = Engine.connect(timeout=per_call)
    try:
        report = read_report(eng, p=p, timeout=timedelta(seconds=timeout))
    except QuorumLost as e:
        if as_json:
            output.emit_json({"quorum": {"lost": True}, "error": e.message})
        raise
    finally:
        eng.close()
    if as_json:
        output.emit_json(_report_json(report))
    else:
        _render_report(report)
    q = report.quorum
    if q.lost:
        raise QuorumLost(
            f"quorum lost: {q.reachable} of {q.managers} managers reachable, {q.needed} needed; "
            "no change can be made to the swarm",
            QUORUM_HINT,
        )


def _report_json(r: ClusterReport) -> dict[str, Any]:
    q = r.quorum
    return {
        "nodes": [
            {"id": n.id, "hostname": n.hostname, "role": n.role, "availability": n.availability,
             "state": n.state, "addr": n.addr, "engine_version": n.engine_version,
             "leader": bool(n.manager and n.manager.leader),
             "reachability": n.manager.reachability if n.manager else None,
             "labels": dict(n.labels), "running_tasks": r.running_tasks.get(n.id, 0)}
            for n in r.nodes
        ],
        "quorum": {"managers": q.managers, "reachable": q.reachable, "tolerance": q.tolerance,
                   "needed": q.needed, "margin": q.margin, "leader": q.leader, "lost": q.lost},
        "risk": None if r.risk is None else {"p": r.risk.p, "slide": r.risk.slide, "exact": r.risk.exact},
        "warnings": [{"code": w.code, "message": w.message} for w in r.warnings],
    }


def _render_report(r: ClusterReport) -> None:
    rows = []
    for n in sorted(r.nodes, key=lambda n: (n.role != "manager", n.hostname)):
        if n.manager is None:
            mgr = ""
        elif n.manager.leader:
            mgr = "leader"
        else:
            mgr = n.manager.reachability
        labels = ", ".join(f"{k}={v}" for k, v in sorted(n.labels.items()))
        rows.append([n.hostname, n.id[:12], n.role, n.availability, n.state, mgr, n.engine_version,
                     r.running_tasks.get(n.id, 0), labels])
    output.table(None, ["node", "id", "role", "availability", "state", "manager", "engine", "tasks",
                        "labels"], rows)
    q = r.quorum
    line = (f"quorum: {q.managers} manager(s), {q.reachable} reachable, {q.needed} needed, "
            f"tolerance {q.tolerance}, margin {q.margin}, leader {q.leader or 'none'}")
    if r.risk is not None:
        line += f"; risk at P={r.risk.p:g}: exact {fmt(r.risk.exact)} (slide {fmt(r.risk.slide)})"
    output.info(line)
    for w in r.warnings:
        output.warn(w.message)


# --------------------------------------------------------------------------- label
@cluster_group.command("label")
@click.option("-f", "--file", "path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="YAML file: nodes: {node: {label: value}}.")
@click.option("--prune", is_flag=True, help="Remove labels of the listed nodes that the file omits.")
@click.option("--dry-run", is_flag=True, help="Show the diff, change nothing.")
@click.option("--timeout", type=float, default=20.0, show_default=True,
              help="Seconds to wait for the swarm in total.")
@click.option("--json", "as_json", is_flag=True, help="Machine output on stdout.")
def label(path: Path, prune: bool, dry_run: bool, timeout: float, as_json: bool) -> None:
    """Make node labels match a file: show the diff, then apply it (idempotent)."""
    from dockline.engine import Engine

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"cannot read {path}: {e.strerror}") from e
    declared = load_label_file(text, str(path))
    eng = Engine.connect(timeout=timedelta(seconds=max(1.0, min(10.0, timeout / 2))))
    try:
        nodes, _ = read_nodes(eng, timedelta(seconds=timeout))
        plans = plan_labels(declared, nodes, prune=prune)
        changed = [pl for pl in plans if pl.changed]
        if not dry_run:
            apply_labels(eng, changed)
    finally:
        eng.close()
    if as_json:
        output.emit_json({
            "dry_run": dry_run,
            "applied": not dry_run and bool(changed),
            "nodes": [{"node": pl.node.hostname, "id": pl.node.id,
                       "changes": [render_change(c) for c in pl.changes],
                       "labels": dict(pl.desired)} for pl in plans],
        })
        return
    for pl in changed:
        output.info(f"{pl.node.hostname} ({pl.node.id[:12]})")
        for c in pl.changes:
            output.info(f"  {render_change(c)}")
    if not changed:
        output.success(f"node labels already match {path}: nothing to change")
    elif dry_run:
        output.info(f"dry run: {len(changed)} node(s) would change; nothing was applied")
    else:
        output.success(f"labels applied on {len(changed)} node(s)")


def register(cli: click.Group) -> None:
    cli.add_command(cluster_group)
