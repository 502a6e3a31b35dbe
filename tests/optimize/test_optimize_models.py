"""Every model against brute-force enumeration on small seeded instances, dense and sparse."""

from __future__ import annotations

import numpy as np
import pytest
from _optimize_brute import (
    brute_center,
    brute_cover,
    brute_coverage,
    brute_median,
    center_value,
    covered_weight,
    median_value,
    placed,
    random_instance,
)

from siting.optimize import (
    capacitated_coverage,
    max_coverage,
    p_center,
    p_median,
    set_cover,
)

SEEDS = range(6)
TOL = 1e-6


def _check_common(sol, m, fixed=()):
    assert list(sol.sites) == sorted(set(sol.sites.tolist()))
    assert set(fixed) <= set(sol.sites.tolist())
    assert sol.sites.min() >= 0 and sol.sites.max() < m
    assert sol.bound is not None
    if sol.sense == "min":
        assert sol.bound <= sol.objective + TOL
    else:
        assert sol.bound >= sol.objective - TOL
    assert sol.status == "optimal"
    assert sol.gap is not None and sol.gap <= 1e-5
    assigned = sol.assignment[sol.assignment >= 0]
    assert np.isin(assigned, sol.sites).all()


def _fixed(seed, m):
    return [] if seed % 2 == 0 else [seed % m]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", ["dense", "sparse"])
@pytest.mark.parametrize("p", [1, 2, 3])
def test_p_median_matches_brute_force(seed, kind, p):
    d, w, s = random_instance(seed)
    fixed = _fixed(seed, d.shape[1]) if p > 1 else []
    want = brute_median(d, w, p, fixed)
    if not np.isfinite(want):
        with pytest.raises(Exception, match="p = "):
            p_median(d if kind == "dense" else s, p, weights=w, fixed=fixed)
        return
    with pytest.warns(UserWarning) if (~np.isfinite(d)).all(axis=1).any() else _nowarn():
        sol = p_median(d if kind == "dense" else s, p, weights=w, fixed=fixed)
    _check_common(sol, d.shape[1], fixed)
    assert len(sol.sites) == p
    assert sol.objective == pytest.approx(median_value(d, w, sol.sites), abs=TOL)
    assert sol.objective == pytest.approx(want, abs=TOL)


class _nowarn:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", ["dense", "sparse"])
@pytest.mark.parametrize("p", [1, 2, 3])
def test_p_center_matches_brute_force(seed, kind, p):
    d, w, s = random_instance(seed, holes=0.1)
    fixed = _fixed(seed, d.shape[1]) if p > 1 else []
    want = brute_center(d, w, p, fixed)
    if not np.isfinite(want):
        with pytest.raises(Exception, match="p = "):
            p_center(d if kind == "dense" else s, p, weights=w, fixed=fixed)
        return
    sol = p_center(d if kind == "dense" else s, p, weights=w, fixed=fixed)
    _check_common(sol, d.shape[1], fixed)
    assert sol.objective == pytest.approx(center_value(d, w, sol.sites), abs=TOL)
    assert sol.objective == pytest.approx(want, abs=TOL)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", ["dense", "sparse"])
@pytest.mark.parametrize("p", [1, 2, 3])
def test_max_coverage_matches_brute_force(seed, kind, p):
    d, w, s = random_instance(seed)
    fixed = _fixed(seed, d.shape[1]) if p > 1 else []
    radius = 4.0
    sol = max_coverage(d if kind == "dense" else s, radius, p, weights=w, fixed=fixed)
    _check_common(sol, d.shape[1], fixed)
    assert len(sol.sites) == p
    assert sol.objective == pytest.approx(covered_weight(d, w, radius, sol.sites))
    assert sol.objective == pytest.approx(brute_coverage(d, w, radius, p, fixed))
    inside = np.nan_to_num(d[:, sol.sites], nan=np.inf) <= radius
    assert set(sol.uncovered.tolist()) == set(np.flatnonzero(~inside.any(axis=1)).tolist())


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", ["dense", "sparse"])
def test_set_cover_matches_brute_force(seed, kind):
    d, w, s = random_instance(seed)
    fixed = _fixed(seed, d.shape[1])
    radius = 5.0
    sol = set_cover(d if kind == "dense" else s, radius, weights=w, fixed=fixed,
                    allow_uncovered=True)
    _check_common(sol, d.shape[1], fixed)
    assert sol.objective == len(sol.sites) == brute_cover(d, w, radius, fixed)
    inside = np.nan_to_num(d, nan=np.inf) <= radius
    need = inside.any(axis=1) & (w > 0)
    assert inside[need][:, sol.sites].any(axis=1).all()
    uncoverable = np.flatnonzero(~inside.any(axis=1) & (w > 0))
    assert set(sol.details["uncoverable"].tolist()) == set(uncoverable.tolist())
    assert set(uncoverable.tolist()) <= set(sol.uncovered.tolist())


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", ["dense", "sparse"])
def test_capacitated_min_sites_matches_brute_force(seed, kind):
    rng = np.random.default_rng(100 + seed)
    d, w, s = random_instance(seed, holes=0.1)
    radius = 6.0
    cap = rng.integers(3, 12, d.shape[1]).astype(float)
    fixed = _fixed(seed, d.shape[1])
    sol = capacitated_coverage(d if kind == "dense" else s, radius, cap, w, fixed=fixed,
                               allow_unserved=True)
    _check_common(sol, d.shape[1], fixed)
    m = d.shape[1]
    best_flow = placed(d, radius, cap, w, range(m))
    assert sol.covered_weight == pytest.approx(best_flow, rel=1e-6)
    from _optimize_brute import combos
    want = min(size for size in range(len(fixed), m + 1) for c in combos(m, size, fixed)
               if placed(d, radius, cap, w, c) >= best_flow - 1e-6)
    assert sol.objective == len(sol.sites) == want
    # the allocation respects capacities and the radius, and adds up to what was placed
    alloc = sol.allocation
    assert (np.asarray(alloc.sum(axis=0)).ravel() <= cap + 1e-6).all()
    r, c = alloc.nonzero()
    assert (np.nan_to_num(d[r, c], nan=np.inf) <= radius).all()
    assert np.isin(c, sol.sites).all()
    assert alloc.sum() == pytest.approx(placed(d, radius, cap, w, sol.sites), rel=1e-6)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("p", [1, 2, 3])
def test_capacitated_with_p_matches_brute_force(seed, p):
    rng = np.random.default_rng(200 + seed)
    d, w, s = random_instance(seed, holes=0.1)
    radius = 6.0
    cap = rng.integers(3, 12, d.shape[1]).astype(float)
    fixed = _fixed(seed, d.shape[1]) if p > 1 else []
    sol = capacitated_coverage(s, radius, cap, w, p=p, fixed=fixed, allow_unserved=True)
    _check_common(sol, d.shape[1], fixed)
    from _optimize_brute import combos
    want = max(placed(d, radius, cap, w, c) for c in combos(d.shape[1], p, fixed))
    assert sol.objective == pytest.approx(want, rel=1e-6)
    assert sol.objective == pytest.approx(placed(d, radius, cap, w, sol.sites), rel=1e-6)
    assert len(sol.sites) <= p


def test_explicit_sparse_zero_is_a_real_distance():
    import scipy.sparse as sp

    # row 0 reaches only column 1, at distance 0 (stored explicitly); row 1 reaches column 0 only
    m = sp.csr_matrix((np.array([0.0, 3.0]), (np.array([0, 1]), np.array([1, 0]))), shape=(2, 2))
    assert m.nnz == 2
    sol = max_coverage(m, 0.0, 1)
    assert list(sol.sites) == [1] and sol.objective == 1.0
    sol = p_median(m, 2)
    assert sol.objective == 3.0 and list(sol.assignment) == [1, 0]


def test_unreachable_rows_are_reported_not_dropped():
    d = np.array([[1.0, 2.0], [np.nan, np.nan], [4.0, 1.0]])
    with pytest.warns(UserWarning, match="1 row"):
        sol = p_median(d, 1)
    assert list(sol.unreachable) == [1]
    assert sol.assignment[1] == -1
    assert sol.objective == 3.0  # site 1: 2 + 1; row 1 left out
    cov = max_coverage(d, 1.5, 1)
    assert 1 in cov.uncovered and 1 in cov.unreachable
