"""The capacitated-coverage warm start (``capacity._warm_start``): a feasible plan, locally minimal.

Checked with an independent transport LP (SciPy's ``linprog``): the start places the target demand
with its own flows (no more than each row's demand or each open site's capacity, nothing at closed
sites), and no site it opened can be closed with the target still placed.
"""

from __future__ import annotations

import numpy as np
import pytest
from _optimize_brute import most_placed_lp, pair_instance

from siting.optimize.capacity import _warm_start


def _instance(seed: int):
    return pair_instance(seed, 40, 12, density=0.3, demand=(1, 30), capacity=(20, 200))


@pytest.mark.parametrize("seed", range(10))
def test_warm_start_is_feasible_and_locally_minimal(seed):
    pi, pj, dk, cap = _instance(seed)
    m = cap.size
    fixed = np.array([seed % m])
    target = most_placed_lp(pi, pj, dk, cap, np.ones(m, dtype=bool)) * (1 - 1e-9)
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
        assert most_placed_lp(pi, pj, dk, cap, fewer) < target - 1e-7 * target, j


@pytest.mark.parametrize("seed", range(5))
def test_warm_start_with_p_opens_at_most_p(seed):
    pi, pj, dk, cap = _instance(seed)
    start = _warm_start(pi, pj, dk, cap, np.array([], dtype=int), target=float(dk.sum()), p=3,
                        deadline=None)
    assert start is not None and (start[: cap.size] > 0.5).sum() <= 3
