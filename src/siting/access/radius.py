"""Service radius: the network distance from a community's centre to its farthest household.

CONTRACT.md: the centre is the community's ``service_center`` facility; without one, the point of the
network that makes this distance least — a network 1-centre problem. SciPy's compiled Dijkstra
(``scipy.sparse.csgraph``) does every search; numpy does the max-min over households × candidate
nodes. Written by hand: the 1-centre search below, because no maintained library solves the network
1-centre on a SciPy graph with snapped demand points (spopt's ``PCenter`` needs a full cost matrix of
every candidate, which is the expensive part).

The 1-centre search, per community (``f(x)`` = distance from node ``x`` to the farthest household):

1. ``x0`` = an edge end of a household near the households' centroid; one Dijkstra from ``x0`` gives
   the upper bound ``UB = f(x0)``.
2. Every node ``y`` on a shortest path from an optimal centre ``x*`` to a household ``h`` satisfies
   ``d(x0, y) <= d(x0, h) + d(h, y) <= UB + f(x*) <= 2 UB``. So the subgraph of nodes within ``2 UB``
   of ``x0`` holds ``x*`` and all the paths that define ``f(x*)``; on it, ``f`` is exact wherever
   ``f <= UB`` and larger than ``UB`` elsewhere, so its minimum is the network's.
3. On that subgraph, one Dijkstra (cut off at ``UB``) per distinct edge end of the households, then
   ``f(x) = max_h (access_h + min(to_u_h + d(u_h, x), to_v_h + d(v_h, x)))`` for every candidate node,
   in chunks of households so memory stays bounded; the best node gives ``f*``.
4. The absolute centre may lie inside an edge (Hakimi 1964). Along an edge of length ``L``,
   ``f(t) >= (f(a) + f(b) - L) / 2``, so only edges whose bound is below ``f*`` are searched: on each,
   a bisection on the radius with an exact feasibility test (every household reached through an end
   forbids an open gap of the edge, every household on the edge itself confines ``t`` to an
   interval) finds the best point to 1e-7 m, and ``f`` is evaluated exactly there.

So the centre is the point of the network (node or edge interior) that minimises the farthest
household's distance, with one exception: loop edges (both ends the same node) are not searched
inside; there the centre found can be worse than a point inside the loop by at most half the loop's
length, and only when households sit on the loop itself. Households that cannot reach the
centre (another network piece, or no path) make the radius not assessable: ``NaN`` with their count,
never smaller; the centre is then the best one for the households of the piece holding most of them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import dijkstra

from siting.errors import Problems
from siting.network import distances_from
from siting.progress import progress

logger = logging.getLogger(__name__)

#: Households evaluated at once in the 1-centre scan (rows × candidate nodes floats in memory).
_CHUNK = 256


def service_radius(
    net: Any,
    communities: gpd.GeoDataFrame,
    households: pd.DataFrame,
    households_snapped: Any,
    facilities: gpd.GeoDataFrame,
    facilities_snapped: Any | None = None,
    *,
    by: str = "community_id",
    weight: str = "households",
    centre_type: str = "service_center",
    verbose: bool | None = None,
) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Each community's service radius and the centre it is measured from.

    Parameters
    ----------
    net : siting.network.WalkNetwork
    communities : geopandas.GeoDataFrame
        Indexed by community id, with polygons (used to find each community's service centre).
    households : pandas.DataFrame
        Households with the ``by`` column and (optionally) the ``weight`` column; row-aligned with
        ``households_snapped``. Points with weight 0 are not households and are left out.
    households_snapped : siting.network.Snapped
    facilities : geopandas.GeoDataFrame
        Facilities with a ``type`` column. A ``centre_type`` facility belongs to the community given
        by its own ``by`` column when it has one, else to the community whose polygon contains it.
        With several, the one giving the smallest radius is used.
    facilities_snapped : siting.network.Snapped, optional
        Row-aligned with ``facilities``; snapped here when not given.
    by, weight, centre_type : str
    verbose : bool, optional
        Progress bar over communities (default: when on a terminal).

    Returns
    -------
    radius : pandas.DataFrame
        Indexed like ``communities``: ``service_radius_m`` (NaN when no household, or when any
        household cannot reach the centre), ``centre_kind`` (``service_center`` /
        ``network_optimum`` / None), ``centre_node`` (node index when a network optimum sits on a
        node, else -1), ``centre_edge`` and ``centre_along_m`` (edge index and metres from its ``u``
        end when it sits inside an edge, else -1 / NaN), ``centre_facility_id``,
        ``unreachable_households`` (households that cannot reach the centre), ``household_points``
        (points with households, the ones the radius is measured to).
    centres : geopandas.GeoDataFrame
        One point per community that has a centre: ``kind``, ``facility_id``, ``node``, ``edge``,
        ``service_radius_m``, in ``net.crs``.
    """
    problems = Problems(source="households")
    if by not in households.columns:
        problems.add(f"no `{by}` column", column=by,
                     fix="assign households to communities first (siting.io.assign_communities)")
    if len(households) != len(households_snapped):
        problems.add(f"{len(households)} households but {len(households_snapped)} snapped points",
                     fix="snap exactly the households passed (net.snap(households))")
    problems.raise_if_any()
    if facilities_snapped is None:
        facilities_snapped = net.snap(facilities) if len(facilities) else None

    w = (pd.to_numeric(households[weight], errors="coerce").fillna(0.0).to_numpy(float)
         if weight in households.columns else np.ones(len(households)))
    keys = households[by].to_numpy(dtype=object)
    rows_of: dict[Any, np.ndarray] = {}
    present = pd.Series(np.arange(len(households)))[pd.notna(keys) & (w > 0)]
    for key, grp in present.groupby(keys[present.to_numpy()]):
        rows_of[key] = grp.to_numpy()
    centres_of = _centres_by_community(communities, facilities, by=by, centre_type=centre_type)

    records = []
    points = []
    for cid in progress(list(communities.index), desc="service radius", verbose=verbose):
        rows = rows_of.get(cid, np.empty(0, dtype=np.int64))
        rec: dict[str, Any] = {by: cid, "service_radius_m": np.nan, "centre_kind": None,
                               "centre_node": -1, "centre_edge": -1, "centre_along_m": np.nan,
                               "centre_facility_id": None,
                               "unreachable_households": 0.0, "household_points": int(rows.size)}
        if rows.size:
            pts, wts = households_snapped[rows], w[rows]
            fac_rows = centres_of.get(cid, [])
            if fac_rows and facilities_snapped is not None:
                radius, lost, best = _best_facility_centre(net, facilities_snapped, fac_rows,
                                                           pts, wts)
                fid = facilities.index[best]
                rec.update(service_radius_m=radius, centre_kind="service_center",
                           centre_facility_id=fid, unreachable_households=lost)
                geom = facilities.geometry.iloc[best]
                point = geom if geom.geom_type == "Point" else geom.representative_point()
                points.append((cid, "service_center", fid, -1, -1, radius, point))
            else:
                radius, lost, ctr = _network_optimum(net, pts, wts)
                rec.update(service_radius_m=radius, centre_kind="network_optimum",
                           centre_node=ctr.node, centre_edge=ctr.edge,
                           centre_along_m=ctr.along_m if ctr.edge >= 0 else np.nan,
                           unreachable_households=lost)
                point = (shapely.Point(net.node_xy[ctr.node]) if ctr.node >= 0 else
                         shapely.line_interpolate_point(net.edge_geometry[ctr.edge], ctr.along_m))
                points.append((cid, "network_optimum", None, ctr.node, ctr.edge, radius, point))
            if lost:
                logger.warning("community %s: %g households cannot reach its centre; service radius "
                               "not assessable", cid, lost)
        records.append(rec)
    radius = pd.DataFrame.from_records(records, index=by) if records else pd.DataFrame(
        columns=["service_radius_m", "centre_kind", "centre_node", "centre_edge", "centre_along_m",
                 "centre_facility_id", "unreachable_households", "household_points"])
    radius.index.name = communities.index.name or by
    frame = pd.DataFrame(points, columns=[by, "kind", "facility_id", "node", "edge",
                                          "service_radius_m", "geometry"]).set_index(by)
    centres = gpd.GeoDataFrame(frame, geometry="geometry", crs=net.crs)
    return radius, centres


def _centres_by_community(communities: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, *, by: str,
                          centre_type: str) -> dict[Any, list[int]]:
    """Positions (in ``facilities``) of each community's centre facilities."""
    out: dict[Any, list[int]] = {}
    if len(facilities) == 0 or "type" not in facilities.columns:
        return out
    pos = np.flatnonzero((facilities["type"] == centre_type).to_numpy())
    if pos.size == 0:
        return out
    if by in facilities.columns:
        for p in pos:
            key = facilities[by].iloc[p]
            if pd.notna(key):
                out.setdefault(key, []).append(int(p))
        return out
    cand = facilities.iloc[pos]
    geom = cand.geometry
    if communities.crs is not None and cand.crs is not None and not cand.crs.equals(communities.crs):
        geom = geom.to_crs(communities.crs)
    polys = communities.geometry.to_numpy()
    tree = shapely.STRtree(polys)
    fi, ci = tree.query(geom.to_numpy(), predicate="intersects")
    for f, c in zip(fi, ci):
        out.setdefault(communities.index[c], []).append(int(pos[f]))
    return out


def _distances_from_point(net: Any, src: Any, pts: Any, *, first_limit: float) -> np.ndarray:
    """Distances from one snapped point to many (NaN = unreachable): a local search first, then a
    search without cut-off when the local one left some household missing."""
    d = distances_from(net, src, pts, cutoff_m=first_limit)
    if np.isnan(d).any():
        d = distances_from(net, src, pts)
    return d


def _point_values(node_d: np.ndarray, pts: Any) -> np.ndarray:
    """Distance at each snapped point from node distances ``node_d`` (inf = unreached)."""
    return np.minimum(node_d[pts.u] + pts.to_u_m, node_d[pts.v] + pts.to_v_m) + pts.access_m


def _spread(pts: Any) -> float:
    xy = pts.xy
    return float(np.hypot(*(xy.max(axis=0) - xy.min(axis=0)))) if len(pts) else 0.0


def _best_facility_centre(net: Any, fsnap: Any, fac_rows: list[int], pts: Any,
                          wts: np.ndarray) -> tuple[float, float, int]:
    """Radius, unreachable households and position of the best centre facility."""
    options = []
    for p in fac_rows:
        src = fsnap[[p]]
        first = 3.0 * (_spread(pts) + float(np.hypot(*(pts.xy.mean(axis=0) - src.xy[0])))) + 500.0
        d = _distances_from_point(net, src, pts, first_limit=first)
        bad = ~np.isfinite(d)
        lost = float(wts[bad].sum())
        longest = float(d[~bad].max()) if (~bad).any() else np.inf
        # fewest households cut off first, then the smallest radius
        options.append((lost, longest, p))
    lost, longest, p = min(options)
    return (float("nan") if lost or not np.isfinite(longest) else longest), lost, p


def _network_optimum(net: Any, pts: Any, wts: np.ndarray) -> tuple[float, float, _Centre]:
    """Radius, unreachable households and the network 1-centre (module docstring)."""
    graph = net.graph
    comp = pts.component
    weight_by_comp = pd.Series(wts).groupby(comp).sum()
    main = int(weight_by_comp.idxmax())
    keep = comp == main
    lost = float(wts[~keep].sum())
    pts = pts[np.flatnonzero(keep)]

    # 1. start node near the centroid of the households, and the upper bound UB = f(x0)
    centroid = pts.xy.mean(axis=0)
    ends = np.concatenate([pts.u, pts.v])
    x0 = int(ends[np.argmin(np.hypot(*(net.node_xy[ends] - centroid).T))])
    for limit in (4.0 * _spread(pts) + 500.0, np.inf):
        d0 = dijkstra(graph, directed=True, indices=x0, limit=limit)
        f0 = _point_values(d0, pts)
        ub = float(f0.max())
        if np.isfinite(ub) and 2.0 * ub <= limit:
            break

    # 2. the ball of radius 2 UB around x0 holds the centre and every path that matters
    ball = np.flatnonzero(d0 <= 2.0 * ub)
    local = np.full(graph.shape[0], -1, dtype=np.int64)
    local[ball] = np.arange(ball.size)
    sub = graph[ball][:, ball]

    # 3. one Dijkstra per distinct household edge end inside the ball, cut off at UB
    uniq, inv = np.unique(np.concatenate([pts.u, pts.v]), return_inverse=True)
    inside = local[uniq] >= 0
    d_ends = np.full((uniq.size, ball.size), np.inf)
    if inside.any():
        d_ends[inside] = dijkstra(sub, directed=True, indices=local[uniq[inside]], limit=ub)
    k = len(pts)
    iu, iv = inv[:k], inv[k:]
    f = np.full(ball.size, -np.inf)
    for start in range(0, k, _CHUNK):
        s = slice(start, start + _CHUNK)
        g = np.minimum(d_ends[iu[s]] + pts.to_u_m[s, None], d_ends[iv[s]] + pts.to_v_m[s, None])
        g += pts.access_m[s, None]
        np.maximum(f, g.max(axis=0), out=f)
    best = int(np.argmin(f))
    radius = float(f[best])
    node = int(ball[best])
    if radius > ub + 1e-6:  # pragma: no cover - the argument above forbids it
        logger.error("1-centre search found %.1f m above its bound %.1f m", radius, ub)
        radius, node = ub, x0

    # 4. the absolute centre may lie inside an edge: refine on the edges that could beat the node
    def g_at(x_local: int) -> np.ndarray:
        g = np.minimum(d_ends[iu, x_local] + pts.to_u_m,
                       d_ends[iv, x_local] + pts.to_v_m) + pts.access_m
        g[g > ub] = np.inf  # beyond UB a value may be overestimated (path leaves the ball): unknown
        return g

    centre = _Centre(radius, node, -1, 0.0)
    centre = _refine_on_edges(net, pts, local, f, g_at, centre, ub)
    return (float("nan") if lost else centre.radius), lost, centre


@dataclass(frozen=True)
class _Centre:
    """A network optimum: at ``node``, or ``along_m`` from the ``u`` end of ``edge`` (node = -1)."""

    radius: float
    node: int
    edge: int
    along_m: float


def _refine_on_edges(net: Any, pts: Any, local: np.ndarray, f: np.ndarray, g_at: Any,
                     centre: _Centre, ub: float) -> _Centre:
    """Best interior point of the edges whose lower bound beats the best node (Hakimi).

    On edge ``(a, b)`` of length ``L``, ``f`` at ``t`` from ``a`` is at least
    ``(f(a) + f(b) - L) / 2``; only edges where that is below the best node value are searched, by
    bisection on the radius ``r`` with an exact feasibility test (is there a ``t`` with every
    household within ``r``?), then ``f`` is evaluated exactly at the point found. Values above
    ``UB`` are not exact on the ball (module docstring): they are capped at ``UB`` in the bound and
    treated as unknown (never within ``r <= UB``) in the test, which is exact for every ``r <= UB``.
    """
    eu, ev, length = net.edge_u, net.edge_v, net.edge_length_m
    # an edge with one end outside the ball can still hold the centre when households sit on it
    # (paths through the outside end never matter there: they would leave the ball)
    cand = np.flatnonzero(((local[eu] >= 0) | (local[ev] >= 0)) & (eu != ev))
    if cand.size == 0:
        return centre
    capped = np.minimum(f, ub)  # a lower bound of the true f everywhere on the ball
    la, lb = local[eu[cand]], local[ev[cand]]
    fa = np.where(la >= 0, capped[np.maximum(la, 0)], ub)  # outside the ball f > UB
    fb = np.where(lb >= 0, capped[np.maximum(lb, 0)], ub)
    lower = (fa + fb - length[cand]) / 2.0
    keep = lower < centre.radius - 1e-9
    cand, lower = cand[keep], lower[keep]
    k = len(pts)
    for e, bound in sorted(zip(cand.tolist(), lower.tolist()), key=lambda item: item[1]):
        if bound >= centre.radius - 1e-9:
            break
        a_loc, b_loc = int(local[eu[e]]), int(local[ev[e]])
        a_vals = g_at(a_loc) if a_loc >= 0 else np.full(k, np.inf)
        b_vals = g_at(b_loc) if b_loc >= 0 else np.full(k, np.inf)
        on = pts.edge == e
        t, value = _edge_minimum(float(length[e]), a_vals[~on], b_vals[~on], pts.to_u_m[on],
                                 pts.access_m[on], bound, centre.radius)
        if value < centre.radius - 1e-9:
            centre = _Centre(value, -1, int(e), t)
    return centre


def _edge_minimum(length: float, a_vals: np.ndarray, b_vals: np.ndarray, pos: np.ndarray,
                  acc: np.ndarray, lo: float, hi: float) -> tuple[float, float]:
    """``min_t max(max_h min(a_h + t, b_h + L - t), max_k |t - pos_k| + acc_k)`` on ``[0, L]``.

    ``a_vals``/``b_vals``: households reached through the ends; ``pos``/``acc``: households on the edge
    itself (direct path). Returns ``(t, f(t))`` with ``f(t)`` evaluated exactly.
    """

    def value(t: float) -> float:
        tent = np.minimum(a_vals + t, b_vals + length - t).max(initial=-np.inf)
        vee = (np.abs(t - pos) + acc).max(initial=-np.inf)
        return float(max(tent, vee))

    def free_point(r: float) -> float | None:
        if acc.size:
            if (acc > r).any():
                return None
            t_lo = max(0.0, float((pos - (r - acc)).max()))
            t_hi = min(length, float((pos + (r - acc)).min()))
        else:
            t_lo, t_hi = 0.0, length
        if t_lo > t_hi:
            return None
        left, right = r - a_vals, length - r + b_vals  # open gaps where neither end is near enough
        gap = left < right
        left, right = left[gap], right[gap]
        order = np.argsort(left, kind="stable")
        left, right = left[order], right[order]
        reach = np.maximum.accumulate(np.concatenate([[t_lo], right]))  # free candidate before k
        ok = np.flatnonzero(left >= reach[:-1])
        point = float(reach[ok[0]] if ok.size else reach[-1])
        return point if point <= t_hi else None

    best_t = 0.0 if value(0.0) <= value(length) else length
    hi = min(hi, value(best_t))
    lo = max(lo, 0.0)
    for _ in range(100):
        if hi - lo <= 1e-7:
            break
        mid = (lo + hi) / 2.0
        point = free_point(mid)
        if point is None:
            lo = mid
        else:
            hi = mid
            best_t = point
    return best_t, value(best_t)
