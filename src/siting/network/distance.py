"""Network distances between snapped points: access leg + shortest path + access leg.

Two engines give the same distances (to rounding; ``tests/network/test_network_distance_paths.py``):

* **numba** (when installed; the usual case): the kernels of :mod:`siting.network._compiled`, JIT-compiled
  by numba and cached on disk, run Dijkstra over the network's CSR arrays. :func:`nearest_distance`
  and :func:`node_distances` do one multi-source search and one parallel pass over the points;
  :func:`distance_matrix` searches from each source only as far as the cut-off and writes the pairs
  straight into CSR arrays, in parallel over sources. Why these are written by hand: SciPy's Dijkstra
  returns a dense row of ``n`` distances per source even with ``limit=`` and cannot start part-way
  along an edge; for millions of pairs that cost several times the searches themselves.
* **SciPy** (without numba, or with ``SITING_NO_NUMBA=1``): ``scipy.sparse.csgraph.dijkstra`` on the
  CSR matrix does every search, NumPy evaluates the results at the points. Nothing loops over nodes in
  Python.

Written by hand for the SciPy engine, and why:

* **Virtual source nodes.** SciPy's Dijkstra starts every source at distance 0, but a snapped point
  starts part-way along an edge with an access leg behind it. Each source point therefore becomes one
  extra node with two one-way edges into its edge's ends, weighted ``C + access + along`` (``C`` =
  :data:`VIRTUAL_OFFSET_M`, subtracted afterwards: SciPy reads an explicit 0 weight as "no edge", and
  a point can sit exactly on a node). One call with ``min_only=True`` then gives, for every node, the
  distance from the nearest source and which source it was (a multi-source search with offsets).
  The virtual edges are one-way, so no path can run *through* a source point's node. (The numba
  kernels start their searches at the two edge ends with those offsets directly.)
* **Same-edge pairs.** Two points on the same edge may be closer along the edge than through either
  end; those pairs are found by sorting on the edge index and take the shorter of the two routes
  (both engines).
* **The sparse matrix** (:func:`distance_matrix`) runs Dijkstra from the smaller side, in chunks of
  sources. SciPy's ``limit=`` bounds the search but still fills a dense row of ``n`` distances per
  source, and scanning those rows for the reached nodes cost more than the searches themselves (27 s
  of dense rows for 5,000 sources on the 200,000-node benchmark network). So each chunk runs on a
  *restricted subgraph*: the sources are ordered along a Z-order curve of cut-off-sized cells, a chunk
  takes consecutive sources, and its Dijkstra runs on the nodes inside the chunk's bounding box grown
  by the cut-off, which holds every path within the cut-off (a path is never shorter than the straight
  line). Chunks shrink until their dense rows fit ``memory_mb``. The reached nodes lead, through a
  node -> edge index, to the edges carrying target points (stored contiguously by edge); edges with no
  target in reach are skipped whole, the rest are expanded to their targets in a few vectorised passes.
  The numba kernel uses the same edge grouping. Measured results and what was tried are in
  ``benchmarks/RESULTS_distance.md``.

Distances are metres; unreachable or beyond the cut-off is NaN (dense) or an absent entry (sparse),
never 0. A sparse matrix keeps explicit zeros for co-located points on the network. Two points at the
same spot off the network are ``2 x access_m`` apart: the contract's definition (access leg + path +
access leg) taken literally.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from siting.errors import InputError, Problem
from siting.network import _compiled
from siting.network.graph import WalkNetwork
from siting.network.snap import Snapped

logger = logging.getLogger(__name__)

#: Added to every virtual source edge and subtracted from every result (see the module docstring).
VIRTUAL_OFFSET_M = 1.0


def as_snapped(net: WalkNetwork, points: Any) -> Snapped:
    """``points`` if already :class:`Snapped`, else ``net.snap(points)``."""
    return points if isinstance(points, Snapped) else net.snap(points)


def _check_cutoff(cutoff_m: float | None) -> float:
    if cutoff_m is None:
        return np.inf
    value = float(cutoff_m)
    if not value >= 0:
        raise InputError(Problem(f"cut-off {cutoff_m!r} is not a distance", source="cutoff_m",
                                 fix="pass a number of metres >= 0, or None for no cut-off"))
    return value


def _augmented(net: WalkNetwork, src: Snapped) -> sp.csr_matrix:
    """The network's CSR matrix plus one virtual node per source point (rows/cols ``n + i``)."""
    n, k = net.n_nodes, len(src)
    base = net.graph
    w_u = VIRTUAL_OFFSET_M + src.access_m + src.to_u_m
    w_v = VIRTUAL_OFFSET_M + src.access_m + src.to_v_m
    indptr = np.concatenate([base.indptr, base.indptr[-1] + 2 * np.arange(1, k + 1)])
    indices = np.concatenate([base.indices, np.column_stack([src.u, src.v]).ravel()])
    data = np.concatenate([base.data, np.column_stack([w_u, w_v]).ravel()])
    return sp.csr_matrix((data, indices.astype(np.int32), indptr.astype(np.int32)),
                         shape=(n + k, n + k))


def node_distances(
    net: WalkNetwork,
    sources: Any,
    *,
    cutoff_m: float | None = None,
    min_only: bool = True,
    return_source: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Network distance from source points to every node, their access legs included.

    Parameters
    ----------
    net : WalkNetwork
    sources : Snapped or points
        Source points (snapped here if not already).
    cutoff_m : float, optional
        Nodes farther than this are NaN.
    min_only : bool
        True: one multi-source search, shape ``(n,)``, the distance from the nearest source.
        False: one row per source, shape ``(k, n)`` (dense: mind the memory).
    return_source : bool
        With ``min_only``, also return ``(n,)`` the index of the nearest source (-1 where unreached).

    Returns
    -------
    numpy.ndarray or (numpy.ndarray, numpy.ndarray)
        Distances in metres, NaN where unreachable or beyond the cut-off.

    Notes
    -----
    A point's distance to a source is then ``min(d[u] + to_u_m, d[v] + to_v_m) + access_m`` of the
    point (:func:`point_distances`), except that two points on the same edge may also go directly
    along it: :func:`nearest_distance` handles that case, :func:`point_distances` does not.
    """
    src = as_snapped(net, sources)
    cutoff = _check_cutoff(cutoff_m)
    n, k = net.n_nodes, len(src)
    if k == 0:
        shape = (n,) if min_only else (0, n)
        out = np.full(shape, np.nan)
        return (out, np.full(n, -1, dtype=np.int64)) if (min_only and return_source) else out
    if min_only and _compiled.enabled():
        dist, origin = _multi_source(net, src, cutoff)
        d = np.where(np.isfinite(dist), dist, np.nan)
        if return_source:
            which = np.where(np.isnan(d), -1, origin)
            return d, which
        return d
    aug = _augmented(net, src)
    limit = cutoff + VIRTUAL_OFFSET_M
    idx = np.arange(n, n + k)
    if min_only:
        dist, _, origin = dijkstra(aug, directed=True, indices=idx, limit=limit, min_only=True,
                                   return_predecessors=True)
        d = dist[:n] - VIRTUAL_OFFSET_M
        d[~np.isfinite(d)] = np.nan
        if return_source:
            which = origin[:n].astype(np.int64) - n
            which[np.isnan(d)] = -1
            return d, which
        return d
    dist = dijkstra(aug, directed=True, indices=idx, limit=limit)[:, :n] - VIRTUAL_OFFSET_M
    dist[~np.isfinite(dist)] = np.nan
    return dist


def _multi_source(net: WalkNetwork, src: Snapped, cutoff: float) -> tuple[np.ndarray, np.ndarray]:
    """Compiled multi-source search: ``(dist, origin)`` per node, ``inf`` / -1 where unreached."""
    indptr, indices, weights = _compiled.csr_arrays(net.graph)
    return _compiled.multi_source(indptr, indices, weights, net.n_nodes, src.u, src.v,
                                  src.access_m + src.to_u_m, src.access_m + src.to_v_m, cutoff)


def point_distances(net: WalkNetwork, node_dist_m: np.ndarray, points: Any) -> np.ndarray:
    """Evaluate node distances (from :func:`node_distances`) at points, through their edge's ends.

    Returns ``min(d[u] + to_u_m, d[v] + to_v_m) + access_m`` per point (NaN where both ends are NaN).
    The direct along-edge route to a source on the same edge is not included (use
    :func:`nearest_distance` for exact point-to-point distances).
    """
    pts = as_snapped(net, points)
    return np.fmin(node_dist_m[pts.u] + pts.to_u_m, node_dist_m[pts.v] + pts.to_v_m) + pts.access_m


def _same_edge_pairs(a: Snapped, b: Snapped) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All (i in a, j in b) on the same edge, with their direct along-edge distance."""
    order = np.argsort(b.edge, kind="stable")
    per_edge = np.bincount(b.edge, minlength=int(max(a.edge.max(), b.edge.max())) + 1)
    first = np.cumsum(per_edge) - per_edge
    start = first[a.edge]
    count = per_edge[a.edge]
    total = int(count.sum())
    if total == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    ia = np.repeat(np.arange(len(a)), count)
    within = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
    ib = order[np.repeat(start, count) + within]
    d = a.access_m[ia] + np.abs(a.to_u_m[ia] - b.to_u_m[ib]) + b.access_m[ib]
    return ia, ib, d


def nearest_distance(
    net: WalkNetwork, origins: Any, targets: Any, *, cutoff_m: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Distance from each origin to its nearest target, in one multi-source search.

    Parameters
    ----------
    net : WalkNetwork
    origins, targets : Snapped or points
        Points are snapped here when not already.
    cutoff_m : float, optional
        Farther than this counts as unreachable.

    Returns
    -------
    dist_m : numpy.ndarray
        ``(len(origins),)`` metres; NaN where no target is reachable within the cut-off.
    nearest : numpy.ndarray
        ``(len(origins),)`` index into ``targets`` of the nearest one; -1 where ``dist_m`` is NaN.
    """
    o = as_snapped(net, origins)
    t = as_snapped(net, targets)
    cutoff = _check_cutoff(cutoff_m)
    if len(o) == 0 or len(t) == 0:
        return np.full(len(o), np.nan), np.full(len(o), -1, dtype=np.int64)
    if _compiled.enabled():
        dist_n, origin = _multi_source(net, t, cutoff)
        order = np.argsort(t.edge, kind="stable")
        per_edge = np.bincount(t.edge, minlength=net.n_edges)
        with _compiled.dynamic_chunks(1):
            return _compiled.gather_nearest(dist_n, origin, o.u, o.v, o.to_u_m, o.to_v_m, o.access_m,
                                            o.edge, np.cumsum(per_edge) - per_edge, per_edge, order,
                                            t.to_u_m, t.access_m, cutoff)
    node_d, node_src = node_distances(net, t, cutoff_m=cutoff_m, return_source=True)
    du = node_d[o.u] + o.to_u_m
    dv = node_d[o.v] + o.to_v_m
    use_v = (dv < du) | np.isnan(du)
    dist = np.where(use_v, dv, du) + o.access_m
    near = np.where(use_v, node_src[o.v], node_src[o.u])
    io, it, d_edge = _same_edge_pairs(o, t)
    if io.size:
        order = np.lexsort((d_edge, io))
        first = np.ones(order.size, dtype=bool)
        first[1:] = io[order][1:] != io[order][:-1]
        io, it, d_edge = io[order][first], it[order][first], d_edge[order][first]
        better = ~(d_edge >= dist[io])  # also where dist is NaN
        dist[io[better]] = d_edge[better]
        near[io[better]] = it[better]
    out = np.isnan(dist) | (dist > cutoff)
    dist[out] = np.nan
    near = near.astype(np.int64)
    near[out] = -1
    return dist, near


def distances_from(
    net: WalkNetwork, source: Any, targets: Any, *, cutoff_m: float | None = None
) -> np.ndarray:
    """Distance from one source point to each target (NaN where unreachable or beyond the cut-off).

    ``source`` is one point: a :class:`Snapped` of length 1, a shapely Point, an ``(x, y)`` pair or a
    one-row GeoSeries/array.
    """
    if not isinstance(source, Snapped) and hasattr(source, "geom_type") and not hasattr(source, "crs"):
        source = np.array([[source.x, source.y]])
    src = as_snapped(net, source)
    if len(src) != 1:
        raise InputError(Problem(f"distances_from takes one source point, got {len(src)}",
                                 source="source", fix="use distance_matrix for several sources"))
    dist, _ = nearest_distance(net, targets, src, cutoff_m=cutoff_m)
    return dist


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(start, start + count)`` for each pair, without a Python loop."""
    total = int(counts.sum())
    shift = np.repeat(starts - (np.cumsum(counts) - counts), counts)
    return shift + np.arange(total)


@dataclass(frozen=True)
class _TargetsByEdge:
    """The target points grouped by edge, for gathering them from reached nodes."""

    order: np.ndarray  # target ids sorted by edge
    a: np.ndarray  # to_u_m + access_m, in that order
    b: np.ndarray  # to_v_m + access_m
    edge: np.ndarray  # (E,) edges carrying targets
    eu: np.ndarray  # their u nodes
    ev: np.ndarray  # their v nodes
    start: np.ndarray  # (E,) first position in ``order``
    count: np.ndarray  # (E,) targets on the edge
    min_a: np.ndarray  # (E,) smallest ``a`` on the edge (to skip edges with nothing in reach)
    min_b: np.ndarray
    by_u: tuple[np.ndarray, np.ndarray]  # node -> positions in ``edge`` with that u
    by_v: tuple[np.ndarray, np.ndarray]


def _group_by_edge(net: WalkNetwork, tgt: Snapped) -> _TargetsByEdge:
    order = np.argsort(tgt.edge, kind="stable").astype(np.int32)
    edges_sorted = tgt.edge[order]
    edge, start, count = np.unique(edges_sorted, return_index=True, return_counts=True)
    a = (tgt.to_u_m + tgt.access_m)[order]
    b = (tgt.to_v_m + tgt.access_m)[order]
    eu, ev = net.edge_u[edge], net.edge_v[edge]
    return _TargetsByEdge(
        order=order, a=a, b=b, edge=edge, eu=eu, ev=ev, start=start, count=count,
        min_a=np.minimum.reduceat(a, start), min_b=np.minimum.reduceat(b, start),
        by_u=_node_index(eu, net.n_nodes), by_v=_node_index(ev, net.n_nodes),
    )


def _node_index(nodes: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR-style index node -> positions in ``nodes`` (``order[ptr[i]:ptr[i+1]]``)."""
    order = np.argsort(nodes, kind="stable")
    ptr = np.concatenate([[0], np.cumsum(np.bincount(nodes, minlength=n))])
    return order, ptr


def _expand(rows: np.ndarray, nodes: np.ndarray, index: tuple[np.ndarray, np.ndarray]
            ) -> tuple[np.ndarray, np.ndarray]:
    """(row, node) pairs -> (row, item) pairs for every item indexed under that node."""
    order, ptr = index
    count = ptr[nodes + 1] - ptr[nodes]
    return np.repeat(rows, count), order[_ranges(ptr[nodes], count)]


def distance_matrix(
    net: WalkNetwork,
    origins: Any,
    destinations: Any,
    *,
    cutoff_m: float | None,
    verbose: bool | None = None,
    memory_mb: float = 256.0,
) -> sp.csr_matrix:
    """Origin x destination network distances within a cut-off, as a sparse matrix.

    Parameters
    ----------
    net : WalkNetwork
    origins, destinations : Snapped or points
    cutoff_m : float or None
        Pairs farther apart are left out. None = no cut-off (the matrix may then be dense).
    verbose : bool, optional
        Progress bar over the chunks (default: when attached to a terminal).
    memory_mb : float
        SciPy engine only: bound on the dense Dijkstra rows held at once (sets the chunk size). The
        numba engine holds no dense rows: its memory is the output plus one work space per thread.

    Returns
    -------
    scipy.sparse.csr_matrix
        Shape ``(len(origins), len(destinations))``, metres. An absent entry = unreachable or beyond
        the cut-off; explicit zeros are kept (co-located points): read ``.indices``/``.data``.

    Notes
    -----
    Runs from the smaller side. With numba: one search per source that stops at the cut-off, the
    pairs written straight into CSR arrays (see :mod:`siting.network._compiled`). Without (SciPy):
    sources are taken in chunks of nearby points (Z-order of cut-off-sized
    cells); per chunk, one SciPy Dijkstra with ``limit`` on the subgraph of nodes within the cut-off of
    the chunk's bounding box (the module docstring says why that loses no path); the reached
    nodes lead to the edges that carry target points (through a node -> edge index, each edge taken
    once per source: through its ``u`` end, or through ``v`` when ``u`` was not reached); edges whose
    nearest target is beyond the cut-off are skipped whole; the rest are expanded to their targets
    (stored contiguously by edge) with ``min(d[u] + to_u + access, d[v] + to_v + access)``.
    Source-target pairs on one edge are done apart, with the direct along-edge route as well.
    """
    o = as_snapped(net, origins)
    d = as_snapped(net, destinations)
    cutoff = _check_cutoff(cutoff_m)
    transpose = len(d) <= len(o)
    src, tgt = (d, o) if transpose else (o, d)
    ns, nt = len(src), len(tgt)
    shape = (len(o), len(d))
    if ns == 0 or nt == 0:
        return sp.csr_matrix(shape)
    groups = _group_by_edge(net, tgt)
    if _compiled.enabled():
        matrix = _matrix_compiled(net, src, tgt, groups, cutoff, verbose, by_target=transpose)
    else:
        rows, cols, vals = _pairs_scipy(net, src, tgt, groups, cutoff, verbose, memory_mb)
        if transpose:
            rows, cols = cols, rows
        matrix = sp.csr_matrix((vals, (rows, cols)), shape=shape)
    logger.info("distance matrix %d x %d within %.0f m: %d pairs", shape[0], shape[1], cutoff, matrix.nnz)
    return matrix


#: Sources per call of the compiled kernel (the progress bar moves between calls).
COMPILED_BATCH = 2048
#: Sources searched one after the other by one parallel task of the compiled kernel.
COMPILED_BLOCK = 64
#: Pairs per source the compiled kernel's first buffers are sized for (then: 1.25 x the mean so far).
COMPILED_ROOM = 4096


def _matrix_compiled(net: WalkNetwork, src: Snapped, tgt: Snapped, groups: _TargetsByEdge, cutoff: float,
                     verbose: bool | None, *, by_target: bool) -> sp.csr_matrix:
    """The matrix from the compiled kernel (:mod:`siting.network._compiled`): rows are the targets when
    ``by_target`` (the caller's origins), else the sources.

    The kernel writes each block's pairs into a buffer of a guessed size; sources that did not fit are
    searched again with twice the room (the guess follows the mean count of the sources done so far).
    """
    ns, nt = len(src), len(tgt)
    indptr, indices, weights = _compiled.csr_arrays(net.graph)
    edge_group = np.full(net.n_edges, -1, dtype=np.int64)
    edge_group[groups.edge] = np.arange(groups.edge.size)
    s_du = src.access_m + src.to_u_m
    s_dv = src.access_m + src.to_v_m
    shared = (groups.edge, groups.eu, groups.ev, groups.start, groups.count, groups.a, groups.b, groups.min_a,
              groups.min_b, groups.order, tgt.to_u_m, tgt.access_m, groups.by_u[0], groups.by_u[1],
              groups.by_v[0], groups.by_v[1], edge_group, cutoff)
    start = np.zeros(ns, dtype=np.int64)
    count = np.zeros(ns, dtype=np.int64)
    piece = np.zeros(ns, dtype=np.int64)
    cols, vals = _compiled.typed_list(), _compiled.typed_list()
    room = max(1, min(nt, COMPILED_ROOM))  # pairs per source the buffers are sized for
    pbar = _Bar(ns, verbose)
    for b0 in range(0, ns, COMPILED_BATCH):
        todo = np.arange(b0, min(ns, b0 + COMPILED_BATCH))
        while todo.size:
            with _compiled.dynamic_chunks(1):
                col, val, st, cnt = _compiled.matrix_pairs(
                    net.n_nodes, indptr, indices, weights, src.u[todo], src.v[todo], s_du[todo],
                    s_dv[todo], src.edge[todo], src.to_u_m[todo], src.access_m[todo], *shared,
                    COMPILED_BLOCK, COMPILED_BLOCK * room)
            ok = cnt >= 0
            st, cnt = st[ok], cnt[ok]
            if 2 * int(cnt.sum()) < col.size:  # mostly unused room: keep only the pairs
                keep = _ranges(st, cnt)
                col, val = col[keep], val[keep]
                st = np.cumsum(cnt) - cnt
            start[todo[ok]] = st
            count[todo[ok]] = cnt
            piece[todo[ok]] = len(cols)
            cols.append(col)
            vals.append(val)
            todo = todo[~ok]
            if todo.size:
                room = min(nt, 2 * room)
        done = count[:min(ns, b0 + COMPILED_BATCH)]
        room = max(1, min(nt, int(1.25 * done.mean()) + 16))
        pbar.update(min(ns, b0 + COMPILED_BATCH) - b0)
    pbar.close()
    if by_target:
        ptr, ind, data = _compiled.assemble_rows_by_target(nt, cols, vals, piece, start, count,
                                                              _compiled.threads())
        return sp.csr_matrix((data, ind, ptr), shape=(nt, ns))
    ptr, ind, data = _compiled.assemble_rows_by_source(cols, vals, piece, start, count)
    return sp.csr_matrix((data, ind, ptr), shape=(ns, nt))


def _pairs_scipy(net: WalkNetwork, src: Snapped, tgt: Snapped, groups: _TargetsByEdge, cutoff: float,
                 verbose: bool | None, memory_mb: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source, target, metres) within the cut-off from SciPy's Dijkstra on restricted subgraphs, in
    chunks of sources (the path without numba)."""
    ns, n = len(src), net.n_nodes
    se_s, se_t, se_d = _same_edge_pairs(src, tgt)
    se_start = np.searchsorted(se_s, np.arange(ns))  # se_s is sorted
    se_count = np.searchsorted(se_s, np.arange(ns), side="right") - se_start
    order = _spatial_order(src.xy, cutoff).astype(np.int32)  # int32 ids: half the output memory
    budget = memory_mb * 2**20 / 8  # float64 cells of dense Dijkstra rows per chunk
    g2l = np.empty(n, dtype=np.int64)  # global node -> local column (or the padding column)
    all_r, all_c, all_v = [], [], []
    c0, size = 0, max(1, min(ns, MAX_CHUNK))
    done = 0
    pbar = _Bar(ns, verbose)
    while c0 < ns:
        chunk = order[c0:c0 + size]
        local = _nodes_near(net, src.xy[chunk], cutoff)
        if size > 1 and len(chunk) * (local.size + len(chunk)) > budget:
            size = max(1, size // 2)
            continue
        c0 += len(chunk)
        pbar.update(len(chunk))
        m = local.size
        g2l.fill(m)
        g2l[local] = np.arange(m)
        sub = net.graph if m == n else net.graph[local][:, local]
        aug = _augmented_local(sub, src, chunk, g2l, m)
        dist = dijkstra(aug, directed=True, indices=np.arange(m, m + len(chunk)), limit=cutoff + VIRTUAL_OFFSET_M)
        pad = np.empty((len(chunk), m + 1))
        np.subtract(dist[:, :m], VIRTUAL_OFFSET_M, out=pad[:, :m])
        pad[:, m] = np.inf
        stride = m + 1
        flat = pad.ravel()
        rows, nodes = np.nonzero(np.isfinite(pad[:, :m]))
        nodes = local[nodes]
        # (source, edge) pairs: through the edge's u end, or its v end when u was not reached
        r1, e1 = _expand(rows, nodes, groups.by_u)
        r2, e2 = _expand(rows, nodes, groups.by_v)
        keep2 = ~np.isfinite(flat[r2 * stride + g2l[groups.eu[e2]]])
        r = np.concatenate([r1, r2[keep2]])
        e = np.concatenate([e1, e2[keep2]])
        du = flat[r * stride + g2l[groups.eu[e]]]
        dv = flat[r * stride + g2l[groups.ev[e]]]
        # skip the source's own edge (done below) and edges with no target in reach
        useful = (groups.edge[e] != src.edge[chunk[r]]) & (
            np.minimum(du + groups.min_a[e], dv + groups.min_b[e]) <= cutoff
        )
        r, e, du, dv = r[useful], e[useful], du[useful], dv[useful]
        count = groups.count[e]
        pos = _ranges(groups.start[e], count)
        val = np.minimum(np.repeat(du, count) + groups.a[pos], np.repeat(dv, count) + groups.b[pos])
        ok = val <= cutoff
        all_r.append(np.repeat(chunk[r], count)[ok])
        all_c.append(groups.order[pos[ok]])
        all_v.append(val[ok])
        k = _ranges(se_start[chunk], se_count[chunk])
        if k.size:  # pairs on one edge: via the ends or directly along it
            rs = np.repeat(np.arange(len(chunk)), se_count[chunk])
            ts = se_t[k]
            via = np.minimum(flat[rs * stride + g2l[tgt.u[ts]]] + tgt.to_u_m[ts],
                             flat[rs * stride + g2l[tgt.v[ts]]] + tgt.to_v_m[ts])
            vs = np.fmin(via + tgt.access_m[ts], se_d[k])
            ok = vs <= cutoff
            all_r.append(se_s[k][ok].astype(np.int32))
            all_c.append(ts[ok].astype(np.int32))
            all_v.append(vs[ok])
        done += 1
    pbar.close()
    rows = np.concatenate(all_r)
    cols = np.concatenate(all_c)
    vals = np.concatenate(all_v)
    del all_r, all_c, all_v
    logger.debug("SciPy path: %d chunks", done)
    return rows, cols, vals


#: Most sources searched in one SciPy call (fewer when their rows would exceed ``memory_mb``).
MAX_CHUNK = 512


class _Bar:
    """A progress bar over sources (tqdm when shown, else nothing)."""

    def __init__(self, total: int, verbose: bool | None) -> None:
        from siting.progress import show_progress

        self._bar = None
        if show_progress(verbose):
            import sys

            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc="distance matrix", leave=False, file=sys.stderr)

    def update(self, k: int) -> None:
        if self._bar is not None:
            self._bar.update(k)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _spatial_order(xy: np.ndarray, cutoff: float) -> np.ndarray:
    """Order points along a Z-order curve of cells of about ``cutoff`` metres (all in one cell when
    there is no cut-off), so that a chunk of consecutive sources covers a compact area."""
    if not np.isfinite(cutoff) or xy.shape[0] < 2:
        return np.arange(xy.shape[0])
    cell = np.floor((xy - xy.min(axis=0)) / max(cutoff, 1.0)).astype(np.uint64)
    cell = np.minimum(cell, 2**16 - 1)
    code = _spread_bits(cell[:, 0]) | (_spread_bits(cell[:, 1]) << np.uint64(1))
    return np.argsort(code, kind="stable")


def _spread_bits(v: np.ndarray) -> np.ndarray:
    v = v & np.uint64(0xFFFF)
    v = (v | (v << np.uint64(8))) & np.uint64(0x00FF00FF)
    v = (v | (v << np.uint64(4))) & np.uint64(0x0F0F0F0F)
    v = (v | (v << np.uint64(2))) & np.uint64(0x33333333)
    v = (v | (v << np.uint64(1))) & np.uint64(0x55555555)
    return v


def _nodes_near(net: WalkNetwork, xy: np.ndarray, cutoff: float) -> np.ndarray:
    """Nodes inside the bounding box of ``xy`` grown by ``cutoff``: every node of every path of length
    <= cutoff from those points (a path is never shorter than the straight line)."""
    if not np.isfinite(cutoff):
        return np.arange(net.n_nodes)
    lo = xy.min(axis=0) - cutoff
    hi = xy.max(axis=0) + cutoff
    nx_, ny_ = net.node_xy[:, 0], net.node_xy[:, 1]
    return np.flatnonzero((nx_ >= lo[0]) & (nx_ <= hi[0]) & (ny_ >= lo[1]) & (ny_ <= hi[1]))


def _augmented_local(sub: sp.csr_matrix, src: Snapped, chunk: np.ndarray, g2l: np.ndarray, m: int
                     ) -> sp.csr_matrix:
    """``sub`` plus one virtual node per source of ``chunk`` (edges to its edge's ends inside ``sub``;
    an end outside is farther than the cut-off along the edge, so its edge is left out)."""
    k = chunk.size
    ends = np.column_stack([g2l[src.u[chunk]], g2l[src.v[chunk]]])
    w = VIRTUAL_OFFSET_M + src.access_m[chunk, None] + np.column_stack([src.to_u_m[chunk], src.to_v_m[chunk]])
    inside = ends < m
    per_row = inside.sum(axis=1)
    indptr = np.concatenate([sub.indptr, sub.indptr[-1] + np.cumsum(per_row)])
    indices = np.concatenate([sub.indices, ends[inside]])
    data = np.concatenate([sub.data, w[inside]])
    return sp.csr_matrix((data, indices.astype(np.int32), indptr.astype(np.int32)), shape=(m + k, m + k))
