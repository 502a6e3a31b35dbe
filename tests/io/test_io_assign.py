"""assign_communities: conservation, outside points kept, overlaps resolved deterministically."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.io import assign_communities

CRS = "EPSG:32650"


def grid_communities() -> gpd.GeoDataFrame:
    """Four 100 m squares in a 2×2 grid, plus an overlapping square over the centre."""
    boxes = {
        "A": shapely.box(0, 0, 100, 100), "B": shapely.box(100, 0, 200, 100),
        "C": shapely.box(0, 100, 100, 200), "D": shapely.box(100, 100, 200, 200),
        "Z": shapely.box(80, 80, 120, 120),
    }
    return gpd.GeoDataFrame(geometry=list(boxes.values()), index=pd.Index(list(boxes),
                            name="community_id"), crs=CRS)


def households(xy: np.ndarray, counts: np.ndarray) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"households": counts.astype(np.int64)},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        index=pd.Index([f"H{i}" for i in range(len(xy))], name="household_id"), crs=CRS,
    )


def brute_force(hh: gpd.GeoDataFrame, comms: gpd.GeoDataFrame) -> list[str | None]:
    """Independent rule: interior beats boundary, then the smallest id; None when outside."""
    out = []
    for p in hh.geometry:
        inside = sorted(c for c, g in comms.geometry.items() if g.contains(p))
        touch = sorted(c for c, g in comms.geometry.items() if g.intersects(p))
        out.append(inside[0] if inside else (touch[0] if touch else None))
    return out


def test_matches_brute_force_and_counts(caplog):
    rng = np.random.default_rng(5)
    xy = rng.uniform(-20, 220, size=(400, 2))
    xy[:5] = [[100, 50], [100, 100], [90, 90], [110, 110], [250, 250]]  # edges, overlap, outside
    counts = rng.integers(0, 9, 400)
    hh = households(xy, counts)
    comms = grid_communities()
    with caplog.at_level(logging.WARNING, logger="siting.io.assign"):
        out = assign_communities(hh, comms)
    assert list(out["community_id"]) == brute_force(hh, comms)
    assert out.loc["H0", "community_id"] == "A"  # on the A|B edge: smallest id
    assert out.loc["H2", "community_id"] == "A"  # inside A and Z: smallest id among interiors
    assert out.loc["H4", "community_id"] is None
    fig = out.attrs["assignment"]
    outside = out["community_id"].isna().to_numpy()
    assert fig["outside_points"] == outside.sum() > 0
    assert fig["outside_households"] == counts[outside].sum()
    n_inside = np.array([sum(g.contains(p) for g in comms.geometry) for p in hh.geometry])
    assert fig["overlap_points"] == (n_inside >= 2).sum() > 0
    assert fig["overlap_households"] == counts[n_inside >= 2].sum()
    assert "outside every community" in caplog.text and "overlapping" in caplog.text
    # same rows, same order, same counts
    assert list(out.index) == list(hh.index)
    assert out["households"].sum() == counts.sum()


def test_deterministic_whatever_the_order():
    rng = np.random.default_rng(9)
    hh = households(rng.uniform(0, 200, size=(200, 2)), rng.integers(1, 5, 200))
    comms = grid_communities()
    a = assign_communities(hh, comms)
    b = assign_communities(hh.iloc[::-1], comms.iloc[::-1])
    assert a["community_id"].equals(b["community_id"].loc[a.index])


def test_reprojects_communities_and_reports_changes(caplog):
    comms = grid_communities()
    hh = households(np.array([[50.0, 50.0], [150.0, 50.0]]), np.array([2, 3]))
    hh["community_id"] = ["A", "A"]  # the second is wrong
    with caplog.at_level(logging.WARNING, logger="siting.io.assign"):
        out = assign_communities(hh, comms.to_crs(4326))
    assert list(out["community_id"]) == ["A", "B"]
    assert out.attrs["assignment"]["changed_points"] == 1


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(0, 60),
)
def test_household_counts_in_equal_counts_out(seed, n):
    rng = np.random.default_rng(seed)
    hh = households(rng.uniform(-50, 250, size=(n, 2)), rng.integers(0, 20, n))
    out = assign_communities(hh, grid_communities())
    per = out.groupby(out["community_id"].fillna("<none>"))["households"].sum()
    assert per.sum() == hh["households"].sum()
    assert out.attrs["assignment"]["outside_households"] == per.get("<none>", 0)
    assert len(out) == len(hh)
