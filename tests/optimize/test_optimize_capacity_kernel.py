"""The capacitated-coverage kernel search (``capacity._kernel_solve``) and the reduced costs it ranks by.

Answers are checked by enumeration with SciPy's ``linprog`` as the transport check (an LP solver
path independent of the model under test): from the worst start (every site open) the search still
reaches the fewest sites, or the most demand placed with ``p`` sites; a run out of time keeps its
start and reports a bound that no plan beats.
"""

from __future__ import annotations

import functools
import itertools
import time

import numpy as np
import pytest
import scipy.sparse as sp
from _optimize_brute import most_placed_lp, pair_instance

from siting.optimize._highs import INF, solve_mip
from siting.optimize.capacity import _kernel_solve, _transport


def _instance(seed: int):
    return pair_instance(seed, 30, 11, density=0.25, demand=(1, 20), capacity=(20, 90))


def _most_placed(pi, pj, dk, cap, sites) -> float:
    is_open = np.zeros(cap.size, dtype=bool)
    is_open[list(sites)] = True
    return most_placed_lp(pi, pj, dk, cap, is_open)


def _plans(m, size, fixed):
    rest = [j for j in range(m) if j not in fixed]
    for extra in itertools.combinations(rest, size - len(fixed)):
        yield tuple(fixed) + extra


@functools.lru_cache
def _fewest(seed: int) -> tuple[float, int]:
    """(target, fewest sites placing it, site ``seed % m`` fixed) by enumeration."""
    pi, pj, dk, cap = _instance(seed)
    m = cap.size
    target = _most_placed(pi, pj, dk, cap, range(m)) * (1 - 1e-9)
    fixed = [seed % m]
    return target, next(size for size in range(1, m + 1) for plan in _plans(m, size, fixed)
                        if _most_placed(pi, pj, dk, cap, plan) >= target - 1e-6)


def _all_open_start(pi, pj, dk, cap):
    m = cap.size
    _, x = _transport(pi, pj, dk, cap, np.ones(m, dtype=bool))
    return np.r_[np.ones(m), x]


def test_lp_reduced_costs():
    # min x1 + 2 x2 + 3 x3  s.t.  x1 + x2 + x3 >= 1, 0 <= x <= 1: x = (1, 0, 0), dual 1, c - A'π
    res = solve_mip(np.array([1.0, 2.0, 3.0]), sp.csr_matrix(np.ones((1, 3))), np.array([1.0]),
                    np.array([INF]), np.zeros(3), np.ones(3), None)
    assert res.status == "optimal"
    assert res.reduced_cost == pytest.approx([0.0, 1.0, 2.0])
    mip = solve_mip(np.array([1.0, 2.0, 3.0]), sp.csr_matrix(np.ones((1, 3))), np.array([1.0]),
                    np.array([INF]), np.zeros(3), np.ones(3), np.ones(3, dtype=bool))
    assert mip.reduced_cost is None


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("start", ["none", "all open"])
def test_fewest_sites(seed, start):
    # without a start the first kernel is the LP's support alone; with every site open as the start
    # the search must still close down to the fewest
    pi, pj, dk, cap = _instance(seed)
    m = cap.size
    fixed = [seed % m]
    target, want = _fewest(seed)
    res, info = _kernel_solve(pi, pj, dk, cap, np.array(fixed), p=None, served_target=target,
                              deadline=None,
                              start=None if start == "none" else _all_open_start(pi, pj, dk, cap))
    sites = np.flatnonzero(res.x[:m] > 0.5)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(want) and sites.size == want
    assert res.bound == pytest.approx(want)
    assert set(fixed) <= set(sites.tolist())
    assert _most_placed(pi, pj, dk, cap, sites) >= target - 1e-6
    assert info["lp_bound"] <= want + 1e-9
    # the flows come back on the whole model's pairs: only at open sites, within demand and capacity
    # (up to HiGHS's feasibility tolerance, 1e-6 relative; capacitated_coverage clears that dust)
    x = res.x[m:]
    assert x.size == pi.size and (x >= -1e-5).all()
    assert np.abs(x[~np.isin(pj, sites)]).max(initial=0.0) < 1e-5
    assert (np.bincount(pi, weights=x, minlength=dk.size) <= dk + 1e-6).all()
    assert (np.bincount(pj, weights=x, minlength=m) <= cap + 1e-6).all()
    assert x.sum() >= target - 1e-6 * target


@pytest.mark.parametrize("seed", range(5))
def test_most_placed_with_p_from_a_poor_start(seed):
    pi, pj, dk, cap = _instance(seed)
    m, p = cap.size, 3  # the kernel starts at the LP's support and grows to all 11 sites
    # start: the p sites with the least capacity
    weak = np.argsort(cap, kind="stable")[:p]
    is_open = np.zeros(m, dtype=bool)
    is_open[weak] = True
    start = np.r_[is_open.astype(float), _transport(pi, pj, dk, cap, is_open)[1]]
    res, _ = _kernel_solve(pi, pj, dk, cap, np.array([], dtype=int), p=p, served_target=None,
                           start=start, deadline=None)
    want = max(_most_placed(pi, pj, dk, cap, plan) for plan in _plans(m, p, []))
    sites = np.flatnonzero(res.x[:m] > 0.5)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(want, rel=1e-6)
    assert sites.size <= p and _most_placed(pi, pj, dk, cap, sites) == pytest.approx(want, rel=1e-6)
    assert res.bound >= want - 1e-6 * want


@pytest.mark.parametrize("seed", range(4))
def test_out_of_time_keeps_the_start_and_a_valid_bound(seed):
    pi, pj, dk, cap = _instance(seed)
    m = cap.size
    target, want = _fewest(seed)
    res, _ = _kernel_solve(pi, pj, dk, cap, np.array([seed % m]), p=None, served_target=target,
                           start=_all_open_start(pi, pj, dk, cap), deadline=time.perf_counter())
    assert res.x is not None and res.objective <= m
    assert _most_placed(pi, pj, dk, cap, np.flatnonzero(res.x[:m] > 0.5)) >= target - 1e-6
    assert res.bound is not None and res.bound <= want + 1e-9
    assert res.status == ("optimal" if res.objective == res.bound else "time_limit")
