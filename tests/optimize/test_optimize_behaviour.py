"""Documented behaviour: split assignment, zero weights, time limits, fixed masks, p semantics."""

from __future__ import annotations

import numpy as np
import pytest

from siting.optimize import capacitated_coverage, max_coverage, p_center, p_median, set_cover


def test_capacitated_splits_a_row_between_sites():
    d = np.array([[1.0, 1.0], [5.0, np.nan]])
    sol = capacitated_coverage(d, 2.0, np.array([6.0, 6.0]), np.array([10.0, 0.0]))
    assert list(sol.sites) == [0, 1]
    alloc = sol.allocation.toarray()
    assert alloc[0].sum() == pytest.approx(10.0)
    assert (alloc[0] <= 6.0 + 1e-9).all() and (alloc[0] > 0).all()
    assert sol.covered_weight == pytest.approx(10.0) and sol.uncovered.size == 0


def test_capacitated_with_p_reports_unplaced_demand():
    d = np.array([[1.0, 1.0], [1.0, 1.0]])
    sol = capacitated_coverage(d, 2.0, np.array([5.0, 3.0]), np.array([4.0, 4.0]), p=1,
                               allow_unserved=True)
    assert list(sol.sites) == [0] and sol.objective == pytest.approx(5.0)
    assert sol.bound == pytest.approx(5.0) and sol.sense == "max"
    assert sol.uncovered.size >= 1


def test_set_cover_ignores_rows_without_weight():
    d = np.array([[1.0, 9.0], [9.0, 1.0]])
    assert set_cover(d, 2.0).objective == 2
    sol = set_cover(d, 2.0, weights=[1, 0])
    assert sol.objective == 1 and list(sol.sites) == [0]


def test_set_cover_site_cost():
    d = np.array([[1.0, 1.0, 9.0], [9.0, 1.0, 1.0]])
    assert list(set_cover(d, 2.0).sites) == [1]
    sol = set_cover(d, 2.0, site_cost=[1.0, 5.0, 1.0])
    assert list(sol.sites) == [0, 2] and sol.objective == 2.0


def test_p_counts_fixed_sites_and_bool_mask_works():
    rng = np.random.default_rng(3)
    d = rng.uniform(0, 10, (20, 8))
    mask = np.zeros(8, dtype=bool)
    mask[[2, 5]] = True
    a = p_median(d, 3, fixed=mask)
    b = p_median(d, 3, fixed=[5, 2])
    assert len(a.sites) == 3 and {2, 5} <= set(a.sites.tolist())
    assert list(a.sites) == list(b.sites)
    assert list(a.new_sites) == sorted(set(a.sites.tolist()) - {2, 5})
    assert max_coverage(d, 3.0, 2, fixed=[2, 5]).sites.tolist() == [2, 5]


@pytest.mark.parametrize("fn", [p_median, p_center])
def test_time_limited_run_still_carries_a_valid_bound(fn):
    rng = np.random.default_rng(7)
    xy = rng.uniform(0, 1000, (150, 2))
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    sol = fn(d, 4, time_limit=0.5)
    assert sol.status in ("optimal", "time_limit", "heuristic")
    assert len(sol.sites) == 4
    assert sol.bound is not None and sol.bound <= sol.objective + 1e-6
    values = d[:, sol.sites].min(axis=1)
    recomputed = values.sum() if fn is p_median else values.max()
    assert sol.objective == pytest.approx(recomputed)


def test_max_coverage_time_limit_bound_is_an_upper_bound():
    rng = np.random.default_rng(11)
    xy = rng.uniform(0, 5000, (600, 2))
    cand = rng.uniform(0, 5000, (120, 2))
    d = np.hypot(*(xy[:, None, :] - cand[None, :, :]).transpose(2, 0, 1))
    sol = max_coverage(d, 600.0, 6, time_limit=0.5)
    assert sol.bound >= sol.objective - 1e-6
    assert sol.objective == (d[:, sol.sites] <= 600.0).any(axis=1).sum()


def test_nan_and_inf_mean_unreachable_in_dense_and_sparse():
    import scipy.sparse as sp

    d = np.array([[1.0, np.inf], [np.nan, 2.0], [3.0, 4.0]])
    stored = sp.csr_matrix((np.array([1.0, np.nan, 2.0, 3.0, 4.0]),
                            (np.array([0, 1, 1, 2, 2]), np.array([0, 0, 1, 0, 1]))), shape=(3, 2))
    for cost in (d, stored):
        sol = p_median(cost, 2)
        assert list(sol.assignment) == [0, 1, 0] and sol.objective == 6.0
        assert max_coverage(cost, 10.0, 1).objective == 2.0  # no single column reaches all three
