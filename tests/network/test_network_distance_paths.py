"""The two distance engines agree: numba's compiled kernels and the pure-SciPy fallback.

``siting.network.distance`` uses the kernels of ``siting.network._compiled`` when numba is installed
and SciPy's ``csgraph.dijkstra`` otherwise. The other distance tests run whichever is active (and
compare it with networkx); these run both on the same points and compare them with each other, and
check the SciPy path against networkx too, so each path is tested even on a machine that has numba.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siting.network import (
    _compiled,
    distance,
    distance_matrix,
    distances_from,
    nearest_distance,
    node_distances,
)

needs_numba = pytest.mark.skipif(_compiled.numba is None, reason="numba is not installed")


def both(monkeypatch: pytest.MonkeyPatch, fn):  # type: ignore[no-untyped-def]
    """``(compiled result, SciPy result)`` of ``fn()``."""
    monkeypatch.setattr(_compiled, "AVAILABLE", True)
    fast = fn()
    monkeypatch.setattr(_compiled, "AVAILABLE", False)
    slow = fn()
    monkeypatch.setattr(_compiled, "AVAILABLE", _compiled.numba is not None)
    return fast, slow


def assert_same_matrix(a: sp.csr_matrix, b: sp.csr_matrix) -> None:
    """Same shape, same stored pairs (explicit zeros included), values to rounding."""
    assert a.shape == b.shape and a.nnz == b.nnz
    a, b = a.tocsr(), b.tocsr()
    a.sort_indices()
    b.sort_indices()
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    np.testing.assert_allclose(a.data, b.data, rtol=1e-12, atol=1e-9)


def test_flag_follows_numba():
    assert _compiled.enabled() == (_compiled.numba is not None and _compiled.AVAILABLE)


def test_scipy_path_matches_networkx(net, reference, make_points, monkeypatch):
    monkeypatch.setattr(_compiled, "AVAILABLE", False)
    a = make_points(net, 12, seed=301)
    b = make_points(net, 7, seed=302)
    expected = reference.matrix(a, b)
    got = np.full(expected.shape, np.nan)
    coo = distance_matrix(net, a, b, cutoff_m=None).tocoo()
    got[coo.row, coo.col] = coo.data
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-6)
    d, _ = nearest_distance(net, a, b)
    reachable = ~np.isnan(expected).all(axis=1)
    np.testing.assert_allclose(d[reachable], np.nanmin(expected[reachable], axis=1), rtol=1e-9, atol=1e-6)


@needs_numba
@pytest.mark.parametrize("cutoff", [None, 250.0, 900.0])
def test_paths_agree_on_the_shipped_networks(net, make_points, monkeypatch, cutoff):
    a = net.snap(make_points(net, 300, seed=311))
    b = net.snap(make_points(net, 25, seed=312))
    # points exactly on nodes and on top of each other
    b = net.snap(np.vstack([b.xy, net.node_xy[:3], a.xy[:2]]))
    fast, slow = both(monkeypatch, lambda: distance_matrix(net, a, b, cutoff_m=cutoff))
    assert_same_matrix(fast, slow)
    fast, slow = both(monkeypatch, lambda: distance_matrix(net, b, a, cutoff_m=cutoff))  # rows = sources
    assert_same_matrix(fast, slow)
    (df, nf), (ds, ns) = both(monkeypatch, lambda: nearest_distance(net, a, b, cutoff_m=cutoff))
    np.testing.assert_allclose(df, ds, rtol=1e-12, atol=1e-9)
    assert np.array_equal(np.isnan(df), np.isnan(ds)) and np.array_equal(nf == -1, ns == -1)
    # the nearest may differ only between targets at the same distance
    full = distance_matrix(net, a, b, cutoff_m=None).toarray()
    ok = nf >= 0
    np.testing.assert_allclose(full[np.flatnonzero(ok), nf[ok]], full[np.flatnonzero(ok), ns[ok]],
                               rtol=1e-12, atol=1e-9)
    (nd_f, src_f), (nd_s, src_s) = both(
        monkeypatch, lambda: node_distances(net, b, cutoff_m=cutoff, return_source=True))
    np.testing.assert_allclose(nd_f, nd_s, rtol=1e-12, atol=1e-9)
    assert np.array_equal(np.isnan(nd_f), np.isnan(nd_s)) and np.array_equal(src_f == -1, src_s == -1)
    one_f, one_s = both(monkeypatch, lambda: distances_from(net, b[[0]], a, cutoff_m=cutoff))
    np.testing.assert_allclose(one_f, one_s, rtol=1e-12, atol=1e-9)


@needs_numba
def test_compiled_matrix_retries_sources_that_overflow_their_buffer(shenzhen, make_points, monkeypatch):
    a = make_points(shenzhen, 500, seed=321)
    b = make_points(shenzhen, 90, seed=322)
    expected = distance_matrix(shenzhen, a, b, cutoff_m=1200)
    monkeypatch.setattr(distance, "COMPILED_ROOM", 1)  # every block overflows at first
    monkeypatch.setattr(distance, "COMPILED_BATCH", 40)
    monkeypatch.setattr(distance, "COMPILED_BLOCK", 8)
    assert_same_matrix(distance_matrix(shenzhen, a, b, cutoff_m=1200), expected)
    assert_same_matrix(distance_matrix(shenzhen, b, a, cutoff_m=1200), expected.T.tocsr())


@needs_numba
def test_compiled_matrix_rows_are_canonical(shenzhen, make_points):
    a = make_points(shenzhen, 200, seed=331)
    b = make_points(shenzhen, 30, seed=332)
    for m in (distance_matrix(shenzhen, a, b, cutoff_m=800), distance_matrix(shenzhen, b, a, cutoff_m=800)):
        assert m.has_sorted_indices
        m2 = m.copy()
        m2.sum_duplicates()
        assert m2.nnz == m.nnz  # no pair stored twice


@needs_numba
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31 - 1), cutoff=st.one_of(st.none(), st.floats(0.0, 2500.0)),
       k=st.integers(1, 40))
def test_paths_agree_property(beijing, monkeypatch, seed, cutoff, k):
    rng = np.random.default_rng(seed)
    lo, hi = beijing.node_xy.min(axis=0) - 50, beijing.node_xy.max(axis=0) + 50
    a = rng.uniform(lo, hi, size=(60, 2))
    b = rng.uniform(lo, hi, size=(k, 2))
    fast, slow = both(monkeypatch, lambda: distance_matrix(beijing, a, b, cutoff_m=cutoff))
    assert_same_matrix(fast, slow)
    (df, _), (ds, _) = both(monkeypatch, lambda: nearest_distance(beijing, a, b, cutoff_m=cutoff))
    np.testing.assert_allclose(df, ds, rtol=1e-12, atol=1e-9)



@needs_numba
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_packed_heap_keys_stay_exact_on_near_ties(seed):
    """The kernels order their heap by distances with the last bits dropped (``_compiled._key``):
    labels closer than that may leave the heap out of order, and the node is then scanned again. On
    graphs built of ties — zero-length edges, lengths a few ulps apart, many equal paths, a start at
    -0.0 — the multi-source search still ends at the exact labels, to the last bit."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 120))
    m = int(rng.integers(n, 4 * n))
    base = rng.choice([0.0, 1.0, 2.0, 3.0], size=m)
    length = base + rng.integers(0, 4, size=m) * np.spacing(np.maximum(base, 1.0))
    a = rng.integers(0, n, m)
    b = rng.integers(0, n, m)
    keep = a != b
    src, dst, length = np.r_[a[keep], b[keep]], np.r_[b[keep], a[keep]], np.r_[length[keep], length[keep]]
    order = np.lexsort((dst, src))  # CSR by hand: explicit zero lengths must stay edges
    src, dst, length = src[order], dst[order], length[order]
    g = sp.csr_matrix((n, n))
    g.indptr = np.r_[0, np.cumsum(np.bincount(src, minlength=n))]
    g.indices, g.data = dst, length
    k = int(rng.integers(1, 4))
    su, sv = rng.integers(0, n, k), rng.integers(0, n, k)
    du = rng.choice([-0.0, 0.0, 1.0], size=k)
    dv = du + rng.choice([0.0, 1.0], size=k)
    dist, origin = _compiled.multi_source(g.indptr.astype(np.int64), g.indices.astype(np.int32),
                                          g.data.astype(np.float64), n, su, sv, du, dv, np.inf)
    # reference: Bellman-Ford to its fixed point with the same additions, in no particular order
    # (with lengths >= 0 every correct search ends at this least fixed point, bit for bit)
    ref = np.full(n, np.inf)
    np.minimum.at(ref, np.r_[su, sv], np.r_[du, dv])
    rows = np.repeat(np.arange(n), np.diff(g.indptr))
    while True:
        new = ref.copy()
        np.minimum.at(new, g.indices, ref[rows] + g.data)
        if np.array_equal(new, ref):
            break
        ref = new
    np.testing.assert_array_equal(dist, ref)
    reached = np.isfinite(dist)
    assert (origin[reached] >= 0).all() and (origin[~reached] == -1).all()
