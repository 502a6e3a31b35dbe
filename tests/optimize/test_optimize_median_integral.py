"""p-median with integer weights and costs against brute force.

With integer data ``p_median`` rounds bounds up, fixes columns against ``incumbent − 1`` and lets
HiGHS stop at an absolute gap below 1; these shortcuts are only valid if every plan's cost really
is an integer, so they are checked here on instances built to need them (ties, unreachable pairs,
fixed sites, weights of 0) — a wrong rounding or an over-eager fixing shows up as a plan worse than
the brute-force optimum or a bound above it.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _optimize_brute import brute_median, median_value, to_sparse
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.optimize import p_median


def _integer_instance(seed: int, n: int, m: int, holes: float):
    rng = np.random.default_rng(seed)
    d = rng.integers(0, 12, (n, m)).astype(float)  # few distinct values: many ties
    d[rng.random((n, m)) < holes] = np.nan
    d[np.isnan(d).all(axis=1), 0] = 5.0  # every row reaches something
    w = rng.integers(0, 4, n).astype(float)
    return d, w


def _solve(d, w, p, fixed, kind):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return p_median(d if kind == "dense" else to_sparse(d), p, weights=w, fixed=fixed)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("kind", ["dense", "sparse"])
def test_integer_p_median_matches_brute_force(seed, kind):
    d, w = _integer_instance(seed, n=16, m=9, holes=0.15)
    p = 2 + seed % 3
    fixed = [seed % 9] if seed % 2 else []
    want = brute_median(d, w, p, fixed)
    if not np.isfinite(want):
        with pytest.raises(Exception, match="p = "):
            _solve(d, w, p, fixed, kind)
        return
    sol = _solve(d, w, p, fixed, kind)
    assert sol.status == "optimal"
    assert set(fixed) <= set(sol.sites.tolist()) and len(sol.sites) == p
    assert sol.objective == pytest.approx(median_value(d, w, sol.sites), abs=1e-9)
    assert sol.objective == pytest.approx(want, abs=1e-9)
    assert sol.bound <= want + 1e-9


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), p=st.integers(1, 4))
def test_integer_bound_never_exceeds_the_optimum(seed, p):
    d, w = _integer_instance(seed, n=12, m=7, holes=0.0)
    want = brute_median(d, w, p)
    sol = _solve(d, w, p, [], "dense")
    assert sol.bound <= want + 1e-9
    assert sol.objective == pytest.approx(want, abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), p=st.integers(1, 4), slack=st.integers(1, 3))
def test_integer_lagrangian_fixing_keeps_every_better_plan(seed, p, slack):
    # told that the incumbent costs optimum + slack, fixing must keep every plan cheaper than that
    from _optimize_brute import combos

    from siting.optimize.heuristics import pmedian_lagrangian

    d, w = _integer_instance(seed, n=12, m=7, holes=0.0)
    costs = {c: median_value(d, w, c) for c in combos(d.shape[1], p, ())}
    upper = min(costs.values()) + slack
    bound, closed, opened, plan, new_upper, _ = pmedian_lagrangian(
        d, w, p, np.array([], dtype=np.int64), upper, iterations=300, integral=True)
    assert np.ceil(bound - 1e-9) <= min(costs.values())
    assert new_upper <= upper
    for c, v in costs.items():
        if v < new_upper:
            assert not closed[list(c)].any(), (c, v, new_upper)
            assert set(np.flatnonzero(opened)) <= set(c), (c, v, new_upper)
    if plan is not None:
        assert costs[tuple(int(j) for j in plan)] == pytest.approx(new_upper)
