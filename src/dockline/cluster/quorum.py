"""Raft quorum maths: the talk's risk formula next to the exact binomial tail.

The talk estimates the probability that a swarm with ``N`` managers loses Raft quorum
(more than ``K`` managers down, ``K = (N-1)//2``) as ``C(N, K+1) * P**(K+1)``, where ``P``
is one node's failure probability. That is a union bound over the ``C(N, K+1)`` sets of
``K+1`` managers: it counts the cases where more than ``K+1`` fail several times, so it
is always at least the exact value

    sum_{i=K+1..N} C(N, i) * P**i * (1-P)**(N-i)

and for large ``P`` it is not a probability at all (above 1 for ``P > 1/sqrt(3) ~ 0.577``
at ``N = 3``). Everything here is pure and exact (``math.comb``), no engine.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from dockline.errors import BadInputError

#: The slide's value "misleads" when it overstates the exact risk by more than this factor
#: (or is above 1). Below it the slide is a fair approximation of the leading term.
MISLEADS_RATIO = 1.10
#: Docker recommends at most seven managers (Raft traffic grows with each one).
DOCKER_MAX_MANAGERS = 7
MAX_MANAGERS = 99
MAX_ZONES = 12


# --------------------------------------------------------------------------- basics
def default_tolerance(managers: int) -> int:
    """How many managers a swarm of ``managers`` can lose and keep quorum: ``(N-1)//2``."""
    _check_managers(managers)
    return (managers - 1) // 2


def majority(managers: int) -> int:
    """Managers that must be reachable for quorum: ``N//2 + 1``."""
    _check_managers(managers)
    return managers // 2 + 1


def slide_risk(managers: int, tolerance: int, p: float) -> float:
    """The talk's estimate ``C(N, K+1) * P**(K+1)`` (a union bound; may exceed 1)."""
    _check(managers, tolerance, p)
    return math.comb(managers, tolerance + 1) * p ** (tolerance + 1)


def exact_risk(managers: int, tolerance: int, p: float) -> float:
    """Probability that more than ``tolerance`` of ``managers`` independent nodes fail."""
    _check(managers, tolerance, p)
    return _tail(managers, tolerance + 1, p)


def slide_exceeds_one_above(managers: int, tolerance: int) -> float:
    """The ``P`` above which the slide's value is greater than 1 (not a probability)."""
    _check(managers, tolerance, 0.0)
    return float(math.comb(managers, tolerance + 1) ** (-1.0 / (tolerance + 1)))


def _tail(n: int, at_least: int, p: float) -> float:
    """P(X >= at_least) for X ~ Binomial(n, p)."""
    if at_least <= 0:
        return 1.0
    return math.fsum(math.comb(n, i) * p**i * (1.0 - p) ** (n - i) for i in range(at_least, n + 1))


def _check_managers(managers: int) -> None:
    if isinstance(managers, bool) or not isinstance(managers, int) or not 1 <= managers <= MAX_MANAGERS:
        raise BadInputError(
            f"managers must be a whole number from 1 to {MAX_MANAGERS}, got {managers!r}"
        )


def _check_p(p: float, what: str = "P") -> None:
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0 or math.isnan(p):
        raise BadInputError(f"{what} is a probability: it must be between 0 and 1, got {p!r}")


def _check(managers: int, tolerance: int, p: float) -> None:
    _check_managers(managers)
    _check_p(p)
    top = (managers - 1) // 2
    if isinstance(tolerance, bool) or not isinstance(tolerance, int) or not 0 <= tolerance <= top:
        raise BadInputError(
            f"tolerance K={tolerance!r} is impossible for {managers} manager(s): Raft tolerates "
            f"at most (N-1)//2 = {top}",
            "leave K out to use (N-1)//2",
        )


# --------------------------------------------------------------------------- tables
@dataclass(frozen=True)
class RiskRow:
    """One line of the risk table: the slide's value and the exact one for (N, K, P)."""

    managers: int
    tolerance: int
    p: float
    slide: float
    exact: float

    @property
    def ratio(self) -> float | None:
        """slide / exact (``None`` when the exact risk is 0)."""
        return None if self.exact == 0 else self.slide / self.exact

    @property
    def slide_above_one(self) -> bool:
        return self.slide > 1.0

    @property
    def misleads(self) -> bool:
        """The slide's value is not a probability, or overstates the risk by >10 %."""
        r = self.ratio
        return self.slide_above_one or (r is not None and r > MISLEADS_RATIO)

    @property
    def even(self) -> bool:
        return self.managers % 2 == 0


def risk_row(managers: int, p: float, tolerance: int | None = None) -> RiskRow:
    """The slide's and the exact risk for one (N, K, P); K defaults to (N-1)//2."""
    k = default_tolerance(managers) if tolerance is None else tolerance
    return RiskRow(managers, k, float(p), slide_risk(managers, k, p), exact_risk(managers, k, p))


def risk_table(
    managers: Sequence[int], ps: Sequence[float], tolerance: int | None = None
) -> list[RiskRow]:
    """Rows for every (N, P), P-major then N in the given order."""
    if not managers or not ps:
        raise BadInputError("give at least one manager count and one probability")
    return [risk_row(n, p, tolerance) for p in ps for n in managers]


def managers_for_tolerance(tolerance: int, upto: int = 9) -> list[int]:
    """Manager counts 1..upto that can tolerate ``tolerance`` failures."""
    return [n for n in range(1, upto + 1) if (n - 1) // 2 >= tolerance]


# --------------------------------------------------------------------------- findings
@dataclass(frozen=True)
class EvenPenalty:
    """An even manager count: same tolerance as N-1, more risk."""

    managers: int
    p: float
    risk: float
    risk_one_less: float


@dataclass(frozen=True)
class RankMisleads:
    """The slide says N+2 managers are no safer than N; the exact values say they are."""

    managers: int
    p: float
    slide: tuple[float, float]
    exact: tuple[float, float]


def even_penalties(rows: Sequence[RiskRow]) -> list[EvenPenalty]:
    """For each even N with default tolerance: its exact risk against N-1's."""
    out = []
    for r in rows:
        if r.even and r.tolerance == default_tolerance(r.managers):
            out.append(EvenPenalty(r.managers, r.p, r.exact, exact_risk(r.managers - 1, r.tolerance, r.p)))
    return out


def rank_misleads(ps: Sequence[float], upto: int = 9) -> list[RankMisleads]:
    """Odd N where the slide would rank N+2 no better than N although it is safer."""
    out = []
    for p in ps:
        for n in range(1, upto - 1, 2):
            a, b = risk_row(n, p), risk_row(n + 2, p)
            if b.slide >= a.slide * (1 - 1e-9) and b.exact < a.exact:
                out.append(RankMisleads(n, p, (a.slide, b.slide), (a.exact, b.exact)))
    return out


# --------------------------------------------------------------------------- recommendation
@dataclass(frozen=True)
class Recommended:
    """The smallest odd manager count whose exact risk meets the target."""

    p: float
    target: float
    managers: int
    risk: float
    slide_managers: int | None  # what the slide's formula would have asked for

    @property
    def above_docker_limit(self) -> bool:
        return self.managers > DOCKER_MAX_MANAGERS


@dataclass(frozen=True)
class Unreachable:
    """No odd manager count up to the limit meets the target."""

    p: float
    target: float
    best_managers: int
    best_risk: float
    reason: str


def recommend_managers(p: float, target: float, upto: int = MAX_MANAGERS) -> Recommended | Unreachable:
    """Smallest odd N (default tolerance) with exact risk <= ``target``."""
    _check_p(p)
    _check_p(target, "the target risk")
    _check_managers(upto)
    exact_n = slide_n = None
    best_n, best = 1, exact_risk(1, 0, p)
    for n in range(1, upto + 1, 2):
        k = default_tolerance(n)
        e = exact_risk(n, k, p)
        if e < best:
            best_n, best = n, e
        if exact_n is None and e <= target:
            exact_n = n
        if slide_n is None and slide_risk(n, k, p) <= target:
            slide_n = n
        if exact_n is not None and slide_n is not None:
            break
    if exact_n is not None:
        return Recommended(p, target, exact_n, exact_risk(exact_n, default_tolerance(exact_n), p), slide_n)
    if p >= 0.5:
        reason = (
            f"with P={p:g} a node is down at least half the time: adding managers never lowers "
            "the risk below 0.5; make the nodes more reliable"
        )
    else:
        reason = f"not even {upto} managers get the risk down to {target:g}"
    return Unreachable(p, target, best_n, best, reason)


# --------------------------------------------------------------------------- zones
@dataclass(frozen=True)
class ZoneRisk:
    """Quorum risk when managers are spread over failure zones (correlated failures).

    Each zone fails as a whole with probability ``zone_p`` (power, switch, rack); each
    manager in a surviving zone fails on its own with ``node_p``.
    """

    zones: tuple[int, ...]  # managers per zone
    zone_p: float
    node_p: float
    tolerance: int
    risk: float  # exact: P(more than K managers lost)
    independent_risk: float  # the same managers with node failures only
    majority_zones: tuple[int, ...]  # indexes of zones that alone hold more than K managers
    majority_zone_risk: float  # P(at least one of those zones fails)

    @property
    def managers(self) -> int:
        return sum(self.zones)


def zone_risk(zones: Sequence[int], zone_p: float, node_p: float = 0.0) -> ZoneRisk:
    """Exact quorum-loss probability for managers spread over independent failure zones."""
    counts = tuple(zones)
    if not counts or len(counts) > MAX_ZONES:
        raise BadInputError(f"give 1 to {MAX_ZONES} zones (managers per zone), got {len(counts)}")
    if any(isinstance(c, bool) or not isinstance(c, int) or c < 0 for c in counts):
        raise BadInputError(f"managers per zone must be whole numbers >= 0, got {list(counts)}")
    n = sum(counts)
    _check_managers(n)
    _check_p(zone_p, "the zone failure probability")
    _check_p(node_p, "P")
    k = default_tolerance(n)
    parts = []
    for down in itertools.product((False, True), repeat=len(counts)):
        weight = math.prod(zone_p if d else 1.0 - zone_p for d in down)
        if weight == 0.0:
            continue
        lost = sum(c for c, d in zip(counts, down) if d)
        alive = n - lost
        parts.append(weight * _tail(alive, k + 1 - lost, node_p))
    big = tuple(i for i, c in enumerate(counts) if c > k)
    return ZoneRisk(
        zones=counts,
        zone_p=float(zone_p),
        node_p=float(node_p),
        tolerance=k,
        risk=min(1.0, math.fsum(parts)),
        independent_risk=exact_risk(n, k, node_p),
        majority_zones=big,
        majority_zone_risk=1.0 - (1.0 - zone_p) ** len(big),
    )


def spread_managers(managers: int, zones: int) -> tuple[int, ...]:
    """The most even spread of ``managers`` over ``zones`` (largest zones first)."""
    _check_managers(managers)
    if isinstance(zones, bool) or not isinstance(zones, int) or not 1 <= zones <= MAX_ZONES:
        raise BadInputError(f"zones must be from 1 to {MAX_ZONES}, got {zones!r}")
    base, extra = divmod(managers, zones)
    return tuple(base + (1 if i < extra else 0) for i in range(zones))
