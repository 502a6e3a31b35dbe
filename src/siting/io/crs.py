"""The one metric CRS of a run, and sanity checks on longitude/latitude data.

pyproj and geopandas do the work: :meth:`geopandas.GeoSeries.estimate_utm_crs` picks the UTM zone of
the data's centre (as osmnx does when no CRS is given). Written here by hand: the checks that catch the
two commonest mistakes in planners' files — longitude and latitude swapped, and projected metres
labelled (or taken) as degrees — because no library reports them; they silently put the data in the
wrong place.
"""

from __future__ import annotations

import logging
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from siting.errors import InputError, Problems
from siting.io.validate import FileProblems

logger = logging.getLogger(__name__)

# China's extent in degrees (with a margin): used to recognise lon/lat and swapped columns.
CHINA_LON = (73.0, 136.0)
CHINA_LAT = (3.0, 54.0)


def as_metric_crs(crs: Any, *, source: str | None = None) -> pyproj.CRS:
    """Return ``crs`` as a :class:`pyproj.CRS`, refusing geographic (degree) systems.

    Parameters
    ----------
    crs : anything :meth:`pyproj.CRS.from_user_input` accepts
        E.g. ``"EPSG:32650"``.
    source : str, optional
        Where the value came from, for the message.
    """
    try:
        out = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as exc:
        raise InputError(
            f"`crs = {crs!r}` is not a coordinate reference system pyproj knows ({exc})"
            + (f" in {source}" if source else "")
            + ". Fix: give an EPSG code such as 'EPSG:32650', or leave it out to use the local UTM zone."
        ) from None
    if not out.is_projected:
        raise InputError(
            f"`crs = {crs!r}` is not a projected metric CRS; distances need metres. "
            "Fix: give a projected CRS such as the local UTM zone ('EPSG:326xx') or leave it out."
        )
    return out


def _lonlat_bounds(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> np.ndarray:
    geo = gdf.geometry if isinstance(gdf, gpd.GeoDataFrame) else gdf
    geo = geo[~(geo.isna() | geo.is_empty)]
    if len(geo) == 0:
        return np.full(4, np.nan)
    if geo.crs is not None and not geo.crs.equals(pyproj.CRS.from_epsg(4326)):
        geo = geo.to_crs(4326)
    return np.asarray(geo.total_bounds, dtype=float)


def choose_crs(*gdfs: gpd.GeoDataFrame | gpd.GeoSeries) -> pyproj.CRS:
    """The local UTM zone of the centre of all the data, chosen once for a whole run.

    Parameters
    ----------
    *gdfs : GeoDataFrame or GeoSeries
        Data with a CRS (or none, then taken as WGS84 degrees).

    Returns
    -------
    pyproj.CRS
        A WGS84 / UTM zone CRS (EPSG:326xx north, 327xx south).

    Raises
    ------
    InputError
        When there is no geometry to centre on.
    """
    bounds = [_lonlat_bounds(g) for g in gdfs if g is not None and len(g)]
    bounds = [b for b in bounds if np.all(np.isfinite(b))]
    if not bounds:
        raise InputError(
            "cannot choose a metric CRS: no input has any geometry. "
            "Fix: give at least one non-empty input, or pass `crs` explicitly."
        )
    b = np.vstack(bounds)
    box = shapely.box(b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max())
    crs = gpd.GeoSeries([box], crs=4326).estimate_utm_crs()
    logger.info("metric CRS for this run: %s (%s)", crs.name, crs.to_string())
    return crs


def _describe(values: np.ndarray) -> str:
    return f"{np.nanmin(values):.6g}–{np.nanmax(values):.6g}"


def check_lonlat(
    x: np.ndarray,
    y: np.ndarray,
    *,
    source: str | None = None,
    columns: tuple[str, str] = ("longitude", "latitude"),
    declared: str | None = None,
    problems: Problems | None = None,
) -> bool:
    """Check that ``x``/``y`` are plausible longitude/latitude degrees for China.

    Two mistakes are reported as problems (file, columns, fix): longitude and latitude swapped (the
    ``x`` values fit China's latitudes 3–54 and the ``y`` values its longitudes 73–136), and values
    that cannot be degrees at all (|x| > 180 or |y| > 90: projected metres given as degrees).
    Data elsewhere in the world is accepted with a log line.

    Parameters
    ----------
    x, y : array_like
        Longitudes and latitudes as read (NaN ignored).
    source : str, optional
        The file, for the message.
    columns : (str, str)
        The names of the x and y columns (or ``("longitude", "latitude")`` for geometries).
    declared : str, optional
        The CRS the file declares, if any (changes the fix offered).
    problems : Problems, optional
        Collector to add to; without one an :class:`InputError` is raised at once.

    Returns
    -------
    bool
        True when the values are usable as lon/lat.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    own = problems is None
    problems = problems if problems is not None else FileProblems(source=source)
    if x.size == 0:
        return True
    cx, cy = columns
    in_lon = (x >= CHINA_LON[0]) & (x <= CHINA_LON[1])
    in_lat = (y >= CHINA_LAT[0]) & (y <= CHINA_LAT[1])
    sw_lon = (y >= CHINA_LON[0]) & (y <= CHINA_LON[1])
    sw_lat = (x >= CHINA_LAT[0]) & (x <= CHINA_LAT[1])
    if np.mean(sw_lon & sw_lat) > 0.5 and np.mean(in_lon & in_lat) < 0.5:
        problems.add(
            f"longitude and latitude look swapped: `{cx}` holds {_describe(x)}, which are latitudes in "
            f"China, and `{cy}` holds {_describe(y)}, which are longitudes.",
            column=f"{cx}/{cy}",
            fix=f"exchange the `{cx}` and `{cy}` columns (x = longitude 73–136 first, y = latitude 3–54); "
            "in GeoJSON every position is [longitude, latitude].",
        )
        if own:
            problems.raise_if_any()
        return False
    if np.any(np.abs(x) > 180) or np.any(np.abs(y) > 90):
        where = f"declares {declared}" if declared else "declares no CRS"
        problems.add(
            ("" if declared else "missing CRS: ")
            + f"coordinates are not degrees (`{cx}` {_describe(x)}, `{cy}` {_describe(y)}): they look "
            f"like projected metres, but the file {where}, so they would be read as longitude/latitude.",
            column=f"{cx}/{cy}",
            fix="save the file with the CRS it was made in (e.g. in QGIS: Layer ▸ Set CRS, then export; "
            "UTM 50N = EPSG:32650, CGCS2000 3° Gauss-Krüger = EPSG:4547…), or pass that CRS as "
            "`source_crs`, or give WGS84 longitude/latitude degrees.",
        )
        if own:
            problems.raise_if_any()
        return False
    if np.mean(in_lon & in_lat) < 0.5:
        logger.warning(
            "%s: most coordinates lie outside China (%s %s, %s %s); continuing as given",
            source or "input", cx, _describe(x), cy, _describe(y),
        )
    return True
