"""Compiled kernels for the distance engine: bounded Dijkstra over the CSR arrays, JIT-compiled by numba.

numba (LLVM) compiles these kernels; :mod:`siting.network.distance` calls them when numba is
installed and falls back to SciPy's ``csgraph.dijkstra`` otherwise (same results: the tests compare
both paths). ``cache=True`` keeps the machine code in ``__pycache__`` so only the first run of a
fresh install pays the compile time (a few seconds).

Written by hand, and why: SciPy's Dijkstra returns a dense row of ``n`` distances per source even with
``limit=``, and it cannot start a source part-way along an edge. For a sparse matrix of millions of
pairs within a cut-off, allocating and scanning those rows (and the NumPy passes that turn reached
nodes into pairs) cost many times the searches themselves (``benchmarks/RESULTS_distance.md``). The
kernels here run a textbook Dijkstra over the network's CSR arrays (a 4-ary heap with lazy
deletion: measured faster here than a binary heap, an indexed heap with decrease-key, or a bucket
queue; its keys pack a distance's high bits and the node into one integer, ~15 % faster than a
heap of separate distance and node arrays, with near-ties scanned again so labels stay exact) that
only touches nodes within the cut-off, start each search at a snapped point's two edge
ends with their offsets, and write the point-to-point distances straight into CSR arrays, in
parallel over sources (``numba.prange``). Every distance is a sum of the same edge lengths and
offsets as in the SciPy path: results agree to rounding.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

try:  # numba is optional: without it the SciPy path runs
    import numba
    from numba import njit, prange
except ImportError:  # pragma: no cover - exercised by uninstalling numba
    numba = None  # type: ignore[assignment]

#: Set ``SITING_NO_NUMBA=1`` to force the SciPy path (e.g. to rule out a numba problem).
AVAILABLE = numba is not None and os.environ.get("SITING_NO_NUMBA", "") in ("", "0")



def enabled() -> bool:
    """True when the compiled kernels are used (numba installed and not switched off)."""
    return AVAILABLE


if numba is not None:

    @njit(cache=True, nogil=True, inline="always")
    def _key(d, node, mask):  # type: ignore[no-untyped-def]
        """Heap key of ``(d, node)``: the IEEE bits of ``d >= 0`` (which order as unsigned integers the
        way the numbers do), the low bits (not in ``mask``) replaced by the node."""
        return (np.float64(d + 0.0).view(np.uint64) & mask) | np.uint64(node)  # +0.0: no -0.0

    @njit(cache=True, nogil=True)
    def _key_space(n):  # type: ignore[no-untyped-def]
        """``(mask, low)`` for :func:`_key` on a network of ``n`` nodes: the bits kept of the
        distance, and the bits that hold the node."""
        nb = 1
        while (1 << nb) < n:
            nb += 1
        low = np.uint64((1 << nb) - 1)
        return ~low, low

    @njit(cache=True, nogil=True)
    def _push(h, size, key):  # type: ignore[no-untyped-def]
        """Push ``key`` on the 4-ary min-heap ``h`` of ``size`` keys; returns the new size."""
        i = size
        while i > 0:
            p = (i - 1) >> 2
            if h[p] <= key:
                break
            h[i] = h[p]
            i = p
        h[i] = key
        return size + 1

    @njit(cache=True, nogil=True)
    def _pop_last_down(h, size):  # type: ignore[no-untyped-def]
        """After taking the top: re-place the last key (index ``size``). Bottom-up: the hole walks
        down along the smallest children to a leaf, then the key rises from there (fewer
        comparisons than sifting it down, as the last key nearly always belongs near the bottom)."""
        x = h[size]
        i = 0
        while True:
            c = 4 * i + 1
            if c + 3 < size:
                best = c
                bk = h[c]
                v = h[c + 1]
                if v < bk:
                    best = c + 1
                    bk = v
                v = h[c + 2]
                if v < bk:
                    best = c + 2
                    bk = v
                v = h[c + 3]
                if v < bk:
                    best = c + 3
                    bk = v
            elif c < size:
                best = c
                bk = h[c]
                for cc in range(c + 1, size):
                    if h[cc] < bk:
                        best = cc
                        bk = h[cc]
            else:
                break
            h[i] = bk
            i = best
        while i > 0:
            p = (i - 1) >> 2
            if h[p] <= x:
                break
            h[i] = h[p]
            i = p
        h[i] = x

    @njit(cache=True, nogil=True, inline="always")
    def _pop_current(h, size, dist, mask, low):  # type: ignore[no-untyped-def]
        """Take keys off the heap until one is current (not stale: its node was not labelled again,
        shorter, after it was pushed). Returns ``(node, size)``, or ``(-1, 0)`` when the heap runs out."""
        while size > 0:
            top = h[0]
            size -= 1
            if size > 0:
                _pop_last_down(h, size)
            node = np.int64(top & low)
            if _key(dist[node], node, mask) == top:
                return node, size
        return np.int64(-1), 0

    @njit(cache=True, nogil=True)
    def _search(indptr, indices, weights, dist, origin, h, size, settled, count, limit, mask, low):  # type: ignore[no-untyped-def]
        """Dijkstra from the labelled nodes on the heap (lazy deletion: stale keys are skipped).

        Keys order nodes by their distance with its last few bits dropped (:func:`_key`), so two
        labels closer than that may leave the heap in either order; a node whose label then falls is
        pushed and scanned again (label-correcting), so every label ends exact all the same. Nodes
        beyond ``limit`` are never labelled. Each node is listed in ``settled`` once, when first
        labelled, after the ``count`` already there; returns the new count. The heap grows when a
        re-scan would overfill it (the caller's array is left as it was).
        """
        while True:
            node, size = _pop_current(h, size, dist, mask, low)
            if node < 0:
                break
            d0 = dist[node]
            on = origin[node]
            lo, hi = indptr[node], indptr[node + 1]
            if size + hi - lo > h.shape[0]:  # only after many re-scans: never seen, never overrun
                h = np.concatenate((h, np.empty_like(h)))
            for j in range(lo, hi):
                w = indices[j]
                nd = d0 + weights[j]
                if nd <= limit and nd < dist[w]:
                    if dist[w] == np.inf:
                        settled[count] = w
                        count += 1
                    dist[w] = nd
                    origin[w] = on
                    size = _push(h, size, _key(nd, w, mask))
        return count

    @njit(cache=True, nogil=True)
    def _start(node, d, who, dist, origin, h, size, settled, count, limit, mask):  # type: ignore[no-untyped-def]
        """Label ``node`` with ``d`` from point ``who`` if that is shorter; returns ``(size, count)``."""
        if d <= limit and d < dist[node]:
            if dist[node] == np.inf:
                settled[count] = node
                count += 1
            dist[node] = d
            origin[node] = who
            size = _push(h, size, _key(d, node, mask))
        return size, count

    @njit(cache=True, nogil=True)
    def multi_source(indptr, indices, weights, n, start_u, start_v, d_u, d_v, limit):  # type: ignore[no-untyped-def]
        """Distance from the nearest of several points to every node, and which point it was.

        Point ``i`` enters the network at node ``start_u[i]`` with offset ``d_u[i]`` and at
        ``start_v[i]`` with ``d_v[i]``. Returns ``(dist, origin)``: ``inf`` / -1 where unreached.
        The search is :func:`_search` without the list of labelled nodes (not needed here; keeping
        it cost ~15 % of this search).
        """
        dist = np.full(n, np.inf)
        origin = np.full(n, -1, dtype=np.int32)
        h = np.empty(indices.shape[0] + 2 * start_u.shape[0] + 1, dtype=np.uint64)
        mask, low = _key_space(n)
        size = 0
        for i in range(start_u.shape[0]):
            for node, d in ((start_u[i], d_u[i]), (start_v[i], d_v[i])):
                if d <= limit and d < dist[node]:
                    dist[node] = d
                    origin[node] = i
                    size = _push(h, size, _key(d, node, mask))
        while True:
            node, size = _pop_current(h, size, dist, mask, low)
            if node < 0:
                break
            d0 = dist[node]
            on = origin[node]
            lo, hi = indptr[node], indptr[node + 1]
            if size + hi - lo > h.shape[0]:  # see _search
                h = np.concatenate((h, np.empty_like(h)))
            for j in range(lo, hi):
                w = indices[j]
                nd = d0 + weights[j]
                if nd <= limit and nd < dist[w]:
                    dist[w] = nd
                    origin[w] = on
                    size = _push(h, size, _key(nd, w, mask))
        return dist, origin

    @njit(cache=True, parallel=True)
    def gather_nearest(dist, origin, u, v, to_u, to_v, access, edge,  # type: ignore[no-untyped-def]
                       se_start, se_count, se_order, t_to_u, t_access, cutoff):
        """Per point: ``min(dist[u] + to_u, dist[v] + to_v) + access``, or directly along its edge to a
        target on the same edge when shorter (targets of edge ``e``: ``se_order[se_start[e]:][:se_count[e]]``).
        Returns ``(dist_m, nearest)``: NaN / -1 where nothing is within ``cutoff``. In parallel over
        blocks of points (memory-bound: two threads measured ~1.5x faster than one here; run it
        inside :class:`dynamic_chunks` so a core taken by another job does not hold up the call)."""
        k = u.shape[0]
        out = np.empty(k)
        near = np.empty(k, dtype=np.int64)
        step = 16_384
        for b in prange((k + step - 1) // step):
            for i in range(b * step, min(k, (b + 1) * step)):
                du = dist[u[i]] + to_u[i]
                dv = dist[v[i]] + to_v[i]
                if dv < du:
                    best = dv + access[i]
                    who = origin[v[i]]
                else:
                    best = du + access[i]
                    who = origin[u[i]]
                e = edge[i]
                for p in range(se_start[e], se_start[e] + se_count[e]):
                    t = se_order[p]
                    direct = access[i] + abs(to_u[i] - t_to_u[t]) + t_access[t]
                    if direct < best:
                        best = direct
                        who = t
                if best <= cutoff and best < np.inf:
                    out[i] = best
                    near[i] = who
                else:
                    out[i] = np.nan
                    near[i] = -1
        return out, near

    @njit(cache=True, nogil=True)
    def _one_source(s, indptr, indices, weights, s_u, s_v, s_du, s_dv, s_edge, s_to_u, s_access,  # type: ignore[no-untyped-def]
                    g_edge, g_eu, g_ev, g_start, g_count, g_a, g_b, g_min_a, g_min_b, g_order, t_to_u,
                    t_access, by_u_order, by_u_ptr, by_v_order, by_v_ptr, edge_group, cutoff,
                    dist, origin, h, settled, mask, low, out_col, out_val, at, end):
        """Search from source ``s`` and write its pairs into ``out_*[at:end]``.

        Returns how many were written, or -1 if they did not fit (nothing usable written)."""
        size, count = _start(s_u[s], s_du[s], 0, dist, origin, h, 0, settled, 0, cutoff, mask)
        size, count = _start(s_v[s], s_dv[s], 0, dist, origin, h, size, settled, count, cutoff, mask)
        reached = _search(indptr, indices, weights, dist, origin, h, size, settled, count, cutoff,
                          mask, low)
        own = s_edge[s]
        k = at
        for r in range(reached):
            x = settled[r]
            dx = dist[x]
            # each edge with targets once per source: through its u end, or its v end if u is unreached
            for side in range(2):
                if side == 0:
                    lo, hi = by_u_ptr[x], by_u_ptr[x + 1]
                else:
                    lo, hi = by_v_ptr[x], by_v_ptr[x + 1]
                for p in range(lo, hi):
                    if side == 0:
                        g = by_u_order[p]
                        du = dx
                        dv = dist[g_ev[g]]
                    else:
                        g = by_v_order[p]
                        du = dist[g_eu[g]]
                        if du < np.inf:
                            continue
                        dv = dx
                    if g_edge[g] == own or min(du + g_min_a[g], dv + g_min_b[g]) > cutoff:
                        continue
                    for q in range(g_start[g], g_start[g] + g_count[g]):
                        val = min(du + g_a[q], dv + g_b[q])
                        if val <= cutoff:
                            if k < end:
                                out_col[k] = g_order[q]
                                out_val[k] = val
                            k += 1
        g = edge_group[own]
        if g >= 0:  # targets on the source's own edge: via the ends, or directly along the edge
            du = dist[g_eu[g]]
            dv = dist[g_ev[g]]
            for q in range(g_start[g], g_start[g] + g_count[g]):
                t = g_order[q]
                val = min(du + g_a[q], dv + g_b[q])
                val = min(val, s_access[s] + abs(s_to_u[s] - t_to_u[t]) + t_access[t])  # directly
                if val <= cutoff:
                    if k < end:
                        out_col[k] = t
                        out_val[k] = val
                    k += 1
        for r in range(reached):  # reset the work space for the next source
            dist[settled[r]] = np.inf
        return k - at if k <= end else -1

    @njit(cache=True, parallel=True)
    def matrix_pairs(n, indptr, indices, weights, s_u, s_v, s_du, s_dv, s_edge, s_to_u, s_access,  # type: ignore[no-untyped-def]
                     g_edge, g_eu, g_ev, g_start, g_count, g_a, g_b, g_min_a, g_min_b, g_order,
                     t_to_u, t_access, by_u_order, by_u_ptr, by_v_order, by_v_ptr, edge_group, cutoff,
                     block, cap):
        """Pairs within ``cutoff`` of every source, in parallel over blocks of ``block`` sources.

        Block ``b`` writes its sources' pairs one after the other into ``[b * cap, (b + 1) * cap)`` of
        the returned ``(col, val)`` buffers; ``start[s]`` / ``count[s]`` locate source ``s``'s pairs
        (``count`` -1: the block ran out of room at ``s``, and ``s`` and the rest of its block are to
        be done again with more room).
        """
        ns = s_u.shape[0]
        nblocks = (ns + block - 1) // block
        out_col = np.empty(nblocks * cap, dtype=np.int32)
        out_val = np.empty(nblocks * cap)
        start = np.zeros(ns, dtype=np.int64)
        count = np.full(ns, -1, dtype=np.int64)
        m = indices.shape[0] + 3
        for b in prange(nblocks):
            dist = np.full(n, np.inf)
            origin = np.zeros(n, dtype=np.int32)
            h = np.empty(m, dtype=np.uint64)
            settled = np.empty(n, dtype=np.int32)
            mask, low = _key_space(n)
            at = b * cap
            end = at + cap
            for s in range(b * block, min(ns, (b + 1) * block)):
                c = _one_source(
                    s, indptr, indices, weights, s_u, s_v, s_du, s_dv, s_edge, s_to_u, s_access,
                    g_edge, g_eu, g_ev, g_start, g_count, g_a, g_b, g_min_a, g_min_b, g_order, t_to_u,
                    t_access, by_u_order, by_u_ptr, by_v_order, by_v_ptr, edge_group, cutoff,
                    dist, origin, h, settled, mask, low, out_col, out_val, at, end)
                if c < 0:
                    break
                start[s] = at
                count[s] = c
                at += c
        return out_col, out_val, start, count

    @njit(cache=True, parallel=True)
    def assemble_rows_by_target(nt, cols, vals, piece, start, count, parts):  # type: ignore[no-untyped-def]
        """CSR arrays of the target x source matrix (sorted columns) from the per-source pairs.

        Source ``s``'s pairs are ``cols[piece[s]][start[s]:][:count[s]]`` (and ``vals``). The sources
        are cut into ``parts`` consecutive ranges, one per thread: each counts its pairs per target
        row, then writes them into its own slice of each row (slices in source order, so each row's
        columns come out sorted and no two threads write the same place)."""
        ns = start.shape[0]
        bounds = np.linspace(0, ns, parts + 1).astype(np.int64)
        at = np.zeros((parts, nt), dtype=np.int64)
        for part in prange(parts):
            mine = at[part]
            for s in range(bounds[part], bounds[part + 1]):
                col = cols[piece[s]]
                for q in range(start[s], start[s] + count[s]):
                    mine[col[q]] += 1
        indptr = np.zeros(nt + 1, dtype=np.int64)
        for t in range(nt):  # counts -> where each part starts writing in each row
            run = indptr[t]
            for part in range(parts):
                c = at[part, t]
                at[part, t] = run
                run += c
            indptr[t + 1] = run
        indices = np.empty(indptr[nt], dtype=np.int32)
        data = np.empty(indptr[nt])
        for part in prange(parts):
            mine = at[part]
            for s in range(bounds[part], bounds[part + 1]):
                col = cols[piece[s]]
                val = vals[piece[s]]
                for q in range(start[s], start[s] + count[s]):
                    t = col[q]
                    p = mine[t]
                    indices[p] = s
                    data[p] = val[q]
                    mine[t] = p + 1
        return indptr, indices, data

    @njit(cache=True, parallel=True)
    def assemble_rows_by_source(cols, vals, piece, start, count):  # type: ignore[no-untyped-def]
        """CSR arrays of the source x target matrix (each row's columns sorted)."""
        ns = start.shape[0]
        indptr = np.zeros(ns + 1, dtype=np.int64)
        for s in range(ns):
            indptr[s + 1] = indptr[s] + count[s]
        indices = np.empty(indptr[ns], dtype=np.int32)
        data = np.empty(indptr[ns])
        for s in prange(ns):
            seg = cols[piece[s]][start[s]:start[s] + count[s]]
            val = vals[piece[s]]
            order = np.argsort(seg)
            for i in range(order.shape[0]):
                indices[indptr[s] + i] = seg[order[i]]
                data[indptr[s] + i] = val[start[s] + order[i]]
        return indptr, indices, data


def csr_arrays(graph: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The network's CSR arrays in the dtypes the kernels are compiled for (no copy when they match)."""
    return (np.ascontiguousarray(graph.indptr, dtype=np.int64),
            np.ascontiguousarray(graph.indices, dtype=np.int32),
            np.ascontiguousarray(graph.data, dtype=np.float64))


def threads() -> int:
    """Threads numba runs parallel loops on."""
    return int(numba.get_num_threads())


class dynamic_chunks:
    """Context: numba hands out parallel loop iterations ``size`` at a time to whichever thread is free
    (the default splits them evenly up front, so one thread slowed by another job holds up the call)."""

    def __init__(self, size: int) -> None:
        self.size = size

    def __enter__(self) -> None:
        self._was = numba.set_parallel_chunksize(self.size)

    def __exit__(self, *exc: object) -> None:
        numba.set_parallel_chunksize(self._was)


def typed_list() -> Any:
    """An empty ``numba.typed.List`` (for the buffers handed to the assembly kernels)."""
    from numba.typed import List

    return List()
