"""Quorum maths against values computed by hand (shown in the comments)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dockline.cluster import quorum
from dockline.errors import BadInputError

# (N, P, slide, exact), default K = (N-1)//2, each worked out on paper:
#   N=3,P=0.1: slide 3*0.1^2 = 0.03;  exact 3*0.01*0.9 + 0.001 = 0.028
#   N=5,P=0.1: slide 10*0.001 = 0.01; exact 10*0.001*0.81 + 5*0.0001*0.9 + 1e-5 = 0.00856
#   N=7,P=0.1: slide 35*1e-4 = 0.0035; exact 0.0025515 + 0.0001701 + 0.0000063 + 1e-7 = 0.0027280
#   N=3,P=0.05: slide 0.0075; exact 3*0.0025*0.95 + 0.000125 = 0.00725
#   N=5,P=0.05: slide 0.00125; exact 0.001128125 + 0.0000296875 + 0.0000003125 = 0.001158125
#   N=7,P=0.05: slide 0.00021875; exact 1.8755078e-4 + 5.9226563e-6 + 1.0390625e-7 + 7.8125e-10
#   N=3,P=0.01: slide 3e-4; exact 2.97e-4 + 1e-6 = 2.98e-4
#   N=5,P=0.01: slide 1e-5; exact 9.801e-6 + 4.95e-8 + 1e-10 = 9.8506e-6
#   N=7,P=0.01: slide 3.5e-7; exact 3.3960465e-7 + 2.05821e-9 + 6.93e-12 + 1e-14
HAND = [
    (1, 0.01, 0.01, 0.01),
    (1, 0.05, 0.05, 0.05),
    (1, 0.1, 0.1, 0.1),
    (3, 0.1, 0.03, 0.028),
    (5, 0.1, 0.01, 0.00856),
    (7, 0.1, 0.0035, 0.0027280),
    (3, 0.05, 0.0075, 0.00725),
    (5, 0.05, 0.00125, 0.001158125),
    (7, 0.05, 0.00021875, 1.8755078e-4 + 5.9226563e-6 + 1.0390625e-7 + 7.8125e-10),
    (3, 0.01, 3e-4, 2.98e-4),
    (5, 0.01, 1e-5, 9.8506e-6),
    (7, 0.01, 3.5e-7, 3.3960465e-7 + 2.05821e-9 + 6.93e-12 + 1e-14),
]


@pytest.mark.parametrize(("n", "p", "slide", "exact"), HAND)
def test_hand_computed_values(n: int, p: float, slide: float, exact: float) -> None:
    row = quorum.risk_row(n, p)
    assert row.tolerance == (n - 1) // 2
    assert row.slide == pytest.approx(slide, rel=1e-9)
    assert row.exact == pytest.approx(exact, rel=1e-6)


def test_issue_example_three_managers() -> None:
    row = quorum.risk_row(3, 0.1)
    assert f"{row.slide:.3f}" == "0.030"
    assert f"{row.exact:.3f}" == "0.028"


def test_tolerance_and_majority() -> None:
    assert [quorum.default_tolerance(n) for n in range(1, 10)] == [0, 0, 1, 1, 2, 2, 3, 3, 4]
    assert [quorum.majority(n) for n in range(1, 10)] == [1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_two_managers_by_hand() -> None:
    # N=2, K=0: slide 2P; exact 1-(1-P)^2 = 2P - P^2
    assert quorum.slide_risk(2, 0, 0.1) == pytest.approx(0.2)
    assert quorum.exact_risk(2, 0, 0.1) == pytest.approx(0.19)


def test_even_count_adds_risk_without_tolerance() -> None:
    # N=4, K=1: exact 1 - 0.9^4 - 4*0.1*0.9^3 = 1 - 0.6561 - 0.2916 = 0.0523 > N=3's 0.028
    rows = quorum.risk_table([3, 4], [0.1])
    pen = quorum.even_penalties(rows)
    assert len(pen) == 1 and pen[0].managers == 4
    assert pen[0].risk == pytest.approx(0.0523)
    assert pen[0].risk_one_less == pytest.approx(0.028)
    assert rows[1].slide == pytest.approx(0.06)


def test_slide_exceeds_one_at_n3_above_0577() -> None:
    t = quorum.slide_exceeds_one_above(3, 1)
    assert t == pytest.approx(1 / math.sqrt(3))
    assert quorum.risk_row(3, 0.58).slide_above_one
    assert not quorum.risk_row(3, 0.57).slide_above_one
    assert quorum.risk_row(3, 0.58).misleads


def test_misleads_threshold() -> None:
    assert not quorum.risk_row(3, 0.1).misleads  # 7 % over
    assert quorum.risk_row(5, 0.1).misleads  # 17 % over
    assert not quorum.risk_row(1, 0.3).misleads  # identical for one manager
    zero = quorum.risk_row(3, 0.0)
    assert zero.ratio is None and not zero.misleads


def test_tolerance_validation() -> None:
    with pytest.raises(BadInputError, match="at most"):
        quorum.slide_risk(3, 2, 0.1)
    with pytest.raises(BadInputError):
        quorum.exact_risk(3, -1, 0.1)
    with pytest.raises(BadInputError, match="probability"):
        quorum.exact_risk(3, 1, 1.5)
    with pytest.raises(BadInputError, match="probability"):
        quorum.exact_risk(3, 1, float("nan"))
    with pytest.raises(BadInputError, match="whole number"):
        quorum.exact_risk(0, 0, 0.1)
    with pytest.raises(BadInputError):
        quorum.exact_risk(True, 0, 0.1)  # type: ignore[arg-type]
    with pytest.raises(BadInputError):
        quorum.risk_table([], [0.1])


def test_explicit_lower_tolerance() -> None:
    # N=5 with K=1: slide C(5,2)P^2 = 10*0.01 = 0.1; exact 1 - 0.9^5 - 5*0.1*0.9^4 = 0.08146
    row = quorum.risk_row(5, 0.1, tolerance=1)
    assert row.slide == pytest.approx(0.1)
    assert row.exact == pytest.approx(1 - 0.9**5 - 0.5 * 0.9**4)
    assert quorum.managers_for_tolerance(2) == [5, 6, 7, 8, 9]


@given(st.integers(1, 15), st.floats(0, 1))
def test_slide_is_an_upper_bound(n: int, p: float) -> None:
    row = quorum.risk_row(n, p)
    assert row.slide >= row.exact - 1e-12
    assert 0 <= row.exact <= 1 + 1e-12


@given(st.integers(1, 15), st.floats(0, 1))
def test_exact_matches_complement(n: int, p: float) -> None:
    k = (n - 1) // 2
    keep = math.fsum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1))
    assert quorum.exact_risk(n, k, p) == pytest.approx(1 - keep, abs=1e-12)


def test_recommendation_by_hand() -> None:
    rec = quorum.recommend_managers(0.01, 0.001)
    assert isinstance(rec, quorum.Recommended) and rec.managers == 3
    # P=0.1: N=7 exact 0.00273 > 0.001, N=9 exact 0.000891 <= 0.001; the slide (0.00126 at 9)
    # would have asked for 11 (462e-6)
    rec = quorum.recommend_managers(0.1, 0.001)
    assert isinstance(rec, quorum.Recommended)
    assert rec.managers == 9 and rec.slide_managers == 11 and rec.above_docker_limit
    rec = quorum.recommend_managers(0.05, 0.1)
    assert isinstance(rec, quorum.Recommended) and rec.managers == 1


def test_recommendation_unreachable() -> None:
    rec = quorum.recommend_managers(0.5, 0.1)
    assert isinstance(rec, quorum.Unreachable)
    assert "half the time" in rec.reason
    rec = quorum.recommend_managers(0.3, 1e-30, upto=9)
    assert isinstance(rec, quorum.Unreachable)
    assert rec.best_managers == 9 and "not even 9" in rec.reason


def test_rank_misleads_at_high_p() -> None:
    # P=0.3: slide N=3 3*0.09=0.27, N=5 10*0.027=0.27 (equal); exact 0.216 vs 0.16308
    found = quorum.rank_misleads([0.3])
    first = found[0]
    assert first.managers == 3
    assert first.slide == pytest.approx((0.27, 0.27))
    assert first.exact == pytest.approx((0.216, 0.16308))
    assert quorum.rank_misleads([0.01]) == []


def test_zone_with_majority() -> None:
    # 3+1+1 managers (K=2): losing zone 1 alone loses quorum; with node_p=0 that is all
    z = quorum.zone_risk([3, 1, 1], 0.01)
    assert z.majority_zones == (0,)
    assert z.majority_zone_risk == pytest.approx(0.01)
    assert z.risk == pytest.approx(0.01)
    assert z.independent_risk == 0


def test_zone_spread_by_hand() -> None:
    # 2+2+1 (K=2), node_p=0: quorum lost iff at least 2 of 3 zones fail: 3z^2(1-z) + z^3
    z = quorum.zone_risk([2, 2, 1], 0.1)
    assert z.majority_zones == ()
    assert z.risk == pytest.approx(3 * 0.01 * 0.9 + 0.001)
    # zones that never fail: the independent binomial tail
    z0 = quorum.zone_risk([2, 2, 1], 0.0, 0.1)
    assert z0.risk == pytest.approx(0.00856)
    # both: always at least each part alone
    zb = quorum.zone_risk([2, 2, 1], 0.1, 0.1)
    assert zb.risk >= max(z.risk, z0.risk)


def test_zone_validation_and_spread() -> None:
    with pytest.raises(BadInputError):
        quorum.zone_risk([], 0.1)
    with pytest.raises(BadInputError):
        quorum.zone_risk([2, -1], 0.1)
    with pytest.raises(BadInputError):
        quorum.zone_risk([0, 0], 0.1)
    with pytest.raises(BadInputError):
        quorum.zone_risk([1] * 13, 0.1)
    with pytest.raises(BadInputError):
        quorum.zone_risk([1, 2], 2.0)
    assert quorum.spread_managers(5, 3) == (2, 2, 1)
    assert quorum.spread_managers(3, 2) == (2, 1)
    with pytest.raises(BadInputError):
        quorum.spread_managers(3, 0)
