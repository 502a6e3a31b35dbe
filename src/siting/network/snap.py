"""Snap points to the walking network: the nearest point on the nearest edge.

Exact nearest-point snapping, vectorised over all points, in two steps:

1. **Candidates from a KD-tree** (``scipy.spatial.cKDTree``, queried on all cores) over sample points
   placed along every straight segment of every edge, at most :data:`SAMPLE_SPACING_M` apart. For each
   point the segments of its ``k`` nearest samples are candidates (``k`` = 8, then 48 for the points
   not yet proven); NumPy projects the point onto each
   candidate segment and keeps the closest. This is exact whenever the best candidate distance is at
   most ``r_k - spacing / 2`` (``r_k`` = distance to the k-th sample): any segment not among the
   candidates has all its samples at least ``r_k`` away, so it is at least ``r_k - spacing / 2`` away.
2. **Fallback: shapely 2** ``STRtree.query_nearest`` (exact point-to-LineString distance) +
   ``line_locate_point`` for the points where that bound does not prove the answer (points far from
   every street).

Why by hand: ``STRtree.query_nearest`` alone costs ~35 µs a point on the benchmark machine (35 s for a
million households) and holds the GIL; the KD-tree step brings snapping a million points to a few
seconds. Also written here: accepting the point forms the layers pass (GeoSeries, GeoDataFrame,
``(k, 2)`` array), input checks, and the frozen result.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely
from scipy.spatial import cKDTree

from siting.errors import Problems

if TYPE_CHECKING:
    from siting.network.graph import WalkNetwork

logger = logging.getLogger(__name__)

#: Largest gap between KD-tree samples along a segment (metres).
SAMPLE_SPACING_M = 25.0
#: Candidate samples looked at per point: a first round, then a wider one for the unproven points
#: (far from streets, where the nearest samples all sit on one segment). Tuned on the benchmark.
K_CANDIDATES = (8, 48)
#: Points handled per vectorised batch (bounds the temporary ``(batch, k)`` arrays).
BATCH = 131_072


@dataclass(frozen=True, eq=False)
class SegmentIndex:
    """Every straight segment of every edge, and a KD-tree of samples along them."""

    start: np.ndarray  # (s, 2)
    end: np.ndarray  # (s, 2)
    edge: np.ndarray  # (s,) edge of each segment
    offset: np.ndarray  # (s,) distance along the edge from u to the segment's start
    sample_segment: np.ndarray  # (q,) segment of each KD-tree sample
    tree: cKDTree
    spacing: float


def build_segment_index(edge_geometry: np.ndarray, *, spacing: float = SAMPLE_SPACING_M) -> SegmentIndex:
    """Split the edges into straight segments and index samples along them (see module docstring)."""
    coords, which = shapely.get_coordinates(edge_geometry, return_index=True)
    same = which[1:] == which[:-1]
    start, end, edge = coords[:-1][same], coords[1:][same], which[:-1][same]
    seg_len = np.hypot(*(end - start).T)
    # distance along the edge to each segment's start: cumulative length within the edge
    cum = np.cumsum(seg_len) - seg_len
    first = np.ones(edge.size, dtype=bool)
    first[1:] = edge[1:] != edge[:-1]
    base = np.maximum.accumulate(np.where(first, cum, 0.0))
    offset = cum - base
    # samples at t = 0, 1/n, ..., 1 on each segment (n pieces of length <= spacing)
    pieces = np.maximum(np.ceil(seg_len / spacing), 1).astype(np.int64)
    per = pieces + 1
    sample_segment = np.repeat(np.arange(edge.size), per)
    t = (np.arange(per.sum()) - np.repeat(np.cumsum(per) - per, per)) / np.repeat(pieces, per)
    samples = start[sample_segment] + t[:, None] * (end - start)[sample_segment]
    tree = cKDTree(samples, balanced_tree=False, compact_nodes=False)  # 3x faster to build, as fast to query
    return SegmentIndex(start, end, edge, offset, sample_segment, tree, float(spacing))


@dataclass(frozen=True, eq=False)
class Snapped:
    """Points snapped to a :class:`~siting.network.graph.WalkNetwork` (all arrays of length k).

    Attributes
    ----------
    edge : numpy.ndarray
        Index of the edge each point snapped to.
    u, v : numpy.ndarray
        That edge's end nodes (the edge geometry runs from ``u`` to ``v``).
    to_u_m, to_v_m : numpy.ndarray
        Distance along the edge from the snap point to ``u`` and to ``v``.
    access_m : numpy.ndarray
        Straight-line access leg from the point to its snap point.
    xy : numpy.ndarray
        ``(k, 2)`` snap points.
    component : numpy.ndarray
        Connected piece of the edge (0 = the main piece).
    far : numpy.ndarray
        True where ``access_m`` exceeds the ``max_access_m`` given to :func:`snap_points` (all False
        when none was given). Far points are flagged, never dropped.
    """

    edge: np.ndarray
    u: np.ndarray
    v: np.ndarray
    to_u_m: np.ndarray
    to_v_m: np.ndarray
    access_m: np.ndarray
    xy: np.ndarray
    component: np.ndarray
    far: np.ndarray

    def __len__(self) -> int:
        return int(self.edge.shape[0])

    def concat(self, other: Snapped) -> Snapped:
        """These points followed by ``other``'s (snapped to the same network)."""
        return Snapped(**{name: np.concatenate([getattr(self, name), getattr(other, name)])
                          for name in self.__dataclass_fields__})

    def __getitem__(self, index: Any) -> Snapped:
        """A subset (integer indices, slice or boolean mask), as another :class:`Snapped`."""
        if isinstance(index, (int, np.integer)):
            index = [index]
        return Snapped(**{name: getattr(self, name)[index] for name in self.__dataclass_fields__})


def point_coordinates(points: Any, crs: Any, *, source: str = "points") -> np.ndarray:
    """``(k, 2)`` coordinates of ``points`` in ``crs``.

    ``points`` may be a GeoSeries / GeoDataFrame (re-projected when its CRS differs), an array of
    shapely Points, or a ``(k, 2)`` array already in ``crs``. Missing, empty or non-point geometries
    are refused together in one :class:`~siting.errors.InputError`.
    """
    problems = Problems(source=source)
    if isinstance(points, (gpd.GeoDataFrame, gpd.GeoSeries)):
        geo = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
        if geo.crs is not None and crs is not None and not geo.crs.equals(crs):
            geo = geo.to_crs(crs)
        labels = [str(i) for i in geo.index]
        arr = np.asarray(geo.values, dtype=object)
    else:
        arr = np.asarray(points)
        if arr.dtype != object:
            arr = np.asarray(arr, dtype=np.float64)
            if arr.ndim == 1 and arr.shape[0] == 2:
                arr = arr[None, :]
            if arr.ndim != 2 or arr.shape[1] != 2:
                problems.add(f"expected a (k, 2) array of x, y coordinates, got shape {arr.shape}",
                             fix="pass a GeoSeries of points or an array with two columns")
                problems.raise_if_any()
            bad = ~np.isfinite(arr).all(axis=1)
            for i in np.flatnonzero(bad)[:20]:
                problems.add("coordinates missing or not finite", feature=f"row {i}",
                             fix="drop the row or give it coordinates")
            problems.raise_if_any()
            return arr
        labels = [f"row {i}" for i in range(arr.shape[0])]
    if arr.size == 0:
        return np.empty((0, 2))
    bad_type = ~(shapely.get_type_id(arr) == 0)  # 0 = Point; None/other geometries are refused
    bad = bad_type | shapely.is_empty(arr)
    for i in np.flatnonzero(bad)[:20]:
        problems.add("geometry is missing, empty or not a point", feature=labels[i], column="geometry",
                     fix="give the feature a point (polygons: use their representative point)")
    if bad.sum() > 20:
        problems.add(f"... and {int(bad.sum()) - 20} more such features")
    problems.raise_if_any()
    return shapely.get_coordinates(arr)


def snap_points(net: WalkNetwork, points: Any, *, max_access_m: float | None = None) -> Snapped:
    """Snap each point to the nearest point of the nearest walkable edge.

    Parameters
    ----------
    net : WalkNetwork
    points : GeoSeries, GeoDataFrame or (k, 2) array
        In ``net.crs`` (a GeoSeries in another CRS is re-projected).
    max_access_m : float, optional
        Flag (``far``) points whose access leg is longer than this, and log a warning with their count.
        They are kept: the caller decides what a far point means.

    Returns
    -------
    Snapped
    """
    xy = point_coordinates(points, net.crs)
    k = xy.shape[0]
    if k == 0:
        empty = np.empty(0)
        ints = np.empty(0, dtype=np.int64)
        return Snapped(ints, ints, ints, empty, empty, empty, np.empty((0, 2)), ints,
                       np.empty(0, dtype=bool))
    edge, along, dist, snap_xy = _nearest_on_segments(net.segments, xy, k=K_CANDIDATES[0])
    loose = np.flatnonzero(edge < 0)
    if loose.size:
        wider = _nearest_on_segments(net.segments, xy[loose], k=K_CANDIDATES[1])
        for full, part in zip((edge, along, dist, snap_xy), wider):
            full[loose] = part
        loose = np.flatnonzero(edge < 0)
    if loose.size:  # the KD-tree bound did not prove these: ask the STRtree (exact, slower)
        pts = shapely.points(xy[loose])
        idx, access = net._tree.query_nearest(pts, return_distance=True, all_matches=False)
        edge[loose[idx[0]]] = idx[1]
        dist[loose[idx[0]]] = access
        lines = net.edge_geometry[edge[loose]]
        along[loose] = shapely.line_locate_point(lines, pts)
        snap_xy[loose] = shapely.get_coordinates(shapely.line_interpolate_point(lines, along[loose]))
        logger.debug("snapping: %d of %d points resolved by the STRtree", loose.size, k)
    length = net.edge_length_m[edge]
    along = np.clip(along, 0.0, length)
    far = np.zeros(k, dtype=bool) if max_access_m is None else dist > float(max_access_m)
    if far.any():
        logger.warning("%d of %d points are farther than %.0f m from any walkable way "
                       "(flagged as far, kept)", int(far.sum()), k, max_access_m)
    return Snapped(
        edge=edge,
        u=net.edge_u[edge],
        v=net.edge_v[edge],
        to_u_m=along,
        to_v_m=length - along,
        access_m=dist,
        xy=snap_xy,
        component=net.component[net.edge_u[edge]],
        far=far,
    )


def _nearest_on_segments(
    index: SegmentIndex, xy: np.ndarray, *, k: int = K_CANDIDATES[0]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Step 1 of the module docstring: (edge, along, access, snap xy); edge = -1 where unproven."""
    kk = min(k, index.sample_segment.size)
    # query in spatial order (by 250 m cell): the KD-tree walk is ~3x faster when neighbours follow
    # each other; results are put back in input order below
    cell = np.floor((xy - xy.min(axis=0)) / 250.0) if xy.size else xy
    order = np.lexsort((cell[:, 0], cell[:, 1])) if xy.size else np.empty(0, dtype=np.int64)
    xy = xy[order]
    k = xy.shape[0]
    edge = np.full(k, -1, dtype=np.int64)
    along = np.zeros(k)
    dist = np.zeros(k)
    snap_xy = np.zeros((k, 2))
    for b0 in range(0, k, BATCH):
        p = xy[b0:b0 + BATCH]
        r, nearest = index.tree.query(p, k=kk, workers=-1)
        if kk == 1:
            r, nearest = r[:, None], nearest[:, None]
        seg = index.sample_segment[nearest]  # (b, kk)
        a = index.start[seg]
        ab = index.end[seg] - a
        ap = p[:, None, :] - a
        den = np.einsum("ijk,ijk->ij", ab, ab)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.clip(np.einsum("ijk,ijk->ij", ap, ab) / den, 0.0, 1.0)
        t[den == 0] = 0.0
        foot = a + t[..., None] * ab
        d = np.hypot(p[:, None, 0] - foot[..., 0], p[:, None, 1] - foot[..., 1])
        best = np.argmin(d, axis=1)
        rows = np.arange(p.shape[0])
        dmin = d[rows, best]
        s = seg[rows, best]
        proven = dmin <= r[:, -1] - index.spacing / 2
        sl = slice(b0, b0 + p.shape[0])
        edge[sl] = np.where(proven, index.edge[s], -1)
        along[sl] = index.offset[s] + t[rows, best] * np.sqrt(den[rows, best])
        dist[sl] = dmin
        snap_xy[sl] = foot[rows, best]
    back = np.empty_like(order)
    back[order] = np.arange(order.size)
    return edge[back], along[back], dist[back], snap_xy[back]
