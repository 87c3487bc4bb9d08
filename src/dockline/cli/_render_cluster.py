"""How ``dockline cluster risk | status | label`` read: tables and lines for people, the JSON
for machines. Rendering only: the numbers come from ``cluster/``."""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dockline import output
from dockline.cluster import quorum
from dockline.cluster.risk import FORMULA

if TYPE_CHECKING:
    from dockline.cluster.labels import NodeLabelPlan
    from dockline.cluster.nodes import ClusterReport
    from dockline.cluster.risk import RiskReport


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


def _asdict(x: object) -> dict[str, Any]:
    assert is_dataclass(x) and not isinstance(x, type)
    return asdict(x)


# --------------------------------------------------------------------------- risk
def risk_json(report: RiskReport) -> dict[str, Any]:
    return {
        "formula": FORMULA,
        "rows": [
            {"managers": r.managers, "tolerance": r.tolerance, "p": r.p, "slide": r.slide,
             "exact": r.exact, "ratio": r.ratio, "misleads": r.misleads, "even": r.even}
            for r in report.rows
        ],
        "slide_exceeds_one_above": {str(n): t for n, t in report.slide_exceeds_one_above.items()},
        "even_penalties": list(report.even_penalties),
        "rank_misleads": list(report.rank_misleads),
        "recommendations": [{"kind": type(x).__name__.lower(), **_asdict(x)} for x in report.recommendations],
        "zones": None if report.zones is None else list(report.zones),
    }


def render_risk(report: RiskReport) -> None:
    rows, thresholds = report.rows, report.slide_exceeds_one_above
    evens, ranks, recs, zone = report.even_penalties, report.rank_misleads, report.recommendations, report.zones
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
    for z in zone or ():
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


# --------------------------------------------------------------------------- status
def report_json(r: ClusterReport) -> dict[str, Any]:
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


def render_report(r: ClusterReport) -> None:
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
def labels_json(plans: list[NodeLabelPlan], dry_run: bool, changed: list[NodeLabelPlan]) -> dict[str, Any]:
    from dockline.cluster.labels import render_change

    return {
        "dry_run": dry_run,
        "applied": not dry_run and bool(changed),
        "nodes": [{"node": pl.node.hostname, "id": pl.node.id,
                   "changes": [render_change(c) for c in pl.changes],
                   "labels": dict(pl.desired)} for pl in plans],
    }


def render_labels(path: Path, dry_run: bool, changed: list[NodeLabelPlan]) -> None:
    from dockline.cluster.labels import render_change

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
