"""Households estimated from building footprints or from a population raster.

shapely measures footprints and places points (:func:`shapely.point_on_surface`), rasterio reads the
raster and gives cell centres (:func:`rasterio.transform.xy`). Written here: the estimate itself
(footprint × levels ÷ dwelling size, levels defaulting by building type from the profile) and the
largest-remainder rounding that keeps a raster's household total equal to ``round(Σ residents ÷
ratio)`` — rounding each cell on its own would drift by up to half a household per cell.

Every count made here is marked ``estimated = True``; the outputs say so.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Mapping
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from siting.errors import InputError, Problem
from siting.io.coords import check_coords_name, to_wgs84
from siting.io.crs import as_metric_crs, check_lonlat, choose_crs
from siting.io.validate import FileProblems, is_blank, omap

logger = logging.getLogger(__name__)

_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def parse_levels(value: Any) -> float:
    """A level count from OSM-style text (``"6"``, ``"6;7"`` → 6, ``"5.5"``); NaN when none or ≤ 0."""
    if value is None:
        return np.nan
    if isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
    else:
        m = _NUMBER.search(str(value))
        if not m:
            return np.nan
        v = float(m.group())
    return v if np.isfinite(v) and v > 0 else np.nan


def largest_remainder(quotas: np.ndarray) -> np.ndarray:
    """Round non-negative quotas to integers whose sum is ``round(sum(quotas))`` (half up).

    Each quota is floored; the units left over go to the largest fractional remainders, ties to the
    earlier position (Hamilton's method).

    Parameters
    ----------
    quotas : array_like of float ≥ 0

    Returns
    -------
    numpy.ndarray of int64
    """
    q = np.asarray(quotas, dtype=float)
    base = np.floor(q)
    total = int(np.floor(q.sum() + 0.5))
    left = total - int(base.sum())
    out = base.astype(np.int64)
    if left > 0:
        order = np.argsort(-(q - base), kind="stable")[:left]
        out[order] += 1
    return out


def _household_table(ids: list[str] | np.ndarray, households: np.ndarray, geometry: Any,
                     crs: pyproj.CRS, extra: Mapping[str, Any], residents: np.ndarray | None = None
                     ) -> gpd.GeoDataFrame:
    n = len(households)
    data = {
        "households": np.asarray(households, dtype=np.int64),
        "residents": np.full(n, np.nan) if residents is None else np.asarray(residents, dtype=float),
        "elderly": np.full(n, np.nan),
        "estimated": np.ones(n, dtype=bool),
        "community_id": pd.Series([None] * n, dtype=object).to_numpy(),
        **extra,
    }
    out = gpd.GeoDataFrame(data, geometry=geometry, crs=crs)
    out.index = pd.Index(np.asarray(ids, dtype=object), name="household_id")
    return out


def households_from_buildings(
    buildings: gpd.GeoDataFrame,
    *,
    dwelling_size_m2: float,
    default_levels: Mapping[str, float],
    residential_types: Collection[str],
    residential_areas: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    yes_inside_residential: bool = True,
) -> gpd.GeoDataFrame:
    """Estimate households from residential building footprints.

    ``households = round(footprint_m2 × levels ÷ dwelling_size_m2)`` (half up), placed at a point
    inside the footprint. Buildings whose type is not residential are skipped (counted in the log).
    Type ``yes`` (OSM's "some building", most of China's mapped buildings) is decided by place when
    ``residential_areas`` are given and ``yes_inside_residential`` is True: it counts inside those
    areas and nowhere else, whether or not ``residential_types`` lists it. Otherwise ``yes`` counts
    only when listed. Buildings that round to 0 households are left out (logged).

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        Polygons in a projected metric CRS, indexed by building id, with a ``building`` type column
        (absent → ``yes``) and ``levels`` or ``building:levels`` (absent or blank → default).
    dwelling_size_m2 : float
        Gross floor area per household (profile setting).
    default_levels : mapping of str to float
        Levels by building type when not given; key ``default`` (or ``*``) for any other type.
    residential_types : collection of str
        Building types that hold homes (e.g. ``residential``, ``apartments``, ``house``, ``yes``).
    residential_areas : GeoDataFrame or GeoSeries, optional
        Polygons (e.g. landuse=residential or the communities) where ``yes`` buildings count.
    yes_inside_residential : bool, default True
        The profile's ``[buildings] yes_inside_residential``: decide ``yes`` by place (above).

    Returns
    -------
    geopandas.GeoDataFrame
        The households table (index ``household_id`` = ``H-<building id>``), ``estimated`` True,
        ``residents``/``elderly`` NaN, plus ``building_id``, ``building`` and ``levels`` (the levels
        used).

    Raises
    ------
    InputError
        Non-positive ``dwelling_size_m2``, a geographic CRS, or a residential type without a default
        level count.
    """
    problems = FileProblems(source="buildings")
    if not dwelling_size_m2 or dwelling_size_m2 <= 0:
        problems.add(f"dwelling size must be positive, got {dwelling_size_m2!r}",
                     column="dwelling_size_m2", fix="set the profile's [buildings] dwelling_size_m2")
    if buildings.crs is None or not buildings.crs.is_projected:
        problems.add("building footprints must be in a projected metric CRS to measure their area",
                     column="geometry", fix="read them with siting.io.read_buildings or reproject "
                     "them with .to_crs(siting.io.choose_crs(buildings))")
    problems.raise_if_any()
    n_all = len(buildings)
    raw_type = buildings["building"] if "building" in buildings else [None] * n_all
    btype = omap(raw_type, lambda v: "yes" if is_blank(v) else str(v).strip().lower())
    res_types = {t.lower() for t in residential_types}
    by_place = residential_areas is not None and yes_inside_residential
    if by_place:
        res_types.add("yes")
    keep = btype.isin(res_types).to_numpy().copy()
    n_nonres = int((~keep).sum())
    geoms = np.asarray(buildings.geometry.array, dtype=object)
    poly = np.isin(shapely.get_type_id(geoms), [3, 6])
    n_nonpoly = int((keep & ~poly).sum())
    keep &= poly
    points = np.empty(len(geoms), dtype=object)
    points[poly] = shapely.point_on_surface(geoms[poly])
    n_outside = 0
    if by_place and residential_areas is not None:
        areas = residential_areas.to_crs(buildings.crs) if residential_areas.crs is not None \
            else residential_areas.set_crs(buildings.crs)
        tree = shapely.STRtree(np.asarray(areas.geometry.array))
        yes = keep & (btype == "yes").to_numpy()
        inside = np.zeros(len(geoms), dtype=bool)
        idx = np.flatnonzero(yes)
        if idx.size:
            hits = tree.query(points[idx], predicate="intersects")
            inside[idx[np.unique(hits[0])]] = True
        n_outside = int((yes & ~inside).sum())
        keep &= ~(yes & ~inside)
    levels_given = np.full(n_all, np.nan)
    for col in ("levels", "building:levels"):
        if col in buildings:
            vals = np.array([parse_levels(v) for v in buildings[col].to_numpy()], dtype=float)
            levels_given = np.where(np.isnan(levels_given), vals, levels_given)
    fallback = default_levels.get("default", default_levels.get("*"))
    levels = levels_given.copy()
    need = keep & np.isnan(levels)
    missing_types: set[str] = set()
    for t in sorted(set(btype[need])):
        value = default_levels.get(t, fallback)
        if value is None:
            missing_types.add(t)
            continue
        levels[need & (btype == t).to_numpy()] = float(value)
    if missing_types:
        raise InputError(Problem(
            f"no default level count for building type(s) {', '.join(sorted(missing_types))}",
            "profile [buildings] default_levels", None, "default_levels",
            "add these types (or a `default`) to the profile's [buildings] default_levels"))
    area = np.zeros(n_all)
    area[keep] = shapely.area(geoms[keep])
    hh = np.zeros(n_all, dtype=np.int64)
    hh[keep] = np.floor(area[keep] * levels[keep] / float(dwelling_size_m2) + 0.5).astype(np.int64)
    zero = keep & (hh == 0)
    keep &= hh > 0
    logger.info(
        "households from %d buildings: %d residential used (%d households); skipped %d "
        "non-residential, %d building=yes outside residential areas, %d not polygons, "
        "%d too small for one household; levels defaulted for %d",
        n_all, int(keep.sum()), int(hh[keep].sum()), n_nonres, n_outside, n_nonpoly,
        int(zero.sum()), int((need & keep).sum()),
    )
    bid = np.asarray(buildings.index, dtype=object).astype(str)[keep]
    return _household_table(
        [f"H-{b}" for b in bid], hh[keep], points[keep], buildings.crs,
        {"building_id": bid, "building": btype.to_numpy()[keep], "levels": levels[keep]},
    )


def households_from_raster(
    path: str | PathLike[str],
    *,
    residents_per_household: float,
    crs: Any = None,
    coords: str = "wgs84",
    source_crs: Any = None,
    band: int = 1,
) -> gpd.GeoDataFrame:
    """One demand point per populated cell of a population raster (GeoTIFF).

    Cell values are residents; households = residents ÷ ``residents_per_household``, rounded by
    :func:`largest_remainder` over the whole raster, so the total is ``round(Σ residents ÷ ratio)``.
    Cells with residents > 0 become points at the cell centre (a cell may round to 0 households; it
    keeps its residents). Nodata and NaN cells are empty.

    Parameters
    ----------
    path : path-like
        A raster rasterio reads (GeoTIFF).
    residents_per_household : float
        Profile ratio (persons per household).
    crs : CRS-like, optional
        The run's metric CRS; default the local UTM zone of the raster.
    coords : {"wgs84", "gcj02", "bd09"}
        System of a geographic or undeclared raster (ignored for projected rasters).
    source_crs : CRS-like, optional
        CRS of a raster that declares none.
    band : int, default 1

    Returns
    -------
    geopandas.GeoDataFrame
        The households table: index ``household_id`` = ``cell-<row>-<col>``, ``households``,
        ``residents`` (the cell value), ``estimated`` True, ``row``, ``col``.
    """
    import rasterio
    import rasterio.transform

    path = Path(path)
    problems = FileProblems(source=str(path))
    coords = check_coords_name(coords, source=str(path))
    if not path.exists():
        raise InputError(Problem("file not found", str(path), fix="check the raster's path"))
    if not residents_per_household or residents_per_household <= 0:
        raise InputError(Problem(f"residents per household must be positive, got "
                                 f"{residents_per_household!r}", str(path), None,
                                 "residents_per_household",
                                 "set the profile's [households] residents_per_household"))
    try:
        src = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(Problem(f"cannot be read as a raster ({exc})", str(path), None, None,
                                 "give a GeoTIFF of residents per cell")) from None
    with src:
        values = src.read(band, masked=True).astype(float).filled(np.nan)
        transform = src.transform
        file_crs = src.crs
    neg = values < 0
    if np.any(neg):
        r, c = np.argwhere(neg)[0]
        problems.add(f"{int(neg.sum())} cell(s) hold negative residents (e.g. {values[r, c]:g})",
                     feature=f"cell row {r}, col {c}", column=f"band {band}",
                     fix="set nodata for empty cells; residents must be ≥ 0")
    rows, cols = np.nonzero(np.nan_to_num(values, nan=0.0) > 0)
    residents = values[rows, cols]
    xs, ys = rasterio.transform.xy(transform, rows, cols, offset="center")
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    declared = pyproj.CRS.from_user_input(file_crs) if file_crs is not None else None
    if declared is None and source_crs is not None:
        declared = pyproj.CRS.from_user_input(source_crs)
    if declared is None or declared.is_geographic:
        check_lonlat(xs, ys, source=str(path), problems=problems,
                     declared=None if declared is None else declared.name)
    problems.raise_if_any()
    points = gpd.GeoSeries(gpd.points_from_xy(xs, ys), crs=declared or 4326)
    if points.crs.is_geographic:
        points = points.to_crs(4326)
        if coords != "wgs84":
            points = to_wgs84(points, coords)
    elif coords != "wgs84":
        logger.warning("%s is in the projected CRS %s; `coords = %s` does not apply", path,
                       points.crs.name, coords)
    target = as_metric_crs(crs) if crs is not None else choose_crs(points)
    points = points.to_crs(target)
    hh = largest_remainder(residents / float(residents_per_household))
    logger.info("%s: %d populated cells, %.0f residents → %d households (estimated)", path,
                len(rows), float(residents.sum()), int(hh.sum()))
    return _household_table(
        [f"cell-{r}-{c}" for r, c in zip(rows, cols)], hh, points.to_numpy(), target,
        {"row": rows.astype(np.int64), "col": cols.astype(np.int64)}, residents=residents,
    )
