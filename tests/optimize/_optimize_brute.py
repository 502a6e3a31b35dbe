"""Independent reference answers by enumeration (small instances only) and helpers to build inputs."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import scipy.sparse as sp


def random_instance(seed: int, n: int = 9, m: int = 6, holes: float = 0.25):
    """Dense cost with NaN holes (some zeros included), integer weights, a sparse twin."""
    rng = np.random.default_rng(seed)
    d = np.round(rng.uniform(0, 10, (n, m)), 1)
    d[rng.random((n, m)) < 0.1] = 0.0  # real zero distances
    d[rng.random((n, m)) < holes] = np.nan
    w = rng.integers(0, 5, n).astype(float)
    return d, w, to_sparse(d)


def to_sparse(d: np.ndarray) -> sp.csr_matrix:
    """CSR with exactly the finite entries stored (explicit zeros kept)."""
    r, c = np.nonzero(np.isfinite(d))
    m = sp.csr_matrix((d[r, c], (r, c)), shape=d.shape)
    assert m.nnz == r.size  # explicit zeros survive
    return m


def combos(m: int, size: int, fixed):
    fixed = {int(f) for f in fixed}
    rest = [j for j in range(m) if j not in fixed]
    for c in itertools.combinations(rest, size - len(fixed)):
        yield tuple(sorted(fixed | set(c)))


def median_value(d, w, sites):
    """Σ w·min cost over rows with weight that reach some column; inf if such a row reaches no site."""
    sites = list(sites)
    reach_any = np.isfinite(d).any(axis=1)
    sub = np.where(np.isfinite(d[:, sites]), d[:, sites], np.inf).min(axis=1)
    act = reach_any & (w > 0)
    if np.isinf(sub[act]).any():
        return np.inf
    return float((w[act] * sub[act]).sum())


def center_value(d, w, sites):
    sites = list(sites)
    reach_any = np.isfinite(d).any(axis=1)
    sub = np.where(np.isfinite(d[:, sites]), d[:, sites], np.inf).min(axis=1)
    act = reach_any & (w > 0)
    if not act.any():
        return 0.0
    return float((w[act] * sub[act]).max())


def covered_weight(d, w, radius, sites):
    sites = list(sites)
    cov = (np.nan_to_num(d[:, sites], nan=np.inf) <= radius).any(axis=1)
    return float(w[cov].sum())


def brute_median(d, w, p, fixed=()):
    return min(median_value(d, w, c) for c in combos(d.shape[1], p, fixed))


def brute_center(d, w, p, fixed=()):
    return min(center_value(d, w, c) for c in combos(d.shape[1], p, fixed))


def brute_coverage(d, w, radius, p, fixed=()):
    return max(covered_weight(d, w, radius, c) for c in combos(d.shape[1], p, fixed))


def brute_cover(d, w, radius, fixed=()):
    """Fewest sites covering every coverable row with weight; (count, uncoverable rows)."""
    inside = np.nan_to_num(d, nan=np.inf) <= radius
    need = inside.any(axis=1) & (w > 0)
    m = d.shape[1]
    for size in range(len(set(fixed)), m + 1):
        for c in combos(m, size, fixed):
            if inside[need][:, list(c)].any(axis=1).all():
                return size
    raise AssertionError("unreachable")


def placed(d, radius, cap, dem, sites):
    """Demand placeable with ``sites`` open: a max flow computed by networkx."""
    g = nx.DiGraph()
    inside = np.nan_to_num(d, nan=np.inf) <= radius
    for i in range(d.shape[0]):
        g.add_edge("s", ("r", i), capacity=float(dem[i]))
        for j in sites:
            if inside[i, j]:
                g.add_edge(("r", i), ("c", j), capacity=float("inf"))
    for j in sites:
        g.add_edge(("c", j), "t", capacity=float(cap[j]))
    if "t" not in g:
        return 0.0
    return float(nx.maximum_flow_value(g, "s", "t"))


def pair_instance(seed: int, n: int, m: int, *, density: float, demand: tuple[int, int],
                  capacity: tuple[int, int]):
    """A capacitated instance as pairs ``(pi, pj)`` within reach, demand per row, capacity per
    column; every row reaches at least one column."""
    rng = np.random.default_rng(seed)
    a = rng.random((n, m)) < density
    a[~a.any(axis=1), rng.integers(0, m)] = True
    pi, pj = np.nonzero(a)
    return (pi, pj, rng.integers(*demand, n).astype(float),
            rng.integers(*capacity, m).astype(float))


def most_placed_lp(pi, pj, dk, cap, is_open) -> float:
    """Most demand the open columns (a mask) can take over the pairs: a transport LP solved by
    SciPy's ``linprog`` (an LP path independent of the models under test)."""
    from scipy.optimize import linprog

    use = np.flatnonzero(np.asarray(is_open)[pj])
    if use.size == 0:
        return 0.0
    n, m = dk.size, cap.size
    a_ub = sp.vstack([sp.csr_matrix((np.ones(use.size), (pi[use], np.arange(use.size))), shape=(n, use.size)),
                      sp.csr_matrix((np.ones(use.size), (pj[use], np.arange(use.size))), shape=(m, use.size))])
    return -linprog(-np.ones(use.size), A_ub=a_ub, b_ub=np.r_[dk, cap], bounds=(0, None),
                    method="highs").fun
