"""The maximal-covering bound (``heuristics.coverage_lagrangian``) against the LP and brute force.

On county-scale models HiGHS cannot finish its root LP in time and this bound is what ``max_coverage``
reports, so it is checked on its own here: never below the best plan (brute force), never below
the LP relaxation (solved by HiGHS through SciPy's ``linprog``) — every Lagrangian bound is at least
that — and close to the LP, since its smoothed dual is meant to converge to it. Its column fixing
must keep every plan better than the ``lower`` it was given.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

from siting.optimize.heuristics import coverage_lagrangian


def _instance(seed: int, n: int, m: int):
    rng = np.random.default_rng(seed)
    a = rng.random((n, m)) < rng.uniform(0.1, 0.4)
    a[~a.any(axis=1), 0] = True
    w = rng.integers(1, 20, n).astype(float)
    return sp.csr_matrix(a), w


def _value(a: sp.csr_matrix, w: np.ndarray, sites) -> float:
    return float(w[np.asarray(a[:, list(sites)].sum(axis=1)).ravel() > 0].sum())


def _lp(a: sp.csr_matrix, w: np.ndarray, p: int, fixed: np.ndarray) -> float:
    n, m = a.shape
    # variables y (m) then x (n): max w.x  s.t.  x_i - sum_j a_ij y_j <= 0,  sum y = p
    a_ub = sp.hstack([-a.astype(float), sp.identity(n)]).tocsr()
    a_eq = np.r_[np.ones(m), np.zeros(n)][None, :]
    lo = np.zeros(m + n)
    lo[fixed] = 1.0
    res = linprog(np.r_[np.zeros(m), -w], A_ub=a_ub, b_ub=np.zeros(n), A_eq=a_eq, b_eq=[p],
                  bounds=np.c_[lo, np.ones(m + n)], method="highs")
    assert res.status == 0
    return -float(res.fun)


@pytest.mark.parametrize("seed", range(12))
def test_bound_sits_between_the_optimum_and_just_above_the_lp(seed):
    rng = np.random.default_rng(1000 + seed)
    n, m = int(rng.integers(15, 40)), int(rng.integers(6, 12))
    a, w = _instance(seed, n, m)
    p = int(rng.integers(1, 5))
    fixed = np.array([0]) if seed % 3 == 0 else np.empty(0, dtype=np.int64)
    plans = [s for s in itertools.combinations(range(m), p) if set(fixed) <= set(s)]
    values = np.array([_value(a, w, s) for s in plans])
    best = float(values.max())
    lower = float(np.sort(values)[len(values) // 2])  # a middling plan as the incumbent
    ub, sites, val, closed, opened, y = coverage_lagrangian(a, w, p, fixed, lower)
    lp = _lp(a, w, p, fixed)
    assert ub >= best - 1e-9
    assert ub >= lp - 1e-6 * max(lp, 1.0)
    assert ub <= lp * (1 + 2e-3) + 1e-6  # converged to the LP bound (the best any λ can give)
    assert val == pytest.approx(_value(a, w, sites)) and len(sites) == p
    assert set(fixed) <= set(sites.tolist())
    assert y.sum() == pytest.approx(p, rel=1e-3) and (y >= 0).all() and (y <= 1).all()
    assert (y[fixed] == 1).all()
    for s, v in zip(plans, values):
        if v > max(lower, val):  # fixing may only cut plans that are no better than the incumbent
            assert not closed[list(s)].any()
            assert opened[np.setdiff1d(np.arange(m), s)].sum() == 0


def test_bound_is_exact_when_the_lp_is_integral():
    # two disjoint groups of rows, each covered by one column: the LP and the optimum agree
    a = sp.csr_matrix(np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=bool))
    w = np.array([5.0, 5.0, 3.0, 1.0])
    ub, sites, val, _, _, _ = coverage_lagrangian(a, w, 2, np.empty(0, dtype=np.int64), 0.0)
    assert val == 13.0 and sorted(sites.tolist()) == [0, 1]
    assert ub == pytest.approx(13.0, rel=2e-3)


@pytest.mark.parametrize("seed", range(6))
def test_lp_guided_restarts_keep_the_rules_and_never_lose(seed):
    """``coverage_restarts`` (randomised rounding of the dual's LP estimate + swaps, used when HiGHS
    cannot run): p sites, the fixed ones among them, never a worse plan than it was given, the same
    plan for the same seed, and on these small instances the brute-force optimum."""
    from siting.optimize.heuristics import coverage_restarts

    rng = np.random.default_rng(2000 + seed)
    n, m = int(rng.integers(20, 40)), int(rng.integers(8, 12))
    a, w = _instance(100 + seed, n, m)
    p = int(rng.integers(2, 5))
    fixed = np.array([1]) if seed % 2 else np.empty(0, dtype=np.int64)
    plans = [s for s in itertools.combinations(range(m), p) if set(fixed) <= set(s)]
    best = max(_value(a, w, s) for s in plans)
    worst = min(plans, key=lambda s: _value(a, w, s))
    _, _, _, _, _, y = coverage_lagrangian(a, w, p, fixed, 0.0)
    got = coverage_restarts(a, w, np.array(worst), fixed, y, restarts=20, seed=seed)
    assert len(got) == p and set(fixed.tolist()) <= set(got.tolist())
    assert _value(a, w, got) >= _value(a, w, worst)
    assert _value(a, w, got) == best
    again = coverage_restarts(a, w, np.array(worst), fixed, y, restarts=20, seed=seed)
    assert np.array_equal(got, again)
