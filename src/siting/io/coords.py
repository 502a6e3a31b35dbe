"""Chinese map coordinates: WGS84 ↔ GCJ-02 (高德/腾讯) and WGS84 ↔ BD-09 (百度).

GCJ-02 and BD-09 are not CRSs that PROJ knows: they are WGS84 longitudes and latitudes with a
deliberate, non-linear offset of a few hundred metres. No maintained library in our dependency set
implements them, so the published formulas are written here by hand, vectorised with numpy:

- WGS84 → GCJ-02: the widely published open implementation of the 国测局 (GCJ) offset (ellipsoid
  a = 6378245 m, e² = 0.00669342162296594323, polynomial-plus-sine shifts around 105°E 35°N). As that
  implementation does, points outside a rectangle around China are left unchanged.
- GCJ-02 → BD-09: Baidu's published rotation/scaling (x_pi = π·3000/180, shift 0.0065°, 0.006°).
- The inverses are solved by fixed-point iteration on the forward transform
  (``w ← w − (f(w) − target)``) until the step is below 1e-10° (~0.01 mm), so a round trip is exact to
  far better than the 1 m the contract asks for. The one-step inverses often copied around are off by
  up to ~1–2 m; we do not use them.

Geometries are converted with :func:`shapely.transform`, which hands every coordinate of every
geometry to the numpy function in one array.

:func:`suggest_coords` compares point data with street lines (e.g. OSM streets, which are WGS84) under
each hypothesis, so a pipeline can warn when the ``coords`` setting looks wrong.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import geopandas as gpd
import numpy as np
import shapely

from siting.errors import InputError

logger = logging.getLogger(__name__)

Coords = Literal["wgs84", "gcj02", "bd09"]
COORDS: tuple[str, ...] = ("wgs84", "gcj02", "bd09")

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by the GCJ-02 formula
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0
# The rectangle outside which GCJ-02 leaves points unchanged (as the common open implementations do).
CHINA_BOX = (72.004, 0.8293, 137.8347, 55.8271)  # lon_min, lat_min, lon_max, lat_max

_TOL_DEG = 1e-10
_MAX_ITER = 50

G = TypeVar("G", gpd.GeoDataFrame, gpd.GeoSeries, np.ndarray)


def out_of_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Whether each point lies outside the rectangle where the GCJ-02 offset applies.

    Parameters
    ----------
    lon, lat : array_like
        Degrees.

    Returns
    -------
    numpy.ndarray of bool
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    lon0, lat0, lon1, lat1 = CHINA_BOX
    return ~((lon >= lon0) & (lon <= lon1) & (lat >= lat0) & (lat <= lat1))


def _shift_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _shift_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _as_float(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon_a, lat_a = np.broadcast_arrays(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return lon_a.copy(), lat_a.copy()


def wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 → GCJ-02 (the published formula; points outside China unchanged).

    Parameters
    ----------
    lon, lat : array_like
        WGS84 degrees.

    Returns
    -------
    (lon, lat) : tuple of numpy.ndarray
        GCJ-02 degrees.
    """
    lon, lat = _as_float(lon, lat)
    dlat = _shift_lat(lon - 105.0, lat - 35.0)
    dlon = _shift_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    outside = out_of_china(lon, lat)
    return np.where(outside, lon, lon + dlon), np.where(outside, lat, lat + dlat)


def gcj02_to_bd09(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → BD-09 (Baidu's published formula).

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 degrees.

    Returns
    -------
    (lon, lat) : tuple of numpy.ndarray
        BD-09 degrees.
    """
    lon, lat = _as_float(lon, lat)
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def wgs84_to_bd09(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 → BD-09 (through GCJ-02, as Baidu defines it)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def _invert(forward, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``forward(x) = (lon, lat)`` by fixed-point iteration (the offset varies slowly)."""
    tlon, tlat = _as_float(lon, lat)
    x, y = tlon.copy(), tlat.copy()
    finite = np.isfinite(tlon) & np.isfinite(tlat)
    for _ in range(_MAX_ITER):
        flon, flat = forward(x, y)
        dx = np.where(finite, flon - tlon, 0.0)
        dy = np.where(finite, flat - tlat, 0.0)
        x -= dx
        y -= dy
        if dx.size == 0 or max(np.abs(dx).max(), np.abs(dy).max()) < _TOL_DEG:
            break
    return x, y


def gcj02_to_wgs84(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → WGS84, the exact inverse of :func:`wgs84_to_gcj02` (iterative, < 0.01 mm)."""
    return _invert(wgs84_to_gcj02, lon, lat)


def bd09_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 → GCJ-02, the exact inverse of :func:`gcj02_to_bd09` (iterative)."""
    return _invert(gcj02_to_bd09, lon, lat)


def bd09_to_wgs84(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 → WGS84, the exact inverse of :func:`wgs84_to_bd09` (iterative)."""
    return _invert(wgs84_to_bd09, lon, lat)


_TO_WGS84 = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
_FROM_WGS84 = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}


def check_coords_name(coords: str, *, source: str | None = None) -> str:
    """Return the normalised ``coords`` name or raise :class:`InputError` naming the choices.

    Accepts the contract's names (``wgs84``, ``gcj02``, ``bd09``) in any case, with or without a dash.
    """
    name = str(coords).strip().lower().replace("-", "").replace("_", "")
    if name not in COORDS:
        raise InputError(
            f"unknown coordinate system `coords = {coords!r}`. Fix: use one of "
            f"{', '.join(COORDS)} (WGS84 = GPS/OSM, GCJ-02 = 高德/腾讯, BD-09 = 百度)"
            + (f" in {source}" if source else "")
            + "."
        )
    return name


def _apply(func, data):
    """Apply a lon/lat array function to an (n, 2) array, a GeoSeries or a GeoDataFrame."""
    if isinstance(data, (gpd.GeoDataFrame, gpd.GeoSeries)):
        if data.crs is not None and not data.crs.is_geographic:
            raise InputError(
                f"GCJ-02/BD-09 conversion needs longitude/latitude, but the data is in {data.crs.name}. "
                "Fix: convert only data given in degrees (WGS84-declared or undeclared)."
            )

        def xy_func(xy: np.ndarray) -> np.ndarray:
            lon, lat = func(xy[:, 0], xy[:, 1])
            return np.column_stack([lon, lat])

        out = data.copy()
        geoms = shapely.transform(np.asarray(data.geometry.array), xy_func)
        if isinstance(out, gpd.GeoDataFrame):
            out[out.geometry.name] = gpd.GeoSeries(geoms, index=out.index, crs=data.crs)
            return out
        return gpd.GeoSeries(geoms, index=data.index, crs=data.crs, name=data.name)
    xy = np.asarray(data, dtype=float)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise ValueError(f"expected an (n, 2) array of lon/lat, got shape {xy.shape}")
    lon, lat = func(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


def to_wgs84(data: G, coords: str) -> G:
    """Convert lon/lat data given in ``coords`` to WGS84.

    Parameters
    ----------
    data : geopandas.GeoDataFrame, geopandas.GeoSeries or array_like of shape (n, 2)
        Longitude/latitude degrees (a GeoDataFrame must be in a geographic CRS or have none).
    coords : {"wgs84", "gcj02", "bd09"}
        The system the data is in.

    Returns
    -------
    Same type as ``data``
        A converted copy (``wgs84`` returns an unchanged copy).
    """
    name = check_coords_name(coords)
    if name == "wgs84":
        return data.copy() if hasattr(data, "copy") else np.array(data, dtype=float)
    return _apply(_TO_WGS84[name], data)


def from_wgs84(data: G, coords: str) -> G:
    """Convert WGS84 lon/lat data to ``coords`` (e.g. to overlay on 高德 or 百度 tiles).

    Parameters
    ----------
    data : geopandas.GeoDataFrame, geopandas.GeoSeries or array_like of shape (n, 2)
        WGS84 degrees.
    coords : {"wgs84", "gcj02", "bd09"}
        The target system.

    Returns
    -------
    Same type as ``data``
    """
    name = check_coords_name(coords)
    if name == "wgs84":
        return data.copy() if hasattr(data, "copy") else np.array(data, dtype=float)
    return _apply(_FROM_WGS84[name], data)


@dataclass(frozen=True)
class CoordsReference:
    """Reference geometries prepared for :func:`suggest_coords`: a metric CRS and a search tree of
    the geometries in it. Build it once with :func:`coords_reference` to test several inputs."""

    crs: Any
    tree: shapely.STRtree


def coords_reference(reference: gpd.GeoSeries | gpd.GeoDataFrame) -> CoordsReference | None:
    """Prepare reference geometries (e.g. OSM streets) for :func:`suggest_coords`.

    A projected CRS is kept; a geographic one, or none, is read as WGS84 and projected to its local
    UTM zone. None when there is no geometry.
    """
    ref = gpd.GeoSeries(getattr(reference, "geometry", reference))
    if ref.crs is None or ref.crs.is_geographic:
        ref = ref.set_crs(4326, allow_override=True)
    ref = ref[~(ref.is_empty | ref.isna())]
    if len(ref) == 0:
        return None
    crs = ref.crs if ref.crs.is_projected else ref.estimate_utm_crs()
    return CoordsReference(crs, shapely.STRtree(np.asarray(ref.to_crs(crs).array)))


def suggest_coords(
    points_wgs84: gpd.GeoSeries | gpd.GeoDataFrame,
    reference_lines_wgs84: gpd.GeoSeries | gpd.GeoDataFrame | CoordsReference,
    *,
    ratio: float = 0.75,
    cap_m: float = 200.0,
    sample: int = 2000,
    seed: int = 0,
) -> str | None:
    """Guess which coordinate system point data was really given in, by comparing it with OSM data.

    Each hypothesis ``h`` in (wgs84, gcj02, bd09) converts the points as if they were in ``h`` and
    measures their distance to the nearest reference geometry (metres, local UTM zone), capped at
    ``cap_m`` so a few far points do not dominate. The hypothesis with the smallest mean capped
    distance wins when that mean is at most ``ratio`` times every other hypothesis' mean.

    The reference decides what the test can see. Street lines suit points that sit on or by streets
    (facilities, POIs, entrances) and polygon *boundaries*, which for communities and compounds
    mostly run along streets: polygons are tested by points along their boundaries (every ~50 m).
    Points inside blocks (households) are better compared with polygons — building footprints or
    ``landuse=residential`` areas, distance 0 inside — because a block's interior is about as far from
    its streets as a point shifted by 500 m; with streets only the answer is then often None (no clear
    winner), never a guess.

    Parameters
    ----------
    points_wgs84 : GeoSeries or GeoDataFrame
        The points (or polygons) as read, taken at face value as WGS84 degrees.
    reference_lines_wgs84 : GeoSeries, GeoDataFrame or CoordsReference
        Reference geometries known to be WGS84 (OSM streets; polygons accepted too, see above), or
        in a declared projected CRS, or prepared once by :func:`coords_reference`.
    ratio : float, default 0.75
        How much closer the winner must be.
    cap_m : float, default 200
        Distances are capped at this many metres.
    sample : int, default 2000
        At most this many points are tested (a seeded random sample).
    seed : int, default 0
        Seed of the sample.

    Returns
    -------
    str or None
        ``"wgs84"``, ``"gcj02"`` or ``"bd09"`` when one is clearly better, else None.
    """
    pts = gpd.GeoSeries(getattr(points_wgs84, "geometry", points_wgs84)).set_crs(4326, allow_override=True)
    ref = reference_lines_wgs84 if isinstance(reference_lines_wgs84, CoordsReference) \
        else coords_reference(reference_lines_wgs84)
    pts = pts[~(pts.is_empty | pts.isna())]
    if len(pts) == 0 or ref is None:
        return None
    arr = np.asarray(pts.array, dtype=object)
    poly = np.isin(shapely.get_type_id(arr), [3, 6])
    if poly.any():  # polygons: points every ~50 m (0.0005°) along their boundaries
        edge = shapely.get_coordinates(shapely.segmentize(shapely.boundary(arr[poly]), 0.0005))
        arr = np.concatenate([shapely.point_on_surface(arr[~poly]), shapely.points(edge)])
    pts = gpd.GeoSeries(arr, crs=4326)
    if len(pts) > sample:
        rng = np.random.default_rng(seed)
        pts = pts.iloc[np.sort(rng.choice(len(pts), size=sample, replace=False))]
    score: dict[str, float] = {}
    for name in COORDS:
        cand = to_wgs84(pts, name).to_crs(ref.crs)
        _, dist = ref.tree.query_nearest(np.asarray(cand.array), return_distance=True, all_matches=False)
        score[name] = float(np.mean(np.minimum(dist, cap_m)))
    ranked = sorted(score, key=score.__getitem__)
    best, second = ranked[0], ranked[1]
    logger.debug("mean capped distance to reference by coords hypothesis: %s", score)
    if score[best] < ratio * score[second]:
        return best
    return None
