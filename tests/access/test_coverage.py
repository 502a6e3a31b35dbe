"""Coverage: nearest facility by type against networkx, circles, shares, and their invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.access import (
    count_unreachable,
    coverage_share,
    nearest_by_type,
    weighted_mean_by,
    within_circle,
)
from siting.errors import InputError


def test_nearest_by_type_matches_networkx(beijing, oracle, town) -> None:
    hh, fac = town["households"], town["facilities"]
    got = nearest_by_type(beijing, town["hh_snap"], fac, town["fac_snap"],
                          types=["eldercare", "fitness", "market", "shelter"], index=hh.index)
    assert list(got.columns) == ["dist_eldercare_m", "dist_fitness_m", "dist_market_m",
                                 "dist_shelter_m"]
    assert got.index.equals(hh.index)
    assert got["dist_shelter_m"].isna().all()  # no facility of that type: missing, never 0
    for kind in ["eldercare", "fitness", "market"]:
        rows = np.flatnonzero(fac["type"].to_numpy() == kind)
        ref = np.min([oracle.point_to_points(town["fac_snap"], i, town["hh_snap"]) for i in rows],
                     axis=0)
        ref[~np.isfinite(ref)] = np.nan
        np.testing.assert_allclose(got[f"dist_{kind}_m"].to_numpy(), ref, rtol=0, atol=1e-6)
    # households on detached pieces cannot reach any facility (all on the main piece)
    detached = town["hh_snap"].component != 0
    assert detached.sum() > 0
    assert got.loc[detached, "dist_eldercare_m"].isna().all()
    assert got.loc[~detached, "dist_eldercare_m"].notna().all()


def test_nearest_by_type_names_the_facility(beijing, town) -> None:
    got = nearest_by_type(beijing, town["hh_snap"], town["facilities"], town["fac_snap"],
                          with_facility=True)
    ok = got["dist_market_m"].notna()
    assert got.loc[ok, "nearest_market"].isin(["F09", "F10", "F11"]).all()
    assert got.loc[~ok, "nearest_market"].isna().all()


def test_nearest_by_type_refuses_facilities_without_type(beijing, town) -> None:
    with pytest.raises(InputError, match="type"):
        nearest_by_type(beijing, town["hh_snap"], town["facilities"].drop(columns="type"),
                        town["fac_snap"])


def test_within_circle_missing_is_not_within() -> None:
    d = pd.Series([0.0, 499.9, 500.0, 500.1, np.nan], index=list("abcde"))
    got = within_circle(d, 500)
    assert got.tolist() == [True, True, True, False, False]
    assert got.index.equals(d.index)
    assert within_circle(np.array([np.nan, 1.0]), 2.0).tolist() == [False, True]


def test_coverage_share_by_hand() -> None:
    hh = pd.DataFrame({"community_id": ["A", "A", "A", "B", "B", None],
                       "households": [10, 30, 0, 5, 5, 100]},
                      index=[f"h{i}" for i in range(6)])
    dist = pd.Series([100.0, np.nan, 50.0, 2000.0, 300.0, 10.0], index=hh.index)
    share = coverage_share(hh, within_circle(dist, 500), communities=pd.Index(["A", "B", "Z"]))
    # A: 10 of 40 households (the unreachable 30 count as not covered); B: 5 of 10; Z: none -> NaN
    assert share["A"] == pytest.approx(0.25)
    assert share["B"] == pytest.approx(0.5)
    assert np.isnan(share["Z"])
    assert share.name == "coverage"
    lost = count_unreachable(hh, dist, communities=pd.Index(["A", "B", "Z"]))
    assert lost.to_dict() == {"A": 30.0, "B": 0.0, "Z": 0.0}


def test_weighted_mean_without_weight_column_counts_points() -> None:
    hh = pd.DataFrame({"community_id": ["A", "A", "B"]})
    got = weighted_mean_by(pd.Series([1.0, 3.0, np.nan]), hh)
    assert got["A"] == pytest.approx(2.0)
    assert np.isnan(got["B"])


def test_coverage_share_refuses_households_without_communities() -> None:
    with pytest.raises(InputError, match="community_id"):
        coverage_share(pd.DataFrame({"households": [1]}), pd.Series([True]))


@settings(max_examples=60, deadline=None)
@given(
    dists=st.lists(st.one_of(st.none(), st.floats(0, 3000)), min_size=1, max_size=40),
    seed=st.integers(0, 2**16),
    limits=st.tuples(st.floats(0, 3000), st.floats(0, 3000)),
)
def test_coverage_never_falls_when_the_circle_grows(dists, seed, limits) -> None:
    rng = np.random.default_rng(seed)
    n = len(dists)
    hh = pd.DataFrame({"community_id": rng.choice(["A", "B", "C"], n),
                       "households": rng.integers(0, 20, n)})
    d = pd.Series([np.nan if x is None else x for x in dists], dtype=float)
    small, large = sorted(limits)
    s1 = coverage_share(hh, within_circle(d, small))
    s2 = coverage_share(hh, within_circle(d, large))
    both = s1.notna()
    assert (s2[both] >= s1[both] - 1e-12).all()
    assert ((s1[both] >= 0) & (s2[both] <= 1 + 1e-12)).all()


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**16), limit=st.sampled_from([300.0, 500.0, 1000.0]))
def test_adding_a_facility_never_lowers_coverage(beijing, town, seed, limit) -> None:
    rng = np.random.default_rng(seed)
    fac = town["facilities"].copy()
    fac["type"] = "x"
    chosen = np.sort(rng.choice(len(fac), 4, replace=False))
    extra = int(rng.choice(np.setdiff1d(np.arange(len(fac)), chosen)))
    hh = town["households"]
    before = nearest_by_type(beijing, town["hh_snap"], fac.iloc[chosen],
                             town["fac_snap"][chosen], index=hh.index)["dist_x_m"]
    more = np.sort(np.append(chosen, extra))
    after = nearest_by_type(beijing, town["hh_snap"], fac.iloc[more],
                            town["fac_snap"][more], index=hh.index)["dist_x_m"]
    reached = before.notna()
    assert after[reached].notna().all()
    assert (after[reached] <= before[reached] + 1e-9).all()
    in_before = within_circle(before, limit)
    in_after = within_circle(after, limit)
    assert not (in_before & ~in_after).any()
    s1, s2 = coverage_share(hh, in_before), coverage_share(hh, in_after)
    assert (s2 >= s1 - 1e-12).all()
