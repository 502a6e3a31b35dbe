"""Inputs: read, validate, convert coordinates, choose the one metric CRS, estimate households.

Every reader returns a GeoDataFrame in the run's projected metric CRS, indexed by its string id, with
the columns of the "Tables" section of docs/ARCHITECTURE.md, and raises one
:class:`~siting.errors.InputError` listing every problem of a file (file, feature, column, fix).
"""

from __future__ import annotations

from siting.io.assign import assign_communities
from siting.io.coords import (
    COORDS,
    CoordsReference,
    bd09_to_gcj02,
    bd09_to_wgs84,
    coords_reference,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    suggest_coords,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from siting.io.crs import check_lonlat, choose_crs
from siting.io.households import (
    households_from_buildings,
    households_from_raster,
    largest_remainder,
)
from siting.io.osm import (
    buildings_from_osm,
    communities_from_osm,
    facilities_from_osm,
    read_osm_features,
)
from siting.io.read import (
    read_buildings,
    read_candidates,
    read_communities,
    read_facilities,
    read_households,
)
from siting.io.vector import LONLAT_COLUMNS, read_vector

__all__ = [
    "COORDS",
    "LONLAT_COLUMNS",
    "CoordsReference",
    "assign_communities",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "buildings_from_osm",
    "check_lonlat",
    "choose_crs",
    "communities_from_osm",
    "coords_reference",
    "facilities_from_osm",
    "from_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "households_from_buildings",
    "households_from_raster",
    "largest_remainder",
    "read_buildings",
    "read_candidates",
    "read_communities",
    "read_facilities",
    "read_households",
    "read_osm_features",
    "read_vector",
    "suggest_coords",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]
