"""Households estimated from buildings and from population rasters."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import rasterio
import shapely
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.errors import InputError
from siting.io import (
    buildings_from_osm,
    communities_from_osm,
    from_wgs84,
    households_from_buildings,
    households_from_raster,
    largest_remainder,
)

CRS = pyproj.CRS.from_epsg(32650)
DEFAULTS = {"residential": 6, "apartments": 6, "house": 2, "dormitory": 5, "yes": 3}
# as the national profile lists them: `yes` is decided by place (inside residential areas)
RES_TYPES = ["residential", "apartments", "house", "dormitory"]


def buildings() -> gpd.GeoDataFrame:
    x0, y0 = 444000.0, 4428000.0
    rows = [
        ("b1", "residential", "6", shapely.box(x0, y0, x0 + 20, y0 + 30)),        # 600 m² × 6
        ("b2", "apartments", None, shapely.box(x0 + 50, y0, x0 + 90, y0 + 15)),   # 600 m² × default 6
        ("b3", "house", "2;3", shapely.box(x0 + 100, y0, x0 + 110, y0 + 10)),     # 100 m² × 2
        ("b4", "school", "4", shapely.box(x0 + 200, y0, x0 + 260, y0 + 40)),      # skipped
        ("b5", "yes", None, shapely.box(x0 + 300, y0, x0 + 330, y0 + 30)),        # inside area
        ("b6", "yes", None, shapely.box(x0 + 600, y0, x0 + 630, y0 + 30)),        # outside area
        ("b7", "residential", None, shapely.box(x0 + 700, y0, x0 + 702, y0 + 2)),  # 4 m²: 0 hh
    ]
    return gpd.GeoDataFrame(
        {"building": [r[1] for r in rows], "building:levels": [r[2] for r in rows]},
        geometry=[r[3] for r in rows], crs=CRS,
        index=pd.Index([r[0] for r in rows], name="building_id"),
    )


def test_footprint_times_levels_over_dwelling_size(caplog):
    b = buildings()
    area = gpd.GeoSeries([shapely.box(443990, 4427990, 444400, 4428100)], crs=CRS)
    with caplog.at_level(logging.INFO, logger="siting.io.households"):
        hh = households_from_buildings(b, dwelling_size_m2=90, default_levels=DEFAULTS,
                                       residential_types=RES_TYPES, residential_areas=area)
    # independent arithmetic: round half up of area × levels / 90
    expected = {"b1": 600 * 6 / 90, "b2": 600 * 6 / 90, "b3": 100 * 2 / 90, "b5": 900 * 3 / 90}
    assert list(hh["building_id"]) == list(expected)
    assert list(hh["households"]) == [int(np.floor(v + 0.5)) for v in expected.values()]
    assert list(hh.index) == [f"H-{b}" for b in expected]
    assert hh["estimated"].all() and hh["residents"].isna().all()
    assert hh["community_id"].isna().all()
    assert list(hh["levels"]) == [6, 6, 2, 3]
    for hid, row in hh.iterrows():
        assert b.geometry[row["building_id"]].contains(row.geometry)
    assert "skipped 1 non-residential, 1 building=yes outside residential areas" in caplog.text
    assert "1 too small" in caplog.text


def test_yes_without_areas_counts_only_when_listed():
    b = buildings()
    hh = households_from_buildings(b, dwelling_size_m2=90, default_levels=DEFAULTS,
                                   residential_types=[*RES_TYPES, "yes"])
    assert {"b5", "b6"} <= set(hh["building_id"])
    hh2 = households_from_buildings(b, dwelling_size_m2=90, default_levels=DEFAULTS,
                                    residential_types=["residential"])
    assert list(hh2["building_id"]) == ["b1"]
    # by place switched off: areas given but `yes` not listed → never counted
    area = gpd.GeoSeries([shapely.box(443990, 4427990, 444400, 4428100)], crs=CRS)
    hh3 = households_from_buildings(b, dwelling_size_m2=90, default_levels=DEFAULTS,
                                    residential_types=RES_TYPES, residential_areas=area,
                                    yes_inside_residential=False)
    assert "b5" not in set(hh3["building_id"])


def test_missing_default_levels_and_bad_settings():
    b = buildings()
    with pytest.raises(InputError, match="apartments") as err:
        households_from_buildings(b, dwelling_size_m2=90, default_levels={"house": 2},
                                  residential_types=RES_TYPES)
    assert "default_levels" in str(err.value) and "Fix:" in str(err.value)
    out = households_from_buildings(b, dwelling_size_m2=90, default_levels={"default": 6},
                                    residential_types=RES_TYPES)
    assert out.loc["H-b2", "levels"] == 6
    with pytest.raises(InputError, match="dwelling size"):
        households_from_buildings(b, dwelling_size_m2=0, default_levels=DEFAULTS,
                                  residential_types=RES_TYPES)
    with pytest.raises(InputError, match="projected"):
        households_from_buildings(b.to_crs(4326), dwelling_size_m2=90, default_levels=DEFAULTS,
                                  residential_types=RES_TYPES)


def test_beijing_buildings_total_matches_independent_sum(beijing_features):
    b = buildings_from_osm(beijing_features, crs=CRS)
    areas = communities_from_osm(beijing_features, crs=CRS)
    hh = households_from_buildings(b, dwelling_size_m2=90, default_levels=DEFAULTS,
                                   residential_types=RES_TYPES, residential_areas=areas)
    # independent: loop over buildings with shapely predicates
    union = shapely.union_all(areas.geometry.to_numpy())
    total, n = 0, 0
    for geom, kind, lev in zip(b.geometry, b["building"], b["levels"]):
        if kind == "yes":
            if not union.intersects(shapely.point_on_surface(geom)):
                continue
        elif kind not in RES_TYPES:
            continue
        levels = lev if np.isfinite(lev) else DEFAULTS[kind]
        k = int(np.floor(geom.area * levels / 90 + 0.5))
        total += k
        n += k > 0
    assert hh["households"].sum() == total > 1000
    assert len(hh) == n


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1e4, allow_nan=False), min_size=0, max_size=50))
def test_largest_remainder_property(quotas):
    q = np.asarray(quotas, dtype=float)
    out = largest_remainder(q)
    assert out.sum() == int(np.floor(q.sum() + 0.5))
    assert np.all(np.abs(out - q) < 1 + 1e-9)
    assert np.all(out >= np.floor(q))
    # Hamilton: the units left over went to the largest remainders
    rem = q - np.floor(q)
    up = out > np.floor(q)
    if up.any() and (~up).any():
        assert rem[up].min() >= rem[~up].max()


def from_origin(west: float, north: float, xsize: float, ysize: float) -> Affine:
    """North-up cell transform (rasterio's helper warns about Affine's `*` on new versions)."""
    return Affine(xsize, 0.0, west, 0.0, -ysize, north)


def write_raster(path, values: np.ndarray, *, crs, transform, nodata=-1.0) -> None:
    with rasterio.open(path, "w", driver="GTiff", height=values.shape[0], width=values.shape[1],
                       count=1, dtype="float32", crs=crs, transform=transform,
                       nodata=nodata) as dst:
        dst.write(values.astype("float32"), 1)


def population(seed: int = 4) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = rng.gamma(1.2, 40.0, size=(12, 15)).round(1)
    values[rng.random(values.shape) < 0.3] = 0.0  # empty cells
    values[0, :3] = -1.0  # nodata
    return values


def test_raster_projected_totals_and_cell_centres(tmp_path):
    values = population()
    transform = from_origin(444000.0, 4429000.0, 100.0, 100.0)
    path = tmp_path / "pop.tif"
    write_raster(path, values, crs="EPSG:32650", transform=transform)
    hh = households_from_raster(path, residents_per_household=2.7, crs=CRS)
    populated = values > 0
    assert len(hh) == populated.sum()
    assert hh["residents"].sum() == pytest.approx(values[populated].astype("float32").sum(),
                                                  rel=1e-6)
    assert hh["households"].sum() == int(np.floor(hh["residents"].sum() / 2.7 + 0.5))
    assert hh["estimated"].all()
    r, c = hh["row"].to_numpy(), hh["col"].to_numpy()
    np.testing.assert_allclose(hh.geometry.x, 444000.0 + (c + 0.5) * 100.0)
    np.testing.assert_allclose(hh.geometry.y, 4429000.0 - (r + 0.5) * 100.0)
    assert hh.index[0] == f"cell-{r[0]}-{c[0]}"


def test_raster_geographic_with_gcj02(tmp_path):
    values = population(8)
    res = 0.001
    transform = from_origin(116.34, 40.01, res, res)
    path = tmp_path / "pop.tif"
    write_raster(path, values, crs="EPSG:4326", transform=transform)
    plain = households_from_raster(path, residents_per_household=3.0, crs=CRS)
    gcj = households_from_raster(path, residents_per_household=3.0, crs=CRS, coords="gcj02")
    # the GCJ reading moves each centre back by the offset: compare with the formula directly
    r, c = plain["row"].to_numpy(), plain["col"].to_numpy()
    lonlat = np.column_stack([116.34 + (c + 0.5) * res, 40.01 - (r + 0.5) * res])
    truth = gpd.GeoSeries(gpd.points_from_xy(*lonlat.T), crs=4326)
    back = from_wgs84(gpd.GeoSeries(gcj.geometry.to_crs(4326)), "gcj02")
    np.testing.assert_allclose(shapely.get_coordinates(back.array),
                               shapely.get_coordinates(truth.array), atol=1e-7)
    shift = plain.geometry.distance(gcj.geometry)
    assert (shift > 100).all()
    assert gcj["households"].sum() == plain["households"].sum()


def test_raster_problems(tmp_path):
    values = population()
    values[5, 5] = -20.0
    path = tmp_path / "pop.tif"
    write_raster(path, values, crs="EPSG:32650",
                 transform=from_origin(444000.0, 4429000.0, 100.0, 100.0))
    with pytest.raises(InputError) as err:
        households_from_raster(path, residents_per_household=2.7)
    p = err.value.problems[0]
    assert "negative" in p.message and p.feature == "cell row 5, col 5" and p.fix
    with pytest.raises(InputError, match="positive"):
        households_from_raster(path, residents_per_household=0)
    with pytest.raises(InputError, match="not found"):
        households_from_raster(tmp_path / "none.tif", residents_per_household=2)
