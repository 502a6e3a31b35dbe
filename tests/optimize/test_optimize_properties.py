"""Invariants, checked by Hypothesis on seeded random instances."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.optimize import max_coverage, p_median


def _instance(seed: int, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return np.round(rng.uniform(0, 20, (n, m)), 1), rng.integers(1, 5, n).astype(float)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(3, 15), m=st.integers(2, 7))
def test_p_median_objective_never_rises_with_p(seed, n, m):
    d, w = _instance(seed, n, m)
    values = [p_median(d, p, weights=w).objective for p in range(1, m + 1)]
    assert all(b <= a + 1e-9 for a, b in itertools.pairwise(values))
    assert values[-1] == np.round((w * d.min(axis=1)).sum(), 6) or np.isclose(
        values[-1], (w * d.min(axis=1)).sum())


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(3, 15), m=st.integers(2, 7),
       p=st.integers(1, 3))
def test_max_coverage_never_falls_with_radius(seed, n, m, p):
    d, w = _instance(seed, n, m)
    p = min(p, m)
    values = [max_coverage(d, r, p, weights=w).objective for r in (0.0, 2.0, 5.0, 10.0, 25.0)]
    assert all(b >= a - 1e-9 for a, b in itertools.pairwise(values))
    assert values[-1] == w.sum()
