"""The assignment model against brute force on tiny cases, and the atoms."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from siting.split import assign_atoms, atom_matrices, choose_candidates, make_atoms


def _tiny(seed: int, n: int = 6, q: float = 0.6):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 1000, (n, 2))
    dist = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) * 1.3
    weight = rng.integers(1, 6, n).astype(float)
    radius = float(np.quantile(dist, q))
    return dist, weight, radius


def _brute(reach, cost, over, weight, k, lo, hi, radius, *, soft):
    """Every choice of k centres and every assignment of the other atoms: the best (violation,
    cost), the rules as constraints (soft=False) or as penalties (soft=True)."""
    n_atoms, n_cand = cost.shape
    best = (np.inf, np.inf)
    for centres in itertools.combinations(range(n_cand), k):
        rest = [i for i in range(n_atoms) if i not in centres]
        for choice in itertools.product(centres, repeat=len(rest)):
            to = np.empty(n_atoms, dtype=int)
            to[list(centres)] = centres
            to[rest] = choice
            rows = np.arange(n_atoms)
            if not soft and np.any(reach[rows, to] > radius + 1e-6):
                continue
            loads = np.array([weight[to == c].sum() for c in centres])
            band = np.maximum(lo - loads, 0).sum() + np.maximum(loads - hi, 0).sum()
            if not soft and band > 0:
                continue
            violation = float(over[rows, to].sum() + band) if soft else 0.0
            value = (violation, float(cost[rows, to].sum()))
            if value[0] < best[0] - 1e-9 or (abs(value[0] - best[0]) <= 1e-9 and value[1] < best[1]):
                best = value
    return best


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("q", [0.6, 0.3])  # radius: the 60th / 30th percentile of the distances
def test_assignment_is_optimal_by_brute_force(seed: int, k: int, q: float) -> None:
    dist, weight, radius = _tiny(seed, q=q)
    n = len(weight)
    reach, cost, over = atom_matrices(dist, weight, np.arange(n), n, radius=radius)
    total = weight.sum()
    lo, hi = np.floor(total / (k + 1)), np.ceil(total / (k - 0.5))
    want = _brute(reach, cost, over, weight, k, lo, hi, radius, soft=False)
    got = assign_atoms(reach, cost, weight, np.arange(n), k=k, lo=lo, hi=hi, radius=radius)
    if not np.isfinite(want[1]):
        assert got.status == "infeasible" and not got.found
    else:
        assert got.status == "optimal" and got.open.size == k
        assert got.cost == pytest.approx(want[1], rel=1e-9, abs=1e-6)
        rows = np.arange(n)
        assert (reach[rows, got.centre] <= radius + 1e-6).all()
    soft_want = _brute(reach, cost, over, weight, k, lo, hi, radius, soft=True)
    soft = assign_atoms(reach, cost, weight, np.arange(n), k=k, lo=lo, hi=hi, radius=radius,
                        over=over, soft=True)
    assert soft.found and soft.violation == pytest.approx(soft_want[0])
    assert soft.cost == pytest.approx(soft_want[1], rel=1e-9, abs=1e-6)


def test_atoms_of_points_with_compounds_and_merging() -> None:
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 1000, (40, 2))
    w = np.ones(40)
    compound = np.array(["A"] * 5 + [None] * 30 + ["B"] * 5, dtype=object)
    a = make_atoms(xy, w, compound=compound)
    assert a.n == 32 and a.level == "points"
    assert len(set(a.of_point[:5])) == 1 and len(set(a.of_point[-5:])) == 1
    node = np.arange(40) // 4  # loose points merged per node beyond max_atoms
    b = make_atoms(xy, w, compound=compound, node=node, max_atoms=20)
    assert b.level == "nodes" and b.n <= 20
    c = make_atoms(xy, w, compound=compound, max_atoms=6)
    assert c.n <= 6 and c.level.startswith("grid")
    for atoms in (a, b, c):  # compounds whole; households kept
        assert len(set(atoms.of_point[:5])) == 1 and len(set(atoms.of_point[-5:])) == 1
        assert atoms.weight.sum() == pytest.approx(40)
        assert (atoms.of_point[atoms.rep] == np.arange(atoms.n)).all()


def test_candidates_are_seeded_and_spread() -> None:
    xy = np.random.default_rng(1).uniform(0, 1000, (100, 2))
    a = choose_candidates(xy, max_candidates=10, seed=4)
    assert np.array_equal(a, choose_candidates(xy, max_candidates=10, seed=4))
    assert a.size == 10 and np.array_equal(a, np.sort(a))
    assert np.array_equal(choose_candidates(xy[:8], max_candidates=10, seed=4), np.arange(8))
