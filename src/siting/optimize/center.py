"""The p-center model: open p sites so that the worst (weighted) cost from a row to its site is least.

HiGHS (``highspy``) decides each set-cover feasibility question, after greedy (a yes) and the
Lagrangian bound of :mod:`siting.optimize.cover_lagrangian` (a no, when even the relaxation needs more
than ``p`` sites); the greedy + vertex-substitution heuristic of :mod:`siting.optimize.heuristics`
gives the first plan (an upper bound). Written by hand:
the binary search over the sorted distinct costs, because the p-center objective is a bottleneck that a
single MIP models poorly.
"""

from __future__ import annotations

import logging
import time
import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp

from siting.errors import InfeasibleError
from siting.optimize import _matrix as mx
from siting.optimize._highs import INF, solve_mip
from siting.optimize.cover_lagrangian import cover_lagrangian
from siting.optimize.heuristics import cover_heuristic, pcenter_heuristic
from siting.optimize.median import assign_closest
from siting.optimize.solution import Solution, make_solution

log = logging.getLogger(__name__)

#: Matrix cells beyond which the dense greedy + substitution heuristic is skipped (its matrix would
#: take 8 bytes a cell, and its greedy pass reads all of them once per site: on a 50,000 × 5,000
#: county it ran 120 s past a 9 s deadline); the binary search then starts from a set-cover plan.
_DENSE_CELLS = 20_000_000

#: Share of a feasibility question's time the Lagrangian bound may take before HiGHS gets the rest.
_DUAL_SHARE = 0.3


def p_center(
    cost: Any,
    p: int,
    *,
    weights: Any = None,
    fixed: Any = None,
    time_limit: float | None = None,
) -> Solution:
    """Open ``p`` sites minimising the largest weighted cost ``w_i · d(i, closest open site)``.

    Parameters
    ----------
    cost : numpy.ndarray or scipy.sparse matrix
        Rows = demand points, columns = candidate sites; NaN/inf or a missing sparse entry = unreachable.
    p : int
        Number of open sites **counting the fixed ones**.
    weights : array-like, optional
        Per-row weight multiplying the cost (default 1). Rows with weight 0 do not count.
    fixed : array-like of int or bool mask, optional
        Columns that must be open.
    time_limit : float, optional
        Seconds for the whole call.

    Returns
    -------
    Solution
        ``objective`` = max over rows of ``w_i · d_i``; ``bound`` = proven lower bound. Rows reaching no
        column are in ``unreachable``, left out, and named in a warning.

    Raises
    ------
    InfeasibleError
        ``p`` below the fixed count or above the column count, or no ``p`` sites reach every row that
        some column reaches.

    Notes
    -----
    Method: the optimum is one of the distinct values ``r`` of ``w_i d_ij``. For a trial ``r`` the
    question "do ``p`` sites cover every row with ``w_i d_ij <= r``?" is a set-cover feasibility
    problem (greedy first; when greedy needs more than ``p`` sites, the Lagrangian bound may prove
    that more are needed; otherwise HiGHS decides
    ``min Σ y_j  s.t.  Σ_{j: w_i d_ij <= r} y_j ≥ 1, Σ y_j ≤ p``). Binary search between the lower bound
    ``max_i min_j w_i d_ij`` and the heuristic's value finds the optimum; on ``time_limit`` the smallest
    value not yet proven infeasible is the bound.
    """
    t0 = time.perf_counter()
    args = mx.check_model_inputs("p_center", cost, t0=t0, weights=weights, fixed=fixed,
                                 time_limit=time_limit, p=p, p_minimum=1)
    reach, m, w, fx, tl, deadline = args.reach, args.m, args.w, args.fx, args.tl, args.deadline
    p = int(args.p)  # type: ignore[arg-type]

    counts = np.diff(reach.indptr)
    unreachable = np.flatnonzero(counts == 0)
    if unreachable.size:
        msg = (f"p_center: {unreachable.size} row(s) reach no candidate column "
               f"({mx.describe_rows(unreachable)}); they are left out and reported in `unreachable`")
        warnings.warn(msg, stacklevel=2)
        log.warning(msg)
    active = np.flatnonzero((counts > 0) & (w > 0))
    sub = reach[active].tocsr()
    rows = np.repeat(np.arange(active.size), np.diff(sub.indptr))
    dwv = sub.data * w[active][rows]
    dw = sp.csr_matrix((dwv, (rows, sub.indices)), shape=sub.shape)

    def value(s: np.ndarray) -> float:
        _, d = assign_closest(dw, s)
        return float(np.max(np.where(np.isnan(d), np.inf, d))) if d.size else 0.0

    if not active.size:
        sites = np.union1d(fx, np.setdiff1d(np.arange(m), fx)[: p - fx.size])
        best, bound, status = 0.0, 0.0, "optimal"
    else:
        cells = dw.shape[0] * dw.shape[1]
        first = _pad(fx, p, m)
        if dw.nnz < cells or cells > _DENSE_CELLS:
            # can p sites reach every row at all? (a county's 1 km matrix may need hundreds; the
            # Lagrangian bound says so in seconds) A yes comes with a plan.
            left = None if deadline is None else 0.3 * (deadline - time.perf_counter())
            ok, plan = _feasible(dw, float(dwv.max()), p, fx, left)
            if ok is False:
                raise InfeasibleError(_unreachable_message(p, active.size))
            if ok:
                first = plan
        if cells <= _DENSE_CELLS:
            big = float(dwv.max()) * 2 + 1
            dense = np.full(dw.shape, big)
            dense[rows, dw.indices] = dwv
            hdl = None if tl is None else t0 + 0.3 * tl
            sites = _pad(pcenter_heuristic(dense, p, fx, deadline=hdl), p, m)
            del dense
        else:  # too large for the dense heuristic: the binary search starts from the cover's plan
            sites = first
        best = value(sites)
        lb0 = float(np.max(np.minimum.reduceat(dwv, dw.indptr[:-1])))
        values = np.unique(dwv)
        lo = int(np.searchsorted(values, lb0))
        hi = int(np.searchsorted(values, best)) if np.isfinite(best) else values.size - 1
        proven_hi = np.isfinite(best)
        status = "optimal"
        while lo < hi or not proven_hi:
            mid = (lo + hi) // 2 if proven_hi else hi
            remaining = None if deadline is None else deadline - time.perf_counter()
            if remaining is not None and remaining <= 0.05:
                status = "time_limit"
                break
            ok, s = _feasible(dw, values[mid], p, fx, remaining)
            if ok is None:
                status = "time_limit"
                break
            if ok:
                hi, proven_hi = mid, True
                v = value(s)
                if v < best:
                    best, sites = v, s
                hi = min(hi, int(np.searchsorted(values, best)))
            else:
                if not proven_hi:
                    raise InfeasibleError(_unreachable_message(p, active.size))
                lo = mid + 1
        bound = float(values[min(lo, values.size - 1)])
        if not np.isfinite(best):
            raise InfeasibleError(
                f"p_center: no plan with p = {p} sites reaching every servable row was found within "
                f"the time limit")
    assignment, _ = assign_closest(reach, sites)
    return make_solution(
        model="p_center", sites=sites, objective=best, bound=min(bound, best), status=status,
        assignment=assignment, sense="min", fixed=fx, unreachable=unreachable,
        uncovered=np.flatnonzero(assignment < 0), covered_weight=float(w[assignment >= 0].sum()),
        total_weight=float(w.sum()), runtime_s=time.perf_counter() - t0,
    )


def _feasible(
    dw: sp.csr_matrix, r: float, p: int, fixed: np.ndarray, time_limit: float | None
) -> tuple[bool | None, np.ndarray]:
    """Can ``p`` sites (fixed included) cover every row within weighted cost ``r``? None = unknown."""
    n, m = dw.shape
    keep = dw.data <= r
    rows = np.repeat(np.arange(n), np.diff(dw.indptr))
    a = sp.csr_matrix((np.ones(int(keep.sum())), (rows[keep], dw.indices[keep])), shape=(n, m))
    if (np.diff(a.indptr) == 0).any():
        return False, fixed
    s = cover_heuristic(a, np.ones(n, dtype=bool), fixed, np.ones(m))
    if s is not None and s.size <= p:
        return True, _pad(s, p, m)
    # a no without branching: every cover (with the fixed sites or not) needs more than p sites
    t = time.perf_counter()
    lower, _ = cover_lagrangian(a, np.ones(m), target=p + 1 - 1e-6,
                                deadline=None if time_limit is None else t + _DUAL_SHARE * time_limit)
    if np.ceil(lower - 1e-6) > p:
        return False, fixed
    if time_limit is not None:
        time_limit = max(time_limit - (time.perf_counter() - t), 0.05)
    A = sp.vstack([a, sp.csr_matrix(np.ones((1, m)))], format="csc")
    col_lo = np.zeros(m)
    col_lo[fixed] = 1.0
    res = solve_mip(np.zeros(m), A, np.r_[np.ones(n), 0.0], np.r_[np.full(n, INF), float(p)],
                    col_lo, np.ones(m), np.ones(m, dtype=bool), time_limit=time_limit,
                    mip_rel_gap=0.0)
    if res.status == "infeasible":
        return False, fixed
    if res.x is not None:
        return True, _pad(np.flatnonzero(res.x > 0.5), p, m)
    return None, fixed


def _unreachable_message(p: int, rows: int) -> str:
    return (f"p_center: no choice of p = {p} sites reaches all {rows} rows that some candidate "
            f"reaches; raise p or remove the rows in separate network pieces")


def _pad(s: np.ndarray, p: int, m: int) -> np.ndarray:
    """Open further columns (lowest index first) so exactly ``p`` are open; more never hurts."""
    if s.size >= p:
        return s
    extra = np.setdiff1d(np.arange(m), s)[: p - s.size]
    return np.union1d(s, extra)
