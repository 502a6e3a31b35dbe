"""Shared fixtures of the io tests: the shipped Beijing OSM extract, parsed once."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest

ROOT = Path(__file__).resolve().parents[2]
BEIJING_OSM = ROOT / "data" / "boundaries" / "beijing" / "beijing_haidian_xueqing.osm"
DATA = ROOT / "tests" / "data" / "io"


@pytest.fixture(scope="session")
def beijing_features() -> gpd.GeoDataFrame:
    from siting.io import read_osm_features

    return read_osm_features(BEIJING_OSM)
