"""The maximal-covering kernel search (``coverage._kernel_search``) against brute force.

The kernel search is how ``max_coverage`` finds its plans on models too large for one HiGHS solve:
restricted models over the columns the LP values most, rows merged within the kernel. Checked here:
merging keeps every covered row's weight; without a deadline the search ends with the whole model,
whose plan is the brute-force optimum even from the worst start and with an uninformative LP
estimate; ``must`` columns stay open; a plan is never made worse.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from siting.optimize.coverage import _kernel_search, _restricted


def _instance(seed: int, n: int = 50, m: int = 13):
    rng = np.random.default_rng(seed)
    a = rng.random((n, m)) < rng.uniform(0.1, 0.35)
    a[~a.any(axis=1), 0] = True
    a[rng.integers(0, n, 5)] = a[0]  # some identical rows, to be merged
    return sp.csr_matrix(a.astype(float)), rng.integers(1, 30, n).astype(float)


def _value(a, w, sites) -> float:
    return float(w[np.asarray(a[:, list(sites)].sum(axis=1)).ravel() > 0].sum())


def _brute(a, w, p, must=()):
    m = a.shape[1]
    plans = (c for c in itertools.combinations(range(m), p) if set(must) <= set(c))
    return max(_value(a, w, c) for c in plans)


@pytest.mark.parametrize("seed", range(6))
def test_restricted_rows_keep_the_covered_weight(seed):
    a, w = _instance(seed)
    cols = np.sort(np.random.default_rng(seed).choice(a.shape[1], 5, replace=False))
    sub, g_w = _restricted(a, w, cols)
    covered = np.asarray(a[:, cols].sum(axis=1)).ravel() > 0
    assert g_w.sum() == pytest.approx(w[covered].sum())
    assert sub.shape[0] == len({tuple(np.flatnonzero(r)) for r in a[:, cols].toarray()[covered]})
    for plan in itertools.combinations(range(cols.size), 2):  # every plan is valued the same
        merged = float(g_w[np.asarray(sub[:, list(plan)].sum(axis=1)).ravel() > 0].sum())
        assert merged == pytest.approx(_value(a, w, cols[list(plan)]))


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("p", [2, 4])
def test_kernel_search_reaches_the_brute_force_optimum(seed, p):
    a, w = _instance(seed)
    m = a.shape[1]
    sizes = np.asarray(a.sum(axis=0)).ravel()
    worst = np.argsort(sizes)[:p]  # the smallest columns: a bad start
    y = np.random.default_rng(seed).random(m)  # an estimate that points nowhere in particular
    sites, info = _kernel_search(a, w, p, np.arange(m), np.array([], dtype=int), worst, y,
                                 deadline=None)
    assert sites.size == p
    assert _value(a, w, sites) == pytest.approx(_brute(a, w, p))
    assert info["complete"] is not None and info["complete"].status == "optimal"
    assert info["complete"].bound == pytest.approx(_brute(a, w, p), rel=1e-6)


@pytest.mark.parametrize("seed", range(6))
def test_kernel_search_keeps_must_columns_and_never_worsens(seed):
    a, w = _instance(seed)
    m, p = a.shape[1], 4
    must = np.array([seed % m])
    start = np.union1d(must, np.setdiff1d(np.arange(m), must)[:p - 1])
    y = np.asarray(a.sum(axis=0)).ravel() / a.shape[0]
    # a deadline already passed: nothing may run, the start comes back unchanged
    sites, info = _kernel_search(a, w, p, np.arange(m), must, start, y, deadline=0.0)
    assert np.array_equal(sites, start) and info["complete"] is None
    sites, _ = _kernel_search(a, w, p, np.arange(m), must, start, y, deadline=None)
    assert must[0] in sites
    assert _value(a, w, sites) == pytest.approx(_brute(a, w, p, must=tuple(must)))
    assert _value(a, w, sites) >= _value(a, w, start)
