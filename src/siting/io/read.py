"""Read the contract's vector inputs into validated GeoDataFrames in the run's metric CRS.

geopandas/pyogrio read GeoJSON, GeoPackage and Shapefile (:func:`geopandas.read_file`) and GeoParquet
(:func:`geopandas.read_parquet`); pandas reads CSV point files; pyproj reprojects. Written here: the
contract's tables (which columns, their types and ranges), the CRS decisions below, and the gathering
of every problem of a file into one :class:`~siting.errors.InputError`.

CRS decisions
-------------
- A file that declares a **projected** CRS is honoured as is; ``coords`` does not apply to it (GCJ-02
  and BD-09 are offsets of longitude/latitude, not of projected metres) and a non-WGS84 ``coords`` is
  logged as ignored for that file.
- A file that declares a **geographic** CRS (EPSG:4326, CRS84, CGCS2000 …) or **none** is read as
  longitude/latitude in the ``coords`` system (``wgs84``, ``gcj02``, ``bd09``) and converted to WGS84.
  Many GCJ-02 exports are labelled EPSG:4326, which is why ``coords`` applies to them.
- A file without a CRS whose values are not degrees gets the "missing CRS" problem, unless
  ``source_crs`` names the CRS it was made in. CSV files never carry a CRS: ``source_crs`` or lon/lat.
- Swapped longitude/latitude and metres labelled as degrees are reported (:func:`check_lonlat`).
- Everything is finally projected to ``crs`` (a projected CRS), or to the local UTM zone of the file
  (:func:`siting.io.crs.choose_crs`) when ``crs`` is None. A pipeline reading several inputs chooses
  the CRS once and passes it to every reader.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from siting.errors import InputError, Problem, Problems
from siting.io.coords import check_coords_name, to_wgs84
from siting.io.crs import as_metric_crs, check_lonlat, choose_crs
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

logger = logging.getLogger(__name__)

PathType = str | PathLike[str]

#: CSV longitude/latitude column pairs recognised (case-insensitive), in order of preference.
LONLAT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("lon", "lat"),
    ("lng", "lat"),
    ("longitude", "latitude"),
    ("x", "y"),
    ("经度", "纬度"),
)
#: Community kinds, with the Chinese words accepted for them.
KINDS: dict[str, str] = {
    "urban": "urban", "town": "town", "rural": "rural",
    "城市": "urban", "城镇": "town", "农村": "rural", "乡村": "rural",
}
_VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".zip", ".parquet", ".geoparquet", ".csv",
                    ".txt", ".tsv", ".fgb"}


# --------------------------------------------------------------------------------------------------
# files → GeoDataFrame in WGS84 (or a declared projected CRS)


def _read_csv(path: Path, problems: Problems, source_crs: Any) -> gpd.GeoDataFrame:
    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    df = _csv_frame(path, sep)
    if df.shape[1] == 1 and sep == ",":  # a semicolon- or tab-separated export
        header = str(df.columns[0])
        for other in (";", "\t"):
            if other in header:
                df = _csv_frame(path, other)
                break
    df.columns = [str(c).strip() for c in df.columns]
    lower = {c.lower(): c for c in df.columns}
    pair = next(((lower[a], lower[b]) for a, b in LONLAT_COLUMNS if a in lower and b in lower), None)
    if pair is None:
        problems.add(
            f"no coordinate columns found (columns: {', '.join(df.columns) or 'none'})",
            column="lon/lat",
            fix="name the coordinate columns "
            + ", ".join(f"`{a}`/`{b}`" for a, b in LONLAT_COLUMNS),
        )
        raise InputError(problems.items)  # nothing else can be checked without coordinates
    xcol, ycol = pair
    values = {}
    for col in pair:
        text = df[col].str.strip()
        num = pd.to_numeric(text.where(text != ""), errors="coerce")
        bad = num.isna() & (text != "")
        if bad.any():
            rows = [f"row {i + 1}" for i in np.flatnonzero(bad.to_numpy())]
            problems.add(
                f"{int(bad.sum())} coordinate(s) are not numbers (e.g. {text[bad].iloc[0]!r})",
                feature=", ".join(rows[:8]) + (f" (and {len(rows) - 8} more)" if len(rows) > 8 else ""),
                column=col,
                fix="write coordinates as decimal degrees, e.g. 116.3975 (no °, ′ or N/E)",
            )
        values[col] = num.to_numpy(dtype=float)
    x, y = values[xcol], values[ycol]
    if source_crs is None or source_crs.is_geographic:
        check_lonlat(x, y, source=problems.source, columns=pair, problems=problems,
                     declared=None if source_crs is None else source_crs.name)
    geom = gpd.points_from_xy(x, y)
    geom[~(np.isfinite(x) & np.isfinite(y))] = None
    return gpd.GeoDataFrame(df.drop(columns=list(pair)), geometry=geom, crs=source_crs)


def _csv_frame(path: Path, sep: str) -> pd.DataFrame:
    """Every cell as text (ids keep leading zeros; blanks stay ""), UTF-8 or GB18030 (Excel)."""
    kwargs: dict[str, Any] = {"dtype": str, "keep_default_na": False, "sep": sep}
    try:
        return pd.read_csv(path, encoding="utf-8-sig", **kwargs)
    except UnicodeDecodeError:
        return pd.read_csv(path, encoding="gb18030", **kwargs)


def _read_file(path: Path, problems: Problems, layer: str | int | None) -> gpd.GeoDataFrame:
    try:
        if path.suffix.lower() in {".parquet", ".geoparquet"}:
            return gpd.read_parquet(path)
        return gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # noqa: BLE001 - pyogrio/arrow raise many types; all mean "cannot read"
        problems.add(
            f"cannot be read as GeoJSON, GeoPackage, Shapefile or GeoParquet ({exc})",
            fix="check that the file opens in QGIS; for a GeoPackage with several layers pass `layer`",
        )
        raise InputError(problems.items) from None


def read_vector(
    path: PathType,
    *,
    coords: str = "wgs84",
    source_crs: Any = None,
    layer: str | int | None = None,
    problems: Problems | None = None,
) -> gpd.GeoDataFrame:
    """Read any contract vector file into WGS84 lon/lat, or its declared projected CRS.

    Follows the module's CRS decisions. Coordinate problems are added to ``problems`` (the caller
    raises); an unreadable or missing file raises :class:`InputError` at once.

    Parameters
    ----------
    path : path-like
        GeoJSON, GeoPackage, Shapefile, GeoParquet, or CSV with lon/lat columns.
    coords : {"wgs84", "gcj02", "bd09"}
        The system of longitude/latitude data (ignored for projected files).
    source_crs : CRS-like, optional
        The CRS of a file that declares none (always the case for CSV).
    layer : str or int, optional
        GeoPackage layer.
    problems : Problems, optional
        Collector; created (and raised) here when not given.

    Returns
    -------
    geopandas.GeoDataFrame
        With a CRS set (EPSG:4326 unless the file declares a projected one). Coordinate problems
        leave the geometry as read.
    """
    path = Path(path)
    own = problems is None
    problems = problems if problems is not None else FileProblems(source=str(path))
    coords = check_coords_name(coords, source=str(path))
    if not path.exists():
        raise InputError(Problem("file not found", str(path), fix="check the path (relative paths "
                                 "start from the configuration file's folder or the working directory)"))
    if path.suffix.lower() not in _VECTOR_SUFFIXES:
        logger.info("%s: unfamiliar extension; trying GDAL", path)
    if source_crs is not None:
        try:
            source_crs = pyproj.CRS.from_user_input(source_crs)
        except pyproj.exceptions.CRSError as exc:
            raise InputError(Problem(f"`source_crs = {source_crs!r}` is not a CRS pyproj knows ({exc})",
                                     str(path), None, "source_crs",
                                     "give an EPSG code such as 'EPSG:4547'")) from None
    if path.suffix.lower() in {".csv", ".txt", ".tsv"}:
        gdf = _read_csv(path, problems, source_crs)
    else:
        gdf = _read_file(path, problems, layer)
        if gdf.crs is None and source_crs is not None:
            gdf = gdf.set_crs(source_crs)
        elif gdf.crs is not None and source_crs is not None and not gdf.crs.equals(source_crs):
            logger.warning("%s declares %s; `source_crs` %s ignored", path, gdf.crs.name,
                           source_crs.name)
        xy = shapely.get_coordinates(np.asarray(gdf.geometry.array))
        if gdf.crs is None or gdf.crs.is_geographic:
            check_lonlat(xy[:, 0], xy[:, 1], source=str(path), problems=problems,
                         declared=None if gdf.crs is None else gdf.crs.name)
        elif len(xy) and np.all(np.abs(xy[:, 0]) <= 180) and np.all(np.abs(xy[:, 1]) <= 90):
            problems.add(
                f"the file declares the projected CRS {gdf.crs.name} (metres) but its coordinates "
                "are all within ±180/±90: they look like longitude/latitude degrees",
                column="geometry",
                fix="set the file's CRS to EPSG:4326 (WGS84 degrees) and save it again",
            )
    if gdf.crs is None:
        gdf = gdf.set_crs(4326)
    if gdf.crs.is_geographic:
        if not gdf.crs.equals(pyproj.CRS.from_epsg(4326)) and not problems:
            gdf = gdf.to_crs(4326)
        if coords != "wgs84" and not problems:
            gdf = to_wgs84(gdf.set_crs(4326, allow_override=True), coords)
            logger.info("%s: converted %s → WGS84", path, coords)
    elif coords != "wgs84":
        logger.warning("%s declares the projected CRS %s; `coords = %s` does not apply to it",
                       path, gdf.crs.name, coords)
    if own:
        problems.raise_if_any()
    return gdf


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
