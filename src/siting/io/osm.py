"""Facilities, communities and buildings from an OpenStreetMap XML extract.

osmnx does the work: :func:`osmnx.features_from_xml` parses the file and builds point and (multi)polygon
geometries for nodes, closed ways and multipolygon relations. Written here: the mapping from OSM tags
to the profile's facility types (a table in the profile, not in code: first matching row wins), and
the reduction of features to the contract's tables.

Each function takes either a path or the GeoDataFrame :func:`read_osm_features` returned, so a
pipeline parses a file once and draws facilities, communities and buildings from it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from siting.errors import InputError, Problem
from siting.io.crs import as_metric_crs, choose_crs
from siting.io.households import parse_levels
from siting.io.validate import FileProblems, repair_polygons

logger = logging.getLogger(__name__)

OsmSource: TypeAlias = "str | PathLike[str] | gpd.GeoDataFrame"


def read_osm_features(path: str | PathLike[str]) -> gpd.GeoDataFrame:
    """Every tagged feature of an OSM XML file (``.osm`` or ``.osm.bz2``), in WGS84.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    geopandas.GeoDataFrame
        osmnx's features table: one column per tag key, MultiIndex (``element``, ``id``).
    """
    import osmnx as ox

    path = Path(path)
    if not path.exists():
        raise InputError(Problem("file not found", str(path), fix="check the OSM file's path"))
    try:
        return ox.features_from_xml(path)
    except Exception as exc:  # noqa: BLE001 - osmnx raises ValueError, ParseError, InsufficientResponseError…
        raise InputError(Problem(f"cannot be read as OSM XML ({exc})", str(path), None, None,
                                 "give an .osm or .osm.bz2 file (e.g. exported from openstreetmap.org "
                                 "or clipped with osmium)")) from None


def _features(source: OsmSource) -> tuple[gpd.GeoDataFrame, str]:
    if isinstance(source, gpd.GeoDataFrame):
        return source, "OSM features"
    return read_osm_features(source), str(source)


def osm_ids(features: pd.DataFrame) -> np.ndarray:
    """``element/id`` strings (e.g. ``way/123``) for osmnx's (element, id) index."""
    idx = features.index
    if isinstance(idx, pd.MultiIndex) and idx.nlevels == 2:
        return np.array([f"{e}/{i}" for e, i in idx], dtype=object)
    return np.asarray(idx, dtype=object).astype(str)


def _project(gdf: gpd.GeoDataFrame, crs: Any, source: str) -> gpd.GeoDataFrame:
    gdf = gdf.set_crs(4326) if gdf.crs is None else gdf
    target = as_metric_crs(crs, source=source) if crs is not None else choose_crs(gdf)
    return gdf.to_crs(target)


def _tag_mask(features: pd.DataFrame, tags: Mapping[str, Any]) -> np.ndarray:
    """Features carrying any of ``tags`` (value list, a single value, ``"*"`` or True = any value)."""
    mask = np.zeros(len(features), dtype=bool)
    for key, values in tags.items():
        if key not in features.columns:
            continue
        col = features[key]
        if values is True or values == "*" or (isinstance(values, Sequence)
                                                and not isinstance(values, str) and "*" in values):
            mask |= col.notna().to_numpy()
        else:
            wanted = [values] if isinstance(values, str) else list(values)
            mask |= col.isin(wanted).to_numpy()
    return mask


def _all_tags(features: pd.DataFrame, tags: Mapping[str, Any]) -> np.ndarray:
    """Features carrying every one of ``tags`` (same value rules as :func:`_tag_mask`)."""
    mask = np.ones(len(features), dtype=bool)
    for key, values in tags.items():
        mask &= _tag_mask(features, {key: values})
    return mask


def _check_tag_table(tag_table: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    rows = list(tag_table)
    problems = FileProblems(source="profile [osm_facilities]")
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping) or "type" not in row or not isinstance(row.get("tags"), Mapping):
            problems.add("each row needs a `type` and a `tags` table", feature=f"row {i + 1}",
                         column="tags", fix='write rows as {type = "eldercare", tags = {amenity = '
                         '["nursing_home"]}}')
            continue
        for key in ("require", "exclude"):
            if key in row and not isinstance(row[key], Mapping):
                problems.add(f"`{key}` must be a table of tag = [values]", feature=f"row {i + 1}",
                             column=key, fix=f'write {key} = {{ "social_facility:for" = ["senior"] }}')
    problems.raise_if_any()
    return rows


def _name(features: pd.DataFrame) -> pd.Series:
    """``name:zh``, else ``name``, else None, as an object Series (positional index)."""
    out: list[str | None] = [None] * len(features)
    for key in ("name", "name:zh"):  # later keys take precedence
        if key in features.columns:
            out = [v if isinstance(v, str) and v.strip() else o
                   for v, o in zip(features[key].to_numpy(dtype=object), out)]
    return pd.Series(out, dtype=object)


def facilities_from_osm(
    source: OsmSource,
    *,
    tag_table: Iterable[Mapping[str, Any]],
    crs: Any = None,
) -> gpd.GeoDataFrame:
    """Facilities from OSM tags, typed by the profile's tag table.

    Parameters
    ----------
    source : path-like or GeoDataFrame
        An OSM XML file, or :func:`read_osm_features` of one.
    tag_table : iterable of mapping
        Rows ``{"type": "eldercare", "tags": {"amenity": ["nursing_home"], "social_facility": ["*"]}}``;
        a feature matches a row when it has any of the row's ``tags`` (``"*"`` = any value), all of
        its optional ``require`` tags, and none of its optional ``exclude`` tags; the first matching
        row gives its type.
    crs : CRS-like, optional
        The run's metric CRS; default the local UTM zone of the features.

    Returns
    -------
    geopandas.GeoDataFrame
        The facilities table: index ``facility_id`` (``node/…``, ``way/…``, ``relation/…``), ``type``,
        ``name`` (``name:zh``, else ``name``), ``area_m2`` (polygon area; NaN for points),
        ``capacity`` (NaN), point ``geometry`` (polygons reduced to a point inside them).
    """
    rows = _check_tag_table(tag_table)
    feats, label = _features(source)
    ftype = np.full(len(feats), None, dtype=object)
    keep = np.zeros(len(feats), dtype=bool)
    for row in rows:
        hit = _tag_mask(feats, row["tags"]) & ~keep
        if row.get("require"):
            hit &= _all_tags(feats, row["require"])
        if row.get("exclude"):
            hit &= ~_tag_mask(feats, row["exclude"])
        ftype[hit] = str(row["type"])
        keep |= hit
    sel = feats[keep]
    geoms = np.asarray(sel.geometry.array, dtype=object)
    kind = shapely.get_type_id(geoms)
    usable = np.isin(kind, [0, 3, 6])
    if (~usable).any():
        logger.info("%s: %d matching feature(s) are lines; left out", label, int((~usable).sum()))
    sel = sel[usable]
    gdf = gpd.GeoDataFrame({"type": pd.Series(ftype[keep][usable], dtype=object),
                            "name": _name(sel)},
                           geometry=np.asarray(sel.geometry.array), crs=sel.crs or 4326)
    gdf = _project(gdf, crs, label)
    arr = np.asarray(gdf.geometry.array, dtype=object)
    poly = np.isin(shapely.get_type_id(arr), [3, 6])
    area = np.full(len(arr), np.nan)
    area[poly] = shapely.area(arr[poly])
    arr[poly] = shapely.point_on_surface(arr[poly])
    out = gpd.GeoDataFrame(
        {"type": gdf["type"].reset_index(drop=True), "name": gdf["name"].reset_index(drop=True),
         "area_m2": area, "capacity": np.full(len(arr), np.nan)},
        geometry=arr, crs=gdf.crs,
    )
    out.index = pd.Index(osm_ids(sel), name="facility_id")
    logger.info("%s: %d facilities from OSM tags (%s)", label, len(out),
                ", ".join(f"{k} {v}" for k, v in out["type"].value_counts().sort_index().items()))
    return out


def communities_from_osm(source: OsmSource, *, crs: Any = None, kind: str = "urban") -> gpd.GeoDataFrame:
    """Communities from ``landuse=residential`` polygons (residential compounds, 小区).

    Parameters
    ----------
    source : path-like or GeoDataFrame
        An OSM XML file, or :func:`read_osm_features` of one.
    crs : CRS-like, optional
        The run's metric CRS; default the local UTM zone.
    kind : {"urban", "town", "rural"}, default "urban"
        The kind given to every community (OSM does not say).

    Returns
    -------
    geopandas.GeoDataFrame
        The communities table: index ``community_id`` (``way/…`` or ``relation/…``), ``name``
        (``name:zh``, else ``name``), ``kind``, ``facility_area_m2``, ``workers``,
        ``social_workers`` (NaN), ``district`` (None), polygon ``geometry``. Residential areas mapped
        as points are left out (logged).
    """
    if kind not in ("urban", "town", "rural"):
        raise InputError(Problem(f"unknown community kind {kind!r}", "communities_from_osm", None,
                                 "kind", "use `urban`, `town` or `rural`"))
    feats, label = _features(source)
    if "landuse" not in feats.columns:
        raise InputError(Problem("no landuse=residential areas", label, None, "landuse",
                                 "give a communities file, or an OSM extract with residential areas"))
    sel = feats[(feats["landuse"] == "residential").to_numpy()]
    poly = np.isin(shapely.get_type_id(np.asarray(sel.geometry.array)), [3, 6])
    if (~poly).any():
        logger.info("%s: %d landuse=residential feature(s) are not polygons; left out", label,
                    int((~poly).sum()))
    sel = sel[poly]
    if len(sel) == 0:
        raise InputError(Problem("no landuse=residential polygons", label, None, "landuse",
                                 "give a communities file instead"))
    n = len(sel)
    gdf = gpd.GeoDataFrame(
        {"name": _name(sel), "kind": [kind] * n, "facility_area_m2": np.full(n, np.nan),
         "workers": np.full(n, np.nan), "social_workers": np.full(n, np.nan),
         "district": pd.Series([None] * n, dtype=object)},
        geometry=repair_polygons(np.asarray(sel.geometry.array)), crs=sel.crs or 4326,
    )
    gdf = _project(gdf, crs, label)
    gdf.index = pd.Index(osm_ids(sel), name="community_id")
    logger.info("%s: %d communities from landuse=residential", label, n)
    return gdf


def buildings_from_osm(source: OsmSource, *, crs: Any = None) -> gpd.GeoDataFrame:
    """Building footprints with their type and levels, for households_from_buildings.

    Parameters
    ----------
    source : path-like or GeoDataFrame
        An OSM XML file, or :func:`read_osm_features` of one.
    crs : CRS-like, optional
        The run's metric CRS; default the local UTM zone.

    Returns
    -------
    geopandas.GeoDataFrame
        Index ``building_id`` (``way/…``), ``building`` (the tag's value, e.g. ``residential``,
        ``yes``), ``levels`` (from ``building:levels``; NaN when absent), ``name``, polygon
        ``geometry``. Buildings mapped as points are left out (logged).
    """
    feats, label = _features(source)
    if "building" not in feats.columns:
        raise InputError(Problem("no buildings", label, None, "building",
                                 "give an extract with building footprints"))
    sel = feats[feats["building"].notna().to_numpy()]
    poly = np.isin(shapely.get_type_id(np.asarray(sel.geometry.array)), [3, 6])
    if (~poly).any():
        logger.info("%s: %d building(s) mapped as points; left out", label, int((~poly).sum()))
    sel = sel[poly]
    levels = (np.array([parse_levels(v) for v in sel["building:levels"].to_numpy()], dtype=float)
              if "building:levels" in sel.columns else np.full(len(sel), np.nan))
    gdf = gpd.GeoDataFrame(
        {"building": sel["building"].astype(str).str.lower().to_numpy(), "levels": levels,
         "name": _name(sel)},
        geometry=repair_polygons(np.asarray(sel.geometry.array)), crs=sel.crs or 4326,
    )
    gdf = _project(gdf, crs, label)
    gdf.index = pd.Index(osm_ids(sel), name="building_id")
    return gdf
