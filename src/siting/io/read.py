"""Read the contract's vector inputs into validated GeoDataFrames in the run's metric CRS.

:mod:`siting.io.vector` reads the file (and makes the CRS decisions described there); written here:
the contract's tables (which columns, their types and ranges), the projection to the run's CRS, and
the gathering of every problem of a file into one :class:`~siting.errors.InputError`. Everything is
finally projected to ``crs`` (a projected CRS), or to the local UTM zone of the file
(:func:`siting.io.crs.choose_crs`) when ``crs`` is None. A pipeline reading several inputs chooses the
CRS once and passes it to every reader.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from siting.errors import Problems
from siting.io.crs import as_metric_crs, choose_crs
from siting.io.validate import (
    FileProblems,
    check_choice,
    check_geometry,
    check_ids,
    feature_list,
    find_column,
    is_blank,
    omap,
    to_number,
    to_text,
)
from siting.io.vector import PathType, read_vector

logger = logging.getLogger(__name__)

#: Community kinds, with the Chinese words accepted for them.
KINDS: dict[str, str] = {
    "urban": "urban", "town": "town", "rural": "rural",
    "城市": "urban", "城镇": "town", "农村": "rural", "乡村": "rural",
}


# --------------------------------------------------------------------------------------------------
# tables


def _target_crs(gdf: gpd.GeoDataFrame, crs: Any, source: str) -> pyproj.CRS:
    return as_metric_crs(crs, source=source) if crs is not None else choose_crs(gdf)


def _assemble(
    raw: gpd.GeoDataFrame,
    *,
    index_name: str,
    ids: pd.Series,
    columns: dict[str, Any],
    geometry: gpd.GeoSeries,
    consumed: Iterable[str],
) -> gpd.GeoDataFrame:
    """Contract columns first, then the file's other columns (kept, never renamed)."""
    data: dict[str, Any] = {}
    n = len(raw)
    for name, values in columns.items():
        if values is None:
            values = [None] * n
        arr = np.asarray(values.to_numpy() if isinstance(values, pd.Series) else values)
        # text stays object with None for blanks (pandas would infer a str dtype with NaN)
        data[name] = pd.Series(list(arr) if arr.dtype == object else arr,
                               dtype=object if arr.dtype == object else None)
    consumed = set(consumed) | {raw.geometry.name}
    for col in raw.columns:
        if col not in consumed and col not in data:
            data[col] = raw[col].reset_index(drop=True)
    out = gpd.GeoDataFrame(data, geometry=geometry.to_numpy(), crs=geometry.crs)
    out.index = pd.Index(ids.to_numpy(dtype=object), name=index_name)
    return out


def _consumed(raw: pd.DataFrame, names: Iterable[str]) -> list[str]:
    return [c for c in (find_column(raw, n) for n in names) if c is not None]


def _float_or_nan(values: pd.Series | None, n: int) -> np.ndarray:
    return np.full(n, np.nan) if values is None else values.to_numpy(dtype=float)


def _to_points(geoms: gpd.GeoSeries, area: np.ndarray) -> tuple[gpd.GeoSeries, np.ndarray]:
    """Polygons → representative point; their metric area fills ``area`` where it is NaN."""
    arr = np.asarray(geoms.array, dtype=object)
    poly = np.isin(shapely.get_type_id(arr), [3, 6])
    area = area.copy()
    fill = poly & np.isnan(area)
    area[fill] = shapely.area(arr[fill])
    arr = arr.copy()
    arr[poly] = shapely.point_on_surface(arr[poly])
    return gpd.GeoSeries(arr, crs=geoms.crs), area


def _prepare(path: PathType, *, coords: str, source_crs: Any, layer: Any, crs: Any) -> tuple[
        gpd.GeoDataFrame, Problems]:
    if crs is not None:
        as_metric_crs(crs, source=str(path))  # a bad setting is reported before the file is read
    problems = FileProblems(source=str(path))
    raw = read_vector(path, coords=coords, source_crs=source_crs, layer=layer, problems=problems)
    if len(raw) == 0:
        problems.add("the file holds no features", fix="check that the right file (and layer) "
                     "was given and that it was saved with its features")
        problems.raise_if_any()
    return raw.reset_index(drop=True), problems


def _project(geoms: gpd.GeoSeries, raw: gpd.GeoDataFrame, crs: Any, path: PathType) -> gpd.GeoSeries:
    target = _target_crs(raw, crs, str(path))
    return geoms.set_crs(raw.crs, allow_override=True).to_crs(target)


def read_communities(
    path: PathType,
    *,
    coords: str = "wgs84",
    crs: Any = None,
    source_crs: Any = None,
    layer: str | int | None = None,
) -> gpd.GeoDataFrame:
    """Read community boundaries (polygons).

    Parameters
    ----------
    path : path-like
        GeoJSON, GeoPackage, Shapefile or GeoParquet of polygons.
    coords : {"wgs84", "gcj02", "bd09"}, default "wgs84"
        System of longitude/latitude data (see the module's CRS decisions).
    crs : CRS-like, optional
        The run's metric CRS; default the local UTM zone of this file.
    source_crs : CRS-like, optional
        CRS of a file that declares none.
    layer : str or int, optional
        GeoPackage layer.

    Returns
    -------
    geopandas.GeoDataFrame
        Index ``community_id`` (str, required and unique); columns ``name``, ``kind``
        (``urban``/``town``/``rural``; 城市/城镇/农村/乡村 accepted; None when not given),
        ``facility_area_m2``, ``workers``, ``social_workers`` (float, NaN when not given), ``district``,
        the file's other columns, and polygon ``geometry``.

    Raises
    ------
    InputError
        Every problem of the file at once.
    """
    raw, problems = _prepare(path, coords=coords, source_crs=source_crs, layer=layer, crs=crs)
    n = len(raw)
    ids, labels = check_ids(raw, "community_id", problems, required=True, prefix="C")
    kind = to_text(raw, "kind")
    if kind is not None:
        kind = omap(kind, lambda v: None if v is None else KINDS.get(v.lower(), KINDS.get(v, v)))
        check_choice(kind, ("urban", "town", "rural"), column=find_column(raw, "kind") or "kind",
                     labels=labels, problems=problems,
                     fix="use `urban`, `town` or `rural` (城市/城镇/农村), or leave it blank")
    numbers = {name: to_number(raw, name, labels, problems)
               for name in ("facility_area_m2", "workers", "social_workers")}
    geoms = check_geometry(raw.geometry, labels, problems, kind="polygon")
    problems.raise_if_any()
    geoms = _project(geoms, raw, crs, path)
    columns: dict[str, Any] = {
        "name": to_text(raw, "name"),
        "kind": kind,
        **{k: _float_or_nan(v, n) for k, v in numbers.items()},
        "district": to_text(raw, "district"),
    }
    consumed = _consumed(raw, ["community_id", "name", "kind", "facility_area_m2", "workers",
                               "social_workers", "district"])
    return _assemble(raw, index_name="community_id", ids=ids, columns=columns, geometry=geoms,
                     consumed=consumed)


#: Names recognised for the households' optional compound (小区) column, besides ``compound_id``.
COMPOUND_ALIASES = ("compound", "xiaoqu", "xiaoqu_id", "小区", "小区编号")


def read_households(
    path: PathType,
    *,
    coords: str = "wgs84",
    crs: Any = None,
    source_crs: Any = None,
    layer: str | int | None = None,
) -> gpd.GeoDataFrame:
    """Read household points (CSV with lon/lat, or any vector format).

    Parameters
    ----------
    path, coords, crs, source_crs, layer
        As :func:`read_communities`.

    Returns
    -------
    geopandas.GeoDataFrame
        Index ``household_id`` (generated ``H000001``… when the file has none); columns
        ``households`` (int ≥ 0; 1 per point when the column is absent, logged), ``residents``,
        ``elderly`` (float, NaN when not given), ``estimated`` (False), ``community_id`` (from the
        file if given, else None; :func:`siting.io.assign_communities` sets it), ``compound_id``
        (text, None for blanks; only when the file has it, also as ``compound``, ``xiaoqu`` or
        ``小区``: the points of one compound stay together in split proposals), the file's other
        columns, and point ``geometry``.
    """
    raw, problems = _prepare(path, coords=coords, source_crs=source_crs, layer=layer, crs=crs)
    n = len(raw)
    ids, labels = check_ids(raw, "household_id", problems, required=False, prefix="H")
    hh = to_number(raw, "households", labels, problems, integer=True, allow_blank=False)
    if hh is None:
        logger.info("%s: no `households` column; each of the %d points counts as 1 household",
                    path, n)
    residents = to_number(raw, "residents", labels, problems)
    elderly = to_number(raw, "elderly", labels, problems)
    geoms = check_geometry(raw.geometry, labels, problems, kind="point")
    problems.raise_if_any()
    geoms = _project(geoms, raw, crs, path)
    community = to_text(raw, "community_id")
    columns: dict[str, Any] = {
        "households": np.ones(n, dtype=np.int64) if hh is None else hh.to_numpy().astype(np.int64),
        "residents": _float_or_nan(residents, n),
        "elderly": _float_or_nan(elderly, n),
        "estimated": np.zeros(n, dtype=bool),
        "community_id": community,
    }
    consumed = _consumed(raw, ["household_id", "households", "residents", "elderly", "community_id"])
    compound_col = find_column(raw, "compound_id", COMPOUND_ALIASES)
    if compound_col is not None:  # optional: points of one compound (小区) move together in a split
        # a numeric column with blanks reads as floats: 7.0 is compound "7"
        columns["compound_id"] = omap(raw[compound_col], lambda v: None if is_blank(v) else
                                      re.sub(r"^(-?\d+)\.0+$", r"\1", str(v).strip()))
        consumed.append(compound_col)
    return _assemble(raw, index_name="household_id", ids=ids, columns=columns, geometry=geoms,
                     consumed=consumed)


def _known_types_fix(facility_types: Iterable[str] | None) -> str:
    if facility_types is None:
        return ""
    return f" (the profile knows: {', '.join(sorted(facility_types))})"


def read_facilities(
    path: PathType,
    *,
    coords: str = "wgs84",
    crs: Any = None,
    source_crs: Any = None,
    layer: str | int | None = None,
    facility_types: Iterable[str] | None = None,
) -> gpd.GeoDataFrame:
    """Read existing facilities (points or polygons).

    Parameters
    ----------
    path, coords, crs, source_crs, layer
        As :func:`read_communities`.
    facility_types : iterable of str, optional
        The profile's known facility types; other values of ``type`` are problems.

    Returns
    -------
    geopandas.GeoDataFrame
        Index ``facility_id`` (generated ``F000001``… when absent); columns ``type`` (required,
        lower-case), ``name``, ``area_m2`` (given, else a polygon's metric area, else NaN),
        ``capacity`` (NaN when not given), the file's other columns, and point ``geometry``
        (polygons reduced to a point inside them).
    """
    raw, problems = _prepare(path, coords=coords, source_crs=source_crs, layer=layer, crs=crs)
    n = len(raw)
    ids, labels = check_ids(raw, "facility_id", problems, required=False, prefix="F")
    types = to_text(raw, "type")
    type_col = find_column(raw, "type") or "type"
    if types is None:
        problems.add("the required column `type` is missing", column="type",
                     fix="add a `type` column naming each facility's type"
                     + _known_types_fix(facility_types))
        types = pd.Series([None] * n, dtype=object)
    else:
        types = omap(types, lambda v: None if v is None else v.lower())
        blank = types.isna().to_numpy()
        if blank.any():
            problems.add(f"{int(blank.sum())} facility(ies) have no type",
                         feature=feature_list(labels, blank), column=type_col,
                         fix="fill in `type`" + _known_types_fix(facility_types))
        if facility_types is not None:
            check_choice(types, facility_types, column=type_col, labels=labels, problems=problems,
                         fix="use one of the profile's facility types, or add the type to the profile")
    area = to_number(raw, "area_m2", labels, problems)
    capacity = to_number(raw, "capacity", labels, problems)
    geoms = check_geometry(raw.geometry, labels, problems, kind="point_or_polygon")
    problems.raise_if_any()
    geoms = _project(geoms, raw, crs, path)
    geoms, area_m2 = _to_points(geoms, _float_or_nan(area, n))
    columns: dict[str, Any] = {
        "type": types,
        "name": to_text(raw, "name"),
        "area_m2": area_m2,
        "capacity": _float_or_nan(capacity, n),
    }
    consumed = _consumed(raw, ["facility_id", "type", "name", "area_m2", "capacity"])
    return _assemble(raw, index_name="facility_id", ids=ids, columns=columns, geometry=geoms,
                     consumed=consumed)


_SPLIT_TYPES = re.compile(r"[,;|，；、\s]+")


def parse_types(value: Any) -> tuple[str, ...]:
    """A candidate's ``types`` cell → tuple of lower-case names (``"eldercare; shelter"``, a list…)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ()
    if isinstance(value, (list, tuple, np.ndarray)):
        items: Sequence[Any] = list(value)
    else:
        items = _SPLIT_TYPES.split(str(value).strip().strip("[]"))
    out = [str(v).strip().strip("'\"").lower() for v in items]
    return tuple(v for v in out if v)


def read_candidates(
    path: PathType,
    *,
    coords: str = "wgs84",
    crs: Any = None,
    source_crs: Any = None,
    layer: str | int | None = None,
    facility_types: Iterable[str] | None = None,
) -> gpd.GeoDataFrame:
    """Read candidate sites (points or polygons).

    Parameters
    ----------
    path, coords, crs, source_crs, layer
        As :func:`read_communities`.
    facility_types : iterable of str, optional
        The profile's known facility types, to check ``types`` against.

    Returns
    -------
    geopandas.GeoDataFrame
        Index ``candidate_id`` (generated ``S000001``… when absent); columns ``types`` (tuple of str,
        from a list or a ``;``/``,``-separated text; empty = any type), ``capacity``, ``area_m2``
        (given, else a polygon's metric area), ``cost`` (NaN when not given), the file's other
        columns, and point ``geometry``.
    """
    raw, problems = _prepare(path, coords=coords, source_crs=source_crs, layer=layer, crs=crs)
    n = len(raw)
    ids, labels = check_ids(raw, "candidate_id", problems, required=False, prefix="S")
    tcol = find_column(raw, "types")
    types = pd.Series([()] * n, dtype=object) if tcol is None else \
        omap(raw[tcol], parse_types)
    if facility_types is not None and tcol is not None:
        known = set(facility_types)
        bad = np.array([any(v not in known for v in t) for t in types], dtype=bool)
        if bad.any():
            found = sorted({v for t in types[bad] for v in t if v not in known})
            problems.add(
                f"unknown facility type(s) {', '.join(repr(v) for v in found)} "
                f"(known: {', '.join(sorted(known))})",
                feature=feature_list(labels, bad), column=tcol,
                fix="list only the profile's facility types, separated by `;`",
            )
    numbers = {name: to_number(raw, name, labels, problems) for name in ("capacity", "area_m2", "cost")}
    geoms = check_geometry(raw.geometry, labels, problems, kind="point_or_polygon")
    problems.raise_if_any()
    geoms = _project(geoms, raw, crs, path)
    geoms, area_m2 = _to_points(geoms, _float_or_nan(numbers["area_m2"], n))
    columns: dict[str, Any] = {
        "types": types,
        "capacity": _float_or_nan(numbers["capacity"], n),
        "area_m2": area_m2,
        "cost": _float_or_nan(numbers["cost"], n),
    }
    consumed = _consumed(raw, ["candidate_id", "types", "capacity", "area_m2", "cost"])
    return _assemble(raw, index_name="candidate_id", ids=ids, columns=columns, geometry=geoms,
                     consumed=consumed)


def read_buildings(
    path: PathType,
    *,
    coords: str = "wgs84",
    crs: Any = None,
    source_crs: Any = None,
    layer: str | int | None = None,
) -> gpd.GeoDataFrame:
    """Read building footprints (polygons), for :func:`siting.io.households_from_buildings`.

    Parameters
    ----------
    path, coords, crs, source_crs, layer
        As :func:`read_communities`.

    Returns
    -------
    geopandas.GeoDataFrame
        Index ``building_id`` (generated ``B000001``… when absent); columns ``building`` (the OSM-style
        building type, ``yes`` when not given), ``levels`` (float from ``levels`` or
        ``building:levels``; NaN when not given), the file's other columns, polygon ``geometry``.
    """
    raw, problems = _prepare(path, coords=coords, source_crs=source_crs, layer=layer, crs=crs)
    n = len(raw)
    ids, labels = check_ids(raw, "building_id", problems, required=False, prefix="B")
    btype = to_text(raw, "building", aliases=("building_type",))
    if btype is None:
        logger.info("%s: no `building` column; every footprint taken as building=yes", path)
        btype = pd.Series(["yes"] * n, dtype=object)
    btype = omap(btype, lambda v: "yes" if v is None else v.lower())
    levels = to_number(raw, "levels", labels, problems, aliases=("building:levels", "building_levels"))
    geoms = check_geometry(raw.geometry, labels, problems, kind="polygon")
    problems.raise_if_any()
    geoms = _project(geoms, raw, crs, path)
    columns: dict[str, Any] = {"building": btype, "levels": _float_or_nan(levels, n)}
    consumed = _consumed(raw, ["building_id", "building", "building_type", "levels",
                               "building:levels", "building_levels"])
    return _assemble(raw, index_name="building_id", ids=ids, columns=columns, geometry=geoms,
                     consumed=consumed)
