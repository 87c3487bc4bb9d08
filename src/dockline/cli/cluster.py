"""``dockline cluster risk | status | label``.

The numbers are ``cluster/`` (``risk.py``, ``live.py``, ``labels.py``); how they read is
``cli/_render_cluster.py``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from dockline import output
from dockline.cli._options import DURATION, POSITIVE_DURATION
from dockline.errors import BadInputError, ConfigError, QuorumLost, UsageError


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


def _per_call(timeout: timedelta, most: float) -> timedelta:
    """The engine's per-request timeout: half the total, between 1 s and ``most``."""
    return timedelta(seconds=max(1.0, min(most, timeout.total_seconds() / 2)))


@click.group("cluster")
def cluster_group() -> None:
    """The swarm: quorum risk, node status, node labels."""


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
    from dockline.cli._render_cluster import render_risk, risk_json
    from dockline.cluster.risk import risk_report

    ps = _numbers(p_opt, float, "--p")
    managers = _numbers(managers_opt, int, "--managers")
    if (zones is None) != (zone_p is None):
        raise UsageError("--zones and --zone-p go together")
    counts = _numbers((zones,), int, "--zones") if zones is not None else None
    report = risk_report(managers, ps, tolerance, target=target, zones=counts, zone_p=zone_p)
    if as_json:
        output.emit_json(risk_json(report))
    else:
        render_risk(report)


@cluster_group.command("status")
@click.option("-p", "--p", "p", type=float, default=None,
              help="One node's failure probability: show the quorum-loss risk for it.")
@click.option("--timeout", type=POSITIVE_DURATION, default="20s", show_default=True,
              help="How long to wait for the swarm in total, e.g. 20s (it never hangs longer).")
@click.option("--json", "as_json", is_flag=True, help="Machine output on stdout.")
def status(p: float | None, timeout: timedelta, as_json: bool) -> None:
    """Nodes, managers and quorum of the swarm at DOCKER_HOST.

    Exit 3 when the swarm has lost quorum (no leader), within --timeout.
    """
    from dockline.cli._render_cluster import render_report, report_json
    from dockline.cluster.live import QUORUM_HINT, read_report
    from dockline.engine import Engine

    if p is not None and not 0 <= p <= 1:
        raise BadInputError(f"--p is a probability, got {p}")
    eng = Engine.connect(timeout=_per_call(timeout, 8.0))
    try:
        report = read_report(eng, p=p, timeout=timeout)
    except QuorumLost as e:
        if as_json:
            output.emit_json({"quorum": {"lost": True}, "error": e.message})
        raise
    finally:
        eng.close()
    if as_json:
        output.emit_json(report_json(report))
    else:
        render_report(report)
    q = report.quorum
    if q.lost:
        raise QuorumLost(
            f"quorum lost: {q.reachable} of {q.managers} managers reachable, {q.needed} needed; "
            "no change can be made to the swarm",
            QUORUM_HINT,
        )


@cluster_group.command("label")
@click.option("-f", "--file", "path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="YAML file: nodes: {node: {label: value}}.")
@click.option("--prune", is_flag=True, help="Remove labels of the listed nodes that the file omits.")
@click.option("--dry-run", is_flag=True, help="Show the diff, change nothing.")
@click.option("--timeout", type=DURATION, default="20s", show_default=True,
              help="How long to wait for the swarm in total, e.g. 20s.")
@click.option("--json", "as_json", is_flag=True, help="Machine output on stdout.")
def label(path: Path, prune: bool, dry_run: bool, timeout: timedelta, as_json: bool) -> None:
    """Make node labels match a file: show the diff, then apply it (idempotent)."""
    from dockline.cli._render_cluster import labels_json, render_labels
    from dockline.cluster.labels import load_label_file, plan_labels
    from dockline.cluster.live import apply_labels, read_nodes
    from dockline.engine import Engine

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"cannot read {path}: {e.strerror}") from e
    declared = load_label_file(text, str(path))
    eng = Engine.connect(timeout=_per_call(timeout, 10.0))
    try:
        nodes, _ = read_nodes(eng, timeout)
        plans = plan_labels(declared, nodes, prune=prune)
        changed = [pl for pl in plans if pl.changed]
        if not dry_run:
            apply_labels(eng, changed)
    finally:
        eng.close()
    if as_json:
        output.emit_json(labels_json(plans, dry_run, changed))
    else:
        render_labels(path, dry_run, changed)


def register(cli: click.Group) -> None:
    cli.add_command(cluster_group)
