"""The capacitated-coverage warm start (``capacity._warm_start``): a feasible plan, locally minimal.

Checked with an independent transport LP (SciPy's ``linprog``): the start places the target demand
with its own flows (no more than each row's demand or each open site's capacity, nothing at closed
sites), and no site it opened can be closed with the target still placed.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

from siting.optimize.capacity import _warm_start


def _instance(seed: int, n: int = 40, m: int = 12):
    rng = np.random.default_rng(seed)
    a = rng.random((n, m)) < 0.3
    a[~a.any(axis=1), rng.integers(0, m)] = True
    pi, pj = np.nonzero(a)
    dk = rng.integers(1, 30, n).astype(float)
    cap = rng.integers(20, 200, m).astype(float)
    return pi, pj, dk, cap


def _most_placed(pi, pj, dk, cap, is_open) -> float:
    use = np.flatnonzero(is_open[pj])
    if use.size == 0:
        return 0.0
    n, m = dk.size, cap.size
    a_ub = sp.vstack([sp.csr_matrix((np.ones(use.size), (pi[use], np.arange(use.size))), shape=(n, use.size)),
                      sp.csr_matrix((np.ones(use.size), (pj[use], np.arange(use.size))), shape=(m, use.size))])
    res = linprog(-np.ones(use.size), A_ub=a_ub, b_ub=np.r_[dk, cap], bounds=(0, None), method="highs")
    return -res.fun


@pytest.mark.parametrize("seed", range(10))
def test_warm_start_is_feasible_and_locally_minimal(seed):
    pi, pj, dk, cap = _instance(seed)
    m = cap.size
    fixed = np.array([seed % m])
    target = _most_placed(pi, pj, dk, cap, np.ones(m, dtype=bool)) * (1 - 1e-9)
    start = _warm_start(pi, pj, dk, cap, fixed, target=target, p=None, deadline=None)
    assert start is not None
    is_open, x = start[:m] > 0.5, start[m:]
    assert is_open[fixed].all()
    assert (x >= 0).all() and (x[~is_open[pj]] == 0).all()
    assert (np.bincount(pi, weights=x, minlength=dk.size) <= dk + 1e-6).all()
    assert (np.bincount(pj, weights=x, minlength=m) <= cap + 1e-6).all()
    assert x.sum() >= target - 1e-6 * target
    for j in np.flatnonzero(is_open):
        if j in fixed:
            continue
        fewer = is_open.copy()
        fewer[j] = False
        assert _most_placed(pi, pj, dk, cap, fewer) < target - 1e-7 * target, j


@pytest.mark.parametrize("seed", range(5))
def test_warm_start_with_p_opens_at_most_p(seed):
    pi, pj, dk, cap = _instance(seed)
    start = _warm_start(pi, pj, dk, cap, np.array([], dtype=int), target=float(dk.sum()), p=3,
                        deadline=None)
    assert start is not None and (start[: cap.size] > 0.5).sum() <= 3
