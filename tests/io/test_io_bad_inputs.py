"""Bad inputs: one test per problem kind; each message names the file, feature, column and fix."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from siting.errors import InputError, Problem
from siting.io import (
    read_candidates,
    read_communities,
    read_facilities,
    read_households,
)

UTM = "EPSG:32650"
TYPES = ["service_center", "eldercare", "fitness", "shelter", "health", "school", "kindergarten",
         "market"]

DATA = Path(__file__).resolve().parents[1] / "data" / "io"


def find(err: pytest.ExceptionInfo, *, column: str, feature: str | None = None,
         text: str = "") -> Problem:
    """The one problem about ``column`` (and ``feature``) whose message holds ``text``; checks that
    its rendering names the file, the feature, the column and a fix."""
    hits = [p for p in err.value.problems
            if p.column == column and text in p.message
            and (feature is None or (p.feature and feature in p.feature))]
    assert len(hits) == 1, f"no single problem ({column}, {feature}, {text!r}) in:\n{err.value}"
    p = hits[0]
    assert p.source and p.fix
    rendered = str(err.value)
    assert f"`{p.source}`" in rendered and f"column `{column}`" in rendered and "Fix: " in rendered
    if feature is not None:
        assert f"feature {p.feature}" in rendered
    return p


def write(gdf: gpd.GeoDataFrame, path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gdf.to_file(path, engine="pyogrio")


def pts(n: int) -> list[shapely.Point]:
    return [shapely.Point(116.35 + 0.001 * i, 40.0) for i in range(n)]


def test_all_problems_of_one_file_in_one_error(caplog):
    path = DATA / "communities_bad.geojson"
    with caplog.at_level(logging.WARNING), pytest.raises(InputError) as err:
        read_communities(path, crs=UTM)
    assert len(err.value.problems) == 6
    assert str(err.value).startswith("6 problems:")
    assert all(p.source == str(path) for p in err.value.problems)
    find(err, column="community_id", feature="row 7", text="no id")  # missing id
    dup = find(err, column="community_id", feature="row 1", text="more than once")  # duplicate
    assert "C1" in dup.message and "row 2" in dup.feature
    find(err, column="kind", feature="community_id=C3", text="'metro'")  # kind not allowed
    find(err, column="workers", feature="community_id=C4", text="negative")
    find(err, column="geometry", feature="community_id=C5", text="no geometry")  # empty
    find(err, column="geometry", feature="community_id=C6", text="Point")  # wrong kind
    # the self-intersecting C8 is repaired, with a warning, not refused
    assert "repaired 1 invalid polygon" in caplog.text and "community_id=C8" in caplog.text


def test_invalid_polygon_repaired_and_counted(tmp_path, caplog):
    bowtie = shapely.Polygon([(116.35, 40.0), (116.36, 40.01), (116.36, 40.0), (116.35, 40.01)])
    ok = shapely.box(116.34, 40.0, 116.345, 40.005)
    path = tmp_path / "c.gpkg"
    write(gpd.GeoDataFrame({"community_id": ["A", "B", "C"]}, geometry=[bowtie, ok, bowtie],
                           crs=4326), path)
    with caplog.at_level(logging.WARNING, logger="siting.io.validate"):
        out = read_communities(path, crs=UTM)
    assert "repaired 2 invalid polygon(s)" in caplog.text
    assert out.geometry.is_valid.all() and (out.area > 0).all()
    assert set(out.geom_type) <= {"Polygon", "MultiPolygon"}


def test_missing_required_id_column(tmp_path):
    path = tmp_path / "c.geojson"
    write(gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.box(116.3, 40, 116.31, 40.01)],
                           crs=4326), path)
    with pytest.raises(InputError) as err:
        read_communities(path)
    p = find(err, column="community_id", text="missing")
    assert "add a `community_id` column" in p.fix and str(path) in str(err.value)


def test_missing_type_column_lists_known_types(tmp_path):
    path = tmp_path / "f.geojson"
    write(gpd.GeoDataFrame({"name": ["a"]}, geometry=pts(1), crs=4326), path)
    with pytest.raises(InputError) as err:
        read_facilities(path, facility_types=TYPES)
    p = find(err, column="type", text="missing")
    assert "eldercare" in p.fix


def test_unknown_and_blank_facility_types(tmp_path):
    path = tmp_path / "f.geojson"
    write(gpd.GeoDataFrame({"facility_id": ["F1", "F2", "F3"],
                            "type": ["eldercare", "karaoke", None]}, geometry=pts(3), crs=4326),
          path)
    with pytest.raises(InputError) as err:
        read_facilities(path, facility_types=TYPES)
    p = find(err, column="type", feature="facility_id=F2", text="'karaoke'")
    assert "known: " in p.message and "eldercare" in p.message and "profile" in p.fix
    find(err, column="type", feature="facility_id=F3", text="no type")
    assert len(err.value.problems) == 2


def test_unknown_candidate_types(tmp_path):
    path = tmp_path / "k.geojson"
    write(gpd.GeoDataFrame({"candidate_id": ["K1", "K2"], "types": ["eldercare;spa", "shelter"]},
                           geometry=pts(2), crs=4326), path)
    with pytest.raises(InputError) as err:
        read_candidates(path, facility_types=TYPES)
    find(err, column="types", feature="candidate_id=K1", text="'spa'")


def test_household_counts_checked(tmp_path):
    path = tmp_path / "h.csv"
    pd.DataFrame({
        "household_id": ["a", "b", "c", "d", "e"],
        "lon": [116.35] * 5, "lat": [40.0] * 5,
        "households": ["3", "-2", "2.5", "many", ""],
        "residents": ["7", "x", "", "1", "2"],
    }).to_csv(path, index=False)
    with pytest.raises(InputError) as err:
        read_households(path)
    find(err, column="households", feature="household_id=b", text="negative")
    find(err, column="households", feature="household_id=c", text="whole numbers")
    p = find(err, column="households", feature="household_id=d", text="not numbers")
    assert "'many'" in p.message
    find(err, column="households", feature="household_id=e", text="blank")
    find(err, column="residents", feature="household_id=b", text="not numbers")
    assert len(err.value.problems) == 5


def test_negative_area_and_capacity(tmp_path):
    path = tmp_path / "f.gpkg"
    write(gpd.GeoDataFrame({"facility_id": ["F1", "F2"], "type": ["shelter", "shelter"],
                            "area_m2": [-5.0, 10.0], "capacity": [1.0, -1.0]},
                           geometry=pts(2), crs=4326), path)
    with pytest.raises(InputError) as err:
        read_facilities(path)
    find(err, column="area_m2", feature="facility_id=F1", text="negative")
    find(err, column="capacity", feature="facility_id=F2", text="negative")


def test_polygons_where_points_needed(tmp_path):
    path = tmp_path / "h.geojson"
    write(gpd.GeoDataFrame({"household_id": ["h1", "h2"]},
                           geometry=[shapely.box(116.35, 40, 116.351, 40.001), pts(1)[0]],
                           crs=4326), path)
    with pytest.raises(InputError) as err:
        read_households(path)
    p = find(err, column="geometry", feature="household_id=h1", text="Polygon")
    assert "needs points" in p.message


def test_lines_where_points_or_polygons_needed(tmp_path):
    path = tmp_path / "f.geojson"
    write(gpd.GeoDataFrame({"facility_id": ["F1"], "type": ["shelter"]},
                           geometry=[shapely.LineString([(116.35, 40), (116.36, 40)])], crs=4326),
          path)
    with pytest.raises(InputError) as err:
        read_facilities(path)
    find(err, column="geometry", feature="facility_id=F1", text="LineString")


def test_swapped_lonlat_csv():
    path = DATA / "households_swapped.csv"
    with pytest.raises(InputError) as err:
        read_households(path)
    p = find(err, column="lon/lat", text="swapped")
    assert "`lon` holds 39.9991–40.0043" in p.message
    assert "exchange the `lon` and `lat` columns" in p.fix


def test_swapped_lonlat_geometry(tmp_path):
    path = tmp_path / "c.geojson"
    swapped = shapely.box(39.998, 116.345, 40.003, 116.35)
    write(gpd.GeoDataFrame({"community_id": ["C1"]}, geometry=[swapped], crs=4326), path)
    with pytest.raises(InputError) as err:
        read_communities(path)
    p = find(err, column="longitude/latitude", text="swapped")
    assert "[longitude, latitude]" in p.fix


def test_metres_given_as_degrees_without_crs(tmp_path):
    path = tmp_path / "h.csv"
    pd.DataFrame({"x": [444000.0, 444100.0], "y": [4428000.0, 4428100.0]}).to_csv(path,
                                                                                   index=False)
    with pytest.raises(InputError) as err:
        read_households(path)
    p = find(err, column="x/y", text="missing CRS")
    assert "source_crs" in p.fix
    out = read_households(path, source_crs=UTM, crs=UTM)  # the fix works
    np.testing.assert_allclose(out.geometry.x, [444000.0, 444100.0])


def test_metres_labelled_as_degrees(tmp_path):
    path = tmp_path / "c.gpkg"
    box = shapely.box(444000, 4428000, 444500, 4428500)
    write(gpd.GeoDataFrame({"community_id": ["C1"]}, geometry=[box], crs=4326), path)
    with pytest.raises(InputError) as err:
        read_communities(path)
    p = find(err, column="longitude/latitude", text="not degrees")
    assert "WGS 84" in p.message and "Set CRS" in p.fix


def test_degrees_labelled_as_projected(tmp_path):
    path = tmp_path / "c.gpkg"
    write(gpd.GeoDataFrame({"community_id": ["C1"]},
                           geometry=[shapely.box(116.345, 39.998, 116.35, 40.003)], crs=32650),
          path)
    with pytest.raises(InputError) as err:
        read_communities(path)
    p = find(err, column="geometry", text="look like longitude/latitude")
    assert "EPSG:4326" in p.fix


def test_csv_bad_coordinates_and_missing_columns(tmp_path):
    path = tmp_path / "h.csv"
    pd.DataFrame({"lon": ["116.35", "116°21′E"], "lat": ["40.0", "40.0"]}).to_csv(path,
                                                                                  index=False)
    with pytest.raises(InputError) as err:
        read_households(path)
    find(err, column="lon", feature="row 2", text="not numbers")
    # the row then has no geometry, reported by id
    find(err, column="geometry", feature="household_id=H000002", text="no geometry")

    path2 = tmp_path / "h2.csv"
    pd.DataFrame({"east": [116.35], "north": [40.0]}).to_csv(path2, index=False)
    with pytest.raises(InputError) as err:
        read_households(path2)
    p = find(err, column="lon/lat", text="no coordinate columns")
    assert "`经度`/`纬度`" in p.fix and "east, north" in p.message


def test_long_lists_are_cut(tmp_path):
    path = tmp_path / "h.csv"
    pd.DataFrame({"lon": [116.35] * 30, "lat": [40.0] * 30, "households": [-1] * 30}).to_csv(
        path, index=False)
    with pytest.raises(InputError) as err:
        read_households(path)
    p = find(err, column="households", text="30 value(s) are negative")
    assert p.feature.endswith("(and 22 more)")


def test_file_not_found_and_unreadable(tmp_path):
    with pytest.raises(InputError, match="file not found") as err:
        read_communities(tmp_path / "nope.geojson")
    assert "Fix:" in str(err.value)
    bad = tmp_path / "junk.gpkg"
    bad.write_bytes(b"not a geopackage")
    with pytest.raises(InputError, match="cannot be read") as err:
        read_communities(bad)
    assert str(bad) in str(err.value) and "Fix:" in str(err.value)


def test_empty_file(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("lon,lat,households\n", encoding="utf-8")
    with pytest.raises(InputError, match="holds no features") as err:
        read_households(path)
    assert str(path) in str(err.value) and "Fix:" in str(err.value)


def test_bad_target_crs_and_coords():
    with pytest.raises(InputError, match="projected"):
        read_communities(DATA / "communities_bad.geojson", crs="EPSG:4326")
    with pytest.raises(InputError, match="unknown coordinate system"):
        read_households(DATA / "households_good.csv", coords="baidu-ish")
