"""Walking service areas: polygons that follow the street segments reached within each time budget.

``siting.network.node_distances`` (SciPy's compiled Dijkstra) gives node distances (per facility, or
one multi-source search per type); shapely 2 does the geometry, vectorised over all reached segments at
once (``line_interpolate_point``, ``linestrings``, ``buffer``, ``union_all``, ``voronoi_polygons``).
Written by hand, because no maintained library cuts partly reached edges on a SciPy graph: the rule
that decides which stretch of each edge is reached and by whom (below) and a vectorised substring of
many LineStrings (``shapely.ops.substring`` works on one geometry at a time).

Which stretch of an edge is reached: each edge carries *sources* — its two ends (position 0 and
``length``, offset = their node distance, owner = the facility that reaches them first) and every
facility snapped onto the edge (position along it, offset = its access leg). Distance at position
``t`` is ``min_k offset_k + |t - pos_k|``; after dropping dominated sources, each remaining source owns
the stretch between the mid-points to its neighbours, and of that the part within
``budget - offset`` of its position is reached. The same rule gives the plain reached set (one
facility), the dissolved one (all facilities of a type, nearest wins) and the split one (each place
to its nearest facility) — all vectorised over edges with numpy/pandas.

Modes, as ArcGIS Network Analyst offers them: ``disks`` (0 – t) or ``rings`` (t_{i-1} – t_i);
``overlap`` (one polygon per facility), ``dissolve`` (one per type) or ``split`` (one per facility,
each place belonging to its nearest facility of the type: the dissolved polygon of each budget is cut
along the Voronoi diagram of the reached streets' vertices, so the parts tile it without overlap; a
street point's owner never changes with the budget, but a place off the street, within the buffer,
may pass to another facility when that one's streets come nearer at a larger budget, so split disks
nest only up to that band; split rings are the dissolved ring cut the same way and tile the disk).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from itertools import pairwise
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from siting.errors import Problems
from siting.network import node_distances
from siting.progress import progress

logger = logging.getLogger(__name__)

#: Facilities searched together in the overlapping mode (each holds one row of node distances).
_CHUNK = 32


def service_areas(
    net: Any,
    facilities: gpd.GeoDataFrame,
    facilities_snapped: Any,
    *,
    minutes_to_m: Mapping[float, float],
    buffer_m: float = 50.0,
    mode: Literal["disks", "rings"] = "disks",
    merge: Literal["overlap", "dissolve", "split"] = "overlap",
    include_access: bool = True,
    quad_segs: int = 4,
    verbose: bool | None = None,
) -> gpd.GeoDataFrame:
    """Walking service areas of facilities at several time budgets.

    Parameters
    ----------
    net : siting.network.WalkNetwork
    facilities : geopandas.GeoDataFrame
        Indexed by ``facility_id``, with a ``type`` column; row-aligned with ``facilities_snapped``.
    facilities_snapped : siting.network.Snapped
    minutes_to_m : mapping of float to float
        Time budgets and their walking distances, e.g. ``{5: 300, 10: 500, 15: 1000}`` (from
        ``profile.walk_distance_m``). Distances must grow with minutes.
    buffer_m : float, default 50
        Half-width of the band around the reached streets.
    mode : {"disks", "rings"}
        ``disks``: each polygon is everything within ``t`` minutes; ``rings``: between the previous
        budget and ``t`` (disjoint, ``from_minutes`` < time <= ``minutes``).
    merge : {"overlap", "dissolve", "split"}
        One polygon per facility (they may overlap), one per type, or one per facility with each place
        given to its nearest facility of the same type (disjoint within a type; module docstring).
    include_access : bool, default True
        Include each facility's straight access leg to the street in its area.
    quad_segs : int, default 4
        Segments per quarter circle of the buffer (more = rounder, slower).
    verbose : bool, optional
        Progress bar (default: when on a terminal).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``facility_id`` (None when dissolved), ``type``, ``minutes``, ``from_minutes``,
        ``dist_m``, ``geometry`` (Polygon/MultiPolygon; empty when nothing is reached), in ``net.crs``.
    """
    levels = _check(facilities, facilities_snapped, minutes_to_m, buffer_m, mode, merge)
    fac_xy = _facility_xy(facilities, net.crs)
    kinds = facilities["type"].astype(str).to_numpy()
    geo = _EdgeGeometry(net)
    rows: list[dict[str, Any]] = []
    minutes_list = list(levels)
    starts = [0.0] * len(levels) if mode == "disks" else [0.0, *minutes_list[:-1]]

    if merge == "overlap":
        n = len(facilities)
        limit = max(levels.values())
        chunks = range(0, n, _CHUNK)
        for start in progress(chunks, desc="service areas", total=len(chunks), verbose=verbose):
            sel = np.arange(start, min(start + _CHUNK, n))
            node_d = node_distances(net, facilities_snapped[sel], cutoff_m=limit, min_only=False)
            for r, f in enumerate(sel):
                disks, rings = _disks(net, geo, node_d[r], np.zeros(net.n_nodes, dtype=np.int64),
                                      facilities_snapped[[f]], fac_xy[[f]], levels, buffer_m,
                                      quad_segs, include_access, n_owners=1)
                polys = rings if mode == "rings" else disks
                for li, minutes in enumerate(levels):
                    rows.append({"facility_id": facilities.index[f], "type": kinds[f],
                                 "minutes": minutes, "from_minutes": starts[li],
                                 "dist_m": levels[minutes], "geometry": polys[li, 0]})
    else:
        types = sorted(set(kinds))
        for kind in progress(types, desc="service areas", verbose=verbose):
            sel = np.flatnonzero(kinds == kind)
            snapped = facilities_snapped[sel]
            node_d, owner = node_distances(net, snapped, cutoff_m=max(levels.values()),
                                           return_source=True)
            disks, rings = _disks(net, geo, node_d, owner, snapped, fac_xy[sel], levels, buffer_m,
                                  quad_segs, include_access,
                                  n_owners=len(sel) if merge == "split" else 1,
                                  split=merge == "split")
            polys = rings if mode == "rings" else disks
            for li, minutes in enumerate(levels):
                base = {"type": kind, "minutes": minutes, "from_minutes": starts[li],
                        "dist_m": levels[minutes]}
                if merge == "dissolve":
                    rows.append({"facility_id": None, **base, "geometry": polys[li, 0]})
                else:
                    for j, f in enumerate(sel):
                        rows.append({"facility_id": facilities.index[f], **base,
                                     "geometry": polys[li, j]})
    return gpd.GeoDataFrame(rows, columns=["facility_id", "type", "minutes", "from_minutes",
                                           "dist_m", "geometry"], geometry="geometry", crs=net.crs)


def _check(facilities: Any, snapped: Any, minutes_to_m: Mapping[float, float], buffer_m: float,
           mode: str, merge: str) -> dict[float, float]:
    problems = Problems(source="service areas")
    if "type" not in facilities.columns:
        problems.add("facilities have no `type` column", column="type",
                     fix="give every facility a type")
    if len(facilities) != len(snapped):
        problems.add(f"{len(facilities)} facilities but {len(snapped)} snapped points",
                     fix="snap exactly the facilities passed (net.snap(facilities))")
    if mode not in ("disks", "rings"):
        problems.add(f"unknown mode {mode!r}", fix="use 'disks' or 'rings'")
    if merge not in ("overlap", "dissolve", "split"):
        problems.add(f"unknown merge {merge!r}", fix="use 'overlap', 'dissolve' or 'split'")
    if not minutes_to_m:
        problems.add("no time budgets given", fix="pass minutes_to_m={5: 300, 10: 500, 15: 1000}")
    levels = {float(k): float(v) for k, v in sorted(minutes_to_m.items())}
    dists = list(levels.values())
    if any(d < 0 or not np.isfinite(d) for d in dists) or any(b <= a for a, b in pairwise(dists)):
        problems.add(f"distances {dists} must be finite, non-negative and grow with minutes",
                     fix="check the profile's walk distances")
    if not np.isfinite(buffer_m) or buffer_m <= 0:
        problems.add(f"buffer_m={buffer_m} must be a positive number of metres")
    problems.raise_if_any()
    return levels


def _facility_xy(facilities: gpd.GeoDataFrame, crs: Any) -> np.ndarray:
    geom = facilities.geometry
    if geom.crs is not None and crs is not None and not geom.crs.equals(crs):
        geom = geom.to_crs(crs)
    pts = np.where(shapely.get_type_id(geom.to_numpy()) == 0, geom.to_numpy(),
                   shapely.point_on_surface(geom.to_numpy()))
    return shapely.get_coordinates(pts)


class _EdgeGeometry:
    """Every edge's vertices and the distance of each vertex from the edge's start, computed once."""

    def __init__(self, net: Any) -> None:
        coords, idx = shapely.get_coordinates(net.edge_geometry, return_index=True)
        self.coords = coords
        counts = np.bincount(idx, minlength=net.n_edges)
        self.offsets = np.concatenate([[0], np.cumsum(counts)])
        step = np.hypot(*np.diff(coords, axis=0).T)
        step = np.concatenate([[0.0], step])
        step[self.offsets[:-1][counts > 0]] = 0.0  # first vertex of each edge
        cum = np.cumsum(step)
        self.along = cum - np.repeat(cum[self.offsets[:-1]], counts)
        self.geoms = net.edge_geometry
        self._buffers: dict[tuple[float, int], np.ndarray] = {}

    def edge_buffers(self, buffer_m: float, quad_segs: int) -> np.ndarray:
        """Buffer of every whole edge, computed once per call of :func:`service_areas`."""
        key = (float(buffer_m), int(quad_segs))
        if key not in self._buffers:
            self._buffers[key] = shapely.buffer(self.geoms, buffer_m, quad_segs=quad_segs)
        return self._buffers[key]

    def substrings(self, edge: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """LineStrings of edge ``edge[i]`` from ``lo[i]`` to ``hi[i]`` metres along it (vectorised)."""
        k = edge.size
        if k == 0:
            return np.empty(0, dtype=object)
        start = shapely.get_coordinates(shapely.line_interpolate_point(self.geoms[edge], lo))
        end = shapely.get_coordinates(shapely.line_interpolate_point(self.geoms[edge], hi))
        n_v = self.offsets[edge + 1] - self.offsets[edge]
        piece = np.repeat(np.arange(k), n_v)
        vidx = np.repeat(self.offsets[edge], n_v) + (np.arange(piece.size)
                                                     - np.repeat(np.cumsum(n_v) - n_v, n_v))
        pos = self.along[vidx]
        inner = (pos > lo[piece]) & (pos < hi[piece])
        ids = np.concatenate([np.arange(k), piece[inner], np.arange(k)])
        at = np.concatenate([lo, pos[inner], hi])
        rank = np.concatenate([np.zeros(k), np.ones(inner.sum()), np.full(k, 2.0)])
        xy = np.concatenate([start, self.coords[vidx[inner]], end])
        order = np.lexsort((rank, at, ids))
        return shapely.linestrings(xy[order], indices=ids[order])


def _reached(net: Any, node_d: np.ndarray, owner: np.ndarray, snapped: Any,
             budgets: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Reached stretches ``(edge, lo, hi, owner)`` for each budget (module docstring's rule)."""
    m = net.n_edges
    length = net.edge_length_m
    edge = np.concatenate([np.arange(m), np.arange(m), snapped.edge])
    pos = np.concatenate([np.zeros(m), length, snapped.to_u_m])
    off = np.concatenate([node_d[net.edge_u], node_d[net.edge_v], snapped.access_m])
    # a facility snapped onto an edge is a source of its own (owner = its row in ``snapped``)
    own = np.concatenate([owner[net.edge_u], owner[net.edge_v], np.arange(len(snapped))])
    ok = np.isfinite(off) & (off <= budgets.max())
    edge, pos, off, own = edge[ok], pos[ok], off[ok], own[ok]
    # sort by edge, then position; an earlier source wins exact ties
    order = np.lexsort((off, pos, edge))
    edge, pos, off, own = edge[order], pos[order], off[order], own[order]
    frame = pd.DataFrame({"edge": edge, "a": off - pos, "b": off + pos})
    grp = frame.groupby("edge", sort=False)
    left_best = grp["a"].cummin().groupby(frame["edge"]).shift(1).to_numpy()  # exclusive, from left
    rev = frame.iloc[::-1]
    right_best = rev.groupby("edge", sort=False)["b"].cummin().groupby(rev["edge"]).shift(1)
    right_best = right_best.iloc[::-1].to_numpy()
    dominated = ((left_best + pos) <= off) | ((right_best - pos) < off)
    keep = ~dominated
    edge, pos, off, own = edge[keep], pos[keep], off[keep], own[keep]
    same_prev = np.concatenate([[False], edge[1:] == edge[:-1]])
    same_next = np.concatenate([edge[1:] == edge[:-1], [False]])
    mid = np.empty(edge.size)
    if edge.size > 1:
        mid[:-1] = (pos[:-1] + pos[1:] + off[1:] - off[:-1]) / 2.0
    left = np.where(same_prev, np.roll(mid, 1), 0.0)
    right = np.where(same_next, mid, length[edge])
    out = []
    for budget in budgets:
        r = budget - off
        lo = np.maximum(left, pos - r)
        hi = np.minimum(right, pos + r)
        lo = np.clip(lo, 0.0, length[edge])
        hi = np.clip(hi, 0.0, length[edge])
        good = (r >= 0) & (lo <= hi)
        out.append((edge[good], lo[good], hi[good], own[good]))
    return out


def _disks(net: Any, geo: _EdgeGeometry, node_d: np.ndarray, owner: np.ndarray, snapped: Any,
           fac_xy: np.ndarray, levels: Mapping[float, float], buffer_m: float, quad_segs: int,
           include_access: bool, *, n_owners: int,
           split: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Disks and rings ``(levels, n_owners)``: everything reached within each budget, and what is
    reached within it but not within the previous one.

    Levels are built smallest first: a level's polygon is the previous level's polygon united with
    the buffers of what is new (partly reached stretches, and whole edges not yet whole before), so
    no piece is unioned twice. Whole edges reuse buffers computed once per network.
    """
    budgets = np.array(list(levels.values()))
    reached = _reached(net, node_d, owner, snapped, budgets)
    out = np.empty((budgets.size, n_owners), dtype=object)
    rings = np.empty((budgets.size, n_owners), dtype=object)
    prev = np.empty(n_owners, dtype=object)
    prev[:] = shapely.Polygon()
    prev_whole = np.empty(0, dtype=np.int64)
    prev_area = shapely.Polygon()
    for li, (edge, lo, hi, own) in enumerate(reached):
        if n_owners == 1:
            own = np.zeros(edge.size, dtype=np.int64)
        whole = (lo <= 1e-9) & (hi >= net.edge_length_m[edge] - 1e-9)
        lines = net.edge_geometry[edge].copy()
        lines[~whole] = geo.substrings(edge[~whole], lo[~whole], hi[~whole])
        key = edge * n_owners + own
        new = ~(whole & np.isin(key, prev_whole))
        bufs = np.empty(edge.size, dtype=object)
        bufs[whole] = geo.edge_buffers(buffer_m, quad_segs)[edge[whole]]
        bufs[~whole] = shapely.buffer(lines[~whole], buffer_m, quad_segs=quad_segs)
        bufs, buf_own = bufs[new], own[new]
        if include_access:
            legs = snapped.access_m <= budgets[li]
            if legs.any():
                leg_lines = shapely.linestrings(
                    np.stack([fac_xy[legs], snapped.xy[legs]], axis=1).reshape(-1, 2),
                    indices=np.repeat(np.arange(int(legs.sum())), 2))
                leg_owner = (np.flatnonzero(legs) if n_owners > 1
                             else np.zeros(int(legs.sum()), dtype=np.int64))
                lines = np.concatenate([lines, leg_lines])
                own = np.concatenate([own, leg_owner])
                bufs = np.concatenate([bufs, shapely.buffer(leg_lines, buffer_m,
                                                            quad_segs=quad_segs)])
                buf_own = np.concatenate([buf_own, leg_owner])
        merged = _union_by_owner(bufs, buf_own, prev)
        if not split:
            out[li] = merged
            rings[li] = shapely.difference(merged, prev)
        else:
            # the area reached by any facility of the type, cut by nearest reached street; rings are
            # the new area of the level cut the same way, so they tile the disk without overlap
            present = np.unique(own)
            area = shapely.union_all(merged[present]) if present.size else shapely.Polygon()
            regions = (_owner_regions(lines, own, present, area, buffer_m) if present.size > 1
                       else np.array([area], dtype=object))
            out[li] = rings[li] = shapely.Polygon()
            out[li, present] = _polygonal(shapely.intersection(area, regions))
            fresh = shapely.difference(area, prev_area)
            rings[li, present] = _polygonal(shapely.intersection(fresh, regions))
            prev_area = area
        prev = merged
        prev_whole = key[whole]
    return out, rings


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Only the polygonal parts of each geometry (an intersection may leave lines or points)."""
    out = np.asarray(geoms, dtype=object).copy()
    for i, g in enumerate(out):
        if shapely.get_type_id(g) == 7:  # GeometryCollection
            parts = shapely.get_parts(g)
            polys = parts[np.isin(shapely.get_type_id(parts), [3, 6])]
            out[i] = shapely.union_all(polys) if polys.size else shapely.Polygon()
    return out


def _union_by_owner(bufs: np.ndarray, own: np.ndarray, prev: np.ndarray) -> np.ndarray:
    """``prev[o]`` united with the buffers owned by ``o``, for every owner (cascaded unions)."""
    merged = prev.copy()
    if bufs.size == 0:
        return merged
    order = np.argsort(own, kind="stable")
    bufs, own = bufs[order], own[order]
    present, start = np.unique(own, return_index=True)
    bounds = np.append(start, own.size)
    # buffering pieces one by one and a cascaded union is ~30x faster in GEOS than buffering the
    # MultiLineString of all of them
    for i, o in enumerate(present):
        parts = bufs[bounds[i]:bounds[i + 1]]
        if not shapely.is_empty(prev[o]):
            parts = np.append(parts, prev[o])
        merged[o] = shapely.union_all(parts)
    return merged


def _owner_regions(lines: np.ndarray, own: np.ndarray, present: np.ndarray, area: Any,
                   buffer_m: float) -> np.ndarray:
    """Per owner, the region of places nearer (straight line) to its reached streets than to others'.

    The reached pieces are densified to vertices at most ``buffer_m / 2`` apart; the Voronoi cells of
    those vertices, merged per owner, give the regions; they tile the envelope of ``area``. (Within
    a band of ``buffer_m`` around the streets, the nearest street's owner is what "the nearest
    facility" means for a place off the street.)
    """
    dense = lines.copy()
    long = shapely.length(lines) > 0  # GEOS refuses to densify a zero-length piece
    dense[long] = shapely.segmentize(lines[long], max(buffer_m / 2.0, 1.0))
    xy, idx = shapely.get_coordinates(dense, return_index=True)
    xy_owner = own[idx]
    _, first = np.unique(np.round(xy, 3), axis=0, return_index=True)  # Voronoi needs distinct sites
    xy, xy_owner = xy[first], xy_owner[first]
    regions = np.empty(present.size, dtype=object)
    regions[:] = shapely.Polygon()
    if xy.shape[0] < 2:  # everything reached is one point: it goes to its (first) owner
        regions[np.searchsorted(present, xy_owner[0])] = area
        return regions
    envelope = shapely.buffer(shapely.envelope(area), buffer_m)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=envelope,
                                                       ordered=True))
    if cells.size == xy.shape[0]:
        cell_owner = xy_owner
    else:  # pragma: no cover - GEOS merged near-duplicate sites; locate the sites instead
        tree = shapely.STRtree(cells)
        pi, ci = tree.query(shapely.points(xy), predicate="intersects")
        cell_owner = np.full(cells.size, -1)
        cell_owner[ci] = xy_owner[pi]
    for i, o in enumerate(present):
        regions[i] = shapely.coverage_union_all(cells[cell_owner == o])
    return regions
