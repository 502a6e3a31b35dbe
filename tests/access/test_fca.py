"""2SFCA / E2SFCA against a hand-computed example and a plain-loop implementation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.access import community_access, gaussian_weight, two_step_fca, zone_weight
from siting.errors import InputError


def _loop_fca(dist, demand, supply, d0, weight):
    """The textbook definition, one pair at a time (dense dist, NaN = unreachable)."""
    n_d, n_s = dist.shape
    ratio = np.full(n_s, np.nan)
    for j in range(n_s):
        total = 0.0
        for i in range(n_d):
            if not math.isnan(dist[i, j]) and dist[i, j] <= d0:
                total += demand[i] * weight(dist[i, j])
        if total > 0:
            ratio[j] = supply[j] / total
    access = np.zeros(n_d)
    for i in range(n_d):
        for j in range(n_s):
            if not math.isnan(dist[i, j]) and dist[i, j] <= d0 and not math.isnan(ratio[j]):
                access[i] += ratio[j] * weight(dist[i, j])
    return access, ratio


def test_hand_computed_example() -> None:
    # 3 demand points (10, 20, 30 households), 2 supplies (6 and 10 beds), catchment 1000 m
    dist = np.array([[200.0, np.nan],
                     [800.0, 900.0],
                     [1500.0, 0.0]])
    matrix = _csr(dist)
    assert matrix.nnz == 5  # the 0 m pair is stored
    access, ratio = two_step_fca(matrix, [10, 20, 30], [6, 10], catchment_m=1000)
    # R1 = 6 / (10 + 20) = 0.2 ; R2 = 10 / (20 + 30) = 0.2 (the 0 m pair counts)
    np.testing.assert_allclose(ratio, [0.2, 0.2])
    # A = [R1, R1 + R2, R2]
    np.testing.assert_allclose(access, [0.2, 0.4, 0.2])


def _csr(dense):
    r, c = np.nonzero(np.isfinite(dense))
    return sp.csr_matrix((dense[r, c], (r, c)), shape=dense.shape)


def test_explicit_zero_is_a_distance_and_missing_is_unreachable() -> None:
    m = sp.csr_matrix((np.array([0.0]), (np.array([0]), np.array([0]))), shape=(2, 1))
    access, ratio = two_step_fca(m, [4.0, 100.0], [2.0], catchment_m=500)
    np.testing.assert_allclose(ratio, [0.5])  # only the co-located point shares the supply
    np.testing.assert_allclose(access, [0.5, 0.0])


def test_supply_without_demand_has_no_ratio() -> None:
    dist = np.array([[100.0, np.nan]])
    access, ratio = two_step_fca(dist, [5.0], [1.0, 3.0], catchment_m=500)
    assert np.isnan(ratio[1])
    np.testing.assert_allclose(access, [0.2])


@pytest.mark.parametrize("decay", ["none", "gaussian", "zones"])
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_matches_the_loop_on_random_data(decay, seed) -> None:
    rng = np.random.default_rng(seed)
    n_d, n_s, d0 = int(rng.integers(1, 25)), int(rng.integers(1, 8)), 1000.0
    dist = rng.uniform(0, 1500, (n_d, n_s))
    dist[rng.random((n_d, n_s)) < 0.3] = np.nan
    dist[rng.random((n_d, n_s)) < 0.05] = 0.0
    demand = rng.integers(0, 50, n_d).astype(float)
    supply = rng.uniform(0, 30, n_s)
    zones = [(300.0, 1.0), (600.0, 0.6), (1000.0, 0.25)]
    weight = {"none": lambda d: 1.0,
              "gaussian": lambda d: (math.exp(-0.5 * (d / d0) ** 2) - math.exp(-0.5))
              / (1 - math.exp(-0.5)),
              "zones": lambda d: 1.0 if d <= 300 else 0.6 if d <= 600 else 0.25}[decay]
    ref_a, ref_r = _loop_fca(dist, demand, supply, d0, weight)
    for matrix in (dist, _csr(dist)):
        a, r = two_step_fca(matrix, demand, supply, catchment_m=d0, decay=decay,
                            zones=zones if decay == "zones" else None)
        np.testing.assert_allclose(a, ref_a, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(r, ref_r, rtol=1e-10, atol=1e-12)
    # what the supplies offer is what the demand points receive (nothing is lost or made)
    covered = ~np.isnan(ref_r)
    assert np.dot(a, demand) == pytest.approx(supply[covered].sum(), rel=1e-9, abs=1e-9)


def test_decay_functions() -> None:
    assert gaussian_weight(np.array([0.0]), 1000)[0] == pytest.approx(1.0)
    assert gaussian_weight(np.array([1000.0, 1200.0]), 1000).tolist() == [0.0, 0.0]
    w = gaussian_weight(np.linspace(0, 1000, 50), 1000)
    assert (np.diff(w) <= 1e-15).all()
    z = zone_weight(np.array([0.0, 300.0, 300.1, 1000.0, 1000.1]), [(300, 1.0), (1000, 0.5)])
    assert z.tolist() == [1.0, 1.0, 0.5, 0.5, 0.0]


def test_default_zones_are_thirds_of_the_catchment() -> None:
    dist = np.array([[100.0], [500.0], [900.0]])
    a, r = two_step_fca(dist, [1.0, 1.0, 1.0], [1.0], catchment_m=900, decay="zones")
    np.testing.assert_allclose(r, [1.0 / (1.00 + 0.68 + 0.22)])
    np.testing.assert_allclose(a / r[0], [1.00, 0.68, 0.22])


def test_bad_inputs_are_refused_together() -> None:
    with pytest.raises(InputError) as err:
        two_step_fca(np.zeros((2, 2)), [1.0, -1.0, 3.0], [np.nan, 1.0], catchment_m=0,
                     decay="cubic")
    text = str(err.value)
    for word in ("demand", "supply", "catchment_m", "cubic"):
        assert word in text


def test_community_access_is_households_weighted() -> None:
    hh = pd.DataFrame({"community_id": ["A", "A", "B"], "households": [1, 3, 2]},
                      index=["h1", "h2", "h3"])
    got = community_access(np.array([1.0, 2.0, 0.0]), hh, communities=pd.Index(["A", "B", "C"]))
    assert got["A"] == pytest.approx((1 * 1 + 3 * 2) / 4)
    assert got["B"] == 0.0
    assert np.isnan(got["C"])


def test_network_fca_matches_networkx_distances(beijing, oracle, town) -> None:
    from siting.access import network_fca

    hh, fac = town["hh_snap"], town["fac_snap"]
    demand = town["households"]["households"].to_numpy(float)
    supply = np.arange(1.0, len(fac) + 1.0)
    dense = np.array([oracle.point_to_points(fac, j, hh) for j in range(len(fac))]).T
    dense[~np.isfinite(dense)] = np.nan
    for decay in ("none", "gaussian"):
        ref = two_step_fca(dense, demand, supply, catchment_m=800.0, decay=decay)
        got = network_fca(beijing, hh, demand, fac, supply, catchment_m=800.0, decay=decay,
                          verbose=False)
        np.testing.assert_allclose(got[0], ref[0], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(got[1], ref[1], rtol=1e-9, atol=1e-12)
    assert (got[0] > 0).any() and np.isnan(got[1]).sum() < len(fac)
