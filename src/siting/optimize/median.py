"""The p-median model: open p sites so the weighted sum of each row's cost to its closest site is least.

HiGHS (``highspy``) solves the mixed-integer program; the vertex-substitution heuristic
(:mod:`siting.optimize.heuristics`) gives the first plan and warm-starts it. Written by hand: the
model building (HiGHS has no modelling layer for this formulation) and the level-truncation loop.

Formulation (Elloumi 2010, "A tighter formulation of a p-median problem", in the equivalent
incremental form). For row ``i`` let ``D_i^1 < D_i^2 < … < D_i^K`` be its distinct reachable costs.
``y_j ∈ {0,1}`` opens column ``j``; ``z_i^k ∈ [0,1]`` is 1 when no open site is within ``D_i^k``::

    min  Σ_i w_i (D_i^1 + Σ_k (D_i^{k+1} − D_i^k) z_i^k)
    s.t. z_i^1 + Σ_{j: d_ij = D_i^1} y_j ≥ 1
         z_i^k − z_i^{k−1} + Σ_{j: d_ij = D_i^k} y_j ≥ 0      k = 2 … K
         (with z_i^K ≡ 0: every reachable row is served)
         Σ_j y_j = p,  y_j = 1 for fixed j

Its LP bound equals Elloumi's (and is at least the classical one) with O(nnz) non-zeros. To keep large
instances small, each row keeps only its levels up to the cost it gets in the heuristic plan; the
rest collapse into the last kept step, which makes the model a *relaxation* (its bound is valid). When
the MIP's plan sends a row beyond its kept levels, those rows get more levels and HiGHS solves again;
the loop stops when the plan's true cost meets the proven bound, or at ``time_limit``.

Before HiGHS, a Lagrangian bound (Beasley 1993: assignment rows relaxed, subgradient steps) gives a
quick proven lower bound, so a time-limited run still reports an honest gap; and Lagrangian fixing
removes every column that no plan cheaper than the heuristic's can open (for small p typically
80–95 % of them) and fixes open those every such plan needs — this is what lets HiGHS prove
optimality in seconds on the OR-Library instances.
"""

from __future__ import annotations

import logging
import time
import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp

from siting.errors import InfeasibleError, Problems
from siting.optimize import _matrix as mx
from siting.optimize._highs import INF, solve_mip
from siting.optimize.heuristics import pmedian_heuristic, pmedian_lagrangian
from siting.optimize.solution import Solution, make_solution

log = logging.getLogger(__name__)

_MAX_ROUNDS = 12
_KEEP_QUANTILE = 0.9


def assign_closest(reach: sp.csr_matrix, sites: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the closest open site among ``sites`` (-1 if none reachable) and its cost (NaN)."""
    n = reach.shape[0]
    sub = reach[:, sites].tocsr()
    best = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.nan)
    has = np.diff(sub.indptr) > 0
    if sub.nnz:
        rows = np.repeat(np.arange(n), np.diff(sub.indptr))
        order = np.lexsort((sites[sub.indices], sub.data, rows))  # by row, cost, column
        first = np.ones(order.size, dtype=bool)
        first[1:] = rows[order][1:] != rows[order][:-1]
        pick = order[first]
        best[rows[pick]] = sites[sub.indices[pick]]
        dist[rows[pick]] = sub.data[pick]
    best[~has] = -1
    return best, dist


def p_median(
    cost: Any,
    p: int,
    *,
    weights: Any = None,
    fixed: Any = None,
    time_limit: float | None = None,
) -> Solution:
    """Open ``p`` sites that minimise the weighted total cost from each row to its closest open site.

    Parameters
    ----------
    cost : numpy.ndarray or scipy.sparse matrix
        Rows = demand points, columns = candidate sites. Dense NaN/inf or a missing sparse entry =
        unreachable; a stored sparse zero is a real zero cost.
    p : int
        Number of open sites **counting the fixed ones** (as in spopt): ``p = len(fixed) + new sites``.
    weights : array-like, optional
        Per-row weight (households, residents); multiplies the cost. Default 1.
    fixed : array-like of int or bool mask, optional
        Columns that must be open (existing facilities).
    time_limit : float, optional
        Seconds for the whole call; without it the model is solved to optimality.

    Returns
    -------
    Solution
        ``objective`` = Σ w_i · cost to the assigned site over the rows that can reach some column;
        ``bound`` = proven lower bound. Rows no column reaches are listed in ``unreachable``, left out
        of the objective, assigned -1, and named in a warning.

    Raises
    ------
    InputError
        Bad arguments (every problem listed).
    InfeasibleError
        ``p`` below the number of fixed sites or above the number of columns, or no ``p`` sites can
        reach every row that some column reaches.

    Notes
    -----
    Formulation: see the module docstring (Elloumi 2010, incremental form, level-truncated).
    """
    t0 = time.perf_counter()
    problems = Problems(source="siting.optimize.p_median")
    reach = mx.as_reachable_csr(cost, problems)
    if reach is None:
        problems.raise_if_any()
    assert reach is not None
    n, m = reach.shape
    w = mx.check_weights(weights, n, problems)
    fx = mx.check_fixed(fixed, m, problems)
    p = mx.check_count(p, problems, "p", minimum=1)
    tl = mx.check_time_limit(time_limit, problems)
    problems.raise_if_any()
    mx.check_p(p, fx.size, m, "p_median")
    deadline = None if tl is None else t0 + tl

    counts = np.diff(reach.indptr)
    unreachable = np.flatnonzero(counts == 0)
    if unreachable.size:
        msg = (f"p_median: {unreachable.size} row(s) reach no candidate column "
               f"({mx.describe_rows(unreachable)}); they are left out of the objective and reported "
               f"in `unreachable`")
        warnings.warn(msg, stacklevel=2)
        log.warning(msg)
    active = np.flatnonzero((counts > 0) & (w > 0))
    sub = reach[active].tocsr()
    wa = w[active]

    # --- heuristic on a dense copy (unreachable = a cost larger than any plan that serves all)
    big = (float(sub.data.max()) if sub.nnz else 0.0) * 2 + 1.0
    big *= max(1.0, float(wa.sum()) / max(float(wa[wa > 0].min()), 1e-12)) if wa.size else 1.0
    dense = np.full(sub.shape, big)
    if sub.nnz:
        r = np.repeat(np.arange(sub.shape[0]), np.diff(sub.indptr))
        dense[r, sub.indices] = sub.data
    heur_deadline = None if tl is None else t0 + 0.3 * tl
    sites = pmedian_heuristic(dense, wa, p, fx, deadline=heur_deadline) if active.size else (
        np.union1d(fx, np.arange(m)[~np.isin(np.arange(m), fx)][: p - fx.size]))
    t_heur = time.perf_counter() - t0
    lag_bound: float | None = None
    closed = np.zeros(m, dtype=bool)
    opened = np.zeros(m, dtype=bool)
    ub = np.inf
    if active.size and p < m:
        ub = float(wa @ dense[:, sites].min(axis=1))
        lag_dl = None if tl is None else t0 + 0.45 * tl
        lag_bound, closed, opened = pmedian_lagrangian(
            dense, wa, p, fx, ub, deadline=lag_dl, iterations=2000 if tl is not None else 500)
    del dense
    # Lagrangian fixing: a plan cheaper than the heuristic's never opens a `closed` column and
    # always opens an `opened` one, so HiGHS searches only the remaining columns.
    cols = np.flatnonzero(~closed)
    pos = np.full(m, -1)
    pos[cols] = np.arange(cols.size)
    sub_r = sub[:, cols].tocsr()
    fixed_r = pos[np.union1d(fx, np.flatnonzero(opened))]

    def within_ub(b: float | None) -> float | None:
        # plans using a closed column cost >= ub, so the global bound is min(model bound, ub)
        return None if b is None else min(b, ub)

    def true_cost(s: np.ndarray) -> tuple[float, np.ndarray]:
        _, d = assign_closest(sub, s)
        return (float(wa @ np.where(np.isnan(d), np.inf, d)), d)

    best_sites = sites
    best_obj, best_d = true_cost(sites)
    bound: float | None = lag_bound if lag_bound is not None and np.isfinite(lag_bound) else None
    status = "heuristic" if bound is None else "time_limit"
    if bound is not None and _closed_gap(best_obj, bound):
        status = "optimal"
    rounds = 0
    if active.size and status != "optimal":
        # per-row kept level: levels with cost <= (cost in the incumbent), plus one extra level
        # (at least the heuristic plan's 90th-percentile cost, so rows at an open site keep levels)
        keep_to = np.where(np.isfinite(best_d), best_d, np.inf)
        finite = keep_to[np.isfinite(keep_to)]
        floor = float(np.quantile(finite, _KEEP_QUANTILE)) if finite.size else 0.0
        keep_to = np.maximum(keep_to, floor)
        while rounds < _MAX_ROUNDS:
            remaining = None if deadline is None else deadline - time.perf_counter()
            if remaining is not None and remaining <= 0.05:
                break
            rounds += 1
            start = pos[best_sites] if (pos[best_sites] >= 0).all() else None
            if (np.diff(sub_r.indptr) == 0).any():
                res, model_bound, y_r = "infeasible", None, None  # needs a closed column
            else:
                res, model_bound, y_r = _solve_truncated(sub_r, wa, p, fixed_r, keep_to, start,
                                                         remaining)
            y_of = None if y_r is None else cols[y_r]
            model_bound = within_ub(model_bound)
            if res == "infeasible":
                # no plan cheaper than the heuristic's exists among the columns left
                if np.isfinite(best_obj) and best_obj <= ub + 1e-9 * max(1.0, ub):
                    bound, status = best_obj, "optimal"
                    break
                if not np.isfinite(best_obj):
                    raise InfeasibleError(
                        f"p_median: no choice of p = {p} sites reaches all {active.size} rows that "
                        f"some candidate reaches; the best plan found leaves "
                        f"{int(np.isnan(best_d).sum())} of them without a reachable site. Raise p "
                        f"or remove those rows")
                break
            if model_bound is not None:
                bound = model_bound if bound is None else max(bound, model_bound)
            if y_of is None:
                break
            obj, d = true_cost(y_of)
            if obj < best_obj:
                best_obj, best_sites, best_d = obj, y_of, d
            if bound is not None and _closed_gap(best_obj, bound):
                status = "optimal"
                break
            if res != "optimal":
                status = "time_limit"
                break
            # rows served beyond their kept levels: keep every level up to their cost now, and more
            grow = ~(d <= keep_to)
            if not grow.any():  # the relaxation is exact for this plan, yet bound < objective
                status = "time_limit"
                break
            keep_to = np.where(grow, np.where(np.isnan(d), np.inf, d * 1.5 + 1e-9), keep_to)
        if status == "heuristic" and bound is not None:
            status = "time_limit"
        if not np.isfinite(best_obj):
            raise InfeasibleError(
                f"p_median: no plan with p = {p} sites reaching all {active.size} servable rows was "
                f"found within the time limit; raise p or time_limit")
    assignment, _ = assign_closest(reach, best_sites)
    covered = float(w[assignment >= 0].sum())
    return make_solution(
        model="p_median", sites=best_sites, objective=best_obj, bound=bound, status=status,
        assignment=assignment, sense="min", fixed=fx, unreachable=unreachable,
        uncovered=np.flatnonzero(assignment < 0), covered_weight=covered,
        total_weight=float(w.sum()), runtime_s=time.perf_counter() - t0,
        details={"rounds": rounds, "heuristic_s": t_heur, "lagrangian_bound": lag_bound,
                 "columns_closed_by_lagrangian": int(closed.sum()),
                 "columns_opened_by_lagrangian": int(opened.sum())},
    )


def _closed_gap(objective: float, bound: float) -> bool:
    """The plan is proven optimal to HiGHS's tolerance."""
    return bool(np.isfinite(objective) and objective <= bound + 2e-6 * max(1.0, objective))


def _solve_truncated(
    sub: sp.csr_matrix,
    w: np.ndarray,
    p: int,
    fixed: np.ndarray,
    keep_to: np.ndarray,
    start_sites: np.ndarray | None,
    time_limit: float | None,
) -> tuple[str, float | None, np.ndarray | None]:
    """Build and solve the truncated incremental-Elloumi model; return status, bound, open sites."""
    n, m = sub.shape
    rows_idx: list[np.ndarray] = []   # constraint entries (row, col, value)
    cols_idx: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    zcost: list[np.ndarray] = []
    offset = 0.0
    n_con = 0
    n_z = 0
    z_start: list[np.ndarray] = []
    start_open = np.zeros(m, dtype=bool)
    if start_sites is not None:
        start_open[start_sites] = True
    rhs_lo: list[np.ndarray] = []
    ip, ix, dx = sub.indptr, sub.indices, sub.data
    for i in range(n):
        cols = ix[ip[i]:ip[i + 1]]
        d = dx[ip[i]:ip[i + 1]]
        order = np.argsort(d, kind="stable")
        cols, d = cols[order], d[order]
        levels, lev_of = np.unique(d, return_inverse=True)
        K = levels.size
        # keep levels 1..L (z_1..z_L); L = K means full (served for sure)
        L = int(np.searchsorted(levels, keep_to[i], side="right")) + 1
        L = min(max(L, 1), K)
        full = L >= K
        nz = (K - 1) if full else L  # z variables for this row
        offset += w[i] * levels[0]
        steps = np.diff(levels)[:nz]
        zcost.append(w[i] * steps)
        # constraints k = 0..(nz) ; constraint k uses y of level k, z_k (+1) and z_{k-1} (-1)
        ncons = K if full else L
        sel = lev_of < ncons
        rows_idx.append(n_con + lev_of[sel])
        cols_idx.append(cols[sel])
        vals.append(np.ones(int(sel.sum())))
        kk = np.arange(nz)
        rows_idx.append(n_con + kk)       # +z_k in constraint k
        cols_idx.append(m + n_z + kk)
        vals.append(np.ones(nz))
        if ncons > 1:
            kk2 = np.arange(1, ncons)      # -z_{k-1} in constraint k
            rows_idx.append(n_con + kk2)
            cols_idx.append(m + n_z + kk2 - 1)
            vals.append(-np.ones(ncons - 1))
        lo = np.zeros(ncons)
        lo[0] = 1.0
        rhs_lo.append(lo)
        # warm start z: 1 while no open site within the level
        open_lev = lev_of[start_open[cols]]
        first_open = int(open_lev.min()) if open_lev.size else K
        z_start.append((np.arange(nz) < first_open).astype(np.float64))
        n_con += ncons
        n_z += nz
    n_var = m + n_z
    r_all = np.concatenate(rows_idx + [np.full(m, n_con)])
    c_all = np.concatenate(cols_idx + [np.arange(m)])
    v_all = np.concatenate(vals + [np.ones(m)])
    a = sp.csc_matrix((v_all, (r_all, c_all)), shape=(n_con + 1, n_var))
    row_lo = np.concatenate(rhs_lo + [np.array([p], dtype=np.float64)])
    row_hi = np.concatenate([np.full(n_con, INF), np.array([p], dtype=np.float64)])
    c = np.concatenate([np.zeros(m), np.concatenate(zcost) if zcost else np.zeros(0)])
    col_lo = np.zeros(n_var)
    col_lo[fixed] = 1.0
    col_hi = np.ones(n_var)
    integer = np.zeros(n_var, dtype=bool)
    integer[:m] = True
    start = None
    if start_sites is not None:
        start = np.concatenate([start_open.astype(np.float64), np.concatenate(z_start)])
    log.debug("p_median model: %d rows, %d level variables, %d non-zeros", n_con, n_z, a.nnz)
    res = solve_mip(c, a, row_lo, row_hi, col_lo, col_hi, integer, time_limit=time_limit,
                    start=start, offset=offset)
    if res.status == "infeasible":
        return "infeasible", None, None
    sites = None if res.x is None else np.flatnonzero(res.x[:m] > 0.5)
    if sites is not None and sites.size != p:
        sites = None
    return res.status, res.bound, sites
