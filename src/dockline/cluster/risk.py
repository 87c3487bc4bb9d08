"""``dockline cluster risk`` as data: the quorum maths of ``quorum.py`` for a set of manager
counts and failure probabilities, in one report (pure; the CLI renders it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dockline.cluster import quorum
from dockline.errors import BadInputError

DEFAULT_PS = (0.01, 0.05, 0.1)
FORMULA = "slide: C(N, K+1)·P^(K+1)    exact: Σ_{i=K+1..N} C(N,i)·P^i·(1-P)^(N-i)    K = (N-1)//2"


@dataclass(frozen=True)
class RiskReport:
    """The slide's formula next to the exact binomial tail, and what follows from them."""

    rows: tuple[quorum.RiskRow, ...]
    slide_exceeds_one_above: dict[int, float]  # managers -> P above which the slide exceeds 1
    even_penalties: tuple[quorum.EvenPenalty, ...]
    rank_misleads: tuple[quorum.RankMisleads, ...]
    recommendations: tuple[quorum.Recommended | quorum.Unreachable, ...]  # with a target only
    zones: tuple[quorum.ZoneRisk, ...] | None  # with zones only


def risk_report(managers: Sequence[int], ps: Sequence[float], tolerance: int | None = None, *,
                target: float | None = None, zones: Sequence[int] | None = None,
                zone_p: float | None = None) -> RiskReport:
    """The report for ``managers`` (empty: 1..9, or the counts that tolerate ``tolerance``) and
    ``ps`` (empty: ``DEFAULT_PS``). Raises ``BadInputError`` (exit 2) on impossible input."""
    ps = list(ps) or list(DEFAULT_PS)
    counts = list(managers)
    if not counts:
        counts = quorum.managers_for_tolerance(tolerance) if tolerance is not None else list(range(1, 10))
        if not counts:
            raise BadInputError(f"no manager count from 1 to 9 tolerates K={tolerance}")
    rows = quorum.risk_table(counts, ps, tolerance)
    thresholds = {
        n: quorum.slide_exceeds_one_above(n, quorum.default_tolerance(n) if tolerance is None else tolerance)
        for n in sorted(set(counts)) if n > 1
    }
    recs = tuple(quorum.recommend_managers(p, target) for p in ps) if target is not None else ()
    zone = None
    if zones is not None and zone_p is not None:
        zone = tuple(quorum.zone_risk(zones, zone_p, p) for p in ps)
    return RiskReport(tuple(rows), thresholds, tuple(quorum.even_penalties(rows)), tuple(quorum.rank_misleads(ps)),
                      recs, zone)
