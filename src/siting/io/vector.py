"""Read any vector input file (GeoJSON, GeoPackage, Shapefile, GeoParquet, CSV) into lon/lat or its CRS.

geopandas/pyogrio read GeoJSON, GeoPackage and Shapefile (:func:`geopandas.read_file`) and GeoParquet
(:func:`geopandas.read_parquet`); pandas reads CSV point files; pyproj reprojects. Written here: CSV
sniffing (separator, encoding, which lon/lat columns), the CRS decisions below and the coordinate
checks. The contract's tables (which columns each input has) are :mod:`siting.io.read`.

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
from siting.io.crs import check_lonlat
from siting.io.validate import FileProblems

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
