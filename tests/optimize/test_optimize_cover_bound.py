"""The set-cover Lagrangian bound (``cover_lagrangian``) against SciPy's LP and enumeration.

The dual value is a valid lower bound for every multiplier vector, so it never exceeds the LP
relaxation (``scipy.optimize.linprog``) nor the optimum found by enumeration; and the smoothed
L-BFGS-B search gets close to the LP bound, which the subgradient method did not on the county.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

from siting.optimize import set_cover
from siting.optimize.cover_lagrangian import cover_lagrangian


def _rows(seed: int, k: int = 40, m: int = 12, density: float = 0.2):
    rng = np.random.default_rng(seed)
    a = rng.random((k, m)) < density
    a[~a.any(axis=1), rng.integers(0, m)] = True
    cost = rng.integers(1, 5, m).astype(float)
    return sp.csr_matrix(a.astype(float)), cost


def _lp(a, cost, closed=None) -> float:
    bounds = [(0, 0) if closed is not None and closed[j] else (0, 1) for j in range(cost.size)]
    return linprog(cost, A_ub=-a.toarray(), b_ub=-np.ones(a.shape[0]), bounds=bounds,
                   method="highs").fun


def _optimum(a, cost, closed=None) -> float:
    dense = a.toarray() > 0
    cols = [j for j in range(cost.size) if closed is None or not closed[j]]
    best = np.inf
    for size in range(1, len(cols) + 1):
        for plan in itertools.combinations(cols, size):
            if dense[:, plan].any(axis=1).all():
                best = min(best, cost[list(plan)].sum())
    return best


@pytest.mark.parametrize("seed", range(8))
def test_bound_is_valid_and_near_the_lp(seed):
    a, cost = _rows(seed)
    lb, info = cover_lagrangian(a, cost)
    lp = _lp(a, cost)
    assert lb <= lp + 1e-7
    assert lb >= lp - 0.01 * lp, (lb, lp)
    assert lb <= _optimum(a, cost) + 1e-9
    assert info["stages"] >= 1


@pytest.mark.parametrize("seed", range(4))
def test_closed_columns_are_left_out(seed):
    a, cost = _rows(seed, density=0.5)
    closed = np.zeros(cost.size, dtype=bool)
    closed[[0, 1]] = True
    if not (a.toarray()[:, ~closed] > 0).any(axis=1).all():
        pytest.skip("a row only the closed columns cover")
    lb, _ = cover_lagrangian(a, cost, closed=closed)
    assert lb <= _lp(a, cost, closed) + 1e-7
    assert lb <= _optimum(a, cost, closed) + 1e-9
    # closing columns can only raise the bound the open ones allow
    assert lb >= cover_lagrangian(a, cost)[0] - 1e-6


@pytest.mark.parametrize("seed", range(6))
def test_set_cover_with_a_time_limit_reports_a_valid_bound(seed):
    # with a time limit set_cover runs the dual first; its bound must hold and the plan stay optimal
    rng = np.random.default_rng(seed)
    pts, cand = rng.uniform(0, 10, (60, 2)), rng.uniform(0, 10, (10, 2))
    d = np.linalg.norm(pts[:, None] - cand[None], axis=2)
    radius = 4.0
    fixed = [seed % 10]
    sol = set_cover(d, radius, fixed=fixed, time_limit=30, allow_uncovered=True)
    inside = d <= radius
    need = inside.any(axis=1)
    want = min(len(plan) for size in range(1, 11)
               for plan in itertools.combinations(range(10), size)
               if set(fixed) <= set(plan) and inside[need][:, plan].any(axis=1).all())
    assert sol.objective == want
    assert sol.bound is not None and sol.bound <= want
    assert sol.status == "optimal" and sol.bound == want
    assert "stages" in sol.details["lagrangian"]


def test_p_center_says_no_without_branching(monkeypatch):
    # 12 clusters 100 apart, each reached only by its own 3 candidates (a truncated sparse matrix):
    # no 5 sites reach every row. Greedy needs 12 and the Lagrangian bound proves 12, so HiGHS is
    # never asked (it would be slow on a county) and the error names the real cause.
    from siting.errors import InfeasibleError
    from siting.optimize import center

    rng = np.random.default_rng(0)
    rows, cols, vals = [], [], []
    for c in range(12):
        for i in range(10):
            for j in range(3):
                rows.append(c * 10 + i)
                cols.append(c * 3 + j)
                vals.append(float(rng.uniform(1, 5)))
    cost = sp.csr_matrix((vals, (rows, cols)), shape=(120, 36))

    def no_highs(*args, **kwargs):
        raise AssertionError("HiGHS was asked")

    sol = center.p_center(cost, 12, time_limit=30)  # one per cluster: feasible
    assert len(sol.sites) == 12 and (sol.assignment >= 0).all()
    monkeypatch.setattr(center, "solve_mip", no_highs)
    with pytest.raises(InfeasibleError, match="no choice of p = 5 sites reaches all 120 rows"):
        center.p_center(cost, 5, time_limit=30)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("p", [2, 3])
def test_p_center_without_the_dense_heuristic_matches_brute_force(seed, p, monkeypatch):
    # a matrix "too large" for the dense heuristic: the search starts from the set-cover plan
    from _optimize_brute import brute_center, center_value, random_instance

    from siting.optimize import center

    monkeypatch.setattr(center, "_DENSE_CELLS", 0)
    d, w, s = random_instance(seed, holes=0.1)
    fixed = [seed % d.shape[1]]
    want = brute_center(d, w, p, fixed)
    if not np.isfinite(want):
        with pytest.raises(Exception, match="p = "):
            center.p_center(s, p, weights=w, fixed=fixed)
        return
    sol = center.p_center(s, p, weights=w, fixed=fixed)
    assert sol.objective == pytest.approx(want, abs=1e-6)
    assert sol.objective == pytest.approx(center_value(d, w, sol.sites), abs=1e-6)
    assert set(fixed) <= set(sol.sites.tolist()) and len(sol.sites) <= p


def test_p_center_heuristic_stops_at_its_deadline(monkeypatch):
    # a deadline already passed: the greedy pass returns what it has (fewer than p sites); p_center
    # pads such a plan and still finds the optimum by its binary search
    import time

    from _optimize_brute import brute_center, random_instance

    from siting.optimize import center
    from siting.optimize.heuristics import pcenter_heuristic

    d, w, _ = random_instance(3, holes=0.0)
    sites = pcenter_heuristic(d * w[:, None], 4, np.array([], dtype=int),
                              deadline=time.perf_counter() - 1)
    assert 1 <= sites.size < 4
    monkeypatch.setattr(center, "pcenter_heuristic",
                        lambda dw, p, fx, deadline=None: pcenter_heuristic(dw, p, fx, deadline=0.0))
    sol = center.p_center(d, 4, weights=w)
    assert len(sol.sites) == 4
    assert sol.objective == pytest.approx(brute_center(d, w, 4, []), abs=1e-6)
