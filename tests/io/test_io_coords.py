"""WGS84 ↔ GCJ-02 ↔ BD-09: published reference values, round trips, and the coords guess."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from siting.errors import InputError
from siting.io import coords as C
from siting.io import from_wgs84, suggest_coords, to_wgs84

GEOD = Geod(ellps="WGS84")


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geodesic distance (pyproj), independent of the code under test."""
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


# Reference values published with wandergis/coordtransform (test/app.js) and reproduced by the
# hutool and coordtransform_rs test suites, for the input (116.404, 39.915).
def test_wgs84_to_gcj02_matches_published_value():
    lon, lat = C.wgs84_to_gcj02(116.404, 39.915)
    assert float(lon) == pytest.approx(116.41024449916938, abs=1e-10)
    assert float(lat) == pytest.approx(39.91640428150164, abs=1e-10)


def test_gcj02_to_bd09_matches_published_value():
    lon, lat = C.gcj02_to_bd09(116.404, 39.915)
    assert float(lon) == pytest.approx(116.41036949371029, abs=1e-10)
    assert float(lat) == pytest.approx(39.92133699351021, abs=1e-10)


def test_one_step_inverses_in_the_wild_are_within_a_few_metres_of_ours():
    # The published one-step inverses (gcj02towgs84 → 116.39775550083061, 39.91359571849836;
    # bd09togcj02 → 116.39762729119315, 39.90865673957631) are approximations: ours must agree to a
    # few metres and be exact where theirs is not.
    lon, lat = C.gcj02_to_wgs84(116.404, 39.915)
    assert metres(lon, lat, 116.39775550083061, 39.91359571849836) < 2.0
    lon, lat = C.bd09_to_gcj02(116.404, 39.915)
    assert metres(lon, lat, 116.39762729119315, 39.90865673957631) < 2.0


def test_second_published_pair_shanghai_area():
    # geotool's test pair near Shanghai: WGS84 (121.0917077, 30.6107779) →
    # GCJ-02 (121.09626935575027, 30.608604331756705), BD-09 (121.10271732371203, 30.61484572185035).
    lon, lat = C.wgs84_to_gcj02(121.0917077, 30.6107779)
    assert metres(lon, lat, 121.09626935575027, 30.608604331756705) < 0.05
    lon, lat = C.wgs84_to_bd09(121.0917077, 30.6107779)
    assert metres(lon, lat, 121.10271732371203, 30.61484572185035) < 0.05


def test_offsets_are_hundreds_of_metres_in_china():
    rng = np.random.default_rng(1)
    lon = rng.uniform(98, 122, 500)
    lat = rng.uniform(22, 45, 500)
    g = C.wgs84_to_gcj02(lon, lat)
    b = C.wgs84_to_bd09(lon, lat)
    d_g = metres(lon, lat, *g)
    d_b = metres(lon, lat, *b)
    assert np.all((d_g > 10) & (d_g < 1000)) and np.median(d_g) > 300
    assert np.all((d_b > 300) & (d_b < 2500))


@pytest.mark.parametrize("name", ["gcj02", "bd09"])
def test_round_trip_within_a_tenth_of_a_millimetre_across_china(name):
    rng = np.random.default_rng(7)
    xy = np.column_stack([rng.uniform(73.7, 135.0, 20_000), rng.uniform(18.0, 53.5, 20_000)])
    there = from_wgs84(xy, name)
    back = to_wgs84(there, name)
    assert metres(xy[:, 0], xy[:, 1], back[:, 0], back[:, 1]).max() < 1e-4
    # and the other way round: data given in GCJ-02/BD-09
    again = from_wgs84(to_wgs84(xy, name), name)
    assert metres(xy[:, 0], xy[:, 1], again[:, 0], again[:, 1]).max() < 1e-4


@settings(max_examples=200, deadline=None)
@given(
    lon=st.floats(73.7, 135.0, allow_nan=False),
    lat=st.floats(3.9, 53.5, allow_nan=False),
    name=st.sampled_from(["gcj02", "bd09"]),
)
def test_round_trip_property(lon, lat, name):
    fwd = C._FROM_WGS84[name]
    inv = C._TO_WGS84[name]
    blon, blat = inv(*fwd(lon, lat))
    assert metres(lon, lat, blon, blat) < 0.1


def test_outside_china_unchanged_by_gcj02():
    xy = np.array([[2.35, 48.85], [-74.0, 40.7], [151.2, -33.9]])
    assert np.array_equal(from_wgs84(xy, "gcj02"), xy)
    assert np.array_equal(to_wgs84(xy, "gcj02"), xy)


def test_geodataframe_every_vertex_converted_and_crs_kept():
    poly = shapely.Polygon([(116.30, 39.90), (116.31, 39.90), (116.31, 39.91), (116.30, 39.91)])
    gdf = gpd.GeoDataFrame({"a": [1, 2]}, geometry=[poly, shapely.Point(116.4, 39.9)], crs=4326)
    out = to_wgs84(gdf, "gcj02")
    assert out.crs == gdf.crs and list(out["a"]) == [1, 2]
    src = shapely.get_coordinates(gdf.geometry.array)
    got = shapely.get_coordinates(out.geometry.array)
    exp = np.column_stack(C.gcj02_to_wgs84(src[:, 0], src[:, 1]))
    np.testing.assert_allclose(got, exp, atol=1e-12)
    assert gdf.geometry.iloc[1].x == 116.4  # input untouched


def test_projected_data_refused():
    gdf = gpd.GeoDataFrame(geometry=[shapely.Point(440000, 4420000)], crs=32650)
    with pytest.raises(InputError, match="longitude/latitude"):
        to_wgs84(gdf, "gcj02")


@pytest.mark.parametrize("good", ["WGS84", "gcj-02", "BD09", "gcj_02"])
def test_coords_names_normalised(good):
    assert C.check_coords_name(good) in C.COORDS


def test_unknown_coords_name_lists_choices():
    with pytest.raises(InputError) as err:
        to_wgs84(np.zeros((1, 2)), "mars")
    assert "gcj02" in str(err.value) and "bd09" in str(err.value) and "Fix" in str(err.value)


@pytest.mark.parametrize("truth", ["wgs84", "gcj02", "bd09"])
def test_suggest_coords_points_of_interest_against_streets(beijing_features, truth):
    f = beijing_features
    streets = f[f["highway"].notna().to_numpy() & (f.geom_type == "LineString").to_numpy()]
    pois = f[(f.geom_type == "Point").to_numpy()].geometry
    assert suggest_coords(from_wgs84(pois, truth), streets.geometry) == truth


@pytest.mark.parametrize("truth", ["wgs84", "gcj02", "bd09"])
def test_suggest_coords_building_points_against_polygons(beijing_features, truth):
    f = beijing_features
    polys = f[f.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()]
    pts = polys[polys["building"].notna().to_numpy()].representative_point()
    assert suggest_coords(from_wgs84(pts, truth), polys.geometry) == truth


def test_suggest_coords_none_when_nothing_tells():
    pts = gpd.GeoSeries([shapely.Point(116.35, 40.0)], crs=4326)
    far = gpd.GeoSeries([shapely.LineString([(100, 30), (100.001, 30)])], crs=4326)
    assert suggest_coords(pts, far) is None  # every hypothesis is capped at the same distance
    assert suggest_coords(pts.iloc[:0], far) is None


@pytest.mark.parametrize("truth", ["wgs84", "gcj02", "bd09"])
def test_suggest_coords_compound_polygons_against_streets(beijing_features, truth):
    """Residential compounds (community-like polygons) are told by their boundaries, which run along
    streets; their inside points alone sit in blocks about as far from streets as a shifted point."""
    f = beijing_features
    streets = f[f["highway"].notna().to_numpy() & (f.geom_type == "LineString").to_numpy()]
    polys = f[f.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
              & (f["landuse"] == "residential").to_numpy()]
    assert len(polys) >= 10
    assert suggest_coords(from_wgs84(polys.geometry, truth), streets.geometry) == truth
