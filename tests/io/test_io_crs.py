"""choose_crs and check_lonlat."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from siting.errors import InputError, Problems
from siting.io import check_lonlat, choose_crs
from siting.io.crs import as_metric_crs


def pts(xy, crs=4326) -> gpd.GeoSeries:
    return gpd.GeoSeries([shapely.Point(x, y) for x, y in xy], crs=crs)


@pytest.mark.parametrize(
    ("lon", "lat", "epsg"),
    [(116.35, 40.0, 32650), (114.06, 22.54, 32650), (87.6, 43.8, 32645), (126.6, 45.7, 32652),
     (-58.4, -34.6, 32721)],
)
def test_choose_crs_is_the_utm_zone_of_the_centre(lon, lat, epsg):
    # independent: zone = floor((lon + 180) / 6) + 1, north 326xx / south 327xx
    zone = int(np.floor((lon + 180) / 6)) + 1
    assert epsg == (32600 if lat >= 0 else 32700) + zone
    assert choose_crs(pts([(lon, lat)])) == pyproj.CRS.from_epsg(epsg)


def test_choose_crs_uses_all_inputs_and_any_crs():
    a = pts([(113.0, 30.0)])  # zone 49
    b = pts([(119.5, 30.0)]).to_crs(32650)  # zone 50, given in metres
    # centre of both: 116.25 → zone 50
    assert choose_crs(a, b) == pyproj.CRS.from_epsg(32650)
    assert choose_crs(a) == pyproj.CRS.from_epsg(32649)
    with pytest.raises(InputError, match="no input has any geometry"):
        choose_crs(pts([]))


def test_check_lonlat_accepts_china_and_flags_mistakes():
    rng = np.random.default_rng(2)
    lon, lat = rng.uniform(100, 120, 50), rng.uniform(20, 45, 50)
    assert check_lonlat(lon, lat)
    with pytest.raises(InputError, match="swapped"):
        check_lonlat(lat, lon, source="f.csv", columns=("lon", "lat"))
    with pytest.raises(InputError, match="missing CRS"):
        check_lonlat(lon * 4000, lat * 1e5)
    problems = Problems(source="f.gpkg")
    assert not check_lonlat(lon * 4000, lat * 1e5, declared="WGS 84", problems=problems)
    (p,) = problems.items
    assert "declares WGS 84" in p.message and p.fix and p.column == "longitude/latitude"


def test_check_lonlat_elsewhere_only_logs(caplog):
    assert check_lonlat(np.array([2.35]), np.array([48.85]))
    assert "outside China" in caplog.text


def test_as_metric_crs():
    assert as_metric_crs("EPSG:32650").to_epsg() == 32650
    with pytest.raises(InputError, match="projected"):
        as_metric_crs(4326)
    with pytest.raises(InputError, match="not a coordinate reference system"):
        as_metric_crs("EPSG:999999")
