"""Readers: every format, every CSV column spelling, CRS decisions, the contract's columns."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from siting.errors import InputError
from siting.io import (
    from_wgs84,
    read_buildings,
    read_candidates,
    read_communities,
    read_facilities,
    read_households,
)

UTM50 = pyproj.CRS.from_epsg(32650)
TO_UTM = pyproj.Transformer.from_crs(4326, 32650, always_xy=True)
FORMATS = {"geojson": ".geojson", "gpkg": ".gpkg", "shapefile": ".shp", "parquet": ".parquet"}

DATA = Path(__file__).resolve().parents[1] / "data" / "io"


def write(gdf: gpd.GeoDataFrame, path) -> None:
    if str(path).endswith(".parquet"):
        gdf.to_parquet(path)
    else:
        with warnings.catch_warnings():  # Shapefile's 10-character names are part of the test
            warnings.simplefilter("ignore")
            gdf.to_file(path, engine="pyogrio")


def communities_wgs84(seed: int = 3) -> gpd.GeoDataFrame:
    """Four square communities in Haidian, with seeded attributes."""
    rng = np.random.default_rng(seed)
    boxes = [shapely.box(116.345 + 0.005 * i, 39.998, 116.35 + 0.005 * i, 40.003) for i in range(4)]
    return gpd.GeoDataFrame(
        {
            "community_id": ["C1", "C2", "C3", "C4"],
            "name": ["学清苑", "石科院", None, "富润家园"],
            "kind": ["urban", "town", "rural", None],
            "facility_area_m2": np.round(rng.uniform(100, 800, 4), 1),
            "workers": rng.integers(1, 20, 4).astype(float),
            "note": ["a", "b", "c", "d"],
        },
        geometry=boxes,
        crs=4326,
    )


def expected_utm(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Vertices (normalised ring order) projected with pyproj directly."""
    xy = shapely.get_coordinates(shapely.normalize(np.asarray(gdf.geometry.array)))
    return np.column_stack(TO_UTM.transform(xy[:, 0], xy[:, 1]))


def coords_of(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Vertices in normalised ring order (Shapefiles reorient rings)."""
    return shapely.get_coordinates(shapely.normalize(np.asarray(gdf.geometry.array)))


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_communities_every_format(tmp_path, fmt):
    src = communities_wgs84()
    path = tmp_path / f"communities{FORMATS[fmt]}"
    write(src, path)
    out = read_communities(path, crs="EPSG:32650")
    assert out.crs == UTM50
    assert out.index.name == "community_id" and list(out.index) == ["C1", "C2", "C3", "C4"]
    assert list(out.columns[:6]) == ["name", "kind", "facility_area_m2", "workers",
                                     "social_workers", "district"]
    assert out["social_workers"].isna().all()  # absent → NaN, never invented
    assert out["district"].isna().all()
    assert list(out["kind"].iloc[:3]) == ["urban", "town", "rural"] and out["kind"].iloc[3] is None
    np.testing.assert_allclose(out["facility_area_m2"], src["facility_area_m2"])
    assert "note" in out.columns  # the file's other columns are kept
    np.testing.assert_allclose(coords_of(out), expected_utm(src),
                               atol=1e-6)


def test_default_crs_is_local_utm(tmp_path):
    path = tmp_path / "c.geojson"
    write(communities_wgs84(), path)
    assert read_communities(path).crs == UTM50


@pytest.mark.parametrize("pair", [("lon", "lat"), ("lng", "lat"), ("x", "y"), ("经度", "纬度"),
                                  ("Longitude", "Latitude"), ("LON", "LAT")])
def test_households_csv_column_spellings(tmp_path, pair):
    rng = np.random.default_rng(11)
    lon = rng.uniform(116.345, 116.36, 20)
    lat = rng.uniform(39.998, 40.008, 20)
    df = pd.DataFrame({pair[0]: lon, pair[1]: lat, "households": rng.integers(1, 50, 20)})
    path = tmp_path / "hh.csv"
    df.to_csv(path, index=False)
    out = read_households(path, crs=UTM50)
    xy = np.column_stack(TO_UTM.transform(lon, lat))
    np.testing.assert_allclose(coords_of(out), xy, atol=1e-6)
    assert out["households"].sum() == df["households"].sum()
    assert out["households"].dtype == np.int64
    assert list(out.index[:2]) == ["H000001", "H000002"]  # generated, stable


def test_households_fixture_keeps_string_ids_and_blanks(caplog):
    out = read_households(DATA / "households_good.csv", crs=UTM50)
    assert list(out.index) == ["007", "008", "009"]  # leading zeros kept
    assert list(out["households"]) == [3, 1, 2]
    assert np.isnan(out.loc["008", "residents"]) and out.loc["007", "residents"] == 8
    assert not out["estimated"].any()
    assert out["community_id"].isna().all()
    assert out.loc["007", "note"] == "一号楼"


def test_households_default_one_with_log(tmp_path, caplog):
    path = tmp_path / "hh.csv"
    pd.DataFrame({"lon": [116.35, 116.351], "lat": [40.0, 40.001]}).to_csv(path, index=False)
    with caplog.at_level(logging.INFO, logger="siting.io.read"):
        out = read_households(path, crs=UTM50)
    assert list(out["households"]) == [1, 1]
    assert "no `households` column" in caplog.text


@pytest.mark.parametrize("coords", ["gcj02", "bd09"])
def test_coords_converted_for_undeclared_and_wgs84_declared(tmp_path, coords):
    src = communities_wgs84()
    shifted = from_wgs84(src, coords)  # as a 高德/百度 export would hold them
    path = tmp_path / "c.gpkg"
    write(shifted, path)
    out = read_communities(path, coords=coords, crs=UTM50)
    err = np.abs(coords_of(out) - expected_utm(src)).max()
    assert err < 0.01
    # read as WGS84 the same file lands hundreds of metres off: the test can fail
    wrong = read_communities(path, crs=UTM50)
    assert np.abs(coords_of(wrong) - expected_utm(src)).max() > 100

    csv = tmp_path / "h.csv"
    xy = shapely.get_coordinates(shifted.geometry.array)[:3]
    pd.DataFrame({"lng": xy[:, 0], "lat": xy[:, 1]}).to_csv(csv, index=False)
    pts = read_households(csv, coords=coords, crs=UTM50)
    truth = shapely.get_coordinates(src.geometry.array)[:3]
    np.testing.assert_allclose(coords_of(pts), np.column_stack(TO_UTM.transform(*truth.T)),
                               atol=0.01)


def test_declared_projected_crs_honoured_and_coords_ignored(tmp_path, caplog):
    src = communities_wgs84().to_crs(4547)  # CGCS2000 / 3-degree Gauss-Kruger CM 114E
    path = tmp_path / "c.gpkg"
    write(src, path)
    with caplog.at_level(logging.WARNING, logger="siting.io.vector"):
        out = read_communities(path, coords="gcj02", crs=UTM50)
    assert "does not apply" in caplog.text
    np.testing.assert_allclose(coords_of(out),
                               expected_utm(communities_wgs84()), atol=0.01)


def test_shapefile_without_prj_taken_as_wgs84(tmp_path):
    path = tmp_path / "c.shp"
    write(communities_wgs84(), path)
    path.with_suffix(".prj").unlink()
    out = read_communities(path, crs=UTM50)
    np.testing.assert_allclose(coords_of(out),
                               expected_utm(communities_wgs84()), atol=1e-6)


def test_undeclared_metres_need_source_crs(tmp_path):
    src = communities_wgs84().to_crs(32650)
    path = tmp_path / "c.shp"
    write(src, path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(InputError, match="missing CRS"):
        read_communities(path)
    out = read_communities(path, source_crs="EPSG:32650", crs=UTM50)
    np.testing.assert_allclose(coords_of(out),
                               coords_of(src), atol=1e-6)


def test_shapefile_truncated_column_names(tmp_path):
    src = communities_wgs84()
    src["social_workers"] = [1.0, 2.0, 3.0, 4.0]
    path = tmp_path / "c.shp"
    write(src, path)
    out = read_communities(path, crs=UTM50)
    np.testing.assert_allclose(out["social_workers"], [1, 2, 3, 4])
    np.testing.assert_allclose(out["facility_area_m2"], src["facility_area_m2"])


def test_facilities_polygons_become_points_with_area(tmp_path):
    poly = shapely.box(116.35, 40.0, 116.351, 40.001)  # ~85 m × 111 m
    gdf = gpd.GeoDataFrame(
        {"facility_id": ["F-a", "F-b", "F-c"], "type": ["Eldercare", "shelter", "health"],
         "area_m2": [None, 5000.0, None], "name": ["养老驿站", "公园", "卫生站"]},
        geometry=[poly, poly, shapely.Point(116.352, 40.0)], crs=4326,
    )
    path = tmp_path / "f.geojson"
    write(gdf, path)
    out = read_facilities(path, crs=UTM50, facility_types=["eldercare", "shelter", "health"])
    assert (out.geom_type == "Point").all()
    assert list(out["type"]) == ["eldercare", "shelter", "health"]
    expected = gpd.GeoSeries([poly], crs=4326).to_crs(UTM50).area.iloc[0]
    assert out.loc["F-a", "area_m2"] == pytest.approx(expected)
    assert out.loc["F-b", "area_m2"] == 5000.0  # given area kept
    assert np.isnan(out.loc["F-c", "area_m2"]) and out["capacity"].isna().all()
    assert gpd.GeoSeries([poly], crs=4326).to_crs(UTM50).iloc[0].contains(out.geometry["F-a"])


def test_candidates_types_parsed(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"candidate_id": [1, 2, 3], "types": ["eldercare; shelter", "", "fitness,health"],
         "cost": [1.5, 2.0, None]},
        geometry=[shapely.Point(116.35 + i * 0.001, 40.0) for i in range(3)], crs=4326,
    )
    path = tmp_path / "cand.gpkg"
    write(gdf, path)
    out = read_candidates(path, crs=UTM50, facility_types=["eldercare", "shelter", "fitness",
                                                             "health"])
    assert list(out.index) == ["1", "2", "3"]
    assert out.loc["1", "types"] == ("eldercare", "shelter")
    assert out.loc["2", "types"] == ()
    assert out.loc["3", "types"] == ("fitness", "health")
    assert np.isnan(out.loc["3", "cost"]) and out["capacity"].isna().all()


def test_buildings_levels_from_osm_style_column(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"building": ["residential", None], "building:levels": ["6", None]},
        geometry=[shapely.box(116.35, 40.0, 116.3502, 40.0002),
                  shapely.box(116.351, 40.0, 116.3512, 40.0002)], crs=4326,
    )
    path = tmp_path / "b.geojson"
    write(gdf, path)
    out = read_buildings(path, crs=UTM50)
    assert list(out.index) == ["B000001", "B000002"]
    assert list(out["building"]) == ["residential", "yes"]
    assert out["levels"].iloc[0] == 6 and np.isnan(out["levels"].iloc[1])


def test_three_d_points_flattened_and_multipoints_of_one(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"household_id": ["a", "b"]},
        geometry=[shapely.Point(116.35, 40.0, 55.0), shapely.MultiPoint([(116.351, 40.001)])],
        crs=4326,
    )
    path = tmp_path / "h.gpkg"
    write(gdf, path)
    out = read_households(path, crs=UTM50)
    assert not out.has_z.any() and (out.geom_type == "Point").all()
    expected = np.column_stack(TO_UTM.transform([116.35, 116.351], [40.0, 40.001]))
    np.testing.assert_allclose(coords_of(out), expected, atol=1e-6)
